"""Client of the RusTech "Universal data collection server" (gas telemetry).

`client` speaks the Web API (rotating devise_token_auth tokens, paging),
`models` and `units` type its answers, `sync` and `state` keep an account's
data current with as few requests as possible.
"""

from .client import DEFAULT_URL, RusTechClient, server_key
from .models import RusTechToken, RusTechUser, Station
from .state import Feed, StationState, SyncState
from .sync import RusTechSync, SyncResult, daily_only_channels
from .units import ChannelDefinition, ChannelKind, Quantity, Unit, parse_unit

__all__ = [
    "DEFAULT_URL",
    "ChannelDefinition",
    "ChannelKind",
    "Feed",
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
    "parse_unit",
    "server_key",
]
