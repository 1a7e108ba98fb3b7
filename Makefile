# Every command a person or CI runs. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
# Stages and tools run from the project's environment, whatever the caller's PATH holds.
export PATH := $(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 2

PORT ?= 3000
# The model DVC versions, imported into this machine's BentoML store if it is not there yet.
MODEL_TAG = $$(python -m celestial.store)

# Debian packages the tests drive: a real browser for the Swagger UI test, wrk for the benchmark.
SYSTEM_PACKAGES := chromium wrk
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help setup system-deps data train robustness model-card serve bento bench test lint format lock

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed ## Create .venv with the locked dependencies

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

data: setup ## Render the default dataset into data/raw unless it holds data; track it with DVC
	python -m celestial.render --if-empty
	[ -f data/raw.dvc ] || dvc add --quiet data/raw

train: data ## Run the pipeline (prepare, train, evaluate); unchanged stages are skipped
	dvc repro

robustness: train ## Retrain with seeds 1-5 (other splits and initialisations); table + reports/robustness.json
	python -m celestial.robustness --seeds 1 2 3 4 5

model-card: setup ## Render docs/model-card.md from docs/model-card.json (record: see model_card.py)
	python -m celestial.model_card render

serve: train ## Train if needed, then serve on http://localhost:3000 (Swagger UI at /; PORT=… to change)
	CELESTIAL_MODEL_TAG=$(MODEL_TAG) bentoml serve celestial.service:CelestialClassifier --port $(PORT)

bento: train ## Build the Bento (service + model + locked environment) with `bentoml build`
	rm -rf dist && python -m pip wheel --quiet --no-deps --wheel-dir dist .
	CELESTIAL_MODEL_TAG=$(MODEL_TAG) bentoml build

system-deps: ## Install the Debian packages the tests need, if missing (apt-get, as root or sudo)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

bench: bento system-deps ## Benchmark the built Bento against the framework floor and a naive baseline
	python benchmarks/bench.py --target celestial-classifier:latest

test: setup system-deps ## Run the tests (unit, service, integration: pipeline, DVC, HTTP, browser, Bento)
	pytest

lint: setup ## Check style and formatting
	ruff check .
	ruff format --check .

format: setup ## Fix style and formatting
	ruff check --fix .
	ruff format .

LOCK := uv pip compile pyproject.toml --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28

lock: setup ## Re-pin every dependency into requirements.lock and requirements-serve.lock
	$(LOCK) --all-extras --output-file requirements.lock
	$(LOCK) --output-file requirements-serve.lock
