"""The Singer SDK's standard tap tests, run against the local emulator."""

from __future__ import annotations

import atexit
from datetime import datetime, timedelta, timezone

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from hotmart_emulator import EmulatorServer
from tap_hotmart.tap import TapHotmart

# The SDK builds the test class from a config at import time, so the emulator starts here
# and stops when the test session ends.
_EMULATOR = EmulatorServer(seed=3, accounts=2, sales=400).start()
atexit.register(_EMULATOR.stop)


def _config() -> dict:
    config = _EMULATOR.tap_config()
    end = datetime.fromtimestamp(_EMULATOR.now_ms / 1000, tz=timezone.utc) + timedelta(days=1)
    config["end_date"] = end.isoformat()
    return config


TestTapHotmart = get_tap_test_class(
    tap_class=TapHotmart,
    config=_config(),
    suite_config=SuiteConfig(max_records_limit=100),
)
