"""``similarity.html``: what :func:`course_grader.similarity.compare` found, on one page.

The page has no scripts and a Content-Security-Policy that forbids them (as the feedback
pages); every piece of submitted code and every name is escaped.  Side-by-side views are
``<details>`` elements, which open without JavaScript.  Order: (b) students whose code
shows laundering signals, who come with evidence from the grader's runs, or whose answers
match the course's own code; then (a) for every answer cell, the pairs of students whose
code is unusually similar.  The wording stays neutral: the page ranks, the instructor decides.
"""
import html
from pathlib import Path

from .feedback import CSP

CONTEXT_LINES = 3       # lines shown around the matching part of a reference
STYLE = """
body { font-family: sans-serif; margin: 1.5em; max-width: 110em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #bbb; padding: .2em .5em; text-align: left; vertical-align: top; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #f6f6f6; padding: .5em; overflow-x: auto; font-size: 85%; margin: .2em 0; }
mark { background: #ffd27f; }
.high { color: #a00; font-weight: bold; }
.note { color: #555; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def render_code(source, spans, near=None):
    """``source`` escaped in a ``<pre>``, the character ranges ``spans`` marked.  With ``near``,
    only the lines within ``near`` lines of a mark are shown, each gap replaced by a note."""
    mask = bytearray(len(source))
    for start, end in spans:
        start, end = max(start, 0), min(max(end, 0), len(source))
        mask[start:end] = b"\x01" * max(end - start, 0)
    rows, hits, pos = [], [], 0
    for line in source[:-1].split("\n") if source.endswith("\n") else source.split("\n"):
        parts, i = [], 0
        while i < len(line):
            j = i
            while j < len(line) and mask[pos + j] == mask[pos + i]:
                j += 1
            piece = esc(line[i:j])
            parts.append(f"<mark>{piece}</mark>" if mask[pos + i] else piece)
            i = j
        rows.append("".join(parts))
        hits.append(any(mask[pos:pos + len(line)]))
        pos += len(line) + 1
    if near is None:
        return "<pre>" + "\n".join(rows) + "</pre>"
    keep = [any(hits[max(0, n - near):n + near + 1]) for n in range(len(rows))]
    out, skipped = [], 0
    for n, row in enumerate(rows):
        if keep[n]:
            if skipped:
                out.append(f"<span class='note'>[{skipped} lines left out]</span>")
            out.append(f"<span class='note'>{n + 1:5d}</span>  {row}")
            skipped = 0
        else:
            skipped += 1
    if skipped:
        out.append(f"<span class='note'>[{skipped} lines left out]</span>")
    return "<pre>" + "\n".join(out) + "</pre>"


def _side_by_side(left_title, left, right_title, right):
    return (f"<div class='side'><div><b>{esc(left_title)}</b>{left}</div>"
            f"<div><b>{esc(right_title)}</b>{right}</div></div>")


def _signal_table(signals):
    rows = [f"<tr><td class='{esc(s.severity)}'>{esc(s.severity)}</td><td>{esc(s.cell)}</td>"
            f"<td>{s.line}</td><td>{esc(s.text)}</td><td><code>{esc(s.code)}</code></td></tr>"
            for s in sorted(signals, key=lambda s: (s.severity != "high", s.cell, s.line))]
    return ("<table><tr><th>signal</th><th>cell</th><th>line</th><th>what</th><th>code</th></tr>"
            + "".join(rows) + "</table>")


def _course_match(result, m):
    doc, ref = result.documents[(m.student, m.cell)], result.references[m.reference]
    mine, theirs = result.shared_spans(doc, ref)
    return (f"<details><summary>{esc(m.cell)}: matches course code {esc(m.reference)} "
            f"({m.score:.0%} of its weighted fingerprints)</summary>"
            + _side_by_side(f"{m.student}, {m.cell}", render_code(doc.source, mine), m.reference,
                            render_code(ref.source, theirs, CONTEXT_LINES))
            + "</details>")


def _findings_section(result):
    parts = ["<h2>(b) Course code, laundering signals and evidence</h2>",
             "<p class='note'>Students whose code uses or unlocks the course's own "
             "implementations (signals read from their cells, nothing run), who come with "
             "findings from the grader's runs, or whose answers match the course's code "
             "(course_lib, the worked chapters) beyond the code the assignment gives. Most "
             "serious first.</p>"]
    found = result.findings()
    if not found:
        parts.append("<p>Nothing to report.</p>")
    for f in found:
        parts.append(f"<h3>{esc(f.student)}</h3>")
        if f.evidence:
            parts.append("<p>Evidence from grading:</p><ul>"
                         + "".join(f"<li>{esc(e)}</li>" for e in f.evidence) + "</ul>")
        if f.signals:
            parts.append(_signal_table(f.signals))
        parts += [_course_match(result, m) for m in f.course]
    return "\n".join(parts)


def _pair(result, cell, p):
    a, b = result.documents[(p.a, cell)], result.documents[(p.b, cell)]
    sa, sb = result.shared_spans(a, b)
    return (f"<details><summary>{esc(p.a)} and {esc(p.b)}: unusually similar, score "
            f"{p.score:.2f} ({p.shared} shared fingerprints)</summary>"
            + _side_by_side(p.a, render_code(a.source, sa), p.b, render_code(b.source, sb))
            + "</details>")


def _pairs_section(result):
    parts = ["<h2>(a) Unusually similar pairs, per answer cell</h2>",
             "<p class='note'>Code normalised (names, numbers and strings abstracted, comments "
             "dropped), fingerprinted with winnowed k-grams, the assignment's given code and "
             "hints left out, rare fingerprints weighing more. Score: weighted Jaccard index. "
             "A pair is listed when its score lies far above the cell's other pairs and above "
             "an absolute floor.</p>"]
    for cell, pairs in sorted(result.pairs.items()):
        st = result.stats[cell]
        rest = next((p.score for p in pairs if not p.flagged), 0.0)
        parts.append(f"<h3>{esc(cell)}</h3><p class='note'>{st.students} answers compared, "
                     f"{st.pairs} pairs: median score {st.median:.2f}, threshold "
                     f"{st.threshold:.2f}, highest pair not listed {rest:.2f}.</p>")
        flagged = [p for p in pairs if p.flagged]
        parts += [_pair(result, cell, p) for p in flagged] or ["<p>No unusually similar pair.</p>"]
    return "\n".join(parts)


def _summary(result):
    found = result.findings()
    signalled = sum(1 for f in found if f.signals or f.evidence)
    course = sum(1 for f in found if f.course)
    pairs = len(result.flagged_pairs())
    return (f"<p>{len(found)} students in part (b) ({signalled} with signals or evidence, "
            f"{course} with answers that match course code); {pairs} unusually similar pairs "
            "in part (a).</p>")


def page(result):
    """The report as one HTML string."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n" + CSP
            + f"\n<title>Code similarity</title><style>{STYLE}</style></head><body>\n"
            "<h1>Code similarity of the answer cells</h1>\n"
            "<p class='note'>This page ranks; it does not judge. Similar code can have innocent "
            "causes (the assignment's own hints, the book's code, working together as allowed): "
            "read the code side by side before deciding anything.</p>\n"
            + _summary(result) + "\n" + _findings_section(result) + "\n"
            + _pairs_section(result) + "\n</body></html>\n")


def write_report(path, result):
    """Write ``page(result)`` to ``path`` through a temporary file (no half-written page)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(page(result), encoding="utf-8")
    tmp.replace(path)
    return path
