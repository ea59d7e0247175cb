"""Feedback pages (course_grader/feedback.py) as a student sees them, in headless Chromium.

Pages are rendered here, written to a temporary folder and opened from disk
(``file://``) in one Chromium for the module, started by Playwright as
tests/browser_check.py starts it (the system's Chromium, the same flags), in a
1280 x 900 window.  ``inspect_page`` reports, for one page:

- ``first``: the score table is the first thing on the page (the first child
  of ``<main>``, at the top of the window, above the notes and every cell);
- ``raw text``: a visible text node outside code that shows a tag (``<h1>``,
  ``<p>``, ``<thead>``...) or TeX source (``$\\frac..$``, ``$$``);
- ``math``: a ``<math>`` element that Chromium does not lay out as MathML or
  that has no size (hints in ``<details>`` are opened first);
- ``console``: console errors, page errors, Content-Security-Policy violations
  and requests for anything but the page itself;
- ``overflow``: the page wider than the window (on screen and in print);
- ``print``: content of a closed ``<details>`` (a hint) left off the paper.

Pages: the assignment in its instructor version with a failing part and
written comments, the six worked chapters, and a hostile notebook (in the
page, nothing runs or loads).  The checks are shown to fail on pages made
to fail them.  Without Chromium or the playwright package the tests are
skipped with the reason; with ``COURSE_REQUIRE_BROWSER=1`` they fail.
"""
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check as bc
from test_feedback import (ASSIGNMENT, CHAPTERS, RAW_TAG, TEX_SOURCE,
                           graded_parts, hostile_notebook, written_scores)

from course_grader import feedback as fb

REQUIRE_BROWSER_ENV = "COURSE_REQUIRE_BROWSER"
pytestmark = pytest.mark.browser

