"""The dashboard as one HTML file: markup, style, the charting library, the data and the
script that draws it, all inline.

Why one file with everything inside: it is mailed, attached to a ticket or opened from a
laptop with no network; so nothing is fetched (no CDN, no web font: the system's fonts),
and the figures travel inside it as JSON (``<script type="application/json">``), in
columns (``{"columns": [...], "rows": [[...], ...]}``) to keep the file small. The page's
script only picks the rows of the account and currency chosen in its selectors and hands
them to Vega; it never adds a figure up.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hotmart_reports.dashboard.charts import Section

#: the ids of the page's JSON blocks (tests read them back)
DATA_ID = "dashboard-data"
CHARTS_ID = "dashboard-charts"


@dataclass(frozen=True)
class Meta:
    """What the page says about itself: where the figures come from and how they were cut."""

    title: str
    schema: str
    period: str
    since: str | None
    account: str | None
    currency: str | None
    reporting_currency: str | None
    as_of: str | None
    generated_at: str
    libraries: Mapping[str, str]


def columnar(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``records`` as a column list and rows of values (the names once, not per row)."""
    columns = list(records[0]) if records else []
    return {"columns": columns, "rows": [[record[name] for name in columns] for record in records]}


def script_json(item: object) -> str:
    """JSON that is safe inside ``<script>``: every ``<`` written ``\\u003c``, so no text
    of the data (a product name) can end the block or open a comment."""
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def inline_script(code: str) -> str:
    """A script's text made safe inside ``<script>`` (a ``</script`` in a string literal of
    a library would end it early)."""
    return code.replace("</script", "<\\/script")


