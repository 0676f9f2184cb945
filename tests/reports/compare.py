"""What the report tests share: a query on the marts, and a readable diff of two mappings."""

from __future__ import annotations


def query(pipeline, sql: str) -> list[tuple]:
    """Rows of ``sql`` in the reports fixture's warehouse."""
    with pipeline.connect() as conn:
        return conn.execute(sql).fetchall()


def diff(expected: dict, actual: dict, limit: int = 15) -> str:
    """The keys whose values differ, ``limit`` of them, for an assertion message."""
    keys = sorted(set(expected) | set(actual), key=str)
    lines = [
        f"{k}: expected {expected.get(k)}, mart {actual.get(k)}"
        for k in keys
        if expected.get(k) != actual.get(k)
    ]
    return "\n".join(lines[:limit]) + (
        f"\n... {len(lines) - limit} more" if len(lines) > limit else ""
    )
