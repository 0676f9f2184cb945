# tap-hotmart developer entry points. Orchestration lives in scripts/*.py; this file only
# builds the environment and calls them.
#
#   make demo     emulator -> tap -> embedded PostgreSQL -> dbt -> New Orders report
#   make test     everything the tests need, lint, then pytest (unit + end-to-end)
#   make lint     ruff and mypy
#
# PYTHON picks the interpreter for .venv (3.10-3.13); MELTANO_SPEC the Meltano version.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MELTANO_SPEC ?= meltano~=4.4.0
PYTEST_ARGS ?= -q

export MELTANO_SEND_ANONYMOUS_USAGE_STATS ?= false

.PHONY: help venv install meltano-install demo test test-unit test-e2e lint \
        warehouse-start warehouse-stop warehouse-status clean-local

help:
	@sed -n '3,8p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

# Stamp files make both installs idempotent: they rerun only when their inputs change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]' '$(MELTANO_SPEC)'
	@touch $@

install: $(VENV)/.installed

.meltano/.installed: meltano.yml pyproject.toml $(VENV)/.installed
	$(BIN)/meltano install
	@mkdir -p .meltano && touch $@

meltano-install: .meltano/.installed

demo: meltano-install
	$(BIN)/python scripts/demo.py

test: meltano-install lint
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest $(PYTEST_ARGS) -m "not e2e"

test-e2e: meltano-install
	$(BIN)/pytest $(PYTEST_ARGS) -m e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

warehouse-start: install
	$(BIN)/python scripts/warehouse.py start

warehouse-stop: install
	$(BIN)/python scripts/warehouse.py stop

warehouse-status: install
	$(BIN)/python scripts/warehouse.py status

# Forget the demo's data: stops the embedded PostgreSQL, removes its data and Meltano state.
clean-local:
	-$(BIN)/python scripts/warehouse.py stop
	rm -rf .local .meltano/meltano.db
