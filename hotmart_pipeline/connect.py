"""``hotmart-connect``: ask for a Hotmart account's three credentials, check them, keep them.

Why not only ``meltano config set``: Meltano 4 has no prompt for one secret setting (the
value is a required argument, and ``--interactive`` is a menu over every setting), and a
secret typed as an argument lands in the shell history. This command asks for the Client
ID, the Client Secret and the Basic key (the two secrets without echo when a terminal is
attached; one line each from a pipe otherwise), checks that the Basic key belongs to the
other two, asks Hotmart for a token with them, and only then writes them where Meltano keeps
secrets: the project's ``.env`` (``TAP_HOTMART_CLIENT_ID`` …), exactly what ``meltano config
set --store=dotenv tap-hotmart …`` would write, so ``meltano.yml`` is never rewritten.

The token endpoint is the one the tap will use: ``TAP_HOTMART_AUTH_URL`` when set (the
emulator, a proxy), Hotmart's otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_hotmart.accounts import resolve_accounts
from tap_hotmart.auth import TokenManager
from tap_hotmart.ratelimit import RateLimiter
from tap_hotmart.settings import TOKEN_URL

ENV_PREFIX = "TAP_HOTMART_"
#: The settings this command writes, in the order it asks for them.
CREDENTIALS = ("client_id", "client_secret", "basic")
_PROMPTS = {
    "client_id": "Client ID: ",
    "client_secret": "Client Secret (not shown): ",
    "basic": "Basic key (not shown, with or without 'Basic '): ",
}
_SECRET = {"client_secret", "basic"}


class ConnectError(RuntimeError):
    """A problem the person connecting can fix; printed as one line."""


def read_credentials(stdin: TextIO, prompt_secret: Callable[[str], str]) -> dict[str, str]:
    """The three values: prompted on a terminal (secrets unechoed), one line each from a pipe."""
    values: dict[str, str] = {}
    interactive = stdin.isatty()
    for name in CREDENTIALS:
        if not interactive:
            value = stdin.readline()
        elif name in _SECRET:
            value = prompt_secret(_PROMPTS[name])
        else:
            print(_PROMPTS[name], end="", file=sys.stderr, flush=True)
            value = stdin.readline()
        values[name] = value.strip()
        if not values[name]:
            raise ConnectError(
                f"no {name} given. Copy it from Hotmart → Tools → Developer Credentials."
            )
    return values


def check_with_hotmart(config: Mapping[str, str], auth_url: str) -> None:
    """Validate the values as the tap does, then ask Hotmart for a token with them."""
    (account,) = resolve_accounts(config)  # raises ConfigValidationError, never quoting a secret
    with requests.Session() as session:
        session.headers["User-Agent"] = "hotmart-connect"
        TokenManager(account, auth_url, session, RateLimiter(60)).token()


def write_dotenv(path: Path, values: Mapping[str, str]) -> None:
    """Set ``KEY='value'`` lines in ``path`` (mode 0600), keeping every other line as it was."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    remaining = dict(values)
    kept: list[str] = []
    for line in lines:
        key = line.removeprefix("export ").split("=", 1)[0].strip()
        if key in remaining:
            kept.append(_dotenv_line(key, remaining.pop(key)))
        else:
            kept.append(line)
    kept += [_dotenv_line(key, value) for key, value in remaining.items()]
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def _dotenv_line(key: str, value: str) -> str:
    """One .env line the way python-dotenv (Meltano's reader) reads it back unchanged."""
    if "'" in value or "\n" in value:
        raise ConnectError(f"{key.removeprefix(ENV_PREFIX).lower()} contains a quote or newline")
    return f"{key}='{value}'"


def main(argv: list[str] | None = None, stdin: TextIO | None = None) -> int:
    """Ask, check, write; exit 0 only when Hotmart accepted the credentials."""
    parser = argparse.ArgumentParser(prog="hotmart-connect", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--account-id",
        default=None,
        help="name written into every record's account_id (default: keep, or 'default')",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(os.environ.get("MELTANO_PROJECT_ROOT") or ".") / ".env",
        help="where Meltano reads secrets from (default: the project's .env)",
    )
    parser.add_argument(
        "--no-check", action="store_true", help="write without asking Hotmart for a token"
    )
    args = parser.parse_args(argv)
    auth_url = os.environ.get(f"{ENV_PREFIX}AUTH_URL") or TOKEN_URL
    try:
        values = read_credentials(stdin or sys.stdin, getpass.getpass)
        if args.account_id:
            values["account_id"] = args.account_id
        if not args.no_check:
            check_with_hotmart(values, auth_url)
        write_dotenv(args.env_file, {ENV_PREFIX + k.upper(): v for k, v in values.items()})
    except (ConnectError, ConfigValidationError, FatalAPIError) as exc:
        print(f"hotmart-connect: {exc}", file=sys.stderr)
        return 1
    checked = "" if args.no_check else " Hotmart accepted them;"
    print(
        f"Credentials saved in {args.env_file} (not tracked by git).{checked} next: "
        "meltano run hotmart-sync"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
