# benchsuite: the two commands of the README, plus developer shortcuts.
#   make run    set up .venv and run the whole benchmark on the embedded default, then build the board
#               (cells run --jobs at a time: by default one per usable core, capped by memory,
#               each with 1 intra-op thread, so the records do not depend on the core count)
#   make test   set up .venv with dev tools and run every test tier (what CI runs)
#   make lint   ruff check, ruff format --check, mypy (CI runs it before the tests)
VENV ?= .venv
BS := $(VENV)/bin/benchsuite

.PHONY: run test test-fast lint setup setup-dev

setup:
	scripts/install.sh

setup-dev:
	scripts/install.sh --dev

run: setup
	$(BS) run --all --out runs
	$(BS) leaderboard --records runs --out leaderboards

test: setup-dev
	scripts/test.sh

test-fast: setup-dev
	$(VENV)/bin/python -m pytest

# ruff (lint + format) on everything, mypy on the typed packages (pyproject [tool.mypy] files)
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
