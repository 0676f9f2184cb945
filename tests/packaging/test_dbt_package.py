"""transform/ installed as a dbt git package, exactly as docs/reports.md tells a dbt user to.

A dbt user never gets our Python distribution: dbt packages come from git. So the test takes
the ``packages.yml`` and ``vars`` blocks printed in docs/reports.md, points the git URL at a
local repository holding this working tree's transform/ (tagged with the documented
revision), and runs ``dbt deps`` and ``dbt parse`` in a new dbt project. The manifest must
then hold every mart under the package name ``hotmart``, read its sources from the schema
the user's vars name, and build in the user's schemas. Parsing needs no database.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from dist_helpers import ROOT, clean_env, copy_working_tree, pyproject, run

import tap_hotmart

pytestmark = pytest.mark.packaging

DBT = ROOT / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt"
REPORTS_DOC = ROOT / "docs" / "reports.md"
USER_SCHEMA = "analytics"
#: git with an identity and no signing, whatever the machine's global config says.
GIT = [
    "git",
    *("-c", "user.name=packaging-test", "-c", "user.email=packaging-test@example.invalid"),
    *("-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"),
]


def _yaml_blocks(text: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def _documented() -> tuple[dict[str, Any], dict[str, Any]]:
    """The packages.yml entry and the vars that docs/reports.md prints."""
    blocks = _yaml_blocks(REPORTS_DOC.read_text())
    (package,) = [
        entry
        for block in blocks
        if isinstance(block, dict)
        for entry in block.get("packages", [])
        if entry.get("subdirectory") == "transform"
    ]
    (user_vars,) = [
        b["vars"]
        for b in blocks
        if isinstance(b, dict) and "hotmart_raw_schema" in b.get("vars", {})
    ]
    return package, user_vars


def test_documented_package_points_at_our_repository_and_release() -> None:
    package, _ = _documented()
    assert package["git"] == pyproject()["project"]["urls"]["Repository"] + ".git"
    assert package["revision"] == f"v{tap_hotmart.__version__}", "the latest release tag"


def test_dbt_project_name_is_the_package_name() -> None:
    project = yaml.safe_load((ROOT / "transform" / "dbt_project.yml").read_text())
    assert project["name"] == "hotmart"
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", project["name"]), "dbt package names are identifiers"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not DBT.exists():
        pytest.skip("dbt is installed by `make meltano-install` (the dbt-postgres utility)")
    package, user_vars = _documented()

    repo = copy_working_tree(tmp_path_factory.mktemp("tap-hotmart-repo"), "transform")
    run(["git", "init", "-q"], cwd=repo)
    run([*GIT, "add", "-A"], cwd=repo)
    run([*GIT, "commit", "-q", "-m", "transform/ of the working tree"], cwd=repo)
    run([*GIT, "tag", package["revision"]], cwd=repo)

    project = tmp_path_factory.mktemp("dbt-user")
    (project / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {
                "name": "my_analytics",
                "version": "1.0.0",
                "config-version": 2,
                "profile": "my_analytics",
                "vars": user_vars,
            }
        )
    )
    (project / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{**package, "git": repo.as_uri()}]})
    )
    (project / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "my_analytics": {
                    "target": "dev",
                    "outputs": {
                        "dev": {
                            "type": "postgres",
                            "host": "127.0.0.1",
                            "port": 1,  # never connected to: dbt parse needs no database
                            "user": "nobody",
                            "password": "",
                            "dbname": "warehouse",
                            "schema": USER_SCHEMA,
                            "threads": 1,
                        }
                    },
                }
            }
        )
    )
    env = {k: v for k, v in clean_env().items() if not k.startswith("DBT_")}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    for command in ("deps", "parse"):
        run([DBT, command, "--profiles-dir", project], cwd=project, env=env, timeout=300)
    return json.loads((project / "target" / "manifest.json").read_text())


def test_every_mart_is_in_the_package(manifest: dict[str, Any]) -> None:
    marts = {path.stem for path in (ROOT / "transform" / "models" / "marts").glob("*.sql")}
    assert marts, "transform/models/marts has the marts"
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    assert {name for name, node in models.items() if node["package_name"] == "hotmart"} >= marts
    assert manifest["metadata"]["project_name"] == "my_analytics"


def test_sources_read_the_users_raw_schema(manifest: dict[str, Any]) -> None:
    _, user_vars = _documented()
    sources = [s for s in manifest["sources"].values() if s["package_name"] == "hotmart"]
    assert {s["name"] for s in sources} >= {"sales", "refunds", "subscriptions", "products"}
    assert {s["schema"] for s in sources} == {user_vars["hotmart_raw_schema"]}


def test_models_build_in_the_users_schemas(manifest: dict[str, Any]) -> None:
    schemas = {
        node["name"]: node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "hotmart"
    }
    assert schemas["hotmart__orders"] == USER_SCHEMA
    staging = {schema for name, schema in schemas.items() if name.startswith("stg_hotmart__")}
    assert staging == {f"{USER_SCHEMA}_staging"}
