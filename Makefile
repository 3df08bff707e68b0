# Consent & Template Governance Registry
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
# gunicorn's default 30 s worker timeout kills a worker whose first import is slow
TIMEOUT ?= 120

.PHONY: run test lint typecheck unit bench token clean rebuild migrate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

var/jwt_secret:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > var/jwt_secret.tmp
	mv -n var/jwt_secret.tmp var/jwt_secret; rm -f var/jwt_secret.tmp

run: $(STAMP) var/jwt_secret
	@REGISTRY_JWT_SECRET=$$(cat var/jwt_secret) $(BIN)/python -m registry.devtoken
	REGISTRY_JWT_SECRET=$$(cat var/jwt_secret) $(BIN)/gunicorn wsgi:app -w $(WORKERS) -b $(HOST):$(PORT) --timeout $(TIMEOUT)

token: $(STAMP) var/jwt_secret
	@REGISTRY_JWT_SECRET=$$(cat var/jwt_secret) $(BIN)/python -m registry.devtoken --bare $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check registry audit tests bench wsgi.py
	$(BIN)/ruff format --check registry audit tests bench wsgi.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The fault tests stop and start a private PostgreSQL cluster of their own (initdb into a
# temporary directory, pg_ctl on a free loopback port); they run alone, after the rest,
# because they are slow. The machine's own PostgreSQL is never stopped or restarted.
test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q --ignore=tests/faults
	$(BIN)/python -m pytest -q tests/faults

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

rebuild: $(STAMP)
	REGISTRY_JWT_SECRET=$${REGISTRY_JWT_SECRET:-$$(cat var/jwt_secret)} $(BIN)/python -m registry.projections.rebuild

# The registry's tables to the newest Alembic revision (servers also do it at start-up).
migrate: $(STAMP) var/jwt_secret
	REGISTRY_JWT_SECRET=$${REGISTRY_JWT_SECRET:-$$(cat var/jwt_secret)} $(BIN)/python -m registry.migrate

# wrk (the load generator) comes from Debian's packages; installed on first use.
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
