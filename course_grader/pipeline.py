"""Grading one submission: prepare, run in the sandbox, score, judge, keep the record.

The grader itself never runs student code.  For each submission
(:func:`grade_one`):

1. :func:`prepare` reads and repairs the notebook (:mod:`course_grader.submissions`);
2. :func:`execute` writes the graded notebook (locked cells from the
   instructor, a probe after each test) and the probes' inputs into a fresh
   work folder and runs it in the sandbox, then copies what the probes saved
   (and nothing else it does not need) out of that folder;
3. :func:`score` computes the trusted score of every part in a scoring
   process with limits (:mod:`course_grader.scoring`), from the inputs it
   draws again itself and the copied results;
4. :func:`judge` compares with what the notebook's own test cells said;
5. the :class:`~course_grader.record.Record` is saved with the executed
   notebook; pages and files are made from the records later
   (:mod:`course_grader.publish`).
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import feedback, library, processes, sandbox, scoring, trusted
from .probe import IN_DIR, OUT_DIR
from .record import Record
from .submissions import grade_id_of, note_cell, read_limited, read_submission, repair

MAX_ATTACHMENT = 256 * 1024 * 1024
MAX_EXECUTED = 32 * 1024 * 1024
TAMPER = "results tampered with"
EXPECTED_DIR = "/grading/expected"          # the expected values of the test cells, inside


@dataclass
class Settings:
    """How a grading run was asked to grade (the command line)."""

    out_dir: Path
    quick: bool = True
    cell_timeout: int = 60
    submission_timeout: int = 600
    jobs: int = 2
    use_sandbox: bool = True
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    keep_work: bool = False
    data_dir: str | None = None


@dataclass
class Run:
    """What every submission of one grading run shares."""

    settings: Settings
    assignment: object
    secret: str
    env: dict
    tmp: Path                                  # private working space of this run
    bwrap: str | None = None
    site: Path | None = None
    hide: list = field(default_factory=list)
    ro_paths: list = field(default_factory=list)
    expected: Path | None = None
    uids: object = None
    slots: queue.Queue = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fingerprint: str = ""

    def __post_init__(self):
        for slot in range(max(1, self.settings.jobs)):
            self.slots.put(slot)


# --------------------------------------------------------------------------
# 1. Prepare
# --------------------------------------------------------------------------

def content_hash(found, fingerprint):
    """A hash of what was handed in and of what it is graded against (for --only-changed)."""
    h = hashlib.sha256(fingerprint.encode())
    for path in [found.notebook, *[found.attachments[k] for k in sorted(found.attachments)]]:
        try:
            data = read_limited(path, MAX_ATTACHMENT)
        except OSError:
            data = b"unreadable"
        h.update(hashlib.sha256(data or b"too large").digest())
    return h.hexdigest()


def new_record(found, run):
    """A record for ``found`` (a :class:`course_grader.lms.Found`), identity filled in."""
    when = found.submitted_at
    return Record(student=found.student, name=found.name or "", lms=found.lms,
                  lms_user_id=found.lms_user_id, attempt=found.attempt, late=found.late,
                  submitted_at=when.isoformat(timespec="seconds") if when else None,
                  submission=found.shown, content_hash=content_hash(found, run.fingerprint),
                  notes=list(found.notes), student_notes=list(found.notes),
                  earlier_attempts=list(getattr(found, "earlier", [])),
                  graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def prepare(run, found, record):
    """The repaired notebook, with the student's answers recorded."""
    import nbformat

    nb, problems = read_submission(found.notebook)
    record.problems.extend(problems)
    edition = run.assignment.edition_of(nb) if nb is not None else run.assignment.editions["en"]
    record.language = edition.language
    release = edition.release_nb
    if nb is None:
        record.status = "unreadable"
        record.problem("nothing could be recovered: graded as an empty submission (0 points); "
                       "the original file is untouched, ask the student to upload it again",
                       student="Your file could not be read, so an empty copy of the assignment "
                       "was graded: upload your notebook again.")
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        nb.cells.insert(0, note_cell("your submitted file could not be read, so this empty "
                                     "copy of the assignment was graded instead."))
    else:
        nb, fixes = repair(nb, release)
        record.problems.extend(fixes)
        if record.problems:
            record.set_status("repaired")
            record.student_notes.extend(_capital(p) + "." for p in fixes + problems)
            nb.cells.insert(0, note_cell("your notebook was graded with these corrections: "
                                         + "; ".join(problems + fixes) + "."))
    _record_answers(record, nb, run.assignment)
    return nb


