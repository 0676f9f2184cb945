"""Terminal reports over the dbt marts of tap-hotmart (``hotmart-report``)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
