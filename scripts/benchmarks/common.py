"""Shared helpers of the benchmark: Markdown tables, number formats, sizes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
import sys

type Cell = str | int | float | None


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], align: str) -> str:
    """A Markdown table; `align` has one letter per column (l or r)."""
    marks = {"l": "---", "r": "---:"}
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(marks[a] for a in align) + "|",
    ]
    lines.extend(
        "| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |"
        for row in rows
    )
    return "\n".join(lines)


def where_and_when() -> str:
    """The date, platform and Python version a table was measured with."""
    return (
        f"{datetime.now(UTC).date().isoformat()}, {sys.platform}, "
        f"Python {sys.version.split()[0]}"
    )


def seconds(value: float) -> str:
    """A duration for a table: ms below a second, s below 10 min, else min."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 600:  # noqa: PLR2004 - ten minutes
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def minutes(value: float) -> str:
    """A simulated duration in minutes or hours."""
    if value < 3 * 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def sizes(text: str) -> list[int]:
    """A comma-separated list of sizes."""
    return [int(part) for part in text.split(",") if part.strip()]


def verdict(ok: bool) -> str:  # noqa: FBT001 - a table cell
    """A goal's mark in a table."""
    return "met" if ok else "**not met**"
