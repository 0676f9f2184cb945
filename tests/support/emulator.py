"""An in-process emulator for the SDK's standard tap tests, which build their test class from
a config at import time (so the emulator starts at import and stops when the session ends)."""

from __future__ import annotations

import atexit
from datetime import datetime, timedelta, timezone

from hotmart_emulator import EmulatorServer


def started_emulator(seed: int, accounts: int, sales: int) -> EmulatorServer:
    """A running emulator, stopped at exit."""
    emulator = EmulatorServer(seed=seed, accounts=accounts, sales=sales).start()
    atexit.register(emulator.stop)
    return emulator


def tap_config(emulator: EmulatorServer) -> dict:
    """The emulator's tap config, read up to a day past its clock (not the machine's)."""
    config = emulator.tap_config()
    end = datetime.fromtimestamp(emulator.now_ms / 1000, tz=timezone.utc) + timedelta(days=1)
    config["end_date"] = end.isoformat()
    return config
