# labvisit — set-up, run, test, benchmark, lint. Everything installs into .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: install run test bench lint db-upgrade demo

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

db-upgrade: install
	$(BIN)/flask db upgrade

demo: db-upgrade
	$(BIN)/flask demo load

run: demo
	@echo "labvisit is serving on http://127.0.0.1:$(PORT)/ (API: /api/v1, OpenAPI: /api/openapi.json)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_nearest.py
	$(BIN)/python benchmarks/bench_slots.py
	$(BIN)/python benchmarks/bench_booking.py
	$(BIN)/python -m dispatch.bench compare
	$(BIN)/python -m dispatch.bench scaling

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
