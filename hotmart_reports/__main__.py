"""``python -m hotmart_reports`` = ``hotmart-report``."""

from hotmart_reports.cli import main

raise SystemExit(main())
