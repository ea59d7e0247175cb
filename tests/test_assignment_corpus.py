"""Honest and wrong answers to the assignment, through the notebook's checks AND the grader's.

``tests/assignment_corpus/<answer cell>/<variant>.py`` holds answers written as students
write them: honest ones (the book's loops, loops over output positions, strided views,
float32 and float64, other correct orders of operations, the instructor's) and wrong ones
(the typical mistakes).  Each file starts with ``# verdict: honest`` or ``# verdict: wrong:
<what> | fails: <test cells>``.  For every variant, with the instructor's answers in the
other cells:

- an honest one passes the notebook's test cells and earns every point of the grader's
  checks, on the test cells' cases and on cases drawn for two students, with no flag;
- a wrong one fails the test cells it names, in the notebook and in the grader alike, and is
  not flagged (the grader finds the same failure on the test cell's own cases).

This runs under whatever BLAS kernels the machine has; the bounds come from error analysis,
so it must pass with ``OPENBLAS_CORETYPE`` set or not.
"""
import importlib.util
import tempfile
from pathlib import Path

import nbformat
import pytest

from course_grader import trusted
from course_lib import assignment

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "assignment_corpus"
_spec = importlib.util.spec_from_file_location("assignment_corpus", CORPUS / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
TESTS = corpus.TESTS
SOLUTION = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
SPEC = ROOT / "solutions" / "fashion_mnist" / "trusted_checks.py"
STUDENTS = ("ada", "ben")                   # two students: two draws of fresh cases


def _variants():
    return [pytest.param(v.cell, v.path, "honest" if v.honest else "wrong", sorted(v.fails),
                         id=f"{v.cell}/{v.name}") for v in corpus.variants()]


VARIANTS = _variants()


def _namespace(cell_id, source):
    """The notebook's namespace: the setup cell, the instructor's answers, one replaced."""
    nb = nbformat.read(SOLUTION, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    ns = {"__name__": "__main__"}
    exec(cells["setup"], ns)
    for gid in corpus.CELLS:
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
def test_notebook_and_grader_agree(parts, cell, path, verdict, fails):
    ns = _namespace(cell, path.read_text(encoding="utf-8"))
    failing = []
    for gid in TESTS[cell]:
        notebook = assignment.failure(assignment.PARTS[gid], ns)
        # the grader's files (up to 60 MB a variant) go as soon as they are read, not kept for
        # pytest's last three runs: 180 variants would hold 12 GB of the disk
        with tempfile.TemporaryDirectory(prefix="corpus-") as folder:
            results = _grader(parts[gid], ns, Path(folder) / gid)
        full = [r.points == r.max_points for r in results]
        assert all(full) or not any(full), f"{gid}: depends on the draw: {full}"
        assert (notebook is None) == all(full), (
            f"{gid}: the test cell says {notebook!r}, the grader {[r.message for r in results]}")
        for r in results:      # flagged only on evidence: the grader fails what the cell passed
            assert not (notebook is None and r.fixed is False), (gid, r.message)
        if notebook is not None:
            failing.append(gid)
    assert failing == [g for g in TESTS[cell] if g in fails], (
        f"{path.name} says it fails {fails}; it fails {failing}")
