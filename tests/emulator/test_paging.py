"""max_results / page_token paging."""

from __future__ import annotations

import base64
import json

from .conftest import SALES, Client


def test_default_page_size_is_10(client: Client) -> None:
    body = client.get(SALES).json()
    assert len(body["items"]) == 10
    assert body["page_info"]["results_per_page"] == 10
    assert body["page_info"]["total_results"] > 10


def test_products_default_page_size_is_50(client: Client) -> None:
    body = client.get("/products/api/v1/products").json()
    n = len(client.emu.ground_truth("acct-1", "products"))
    assert 5 <= n <= 12
    assert len(body["items"]) == n
    assert "total_results" not in body["page_info"]
    assert "next_page_token" not in body["page_info"]


def test_max_results_is_clamped_at_500(client: Client) -> None:
    body = client.get(SALES, {"max_results": 1000}).json()
    assert body["page_info"]["total_results"] > 500
    assert len(body["items"]) == 500


def test_tokens_walk_every_page_once(client: Client) -> None:
    first = client.get(SALES, {"max_results": 100}).json()
    info = first["page_info"]
    assert "prev_page_token" not in info
    assert json.loads(base64.b64decode(info["next_page_token"])) == {"rows": 100, "page": 2}
    second = client.get(SALES, {"max_results": 100, "page_token": info["next_page_token"]})
    assert "prev_page_token" in second.json()["page_info"]
    items = client.all_pages(SALES, size=100)
    codes = [i["purchase"]["transaction"] for i in items]
    assert len(codes) == len(set(codes)) == info["total_results"]
    orders = [i["purchase"]["order_date"] for i in items]
    assert orders == sorted(orders)


def test_last_page_has_no_next_token(client: Client) -> None:
    total = client.get(SALES).json()["page_info"]["total_results"]
    pages = -(-total // 300)
    token = base64.b64encode(json.dumps({"rows": 300, "page": pages}).encode()).decode()
    body = client.get(SALES, {"max_results": 300, "page_token": token}).json()
    assert len(body["items"]) == total - 300 * (pages - 1)
    assert "next_page_token" not in body["page_info"]
    assert "prev_page_token" in body["page_info"]


def test_bad_page_token_is_400_invalid_token(client: Client) -> None:
    for bad in ("not-a-token", base64.b64encode(b'{"x":1}').decode(), "eyJyb3dzIjo"):
        r = client.get(SALES, {"page_token": bad})
        assert r.status_code == 400, bad
        assert r.json()["error"] == "invalid_token"


def test_bad_max_results_is_400(client: Client) -> None:
    r = client.get(SALES, {"max_results": "ten"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_parameter"
