"""The cells of a notebook as HTML for a feedback page, and the label each one shows.

A cell shown on the page is numbered from 1, top to bottom (the grader's probe
cells are not shown and not counted).  Its label, printed beside it, is what a
message to the student calls it:

- a code cell that ran: ``In [27]`` (its execution count), as Jupyter shows it;
- a code cell that did not run: ``In [ ] (cell 12)``;
- a code cell whose count another cell shows too: ``In [27] (cell 12)``;
- a Markdown or raw cell: ``cell 12``.

Everything read from the notebook is untrusted: sources and outputs are
escaped or sanitised (``feedback_markup``), images must be valid base64 PNG or
JPEG, text loses its ANSI escapes and other control characters, and a
source over ``MAX_SOURCE`` characters is cut.  Outputs are expected to have
been capped by ``feedback.cap_outputs``.
"""
import base64
import html
import re

from .feedback_markup import highlight, markdown_to_html, sanitize
from .feedback_math import latex_output_to_html

MAX_SOURCE = 100_000          # characters of one cell's source shown on the page
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
# The representation shown for a rich output, best first.
_PREFERRED = ("image/png", "image/jpeg", "text/html", "text/markdown", "text/latex", "text/plain")


def _text(value):
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def is_shown(cell):
    """Whether ``cell`` appears on the page (the grader's probe cells do not)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    return isinstance(cell, dict) and not (isinstance(metadata, dict)
                                           and metadata.get("grader_probe"))


def execution_count(cell):
    """The cell's execution count, or None when it has none (or not an integer)."""
    count = cell.get("execution_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def cell_labels(nb):
    """``{index in nb.cells: label shown on the page}`` for every cell shown (see the module)."""
    shown = [(i, c) for i, c in enumerate(nb.get("cells", [])) if is_shown(c)]
    counts = [execution_count(c) for _, c in shown if c.get("cell_type") == "code"]
    labels = {}
    for number, (index, cell) in enumerate(shown, start=1):
        if cell.get("cell_type") != "code":
            labels[index] = f"cell {number}"
            continue
        count = execution_count(cell)
        if count is None:
            labels[index] = f"In [ ] (cell {number})"
        elif counts.count(count) > 1:
            labels[index] = f"In [{count}] (cell {number})"
        else:
            labels[index] = f"In [{count}]"
    return labels


def cell_anchors(nb):
    """``{index in nb.cells: id of the cell's element on the page}`` (``cell-<number>``)."""
    shown = [i for i, c in enumerate(nb.get("cells", [])) if is_shown(c)]
    return {index: f"cell-{number}" for number, index in enumerate(shown, start=1)}


def plain(text):
    """Text as the page shows it: ANSI escapes and control characters removed, carriage
    returns applied (a progress bar keeps its last state), HTML-escaped."""
    text = _ANSI.sub("", _text(text)).replace("\r\n", "\n")
    lines = []
    for line in text.split("\n"):
        parts = [p for p in line.split("\r") if p]
        lines.append(parts[-1] if parts else "")
    return html.escape(_CONTROL.sub("", "\n".join(lines)), quote=False)


def _image(mime, data):
    """An ``<img>`` for base64 ``data`` of type ``mime``, or '' when it is not a valid image."""
    data = re.sub(r"\s+", "", _text(data))
    if not _BASE64.match(data):
        return ""
    try:
        head = base64.b64decode(data[:24], validate=True)
    except ValueError:
        return ""
    if not head.startswith(_IMAGE_MAGIC[mime]):
        return ""
    return f'<img class="output-image" alt="figure" src="data:{mime};base64,{data}">'


def _rich_output(data):
    """HTML for a ``display_data``/``execute_result`` bundle, using the best type it has."""
    for mime in _PREFERRED:
        if mime not in data:
            continue
        value = data[mime]
        if mime.startswith("image/"):
            img = _image(mime, value)
            if img:
                return img
        elif mime == "text/html":
            return f'<div class="output-html">{sanitize(_text(value))}</div>'
        elif mime == "text/markdown":
            return f'<div class="output-markdown">{markdown_to_html(_text(value))}</div>'
        elif mime == "text/latex":
            return latex_output_to_html(_text(value))
        else:
            return f'<pre class="output-text">{plain(value)}</pre>'
    return ""


def _error_output(out):
    lines = out.get("traceback")
    if isinstance(lines, list) and lines:
        text = "\n".join(_text(line) for line in lines)
    else:
        text = f"{_text(out.get('ename'))}: {_text(out.get('evalue'))}"
    return f'<pre class="output-error">{plain(text)}</pre>'


def render_output(out, count):
    """One output as HTML (``''`` for a kind the page does not show)."""
    if not isinstance(out, dict):
        return ""
    kind = out.get("output_type")
    prompt = ""
    if kind == "stream":
        name = "stderr" if out.get("name") == "stderr" else "stdout"
        body = f'<pre class="output-stream {name}">{plain(out.get("text"))}</pre>'
    elif kind == "error":
        body = _error_output(out)
    elif kind in ("display_data", "execute_result"):
        data = out.get("data")
        body = _rich_output(data) if isinstance(data, dict) else ""
        if kind == "execute_result" and count is not None:
            prompt = f"Out [{count}]"
    else:
        return ""
    if not body:
        return ""
    return (f'<div class="output"><div class="out-label">{prompt}</div>'
            f'<div class="output-body">{body}</div></div>')


def _source(cell):
    """The cell's source cut to ``MAX_SOURCE`` characters, and a note (HTML) saying so."""
    text = _text(cell.get("source"))
    if len(text) <= MAX_SOURCE:
        return text, ""
    return text[:MAX_SOURCE], (f'<p class="cut">[{len(text) - MAX_SOURCE} characters of this '
                               "cell left out]</p>")


def render_cell(cell, label, anchor, language, badge=""):
    """A ``<section>`` for ``cell``: its label, an optional ``badge`` (trusted HTML), its body."""
    kind = cell.get("cell_type")
    source, cut = _source(cell)
    if kind == "code":
        count = execution_count(cell)
        outputs = cell.get("outputs")
        outs = "".join(render_output(o, count) for o in outputs) if isinstance(outputs, list) \
            else ""
        body = (f'<div class="input">{highlight(source, language)}{cut}</div>'
                + (f'<div class="outputs">{outs}</div>' if outs else ""))
    elif kind == "markdown":
        text = markdown_to_html(source, cell.get("attachments"))
        body = f'<div class="markdown">{text}</div>{cut}'
    else:
        body = f'<pre class="raw">{plain(source)}</pre>{cut}'
    css = kind if kind in ("code", "markdown") else "raw"
    return (f'<section class="cell {css}" id="{anchor}">'
            f'<div class="label">{html.escape(label)}</div>'
            f'<div class="cell-body">{badge}{body}</div></section>')


def notebook_language(nb):
    """The notebook's language for highlighting (``python`` when it does not say)."""
    info = nb.get("metadata", {}).get("language_info") if isinstance(nb.get("metadata"), dict) \
        else None
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_+-]{1,40}", name) \
        else "python"
