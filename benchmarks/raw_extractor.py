"""A minimal extractor for the benchmarks: the same requests as the tap's `sales` stream,
nothing else (no SDK, no schema, no state, no threads). It is the floor the tap is
measured against.

Usage: python benchmarks/raw_extractor.py CONFIG.json > records.jsonl
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta

import requests

from tap_hotmart.streams.statuses import TRANSACTION_STATUSES

STATUSES = list(TRANSACTION_STATUSES)


def main() -> None:
    config = json.load(open(sys.argv[1]))  # noqa: SIM115 - a script, read once
    session = requests.Session()
    out = sys.stdout
    start = datetime.fromisoformat(config["start_date"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(config["end_date"].replace("Z", "+00:00"))
    for account in config["accounts"]:
        token = session.post(
            config["auth_url"],
            params={
                "grant_type": "client_credentials",
                "client_id": account["client_id"],
                "client_secret": account["client_secret"],
            },
            headers={"Authorization": f"Basic {account['basic']}"},
            timeout=60,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        cursor = start
        while cursor < end:
            nxt = min(cursor + timedelta(days=30), end)
            params = {
                "transaction_status": STATUSES,
                "max_results": 500,
                "start_date": int(cursor.timestamp() * 1000),
                "end_date": int(nxt.timestamp() * 1000) - 1,
            }
            while True:
                body = session.get(
                    config["api_url"] + "/payments/api/v1/sales/history",
                    params=params,
                    headers=headers,
                    timeout=60,
                ).json()
                for item in body["items"]:
                    item["account_id"] = account["account_id"]
                    record = {"type": "RECORD", "stream": "sales", "record": item}
                    out.write(json.dumps(record, separators=(",", ":")))
                    out.write("\n")
                token_next = body["page_info"].get("next_page_token")
                if not token_next:
                    break
                params["page_token"] = token_next
            cursor = nxt


if __name__ == "__main__":
    main()
