"""``EmulatorOptions``: one list of options for the CLI, the server and the child-process launcher.

The launcher passes options to a child as the CLI's flags, so its spelling must be the exact
inverse of the CLI's parsing: an option it dropped or mangled would silently give the child
another emulator than the one asked for.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from hotmart_emulator import EmulatorCore, EmulatorOptions
from hotmart_emulator.cli import build_parser
from hotmart_emulator.options import from_namespace, to_argv
from hotmart_emulator.process import serve_args

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"

#: A value other than the default for every field.
NOT_DEFAULT: dict[str, Any] = {
    "port": 8765,
    "seed": 7,
    "accounts": 3,
    "sales": 250,
    "faults": "flaky",
    "rate_limit": 60,
    "latency_ms": 15,
    "now": "2026-01-15",
    "history_days": 400,
    "max_query_rows": 5000,
    "max_range_days": 90,
    "status_filter": "first",
    "rate_window_s": 2.5,
    "token_ttl_s": 0.3,
    "default_page_size": 25,
    "subscriptions_default_days": 45,
}


def _parsed(argv: list[str]) -> EmulatorOptions:
    return from_namespace(build_parser().parse_args(argv))


def test_every_field_has_a_value_other_than_its_default() -> None:
    """A new option must be added to NOT_DEFAULT, so the round trip below covers it."""
    fields = {f.name: f.default for f in dataclasses.fields(EmulatorOptions)}
    assert set(NOT_DEFAULT) == set(fields)
    assert all(NOT_DEFAULT[name] != default for name, default in fields.items())


@pytest.mark.parametrize("max_range_days", [90, None], ids=["range-90", "range-off"])
def test_options_to_args_and_back_are_equal(tmp_path: Path, max_range_days: int | None) -> None:
    options = EmulatorOptions(**{**NOT_DEFAULT, "max_range_days": max_range_days})
    args = build_parser().parse_args(serve_args(options, tmp_path / "config.json"))
    assert from_namespace(args) == options
    assert args.write_config == tmp_path / "config.json"


def test_the_defaults_need_no_flags() -> None:
    assert to_argv(EmulatorOptions()) == []
    assert _parsed(["serve"]) == EmulatorOptions()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--accounts", "100"], "--accounts must be between 1 and 99"),
        (["--max-query-rows", "0"], "--max-query-rows must be at least 1"),
        (["--max-range-days", "-1"], "--max-range-days must be at least 0 (0: no limit)"),
    ],
)
def test_the_cli_refuses_out_of_range_values(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _parsed(["serve", *argv])


def test_keyword_arguments_change_the_given_options() -> None:
    core = EmulatorCore(EmulatorOptions(seed=3, sales=20), sales=10, rate_limit=7)
    assert core.options == EmulatorOptions(seed=3, sales=10, rate_limit=7)
    assert core.limiter.limit == 7
    with pytest.raises(TypeError, match="no_such_option"):
        EmulatorCore(no_such_option=1)


def test_every_flag_is_documented() -> None:
    text = DOCS.read_text()
    missing = [
        f.name for f in dataclasses.fields(EmulatorOptions)
        if f"| `--{f.name.replace('_', '-')}` |" not in text
    ]  # fmt: skip
    assert missing == []
