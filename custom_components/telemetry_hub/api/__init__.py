"""Vendor clients of Telemetry Hub.

This package never imports Home Assistant: it is a plain asyncio/aiohttp
library (injected session, typed models, one exception hierarchy, one
request helper) that could be published on its own.
"""

from .errors import (
    TelemetryHubAccountLockedError,
    TelemetryHubAuthError,
    TelemetryHubClosedError,
    TelemetryHubConnectionError,
    TelemetryHubDeviceAccessError,
    TelemetryHubError,
    TelemetryHubNotFoundError,
    TelemetryHubProtocolError,
    TelemetryHubRateLimitError,
    TelemetryHubSessionRejectedError,
)

__all__ = [
    "TelemetryHubAccountLockedError",
    "TelemetryHubAuthError",
    "TelemetryHubClosedError",
    "TelemetryHubConnectionError",
    "TelemetryHubDeviceAccessError",
    "TelemetryHubError",
    "TelemetryHubNotFoundError",
    "TelemetryHubProtocolError",
    "TelemetryHubRateLimitError",
    "TelemetryHubSessionRejectedError",
]
