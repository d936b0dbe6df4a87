# The two commands a new user needs: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGE_FILES := pyproject.toml sandbox/pyproject.toml tap-servicetitan/pyproject.toml \
	transform/pyproject.toml target-freshbooks/pyproject.toml

.PHONY: install demo test lint bench chaos sandbox clean

$(STAMP): $(PACKAGE_FILES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e ./sandbox -e ./tap-servicetitan -e ./transform -e ./target-freshbooks --group dev
	touch $(STAMP)

## install: create .venv with the sandbox, the three plugins and the dev tools
install: $(STAMP)

## demo: run the sync end to end against the local sandbox
demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

MYPY_PATHS := sandbox/src tap-servicetitan/tap_servicetitan transform/map_servicetitan_freshbooks \
	target-freshbooks/target_freshbooks

## test: lint, type-check and run every test (two workers: CI's machine has two cores)
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/pytest -n 2 --dist loadscope --durations=25

## lint: ruff and mypy
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy $(MYPY_PATHS)

## bench: print the benchmark figures
bench: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash bench/run.sh

## chaos: every fault kind, kill -9 of the target, reruns; FreshBooks must equal a fault-free run (10,000 invoices)
chaos: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/chaos.py $(CHAOS_ARGS)

## sandbox: seed (if empty) and serve the sandbox in the foreground
sandbox: install
	@test -f .sandbox/sandbox.db || $(BIN)/sandbox seed
	$(BIN)/sandbox serve

clean:
	rm -rf $(VENV) .meltano .sandbox output
