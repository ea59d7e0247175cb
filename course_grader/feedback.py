"""Feedback pages a student reads at a glance, and that cannot attack whoever opens them.

``render_page(student, title, parts, written, notes, nb)`` makes one
self-contained HTML page, in this order:

1. the score table: each autograded part (``PartScore``: title, points out of
   the maximum, the check's message), each written question (``WrittenScore``:
   points, or "not graded yet", and the instructor's comment), the total;
2. the notes for the student (plain text; keeping notes meant for the
   instructor out is the caller's choice of ``notes``);
3. the notebook: Markdown rendered, math typeset ahead of time into MathML,
   code highlighted, outputs (text, errors, images, HTML, Markdown, LaTeX).
   Each cell shows the label ``cell_labels(nb)`` gives it (``In [27]``,
   ``cell 12``), so a message can name a cell as the page shows it; a graded
   cell also shows its score.

Everything from the notebook and every string passed in is untrusted: text is
escaped, HTML and Markdown are sanitised with an allowlist (nh3; see
``feedback_markup``), outputs are capped in bytes (``cap_outputs``: per output,
per image, per page), and the page carries a Content-Security-Policy that
forbids scripts and every resource not inside the page.  The page has no
script at all, works offline and prints.  ``write_page`` writes it atomically.

Also here: ``md_escape`` (text made inert in Markdown, for reports) and
``notebook_from_json`` (a notebook from untrusted JSON text, or None).

The parts: ``feedback_scores`` (score table, notes, each graded cell's score),
``feedback_cells`` (cells, outputs, labels), ``feedback_markup`` (Markdown,
sanitiser, highlighting), ``feedback_math`` (TeX to MathML), ``feedback_style``
(the stylesheet).
"""
import copy
import html
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from .feedback_cells import cell_anchors, cell_labels, notebook_language, render_cell
from .feedback_scores import (cell_badges, check_score, grade_cells, notes_section, plain_text,
                              score_table)
from .feedback_style import stylesheet

__all__ = ["PartScore", "WrittenScore", "cell_labels", "render_page", "write_page",
           "cap_outputs", "md_escape", "notebook_from_json", "notebook_title"]

MAX_TEXT = 64 * 1024          # one text output
MAX_IMAGE = 512 * 1024        # one image, base64 bytes
MAX_PAGE = 8 * 1024 * 1024    # every output of the page together
SAFE_MIME = ("text/plain", "image/png", "image/jpeg", "text/html", "text/markdown", "text/latex")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; "
       "form-action 'none'\">")


@dataclass
class PartScore:
    """An autograded part: points out of ``max_points`` and the trusted check's message."""
    grade_id: str
    title: str
    points: float
    max_points: float
    message: str


@dataclass
class WrittenScore:
    """A written question: points (None: not graded yet) and the instructor's comment
    (Markdown, math allowed)."""
    grade_id: str
    title: str
    points: float | None
    max_points: float
    comment: str


# --------------------------------------------------------------------------
# Outputs capped in bytes
# --------------------------------------------------------------------------
def _text(value):
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


def cap_outputs(nb, max_text=MAX_TEXT, max_image=MAX_IMAGE, max_page=MAX_PAGE):
    """Cut every output of ``nb`` to size, in place; keep only display types that are safe.

    A second call changes nothing more.  An output that is not a JSON object is dropped; a
    widget without a picture is replaced by a line saying it works only in Jupyter.
    """
    budget = max_page
    for cell in nb.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs")
        kept = []
        for out in outputs if isinstance(outputs, list) else []:
            if not isinstance(out, dict):
                continue
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = _cut(_text(out.get("text", "")), min(max_text, budget))
                budget -= len(out["text"])
            elif kind == "error":
                out["ename"] = _cut(str(out.get("ename", "")), 200)
                out["evalue"] = _cut(str(out.get("evalue", "")), min(4096, budget))
                lines = out.get("traceback")
                tb = [_cut(str(line), 4096) for line in (lines if isinstance(lines, list)
                                                          else [])[-50:]]
                out["traceback"] = tb
                budget -= sum(map(len, tb)) + len(out["evalue"])
            elif kind in ("display_data", "execute_result"):
                out["data"], budget = _cap_bundle(out.get("data"), max_text, max_image, budget)
                out["metadata"] = {}
            else:
                continue
            kept.append(out)
            if budget <= 0:
                kept.append({"output_type": "stream", "name": "stderr", "text": PAGE_FULL})
                break
        cell["outputs"] = kept
        budget = max(budget, 0)
    return nb


PAGE_FULL = "[further output left out: the page is over the grader's limit]"
WIDGET_NOTE = "[an interactive widget: it works only in Jupyter, not on this page]"


