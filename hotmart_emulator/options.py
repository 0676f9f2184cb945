"""The emulator's options, spelled once: :class:`EmulatorOptions`.

The CLI (``hotmart-emulator serve``), the in-process :class:`~hotmart_emulator.EmulatorServer`
(and its :class:`~hotmart_emulator.EmulatorCore`) and the child-process launcher
(:class:`~hotmart_emulator.process.EmulatorProcess`) all take these options. The CLI's flags
are derived from the fields (:func:`add_arguments`, :func:`from_namespace`), and the launcher
turns options back into those flags with :func:`to_argv`, the inverse of that parsing; so an
option added here reaches every way of running the emulator, and none can forget one.

The facts each option models are in ``../shared/hotmart-api-facts.md`` (cited "facts §…",
with its confidence levels H, M, L).
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from .api import DEFAULT_MAX_RANGE_DAYS, STATUS_FILTERS
from .faults import PROFILES


@dataclass(frozen=True)
class _Flag:
    """How one option is spelled on the ``serve`` command line."""

    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    #: The flag value that stands for None when None is not the default (a flag cannot be
    #: "None", and without one the launcher could not pass that value on).
    none_as: int | None = None
    #: Bounds the CLI checks before it builds the options. The options themselves take any
    #: value: the launcher passes a bad one on and the child's refusal is its start error,
    #: and in process ``Api`` checks the limits it enforces itself.
    minimum: int | None = None
    maximum: int | None = None

    def problem(self, flag: str, value: Any) -> str | None:
        """Why ``value`` (as parsed from ``flag``) is refused, or None."""
        if value is None or value == self.none_as:
            return None
        low_ok = self.minimum is None or value >= self.minimum
        high_ok = self.maximum is None or value <= self.maximum
        if low_ok and high_ok:
            return None
        if self.maximum is not None:
            return f"{flag} must be between {self.minimum} and {self.maximum}"
        no_limit = "" if self.none_as is None else f" ({self.none_as}: no limit)"
        return f"{flag} must be at least {self.minimum}{no_limit}"


def _option(default: Any, help: str, **flag: Any) -> Any:
    """A field with its default and its CLI spelling (the flag is the field's name)."""
    return dataclasses.field(default=default, metadata={"flag": _Flag(help, **flag)})


@dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    """Everything that shapes one emulator: its data, its clock, Hotmart's limits, its faults.

    Equal options give the same emulator (same data, credentials and fault draws), whether it
    runs in process or as ``hotmart-emulator serve``. ``dataclasses.replace`` derives
    variants; the emulator classes also take fields as keyword arguments for that.
    """

    port: int = _option(0, "TCP port on 127.0.0.1; 0 picks a free one")
    """Where to listen. Not a Hotmart behaviour: 0 lets parallel tests never collide."""

    seed: int = _option(0, "same seed, same data, credentials and faults")
    """Every account's data, credentials and fault draws derive from it alone, so a run is
    reproducible (and a failing test replays exactly)."""

    accounts: int = _option(1, "accounts acct-1 .. acct-K", metavar="K", minimum=1, maximum=99)
    """Hotmart producer accounts, each with its own credentials (Client ID, Client Secret,
    Basic key: facts §1, H), data and rate-limit budget (facts §2.5, H), as a consolidating
    pipeline reads several businesses at once."""

    sales: int = _option(1000, "sales per account visible at start (recurrences count)")
    """Sales per account ordered before ``now``; each subscription recurrence is a sale of
    its own with its own ``HP…`` code, as Hotmart lists them (facts §6 item 8, H/M)."""

    faults: str = _option("none", "fault profile", choices=PROFILES)
    """``flaky`` reproduces what a client of a real API meets: transient 500/502/503
    (facts §2.4, H), 429 bursts (facts §2.5), dropped connections, truncated bodies, HTML
    error pages, unknown fields and nulls, and a short token lifetime (see ``faults``)."""

    rate_limit: int = _option(500, "requests per minute per account", metavar="PER_MIN")
    """Hotmart allows 500 requests per minute per account, reads and writes together, and
    answers 429 ``too_many_requests`` beyond it (facts §2.5, H)."""

    latency_ms: int = _option(0, "fixed delay added to every API response", metavar="MS")
    """A real round trip to Hotmart takes time; a delay shows whether a client overlaps its
    requests (e.g. concurrent date windows) or waits on each one."""

    now: str = _option("2026-11-01", "the clock at start (midnight UTC)", metavar="YYYY-MM-DD")
    """The emulator's clock, fixed so the data never depends on the real date. Hotmart's
    relative defaults (the last 30 days of subscriptions and transactions, facts §6 items 5
    and 6, M) count back from it; only ``/_emulator/advance`` moves it."""

    history_days: int = _option(1095, "how far back the history goes", metavar="D")
    """How long the producer has been selling before ``now``; the tap config's
    ``start_date`` is its first day, so a full backfill reads all of it."""

    max_query_rows: int | None = _option(
        None,
        "a date-filtered list query matching more than N rows answers 502, as Hotmart does "
        "for a query over 30 s (default: no limit)",
        metavar="N",
        minimum=1,
    )
    """Hotmart cancels a query that runs over 30 s and answers 502 (facts §2.4 and §6 item 7,
    H); its real cost is a time, unknown in rows, so the rows a query matches stand in for
    it (None: never). A client must narrow its date windows when it meets this 502."""

    max_range_days: int | None = _option(
        DEFAULT_MAX_RANGE_DAYS,
        "a sales query whose start_date..end_date range is longer than D days answers 400, "
        f"as Hotmart refuses too wide ranges (default {DEFAULT_MAX_RANGE_DAYS}; 0: no limit)",
        metavar="D",
        none_as=0,
        minimum=0,
    )
    """Hotmart refuses too wide date ranges on the sales endpoints with a 400: a live probe
    saw 12 months accepted and 2 years refused (facts §6 item 7, M), hence a year, leap day
    included, by default (None: no limit)."""

    status_filter: str = _option(
        "repeated",
        "which values of a repeated transaction_status the sales endpoints honour",
        choices=STATUS_FILTERS,
    )
    """How the sales endpoints read ``transaction_status=A&transaction_status=B``. One source
    only says Hotmart honours every value (a public connector sends all 17 statuses that way;
    another sends one status per call: facts §2.6, M), which ``repeated`` does. ``first``
    honours the first value and ignores the rest: were that source wrong, a client that trusts
    the repeated key would silently lose every other status, and the tap must notice."""

    rate_window_s: float = _option(60.0, "seconds of the rate limit's sliding window", metavar="S")
    """Hotmart's rate-limit window is a minute (facts §2.5, H); a shorter one lets a test see
    429s and ``RateLimit-Reset`` without waiting a minute."""

    token_ttl_s: float | None = _option(
        None, "access token lifetime in seconds (default 86400, or 20 under flaky)", metavar="S"
    )
    """Hotmart's ``expires_in``: 86400 s per one source, 172799 per the docs' example
    (facts §1, M); an expired token gets 401 ``token_expired`` (facts §1, H). None is 86400,
    or 20 s under ``flaky`` so that a client's refresh is exercised in every run."""

    default_page_size: int = _option(
        10, "page size of the sales and subscription lists without max_results", metavar="N"
    )
    """Hotmart documents no default ``max_results`` for the sales and subscription
    endpoints; 10 is a guess (facts §2.1), and a client must always send its own."""

    subscriptions_default_days: int = _option(
        30, "days of accession the subscriptions list returns without accession_date", metavar="D"
    )
    """Without ``accession_date`` Hotmart's subscriptions list returns only the last 30 days
    of accession (facts §6 item 5, M): the trap a client must avoid by sending dates."""


def _flags() -> list[tuple[dataclasses.Field[Any], str, _Flag]]:
    """Each field with its flag (``--max-range-days`` for ``max_range_days``) and spelling."""
    return [
        (f, "--" + f.name.replace("_", "-"), f.metadata["flag"])
        for f in dataclasses.fields(EmulatorOptions)
    ]


def _value_type(field: dataclasses.Field[Any]) -> type:
    """The type a flag's text is parsed as: ``int`` for ``int`` and ``int | None``."""
    hint = typing.get_type_hints(EmulatorOptions)[field.name]
    scalar = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if scalar not in (int, float, str):  # e.g. bool would need a flag without a value
        raise TypeError(f"option {field.name}: no CLI spelling for {hint}")
    return scalar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per option, with the option's default."""
    for field, flag, spelling in _flags():
        parser.add_argument(
            flag,
            type=_value_type(field),
            default=field.default,
            help=spelling.help,
            metavar=spelling.metavar,
            choices=spelling.choices,
        )


def from_namespace(namespace: argparse.Namespace) -> EmulatorOptions:
    """The options parsed by :func:`add_arguments`' flags; ValueError names a bad flag."""
    values: dict[str, Any] = {}
    for field, flag, spelling in _flags():
        value = getattr(namespace, field.name)
        problem = spelling.problem(flag, value)
        if problem is not None:
            raise ValueError(problem)
        values[field.name] = None if value == spelling.none_as else value
    return EmulatorOptions(**values)


def to_argv(options: EmulatorOptions) -> list[str]:
    """The flags that :func:`from_namespace` parses back into ``options``.

    Options at their default are left out, so a command line shows only what differs.
    """
    argv = []
    for field, flag, spelling in _flags():
        value = getattr(options, field.name)
        if value != field.default:
            argv += [flag, str(spelling.none_as if value is None else value)]
    return argv


def resolve(options: EmulatorOptions | None, changes: dict[str, Any]) -> EmulatorOptions:
    """``options`` (default: the defaults) with ``changes``, fields by name, applied.

    Why the emulator classes take both: ``EmulatorServer(seed=3, sales=40)`` reads best in a
    test, ``EmulatorServer(options)`` where the options come from elsewhere (the CLI).
    """
    return dataclasses.replace(options or EmulatorOptions(), **changes)
