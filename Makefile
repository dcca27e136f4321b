# The two commands of the README: `make run` (embedded default, no external services) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint typecheck install browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Start everything in one process on the embedded default (in-process bus, SQLite under ./data).
run: $(STAMP)
	$(BIN)/python -m services.embedded

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Headless Chromium for the web console's browser tests (Debian's package; Playwright drives it).
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	  || echo "warning: chromium not installed: the browser tests will be skipped (failed with CI=true)"; }

## Install what the tests need into .venv, check style and types, run every test.
test: $(STAMP) browser lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Benchmarks: `make bench` (a few minutes), `make bench-full` (longer). See bench/README.md.
include bench/Makefile.include
