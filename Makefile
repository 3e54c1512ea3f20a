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
# `time` before a step prints how long it took (issue 19: the time of each step).
export TIMEFORMAT := [%0Rs]

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
	time $(BIN)/maturin develop --release --quiet

setup: build

# One polars build serves the extension and the Rust tests: plain cargo gets the environment maturin gives
# pyo3 (its config file, PYO3_BUILD_EXTENSION_MODULE, the interpreter), or pyo3's build configuration would
# differ and every polars crate would be compiled a second time (7-15 min; a cold `make test` took 34 min
# more). The unit-test binary links libpython itself (lib.rs), found through MARKETJOBS_PYTHON_LIBDIR
# (build.rs; set for maturin too, so the build script's inputs never change). clippy checks dependencies
# in check mode, which is a build of its own, but one without code generation.
PY_LIBDIR := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
PYO3_SIGNATURE := cpython-$(PY_VERSION)-64bit
# maturin's pyo3 config for this interpreter (a shared target dir may hold other versions' files too).
PYO3_CONFIG = $(firstword $(wildcard $(CARGO_TARGET_DIR)/maturin/pyo3-config-*-$(PY_VERSION)-abi3.txt))
export MARKETJOBS_PYTHON_LIBDIR := $(PY_LIBDIR)
RUST_ENV = PYO3_BUILD_EXTENSION_MODULE=1 PYO3_ENVIRONMENT_SIGNATURE=$(PYO3_SIGNATURE) \
	PYO3_CONFIG_FILE=$(PYO3_CONFIG) \
	PYO3_PYTHON=$(abspath $(BIN))/python PYTHON_SYS_EXECUTABLE=$(abspath $(BIN))/python \
	LD_LIBRARY_PATH=$(PY_LIBDIR)$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))

rust-test: build
	cargo fmt --all --check
	@test -n "$(PYO3_CONFIG)" \
		|| { echo "no pyo3 config for Python $(PY_VERSION) under $(CARGO_TARGET_DIR)/maturin: run make build"; exit 1; }
	time $(RUST_ENV) cargo clippy --release --all-targets -- -D warnings
	@# --lib: the doc-test step would build the rlib, whose output maturin's cdylib shares, and each would rebuild.
	time $(RUST_ENV) cargo test --release --lib

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	time $(BIN)/mypy
	$(BIN)/lint-imports

py-test: setup
	time $(BIN)/pytest

# The documentation site (mkdocs-material, mkdocstrings): warnings are errors; no network needed.
docs: setup
	time NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir var/site

test: setup rust-test lint docs py-test

run: setup
	$(BIN)/marketjobs demo

# Each benchmark writes its metrics to var/bench/<name>.json (the summary it replaces becomes
# <name>.prev.json); compare.py then prints each metric more than 10% worse than in the run before.
BENCHMARKS := throughput sql_broker indicators bar_loading universe autoscale api
bench: setup
	mkdir -p var/bench
	for name in $(BENCHMARKS); do $(BIN)/python benchmarks/$$name.py --json var/bench/$$name.json || exit 1; done
	$(BIN)/python benchmarks/compare.py $(BENCHMARKS:%=var/bench/%.json)

clean:
	rm -rf $(VENV) indicators_rs/_internal*.so var
