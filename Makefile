# Wikipost: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./var
# `make run` writes $(DATA_DIR)/make-run.toml so that the wiki's canonical URL ([site] server:
# siteinfo, links in mails, MassMessage's local site) follows HOST and PORT; CONFIG=FILE (or
# WIKIPOST_CONFIG) uses your own configuration file instead.
CONFIG ?= $(WIKIPOST_CONFIG)
RUN_CONFIG := $(if $(CONFIG),$(CONFIG),$(DATA_DIR)/make-run.toml)

.PHONY: venv run cluster test lint conformance bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
ifeq ($(CONFIG),)
	@mkdir -p $(DATA_DIR)
	@printf '# Written by make run: the canonical URL follows HOST and PORT.\n[site]\nserver = "http://%s:%s"\n' \
		'$(HOST)' '$(PORT)' > $(RUN_CONFIG)
endif
	$(BIN)/wikipost --data-dir $(DATA_DIR) --config $(RUN_CONFIG) init --demo-admin
	$(BIN)/wikipost --data-dir $(DATA_DIR) --config $(RUN_CONFIG) serve --host $(HOST) --port $(PORT)

# A cluster on 127.0.0.1 from Debian's packages: PostgreSQL, Redis, HAProxy on PORT, two
# `wikipost serve` nodes and two `wikipost worker` processes; Ctrl-C stops everything.
cluster: venv
	$(BIN)/python -m wikipost.devcluster --port $(PORT)

# After the suite, the API tests again against a cluster (WIKIPOST_TEST_TARGET=cluster: two nodes
# behind HAProxy, two workers, PostgreSQL, Redis). `CLUSTER_TESTS=` leaves that pass out.
CLUSTER_TESTS ?= tests/api tests/clients tests/conformance
CLUSTER_PYTEST_ARGS ?= --durations=10

test: venv
	$(BIN)/ruff check wikipost tests bench
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)
ifneq ($(strip $(CLUSTER_TESTS)),)
	WIKIPOST_TEST_TARGET=cluster $(BIN)/pytest $(CLUSTER_TESTS) $(CLUSTER_PYTEST_ARGS)
endif

lint: venv
	$(BIN)/ruff check wikipost tests bench
	$(BIN)/ruff format --check wikipost tests bench
	$(BIN)/mypy

conformance: venv
	$(BIN)/python -m tests.conformance.runner

bench: venv
	$(BIN)/python bench/api_throughput.py

# The API properties (tests/properties) at ten times CI's case count, random seed; prints the count.
fuzz: venv
	$(BIN)/python bench/fuzz.py --scale 10

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
