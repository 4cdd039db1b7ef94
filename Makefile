# Two commands: `make run` serves the demo shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app
POSTGRES_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

.PHONY: run serve worker scheduler test typecheck lint-imports test-sqlite test-postgres setup setup-dev db bench clean

run: setup db
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The production configuration under gunicorn (gunicorn.conf.py: workers, threads, timeouts, bind
# and logs from the environment). It refuses to start without what production needs (README).
serve: setup static
	FLASK_CONFIG=production $(BIN)/gunicorn --config gunicorn.conf.py

# Background jobs need REDIS_URL (README, "Background jobs"): any number of workers, one scheduler.
worker: setup
	$(BIN)/flask worker

scheduler: setup
	$(BIN)/flask scheduler

# The virtualenv is rebuilt only when a requirements file changes.
$(BIN)/.requirements: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.requirements-dev: $(BIN)/.requirements requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.requirements

setup-dev: $(BIN)/.requirements-dev

db: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo

test: setup-dev
	@test -x $(CHROMIUM) || echo "NOTE: browser tests will be skipped: $(CHROMIUM) is missing. Install it with: apt-get install -y chromium"
	$(MAKE) typecheck
	$(MAKE) lint-imports
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Our Stripe calls against the stripe library's type hints: a misspelt parameter fails here.
typecheck: setup-dev
	$(BIN)/mypy

# Which package may import which (.importlinter; docs/architecture.md).
lint-imports: setup-dev
	$(BIN)/lint-imports

test-sqlite: setup-dev
	TEST_DATABASE_URL= $(BIN)/python -m pytest

# Browser tests run once (above); here the same suite runs against PostgreSQL. Without the
# playwright plugin, this pass keeps the screenshots the first one saved under test-results/.
test-postgres: setup-dev
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(POSTGRES_TEST_URL)} $(BIN)/python -m pytest -m "not e2e" -p no:playwright

# Benchmarks (minutes each, on an otherwise idle machine; see bench/README.md). Not part of test.
bench: setup-dev
	cd bench && npm ci --no-audit --no-fund
	# All three run even when one misses its target; the exit status says if any did.
	s=0; python3 bench/load.py || s=1; python3 bench/lighthouse.py || s=1; \
	$(BIN)/python bench/checkout.py || s=1; exit $$s

# gzip and brotli copies of static/ beside each file, which production's WhiteNoise serves to
# clients that accept them (app/caching.py); run before serving after a deploy. Git-ignored.
.PHONY: static
static: setup
	$(BIN)/python -m whitenoise.compress --quiet static

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
