"""Hotmart accounts from the tap settings.

A run can read several Hotmart accounts; each is identified by an `account_id` chosen by
the user (it is written into every record and keys every state partition), and carries
its own credentials. Credentials never leave this module in a printable form: the
dataclass hides them from `repr`, so a stray log line or traceback cannot show them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_hotmart.errors import config_error

ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Account:
    """One Hotmart account: an id of the user's choosing and its three credentials."""

    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    basic: str = field(repr=False)


def normalize_basic(value: str) -> str:
    """Return the Basic key without the optional `Basic ` prefix Hotmart's page shows."""
    value = value.strip()
    if value[:6].lower() == "basic ":
        value = value[6:].strip()
    return value


def _basic_matches(basic: str, client_id: str, client_secret: str) -> bool | None:
    """Tell whether a Basic key encodes these credentials (None when it is not base64)."""
    try:
        decoded = base64.b64decode(basic, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded == f"{client_id}:{client_secret}"


def _account_from_mapping(raw: Mapping[str, Any], where: str, default_id: str) -> Account:
    missing = [k for k in ("client_id", "client_secret", "basic") if not raw.get(k)]
    if missing:
        msg = (
            f"{where} is missing {', '.join(missing)}. Copy the Client ID, Client Secret "
            "and Basic key from Hotmart → Tools → Developer Credentials."
        )
        raise config_error(msg)
    account_id = str(raw.get("account_id") or default_id)
    if not ACCOUNT_ID_PATTERN.match(account_id):
        msg = (
            f"{where}: account_id {account_id!r} is not valid; use 1-64 letters, digits, "
            "'_', '-' or '.'."
        )
        raise config_error(msg)
    basic = normalize_basic(str(raw["basic"]))
    client_id = str(raw["client_id"]).strip()
    client_secret = str(raw["client_secret"]).strip()
    if _basic_matches(basic, client_id, client_secret) is False:
        msg = (
            f"{where} (account_id {account_id!r}): the Basic key does not belong to this "
            "Client ID and Client Secret. Copy all three from the same credential in "
            "Hotmart → Tools → Developer Credentials."
        )
        raise config_error(msg)
    return Account(account_id, client_id, client_secret, basic)


def resolve_accounts(config: Mapping[str, Any]) -> list[Account]:
    """Read the accounts from the settings: either `accounts` or the single-account keys.

    Raises:
        ConfigValidationError: with a message that says what to fix, never a secret.
    """
    raw_accounts = config.get("accounts")
    single_keys = [k for k in ("client_id", "client_secret", "basic") if config.get(k)]
    if raw_accounts and single_keys:
        msg = (
            "Both `accounts` and single-account credentials "
            f"({', '.join(single_keys)}) are set; use one or the other."
        )
        raise config_error(msg)
    if raw_accounts:
        accounts = [
            _account_from_mapping(raw, f"accounts[{i}]", f"account-{i + 1}")
            for i, raw in enumerate(raw_accounts)
        ]
    elif single_keys:
        accounts = [
            _account_from_mapping(config, "The config", str(config.get("account_id") or "default"))
        ]
    else:
        msg = (
            "No Hotmart credentials: set client_id, client_secret and basic (or `accounts`, "
            "a list of them, for several Hotmart accounts)."
        )
        raise config_error(msg)
    seen: set[str] = set()
    for account in accounts:
        if account.account_id in seen:
            msg = f"account_id {account.account_id!r} appears twice in `accounts`; ids must differ."
            raise config_error(msg)
        seen.add(account.account_id)
    return accounts
