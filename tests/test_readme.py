"""The README's settings and streams tables stay true to the tap."""

from __future__ import annotations

import re
from pathlib import Path

from tap_hotmart.settings import config_schema
from tap_hotmart.tap import STREAM_TYPES, TapHotmart

README = (Path(__file__).parent.parent / "README.md").read_text()


def _table_first_column(heading: str) -> set[str]:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return {
        match.group(1)
        for match in re.finditer(r"^\| `?([a-z_]+)`? \|", section, flags=re.MULTILINE)
    }


def test_settings_table_lists_every_setting_with_its_default() -> None:
    rows = _table_first_column("Settings")
    properties = config_schema()["properties"]
    assert set(properties) <= rows
    for name, spec in properties.items():
        if "default" in spec:
            assert f"| {name} | False | {spec['default']} |" in README


def test_streams_table_lists_every_stream() -> None:
    assert _table_first_column("Streams") == {stream.name for stream in STREAM_TYPES}


def test_tap_name_matches_the_command_in_the_readme() -> None:
    assert TapHotmart.name == "tap-hotmart"
    assert "meltano run tap-hotmart target-postgres" in README
