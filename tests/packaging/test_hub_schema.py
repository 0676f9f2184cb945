"""hub/tap-hotmart.yml passes the checks Meltano Hub runs on a pull request.

The Hub validates every definition with its JSON schemas (Draft 7, each schema registered
under its ``$id``) and lints changed definitions with its yamllint config; a definition that
fails either is not merged. Both are vendored in hub/schemas/ (see its README for the
commit), so these checks run here, offline and fast (no ``packaging`` mark: nothing is built).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from dist_helpers import ROOT
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from yamllint import linter
from yamllint.config import YamlLintConfig

HUB_DIR = ROOT / "hub"
SCHEMAS = HUB_DIR / "schemas"
DEFINITION = HUB_DIR / "tap-hotmart.yml"
ENTRY_SCHEMA = "plugin_definitions/extractors.schema.json"


def _registry() -> Registry:
    """Every vendored schema under its ``$id``, which is how the Hub resolves the $refs."""
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        contents = json.loads(path.read_text())
        resources.append(
            (contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7))
        )
    return Registry().with_resources(resources)


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((SCHEMAS / ENTRY_SCHEMA).read_text())
    return Draft7Validator(schema, registry=_registry())


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return yaml.safe_load(DEFINITION.read_text())


def _errors(validator: Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_vendored_schemas_are_the_hubs_unchanged() -> None:
    """The digests in hub/schemas/README.md are those of the files as copied from the Hub."""
    readme = (SCHEMAS / "README.md").read_text()
    listed = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    on_disk = {
        str(path.relative_to(SCHEMAS)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in SCHEMAS.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert listed == on_disk
    assert ENTRY_SCHEMA in on_disk
    assert re.search(r"commit\s+`[0-9a-f]{40}`", readme), "say which commit they come from"


def test_definition_validates_against_the_hub_schema(
    validator: Draft7Validator, definition: dict[str, Any]
) -> None:
    assert _errors(validator, definition) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value

    return mutate


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key)


@pytest.mark.parametrize(
    ("mutation", "where"),
    [
        (_set("secrets", ["basic"]), "(top)"),  # extractors.schema.json: no other keys
        (_drop("quality"), "(top)"),  # required by extractors.schema.json
        (_drop("variant"), "(top)"),  # required by common/common.schema.json
        (_set("capabilities", ["about", "batching"]), "capabilities/1"),  # extractors_specific
        (_set("maintenance_status", "deprecated"), "maintenance_status"),  # hub_metadata
        (_set("settings.0.secret", True), "settings/0"),  # common/base_setting: no other keys
        (_set("settings.0.kind", "date"), "settings/0/kind"),  # base_setting's kinds
        (_set("supported_python_versions", ["3.10", "3"]), "supported_python_versions/1"),
    ],
)
def test_the_schema_rejects_what_the_hub_rejects(
    validator: Draft7Validator,
    definition: dict[str, Any],
    mutation: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    """Each vendored schema file, reached through its $ref, really takes part."""
    broken = copy.deepcopy(definition)
    mutation(broken)
    errors = _errors(validator, broken)
    assert any(error.startswith(f"{where}:") for error in errors), errors


def test_definition_passes_the_hubs_yamllint() -> None:
    """Sorted keys, unindented sequences, no flow mappings: the Hub's "Check YAML format"."""
    config = YamlLintConfig(file=str(SCHEMAS / "yamllint.yaml"))
    problems = [
        f"{problem.line}:{problem.column} {problem.message} ({problem.rule})"
        for problem in linter.run(DEFINITION.read_text(), config, str(DEFINITION))
    ]
    assert problems == []


def test_the_hubs_yamllint_is_strict_enough_to_fail() -> None:
    config = YamlLintConfig(file=str(SCHEMAS / "yamllint.yaml"))
    unsorted = "name: tap-hotmart\nlabel: Hotmart\n"
    assert any(p.rule == "key-ordering" for p in linter.run(unsorted, config))


def test_pull_request_text_matches_the_definition(definition: dict[str, Any]) -> None:
    """hub/README.md is the pull request to meltano/hub: the file it adds and its maintainer.

    The Hub checks that a definition lies in a directory named after the plugin and that
    every variant has an entry in ``_data/maintainers.yml``; the PR text carries both.
    """
    text = (HUB_DIR / "README.md").read_text()
    variant = definition["variant"]
    assert f"_data/meltano/extractors/{definition['name']}/{variant}.yml" in text
    blocks = [textwrap.dedent(b) for b in re.findall(r"^ *```yaml\n(.*?)^ *```", text, re.S | re.M)]
    (block,) = [b for b in blocks if b.startswith(f"{variant}:")]
    maintainer = yaml.safe_load(block)[variant]
    assert maintainer["name"] == variant
    owner_url = definition["repo"].rsplit("/", 1)[0]
    assert maintainer["url"] == owner_url, "the Hub derives a maintainer's URL from the repo"
    assert f"pip install {definition['pip_url']}" in text
    assert f"--variant {variant}" in text


def test_definition_file_header_names_its_place_in_the_hub(definition: dict[str, Any]) -> None:
    header = "".join(line for line in DEFINITION.read_text().splitlines(True) if line[:1] == "#")
    assert f"_data/meltano/extractors/{definition['name']}/{definition['variant']}.yml" in header
