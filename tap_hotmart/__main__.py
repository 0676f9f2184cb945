"""Allow `python -m tap_hotmart`."""

from tap_hotmart.tap import TapHotmart

TapHotmart.cli()
