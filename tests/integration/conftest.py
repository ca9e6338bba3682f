"""Fixtures of every Home Assistant test: custom integrations with a recorder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import logging
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.telemetry_hub.const import DOMAIN

# The Home Assistant test plugin logs every SQL statement; the statistics
# imports of these tests make that thousands of lines per test, and slow.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def auto_enable(recorder_mock: Any, enable_custom_integrations: None) -> None:
    """Load custom integrations, with a recorder (the integration needs one)."""


@pytest.fixture
def setup_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> Callable[[], Awaitable[MockConfigEntry]]:
    """Add the entry (each vendor's conftest defines it) and set it up."""

    async def setup() -> MockConfigEntry:
        if config_entry.entry_id not in {
            e.entry_id for e in hass.config_entries.async_entries(DOMAIN)
        }:
            config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        return config_entry

    return setup


@pytest.fixture
async def loaded_entry(
    setup_entry: Callable[[], Awaitable[MockConfigEntry]],
) -> MockConfigEntry:
    """The entry, set up against its simulator."""
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Skip setting the entry up: for tests about the config flow only."""
    with patch(
        "custom_components.telemetry_hub.async_setup_entry", return_value=True
    ) as mocked:
        yield mocked


@pytest.fixture
async def web_site(socket_enabled: None) -> AsyncIterator[str]:
    """The root address of a web site on 127.0.0.1: HTML 404 for every path."""

    async def html_404(request: web.Request) -> web.Response:
        return web.Response(
            status=404,
            text="<html><body>Not here</body></html>",
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", html_404)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
