"""Grade a folder of assignment submissions, each in its own sandbox, in one command.

    course-grade SUBMISSIONS_DIR --out OUTDIR [--shard K/N]
    course-grade merge OUT1 OUT2 ... --out MERGED

(also ``python -m course_grader``).  For every submission the grader (this
process, which never runs student code):

1. reads and repairs the submitted notebook (:mod:`course_grader.submissions`),
   puts back the instructor's original of every test and read-only cell, hidden
   tests included, and adds a probe cell after each autograded test cell
   (:mod:`course_grader.trusted`);
2. writes it, with the probes' inputs drawn for this run from a secret seed,
   into a fresh work folder ``OUTDIR/work/<student>/``;
3. runs it there with :mod:`course_grader.runner` inside a bubblewrap sandbox
   (:mod:`course_grader.sandbox`) that sees only that folder writable, and
   waits for the sandbox to end; every process of the submission ends with it;
4. reads back only files: the probes' results, which the assignment's
   ``trusted_checks.py`` scores here, and the executed notebook, whose own test
   results only drive the feedback page (a disagreement with the trusted score
   is reported);
5. writes the feedback page (sanitised HTML), then deletes the work folder.

Then ``OUTDIR/gradebook.csv`` (an earlier one is kept as
``gradebook.<date-time>.csv``) and ``OUTDIR/report.md`` are written.
Written answers are graded by hand in ``OUTDIR/manual_grades.csv``.
"""
import argparse
import csv
import hashlib
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from . import feedback, sandbox, trusted
from .submissions import (ASSIGNMENT, GradingError, Submission, _grade_id, _note_cell, discover,  # noqa: F401
                          read_limited, read_submission, release_differences, repair)

DEFAULT_OUT = "grading-output"
SPEC_NAME = "trusted_checks.py"
HEAD = ["student", "submission", "status", "autograded_score", "autograded_max",
        "written_score", "written_max", "needs_manual_grading", "total_score", "total_max",
        "problems", "feedback"]
TAMPER = "results tampered with or nondeterministic"
MAX_ATTACHMENT = 256 * 1024 * 1024


# --------------------------------------------------------------------------
# The instructor's side of the assignment
# --------------------------------------------------------------------------

def find_source(assignment, source=None):
    """The folder holding the instructor version of ``assignment``."""
    if source is not None:
        candidates = [Path(source)]
    else:
        candidates = [Path.cwd() / "solutions", Path(__file__).resolve().parents[1] / "solutions"]
    for base in candidates:
        if (base / assignment / f"{assignment}.ipynb").is_file():
            return base.resolve()
    raise GradingError(
        f"cannot find the instructor version '{assignment}/{assignment}.ipynb' in "
        + " or ".join(str(c) for c in candidates)
        + ". Run the command from the course repository or pass --source path/to/solutions.")


