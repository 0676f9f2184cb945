"""The SQL of the reports, written once for PostgreSQL and DuckDB.

Why a builder of our own: psycopg's ``psycopg.sql`` renders only for psycopg, and DuckDB
takes its parameters another way (``?`` where psycopg wants ``%s``). A query here is an
``Sql`` fragment: SQL text (constants of this package, never user input), quoted
identifiers, bound values (always parameters, never formatted into the text) and the few
expressions that differ by engine. ``Sql.render`` turns it into one engine's text and
parameter list: that is the only place that knows each engine's placeholder style.

Double-quoted identifiers, ``CAST(x AS type)``, ``COLLATE "C"``, ``FILTER``, window
functions, grouping sets and ``generate_series`` in ``FROM`` mean the same on both engines,
so the queries are written in that common subset; what cannot be (``Dialect``) says why.
"""

from __future__ import annotations

import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """A value sent as a query parameter."""

    value: object


@dataclass(frozen=True)
class PerDialect:
    """An expression each engine writes its own way (see ``Dialect``)."""

    build: Callable[[Dialect], Sql]


@dataclass(frozen=True)
class Sql:
    """A piece of a query: SQL text, parameters and per-engine expressions, in order."""

    chunks: tuple[str | Param | PerDialect, ...] = ()

    def render(self, dialect: Dialect) -> tuple[str, list[object]]:
        """The query text for ``dialect`` and its parameters, in placeholder order."""
        text: list[str] = []
        params: list[object] = []
        for chunk in self.chunks:
            if isinstance(chunk, str):
                text.append(dialect.escape(chunk))
            elif isinstance(chunk, Param):
                text.append(dialect.placeholder)
                params.append(chunk.value)
            else:
                part, part_params = chunk.build(dialect).render(dialect)
                text.append(part)
                params += part_params
        return "".join(text), params


def raw(text: str) -> Sql:
    """SQL text as it is: a constant of this package, never a value from the user."""
    return Sql((text,))


def ident(*names: str) -> Sql:
    """``"catalog"."schema"."table"``: each name quoted (an inner ``"`` doubled), so any
    schema name works and keeps its case, on both engines."""
    return raw(".".join('"' + name.replace('"', '""') + '"' for name in names))


def value(item: object) -> Sql:
    """``item`` as a bound parameter."""
    return Sql((Param(item),))


def per_dialect(build: Callable[[Dialect], Sql]) -> Sql:
    """The expression ``build(dialect)`` gives for the engine the query is rendered for."""
    return Sql((PerDialect(build),))


def join(separator: str, parts: Iterable[Sql]) -> Sql:
    """``parts`` with the SQL text ``separator`` between them."""
    chunks: list[str | Param | PerDialect] = []
    for n, part in enumerate(parts):
        if n:
            chunks.append(separator)
        chunks += part.chunks
    return Sql(tuple(chunks))


def sql(template: str, **parts: Sql) -> Sql:
    """``template`` (SQL text) with each ``{name}`` replaced by the fragment ``parts[name]``
    (``{{`` and ``}}`` for literal braces)."""
    chunks: list[str | Param | PerDialect] = []
    for text, name, _spec, _conversion in string.Formatter().parse(template):
        chunks.append(text)
        if name is not None:
            chunks += parts[name].chunks
    return Sql(tuple(chunks))


def code_point_order(text: Sql) -> Sql:
    """``text`` to sort on in code-point order. A PostgreSQL database sorts text in its own
    locale (``email`` before ``HOTMART`` in en_US), DuckDB by code point; ``COLLATE "C"``
    means code points on both, so the same marts print their rows in the same order."""
    return sql('{text} COLLATE "C"', text=text)


class Dialect(ABC):
    """What an engine writes its own way; everything else is common SQL.

    ``placeholder``: where a parameter goes in the text (the DB-API ``paramstyle`` of the
    engine's Python driver).
    """

    placeholder = "?"

    def escape(self, text: str) -> str:
        """SQL text as the driver must receive it."""
        return text

    @abstractmethod
    def divide(self, numerator: Sql, denominator: Sql, digits: int) -> Sql:
        """``numerator / denominator`` rounded half away from zero to ``digits`` decimals,
        exactly, as the marts round their own ratios (``hotmart_divide`` in transform/);
        null when the denominator is 0."""


class Postgres(Dialect):
    """psycopg: ``%s`` placeholders, so a ``%`` of the SQL text is written ``%%``;
    ``numeric`` division is exact, then ``round`` rounds half away from zero."""

    placeholder = "%s"

    def escape(self, text: str) -> str:
        return text.replace("%", "%%")

    def divide(self, numerator: Sql, denominator: Sql, digits: int) -> Sql:
        return sql(
            "round(CAST({n} AS numeric) / nullif({d}, 0), {digits})",
            n=numerator,
            d=denominator,
            digits=raw(str(digits)),
        )


class DuckDB(Dialect):
    """The duckdb package: ``?`` placeholders. DuckDB divides decimals as doubles, where
    100.05 / 2 is 50.02499... and would round to 50.02, not 50.03: the quotient is taken in
    integers instead (both terms scaled by 10^6: the marts' DECIMAL(38,6) money and integer
    counts are exact there), rounded half away from zero, then made a DECIMAL of ``digits``
    decimals (the same formula as ``hotmart_divide`` in transform/)."""

    def divide(self, numerator: Sql, denominator: Sql, digits: int) -> Sql:
        def scaled(term: Sql) -> Sql:
            return sql("CAST(CAST({term} AS DECIMAL(38, 6)) * 1000000 AS HUGEINT)", term=term)

        return sql(
            "sign({n}) * sign({d}) * ((2 * abs({n}) * {scale} + abs({d})) "
            "// nullif(2 * abs({d}), 0)) * {unit}",
            n=scaled(numerator),
            d=scaled(denominator),
            scale=raw(str(10**digits)),
            unit=raw(f"CAST({10**-digits:.{digits}f} AS DECIMAL(38, {digits}))"),
        )


POSTGRES = Postgres()
DUCKDB = DuckDB()
