# Quick start: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app marketplace
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run dev test test-slow test-pg test-pg-slow test-e2e test-load install install-test seed reindex bench clean translations translations-update screenshots

# Debian's python3 may come without ensurepip (package python3-venv): then the venv is
# made without pip and the system pip installs into it; failing both, say what to do.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv --without-pip $(VENV) && \
	  { $(PYTHON) -m pip --python $(BIN)/python install --quiet pip || \
	    { echo "Cannot install pip into $(VENV): run 'apt-get install python3-venv' (or python3-pip) and retry."; rm -rf $(VENV); exit 1; }; }; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# gunicorn, the production server; workers from the CPU count (gunicorn.conf.py) unless
# WEB_CONCURRENCY is set.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn --bind $(HOST):$(PORT) 'marketplace:create_app()'

# Flask's development server with the debugger and auto-reload.
dev: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

# The whole suite but the slow, load and browser tests (those run in .ci/run).
test: install-test
	$(BIN)/python -m pytest -q -m "not e2e and not load and not slow"

# Subprocesses, sleeps, full demo seeds, heavy Hypothesis and hashing runs, the migration walk.
test-slow: install-test
	$(BIN)/python -m pytest -q -m "slow and not e2e and not load"

# Real gunicorn servers: bursts of concurrent requests, backups while serving, faults.
test-load: install-test
	$(BIN)/python -m pytest -q -m load

# The same suite against PostgreSQL (the CI machine provides 127.0.0.1:5432/test).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
test-pg: install-test
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -m "not e2e and not load and not slow"

test-pg-slow: install-test
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -m "slow and not e2e and not load"

# Browser tests in Debian's Chromium (apt-get install -y chromium).
test-e2e: install-test
	$(BIN)/python -m pytest -q -m e2e

# The README's pictures, taken again from the demo (docs/screenshots/).
screenshots: install-test
	$(BIN)/python scripts/screenshots.py

seed: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --reset

reindex: install
	$(FLASK) search reindex

bench: install
	$(BIN)/python bench/search_bench.py

translations: install
	$(BIN)/pybabel compile -d marketplace/translations

# After changing UI strings: extract them and merge them into the English catalog
# (removed strings are dropped); then translate the new entries and `make translations`.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
translations-update: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) -o $(VENV)/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i $(VENV)/messages.pot -d marketplace/translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
