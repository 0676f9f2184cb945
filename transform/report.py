"""Hook for scripts/demo.py, which runs ``python -m transform.report new-orders``.

The report itself is the ``hotmart_reports`` package (console script ``hotmart-report``);
this module only forwards to it so the demo works whichever of the two it calls.
"""

import sys

from hotmart_reports.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
