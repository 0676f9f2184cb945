"""The README's user path, run literally in a fresh clone: the README cannot drift from the code.

Every command of the README's shell blocks marked ``<!-- user-path -->`` runs, in order and
exactly as printed, in a fresh copy of this working tree (its tracked and untracked,
not-ignored files, committed into a new git repository: a clone of what would land). The
emulator stands in for Hotmart: the only difference from a user's shell is
``TAP_HOTMART_API_URL`` / ``TAP_HOTMART_AUTH_URL`` in the environment, and the credentials
piped into ``hotmart-connect``'s prompts. Then the real-use mistakes are made on purpose,
each of which must end in one line that says what is wrong.

Slow (a new .venv, ``meltano install``, the demo, a sync): a few minutes, once.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotmart_emulator.process import EmulatorProcess
from hotmart_pipeline.executables import venv_executable
from hotmart_reports.dashboard.charts import sections

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
USER_PATH_BLOCK = re.compile(r"<!-- user-path -->\n```bash\n(.*?)```", re.DOTALL)
#: The same path into DuckDB, run after it in the same clone (an indented block of a list item).
DUCKDB_PATH_BLOCK = re.compile(r"<!-- duckdb-path -->\n\s*```bash\n(.*?)```", re.DOTALL)
#: Variables of a developer's shell that would point the clone elsewhere.
ISOLATED_PREFIXES = ("TAP_HOTMART", "TARGET_POSTGRES", "DBT_", "MELTANO_", "PG", "HOTMART_")
#: Folders holding installed packages (nothing a run writes), skipped by the secret scan.
PACKAGE_DIRS = (".venv", ".git")


def user_path_commands(
    readme: str = README, marker: re.Pattern[str] = USER_PATH_BLOCK
) -> list[str]:
    """The commands of the marked blocks, in order (comments and blank lines dropped)."""
    commands = []
    for block in marker.findall(readme):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def readme_commands() -> list[str]:
    """Every command the fixture runs: the user path, then the same path into DuckDB."""
    return user_path_commands() + user_path_commands(marker=DUCKDB_PATH_BLOCK)


def test_the_user_path_is_marked_in_the_readme() -> None:
    commands = user_path_commands()
    assert commands[0] == "make demo"
    assert "<!-- demo-sample -->" in README
    assert ".venv/bin/hotmart-connect" in commands
    assert ".venv/bin/meltano run hotmart-sync" in commands
    assert any("hotmart-report new-orders" in c for c in commands)
    assert any("schedule run" in c for c in commands)
    assert user_path_commands(marker=DUCKDB_PATH_BLOCK) == [
        "make demo WAREHOUSE=duckdb",
        ".venv/bin/meltano --environment=duckdb run hotmart-sync",
        ".venv/bin/meltano --environment=duckdb invoke hotmart-report new-orders",
    ]


@dataclass
class Step:
    command: str
    returncode: int
    output: str
    seconds: float


@dataclass
class Clone:
    """A fresh copy of the project and the environment of its user."""

    root: Path
    env: dict[str, str]
    credentials: dict[str, str]
    emulator: EmulatorProcess
    steps: list[Step] = field(default_factory=list)

    def run(self, command: str, *, stdin: str = "", extra_env: dict[str, str] | None = None,
            timeout_s: float = 900) -> Step:  # fmt: skip
        """Run one shell command in the clone, as a user's shell would."""
        started = time.monotonic()
        proc = subprocess.run(
            ["bash", "-c", command], cwd=self.root, env={**self.env, **(extra_env or {})},
            input=stdin, capture_output=True, text=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        return Step(command, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


def _fresh_copy(destination: Path) -> None:
    """The working tree's files that git would see, committed into a new repository."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=destination, check=True)
    subprocess.run([*git, "add", "-A"], cwd=destination, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clone"], cwd=destination, check=True)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clone]:
    """The user path, run once; each test below checks one thing about it."""
    root = tmp_path_factory.mktemp("readme") / "tap-hotmart"
    _fresh_copy(root)
    emulator = EmulatorProcess(
        seed=11, accounts=1, sales=800, config_file=root.parent / "emulator.json",
        executable=venv_executable("hotmart-emulator"),
    )  # fmt: skip
    account = emulator.config["accounts"][0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED_PREFIXES)}
    env.pop("VIRTUAL_ENV", None)
    env |= {
        "TAP_HOTMART_API_URL": emulator.config["api_url"],
        "TAP_HOTMART_AUTH_URL": emulator.config["auth_url"],
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    project = Clone(root, env, {k: account[k] for k in ("client_id", "client_secret", "basic")},
                    emulator)  # fmt: skip
    piped = "".join(f"{project.credentials[k]}\n" for k in ("client_id", "client_secret", "basic"))
    try:
        for command in readme_commands():
            stdin = piped if "hotmart-connect" in command else ""
            step = project.run(command, stdin=stdin)
            project.steps.append(step)
            if step.returncode != 0:
                break
        yield project
    finally:
        project.run(".venv/bin/hotmart-warehouse stop", timeout_s=120)
        emulator.stop()


def _step(clone: Clone, needle: str) -> Step:
    return next(step for step in clone.steps if needle in step.command)


def test_every_command_exits_zero(clone: Clone) -> None:
    for step in clone.steps:
        lines = step.output.splitlines()
        shown = "\n".join([*lines[:40], "...", *lines[-40:]] if len(lines) > 80 else lines)
        assert step.returncode == 0, f"`{step.command}` failed ({step.returncode}):\n{shown}"
    assert [step.command for step in clone.steps] == readme_commands()


def test_no_colour_codes_when_the_output_is_not_a_terminal(clone: Clone) -> None:
    for step in clone.steps:
        assert "\x1b[" not in step.output, f"ANSI escape codes in `{step.command}`"


def test_connect_checked_the_credentials_and_kept_them_in_dotenv(clone: Clone) -> None:
    step = _step(clone, "hotmart-connect")
    assert "Hotmart accepted them" in step.output
    dotenv = (clone.root / ".env").read_text()
    assert f"TAP_HOTMART_CLIENT_SECRET='{clone.credentials['client_secret']}'" in dotenv
    assert clone.credentials["client_secret"] not in step.output


def test_the_report_shows_the_emulators_data_not_the_demos(clone: Clone) -> None:
    report = _step(clone, "hotmart-report new-orders").output
    assert "New orders by month" in report
    assert "BRL" in report  # the emulator's main currency, with orders in it
    raw = clone.run(
        '.venv/bin/python -c "from hotmart_reports.db import connect; '
        "c = connect(); print(sorted(c.execute('select distinct account_id "
        "from hotmart.hotmart__new_orders').fetchall()), c.execute("
        "'select count(*) from hotmart_raw.sales').fetchone()[0])\""
    )
    assert raw.returncode == 0, raw.output
    accounts, sales = raw.output.strip().splitlines()[-1].rsplit(" ", 1)
    assert accounts == "[('default',)]", "the demo's accounts must stay in their own schemas"
    truth = clone.emulator.tap_config()["accounts"][0]["account_id"]
    assert int(sales) == len(clone.emulator.ground_truth(truth, "sales"))


#: Run in the clone: the rows of one mart from PostgreSQL (the pipeline's warehouse) and from
#: the DuckDB file, each value as text (a decimal normalised: DuckDB's DECIMAL(38,6) prints
#: 12.300000 where PostgreSQL's numeric prints 12.3).
COMPARE_MART = """
import json, sys
from decimal import Decimal
import duckdb, psycopg
from hotmart_reports.db import connection_kwargs
query = "select * from hotmart.hotmart__new_orders"
def rows(cursor):
    return sorted(
        [str(v.normalize()) if isinstance(v, Decimal) else str(v) for v in row]
        for row in cursor.execute(query).fetchall()
    )
kwargs = connection_kwargs()
with psycopg.connect(kwargs.pop("conninfo", ""), **kwargs) as pg:
    postgres = rows(pg)
with duckdb.connect(".local/warehouse.duckdb", read_only=True) as duck:
    in_duckdb = rows(duck)
print(json.dumps({"postgres": postgres, "duckdb": in_duckdb}))
"""


def test_duckdb_builds_the_same_new_orders_as_postgresql(clone: Clone) -> None:
    """`meltano --environment=duckdb run hotmart-sync` (README, DuckDB) leaves a file whose
    hotmart.hotmart__new_orders equals PostgreSQL's for the same account."""
    sync = _step(clone, "--environment=duckdb run hotmart-sync")
    assert sync.returncode == 0, sync.output[-3000:]
    report = _step(clone, "--environment=duckdb invoke hotmart-report").output
    assert "New orders by month" in report and "BRL" in report
    compare = ".venv/bin/python -c " + shlex.quote(COMPARE_MART)
    step = clone.run(f".venv/bin/hotmart-warehouse start && {compare}")
    assert step.returncode == 0, step.output[-3000:]
    marts = json.loads(step.output.strip().splitlines()[-1])
    assert marts["postgres"], "PostgreSQL's new orders are empty"
    assert marts["duckdb"] == marts["postgres"]


def test_the_demo_and_the_user_wrote_a_dashboard_that_needs_nothing_outside(
    clone: Clone,
) -> None:
    """`make demo` prints where its dashboard is; the README's dashboard command writes the
    user's data over it. Every section is there, and no script, style or font is fetched
    (tests/reports/test_dashboard_browser.py draws it in a browser)."""
    assert "dashboard (open it in a browser)" in _step(clone, "make demo").output
    page = (clone.root / ".local" / "dashboard.html").read_text(encoding="utf-8")
    for section in sections("month", None):
        assert f'<section id="{section.id}">' in page
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|@font-face", page)
    assert not re.search(r"https?://[^\s\"'<>]*\.(?:js|css|woff2?|ttf)\b", page)


def test_the_duckdb_demo_used_no_postgresql(clone: Clone) -> None:
    demo = _step(clone, "make demo WAREHOUSE=duckdb").output
    assert "==> warehouse (DuckDB file):" in demo and "New orders by month" in demo
    assert "Embedded PostgreSQL" not in demo and "embedded PostgreSQL" not in demo


def test_the_readme_sample_is_the_demos_output(clone: Clone) -> None:
    """The sample of New Orders in the README is what its command prints on the demo's data."""
    block = README.split("<!-- demo-sample -->\n```\n", 1)[1].split("```", 1)[0]
    command, *sample = block.splitlines()
    step = clone.run(command.removeprefix("$ "))
    assert step.returncode == 0, step.output
    printed = iter(step.output.splitlines())
    missing = [line for line in sample if line != "..." and line not in printed]
    assert not missing, f"not printed (in this order): {missing}\n{step.output}"


def test_the_scheduled_run_is_incremental(clone: Clone) -> None:
    step = _step(clone, "schedule run")
    assert "Starting incremental sync" in step.output or "bookmark" in step.output


def test_nothing_for_git_to_commit(clone: Clone) -> None:
    status = clone.run("git status --porcelain")
    assert status.output.strip() == "", status.output


def test_no_secret_outside_dotenv_and_meltanos_database(clone: Clone) -> None:
    secrets = [clone.credentials["client_secret"], clone.credentials["basic"]]
    allowed = {clone.root / ".env", clone.root / ".meltano" / "meltano.db"}
    found = []
    for path in clone.root.rglob("*"):
        relative = path.relative_to(clone.root)
        if relative.parts[0] in PACKAGE_DIRS or "venv" in relative.parts:
            continue
        if path in allowed or not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        found += [f"{relative}" for secret in secrets if secret.encode() in data]
    assert not found, f"a Hotmart secret was written to {sorted(set(found))}"


def _one_line_failure(step: Step, *needles: str) -> None:
    assert step.returncode != 0, step.output
    assert "Traceback" not in step.output, step.output
    for needle in needles:
        assert needle in step.output, f"{needle!r} not in:\n{step.output[-3000:]}"


def test_hotmart_unreachable_fails_fast_and_names_the_host(clone: Clone) -> None:
    closed = "http://127.0.0.1:9"
    step = clone.run(
        ".venv/bin/meltano run hotmart-sync",
        extra_env={"TAP_HOTMART_API_URL": closed, "TAP_HOTMART_AUTH_URL": closed + "/token"},
        timeout_s=120,
    )
    _one_line_failure(step, "127.0.0.1:9")
    assert step.seconds < 45, f"took {step.seconds:.0f} s"


def test_warehouse_unreachable_is_one_line(clone: Clone) -> None:
    step = clone.run(
        ".venv/bin/meltano run hotmart-sync",
        extra_env={"TARGET_POSTGRES_HOST": "127.0.0.1", "TARGET_POSTGRES_PORT": "9"},
        timeout_s=120,
    )
    _one_line_failure(step, "cannot connect to the configured PostgreSQL", "127.0.0.1:9")


def test_an_ambiguous_start_date_is_refused_not_reread(clone: Clone) -> None:
    step = clone.run(
        ".venv/bin/meltano run hotmart-sync",
        extra_env={"TAP_HOTMART_START_DATE": "01/02/2020"},
        timeout_s=120,
    )
    _one_line_failure(step, "start_date '01/02/2020' is not a date", "YYYY-MM-DD")
    assert "2020-01-02" not in step.output


def test_an_unknown_account_in_a_report_is_an_error(clone: Clone) -> None:
    step = clone.run(".venv/bin/meltano invoke hotmart-report new-orders --account acct-9")
    _one_line_failure(step, "acct-9")


def test_the_report_starts_a_stopped_embedded_warehouse(clone: Clone) -> None:
    """After the demo (which stops what it started) a report still works."""
    stopped = clone.run(".venv/bin/hotmart-warehouse stop")
    assert stopped.returncode == 0, stopped.output
    step = clone.run(".venv/bin/meltano invoke hotmart-report new-orders --schema hotmart_demo")
    assert step.returncode == 0, step.output[-3000:]
    assert "New orders by month" in step.output and "BRL" in step.output


#: What may stay after `make clean-local`: the installs and the user's credentials.
KEPT_AFTER_CLEAN = (
    *(".venv/", ".env", ".meltano/extractors/", ".meltano/loaders/", ".meltano/utilities/"),
    ".meltano/.installed",
    # Meltano's own files in the project folder
    *(".meltano/.gitignore", ".meltano/CACHEDIR.TAG", ".meltano/analytics.json"),
)


def test_clean_local_removes_what_the_demo_and_the_runs_left(clone: Clone) -> None:
    """Last in this module: it removes the warehouse the tests above read."""
    step = clone.run("make clean-local")
    assert step.returncode == 0, step.output
    tracked = set(clone.run("git ls-files").output.splitlines())
    left = []
    for path in clone.root.rglob("*"):
        name = path.relative_to(clone.root).as_posix()
        if name.startswith((".git/", *KEPT_AFTER_CLEAN)) or "__pycache__" in name:
            continue
        if path.is_file() and name not in tracked and ".egg-info/" not in name:
            left.append(name)
    assert not left, f"left behind by the demo, the runs or the tests: {sorted(left)}"
