# The two commands: `make run` (the app on SQLite with demo data) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): `auto` is one per core; `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= auto

.PHONY: run test lint format bench stack demo frontend clean
-include make/*.mk

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_policies
	$(PY) manage.py load_demo

run: demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: venv
	scripts/with_postgres.sh $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts

# Each make/bench-*.mk adds its part as a prerequisite of `bench`.
bench:
	@echo "bench: done (figures above; none of them is a pass or fail)"

.DEFAULT_GOAL := run
