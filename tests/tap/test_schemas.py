"""One schema file per shape of record: each is read by a stream, none is a copy."""

from __future__ import annotations

import inspect
from pathlib import Path

import tap_hotmart
from tap_hotmart.tap import STREAM_TYPES

SCHEMAS = Path(tap_hotmart.__file__).parent / "schemas"


def _schema_file(stream_type: type) -> str:
    """The file a stream's schema is read from: its own name's unless it names another."""
    return f"{inspect.getattr_static(stream_type, 'schema').key or stream_type.name}.json"


def test_every_schema_file_is_read_by_a_stream_and_every_stream_has_one() -> None:
    files = {path.name for path in SCHEMAS.glob("*.json")}
    assert files == {_schema_file(stream_type) for stream_type in STREAM_TYPES}


def test_no_schema_file_is_a_copy_of_another() -> None:
    contents = [path.read_bytes() for path in SCHEMAS.glob("*.json")]
    assert len(set(contents)) == len(contents)


def test_refunds_are_sales_rows() -> None:
    files = {stream_type.name: _schema_file(stream_type) for stream_type in STREAM_TYPES}
    assert files["refunds"] == files["sales"] == "sales.json"
