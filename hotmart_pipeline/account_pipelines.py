"""``hotmart-accounts``: one Meltano pipeline per Hotmart account, from one list of accounts.

Why: one tap process reads every account of its ``accounts`` setting within one Meltano
state id, so accounts cannot run on separate workers, fail separately or resume separately.
A plugin per account (``inherit_from: tap-hotmart``) gives each its own process and state id,
but written by hand for tens of accounts the plugins, jobs and credentials drift apart. So
the accounts are listed once, in ``accounts.yml`` (ids and labels, never credentials), and
this command generates the Meltano include file with each account's extractor and job.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hotmart_pipeline import raw_tables

#: The job that builds the dbt project once, after every account's extract-load.
TRANSFORM_JOB = "hotmart-transform"

#: An account id becomes part of a plugin name, a job name, a state id and env var names.
ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


class AccountsFileError(ValueError):
    """A bad accounts file, said in one line: which entry, what is wrong, how to fix it."""


class MeltanoMissingError(RuntimeError):
    """Meltano, whose YAML writer lays out the include file, is not installed here."""


@dataclass(frozen=True)
class AccountPipeline:
    """One account's Meltano pipeline: its extractor and its extract-load job."""

    account_id: str
    label: str | None = None

    @property
    def extractor(self) -> str:
        """The account's extractor, which inherits every setting from ``tap-hotmart``."""
        return f"tap-hotmart--{self.account_id}"

    @property
    def job(self) -> str:
        """The account's extract-load job (no dbt: ``TRANSFORM_JOB`` builds once for all)."""
        return f"hotmart-sync--{self.account_id}"


