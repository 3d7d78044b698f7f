# The two commands: `make run` (a working clinic with demo data) and `make test`.
# Needs only python3 (3.11) and make: uv is installed into .uv/ and builds .venv/ from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# make run is a development server: DEBUG on unless the caller says otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1}

.PHONY: run install migrate seed serve serve-prod test test-fast lint format bench ci clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --no-input

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo

run: seed
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: starting a Celery worker and beat beside the web server"; \
	  $(RUN_ENV) $(VENV)/bin/celery -A clinic worker -B --loglevel=INFO --concurrency=2 & \
	  trap 'kill %1 2>/dev/null' EXIT INT TERM; \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  echo "No REDIS_URL: background jobs run in-process"; \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

# Production without Docker (README, "Deploying"): DEBUG off whatever the environment says,
# static files collected with the manifest, migrations, the deploy check, then gunicorn.
# Needs SECRET_KEY and ALLOWED_HOSTS; DATABASE_URL and REDIS_URL as in the README.
# The Celery worker and beat run beside it (README); .ci/prod_smoke.py starts all three.
PROD_ENV := DEBUG=0
serve-prod: install
	$(PROD_ENV) $(PY) manage.py collectstatic --no-input --verbosity 1
	$(PROD_ENV) $(PY) manage.py migrate --no-input
	$(PROD_ENV) $(PY) manage.py check --deploy
	$(PROD_ENV) exec $(VENV)/bin/gunicorn clinic.wsgi:application --bind $(HOST):$(PORT) \
	  --workers $${WEB_WORKERS:-3} --access-logfile -

# Both spread the test files over one pytest-xdist worker per core (TEST_WORKERS=0: one process).
# Whole files go to a worker (loadfile), so a module's shared fixtures are built once.
# `make test` runs the thorough Hypothesis profile (as CI does), `make test-fast` the quick one
# and no browser tests.
# PYTHONDONTWRITEBYTECODE is switched off for the run: with it set, every process (each worker,
# each `manage.py` a test starts) compiled every module from source and pytest rewrote every test
# module again, several seconds of CPU per process. The caches are in the git-ignored __pycache__.
TEST_WORKERS ?= auto
XDIST = -n $(TEST_WORKERS) --dist loadfile
TEST_ENV = PYTHONDONTWRITEBYTECODE=

test: install
	$(TEST_ENV) HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(VENV)/bin/pytest $(XDIST)

test-fast: install
	$(TEST_ENV) HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} $(VENV)/bin/pytest $(XDIST) -m "not e2e" -x -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The benchmark runs against DATABASE_URL (PostgreSQL). BENCH_ARGS e.g. "--seed --scale 0.1";
# BENCH_PATIENTS / BENCH_SESSIONS set the size at scale 1.0 (default 100000 / 1000000).
bench: install
	DEBUG=0 DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-tests.settings} $(PY) -m bench $(BENCH_ARGS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .uv staticfiles .pytest_cache .ruff_cache
