"""Dagster definitions: every Hotmart account's extract-load, several at once, then dbt once.

Why an orchestrator: one ``meltano run`` is one tap process bound by Hotmart's 500 requests
a minute *per account*, so many accounts go faster side by side, each in its own process
with its own Meltano state id (``hotmart-accounts`` generates an extractor and a job per
account, ``hotmart_pipeline/account_pipelines.py``). Meltano has no scheduler or queue of its
own, and we do not write one: Dagster runs the jobs, limits how many run at once, shows each
account's log, and builds dbt once when every account has landed.

Why our own ops rather than ``dagster-meltano``: that package (last release 1.5.5, 2024-10)
needs ``dagster-shell``, which Dagster retired in 1.10, so it holds Dagster at 1.9 and
Python below 3.13; docs/orchestration.md has the details. An op that runs ``meltano run
<job>`` is all it did for us.

The graph (job ``hotmart_accounts``)::

    list_accounts     (reads accounts.yml: one dynamic output per account)
      └─ sync_account[acct]  x N   ``meltano run hotmart-sync--<acct>``, at most
           │                       ``max_concurrent`` at once (multiprocess executor)
           └─ transform             ``meltano run hotmart-transform``, once, only if
                                    every account succeeded

A failed account fails its own op only: the other accounts still run (Dagster skips only
what depends on the failure), and dbt is skipped, so the marts never mix fresh accounts with
a stale one; re-execute the failed op from the UI (``meltano run`` resumes from its state),
and dbt then runs.

Secrets never pass through Dagster: the run config holds paths and names only (Dagster stores
and shows it), and each ``meltano run`` reads the account's credentials from its environment
or the project's ``.env`` (``TAP_HOTMART__<ACCOUNT>_CLIENT_SECRET``...), as it would from a
shell. Meltano's log lines, which never hold a secret, are streamed into Dagster's log.

Locally, from the Meltano project directory (docs/orchestration.md for a cluster)::

    export DAGSTER_HOME=$PWD/.local/dagster && mkdir -p "$DAGSTER_HOME"
    .venv/bin/dagster dev -m hotmart_pipeline.dagster_defs
"""

import collections
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

try:
    import dagster as dg
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "hotmart_pipeline.dagster_defs needs Dagster: pip install 'tap-hotmart-oss[orchestrate]'"
        " (in a checkout: .venv/bin/uv pip install --python .venv/bin/python -e '.[orchestrate]')"
    ) from exc
from pydantic import Field

from hotmart_pipeline.account_pipelines import (
    ACCOUNTS_FILE,
    TRANSFORM_JOB,
    AccountPipeline,
    AccountsFileError,
    read_accounts_file,
)
from hotmart_pipeline.executables import venv_executable

#: The default limit of accounts synced at once, unless the run config says otherwise.
#: Each account has its own 500 requests/min, so the limit is about the machine (a tap and a
#: loader process per account, about a core each at full speed) and the warehouse's writers.
MAX_CONCURRENT_VARIABLE = "HOTMART_MAX_CONCURRENT_ACCOUNTS"
DEFAULT_MAX_CONCURRENT = 4
#: Dagster pool of the per-account ops: ``dagster instance concurrency set`` on it limits
#: the syncs across every run of the deployment, not only within one run.
SYNC_POOL = "hotmart_account_sync"
#: Run tag for the instance's run queue (``tag_concurrency_limits``): one run at a time, so
#: that two runs never sync the same account (one state id) side by side.
RUN_TAG = "hotmart/pipeline"
#: Lines of a failed run's log repeated in the failure's message.
TAIL_LINES = 20


class MeltanoCommandError(RuntimeError):
    """A ``meltano`` command that exited non-zero, with the last lines of its log."""

    def __init__(self, command: list[str], exit_code: int, tail: list[str]) -> None:
        self.command, self.exit_code, self.tail = command, exit_code, tail
        super().__init__(f"`meltano {' '.join(command)}` failed (exit {exit_code})")


