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

.PHONY: help setup data train serve test lint format lock

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

test: setup ## Run the tests
	pytest

lint: setup ## Check style and formatting
	ruff check .
	ruff format --check .

format: setup ## Fix style and formatting
	ruff check --fix .
	ruff format .

lock: setup ## Re-pin every dependency into requirements.lock (needs the package registry)
	uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --output-file requirements.lock
