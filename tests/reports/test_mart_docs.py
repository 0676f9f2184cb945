"""Every column of every mart is documented, with a definition from docs/reports.md.

The marts are what users query and what `dbt docs generate` shows them, so a column without
a description is a column whose meaning a reader has to guess from the SQL. The definitions
live once, in the docs blocks of transform/models/docs/, and hotmart.yml points every
column at one of them with `{{ doc('...') }}`: a metric shared by several marts (gross
revenue, currency code...) cannot then be defined twice in two different ways.

Two checks. Without a database (always): `dbt parse` (no connection; the profile is
pointed at a closed port anyway) renders every description, which must be one of those
docs blocks. Against a built warehouse (marker e2e, the `pipeline` fixture of conftest.py,
on each engine): the columns each mart table actually has, from information_schema, equal
the yml's in both directions (a column the mart outputs and the yml does not list is
undocumented; one the yml lists and the mart does not output is a stale definition).
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from tests.reports.compare import query
from tests.reports.conftest import MART_SCHEMA, ROOT, TRANSFORM, find_executable

MARTS_DIR = TRANSFORM / "models" / "marts"
MARTS_YML = MARTS_DIR / "hotmart.yml"
MARTS = sorted(path.stem for path in MARTS_DIR.glob("hotmart__*.sql"))
DOC_REFERENCE = re.compile(r"""^\{\{\s*doc\(\s*['"](hotmart_\w+)['"]\s*\)\s*\}\}$""")


def _yml_models() -> dict[str, dict]:
    """hotmart.yml as written (not as dbt patched it): the doc() references themselves."""
    return {model["name"]: model for model in yaml.safe_load(MARTS_YML.read_text())["models"]}


def _yml_columns(mart: str) -> set[str]:
    return {column["name"] for column in _yml_models().get(mart, {}).get("columns", [])}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The manifest of `dbt parse`: descriptions with their docs blocks rendered, raw SQL.

    Parse needs no database. Its own target and log paths, so transform/target is left
    alone.
    """
    dbt = find_executable("dbt", "HOTMART_DBT", ".meltano/utilities/dbt-postgres/venv/bin/dbt")
    work = tmp_path_factory.mktemp("mart-docs")
    env = {
        **os.environ,
        "DBT_TARGET": "dev",
        # nothing listens there: if parse ever opened a connection it would fail here,
        # never reach a real or embedded warehouse
        "DBT_POSTGRES_HOST": "127.0.0.1",
        "DBT_POSTGRES_PORT": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(TRANSFORM),
         "--profiles-dir", str(TRANSFORM / "profiles"),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"dbt parse failed:\n{proc.stdout[-4000:]}{proc.stderr}"
    return json.loads((work / "target" / "manifest.json").read_text())


def _node(manifest: dict, model: str) -> dict:
    """A model of this project in the manifest (a package's own models only)."""
    return manifest["nodes"][f"model.hotmart.{model}"]


def _compare(mart: str, outputs: set[str], documented: set[str], source: str) -> None:
    """Both directions, each failure naming what to do about it."""
    undocumented = outputs - documented
    stale = documented - outputs
    assert not undocumented, (
        f"{mart}: columns of {source} missing from hotmart.yml (list each with a docs block "
        f"of transform/models/docs/): {sorted(undocumented)}"
    )
    assert not stale, f"{mart}: hotmart.yml lists columns {source} lacks: {sorted(stale)}"


# --- the tests ------------------------------------------------------------------------------


def test_every_mart_is_in_the_yml() -> None:
    """A mart missing from hotmart.yml would escape every check below."""
    assert MARTS, f"no hotmart__*.sql in {MARTS_DIR}"
    assert sorted(set(MARTS) - set(_yml_models())) == []


@pytest.mark.parametrize("mart", MARTS)
def test_descriptions_come_from_docs_blocks(manifest: dict, mart: str) -> None:
    """Each column points at a docs block, and dbt renders it to a definition.

    The yml is read raw (the reference itself), the manifest rendered: an empty docs block,
    or a reference dbt did not resolve, would show nothing in `dbt docs`.
    """
    raw = {c["name"]: c.get("description", "") for c in _yml_models()[mart].get("columns", [])}
    not_references = sorted(name for name, text in raw.items() if not DOC_REFERENCE.match(text))
    assert not not_references, (
        f"{mart}: descriptions that are not {{{{ doc('hotmart_...') }}}}: {not_references}"
    )
    rendered = _node(manifest, mart)["columns"]
    blank = sorted(
        name
        for name in raw
        if not rendered.get(name, {}).get("description", "").strip()
        or "{{" in rendered[name]["description"]
    )
    assert not blank, f"{mart}: descriptions that render empty or unrendered: {blank}"
    assert _node(manifest, mart)["description"].strip(), f"{mart} has no model description"


@pytest.mark.e2e
@pytest.mark.parametrize("mart", MARTS)
def test_yml_columns_equal_the_warehouse_columns(pipeline, mart: str) -> None:
    """The yml lists exactly the columns of the tables dbt built: what users query.

    information_schema is read the same way on every engine of the fixture; the names are
    this module's constants, so they are written into the SQL rather than bound (the
    drivers disagree on placeholders).
    """
    rows = query(
        pipeline,
        "select column_name from information_schema.columns"
        f" where table_schema = '{MART_SCHEMA}' and table_name = '{mart}'",
    )
    assert rows, f"{MART_SCHEMA}.{mart} was not built"
    _compare(mart, {name for (name,) in rows}, _yml_columns(mart), "the warehouse table")
