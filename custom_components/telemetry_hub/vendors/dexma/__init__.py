"""DEXMA Energy Manager (building portfolios' meters): the Home Assistant side.

`descriptor` plugs the vendor into the generic integration (token check,
options with the quota budget), `coordinator` runs the HA-free sync engine
(`api/dexma/sync.py`) tick by tick within a share of the token's quotas,
`entities` says what Home Assistant shows of a DEXMA device and of the
account, and `history` turns counter readings into long-term statistics.
"""

from .descriptor import DexmaVendor

DESCRIPTOR = DexmaVendor()
