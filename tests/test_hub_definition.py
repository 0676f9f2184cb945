"""The Meltano Hub definition and meltano.yml must say what the tap itself says.

Why: Meltano Hub regenerates settings from ``tap-hotmart --about --format=json`` every week,
and Meltano redacts only the settings a plugin definition marks ``sensitive``. A setting
added to the tap but not to ``hub/tap-hotmart.yml``/``meltano.yml``, or a secret that is not
marked sensitive there, would either be invisible to users or printed in clear by
``meltano config``. These tests catch both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotmart_pipeline.executables import venv_executable
from hotmart_pipeline.plugin_settings import is_secret

ROOT = Path(__file__).resolve().parent.parent
HUB_FILE = ROOT / "hub" / "tap-hotmart.yml"
MELTANO_FILE = ROOT / "meltano.yml"
README = (ROOT / "README.md").read_text()
if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: The name `tap-hotmart` on PyPI is another tap (the Hub's im-voracity variant, 1.0.0).
TAKEN_ON_PYPI = "tap-hotmart"

#: Settings the Singer SDK adds to every tap; Meltano knows them without a definition.
SDK_BUILTINS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "batch_config",
}
#: Newer SDK versions add more flattening options; all of them are built-ins.
SDK_BUILTIN_PREFIXES = ("flattening_",)
REQUIRED_KEYWORDS = {"meltano_sdk"}


@pytest.fixture(scope="module")
def about() -> dict[str, Any]:
    """The tap's own description of itself."""
    proc = subprocess.run(
        [venv_executable("tap-hotmart"), "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"tap-hotmart --about failed:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def hub() -> dict[str, Any]:
    return yaml.safe_load(HUB_FILE.read_text())


@pytest.fixture(scope="module")
def meltano_tap() -> dict[str, Any]:
    project = yaml.safe_load(MELTANO_FILE.read_text())
    (tap,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-hotmart"]
    return tap


def _tap_settings(about: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = about["settings"]["properties"]
    return {
        name: schema
        for name, schema in props.items()
        if name not in SDK_BUILTINS and not name.startswith(SDK_BUILTIN_PREFIXES)
    }


def _by_name(settings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in settings}


def test_hub_settings_equal_tap_settings(about: dict[str, Any], hub: dict[str, Any]) -> None:
    assert set(_by_name(hub["settings"])) == set(_tap_settings(about))


def test_meltano_settings_equal_tap_settings(
    about: dict[str, Any], meltano_tap: dict[str, Any]
) -> None:
    assert set(_by_name(meltano_tap["settings"])) == set(_tap_settings(about))


def test_secrets_are_sensitive_everywhere(
    about: dict[str, Any], hub: dict[str, Any], meltano_tap: dict[str, Any]
) -> None:
    secrets = {name for name, schema in _tap_settings(about).items() if is_secret(schema)}
    assert {"client_secret", "basic", "accounts"} <= secrets, "the tap must mark its secrets"
    hub_settings, meltano_settings = _by_name(hub["settings"]), _by_name(meltano_tap["settings"])
    for name in sorted(secrets):
        assert hub_settings[name].get("sensitive") is True, f"hub: {name} must be sensitive"
        if name != "accounts":  # an array of objects cannot be kind: password
            assert hub_settings[name].get("kind") == "password", f"hub: {name} kind: password"
        assert meltano_settings[name].get("sensitive") is True, f"meltano.yml: {name} sensitive"


def test_capabilities_match(
    about: dict[str, Any], hub: dict[str, Any], meltano_tap: dict[str, Any]
) -> None:
    assert set(hub["capabilities"]) == set(about["capabilities"])
    assert set(meltano_tap["capabilities"]) == set(about["capabilities"])


def test_hub_metadata(hub: dict[str, Any], meltano_tap: dict[str, Any]) -> None:
    assert hub["name"] == "tap-hotmart"
    assert hub["namespace"] == meltano_tap["namespace"] == "tap_hotmart"
    assert set(hub["keywords"]) >= REQUIRED_KEYWORDS
    assert hub["maintenance_status"] in {"active", "beta", "development", "inactive", "unknown"}
    assert hub["quality"] in {"gold", "silver", "bronze", "unknown"}
    assert hub["supported_python_versions"] == ["3.10", "3.11", "3.12", "3.13"]
    groups = [sorted(group) for group in hub["settings_group_validation"]]
    assert groups == [["basic", "client_id", "client_secret"], ["accounts"]]
    assert groups == [sorted(g) for g in meltano_tap["settings_group_validation"]]
    for setting in hub["settings"]:
        assert {"name", "kind", "label", "description"} <= set(setting), setting["name"]


def test_hub_kinds_match_tap_types(about: dict[str, Any], hub: dict[str, Any]) -> None:
    """Integer settings are integers, booleans booleans: Meltano casts by kind.

    Dates are strings: Meltano reads a `date_iso8601` value such as 01/02/2020 month first
    and passes 2020-01-02 on, where a user in Brazil meant 1 February; as a string the value
    reaches the tap unchanged, which accepts only ISO-8601 and refuses the rest in one line.
    """
    expected = {"integer": {"integer"}, "boolean": {"boolean"}, "array": {"array"}}
    for name, schema in _tap_settings(about).items():
        types = schema.get("type", [])
        types = {types} if isinstance(types, str) else set(types)
        kind = _by_name(hub["settings"])[name]["kind"]
        for json_type, kinds in expected.items():
            if json_type in types:
                assert kind in kinds, f"{name}: type {json_type} but kind {kind}"
        if schema.get("format") in {"date-time", "date"}:
            assert kind == "string", f"{name}: a date must be kind string (see above)"


def test_hub_defaults_are_the_taps(
    about: dict[str, Any], hub: dict[str, Any], meltano_tap: dict[str, Any]
) -> None:
    """Meltano hands a definition's `value` to the tap as the setting's value.

    A default that differs from the tap's own would silently override it for every Meltano
    user, so the definitions repeat the tap's defaults or leave them out.
    """
    hub_settings, meltano_settings = _by_name(hub["settings"]), _by_name(meltano_tap["settings"])
    for name, schema in _tap_settings(about).items():
        assert hub_settings[name].get("value") == schema.get("default"), f"hub: {name}"
        assert meltano_settings[name].get("value") == schema.get("default"), f"meltano.yml: {name}"


def test_hub_install_fields_agree_with_pyproject_and_readme(hub: dict[str, Any]) -> None:
    """`meltano add tap-hotmart --variant tap-hotmart-oss` installs `pip_url`: this project.

    The plugin keeps the Hub's names (`tap-hotmart`, executable `tap-hotmart`); only the
    distribution differs, because the PyPI name `tap-hotmart` installs the other tap.
    """
    assert hub["name"] == hub["executable"] == "tap-hotmart"
    assert hub["pip_url"] == PROJECT["name"] != TAKEN_ON_PYPI
    assert hub["executable"] in PROJECT["scripts"]
    assert hub["repo"] == PROJECT["urls"]["Repository"]
    assert hub["docs"] == PROJECT["urls"]["Documentation"]
    owner = hub["repo"].rstrip("/").split("/")[-2]
    assert hub["variant"] == owner, "a Hub variant is named after the repository's owner"
    # The README names them in prose until the first release (no command it prints may fail).
    for said in (f"distribution `{hub['pip_url']}`", f"variant `{hub['variant']}`", hub["repo"]):
        assert said in README, f"the README says {said!r}"
