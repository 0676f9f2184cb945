"""What every report over a dbt mart shares: the account / product / source / currency
filters, checked against the mart, and the one way a mart is queried.

Why filter values are checked: a mistyped account, product or source matches no row, and a
report of zeros for it reads as "no sales" -- a wrong answer, not an error. So a value that
no row of the mart holds stops the report with the values that exist. A value the mart holds
but without orders in the reported periods is a true zero and is reported as one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hotmart_reports.db import DEFAULT_SCHEMA, MissingTableError, ReportError, Warehouse
from hotmart_reports.sql import Sql, code_point_order, ident, join, raw, sql, value

#: Where ``make demo`` builds its marts (``hotmart_pipeline.demo``), apart from the user's.
DEMO_SCHEMA = "hotmart_demo"
#: The mart every build has (one row per order): whether a schema holds marts at all.
ORDERS_MART = "hotmart__orders"
#: How many existing values an "unknown value" message lists before "and N more".
LISTED_VALUES = 10


@dataclass(frozen=True)
class Dimension:
    """A filter every report offers: its ``Scope`` field and the mart column it matches."""

    name: str
    plural: str
    column: str
    #: SQL condition with ``{column}`` and the ``{value}`` filtered on (a constant of this
    #: package; the value is a bound parameter)
    condition: str
    #: the column holds text (sorted in code-point order), not numbers
    text: bool = True

    def matches(self, scope: Scope) -> Sql:
        """The condition on this dimension's column, for the value ``scope`` has."""
        return sql(
            self.condition, column=ident(self.column), value=value(getattr(scope, self.name))
        )

    def sort_key(self) -> Sql:
        """This dimension's column, to sort on (text in code-point order)."""
        column = ident(self.column)
        return code_point_order(column) if self.text else column

    def on(self, column: str) -> Dimension:
        """This filter on a mart that names its column otherwise (``first_product_id``)."""
        return replace(self, column=column)


#: In this order: a value is looked up among the rows that match the filters before it.
DIMENSIONS = (
    Dimension("account", "accounts", "account_id", "{column} = {value}"),
    Dimension("product", "products", "product_id", "{column} = {value}", text=False),
    # sources are typed by people in tracking links (Instagram, instagram): case-insensitive
    Dimension("source", "sources", "source", "lower({column}) = lower({value})"),
    Dimension("currency", "currencies", "currency_code", "{column} = upper({value})"),
)


@dataclass(frozen=True)
class Scope:
    """The rows a report is about; ``None`` means every value."""

    account: str | None = None
    product: int | None = None
    source: str | None = None
    currency: str | None = None

    def describe(self) -> str:
        """The scope in words, for report titles: ``account acct-1, source instagram``."""
        parts = [
            f"{dimension.name} {value}"
            for dimension in DIMENSIONS
            if (value := getattr(self, dimension.name)) is not None
        ]
        if self.account is None:
            parts.insert(0, "all accounts")
        return ", ".join(parts)


def where(scope: Scope, dimensions: Sequence[Dimension] = DIMENSIONS) -> Sql:
    """The SQL condition selecting the rows of ``scope`` (``true`` when it has no filter);
    ``dimensions``: the filters the mart has, with its column names."""
    conditions = [
        dimension.matches(scope)
        for dimension in dimensions
        if getattr(scope, dimension.name) is not None
    ]
    return join(" and ", conditions) if conditions else raw("true")


def run(warehouse: Warehouse, schema: str, mart: str, query: Sql) -> list[tuple[Any, ...]]:
    """Rows of ``query`` over ``schema.mart``; a missing mart means dbt has not built it yet."""
    try:
        return warehouse.rows(query)
    except MissingTableError as exc:
        raise missing_mart(warehouse, schema, mart) from exc


def run_records(warehouse: Warehouse, schema: str, mart: str, query: Sql) -> list[dict[str, Any]]:
    """``run``, each row keyed by its column names."""
    try:
        return warehouse.records(query)
    except MissingTableError as exc:
        raise missing_mart(warehouse, schema, mart) from exc


