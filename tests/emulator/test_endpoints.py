"""Every endpoint's shape, the filters and the traps."""

from __future__ import annotations

import re
import time

from hotmart_emulator import EmulatorServer

from .conftest import SALES, Client, all_status_params

DAY = 86_400_000


def _keys(obj: dict, *names: str) -> None:
    missing = [n for n in names if n not in obj]
    assert not missing, (missing, obj)


def test_sales_history_shape(client: Client) -> None:
    item = client.get(SALES).json()["items"][0]
    _keys(item, "product", "buyer", "producer", "purchase")
    _keys(item["product"], "id", "name")
    _keys(item["buyer"], "name", "ucode", "email")
    p = item["purchase"]
    _keys(
        p,
        "transaction",
        "order_date",
        "approved_date",
        "status",
        "is_subscription",
        "commission_as",
        "price",
        "payment",
        "tracking",
        "warranty_expire_date",
        "offer",
        "hotmart_fee",
    )
    assert re.fullmatch(r"HP\d{14}", p["transaction"])
    assert isinstance(p["order_date"], int) and p["order_date"] > 1_600_000_000_000
    _keys(p["price"], "value", "currency_code")
    _keys(p["payment"], "method", "installments_number", "type")
    _keys(p["tracking"], "source_sck", "source", "external_code")
    _keys(p["hotmart_fee"], "total", "fixed", "currency_code", "base", "percentage")


def test_sales_family_shapes(client: Client) -> None:
    u = client.get("/payments/api/v1/sales/users").json()["items"][0]
    _keys(u, "transaction", "product", "users")
    roles = {x["role"] for x in u["users"]}
    assert {"PRODUCER", "BUYER"} <= roles
    _keys(u["users"][1]["user"], "ucode", "locale", "name", "email", "documents", "address")
    c = client.get("/payments/api/v1/sales/commissions").json()["items"][0]
    _keys(c, "transaction", "product", "exchange_rate_currency_payout", "commissions")
    _keys(c["commissions"][0], "commission", "user", "source")
    assert isinstance(c["commissions"][0]["commission"]["currency_value"], str)
    d = client.get("/payments/api/v1/sales/price/details").json()["items"][0]
    _keys(d, "transaction", "product", "base", "total", "vat", "fee", "real_conversion_rate")
    s = client.get("/payments/api/v1/sales/summary").json()
    _keys(s["items"][0], "total_items", "total_value")
    _keys(s["page_info"], "total_results", "results_per_page")


def test_subscription_shapes(client: Client) -> None:
    subs = client.get("/payments/api/v1/subscriptions", {"accession_date": 0}).json()
    s = subs["items"][0]
    _keys(
        s,
        "subscriber_code",
        "subscription_id",
        "status",
        "accession_date",
        "request_date",
        "trial",
        "transaction",
        "plan",
        "product",
        "price",
        "subscriber",
    )
    _keys(s["plan"], "name", "id", "recurrency_period")
    _keys(s["product"], "id", "name", "ucode")
    assert "total_results" in subs["page_info"]
    summ = client.get("/payments/api/v1/subscriptions/summary").json()
    _keys(
        summ["items"][0],
        "subscriber_code",
        "subscription_id",
        "status",
        "lifetime",
        "accession_date",
        "plan",
        "product",
        "offer",
        "last_recurrency",
        "unpaid_recurrencies",
        "subscriber",
    )
    assert "total_results" not in summ["page_info"]
    tx = client.get("/payments/api/v1/subscriptions/transactions", {"transaction_date": 0}).json()[
        "items"
    ][0]
    _keys(
        tx,
        "transaction",
        "subscriber_code",
        "subscription_id",
        "status",
        "last_update",
        "product",
        "plan",
        "subscriber",
        "recurrency",
        "purchase",
    )
    purchases = client.get(
        f"/payments/api/v1/subscriptions/{s['subscriber_code']}/purchases"
    ).json()
    assert isinstance(purchases, list) and purchases
    _keys(
        purchases[0],
        "transaction",
        "status",
        "price",
        "payment_type",
        "payment_method",
        "recurrency_number",
        "under_warranty",
        "purchase_subscription",
    )
    assert purchases[0]["transaction"] == s["transaction"]
    assert [p["recurrency_number"] for p in purchases] == list(range(1, len(purchases) + 1))
    assert client.get("/payments/api/v1/subscriptions/NOPE0000/purchases").status_code == 404