def _capital(text):
    return text[:1].upper() + text[1:]


def _record_answers(record, nb, assignment):
    written = {q.grade_id for q in assignment.questions}
    code, extra = {}, []
    for cell in nb.cells:
        gid = grade_id_of(cell)
        if gid in written:
            record.written_answers[gid] = cell.source
        elif gid in assignment.answer_cells:
            code[gid] = cell.source
        elif gid is None and cell.cell_type == "code":
            extra.append(cell.source)
    record.code_answers = dict(code, _extra="\n\n".join(extra))


# --------------------------------------------------------------------------
# 2. Execute in the sandbox
# --------------------------------------------------------------------------

def execute(run, record, nb, found, work, private):
    """Run the graded notebook in ``work``; copy the probes' results into ``private``.

    Returns the executed notebook (or None when none could be read back).
    """
    import nbformat

    from .assignment import graded_notebook

    nb = graded_notebook(nb, run.assignment, run.assignment.editions.get(record.language))
    work.mkdir(parents=True)
    nbformat.write(nb, work / "submission.ipynb")
    for name, path in found.attachments.items():
        data, why = _attachment(path)
        if data is None:
            record.problem(f"the file '{name}' handed in could not be used ({why})",
                           student=f"The file '{name}' you handed in could not be used ({why}).")
        else:
            (work / name).write_bytes(data)
            (private / "files").mkdir(exist_ok=True)
            (private / "files" / name).write_bytes(data)
    ctx = {"quick": run.settings.quick, "answers": record.code_answers,
           "data_dir": run.settings.data_dir, "work": private / "files"}
    trusted.write_inputs(run.assignment.parts, work, run.secret, record.student, ctx)
    rc = _run_in_sandbox(run, record, work)
    if rc is None:
        record.problem(f"the notebook did not finish within {run.settings.submission_timeout} s "
                       "and was stopped; parts not reached score 0",
                       student=f"Your notebook did not finish within "
                       f"{run.settings.submission_timeout} s and was stopped; the parts it had "
                       "not reached earn no points.")
        record.set_status("failed")
    elif rc == "quota":
        lim = run.settings.limits
        record.problem(f"the notebook wrote more than {lim.work_mb} MiB or {lim.work_files} files "
                       "into its folder and was stopped; parts not reached score 0",
                       student=f"Your notebook wrote more than {lim.work_mb} MiB into its folder "
                       "and was stopped; the parts it had not reached earn no points.")
        record.set_status("failed")
    _copy_results(work / OUT_DIR, private / OUT_DIR, run.assignment.parts)
    record.seconds.update(_cell_seconds(work / "executed.ipynb.status.json"))
    raw = None
    try:
        raw = read_limited(work / "executed.ipynb", MAX_EXECUTED)
    except OSError:
        pass
    return feedback.notebook_from_json(raw) if raw else None