# Runs in the page (Playwright's evaluate is not subject to the page's CSP); returns plain data.
INSPECT_JS = """
([rawTag, texSource]) => {
  const tagRe = new RegExp(rawTag, "i"), texRe = new RegExp(texSource);
  for (const d of document.querySelectorAll("details")) d.open = true;
  const out = {raw: [], math: [], order: [], mathCount: 0};
  const main = document.querySelector("main");
  const table = document.querySelector("table.scores");
  out.firstChild = main && main.firstElementChild ? main.firstElementChild.outerHTML.slice(0, 40)
                                                   : null;
  if (table) {
    const top = table.getBoundingClientRect().top + window.scrollY;
    out.tableTop = top;
    const bottom = table.getBoundingClientRect().bottom + window.scrollY;
    for (const el of document.querySelectorAll("section.notes, section.cell, section.notebook")) {
      const r = el.getBoundingClientRect();
      if (r.top + window.scrollY < bottom) out.order.push(el.className);
    }
  }
  const skip = new Set(["CODE", "PRE", "STYLE", "TITLE", "SCRIPT", "HEAD"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let hidden = false;
    for (let p = n.parentElement; p; p = p.parentElement) {
      if (skip.has(p.tagName.toUpperCase())) { hidden = true; break; }
    }
    if (hidden || !n.parentElement.checkVisibility()) continue;
    const t = n.textContent;
    if (tagRe.test(t) || texRe.test(t)) out.raw.push(t.trim().slice(0, 100));
  }
  for (const m of document.querySelectorAll("math")) {
    out.mathCount += 1;
    const r = m.getBoundingClientRect(), display = getComputedStyle(m).display;
    if (!(r.width > 0 && r.height > 0) || !display.includes("math"))
      out.math.push(`${display} ${r.width}x${r.height}: ${m.textContent.slice(0, 40)}`);
  }
  const doc = document.documentElement;
  out.width = [doc.scrollWidth, doc.clientWidth, document.body.scrollWidth];
  out.dom = {
    scripts: document.querySelectorAll("script, iframe, object, embed, svg, form").length,
    handlers: Array.from(document.querySelectorAll("*")).flatMap(
      el => Array.from(el.attributes).filter(a => a.name.startsWith("on")).map(a => a.name)),
    title: document.title,
  };
  out.csp = window.__cspViolations || [];
  return out;
}
"""
# In print media: the page's width, and what a closed <details> would keep off the paper.
PRINT_JS = """
() => ({
  width: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
  hidden: Array.from(document.querySelectorAll("details > :not(summary)"))
    .filter(el => !el.checkVisibility({contentVisibilityAuto: true}))
    .map(el => el.textContent.trim().slice(0, 60)),
})
"""
LISTEN_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def chromium():
    """The Chromium: ``$COURSE_CHROMIUM``, else ``chromium`` on the PATH, else the default path."""
    return (os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser") or bc.DEFAULT_CHROMIUM)


def require_browser():
    """Skip when no browser can run here, or fail under COURSE_REQUIRE_BROWSER=1."""
    problem = bc.missing_requirements(chromium())
    if problem is None:
        return
    if os.environ.get(REQUIRE_BROWSER_ENV, "") not in ("", "0"):
        pytest.fail(f"{problem}\n{REQUIRE_BROWSER_ENV}=1: the browser check must run here.",
                    pytrace=False)
    pytest.skip(f"{problem} (set {REQUIRE_BROWSER_ENV}=1 to make this a failure)")


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), headless=True, args=bc.CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("COURSE_BROWSER_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("feedback-shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def inspect_page(browser, path, shot=None):
    """Open the page at ``path``; return ``{check: [problems]}`` and the raw findings."""
    context = browser.new_context(viewport=bc.VIEWPORT)
    page = context.new_page()
    console, requests = [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    url = Path(path).resolve().as_uri()
    page.on("request", lambda r: requests.append(r.url)
            if r.url != url and not r.url.startswith("data:") else None)
    page.add_init_script(LISTEN_CSP)
    try:
        page.goto(url, wait_until="load")
        page.emulate_media(media="print")
        printed = page.evaluate(PRINT_JS)
        page.emulate_media(media="screen")
        found = page.evaluate(INSPECT_JS, [RAW_TAG.pattern, TEX_SOURCE.pattern])
        if shot:
            page.screenshot(path=str(shot))
    finally:
        context.close()
    problems = {
        "first": ([] if found["firstChild"] and found["firstChild"].startswith(
            '<table class="scores"') and found.get("tableTop", 1e9) < 60 and not found["order"]
            else [f"first child of <main>: {found['firstChild']!r}, table at "
                  f"{found.get('tableTop')} px, above its end: {found['order']}"]),
        "raw text": found["raw"],
        "math": found["math"],
        "console": console + [f"CSP: {v}" for v in found["csp"]]
        + [f"request: {u}" for u in requests],
        "overflow": ([] if found["width"][0] <= found["width"][1]
                     and found["width"][2] <= found["width"][1]
                     else [f"page {found['width']} px wide in a {bc.VIEWPORT['width']} px window"])
        + ([] if printed["width"][0] <= printed["width"][1]
           else [f"printed page {printed['width']} px wide"]),
        "print": [f"hidden on paper (closed <details>): {t!r}" for t in printed["hidden"]],
    }
    return problems, found


def assert_clean(problems, name):
    bad = {check: p for check, p in problems.items() if p}
    assert not bad, f"{name}: " + "; ".join(f"{c}: {p[:5]}" for c, p in bad.items())


# ---------------------------------------------------------------------------
# The pages a class gets
# ---------------------------------------------------------------------------
def test_assignment_page_in_the_browser(browser, tmp_path, shots):
    t0 = time.monotonic()
    nb = nbformat.read(ASSIGNMENT, as_version=4)
    parts = graded_parts(nb, {"test_convolution_backward"})
    written = written_scores(nb)
    path = tmp_path / "alice.html"
    fb.write_page(path, "alice", fb.notebook_title(nb), parts, written,
                  ["'fashion_mnist_model.npz' handed in with the notebook was used"], nb)
    problems, found = inspect_page(browser, path, shots / "feedback_assignment.png")
    print(f"assignment page checked in {time.monotonic() - t0:.1f} s; "
          f"{found['mathCount']} formulas; screenshot {shots / 'feedback_assignment.png'}")
    assert_clean(problems, "assignment")
    assert found["mathCount"] >= 3                    # the notebook's and the comment's
    assert found["dom"]["title"].startswith("Assignment: classifying Fashion-MNIST")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_in_the_browser(browser, tmp_path, chapter):
    nb = nbformat.read(chapter, as_version=4)
    path = tmp_path / f"{chapter.stem}.html"
    fb.write_page(path, "alice", fb.notebook_title(nb), [], [], [], nb)
    problems, found = inspect_page(browser, path)
    assert_clean(problems, chapter.name)
    assert found["mathCount"] >= 20


def test_hostile_page_runs_and_loads_nothing(browser, tmp_path):
    path = tmp_path / "mallory.html"
    evil = '<img src=x onerror="document.title=1">'
    fb.write_page(path, evil, "t", [fb.PartScore("a", evil, 0, 1, evil)],
                  [fb.WrittenScore("w", "W", 1, 1, evil)], [evil], hostile_notebook())
    problems, found = inspect_page(browser, path)
    assert problems["console"] == [] and problems["overflow"] == []
    assert found["dom"]["scripts"] == 0 and found["dom"]["handlers"] == []
    assert found["dom"]["title"] == "t · <img src=x onerror=\"document.title=1\">"


# ---------------------------------------------------------------------------
# The checks report what they look for
# ---------------------------------------------------------------------------
def test_the_checks_fail_on_a_page_made_to_fail_them(browser, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Plain $x$ text.")]
    page = fb.render_page("s", "t", [fb.PartScore("a", "A", 1, 1, "ok")], [], ["a note"], nb)
    head, body = page.split("<main>\n")
    table_end = body.index("</table>") + len("</table>")
    notes = body[table_end:body.index('<section class="notebook"')]
    broken = (head + "<main>\n" + notes + body[:table_end] + body[body.index(
        '<section class="notebook"'):])                          # the notes moved first
    broken = broken.replace("Plain ", "Plain &lt;h1&gt;Title&lt;/h1&gt; $\\frac{1}{2}$ ")
    broken = broken.replace("</main>", '<pre style="white-space:pre">' + "w" * 400 + "</pre>"
                            '<p><math style="display:none"><mi>y</mi></math></p>'
                            '<script>document.title = "ran"</script>'
                            '<img src="https://example.invalid/pixel.png"></main>')
    broken = broken.replace("details::details-content", "details::not-a-pseudo-element")
    broken = broken.replace("</main>", "<details><summary>Hint</summary><p>on paper?</p>"
                            "</details></main>")
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    problems, found = inspect_page(browser, path)
    assert problems["first"] and "section" in problems["first"][0], problems
    assert any("<h1>" in t for t in problems["raw text"]), problems
    assert any("frac" in t for t in problems["raw text"]), problems
    assert problems["math"] and problems["math"][0].startswith("none 0x0"), problems
    assert any("CSP" in p and "script-src" in p for p in problems["console"]), problems
    assert any("CSP" in p and "img-src" in p for p in problems["console"]), problems
    assert problems["overflow"], problems
    assert problems["print"] == ["hidden on paper (closed <details>): 'on paper?'"], problems
    assert found["dom"]["title"] == "t · s"                    # the script was refused
