"""The optional conversion to one reporting currency (vars hotmart_reporting_currency and
hotmart_exchange_rates) uses the latest rate on or before the approval date, leaves the
reporting currency as it is, and shows a missing rate as null, never as zero."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.e2e


def test_amounts_convert_with_the_rate_of_their_day(pipeline) -> None:
    with pipeline.connect() as conn:
        rows = conn.execute("""
            select currency_code, approved_date, gross_amount, gross_amount_reporting,
                   reporting_currency_code
            from hotmart_rerun.hotmart__orders
            where is_approved
        """).fetchall()
    checked = {"BRL": 0, "USD": 0, "ARS": 0}
    for currency, approved, gross, converted, reporting in rows:
        assert reporting == "BRL"
        if currency == "BRL":
            assert converted == gross
        elif currency == "USD":
            rate = Decimal("5.5") if approved.isoformat() >= "2026-06-01" else Decimal("5.2632")
            assert converted == gross * rate
        elif currency == "ARS":
            assert converted is None
        else:
            continue
        checked[currency] += 1
    assert all(checked.values()), checked


def test_without_configuration_reporting_columns_are_null(pipeline) -> None:
    with pipeline.connect() as conn:
        (converted,) = conn.execute("""
            select count(*) from hotmart.hotmart__orders
            where gross_amount_reporting is not null or reporting_currency_code is not null
        """).fetchone()
    assert converted == 0
