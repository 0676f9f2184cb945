"""``hotmart-load``'s preparation of the raw tables (hotmart_pipeline/raw_tables.py); the race
it prevents is reproduced end to end by tests/e2e/test_concurrent_accounts.py."""

from __future__ import annotations

import json

import pytest

from hotmart_pipeline import raw_tables
from tests.support.streams import STREAMS


def test_the_tables_are_every_stream_keyed_by_account_first() -> None:
    """Loads of different accounts can run side by side only because no two accounts' rows
    share a key: every stream's primary key starts with account_id."""
    streams = {s.name: s for s in raw_tables.tap_streams()}
    assert set(streams) == set(STREAMS)
    for stream in streams.values():
        assert stream.key_properties[0] == "account_id", stream.name
        assert set(stream.key_properties) <= stream.columns, stream.name


def test_the_schema_message_is_the_streams_own() -> None:
    sales = next(s for s in raw_tables.tap_streams() if s.name == "sales")
    message = json.loads(sales.schema_message())
    assert message["type"] == "SCHEMA" and message["stream"] == "sales"
    assert message["key_properties"] == sales.key_properties
    assert set(message["schema"]["properties"]) == sales.columns


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("true", True), ("1", True), ("false", False), ("OFF", False)],
)
def test_the_switch(value: str | None, expected: bool) -> None:
    env = {} if value is None else {raw_tables.SWITCH_VARIABLE: value}
    assert raw_tables.enabled(env) is expected


def test_switched_off_it_asks_meltano_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("prepare ran although switched off")

    monkeypatch.setattr(raw_tables, "prepare", fail)
    raw_tables.prepare_quietly("target-postgres", {raw_tables.SWITCH_VARIABLE: "false"})


def test_a_failed_preparation_is_a_warning_not_the_loads_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise raw_tables.PrepareError("cannot connect to the loader's PostgreSQL")

    monkeypatch.setattr(raw_tables, "prepare", unreachable)
    raw_tables.prepare_quietly("target-postgres", {raw_tables.SWITCH_VARIABLE: "true"})
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "warning: raw tables not prepared (cannot connect" in err and "loading anyway" in err
