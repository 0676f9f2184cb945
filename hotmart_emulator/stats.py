"""Request statistics for the control API: calls per endpoint, responses per status."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Thread-safe counters; ``snapshot`` gives the ``/_emulator/stats`` body."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: Counter[str] = Counter()
            self.responses: Counter[str] = Counter()
            self.by_account: dict[str, dict[str, Counter[str]]] = {}

    def record(self, request: str, outcome: int | str, account: str | None) -> None:
        """Count one request (``"GET /path/template"``) and its status (or ``"dropped"``)."""
        keys = [str(outcome)]
        if isinstance(outcome, int) and outcome >= 500:
            keys.append("5xx")
        with self.lock:
            self.requests[request] += 1
            for k in keys:
                self.responses[k] += 1
            if account is not None:
                acct = self.by_account.setdefault(
                    account, {"requests": Counter(), "responses": Counter()}
                )
                acct["requests"][request] += 1
                for k in keys:
                    acct["responses"][k] += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "responses": dict(self.responses),
                "by_account": {
                    a: {"requests": dict(v["requests"]), "responses": dict(v["responses"])}
                    for a, v in self.by_account.items()
                },
            }
