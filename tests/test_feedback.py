"""Feedback pages (course_grader/feedback.py): read at a glance, and harmless.

The real notebooks of the course (the six worked chapters, the assignment in
its instructor and student versions) are rendered and the page is parsed: no
text node shows a tag or TeX source, every formula became MathML, the score
table comes first, and the labels ``cell_labels`` gives are the ones printed
beside the cells.  Hostile notebooks and strings (scripts, event handlers,
``javascript:`` links, frames, SVG with scripts, CSS loading from outside,
mutation-XSS markup, huge outputs) are neutralised.  tests/test_feedback_browser.py
looks at the pages in Chromium.
"""
import base64
import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from course_grader import feedback as fb
from course_grader.feedback_markup import _markdown, sanitize

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(ROOT.glob("solutions/chapters/0[1-6]_*.ipynb"))
ASSIGNMENT = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
STUDENT_VERSION = ROOT / "assignments" / "fashion_mnist" / "fashion_mnist.ipynb"
REAL = CHAPTERS + [ASSIGNMENT, STUDENT_VERSION]

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
RAW_TAG = re.compile(r"</?(h[1-6]|p|div|span|table|thead|tbody|tr|td|th|ul|ol|li|em|strong|"
                     r"code|pre|br|img|a|script|iframe|math|mi|mrow|style)\b[^<>]*>", re.I)
TEX_SOURCE = re.compile(r"\$\$|\$[^$\n]*[\\^_{}][^$\n]*\$")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 40).decode()


