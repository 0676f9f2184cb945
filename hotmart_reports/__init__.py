"""Terminal reports over the dbt marts of tap-hotmart (``hotmart-report``)."""

from tap_hotmart import __version__

__all__ = ["__version__"]
