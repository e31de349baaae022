# Wikipost: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./var

.PHONY: venv run test lint conformance bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/wikipost --data-dir $(DATA_DIR) init
	$(BIN)/wikipost --data-dir $(DATA_DIR) demo-admin
	$(BIN)/wikipost --data-dir $(DATA_DIR) serve --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/ruff check wikipost tests bench
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check wikipost tests bench
	$(BIN)/ruff format --check wikipost tests bench
	$(BIN)/mypy

conformance: venv
	$(BIN)/python -m tests.conformance.runner

bench: venv
	$(BIN)/python bench/api_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