class Page(HTMLParser):
    """A parsed page: its tags (name, attributes, ancestors) and text nodes (text, ancestors)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.texts = [], [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), tuple(t for t, _ in self.stack)))
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), tuple(t for t, _ in self.stack)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip():
            self.texts.append((data, tuple(self.stack)))

    def prose(self):
        """Text nodes a reader sees as prose: outside code, pre, style and the head."""
        skip = {"code", "pre", "style", "title", "head"}
        return [t for t, anc in self.texts if not skip & {name for name, _ in anc}]

    def count(self, tag):
        return sum(1 for t, _, _ in self.tags if t == tag)


def markup_in_prose(page):
    """Problems a reader would see: tags or TeX source shown as text."""
    problems = []
    for text in Page(page).prose():
        problems += [f"raw tag in text: {m.group(0)!r} in {text[:80]!r}"
                     for m in RAW_TAG.finditer(text)]
        problems += [f"TeX source in text: {m.group(0)[:60]!r}" for m in TEX_SOURCE.finditer(text)]
    return problems


def graded_parts(nb, failing=()):
    """PartScores for the nbgrader test cells of ``nb`` (full marks but for ``failing``)."""
    parts = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            got = 0 if meta["grade_id"] in failing else meta["points"]
            parts.append(fb.PartScore(meta["grade_id"], meta["grade_id"].replace("_", " "), got,
                                      meta["points"], "wrong shape" if got == 0 else "passed"))
    return parts


def written_scores(nb, comment="Clear, but the second reason is missing: $\\sigma'(x)$."):
    scores = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade"):
            first = not scores
            scores.append(fb.WrittenScore(meta["grade_id"], meta["grade_id"],
                                          2 if first else None, meta["points"],
                                          comment if first else ""))
    return scores


def math_tokens(nb):
    """How many formulas the notebook's Markdown holds (as the page's Markdown parser reads it)."""
    kinds = {"math_inline", "math_inline_double", "math_block", "math_block_label", "amsmath"}
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for token in _markdown().parse(cell.source):
            n += token.type in kinds
            n += sum(child.type in kinds for child in token.children or [])
    return n


def image_outputs(nb):
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if o.output_type in ("display_data", "execute_result")
               and ("image/png" in o.data or "image/jpeg" in o.data))


# ---------------------------------------------------------------------------
# The checks above catch what the old pages got wrong
# ---------------------------------------------------------------------------
def test_the_prose_check_reports_escaped_tags_and_tex_source():
    old = ("<html><body><p>&lt;h1&gt;Grading of alice&lt;/h1&gt;</p><p>&lt;thead&gt;</p>"
           "<p>the loss $\\frac{1}{N}\\sum_i L_i$ and $$x^2$$</p><code>&lt;p&gt; $x_1$</code>"
           "</body></html>")
    problems = markup_in_prose(old)
    assert any("'<h1>'" in p for p in problems), problems
    assert any("'<thead>'" in p for p in problems), problems
    assert any("TeX source" in p and "frac" in p for p in problems), problems
    assert any("'$$'" in p for p in problems), problems
    assert len(problems) == 6, problems            # nothing reported from inside <code>
    assert markup_in_prose("<p>costs $5 or $6, <code>&lt;p&gt;</code></p>") == []


# ---------------------------------------------------------------------------
# The course's own notebooks
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", REAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_notebooks_render_markdown_and_math(path):
    nb = nbformat.read(path, as_version=4)
    before = copy.deepcopy(nb)
    written = written_scores(nb)
    page = fb.render_page("alice", fb.notebook_title(nb), graded_parts(nb, {"test_im2col"}),
                          written, ["a note"], nb)
    assert nb == before, "render_page changed the notebook it was given"
    assert markup_in_prose(page) == []
    parsed = Page(page)
    formulas = math_tokens(nb)
    in_comments = 2 * sum(1 for w in written if "$" in w.comment)    # in the table and the badge
    assert parsed.count("math") == formulas + in_comments, "every formula becomes <math>"
    assert 'class="tex"' not in page, "a formula of the course could not be typeset"
    if path in CHAPTERS:
        assert formulas >= 20
    assert parsed.count("h1") >= 2 and parsed.count("h2") >= 2     # score table + notebook's
    assert parsed.count("img") == image_outputs(nb)
    tables = 1 + sum(c.source.count("\n|---") for c in nb.cells if c.cell_type == "markdown")
    assert parsed.count("table") == parsed.count("thead") == tables
    assert parsed.count("script") == 0 and "<script" not in page.lower()


def test_assignment_page_has_scores_first_then_notes_then_notebook():
    nb = nbformat.read(ASSIGNMENT, as_version=4)
    parts = graded_parts(nb, {"test_leaky_relu_backward"})
    page = fb.render_page("alice", "Fashion-MNIST", parts, written_scores(nb),
                          ["Your model file was used."], nb)
    body = page[page.index("<main>"):]
    table, notes, cells = (body.index('<table class="scores"'), body.index('class="notes"'),
                           body.index('class="notebook"'))
    assert body.startswith("<main>\n<table") and table < notes < cells
    scores = body[table:body.index("</table>", table)]
    assert "Fashion-MNIST" in scores and "Feedback for <strong>alice</strong>" in scores
    assert scores.count('<tr class="full">') == len(parts) - 1
    assert '<tr class="none"><th scope="row">test leaky relu backward' in scores
    assert "0 / 3" in scores and "wrong shape" in scores
    # written: one graded with a comment rendered (math included), one not graded yet
    assert "2 / 3" in scores and "not graded yet" in scores
    assert "<math" in scores and "second reason" in scores
    assert "Total so far" in scores and "40 / 47" in scores      # 41 - 3 + 2 of 6
    assert "Written answers worth 3 points are not graded yet." in scores
    # each row links to its cell, named by its label
    labels = fb.cell_labels(nb)
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "test_leaky_relu_backward")
    assert re.search(rf'href="#cell-{index + 1}">{re.escape(labels[index])}</a>', scores)
    # and the cell shows its score
    cell = page[page.index(f'id="cell-{index + 1}"'):]
    assert cell.index('class="badge none"') < cell.index("</section>")


def test_total_when_everything_is_graded():
    nb = v4.new_notebook()
    parts = [fb.PartScore("a", "A", 1.5, 2, "ok"), fb.PartScore("b", "B", 0, 1, "no")]
    written = [fb.WrittenScore("w", "W", 2.25, 3, "")]
    page = fb.render_page("bob", "T", parts, written, [], nb)
    assert re.search(r"<tfoot><tr><th scope=\"row\">Total</th><td class=\"points\">3.75 / 6</td>",
                     page)
    assert "not graded yet" not in page and 'class="notes"' not in page


@pytest.mark.parametrize("part, written, says", [
    (fb.PartScore("a", "A", 3, 2, ""), None, "3 points is outside 0..2"),
    (fb.PartScore("a", "A", -1, 2, ""), None, "outside 0..2"),
    (fb.PartScore("a", "A", float("nan"), 2, ""), None, "points must be a finite number"),
    (fb.PartScore("a", "A", None, 2, ""), None, "points must be a finite number, not None"),
    (fb.PartScore("a", "A", 0, -2, ""), None, "max_points must be a finite number >= 0"),
    (fb.PartScore("", "A", 0, 2, ""), None, "give a non-empty string"),
    (None, fb.WrittenScore("w", "W", 4, 3, ""), "written question 'w': 4 points is outside"),
    (None, fb.WrittenScore("w", "W", "2", 3, ""), "or None (not graded yet)"),
])
def test_impossible_scores_are_refused_with_the_reason(part, written, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        fb.render_page("s", "t", [part] if part else [], [written] if written else [], [],
                       v4.new_notebook())


def test_a_page_needs_a_notebook():
    with pytest.raises(ValueError, match="render_page needs a notebook"):
        fb.render_page("s", "t", [], [], [], None)


# ---------------------------------------------------------------------------
# Cell labels: what the grader calls a cell is what the page prints beside it
# ---------------------------------------------------------------------------
def labelled_sections(page):
    """``{section id: the label printed in it}`` for every cell of the page."""
    return dict(re.findall(r'<section class="cell \w+" id="(cell-\d+)"><div class="label">'
                           r"([^<]*)</div>", page))


def test_cell_labels_of_a_notebook_with_every_kind_of_cell():
    nb = v4.new_notebook()
    ran, again, unrun = v4.new_code_cell("x = 1"), v4.new_code_cell("y = 2"), v4.new_code_cell("z")
    ran.execution_count, again.execution_count = 27, 5
    twice = v4.new_code_cell("w = 3")
    twice.execution_count = 5                     # a count seen twice (a notebook run by hand)
    probe = v4.new_code_cell("SECRET_PROBE = 1")
    probe.metadata["grader_probe"] = True
    nb.cells = [v4.new_markdown_cell("# Title"), ran, probe, again, twice, unrun,
                v4.new_raw_cell("raw text")]
    labels = fb.cell_labels(nb)
    assert labels == {0: "cell 1", 1: "In [27]", 3: "In [5] (cell 3)", 4: "In [5] (cell 4)",
                      5: "In [ ] (cell 5)", 6: "cell 6"}
    page = fb.render_page("s", "t", [], [], [], nb)
    assert labelled_sections(page) == {f"cell-{n}": label for n, label in
                                       enumerate(labels.values(), start=1)}
    assert "SECRET_PROBE" not in page


@pytest.mark.parametrize("path", [ASSIGNMENT, CHAPTERS[0]], ids=lambda p: p.name)
def test_cell_labels_match_the_page_of_a_real_notebook(path):
    nb = nbformat.read(path, as_version=4)
    labels = fb.cell_labels(nb)
    assert len(labels) == len(nb.cells)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.execution_count is not None:
            assert labels[index] == f"In [{cell.execution_count}]"
    page = fb.render_page("s", "t", [], [], [], nb)
    assert list(labelled_sections(page).values()) == list(labels.values())


# ---------------------------------------------------------------------------
# Markdown, math and outputs
# ---------------------------------------------------------------------------
MARKDOWN = """# A heading

