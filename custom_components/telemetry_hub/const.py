"""Constants of Telemetry Hub."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "telemetry_hub"
LOGGER = logging.getLogger(__package__)

PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]

CONF_VENDOR: Final = "vendor"
CONF_TOKEN: Final = "token"  # noqa: S105 - a config key, not a secret

VENDOR_RUSTECH: Final = "rustech"

# Options (shared by every vendor)
CONF_UPDATE_INTERVAL: Final = "update_interval"
"""Minutes between two polls of the account."""
DEFAULT_UPDATE_INTERVAL: Final = 15
MIN_UPDATE_INTERVAL: Final = 5
MAX_UPDATE_INTERVAL: Final = 24 * 60

# RusTech options
CONF_OFFLINE_AFTER: Final = "offline_after"
"""Hours without a communication session after which a station is offline."""
DEFAULT_OFFLINE_AFTER: Final = 26
MIN_OFFLINE_AFTER: Final = 1
MAX_OFFLINE_AFTER: Final = 24 * 30

STORAGE_VERSION: Final = 1
STORAGE_SAVE_DELAY: Final = timedelta(seconds=10)
