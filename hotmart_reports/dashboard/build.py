"""From the warehouse to the file: query the marts, lay out the sections, write the page."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from hotmart_reports.dashboard import charts, library, page, queries
from hotmart_reports.db import ReportError, Warehouse

TITLE = "Hotmart revenue dashboard"


def build(warehouse: Warehouse, schema: str, options: queries.Options) -> str:
    """The page's HTML for ``options`` (every figure queried, ``ReportError`` when the
    warehouse cannot give them)."""
    datasets = queries.fetch(warehouse, schema, options)
    (summary,) = datasets.pop("summary")
    reporting_currency = summary["reporting_currency_code"]
    meta = page.Meta(
        title=TITLE,
        schema=schema,
        period=options.period,
        since=options.since.isoformat() if options.since else None,
        account=options.account,
        currency=options.currency,
        reporting_currency=reporting_currency,
        as_of=summary["latest_order_date"],
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        libraries=library.versions(),
    )
    return page.render(
        meta, charts.sections(options.period, reporting_currency), datasets, library.javascript()
    )


def write(path: Path, text: str) -> None:
    """Write the page to ``path`` (``command.check`` has refused a folder that is missing)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}") from exc
