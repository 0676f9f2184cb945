"""Whether Hotmart honours a repeated `transaction_status`: checked per account, kept in the state.

Without a status filter the sales endpoints return APPROVED and COMPLETE only, so every
sales-family request asks for every status by repeating `transaction_status`. That Hotmart
honours the repeated key rests on one source: a fork of an Airbyte connector sends all 17
statuses in one call, while the original made one call per status (hotmart-api-facts.md §2.6,
confidence M). Were only one value honoured, every sync would silently lose the other
statuses, refunds and chargebacks among them.

So the tap checks instead of assuming. The first read of several statuses of an account in a
run, unless the state holds a verdict younger than `RECHECK_AFTER`, first asks `sales/history`
for one window (`PROBE_DAYS` days ending a day before the sync end) with every status in one
request, then one request per status, each with `max_results=1` (only `total_results` is
read): 18 requests, sent through the account's client and so within its rate limit. If the
one request counted fewer sales than the 17 together, repeated values are not honoured: one
warning says so, and from then on every read of several statuses of that account is one read
per status (`one_status_at_a_time`, in `HotmartStream.iter_pages`, so that every
sales-family stream is covered). The verdict and its date are kept in the account's `sales`
partition (`account_state`, key `repeated_transaction_status`). A window that proves nothing
(sales in fewer than two statuses, no `total_results`) leaves no verdict: the statuses are
sent repeated, as documented, and the next run checks again.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tap_hotmart.account_state import account_partitions
from tap_hotmart.errors import QueryTimeoutError, RangeTooWideError
from tap_hotmart.settings import setting
from tap_hotmart.streams.statuses import TRANSACTION_STATUSES
from tap_hotmart.windows import Window, parse_iso

if TYPE_CHECKING:
    from tap_hotmart.client import HotmartStream
    from tap_hotmart.http import AccountClient, Params

STATE_KEY = "repeated_transaction_status"
STATUS_PARAM = "transaction_status"
PROBE_PATH = "/payments/api/v1/sales/history"
#: The probe window: as wide as the tap's widest dense window (`max_window_days`' default),
#: a range Hotmart answers to the tap anyway, and recent, so an active account has sales of
#: several statuses in it (new sales are APPROVED, unpaid boletos WAITING_PAYMENT, ...).
PROBE_DAYS = 90
#: The window ends this long before the sync end, so that no sale ordered during the probe's
#: 18 requests falls in it (one would make the statuses' sum exceed the single request's).
SETTLE = timedelta(days=1)
#: Hotmart changes its API without notice (its changelog records changes most months): a
#: month bounds how long a change goes unnoticed, for 18 requests a month per account. Time
#: is the tap's clock, the sync end (the run's start unless `end_date` is set), so that a
#: run's state depends on its settings and the data only.
RECHECK_AFTER = timedelta(days=30)

Pages = Iterator[tuple[Any, int | None]]


@dataclass(frozen=True)
class Verdict:
    """What one probe found: whether repeated values are honoured, when, and the evidence."""

    honoured: bool
    checked_at: datetime
    window: str  #: the probe window's label
    one_request: int  #: `total_results` of the request with every status
    by_status: int  #: the sum of the `total_results` of one request per status

    def to_state(self) -> dict[str, Any]:
        return {
            "honoured": self.honoured,
            "checked_at": self.checked_at.isoformat(),
            "window": self.window,
            "one_request": self.one_request,
            "by_status": self.by_status,
        }

    @classmethod
    def from_state(cls, stored: Any) -> Verdict | None:
        """The verdict kept in a partition, or None (none kept, or a state edited by hand)."""
        if not isinstance(stored, Mapping) or not isinstance(stored.get("honoured"), bool):
            return None
        try:
            return cls(
                honoured=stored["honoured"],
                checked_at=parse_iso(str(stored["checked_at"])),
                window=str(stored.get("window", "")),
                one_request=int(stored.get("one_request") or 0),
                by_status=int(stored.get("by_status") or 0),
            )
        except (KeyError, TypeError, ValueError):
            return None


def several_statuses(query: Params) -> list[str] | None:
    """The statuses a request's query repeats, if it names more than one."""
    statuses = query.get(STATUS_PARAM)
    if isinstance(statuses, (list, tuple)) and len(statuses) > 1:
        return [str(status) for status in statuses]
    return None


