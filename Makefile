# parkpi — the two commands a newcomer needs are `make run` and `make test`.
# Everything they need is installed from here: uv (bootstrapped into .tools/ if absent),
# then the locked Python environment in .venv/ (uv.lock).

SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Dagster's run history lives beside the warehouse it ran on (parkpi sets DAGSTER_HOME from
# PARKPI_WAREHOUSE itself; `make dev` needs it for the UI before parkpi runs).
WAREHOUSE_FILE = $(abspath $(or $(PARKPI_WAREHOUSE),warehouse/parkpi.duckdb))
UI_DAGSTER_HOME = $(or $(DAGSTER_HOME),$(dir $(WAREHOUSE_FILE))dagster_home)

.PHONY: help install run test test-setup chromium java spark-setup dev lint bench sample clean

help:
	@echo "make run    install, then build everything on the bundled sample and print a summary"
	@echo "            (PARKPI_ENGINE=spark make run: the same on Apache Spark; installs Java and pyspark)"
	@echo "make test   install, then run the test suite"
	@echo "make dev    install, then open the Dagster UI on http://127.0.0.1:3000"
	@echo "make lint   style gates: ruff check, ruff format --check, sqlfluff"
	@echo "make bench  ingestion benchmark (BENCH_EVENTS=1000000 by default)"
	@echo "make sample regenerate sources/sample/ from sources/generate.py"
	@echo "make clean  remove the warehouse, dbt output and caches (not .venv)"

.tools/bin/uv:
	@if ! command -v $(PYTHON) >/dev/null 2>&1; then echo "parkpi needs $(PYTHON) on PATH" >&2; exit 1; fi
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: .venv/.installed

# The Spark engine (docs/scaling.md): pyspark and dbt-spark are the lockfile's `spark` group,
# installed on top of the default environment by `make test` and by a Spark `make run`, not by
# a plain `make run`; Java comes from Debian like Chromium.
.venv/.spark-installed: .venv/.installed
	$(UV) sync --frozen --python $(PYTHON) --group spark
	@touch $@

java:
	@if ! command -v java >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
		else echo "Java is missing: sudo apt-get install openjdk-17-jre-headless (Spark cannot start without it)" >&2; fi; \
	fi

spark-setup: java .venv/.spark-installed

SPARK_RUN := $(filter spark,$(PARKPI_ENGINE))$(findstring --engine spark,$(RUN_ARGS))$(findstring --engine=spark,$(RUN_ARGS))

run: install $(if $(SPARK_RUN),spark-setup)
	.venv/bin/parkpi run $(RUN_ARGS)

# What the serving tests need besides .venv: a DuckDB 1.4 engine in its own environment (the
# published snapshot must open in the 1.x engines of BI drivers) and Debian's Chromium (the
# leadership report must render in a real browser); the Spark parity test needs spark-setup.
.tools/duckdb14/.installed: | $(UV)
	$(UV) venv --quiet --clear --python $(PYTHON) .tools/duckdb14
	$(UV) pip install --quiet --python .tools/duckdb14/bin/python "duckdb==1.4.*"
	@touch $@

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium is missing: sudo apt-get install chromium (the report test will be skipped)" >&2; fi; \
	fi

test-setup: install .tools/duckdb14/.installed chromium spark-setup

# Bytecode is written even where the shell says not to (PYTHONDONTWRITEBYTECODE, set in some CI
# images): otherwise every process of the suite compiles the project again and pytest re-writes
# every test module in each worker (~3 s of CPU a worker, measured here).
test: export PYTHONDONTWRITEBYTECODE :=
test: test-setup
	.venv/bin/python -m pytest

dev: install
	.venv/bin/parkpi prepare
	DAGSTER_HOME="$(UI_DAGSTER_HOME)" .venv/bin/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

PY_DIRS := sources quality orchestration serving tests bench

lint: install
	.venv/bin/ruff check $(PY_DIRS)
	.venv/bin/ruff format --check $(PY_DIRS)
	.venv/bin/sqlfluff lint dbt_project
	@if git grep -nE '^(<<<<<<<|>>>>>>>)( |$$)' -- . ':!uv.lock'; then echo "merge conflict markers left in the files above" >&2; exit 1; fi

bench: install
	.venv/bin/python bench/ingest.py --events $${BENCH_EVENTS:-1000000}

sample: install
	.venv/bin/python -m sources.generate --out sources/sample

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
