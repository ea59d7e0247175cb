"""Honest and wrong answers to the assignment, through the notebook's checks AND the grader's.

``tests/assignment_corpus/<answer cell>/<variant>.py`` holds answers written as students
write them: honest ones (the book's loops, loops over output positions, strided views,
float32 and float64, other correct orders of operations, the instructor's) and wrong ones
(the typical mistakes).  Each file starts with ``# verdict: honest`` or ``# verdict: wrong:
<what> | fails: <test cells>``.  For every variant, with the instructor's answers in the
other cells:

- an honest one passes the notebook's test cells and earns every point of the grader's
  checks, on the test cells' cases and on cases drawn for several students, with no flag;
- a wrong one fails the test cells it names, in the notebook and in the grader alike, and is
  not flagged (the grader finds the same failure on the test cell's own cases).

This runs under whatever BLAS kernels the machine has; the bounds come from error analysis,
so it must pass with ``OPENBLAS_CORETYPE`` set or not.
"""
import re
from pathlib import Path

import nbformat
import pytest

from course_grader import trusted
from course_lib import assignment

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "assignment_corpus"
SOLUTION = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
SPEC = ROOT / "solutions" / "fashion_mnist" / "trusted_checks.py"
STUDENTS = ("ada", "ben", "cho")                   # three students: three draws of fresh cases
TESTS = {"class_means": ["test_class_means"],
         "leaky_relu": ["test_leaky_relu_forward", "test_leaky_relu_backward"],
         "im2col_col2im": ["test_im2col", "test_col2im", "test_convolution_forward",
                           "test_convolution_backward"],
         "convolution": ["test_convolution_forward", "test_convolution_backward"],
         "max_pool": ["test_max_pool", "test_max_pool_backward"],
         "build_network": ["test_build_network"],
         "most_confused": ["test_most_confused"]}
_HEADER = re.compile(r"#\s*verdict:\s*(honest|wrong)(?::\s*(?P<what>[^|\n]*))?"
                     r"(?:\|\s*fails:\s*(?P<fails>[^\n]*))?")


def _variants():
    found = []
    for path in sorted(CORPUS.glob("*/*.py")):
        m = _HEADER.match(path.read_text(encoding="utf-8"))
        if m is None:
            raise ValueError(f"{path}: the first line must be '# verdict: honest' or "
                             "'# verdict: wrong: <what> | fails: <test cells>'")
        fails = [f.strip() for f in (m.group("fails") or "").split(",") if f.strip()]
        found.append(pytest.param(path.parent.name, path, m.group(1), fails,
                                  id=f"{path.parent.name}/{path.stem}"))
    return found


VARIANTS = _variants()


def _namespace(cell_id, source):
    """The notebook's namespace: the setup cell, the instructor's answers, one replaced."""
    nb = nbformat.read(SOLUTION, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    ns = {"__name__": "__main__"}
    exec(cells["setup"], ns)
    for gid in ("class_means", "leaky_relu", "im2col_col2im", "convolution", "max_pool",
                "build_network", "most_confused"):
        exec(compile(source if gid == cell_id else cells[gid], f"<{gid}>", "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def parts():
    return {p.grade_id: p for p in trusted.load_spec(SPEC).parts}


def _grader(part, ns, folder):
    from test_grading import trusted_result
    return [trusted_result(part, ns, folder / s, student=s) for s in STUDENTS]


def test_the_corpus_is_there():
    kinds = [v.values[2] for v in VARIANTS]
    assert kinds.count("honest") >= 30 and kinds.count("wrong") >= 30, (
        f"{kinds.count('honest')} honest and {kinds.count('wrong')} wrong variants")
    cells = {v.values[0] for v in VARIANTS}
    assert cells >= set(TESTS), sorted(set(TESTS) - cells)


@pytest.mark.parametrize("cell, path, verdict, fails", VARIANTS)
def test_notebook_and_grader_agree(parts, cell, path, verdict, fails, tmp_path):
    ns = _namespace(cell, path.read_text(encoding="utf-8"))
    for gid in TESTS[cell]:
        notebook = assignment.failure(assignment.PARTS[gid], ns)
        results = _grader(parts[gid], ns, tmp_path / gid)
        full = [r.points == r.max_points for r in results]
        expected_pass = verdict == "honest" or gid not in fails
        if expected_pass:
            assert notebook is None, f"{gid}: the test cell says: {notebook}"
            assert all(full), f"{gid}: the grader says: {[r.message for r in results]}"
        else:
            assert notebook is not None, f"{gid} passes in the notebook"
            assert not any(full), f"{gid} earns points from the grader"
        # flagged only on evidence: never where the notebook's verdict is the code's own
        for r in results:
            assert not (notebook is None and r.fixed is False), (gid, r.message)
