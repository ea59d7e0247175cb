"""The instructor's side of an assignment: what every submission is graded against.

:func:`load` reads, once per grading run, the instructor version of the
assignment (``solutions/<name>/<name>.ipynb``), its trusted checks
(``trusted_checks.py``), the student version that nbgrader generates from it,
the written questions with their rubrics, and the course's own code (for the
similarity report).  :func:`graded_notebook` then turns a repaired
submission into the notebook that runs in the sandbox.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import probe, trusted
from .submissions import GradingError, grade_id_of, release_differences

SPEC_NAME = "trusted_checks.py"
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@dataclass
class Question:
    """A written question: graded by hand."""

    grade_id: str
    points: float
    title: str
    text: str          # the question as the students read it
    rubric: str        # the model answer and rubric of the instructor version


@dataclass
class Edition:
    """The assignment in one language: the same cells and grade ids, other words."""

    language: str
    instructor_nb: object
    release_nb: object
    sources: dict                      # grade id -> source of every locked cell, hidden tests in
    title: str


@dataclass
class Assignment:
    name: str
    source_dir: Path
    instructor_nb: object
    release_nb: object
    spec: trusted.Spec
    sources: dict                      # grade id -> source of every locked cell, hidden tests in
    tests: dict                        # autograded test cell -> points
    questions: list                    # of Question
    answer_cells: list                 # grade ids of the code answer cells
    title: str = ""
    general: list = field(default_factory=list)   # remarks for the report
    editions: dict = field(default_factory=dict)  # language -> Edition ("en" always)

    @property
    def parts(self):
        return self.spec.parts

    def edition_of(self, nb):
        """The edition a submitted notebook was made from: the one whose read-only and test
        cells it holds most of, unchanged (English when none fits better)."""
        def matches(edition):
            return sum(1 for c in nb.cells if edition.sources.get(grade_id_of(c)) is not None
                       and c.source.strip() == edition.sources[grade_id_of(c)].strip())
        best = max(self.editions.values(), key=lambda e: (matches(e), e.language == "en"))
        return best

    @property
    def max_autograded(self):
        return float(sum(self.tests.values()))

    @property
    def max_written(self):
        return float(sum(q.points for q in self.questions))


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
           "--CourseDirectory.ignore=['.ipynb_checkpoints', '*.pyc', '__pycache__', "
           f"'{SPEC_NAME}', '*_model.npz']"]
    proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, timeout=300)
    (dest / "generate_assignment.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    nb_path = dest / "release" / assignment / f"{assignment}.ipynb"
    if proc.returncode != 0 or not nb_path.exists():
        raise GradingError("nbgrader generate_assignment failed (see "
                           f"{dest / 'generate_assignment.log'})")
    return nbformat.read(nb_path, as_version=4)


def graded_sources(instructor_nb):
    """Source of every locked cell as it is graded: hidden tests in, their markers out."""
    sources = {}
    for cell in instructor_nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("locked") and not nbg.get("solution") and nbg.get("grade_id"):
            lines = [ln for ln in cell.source.splitlines() if ln.strip() not in HIDDEN]
            sources[nbg["grade_id"]] = "\n".join(lines)
    return sources


def _load_spec(source_dir, assignment, tests):
    path = source_dir / assignment / SPEC_NAME
    if not path.is_file():
        raise GradingError(f"{path} is missing: every autograded part needs a trusted check "
                           "(see docs/grading.md, 'Trusted checks')")
    before = sys.dont_write_bytecode
    try:
        sys.dont_write_bytecode = True
        spec = trusted.load_spec(path)
    except Exception as exc:  # the instructor's file is broken
        raise GradingError(f"{path} could not be loaded: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.dont_write_bytecode = before
    covered = {p.grade_id: p for p in spec.parts}
    if set(covered) != set(tests):
        raise GradingError(f"{path}: PARTS covers {sorted(covered)}, but the autograded test "
                           f"cells are {sorted(tests)}; they must be the same")
    for gid, pts in tests.items():
        if float(covered[gid].points) != float(pts):
            raise GradingError(f"{path}: part {gid} is worth {covered[gid].points} points, its "
                               f"test cell {pts}")
    return spec


def _questions(instructor_nb, release_nb):
    """The written questions: the Markdown cell before each written answer is its text."""
    rubric = {grade_id_of(c): c.source for c in instructor_nb.cells if grade_id_of(c)}
    questions, previous = [], None
    for cell in release_nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and nbg.get("grade") and nbg.get("solution"):
            gid = nbg["grade_id"]
            text = previous.source if previous is not None else ""
            title = _title(text) or gid
            model = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$", "", rubric.get(gid, ""),
                           flags=re.M).strip()
            questions.append(Question(gid, float(nbg.get("points", 0)), title, text, model))
        previous = cell if cell.cell_type == "markdown" else previous
    return questions


def _title(text):
    m = re.search(r"\*\*(Question [^*]*?)\.?\*\*", text) or re.search(r"^#+\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else ""


def _edition(language, source_dir, assignment, box, general):
    """The edition of ``language``: its instructor version, in ``source_dir`` for English and
    ``source_dir/<language>`` otherwise, and the student version nbgrader makes of it."""
    import nbformat

    folder = source_dir if language == "en" else source_dir / language
    instructor_nb = nbformat.read(folder / assignment / f"{assignment}.ipynb", as_version=4)
    release_nb = generate_release(folder, assignment, box / f"course-{language}")
    committed = source_dir.parent / "assignments" / ("" if language == "en" else language) \
        / assignment / f"{assignment}.ipynb"
    if committed.exists():
        diffs = release_differences(release_nb, nbformat.read(committed, as_version=4))
        if diffs:
            general.append(f"the student version in {committed.parent} differs from what the "
                           f"instructor version generates ({'; '.join(diffs[:3])}); "
                           "regenerate it and commit the result")
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in instructor_nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("#")), assignment)
    return Edition(language, instructor_nb, release_nb, graded_sources(instructor_nb), title)


def load(assignment, source, box, log=print):
    """Everything a grading run needs of the assignment (see the module docstring)."""
    import nbformat

    source_dir = find_source(assignment, source)
    log(f"preparing the assignment from {source_dir / assignment}")
    instructor_nb = nbformat.read(source_dir / assignment / f"{assignment}.ipynb", as_version=4)
    tests = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
             for c in instructor_nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    spec = _load_spec(source_dir, assignment, tests)
    general = []
    editions = {"en": _edition("en", source_dir, assignment, box, general)}
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()):
        if (folder / assignment / f"{assignment}.ipynb").is_file() and len(folder.name) == 2:
            editions[folder.name] = _edition(folder.name, source_dir, assignment, box, general)
    release_nb = editions["en"].release_nb
    titles = {p.grade_id: p.title for p in spec.parts}
    answer_cells = [grade_id_of(c) for c in release_nb.cells
                    if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    for p in spec.parts:
        p.title = p.title or titles.get(p.grade_id) or p.grade_id
    return Assignment(assignment, source_dir, instructor_nb, release_nb, spec,
                      graded_sources(instructor_nb), tests, _questions(instructor_nb, release_nb),
                      answer_cells, editions["en"].title, general, editions)


def graded_notebook(nb, assignment, edition=None):
    """The notebook that runs: locked cells from the instructor's version in the submission's
    language, a probe after each test."""
    probes = {p.grade_id: p for p in assignment.parts}
    sources = (edition or assignment.editions["en"]).sources
    cells = []
    for cell in nb.cells:
        gid = grade_id_of(cell)
        if gid in sources and cell.cell_type == "code":
            cell.source = sources[gid]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if gid in probes and cell.cell_type == "code":
            cells.append(probe.probe_cell(probes[gid]))
    nb.cells = cells
    return nb
