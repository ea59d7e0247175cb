"""Scores computed outside the student's reach.

Beside the instructor version of an assignment, ``trusted_checks.py`` (owned
by the instructor, never copied into a sandbox) lists the autograded parts in
``PARTS``; each is a :class:`Part`:

- ``grade_id`` and ``points``: the nbgrader test cell it scores;
- ``inputs(rng, ctx)``: a dict of arrays, drawn fresh for every grading run
  from a secret seed, written into the submission's work folder;
- ``probe``: Python source the grader inserts into the notebook right after
  that test cell.  It runs in the sandbox, in the notebook's namespace, reads
  ``INPUTS`` and stores the student's results in ``OUTPUTS`` (arrays, saved
  as ``.npz`` without pickle, see :mod:`course_grader.probe`);
- ``score(inputs, outputs, ctx)``: runs in the grader, on the saved arrays,
  recomputes the expected values with the trusted reference code and returns
  ``(points, message)``;
- ``forbidden``: names whose appearance in the answer cells ``answer_cells``
  voids the part (a reference implementation handed in as one's own).

``FILES`` (optional) names the files handed in with the notebook that the
grader puts next to it (at most 256 MiB each).

``ctx`` holds ``quick`` (the mode), ``answers`` (the answer cells' sources by
grade id) and, for scorers, ``load_test_set`` (a function returning the test
images and labels, read by the grader).
"""
from __future__ import annotations

import importlib.util
import io
import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .probe import IN_DIR, OUT_DIR
from .submissions import read_limited

MAX_RESULT_BYTES = 256 * 1024 * 1024
PROBE_PREFIX = "grader-probe-"


@dataclass
class Part:
    grade_id: str
    points: float
    inputs: Callable
    probe: str
    score: Callable
    answer_cells: tuple = ()
    forbidden: tuple = ()
    description: str = ""


@dataclass
class Result:
    """The trusted score of one part."""

    grade_id: str
    points: float
    max_points: float
    message: str
    notebook_passed: bool | None = None      # what the notebook's own test said
    details: dict = field(default_factory=dict)


def load_spec(path, with_files=False):
    """The ``PARTS`` of a ``trusted_checks.py`` file, checked.

    With ``with_files``, returns ``(parts, files)``: ``FILES`` lists the names of
    other files the students hand in with the notebook (a trained model), which
    the grader copies next to the notebook it runs.
    """
    spec = importlib.util.spec_from_file_location("trusted_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parts = list(getattr(module, "PARTS", []))
    ids = [p.grade_id for p in parts]
    if not parts or len(set(ids)) != len(ids):
        raise ValueError(f"{path}: PARTS must list each autograded part once")
    files = [str(f) for f in getattr(module, "FILES", ())]
    if any("/" in f or f.startswith(".") or not f for f in files):
        raise ValueError(f"{path}: FILES must be plain file names")
    return (parts, files) if with_files else parts


def probe_cell(part):
    """The code cell that runs ``part``'s probe in the notebook."""
    import nbformat.v4 as v4

    src = (f"# added by the grader: saves what your code returns for fresh inputs\n"
           f"import course_grader.probe as _grader_probe\n"
           f"_grader_probe.run({part.grade_id!r}, {part.probe!r}, globals())\n"
           f"del _grader_probe")
    cell = v4.new_code_cell(src)
    cell["id"] = (PROBE_PREFIX + part.grade_id)[:64]
    cell.metadata["grader_probe"] = part.grade_id
    return cell


def write_inputs(parts, workdir, seed, ctx):
    """Draw every part's inputs from ``seed`` and save them in ``workdir``; return them."""
    folder = workdir / IN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for k, part in enumerate(parts):
        rng = np.random.default_rng([seed, k])
        arrays = {key: np.asarray(v) for key, v in part.inputs(rng, ctx).items()}
        np.savez(folder / f"{part.grade_id}.npz", **arrays)
        drawn[part.grade_id] = arrays
    return drawn


def read_outputs(workdir, grade_id):
    """The arrays a probe saved, read without following links and without pickle.

    Returns ``(arrays, note)``; arrays is None when nothing usable was saved.
    """
    note = {}
    try:
        raw = read_limited(workdir / OUT_DIR / f"{grade_id}.json", 64 * 1024)
        if raw is not None:
            loaded = json.loads(raw.decode("utf-8", errors="replace"))
            note = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    try:
        raw = read_limited(workdir / OUT_DIR / f"{grade_id}.npz", MAX_RESULT_BYTES)
        if raw is None:
            return None, {"error": "the saved results are too large"}
        import zipfile
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:     # no zip bomb: sizes once unpacked
            if sum(info.file_size for info in archive.infolist()) > MAX_RESULT_BYTES:
                return None, {"error": "the saved results are too large"}
        with np.load(io.BytesIO(raw), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        return None, {"error": note.get("error") or "this part was not reached (no results saved)"}
    except Exception as exc:                        # noqa: BLE001 - damaged file
        return None, {"error": f"the saved results could not be read ({type(exc).__name__})"}
    return arrays, note


def _mentions(source, names):
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
    return sorted(n for n in names if n in words)


def score_part(part, inputs, workdir, ctx):
    """The trusted score of one part, from the files its probe left."""
    used = _mentions("\n".join(ctx["answers"].get(g, "") for g in part.answer_cells),
                     part.forbidden)
    if used:
        return Result(part.grade_id, 0.0, part.points,
                      f"the answer uses {', '.join(used)}, which this part must not use")
    outputs, note = read_outputs(workdir, part.grade_id)
    if outputs is None:
        return Result(part.grade_id, 0.0, part.points, note.get("error") or "no results")
    try:
        points, message = part.score(inputs, outputs, ctx)
    except Exception as exc:                        # noqa: BLE001 - malformed outputs
        points, message = 0.0, f"the results are not what was asked for ({type(exc).__name__}: {exc})"
        if note.get("error"):
            message = note["error"]
    points = float(min(max(points, 0.0), part.points))
    if points < part.points and note.get("error") and note["error"] not in message:
        message = f"{message}; your code raised {note['error']}"
    return Result(part.grade_id, points, part.points, message[:600])
