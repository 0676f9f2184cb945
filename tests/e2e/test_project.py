"""meltano.yml stays installable without Meltano Hub, and the demo wiring stays consistent.

Why: Meltano Hub is not always reachable (never from CI here), so a plugin that loses its
inline ``namespace``/``pip_url``/``executable`` would make ``meltano install`` go to the Hub
and fail. These checks are static and take milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from hotmart_pipeline import demo, warehouse
from tap_hotmart.settings import config_schema

ROOT = Path(__file__).resolve().parents[2]
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text())

#: The Meltano kind of each JSON type of the tap's settings; dates stay strings (no
#: `date_iso8601`: see test_no_setting_kind_that_meltano_rewrites).
MELTANO_KINDS = {"string": "string", "integer": "integer", "boolean": "boolean", "array": "array"}
#: The settings meltano.yml must mask; the tap marks the same ones secret.
SECRETS = {"client_secret", "basic", "accounts"}


def _json_type(schema: dict) -> str:
    (json_type,) = [t for t in schema["type"] if t != "null"]
    return json_type


def _plugins() -> list[dict]:
    return [p for kind in PROJECT["plugins"].values() for p in kind]


#: The project's own commands, run from the project's virtualenv (no pip_url, no install).
PROJECT_COMMANDS = {
    "warehouse": "hotmart-warehouse",
    "hotmart-report": "hotmart-report",
    "target-warehouse": "hotmart-load",
}


def test_every_plugin_is_defined_inline() -> None:
    for plugin in _plugins():
        if "inherit_from" in plugin:
            continue
        if plugin["name"] in PROJECT_COMMANDS:
            executable = f".venv/bin/{PROJECT_COMMANDS[plugin['name']]}"
            assert plugin["executable"] == executable and "pip_url" not in plugin
            assert plugin.get("namespace")
            continue
        for key in ("namespace", "pip_url", "executable", "settings"):
            assert plugin.get(key), f"{plugin['name']}: '{key}' missing (Hub lookup needed)"


def test_no_setting_kind_that_meltano_rewrites() -> None:
    """Meltano 4 writes `password` back as `string` + `sensitive`: use that form already."""
    for plugin in _plugins():
        for setting in plugin.get("settings", []):
            assert setting.get("kind") not in {"password", "date_iso8601"}, (
                f"{plugin['name']}.{setting['name']}"
            )


def test_the_embedded_warehouse_address_agrees_everywhere() -> None:
    """meltano.yml's loader, dbt's profile and the warehouse module name one port."""
    (loader,) = [p for p in PROJECT["plugins"]["loaders"] if p["name"] == "target-postgres"]
    values = {s["name"]: s.get("value") for s in loader["settings"]}
    assert values["port"] == warehouse.EMBEDDED_PORT
    assert (values["user"], values["database"]) == (warehouse.SUPERUSER, warehouse.DATABASE)
    profile = (ROOT / "transform" / "profiles" / "profiles.yml").read_text()
    assert f"'{warehouse.EMBEDDED_PORT}'" in profile
    assert f"'{warehouse.DATABASE}'" in profile


def test_tap_settings_and_kinds() -> None:
    (tap,) = [p for p in PROJECT["plugins"]["extractors"] if p["name"] == "tap-hotmart"]
    kinds = {s["name"]: s["kind"] for s in tap["settings"]}
    properties = config_schema()["properties"]
    assert kinds == {name: MELTANO_KINDS[_json_type(spec)] for name, spec in properties.items()}
    sensitive = {s["name"] for s in tap["settings"] if s.get("sensitive")}
    assert sensitive == SECRETS
    assert {name for name, spec in properties.items() if spec.get("secret")} == SECRETS


def test_jobs_and_demo_plugin() -> None:
    jobs = {job["name"]: job["tasks"] for job in PROJECT["jobs"]}
    assert jobs["hotmart-sync"] == [
        "warehouse:start tap-hotmart target-warehouse dbt-postgres:build"
    ]
    assert jobs["hotmart-demo"] == [
        "warehouse:start tap-hotmart-demo target-warehouse-demo dbt-postgres-demo:build"
    ]
    (demo_tap,) = [p for p in PROJECT["plugins"]["extractors"] if p["name"] == "tap-hotmart-demo"]
    assert demo_tap["inherit_from"] == "tap-hotmart"
    # the demo after hotmart-connect: the real credentials in .env must not reach it
    assert {k: demo_tap["config"][k] for k in ("client_id", "client_secret", "basic")} == {
        "client_id": "",
        "client_secret": "",
        "basic": "",
    }
    assert {s["job"] for s in PROJECT["schedules"]} == {"hotmart-sync"}
    assert PROJECT["default_environment"] == "dev"


def test_the_warehouse_loader_names_a_real_loader_per_engine() -> None:
    """target-warehouse (the jobs' loader) hands over to a loader defined in this project, for
    each engine; the environment `duckdb` selects DuckDB for the loader and dbt alike."""
    loaders = {p["name"]: p for p in PROJECT["plugins"]["loaders"]}
    for name, postgres, duckdb in [
        ("target-warehouse", "target-postgres", "target-duckdb"),
        ("target-warehouse-demo", "target-postgres-demo", "target-duckdb-demo"),
    ]:
        env = loaders[name]["env"]
        assert env == {"HOTMART_POSTGRES_LOADER": postgres, "HOTMART_DUCKDB_LOADER": duckdb}
        assert postgres in loaders and duckdb in loaders
    (duckdb_env,) = [e for e in PROJECT["environments"] if e["name"] == "duckdb"]
    assert duckdb_env["env"]["HOTMART_WAREHOUSE_ENGINE"] == "duckdb"
    assert duckdb_env["env"]["DBT_TARGET"] == "duckdb"


def test_tap_env_from_the_emulator_config() -> None:
    config = {
        "api_url": "http://127.0.0.1:1",
        "start_date": "2023-11-02T00:00:00Z",
        "accounts": [
            {"account_id": "acct-1", "client_id": "c", "client_secret": "s", "basic": "b"}
        ],
    }
    env = demo.tap_env(config)
    assert env["TAP_HOTMART_DEMO_API_URL"] == "http://127.0.0.1:1"
    assert env["TAP_HOTMART_DEMO_START_DATE"] == "2023-11-02T00:00:00Z"
    assert json.loads(env["TAP_HOTMART_DEMO_ACCOUNTS"]) == config["accounts"]