def _cell_seconds(path):
    """The runner's timings (kernel start, each cell), as far as they can be read."""
    try:
        data = json.loads(read_limited(path, 1024 * 1024) or b"{}")
        return {str(k)[:80]: float(v) for k, v in dict(data.get("seconds", {})).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _attachment(path):
    try:
        data = read_limited(path, MAX_ATTACHMENT)
    except OSError as exc:
        return None, str(exc)
    return (data, "") if data is not None else (None, f"over {MAX_ATTACHMENT // 2**20} MiB")


def _run_in_sandbox(run, record, work):
    s = run.settings
    cmd = [sys.executable, "-m", "course_grader.runner", "submission.ipynb", "executed.ipynb",
           f"--cell-timeout={s.cell_timeout}"]
    log_path = s.out_dir / "logs" / f"{record.student}.log"
    watch = (work, s.limits.work_mb * 2 ** 20, s.limits.work_files)
    slot = run.slots.get()
    try:
        uid = run.uids.uid(slot) if run.uids is not None else None
        if s.use_sandbox:
            sandbox.prepare_workdir(work, uid)
            full = sandbox.bwrap_command(run.bwrap, work, run.site, s.limits, run.env, cmd,
                                         ro_paths=run.ro_paths, uid=uid, hide=run.hide)
            return sandbox.run_sandboxed(full, s.submission_timeout, log_path, watch=watch)
        env = {**os.environ, **run.env, "PYTHONPATH": str(run.site)}
        if run.expected is not None:
            env["COURSE_GRADER_EXPECTED"] = str(run.expected)
        full = ["prlimit", *s.limits.prlimit_args(), "--"] + cmd
        return sandbox.run_sandboxed(full, s.submission_timeout, log_path, cwd=work, env=env,
                                     watch=watch)
    finally:
        run.slots.put(slot)


def _copy_results(src, dest, parts):
    """The probes' files, and only them, read without following links."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in parts:
        for suffix in (".npz", ".json"):
            try:
                data = read_limited(src / f"{part.grade_id}{suffix}", trusted.MAX_RESULT_BYTES)
            except OSError:
                continue
            if data is not None:
                (dest / f"{part.grade_id}{suffix}").write_bytes(data)


# --------------------------------------------------------------------------
# 3. Score, 4. judge
# --------------------------------------------------------------------------

def score(run, record, private, elapsed):
    """The trusted results, computed in a scoring process with limits."""
    s = run.settings
    job = private / "job.json"
    scoring.write_job(job, spec=run.assignment.spec.path, secret=run.secret,
                      student=record.student, quick=s.quick, answers=record.code_answers,
                      data_dir=s.data_dir, work=str(private / "files"),
                      results=str(private / OUT_DIR), out=str(private / "scores.jsonl"))
    budget = max(30.0, s.submission_timeout - elapsed)
    return scoring.score_submission(job, private / "scores.jsonl", run.assignment.parts, budget,
                                    log_path=s.out_dir / "logs" / f"{record.student}.log",
                                    language=record.language)


def notebook_verdicts(nb, test_ids):
    """What the notebook's own test cells said: grade id -> True/False (None: not run)."""
    said = {}
    if nb is None:
        return said
    for cell in nb.cells:
        gid = grade_id_of(cell)
        if gid in test_ids and cell.cell_type == "code":
            outs = cell.get("outputs", [])
            ran = cell.get("execution_count") is not None or bool(outs)
            said[gid] = None if not ran else not any(o.get("output_type") == "error"
                                                     for o in outs)
    return said


def judge(record, results, executed):
    """Compare the trusted results with the notebook's own verdicts; flag only on evidence.

    A part is flagged when the notebook's test passed while the very cases it
    checks, recomputed by the grader from what the student's code returned,
    fail: the test's verdict was not the code's.  The reverse (the test failed,
    the grader's run passes) is only noted.
    """
    said = notebook_verdicts(executed, {r.grade_id for r in results})
    for r in results:
        r.notebook_passed = said.get(r.grade_id)
        if r.notebook_passed is True and r.fixed is False:
            record.problem(f"{TAMPER}: the notebook's test '{r.grade_id}' passed, but the same "
                           "cases fail when the grader recomputes them from what the code "
                           f"returned ({r.message}); the grader's score counts",
                           student=f"{r.title}: the test cell's output does not match what your "
                           "code returns; the points come from the grader's own run.")
            record.set_status("flagged")
        elif r.notebook_passed is False and r.fixed is True:
            record.notes.append(f"the notebook's test '{r.grade_id}' failed, but its cases pass "
                                "when the grader runs them (a nondeterministic answer, or an "
                                "error elsewhere that stopped the test)")
        if library.STUB_ERROR in r.message:
            record.evidence.append(f"{r.grade_id}: called a course_lib implementation that is "
                                   "not available while grading")
    record.results = [r.as_dict() for r in results]


def execution_findings(record, nb, cell_timeout):
    """Time-outs, kernel deaths and errors of the run, named by the page's cell labels."""
    if nb is None:
        record.problem("the notebook's run left no readable result (the runner was stopped)")
        return
    labels = feedback.cell_labels(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.metadata.get("grader_probe"):
            continue
        gid = grade_id_of(cell)
        name = f"{labels.get(i, f'cell {i + 1}')}" + (f" ('{gid}')" if gid else "")
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename = str(out.get("ename"))
            locked = cell.metadata.get("nbgrader", {}).get("locked")
            if library.STUB_ERROR in str(out.get("evalue")) and not locked:
                record.evidence.append(f"{name} called a course_lib implementation that is not "
                                       "available while grading")
            if ename == "CellTimeoutError":
                record.problem(f"{name} was stopped after the {cell_timeout} s time limit "
                               "(endless loop or far too slow)",
                               student=f"{name} was stopped after {cell_timeout} s.")
                record.set_status("timed out")
            elif ename == "DeadKernelError":
                record.problem(f"the kernel died in {name}; the cells after it did not run "
                               "(points earned before it count)",
                               student=f"The kernel died in {name}; the cells after it did not "
                               "run (points earned before it count).")
                record.set_status("failed")
            elif not cell.metadata.get("nbgrader", {}).get("grade") \
                    and ename != "KeyboardInterrupt":
                record.notes.append(f"{name} raised {ename[:60]}: "
                                    f"{str(out.get('evalue'))[:120]}")


# --------------------------------------------------------------------------
# The whole of one submission
# --------------------------------------------------------------------------

def grade_one(run, found, index):
    """Grade one submission; returns its saved :class:`Record`."""
    import time

    record = new_record(found, run)
    nb = prepare(run, found, record)
    work, private = run.tmp / f"w{index}", run.tmp / f"p{index}"
    private.mkdir(parents=True)
    executed = None
    try:
        started = time.monotonic()
        executed = execute(run, record, nb, found, work, private)
        record.seconds["sandbox"] = round(time.monotonic() - started, 3)
        execution_findings(record, executed, run.settings.cell_timeout)
        if processes.stopping():
            raise processes.Stopped("interrupted")
        scored = time.monotonic()
        results = score(run, record, private, scored - started)
        record.seconds["scoring"] = round(time.monotonic() - scored, 3)
        judge(record, results, executed)
    finally:
        if run.settings.keep_work and work.exists():
            shutil.copytree(work, run.settings.out_dir / "work" / record.student,
                            dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
    if processes.stopping():
        raise processes.Stopped("interrupted")
    page = executed if executed is not None else nb
    page.cells = [c for c in page.cells if not c.metadata.get("grader_probe")]
    feedback.cap_outputs(page)
    record.save(run.settings.out_dir, page)
    return record


def expected_folder(run_tmp, spec):
    """The expected values of the notebook's own test cases, computed once for the run."""
    if spec.expected is None:
        return None
    folder = run_tmp / "expected"
    folder.mkdir(parents=True, exist_ok=True)
    spec.expected(folder)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


__all__ = ["Settings", "Run", "grade_one", "expected_folder", "IN_DIR", "EXPECTED_DIR"]
