"""Reading and repairing submitted notebooks (the grader's side; no student code runs here).

Finding the submissions in a learning-management system's export is
:mod:`course_grader.lms`'s job.
"""
import json
import re

ASSIGNMENT = "fashion_mnist"
GRADER_NOTE = "**Note from the grader:**"


class GradingError(Exception):
    """A problem that stops the whole grading run (bad arguments, missing tools)."""


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
            except Exception as exc:  # report and give up on this file
                return None, problems + [f"old notebook format that could not be converted ({exc})"]
        if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
            return None, problems + ["the file is valid JSON but not a notebook (no list of cells)"]
        raw_cells = doc["cells"]
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    nb = v4.new_notebook(metadata={k: v for k, v in meta.items()
                                   if k in ("kernelspec", "language_info")})
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
        if want.get("locked") and not want.get("solution") \
                and cell.cell_type == ref[gid].cell_type \
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
        problems.append(f"{what} was missing from the submission; it was restored from the "
                        "assignment")
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


