"""Constants of the RusTech vendor: its key and options with their bounds."""

from __future__ import annotations

from typing import Final

from ...const import CONF_UPDATE_INTERVAL
from ...vendor import OptionRange

VENDOR: Final = "rustech"
CONF_OFFLINE_AFTER: Final = "offline_after"
"""Hours without a communication session after which a station is offline."""
UPDATE_INTERVAL = OptionRange(CONF_UPDATE_INTERVAL, 15, 5, 24 * 60, "min")
OFFLINE_AFTER = OptionRange(CONF_OFFLINE_AFTER, 26, 1, 24 * 30, "h")
