VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: install browser run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium; it is installed once, from the distribution.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)

run: install
	$(VENV)/bin/actiontrail serve --demo

test: install browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check domain engine projections notifiers config tests bench
	$(VENV)/bin/mypy domain engine projections notifiers config

# Each benchmark at its default size (several minutes in all); each takes a size
# option to run small (see docs/benchmarks.md).
bench: install
	$(PY) bench/command_latency.py
	$(PY) bench/rebuild.py
	$(PY) bench/replay.py
	$(PY) bench/reminders.py
	$(PY) bench/web.py

clean:
	rm -rf $(VENV) actiontrail.db* actiontrail-files outbox test-artifacts
