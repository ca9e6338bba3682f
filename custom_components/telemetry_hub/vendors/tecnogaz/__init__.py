"""Tecno-Gaz DISTRO API (steam sterilizers): the Home Assistant side.

`descriptor` plugs the vendor into the generic integration, `coordinator`
polls a contract through the HA-free sync engine (`api/tecnogaz/`),
`entities` says what Home Assistant shows of a sterilizer, and `actions`
serves the `get_cycle_report` action.
"""

from .descriptor import TecnoGazVendor

DESCRIPTOR = TecnoGazVendor()
