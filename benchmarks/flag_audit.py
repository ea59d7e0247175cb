"""How often does the grader flag honest answers, and do its test cells and trusted checks agree?

Runs every answer of ``tests/assignment_corpus`` (with the instructor's answers in the other
cells) through an assignment and its grader, the way a grading run judges it:

- the notebook's test cells (visible and hidden tests), run in one namespace;
- the grader's trusted checks (probe and score) for three students' fresh cases;
- a *flag*: a test cell that passed while the trusted check did not give full points, or the
  other way round (what the grader reports as tampering);
- an honest answer *wronged*: one that does not earn every point of a part it is honest for.

``--at REV`` audits the assignment and grader of an earlier commit (extracted with ``git
archive`` and run in a separate Python process); without it, the working tree's.  Run:

    python benchmarks/flag_audit.py                 # as the course is now
    python benchmarks/flag_audit.py --at 81400e0    # as it was at that commit
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ("ada", "ben", "cho")


def _corpus():
    spec = importlib.util.spec_from_file_location(
        "corpus", ROOT / "tests" / "assignment_corpus" / "corpus.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    return corpus


def audit(root):
    """Run in a process whose sys.path starts with ``root`` (the course audited)."""
    import nbformat
    import numpy as np

    from course_grader import probe, trusted

    sol = nbformat.read(root / "solutions/fashion_mnist/fashion_mnist.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in sol.cells}
    loaded = trusted.load_spec(root / "solutions/fashion_mnist/trusted_checks.py")
    parts = {p.grade_id: p for p in getattr(loaded, "parts", loaded)}
    new_api = hasattr(trusted, "score_here")
    graded = [g for g, c in cells.items() if g and c.cell_type == "code"
              and c.metadata.nbgrader.get("solution") and g != "hparams"]

    def namespace(cell, source):
        ns = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cells["setup"].source, ns)
            for gid in graded:
                exec(compile(source if gid == cell else cells[gid].source, gid, "exec"), ns)
        return ns

    def notebook_passes(ns, gid):
        test = "\n".join(ln for ln in cells[gid].source.splitlines()
                         if ln.strip() not in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(test, gid, "exec"), dict(ns))
            return True
        except Exception:
            return False

    def trusted_full(ns, gid, student, folder):
        part = parts[gid]
        folder.mkdir(parents=True)
        here = os.getcwd()
        os.chdir(folder)
        try:
            if new_api:
                result = trusted.score_here(part, ns, folder, "s" * 32, student)
            else:
                ctx = {"quick": True, "answers": {}, "seed": 1, "load_test_set": None}
                seed = int.from_bytes(student.encode(), "big") % 2 ** 32
                inputs = trusted.write_inputs([part], folder, seed, ctx)[part.grade_id]
                with contextlib.redirect_stdout(io.StringIO()):
                    probe.run(part.grade_id, part.probe, ns)
                result = trusted.score_part(part, inputs, folder, ctx)
        finally:
            os.chdir(here)
        return result.points >= result.max_points

    counts = {"honest": 0, "wrong": 0, "flagged": 0, "flagged_honest": 0, "wronged": 0}
    examples = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = _corpus()
        for k, v in enumerate(corpus.variants()):
            ns = namespace(v.cell, v.source)
            counts["honest" if v.honest else "wrong"] += 1
            flagged = wronged = False
            for gid in corpus.TESTS[v.cell]:
                said = notebook_passes(ns, gid)
                full = [trusted_full(ns, gid, s, Path(tmp) / f"{k}-{gid}-{s}") for s in STUDENTS]
                flagged |= any(f != said for f in full)
                wronged |= v.honest and not all(full)
            counts["flagged"] += flagged
            counts["flagged_honest"] += flagged and v.honest
            counts["wronged"] += wronged
            if (flagged or wronged) and v.honest and len(examples) < 8:
                examples.append(f"{v.cell}/{v.name}")
    counts["examples"] = examples
    np.seterr(all="warn")
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", default=None, help="a commit to audit instead of the working tree")
    parser.add_argument("--inner", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        sys.path.insert(0, args.inner)
        print(json.dumps(audit(Path(args.inner))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = ROOT
        if args.at:
            archive = subprocess.run(["git", "archive", args.at, "course_lib", "course_grader",
                                      "solutions/fashion_mnist"], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            root = Path(tmp)
        env = dict(os.environ, PYTHONPATH=str(root))
        proc = subprocess.run([sys.executable, __file__, "--inner", str(root)], env=env,
                              capture_output=True, text=True, cwd=root)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return 1
    c = json.loads(proc.stdout.strip().splitlines()[-1])
    where = args.at or "the working tree"
    print(f"{where}: {c['honest']} honest and {c['wrong']} wrong answers from the corpus")
    print(f"  flagged (test cell and trusted check disagree): {c['flagged']}, of them honest: "
          f"{c['flagged_honest']}")
    print(f"  honest answers that lose points: {c['wronged']}")
    if c["examples"]:
        print("  e.g. " + ", ".join(c["examples"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
