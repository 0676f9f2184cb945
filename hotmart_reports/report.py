"""One engine for every ``hotmart-report`` report: a report is a declarative ``Report`` (its
mart, filters, grain and columns, each column an SQL expression over the mart), and this
module turns it into one query and prints its rows as a table, CSV or JSON.

Two shapes exist. A **time series** lays out the last N periods of the mart's grain, ending
at the latest period the mart holds (whatever the filters), and keeps the periods without
any row as one zero row (a silent gap would read as missing data); it may end with one
total row per currency over those periods. A **listing** prints mart rows as they are, the
first N of each currency. Every figure -- sums, rates, averages -- comes out of SQL
(DESIGN.md decision 13), and no column ever adds two currencies: the currency is always
part of a row's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hotmart_reports.db import ReportError, Warehouse
from hotmart_reports.marts import DIMENSIONS, Dimension, Scope, check_scope, run, where
from hotmart_reports.render import cell, table, to_csv, to_json
from hotmart_reports.sql import (
    Sql,
    code_point_order,
    ident,
    join,
    per_dialect,
    raw,
    sql,
    value,
)

PERIOD_STEP = {"day": "1 day", "week": "1 week", "month": "1 month"}
#: period name in titles, then its plural
UNITS = {"day": "days", "week": "weeks", "month": "months", "cohort": "cohorts"}


@dataclass(frozen=True)
class Column:
    """One printed column: ``sql`` is its expression over the mart's columns (an aggregate
    in a time series), a constant of this package, never user input.

    ``kind``: ``text``, ``date``, ``int``, ``money`` (2 decimals in the table) or ``rate``
    (a fraction, 4 decimals); CSV and JSON print the value SQL returned, unrounded.
    """

    name: str
    header: str
    sql: Sql
    kind: str = "int"

    def sort_key(self) -> Sql:
        """The column to sort on: text in code-point order, whatever the engine."""
        return code_point_order(self.sql) if self.kind == "text" else self.sql


def key(name: str, header: str, kind: str = "text") -> Column:
    """A mart column as it is, or the rows are grouped by (in a time series)."""
    return Column(name, header, raw(name), kind)


def total(name: str, header: str, kind: str = "int") -> Column:
    """The sum of a mart column, 0 for a period without rows (a count stays an integer:
    PostgreSQL sums a bigint as a numeric, DuckDB as a HUGEINT)."""
    summed = f"coalesce(sum({name}), 0)"
    return Column(name, header, raw(f"CAST({summed} AS bigint)" if kind == "int" else summed), kind)


def ratio(name: str, header: str, numerator: str, denominator: str, kind: str = "rate") -> Column:
    """``numerator / denominator`` of summed mart columns, rounded as the mart rounds its
    own (half away from zero, exactly: ``Dialect.divide``) to 4 decimals for a rate, 2 for
    money; null (``-``) when the denominator is 0."""
    digits = 4 if kind == "rate" else 2
    sums = raw(f"sum({numerator})"), raw(f"sum({denominator})")
    return Column(name, header, per_dialect(lambda dialect: dialect.divide(*sums, digits)), kind)


@dataclass(frozen=True)
class Report:
    """What a report prints, declared once; ``periods`` maps each period the mart has to
    its date column and how many periods are shown by default (empty for a listing)."""

    name: str
    mart: str
    title: str
    help: str
    footnote: tuple[str, ...]
    keys: tuple[Column, ...]
    metrics: tuple[Column, ...]
    #: the filters the report offers, each with the mart's column
    dimensions: tuple[Dimension, ...]
    periods: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    #: extra condition on the mart rows of the period asked (``period_type = {period}``)
    period_condition: str = "true"
    #: label of the first column of a time series
    period_header: str = "Period"
    unit: str = ""
    #: ``None``: no totals; else the order of the total rows (biggest first)
    totals_order: str | None = None
    #: listing: order of the rows of one currency, the first ``--top`` of which are printed
    listing_order: str = ""
    empty: str = "No data in the warehouse yet."

    @property
    def filters(self) -> tuple[str, ...]:
        return tuple(dimension.name for dimension in self.dimensions)

    @property
    def columns(self) -> tuple[Column, ...]:
        first = (
            (Column("period_start", self.period_header, raw(""), "date"),) if self.periods else ()
        )
        return (*first, *self.keys, *self.metrics)


def dimensions(*names: str, **columns: str) -> tuple[Dimension, ...]:
    """The shared filters ``names``, with the mart's own column where ``columns`` says."""
    shared = {dimension.name: dimension for dimension in DIMENSIONS}
    return tuple(
        shared[name].on(columns[name]) if name in columns else shared[name] for name in names
    )


@dataclass(frozen=True)
class Options(Scope):
    """A run of a report: the scope of every report, plus the periods or rows to show."""

    period: str | None = None
    last: int | None = None
    top: int | None = None


@dataclass(frozen=True)
class Result:
    report: Report
    options: Options
    rows: list[tuple[Any, ...]]

    def is_total(self, row: tuple[Any, ...]) -> bool:
        return bool(self.report.periods) and row[0] is None


def fetch(warehouse: Warehouse, schema: str, report: Report, options: Options) -> Result:
    """The rows of ``report`` for ``options`` (filters checked against the mart first)."""
    if options.last is not None and options.last < 1:
        raise ReportError("--last must be at least 1")
    if options.top is not None and options.top < 1:
        raise ReportError("--top must be at least 1")
    options = resolve(report, options)
    check_scope(warehouse, schema, report.mart, options, report.dimensions)
    shape = time_series if report.periods else listing
    query = shape(warehouse.table(schema, report.mart), report, options)
    return Result(report, options, run(warehouse, schema, report.mart, query))


