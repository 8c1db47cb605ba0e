# labvisit — set-up, run, test, benchmark, lint. Everything installs into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT ?= 5000
export FLASK_APP := wsgi
# The app runs its production configuration unless told otherwise; these local targets ask
# for development (a random signing key generated once under instance/, cookies without Secure).
db-upgrade demo run: export LABVISIT_CONFIG ?= config.DevelopmentConfig

.PHONY: install browser run test bench load lint db-upgrade demo

# The dispatch search's compiled kernels (Numba) are built once here, not inside a plan's time limit.
install: $(STAMP)
	@$(BIN)/python -c 'from dispatch.engine import sisr; sisr.main()'

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

db-upgrade: install
	$(BIN)/flask db upgrade

demo: db-upgrade
	$(BIN)/flask demo load --refresh

run: demo
	@echo "labvisit is serving on http://127.0.0.1:$(PORT)/ (sign-in page; API: /api/v1, OpenAPI: /api/openapi.json)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Browser tests drive Debian's Chromium; install it when missing and we may (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (apt-get)..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Chromium could not be installed: browser tests will be skipped."; \
	  else echo "Chromium not found and cannot be installed here: browser tests will be skipped."; fi; }

# One test process per core (pytest-xdist); each has its own database.
TEST_WORKERS ?= auto
test: install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Micro-benchmarks on SQLite (and some on PostgreSQL); `make load` is the end-to-end load benchmark.
bench: install
	$(BIN)/python benchmarks/bench_nearest.py
	$(BIN)/python benchmarks/bench_slots.py
	$(BIN)/python benchmarks/bench_booking.py
	$(BIN)/python benchmarks/bench_outbox.py
	$(BIN)/python benchmarks/bench_scheduler.py
	$(BIN)/python benchmarks/bench_worklist.py
	$(BIN)/python benchmarks/bench_insertion.py --with-db
	$(BIN)/python benchmarks/bench_dispatch_day.py --time-limit 30
	$(BIN)/python -m dispatch.bench compare
	$(BIN)/python -m dispatch.bench scaling
	$(BIN)/python -m dispatch.bench days

# Load benchmark (PostgreSQL, gunicorn, Redis): seeds 10,000 patients with a year of bookings into
# LOAD_DATABASE_URL (emptied first), then serves `gunicorn wsgi:app` with the production config and
# drives the mixed workload; one request at a time first, then 10, 50 and 100 users on 1, 2 and 4
# workers. About 12 minutes. See benchmarks/load/README.md.
LOAD_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/perfload
LOAD_WORKERS ?= 1 2 4
LOAD_USERS ?= 10 50 100
LOAD_DURATION ?= 30
load: install
	$(BIN)/python -m benchmarks.load.seed --database-url $(LOAD_DATABASE_URL)
	$(BIN)/python -m benchmarks.load.run --database-url $(LOAD_DATABASE_URL) --workers 2 --single
	for w in $(LOAD_WORKERS); do \
	  $(BIN)/python -m benchmarks.load.run --database-url $(LOAD_DATABASE_URL) --workers $$w \
	    --users $(LOAD_USERS) --duration $(LOAD_DURATION) || exit 1; done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
