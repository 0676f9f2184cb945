"""A dispute won by the seller (PROTESTED → COMPLETE) months after the order is not missed.

No refund-status filter returns a sale back in COMPLETE, and the lookback is long past,
so the `sales` stream keeps the disputes it saw in its state and reads by code those that
left the refund statuses.
"""

from __future__ import annotations

from pathlib import Path

from hotmart_emulator import EmulatorServer
from tap_hotmart.tap import TapHotmart
from tests.support.singer import TapRun, run_tap
from tests.tap.test_sync import _old_settled_sale, emulator_now, tap_config

ACCOUNT = "acct-1"


def _open_disputes(run: TapRun) -> list[str]:
    (partition,) = run.state["bookmarks"]["sales"]["partitions"]
    return partition["open_disputes"]


def _truth(emu: EmulatorServer) -> dict[tuple[str, str], dict]:
    return {
        (ACCOUNT, item["purchase"]["transaction"]): item
        for item in emu.ground_truth(ACCOUNT, "sales")
    }


def _status(run: TapRun, transaction: str) -> str | None:
    statuses = [r["status"] for r in run.records["sales"] if r["transaction"] == transaction]
    return statuses[-1] if statuses else None


def test_a_dispute_resolved_long_after_the_order_reaches_the_sales_table(tmp_path: Path) -> None:
    with EmulatorServer(seed=31, accounts=1, sales=1500, rate_limit=100_000) as emu:
        config = {"requests_per_minute": 100_000}
        full = run_tap(tmp_path, tap_config(emu, **config), name="full")
        assert full.returncode == 0, full.stderr[-3000:]

        sales = _truth(emu)
        won = _old_settled_sale(sales, ACCOUNT, emulator_now(emu), 150)
        lost = _old_settled_sale(sales, ACCOUNT, emulator_now(emu), 250)
        emu.inject(ACCOUNT, won, "PROTESTED")
        emu.inject(ACCOUNT, lost, "PROTESTED")
        emu.advance(days=1)
        disputed = run_tap(tmp_path, tap_config(emu, **config), state=full.state, name="disputed")
        assert disputed.returncode == 0, disputed.stderr[-3000:]
        assert _status(disputed, won) == _status(disputed, lost) == "PROTESTED"
        assert {won, lost} <= set(_open_disputes(disputed))

        emu.inject(ACCOUNT, won, "COMPLETE")  # the seller won the dispute
        emu.inject(ACCOUNT, lost, "CHARGEBACK")  # the buyer won the other one
        emu.advance(days=1)
        emu.reset_stats()
        resolved = run_tap(
            tmp_path, tap_config(emu, **config), state=disputed.state, name="resolved"
        )
        assert resolved.returncode == 0, resolved.stderr[-3000:]
        truth = {key[1]: item["purchase"]["status"] for key, item in _truth(emu).items()}

    assert "1 dispute(s) left the refund statuses" in resolved.stderr
    assert _status(resolved, won) == truth[won] == "COMPLETE"
    assert _status(resolved, lost) == truth[lost] == "CHARGEBACK"  # found by the sweep
    assert won not in _open_disputes(resolved) and lost not in _open_disputes(resolved)
    # Every sale's latest status over the three runs equals the source.
    latest: dict[str, str] = {}
    for run in (full, disputed, resolved):
        latest.update({r["transaction"]: r["status"] for r in run.records["sales"]})
    assert latest == truth


def test_open_disputes_are_kept_until_a_run_reads_everything(tmp_path: Path) -> None:
    """A run that dies before its end must not forget the disputes it was watching."""
    with EmulatorServer(seed=32, accounts=1, sales=800, rate_limit=100_000) as emu:
        config = tap_config(emu, requests_per_minute=100_000)
        full = run_tap(tmp_path, config, name="full")
        assert full.returncode == 0, full.stderr[-3000:]
    state = full.state
    (partition,) = state["bookmarks"]["sales"]["partitions"]
    partition["open_disputes"] = ["HP00000000000000"]  # watched, unknown to this emulator
    with EmulatorServer(seed=32, accounts=1, sales=800, rate_limit=100_000) as emu:
        again = run_tap(tmp_path, tap_config(emu, requests_per_minute=100_000), state=state)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "1 dispute(s) left the refund statuses" in again.stderr
    assert "HP00000000000000" not in _open_disputes(again)  # read once: gone from the source


