"""The charting library, inlined: Vega, Vega-Lite and vega-embed from ``vl-convert-python``.

Why from that package: vl-convert-python (BSD-3-Clause, from the Vega project, what Altair
uses for offline HTML) carries the libraries themselves and bundles them into one script
with no import and no network reference, so the page opens from disk with nothing else.
Nothing of the library is copied into this repository. docs/reports.md, "Dashboard", says
why this library and not Plotly or Bokeh.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from hotmart_reports.db import ReportError


@lru_cache(maxsize=1)
def javascript() -> str:
    """The bundled script (about 0.9 MB), which defines ``window.vegaEmbed``; built once per
    process (bundling takes seconds)."""
    return _vl_convert().javascript_bundle()


def versions() -> dict[str, str]:
    """The versions of the bundled libraries, printed in the page's footer."""
    vlc = _vl_convert()
    return {
        "vega": vlc.get_vega_version(),
        "vega-lite": vlc.get_vegalite_versions()[-1],
        "vega-embed": vlc.get_vega_embed_version(),
    }


def _vl_convert() -> ModuleType:
    try:
        import vl_convert  # noqa: PLC0415 - optional dependency (extra "reports")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        msg = "vl-convert-python is not installed: pip install 'tap-hotmart-oss[reports]'"
        raise ReportError(msg) from exc
    return vl_convert
