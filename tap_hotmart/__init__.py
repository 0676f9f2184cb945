"""tap-hotmart: a Singer tap for the Hotmart API, built with the Meltano Singer SDK."""

#: The release, in one place: pyproject.toml reads it (setuptools dynamic version) for the
#: distribution `tap-hotmart-oss`; CHANGELOG.md and transform/dbt_project.yml follow it.
__version__ = "0.1.0"
