# Claimtrack: `make demo` to try it on this machine, `make test` to run the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1:8000

.PHONY: install demo demo-data test chaos worker beat migrate clean bench bench-retrieval bench-api bench-matching

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

## Load the demo (editor account, demo corpus processed) without serving.
demo-data: migrate
	$(BIN)/python manage.py demo_setup

## Load the demo and serve the admin on http://$(HOST)/admin/
demo: demo-data
	$(BIN)/python manage.py runserver $(HOST)

## Run the test suite (SQLite and in-process tasks unless DATABASE_URL / CELERY_BROKER_URL say otherwise).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Fault injection: own PostgreSQL and Redis on spare ports, real workers, 300 articles, workers
## killed, broker and database stopped; fails unless every article recovers (about 5 minutes)
chaos: install
	$(BIN)/python chaos/run.py $(CHAOS_ARGS)

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	mkdir -p var
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf $(VENV) var .pytest_cache

## Benchmarks (results go in docs/benchmarks.md)
bench: install
	$(BIN)/python bench/extraction.py

## Retrieval latency at 100k and 1M records (about 4 minutes, 2.3 GB peak)
bench-retrieval: install
	$(BIN)/python bench/retrieval.py

## Matching latency per new claim through PostgreSQL at 100k and 1M stored claims
## (throw-away database on 127.0.0.1:5432; about 15 minutes)
bench-matching: install
	$(BIN)/python bench/matching.py

## API list throughput and p99 against a plain Django view, 100k claims on PostgreSQL
## (throw-away database on 127.0.0.1:5432, gunicorn, wrk if installed; about 3 minutes)
bench-api: install
	$(BIN)/python bench/api.py