def _cap_bundle(bundle, max_text, max_image, budget):
    """The safe, capped part of one output's ``data``, and the budget left."""
    bundle = bundle if isinstance(bundle, dict) else {}
    data = {}
    for mime, value in bundle.items():
        if mime not in SAFE_MIME:
            continue
        value = _text(value)
        limit = max_image if mime.startswith("image/") else max_text
        if len(value) > min(limit, budget):
            if mime.startswith("image/"):
                data.setdefault("text/plain", f"[an image of {len(value)} bytes, "
                                "over the grader's limit, was left out]")
                continue
            value = _cut(value, min(limit, budget))
        data[mime] = value
        budget -= len(value)
    if WIDGET_MIME in bundle and not any(m.startswith("image/") for m in data):
        data = {"text/plain": WIDGET_NOTE}
    return data, budget


_CUT_NOTE = re.compile(r"\n\[\.\.\. \d+ characters cut by the grader \.\.\.\]\n$")


def _cut(text, limit):
    limit = max(int(limit), 0)
    if len(text) <= limit:
        return text
    note = _CUT_NOTE.search(text[-80:])
    if note and len(text) - len(note.group(0)) <= limit:
        return text          # cut already
    return text[:limit] + f"\n[... {len(text) - limit} characters cut by the grader ...]\n"


# --------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------
def _notebook(nb, labels, anchors, badges):
    language = notebook_language(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        if index not in labels:
            continue
        try:
            cells.append(render_cell(cell, labels[index], anchors[index], language,
                                     badges.get(index, "")))
        except Exception as exc:  # one broken cell does not lose the page
            cells.append(f'<section class="cell raw" id="{anchors[index]}"><div class="label">'
                         f'{html.escape(labels[index])}</div><div class="cell-body"><p>'
                         f"(this cell could not be shown: {type(exc).__name__})</p></div>"
                         "</section>")
    return ('<section class="notebook"><h2>Your notebook as it was graded</h2>'
            '<p class="legend">Code cells are labelled as in Jupyter (<code>In [n]</code>, in the '
            "order they ran); other cells by their place from the top.</p>"
            + "".join(cells) + "</section>")


def render_page(student, title, parts, written, notes, nb):
    """The feedback page (HTML text) for ``student``'s notebook ``nb`` (left unchanged).

    ``parts``: ``PartScore`` list; ``written``: ``WrittenScore`` list; ``notes``: strings
    for the student.  Raises ValueError for a score outside ``0..max_points``.
    """
    if not isinstance(getattr(nb, "cells", None), list):
        raise ValueError(f"render_page needs a notebook (nbformat node with cells), not "
                         f"{type(nb).__name__}")
    parts, written, notes = list(parts), list(written), [str(n) for n in notes]
    for p in parts:
        check_score("part", p, optional=False)
    for w in written:
        check_score("written question", w, optional=True)
    nb = cap_outputs(copy.deepcopy(nb))
    labels, anchors = cell_labels(nb), cell_anchors(nb)
    cells = grade_cells(nb)
    body = (score_table(student, title, parts, written, (cells, labels, anchors))
            + notes_section(notes) + _notebook(nb, labels, anchors,
                                               cell_badges(parts, written, cells)))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"{CSP}\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{plain_text(title)} · {plain_text(student)}</title>\n"
            f"<style>\n{stylesheet()}\n</style>\n</head>\n"
            f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n")


def write_page(path, student, title, parts, written, notes, nb):
    """Write ``render_page(...)`` to ``path`` atomically (``<path>.part``, then renamed)."""
    path = Path(path)
    text = render_page(student, title, parts, written, notes, nb)
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def notebook_title(nb, default="Feedback"):
    """The text of the notebook's first Markdown heading (``default`` when it has none)."""
    for cell in nb.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            m = re.search(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", str(cell.get("source", "")), re.M)
            if m:
                return re.sub(r"[*_`]|\\(?=[^\w\s])", "", m.group(1)).strip() or default
    return default


# --------------------------------------------------------------------------
# Text for reports, notebooks from untrusted JSON
# --------------------------------------------------------------------------
def md_escape(text):
    """Text from a submission made inert in Markdown (and in the HTML it becomes)."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text))
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]|~$])", r"\\\1", text)


def notebook_from_json(raw):
    """A notebook node from untrusted JSON text (already size-limited), or None."""
    import nbformat

    try:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            return None
        for cell in nb.cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("source"), str) \
                    or not isinstance(cell.get("metadata"), dict):
                return None
        return nb
    except Exception:  # anything unreadable is no notebook
        return None
