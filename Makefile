VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/actiontrail demo

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check domain engine projections notifiers config tests bench
	$(VENV)/bin/mypy domain engine projections notifiers config

clean:
	rm -rf $(VENV) actiontrail.db outbox
