"""Learning a limit below `requests_per_minute` without 429s (issue #17), against the emulator.

The emulator allows 20 requests per 10-second window per account; the tap keeps its default
500 a minute, so all it knows of the limit is what the answers say. Two accounts, 1,500
days of history, `sales` and `sale_commissions`: the limit holds the run for several
windows (about 30 s of its 35). Then a second run starts
while the first one's last requests still fill the last account's budget: its first
contact may be refused, nothing after it.

Before the fix the first run was answered 429 several times per account, by the requests
already in flight when each window's budget ran out.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hotmart_emulator import EmulatorServer
from tests.support.singer import TapRun, run_tap, selected_catalog

LIMIT = 20
WINDOW_S = 10.0
ACCOUNTS = ("acct-1", "acct-2")
STREAMS = {"sales", "sale_commissions"}


class Timeline:
    """Every request the emulator answered: (seconds since start, account, request, outcome)."""

    def __init__(self, emu: EmulatorServer) -> None:
        self.entries: list[tuple[float, str | None, str, int | str]] = []
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        record: Callable[[str, int | str, str | None], None] = emu.core.stats.record

        def recording(request: str, outcome: int | str, account: str | None) -> None:
            with self._lock:
                self.entries.append((time.perf_counter() - self._start, account, request, outcome))
            record(request, outcome, account)

        emu.core.stats.record = recording  # type: ignore[method-assign]

    def mark(self) -> int:
        with self._lock:
            return len(self.entries)

    def outcomes(self, account: str, since: int = 0, until: int | None = None) -> list[int | str]:
        with self._lock:
            return [o for _, a, _, o in self.entries[since:until] if a == account]

    def accepted(self, until: int) -> list[tuple[float, str]]:
        """When each request the emulator accepted arrived, and for which account."""
        with self._lock:
            entries = self.entries[:until]
        return [(at, a) for at, a, _, o in entries if o == 200 and a is not None]


def fastest(accounts: list[str]) -> float:
    """The least time these requests (of these accounts, in this order) take at the limit.

    Each goes as soon as the one before it did and its account's window has room: the
    tap reads one account at a time, and an account's budget carries over from one of
    its streams to the next.
    """
    sent: dict[str, list[float]] = defaultdict(list)
    at = 0.0
    for account in accounts:
        times = sent[account]
        if len(times) >= LIMIT:
            at = max(at, times[-LIMIT] + WINDOW_S)
        times.append(at)
    return at


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(
        seed=17, accounts=2, sales=300, history_days=1500, rate_limit=LIMIT, rate_window_s=WINDOW_S
    ) as emu:
        yield emu


def run(emu: EmulatorServer, folder: Path, *, accounts: tuple[str, ...], state: dict | None
        ) -> TapRun:  # fmt: skip
    """The tap as a user runs it (its own process), on the emulator at its default limit."""
    config = emu.tap_config()
    config["accounts"] = [a for a in config["accounts"] if a["account_id"] in accounts]
    end = datetime.fromtimestamp(emu.now_ms / 1000, tz=timezone.utc) + timedelta(days=1)
    config["end_date"] = end.isoformat()
    catalog = selected_catalog(config, STREAMS)
    return run_tap(folder, config, state, catalog=catalog, timeout=180)


@dataclass
class FirstRun:
    """The run of both accounts: its output, the emulator's timeline, its wall time."""

    output: TapRun
    timeline: Timeline
    seconds: float
    #: Where the run's requests end in the timeline.
    end: int


@pytest.fixture(scope="module")
def first_run(emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    timeline = Timeline(emulator)
    started = time.perf_counter()
    done = run(emulator, tmp_path_factory.mktemp("first"), accounts=ACCOUNTS, state=None)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return FirstRun(done, timeline, seconds, timeline.mark())


def test_no_429_while_the_limit_is_learnt_and_kept(first_run: FirstRun) -> None:
    for account in ACCOUNTS:
        outcomes = first_run.timeline.outcomes(account, until=first_run.end)
        assert 429 not in outcomes, f"{account}: {outcomes}"


def test_every_record_is_read(first_run: FirstRun, emulator: EmulatorServer) -> None:
    done = first_run.output
    read = {(r["account_id"], r["transaction"]) for r in done.records["sales"]}
    truth = {(a, i["purchase"]["transaction"]) for a in ACCOUNTS
             for i in emulator.ground_truth(a, "sales")}  # fmt: skip
    assert read == truth
    read = {(r["account_id"], r["transaction"]) for r in done.records["sale_commissions"]}
    truth = {(a, i["transaction"]) for a in ACCOUNTS
             for i in emulator.ground_truth(a, "sale_commissions")}  # fmt: skip
    assert read == truth


def test_the_run_stays_at_the_bound(first_run: FirstRun) -> None:
    """From its first request to its last, the run takes about the least time its requests
    can take at the limit (a generous check: the emulator's resets are whole seconds)."""
    accepted = first_run.timeline.accepted(first_run.end)
    bound = fastest([account for _, account in accepted])
    assert bound >= 2 * WINDOW_S, f"the limit held the run for {bound} s only: it proves little"
    busy = accepted[-1][0] - accepted[0][0]
    assert busy <= 1.25 * bound + 2, (busy, bound)
    assert first_run.seconds <= 1.25 * bound + 15, (first_run.seconds, bound)


def test_a_run_meeting_a_spent_budget_is_refused_once_at_most(
    first_run: FirstRun, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The first run's last requests (of acct-2) still fill its budget: the next run's first
    answer says so, perhaps with a 429; it then waits, and is refused nothing else."""
    since = first_run.timeline.mark()
    again = run(emulator, tmp_path, accounts=("acct-2",), state=first_run.output.state)
    assert again.returncode == 0, again.stderr[-3000:]
    outcomes = first_run.timeline.outcomes("acct-2", since)
    assert len(outcomes) >= 3, outcomes
    assert 429 not in outcomes[1:], outcomes
