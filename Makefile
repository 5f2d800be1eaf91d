# e-soutien — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
E2E_STAMP := $(VENV)/.installed-e2e
PYTEST_WORKERS ?= 2

.PHONY: run test test-e2e lint typecheck e2e messages clean help system-deps bench bench-scaleout

help:
	@echo "make run    - install, migrate, seed the demo and run e-soutien on https://localhost:8443"
	@echo "make test   - install test tools, lint and run the whole test suite"
	@echo "make bench  - the performance benchmark (BENCH_DB=sqlite|postgresql BENCH_TICKETS=N)"
	@echo "make test-e2e - browser journeys and accessibility checks (real servers, Chromium)"

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
test: $(TEST_STAMP) lint typecheck system-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

# Browser tests: real servers and Debian's Chromium (Playwright cannot download browsers here).
$(E2E_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,e2e]'
	touch $@ $(TEST_STAMP) $(STAMP)

/usr/bin/chromium:
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

test-e2e: export ESOUTIEN_DATA_DIR = $(CURDIR)/var/e2e
test-e2e: $(E2E_STAMP) /usr/bin/chromium
	env -u DATABASE_URL -u ESOUTIEN_HUEY_IMMEDIATE $(BIN)/pytest -q -p no:cacheprovider -o addopts="-ra --strict-markers" tests/e2e

# Real servers the tests talk to that are not Python packages: Dovecot (IMAP, for fetchmail).
system-deps:
	@command -v dovecot >/dev/null || /usr/sbin/dovecot --version >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends dovecot-imapd >/dev/null)

messages: $(TEST_STAMP)
	cd src/esoutien && ../../$(BIN)/esoutien makemessages -l fr -l en --no-obsolete && ../../$(BIN)/esoutien compilemessages

# The benchmark of docs/performance.md: seeds a fresh database, starts the real servers and
# writes bench/results/<db>-<date>.json. The issue's targets are stated for 1,000,000 tickets
# (BENCH_TICKETS=1000000, about 10 min of seeding); the default runs in under 15 min.
BENCH_DB      ?= sqlite
BENCH_TICKETS ?= 100000
BENCH_PG_URL  ?= postgres://postgres@127.0.0.1:5432/esoutien_bench
BENCH_ARGS    ?=
bench: $(STAMP)
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python bench/run.py --db $(BENCH_DB) --tickets $(BENCH_TICKETS) $(BENCH_ARGS)

# PostgreSQL + Redis, two web processes, two workers, one killed with SIGKILL mid-run.
bench-scaleout: $(STAMP)
	BENCH_PG_URL=$(BENCH_PG_URL)_scaleout $(BIN)/python bench/scaleout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/test var/e2e var/e2e-static var/e2e-screenshots .pytest_cache .mypy_cache .ruff_cache
