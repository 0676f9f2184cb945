"""Date windows: the unit of progress and of resumption of date-filtered streams.

Hotmart's date filters take epoch milliseconds and are inclusive at both ends, and wide
ranges are slow (a query over 30 s fails with 502), so history is read in consecutive
windows that never overlap: [start, next_start - 1 ms].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


@dataclass(frozen=True)
class Window:
    """A half-open span of time [start, end) sent to Hotmart as inclusive milliseconds."""

    start: datetime
    end: datetime

    @property
    def start_ms(self) -> int:
        return to_ms(self.start)

    @property
    def last_ms(self) -> int:
        """The inclusive upper bound Hotmart expects."""
        return to_ms(self.end) - 1

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d}..{self.end - timedelta(milliseconds=1):%Y-%m-%d}"


def split(start: datetime, end: datetime, days: int) -> list[Window]:
    """Cut [start, end) into consecutive windows of at most `days` days."""
    windows: list[Window] = []
    step = timedelta(days=days)
    cursor = start
    while cursor < end:
        nxt = min(cursor + step, end)
        windows.append(Window(cursor, nxt))
        cursor = nxt
    return windows


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def ms_to_iso(value: object) -> str | None:
    """Hotmart epoch milliseconds → ISO-8601 UTC; anything that is not a number → None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat()
