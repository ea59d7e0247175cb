# Two commands a newcomer needs (see README.md):
#   make lab    set up what the course needs and open it in JupyterLab
#   make test   set up the test tools too and run the tests (the notebooks included)
# The real datasets are found as the course finds them (see README.md, "The data");
# set COURSE_LIB_DATA in the environment to use a folder of your own.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# NumPy in every process started from here (JupyterLab's kernels, the tests) does not ask for
# huge pages behind large arrays: see README.md, "Environment variables".
NUMPY_MADVISE_HUGEPAGE ?= 0
export NUMPY_MADVISE_HUGEPAGE
PYTEST := COURSE_LIB_QUICK=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# Worked chapters with the outputs of a full run, checked strictly (if there are any), in
# every edition; the instructor version of the assignment, run through.
SOLUTION_CHAPTERS := $(wildcard solutions/chapters/*.ipynb solutions/chapters/*/*.ipynb)
ASSIGNMENT_SOLUTIONS := $(wildcard solutions/fashion_mnist/*.ipynb solutions/*/fashion_mnist/*.ipynb)

# What ruff checks (the settings are in pyproject.toml): all the code of the repository.
LINT := course_lib course_grader notebooks/build benchmarks tools tests \
        solutions/fashion_mnist/trusted_checks.py

.PHONY: setup setup-dev lab lint test test-fast notebooks benchmark student-release clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Two stamps: the course alone (for students), and the course with the test and grading tools.
$(VENV)/.installed-course: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev,instructor]"
	touch $@

setup: $(VENV)/.installed-course

setup-dev: $(VENV)/.installed-dev

lab: setup
	@echo "The chapters: notebooks/ (English), the assignment: assignments/fashion_mnist/"
	@echo "한국어판: 각 장은 notebooks/ko/, 과제는 assignments/ko/fashion_mnist/ 에 있습니다 (README.ko.md)"
	$(BIN)/jupyter lab

lint: setup-dev
	$(BIN)/ruff check $(LINT)

# The linter, then in one run the library's tests, the worked chapters (their outputs
# compared), the student chapters (run top to bottom; exercise cells may raise) and the
# assignment's instructor versions. nbval compares only the cells that ran when the notebook
# was saved: the student chapters and the assignment are committed unrun, so they are run,
# not compared.
test: setup-dev lint
	$(PYTEST) tests --nbval $(SOLUTION_CHAPTERS) notebooks/ $(ASSIGNMENT_SOLUTIONS) \
	    --nbval-sanitize-with notebooks/nbval_sanitize.cfg

# The library's tests only: no grading run, no notebooks.
test-fast: setup-dev
	$(BIN)/python -m pytest -n 2 -m "not grading" tests

notebooks: setup-dev
	$(BIN)/python tools/run_notebooks.py

benchmark: setup
	$(BIN)/python benchmarks/benchmark.py

# The student copy of the course (no solutions, hidden tests or grader) in a new folder, with
# its own README, Makefile and pyproject.toml (tools/release/); RELEASE_LANG picks the edition:
#   make student-release DEST=$HOME/course-student [RELEASE_LANG=en|ko]
RELEASE_LANG ?= en
student-release:
	@test -n "$(DEST)" || { echo "usage: make student-release DEST=new/folder/outside/the/repository"; exit 2; }
	$(PYTHON) tools/student_release.py "$(DEST)" --lang "$(RELEASE_LANG)"

clean:
	rm -rf $(VENV) .pytest_cache