def one_status_at_a_time(
    read: Callable[[Params], Pages], params: Params, statuses: list[str]
) -> Pages:
    """The pages of one read per status, in the order of `statuses`, as if they were one read.

    The first page of every status is fetched before any page is yielded, so each page can
    carry the sum of their `total_results` (the window's size, for its planning and its
    progress lines), and a first page that times out or is refused as too wide
    (`may_time_out`) raises before anything was yielded, as for a single read. Those first
    pages are mostly small: few statuses fill a page in one window.
    """
    reads = [read({**params, STATUS_PARAM: [status]}) for status in statuses]
    firsts = [next(pages) for pages in reads]
    totals = [total for _, total in firsts]
    total = None if None in totals else sum(t for t in totals if t is not None)
    for first, pages in zip(firsts, reads, strict=True):
        for items, _ in itertools.chain([first], pages):
            yield items, total


class _AccountCheck:
    """One account's verdict in this run; its lock makes the account's threads probe once."""

    def __init__(self, stored: Verdict | None, now: datetime) -> None:
        self.lock = threading.Lock()
        recent = stored is not None and now - stored.checked_at < RECHECK_AFTER
        self.verdict = stored if recent else None
        self.settled = recent  # a recent verdict, or this run's probe done
        self.announced = False  # this run logged what the tap does about it
        self.probed = False  # the verdict is this run's (the state does not hold it yet)


class StatusChecks:
    """Every account's answer to: does Hotmart honour a repeated `transaction_status`?"""

    def __init__(self, tap_state: Mapping[str, Any]) -> None:
        self._partitions = account_partitions(tap_state)
        self._checks: dict[str, _AccountCheck] = {}
        self._lock = threading.Lock()

    def _check(self, account_id: str, now: datetime) -> _AccountCheck:
        with self._lock:
            if account_id not in self._checks:
                stored = Verdict.from_state((self._partitions.get(account_id) or {}).get(STATE_KEY))
                self._checks[account_id] = _AccountCheck(stored, now)
            return self._checks[account_id]

    def probed_state(self, account_id: str) -> dict[str, Any] | None:
        """This run's verdict for the account, as the state keeps it (None: not probed).

        The probe runs in whichever thread first reads several statuses, maybe while the
        state is being written out; the emitting thread saves it
        (`TapHotmart.save_account_facts`).
        """
        with self._lock:
            check = self._checks.get(account_id)
        if check is None:
            return None
        with check.lock:
            probed = check.verdict if check.probed else None
        return probed.to_state() if probed is not None else None

    def honoured(self, stream: HotmartStream, client: AccountClient) -> bool:
        """Whether the account's requests may repeat `transaction_status` (probing if unknown).

        The account's other threads wait for the probe: none of its requests runs meanwhile.
        """
        account_id = client.account.account_id
        check = self._check(account_id, stream.hotmart_tap.sync_end)
        with check.lock:
            if not check.settled:
                check.settled = check.announced = True  # the probe logs what it found
                check.verdict = _probe(stream, client)
                check.probed = check.verdict is not None
            elif not check.announced:
                check.announced = True
                if check.verdict is not None and not check.verdict.honoured:
                    stream.logger.info(
                        "[%s]: reading one status at a time: Hotmart did not honour a status "
                        "filter of several values when checked on %s (checked again after %d "
                        "days)",
                        account_id,
                        f"{check.verdict.checked_at:%Y-%m-%d}",
                        RECHECK_AFTER.days,
                    )
            verdict = check.verdict
        return verdict is None or verdict.honoured


