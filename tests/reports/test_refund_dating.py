"""Refunds are dated by the best evidence available, and the basis is labelled.

Between two syncs the emulator refunds two sales that the first sync saw COMPLETE: a
one-time sale (Hotmart gives no refund date: the snapshot's first observation bounds it)
and a subscription renewal (subscription_transactions carries refund_chargeback_date).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

pytestmark = pytest.mark.e2e


def _refund(pipeline, transaction: str) -> tuple:
    with pipeline.connect() as conn:
        row = conn.execute(
            f"""
            select status, refund_date_basis, refund_event_at
            from hotmart_rerun.hotmart__orders
            where account_id = 'acct-1' and transaction_id = {pipeline.placeholder}
        """,
            (transaction,),
        ).fetchone()
    assert row is not None, f"{transaction} missing from the second build"
    return row


def test_one_time_refund_is_dated_by_first_observation(pipeline) -> None:
    status, basis, refunded_at = _refund(pipeline, pipeline.refunded["one_time"])
    assert (status, basis) == ("REFUNDED", "first_observed")
    # observed by the second sync's snapshot, i.e. after that sync started
    assert refunded_at.timestamp() >= pipeline.reload_started_at - 1


def test_subscription_refund_is_dated_by_hotmart(pipeline) -> None:
    status, basis, refunded_at = _refund(pipeline, pipeline.refunded["renewal"])
    assert (status, basis) == ("REFUNDED", "event_date")
    expected = datetime.fromtimestamp(pipeline.refunded_at_ms / 1000, tz=timezone.utc)
    assert refunded_at == expected


def test_refunds_already_there_at_the_first_load_fall_back_to_order_date(pipeline) -> None:
    with pipeline.connect() as conn:
        bases = dict(
            conn.execute("""
            select refund_date_basis, count(*) from hotmart.hotmart__orders
            where refund_date_basis is not null group by 1
        """).fetchall()
        )
    # one-time refunds seen at the first load have no better date than the order
    assert bases.get("order_date", 0) > 0
    # recurrences refunded before the first load still carry Hotmart's own date
    assert bases.get("event_date", 0) > 0
    assert "first_observed" not in bases
