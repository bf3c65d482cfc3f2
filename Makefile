# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
WEB_PORT ?= 8000
DEMO_PASSWORD ?= demo12345
# The suite runs on PostgreSQL and Redis for real (pytest-django creates test_<name>).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: help venv run test lint check-deploy test-postgres test-sqlite messages bench clean browser-deps

help:
	@echo "make run   - install, migrate, load demo data, train triage, start web + workers + beat"
	@echo "make test  - lint, layering, migrations and deploy checks, the whole test suite"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: venv
	@scripts/ensure_services.sh redis
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --password "$(DEMO_PASSWORD)"
	$(PY) manage.py triage_train
	@echo
	@echo "  Escalated-complaint desk:  http://127.0.0.1:$(WEB_PORT)/        (store pages)"
	@echo "  Handlers' desk (admin):    http://127.0.0.1:$(WEB_PORT)/admin/"
	@echo "  API docs:                  http://127.0.0.1:$(WEB_PORT)/api/v1/docs/"
	@echo "  Logins: store_staff, store_staff_b, handler, supervisor, legal_pr, manager, admin"
	@echo "          password: $(DEMO_PASSWORD)"
	@echo
	PATH="$(abspath $(BIN)):$$PATH" WEB_PORT=$(WEB_PORT) DJANGO_SETTINGS_MODULE=config.settings.local \
	  DEBUG=$${DEBUG:-false} $(BIN)/honcho start -f Procfile

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) scripts/check_translations.py

check-deploy: venv
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY="$$(head -c 48 /dev/urandom | base64)" \
	  ALLOWED_HOSTS=desk.example.com $(PY) manage.py check --deploy --fail-level WARNING

test-postgres: venv
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -q

# The embedded default keeps working: the suite again on SQLite (tests that need PostgreSQL skip).
test-sqlite: venv
	env -u DATABASE_URL CELERY_BROKER_URL=$(TEST_REDIS_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -q -m "not integration and not browser"

# Browser tests drive Debian's Chromium (never a downloaded browser build); CJK fonts for the
# screenshots. Installed once, as root (as CI runs), when missing.
browser-deps:
	@command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: venv browser-deps
	@scripts/ensure_services.sh redis postgres
	$(MAKE) --no-print-directory lint
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

messages: venv
	$(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete \
	  --ignore=.venv/* --ignore=bench/* --ignore=tests/* --ignore=scripts/*
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles

# Benchmarks (not tests): each starts what it needs and uses its own scratch database and Redis
# database. They print numbers; together they take about 15 minutes on 2 cores.
bench: venv
	@scripts/ensure_services.sh redis postgres
	$(PY) bench/bench_intake.py
	CELERY_BROKER_URL=redis://127.0.0.1:6379/1 REDIS_URL=redis://127.0.0.1:6379/1 \
	  $(PY) bench/bench_alert_delivery.py
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'bench_sla'" postgres \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_sla" postgres
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sla \
	  CELERY_BROKER_URL=redis://127.0.0.1:6379/2 REDIS_URL=redis://127.0.0.1:6379/2 \
	  $(PY) bench/bench_sla.py
	CELERY_BROKER_URL=redis://127.0.0.1:6379/3 REDIS_URL=redis://127.0.0.1:6379/3 \
	  $(PY) bench/bench_triage.py
