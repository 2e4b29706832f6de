# Two entry points for a fresh machine: `make run` (set up, then start the bot) and
# `make test` (set up with dev tools, then lint, type-check and run the whole test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml
# torch (pulled in by argostranslate -> stanza) must be the CPU build, installed first, or pip
# fetches gigabytes of CUDA packages. Elsewhere: TORCH_PIP_ARGS="--index-url <CPU wheel index>".
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=

.PHONY: setup setup-dev run test lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/pip install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	touch $@

$(VENV)/.app: pyproject.toml $(VENV)/.torch
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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
