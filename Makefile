# Two entry points for a fresh machine: `make run` (set up, then start the bot) and
# `make test` (set up with dev tools, then lint, type-check and run the whole test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: setup setup-dev run demo test lint typecheck mutation clean

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
	sh scripts/ensure-postgres

$(CONFIG):
	cp config.example.toml $(CONFIG)

# MODELS=DIR first installs every .argosmodel file in DIR (offline set-up), e.g.
# `make run MODELS=~/Downloads/argos-models`.
run: setup $(CONFIG)
	$(if $(MODELS),$(BIN)/briefbot models install --config $(CONFIG) $(abspath $(MODELS)))
	$(BIN)/briefbot run --config $(CONFIG)

# The whole pipeline in under a minute, without a token: tiny random-weight test models.
demo: setup
	$(BIN)/briefbot demo examples/artikel-de.txt

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

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
