"""The committed notebooks hold exactly what the builder makes of their sources.

``notebooks/build/builder.py`` writes, from each source in ``notebooks/build``
(jupytext percent format) and, for other languages, its catalog: a chapter's
student and worked versions, and the assignment's instructor and student
versions. The committed notebooks carry the outputs of a run as well, but their
cells' sources, tags and grading metadata must be what the builder writes, so
that editing a notebook by hand, or forgetting to rebuild, is caught.
"""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "notebooks" / "build"
SOURCES = sorted(BUILD.glob("[0-9][0-9]_*.py")) + [BUILD / "fashion_mnist.py"]


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, sorted(c.metadata.get("tags", [])),
             c.metadata.get("nbgrader")) for c in nb.cells]


@pytest.fixture(scope="module")
def built(built_notebooks):
    return built_notebooks


def test_committed_notebooks_are_what_the_builder_writes(built):
    paths = sorted(built.rglob("*.ipynb"))
    assert len(paths) >= 14, [str(p) for p in paths]
    for path in paths:
        where = path.relative_to(built)
        committed = ROOT / where
        assert committed.exists(), f"the builder writes {where}, which is not committed"
        want, have = _cells(path), _cells(committed)
        assert len(want) == len(have), (f"{where} has {len(have)} cells, the builder writes "
                                        f"{len(want)}: run python notebooks/build/builder.py")
        for i, (w, h) in enumerate(zip(want, have)):
            assert w == h, (f"cell {i} of {where} differs from what the builder writes (run "
                            f"python notebooks/build/builder.py):\n--- built ---\n{w}\n"
                            f"--- committed ---\n{h}")


def test_every_committed_notebook_has_a_source(built):
    committed = {p.relative_to(ROOT) for folder in ("notebooks", "solutions", "assignments")
                 for p in (ROOT / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    made = {p.relative_to(built) for p in built.rglob("*.ipynb")}
    assert committed == made, sorted(committed ^ made)


def test_a_source_cell_without_its_kind_is_refused(tmp_path):
    sys.path.insert(0, str(BUILD))
    try:
        import builder
    finally:
        sys.path.remove(str(BUILD))
    with pytest.raises(ValueError, match="needs a kind and a grade_id"):
        builder.instructor_notebook([("code", "x = 1", {})])
    with pytest.raises(ValueError, match="BEGIN SOLUTION"):
        builder.chapter_notebook([("code", "x = 1", {"role": "exercise"})], "student")