def resolve(report: Report, options: Options) -> Options:
    """``options`` with the report's defaults filled in."""
    if not report.periods:
        return replace(options, top=options.top or 20)
    period = options.period or "month"  # every time series has months
    if period not in report.periods:
        raise ReportError(f"--period of {report.name} must be one of {', '.join(report.periods)}")
    last = options.last if options.last is not None else report.periods[period][1]
    return replace(options, period=period, last=last)


def _select(columns: tuple[Column, ...]) -> Sql:
    return join(",\n            ", (column.sql for column in columns))


def time_series(mart: Sql, report: Report, options: Options) -> Sql:
    """Periods x keys, the empty periods as one zero row, then the totals per key.

    The periods come from ``generate_series`` in ``FROM`` (in a select list DuckDB returns
    one list, not rows), over timestamps (DuckDB has no series of dates).
    """
    assert options.period is not None
    keys = join(", ", (column.sql for column in report.keys))
    grouping = sql("(periods.period_start, {keys})", keys=keys)
    total_order = raw("")
    if report.totals_order is not None:
        grouping = sql("{grouping}, ({keys})", grouping=grouping, keys=keys)
        total_order = sql(
            "case when grouping(periods.period_start) = 1 then {order} end desc,",
            order=raw(report.totals_order),
        )
    return sql(
        """
        with anchor as (
            select max({period_column}) as last_period from {mart} where {period_condition}
        ),
        periods as (
            select CAST(series.period_start AS date) as period_start
            from anchor, generate_series(
                CAST(last_period AS timestamp) - ({last} - 1) * CAST({step} AS interval),
                CAST(last_period AS timestamp),
                CAST({step} AS interval)
            ) as series(period_start)
            where last_period is not null
        ),
        m as (
            select * from {mart} where {period_condition} and {scope}
        )
        select
            periods.period_start,
            {columns}
        from periods
        left join m on m.{period_column} = periods.period_start
        group by grouping sets ({grouping})
        having grouping(periods.period_start) = 0 or {first_key} is not null
        order by
            grouping(periods.period_start),
            periods.period_start,
            {total_order}
            {keys_order}
    """,
        period_column=ident(report.periods[options.period][0]),
        mart=mart,
        period_condition=sql(report.period_condition, period=value(options.period)),
        last=value(options.last),
        step=value(PERIOD_STEP.get(options.period, "1 month")),
        scope=where(options, report.dimensions),
        columns=_select(report.keys + report.metrics),
        grouping=grouping,
        first_key=report.keys[0].sql,
        total_order=total_order,
        keys_order=join(
            ", ", (sql("{key} nulls first", key=column.sort_key()) for column in report.keys)
        ),
    )


def listing(mart: Sql, report: Report, options: Options) -> Sql:
    """The first ``options.top`` rows of each currency, in ``report.listing_order``."""
    return sql(
        """
        with ranked as (
            select
                *,
                row_number() over (partition by currency_code order by {order}) as row_rank,
                count(*) over (partition by currency_code) as currency_rows
            from {mart} as m
            where {scope}
        )
        select {columns}
        from ranked as m
        where row_rank <= {top}
        order by currency_rows desc, {currency}, row_rank
    """,
        order=raw(report.listing_order),
        mart=mart,
        scope=where(options, report.dimensions),
        columns=_select(report.keys + report.metrics),
        top=value(options.top),
        currency=code_point_order(raw("currency_code")),
    )


FORMATS = ("table", "csv", "json")


def title(result: Result) -> str:
    """``New orders by month, last 3 months (account acct-1)``."""
    report, options = result.report, result.options
    if not report.periods:
        return report.title.format(top=options.top) + f" ({options.describe()})"
    assert options.period is not None and options.last is not None
    unit = report.unit or options.period
    units = UNITS.get(unit, unit + "s") if options.last > 1 else unit
    head = report.title.format(period=options.period)
    return f"{head}, last {options.last} {units} ({options.describe()})"


def render(result: Result, fmt: str = "table") -> str:
    """The report in ``fmt``: ``table`` (title, periods, totals, footnote), or ``csv`` /
    ``json``, the same rows with the values SQL returned (a total row has no
    ``period_start``, a period without data no currency)."""
    columns = result.report.columns
    if fmt == "csv":
        return to_csv([column.name for column in columns], result.rows)
    if fmt == "json":
        return to_json([column.name for column in columns], result.rows)
    if not result.rows:
        return f"{title(result)}\n\n{result.report.empty}"
    headers = [column.header for column in columns]
    align = "".join("l" if column.kind in {"text", "date"} else "r" for column in columns)

    def cells(row: tuple[Any, ...]) -> list[str]:
        shown = [cell(value, column.kind) for value, column in zip(row, columns, strict=True)]
        if result.is_total(row):
            shown[0] = "Total"
        return shown

    lines = [cells(row) for row in result.rows if not result.is_total(row)]
    totals = [cells(row) for row in result.rows if result.is_total(row)]
    parts = [title(result), "", table(headers, lines, align)]
    if totals:
        parts += ["", table(headers, totals, align)]
    return "\n".join([*parts, "", *result.report.footnote])
