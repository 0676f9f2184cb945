"""The catalogue children requested at once, not one product after the other
(`tap_hotmart.child_prefetch`), with the same records as reading them in turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotmart_emulator import EmulatorServer
from tap_hotmart.child_prefetch import ChildPrefetch
from tests.support.singer import run_tap, selected_catalog
from tests.tap.test_learned_rate_limit import Timeline
from tests.tap.test_sync import KEYS, tap_config, truth_keys

CATALOGUE = ("products", "product_offers", "product_plans", "coupons")
CHILD_PATHS = ("/offers", "/plans", "/coupon/product/")
LATENCY_S = 0.25  # long beside the tap's own time per request, on a busy machine too


def test_a_taken_read_gives_its_items_or_raises_its_error_once() -> None:
    prefetch = ChildPrefetch(2, rank=(9,))
    prefetch.fetch("a", lambda: [1, 2])
    prefetch.fetch("b", lambda: 1 / 0)
    assert prefetch.take("a") == [1, 2]
    assert prefetch.take("a") is None, "taken once; a second take reads again"
    with pytest.raises(ZeroDivisionError):
        prefetch.take("b")
    assert prefetch.take("never fetched") is None
    prefetch.close()


def test_the_children_are_requested_at_once_and_are_exactly_the_apis(tmp_path: Path) -> None:
    with EmulatorServer(
        seed=31, accounts=2, sales=200, latency_ms=int(LATENCY_S * 1000), rate_limit=100_000
    ) as emu:
        config = tap_config(emu, requests_per_minute=100_000, concurrency=4)
        timeline = Timeline(emu)
        run = run_tap(tmp_path, config, catalog=selected_catalog(config, CATALOGUE))
        assert run.returncode == 0, run.stderr[-3000:]
        truth = {stream: truth_keys(emu, stream) for stream in CATALOGUE[1:]}
    children = [
        at for at, _, request, _ in timeline.entries if any(path in request for path in CHILD_PATHS)
    ]
    assert len(children) > 20, children
    one_by_one = (len(children) - 1) * LATENCY_S
    span = children[-1] - children[0]
    assert span < one_by_one / 2, f"{len(children)} requests over {span:.2f} s"
    for stream, keys in truth.items():
        fields, _ = KEYS[stream]
        got = sorted(tuple(str(r[f]) for f in fields) for r in run.records[stream])
        assert got == sorted(tuple(map(str, key)) for key in keys), stream
