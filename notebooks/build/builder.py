"""What every chapter's build script shares: cells in order, then one notebook file.

A build script writes its chapter without outputs:

    from builder import IGNORE, code, md, save
    md("# Chapter ...")
    code("x = 1", tags=IGNORE)
    save("0N_name.ipynb")

and the outputs are then produced by running it in full mode
(``python tools/run_notebooks.py notebooks/0N_name.ipynb``).
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

IGNORE = ["nbval-ignore-output"]  # the cell's output differs between runs or between quick and full mode
cells = []


def md(text):
    """Append a Markdown cell."""
    cells.append(new_markdown_cell(text.strip("\n")))


def code(text, tags=None):
    """Append a code cell, with cell tags such as ``IGNORE``."""
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    cells.append(cell)


def save(name):
    """Write the cells to ``notebooks/<name>``."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    out = Path(__file__).resolve().parents[1] / name
    nbformat.write(nb, out)
    print(f"wrote {out.name} with {len(cells)} cells")
