"""Run the tap as a user would (a subprocess) and read its Singer output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tap_hotmart.tap import TapHotmart


@dataclass
class TapRun:
    """What one tap run printed: records per stream, the last state, the logs."""

    returncode: int
    records: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    state: dict = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    def keys(self, stream: str, key: tuple[str, ...]) -> list[tuple]:
        return [tuple(r[k] for k in key) for r in self.records[stream]]


def selected_catalog(config: dict, streams: set[str] | tuple[str, ...]) -> dict:
    """The tap's catalog for `config` with only `streams` selected."""
    catalog = TapHotmart(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def run_tap(
    tmp_path: Path,
    config: dict,
    state: dict | None = None,
    name: str = "run",
    timeout: float = 600,
    *,
    catalog: dict | None = None,
    log_level: str | None = None,
) -> TapRun:
    """Run `python -m tap_hotmart` with this config (state, catalog); parse what it wrote.

    ``log_level`` DEBUG shows every progress line (INFO has one per 10 s per partition).
    """
    config_file = tmp_path / f"{name}-config.json"
    config_file.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_hotmart", "--config", str(config_file)]
    if catalog is not None:
        catalog_file = tmp_path / f"{name}-catalog.json"
        catalog_file.write_text(json.dumps(catalog))
        command += ["--catalog", str(catalog_file)]
    if state is not None:
        state_file = tmp_path / f"{name}-state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    env = {**os.environ, **({"TAP_HOTMART_LOGLEVEL": log_level} if log_level else {})}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    run = TapRun(done.returncode, stdout=done.stdout, stderr=done.stderr)
    for line in done.stdout.splitlines():
        message = json.loads(line, parse_float=Decimal)
        if message["type"] == "RECORD":
            run.records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            run.state = message["value"]
    return run
