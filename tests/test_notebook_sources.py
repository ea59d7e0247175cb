"""The committed chapter notebooks hold exactly what their build scripts generate.

Each script in ``notebooks/build`` writes a chapter's student version (and, when
the chapter has exercises, its solution version); the committed notebooks carry
outputs of a run as well, but their cells' sources and tags must be the ones the
script writes, so that editing a notebook by hand (or forgetting to rebuild) is
caught.
"""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "notebooks" / "build").glob("[0-9][0-9]_*.py"))


def _cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_committed_notebooks_match_their_build_script(script, tmp_path):
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True,
                   cwd=script.parent,
                   capture_output=True, text=True)
    built = sorted(tmp_path.rglob("*.ipynb"))
    assert built, f"{script.name} wrote no notebook"
    for path in built:
        committed = ROOT / path.relative_to(tmp_path)
        where = committed.relative_to(ROOT)
        assert committed.exists(), f"{script.name} writes {where}, which is not committed"
        want, have = _cells(path), _cells(committed)
        assert len(want) == len(have), (f"{committed.relative_to(ROOT)} has {len(have)} cells, "
                                        f"its build script writes {len(want)}: rebuild it with "
                                        f"python {script.relative_to(ROOT)}")
        for i, (w, h) in enumerate(zip(want, have)):
            assert w == h, (f"cell {i} of {committed.relative_to(ROOT)} differs from what "
                            f"{script.relative_to(ROOT)} writes:\n--- script ---\n{w}\n--- "
                            f"committed ---\n{h}")


def test_every_chapter_has_a_build_script():
    chapters = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    scripts = {p.stem + ".ipynb" for p in SCRIPTS}
    assert chapters == scripts
