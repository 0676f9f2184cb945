"""The Singer SDK's standard tap tests, run against the local emulator."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_hotmart.tap import TapHotmart
from tests.support.emulator import started_emulator, tap_config

# The SDK builds the test class from a config at import time, so the emulator starts here
# and stops when the test session ends.
_EMULATOR = started_emulator(seed=3, accounts=2, sales=400)


def _config() -> dict:
    return tap_config(_EMULATOR)


TestTapHotmart = get_tap_test_class(
    tap_class=TapHotmart,
    config=_config(),
    suite_config=SuiteConfig(max_records_limit=100),
)
