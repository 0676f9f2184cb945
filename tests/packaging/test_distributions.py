"""The sdist and wheel a release uploads, and the wheel installed as a user installs it.

What a user of ``pip install tap-hotmart-oss`` (or of Meltano, which does the same in the
plugin's own virtualenv) gets is decided by pyproject.toml's package list, package data and
entry points, none of which an editable install exercises. So: twine's checks (PyPI refuses
what they refuse), the wheel's metadata and file list, and the installed commands run from
a directory outside the checkout.
"""

from __future__ import annotations

import email.parser
import inspect
import json
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml
from dist_helpers import ROOT, Dist, clean_env, pyproject, run, venv_bin, working_tree_files
from packaging.specifiers import SpecifierSet

import tap_hotmart
from tap_hotmart.tap import STREAM_TYPES

pytestmark = pytest.mark.packaging

PROJECT = pyproject()["project"]
HUB = yaml.safe_load((ROOT / "hub" / "tap-hotmart.yml").read_text())
#: The import packages the distribution ships (README, "What the distribution holds").
PACKAGES = {"tap_hotmart", "hotmart_emulator", "hotmart_reports", "hotmart_pipeline"}
DIST_NAME = "tap-hotmart-oss"


def _schema_file(stream_type: type) -> str:
    """The file a stream's schema is read from: its own name's, unless it names another
    (``refunds`` reads ``sales.json``: the same rows of ``sales/history``)."""
    return f"{inspect.getattr_static(stream_type, 'schema').key or stream_type.name}.json"


