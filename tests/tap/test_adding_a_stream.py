"""The recipe of docs/architecture.md, "Adding a stream", followed by a throwaway stream.

`ProductNamesStream` is built exactly as the recipe says (one class, one schema file named
after the stream, registered in `STREAM_TYPES`) on an endpoint the emulator already
serves, and run through the Singer SDK's standard tap tests. If the recipe stops being
enough to add a working stream, this fails.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.helpers.types import Context, Record
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_hotmart import tap as tap_module
from tap_hotmart.client import HotmartStream
from tap_hotmart.tap import TapHotmart
from tests.support.emulator import started_emulator, tap_config

# Step 2 of the recipe: the schema file, `<stream name>.json` (here in a throwaway
# directory instead of tap_hotmart/schemas/, which the packaging tests check).
_SCHEMAS = Path(tempfile.mkdtemp(prefix="throwaway-schemas-"))
atexit.register(shutil.rmtree, _SCHEMAS, ignore_errors=True)
(_SCHEMAS / "product_names.json").write_text(
    json.dumps(
        {
            "type": "object",
            "properties": {
                "account_id": {"type": "string"},
                "id": {"type": "integer"},
                "name": {"type": ["string", "null"]},
            },
            "required": ["account_id", "id"],
        }
    )
)


class ProductNamesStream(HotmartStream):
    """Step 1 of the recipe: one class naming the stream, its endpoint and its key."""

    name = "product_names"
    path = "/products/api/v1/products"
    primary_keys = ("account_id", "id")
    schema = StreamSchema(SchemaDirectory(_SCHEMAS))

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        if row.get("id") is None:
            self.skip_keyless(context)  # no key: dropped, with a warning
            return None
        return {"account_id": context["account_id"], "id": row["id"], "name": row.get("name")}


# Step 3: registered in STREAM_TYPES (alone here, so that the standard tests stay short).
THROWAWAY_TYPES = (ProductNamesStream,)

_EMULATOR = started_emulator(seed=5, accounts=2, sales=50)


def _config() -> dict:
    return tap_config(_EMULATOR)


# The SDK discovers the streams to test when it builds the class, and again in each test.
with pytest.MonkeyPatch.context() as patch:
    patch.setattr(tap_module, "STREAM_TYPES", THROWAWAY_TYPES)
    TestThrowawayStream = get_tap_test_class(
        tap_class=TapHotmart,
        config=_config(),
        suite_config=SuiteConfig(max_records_limit=100),
    )


@pytest.fixture(autouse=True, scope="module")
def _registered() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tap_module, "STREAM_TYPES", THROWAWAY_TYPES)
        yield


def test_the_throwaway_stream_is_the_tap_s_only_stream() -> None:
    streams = TapHotmart(config=_config()).streams
    assert list(streams) == ["product_names"]


def test_its_records_are_the_emulator_s_products() -> None:
    tap = TapHotmart(config=_config())
    stream = tap.streams["product_names"]
    for account in tap.accounts:
        context = {"account_id": account.account_id}
        got = sorted(record["id"] for record in stream.get_records(context))
        products = _EMULATOR.ground_truth(account.account_id, "products")
        truth = sorted(item["id"] for item in products)
        assert got == truth, account.account_id
