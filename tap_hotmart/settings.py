"""The tap's settings: their schema (the documented interface) and their parsing.

Everything a user can get wrong is checked here, once, before any request, with a message
that names the setting and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from singer_sdk import typing as th

from tap_hotmart.errors import config_error
from tap_hotmart.retries import REQUESTS_PER_MINUTE

PRODUCTION_API_URL = "https://developers.hotmart.com"
SANDBOX_API_URL = "https://sandbox.hotmart.com"
# The same token endpoint serves production and sandbox credentials.
TOKEN_URL = "https://api-sec-vlc.hotmart.com/security/oauth/token"
DEFAULT_START_DATE = "2011-01-01T00:00:00+00:00"  # before Hotmart's first sales
MAX_PAGE_SIZE = 500
#: The SDK logs its METRIC lines at INFO; below WARNING they would flood a run's log.
DEFAULT_METRICS_LOG_LEVEL = "WARNING"
METRICS_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_CREDENTIALS_HELP = "From Hotmart → Tools → Developer Credentials."


def config_schema() -> dict:
    """A fresh copy of the tap's own settings schema (the SDK adds its built-ins in place)."""
    return _SETTINGS.to_dict()


_SETTINGS = th.PropertiesList(
    th.Property("client_id", th.StringType, title="Client ID", description=_CREDENTIALS_HELP),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="Client Secret",
        description=_CREDENTIALS_HELP,
    ),
    th.Property(
        "basic",
        th.StringType,
        secret=True,
        title="Basic key",
        description=(
            f"{_CREDENTIALS_HELP} Accepted with or without the leading 'Basic '. "
            "It is base64(client_id:client_secret); a key of other credentials is refused."
        ),
    ),
    th.Property(
        "account_id",
        th.StringType,
        default="default",
        title="Account ID",
        description=(
            "Your name for the account in a single-account config; written into every "
            "record and used as the state partition."
        ),
    ),
    th.Property(
        "accounts",
        th.ArrayType(
            th.ObjectType(
                th.Property("account_id", th.StringType, required=True),
                th.Property("client_id", th.StringType, required=True),
                th.Property("client_secret", th.StringType, required=True, secret=True),
                th.Property("basic", th.StringType, required=True, secret=True),
            )
        ),
        secret=True,
        title="Accounts",
        description=(
            "Several Hotmart accounts in one run: a list of {account_id, client_id, "
            "client_secret, basic}. Replaces the single-account settings."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description="Earliest order date to read. Default: the whole history (2011-01-01).",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description=(
            "Read up to this instant (exclusive); it becomes the bookmark. Default: the "
            "time the run starts."
        ),
    ),
    th.Property(
        "sandbox",
        th.BooleanType,
        default=False,
        title="Sandbox",
        description="Use https://sandbox.hotmart.com (sandbox credentials only work there).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        title="API URL",
        description="Override the API host (the local emulator, a proxy).",
    ),
    th.Property(
        "auth_url",
        th.StringType,
        title="Token URL",
        description="Override the OAuth token endpoint.",
    ),
    th.Property(
        "lookback_days",
        th.IntegerType,
        default=60,
        title="Lookback days",
        description=(
            "Days before the bookmark re-read on every incremental run. A sale changes "
            "status after its order date (APPROVED→COMPLETE when the 7-30-day warranty, "
            "extendable to 60, ends; boletos expire; overdue charges recover), and Hotmart "
            "has no updated-at filter, so the last 60 days are read again. Refunds and "
            "chargebacks of older sales are swept separately on every run."
        ),
    ),
    th.Property(
        "window_days",
        th.IntegerType,
        default=30,
        title="Window days",
        description=(
            "Days of the first request windows of date-filtered endpoints; later windows "
            "are sized from the records per day seen so far (about 25 pages each)."
        ),
    ),
    th.Property(
        "max_window_days",
        th.IntegerType,
        default=90,
        title="Max window days",
        description=(
            "Widest request window in days of the reads of every status (the whole-history "
            "re-reads of refunds and subscriptions start at 360 days and widen while Hotmart "
            "accepts; a range it refuses as too wide is read in halves and remembered). "
            "Hotmart answers 502 to queries over 30 s; a window that keeps failing is read "
            "in halves, but lower this if it happens often."
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=MAX_PAGE_SIZE,
        title="Page size",
        description="Records per request; Hotmart's maximum (and the default) is 500.",
    ),
    th.Property(
        "requests_per_minute",
        th.IntegerType,
        default=REQUESTS_PER_MINUTE,
        title="Requests per minute",
        description=(
            "Request budget per account (Hotmart allows 500/min, shared with your other "
            "tools; lower it to leave them room)."
        ),
    ),
    th.Property(
        "concurrency",
        th.IntegerType,
        default=4,
        title="Concurrency",
        description="Date windows fetched at once per stream and account (within the budget).",
    ),
    th.Property(
        "metrics_log_level",
        th.StringType,
        default=DEFAULT_METRICS_LOG_LEVEL,
        title="Metrics log level",
        description=(
            "Level of the Singer SDK's METRIC log lines (a record count and a timing per "
            "stream and per product), which the SDK writes at INFO: INFO or DEBUG shows "
            "them, WARNING (the default) or ERROR hides them. The tap's progress lines "
            "and run summary are logged at INFO either way."
        ),
    ),
)


@dataclass(frozen=True)
class SyncSettings:
    """The parsed, checked settings the tap and its streams run with."""

    api_url: str
    auth_url: str
    start_date: datetime
    end_date: datetime
    metrics_log_level: str


def parse_settings(config: Mapping[str, Any], now: datetime) -> SyncSettings:
    """Check the settings that need more than a type check, and resolve defaults."""
    _check_int(config, "page_size", 1, MAX_PAGE_SIZE)
    _check_int(config, "window_days", 1, 365)
    _check_int(config, "max_window_days", 1, 365)
    window_days = config.get("window_days") or 30
    max_window_days = config.get("max_window_days") or 90
    if window_days > max_window_days:
        raise config_error(
            f"window_days ({window_days}) is more than max_window_days ({max_window_days}); "
            "lower window_days or raise max_window_days."
        )
    _check_int(config, "lookback_days", 0, 3650)
    _check_int(config, "requests_per_minute", 1, 100_000)
    _check_int(config, "concurrency", 1, 32)
    start = _parse_date(config, "start_date") or _parse_date(
        {"start_date": DEFAULT_START_DATE}, "start_date"
    )
    end = _parse_date(config, "end_date") or now
    assert start is not None
    if start >= end:
        raise config_error(
            f"start_date {start:%Y-%m-%d} is not before end_date/now {end:%Y-%m-%d}; "
            "set an earlier start_date."
        )
    sandbox = bool(config.get("sandbox"))
    api_url = str(config.get("api_url") or (SANDBOX_API_URL if sandbox else PRODUCTION_API_URL))
    return SyncSettings(
        api_url=api_url.rstrip("/"),
        auth_url=str(config.get("auth_url") or TOKEN_URL),
        start_date=start,
        end_date=end,
        metrics_log_level=_metrics_log_level(config),
    )


def _metrics_log_level(config: Mapping[str, Any]) -> str:
    """The level of the SDK's METRIC lines, as `logging` spells it (case-insensitive input)."""
    level = str(config.get("metrics_log_level") or DEFAULT_METRICS_LOG_LEVEL).upper()
    if level not in METRICS_LOG_LEVELS:
        raise config_error(
            f"metrics_log_level is {config.get('metrics_log_level')!r}; use one of "
            f"{', '.join(METRICS_LOG_LEVELS)} (INFO shows the SDK's METRIC lines)."
        )
    return level


def _check_int(config: Mapping[str, Any], name: str, low: int, high: int) -> None:
    value = config.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        limit = " (Hotmart's maximum)" if name == "page_size" else ""
        raise config_error(
            f"{name} is {value!r}; it must be a whole number from {low} to {high}{limit}."
        )


def _parse_date(config: Mapping[str, Any], name: str) -> datetime | None:
    raw = config.get(name)
    if raw in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise config_error(
            f"{name} {raw!r} is not a date; use YYYY-MM-DD or an ISO-8601 date-time "
            "such as 2024-01-31T00:00:00Z."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# The SDK's schema check quotes the offending value ("'<value>' is not of type 'array'"),
# which for these settings is a secret (or a list of them).
_SECRET_SETTING_ERROR = re.compile(
    r"^(?P<what>.*) in (?P<path>config\['(client_secret|basic|accounts)'\].*)$", re.DOTALL
)


def redact_config_errors(errors: list[str]) -> list[str]:
    """Schema errors about secret settings, reworded so they never quote the value."""
    redacted = []
    for message in errors:
        match = _SECRET_SETTING_ERROR.match(message)
        if match is None or re.fullmatch(r"'\w+' is a required property", match["what"]):
            redacted.append(message)
            continue
        what = match["what"]
        if " is not of type " in what:
            problem = "must be of type " + what.rsplit(" is not of type ", 1)[1]
        else:
            problem = "does not match the settings schema"
        redacted.append(f"{match['path']} {problem} (the value is secret, so it is not shown).")
    return redacted