def _probe(stream: HotmartStream, client: AccountClient) -> Verdict | None:
    """Measure, log and keep the verdict of one account (None: the window proved nothing).

    A window whose query times out, or that Hotmart refuses as too wide, is tried again half
    as wide: the probe never fails a run that its reads would not fail.
    """
    tap = stream.hotmart_tap
    account_id = client.account.account_id
    end = tap.sync_end - SETTLE
    days = min(float(PROBE_DAYS), tap.range_limits(account_id).ceiling(PROBE_PATH))
    while True:
        window = Window(max(tap.start_date, end - timedelta(days=days)), end)
        if window.start >= window.end:
            found: Verdict | str = "the history before the sync end is shorter than a day"
            break
        try:
            found = _measure(stream, client, window)
            break
        except (QueryTimeoutError, RangeTooWideError) as exc:
            if days <= 1:
                found = f"even one day of it failed ({exc})"
                break
            days = max(1.0, days / 2)
    if isinstance(found, str):
        stream.logger.info(
            "[%s]: could not check whether Hotmart honours a status filter of several values: "
            "%s; sending several, as documented, and checking again next run",
            account_id,
            found,
        )
        return None
    if found.honoured:
        stream.logger.info(
            "[%s]: Hotmart honours a status filter of several values (sales/history %s: %d "
            "sales in one request, %d status by status); checked again after %d days",
            account_id, found.window, found.one_request, found.by_status, RECHECK_AFTER.days,
        )  # fmt: skip
    else:
        stream.logger.warning(
            "[%s]: Hotmart does not honour a status filter of several values (sales/history "
            "%s: %d sales with every status in one request, %d asked one status at a time); "
            "reading this account one status at a time, checked again after %d days",
            account_id, found.window, found.one_request, found.by_status, RECHECK_AFTER.days,
        )  # fmt: skip
    return found


def _measure(stream: HotmartStream, client: AccountClient, window: Window) -> Verdict | str:
    """Compare the window's one-request total with its status-by-status sum.

    Where the account's budget has room for them all, the requests go `concurrency` at
    once: one after the other they take 3 s at 150 ms a round trip, at the start of the
    run, and under a sliding minute the time the first minute's requests take comes back
    at the end of the run (benchmarks/README.md, section 2). Where the server's budget is
    stricter than the tap's own window, they wait for that budget anyway, so they go one
    after the other (sent at once there, the benchmark of section 10 met 429s).
    """
    queries = [list(TRANSACTION_STATUSES), *([status] for status in TRANSACTION_STATUSES)]
    at_once = int(setting(stream.config, "concurrency"))
    if at_once > 1 and client.limiter.has_room(len(queries)):
        with ThreadPoolExecutor(at_once) as pool:
            totals = list(pool.map(lambda query: _total(stream, client, window, query), queries))
    else:
        totals = [_total(stream, client, window, query) for query in queries]
    one_request, *each = totals
    if one_request is None or None in each:
        return f"sales/history {window.label()} answered without total_results"
    counts = [n for n in each if n is not None]
    by_status = sum(counts)
    # Fewer in one request: some values were ignored. As many or more (a sale may change
    # status between the requests) proves they were all honoured only if two statuses or
    # more have sales: with one, that status alone may have been honoured.
    if one_request >= by_status and sum(1 for n in counts if n) < 2:
        return f"sales/history {window.label()} has sales in fewer than two statuses"
    return Verdict(
        honoured=one_request >= by_status,
        checked_at=stream.hotmart_tap.sync_end,
        window=window.label(),
        one_request=one_request,
        by_status=by_status,
    )


def _total(
    stream: HotmartStream, client: AccountClient, window: Window, statuses: list[str]
) -> int | None:
    """The `total_results` of one `max_results=1` request for `statuses` over `window`."""
    params: Params = {
        "max_results": 1,
        "start_date": window.start_ms,
        "end_date": window.last_ms,
        STATUS_PARAM: statuses,
    }
    _, body = stream._get_first_page(client, PROBE_PATH, params, lazy_items=True)
    page_info = body.get("page_info") if isinstance(body, dict) else None
    total = page_info.get("total_results") if isinstance(page_info, dict) else None
    return total if isinstance(total, int) else None
