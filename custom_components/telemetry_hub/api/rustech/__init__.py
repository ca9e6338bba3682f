"""Client of the RusTech "Universal data collection server" (gas telemetry).

`client` reads the Web API's views (`paging` reads every page whatever the
envelope claims), `connection` keeps its rotating devise_token_auth session
(`auth` and `signin` read the session headers), `models`, `records` and
`units` type its answers, `sync`, `feeds` and `state` keep an account's
data current with as few requests as possible.
"""

from .client import DEFAULT_URL, RusTechClient, server_key
from .models import RusTechToken, RusTechUser, Station
from .records import ArchiveRecord, json_safe_channels
from .state import Feed, History, StationState, SyncState
from .sync import RusTechSync, SyncResult, daily_only_channels
from .units import ChannelDefinition, ChannelKind, Quantity, Unit, parse_unit

__all__ = [
    "DEFAULT_URL",
    "ArchiveRecord",
    "ChannelDefinition",
    "ChannelKind",
    "Feed",
    "History",
    "Quantity",
    "RusTechClient",
    "RusTechSync",
    "RusTechToken",
    "RusTechUser",
    "Station",
    "StationState",
    "SyncResult",
    "SyncState",
    "Unit",
    "daily_only_channels",
    "json_safe_channels",
    "parse_unit",
    "server_key",
]
