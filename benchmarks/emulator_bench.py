"""Emulator benchmark: generation time, peak RSS, and latency of 500-record sales pages.

Run:  python benchmarks/emulator_bench.py [--sales 1000000] [--pages 40]

It builds one account with ``--sales`` visible sales (the timeline also holds the next
400 days), then pages ``/payments/api/v1/sales/history`` with ``max_results=500`` and every
status over HTTP (keep-alive ``requests.Session``), cold (first page of a query, which
scans and caches the matching index list) and warm (following pages), plus the
server-side cost of a page without HTTP.
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import resource
import statistics
import sys
import time

import requests

from hotmart_emulator import EmulatorServer
from hotmart_emulator.enums import TRANSACTION_STATUSES

SALES = "/payments/api/v1/sales/history"
DAY = 86_400_000


def _ms(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {
        "median_ms": round(statistics.median(xs) * 1000, 2),
        "p95_ms": round(xs[int(len(xs) * 0.95) - 1 if len(xs) > 1 else 0] * 1000, 2),
        "n": len(xs),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sales", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    emu = EmulatorServer(seed=args.seed, accounts=1, sales=args.sales, rate_limit=10**9)
    gen_wall, gen_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_after_gen = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    st = emu.core.store.accounts["acct-1"]
    timeline = len(st.a.sales)

    with emu:
        acct = emu.tap_config()["accounts"][0]
        s = requests.Session()
        tok = s.post(
            emu.tap_config()["auth_url"],
            params={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {acct['basic']}"},
        ).json()["access_token"]
        s.headers["Authorization"] = f"Bearer {tok}"
        status_params = [("transaction_status", x) for x in TRANSACTION_STATUSES]

        def walk(params: list[tuple[str, object]], pages: int) -> tuple[float, list[float]]:
            """(first page seconds, following pages seconds) of one query."""
            token = None
            times = []
            for _ in range(pages):
                p = [*params, ("max_results", 500)] + ([("page_token", token)] if token else [])
                t = time.perf_counter()
                r = s.get(emu.url + SALES, params=p)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                body = r.json()
                assert len(body["items"]) == 500 or "next_page_token" not in body["page_info"]
                token = body["page_info"].get("next_page_token")
                if not token:
                    break
            return times[0], times[1:]

        now = emu.now_ms
        cold_full, warm_full = walk(status_params, args.pages)
        windows_cold, windows_warm = [], []
        for k in range(1, 13):  # twelve 30-day windows, like a tap's first sync
            lo = now - k * 30 * DAY
            first, rest = walk(
                [("start_date", lo), ("end_date", lo + 30 * DAY - 1), *status_params], args.pages
            )
            windows_cold.append(first)
            windows_warm.extend(rest)
        # server-side only (no HTTP): render + encode a warm 500-record page
        core = emu.core
        url = f"{SALES}?max_results=500&" + "&".join(
            f"transaction_status={x}" for x in TRANSACTION_STATUSES
        )
        headers = {"authorization": f"Bearer {tok}"}
        core.serve("GET", url, headers, b"")
        server_side, server_cpu = [], []
        for page in range(2, 2 + args.pages):
            token = base64.b64encode(
                json.dumps({"rows": 500, "page": page}, separators=(",", ":")).encode()
            ).decode()
            t, c = time.perf_counter(), time.process_time()
            resp = core.serve("GET", f"{url}&page_token={token}", headers, b"")
            server_side.append(time.perf_counter() - t)
            server_cpu.append(time.process_time() - c)
            assert resp.status == 200
        page_bytes = len(resp.body)

    result = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "sales_visible": args.sales,
        "sales_in_timeline": timeline,
        "generation_wall_s": round(gen_wall, 2),
        "generation_cpu_s": round(gen_cpu, 2),
        "peak_rss_mb_after_generation": round(rss_after_gen, 1),
        "peak_rss_mb_end": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "page_500_full_history_cold": _ms([cold_full]),
        "page_500_full_history_warm": _ms(warm_full),
        "page_500_30day_window_cold": _ms(windows_cold),
        "page_500_30day_window_warm": _ms(windows_warm),
        "page_500_server_side_only": _ms(server_side),
        "page_500_server_side_only_cpu": _ms(server_cpu),
        "page_500_body_kb": round(page_bytes / 1024, 1),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
