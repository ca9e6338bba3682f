"""Constants of the Tecno-Gaz vendor: its key, options and repair issues."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from homeassistant.util.hass_dict import HassKey

from ...api.ratelimit import RateLimiterRegistry
from ...const import CONF_UPDATE_INTERVAL, DOMAIN
from ...vendor import OptionRange

VENDOR: Final = "tecnogaz"
MANUFACTURER: Final = "Tecno-Gaz"
CONF_SERIAL: Final = "anchor_serial"
"""Entry data: the sterilizer whose serial the entry's unique id carries."""
UPDATE_INTERVAL = OptionRange(CONF_UPDATE_INTERVAL, 1, 1, 24 * 60, "min")
CATCH_UP: Final = timedelta(days=7)
"""Cycles and alarms missed while Home Assistant was down are announced
back this far."""
ISSUE_CONTRACT_MISMATCH: Final = "contract_mismatch"
LIMITERS: HassKey[RateLimiterRegistry] = HassKey(f"{DOMAIN}_{VENDOR}_limiters")
"""One rate limiter per token, shared by every entry that uses it."""
