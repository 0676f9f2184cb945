"""What every report over a dbt mart shares: the account / product / source / currency
filters, checked against the mart, and the one way a mart is queried.

Why filter values are checked: a mistyped account, product or source matches no row, and a
report of zeros for it reads as "no sales" -- a wrong answer, not an error. So a value that
no row of the mart holds stops the report with the values that exist. A value the mart holds
but without orders in the reported periods is a true zero and is reported as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from hotmart_reports.db import ReportError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.sql import Composable, Composed

#: How many existing values an "unknown value" message lists before "and N more".
LISTED_VALUES = 10


@dataclass(frozen=True)
class Dimension:
    """A filter every report offers: its ``Scope`` field and the mart column it matches."""

    name: str
    plural: str
    column: str
    #: SQL condition with ``{column}`` and the ``%(name)s`` parameter (a constant, never input)
    condition: str

    def matches(self) -> Composed:
        """The condition on this dimension's column, for a query with ``Scope.params()``."""
        from psycopg import sql  # noqa: PLC0415 - optional dependency (extra "reports")

        return sql.SQL(self.condition).format(column=sql.Identifier(self.column))

    def on(self, column: str) -> Dimension:
        """This filter on a mart that names its column otherwise (``first_product_id``)."""
        return replace(self, column=column)


#: In this order: a value is looked up among the rows that match the filters before it.
DIMENSIONS = (
    Dimension("account", "accounts", "account_id", "{column} = %(account)s"),
    Dimension("product", "products", "product_id", "{column} = %(product)s"),
    # sources are typed by people in tracking links (Instagram, instagram): case-insensitive
    Dimension("source", "sources", "source", "lower({column}) = lower(%(source)s)"),
    Dimension("currency", "currencies", "currency_code", "{column} = upper(%(currency)s)"),
)


@dataclass(frozen=True)
class Scope:
    """The rows a report is about; ``None`` means every value."""

    account: str | None = None
    product: int | None = None
    source: str | None = None
    currency: str | None = None

    def params(self) -> dict[str, Any]:
        """The query parameters the conditions of ``where`` refer to."""
        return {dimension.name: getattr(self, dimension.name) for dimension in DIMENSIONS}

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


def where(scope: Scope, dimensions: Sequence[Dimension] = DIMENSIONS) -> Composable:
    """The SQL condition selecting the rows of ``scope`` (``true`` when it has no filter);
    ``dimensions``: the filters the mart has, with its column names."""
    from psycopg import sql  # noqa: PLC0415 - optional dependency

    conditions = [
        dimension.matches()
        for dimension in dimensions
        if getattr(scope, dimension.name) is not None
    ]
    return sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true")


def run(
    conn: Connection[Any], schema: str, mart: str, query: Composed, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """Rows of ``query`` over ``schema.mart``; a missing mart means dbt has not built it yet."""
    from psycopg import errors  # noqa: PLC0415 - optional dependency

    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    except errors.UndefinedTable as exc:
        raise ReportError(
            f"{schema}.{mart} does not exist: run the dbt project first "
            "(meltano invoke dbt-postgres:build, or dbt build in transform/)"
        ) from exc


def check_scope(
    conn: Connection[Any],
    schema: str,
    mart: str,
    scope: Scope,
    dimensions: Sequence[Dimension] = DIMENSIONS,
) -> None:
    """Raise ``ReportError`` for the first filter value that no row of the mart holds.

    Each value is looked up among the rows of the filters before it, so a product of
    another account is reported as unknown for the account asked for.
    """
    from psycopg import sql  # noqa: PLC0415 - optional dependency

    checked = Scope()
    for dimension in dimensions:
        value = getattr(scope, dimension.name)
        if value is None:
            continue
        query = sql.SQL("""
            with known as (
                select distinct {column} from {mart} where {within}
            )
            select
                coalesce(bool_or({matches}), false),
                count(*),
                coalesce(
                    (array_agg({column}::text order by {column}))[1:%(listed)s], '{{}}'
                )
            from known
        """).format(
            column=sql.Identifier(dimension.column),
            mart=sql.Identifier(schema, mart),
            within=where(checked, dimensions),
            matches=dimension.matches(),
        )
        params = {**scope.params(), "listed": LISTED_VALUES}
        ((found, count, listed),) = run(conn, schema, mart, query, params)
        if not found:
            raise ReportError(
                unknown_value_message(
                    dimension,
                    value,
                    mart=f"{schema}.{mart}",
                    within=checked,
                    listed=listed,
                    count=count,
                )
            )
        checked = replace(checked, **{dimension.name: value})


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
