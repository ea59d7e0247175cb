# Two commands a newcomer needs (see README.md):
#   make lab    set everything up and open the course in JupyterLab
#   make test   set everything up and run the tests (the notebooks included)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(firstword $(wildcard ../shared/datasets))

export COURSE_LIB_DATA ?= $(DATA)

.PHONY: setup lab test test-fast notebooks benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev,instructor]"
	touch $@

setup: $(VENV)/.installed

lab: setup
	$(BIN)/jupyter lab

test: setup
	COURSE_LIB_QUICK=1 $(BIN)/python -m pytest -n 2 --dist loadfile tests \
	    --nbval notebooks/ --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test-fast: setup
	$(BIN)/python -m pytest -n 2 tests

notebooks: setup
	$(BIN)/python tools/run_notebooks.py

benchmark: setup
	$(BIN)/python benchmarks/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache
