"""Client of the Tecno-Gaz DISTRO API (steam sterilizers), contract v1.

`contract` holds every path (one table) and the call budget, `fields` every
JSON field name, `client` speaks the API through a shared per-token rate
limiter, `models` and `report` type its answers, and `sync` with `state`
keep a contract's sterilizers current with one listing call per refresh and
announce each finished cycle and each alarm change exactly once.
"""

from .client import CyclePage, DeviceListing, TecnoGazClient, limiter_key
from .contract import (
    CALL_BUDGET,
    CONTRACT_VERSION,
    DEFAULT_URL,
    PATHS,
    TOKEN_HEADER,
    Call,
    calls_per_minute,
    shortest_interval,
    within_budget,
    worst_case_calls,
)
from .fields import Attribute
from .models import (
    Alarm,
    AlarmSeverity,
    Cycle,
    CycleResult,
    EventKind,
    Program,
    Sterilizer,
    SterilizerStatus,
)
from .report import CycleReport, Phase, Sample
from .state import SterilizerState, TecnoGazState
from .sync import DEFAULT_CATCH_UP, TecnoGazSync
from .view import SterilizerView, TecnoGazEvent, TecnoGazRefresh

__all__ = [
    "CALL_BUDGET",
    "CONTRACT_VERSION",
    "DEFAULT_CATCH_UP",
    "DEFAULT_URL",
    "PATHS",
    "TOKEN_HEADER",
    "Alarm",
    "AlarmSeverity",
    "Attribute",
    "Call",
    "Cycle",
    "CyclePage",
    "CycleReport",
    "CycleResult",
    "DeviceListing",
    "EventKind",
    "Phase",
    "Program",
    "Sample",
    "Sterilizer",
    "SterilizerState",
    "SterilizerStatus",
    "SterilizerView",
    "TecnoGazClient",
    "TecnoGazEvent",
    "TecnoGazRefresh",
    "TecnoGazState",
    "TecnoGazSync",
    "calls_per_minute",
    "limiter_key",
    "shortest_interval",
    "within_budget",
    "worst_case_calls",
]
