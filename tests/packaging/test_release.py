"""One version, and a release workflow that publishes only what it checked.

Static checks (nothing is built, so no ``packaging`` mark): a version bumped in one place
but not in the others would publish a wheel whose CHANGELOG, dbt package or Hub page says
something else; a publishing job with more rights than it needs, or one that runs on every
push, is the kind of mistake nobody sees until it matters.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from dist_helpers import ROOT, pyproject
from packaging.version import Version

import hotmart_reports
import tap_hotmart

WORKFLOWS = ROOT / ".github" / "workflows"
CHANGELOG_HEADING = re.compile(
    r"^## \[(?P<version>[^\]]+)\] - (?P<when>Unreleased|\d{4}-\d{2}-\d{2})$", re.M
)


def _workflow(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_the_version_has_one_source() -> None:
    project = pyproject()
    assert "version" not in project["project"], "no second, static version in pyproject"
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "tap_hotmart.__version__"}
    assert str(Version(tap_hotmart.__version__)) == tap_hotmart.__version__, "PEP 440, normalized"


def test_the_others_follow_it() -> None:
    dbt_project = yaml.safe_load((ROOT / "transform" / "dbt_project.yml").read_text())
    assert dbt_project["version"] == tap_hotmart.__version__, "transform/dbt_project.yml"
    assert hotmart_reports.__version__ == tap_hotmart.__version__, "hotmart_reports/__init__.py"


def test_changelog_top_section_is_the_version() -> None:
    headings = list(CHANGELOG_HEADING.finditer((ROOT / "CHANGELOG.md").read_text()))
    assert headings, "CHANGELOG.md has '## [X.Y.Z] - YYYY-MM-DD' (or '- Unreleased') sections"
    assert headings[0]["version"] == tap_hotmart.__version__
    versions = [Version(h["version"]) for h in headings]
    assert versions == sorted(versions, reverse=True), "newest first"
    assert all(h["when"] != "Unreleased" for h in headings[1:]), "only the top may be unreleased"


def test_release_workflow_publishes_only_tags_with_trusted_publishing() -> None:
    release = _workflow("release.yml")
    assert release["on"]["push"] == {"tags": ["v*"]}
    assert "id-token" not in release.get("permissions", {}), "no OIDC token for every job"

    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    assert any("make release-check" in run for run in _runs(build))
    assert any(uses.startswith("actions/upload-artifact@") for uses in _uses(build))

    assert publish["needs"] == "build"
    assert publish["if"] == "github.event_name == 'push' && github.ref_type == 'tag'"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["environment"]["url"].endswith(f"/{pyproject()['project']['name']}/")
    assert _uses(publish)[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert not _runs(publish), "the job holding the token runs no code from the repository"
    assert "password" not in str(publish), "trusted publishing: no API token"


def test_release_workflow_checks_the_tag_against_the_version() -> None:
    (check,) = [
        step
        for step in _workflow("release.yml")["jobs"]["build"]["steps"]
        if "tap_hotmart.__version__" in step.get("run", "")
    ]
    assert check["if"] == "github.ref_type == 'tag'"
    assert "CHANGELOG.md" in check["run"]


def test_ci_dry_runs_the_release() -> None:
    jobs = _workflow("ci.yml")["jobs"]
    assert any("make release-check" in run for job in jobs.values() for run in _runs(job)), (
        "CI runs the release's checks without publishing"
    )
    assert all("id-token" not in job.get("permissions", {}) for job in jobs.values())


def test_release_check_is_a_make_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    (recipe,) = re.findall(r"^release-check:.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert "python -m build" in recipe
    assert "twine check --strict" in recipe
    assert "tests/packaging" in recipe
    assert "upload" not in recipe, "a check publishes nothing"