def generate_release(source_dir, assignment, dest):
    """The student version, made by ``nbgrader generate_assignment`` (no database) in ``dest``."""
    import nbformat

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
           "--no-db", f"--CourseDirectory.root={dest}",
           f"--CourseDirectory.source_directory={source_dir}",
           "--CourseDirectory.release_directory=release",
           f"--CourseDirectory.ignore=['.ipynb_checkpoints', '*.pyc', '__pycache__', '{SPEC_NAME}']"]
    proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, timeout=300)
    (dest / "generate_assignment.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    nb_path = dest / "release" / assignment / f"{assignment}.ipynb"
    if proc.returncode != 0 or not nb_path.exists():
        raise GradingError(f"nbgrader generate_assignment failed (see {dest / 'generate_assignment.log'})")
    return nbformat.read(nb_path, as_version=4)


def graded_sources(instructor_nb):
    """Source of every locked cell as it is graded: hidden tests in, their markers out."""
    sources = {}
    for cell in instructor_nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("locked") and not nbg.get("solution") and nbg.get("grade_id"):
            lines = [ln for ln in cell.source.splitlines()
                     if ln.strip() not in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]
            sources[nbg["grade_id"]] = "\n".join(lines)
    return sources


def load_trusted_parts(source_dir, assignment, instructor_nb):
    path = source_dir / assignment / SPEC_NAME
    if not path.is_file():
        raise GradingError(f"{path} is missing: every autograded part needs a trusted check "
                           "(see docs/grading.md, 'Trusted checks')")
    try:
        sys.dont_write_bytecode, before = True, sys.dont_write_bytecode
        parts, files = trusted.load_spec(path, with_files=True)
    except Exception as exc:  # noqa: BLE001 - the instructor's file is broken
        raise GradingError(f"{path} could not be loaded: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.dont_write_bytecode = before
    tests = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
             for c in instructor_nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    covered = {p.grade_id: p for p in parts}
    if set(covered) != set(tests):
        raise GradingError(f"{path}: PARTS covers {sorted(covered)}, but the autograded test cells "
                           f"are {sorted(tests)}; they must be the same")
    for gid, pts in tests.items():
        if float(covered[gid].points) != float(pts):
            raise GradingError(f"{path}: part {gid} is worth {covered[gid].points} points, its test "
                               f"cell {pts}")
    return parts, files


def build_notebook(nb, sources, parts):
    """The notebook that runs: locked cells from the instructor, a probe after each test."""
    import nbformat.v4 as v4  # noqa: F401

    probes = {p.grade_id: p for p in parts}
    cells = []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in sources and cell.cell_type == "code":
            cell.source = sources[gid]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if gid in probes and cell.cell_type == "code":
            cells.append(trusted.probe_cell(probes[gid]))
    nb.cells = cells
    return nb


# --------------------------------------------------------------------------
# One submission
# --------------------------------------------------------------------------

class Run:
    """Everything one grading run shares between submissions."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.lock = threading.Lock()
        self._test_set = None
        self.slots = queue.Queue()
        for slot in range(max(1, self.jobs)):
            self.slots.put(slot)

    def test_set(self):
        with self.lock:
            if self._test_set is None:
                from course_lib import load_fashion_mnist
                (_, _), (x, t) = load_fashion_mnist(flatten=False, data_dir=self.data_dir)
                self._test_set = (x, t)
            return self._test_set


def _notebook_test_results(nb, test_ids):
    """What the notebook's own test cells said: grade id -> True/False (None: not run)."""
    said = {}
    if nb is None:
        return said
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in test_ids and cell.cell_type == "code":
            outs = cell.get("outputs", [])
            ran = cell.get("execution_count") is not None or bool(outs)
            said[gid] = None if not ran else not any(o.get("output_type") == "error" for o in outs)
    return said


def _execution_findings(nb, status, cell_timeout):
    problems, notes = [], []
    if nb is None:
        return ["the notebook's run left no readable result (the runner was stopped)"], notes
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.metadata.get("grader_probe"):
            continue
        gid = _grade_id(cell)
        name = f"cell '{gid}'" if gid else f"cell {i + 1}"
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename = str(out.get("ename"))
            if ename == "CellTimeoutError":
                problems.append(f"{name} was stopped after the {cell_timeout} s time limit "
                                "(endless loop or far too slow)")
            elif ename == "DeadKernelError":
                problems.append(f"the kernel died in {name}; the cells after it did not run "
                                "(points earned before it count)")
            elif not cell.metadata.get("nbgrader", {}).get("grade") and ename != "KeyboardInterrupt":
                notes.append(f"{name} raised {ename[:60]}: {str(out.get('evalue'))[:120]}")
    return problems, notes


def grade_one(run, sub, index):
    """Prepare, run in the sandbox, score and give feedback for one submission."""
    import nbformat

    work = run.out_dir / "work" / sub.student
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    nb, problems = read_submission(sub.original)
    sub.problems.extend(problems)
    if nb is None:
        sub.status = "unreadable"
        sub.problem("nothing could be recovered: graded as an empty submission (0 points); "
                    "the original file is untouched, ask the student to upload it again")
        nb = nbformat.from_dict(json.loads(json.dumps(run.release_nb)))
        nb.cells.insert(0, _note_cell("your submitted file could not be read, so this empty copy "
                                      "of the assignment was graded instead."))
    else:
        nb, problems = repair(nb, run.release_nb)
        sub.problems.extend(problems)
        if sub.problems:
            sub.status = "repaired"
            nb.cells.insert(0, _note_cell("your notebook was graded with these corrections: "
                                          + "; ".join(sub.problems) + "."))
    answers = {_grade_id(c): c.source for c in nb.cells if _grade_id(c)}
    nb = build_notebook(nb, run.sources, run.parts)
    nbformat.write(nb, work / "submission.ipynb")
    for name, path in sub.attachments.items():
        try:
            data = read_limited(path, MAX_ATTACHMENT)
        except OSError as exc:
            data, why = None, str(exc)
        else:
            why = f"over {MAX_ATTACHMENT // 2**20} MiB"
        if data is None:
            sub.problem(f"the file '{name}' handed in could not be used ({why})")
        else:
            (work / name).write_bytes(data)
            sub.notes.append(f"'{name}' handed in with the notebook was used")
    seed = int.from_bytes(hashlib.sha256(f"{run.secret}:{sub.student}".encode()).digest()[:8], "big")
    ctx = {"quick": run.quick, "answers": answers, "seed": seed, "load_test_set": run.test_set}
    inputs = trusted.write_inputs(run.parts, work, seed, ctx)

    cmd = [sys.executable, "-m", "course_grader.runner", "submission.ipynb", "executed.ipynb",
           f"--cell-timeout={run.cell_timeout}"]
    env = dict(run.env)
    log_path = run.out_dir / "logs" / f"{sub.student}.log"
    slot = run.slots.get()
    try:
        uid = sandbox.sandbox_uid(slot)
        if run.sandboxed:
            sandbox.prepare_workdir(work, uid)
            full = sandbox.bwrap_command(run.bwrap, work, run.site, run.limits, env, run.ro_paths,
                                         uid=uid) + cmd
        else:
            full = ["prlimit", *run.limits.prlimit_args(), "--"] + cmd
        rc = sandbox.run_sandboxed(
            full, run.submission_timeout, log_path, cwd=None if run.sandboxed else work,
            env=None if run.sandboxed else {**os.environ, **env, "PYTHONPATH": str(run.site)},
            watch=(work, run.limits.work_mb * 2 ** 20, run.limits.work_files))
    finally:
        run.slots.put(slot)
    if rc is None:
        sub.problem(f"the notebook did not finish within {run.submission_timeout} s and was "
                    "stopped; parts not reached score 0")
        sub.status = "failed"
    elif rc == "quota":
        sub.problem(f"the notebook wrote more than {run.limits.work_mb} MiB or "
                    f"{run.limits.work_files} files into its folder and was stopped; parts not "
                    "reached score 0")
        sub.status = "failed"

    raw = None
    try:
        raw = read_limited(work / "executed.ipynb", 32 * 1024 * 1024)
    except OSError:
        pass
    executed = feedback.notebook_from_json(raw) if raw else None
    problems, notes = _execution_findings(executed, None, run.cell_timeout)
    if problems and sub.status in ("ok", "repaired"):
        sub.status = "timed out" if any("time limit" in p for p in problems) else "failed"
    sub.problems.extend(problems)
    sub.notes.extend(notes)

    said = _notebook_test_results(executed, {p.grade_id for p in run.parts})
    results = []
    for part in run.parts:
        res = trusted.score_part(part, inputs[part.grade_id], work, ctx)
        res.notebook_passed = said.get(part.grade_id)
        full_marks = res.points >= res.max_points
        if res.notebook_passed is not None and res.notebook_passed != full_marks:
            sub.problem(f"{TAMPER}: the notebook's test '{part.grade_id}' "
                        f"{'passed' if res.notebook_passed else 'failed'}, the trusted check gave "
                        f"{res.points:g}/{res.max_points:g} ({res.message}); the trusted score counts")
            if sub.status in ("ok", "repaired"):
                sub.status = "flagged"
        results.append(res)
    sub.results = results
    sub.answers = {c.metadata.nbgrader["grade_id"]: answers.get(c.metadata.nbgrader["grade_id"], "")
                   for c in run.release_nb.cells
                   if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}

    page = executed if executed is not None else nb
    page.cells = [c for c in page.cells if not c.metadata.get("grader_probe")]
    feedback.cap_outputs(page)
    page.cells.insert(0, feedback.scores_cell(sub.student, results, sub.problems))
    target = run.out_dir / "feedback" / f"{sub.student}.html"
    try:
        with run.lock:
            feedback.write_html(page, target)
    except Exception as exc:  # noqa: BLE001 - a page that cannot be made is reported
        sub.problem(f"no feedback page could be generated ({type(exc).__name__})")
        if target.exists():
            target.unlink()
    if not run.keep_work:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------
# Gradebook and report
# --------------------------------------------------------------------------

def _fmt(x):
    if x is None or x == "":
        return ""
    return f"{float(x):g}"


def _csv_safe(text):
    """A cell that spreadsheet programs will not run as a formula."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def read_manual_grades(path, written):
    """Manual grades of the written answers: {student: {grade_id: points}}."""
    grades = {}
    if not path.exists():
        return grades
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            student = row.get("student", "")
            for gid in written:
                value = (row.get(gid) or "").strip()
                if value:
                    try:
                        grades.setdefault(student, {})[gid] = float(value)
                    except ValueError:
                        raise GradingError(f"{path}: '{value}' for {student}, {gid} is not a "
                                           "number; correct it and run again") from None
    return grades


def write_manual_template(path, submissions, written, grades):
    """Keep ``manual_grades.csv`` listing every student graded (existing grades untouched)."""
    rows = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            rows = {r.get("student", ""): r for r in csv.DictReader(fh)}
    for sub in submissions:
        rows.setdefault(sub.student, {"student": sub.student})
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["student", *written], extrasaction="ignore")
        writer.writeheader()
        for student in sorted(rows):
            writer.writerow(rows[student])
    os.replace(tmp, path)


def collect_rows(submissions, test_ids, written, out_dir):
    manual = read_manual_grades(out_dir / "manual_grades.csv", written)
    rows = []
    for sub in submissions:
        row = {"student": sub.student, "submission": _csv_safe(sub.original_display),
               "status": sub.status}
        auto = auto_max = 0.0
        results = {r.grade_id: r for r in getattr(sub, "results", [])}
        for gid, pts in test_ids.items():
            r = results.get(gid)
            row[gid] = _fmt(r.points) if r else "0"
            auto += r.points if r else 0.0
            auto_max += float(pts)
        given = manual.get(sub.student, {})
        written_max = sum(float(p) for p in written.values())
        for gid in written:
            row[gid] = _fmt(given.get(gid, ""))
        pending = any(gid not in given for gid in written)
        written_score = sum(given.values())
        row.update({
            "autograded_score": _fmt(auto), "autograded_max": _fmt(auto_max),
            "written_score": "" if pending and not given else _fmt(written_score),
            "written_max": _fmt(written_max),
            "needs_manual_grading": "yes" if pending else "no",
            "total_score": _fmt(auto + written_score), "total_max": _fmt(auto_max + written_max),
            "problems": len(sub.problems),
            "feedback": (f"feedback/{sub.student}.html"
                         if (out_dir / "feedback" / f"{sub.student}.html").exists() else ""),
        })
        rows.append(row)
    return rows


def write_gradebook(path, rows, columns):
    """Write the CSV; an existing file is first kept as ``gradebook.<timestamp>.csv``."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    backup = None
    if path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
        n = 1
        while backup.exists():
            n += 1
            backup = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
        path.rename(backup)
    os.replace(tmp, path)
    return backup


def write_report(path, submissions, ignored, general, rows, settings):
    esc = feedback.md_escape
    lines = ["# Grading report", "", f"Generated {datetime.now():%Y-%m-%d %H:%M:%S}. "
             f"Settings: {settings}.", ""]
    flagged = [s for s in submissions if any(TAMPER in p for p in s.problems)]
    lines += [f"- submissions graded: {len(submissions)}",
              f"- submissions with problems: {sum(1 for s in submissions if s.problems)}",
              f"- flagged ({TAMPER}): {len(flagged)}",
              f"- files not graded: {len(ignored)}", ""]
    if general:
        lines += ["## General", ""] + [f"- {g}" for g in general] + [""]
    if ignored:
        lines += ["## Files not graded", ""] + [f"- {esc(g)}" for g in ignored] + [""]
    lines += ["## Students", ""]
    by_student = {r["student"]: r for r in rows}
    for sub in submissions:
        r = by_student.get(sub.student, {})
        score = f"{r.get('autograded_score', '?')}/{r.get('autograded_max', '?')} autograded"
        if r.get("needs_manual_grading") == "yes":
            score += ", written answers still to grade"
        lines.append(f"### {esc(sub.student)} ({sub.status}; {score})")
        lines.append(f"File: {esc(sub.original_display)}")
        lines += [f"- PROBLEM: {esc(p)}" for p in sub.problems]
        lines += [f"- note: {esc(n)}" for n in sub.notes]
        if not sub.problems and not sub.notes:
            lines.append("- no problems")
        lines.append("")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def write_answers(path, submissions):
    """The written answers of every student, escaped, for grading by hand."""
    lines = ["# Written answers", "", "Enter the points in manual_grades.csv, then run "
             "course-grade again (or `course-grade merge`) to refresh gradebook.csv.", ""]
    for sub in submissions:
        lines.append(f"## {feedback.md_escape(sub.student)}")
        for gid, text in getattr(sub, "answers", {}).items():
            lines += ["", f"### {gid}", "", "```text", text.replace("```", "'''")[:20000], "```"]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------

def parse_shard(text):
    try:
        k, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise GradingError(f"--shard must look like K/N (e.g. 2/8), got '{text}'") from None
    if not 1 <= k <= n:
        raise GradingError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard_of(submissions, shard):
    """The deterministic slice K of N: every N-th submission by sorted student id."""
    if shard is None:
        return submissions
    k, n = shard
    ordered = sorted(submissions, key=lambda s: s.student)
    return [s for i, s in enumerate(ordered) if i % n == k - 1]


def grade(submissions_dir, out_dir, assignment=ASSIGNMENT, source=None, jobs=2,
          cell_timeout=60, submission_timeout=600, quick=True, data_dir=None, log=print,
          use_sandbox=True, limits=None, shard=None, keep_work=False):
    """Grade every submission in ``submissions_dir``; see the module docstring.

    Returns the list of :class:`Submission` objects (with their problems and
    trusted results).
    """
    import nbformat

    submissions_dir = Path(submissions_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if not submissions_dir.is_dir():
        raise GradingError(f"submissions folder '{submissions_dir}' does not exist or is not a folder")
    if out_dir == submissions_dir or submissions_dir in out_dir.parents \
            or out_dir in submissions_dir.parents:
        raise GradingError("the output folder must not be inside the submissions folder (or the "
                           "other way round): choose another --out")
    try:
        import nbgrader  # noqa: F401
    except ImportError as exc:
        raise GradingError("nbgrader is not installed: pip install -e '.[instructor]'") from exc
    limits = limits or sandbox.Limits()
    source_dir = find_source(assignment, source)
    out_dir.mkdir(parents=True, exist_ok=True)
    for sub_dir in ("feedback", "logs", "work"):
        (out_dir / sub_dir).mkdir(exist_ok=True)
    general = []

    data = data_dir or os.environ.get("COURSE_LIB_DATA")
    data = str(Path(data).resolve()) if data else None
    env = {"COURSE_LIB_QUICK": "1" if quick else "0", "NBGRADER_EXECUTION": "autograde",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "COURSE_LIB_THREADS": "1"}
    if not quick:
        env.pop("COURSE_LIB_QUICK")
    # the BLAS settings of this machine (kernel choice, cache sizes): a notebook must compute
    # in the sandbox exactly as it does for the instructor
    for key, value in os.environ.items():
        if key.startswith(("OPENBLAS_", "MKL_", "NPY_", "GOTO_", "BLIS_")) and key not in env:
            env[key] = value
    ro_paths = []
    if data:
        env["COURSE_LIB_DATA"] = data
        ro_paths.append(data)
    else:
        general.append("COURSE_LIB_DATA is not set: notebooks look for the data in the "
                       "library's default place")
    box = out_dir / "_sandbox"
    site = sandbox.make_trusted_site(box / "site")
    env["COURSE_LIB_CACHE"] = "/tmp/course_lib-cache"      # private to each sandbox

    bwrap = sandbox.find_bwrap()
    if use_sandbox:
        try:
            sandbox.check_sandbox(bwrap, site, limits)
        except sandbox.SandboxUnavailable as exc:
            raise GradingError(f"no sandbox can be made on this machine: {exc}. Grading untrusted "
                               "code without one lets a submission change grades and files; "
                               "--no-sandbox grades anyway (a warning goes into the report)") from exc
    else:
        general.append("WARNING: graded with --no-sandbox: student code ran with your rights and "
                       "could read and change files, other students' results and this report; "
                       "scores are still computed outside the notebooks")

    log(f"preparing the assignment from {source_dir / assignment}")
    instructor_nb = nbformat.read(source_dir / assignment / f"{assignment}.ipynb", as_version=4)
    parts, files = load_trusted_parts(source_dir, assignment, instructor_nb)
    release_nb = generate_release(source_dir, assignment, box / "course")
    committed = source_dir.parent / "assignments" / assignment / f"{assignment}.ipynb"
    if committed.exists():
        diffs = release_differences(release_nb, nbformat.read(committed, as_version=4))
        if diffs:
            general.append(f"the student version in assignments/{assignment} differs from what the "
                           f"instructor version generates ({'; '.join(diffs[:3])}); run `nbgrader "
                           "generate_assignment` and commit the result")
    test_ids = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
                for c in instructor_nb.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    written = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
               for c in instructor_nb.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}

    submissions, ignored = discover(submissions_dir, assignment, files)
    if shard is not None:
        submissions = shard_of(submissions, shard)
        if shard[0] != 1:
            ignored = []
        general.append(f"shard {shard[0]}/{shard[1]}: {len(submissions)} submission(s) of this "
                       "slice; combine the shards with `course-grade merge`")
    if not submissions:
        general.append("no submissions found")
    for sub in submissions:
        sub.original_display = str(sub.original.relative_to(submissions_dir))

    run = Run(out_dir=out_dir, release_nb=release_nb, sources=graded_sources(instructor_nb),
              parts=parts, secret=secrets.token_hex(16), quick=quick, data_dir=data,
              cell_timeout=cell_timeout, submission_timeout=submission_timeout, env=env,
              sandboxed=use_sandbox, bwrap=bwrap, site=site, limits=limits, ro_paths=ro_paths,
              keep_work=keep_work, jobs=jobs)
    log(f"grading {len(submissions)} submission(s), {jobs} at a time "
        f"({'quick' if quick else 'full'} mode, {cell_timeout} s per cell, "
        f"{'sandboxed' if use_sandbox else 'NOT sandboxed'})")
    t0 = time.perf_counter()

    def work(item):
        index, sub = item
        try:
            grade_one(run, sub, index)
        except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
            sub.problem(f"grading failed: {type(exc).__name__}: {exc}")
            sub.status = "failed"
            sub.results = []
        log(f"  graded {sub.student}" + (f" ({len(sub.problems)} problem(s))" if sub.problems else ""))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(work, enumerate(submissions)))
    elapsed = time.perf_counter() - t0

    write_manual_template(out_dir / "manual_grades.csv", submissions, written, {})
    write_answers(out_dir / "written_answers.md", submissions)
    rows = collect_rows(submissions, test_ids, written, out_dir)
    columns = HEAD + [c.metadata.nbgrader["grade_id"] for c in instructor_nb.cells
                      if c.metadata.get("nbgrader", {}).get("grade")]
    backup = write_gradebook(out_dir / "gradebook.csv", rows, columns)
    if backup is not None:
        general.append(f"the previous gradebook.csv was kept as {backup.name}")
    settings = (f"{'quick' if quick else 'full'} mode, {cell_timeout} s per cell, "
                f"{submission_timeout} s per submission, {jobs} parallel job(s), "
                f"{'sandbox' if use_sandbox else 'NO SANDBOX'}, limits {limits}, "
                f"autograding took {elapsed:.0f} s")
    write_report(out_dir / "report.md", submissions, ignored, general, rows, settings)
    log(f"done: {out_dir / 'gradebook.csv'}, {out_dir / 'report.md'}, {out_dir / 'feedback'}/")
    return submissions


# --------------------------------------------------------------------------
# Merging shards
# --------------------------------------------------------------------------

def merge(shard_dirs, out_dir, log=print):
    """Combine the gradebooks, feedback pages and reports of several shards into ``out_dir``."""
    out_dir = Path(out_dir).resolve()
    rows, columns, seen, reports = [], None, {}, []
    for folder in map(Path, shard_dirs):
        book = folder / "gradebook.csv"
        if not book.is_file():
            raise GradingError(f"{folder} has no gradebook.csv: is it the --out folder of a shard?")
        with open(book, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if columns is None:
                columns = reader.fieldnames
            elif reader.fieldnames != columns:
                raise GradingError(f"{book} has other columns than the first shard: were the shards "
                                   "graded with the same assignment?")
            for row in reader:
                if row["student"] in seen:
                    raise GradingError(f"student '{row['student']}' is in both {seen[row['student']]} "
                                       f"and {folder}: the shards overlap")
                seen[row["student"]] = folder
                row["_from"] = folder
                rows.append(row)
        if (folder / "report.md").is_file():
            reports.append((folder, (folder / "report.md").read_text(encoding="utf-8")))
    if columns is None:
        raise GradingError("nothing to merge: give the --out folders of the shards")
    (out_dir / "feedback").mkdir(parents=True, exist_ok=True)
    for row in rows:
        page = row.pop("_from") / "feedback" / f"{row['student']}.html"
        if row.get("feedback") and page.is_file() and not page.is_symlink():
            shutil.copyfile(page, out_dir / "feedback" / page.name)
    rows.sort(key=lambda r: r["student"])
    backup = write_gradebook(out_dir / "gradebook.csv", rows, columns)
    text = [f"# Merged grading report ({len(rows)} students from {len(reports)} shard(s))", ""]
    if backup is not None:
        text += [f"The previous gradebook.csv was kept as {backup.name}.", ""]
    for folder, report in reports:
        text += [f"## Shard {feedback.md_escape(folder.name)}", "",
                 report.replace("\n# ", "\n### ").replace("\n## ", "\n### "), ""]
    (out_dir / "report.md").write_text("\n".join(text), encoding="utf-8")
    log(f"merged {len(rows)} students into {out_dir / 'gradebook.csv'}")
    return rows


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def build_parser():
    d = sandbox.Limits()
    p = argparse.ArgumentParser(
        prog="course-grade",
        description="Grade a folder of notebook submissions, each in its own sandbox: writes "
                    "OUT/gradebook.csv, OUT/feedback/<student>.html and OUT/report.md. "
                    "`course-grade merge OUT1 OUT2 ... --out MERGED` combines shards.")
    p.add_argument("submissions", help="folder of submissions: <student>.ipynb files, "
                   "LMS exports such as alice_12345_fashion_mnist.ipynb, or one folder per student")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"output folder (default: {DEFAULT_OUT}); reused when it exists")
    p.add_argument("--assignment", default=ASSIGNMENT, help=f"assignment name (default: {ASSIGNMENT})")
    p.add_argument("--source", default=None,
                   help="folder holding the instructor versions (default: solutions/ of the course)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default: 2)")
    p.add_argument("--cell-timeout", type=int, default=60,
                   help="seconds one cell may run before it is stopped (default: 60)")
    p.add_argument("--submission-timeout", type=int, default=600,
                   help="seconds one whole submission may take (default: 600)")
    p.add_argument("--full", action="store_true",
                   help="run the notebooks in full mode instead of quick mode (slow)")
    p.add_argument("--data-dir", default=None,
                   help="dataset folder passed to the notebooks as COURSE_LIB_DATA")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only slice K of N (by sorted student id), for a job array")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without a sandbox where none can be made (unsafe; said in the report)")
    p.add_argument("--keep-work", action="store_true",
                   help="keep each submission's work folder (OUT/work/<student>/) for inspection")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb,
                   help=f"address space per process in the sandbox, MiB (default: {d.memory_mb})")
    p.add_argument("--cpu-seconds", type=int, default=d.cpu_s,
                   help=f"processor seconds per process (default: {d.cpu_s})")
    p.add_argument("--max-processes", type=int, default=d.processes,
                   help=f"processes and threads in the sandbox (default: {d.processes})")
    p.add_argument("--max-open-files", type=int, default=d.open_files,
                   help=f"open files per process (default: {d.open_files})")
    p.add_argument("--max-file-mb", type=int, default=d.file_mb,
                   help=f"size of any file written, MiB (default: {d.file_mb})")
    p.add_argument("--max-work-mb", type=int, default=d.work_mb,
                   help=f"everything a submission writes into its folder, MiB (default: {d.work_mb})")
    return p