Some *emphasis*, **strong**, `code <span>` and a [link](https://example.org).

| a | b |
|---|--:|
| 1 | $x^2$ |

1. first
2. second with $\\alpha$

$$
\\frac{\\partial L}{\\partial x} = \\sum_i w_i
$$

\\begin{align}
a &= b + c \\\\
d &= e
\\end{align}

A bad formula $\\frac{1}{$ and an unknown command $\\notacommand x$.
"""


def test_markdown_is_rendered_with_its_math():
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(MARKDOWN)]
    page = fb.render_page("s", "t", [], [], [], nb)
    cell = page[page.index('id="cell-1"'):]
    for fragment in ("<h1>A heading</h1>", "<em>emphasis</em>", "<strong>strong</strong>",
                     "<code>code &lt;span&gt;</code>", "<ol>", "<li>first</li>",
                     'href="https://example.org" rel="noopener noreferrer"',
                     '<td style="text-align:right"><math display="inline">',
                     '<div class="math-display"><math display="block"><mrow><mfrac>',
                     "<mtable", "<mi>α</mi>"):
        assert fragment in cell, fragment
    assert cell.count("<math") == 4
    # what cannot be typeset is shown as its source, as code, never between dollars
    assert '<code class="tex" title="a formula that could not be typeset, shown as written">' \
           "\\frac{1}{</code>" in cell
    assert ">\\notacommand x</code>" in cell
    assert markup_in_prose(page) == []


def test_math_in_html_blocks_and_with_bracket_delimiters():
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell(
        "<details><summary>Hint $x_1$</summary>\nUse $\\frac{a}{b}$ and $$y^2$$, costs $5 and "
        "$6, <code>$kept_as_code$</code>\n</details>\n\nInline \\(\\alpha\\) and\n\n"
        "\\[\n\\beta\n\\]\n")]
    page = fb.render_page("s", "t", [], [], [], nb)
    cell = page[page.index('id="cell-1"'):]
    assert cell.count("<math") == 5
    assert "<summary>Hint <math display=\"inline\"><mrow><msub>" in cell
    assert "<mfrac>" in cell and "<msup>" in cell and "<mi>α</mi>" in cell
    assert '<div class="math-display"><math display="block"><mrow><mi>β</mi>' in cell
    assert "costs $5 and $6" in cell and "<code>$kept_as_code$</code>" in cell
    assert markup_in_prose(page) == []


def code_cell(outputs, count=3, source="print('hi')"):
    cell = v4.new_code_cell(source)
    cell.execution_count = count
    cell.outputs = outputs
    return cell


def test_outputs_of_every_kind():
    tb = ["\x1b[0;31mValueError\x1b[0m Traceback", "\x1b[1;32m----> 1\x1b[0m raise ValueError",
          "\x1b[0;31mValueError\x1b[0m: bad <value>"]
    nb = v4.new_notebook()
    nb.cells = [code_cell([
        v4.new_output("stream", name="stdout", text="epoch 1\r\x1b[2Kepoch 2\r\nloss <0.5>\n"),
        v4.new_output("stream", name="stderr", text="a warning\n"),
        v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        v4.new_output("display_data", data={"image/jpeg": JPEG}),
        v4.new_output("execute_result", execution_count=3,
                      data={"text/html": "<table><thead><tr><th>col</th></tr></thead><tbody><tr>"
                                         "<td>1</td></tr></tbody></table>",
                            "text/plain": "a table"}),
        v4.new_output("display_data", data={"text/markdown": "**bold** and $y_1$"}),
        v4.new_output("display_data", data={"text/latex": "$$\\sqrt{2}$$"}),
        v4.new_output("display_data", data={"text/plain": "just text"}),
        v4.new_output("display_data", data={"image/png": "not base64 <script>",
                                            "text/plain": "fallback text"}),
        v4.new_output("display_data", data={fb.WIDGET_MIME: {"model_id": "0" * 32},
                                            "text/plain": "VBox(children=(IntSlider(),))"}),
        v4.new_output("error", ename="ValueError", evalue="bad", traceback=tb),
    ])]
    page = fb.render_page("s", "t", [], [], [], nb)
    cell = page[page.index('id="cell-1"'):]
    assert "epoch 2\nloss &lt;0.5&gt;" in cell and "epoch 1" not in cell
    assert '<pre class="output-stream stderr">a warning' in cell
    assert f'src="data:image/png;base64,{PNG}"' in cell and "&lt;Figure&gt;" not in cell
    assert f'src="data:image/jpeg;base64,{JPEG}"' in cell
    assert '<div class="out-label">Out [3]</div>' in cell and "<th>col</th>" in cell
    assert "<strong>bold</strong>" in cell and "<msub><mi>y</mi><mn>1</mn></msub>" in cell
    assert "<msqrt>" in cell and "just text" in cell
    assert "fallback text" in cell and "not base64" not in cell
    assert fb.WIDGET_NOTE.replace("[", "") in cell.replace("[", "") and "VBox" not in cell
    assert "\x1b" not in page and "[0;31m" not in page
    assert "ValueError: bad &lt;value&gt;" in cell and "----&gt; 1 raise ValueError" in cell
    assert markup_in_prose(page) == []


def test_code_is_highlighted_without_script():
    nb = v4.new_notebook()
    nb.cells = [code_cell([], source="def f(x):\n    return x < 1  # </pre><script>")]
    page = fb.render_page("s", "t", [], [], [], nb)
    assert '<pre class="hl"><span class="k">def</span>' in page
    assert '<span class="nf">f</span>' in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert "pre.hl .k {" in page                    # Pygments' rules in the page's stylesheet


# ---------------------------------------------------------------------------
# Hostile content
# ---------------------------------------------------------------------------
HOSTILE_HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" jAvAsCrIpT:alert(1)">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    '<iframe src="https://evil.example/"></iframe>',
    "<svg onload=alert(1)><script>alert(1)</script><circle r=5 /></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>svg link</text></a></svg>',
    '<p style="background: url(https://evil.example/track.png)">styled</p>',
    "<style>@import url(https://evil.example/x.css); body{background:url(//evil)}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<img src="https://evil.example/pixel.png" alt="tracker">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<object data="https://evil.example/x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example/"><input name=p><button>go</button></form>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>'
    "</table></mtext></math>",
    '<math href="javascript:alert(1)"><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    '<details open ontoggle=alert(1)><summary>s</summary>d</details>',
    '<div id="scores" class="scores">fake table</div>',
]
HOSTILE_TEX = ["\\href{javascript:alert(1)}{x}", "\\text{<script>alert(1)</script>}",
               "\\text{<img src=x onerror=alert(1)>}", "\\style{background:url(//evil)}{x}"]


def hostile_notebook():
    nb = v4.new_notebook()
    md = "\n\n".join(HOSTILE_HTML + [f"${t}$" for t in HOSTILE_TEX]
                     + ["[md link](javascript:alert(1)) ![md img](https://evil.example/p.png)"])
    nb.cells = [
        v4.new_markdown_cell(md),
        code_cell([v4.new_output("display_data", data={"text/html": h}) for h in HOSTILE_HTML]
                  + [v4.new_output("display_data", data={"text/markdown": md}),
                     v4.new_output("display_data", data={"text/latex": "$$\\text{<b>x</b>}$$"}),
                     v4.new_output("display_data", data={"image/svg+xml": HOSTILE_HTML[6]}),
                     v4.new_output("display_data", data={"application/javascript": "alert(1)"})]),
    ]
    nb.cells[0].attachments = {"a.png": {"image/png": "AAAA\"><script>alert(1)</script>"}}
    nb.cells[0].source += "\n\n![att](attachment:a.png)"
    return nb


def assert_harmless(page):
    """No script, handler, frame, outside resource or unexpected URL anywhere in ``page``."""
    parsed = Page(page)
    lower = page.lower()
    assert "<script" not in lower and "url(" not in lower and "@import" not in lower
    allowed_meta = [{"charset": "utf-8"}, "content-security-policy", "viewport"]
    for tag, attrs, _ in parsed.tags:
        assert tag not in {"script", "iframe", "object", "embed", "svg", "form", "input",
                           "button", "link", "base", "noscript", "frame"}, tag
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert not any("xlink" in a for a in attrs), (tag, attrs)
        assert not any("javascript:" in (v or "").lower() for v in attrs.values()), (tag, attrs)
        if tag == "meta":
            assert attrs in allowed_meta[:1] or (attrs.get("http-equiv", "").lower()
                                                 in allowed_meta) or attrs.get("name") \
                == "viewport", attrs
        if "href" in attrs:
            assert re.match(r"^(https?://|mailto:|#)", attrs["href"]), attrs
        if "src" in attrs:
            assert tag == "img" and re.match(
                r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+=*$", attrs["src"]), attrs
        if "style" in attrs:
            assert attrs["style"] in {"text-align:left", "text-align:right",
                                      "text-align:center"}, attrs
        assert tag != "style" or parsed.tags.index((tag, attrs, _)) < 10
    assert parsed.count("style") == 1 and parsed.count("meta") == 3
    assert page.count('id="scores"') == 1


def test_hostile_notebook_is_neutralised():
    page = fb.render_page("mallory", "t", [], [], [], hostile_notebook())
    assert_harmless(page)
    assert "fake table" in page                                # text kept, markup gone
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page     # \text{...} stays text


def test_hostile_strings_from_the_grader_and_the_instructor_are_text():
    evil = '<script>alert(1)</script><img src=x onerror=alert(1)>"\'&'
    parts = [fb.PartScore(evil, evil, 0, 1, evil)]
    written = [fb.WrittenScore("w", evil, None, 1, evil + " [x](javascript:alert(1))")]
    page = fb.render_page(evil, evil, parts, written, [evil, "\x1b[31mred\x00"], v4.new_notebook())
    assert_harmless(page)
    assert "Feedback for <strong>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img" in page
    assert "<title>&lt;script&gt;" in page and "<li>  [31mred </li>" not in page
    assert "<li>\x1b" not in page and "\x00" not in page


@pytest.mark.parametrize("fragment", HOSTILE_HTML)
def test_sanitised_html_is_stable_when_parsed_again(fragment):
    once = sanitize(fragment)
    assert sanitize(once) == once            # no markup appears on a second parse (mutation XSS)
    for tag, attrs, _ in Page(once).tags:
        assert tag in {"a", "img", "p", "math", "mi", "mtext", "table", "details", "summary",
                       "div"}, tag
        assert not any(a.startswith("on") or a in {"id", "style", "xmlns"} for a in attrs), attrs


def test_huge_outputs_are_capped():
    nb = v4.new_notebook()
    big_png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000).decode()
    nb.cells = [code_cell([v4.new_output("stream", name="stdout", text="x" * 20_000_000)]),
                code_cell([v4.new_output("display_data", data={"image/png": big_png})
                           for _ in range(40)], count=4),
                code_cell([v4.new_output("stream", name="stdout", text="after\n")], count=5,
                          source="y = 1\n" * 1_000_000)]
    page = fb.render_page("s", "t", [], [], [], nb)
    assert len(page) < fb.MAX_PAGE + 2_000_000
    assert "characters cut by the grader" in page
    assert page.count("<img") == 20            # 8 MiB of outputs: 64 KiB of text, 20 images
    assert page.count("over the grader's limit, was left out") == 20
    assert "characters of this cell left out]" in page
    assert nb.cells[0].outputs[0].text.startswith("x" * 1000)     # the caller's copy intact


def test_a_broken_cell_does_not_lose_the_page():
    nb = v4.new_notebook()
    bad = code_cell([{"output_type": "stream", "text": 5}, "not an output",
                     {"output_type": "display_data", "data": ["a", "list"]}])
    bad.execution_count = "seven"
    nb.cells = [bad, v4.new_markdown_cell("after")]
    page = fb.render_page("s", "t", [], [], [], nb)
    assert "<p>after</p>" in page and labelled_sections(page)["cell-1"] == "In [ ] (cell 1)"


# ---------------------------------------------------------------------------
# Writing, and the helpers kept from before
# ---------------------------------------------------------------------------
def test_write_page_is_atomic(tmp_path):
    nb = nbformat.read(ASSIGNMENT, as_version=4)
    path = tmp_path / "alice.html"
    fb.write_page(path, "alice", "t", graded_parts(nb), [], [], nb)
    good = path.read_text(encoding="utf-8")
    assert good.startswith("<!DOCTYPE html>") and good.rstrip().endswith("</html>")
    with pytest.raises(ValueError):
        fb.write_page(path, "alice", "t", [fb.PartScore("a", "A", 9, 1, "")], [], [], nb)
    assert path.read_text(encoding="utf-8") == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.html"]
    with pytest.raises(FileNotFoundError):
        fb.write_page(tmp_path / "missing" / "x.html", "a", "t", [], [], [], nb)


def test_cap_outputs_twice_changes_nothing_more():
    nb = v4.new_notebook()
    nb.cells = [code_cell([v4.new_output("stream", name="stdout", text="y" * 100_000)])]
    once = copy.deepcopy(fb.cap_outputs(nb))
    assert fb.cap_outputs(nb) == once
    assert once.cells[0].outputs[0].text.count("cut by the grader") == 1


def test_md_escape_and_notebook_from_json():
    assert fb.md_escape("a*b_[c]|`d`\n<e> $x$") == "a\\*b\\_\\[c\\]\\|\\`d\\` &lt;e&gt; \\$x\\$"
    assert fb.notebook_from_json(b"not json") is None
    assert fb.notebook_from_json('{"cells": "x", "metadata": {}, "nbformat": 4, '
                                 '"nbformat_minor": 5}') is None
    nb = fb.notebook_from_json(ASSIGNMENT.read_bytes())
    assert nb is not None and len(nb.cells) == len(nbformat.read(ASSIGNMENT, as_version=4).cells)
