"""The Markdown of every chapter renders: no control characters, balanced math.

A tab or another control character in a Markdown cell is almost always a LaTeX
command whose backslash was eaten (``"\\top"`` written in a plain string becomes
a tab and ``op``), and an unbalanced ``$`` turns the rest of the cell into
math.  Both versions of every chapter are checked, in every edition: ``notebooks/``
(students) and ``solutions/chapters/``, and their Korean editions in ``ko/``.  A line's
width is counted in display columns: a Hangul syllable takes two.
"""
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.i18n import columns

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [path for folder in ("notebooks", "solutions/chapters")
             for pattern in ("*.ipynb", "*/*.ipynb")
             for path in sorted((ROOT / folder).glob(pattern))]
# everything below a space except the newline
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)         # fenced blocks and inline code spans


def math_problems(text):
    """Why the ``$``/``$$`` math of a Markdown text is unbalanced ([] when it is fine)."""
    text = CODE.sub("", text).replace(r"\$", "")
    problems = []
    if text.count("$$") % 2:
        problems.append("an odd number of '$$' (a display formula is not closed)")
    inline = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    for n, paragraph in enumerate(inline.split("\n\n"), 1):
        if paragraph.count("$") % 2:
            problems.append(f"paragraph {n}: an odd number of '$' ({paragraph.strip()[:60]!r})")
    return problems


def markdown_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_has_no_control_characters(path):
    bad = [(i, repr(m.group()), src[max(0, m.start() - 20):m.end() + 20])
           for i, src in markdown_cells(path) for m in CONTROL.finditer(src)]
    assert not bad, f"control characters in Markdown cells (cell index, character, context): {bad}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_math_is_balanced(path):
    bad = [(i, p) for i, src in markdown_cells(path) for p in math_problems(src)]
    assert not bad, f"unbalanced math in Markdown cells (cell index, problem): {bad}"


@pytest.mark.parametrize("text, ok", [
    ("$a$ and $$b$$", True),
    ("costs \\$5 and `$x` in code", True),
    ("$$\na\n$$\n\ntext $x$", True),
    ("$a and b", False),
    ("$$ a $", False),
    ("$a\n\nb$", False),
])
def test_the_math_check_finds_unbalanced_dollars(text, ok):
    assert (math_problems(text) == []) is ok


def test_the_control_check_finds_an_eaten_backslash():
    assert CONTROL.search("x^\top") and CONTROL.search("a\x0bb")
    assert not CONTROL.search("line\nline")


# Code a student reads should fit the notebook's width without scrolling sideways, and printed
# text should not be wrapped in the middle of a word (JupyterLab wraps output at any character).
# At 1280 pixels wide, with the file browser open, a JupyterLab 4 cell shows 107 characters of
# code or output (tests/browser_check.py measures it): these limits leave a margin.
MAX_CODE_LINE = 90
MAX_OUTPUT_LINE = 100


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_lines_fit_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, columns(line), line.strip()[:50]) for i, c in enumerate(nb.cells)
            if c.cell_type == "code"
            for line in c.source.splitlines() if columns(line) > MAX_CODE_LINE]
    assert not long, f"code lines over {MAX_CODE_LINE} columns (cell, width, start): {long}"


def printed_lines(cell):
    """The lines of text a code cell's outputs show: streams, and the plain text of results
    that have no picture or widget to show instead."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            yield from out.get("text", "").splitlines()
        data = out.get("data", {})
        if "text/plain" in data and not {"image/png", "text/html"} & set(data):
            yield from data["text/plain"].splitlines()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_printed_lines_fit_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    long = [(i, columns(line), line.strip()[:50]) for i, c in enumerate(nb.cells)
            if c.cell_type == "code"
            for line in printed_lines(c) if columns(line) > MAX_OUTPUT_LINE]
    assert not long, f"lines printed over {MAX_OUTPUT_LINE} columns (cell, width, start): {long}"


def test_the_printed_line_check_sees_streams_and_results():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", text="short\n" + "y" * 120),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "z" * 130}),
                    nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>" * 30,
                                                                 "image/png": "..."})]
    assert [len(line) for line in printed_lines(cell)] == [5, 120, 130]


GLYPH = re.compile(r"does not have a glyph|Glyph \d+ .*missing from", re.IGNORECASE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_figure_was_drawn_with_a_missing_glyph(path):
    """Matplotlib's warning of a missing glyph (a box instead of a letter) is nowhere in the
    committed outputs: a Korean figure draws every syllable and every minus sign."""
    nb = nbformat.read(path, as_version=4)
    found = [(i, line.strip()[:80]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for out in c.get("outputs", []) if out.get("output_type") == "stream"
             for line in out.get("text", "").splitlines() if GLYPH.search(line)]
    assert not found, f"missing glyphs (cell, warning): {found}"


def test_the_glyph_check_knows_both_warnings():
    assert GLYPH.search("Font 'default' does not have a glyph for '\\u2212' [U+2212]")
    assert GLYPH.search("UserWarning: Glyph 54617 (\\N{HANGUL SYLLABLE HAN}) missing from font(s) "
                        "DejaVu Sans.")
    assert not GLYPH.search("a figure with every glyph")
