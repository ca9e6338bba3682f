"""Onboard a fresh Home Assistant and add Telemetry Hub, through its HTTP API.

One account per simulator given: RusTech always, Tecno-Gaz and DEXMA when
their simulator addresses are passed.

Called by scripts/develop once Home Assistant and the simulator run. It only
uses public endpoints (onboarding, auth, the config-flow REST API), so the
integration is set up exactly as a user would set it up: through its config
flow. Idempotent: a second run logs in and finds everything in place.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import aiohttp

DOMAIN = "telemetry_hub"
ONBOARDING = ("user", "core_config", "analytics", "integration")


class Bootstrap:
    """Drive one Home Assistant instance."""

    def __init__(
        self, session: aiohttp.ClientSession, args: argparse.Namespace
    ) -> None:
        """Remember where Home Assistant runs and who to log in as."""
        self.session = session
        self.args = args
        self.base = args.ha.rstrip("/")
        self.client_id = f"{self.base}/"
        self.headers: dict[str, str] = {}

    async def wait_until_up(self, deadline_s: float) -> list[dict[str, Any]]:
        """Wait for the HTTP API; return the open onboarding steps.

        Once onboarding is complete Home Assistant stops serving its
        onboarding endpoint (404): then every step is done.
        """
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                async with self.session.get(f"{self.base}/api/onboarding") as response:
                    if response.status == 200:  # noqa: PLR2004
                        steps: list[dict[str, Any]] = await response.json()
                        return steps
                    if response.status == 404:  # noqa: PLR2004
                        return [{"step": step, "done": True} for step in ONBOARDING]
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                msg = (
                    f"Home Assistant did not answer at {self.base} "
                    f"within {deadline_s:.0f} s"
                )
                raise SystemExit(msg)
            await asyncio.sleep(1)

    async def post(self, path: str, **kwargs: Any) -> Any:
        """POST and return the JSON answer; fail loudly on an error status."""
        async with self.session.post(
            f"{self.base}{path}", headers=self.headers, **kwargs
        ) as response:
            if response.content_type == "application/json":
                body = await response.json()
            else:  # the template API answers the rendered text
                body = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                msg = f"POST {path} answered {response.status}: {body}"
                raise SystemExit(msg)
            return body

    async def get(self, path: str) -> Any:
        """GET and return the JSON answer."""
        async with self.session.get(
            f"{self.base}{path}", headers=self.headers
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def token_for(self, code: str) -> None:
        """Exchange an authorization code for an access token."""
        body = await self.post(
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}

    async def onboard(self, steps: list[dict[str, Any]]) -> None:
        """Finish whatever onboarding steps are open, or log in."""
        done = {step["step"] for step in steps if step["done"]}
        if "user" not in done:
            body = await self.post(
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Developer",
                    "username": self.args.username,
                    "password": self.args.password,
                    "language": "en",
                },
            )
            await self.token_for(body["auth_code"])
            print(f"Created the owner account {self.args.username!r}")
        else:
            await self.login()
        for step in ("core_config", "analytics"):
            if step not in done:
                await self.post(f"/api/onboarding/{step}", json={})
        if "integration" not in done:
            await self.post(
                "/api/onboarding/integration",
                json={"client_id": self.client_id, "redirect_uri": self.client_id},
            )

    async def login(self) -> None:
        """Log in with the owner's username and password."""
        flow = await self.post(
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.post(
            f"/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": self.args.username,
                "password": self.args.password,
            },
        )
        if result.get("type") != "create_entry":
            msg = f"Cannot log in as {self.args.username!r}: {result.get('errors')}"
            raise SystemExit(msg)
        await self.token_for(result["result"])

    async def add_accounts(self) -> None:
        """Add one account per simulated vendor through the config flow."""
        for vendor, data in self.accounts():
            await self.add_account(vendor, data)

    def accounts(self) -> list[tuple[str, dict[str, Any]]]:
        """(vendor, form data) of every simulator given on the command line."""
        args = self.args
        accounts: list[tuple[str, dict[str, Any]]] = [
            (
                "rustech",
                {
                    "url": args.sim_url,
                    "email": args.sim_email,
                    "password": args.sim_password,
                },
            )
        ]
        for vendor in ("tecnogaz", "dexma"):
            url = getattr(args, f"{vendor}_url")
            if url:
                token = getattr(args, f"{vendor}_token")
                accounts.append((vendor, {"token": token, "advanced": {"url": url}}))
        return accounts

    async def add_account(self, vendor: str, data: dict[str, Any]) -> None:
        """Run the config flow for one vendor; an existing account is fine."""
        flow = await self.post(
            "/api/config/config_entries/flow",
            json={"handler": DOMAIN, "show_advanced_options": False},
        )
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        if vendor not in flow.get("menu_options", []):
            print(f"This Home Assistant's Telemetry Hub has no {vendor!r} yet")
            await self.delete(path)
            return
        await self.post(path, json={"next_step_id": vendor})
        result = await self.post(path, json=data)
        if result.get("type") == "create_entry":
            print(f"Added Telemetry Hub: {result['title']}")
        elif result.get("reason") == "already_configured":
            print(f"Telemetry Hub already has the {vendor} account")
        else:
            msg = f"The {vendor} config flow did not create an entry: {result}"
            raise SystemExit(msg)

    async def delete(self, path: str) -> None:
        """DELETE a resource (an abandoned flow)."""
        async with self.session.delete(
            f"{self.base}{path}", headers=self.headers
        ) as response:
            response.raise_for_status()

    async def entity_states(self) -> dict[str, str]:
        """The integration's entities and their states."""
        rendered = await self.post(
            "/api/template",
            json={
                "template": (
                    "{% for e in integration_entities('" + DOMAIN + "') %}"
                    "{{ e }}={{ states(e) }}\n{% endfor %}"
                )
            },
        )
        lines = str(rendered).strip().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


async def run(args: argparse.Namespace) -> int:
    """Bootstrap; with --check, verify live values and report."""
    async with aiohttp.ClientSession() as session:
        bootstrap = Bootstrap(session, args)
        steps = await bootstrap.wait_until_up(args.timeout)
        await bootstrap.onboard(steps)
        await bootstrap.add_accounts()
        deadline = time.monotonic() + 120
        while True:
            states = await bootstrap.entity_states()
            numeric = [e for e, s in states.items() if _is_number(s)]
            if numeric or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
    print(f"{len(states)} Telemetry Hub entities, {len(numeric)} with a numeric value")
    if args.check:
        for entity_id in sorted(states)[:12]:
            print(f"  {entity_id} = {states[entity_id]}")
        return 0 if numeric else 1
    return 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--username", default="dev")
    parser.add_argument("--password", default="devpassword")
    parser.add_argument("--sim-url", required=True)
    parser.add_argument("--sim-email", required=True)
    parser.add_argument("--sim-password", required=True)
    parser.add_argument("--tecnogaz-url", help="Tecno-Gaz simulator (optional)")
    parser.add_argument("--tecnogaz-token", default="dev-tecnogaz-token")
    parser.add_argument("--dexma-url", help="DEXMA simulator (optional)")
    parser.add_argument("--dexma-token", default="dev-dexma-token")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--check", action="store_true")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