def merge_main(argv):
    p = argparse.ArgumentParser(prog="course-grade merge",
                                description="Combine the output folders of several shards.")
    p.add_argument("shards", nargs="+", help="the --out folders of the shards")
    p.add_argument("--out", required=True, help="folder for the merged gradebook and feedback")
    args = p.parse_args(argv)
    try:
        merge(args.shards, args.out)
    except GradingError as exc:
        print(f"course-grade merge: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["merge"]:
        return merge_main(argv[1:])
    args = build_parser().parse_args(argv)
    numbers = (args.jobs, args.cell_timeout, args.submission_timeout, args.memory_mb,
               args.cpu_seconds, args.max_processes, args.max_open_files, args.max_file_mb,
               args.max_work_mb)
    if any(n < 1 for n in numbers):
        print("course-grade: --jobs, the time limits and the resource limits must be positive "
              "numbers", file=sys.stderr)
        return 2
    limits = sandbox.Limits(memory_mb=args.memory_mb, cpu_s=args.cpu_seconds,
                            processes=args.max_processes, open_files=args.max_open_files,
                            file_mb=args.max_file_mb, work_mb=args.max_work_mb)
    try:
        shard = parse_shard(args.shard) if args.shard else None
        subs = grade(args.submissions, args.out, assignment=args.assignment, source=args.source,
                     jobs=args.jobs, cell_timeout=args.cell_timeout,
                     submission_timeout=args.submission_timeout, quick=not args.full,
                     data_dir=args.data_dir, use_sandbox=not args.no_sandbox, limits=limits,
                     shard=shard, keep_work=args.keep_work)
    except GradingError as exc:
        print(f"course-grade: {exc}", file=sys.stderr)
        return 2
    n = sum(1 for s in subs if s.problems)
    print(f"{len(subs)} submission(s) graded, {n} with problems (see report.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