def test_recurrences_are_their_own_sales(client: Client) -> None:
    items = client.all_pages(SALES, all_status_params())
    subs = [i["purchase"] for i in items if i["purchase"]["is_subscription"]]
    assert subs
    assert max(p["recurrency_number"] for p in subs) > 2
    one_time = [i["purchase"] for i in items if not i["purchase"]["is_subscription"]]
    assert one_time and all("recurrency_number" not in p for p in one_time)


def test_products_offers_plans_coupons(client: Client) -> None:
    products = client.get("/products/api/v1/products").json()["items"]
    _keys(
        products[0],
        "id",
        "name",
        "ucode",
        "status",
        "created_at",
        "format",
        "is_subscription",
        "warranty_period",
    )
    assert {p["warranty_period"] for p in products} <= {7, 15, 30}
    sub = next(p for p in products if p["is_subscription"])
    one = next(p for p in products if not p["is_subscription"])
    offers = client.get(f"/products/api/v1/products/{one['ucode']}/offers").json()
    _keys(offers["items"][0], "code", "name", "price", "payment_mode", "is_main_offer")
    plans = client.get(f"/products/api/v1/products/{sub['ucode']}/plans").json()["items"]
    _keys(plans[0], "code", "name", "price", "periodicity", "max_installments")
    r = client.get(f"/products/api/v1/products/{one['ucode']}/plans")
    assert r.status_code == 400 and r.json()["error"] == "invalid_parameter"
    assert client.get("/products/api/v1/products/unknown/offers").status_code == 404
    truth = client.emu.ground_truth("acct-1", "coupons")
    with_coupon = {c["product_id"] for c in truth}
    seen = []
    for p in products:
        body = client.get(f"/products/api/v1/coupon/product/{p['id']}").json()
        seen.extend({**c, "product_id": p["id"]} for c in body["items"])
        if p["id"] in with_coupon:
            _keys(body["items"][0], "id", "coupon_code", "discount", "status", "time_zone")
    assert seen == truth
    assert client.get("/products/api/v1/products", {"status": "BOGUS"}).status_code == 400


def test_trap_sales_default_to_approved_and_complete(client: Client) -> None:
    truth = client.emu.ground_truth("acct-1", "sales")
    default = client.all_pages(SALES)
    assert {i["purchase"]["status"] for i in default} == {"APPROVED", "COMPLETE"}
    assert len(default) == sum(i["purchase"]["status"] in ("APPROVED", "COMPLETE") for i in truth)
    assert len(default) < len(truth)
    for path in (
        "/payments/api/v1/sales/users",
        "/payments/api/v1/sales/commissions",
        "/payments/api/v1/sales/price/details",
    ):
        assert client.get(path).json()["page_info"]["total_results"] == len(default), path


def test_trap_repeated_transaction_status(client: Client) -> None:
    truth = client.emu.ground_truth("acct-1", "sales")
    want = [i for i in truth if i["purchase"]["status"] in ("REFUNDED", "CHARGEBACK")]
    got = client.all_pages(
        SALES, [("transaction_status", "REFUNDED"), ("transaction_status", "CHARGEBACK")]
    )
    assert got == want and want


def test_trap_transaction_filter_shows_any_status(client: Client) -> None:
    truth = client.emu.ground_truth("acct-1", "sales")
    refunded = next(i for i in truth if i["purchase"]["status"] == "REFUNDED")
    code = refunded["purchase"]["transaction"]
    body = client.get(SALES, {"transaction": code}).json()
    assert body["items"] == [refunded]
    other = client.emu.tap_config()["accounts"]
    assert other  # another account's code is not visible from this account
    assert client.get(SALES, {"transaction": code.replace("HP01", "HP02", 1)}).json()["items"] == []


