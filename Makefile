# e-soutien — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck e2e messages clean help

help:
	@echo "make run    - install, migrate, seed the demo and run e-soutien on https://localhost:8443"
	@echo "make test   - install test tools, lint and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/esoutien up

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	env -u DATABASE_URL $(BIN)/esoutien makemigrations --check --dry-run

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src

# Tests keep their files (SQLite test database, attachments, .eml) apart from `make run`'s.
test: export ESOUTIEN_DATA_DIR = $(CURDIR)/var/test
test: export ESOUTIEN_HUEY_IMMEDIATE = 1
test: $(TEST_STAMP) lint typecheck
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

messages: $(TEST_STAMP)
	cd src/esoutien && ../../$(BIN)/esoutien makemessages -l fr -l en --no-obsolete && ../../$(BIN)/esoutien compilemessages

clean:
	rm -rf $(VENV) var/test .pytest_cache .mypy_cache .ruff_cache
