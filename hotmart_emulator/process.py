"""``hotmart-emulator serve`` as a child process: start it, wait for it, talk to it, stop it.

Why a subprocess rather than :class:`~hotmart_emulator.EmulatorServer` in a thread: a
program under test (a tap, Meltano, a benchmark harness reading pipes) then keeps its own
interpreter and GIL, and the emulator runs exactly as a user runs it. The demo, the
end-to-end tests and the benchmarks all start it this way, so the launch, the wait for the
URL and the written tap config, and the error on a failed start live here once.

Only the standard library is used (the emulator depends on nothing but ``msgspec``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from hotmart_pipeline.executables import ExecutableNotFoundError, venv_executable

from .options import EmulatorOptions, resolve, to_argv

#: The first line ``hotmart-emulator serve`` prints; the URL follows it.
LISTEN_PREFIX = "hotmart-emulator listening on "

#: Output lines quoted in a start error.
ERROR_TAIL_LINES = 20


class EmulatorStartError(RuntimeError):
    """The emulator exited or stayed silent before it served; the message says how and why."""


def emulator_command(executable: str | None = None) -> list[str]:
    """The command that runs the CLI: the given one, this venv's script, else ``-m``.

    Why not PATH: scripts run as ``.venv/bin/python script.py`` without an activated venv,
    and another ``hotmart-emulator`` on PATH could be an older install.
    """
    if executable is not None:
        return [executable]
    try:
        return [venv_executable("hotmart-emulator", or_on_path=False)]
    except ExecutableNotFoundError:
        return [sys.executable, "-m", "hotmart_emulator.cli"]


def serve_args(options: EmulatorOptions, config_file: Path) -> list[str]:
    """``serve``, where to write the tap config, and the flags that parse back to ``options``."""
    return ["serve", "--write-config", str(config_file), *to_argv(options)]


class EmulatorProcess:
    """A started ``hotmart-emulator serve --write-config FILE`` child process.

    It takes the options of :class:`~hotmart_emulator.EmulatorServer` (``options`` with
    ``changes``, fields by name, applied; ``options`` keeps the result) and passes them on as
    the CLI's flags. Constructing it starts the process and returns once the emulator serves:
    ``url`` is the address it printed and ``config`` the tap config it wrote. ``output``
    collects its stdout and stderr lines (a reader thread drains the pipe, so the child never
    blocks on it). The control API helpers (``now_ms``, ``stats``, ``reset_stats``,
    ``advance``) talk to ``/_emulator/``. Use it as a context manager, or call ``stop()``.
    """

    def __init__(
        self,
        options: EmulatorOptions | None = None,
        *,
        config_file: Path | None = None,
        executable: str | None = None,
        timeout_s: float = 300.0,
        control_timeout_s: float = 600.0,
        **changes: Any,
    ) -> None:
        self.options = resolve(options, changes)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if config_file is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hotmart-emulator-")
            config_file = Path(self._tmp.name) / "config.json"
        self.config_file = config_file
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.unlink(missing_ok=True)  # a stale file must not pass for this run's
        self.control_timeout_s = control_timeout_s
        self.command = [*emulator_command(executable), *serve_args(self.options, config_file)]
        self.output: list[str] = []
        self._listening = threading.Event()
        self.process = self._spawn()
        self._reader = threading.Thread(target=self._drain, name="emulator-output", daemon=True)
        self._reader.start()
        try:
            self.url = self._wait_for_url(timeout_s)
            self.config: dict[str, Any] = self._read_config()
        except BaseException:  # a failed start or Ctrl-C: never leave the child behind
            self.stop()
            raise

    # --- start -------------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen[str]:
        try:
            return subprocess.Popen(
                self.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            if self._tmp is not None:
                self._tmp.cleanup()
            raise self._start_error(f"could not be run ({exc})") from exc

    def _drain(self) -> None:
        """Collect output lines until the child closes its stdout; flag the URL line."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if line.startswith(LISTEN_PREFIX):
                self._listening.set()

    def _wait_for_url(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while not self._listening.wait(0.1):
            if self.process.poll() is not None:
                self._reader.join(timeout=2)  # the last lines explain the exit
                raise self._start_error(f"exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise self._start_error(f"printed no URL within {timeout_s:g} s")
        line = next(x for x in self.output if x.startswith(LISTEN_PREFIX))
        return line[len(LISTEN_PREFIX) :].strip()

    def _read_config(self) -> dict[str, Any]:
        """The tap config; the CLI writes it before it prints its URL, so it is complete."""
        try:
            return json.loads(self.config_file.read_text())
        except (OSError, ValueError) as exc:
            raise self._start_error(f"wrote no readable config to {self.config_file}") from exc

    def _start_error(self, what: str) -> EmulatorStartError:
        tail = "\n".join(self.output[-ERROR_TAIL_LINES:]) or "(no output)"
        command = " ".join(self.command)
        return EmulatorStartError(
            f"hotmart-emulator did not start: it {what} (command: {command}):\n{tail}"
        )

    # --- control API -------------------------------------------------------------------
    def _call(self, path: str, method: str = "GET") -> Any:
        data = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, method=method, data=data)
        with urllib.request.urlopen(request, timeout=self.control_timeout_s) as response:
            return json.loads(response.read())

    def tap_config(self) -> dict[str, Any]:
        """A copy of the tap config the emulator wrote (callers add their own settings)."""
        return dict(self.config)

    @property
    def now_ms(self) -> int:
        """The emulator's clock (fixed at start, moved only by ``advance``)."""
        return int(self._call("/_emulator/health")["now"])

    def stats(self) -> dict[str, Any]:
        return self._call("/_emulator/stats")

    def reset_stats(self) -> None:
        self._call("/_emulator/stats/reset", "POST")

    def ground_truth(self, account_id: str, entity: str) -> list[dict[str, Any]]:
        """The exact latest state of every ``entity`` (e.g. ``sales``) of one account."""
        return self._call(f"/_emulator/ground_truth/{account_id}/{entity}")["items"]

    def advance(self, days: float) -> dict[str, Any]:
        return self._call(f"/_emulator/advance?days={days}", "POST")

    # --- stop --------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=2)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
