"""The stylesheet of a feedback page: light, calm, no external font, prints on paper.

Layout: a column of at most 72 rem; each cell is a grid of a narrow label column
(``In [27]``) and its body.  Long lines wrap (code, outputs, formulas never
push the page sideways); wide tables and formulas scroll inside their box.
"""
from functools import lru_cache

from .feedback_markup import highlight_css

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --paper: #ffffff;
        --soft: #f6f8fa; --ok: #1a7f37; --ok-bg: #dafbe1; --part: #9a6700;
        --part-bg: #fff8c5; --bad: #cf222e; --bad-bg: #ffebe9; --wait-bg: #eef1f4; }
* { box-sizing: border-box; }
html { background: var(--paper); color: var(--ink); }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "DejaVu Sans", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1, h2, h3, h4 { line-height: 1.25; }
a { color: #0b57b5; }
code, pre, kbd, samp { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
                       "DejaVu Sans Mono", monospace; font-size: 0.875rem; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }

table.scores { width: 100%; border-collapse: collapse; margin: 0 0 1.5rem; }
table.scores caption { text-align: left; padding-bottom: 0.75rem; }
table.scores caption h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
table.scores caption .student { margin: 0; color: var(--muted); }
table.scores th, table.scores td { border-bottom: 1px solid var(--line); padding: 0.45rem 0.6rem;
                                   text-align: left; vertical-align: top; }
table.scores thead th { font-size: 0.85rem; color: var(--muted); font-weight: 600;
                        border-bottom: 2px solid var(--line); }
table.scores tbody th { font-weight: 500; width: 34%; }
table.scores tr.group th { background: var(--soft); font-size: 0.85rem; color: var(--muted);
                           font-weight: 600; }
table.scores td.points { white-space: nowrap; font-variant-numeric: tabular-nums; width: 9rem; }
table.scores td.message { overflow-wrap: anywhere; }
table.scores td.message p { margin: 0 0 0.4rem; }
table.scores td.message p:last-child { margin-bottom: 0; }
tr.full td.points { color: var(--ok); }
tr.partial td.points { color: var(--part); }
tr.none td.points { color: var(--bad); font-weight: 600; }
tr.pending td.points { color: var(--muted); font-style: italic; }
table.scores tfoot th, table.scores tfoot td { font-weight: 700; border-top: 2px solid var(--ink);
                                               border-bottom: none; }
a.where { font-size: 0.8rem; color: var(--muted); margin-left: 0.35rem; white-space: nowrap; }

section.notes { background: var(--soft); border-left: 4px solid var(--line);
                padding: 0.5rem 1rem; margin: 0 0 2rem; }
section.notes h2 { font-size: 1.05rem; margin: 0.4rem 0; }
section.notes li { overflow-wrap: anywhere; }

section.notebook > h2 { font-size: 1.25rem; border-top: 1px solid var(--line);
                        padding-top: 1.25rem; margin-bottom: 0.25rem; }
p.legend { color: var(--muted); font-size: 0.85rem; margin-top: 0; }
section.cell { display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: 0 0.75rem;
               margin: 0.6rem 0; }
section.cell > .label, .out-label { font: 0.8rem/1.4 ui-monospace, Menlo, Consolas,
                                     "DejaVu Sans Mono", monospace;
                                    color: var(--muted); text-align: right; padding-top: 0.5rem;
                                    overflow-wrap: anywhere; }
section.cell.code > .label { color: #3b5fa8; }
.cell-body { min-width: 0; }
.input pre.hl { background: var(--soft); border: 1px solid var(--line); border-radius: 4px;
                padding: 0.5rem 0.7rem; line-height: 1.45; }
.output { display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: 0 0.75rem;
          margin-left: -7.25rem; }
.out-label { color: #a1462a; }
.output-body { min-width: 0; padding: 0.35rem 0; }
.output-body pre { padding: 0.1rem 0.7rem; line-height: 1.4; }
pre.stderr { background: #fff5f5; }
pre.output-error { background: var(--bad-bg); border-left: 3px solid var(--bad);
                   padding: 0.4rem 0.7rem; }
.output-html, .markdown, .output-markdown { overflow-wrap: break-word; }
.output-html table, .markdown table, .output-markdown table, td.message table {
    display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; }
.markdown th, .markdown td, .output-html th, .output-html td, .output-markdown th,
.output-markdown td { border: 1px solid var(--line); padding: 0.25rem 0.6rem; }
.markdown thead th, .output-html thead th { background: var(--soft); }
.markdown code, .output-markdown code, td.message code { background: var(--soft);
    padding: 0.1rem 0.3rem; border-radius: 3px; overflow-wrap: anywhere; }
.markdown pre code { background: none; padding: 0; }
.markdown pre.hl { background: var(--soft); padding: 0.5rem 0.7rem; border-radius: 4px; }
.markdown blockquote { margin-left: 0; padding-left: 1rem; border-left: 3px solid var(--line);
                       color: var(--muted); }
.markdown h1 { font-size: 1.6rem; } .markdown h2 { font-size: 1.35rem; }
.markdown h3 { font-size: 1.15rem; } .markdown h4 { font-size: 1rem; }
details { margin: 0.5rem 0; } summary { cursor: pointer; color: #0b57b5; }
pre.raw { color: var(--muted); }

math { font-size: 1.05em; }
.math-display { max-width: 100%; overflow-x: auto; overflow-y: hidden; margin: 0.6rem 0; }
math[display="block"] { margin: 0.4rem 0; }
mtd[columnalign="left"] { text-align: left; }
mtd[columnalign="right"] { text-align: right; }
code.tex { background: var(--part-bg); }

.badge { border-left: 4px solid var(--line); background: var(--soft); font-size: 0.9rem;
         padding: 0.35rem 0.7rem; margin: 0.2rem 0 0.4rem; border-radius: 0 4px 4px 0; }
.badge.full { border-color: var(--ok); background: var(--ok-bg); }
.badge.partial { border-color: var(--part); background: var(--part-bg); }
.badge.none { border-color: var(--bad); background: var(--bad-bg); }
.badge.pending { border-color: var(--muted); background: var(--wait-bg); }
.badge .comment p { margin: 0.25rem 0 0; }

@media (max-width: 40rem) {
  section.cell { grid-template-columns: minmax(0, 1fr); }
  section.cell > .label { text-align: left; padding-top: 0; }
  .output { margin-left: 0; grid-template-columns: minmax(0, 1fr); }
}
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  section.cell, .output, tr { break-inside: avoid; }
  .input pre.hl, .badge, pre.output-error { border-color: #999; }
  .math-display, .output-html table, .markdown table { overflow: visible; }
  details::details-content { display: block; content-visibility: visible; }
}
"""


@lru_cache(maxsize=1)
def stylesheet():
    """The page's CSS (Pygments' rules for highlighted code included)."""
    return _CSS.strip() + "\n" + highlight_css()