def test_order_date_filter_is_inclusive(client: Client) -> None:
    truth = client.emu.ground_truth("acct-1", "sales")
    target = truth[len(truth) // 2]["purchase"]
    od = target["order_date"]
    got = client.get(SALES, [("start_date", od), ("end_date", od), *all_status_params()]).json()[
        "items"
    ]
    assert target["transaction"] in [i["purchase"]["transaction"] for i in got]
    lo, hi = od - 10 * DAY, od
    window = client.all_pages(SALES, [("start_date", lo), ("end_date", hi), *all_status_params()])
    assert window == [i for i in truth if lo <= i["purchase"]["order_date"] <= hi]


def test_trap_subscriptions_last_30_days(client: Client) -> None:
    emu: EmulatorServer = client.emu
    truth = emu.ground_truth("acct-1", "subscriptions")
    default = client.all_pages("/payments/api/v1/subscriptions")
    cutoff = emu.now_ms - 30 * DAY
    assert default == [s for s in truth if s["accession_date"] >= cutoff]
    assert len(default) < len(truth)
    everything = client.all_pages("/payments/api/v1/subscriptions", [("accession_date", 0)])
    assert everything == truth
    statuses = {s["status"] for s in truth}
    assert {"ACTIVE", "CANCELLED_BY_CUSTOMER"} <= statuses
    active = client.all_pages(
        "/payments/api/v1/subscriptions", [("accession_date", 0), ("status", "ACTIVE")]
    )
    assert active == [s for s in truth if s["status"] == "ACTIVE"]


def test_trap_subscription_transactions_last_30_days(client: Client) -> None:
    emu: EmulatorServer = client.emu
    truth = emu.ground_truth("acct-1", "subscription_transactions")
    path = "/payments/api/v1/subscriptions/transactions"
    default = client.all_pages(path)
    cutoff = emu.now_ms - 30 * DAY
    assert default == [t for t in truth if t["transaction_date"] >= cutoff]
    assert len(default) < len(truth)
    assert client.all_pages(path, [("transaction_date", 0)]) == truth


def test_unknown_enum_values_are_400_invalid_parameter(client: Client) -> None:
    cases = [
        (SALES, {"transaction_status": "FOO"}),
        ("/payments/api/v1/subscriptions", {"status": "CANCELLED_BY_BUYER"}),
        ("/payments/api/v1/subscriptions/transactions", {"subscription_status": "X"}),
        (SALES, {"payment_type": "CASH"}),
        (SALES, {"start_date": "yesterday"}),
    ]
    for path, params in cases:
        r = client.get(path, params)
        assert r.status_code == 400, (path, params)
        assert r.json()["error"] == "invalid_parameter"
        assert set(r.json()) == {"error", "error_description", "error_uri"}


def test_other_filters(client: Client) -> None:
    truth = client.emu.ground_truth("acct-1", "sales")
    pid = truth[0]["product"]["id"]
    got = client.all_pages(SALES, [("product_id", pid), *all_status_params()])
    assert got == [i for i in truth if i["product"]["id"] == pid]
    email = truth[3]["buyer"]["email"]
    got = client.all_pages(SALES, [("buyer_email", email), *all_status_params()])
    assert got == [i for i in truth if i["buyer"]["email"] == email]
    got = client.all_pages(SALES, [("payment_type", "PIX"), *all_status_params()])
    assert got == [i for i in truth if i["purchase"]["payment"]["type"] == "PIX"]


def test_summary_follows_the_default_filter(client: Client) -> None:
    total = client.get(SALES).json()["page_info"]["total_results"]
    items = client.get("/payments/api/v1/sales/summary").json()["items"]
    assert sum(i["total_items"] for i in items) == total
    everything = client.get("/payments/api/v1/sales/summary", all_status_params()).json()
    assert sum(i["total_items"] for i in everything["items"]) == 2000


def test_unknown_path_and_method(client: Client) -> None:
    r = client.get("/payments/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.session.post(
        client.emu.url + SALES, headers={"Authorization": f"Bearer {client.token}"}, timeout=10
    )
    assert r.status_code == 405


def test_latency_option() -> None:
    with EmulatorServer(seed=1, sales=20, latency_ms=120) as emu:
        c = Client(emu)
        t = time.perf_counter()
        assert c.get(SALES).status_code == 200
        assert time.perf_counter() - t >= 0.12
        t = time.perf_counter()
        requests_health = c.session.get(emu.url + "/_emulator/health", timeout=10)
        assert requests_health.status_code == 200
        assert time.perf_counter() - t < 0.12  # the control API is never delayed
