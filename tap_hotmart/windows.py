"""Date windows: the unit of progress and of resumption of date-filtered streams.

Hotmart's date filters take epoch milliseconds and are inclusive at both ends, and wide
ranges are slow (a query over 30 s fails with 502), so history is read in consecutive
windows that never overlap: [start, next_start - 1 ms].

Every window costs about half a page more than its records need (its last page is
partial), so windows of a sparse history should be wide and those of a dense one need not
be: `WindowPlanner` sizes each window from the density of the windows already read.
Hotmart also refuses too wide ranges (a 400): what it accepted caps the windows
(`range_limits`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
#: First windows of the whole-history re-reads of few records (refund statuses,
#: subscriptions): about a year, which a public probe saw `sales/history` accept (M).
SPARSE_WINDOW_DAYS = 360
#: Tail windows are cut only while each may hold 1/_TAIL_SHARE of the target records at
#: the density last seen (which trails a growing history's by `parallel` windows).
_TAIL_SHARE = 8
#: A window's end this close to the span's is the span's (equal parts of a span in float
#: days end a few microseconds apart from it).
_ROUNDING = timedelta(seconds=1)
#: No window is planned wider than this (100 years), whatever the ceiling.
_WIDEST_DAYS = 36_500.0


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


class WindowPlanner:
    """Cuts [start, end) into consecutive windows, each sized from the density seen so far.

    A window aims at `target_records` (many pages, so its partial last page is a small
    share) and stays between one day and `max_days`, the widest range trusted not to time
    out, and `ceiling()`, the widest Hotmart is known (or may be tried) to accept. Until a
    density is known windows are `first_days` long. The caller reports what each window
    held (`observe`) in window order, so the cut depends only on the data, the settings
    and the state, never on thread timing.

    With `parallel` windows read at once, the rest of the span is cut into `parallel`
    equal windows once it would fit in fewer (`_tail_days`), where each may hold an eighth
    of the target or more (`_TAIL_SHARE`). A window's pages come one after the other, and
    each window is sized from the density `parallel` windows earlier (lower, in a growing
    history), so a stream's last few windows used to leave most workers idle while the
    budget had room: at `concurrency` 16 the last minute of a 200,000-sale run went to 7
    windows of 32 - 42 pages (benchmarks/README.md, section 2).
    """

    def __init__(
        self,
        start: datetime,
        end: datetime,
        *,
        first_days: int,
        max_days: float,
        target_records: int,
        ceiling: Callable[[], float] | None = None,
        parallel: int = 1,
    ) -> None:
        self.start = start
        self.end = end
        self.max_days = max(1.0, float(max_days))
        self.target_records = target_records
        self._ceiling = ceiling
        self._cursor = start
        self._days = min(float(first_days), self.widest())
        self._seen_records = 0
        self._seen_days = 0.0
        self._parallel = max(1, parallel)
        #: The width of every window left, once the rest of the span is cut for the tail.
        self._tail_days: float | None = None

    def widest(self) -> float:
        """The widest window that may be planned now, in days."""
        ceiling = self._ceiling() if self._ceiling is not None else math.inf
        return max(1.0, min(self.max_days, ceiling, _WIDEST_DAYS))

    def next_window(self) -> Window | None:
        """The next window, or None once the span is covered."""
        if self.exhausted():
            return None
        days = min(self._tail_days or self._days, self.widest())
        end = self._cursor + timedelta(days=days)
        if self.end - end < _ROUNDING:
            end = self.end  # the tail's equal parts: no sliver left by rounding them
        window = Window(self._cursor, min(end, self.end))
        self._cursor = window.end
        return window

    def exhausted(self) -> bool:
        """Whether every window of the span is planned."""
        return self._cursor >= self.end

    def observe(self, span: Window, records: int) -> None:
        """Size the windows still to come from what `span` held."""
        days = (span.end - span.start) / timedelta(days=1)
        if days <= 0:
            return
        self._seen_records += max(0, records)
        self._seen_days += days
        widest = self.widest()
        if records <= 0:
            self._days = widest
            return
        wanted = self.target_records * days / records
        self._days = float(min(widest, max(1, int(min(wanted, widest)))))
        if self._tail_days is None:
            self._cut_tail(records / days)

    def _cut_tail(self, per_day: float) -> None:
        """Cut the rest of the span into `parallel` equal windows if it would fit in fewer
        windows of the planned width and holds enough records for them all."""
        left_days = (self.end - self._cursor) / timedelta(days=1)
        enough = per_day * left_days >= self._parallel * self.target_records / _TAIL_SHARE
        if enough and self._parallel > math.ceil(left_days / self._days):
            self._tail_days = max(1.0, left_days / self._parallel)

    def density(self) -> float | None:
        """Records per day over the spans observed so far (None before the first)."""
        return self._seen_records / self._seen_days if self._seen_days else None

    def narrow(self, max_days: float) -> None:
        """Never plan windows wider than `max_days` again (Hotmart timed one out)."""
        self.max_days = float(max(1, int(max_days)))
        self._days = min(self._days, self.max_days)

    def covered(self, moment: datetime) -> float:
        """Share of the span before `moment`, from 0 to 1."""
        total = (self.end - self.start).total_seconds()
        return 1.0 if total <= 0 else min(1.0, (moment - self.start).total_seconds() / total)


def halves(window: Window) -> tuple[Window, Window]:
    """`window` cut in two at its middle (whole milliseconds)."""
    middle = from_ms((window.start_ms + window.last_ms + 1) // 2)
    return Window(window.start, middle), Window(middle, window.end)


def sent_window(start_ms: int, last_ms: int) -> Window:
    """The window a request asked for with these inclusive millisecond bounds."""
    return Window(from_ms(start_ms), from_ms(last_ms + 1))


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def from_ms(value: float) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def ms_to_iso(value: object) -> str | None:
    """Hotmart epoch milliseconds → ISO-8601 UTC; anything that is not a number → None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return from_ms(value).isoformat()


def parse_iso(value: str) -> datetime:
    """An ISO-8601 date-time from the state; one without a zone is UTC."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
