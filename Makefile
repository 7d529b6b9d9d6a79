# Two commands on a machine with Python >= 3.11 and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --constraint constraints.txt
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
.DEFAULT_GOAL := help

.PHONY: help install install-dev run test lint unit typecheck contracts diagrams asyncapi openapi lock clean

# What puts the `tickets` command on PATH: make installs it into .venv, not system-wide.
ON_PATH := echo 'tickets is installed in $(VENV)/bin: run `. $(VENV)/bin/activate` to type `tickets …`, or call `$(BIN)/tickets …`'

## List the targets and how to put `tickets` on PATH.
help:
	@awk '/^## /{text=substr($$0, 4); next} /^[a-z-]+:/{if (text) printf "make %-12s %s\n", substr($$1, 1, length($$1)-1), text; text=""}' $(MAKEFILE_LIST)
	@$(ON_PATH)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What running needs: the package and its runtime dependencies, pinned by constraints.txt.
$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $(RUN_STAMP)
	@$(ON_PATH)

# What testing and benchmarking need on top: the dev and bench extras.
$(DEV_STAMP): $(RUN_STAMP)
	$(PIP) -e '.[dev,bench]'
	touch $(DEV_STAMP)

## Create .venv with the package and its runtime dependencies.
install: $(RUN_STAMP)
## Add the dev and bench extras (what make test needs).
install-dev: $(DEV_STAMP)

## Start the service on 127.0.0.1:8000 (embedded PostgreSQL unless TICKETS_DATABASE_URL is set).
run: $(RUN_STAMP)
	@$(ON_PATH)
	$(BIN)/tickets serve

## Lint, type-check, check the layer contracts, then run the whole test suite.
test: lint typecheck contracts
	$(BIN)/pytest

## ruff: lint and format check.
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

## mypy, strict.
typecheck: $(DEV_STAMP)
	$(BIN)/mypy

## import-linter: the layer contracts.
contracts: $(DEV_STAMP)
	$(BIN)/lint-imports

## The unit tests only (no database).
unit: $(DEV_STAMP)
	$(BIN)/pytest tests/unit

## Render every Mermaid diagram of the docs (needs node/npm; installs chromium as root).
diagrams:
	scripts/check_diagrams.sh

## Validate docs/asyncapi.yaml with the official AsyncAPI CLI (needs node/npm; npx fetches it).
asyncapi:
	scripts/check_asyncapi.sh

# The document is dumped without starting a server, to build/openapi.json.
## Lint the served OpenAPI document with Redocly's recommended rules, warnings as errors (needs node/npm).
REDOCLY := @redocly/cli@2.77.0
openapi: $(RUN_STAMP)
	@mkdir -p build
	$(BIN)/python scripts/dump_openapi.py > build/openapi.json
	@command -v npx >/dev/null || { echo "make openapi: needs node and npm" >&2; exit 1; }
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	  npx --yes $(REDOCLY) lint --config tools/openapi/redocly.yaml build/openapi.json

## Re-pin every dependency (runtime, dev and bench) to what a fresh resolve picks today.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,bench]'
	{ echo '# Exact versions every install uses (make run, make test). Regenerate with: make lock'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | sort; } > constraints.txt
	rm -rf .lock-venv

## Remove .venv and the tools' caches.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
