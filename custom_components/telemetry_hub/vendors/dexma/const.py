"""Constants of the DEXMA vendor: its key, options and repair issues."""

from __future__ import annotations

from typing import Final

from ...const import CONF_UPDATE_INTERVAL
from ...vendor import OptionRange

VENDOR: Final = "dexma"
MANUFACTURER: Final = "DEXMA"
CONF_ANCHOR: Final = "anchor"
"""Entry data: the location (or device) whose id the entry's unique id
carries: `location:<id>`, or `device:<id>` for an account without
locations."""
CONF_QUOTA_SHARE: Final = "quota_share"
"""Options: the percentage of the token's quotas Telemetry Hub may use."""
CONF_DEVICES: Final = "devices"
"""Options: the DEXMA device ids to follow (text); empty means all."""
CONF_PARAMETERS: Final = "parameters"
"""Options: the parameter keys to follow (lower case); empty means those
Home Assistant has a device class for."""
UPDATE_INTERVAL = OptionRange(CONF_UPDATE_INTERVAL, 15, 5, 24 * 60, "min")
QUOTA_SHARE = OptionRange(CONF_QUOTA_SHARE, 50, 10, 100, "%")
ACCOUNT: Final = "account"
"""The device key of the account itself (its quota sensors)."""
ISSUE_STRETCHED: Final = "dexma_quota_stretched"
"""Repair issue: the portfolio is too large for the interval asked."""
STATISTIC_NAME: Final = "dexma_meter_statistic"
"""Translation of a counter statistic's name (`entity.sensor`)."""
