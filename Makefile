# The two commands of the README: `make run` (embedded default, no external services) and `make test`.
# Every install comes from the lock files in requirements/ (hashes required; README, "Dependencies").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEPS := $(PYTHON) -m tools.deps

CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint typecheck install install-runtime check-lock lock upgrade upgrade-all browser clean

## Runtime and development dependencies into .venv, exactly as locked in requirements/dev.txt.
install:
	@$(DEPS) sync dev $(VENV)

## Runtime dependencies only (requirements/runtime.txt); a .venv installed for development already has them.
install-runtime:
	@$(DEPS) sync runtime $(VENV)

## pyproject.toml and the lock files agree (offline; `install` checks it too).
check-lock:
	@$(DEPS) check

## Re-resolve the lock files after a change of pyproject.toml: every pin that still fits is kept.
lock:
	$(DEPS) lock

## Move one package (and what it needs) to its newest version that fits: make upgrade PACKAGE=fastapi
upgrade:
	@test -n "$(PACKAGE)" || { echo "usage: make upgrade PACKAGE=name (or make upgrade-all)"; exit 2; }
	$(DEPS) lock $(foreach name,$(PACKAGE),--upgrade-package $(name))

upgrade-all:
	$(DEPS) lock --upgrade

## Start everything in one process on the embedded default (in-process bus, SQLite under ./data).
run: install-runtime
	$(BIN)/python -m services.embedded

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## Headless Chromium for the web console's browser tests (Debian's package; Playwright drives it).
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	  || echo "warning: chromium not installed: the browser tests will be skipped (failed with CI=true)"; }

## Install what the tests need into .venv, check style and types, run every test.
test: check-lock install browser lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Benchmarks: `make bench` (a few minutes), `make bench-full` (longer). See bench/README.md.
include bench/Makefile.include
