"""Grade a folder of assignment submissions with nbgrader, in one command.

    course-grade SUBMISSIONS_DIR --out OUTDIR

(also ``python -m course_lib.grading``).  The course itself owns only this thin
workflow; the grading is done by nbgrader:

1. ``OUTDIR/course`` becomes an nbgrader course directory.  The instructor
   version of the assignment (``solutions/<assignment>``) is copied into its
   ``source/`` folder and ``nbgrader generate_assignment`` fills its gradebook
   database with the original test cells and points.
2. Every submission is found (see :func:`discover` for the layouts that are
   understood), read tolerantly, repaired where needed (see :func:`repair`) and
   written to ``OUTDIR/course/submitted/<student>/<assignment>/``.  The files
   in ``SUBMISSIONS_DIR`` are only ever read.
3. ``nbgrader autograde`` runs once per student, two students at a time, with
   a time limit per cell (an endless loop costs one cell, not the batch) and
   one for the whole submission.  nbgrader puts back the original source of
   every test and read-only cell, so edited tests grade nothing.
4. ``nbgrader generate_feedback`` writes one HTML page per student, copied to
   ``OUTDIR/feedback/<student>.html``.
5. ``OUTDIR/gradebook.csv`` gets one row per student and ``OUTDIR/report.md``
   lists every problem met, per student.  An existing ``gradebook.csv`` is never
   overwritten: it is first renamed ``gradebook.<date-time>.csv``.

Re-running the command is safe: the course directory and its gradebook
database (with any manual grades entered in nbgrader's formgrader) are reused,
and every submission is graded again from its original file.

Autograding runs in quick mode (``COURSE_LIB_QUICK=1``) unless ``--full`` is
given; ``COURSE_LIB_DATA`` is passed on to the notebook kernels.

Student code runs with the rights of the person who starts the grader: grade
untrusted submissions inside a container or a throw-away virtual machine.
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ASSIGNMENT = "fashion_mnist"
DEFAULT_OUT = "grading-output"
GRADER_NOTE = "**Note from the grader:**"
_IGNORED_NAMES = {".ipynb_checkpoints", "__MACOSX", ".DS_Store", "Thumbs.db"}


class GradingError(Exception):
    """A problem that stops the whole grading run (bad arguments, missing tools)."""


# --------------------------------------------------------------------------
# Finding submissions
# --------------------------------------------------------------------------

@dataclass
class Submission:
    """One student's submission and what happened to it."""

    student: str
    original: Path
    problems: list = field(default_factory=list)   # file damage, time-outs: worth a look
    notes: list = field(default_factory=list)      # harmless facts (renamed file, exception)
    status: str = "ok"                  # ok | repaired | unreadable | timed out | failed
    original_display: str = ""                     # the original path, relative to the folder

    def problem(self, text):
        self.problems.append(text)


def _sanitize_student_id(name):
    sid = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._-")
    return sid


def student_from_name(stem, assignment=ASSIGNMENT):
    """Student id from a file or folder name as learning-management systems write them.

    - ``alice`` -> ``alice``
    - ``alice_12345_fashion_mnist`` (name, numeric id, original file name) -> ``alice``
    - ``smithalice_LATE_12345_67890_fashion_mnist-1`` (Canvas-like) -> ``smithalice``
    - ``Alice Smith_12345_assignsubmission_file_`` (Moodle-like folder) -> ``Alice_Smith``
    - ``alice_fashion_mnist`` or ``alice-fashion_mnist (1)`` -> ``alice``
    """
    stem = stem.strip()
    m = re.match(r"^(?P<who>.+?)_(?:LATE_)?\d+(?:_|$)", stem)
    if m:
        who = m.group("who")
    else:
        who = re.sub(r"\s*\(\d+\)$", "", stem)               # "alice (1)"
        who = re.sub(r"-Copy\d*$", "", who)                   # Jupyter's "-Copy1"
        who = re.sub(r"[_\- ]+" + re.escape(assignment) + r"$", "", who, flags=re.I)
    return _sanitize_student_id(who)


def _is_ignored(path):
    return path.name in _IGNORED_NAMES or path.name.startswith(".")


