# dicomnet: two commands do all the set-up on a fresh machine.
#   make demo   generate a sample study, serve it with dicomnet qrscp, retrieve it with movescu
#   make test   create .venv if missing, install dicomnet with its dev extra, run the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint check venv clean demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict dicomnet

check: test lint

clean:
	rm -rf $(VENV) build *.egg-info demo demo-out
