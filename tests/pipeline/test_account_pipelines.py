"""``hotmart-accounts``: the accounts file, the generated Meltano include file, its check, and
that Meltano reads the generated plugins the way docs/pipeline.md ("Many accounts") says."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from meltano.core.utils import to_env_var

from hotmart_pipeline import account_pipelines as ap
from hotmart_pipeline.demo import venv_bin
from tests.support.accounts_project import ROOT, copy_project

SECRET = "s3cr3t-value-never-shown"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.yml"
    path.write_text(text)
    return path


def _project(tmp_path: Path, accounts: str) -> Path:
    """A folder with the project's meltano.yml and an accounts file."""
    (tmp_path / "meltano.yml").write_text((ROOT / "meltano.yml").read_text())
    _write(tmp_path, accounts)
    return tmp_path


# --------------------------------------------------------------------------- the accounts file


def test_reads_ids_and_labels_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, "accounts:\n- id: acme\n  label: ACME Store\n- id: beta_2\n- gamma-3\n")
    accounts = ap.read_accounts_file(path)
    assert [a.account_id for a in accounts] == ["acme", "beta_2", "gamma-3"]
    assert accounts[0].label == "ACME Store" and accounts[1].label is None
    assert accounts[0].extractor == "tap-hotmart--acme"
    assert accounts[0].job == "hotmart-sync--acme"
    assert ap.TRANSFORM_JOB == "hotmart-transform"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accounts: [\n", "not valid YAML at line"),
        ("- id: acme\n", "expected a top-level list `accounts:`"),
        ("accounts: []\n", "`accounts:` is empty"),
        ("accounts:\n- id: acme\nschedules: []\n", "unknown top-level key 'schedules'"),
        ("accounts:\n- id: acme\n- id: my store\n", "account #2: id 'my store' is not valid"),
        ("accounts:\n- id: acme.br\n", "account #1: id 'acme.br' is not valid"),
        ("accounts:\n- label: no id\n", "account #1: id missing is not valid"),
        ("accounts:\n- id: 42\n", "account #1: id 42 is not valid"),
        ("accounts:\n- [acme]\n", "account #1: expected `- id: <account id>`, got a list"),
        ("accounts:\n- id: acme\n  lable: x\n", "unknown key 'lable'"),
        ("accounts:\n- id: acme\n  label: [x]\n", "label must be text"),
        ("accounts:\n- id: acme-br\n- id: acme_br\n", "account #2 (acme_br) repeats account #1"),
        ("accounts:\n- id: acme\n- id: ACME\n", "account #2 (ACME) repeats account #1"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_entry_and_the_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ap.AccountsFileError) as caught:
        ap.read_accounts_file(_write(tmp_path, text))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and message.startswith(str(tmp_path / "accounts.yml"))


@pytest.mark.parametrize("key", ["client_secret", "basic", "client_id", "Client_Secret"])
def test_credentials_in_the_file_are_refused_without_echoing_them(tmp_path: Path, key: str) -> None:
    path = _write(tmp_path, f"accounts:\n- id: acme-br\n  {key}: {SECRET}\n")
    with pytest.raises(ap.AccountsFileError) as caught:
        ap.read_accounts_file(path)
    message = str(caught.value)
    assert SECRET not in message
    assert f"TAP_HOTMART__ACME_BR_{key.upper()}" in message


def test_a_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ap.AccountsFileError, match="no such file; create it"):
        ap.read_accounts_file(tmp_path / "accounts.yml")


@pytest.mark.parametrize("account_id", ["acme", "acme-br", "Store_2", "a--b"])
def test_credential_variables_are_meltanos_own_names(account_id: str) -> None:
    plugin = ap.AccountPipeline(account_id).extractor
    assert ap.credential_variable(account_id, "client_secret") == to_env_var(
        plugin, "client_secret"
    )


# --------------------------------------------------------------------------- the include file


def test_generated_plugins_and_jobs() -> None:
    document = ap.include_document([ap.AccountPipeline("acme", "ACME"), ap.AccountPipeline("b")])
    acme = document["plugins"]["extractors"][0]
    assert acme["name"] == "tap-hotmart--acme" and acme["inherit_from"] == "tap-hotmart"
    assert acme["label"] == "ACME"
    # No inherited credential: the parent's single-account keys and accounts list are blanked.
    assert acme["config"] == {
        "account_id": "acme",
        "client_id": "",
        "client_secret": "",
        "basic": "",
        "accounts": [],
    }
    # One loader for every account's job: the project's, preparing the raw tables first.
    assert document["plugins"]["loaders"] == [
        {
            "name": "target-warehouse-shared",
            "inherit_from": "target-warehouse",
            "env": {"HOTMART_PREPARE_TABLES": "true"},
        }
    ]
    assert document["jobs"] == [
        {"name": "hotmart-sync--acme", "tasks": ["tap-hotmart--acme target-warehouse-shared"]},
        {"name": "hotmart-sync--b", "tasks": ["tap-hotmart--b target-warehouse-shared"]},
        {"name": "hotmart-transform", "tasks": ["warehouse:start dbt-postgres:build"]},
    ]