def missing_mart(warehouse: Warehouse, schema: str, mart: str) -> ReportError:
    """What to do when ``schema.mart`` is not there: right after ``make demo`` only the
    demo's marts exist, and the default schema is the user's own."""
    if schema != DEMO_SCHEMA and has_table(warehouse, DEMO_SCHEMA, mart):
        return ReportError(
            f"{schema}.{mart} does not exist; the demo's marts are in {DEMO_SCHEMA} (add "
            f"--schema {DEMO_SCHEMA}), yours come with your account's first sync (README, "
            "'Your own Hotmart account')"
        )
    return ReportError(
        f"{schema}.{mart} does not exist: run the dbt project first "
        "(meltano invoke dbt-postgres:build, or dbt build in transform/)"
    )


def default_schema(warehouse: Warehouse) -> str:
    """The schema a report reads when none is named: the user's own (``hotmart``), or, while
    it has no marts and the demo's exist (right after ``make demo``), the demo's, said on
    stderr so that demo figures are never taken for the user's."""
    if not has_table(warehouse, DEFAULT_SCHEMA, ORDERS_MART) and has_table(
        warehouse, DEMO_SCHEMA, ORDERS_MART
    ):
        print(
            f"hotmart-report: no marts of your own yet (schema {DEFAULT_SCHEMA}); showing the "
            f"demo's ({DEMO_SCHEMA}). Yours come with your account's first sync.",
            file=sys.stderr,
        )
        return DEMO_SCHEMA
    return DEFAULT_SCHEMA


def has_table(warehouse: Warehouse, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists (asked of the catalog: a failed query would end
    PostgreSQL's transaction)."""
    query = sql(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = {schema} AND table_name = {table}",
        schema=value(schema),
        table=value(table),
    )
    return bool(warehouse.rows(query)[0][0])


def check_scope(
    warehouse: Warehouse,
    schema: str,
    mart: str,
    scope: Scope,
    dimensions: Sequence[Dimension] = DIMENSIONS,
) -> None:
    """Raise ``ReportError`` for the first filter value that no row of the mart holds.

    Each value is looked up among the rows of the filters before it, so a product of
    another account is reported as unknown for the account asked for.
    """
    checked = Scope()
    for dimension in dimensions:
        given = getattr(scope, dimension.name)
        if given is None:
            continue
        within = where(checked, dimensions)
        query = known_values(warehouse.table(schema, mart), dimension, scope, within)
        rows = run(warehouse, schema, mart, query)
        count, found = rows[0][1:] if rows else (0, False)
        if not found:
            raise ReportError(
                unknown_value_message(
                    dimension,
                    given,
                    mart=f"{schema}.{mart}",
                    within=checked,
                    listed=[listed for listed, *_ in rows],
                    count=count,
                )
            )
        checked = replace(checked, **{dimension.name: given})


def known_values(mart: Sql, dimension: Dimension, scope: Scope, within: Sql) -> Sql:
    """The first ``LISTED_VALUES`` values of ``dimension`` in the rows of ``mart`` that
    ``within`` selects, as text, each with how many values there are and whether one is
    ``scope``'s (window aggregates see every value, before the ``limit``); no row if none."""
    return sql(
        """
        with known as (
            select distinct {column} from {mart} where {within}
        )
        select
            CAST({column} AS varchar),
            count(*) over (),
            count(*) filter (where {matches}) over () > 0
        from known
        order by {sort_key}
        limit {listed}
    """,
        column=ident(dimension.column),
        mart=mart,
        within=within,
        matches=dimension.matches(scope),
        sort_key=dimension.sort_key(),
        listed=value(LISTED_VALUES),
    )


def unknown_value_message(
    dimension: Dimension,
    value: object,
    *,
    mart: str,
    within: Scope,
    listed: list[str],
    count: int,
) -> str:
    """``no product 9 in hotmart.hotmart__new_orders for account acct-1; products: 1, 2``.

    ``listed`` are the first existing values and ``count`` how many exist: the line names
    what was wrong and what to pass instead, short enough to read with a hundred products.
    """
    shown = repr(value) if isinstance(value, str) else str(value)
    where_text = f" for {within.describe()}" if within != Scope() else ""
    existing = ", ".join(listed) if listed else "none"
    if count > len(listed):
        existing += f" and {count - len(listed)} more"
    return f"no {dimension.name} {shown} in {mart}{where_text}; {dimension.plural}: {existing}"
