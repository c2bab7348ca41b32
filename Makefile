# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv catalogue messages migrate seed lint format bench loadtest clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# zh-hans catalogue: .po (committed) → .mo (build output) with polib, no gettext needed.
catalogue: venv
	$(BIN)/python manage.py compile_catalogue

# Developers only (needs GNU gettext): refresh locale/zh_Hans/LC_MESSAGES/django.po from the code.
messages: venv
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --add-location file \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'

migrate: venv catalogue
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --if-empty

# Web server + Celery worker with embedded beat; one Ctrl-C stops all.
run: seed
	@$(BIN)/python manage.py demo_banner --url http://$(HOST):$(PORT)/admin/
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker -B -l info --concurrency 2 & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT) & \
	wait

test: venv catalogue
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# make bench: 1M vs 100k into var/bench.json; make bench BENCH_ORDERS=10000000: 10M vs 1M into var/bench-10m.json.
BENCH_ORDERS ?= 1000000
bench: venv
	BENCH_ORDERS=$(BENCH_ORDERS) $(BIN)/python -m bench.run

loadtest: venv catalogue
	$(BIN)/python -m bench.loadtest

clean:
	rm -rf var/db.sqlite3 var/test_db.sqlite3 var/broker var/cache