def test_the_checkouts_meltano_yml_includes_the_generated_file() -> None:
    meltano = yaml.safe_load((ROOT / "meltano.yml").read_text())
    assert f"./{ap.INCLUDE_FILE}" in meltano["include_paths"]


def test_generate_then_check_then_stale(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    project = _project(tmp_path, "accounts:\n- id: acme\n")
    args = ["--project-dir", str(project)]
    assert ap.main(["check", *args]) == 1
    assert "accounts.meltano.yml is stale or missing" in capsys.readouterr().err
    assert ap.main(["generate", *args]) == 0
    assert ap.main(["check", *args]) == 0
    assert ap.main(["generate", *args]) == 0
    assert "up to date" in capsys.readouterr().out

    _write(project, "accounts:\n- id: acme\n- id: beta\n")
    assert ap.main(["check", *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `hotmart-accounts generate`" in err

    assert ap.main(["generate", *args]) == 0
    assert ap.main(["jobs", *args]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["hotmart-sync--acme", "hotmart-sync--beta"]


def test_check_fails_when_meltano_does_not_read_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    project = _project(tmp_path, "accounts:\n- id: acme\n")
    meltano = project / "meltano.yml"
    meltano.write_text(meltano.read_text().replace("- ./accounts.meltano.yml\n", ""))
    assert ap.main(["generate", "--project-dir", str(project)]) == 0
    assert ap.main(["check", "--project-dir", str(project)]) == 1
    assert "add `- ./accounts.meltano.yml` to its include_paths" in capsys.readouterr().err


def test_a_bad_file_on_the_command_line_is_one_line_no_traceback(tmp_path: Path) -> None:
    _project(tmp_path, f"accounts:\n- id: acme\n  client_secret: {SECRET}\n")
    proc = subprocess.run(
        [venv_bin("hotmart-accounts"), "generate", "--project-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
    assert not (tmp_path / ap.INCLUDE_FILE).exists()


# --------------------------------------------------------------------------- as Meltano reads it


def _meltano(project: Path, *args: str, env: dict[str, str]) -> str:
    import os  # noqa: PLC0415

    base = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_HOTMART", "MELTANO_"))}
    proc = subprocess.run(
        [venv_bin("meltano"), *args], cwd=project, capture_output=True, text=True, check=False,
        env={**base, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
             "MELTANO_DATABASE_URI": f"sqlite:///{project / 'meltano-test.db'}", **env},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_meltano_reads_each_accounts_credentials_from_its_own_variables(tmp_path: Path) -> None:
    """The account's own TAP_HOTMART__<ID>_* win; the parent's single-account credentials
    (hotmart-connect's TAP_HOTMART_CLIENT_ID...) are never inherited; other settings are."""
    project = copy_project(tmp_path / "project", ["acme-br"])
    env = {
        "TAP_HOTMART_CLIENT_ID": "parent-id",
        "TAP_HOTMART_CLIENT_SECRET": "parent-secret",
        "TAP_HOTMART__ACME_BR_CLIENT_ID": "own-id",
        "TAP_HOTMART_LOOKBACK_DAYS": "7",
    }
    out = _meltano(
        project, "invoke", "--dump=config", "tap-hotmart--acme-br", env=env
    )  # the config file the tap would get
    config = json.loads(out[out.index("{") :])
    assert config["client_id"] == "own-id"
    assert config["client_secret"] == "" and config["basic"] == ""
    assert config["account_id"] == "acme-br" and config["lookback_days"] == 7
    jobs = _meltano(project, "job", "list", "--format=json", env={})
    names = {job["job_name"] for job in json.loads(jobs[jobs.index("{") :])["jobs"]}
    assert {"hotmart-sync--acme-br", "hotmart-transform", "hotmart-sync"} <= names


def test_meltano_config_set_leaves_the_generated_file_current(tmp_path: Path) -> None:
    """``meltano config set`` rewrites every included file with its own YAML writer; the file
    hotmart-accounts wrote that way stays byte for byte what ``check`` expects."""
    project = copy_project(tmp_path / "project", ["acme"])
    before = (project / ap.INCLUDE_FILE).read_text()
    _meltano(project, "config", "set", "target-postgres", "batch_size_rows", "5000", env={})
    assert (project / ap.INCLUDE_FILE).read_text() == before
    assert ap.check(project, ap.ACCOUNTS_FILE, ap.INCLUDE_FILE) is None
