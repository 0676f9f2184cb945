"""Guards on the private Singer SDK hooks the tap relies on, for want of public ones.

* `Stream._generate_record_messages`, overridden by `HotmartStream`: records the SDK's
  prune-and-conform walk would not change are emitted as they are, stamped with the
  SDK's `Stream._stream_version` (the ACTIVATE_VERSION version);
* `Stream._increment_stream_state`, overridden by `DateWindowStream`: records never move a
  bookmark; a completed window moves it, through the SDK's own implementation;
* `Stream._write_state_message`, called by `DateWindowStream`: a STATE message after each
  window, the unit of resumption.

The SDK pin is not their only guard: each test below fails, naming the hook, when the
installed singer-sdk renames one, changes its signature, or stops using it where the tap
relies on it. The settings check needs no private hook: `TapHotmart.__init__` rewords
the SDK's `ConfigValidationError`, checked here too.
"""

from __future__ import annotations

import copy
import inspect
from collections import Counter
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

import pytest
from singer_sdk import Stream
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib import ActivateVersionMessage, RecordMessage, StateMessage

from hotmart_emulator import EmulatorServer
from tap_hotmart.account_state import ACCOUNT_STREAM
from tap_hotmart.client import HotmartStream
from tap_hotmart.date_window_stream import DateWindowStream
from tap_hotmart.tap import TapHotmart
from tests.tap.test_sync import tap_config