def discover(submissions_dir, assignment=ASSIGNMENT):
    """Find the submissions in ``submissions_dir``.

    Understood layouts (they may be mixed):

    - one notebook per student, named by the student: ``alice.ipynb``, or as
      exported by a learning-management system: ``alice_12345_fashion_mnist.ipynb``;
    - one folder per student (``alice/``, ``Alice Smith_12345_assignsubmission_file_/``,
      ``alice/fashion_mnist/``) holding the notebook, whatever its name.  If a
      folder holds several notebooks, ``<assignment>.ipynb`` is graded, else the
      most recently modified one; the others are listed in the report.

    Returns ``(submissions, ignored)``: the list of :class:`Submission` and a
    list of messages about files that were not graded.
    """
    submissions, ignored = [], []
    for entry in sorted(Path(submissions_dir).iterdir()):
        if _is_ignored(entry):
            continue
        if entry.is_file():
            if entry.suffix.lower() != ".ipynb":
                ignored.append(f"{entry.name}: not a notebook (.ipynb), not graded")
                continue
            sid = student_from_name(entry.stem, assignment)
            submissions.append(Submission(sid, entry))
        elif entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb")
                               if not any(_is_ignored(Path(part))
                                          for part in p.relative_to(entry).parts))
            sid = student_from_name(entry.name, assignment)
            if not notebooks:
                ignored.append(f"{entry.name}/: folder without a notebook, not graded")
                continue
            exact = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
            chosen = exact[0] if exact else max(notebooks, key=lambda p: p.stat().st_mtime)
            sub = Submission(sid, chosen)
            if chosen.name != f"{assignment}.ipynb":
                sub.notes.append(f"notebook named '{chosen.name}' instead of "
                                 f"'{assignment}.ipynb'; graded anyway")
            for other in notebooks:
                if other != chosen:
                    sub.problem(f"folder also holds '{other.relative_to(entry)}', which was "
                                f"not graded (only '{chosen.relative_to(entry)}' was)")
            submissions.append(sub)
    # two submissions for one student: grade both, under distinct ids
    by_id = {}
    for sub in submissions:
        base = sub.student or "student"
        sub.student, n = base, 1
        while sub.student in by_id:
            n += 1
            sub.student = f"{base}__{n}"
        by_id[sub.student] = sub
        if n > 1:
            first = by_id[base]
            msg = (f"two submissions for '{base}': '{first.original.name}' is graded as "
                   f"'{base}' and '{sub.original.name}' as '{sub.student}'; decide which one counts")
            first.problem(msg)
            sub.problem(msg)
    return submissions, ignored


# --------------------------------------------------------------------------
# Reading and repairing notebooks
# --------------------------------------------------------------------------

def _salvage_cells(text):
    """Complete cell objects from a damaged notebook text (e.g. cut off mid-way)."""
    decoder = json.JSONDecoder()
    m = re.search(r'"cells"\s*:\s*\[', text)
    if not m:
        return []
    pos, cells = m.end(), []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        if isinstance(obj, dict) and "cell_type" in obj:
            cells.append(obj)
    return cells


def _clean_cell(raw, used_ids):
    """A valid nbformat-4 cell built from a cell dictionary found in a submission."""
    import nbformat.v4 as v4

    source = raw.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    metadata = raw.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    kind = raw.get("cell_type")
    if kind == "code":
        cell = v4.new_code_cell(str(source), metadata=metadata)
    elif kind == "markdown":
        cell = v4.new_markdown_cell(str(source), metadata=metadata)
    elif kind == "raw":
        cell = v4.new_raw_cell(str(source), metadata=metadata)
    else:
        return None
    cid = raw.get("id")
    if isinstance(cid, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cid) and cid not in used_ids:
        cell["id"] = cid
    while cell["id"] in used_ids:
        cell["id"] = v4.new_code_cell()["id"]
    used_ids.add(cell["id"])
    return cell


