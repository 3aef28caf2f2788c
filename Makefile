# Omnihub: `make demo` and `make test` are the two commands; each builds .venv itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench sandbox airflow clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,airflow]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hub demo

test: $(STAMP) chromium lint typecheck pytest

# The report and console tests drive Debian's headless Chromium (the console's through its chromedriver,
# with selenium); install both when the machine lacks them. Nothing downloads a browser build.
chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and chromium-driver (needed by the browser tests)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check hub connectors dags tests bench
	$(BIN)/ruff format --check hub connectors dags tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/dag_parse.py
	$(BIN)/python bench/api_calls.py
	$(BIN)/python bench/backfill.py

sandbox: $(STAMP)
	$(BIN)/hub sandbox serve

# Airflow (UI + API server, scheduler, DAG processor) on the hub's DAGs, with the emulators and their
# connections; prints the UI address and login. Ctrl-C stops everything.
airflow: $(STAMP)
	$(BIN)/hub airflow

clean:
	rm -rf $(VENV) .hub .mypy_cache .ruff_cache .pytest_cache