SDK = f"singer-sdk {version('singer-sdk')}"
SELF = [("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]


def _changed(hook: str, why: str) -> str:
    return (
        f"{SDK} changed the private hook Stream.{hook}, which the tap relies on: {why}. "
        "Adapt tap_hotmart to it (or to a public replacement), then this guard."
    )


def _parameters(function: Callable[..., Any]) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(
    ("hook", "ours"),
    [
        ("_generate_record_messages", HotmartStream),
        ("_increment_stream_state", DateWindowStream),
        ("_write_state_message", None),  # called, not overridden
    ],
)
def test_each_private_hook_keeps_the_signature_the_tap_uses(hook: str, ours: type | None) -> None:
    sdk_hook = getattr(Stream, hook, None)
    assert callable(sdk_hook), _changed(hook, "it is gone")
    expected = _parameters(getattr(ours, hook)) if ours else SELF
    assert _parameters(sdk_hook) == expected, _changed(
        hook, f"its parameters are now {_parameters(sdk_hook)}, the tap's {expected}"
    )


class Run:
    """One in-process sync against the emulator: its messages, and the hook calls."""

    def __init__(self, tap: TapHotmart) -> None:
        self.tap = tap
        self.messages: list[Any] = []
        self.record_messages: Counter[str] = Counter()  # by stream
        self.increments: Counter[str] = Counter()  # by stream, the SDK's per-record calls

    def collect(self, message: Any) -> None:
        """Keep a message as it was written (a STATE's value is the live state)."""
        self.messages.append(
            copy.deepcopy(message) if isinstance(message, StateMessage) else message
        )

    def records(self, stream: str) -> list[dict]:
        return [
            m.record for m in self.messages if isinstance(m, RecordMessage) and m.stream == stream
        ]

    def states(self) -> list[dict]:
        return [m.value for m in self.messages if isinstance(m, StateMessage)]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=5, accounts=1, sales=120, rate_limit=100_000) as emu:
        yield emu


@pytest.fixture
def sync(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run a whole sync in-process, counting the SDK's calls of the overridden hooks."""

    def run(**settings: Any) -> Run:
        config = tap_config(emulator, requests_per_minute=100_000, **settings)
        done = Run(TapHotmart(config=config, parse_env_config=False))
        monkeypatch.setattr(done.tap.message_writer, "write_message", done.collect)

        generate = HotmartStream._generate_record_messages

        def generate_spy(stream: HotmartStream, record: dict) -> Iterator[RecordMessage]:
            done.record_messages[stream.name] += 1
            yield from generate(stream, record)

        increment = DateWindowStream._increment_stream_state

        def increment_spy(stream: DateWindowStream, latest_record: dict, **kwargs: Any) -> None:
            done.increments[stream.name] += 1
            increment(stream, latest_record, **kwargs)

        monkeypatch.setattr(HotmartStream, "_generate_record_messages", generate_spy)
        monkeypatch.setattr(DateWindowStream, "_increment_stream_state", increment_spy)
        done.tap.sync_all()
        return done

    return run


def test_the_sdk_emits_every_record_through_the_fast_path(sync: Callable[..., Run]) -> None:
    run = sync()
    emitted = Counter(m.stream for m in run.messages if isinstance(m, RecordMessage))
    assert emitted[ACCOUNT_STREAM] > 0 and emitted["products"] > 0
    assert run.record_messages == emitted, _changed(
        "_generate_record_messages",
        "it is no longer called once for each record written (HotmartStream's fast path "
        "is bypassed)",
    )


def test_the_fast_path_emits_what_the_sdk_itself_would(sync: Callable[..., Run]) -> None:
    run = sync()
    for stream in run.tap.streams.values():
        assert isinstance(stream, HotmartStream)
        for record in run.records(stream.name)[:20]:
            ours = list(stream._generate_record_messages(copy.deepcopy(record)))
            sdks = list(Stream._generate_record_messages(stream, copy.deepcopy(record)))
            assert [(m.stream, m.record, m.version) for m in ours] == [
                (m.stream, m.record, m.version) for m in sdks
            ], _changed(
                "_generate_record_messages",
                f"the SDK's own messages for a {stream.name} record now differ from the "
                "fast path's (it changes records the fast path passes as they are)",
            )


def test_records_carry_the_version_of_activate_version(sync: Callable[..., Run]) -> None:
    run = sync(emit_activate_version_messages=True)
    versions = {m.stream: m.version for m in run.messages if isinstance(m, ActivateVersionMessage)}
    assert versions.get("products"), "no ACTIVATE_VERSION for a full-table stream"
    products = [m for m in run.messages if isinstance(m, RecordMessage) and m.stream == "products"]
    assert products and {m.version for m in products} == {versions["products"]}, _changed(
        "_generate_record_messages",
        "the fast path's `self._stream_version` is no longer the version the SDK sends in "
        "ACTIVATE_VERSION",
    )


def test_records_never_move_a_bookmark_and_windows_do(sync: Callable[..., Run]) -> None:
    run = sync(window_days=30)
    sales = run.records(ACCOUNT_STREAM)
    assert run.increments[ACCOUNT_STREAM] == len(sales) > 0, _changed(
        "_increment_stream_state",
        "the SDK no longer calls it for each record (DateWindowStream's override, which "
        "keeps records from moving bookmarks, is bypassed)",
    )
    bookmarks = [
        partition.get("replication_key_value")
        for state in run.states()
        for partition in state["bookmarks"].get(ACCOUNT_STREAM, {}).get("partitions", [])
    ]
    end = run.tap.sync_end.isoformat()
    assert bookmarks and bookmarks[-1] == end, _changed(
        "_increment_stream_state", f"a completed window no longer sets the bookmark {end}"
    )
    assert not {r["order_date"] for r in sales} & set(bookmarks), "a record moved a bookmark"
    assert len(set(bookmarks)) > 2, _changed(
        "_write_state_message", "it no longer writes a STATE message after each window"
    )


def test_the_sdks_settings_errors_are_reworded_without_secrets() -> None:
    secret = 8_765_432_109  # a client secret of the wrong type: the SDK quotes it
    with pytest.raises(ConfigValidationError) as info:
        TapHotmart(config={"client_secret": secret}, parse_env_config=False)
    errors = " ".join(info.value.errors)
    assert "config['client_secret'] must be of type 'string'" in errors
    assert str(secret) not in errors + str(info.value)
