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
MAX_PAGE_SIZE = 500
METRICS_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_CREDENTIALS_HELP = "from Hotmart → Tools → Developer Credentials"


def config_schema() -> dict:
    """A fresh copy of the tap's own settings schema (the SDK adds its built-ins in place)."""
    return _SETTINGS.to_dict()


# The one declaration of every setting: name, type, range, default, title, description and
# secrecy. `tap-hotmart --about` shows it; meltano.yml, hub/tap-hotmart.yml and the README's
# table are generated from that output (`make settings`, hotmart_pipeline/plugin_settings.py).
_SETTINGS = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        title="Client ID",
        description=f"Client ID of one account (single-account mode), {_CREDENTIALS_HELP}.",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="Client Secret",
        description=f"Client Secret of that account, {_CREDENTIALS_HELP}.",
    ),
    th.Property(
        "basic",
        th.StringType,
        secret=True,
        title="Basic key",
        description=(
            f"Basic key of that account, {_CREDENTIALS_HELP}, with or without the leading "
            "'Basic '. It is base64(client_id:client_secret); a key of other credentials "
            "is refused."
        ),
    ),
    th.Property(
        "account_id",
        th.StringType,
        default="default",
        title="Account ID",
        description=(
            "Your name for the account in single-account mode; written into every record's "
            "account_id column and used as its state partition."
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
            "client_secret, basic}. Each account is its own state partition and every "
            "record carries its account_id. Replaces the single-account settings."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        default="2011-01-01T00:00:00+00:00",  # before Hotmart's first sales
        title="Start date",
        description=(
            "Earliest order date to read: YYYY-MM-DD or an ISO-8601 date-time (UTC unless "
            "it names its offset). The default is before Hotmart's first sales: the whole "
            "history."
        ),
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description=(
            "Read up to this instant (exclusive), for backfills; it becomes the bookmark. "
            "Default: the time the run starts."
        ),
    ),
    th.Property(
        "sandbox",
        th.BooleanType,
        default=False,
        title="Sandbox",
        description=(
            f"Use Hotmart's sandbox, {SANDBOX_API_URL} (sandbox credentials only work there)."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        title="API URL",
        description=(
            "Override the API host (the local hotmart-emulator, a proxy). Default: "
            "Hotmart's production host, or the sandbox's when sandbox is on."
        ),
    ),
    th.Property(
        "auth_url",
        th.StringType,
        title="Token URL",
        description=(
            "Override the OAuth token endpoint. Default: Hotmart's, which serves production "
            "and sandbox credentials alike."
        ),
    ),
    th.Property(
        "lookback_days",
        th.IntegerType(minimum=0, maximum=3650),
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
        "catalog_refresh_days",
        th.IntegerType(minimum=0, maximum=3650),
        default=30,
        title="Catalog refresh days",
        description=(
            "Days after which a product's offers, plans and coupons are read again although "
            "nothing said they changed (0: every run). They are read at once for a new or "
            "changed product, and for a product whose sales in the run name an offer or "
            "coupon its last read did not return."
        ),
    ),
    th.Property(
        "window_days",
        th.IntegerType(minimum=1, maximum=365),
        default=30,
        title="Window days",
        description=(
            "Days of the first request windows of date-filtered endpoints, at most "
            "max_window_days; later windows are sized from the records per day seen so far "
            "(about 25 pages each). A window is the unit of progress and of resumption."
        ),
    ),
    th.Property(
        "max_window_days",
        th.IntegerType(minimum=1, maximum=365),
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
        th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
        default=MAX_PAGE_SIZE,
        title="Page size",
        description="Records per request; the default is Hotmart's maximum.",
    ),
    th.Property(
        "requests_per_minute",
        th.IntegerType(minimum=1, maximum=100_000),
        default=REQUESTS_PER_MINUTE,
        title="Requests per minute",
        description=(
            f"Request budget per account (Hotmart allows {REQUESTS_PER_MINUTE}/min, shared "
            "with your other tools; lower it to leave them room)."
        ),
    ),
    th.Property(
        "concurrency",
        th.IntegerType(minimum=1, maximum=32),
        default=4,
        title="Concurrency",
        description=(
            "Requests at once per account, within its budget: date windows of each stream "
            "and of the streams read ahead, or the products' offers, plans and coupons. "
            "Each one more may hold up to 16 MB more of pages waiting their turn; 8 to 16 "
            "get closer to the rate limit when every request takes long (150 ms or more)."
        ),
    ),
    th.Property(
        "account_concurrency",
        th.IntegerType(minimum=1, maximum=64),
        default=4,
        title="Account concurrency",
        description=(
            "Accounts whose date windows are fetched at once, each within its own request "
            "budget, while one is emitted; later accounts' pages wait on disk in a "
            "temporary file. Records and state are those of reading one account after "
            "the other."
        ),
    ),
    th.Property(
        "metrics_log_level",
        th.StringType,
        # The SDK logs its METRIC lines at INFO; below WARNING they would flood a run's log.
        default="WARNING",
        title="Metrics log level",
        description=(
            "Level of the Singer SDK's METRIC log lines (a record count and a timing per "
            f"stream and per product), one of {', '.join(METRICS_LOG_LEVELS)} in any case. "
            "The SDK writes them at INFO: INFO or DEBUG shows them, WARNING (the default) or "
            "ERROR hides them. The tap's progress lines and run summary are logged at INFO "
            "either way."
        ),
    ),
)
_PROPERTIES: dict[str, dict[str, Any]] = config_schema()["properties"]


def setting(config: Mapping[str, Any], name: str) -> Any:
    """The value of setting `name` in `config`, else (unset, null or empty) its default.

    Every read of a setting goes through here, so a default is written once, in the schema.
    The SDK fills the schema's defaults into the tap's config while validating it, but not
    over a null or an empty string (which Meltano passes for a setting cleared with ''), and
    `parse_settings` also reads configs the SDK has not seen.
    """
    value = config.get(name)
    return _PROPERTIES[name].get("default") if value in (None, "") else value


@dataclass(frozen=True)
class SyncSettings:
    """The parsed, checked settings the tap and its streams run with."""

    api_url: str
    auth_url: str
    start_date: datetime
    end_date: datetime
    metrics_log_level: str


def parse_settings(config: Mapping[str, Any], now: datetime) -> SyncSettings:
    """Check the settings that need more than a type check, and resolve defaults.

    The ranges are checked here as well as by the SDK's schema check, for the callers that
    skip that check (`validate_config=False`); both say the same (`_range_error`).
    """
    for name, spec in _PROPERTIES.items():
        if "minimum" in spec:
            _check_range(config, name, spec)
    window_days = setting(config, "window_days")
    max_window_days = setting(config, "max_window_days")
    if window_days > max_window_days:
        raise config_error(
            f"window_days ({window_days}) is more than max_window_days ({max_window_days}); "
            "lower window_days or raise max_window_days."
        )
    start = _parse_date("start_date", setting(config, "start_date"))
    end = _parse_date("end_date", setting(config, "end_date")) or now
    assert start is not None  # start_date has a default
    if start >= end:
        raise config_error(
            f"start_date {start:%Y-%m-%d} is not before end_date/now {end:%Y-%m-%d}; "
            "set an earlier start_date."
        )
    sandbox = bool(setting(config, "sandbox"))
    api_url = str(
        setting(config, "api_url") or (SANDBOX_API_URL if sandbox else PRODUCTION_API_URL)
    )
    return SyncSettings(
        api_url=api_url.rstrip("/"),
        auth_url=str(setting(config, "auth_url") or TOKEN_URL),
        start_date=start,
        end_date=end,
        metrics_log_level=_metrics_log_level(config),
    )


def _metrics_log_level(config: Mapping[str, Any]) -> str:
    """The level of the SDK's METRIC lines, as `logging` spells it (case-insensitive input)."""
    level = str(setting(config, "metrics_log_level")).upper()
    if level not in METRICS_LOG_LEVELS:
        raise config_error(
            f"metrics_log_level is {config.get('metrics_log_level')!r}; use one of "
            f"{', '.join(METRICS_LOG_LEVELS)} (INFO shows the SDK's METRIC lines)."
        )
    return level


def _check_range(config: Mapping[str, Any], name: str, spec: Mapping[str, Any]) -> None:
    """A ranged setting (an integer with a minimum and a maximum) within its range."""
    value = config.get(name)
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (spec["minimum"] <= value <= spec["maximum"])
    ):
        raise config_error(_range_error(name, repr(value)))


