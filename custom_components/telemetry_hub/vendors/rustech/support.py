"""RusTech support: the pushed-out-sessions repair issue and diagnostics.

`SessionWatch` counts the server's rejections of the account's session
over a day and raises (or clears) a repair issue when something else keeps
pushing Home Assistant's session out. The diagnostics helpers turn the
sync state's settings and channels into plain data, with the modem's
phone number hidden.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ...api.rustech.models import Setting
from ...api.rustech.units import ChannelDefinition
from ...const import DOCS_URL, DOMAIN
from ...coordinator import TelemetryHubConfigEntry

ISSUE_SESSION_EVICTED = "session_evicted"
REJECTIONS_FOR_ISSUE = 3
REJECTION_WINDOW = timedelta(days=1)
TROUBLESHOOTING_URL = f"{DOCS_URL}#troubleshooting"
# Corrector settings whose value is personal (the modem's SIM number), and
# what replaces it (as diagnostics' async_redact_data writes it).
_PERSONAL_SETTING = re.compile(r"phone|телефон", re.IGNORECASE)
_REDACTED = "**REDACTED**"


def session_issue_id(entry_id: str) -> str:
    """The repair issue about an entry's pushed-out sessions."""
    return f"{ISSUE_SESSION_EVICTED}_{entry_id}"


class SessionWatch:
    """Rejections of the account's session in the last day, and their issue."""

    def __init__(self, hass: HomeAssistant, entry: TelemetryHubConfigEntry) -> None:
        """Watch one entry's sessions."""
        self.hass = hass
        self._entry = entry
        self._rejections: list[datetime] = []

    def track(self, count: int) -> None:
        """Raise (or clear) the repair issue about pushed-out sessions."""
        now = dt_util.utcnow()
        self._rejections = [
            when for when in self._rejections if now - when < REJECTION_WINDOW
        ] + [now] * count
        issue_id = session_issue_id(self._entry.entry_id)
        if len(self._rejections) >= REJECTIONS_FOR_ISSUE:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_SESSION_EVICTED,
                translation_placeholders={
                    "account": self._entry.title,
                    "count": str(len(self._rejections)),
                },
                learn_more_url=TROUBLESHOOTING_URL,
            )
        elif not self._rejections:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)


def setting_diagnostics(setting: Setting) -> dict[str, Any]:
    """A corrector setting; the modem's phone number is personal data."""
    data = asdict(setting)
    if _PERSONAL_SETTING.search(setting.name):
        data["value"] = _REDACTED
    return data


def channel_diagnostics(channel: ChannelDefinition) -> dict[str, Any]:
    """A channel definition with its meaning and understood unit."""
    return {
        **asdict(channel),
        "kind": channel.kind.value,
        "unit": channel.unit.symbol if channel.unit else None,
    }
