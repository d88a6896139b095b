# avatarmesh: every entry point a developer or CI needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup up test test-fast lint protos protos-check bench chaos soak-webhooks clean

setup: ## install apt packages, the virtualenv and model files (idempotent)
	@bash deploy/local/setup.sh

up: setup ## run the whole mesh locally and print how to call it
	@$(PY) -m deploy.local

test: setup lint protos-check ## lint first, then the whole suite: unit, integration and end-to-end
	@$(PY) -m pytest -q -rs -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup ## unit tests only
	@$(PY) -m pytest -q -m "not integration and not e2e" $(PYTEST_ARGS)

chaos: setup ## the mesh under load while 20 random processes are killed, then the audit table
	@$(PY) -m tests.chaos --kills 20

soak-webhooks: setup ## a webhook receiver down 2 minutes, production retries: every event once (~5 min)
	@$(PY) -m tests.e2e.soak_webhooks

lint: setup ## ruff check, ruff format --check and mypy (seconds; CI fails on any of them)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy libs services gateway deploy sdk

protos: setup ## regenerate the gRPC stubs from protos/
	@$(PY) -m avatarmesh.protogen generate

protos-check: ## fail when the committed stubs differ from protos/
	@$(PY) -m avatarmesh.protogen check

bench: setup ## run every benchmark; figures printed and written to bench-results/
	@mkdir -p bench-results && rm -f bench-results/results.jsonl
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
	@echo "results: bench-results/results.jsonl"

clean:
	rm -rf var/run bench-results .pytest_cache .mypy_cache .ruff_cache
