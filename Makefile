# tap-hotmart developer entry points. Orchestration lives in the hotmart_pipeline package
# (console scripts hotmart-demo, hotmart-warehouse, ...); this file only builds the
# environment and calls them.
# `make help` lists every target with the text of its `##` comment.
#
# PYTHON picks the interpreter for .venv (3.10-3.13); MELTANO_SPEC the Meltano version.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MELTANO_SPEC ?= meltano~=4.4.0
# Two workers (tests/conftest.py: which tests share one); `make test PYTEST_ARGS=-q` runs in one.
PYTEST_ARGS ?= -q -n 2 --dist loadgroup
# `make demo WAREHOUSE=duckdb`: the demo into a DuckDB file (no server) instead of PostgreSQL.
WAREHOUSE ?= postgres

export MELTANO_SEND_ANONYMOUS_USAGE_STATS ?= false

.PHONY: help venv install install-test meltano-install demo test test-unit test-e2e lint \
        warehouse-start warehouse-stop warehouse-status release-check clean-local settings \
        chromium

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  make \1\t\2/' | expand -t 28

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python ## create .venv

# Stamp files make the installs idempotent: they rerun only when their inputs change.
# uv (Meltano's own installer, which it also uses for the plugins' venvs) installs in a
# quarter of pip's time: 23 s against 98 s for .[test] and Meltano (2026-12-01, this VM).
# The demo needs the companions' extras only; the tests' tools come with install-test.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q 'uv>=0.5'
	$(BIN)/uv pip install --python $(BIN)/python -e '.[reports,pipeline]' '$(MELTANO_SPEC)'
	@touch $@

install: $(VENV)/.installed ## install the project, its companions and Meltano into .venv

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/uv pip install --python $(BIN)/python -e '.[test]' '$(MELTANO_SPEC)'
	@touch $@

install-test: $(VENV)/.installed-test ## also what the tests and lint need (pytest, ruff, mypy, Playwright)

.meltano/.installed: meltano.yml pyproject.toml $(VENV)/.installed
	$(BIN)/meltano install
	@mkdir -p .meltano && touch $@

meltano-install: .meltano/.installed ## install the Meltano plugins (loader, dbt)

demo: meltano-install ## emulator -> tap -> embedded PostgreSQL (or WAREHOUSE=duckdb) -> dbt -> New Orders report
	$(BIN)/hotmart-demo --warehouse $(WAREHOUSE)

test: meltano-install lint chromium ## everything the tests need, lint, then every test
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install-test ## the tests that need no PostgreSQL and no Meltano run
	$(BIN)/pytest $(PYTEST_ARGS) -m "not e2e"

test-e2e: meltano-install install-test chromium ## only the pipeline and report tests
	$(BIN)/pytest $(PYTEST_ARGS) -m e2e

# The dashboard's browser test (tests/reports/test_dashboard_browser.py) opens the page in
# Debian's Chromium, driven by Playwright (Playwright's own browser download is not used).
chromium: ## install Debian's chromium (/usr/bin/chromium) for the dashboard's browser test
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "make chromium: /usr/bin/chromium is missing; install Debian's chromium package as root (apt-get install -y chromium)" >&2; \
	    exit 1; \
	  fi; \
	  apt-get update -q && apt-get install -y -q chromium; }

# The tap's settings are declared in tap_hotmart/settings.py only; this writes them into
# meltano.yml, hub/tap-hotmart.yml and the README (tests/test_plugin_settings.py checks them).
settings: install ## write the tap's settings from tap-hotmart --about into meltano.yml, the Hub definition, the README
	$(BIN)/python -m hotmart_pipeline.plugin_settings

lint: install-test ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

warehouse-start: install ## start the embedded PostgreSQL (127.0.0.1:55432)
	$(BIN)/hotmart-warehouse start

warehouse-stop: install ## stop the embedded PostgreSQL
	$(BIN)/hotmart-warehouse stop

warehouse-status: install ## where the warehouse is and whether it runs
	$(BIN)/hotmart-warehouse status

# What the release workflow (.github/workflows/release.yml) runs before it publishes, and CI
# runs on every push: build dist/ from the checkout, let twine check it as PyPI would, then
# run tests/packaging on exactly those files (installed in a clean virtualenv, added to a
# Meltano project from the Hub definition). Nothing is uploaded. The egg-info goes first:
# setuptools reuses the file list of an old one, which could hide a file left out of the sdist.
release-check: meltano-install install-test ## build dist/ (sdist, wheel), twine check it and test it installed; publishes nothing
	rm -rf dist tap_hotmart_oss.egg-info
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	TAP_HOTMART_DIST_DIR=$(CURDIR)/dist $(BIN)/pytest $(PYTEST_ARGS) tests/packaging

# Forget what the demo and the tests leave: the embedded PostgreSQL (stopped, data removed),
# Meltano's state and run files, dbt's build output and logs. Keeps .venv, the installed
# plugins and .env (your credentials).
clean-local: ## stop the embedded PostgreSQL; forget the demo's data, state, run files and logs
	-$(BIN)/hotmart-warehouse stop
	rm -rf .local .meltano/meltano.db .meltano/run .meltano/logs transform/target transform/logs logs output
