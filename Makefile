# Claimtrack: `make demo` to try it on this machine, `make test` to run the tests,
# `make help` for every target. A `## ` comment above a target is its line in `make help`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Installs go through the lock files, with hashes: what running needs (runtime.txt) for the demo,
# the worker and the benchmarks; that plus the test tools and ruff (dev.txt) for tests and lint.
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# The lock is resolved for the Python and platform CI and the Docker image run.
LOCK_FLAGS := --python-version 3.11 --python-platform linux --generate-hashes \
	--custom-compile-command "make lock"

.DEFAULT_GOAL := help
.PHONY: help install install-dev lock lint demo demo-data test chaos worker beat migrate clean \
	bench bench-retrieval bench-api bench-matching bench-metrics bench-pipeline \
	bench-extraction-db

## List the targets with what each does
help:
	@awk -v host=$(HOST) '/^## / { text = text (text ? " " : "") substr($$0, 4); next } \
	     /^[a-z][a-z-]*:/ && text { sub(/:.*/, ""); gsub(/\$$\(HOST\)/, host, text); printf "  make %-16s %s\n", $$0, text } \
	     { text = "" }' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements/dev.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

## Virtualenv with what running needs, from requirements/runtime.txt (no test tools)
install: $(RUNTIME_STAMP)

## Virtualenv with the test tools and ruff as well, from requirements/dev.txt
install-dev: $(DEV_STAMP)

## Resolve requirements/runtime.txt and dev.txt again from pyproject.toml (network;
## LOCK_ARGS=--upgrade to move every transitive pin to its newest release)
lock: $(DEV_STAMP)
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev $(LOCK_FLAGS) $(LOCK_ARGS) \
		-o requirements/dev.txt
	$(BIN)/uv pip compile --quiet pyproject.toml -c requirements/dev.txt $(LOCK_FLAGS) \
		-o requirements/runtime.txt

## Apply the database migrations
migrate: install
	$(BIN)/python manage.py migrate --no-input

## Load the demo (desk accounts, demo corpus processed) without serving
demo-data: migrate
	$(BIN)/python manage.py demo_setup

## Load the demo and serve the admin on http://$(HOST)/admin/
demo: demo-data
	$(BIN)/python manage.py runserver $(HOST)

## Check the code with ruff (the rules in pyproject.toml)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .

## Run ruff, then the test suite (SQLite and in-process tasks unless DATABASE_URL /
## CELERY_BROKER_URL say otherwise; PYTEST_ARGS passes options to pytest)
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Fault injection: own PostgreSQL and Redis on spare ports, real workers, 300 articles, workers
## killed, broker and database stopped; fails unless every article recovers (about 5 minutes)
chaos: install
	$(BIN)/python chaos/run.py $(CHAOS_ARGS)

## Run a Celery worker on every queue (needs CELERY_BROKER_URL)
worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

## Run Celery beat, the periodic sweeps (needs CELERY_BROKER_URL)
beat: install
	mkdir -p var
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

## Remove the virtualenv and var/ (the demo database and its password)
clean:
	rm -rf $(VENV) var .pytest_cache

## Extraction throughput (results go in docs/benchmarks.md)
bench: install
	$(BIN)/python bench/extraction.py

## Retrieval latency at 100k and 1M records (about 4 minutes, 2.3 GB peak)
bench-retrieval: install
	$(BIN)/python bench/retrieval.py

## Extraction's database work per article, in process (throw-away database on
## 127.0.0.1:5432, 100 articles; under a minute; EXTRACTION_ARGS="--processes 2 --stored 100000")
bench-extraction-db: install
	$(BIN)/python bench/extraction_db.py --articles 100 $(EXTRACTION_ARGS)

## Matching latency per new claim through PostgreSQL at 100k and 1M stored claims
## (throw-away database on 127.0.0.1:5432; about 15 minutes)
bench-matching: install
	$(BIN)/python bench/matching.py

## API list throughput and p99 against a plain Django view, 100k claims on PostgreSQL
## (throw-away database on 127.0.0.1:5432, gunicorn, wrk if installed; about 7 minutes)
bench-api: install
	$(BIN)/python bench/api.py

## What request metrics cost: the same requests with and without them, counts on Redis
## (127.0.0.1:6379/9, only the metric hashes; under a minute)
bench-metrics: install
	$(BIN)/python bench/metrics.py

## Articles through the pipeline on two real workers with 100k stored claims (throw-away
## database on 127.0.0.1:5432, Redis 127.0.0.1:6379/12; about 12 minutes on a busy machine;
## PIPELINE_ARGS="--sizes 100000 1000000" adds 1M, about an hour in all)
bench-pipeline: install
	$(BIN)/python bench/pipeline.py --sizes 100000 $(PIPELINE_ARGS)
