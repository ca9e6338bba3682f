"""Constants of Telemetry Hub shared by every vendor."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from homeassistant.const import Platform

DOMAIN: Final = "telemetry_hub"
LOGGER = logging.getLogger(__package__)

PLATFORMS: Final = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]

CONF_VENDOR: Final = "vendor"
"""Entry data: which vendor descriptor serves the entry."""
CONF_TOKEN: Final = "token"  # noqa: S105 - a config key, not a secret
CONF_ADVANCED: Final = "advanced"
"""Form section holding settings most users leave alone (the base URL)."""

# Options every vendor may offer, each with its own default and bounds.
CONF_UPDATE_INTERVAL: Final = "update_interval"
"""Minutes between two polls of the account."""
CONF_HISTORY_DAYS: Final = "history_days"
"""Days of history imported into long-term statistics at first set-up."""
DEFAULT_HISTORY_DAYS: Final = 31
MAX_HISTORY_DAYS: Final = 366

STORAGE_VERSION: Final = 1
STORAGE_SAVE_DELAY: Final = timedelta(seconds=10)
DOCS_URL: Final = "https://github.com/telemetry-hub/telemetry-hub"
