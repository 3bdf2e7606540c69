VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install browser run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# Bytecode written now, for every later start: where PYTHONDONTWRITEBYTECODE is set,
# each command would otherwise compile the modules it imports on every run.
install: $(STAMP)
	$(PY) -m compileall -q domain engine projections notifiers config >/dev/null

# From the distribution, once: Debian's Chromium for the browser tests, Pango for
# WeasyPrint's PDF reports, and poppler's pdftotext/pdftoppm to read PDFs back in tests.
SYSTEM_STAMP := /usr/local/share/actiontrail-system-packages
$(SYSTEM_STAMP):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		chromium libpango-1.0-0 libpangoft2-1.0-0 poppler-utils fonts-dejavu-core >/dev/null
	mkdir -p $(dir $@) && touch $@

browser: $(SYSTEM_STAMP)

run: install
	$(VENV)/bin/actiontrail serve --demo

test: install browser
	$(PY) -m pytest -n auto --dist worksteal

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
	$(PY) bench/cli.py
	$(PY) bench/import.py
	$(PY) bench/reports.py

clean:
	rm -rf $(VENV) actiontrail.db* actiontrail-files outbox test-artifacts
