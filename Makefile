# The tasks a contributor runs, by name. `make help` lists them; `.ci/run` runs `make ci`'s
# pieces in a fresh clone (the README's test command, then the linters).
PY := .venv/bin/python

.PHONY: help venv fast test test-pg lint format bench privacy ci

help:  ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv:  ## create .venv with the locked test and dev tools, and Anagen editable
	python3 -m venv .venv
	.venv/bin/pip install --require-hashes -r requirements-test.lock
	.venv/bin/pip install --no-deps -e .

fast:  ## the fast lane: unit and storage tests in parallel (about two minutes)
	$(PY) -m pytest -m "unit or storage" -n auto

test:  ## everything the README's test command runs, bot tier on SQLite
	$(PY) -m pytest

test-pg:  ## the bot tier once more, on PostgreSQL
	$(PY) -m pytest -m bot --bot-backend=postgresql

lint:  ## ruff, ruff format --check and mypy, as CI runs them
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

format:  ## rewrite files the way ruff format wants them
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:  ## the benchmarks, each printing a ratio against a baseline of the same run
	for b in bench/*.py; do $(PY) $$b || exit 1; done

privacy:  ## the release attack (bench/privacy.py), a short run
	$(PY) bench/privacy.py --trials 40

ci:  ## what CI does, in a fresh clone of this repository
	CI=true bash .ci/run </dev/null
