"""Plain-text tables for the terminal, CSV and JSON (no dependency: the demo runs on a bare
venv)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date
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


def fmt_rate(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def cell(value: object, kind: str) -> str:
    """A value as the table prints it: ``kind`` is ``int``, ``money``, ``rate``, ``date`` or
    ``text``; a missing value is ``-``."""
    if value is None:
        return "-"
    if kind == "int":
        return fmt_int(value)  # type: ignore[arg-type]
    if kind == "money":
        return fmt_money(value)  # type: ignore[arg-type]
    if kind == "rate":
        return fmt_rate(value)  # type: ignore[arg-type]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def machine(value: object) -> object:
    """A value for CSV and JSON: integers as they are, decimals as exact strings (never a
    float, never a thousands separator) without trailing zeros, so that the same amount
    prints the same from every engine (DuckDB holds 297 as 297.000000, PostgreSQL as 297.0),
    dates ISO, a missing value None."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(names: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header row, then one line per row; a missing value is an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([machine(value) for value in row] for row in rows)
    return out.getvalue().rstrip("\n")


def to_json(names: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A list of objects, one per row, keyed by ``names``."""
    objects = [dict(zip(names, (machine(value) for value in row), strict=True)) for row in rows]
    return json.dumps(objects, indent=2, ensure_ascii=False)
