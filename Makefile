# The two commands: `make run` and `make test`. Both set up everything they need first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup browser run test bench lint check clean
CHROMIUM ?= /usr/bin/chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	mkdir -p var

## make run: migrate, load demo data, then the web server and the django-q2 workers together (Ctrl-C stops both).
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --site-url http://$(HOST):$(PORT)
	$(PY) manage.py run_hub $(HOST):$(PORT)

## Debian's chromium for the browser tests (Playwright drives it; no browser downloads).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

## make test: the whole suite. Pytest's exit code 5 (no tests collected) is a failure of our own making.
test: setup browser
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests: that is a failure" >&2; exit 1; fi; exit $$rc

## make bench: throughput figures next to a baseline measured in the same run.
bench: setup
	$(PY) -m bench

lint: setup
	$(PY) -m ruff check --no-cache .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
