"""Grading a whole class: ``course-grade SUBMISSIONS --out OUT``.

:func:`grade` finds the submissions, prepares the assignment, the grading
edition of course_lib and the sandbox once, grades the submissions ``jobs`` at
a time (:func:`course_grader.pipeline.grade_one`), and publishes the
gradebook, the pages and the report (:mod:`course_grader.publish`).

Each student's cases are drawn from a secret kept in the output folder
(``.grading-secret``, readable by its owner only) and the student's id, so a
re-grade in the same folder draws the same cases and gives the same score.
With ``only_changed``, a submission whose files (and the assignment) are the
same as when its record was made is not graded again.  Ctrl-C stops the run
within a second: every sandbox and scoring process is killed, the records
finished so far are kept, and ``--only-changed`` finishes the rest.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import assignment as assignment_mod
from . import lms, pipeline, processes, publish, record, sandbox, seccomp, uids
from .submissions import ASSIGNMENT, GradingError

SECRET_FILE = ".grading-secret"


def discover(submissions_dir, assignment, files, roster=None):
    """``(found, ignored, instructor_lines, roster_lines)`` for the submissions folder.

    ``found``: the graded attempt of each student (:class:`course_grader.lms.Found`), each
    with its earlier attempts listed in ``found.earlier``.
    """
    found = lms.discover(submissions_dir, assignment, files, roster)
    earlier = {}
    for e in found.earlier:
        earlier.setdefault(e.student, []).append(f"{e.shown} (attempt {e.attempt})")
    for f in found.submissions:
        f.earlier = earlier.get(f.student, [])
    roster_lines = [line[2:] if line.startswith("- ") else line
                    for line in (found.roster_report.lines() if found.roster_report else [])]
    return found.submissions, found.ignored, list(found.report), roster_lines


def parse_shard(text):
    try:
        k, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise GradingError(f"--shard must look like K/N (e.g. 2/8), got '{text}'") from None
    if not 1 <= k <= n:
        raise GradingError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard_of(items, shard):
    """The deterministic slice K of N: every N-th item by sorted student id."""
    if shard is None:
        return items
    k, n = shard
    ordered = sorted(items, key=lambda s: s.student)
    return [s for i, s in enumerate(ordered) if i % n == k - 1]


def load_secret(out_dir, secret_file=None):
    """The run's secret: from ``secret_file``, else ``OUT/.grading-secret`` (made once)."""
    path = Path(secret_file) if secret_file else Path(out_dir) / SECRET_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if len(text) < 16:
            raise GradingError(f"{path} holds no usable secret (at least 16 characters); delete "
                               "it to make a new one (scores of a re-grade may then change)")
        return text
    if secret_file:
        raise GradingError(f"--secret-file {path} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="utf-8").strip()


def _check_folders(submissions_dir, out_dir):
    if not submissions_dir.is_dir():
        raise GradingError(f"submissions folder '{submissions_dir}' does not exist or is not a "
                           "folder")
    if out_dir == submissions_dir or submissions_dir in out_dir.parents \
            or out_dir in submissions_dir.parents:
        raise GradingError("the output folder must not be inside the submissions folder (or the "
                           "other way round): choose another --out")
    if importlib.util.find_spec("nbgrader") is None:
        raise GradingError("nbgrader is not installed: pip install -e '.[instructor]'")


def _environment(settings):
    env = {"NBGRADER_EXECUTION": "autograde", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "COURSE_LIB_THREADS": "1",
           "COURSE_LIB_CACHE": "/tmp/course_lib-cache"}
    if settings.quick:
        env["COURSE_LIB_QUICK"] = "1"
    # the BLAS settings of this machine (kernel choice, cache sizes): a notebook must compute
    # in the sandbox exactly as it does for the instructor
    for key, value in os.environ.items():
        if key.startswith(("OPENBLAS_", "MKL_", "NPY_", "GOTO_", "BLIS_")) and key not in env:
            env[key] = value
    if settings.data_dir:
        env["COURSE_LIB_DATA"] = settings.data_dir
    return env


def _sandbox_setup(run, general):
    s = run.settings
    run.bwrap = sandbox.find_bwrap()
    run.hide = sandbox.hidden_paths()
    if run.expected is not None:
        run.ro_paths.append((str(run.expected), pipeline.EXPECTED_DIR))
        run.env["COURSE_GRADER_EXPECTED"] = pipeline.EXPECTED_DIR
    if s.data_dir:
        run.ro_paths.append(s.data_dir)
    if not s.use_sandbox:
        general.append("WARNING: graded with --no-sandbox: student code ran with your rights and "
                       "could read and change files, other students' results and this report; "
                       "scores are still computed outside the notebooks")
        return
    try:
        sandbox.check_sandbox(run.bwrap, run.site, s.limits)
    except sandbox.SandboxUnavailable as exc:
        raise GradingError(f"no sandbox can be made on this machine: {exc}. Grading untrusted "
                           "code without one lets a submission change grades and files; "
                           "--no-sandbox grades anyway (a warning goes into the report)") from exc
    why = seccomp.why_not()
    if why:
        general.append(f"the sandbox ran without its seccomp filter: {why}")


def _unchanged(out_dir, found, run):
    path = Path(out_dir) / record.RECORDS / f"{found.student}.json"
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return old.get("content_hash") == pipeline.content_hash(found, run.fingerprint)


def _fingerprint(assignment, settings):
    import hashlib
    h = hashlib.sha256()
    for path in (assignment.source_dir / assignment.name / f"{assignment.name}.ipynb",
                 Path(assignment.spec.path)):
        h.update(path.read_bytes())
    h.update(f"quick={settings.quick}".encode())
    return h.hexdigest()


def grade(submissions_dir, out_dir, assignment=ASSIGNMENT, source=None, jobs=2, cell_timeout=60,
          submission_timeout=600, quick=True, data_dir=None, log=print, use_sandbox=True,
          limits=None, shard=None, keep_work=False, only_changed=False, roster=None,
          secret_file=None):
    """Grade every submission in ``submissions_dir`` into ``out_dir``; returns the records."""
    submissions_dir, out_dir = Path(submissions_dir).resolve(), Path(out_dir).resolve()
    _check_folders(submissions_dir, out_dir)
    data = data_dir or os.environ.get("COURSE_LIB_DATA")
    settings = pipeline.Settings(out_dir, quick, cell_timeout, submission_timeout, jobs,
                                 use_sandbox, limits or sandbox.Limits(), keep_work,
                                 str(Path(data).resolve()) if data else None)
    general = [] if data else ["COURSE_LIB_DATA is not set: notebooks look for the data in the "
                               "library's default place"]
    for sub_dir in ("feedback", "logs", record.RECORDS):
        (out_dir / sub_dir).mkdir(parents=True, exist_ok=True)
    secret = load_secret(out_dir, secret_file)
    box = out_dir / "_sandbox"
    the = assignment_mod.load(assignment, source, box, log)
    general += the.general
    found, ignored, lines, roster_lines = discover(submissions_dir, assignment, the.spec.files,
                                                   roster)
    general += lines
    if roster:
        shutil.copyfile(roster, out_dir / "roster.csv")        # for `course-grade export`
    if shard is not None:
        found = shard_of(found, shard)
        ignored = ignored if shard[0] == 1 else []
        general.append(f"shard {shard[0]}/{shard[1]}: {len(found)} submission(s) of this slice; "
                       "combine the shards with `course-grade merge`")
    processes.reset()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp, uids.lease() as block:
        tmp = Path(tmp)
        tmp.chmod(0o711)
        run = pipeline.Run(settings, the, secret, _environment(settings), tmp, uids=block)
        run.fingerprint = _fingerprint(the, settings)
        run.site = sandbox.make_trusted_site(box / "site", the.spec.stubs)
        run.expected = pipeline.expected_folder(tmp, the.spec)
        _sandbox_setup(run, general)
        todo = [f for f in found if not (only_changed and _unchanged(out_dir, f, run))]
        if only_changed:
            general.append(f"--only-changed: {len(found) - len(todo)} unchanged submission(s) "
                           "kept from earlier runs")
        elapsed = _grade_all(run, todo, log)
    limits_text = settings.limits
    settings_text = (f"{'quick' if quick else 'full'} mode, {cell_timeout} s per cell, "
                     f"{submission_timeout} s per submission, {jobs} parallel job(s), "
                     f"{'sandbox' if use_sandbox else 'NO SANDBOX'}, limits {limits_text}, "
                     f"{len(todo)} graded in {elapsed:.0f} s")
    records, _ = publish.publish(out_dir, the, general, ignored, roster_lines, settings_text, log)
    graded = {f.student for f in found}
    return [r for r in records if r.student in graded]


def _grade_all(run, todo, log):
    log(f"grading {len(todo)} submission(s), {run.settings.jobs} at a time "
        f"({'quick' if run.settings.quick else 'full'} mode, {run.settings.cell_timeout} s per "
        f"cell, {'sandboxed' if run.settings.use_sandbox else 'NOT sandboxed'})")
    t0 = time.perf_counter()

    def work(item):
        index, found = item
        try:
            rec = pipeline.grade_one(run, found, index)
        except processes.Stopped:
            return
        except Exception as exc:  # one submission never stops the batch
            if processes.stopping():
                return
            rec = pipeline.new_record(found, run)
            rec.problem(f"grading failed: {type(exc).__name__}: {exc}")
            rec.status = "failed"
            rec.save(run.settings.out_dir)
        log(f"  graded {rec.student}" + (f" ({len(rec.problems)} problem(s))"
                                          if rec.problems else ""))

    pool = ThreadPoolExecutor(max_workers=max(1, run.settings.jobs))
    try:
        list(pool.map(work, enumerate(todo)))
    except KeyboardInterrupt:
        processes.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise GradingError("interrupted: every sandbox was stopped; the submissions graded so "
                           "far keep their records, and `--only-changed` grades the rest") \
            from None
    pool.shutdown(wait=True)
    return time.perf_counter() - t0


def rescore(out_dir, assignment=ASSIGNMENT, source=None, log=print):
    """Rebuild every page and file of ``out_dir`` from its records (no notebook runs)."""
    out_dir = Path(out_dir).resolve()
    if not (out_dir / record.RECORDS).is_dir():
        raise GradingError(f"{out_dir} holds no records/: is it the --out folder of a grading run?")
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        the = assignment_mod.load(assignment, source, Path(tmp), log)
    return publish.publish(out_dir, the, the.general, log=log)[0]