def read_accounts_file(path: Path) -> list[AccountPipeline]:
    """The accounts listed in ``path``, in their order; ``AccountsFileError`` if it is bad.

    The format (YAML)::

        accounts:
        - id: acme            # letters, digits, _ and - only
          label: ACME Store   # optional
        - id: beta
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsFileError(
            f"{path}: no such file; create it with a list `accounts:` of `- id: <account id>`"
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AccountsFileError(
            f"{path}: not valid YAML{where}; fix the syntax (a list `accounts:` of `- id: ...`)"
        ) from None
    return _accounts(path, document)


def _accounts(path: Path, document: Any) -> list[AccountPipeline]:
    """The accounts of a parsed file, each entry checked, ids unique."""
    if not isinstance(document, dict) or not isinstance(document.get("accounts"), list):
        raise AccountsFileError(
            f"{path}: expected a top-level list `accounts:` of entries `- id: <account id>`"
        )
    unknown = sorted(set(document) - {"accounts"})
    if unknown:
        raise AccountsFileError(
            f"{path}: unknown top-level key {unknown[0]!r}; only `accounts:` is read"
        )
    accounts = [
        _account(path, number, entry) for number, entry in enumerate(document["accounts"], start=1)
    ]
    if not accounts:
        raise AccountsFileError(f"{path}: `accounts:` is empty; list at least one `- id: ...`")
    _check_unique(path, accounts)
    return accounts


#: Keys an entry may have.
ENTRY_KEYS = ("id", "label")
#: Keys that would put a secret (or a credential) into the file: refused, never echoed.
CREDENTIAL_KEYS = ("client_id", "client_secret", "basic", "password", "token")


def _account(path: Path, number: int, entry: Any) -> AccountPipeline:
    """One entry of the list (``number`` counts from 1), checked."""
    where = f"{path}: account #{number}"
    if isinstance(entry, str):
        entry = {"id": entry}
    if not isinstance(entry, dict):
        raise AccountsFileError(f"{where}: expected `- id: <account id>`, got {_kind(entry)}")
    credentials = sorted(key for key in entry if str(key).lower() in CREDENTIAL_KEYS)
    if credentials:
        account = str(entry.get("id", "<id>"))
        raise AccountsFileError(
            f"{where}: {credentials[0]!r} does not belong in the accounts file (it is committed);"
            f" remove it and set {credential_variable(account, credentials[0])} in .env or the"
            " environment instead"
        )
    unknown = sorted(str(key) for key in entry if key not in ENTRY_KEYS)
    if unknown:
        raise AccountsFileError(
            f"{where}: unknown key {unknown[0]!r}; an entry has only `id` and an optional `label`"
        )
    account_id = entry.get("id")
    if not isinstance(account_id, str) or not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        shown = "missing" if account_id is None else repr(account_id)
        raise AccountsFileError(
            f"{where}: id {shown} is not valid; use letters, digits, '_' and '-' only"
            " (it becomes the plugin name tap-hotmart--<id>)"
        )
    label = entry.get("label")
    if label is not None and not isinstance(label, str):
        raise AccountsFileError(f"{where} ({account_id}): label must be text, got {_kind(label)}")
    return AccountPipeline(account_id=account_id, label=label)


def _check_unique(path: Path, accounts: list[AccountPipeline]) -> None:
    """Two entries whose plugin names would be the same one: refused.

    Meltano's env var names fold case and map ``-`` to ``_`` (``acme-br`` and ``acme_br``
    read the same ``TAP_HOTMART__ACME_BR_*`` credentials), so ids equal under that folding
    are duplicates too.
    """
    seen: dict[str, int] = {}
    for number, account in enumerate(accounts, start=1):
        key = env_prefix(account.extractor)
        if key in seen:
            raise AccountsFileError(
                f"{path}: account #{number} ({account.account_id}) repeats account"
                f" #{seen[key]} (ids equal ignoring case and '-' vs '_' share their plugin's"
                " credentials); give each account its own id"
            )
        seen[key] = number


def _kind(value: Any) -> str:
    """A value's kind in the file's words (never the value: it might be a secret)."""
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return kinds.get(type(value), type(value).__name__)


def env_prefix(plugin_name: str) -> str:
    """Meltano's prefix of a plugin's setting variables: ``tap-hotmart--acme`` →
    ``TAP_HOTMART__ACME`` (upper case, every character but a letter or digit made ``_``;
    meltano.core.utils.to_env_var)."""
    return re.sub(r"[^A-Z0-9]", "_", plugin_name.upper())


def credential_variable(account_id: str, setting: str) -> str:
    """The variable Meltano reads an account's credential from, e.g.
    ``TAP_HOTMART__ACME_CLIENT_SECRET``."""
    return f"{env_prefix(f'tap-hotmart--{account_id}')}_{env_prefix(setting)}"


# --------------------------------------------------------------------------- the include file

#: Where the accounts are listed, and the Meltano include file generated from them (both
#: relative to the project; meltano.yml's ``include_paths`` names the second).
ACCOUNTS_FILE = Path("accounts.yml")
INCLUDE_FILE = Path("accounts.meltano.yml")
#: The parent extractor (meltano.yml), and the loader every account's job uses: the
#: project's ``target-warehouse`` with the raw tables prepared under a lock first
#: (raw_tables.py), since these jobs may load at the same time.
PARENT_EXTRACTOR = "tap-hotmart"
PARENT_LOADER = "target-warehouse"
LOADER = "target-warehouse-shared"
#: dbt once over every account's rows; ``warehouse:start`` first, as in ``hotmart-sync``,
#: so that the job alone works on a fresh machine (it only checks a configured server).
TRANSFORM_TASKS = "warehouse:start dbt-postgres:build"
#: Set empty in each account's extractor so that it never inherits ``tap-hotmart``'s own
#: credentials (hotmart-connect writes ``TAP_HOTMART_CLIENT_ID``... to .env): an account
#: whose variables are missing then fails with "No Hotmart credentials" instead of silently
#: reading another account under its id. Its own ``TAP_HOTMART__<ID>_*`` variables still
#: win, since Meltano ranks the environment above meltano.yml and meltano.yml above what a
#: plugin inherits.
BLANKED_SETTINGS = ("client_id", "client_secret", "basic")
CREDENTIAL_SETTINGS = ("client_id", "client_secret", "basic")
HEADER = (
    "# Generated by `hotmart-accounts generate` from {accounts}: do not edit, edit {accounts}\n"
    "# and generate again (`hotmart-accounts check` fails while this file is stale).\n"
    "# Each account's credentials come from the environment or .env, never from here:\n"
    "# TAP_HOTMART__<ID>_CLIENT_ID, _CLIENT_SECRET and _BASIC (docs/pipeline.md, Many accounts).\n"
)


def include_document(accounts: list[AccountPipeline]) -> dict[str, Any]:
    """The Meltano include file's content: an extractor and a job per account, their shared
    loader, one dbt job."""
    extractors = [_extractor(account) for account in accounts]
    loader = {
        "name": LOADER,
        "inherit_from": PARENT_LOADER,
        "env": {raw_tables.SWITCH_VARIABLE: "true"},
    }
    jobs = [{"name": a.job, "tasks": [f"{a.extractor} {LOADER}"]} for a in accounts]
    jobs.append({"name": TRANSFORM_JOB, "tasks": [TRANSFORM_TASKS]})
    return {"plugins": {"extractors": extractors, "loaders": [loader]}, "jobs": jobs}


def _extractor(account: AccountPipeline) -> dict[str, Any]:
    """One account's extractor: ``tap-hotmart`` with its account id and no inherited keys."""
    plugin: dict[str, Any] = {"name": account.extractor, "inherit_from": PARENT_EXTRACTOR}
    if account.label:
        plugin["label"] = account.label
    config: dict[str, Any] = {"account_id": account.account_id}
    config.update(dict.fromkeys(BLANKED_SETTINGS, ""))
    config["accounts"] = []
    plugin["config"] = config
    return plugin


