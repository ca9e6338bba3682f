"""The vendors of Telemetry Hub, found by their folders.

Each sub-package is one vendor and exposes its `VendorDescriptor` as
`DESCRIPTOR`; a new vendor is a new folder here (plus its client under
`api/`), nothing else to register. Home Assistant imports the integration
in an executor, so looking the folders up at import time blocks no loop.
"""

from __future__ import annotations

from collections.abc import Mapping
import importlib
import pkgutil
from typing import Any

from ..const import CONF_VENDOR
from ..vendor import VendorDescriptor


def _discover() -> dict[str, VendorDescriptor]:
    found: dict[str, VendorDescriptor] = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            continue
        descriptor = importlib.import_module(f"{__name__}.{module.name}").DESCRIPTOR
        if not isinstance(descriptor, VendorDescriptor):  # pragma: no cover
            msg = f"vendors/{module.name} exposes no VendorDescriptor"
            raise TypeError(msg)
        found[descriptor.key] = descriptor
    return dict(sorted(found.items(), key=lambda item: item[1].order))


VENDORS: Mapping[str, VendorDescriptor] = _discover()


def vendor_of(entry_data: Mapping[str, Any]) -> VendorDescriptor:
    """The vendor that serves a config entry (by its `vendor` data)."""
    return VENDORS[entry_data[CONF_VENDOR]]