def test_the_refunds_row_of_a_won_dispute_gets_the_sales_current_status(tmp_path: Path) -> None:
    """`refunds` is a full table without ACTIVATE_VERSION: a row it stops emitting would
    stay PROTESTED in the warehouse forever; the dispute is read by code and emitted with
    its current status instead (once per run, for `sales` and `refunds` both)."""
    with EmulatorServer(seed=33, accounts=1, sales=1500, rate_limit=100_000) as emu:
        config = {"requests_per_minute": 100_000}
        full = run_tap(tmp_path, tap_config(emu, **config), name="full")
        assert full.returncode == 0, full.stderr[-3000:]
        won = _old_settled_sale(_truth(emu), ACCOUNT, emulator_now(emu), 200)
        emu.inject(ACCOUNT, won, "PROTESTED")
        emu.advance(days=1)
        disputed = run_tap(tmp_path, tap_config(emu, **config), state=full.state, name="disputed")
        assert disputed.returncode == 0, disputed.stderr[-3000:]
        (refunds_partition,) = disputed.state["bookmarks"]["refunds"]["partitions"]
        assert won in refunds_partition["open_disputes"]

        emu.inject(ACCOUNT, won, "COMPLETE")  # the seller won the dispute
        emu.advance(days=1)
        resolved = run_tap(
            tmp_path, tap_config(emu, **config), state=disputed.state, name="resolved"
        )
        assert resolved.returncode == 0, resolved.stderr[-3000:]
        truth = {key[1]: item["purchase"]["status"] for key, item in _truth(emu).items()}

    assert f"refunds [{ACCOUNT}]: 1 dispute(s) left the refund statuses" in resolved.stderr
    refunds_status = {r["transaction"]: r["status"] for r in resolved.records["refunds"]}
    assert refunds_status[won] == truth[won] == "COMPLETE"
    # The rows a warehouse upserts from the three runs: none holds a status the sale lost.
    table: dict[str, str] = {}
    for run in (full, disputed, resolved):
        table.update({r["transaction"]: r["status"] for r in run.records["refunds"]})
    assert {code: truth[code] for code in table} == table
    (refunds_partition,) = resolved.state["bookmarks"]["refunds"]["partitions"]
    assert won not in refunds_partition["open_disputes"]


def test_a_read_by_code_is_one_request_whatever_the_status_even_one_status_at_a_time() -> None:
    """On an account whose Hotmart honours only one `transaction_status` value, a read of
    several statuses costs one request per status; a read by code sends none (with a code,
    Hotmart applies no default filter: facts §4.1, H), so it stays one request."""
    with EmulatorServer(
        seed=31, accounts=1, sales=300, rate_limit=100_000, status_filter="first"
    ) as emu:
        tap = TapHotmart(config=tap_config(emu, requests_per_minute=100_000),
                         parse_env_config=False)  # fmt: skip
        sales = emu.ground_truth(ACCOUNT, "sales")
        complete = next(i for i in sales if i["purchase"]["status"] == "COMPLETE")
        emu.reset_stats()
        # `refunds` asks for the refund statuses only; its read by code finds COMPLETE
        items = tap.streams["refunds"]._read_one(
            {"account_id": ACCOUNT}, complete["purchase"]["transaction"]
        )
        requests_sent = emu.stats()["requests"]
    assert [item["purchase"]["status"] for item in items] == ["COMPLETE"]
    assert requests_sent["GET /payments/api/v1/sales/history"] == 1, requests_sent