def render(accounts: list[AccountPipeline], accounts_file: Path = ACCOUNTS_FILE) -> str:
    """The include file's text, written by Meltano's own YAML writer.

    Why Meltano's writer: ``meltano config set`` rewrites every included file in that
    layout, so a file written any other way would change under the user's feet.
    """
    try:
        from meltano.core import yaml as meltano_yaml  # noqa: PLC0415 - heavy to import
    except ImportError:
        raise MeltanoMissingError(
            "Meltano is not installed beside hotmart-accounts: run `make install` (or pip "
            "install 'meltano~=4.4.0' into this environment)"
        ) from None

    body = meltano_yaml.dump(include_document(accounts))
    return HEADER.format(accounts=accounts_file.as_posix()) + str(body)


def is_current(accounts: list[AccountPipeline], include_file: Path) -> bool:
    """Whether ``include_file`` holds exactly the generated plugins and jobs.

    Compared as data, not text: Meltano may rewrite the file in its own layout, which is
    not staleness.
    """
    if not include_file.is_file():
        return False
    try:
        current = yaml.safe_load(include_file.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return bool(current == include_document(accounts))


def is_included(project_dir: Path, include_file: Path) -> bool:
    """Whether meltano.yml's ``include_paths`` matches ``include_file`` (else Meltano would
    never see the generated plugins)."""
    try:
        meltano = yaml.safe_load((project_dir / "meltano.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    patterns = (meltano or {}).get("include_paths") or []
    target = (project_dir / include_file).resolve()
    return any(
        target in {p.resolve() for p in project_dir.glob(str(pattern))} for pattern in patterns
    )


# --------------------------------------------------------------------------- command line


def _project_dir(value: str | None) -> Path:
    """The Meltano project: ``--project-dir``, else Meltano's ``MELTANO_PROJECT_ROOT``, else
    the current folder."""
    return Path(value or os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd()).resolve()


def generate(project_dir: Path, accounts_file: Path, include_file: Path) -> str:
    """Write the include file from the accounts file; what was done, in one line."""
    accounts = read_accounts_file(project_dir / accounts_file)
    target = project_dir / include_file
    text = render(accounts, accounts_file)
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return f"{include_file} is up to date ({len(accounts)} accounts)"
    target.write_text(text, encoding="utf-8")
    jobs = f"jobs {accounts[0].job}{' ...' if len(accounts) > 1 else ''} and {TRANSFORM_JOB}"
    return f"wrote {include_file}: {len(accounts)} accounts, {jobs}"


def check(project_dir: Path, accounts_file: Path, include_file: Path) -> str | None:
    """None when the include file matches the accounts file and Meltano reads it; else the
    problem and its fix, in one line."""
    accounts = read_accounts_file(project_dir / accounts_file)
    if not is_current(accounts, project_dir / include_file):
        return (
            f"{include_file} is stale or missing for {accounts_file}: run "
            f"`hotmart-accounts generate` in {project_dir}"
        )
    if not is_included(project_dir, include_file):
        return (
            f"meltano.yml does not read {include_file}: add `- ./{include_file.as_posix()}` "
            "to its include_paths"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    """``hotmart-accounts generate|check|jobs``; exit 1 with one line on any problem."""
    parser = argparse.ArgumentParser(
        prog="hotmart-accounts",
        description="One Meltano extractor and job per Hotmart account, generated from "
        f"{ACCOUNTS_FILE} into {INCLUDE_FILE} (docs/pipeline.md, 'Many accounts').",
    )
    parser.add_argument("command", choices=("generate", "check", "jobs"),
                        help="generate: write the include file; check: fail if it is stale; "
                        "jobs: print each account's job, one a line")  # fmt: skip
    parser.add_argument("--project-dir", help="the Meltano project (default: the current one)")
    parser.add_argument("--accounts-file", type=Path, default=ACCOUNTS_FILE)
    parser.add_argument("--include-file", type=Path, default=INCLUDE_FILE)
    args = parser.parse_args(argv)
    project_dir = _project_dir(args.project_dir)
    try:
        if args.command == "generate":
            print(generate(project_dir, args.accounts_file, args.include_file))
            return 0
        if args.command == "jobs":
            accounts = read_accounts_file(project_dir / args.accounts_file)
            print("\n".join(account.job for account in accounts))
            return 0
        problem = check(project_dir, args.accounts_file, args.include_file)
    except (AccountsFileError, MeltanoMissingError) as exc:
        print(f"hotmart-accounts: {exc}", file=sys.stderr)
        return 1
    if problem:
        print(f"hotmart-accounts: {problem}", file=sys.stderr)
        return 1
    print(f"{args.include_file} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
