# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# requirements.txt: runtime (what production installs, `make prod`);
# requirements-dev.txt: it plus the development and test tools (`make test`, `make run`).
REQS := requirements.txt requirements-dev.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQS) | sha1sum | cut -c1-12)
PROD_STAMP := $(VENV)/.installed-prod-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run prod test venv venv-prod catalogue messages migrate seed lint format bench loadtest clean mutate

venv: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv-prod: $(PROD_STAMP)

$(PROD_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@rm -f $(VENV)/.installed-prod-* && touch $(PROD_STAMP)

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

# Web server + Celery worker (every queue: critical, default, bulk) with
# embedded beat; one Ctrl-C stops all.
run: seed
	@$(BIN)/python manage.py demo_banner --url http://$(HOST):$(PORT)/admin/
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker -B -l info --concurrency 2 -Q critical,default,bulk & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT) & \
	wait

# Production on one machine (README, "PostgreSQL + Redis (production)"): the
# settings come from the environment (DEBUG=0, SECRET_KEY, FIELD_ENCRYPTION_KEY,
# DATABASE_URL, CELERY_BROKER_URL, ALLOWED_HOSTS…). gunicorn with
# config/gunicorn.py serves the site and its static files (WhiteNoise); one
# worker for the critical queue, one for default + bulk, one beat.
CRITICAL_CONCURRENCY ?= 2
BULK_CONCURRENCY ?= 2
prod: venv-prod
	@test "$${DEBUG:-1}" = 0 || { echo "make prod: export DEBUG=0 and the production variables first (README)" >&2; exit 2; }
	$(BIN)/python manage.py compile_catalogue
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py check --deploy
	@trap 'kill 0' INT TERM EXIT; \
	GUNICORN_BIND=$${GUNICORN_BIND:-$(HOST):$(PORT)} $(BIN)/gunicorn -c config/gunicorn.py & \
	$(BIN)/celery -A config worker -l info -Q critical -n critical@%h --concurrency $(CRITICAL_CONCURRENCY) & \
	$(BIN)/celery -A config worker -l info -Q default,bulk -n bulk@%h --concurrency $(BULK_CONCURRENCY) & \
	$(BIN)/celery -A config beat -l info & \
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

# Mutation testing (issue 13; not CI): mutmut 3 over the rule modules, in var/mutate/,
# at nice 19; prints killed/total per module and every survivor. SCOPE narrows it
# (`make mutate SCOPE=deductions`; `$(BIN)/python scripts/mutate.py --list`).
SCOPE ?= all
mutate: venv catalogue
	$(BIN)/python scripts/mutate.py --scope $(SCOPE)