def read_submission(path):
    """Read a submitted notebook as far as possible.

    Returns ``(notebook, problems)``; ``notebook`` is None when nothing could be
    recovered.  Outputs are dropped (the notebook is executed again anyway).
    """
    import nbformat
    import nbformat.v4 as v4

    problems = []
    data = Path(path).read_bytes()
    if not data.strip():
        return None, ["the file is empty"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        problems.append("the file is not valid UTF-8 text; unreadable characters were replaced")
    raw_cells, meta = None, {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raw_cells = _salvage_cells(text)
        if not raw_cells:
            return None, problems + [f"the file is not a notebook: invalid JSON ({exc})"]
        problems.append(f"the file is damaged (invalid JSON: {exc}); {len(raw_cells)} complete "
                        "cells were recovered")
    else:
        if isinstance(doc, dict) and "worksheets" in doc:          # nbformat 3
            try:
                doc = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
            except Exception as exc:  # noqa: BLE001 - report and give up on this file
                return None, problems + [f"old notebook format that could not be converted ({exc})"]
        if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
            return None, problems + ["the file is valid JSON but not a notebook (no list of cells)"]
        raw_cells = doc["cells"]
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    nb = v4.new_notebook(metadata={k: v for k, v in meta.items() if k in ("kernelspec", "language_info")})
    used, dropped = set(), 0
    for raw in raw_cells:
        cell = _clean_cell(raw, used) if isinstance(raw, dict) else None
        if cell is None:
            dropped += 1
        else:
            nb.cells.append(cell)
    if dropped:
        problems.append(f"{dropped} malformed cell(s) were dropped")
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        return None, problems + [f"the notebook could not be repaired ({exc.message})"]
    return nb, problems


_GRADING_KEYS = ("grade", "solution", "locked", "points", "task")


def _grade_id(cell):
    nbg = cell.get("metadata", {}).get("nbgrader")
    if isinstance(nbg, dict) and isinstance(nbg.get("grade_id"), str):
        return nbg["grade_id"]
    return None


def _describe(ref_cell):
    nbg = ref_cell.metadata.nbgrader
    if nbg.get("grade") and not nbg.get("solution"):
        return f"test cell '{nbg['grade_id']}'"
    if nbg.get("solution"):
        return f"answer cell '{nbg['grade_id']}'"
    return f"read-only cell '{nbg['grade_id']}'"


def _note_cell(text):
    import nbformat.v4 as v4
    return v4.new_markdown_cell(f"> {GRADER_NOTE} {text}")


def repair(nb, release_nb):
    """Bring a submission back into a shape nbgrader can grade with the original tests.

    ``release_nb`` is the student version of the assignment.  For every cell of
    it that nbgrader tracks (tests, read-only cells, answer cells):

    - nbgrader metadata that was changed is put back (nbgrader itself then puts
      back the source of every test and read-only cell);
    - a cell that was deleted is inserted again, after the cell that precedes
      it in the assignment, with a visible note for the student;
    - nbgrader metadata naming a cell the assignment does not have is removed.

    Duplicated cells are left to nbgrader (the last copy is graded, the others
    run as ordinary code) and reported.  Returns ``(notebook, problems)``.
    """
    problems = []
    ref = {_grade_id(c): c for c in release_nb.cells if _grade_id(c)}
    order = [_grade_id(c) for c in release_nb.cells if _grade_id(c)]

    counts = {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None:
            if "nbgrader" in cell.metadata:
                del cell.metadata["nbgrader"]
            continue
        if gid not in ref:
            problems.append(f"a cell carries the id '{gid}', which the assignment does not have; "
                            "it was run as an ordinary cell")
            del cell.metadata["nbgrader"]
            continue
        counts[gid] = counts.get(gid, 0) + 1
        want = ref[gid].metadata.nbgrader
        have = cell.metadata.nbgrader
        if any(have.get(k) != want.get(k) for k in _GRADING_KEYS):
            problems.append(f"{_describe(ref[gid])}: its grading metadata was changed; "
                            "the original was restored")
        cell.metadata["nbgrader"] = json.loads(json.dumps(want))
        if want.get("locked") and not want.get("solution") and cell.cell_type == ref[gid].cell_type \
                and cell.source.strip() != ref[gid].source.strip():
            problems.append(f"{_describe(ref[gid])} was edited; the original was graded")
    for gid, n in counts.items():
        if n > 1:
            problems.append(f"{_describe(ref[gid])} appears {n} times; the last copy is graded, "
                            "the others ran as ordinary cells")
            copies = [c for c in nb.cells if _grade_id(c) == gid]
            for cell in copies[:-1]:
                del cell.metadata["nbgrader"]

    for i, gid in enumerate(order):
        if gid in counts:
            continue
        present = [_grade_id(c) for c in nb.cells]
        before = [g for g in order[:i] if g in present]
        after = [g for g in order[i + 1:] if g in present]
        if before:
            pos = max(k for k, g in enumerate(present) if g == before[-1]) + 1
        elif after:
            pos = min(k for k, g in enumerate(present) if g == after[0])
        else:
            pos = len(nb.cells)
        restored = json.loads(json.dumps(ref[gid]))
        import nbformat
        restored = nbformat.from_dict(restored)
        restored["id"] = f"restored-{gid}"[:64]
        what = _describe(ref[gid])
        nb.cells[pos:pos] = [_note_cell(f"the next cell ({what}) was missing from the "
                                        "submission and has been restored from the assignment."),
                             restored]
        counts[gid] = 1
        problems.append(f"{what} was missing from the submission; it was restored from the assignment")
    return nb, problems


def release_differences(generated, committed):
    """What differs between two versions of a notebook, ignoring outputs and run counts.

    Compares the number of cells and, cell by cell, the type, id, source and
    metadata.  Returns a list of human-readable differences (empty if equal).
    """
    diffs = []
    a, b = generated.cells, committed.cells
    if len(a) != len(b):
        diffs.append(f"{len(a)} cells generated, {len(b)} committed")
    for i, (x, y) in enumerate(zip(a, b)):
        for key in ("cell_type", "id", "source", "metadata"):
            if x.get(key) != y.get(key):
                diffs.append(f"cell {i}: {key} differs")
    return diffs


# --------------------------------------------------------------------------
# Running nbgrader
# --------------------------------------------------------------------------

def _nbgrader(args, cwd, env, timeout=None, log_path=None):
    """Run ``python -m nbgrader ARGS`` in its own process group.

    Returns ``(returncode, output)``; returncode is None when it ran out of time
    (the process group is then stopped).
    """
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        out = (proc.stdout.read() if proc.stdout else "") or ""
        rc = None
    if log_path is not None:
        Path(log_path).write_text(out, encoding="utf-8")
    return rc, out


def _last_error(output, n=3):
    lines = [ln for ln in output.splitlines() if "ERROR" in ln or "Error" in ln]
    return " | ".join(ln.strip() for ln in lines[-n:]) or (output.strip().splitlines() or [""])[-1]


def find_source(assignment, source=None):
    """The folder holding the instructor version of ``assignment``."""
    if source is not None:
        candidates = [Path(source)]
    else:
        candidates = [Path.cwd() / "solutions", Path(__file__).resolve().parents[1] / "solutions"]
    for base in candidates:
        if (base / assignment / f"{assignment}.ipynb").is_file():
            return base
    raise GradingError(
        f"cannot find the instructor version '{assignment}/{assignment}.ipynb' in "
        + " or ".join(str(c) for c in candidates)
        + ". Run the command from the course repository or pass --source path/to/solutions.")


def prepare_course(course_dir, source_dir, assignment, cell_timeout, env):
    """Create or refresh the nbgrader course directory; return the release notebook."""
    import nbformat

    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(
        "# Written by course-grade; the course directory of one grading run.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Execute.timeout = {int(cell_timeout)}\n"
        f"c.ExecutePreprocessor.timeout = {int(cell_timeout)}\n",
        encoding="utf-8")
    src = course_dir / "source" / assignment
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(Path(source_dir) / assignment, src,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    rc, out = _nbgrader(["generate_assignment", assignment, "--force"], course_dir, env,
                        log_path=course_dir / "generate_assignment.log")
    if rc != 0:
        raise GradingError("nbgrader generate_assignment failed (see "
                           f"{course_dir / 'generate_assignment.log'}): {_last_error(out)}")
    db = course_dir / "gradebook.db"
    with sqlite3.connect(db) as con:                 # readers and one writer at a time
        con.execute("PRAGMA journal_mode=WAL")
    return nbformat.read(course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def _execution_findings(nb_path, cell_timeout):
    """Time-outs and exceptions seen in an autograded notebook."""
    import nbformat

    problems, notes = [], []
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except Exception as exc:  # noqa: BLE001
        return [f"the autograded notebook could not be read ({exc})"], notes
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        nbg = cell.metadata.get("nbgrader", {})
        name = f"cell '{nbg['grade_id']}'" if nbg.get("grade_id") else f"cell {i + 1}"
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            if out.get("ename") == "CellTimeoutError":
                problems.append(f"{name} was stopped after the {cell_timeout} s time limit "
                                "(endless loop or far too slow)")
            elif not nbg.get("grade") and out.get("ename") != "KeyboardInterrupt":
                notes.append(f"{name} raised {out.get('ename')}: {str(out.get('evalue'))[:120]}")
    return problems, notes


def autograde_student(course_dir, assignment, sub, env, cell_timeout, submission_timeout):
    """Autograde one prepared submission (retrying when the database was busy)."""
    log_dir = course_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    args = ["autograde", assignment, "--student", sub.student, "--force",
            f"--Execute.timeout={int(cell_timeout)}"]
    for attempt in range(3):
        rc, out = _nbgrader(args, course_dir, env, timeout=submission_timeout,
                            log_path=log_dir / f"{sub.student}.log")
        if rc is None:
            sub.problem(f"autograding did not finish within {submission_timeout} s and was "
                        "stopped; cells not reached score 0")
            sub.status = "failed"
            return
        if rc == 0:
            break
        if "database is locked" not in out:
            break
        time.sleep(1 + attempt)
    nb_path = course_dir / "autograded" / sub.student / assignment / f"{assignment}.ipynb"
    if rc != 0:
        sub.problem(f"nbgrader could not autograde this submission: {_last_error(out)} "
                    f"(log: course/logs/{sub.student}.log)")
        sub.status = "failed"
    if nb_path.exists():
        problems, notes = _execution_findings(nb_path, cell_timeout)
        if problems and sub.status == "ok":
            sub.status = "timed out"
        sub.problems.extend(problems)
        sub.notes.extend(notes)


# --------------------------------------------------------------------------
# Gradebook and report
# --------------------------------------------------------------------------

def _fmt(x):
    if x is None or x == "":
        return ""
    return f"{float(x):g}"


def collect_rows(course_dir, assignment, submissions, out_dir):
    """One gradebook row per submission, read from nbgrader's database."""
    from nbgrader.api import Gradebook, MissingEntry

    rows, cell_names = [], []
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        nb_entry = gb.find_notebook(assignment, assignment)
        for gc in nb_entry.grade_cells:
            cell_names.append(gc.name)
        for sub in submissions:
            row = {"student": sub.student, "submission": sub.original_display,
                   "status": sub.status}
            try:
                snb = gb.find_submission_notebook(assignment, assignment, sub.student)
                grades = {g.name: g for g in snb.grades}
            except MissingEntry:
                grades = {}
            auto = auto_max = written = written_max = 0.0
            pending = False
            for name in cell_names:
                g = grades.get(name)
                if g is None:
                    row[name] = ""
                    continue
                if g.cell_type == "code":
                    auto += float(g.score or 0)
                    auto_max += float(g.max_score)
                    row[name] = _fmt(g.score)
                else:
                    written_max += float(g.max_score)
                    if g.manual_score is None:
                        pending = True
                        row[name] = ""
                    else:
                        written += float(g.score)
                        row[name] = _fmt(g.score)
            row.update({
                "autograded_score": _fmt(auto), "autograded_max": _fmt(auto_max),
                "written_score": "" if pending and written == 0 else _fmt(written),
                "written_max": _fmt(written_max),
                "needs_manual_grading": "yes" if pending else "no",
                "total_score": _fmt(auto + written), "total_max": _fmt(auto_max + written_max),
                "problems": len(sub.problems),
                "feedback": (f"feedback/{sub.student}.html"
                             if (out_dir / "feedback" / f"{sub.student}.html").exists() else ""),
            })
            rows.append(row)
    head = ["student", "submission", "status", "autograded_score", "autograded_max",
            "written_score", "written_max", "needs_manual_grading", "total_score", "total_max",
            "problems", "feedback"]
    return rows, head + cell_names


def write_gradebook(path, rows, columns):
    """Write the CSV; an existing file is first kept as ``gradebook.<timestamp>.csv``.

    The new CSV is written completely to a temporary file before anything is
    renamed, so an interruption leaves the earlier gradebook where it was.
    """
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
    lines = ["# Grading report", "", f"Generated {datetime.now():%Y-%m-%d %H:%M:%S}. "
             f"Settings: {settings}.", ""]
    n_prob = sum(1 for s in submissions if s.problems)
    lines += [f"- submissions graded: {len(submissions)}",
              f"- submissions with problems: {n_prob}",
              f"- files not graded: {len(ignored)}", ""]
    if general:
        lines += ["## General", ""] + [f"- {g}" for g in general] + [""]
    if ignored:
        lines += ["## Files not graded", ""] + [f"- {g}" for g in ignored] + [""]
    lines += ["## Students", ""]
    by_student = {r["student"]: r for r in rows}
    for sub in submissions:
        r = by_student.get(sub.student, {})
        score = f"{r.get('autograded_score', '?')}/{r.get('autograded_max', '?')} autograded"
        if r.get("needs_manual_grading") == "yes":
            score += ", written answers still to grade"
        lines.append(f"### {sub.student} ({sub.status}; {score})")
        lines.append(f"File: {sub.original_display}")
        lines += [f"- PROBLEM: {p}" for p in sub.problems]
        lines += [f"- note: {n}" for n in sub.notes]
        if not sub.problems and not sub.notes:
            lines.append("- no problems")
        lines.append("")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------

def grade(submissions_dir, out_dir, assignment=ASSIGNMENT, source=None, jobs=2,
          cell_timeout=60, submission_timeout=600, quick=True, data_dir=None, log=print):
    """Grade every submission in ``submissions_dir``; see the module docstring.

    Returns the list of :class:`Submission` objects (with their problems).
    """
    import nbformat

    try:
        import nbgrader  # noqa: F401
    except ImportError as exc:
        raise GradingError("nbgrader is not installed: pip install -e '.[instructor]'") from exc
    submissions_dir = Path(submissions_dir).resolve()
    out_dir = Path(out_dir).resolve()
    if not submissions_dir.is_dir():
        raise GradingError(f"submissions folder '{submissions_dir}' does not exist or is not a folder")
    if out_dir == submissions_dir or submissions_dir in out_dir.parents \
            or out_dir in submissions_dir.parents:
        raise GradingError("the output folder must not be inside the submissions folder (or the "
                           "other way round): choose another --out")
    source_dir = find_source(assignment, source)
    course_dir = out_dir / "course"
    out_dir.mkdir(parents=True, exist_ok=True)

    env = os.environ.copy()
    if quick:
        env["COURSE_LIB_QUICK"] = "1"
    else:
        env.pop("COURSE_LIB_QUICK", None)
    if data_dir is not None:
        env["COURSE_LIB_DATA"] = str(Path(data_dir).resolve())
    env.setdefault("MPLBACKEND", "Agg")
    # the kernels import the same course_lib as the grader
    lib_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([lib_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    # nbgrader calls helper programs (alembic) installed next to this Python
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if jobs > 1:                                    # one BLAS thread per kernel
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
    general = []
    if "COURSE_LIB_DATA" not in env:
        general.append("COURSE_LIB_DATA is not set: notebooks look for the data in the "
                       "library's default place")

    log(f"preparing the nbgrader course directory in {course_dir}")
    release_nb = prepare_course(course_dir, source_dir, assignment, cell_timeout, env)
    committed = source_dir.parent / "assignments" / assignment / f"{assignment}.ipynb"
    if committed.exists():
        diffs = release_differences(release_nb, nbformat.read(committed, as_version=4))
        if diffs:
            general.append(f"the student version in {committed.parent.parent.name}/{assignment} "
                           "differs from what the instructor version generates "
                           f"({'; '.join(diffs[:3])}); students may have worked on an outdated "
                           "version: run `nbgrader generate_assignment` and commit the result")

    submissions, ignored = discover(submissions_dir, assignment)
    if not submissions:
        general.append("no submissions found")
    for sub in submissions:
        sub.original_display = str(sub.original.relative_to(submissions_dir))
        dest = course_dir / "submitted" / sub.student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        nb, problems = read_submission(sub.original)
        sub.problems.extend(problems)
        if nb is None:
            sub.status = "unreadable"
            sub.problem("nothing could be recovered: graded as an empty submission (0 points); "
                        "the original file is untouched, ask the student to upload it again")
            nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
            nb.cells.insert(0, _note_cell("your submitted file could not be read ("
                                          + "; ".join(problems) + "), so this empty copy of "
                                          "the assignment was graded instead."))
        else:
            nb, problems = repair(nb, release_nb)
            sub.problems.extend(problems)
            if sub.problems:
                sub.status = "repaired"
                nb.cells.insert(0, _note_cell(
                    "your notebook was graded with these corrections: "
                    + "; ".join(sub.problems) + "."))
        nbformat.write(nb, dest / f"{assignment}.ipynb")

    log(f"autograding {len(submissions)} submission(s), {jobs} at a time "
        f"({'quick' if quick else 'full'} mode, {cell_timeout} s per cell)")
    t0 = time.perf_counter()

    def work(sub):
        autograde_student(course_dir, assignment, sub, env, cell_timeout, submission_timeout)
        log(f"  graded {sub.student}" + (f" ({len(sub.problems)} problem(s))" if sub.problems else ""))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(work, submissions))
    elapsed = time.perf_counter() - t0

    if submissions:
        log("writing feedback")
        rc, out = _nbgrader(["generate_feedback", assignment, "--force"], course_dir, env,
                            log_path=course_dir / "logs" / "generate_feedback.log")
        if rc != 0:
            general.append(f"nbgrader generate_feedback reported errors: {_last_error(out)}")
        fb_dir = out_dir / "feedback"
        fb_dir.mkdir(exist_ok=True)
        for sub in submissions:
            html = course_dir / "feedback" / sub.student / assignment / f"{assignment}.html"
            target = fb_dir / f"{sub.student}.html"
            if html.exists():
                shutil.copyfile(html, target)
            else:
                if target.exists():
                    target.unlink()
                sub.problem("no feedback page could be generated")

    rows, columns = collect_rows(course_dir, assignment, submissions, out_dir)
    backup = write_gradebook(out_dir / "gradebook.csv", rows, columns)
    if backup is not None:
        general.append(f"the previous gradebook.csv was kept as {backup.name}")
    settings = (f"{'quick' if quick else 'full'} mode, {cell_timeout} s per cell, "
                f"{submission_timeout} s per submission, {jobs} parallel job(s), "
                f"autograding took {elapsed:.0f} s")
    write_report(out_dir / "report.md", submissions, ignored, general, rows, settings)
    log(f"done: {out_dir / 'gradebook.csv'}, {out_dir / 'report.md'}, {out_dir / 'feedback'}/")
    return submissions


def build_parser():
    p = argparse.ArgumentParser(
        prog="course-grade",
        description="Grade a folder of notebook submissions with nbgrader: writes "
                    "OUT/gradebook.csv, OUT/feedback/<student>.html and OUT/report.md.")
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
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.jobs < 1 or args.cell_timeout < 1 or args.submission_timeout < 1:
        print("course-grade: --jobs and the time limits must be positive numbers", file=sys.stderr)
        return 2
    try:
        subs = grade(args.submissions, args.out, assignment=args.assignment, source=args.source,
                     jobs=args.jobs, cell_timeout=args.cell_timeout,
                     submission_timeout=args.submission_timeout, quick=not args.full,
                     data_dir=args.data_dir)
    except GradingError as exc:
        print(f"course-grade: {exc}", file=sys.stderr)
        return 2
    n = sum(1 for s in subs if s.problems)
    print(f"{len(subs)} submission(s) graded, {n} with problems (see report.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
