"""Finding, reading and repairing submissions (the grader's side; no student code runs here)."""
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ASSIGNMENT = "fashion_mnist"
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
    attachments: dict = field(default_factory=dict)  # files handed in with it: name -> path

    def problem(self, text):
        self.problems.append(text)


def _sanitize_student_id(name):
    """A readable id usable as a file name: letters and digits of any script are kept.

    The name is put in Unicode normal form NFC; every run of other characters
    (spaces, punctuation, path separators, control characters) becomes ``_``.
    """
    name = unicodedata.normalize("NFC", name.strip())
    sid = re.sub(r"[^\w.-]+|_+", "_", name).strip("._-")
    return sid[:80].rstrip("._-")


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


def _is_junk(name):
    return name in _IGNORED_NAMES


def _walk_notebooks(folder, ignored, shown):
    """Notebooks below ``folder`` (symbolic links and dot-files reported, never followed)."""
    found = []
    for entry in sorted(Path(folder).iterdir()):
        rel = f"{shown}/{entry.name}"
        if _is_junk(entry.name):
            continue
        if entry.is_symlink():
            ignored.append(f"{rel}: a symbolic link, refused (only real files are graded)")
        elif entry.name.startswith("."):
            if entry.suffix.lower() == ".ipynb" or entry.is_dir():
                ignored.append(f"{rel}: a hidden name (starts with a dot), not graded")
        elif entry.is_dir():
            found += _walk_notebooks(entry, ignored, rel)
        elif entry.is_file() and entry.suffix.lower() == ".ipynb":
            found.append(entry)
    return found


def _attachment_owner(name, files, assignment):
    """For a top-level file handed in beside a notebook (``alice_fashion_mnist_model.npz``):
    ``(file name, student id)``, or None."""
    for wanted in files:
        if name.lower().endswith(wanted.lower()) and len(name) > len(wanted):
            prefix = name[: -len(wanted)].rstrip("_- .")
            if prefix:
                return wanted, student_from_name(prefix, assignment)
    return None


def discover(submissions_dir, assignment=ASSIGNMENT, files=()):
    """Find the submissions in ``submissions_dir``.

    Understood layouts (they may be mixed):

    - one notebook per student, named by the student: ``alice.ipynb``, or as
      exported by a learning-management system: ``alice_12345_fashion_mnist.ipynb``;
    - one folder per student (``alice/``, ``Alice Smith_12345_assignsubmission_file_/``,
      ``alice/fashion_mnist/``) holding the notebook, whatever its name.  If a
      folder holds several notebooks, ``<assignment>.ipynb`` is graded, else the
      most recently modified one; the others are listed in the report.

    ``files`` names the other files an assignment asks for (a trained model):
    found in the student's folder, or beside a single notebook with the
    student's name in front (``alice_fashion_mnist_model.npz``), they go in
    ``Submission.attachments``.  Symbolic links are refused and names starting
    with a dot are not graded; both are listed.  Returns ``(submissions, ignored)``: the list of
    :class:`Submission`, sorted by student id, and a list of messages about
    files that were not graded.
    """
    submissions, ignored, loose = [], [], []
    for entry in sorted(Path(submissions_dir).iterdir()):
        if _is_junk(entry.name):
            continue
        if entry.is_symlink():
            ignored.append(f"{entry.name}: a symbolic link, refused (only real files are graded)")
        elif entry.name.startswith("."):
            ignored.append(f"{entry.name}: a hidden name (starts with a dot), not graded")
        elif entry.is_file():
            if entry.suffix.lower() != ".ipynb":
                owner = _attachment_owner(entry.name, files, assignment)
                if owner:
                    loose.append((entry, *owner))
                else:
                    ignored.append(f"{entry.name}: not a notebook (.ipynb), not graded")
                continue
            sid = student_from_name(entry.stem, assignment)
            submissions.append(Submission(sid, entry))
        elif entry.is_dir():
            notebooks = _walk_notebooks(entry, ignored, entry.name)
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
            for wanted in files:
                beside = chosen.parent / wanted
                found = [beside] if beside.is_file() and not beside.is_symlink() else sorted(
                    p for p in entry.rglob(wanted) if p.is_file() and not p.is_symlink()
                    and not any(part.startswith(".") for part in p.relative_to(entry).parts))
                if found:
                    sub.attachments[wanted] = found[0]
            submissions.append(sub)
        else:
            ignored.append(f"{entry.name}: not a regular file or folder, not graded")
    for path, wanted, sid in loose:
        owners = [s for s in submissions if s.student == sid]
        if len(owners) == 1 and wanted not in owners[0].attachments:
            owners[0].attachments[wanted] = path
        else:
            ignored.append(f"{path.name}: not a notebook, and not clearly handed in with one "
                           "student's notebook; not used")
    # two submissions for one student (also names equal but for case): distinct ids
    by_id = {}
    for sub in submissions:
        base = sub.student or "student"
        sub.student, n = base, 1
        while sub.student.casefold() in by_id:
            n += 1
            sub.student = f"{base}__{n}"
        by_id[sub.student.casefold()] = sub
        if n > 1:
            first = by_id[base.casefold()]
            msg = (f"two submissions for '{base}': '{first.original.name}' is graded as "
                   f"'{first.student}' and '{sub.original.name}' as '{sub.student}'; "
                   "decide which one counts")
            first.problem(msg)
            sub.problem(msg)
    submissions.sort(key=lambda s: s.student)
    return submissions, ignored


MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def read_limited(path, limit=MAX_NOTEBOOK_BYTES):
    """The bytes of a regular file, never following a symbolic link; None if over ``limit``.

    Raises OSError for anything that is not a regular file (a link, a FIFO, a device).
    """
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path} is not a regular file")
        if info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
        return None if len(data) > limit else data
    finally:
        os.close(fd)


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
    try:
        data = read_limited(path)
    except OSError as exc:
        return None, [f"the file could not be read ({exc})"]
    if data is None:
        return None, [f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB"]
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


def grade_id_of(cell):
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


def note_cell(text):
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
    ref = {grade_id_of(c): c for c in release_nb.cells if grade_id_of(c)}
    order = [grade_id_of(c) for c in release_nb.cells if grade_id_of(c)]

    counts = {}
    for cell in nb.cells:
        gid = grade_id_of(cell)
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
            copies = [c for c in nb.cells if grade_id_of(c) == gid]
            for cell in copies[:-1]:
                del cell.metadata["nbgrader"]

    for i, gid in enumerate(order):
        if gid in counts:
            continue
        present = [grade_id_of(c) for c in nb.cells]
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
        nb.cells[pos:pos] = [note_cell(f"the next cell ({what}) was missing from the "
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


