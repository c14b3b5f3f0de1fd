# Two commands for a newcomer: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CSS := app/static/build/application.css
export APTRAIN_ENVIRONMENT ?= development

.PHONY: run test setup assets migrate seed lint browser lrs load clean

run: setup assets migrate seed ## Set up, migrate and seed an SQLite database, then serve on http://127.0.0.1:8000 with the outbox worker beside it
	$(BIN)/aptrain worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; $(BIN)/aptrain serve

test: setup assets browser lrs ## Install what the tests need (Chromium included), check the code with ruff and run the whole suite
	$(BIN)/ruff check app tests bench migrations/env.py
	APTRAIN_ENVIRONMENT=test $(BIN)/pytest

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The tests' Learning Record Store, Ralph, in a virtual environment of its own (its pinned FastAPI and Starlette
# never meet the application's). If it cannot be installed, the LRS tests skip and say why.
RALPH_VENV := .venv-ralph
lrs: $(RALPH_VENV)/.installed

$(RALPH_VENV)/.installed:
	test -x $(RALPH_VENV)/bin/python || $(PYTHON) -m venv $(RALPH_VENV)
	($(RALPH_VENV)/bin/pip install --quiet --upgrade pip && \
	  $(RALPH_VENV)/bin/pip install --quiet "ralph-malph[cli,lrs]==5.1.0" "requests==2.34.2" && touch $@) \
	  || echo "Could not install Ralph: the LRS tests will skip"

# The Locust load test (bench/load): its own PostgreSQL cluster, 1, 2 and 4 server processes, figures per route
# beside /healthz, then the post-run checks (exit 1 if one fails). Takes about 5 minutes.
load: $(VENV)/.load-installed
	APTRAIN_ENVIRONMENT=test $(BIN)/python -m bench.load.run --workers 1,2,4 --database postgresql

$(VENV)/.load-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(CSS)

$(CSS): node_modules/.installed app/static/src/application.scss
	npx sass --quiet-deps --no-source-map --style=compressed --load-path=node_modules app/static/src/application.scss $(CSS)

migrate: setup
	$(BIN)/aptrain db upgrade

seed: migrate
	$(BIN)/aptrain seed --demo

lint: setup ## Check every module in modules/
	$(BIN)/aptrain modules check modules

# Playwright cannot download its browsers here: use the system's Chromium, installing it where allowed.
browser:
	@if [ -n "$$APTRAIN_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ]; then \
	  echo "Chromium: found"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "Could not install Chromium"; \
	else \
	  echo "Chromium not found: install it (apt-get install chromium) or set APTRAIN_CHROMIUM; trying Playwright's own browser"; \
	fi

clean:
	rm -rf $(VENV) $(RALPH_VENV) node_modules app/static/build aptrain.db aptrain.db-wal aptrain.db-shm