class MeltanoProject(dg.ConfigurableResource):
    """The Meltano project the ops run in, and how to call Meltano there.

    Holds no secret, on purpose: Dagster stores a resource's config with each run and shows it
    in its UI; credentials stay in the environment or the project's ``.env``.
    """

    project_dir: str = Field(
        default="",
        description="The Meltano project; empty: $MELTANO_PROJECT_ROOT, else the current folder.",
    )
    accounts_file: str = Field(
        default=str(ACCOUNTS_FILE),
        description="The list of accounts (hotmart-accounts), relative to the project.",
    )
    environment: str = Field(
        default="",
        description="Meltano environment (--environment); empty: the project's default.",
    )
    meltano_executable: str = Field(
        default="",
        description="The meltano command; empty: the one beside this Python, else on PATH.",
    )
    timeout_minutes: float = Field(
        default=0,
        description="Stop a meltano command that runs longer; 0: no limit.",
    )

    def root(self) -> Path:
        """The project directory, resolved when the op runs (on the worker, not at import)."""
        return Path(self.project_dir or os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd())

    def accounts(self) -> list[AccountPipeline]:
        """The accounts listed in the project's accounts file."""
        return read_accounts_file(self.root() / self.accounts_file)

    def command(self, job: str) -> list[str]:
        """The arguments of ``meltano run JOB``."""
        return [*self._environment(), "run", job]

    def _environment(self) -> list[str]:
        """``--environment=NAME`` when one is set (it goes before Meltano's subcommand)."""
        return [f"--environment={self.environment}"] if self.environment else []

    def _executable(self) -> str:
        return self.meltano_executable or venv_executable("meltano")

    def job_names(self) -> set[str]:
        """The project's Meltano jobs (``meltano job list``).

        Why the fan-out asks first: besides proving that Meltano reads the generated include
        file, it is one Meltano command, so it creates or migrates the system database
        once. Several ``meltano run`` starting together on a fresh system database on
        PostgreSQL race to migrate it, and all but one fail.
        """
        args = [*self._environment(), "job", "list", "--format=json"]
        proc = subprocess.run(
            [self._executable(), *args], cwd=self.root(), env=_meltano_env(os.environ, self.root()),
            capture_output=True, stdin=subprocess.DEVNULL, text=True, errors="replace",
            timeout=self.timeout_minutes * 60 or None, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            tail = [line for line in proc.stderr.splitlines() if line.strip()][-TAIL_LINES:]
            raise MeltanoCommandError(args, proc.returncode, tail)
        return {job["job_name"] for job in json.loads(proc.stdout)["jobs"]}

    def run(self, args: list[str], log: dg.DagsterLogManager) -> None:
        """Run ``meltano ARGS`` in the project, each line of its output into ``log``.

        Raises ``MeltanoCommandError`` with the last lines when it exits non-zero or runs
        past ``timeout_minutes``. Stopping the op (a terminated run) stops Meltano too, which
        stops its plugins.
        """
        root = self.root()
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        with subprocess.Popen(
            [self._executable(), *args], cwd=root, env=_meltano_env(os.environ, root),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace", bufsize=1, start_new_session=True,
        ) as proc:  # fmt: skip
            timed_out = threading.Event()
            timer = threading.Timer(self.timeout_minutes * 60, _time_out, (proc, timed_out))
            if self.timeout_minutes:
                timer.start()
            try:
                for line in _lines(proc):
                    tail.append(line)
                    _log_line(log, line)
                exit_code = proc.wait()
            finally:
                timer.cancel()
                _stop(proc)
        if timed_out.is_set():
            tail.append(f"(stopped: it ran past timeout_minutes, {self.timeout_minutes:g})")
        if exit_code != 0:
            raise MeltanoCommandError(args, exit_code, list(tail))


def _meltano_env(environ: Mapping[str, str], root: Path) -> dict[str, str]:
    """The worker's environment (credentials included) for a ``meltano`` command.

    ``NO_COLOR``: Meltano and dbt colour their lines for a terminal only, but be sure, as
    escape codes would clutter Dagster's log.
    """
    env = {**environ, "MELTANO_PROJECT_ROOT": str(root), "NO_COLOR": "1"}
    env.setdefault("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def _lines(proc: "subprocess.Popen[str]") -> Iterator[str]:
    """The command's non-empty output lines, as they come."""
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip()
        if line:
            yield line


#: Meltano's own level at the start of its lines: ``2026-12-01T06:00:00Z [warning  ] ...``.
MELTANO_LEVEL = re.compile(r"^\S+ \[(warning|error|critical)\s*\]")


def _log_line(log: dg.DagsterLogManager, line: str) -> None:
    """One of Meltano's lines into Dagster's log at its own level (warnings and errors stand
    out in the UI; a plugin's lines, which Meltano relays at info, stay info)."""
    level = MELTANO_LEVEL.match(line)
    if level is None:
        log.info(line)
    elif level.group(1) == "warning":
        log.warning(line)
    else:
        log.error(line)


def _time_out(proc: "subprocess.Popen[str]", timed_out: threading.Event) -> None:
    """Stop a command that ran past its time (from a timer thread)."""
    timed_out.set()
    _signal(proc, signal.SIGTERM)


def _stop(proc: "subprocess.Popen[str]") -> None:
    """Terminate a still-running command (the op was stopped), then kill it after 30 s."""
    if proc.poll() is not None:
        return
    _signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _signal(proc, signal.SIGKILL)
        proc.wait()


def _signal(proc: "subprocess.Popen[str]", signum: int) -> None:
    """Signal Meltano's whole process group: Meltano and the tap, loader or dbt it started.

    Why the group: a ``meltano run`` stopped alone can leave its plugins running, still
    reading Hotmart under the account's budget and writing to the warehouse.
    """
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, signum)


def _failure(what: str, error: MeltanoCommandError, **metadata: str | int) -> dg.Failure:
    """An op failure that names what failed (an account, the transform) and shows the tail."""
    tail = "\n".join(error.tail) or "(no output)"
    return dg.Failure(
        description=f"{what}: {error}; the last lines of its log:\n{tail}",
        metadata={**metadata, "exit_code": error.exit_code},
    )


def mapping_key(account_id: str) -> str:
    """A Dagster mapping key for an account (letters, digits and ``_`` only).

    ``-`` becomes ``_``; two ids that would collide are already refused by the accounts
    file's own check, since they would share Meltano's env var names too.
    """
    return account_id.replace("-", "_")


# --------------------------------------------------------------------------- ops


@dg.op(out=dg.DynamicOut(str), tags={"kind": "meltano"})
def list_accounts(
    context: dg.OpExecutionContext, meltano: MeltanoProject
) -> Iterator[dg.DynamicOutput[str]]:
    """One output per account of the accounts file: each becomes its own ``sync_account``.

    Fails before any sync when Meltano lacks a job (include file not generated or not
    included), rather than failing every account the same way.
    """
    try:
        accounts = meltano.accounts()
    except AccountsFileError as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(f"{len(accounts)} accounts: {', '.join(a.account_id for a in accounts)}")
    try:
        jobs = meltano.job_names()
    except MeltanoCommandError as exc:
        raise _failure(f"the Meltano project {meltano.root()}", exc) from None
    missing = [job for job in (*(a.job for a in accounts), TRANSFORM_JOB) if job not in jobs]
    if missing:
        raise dg.Failure(
            description=f"Meltano has no job {missing[0]} ({len(missing)} missing): run "
            f"`hotmart-accounts generate` in {meltano.root()} after editing "
            f"{meltano.accounts_file}, and keep its include file in meltano.yml's include_paths"
        )
    for account in accounts:
        yield dg.DynamicOutput(account.account_id, mapping_key=mapping_key(account.account_id))


@dg.op(pool=SYNC_POOL, tags={"kind": "meltano"})
def sync_account(context: dg.OpExecutionContext, meltano: MeltanoProject, account_id: str) -> str:
    """``meltano run hotmart-sync--<account>``: the account's extract-load, nothing else."""
    job = AccountPipeline(account_id).job
    started = time.monotonic()
    try:
        meltano.run(meltano.command(job), context.log)
    except MeltanoCommandError as exc:
        raise _failure(f"account {account_id}", exc, account_id=account_id, job=job) from None
    context.log.info(f"account {account_id}: {job} done in {time.monotonic() - started:.0f} s")
    return account_id


@dg.op(tags={"kind": "dbt"})
def transform(context: dg.OpExecutionContext, meltano: MeltanoProject, synced: list[str]) -> None:
    """``meltano run hotmart-transform``: dbt once, over every account's fresh raw tables.

    It depends on every ``sync_account``, so Dagster runs it only when all succeeded.
    """
    context.log.info(f"every account synced ({len(synced)}); building the dbt project")
    try:
        meltano.run(meltano.command(TRANSFORM_JOB), context.log)
    except MeltanoCommandError as exc:
        raise _failure("the dbt transform", exc, job=TRANSFORM_JOB) from None


# --------------------------------------------------------------------------- job


def default_max_concurrent(environ: Mapping[str, str] = os.environ) -> int:
    """The default limit: ``HOTMART_MAX_CONCURRENT_ACCOUNTS``, else 4."""
    value = environ.get(MAX_CONCURRENT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_MAX_CONCURRENT
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{MAX_CONCURRENT_VARIABLE} must be a whole number from 1, not {value!r}")
    return int(value)


JOB_NAME = "hotmart_accounts"
JOB_DESCRIPTION = "Every account's extract-load (a few at once), then the dbt build once."


def default_run_config() -> dict[str, Any]:
    """The job's default run config, editable in the launchpad: the limit of accounts at once."""
    return {"execution": {"config": {"max_concurrent": default_max_concurrent()}}}


@dg.job(
    name=JOB_NAME,
    description=JOB_DESCRIPTION,
    executor_def=dg.multiprocess_executor,
    resource_defs={"meltano": MeltanoProject()},
    config=default_run_config(),
    tags={RUN_TAG: "accounts"},
)
def hotmart_accounts_job() -> None:
    """Fan out per account, collect, transform.

    The multiprocess executor runs each op in its own process on this machine. Run from
    Python with ``dagster.execute_job(dagster.reconstructable(hotmart_accounts_job), ...)``.
    """
    synced = list_accounts().map(sync_account)
    transform(synced.collect())


def build_job(executor_def: dg.ExecutorDefinition) -> dg.JobDefinition:
    """The same job with another executor, e.g. ``dagster_k8s.k8s_job_executor`` (one pod
    per op; its config also has ``max_concurrent``). Call it at module scope of the module a
    code location serves, as Dagster requires to rebuild the job in each step's process."""
    return hotmart_accounts_job.graph.to_job(
        name=JOB_NAME,
        description=JOB_DESCRIPTION,
        executor_def=executor_def,
        resource_defs={"meltano": MeltanoProject()},
        config=default_run_config() if _has_max_concurrent(executor_def) else None,
        tags={RUN_TAG: "accounts"},
    )


def _has_max_concurrent(executor_def: dg.ExecutorDefinition) -> bool:
    """Whether the executor's config has ``max_concurrent`` (the in-process one has not)."""
    return "max_concurrent" in getattr(executor_def.config_schema.config_type, "fields", {})


#: Meltano's own schedule (meltano.yml: hotmart-sync-daily) at the same hour; off until
#: turned on in the UI or with ``dagster schedule start``.
daily_schedule = dg.ScheduleDefinition(
    name="hotmart_accounts_daily",
    job=hotmart_accounts_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
)

defs = dg.Definitions(jobs=[hotmart_accounts_job], schedules=[daily_schedule])
