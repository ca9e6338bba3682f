"""Client of the DEXMA Energy Manager API v3 (no Home Assistant imports).

* `client`: `DexmaClient` (devices, locations, parameters, readings; paging,
  both error envelopes, quota headers of every answer);
* `models`: `Device`, `Location`, `Parameter`, `Reading`, `ReadingSeries`;
* `units`: unit strings and parameter keys in our own terms;
* `spans`: resolutions, local times, span limits and their splitting;
* `quota`, `budget`: `Quota`, the refresh schedule (`plan_refresh`) and the
  per-tick allowance (`QuotaTracker`) that keep us within a share of the
  quotas;
* `plan`: the readings calls of a range, and the resumable `BackfillPlan`.
"""

from .budget import RefreshPlan, plan_refresh
from .client import DEFAULT_URL, MAX_PAGE_SIZE, DexmaClient
from .errors import DexmaValidationError
from .models import Device, Location, Parameter, Reading, ReadingSeries
from .plan import (
    BackfillPlan,
    Meter,
    ReadingsCall,
    calls_for_range,
    local_range,
    minimum_backfill_calls,
)
from .quota import DEFAULT_SHARE, Allowance, Quota, QuotaTracker, parse_quota
from .spans import (
    LocalZone,
    Operation,
    Resolution,
    minimum_calls,
    resolve_timezone,
    split_range,
)
from .units import (
    Classification,
    Measurement,
    ParameterInfo,
    Quantity,
    Unit,
    classify,
    parameter_info,
    parse_unit,
)

__all__ = [
    "DEFAULT_SHARE",
    "DEFAULT_URL",
    "MAX_PAGE_SIZE",
    "Allowance",
    "BackfillPlan",
    "Classification",
    "Device",
    "DexmaClient",
    "DexmaValidationError",
    "LocalZone",
    "Location",
    "Measurement",
    "Meter",
    "Operation",
    "Parameter",
    "ParameterInfo",
    "Quantity",
    "Quota",
    "QuotaTracker",
    "Reading",
    "ReadingSeries",
    "ReadingsCall",
    "RefreshPlan",
    "Resolution",
    "Unit",
    "calls_for_range",
    "classify",
    "local_range",
    "minimum_backfill_calls",
    "minimum_calls",
    "parameter_info",
    "parse_quota",
    "parse_unit",
    "plan_refresh",
    "resolve_timezone",
    "split_range",
]