def _range_error(name: str, shown: str) -> str:
    """What is wrong with the value `shown` of ranged setting `name`, and how to fix it."""
    spec = _PROPERTIES[name]
    limit = " (Hotmart's maximum)" if name == "page_size" else ""
    return (
        f"{name} is {shown}; it must be a whole number from {spec['minimum']} to "
        f"{spec['maximum']}{limit}."
    )


def _parse_date(name: str, raw: Any) -> datetime | None:
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
# The schema check's words for a value out of a setting's range (jsonschema's messages).
_RANGE_ERROR = re.compile(
    r"^(?P<value>.+) is (less than the minimum|greater than the maximum) of \S+ "
    r"in config\['(?P<name>\w+)'\]$",
    re.DOTALL,
)


def reword_config_errors(errors: list[str]) -> list[str]:
    """The SDK's schema errors, reworded as the tap's own checks word them.

    A value out of its range gets the line `parse_settings` would give (what is wrong, how
    to fix it); an error about a secret setting never quotes the value.
    """
    reworded = []
    for message in errors:
        out_of_range = _RANGE_ERROR.match(message)
        if out_of_range is not None and "minimum" in _PROPERTIES.get(out_of_range["name"], {}):
            reworded.append(_range_error(out_of_range["name"], out_of_range["value"]))
            continue
        match = _SECRET_SETTING_ERROR.match(message)
        if match is None or re.fullmatch(r"'\w+' is a required property", match["what"]):
            reworded.append(message)
            continue
        what = match["what"]
        if " is not of type " in what:
            problem = "must be of type " + what.rsplit(" is not of type ", 1)[1]
        else:
            problem = "does not match the settings schema"
        reworded.append(f"{match['path']} {problem} (the value is secret, so it is not shown).")
    return reworded
