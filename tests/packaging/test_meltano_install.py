"""The Hub definition, added to a new Meltano project and installed from the wheel.

This is what Meltano Hub's "Test Meltano add/install" check does with a pull request
(``meltano add --from-ref <definition>`` then ``meltano install``) and what a user's
``meltano add tap-hotmart --variant tap-hotmart-oss`` does once the definition is on the Hub,
except that ``pip_url`` names the freshly built wheel instead of the PyPI release. It proves
that the definition is one Meltano accepts, that the plugin's virtualenv gets a working
``tap-hotmart`` from the wheel alone, and that the settings marked sensitive are redacted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from dist_helpers import INSTALL_TIMEOUT, ROOT, Dist, clean_env, run, venv_bin

from hotmart_pipeline.executables import venv_executable

pytestmark = pytest.mark.packaging

HUB_FILE = ROOT / "hub" / "tap-hotmart.yml"
#: base64("packaging-test:not-a-secret"): test data, not a credential.
FAKE_TEST_BASIC = "cGFja2FnaW5nLXRlc3Q6bm90LWEtc2VjcmV0"


def _meltano() -> str:
    """The project's pinned Meltano (`make install` puts it in .venv)."""
    return venv_executable("meltano")


@pytest.fixture(scope="module")
def project(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new Meltano project with the Hub definition added and installed."""
    home = tmp_path_factory.mktemp("meltano-user")
    project = home / "project"
    project.mkdir()
    (project / "meltano.yml").write_text(
        yaml.safe_dump(
            {
                "default_environment": "dev",
                "send_anonymous_usage_stats": False,
                "project_id": "3f0d8c1e-13a5-4b5e-9a0e-7c1f2d3e4b13",
                "environments": [{"name": "dev"}],
            },
            sort_keys=False,
        )
    )
    definition = yaml.safe_load(HUB_FILE.read_text())
    definition["pip_url"] = str(dist.wheel)
    reference = home / "tap-hotmart-oss.yml"
    reference.write_text(yaml.safe_dump(definition, sort_keys=True))

    meltano = _meltano()
    add = ["add", "--no-install", "--plugin-type", "extractor", "--from-ref", reference]
    run([meltano, *add, "tap-hotmart"], cwd=project)
    run([meltano, "install"], cwd=project, timeout=INSTALL_TIMEOUT)
    return project


def _project_plugin(project: Path) -> dict[str, Any]:
    config = yaml.safe_load((project / "meltano.yml").read_text())
    (plugin,) = config["plugins"]["extractors"]
    return plugin


def test_meltano_add_keeps_the_definition(project: Path, dist: Dist) -> None:
    hub = yaml.safe_load(HUB_FILE.read_text())
    plugin = _project_plugin(project)
    assert plugin["name"] == hub["name"] == "tap-hotmart"
    assert plugin["variant"] == hub["variant"]
    assert plugin["executable"] == hub["executable"]
    assert plugin["pip_url"] == str(dist.wheel)
    assert {s["name"] for s in plugin["settings"]} == {s["name"] for s in hub["settings"]}


def test_the_plugin_venv_runs_the_wheel(project: Path) -> None:
    venv = project / ".meltano" / "extractors" / "tap-hotmart" / "venv"
    code = "import tap_hotmart; print(tap_hotmart.__file__)"
    location = Path(run([venv_bin(venv) / "python", "-c", code], cwd=project).stdout.strip())
    assert location.resolve().is_relative_to(venv.resolve())
    assert not location.resolve().is_relative_to(ROOT)


def test_meltano_invoke_about(project: Path) -> None:
    out = run(
        [_meltano(), "invoke", "tap-hotmart", "--about", "--format", "json"], cwd=project
    ).stdout
    about = json.loads(out)
    assert about["name"] == "tap-hotmart"
    assert {"client_id", "basic", "accounts"} <= set(about["settings"]["properties"])


def test_sensitive_settings_are_redacted(project: Path) -> None:
    env = clean_env(TAP_HOTMART_BASIC=FAKE_TEST_BASIC, TAP_HOTMART_CLIENT_ID="client-visible")
    out = run([_meltano(), "config", "list", "tap-hotmart"], cwd=project, env=env).stdout
    assert "client-visible" in out, "the listing shows the values it may show"
    assert FAKE_TEST_BASIC not in out
    assert "(redacted)" in out
