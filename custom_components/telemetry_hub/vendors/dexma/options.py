"""The options of a DEXMA account: the form, and the engine settings they give.

Interval, quota share and history window are numbers with bounds; the
devices and parameters to follow are multi-selects filled from the
portfolios of the loaded DEXMA accounts (devices by name, parameter keys by
their translated name). An empty selection follows every device, and the
parameters Home Assistant has a device class for. The form's description
shows the current plan (streams, calls per refresh, effective interval).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from ...api.dexma import RefreshPlan, parameter_info
from ...api.dexma.streams import SyncSettings
from ...api.parsing import as_int
from ...vendor import HISTORY_DAYS
from .const import CONF_DEVICES, CONF_PARAMETERS, QUOTA_SHARE, UPDATE_INTERVAL
from .entities import DEFAULT_KEYS

if TYPE_CHECKING:
    from .coordinator import DexmaCoordinator

OPTIONS = (UPDATE_INTERVAL, QUOTA_SHARE, HISTORY_DAYS)
PARAMETER_SELECTOR = "dexma_parameters"


def settings_from(options: Mapping[str, Any]) -> SyncSettings:
    """The engine settings of an entry's options."""
    devices = {as_int(value) for value in options.get(CONF_DEVICES) or ()}
    return SyncSettings(
        interval=UPDATE_INTERVAL.value(options) * 60.0,
        share=QUOTA_SHARE.value(options) / 100,
        history_days=HISTORY_DAYS.value(options),
        devices=frozenset(device for device in devices if device is not None),
        parameters=frozenset(
            str(key).upper() for key in options.get(CONF_PARAMETERS) or ()
        ),
        defaults=DEFAULT_KEYS,
    )


def options_schema(coordinator: DexmaCoordinator | None) -> vol.Schema:
    """The options form, its selectors filled from the account's portfolio."""
    devices: list[SelectOptionDict] = []
    keys: set[str] = set()
    if coordinator is not None:
        for device_id, known in sorted(coordinator.sync.state.devices.items()):
            devices.append(
                SelectOptionDict(
                    value=str(device_id),
                    label=f"{known.device.name} ({device_id})",
                )
            )
            for parameter in known.parameters or ():
                if (info := parameter_info(parameter.key)) is not None:
                    keys.add(info.key.lower())
    fields: dict[Any, Any] = dict(option.field() for option in OPTIONS)
    fields[vol.Optional(CONF_DEVICES, default=[])] = SelectSelector(
        SelectSelectorConfig(
            options=devices, multiple=True, mode=SelectSelectorMode.DROPDOWN
        )
    )
    fields[vol.Optional(CONF_PARAMETERS, default=[])] = SelectSelector(
        SelectSelectorConfig(
            options=sorted(keys),
            multiple=True,
            mode=SelectSelectorMode.DROPDOWN,
            translation_key=PARAMETER_SELECTOR,
        )
    )
    return vol.Schema(fields)


def plan_placeholders(
    plan: RefreshPlan | None, budgets: tuple[int, int], devices: int
) -> dict[str, str]:
    """The current plan, for the form's description."""
    if plan is None:
        return dict.fromkeys(
            (
                "devices",
                "streams",
                "calls_per_refresh",
                "batches",
                "interval",
                "requested",
                "calls_per_day",
                "hour_budget",
                "day_budget",
            ),
            "-",
        )
    return {
        "devices": str(devices),
        "streams": str(plan.streams),
        "calls_per_refresh": str(plan.calls_per_refresh),
        "batches": str(plan.batches),
        "interval": str(round(plan.interval / 60)),
        "requested": str(round(plan.requested_interval / 60)),
        "calls_per_day": str(round(plan.calls_per_day)),
        "hour_budget": str(budgets[0]),
        "day_budget": str(budgets[1]),
    }
