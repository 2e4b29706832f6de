# Two entry points for a fresh machine: `make run` (set up, then start the bot) and
# `make test` (set up with dev tools, then lint, type-check and run the whole test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: setup setup-dev run test lint typecheck mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.app
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.app

setup-dev: $(VENV)/.dev

$(CONFIG):
	cp config.example.toml $(CONFIG)

run: setup $(CONFIG)
	$(BIN)/briefbot run --config $(CONFIG)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest

# Mutation testing of the modules that protect users and data (not part of `make test`; ~30
# min on a busy 2-core VM). Prints the share of mutants killed per module; see README, "Tests".
mutation: setup-dev
	$(BIN)/python -m tests.support.mutation --min-score 90

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache mutants