def render(
    meta: Meta,
    sections: Sequence[Section],
    datasets: Mapping[str, Sequence[Mapping[str, Any]]],
    library: str,
) -> str:
    """The whole page."""
    data = {
        "meta": {
            "schema": meta.schema,
            "period": meta.period,
            "since": meta.since,
            "account": meta.account,
            "currency": meta.currency,
            "reporting_currency": meta.reporting_currency,
            "as_of": meta.as_of,
            "generated_at": meta.generated_at,
        },
        "datasets": {name: columnar(rows) for name, rows in datasets.items()},
    }
    charts = [
        {
            "section": section.id,
            "id": chart.id,
            "dataset": chart.dataset,
            "per_currency": chart.per_currency,
            "spec": chart.spec,
        }
        for section in sections
        for chart in section.charts
    ]
    scope = ", ".join(
        part
        for part in (
            f"schema {meta.schema}",
            f"by {meta.period}",
            f"since {meta.since}" if meta.since else "",
            f"account {meta.account}" if meta.account else "",
            f"currency {meta.currency}" if meta.currency else "",
            f"data as of {meta.as_of}" if meta.as_of else "",
        )
        if part
    )
    libraries = ", ".join(f"{name} {version}" for name, version in meta.libraries.items())
    body = "\n".join(_section(section) for section in sections)
    hint = "Amounts are in the currency chosen; currencies are never added together" + (
        f", except in the chart converted to {meta.reporting_currency}."
        if meta.reporting_currency
        else "."
    )
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(meta.title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
  <h1>{e(meta.title)}</h1>
  <p class="scope">{e(scope)}</p>
  <form class="selectors" onsubmit="return false">
    <label>Account <select id="account-select"></select></label>
    <label>Currency <select id="currency-select"></select></label>
    <span class="hint">{e(hint)}</span>
  </form>
  <nav>{" ".join(f'<a href="#{e(s.id)}">{e(s.title)}</a>' for s in sections)}</nav>
</header>
<main>
{body}
</main>
<footer>Every figure is a query over the dbt marts (docs/reports.md has their definitions).
Generated {e(meta.generated_at)} by hotmart-report dashboard; charts: {e(libraries)}.</footer>
<script type="application/json" id="{DATA_ID}">{script_json(data)}</script>
<script type="application/json" id="{CHARTS_ID}">{script_json(charts)}</script>
<script>{inline_script(library)}</script>
<script>{APP}</script>
</body>
</html>
"""


def _section(section: Section) -> str:
    e = html.escape
    charts = "\n".join(
        f'    <figure class="chart"><figcaption>{e(chart.title)}</figcaption>'
        f'<div class="view" id="chart-{e(chart.id)}"></div></figure>'
        for chart in section.charts
    )
    return f"""<section id="{e(section.id)}">
  <h2>{e(section.title)}</h2>
  <p class="note">{e(section.note)}</p>
  <div class="grid">
{charts}
  </div>
</section>"""


STYLE = """
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6876; --line: #dde3ea; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f5f7fa; }
header { padding: 16px 24px 8px; background: #fff; border-bottom: 1px solid var(--line);
         position: sticky; top: 0; z-index: 1; }
h1 { margin: 0 0 4px; font-size: 20px; }
h2 { margin: 0 0 4px; font-size: 17px; }
.scope, .note, .hint, footer { color: var(--muted); }
.scope { margin: 0 0 8px; }
.selectors { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
.selectors select { margin-left: 4px; font: inherit; padding: 2px 4px; }
nav { margin-top: 8px; display: flex; gap: 14px; flex-wrap: wrap; }
nav a { color: #1f5fa8; text-decoration: none; }
main { padding: 8px 24px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          padding: 14px 16px; margin: 14px 0; }
.note { margin: 0 0 10px; max-width: 110ch; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px; }
figure { margin: 0; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.view { width: 100%; }
.empty { color: var(--muted); font-style: italic; }
footer { padding: 8px 24px 24px; font-size: 12px; }
"""

#: The page's own script: fill the selectors, then draw every chart with the rows of the
#: account and currency selected. Rows of all accounts have ``account_id`` null.
APP = """
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const data = read("dashboard-data");
  const charts = read("dashboard-charts");
  const records = (name) => {
    const set = data.datasets[name];
    return set.rows.map((row) => Object.fromEntries(set.columns.map((c, i) => [c, row[i]])));
  };
  const tables = {};
  for (const name of Object.keys(data.datasets)) tables[name] = records(name);
  const accountSelect = document.getElementById("account-select");
  const currencySelect = document.getElementById("currency-select");
  const views = {};

  const option = (select, value, label) => {
    const item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    select.appendChild(item);
  };
  const accounts = [...new Set(tables.currencies.map((r) => r.account_id).filter((a) => a))];
  option(accountSelect, "", accounts.length > 1 ? "All accounts" : (accounts[0] || "-"));
  if (accounts.length > 1) accounts.forEach((a) => option(accountSelect, a, a));

  const selectedAccount = () => accountSelect.value || null;
  const fillCurrencies = () => {
    const previous = currencySelect.value;
    currencySelect.textContent = "";
    const list = tables.currencies.filter((r) => r.account_id === selectedAccount());
    list.forEach((r) => option(currencySelect, r.currency_code,
      r.currency_code + " (" + r.orders.toLocaleString() + " orders)"));
    if (list.some((r) => r.currency_code === previous)) currencySelect.value = previous;
  };

  const draw = () => {
    const account = selectedAccount();
    const currency = currencySelect.value;
    return Promise.all(charts.map((chart) => {
      const rows = tables[chart.dataset].filter((r) => r.account_id === account &&
        (!chart.per_currency || r.currency_code === currency));
      const element = document.getElementById("chart-" + chart.id);
      if (views[chart.id]) views[chart.id].finalize();
      const spec = Object.assign({}, chart.spec, {
        width: "container", datasets: {[chart.dataset]: rows},
      });
      if (!("height" in spec)) spec.height = 200;
      return vegaEmbed(element, spec, {actions: false, renderer: "svg"}).then((result) => {
        views[chart.id] = result.view;
        let note = element.parentNode.querySelector(".empty");
        if (!rows.length && !note) {
          note = document.createElement("p");
          note.className = "empty";
          note.textContent = "No data for this selection.";
          element.parentNode.appendChild(note);
        } else if (rows.length && note) {
          note.remove();
        }
      });
    })).then(() => { document.body.dataset.drawn = String(charts.length); },
             (error) => { console.error("dashboard: " + error); throw error; });
  };

  fillCurrencies();
  accountSelect.addEventListener("change", () => { fillCurrencies(); draw(); });
  currencySelect.addEventListener("change", draw);
  draw();
})();
"""
