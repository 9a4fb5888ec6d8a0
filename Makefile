# The two commands a new user copies are `make example` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup example test lint

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3.11 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

example: setup
	$(VENV)/bin/kommunnlp run raw/examples --output processed

lint: setup
	$(VENV)/bin/ruff check .

test: lint
	bash .ci/system-deps
	$(PY) -m pytest
