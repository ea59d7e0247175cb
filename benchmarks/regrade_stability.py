"""Are the grader's scores stable?  Re-grades of one submission, and honest answers over many draws.

Runs the grader's probes and scoring in this process (the student code is the
instructor's and the honest corpus, not a submission), on the cases a grading
run would draw:

1. the instructor's answers re-scored ``--regrades`` times for one student with the
   same secret: every score must be the same each time;
2. every honest answer in ``tests/assignment_corpus`` scored for ``--students``
   different students (fresh cases each): the share of draws that earn full points,
   which must be 100 %, part by part, under whichever BLAS kernels this machine uses.

Run:  python benchmarks/regrade_stability.py [--regrades 100] [--students 100]
"""
import argparse
import contextlib
import importlib.util
import io
import os
import tempfile
import time
from pathlib import Path

import nbformat

from course_grader import trusted

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "solutions" / "fashion_mnist" / "trusted_checks.py"
SOLUTION = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
CORPUS = ROOT / "tests" / "assignment_corpus"
CELLS = ("class_means", "leaky_relu", "im2col_col2im", "convolution", "max_pool", "build_network",
         "most_confused")


def _corpus():
    spec = importlib.util.spec_from_file_location("corpus", CORPUS / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return corpus


def namespace(cell=None, source=None):
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
             for c in nbformat.read(SOLUTION, as_version=4).cells}
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(cells["setup"], ns)
        for gid in CELLS:
            exec(compile(source if gid == cell else cells[gid], f"<{gid}>", "exec"), ns)
    return ns


def score(part, ns, folder, secret, student):
    """Probe and score one part as a grading run would, in a fresh folder."""
    return trusted.score_here(part, ns, folder, secret, student)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regrades", type=int, default=100)
    parser.add_argument("--students", type=int, default=100)
    args = parser.parse_args(argv)
    parts = {p.grade_id: p for p in trusted.load_spec(SPEC).parts}
    kernels = os.environ.get("OPENBLAS_CORETYPE") or "unset (the machine's own)"
    print(f"OPENBLAS_CORETYPE: {kernels}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        ns = namespace()
        totals = []
        for k in range(args.regrades):
            totals.append(sum(score(p, ns, Path(tmp) / f"r{k}" / p.grade_id, "s" * 32, "alice")
                              .points for g, p in parts.items() if g != "test_accuracy_goal"))
        print(f"1. the instructor's answers, {args.regrades} re-grades of one student: totals "
              f"{sorted(set(totals))} ({totals.count(totals[0])} of {len(totals)} the same)")
        print(f"2. honest corpus answers, {args.students} students each (fresh cases per "
              "student): draws with full points")
        worst = 1.0
        corpus = _corpus()
        for v in corpus.variants():
            if not v.honest:
                continue
            path, text = v.path, v.source
            ns = namespace(v.cell, text)
            for gid in corpus.TESTS[v.cell]:
                full = sum(score(parts[gid], ns, Path(tmp) / path.stem / gid / f"s{i}", "s" * 32,
                                 f"student{i}").points == parts[gid].points
                           for i in range(args.students))
                worst = min(worst, full / args.students)
                if full < args.students:
                    print(f"   {path.parent.name}/{path.stem} {gid}: {full}/{args.students}")
        print(f"   lowest share over every honest answer and part: {100 * worst:.1f} %")
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
