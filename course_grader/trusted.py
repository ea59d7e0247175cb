"""Scores computed outside the student's reach: the parts of an assignment and their checks.

Beside the instructor version of an assignment, ``trusted_checks.py`` (owned
by the instructor, never copied into a sandbox) lists the autograded parts in
``PARTS``; each is a :class:`Part`:

- ``grade_id`` and ``points``: the nbgrader test cell it scores;
- ``inputs(rng, ctx)``: a dict of arrays: the cases the notebook's own test
  cell checks, and fresh cases drawn from ``rng``, which comes from a secret
  seed and the student's id (so a re-grade draws the same cases, and two
  students different ones);
- ``probe``: Python source the grader inserts into the notebook right after
  that test cell.  It runs in the sandbox, in the notebook's namespace, reads
  ``INPUTS`` and stores what the student's code returns in ``OUTPUTS``
  (arrays, saved as ``.npz`` without pickle, see :mod:`course_grader.probe`);
- ``score(inputs, outputs, ctx)``: runs in a scoring process of the grader
  (:mod:`course_grader.scoring`), never in the sandbox, recomputes the expected
  values with the course's reference code and returns a :class:`Verdict`.

The module may also define ``FILES`` (files handed in with the notebook, put
next to it), ``SANDBOX_STUBS`` (what of course_lib the sandbox must not
offer, see :mod:`course_grader.library`), ``EXPECTED`` (a function writing
the expected values of the notebook's own test cases, for the test cells to
compare with inside the sandbox, where no reference code exists) and
``WRITTEN`` (the written questions' titles and rubrics, read from the
instructor version when absent).

``ctx`` holds ``quick`` (the mode), ``answers`` (the answer cells' sources by
grade id), ``data_dir`` and ``work`` (the folder with the files the student
handed in).
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .probe import IN_DIR
from .submissions import read_limited

MAX_RESULT_BYTES = 256 * 1024 * 1024


@dataclass
class Verdict:
    """What a part's check decided.

    ``fixed`` is the verdict on the cases the notebook's own test cell checks
    (True: all pass, False: one fails, None: not comparable): the grader flags
    a submission only when the notebook's test passed where the same cases,
    recomputed here, fail.
    """

    points: float
    message: str
    fixed: bool | None = None
    details: dict = field(default_factory=dict)


@dataclass
class Part:
    grade_id: str
    points: float
    inputs: Callable
    probe: str
    score: Callable
    answer_cells: tuple = ()
    title: str = ""
    needs_probe: bool = True     # False: scored from the files handed in, whatever the notebook did


@dataclass
class Result:
    """The trusted score of one part, as the gradebook and the feedback page show it."""

    grade_id: str
    points: float
    max_points: float
    message: str
    fixed: bool | None = None
    notebook_passed: bool | None = None      # what the notebook's own test said
    title: str = ""

    def as_dict(self):
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass
class Spec:
    """What ``trusted_checks.py`` defines."""

    parts: list
    files: list
    stubs: dict
    expected: Callable | None
    module: object
    path: str


def load_spec(path):
    """The checked :class:`Spec` of a ``trusted_checks.py`` file."""
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
    stubs = dict(getattr(module, "SANDBOX_STUBS", {}))
    return Spec(parts, files, stubs, getattr(module, "EXPECTED", None), module, str(path))


def part_seed(secret, student, grade_id):
    """The seed of one part's fresh cases: the same for a re-grade, different per student."""
    digest = hashlib.sha256(f"{secret}\0{student}\0{grade_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw_inputs(part, secret, student, ctx):
    """The arrays of ``part``'s cases for ``student`` (deterministic)."""
    rng = np.random.default_rng(part_seed(secret, student, part.grade_id))
    return {key: np.asarray(v) for key, v in part.inputs(rng, ctx).items()}


def write_inputs(parts, workdir, secret, student, ctx):
    """Draw every part's inputs and save them in ``workdir`` for the probes."""
    folder = workdir / IN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for part in parts:
        np.savez(folder / f"{part.grade_id}.npz", **draw_inputs(part, secret, student, ctx))


def read_outputs(folder, grade_id):
    """The arrays a probe saved in ``folder``, read without following links and without pickle.

    Returns ``(arrays, note)``; arrays is None when nothing usable was saved.
    """
    note = {}
    try:
        raw = read_limited(folder / f"{grade_id}.json", 64 * 1024)
        if raw is not None:
            loaded = json.loads(raw.decode("utf-8", errors="replace"))
            note = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    try:
        raw = read_limited(folder / f"{grade_id}.npz", MAX_RESULT_BYTES)
        if raw is None:
            return None, {"error": "the saved results are too large"}
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:     # no zip bomb: sizes once unpacked
            if sum(info.file_size for info in archive.infolist()) > MAX_RESULT_BYTES:
                return None, {"error": "the saved results are too large"}
        with np.load(io.BytesIO(raw), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        return None, {"error": note.get("error") or "this part was not reached (no results saved)"}
    except Exception as exc:  # damaged file
        return None, {"error": f"the saved results could not be read ({type(exc).__name__})"}
    return arrays, note


def score_part(part, inputs, folder, ctx):
    """The trusted :class:`Result` of one part, from the files its probe left in ``folder``."""
    outputs, note = read_outputs(folder, part.grade_id)
    if outputs is None and not part.needs_probe:
        outputs, note = {}, {}
    if outputs is None:
        return Result(part.grade_id, 0.0, part.points, note.get("error") or "no results",
                      fixed=False, title=part.title)
    try:
        verdict = part.score(inputs, outputs, ctx)
        if not isinstance(verdict, Verdict):
            verdict = Verdict(*verdict)
    except Exception as exc:  # malformed outputs
        verdict = Verdict(0.0, f"the results are not what was asked for ({type(exc).__name__}: "
                          f"{exc})", fixed=False)
        if note.get("error"):
            verdict.message = note["error"]
    points = float(min(max(verdict.points, 0.0), part.points))
    message = verdict.message
    if points < part.points and note.get("error") and note["error"] not in message:
        message = f"{message}; your code raised {note['error']}"
    return Result(part.grade_id, points, part.points, message[:800], fixed=verdict.fixed,
                  title=part.title)


def score_here(part, namespace, folder, secret, student):
    """Probe and score ``part`` as a grading run would, with the probe run in *this* process
    on ``namespace`` (a notebook's namespace the caller built).

    For the tests and benchmarks of the checks (the instructor's answers, the answer corpus):
    ``course-grade`` never calls it, since it never runs student code in its own process.
    """
    import os

    from .probe import OUT_DIR, probe_source

    folder.mkdir(parents=True, exist_ok=True)
    ctx = {"quick": True, "answers": {}, "data_dir": None, "work": folder / "files"}
    here = os.getcwd()
    os.chdir(folder)
    try:
        write_inputs([part], folder, secret, student, ctx)
        exec(compile(probe_source(part.grade_id, part.probe), "<probe>", "exec"), namespace)
    finally:
        os.chdir(here)
    return score_part(part, draw_inputs(part, secret, student, ctx), folder / OUT_DIR, ctx)

