"""Plain-text tables for the terminal (no dependency: the demo runs on a bare venv)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def fmt_int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def fmt_money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] | None = None
) -> str:
    """Render ``rows`` under ``headers``; ``align`` is a string of ``l``/``r`` per column."""
    align = align or "l" * len(headers)
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(w) if a == "r" else cell.ljust(w)
            for cell, w, a in zip(cells, widths, align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
