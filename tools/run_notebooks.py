"""Re-run chapter notebooks in full mode and store their outputs in place.

    python tools/run_notebooks.py                      # every chapter (the worked versions, if any)
    python tools/run_notebooks.py solutions/chapters/03_pooling.ipynb

This is how the committed outputs are produced: each notebook runs top to
bottom without COURSE_LIB_QUICK, so the figures and numbers it shows are those
of a full run.  The state of the notebook's widgets is stored with it
(``metadata.widgets``), so the explorers show up in a notebook that has not
been run yet.  A notebook is replaced only after it ran without error (it is
written to a temporary file first), so a failed run loses nothing.  Chapter 4
trains the DeepConvNet on all of MNIST and takes the longest.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parents[1]


def run(path, timeout):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # store_widget_state: the explorers' state goes into the notebook's metadata, so that a reader
    # who opens it before running anything sees the widgets as they were, not "VBox(children=...)".
    ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=True).preprocess(
        nb, {"metadata": {"path": str(path.parent)}})
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return time.perf_counter() - start


def default_notebooks():
    """Every chapter once: its solution version when it has exercises, else the chapter itself.

    A student version with exercises stops at the first one and is committed without outputs.
    """
    paths = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        solution = ROOT / "solutions" / "chapters" / path.name
        paths.append(solution if solution.exists() else path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run notebooks in full mode and keep their "
                                                 "outputs.")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: each chapter's solution version, or the chapter itself "
                             "when it has no exercises")
    parser.add_argument("--timeout", type=int, default=-1, help="seconds per cell (-1: no limit)")
    args = parser.parse_args(argv)
    os.environ.pop("COURSE_LIB_QUICK", None)
    paths = args.notebooks or default_notebooks()
    for path in paths:
        print(f"running {path} ...", flush=True)
        print(f"  done in {run(path.resolve(), args.timeout):.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
