"""The worked chapters in a real browser (tests/browser_check.py), and its detection rules.

The browser tests (marker ``browser``) start one JupyterLab server and one
Chromium for the whole module and check the six worked chapters in turn, one
test per chapter: starting the server and the browser once saves their start-up
for five of the six chapters, and a failure still names its chapter.  Under
``pytest -n 2 --dist loadfile`` the whole module runs on one worker.  The server
listens on a free port with its own token, its settings, kernels' runtime files
and checkpoints live in a temporary folder, and notebooks are never written, so
the tests share nothing with the others running beside them.

Without Chromium or the playwright package the browser tests are skipped with
the reason; with ``COURSE_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail.
The detection rules are also tested on plain data, with no browser.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check as bc

REQUIRE_BROWSER_ENV = "COURSE_REQUIRE_BROWSER"


def chromium():
    """The Chromium to use: ``$COURSE_CHROMIUM``, else ``chromium`` on the PATH; else a default."""
    return (os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser")
            or bc.DEFAULT_CHROMIUM)


def require_browser():
    """Skip the test when no browser check can run here; fail it if COURSE_REQUIRE_BROWSER=1."""
    problem = bc.missing_requirements(chromium())
    if problem is None:
        return
    if os.environ.get(REQUIRE_BROWSER_ENV, "") not in ("", "0"):
        pytest.fail(f"{problem}\n{REQUIRE_BROWSER_ENV}=1: the browser check must run "
                    "here.", pytrace=False)
    pytest.skip(f"{problem} (set {REQUIRE_BROWSER_ENV}=1 to make this a failure)")


# ---------------------------------------------------------------------------
# The six worked chapters, one server and one browser for all
# ---------------------------------------------------------------------------
KOREAN = sorted(bc.REPO.glob("solutions/chapters/ko/0[1-6]_*.ipynb"))


def without_explorer(path):
    """True when the notebook as committed shows no explorer (no widget output)."""
    return not bc.notebook_facts(path)["widget_cells"]


# What the browser adds to nbval's run of a chapter is how the page looks and behaves: the
# committed outputs of the full run (opened, glyphs, math, right edge) in every chapter, and
# the explorers answering their sliders after a run. The chapters whose explorers are drawn
# by the explorer widget itself (chapters 1 and 3: windows of a convolution and of a pooling)
# run in the browser; chapter 5's augmentation explorer is a subclass that only draws other
# figures, and is checked as committed like the chapters without explorers and the Korean
# edition (nbval runs them all in the same suite; tests/test_augment.py drives its controls).
RUN_IN_BROWSER = ("01_convolution_arithmetic.ipynb", "03_pooling.ipynb")
AS_COMMITTED = KOREAN + [p for p in bc.CHAPTERS if p.name not in RUN_IN_BROWSER]


@pytest.fixture(scope="module")
def chapter_results(tmp_path_factory):
    """The six worked chapters: those with explorers run, the others and the Korean edition as
    committed (glyphs, math, edges)."""
    require_browser()
    found = [p.name for p in bc.CHAPTERS]
    assert len(found) == 6, f"expected six worked chapters, found {found}"
    assert [p.name for p in KOREAN] == found, "the Korean edition lacks worked chapters"
    assert not any(without_explorer(p) for p in bc.CHAPTERS if p.name in RUN_IN_BROWSER), \
        "a chapter run for its explorers shows none"
    shots = Path(os.environ.get("COURSE_BROWSER_SCREENSHOTS",
                                tmp_path_factory.mktemp("browser-shots")))
    lines = []
    results = bc.check_notebooks(bc.CHAPTERS + KOREAN, chromium(), quick=True, timeout_s=300,
                                 shots=shots, log=lines.append,
                                 as_committed=AS_COMMITTED)
    return {r.notebook: r for r in results}, "\n".join(lines)


@pytest.mark.browser
@pytest.mark.parametrize("chapter", [p.relative_to(bc.REPO).as_posix()
                                     for p in bc.CHAPTERS + KOREAN])
def test_chapter_in_browser(chapter_results, chapter):
    results, log = chapter_results
    assert chapter in results, f"{chapter} was not checked:\n{log}"
    result = results[chapter]
    print(result.report())
    assert result.ok, f"{chapter} failed in the browser:\n{result.report()}"


# ---------------------------------------------------------------------------
# The browser finds what is wrong (a notebook made here)
# ---------------------------------------------------------------------------
def bad_notebook(folder):
    """A notebook with one fault per check: each must be reported."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    widget = nbformat.v4.new_code_cell("import ipywidgets as w\nw.VBox([w.IntSlider()])")
    # As a notebook run elsewhere stores a widget: its view and its raw text, no picture.
    widget.outputs = [nbformat.v4.new_output(
        "execute_result", execution_count=1,
        data={"text/plain": "VBox(children=(IntSlider(value=0),))",
              bc.WIDGET_MIME: {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}})]
    nb.cells = [
        nbformat.v4.new_markdown_cell("A fraction with no denominator: $\\frac{1}$, and one left "
                                      "open: $\\frac{$. A glyph no font has: \U000F0001; "
                                      "Hangul: 합성곱."),
        nbformat.v4.new_code_cell("print('wide ' * 60)"),
        nbformat.v4.new_code_cell("total = 0  # " + "a comment that goes on " * 8),
        widget,
        nbformat.v4.new_code_cell("raise ValueError('a deliberate error')"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    path = folder / "bad.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.browser
def test_browser_check_reports_each_fault(tmp_path, monkeypatch):
    require_browser()
    path = bad_notebook(tmp_path)
    # a character no font has stands for Hangul without a Hangul font
    monkeypatch.setattr(bc, "GLYPH_SCRIPTS", "[\\u{F0000}-\\u{F0010}\\uac00-\\ud7a3]")
    before = path.read_bytes()
    lines = []
    [result] = bc.check_notebooks([path], chromium(), quick=True, timeout_s=120, shots=tmp_path,
                                  log=lines.append)
    report = result.report()
    assert not result.ok, report
    checks = result.checks
    assert any("raw text 'VBox(children='" in p and p.startswith("cell 3") for p
               in checks["opened"]), report
    assert any("no picture" in p and p.startswith("cell 3") for p in checks["opened"]), report
    assert any(p.startswith("cell 4: an error is shown: 'ValueError: a deliberate error'")
               for p in checks["run all"]), report
    assert "cell 5: did not run" in checks["run all"], report
    assert any("drawn as empty boxes" in p for p in checks["glyphs"]), report
    assert any("Missing argument for \\\\frac" in p for p in checks["math"]), report
    assert any("not typeset" in p for p in checks["math"]), report
    assert any(p.startswith("cell 1: output line of 299 "
                            "characters") for p in checks["right edge"]), report
    assert any(p.startswith("cell 2: code line of") for p in checks["right edge"]), report
    shot = Path(result.screenshot)
    assert shot.name == "bad_failed.png" and shot.exists(), report
    assert path.read_bytes() == before, "the check rewrote the notebook"


# ---------------------------------------------------------------------------
# The detection rules on plain data (no browser)
# ---------------------------------------------------------------------------
def test_raw_widget_text_is_found():
    shown = [(2, "some text"), (5, "VBox(children=(HBox(children=(IntSlider(value=7"),
             (7, "interactive(children=(IntSlider(value=1),))"), (8, "<ConvExplorer: run the "
                                                                     "cell>")]
    problems = bc.raw_widget_problems(shown)
    assert [p.split(":")[0] for p in problems] == ["cell 5", "cell 7"]
    assert "'VBox(children='" in problems[0]


def test_explorer_without_a_picture_is_found():
    assert bc.missing_picture_problems([3, 9], [3]) == [
        "cell 9: its stored output is a widget, and no picture is shown in its place"]
    assert bc.missing_picture_problems([3], [3, 4]) == []


def test_long_lines_are_found_with_their_cell_and_start():
    text = "short\n" + "y" * 81 + "\n" + "z" * 80
    problems = bc.long_line_problems([(4, text)], 80, "output")
    assert problems == [f"cell 4: output line of 81 characters (room for 80): {'y' * 60!r}"]
    assert bc.long_line_problems([(1, "\t" * 20 + "x")], 80, "code")   # tabs count as 4 columns
    # trailing blanks do not
    assert bc.long_line_problems([(1, "x" * 80 + "   ")], 80, "code") == []


def test_room_for_characters():
    assert bc.max_chars(800, 8.0) == 100
    assert bc.max_chars(799.4, 8.0) == 99
    assert bc.max_chars(767.9, 7.68) == 100   # sub-pixel rounding of a measured width


def test_math_errors_and_untypeset_math_are_found():
    problems = bc.mathjax_problems([(6, "Missing argument for \\frac")],
                                   [(2, "costs $5 and $3"), (3, "left open: $\\frac{$ "
                                                                "here"), (4, "plain text")])
    assert problems == ["cell 6: MathJax error: 'Missing argument for \\\\frac'",
                        "cell 3: math left as text (not typeset): '$\\\\frac'"]


def test_errors_are_found_and_warnings_are_not():
    outputs = [(1, "error", "/x.py:3: UserWarning: careful\n  warnings.warn('careful')"),
               (2, "error", "----\nValueError                Traceback (most recent call "
                            "last)\nValueError: boom"),
               (3, "error", "  Cell In[3], line 1\n    1 +\n       ^\nSyntaxError: invalid syntax"),
               (4, "other", "accuracy 0.91, no Error here"),
               (5, "error", "100%|██████████| 10/10 [00:01<00:00]")]
    problems = bc.error_output_problems(outputs)
    assert [p.split(":")[0] for p in problems] == ["cell 2", "cell 3"]
    assert "'ValueError: boom'" in problems[0] and "'SyntaxError: invalid syntax'" in problems[1]


def test_notebook_facts(tmp_path):
    path = bad_notebook(tmp_path)
    facts = bc.notebook_facts(path)
    assert facts == {"widget_cells": [3], "code_cells": [1, 2, 3, 4, 5], "n_cells": 6}
    assert json.loads(path.read_text())["cells"][3]["outputs"][0]["data"][bc.WIDGET_MIME]


def test_the_server_refuses_to_save(tmp_path):
    """The check's server writes no file: a save through its API is refused, the file unchanged."""
    path = bad_notebook(tmp_path)
    before = path.read_bytes()
    server = bc.Server(tmp_path, quick=True, timeout=60)
    try:
        server.start()
        model = server.api(f"/api/contents/{path.name}")
        model["content"]["cells"] = []
        with pytest.raises(bc.urllib.error.HTTPError) as refused:
            server.api(f"/api/contents/{path.name}", method="PUT",
                       body={"type": "notebook", "format": "json", "content": model["content"]})
        assert refused.value.code == 403 and b"never saves" in refused.value.read()
    finally:
        server.stop()
    assert path.read_bytes() == before
    assert not server.workdir.exists(), "the server's temporary folder was left behind"
