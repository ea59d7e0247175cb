"""How many submissions per minute does `course-grade` grade, with and without the sandbox?

Makes N complete submissions of the Fashion-MNIST assignment (the student
version with every answer filled in from the instructor version), grades them
with the same code as `course-grade` (quick mode, 2 at a time by default),
once in the sandbox and once with --no-sandbox, and prints for each the time
of the whole run and the throughput in submissions per minute.  A class of 200
then takes about 200 / throughput minutes.

Run:  COURSE_LIB_DATA=path/to/datasets python benchmarks/grading_throughput.py [--n 8] [--jobs 2]
      [--only sandbox|no-sandbox]
"""
import argparse
import copy
import tempfile
import time
from pathlib import Path

import nbformat

from course_grader import grading

ROOT = Path(__file__).resolve().parents[1]


def complete_submission(assignment=grading.ASSIGNMENT):
    """The student version with the instructor's answers in every answer cell."""
    release = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):
            cell.source = answers[nbg["grade_id"]]
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="number of submissions (default: 8)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default: "
                                                            "2)")
    parser.add_argument("--only", choices=["sandbox", "no-sandbox"], default=None,
                        help="measure only one of the two ways (default: both)")
    args = parser.parse_args(argv)
    nb = complete_submission()
    modes = [args.only] if args.only else ["sandbox", "no-sandbox"]
    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            subs, out = Path(tmp) / "submissions", Path(tmp) / "out"
            subs.mkdir()
            for i in range(args.n):
                nbformat.write(nb, subs / f"student{i:03d}.ipynb")
            start = time.perf_counter()
            results = grading.grade(subs, out, jobs=args.jobs, log=lambda *a: None,
                                    use_sandbox=(mode == "sandbox"))
            elapsed = time.perf_counter() - start
            rows = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()[1:]
        scores = sorted({sum(p.points for p in s.results) for s in results})
        bad = [s.student for s in results if s.problems]
        print(f"{mode}: graded {len(results)} submissions ({len(rows)} gradebook rows, scores "
              f"{scores}) with {args.jobs} job(s) in {elapsed:.1f} s, including set-up and "
              "feedback")
        print(f"{mode}: throughput {60 * len(results) / elapsed:.1f} submissions per minute; "
              f"{elapsed / len(results):.1f} s per submission; a class of 200: about "
              f"{200 * elapsed / len(results) / 60:.0f} minutes")
        if bad:
            print(f"{mode}: unexpected problems for: {', '.join(bad)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
