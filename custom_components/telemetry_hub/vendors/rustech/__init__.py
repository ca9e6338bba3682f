"""RusTech gas-telemetry server: the Home Assistant side of the vendor.

`descriptor` plugs the vendor into the generic integration, `coordinator`
polls an account through the HA-free sync engine (`api/rustech/`), and
`entities` says what Home Assistant shows of a metering station.
"""

from .descriptor import RusTechVendor

DESCRIPTOR = RusTechVendor()
