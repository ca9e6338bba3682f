"""Make the repository root importable for the simulator tests."""

from __future__ import annotations

from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) too
    sys.path.insert(0, str(ROOT))
