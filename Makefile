# The studio back office: `make run` starts everything, `make test` runs the whole suite.
# Embedded defaults: SQLite and a file-system Celery broker. Set DATABASE_URL and
# CELERY_BROKER_URL to use PostgreSQL and Redis.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := studio.settings

.PHONY: run test deps lint messages clean-var bench fuzz audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changes.
$(VENV)/.deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

deps: $(VENV)/.deps node_modules/.package-lock.json

run: deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  影楼客服后台: http://$(HOST):$(PORT)/   (管理: /admin/  API: /api/docs/  健康: /healthz)"
	@echo "  演示账号 demo logins: specialist1 specialist2 supervisor frontdesk manager manager2 gm"
	@echo "  密码 password: studio-demo        Ctrl-C 停止全部 (stops web, worker and beat)"
	@echo ""
	DJANGO_DEBUG=$${DJANGO_DEBUG:-0} STUDIO_STATIC_FROM_SOURCE=1 HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

# The suite runs on every core (pytest-xdist); PYTEST_WORKERS=0 runs it in one process.
# PYTEST_ARGS narrows it (CI's second database pass: PYTEST_ARGS='-m "not e2e"').
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
test: deps
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .

# Rebuild the compiled translations after editing locale/*/LC_MESSAGES/django.po
# (needs GNU gettext; the compiled .mo files are committed so that a fresh machine needs none).
messages: deps
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean-var:
	rm -rf var

# Issue 9's benchmark on PostgreSQL: creates the database if absent, migrates, builds the
# "chain" data set (20 stores, 200,000 customers…) if absent, then measures and writes
# bench/results.json and bench/results.md (the table is printed at the end).
BENCH_DATABASE_URL := postgres://postgres@127.0.0.1:5432/studio_bench
bench: deps
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python -m bench.prepare
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python -m bench.run

# Issue 10: schemathesis against a live server (every API operation, all checks, a time budget).
fuzz: deps
	.ci/fuzz

# Known vulnerabilities in the pinned requirements (needs the PyPI JSON API or OSV reachable).
audit: deps
	$(BIN)/pip-audit -r requirements.txt -r requirements-dev.txt