def _metadata(dist: Dist) -> Message:
    with zipfile.ZipFile(dist.wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(wheel.read(name).decode())


def _dist_info(dist: Dist) -> str:
    """The wheel's metadata directory, e.g. tap_hotmart_oss-0.1.0.dist-info."""
    name, version = dist.wheel.name.split("-")[:2]
    return f"{name}-{version}.dist-info"


def _wheel_names(dist: Dist) -> list[str]:
    with zipfile.ZipFile(dist.wheel) as wheel:
        return wheel.namelist()


def test_twine_check_passes(dist: Dist) -> None:
    """PyPI rejects an upload whose metadata or README twine finds broken."""
    proc = run(
        [sys.executable, "-m", "twine", "check", "--strict", dist.wheel, dist.sdist], cwd=ROOT
    )
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_metadata_names_our_distribution(dist: Dist) -> None:
    meta = _metadata(dist)
    assert meta["Name"] == DIST_NAME == PROJECT["name"] == HUB["pip_url"]
    assert meta["Version"] == tap_hotmart.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert SpecifierSet(meta["Requires-Python"]) == SpecifierSet(PROJECT["requires-python"])
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (ROOT / "README.md").read_text()
    assert (meta.get_payload() or "").strip() == readme.strip(), "the README is the PyPI page"
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    assert urls["Repository"] == HUB["repo"]
    assert urls["Documentation"] == HUB["docs"]
    assert {"reports", "pipeline"} <= set(meta.get_all("Provides-Extra") or [])


def test_wheel_holds_every_module_and_schema_of_the_packages(dist: Dist) -> None:
    """Every file of the four packages in the tree is in the wheel; the schemas byte for byte."""
    names = set(_wheel_names(dist))
    top_level = {name.split("/", 1)[0] for name in names} - {f"{_dist_info(dist)}"}
    assert top_level == PACKAGES, "no tests, scripts or transform/ in the wheel"
    expected = [
        name
        for name in working_tree_files(*sorted(PACKAGES))
        if "__pycache__" not in name and not name.endswith(".pyc")
    ]
    schemas = [name for name in expected if name.startswith("tap_hotmart/schemas/")]
    assert {Path(name).name for name in schemas} >= {_schema_file(s) for s in STREAM_TYPES}
    missing = sorted(set(expected) - names)
    assert not missing, f"left out of the wheel: {missing}"
    with zipfile.ZipFile(dist.wheel) as wheel:
        for name in schemas:
            assert wheel.read(name) == (ROOT / name).read_bytes(), name


def test_wheel_entry_points_are_the_pyproject_scripts(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = wheel.read(name).decode()
    section = text.split("[console_scripts]", 1)[1].split("\n[", 1)[0]
    pairs = (line.split("=", 1) for line in section.splitlines() if "=" in line)
    scripts = {name.strip(): target.strip() for name, target in pairs}
    assert scripts == PROJECT["scripts"]
    assert scripts[HUB["executable"]] == "tap_hotmart.tap:TapHotmart.cli"


def test_sdist_has_the_license_changelog_and_no_tests(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"} <= names
    assert "tap_hotmart/schemas/sales.json" in names
    assert not any(name.startswith("tests/") for name in names), "tests need a clone"


# --- the wheel installed in a clean virtualenv ------------------------------------------


def _in_venv(venv: Path, command: str, *args: str, cwd: Path) -> str:
    """Run an installed console script from a directory that is not the checkout."""
    return run([venv_bin(venv) / command, *args], cwd=cwd, env=clean_env()).stdout


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory far from the checkout, so nothing is imported from it."""
    return tmp_path_factory.mktemp("user-dir")


def test_the_import_comes_from_the_wheel(wheel_venv: Path, outside: Path) -> None:
    code = (
        "import importlib.metadata as m, json, tap_hotmart, hotmart_emulator;"
        f"print(json.dumps([tap_hotmart.__file__, m.version({DIST_NAME!r})]))"
    )
    out = run([venv_bin(wheel_venv) / "python", "-c", code], cwd=outside).stdout
    location, version = json.loads(out)
    assert Path(location).resolve().is_relative_to(wheel_venv.resolve())
    assert not Path(location).resolve().is_relative_to(ROOT)
    assert version == tap_hotmart.__version__


def _about(wheel_venv: Path, outside: Path) -> dict[str, Any]:
    out = _in_venv(wheel_venv, "tap-hotmart", "--about", "--format", "json", cwd=outside)
    return json.loads(out)


def test_installed_about_describes_the_tap(wheel_venv: Path, outside: Path) -> None:
    about = _about(wheel_venv, outside)
    assert about["name"] == HUB["name"] == "tap-hotmart"
    assert set(about["capabilities"]) == set(HUB["capabilities"])
    hub_settings = {setting["name"] for setting in HUB["settings"]}
    assert hub_settings <= set(about["settings"]["properties"])


def test_installed_about_reports_the_release(wheel_venv: Path, outside: Path) -> None:
    """Meltano Hub's metadata refresh reads the version and Python versions from --about."""
    about = _about(wheel_venv, outside)
    assert about["version"] == tap_hotmart.__version__
    assert about["supported_python_versions"] == HUB["supported_python_versions"]


def test_installed_discover_has_every_stream_with_its_schema(
    wheel_venv: Path, outside: Path
) -> None:
    """The JSON schemas are package data: a wheel without them discovers nothing."""
    catalog = json.loads(_in_venv(wheel_venv, "tap-hotmart", "--discover", cwd=outside))
    streams = {entry["tap_stream_id"]: entry["schema"] for entry in catalog["streams"]}
    assert set(streams) == {stream.name for stream in STREAM_TYPES}
    files = {stream.name: _schema_file(stream) for stream in STREAM_TYPES}
    for name, schema in streams.items():
        shipped = json.loads((ROOT / "tap_hotmart" / "schemas" / files[name]).read_text())
        assert schema == shipped, name


@pytest.mark.parametrize("script", sorted(PROJECT["scripts"]))
def test_every_command_starts_without_the_extras(
    wheel_venv: Path, outside: Path, script: str
) -> None:
    """The extras add only what a companion needs when it runs, never to start."""
    assert "usage:" in _in_venv(wheel_venv, script, "--help", cwd=outside).lower()


def test_report_without_psycopg_names_our_extra(wheel_venv: Path, outside: Path) -> None:
    """Without the extra, the report says in one line which extra to install."""
    report = subprocess.run(
        [venv_bin(wheel_venv) / "hotmart-report", "new-orders"],
        cwd=outside,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert report.returncode != 0
    assert f"pip install '{DIST_NAME}[reports]'" in report.stderr + report.stdout
