"""Feedback pages and reports that cannot attack the person who opens them.

- Outputs are capped in bytes (per output, per image, per page) before
  anything is rendered; what is cut is replaced by a note.
- The HTML page is made by nbconvert's ``HTMLExporter`` with
  ``sanitize_html=True``: scripts, event handlers, ``<iframe>``, JavaScript
  outputs and widgets from the notebook are removed.  The page carries no
  notebook JavaScript and a Content-Security-Policy that forbids scripts.
- Names that came from the submissions (file names, student ids) are escaped
  before they go into HTML or Markdown.
"""
import html
import re
import warnings

MAX_TEXT = 64 * 1024          # one text output
MAX_IMAGE = 512 * 1024        # one image, base64 bytes
MAX_PAGE = 8 * 1024 * 1024    # every output of the page together
SAFE_MIME = ("text/plain", "image/png", "image/jpeg", "text/html", "text/markdown", "text/latex")
CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "img-src data:; style-src 'unsafe-inline'; font-src data:\">")


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


def cap_outputs(nb, max_text=MAX_TEXT, max_image=MAX_IMAGE, max_page=MAX_PAGE):
    """Cut every output of ``nb`` to size, in place; keep only display types that are safe."""
    budget = max_page
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = _cut(_text(out.get("text", "")), min(max_text, budget))
                budget -= len(out["text"])
            elif kind == "error":
                out["ename"] = _cut(str(out.get("ename", "")), 200)
                out["evalue"] = _cut(str(out.get("evalue", "")), min(4096, budget))
                tb = [_cut(str(line), 4096) for line in out.get("traceback", [])[-50:]]
                out["traceback"] = tb
                budget -= sum(map(len, tb)) + len(out["evalue"])
            elif kind in ("display_data", "execute_result"):
                data = {}
                for mime, value in (out.get("data") or {}).items():
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
                out["data"] = data
                out["metadata"] = {}
            else:
                continue
            kept.append(out)
            if budget <= 0:
                kept.append({"output_type": "stream", "name": "stderr",
                             "text": "[further output left out: the page is over the grader's limit]"})
                break
        cell["outputs"] = kept
        budget = max(budget, 0)
    return nb


def _cut(text, limit):
    limit = max(int(limit), 0)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} characters cut by the grader ...]\n"


def scores_cell(student, results, notes):
    """A Markdown cell for the top of the page: the trusted scores, part by part."""
    import nbformat.v4 as v4

    rows = ["| part | points | trusted check |", "|---|---|---|"]
    for r in results:
        rows.append(f"| {md_escape(r.grade_id)} | {r.points:g} / {r.max_points:g} | "
                    f"{md_escape(r.message)} |")
    total = sum(r.points for r in results)
    top = sum(r.max_points for r in results)
    text = [f"# Grading of {md_escape(student)}", "",
            f"**Autograded score: {total:g} / {top:g}.** These points come from the grader's own "
            "checks of your functions on fresh inputs; the test cells below show what the "
            "notebook's tests said when it ran.", "", *rows, ""]
    text += [f"- {md_escape(n)}" for n in notes]
    return v4.new_markdown_cell("\n".join(text))


def md_escape(text):
    """Text from a submission made inert in Markdown (and in the HTML it becomes)."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text))
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", text)


def write_html(nb, path):
    """Render ``nb`` as a self-contained page without scripts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(sanitize_html=True, exclude_input_prompt=False)
    exporter.exclude_anchor_links = True
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script\s*>", "", body, flags=re.S | re.I)
    body = body.replace("<head>", "<head>\n" + CSP, 1)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


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
            if not isinstance(cell.get("source"), str) or not isinstance(cell.get("metadata"), dict):
                return None
        return nb
    except Exception:  # noqa: BLE001 - anything unreadable is no notebook
        return None
