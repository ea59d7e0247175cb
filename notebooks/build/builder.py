"""What every chapter's build script shares: cells in order, then two notebook files.

A build script writes its chapter without outputs:

    from builder import IGNORE, code, exercise, md, save
    md("# Chapter ...")
    code("x = 1", tags=IGNORE)
    exercise('''
    def conv_output_size(H, FH, stride=1, pad=0):
        ### BEGIN SOLUTION
        return (H + 2 * pad - FH) // stride + 1
        ### END SOLUTION
    ''')
    code("check_conv_output_size(conv_output_size)", check=True)
    save("0N_name.ipynb")

``save`` writes one source into two notebooks, so that they never drift apart:

* the student version, ``notebooks/<name>``: in every ``exercise`` cell the
  lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become
  ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` (at the same
  indentation).  Exercise cells and the check cells after them are tagged
  ``raises-exception``: until the student has written the code they stop with
  an error, and the chapter goes on with course_lib's version;
* the solution version, ``solutions/chapters/<name>``: the marker lines are
  dropped and the solution stays; no cell is allowed to raise.

The outputs are then produced by running both in full mode
(``python tools/run_notebooks.py``).  When only Markdown changed (every code
cell's source and tags are those of the notebook already on disk), ``save``
keeps the outputs already there: prose cannot change what the code computes,
so a wording fix needs no new run.  ``python notebooks/build/NN_name.py --out
DIR`` writes the two versions under ``DIR`` instead (``DIR/notebooks`` and
``DIR/solutions/chapters``), which the tests use to check that the committed
notebooks hold exactly what the build scripts generate.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

# the cell's output differs between runs or between quick and full mode
IGNORE = ["nbval-ignore-output"]
RAISES = "raises-exception"       # nbval: this cell is expected to raise (student versions only)
ROOT = Path(__file__).resolve().parents[2]
STUDENT_DIR = "notebooks"
SOLUTION_DIR = "solutions/chapters"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*(\n|$)",
                    re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.MULTILINE)

# Each entry: (kind, source, tags, role) with role in {None, "exercise", "check"}.
cells = []


def md(text):
    """Append a Markdown cell (the same in both versions)."""
    cells.append(("markdown", text.strip("\n"), None, None))


def code(text, tags=None, check=False):
    """Append a code cell, with cell tags such as ``IGNORE``.

    ``check=True`` marks a cell that checks the student's code: in the student
    version it may raise (it is tagged ``raises-exception``).
    """
    cells.append(("code", text.strip("\n"), list(tags or []), "check" if check else None))


def exercise(text, tags=None):
    """Append a code cell the student completes; the solution sits between the markers."""
    text = text.strip("\n")
    if BEGIN not in text or END not in text:
        raise ValueError("an exercise cell needs '### BEGIN SOLUTION' and '### END SOLUTION' "
                         "around its solution")
    cells.append(("code", text, list(tags or []), "exercise"))


def student_source(text):
    """The solution blocks replaced by the student's placeholder."""
    def stub(m):
        indent = m.group(1)
        return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()" + m.group(2)
    return _BLOCK.sub(stub, text)


def solution_source(text):
    """The solution with its marker lines removed."""
    return _MARKER.sub("", text).rstrip("\n")


def _notebook(version):
    nb_cells = []
    for kind, text, tags, role in cells:
        if kind == "markdown":
            nb_cells.append(new_markdown_cell(text))
            continue
        tags = list(tags)
        if role == "exercise":
            text = student_source(text) if version == "student" else solution_source(text)
        if version == "student" and role in ("exercise", "check"):
            tags.append(RAISES)
        cell = new_code_cell(text)
        if tags:
            cell.metadata["tags"] = tags
        nb_cells.append(cell)
    nb = new_notebook(cells=nb_cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _code_signature(nb):
    return [(c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells if c.cell_type
            == "code"]


def _keep_outputs(nb, path):
    """Copy the outputs of the notebook at ``path`` into ``nb`` when their code cells are
    identical; returns True when it did."""
    if not path.exists():
        return False
    old = nbformat.read(path, as_version=4)
    if _code_signature(old) != _code_signature(nb):
        return False
    old_code = [c for c in old.cells if c.cell_type == "code"]
    new_code = [c for c in nb.cells if c.cell_type == "code"]
    if not any(c.outputs for c in old_code):
        return False
    for a, b in zip(old_code, new_code):
        b.outputs, b.execution_count = a.outputs, a.execution_count
        b.metadata, b.id = a.metadata, a.id
    if "widgets" in old.metadata:
        nb.metadata["widgets"] = old.metadata["widgets"]
    return True


def save(name):
    """Write the student version to ``notebooks/<name>`` and, when the chapter has
    exercises, the solution version to ``solutions/chapters/<name>``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT, help="root folder to write under "
                                                               "(default: the repository)")
    args = parser.parse_args(sys.argv[1:])
    versions = [("student", STUDENT_DIR)]
    if any(role == "exercise" for *_, role in cells):
        versions.append(("solution", SOLUTION_DIR))
    for version, folder in versions:
        out = args.out / folder / name
        out.parent.mkdir(parents=True, exist_ok=True)
        nb = _notebook(version)
        kept = _keep_outputs(nb, out)
        nbformat.write(nb, out)
        print(f"wrote {out} ({version} version, {len(cells)} cells"
              + (", outputs kept: only Markdown "
                 "changed)" if kept else ", no outputs: run it to make them)"))
