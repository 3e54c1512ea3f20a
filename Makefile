# marketjobs: `make run` (the main job on the embedded SQLite default) and `make test` (everything CI checks).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Polars crates are slow to build on small machines: keep cargo's output outside the clone so fresh clones,
# CI and later sessions reuse it.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/marketjobs/target
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup build test lint rust-test py-test docs run bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Dependencies are reinstalled only when pyproject.toml changes.
$(VENV)/.deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "maturin>=1.16,<2"
	$(BIN)/python -c "import tomllib; p = tomllib.load(open('pyproject.toml','rb'))['project']; \
	print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(BIN)/pip install --quiet -r $(VENV)/requirements.txt
	touch $@

# The extension is rebuilt in release mode and the packages installed editable; cargo makes it a no-op
# when nothing changed.
build: $(VENV)/.deps
	$(BIN)/maturin develop --release --quiet

setup: build

# maturin builds with PYO3_BUILD_EXTENSION_MODULE and friends set, which changes pyo3's build config and so
# every polars crate: plain cargo gets its own target dir, or each would rebuild the other's (7-15 min).
# pyo3 also rebuilds everything when the interpreter path changes, so plain cargo uses the base interpreter
# (the same in every clone) rather than this clone's .venv.
RUST_TARGET_DIR := $(CARGO_TARGET_DIR)-rust
BASE_PYTHON := $(shell $(PYTHON) -c 'import os, sys; print(os.path.join(sys.base_prefix, "bin", "python3"))')
RUST_ENV := CARGO_TARGET_DIR=$(RUST_TARGET_DIR) PYO3_PYTHON=$(BASE_PYTHON)

rust-test:
	cargo fmt --all --check
	$(RUST_ENV) cargo clippy --release --all-targets -- -D warnings
	$(RUST_ENV) cargo test --release

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

py-test: setup
	$(BIN)/pytest

# The documentation site (mkdocs-material, mkdocstrings): warnings are errors; no network needed.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir var/site

test: setup rust-test lint docs py-test

run: setup
	$(BIN)/marketjobs demo

bench: setup
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/sql_broker.py
	$(BIN)/python benchmarks/indicators.py
	$(BIN)/python benchmarks/bar_loading.py
	$(BIN)/python benchmarks/universe.py
	$(BIN)/python benchmarks/autoscale.py
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) indicators_rs/_internal*.so var
