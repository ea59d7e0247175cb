"""Check in a real browser that the worked chapters open, run and read well in JupyterLab.

One JupyterLab server (headless, localhost, a free port, a random token) serves
every notebook of the run; each is opened in turn in Chromium driven by
Playwright, checked, and its kernel shut down before the next one.  For each
notebook (by default the six worked chapters, solutions/chapters/0[1-6]_*.ipynb):

  opened      as committed, before running (JupyterLab treats it as untrusted): no
              output shows a widget's raw text (``VBox(children=`` ...), and every
              cell whose stored output is a widget (an explorer) shows a picture;
  run all     Run -> Run All Cells (quick mode unless --full): every cell finishes
              and none shows an error;
  glyphs      every Hangul character on the page is drawn by a font that has it, not as
              an empty box (its width differs from that of a character no font has);
  math        MathJax reports no error in any Markdown cell;
  explorers   every explorer (sliders over a figure) renders and redraws when one
              of its sliders is moved with the keyboard (the figure's ``src`` changes);
  right edge  in a 1280 x 900 window no code line and no printed line runs past the
              right edge (checked on the committed outputs and after the run).

It prints PASS or FAIL for each check and each notebook, the time each notebook
took, and exits with 0 when everything passed, 1 otherwise (2 when Chromium or
Playwright is missing).  Notebooks in the repository are never rewritten
(autosave is off, checkpoints go to a temporary folder, and every file is
compared afterwards); the server and its kernels are always shut down.

Usage, from the repository root (see docs/browser_check.md):

    .venv/bin/python tests/browser_check.py [NOTEBOOK_OR_CHAPTER ...] [--full]
        [--screenshots build/browser_check] [--chromium /usr/bin/chromium] [--timeout 300]

``NOTEBOOK_OR_CHAPTER`` is a path to a notebook or a chapter number (``3``).
It needs the ``playwright`` Python package and a Chromium binary (Debian:
``apt-get install chromium``); tests/test_browser.py runs it under pytest.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(REPO.glob("solutions/chapters/0[1-6]_*.ipynb"))
DEFAULT_CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# What an output shows when a front end prints a widget instead of drawing it.
RAW_WIDGET_TEXT = ("VBox(children=", "HBox(children=", "interactive(children=")
CHECKS = ("opened", "glyphs", "run all", "math", "explorers", "right edge")
AS_COMMITTED = ("opened", "glyphs", "math", "right edge")
# Scripts whose characters must be drawn by a real font (not as empty boxes): Hangul.
GLYPH_SCRIPTS = "[\\u1100-\\u11ff\\u3130-\\u318f\\uac00-\\ud7a3]"


# ---------------------------------------------------------------------------
# Detection on plain data: used on what the page reports, and testable alone
# ---------------------------------------------------------------------------
def raw_widget_problems(outputs):
    """Problems of outputs that show a widget's raw text.

    ``outputs``: ``(cell_index, text)`` pairs, the text an output shows.
    Returns one message per offending output, naming the cell and the text found.
    """
    problems = []
    for cell, text in outputs:
        for marker in RAW_WIDGET_TEXT:
            if marker in text:
                problems.append(f"cell {cell}: the output shows the widget's raw text {marker!r}")
                break
    return problems


def missing_picture_problems(widget_cells, cells_with_picture):
    """Problems of explorer cells (stored output is a widget) that show no picture."""
    return [f"cell {cell}: its stored output is a widget, and no picture is shown in its place"
            for cell in widget_cells if cell not in set(cells_with_picture)]


def long_line_problems(texts, max_chars, what):
    """Lines longer than ``max_chars`` characters.

    ``texts``: ``(cell_index, text)`` pairs; ``what``: ``"code"`` or ``"output"``.
    Returns one message per long line: the cell, the length and the line's start.
    """
    problems = []
    for cell, text in texts:
        for line in text.splitlines():
            line = line.expandtabs(4).rstrip()
            if len(line) > max_chars:
                problems.append(f"cell {cell}: {what} line of {len(line)} characters (room for "
                                f"{max_chars}): {line[:60]!r}")
    return problems


def max_chars(width_px, char_px):
    """How many monospace characters of ``char_px`` pixels fit in ``width_px`` pixels."""
    return int((width_px + 0.5) // char_px)


UNRENDERED_TEX = re.compile(r"\$\$?[^$]{0,200}?\\[A-Za-z]+")


def mathjax_problems(errors, plain=()):
    """Problems with the math of Markdown cells.

    ``errors``: ``(cell_index, message)`` pairs of MathJax error elements;
    ``plain``: ``(cell_index, text)`` pairs, the text of each Markdown cell outside
    its typeset formulas and code, where a ``$`` followed by a TeX command
    (``$\\frac{$``) is math that MathJax never typeset.
    """
    problems = [f"cell {cell}: MathJax error: {message[:100]!r}" for cell, message in errors]
    for cell, text in plain:
        for match in UNRENDERED_TEX.finditer(text):
            problems.append(f"cell {cell}: math left as text (not typeset): "
                            f"{match.group(0)[:60]!r}")
    return problems


ERROR_LINE = re.compile(r"^(?:\w+\.)*\w*(?:Error|Exception|Interrupt|Exit)\b(?::|$)", re.M)


def error_output_problems(outputs):
    """Outputs that show an error: a traceback, or an ``SomethingError: ...`` line on stderr.

    ``outputs``: ``(cell_index, kind, text)`` with ``kind`` ``"error"`` (the page's
    error/stderr outputs) or ``"other"``.  A traceback anywhere counts; so does an
    error output.
    """
    problems = []
    for cell, kind, text in outputs:
        if "Traceback (most recent call last)" in text or (kind == "error"
                                                           and ERROR_LINE.search(text)):
            first = next((ln for ln in text.splitlines() if ERROR_LINE.match(ln)),
                         text.strip()[:80])
            problems.append(f"cell {cell}: an error is shown: {first[:100]!r}")
    return problems


def notebook_facts(path):
    """What the file says: indices of code cells with a widget output, and of non-empty ones."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    widget_cells, code_cells = [], []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if "".join(cell["source"]).strip():
            code_cells.append(i)
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
            widget_cells.append(i)
    return {"widget_cells": widget_cells, "code_cells": code_cells, "n_cells": len(nb["cells"])}


# ---------------------------------------------------------------------------
# The Jupyter server
# ---------------------------------------------------------------------------
SAVE_REFUSED = """\
from tornado.web import HTTPError


def refuse_to_save(model, path, contents_manager, **kwargs):
    raise HTTPError(403, f"browser_check: this server never saves ({path})")


c.ContentsManager.pre_save_hook = refuse_to_save
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """JupyterLab on localhost with its settings, config and state in a temporary folder."""

    def __init__(self, root, quick, timeout):
        self.root, self.quick, self.timeout = Path(root), quick, timeout
        self.port, self.token = free_port(), os.urandom(16).hex()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="browser_check_"))
        self.proc = self.log = None

    def api(self, path, method="GET", body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}{path}", method=method, data=data,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def _settings(self, plugin, values):
        folder = self.workdir / "settings" / "@jupyterlab" / plugin.split(":")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{plugin.split(':')[1]}.jupyterlab-settings").write_text(json.dumps(values))

    def start(self):
        # Never write a notebook back (autosave off); start the notebook's own kernel without
        # asking; keep every cell in the page (no windowing), so the checks see them all.
        self._settings("docmanager-extension:plugin", {"autosave": False})
        self._settings("notebook-extension:tracker",
                       {"autoStartDefaultKernel": True, "windowingMode": "none"})
        self._settings("apputils-extension:notification", {"fetchNews": "false"})
        # A private config directory: the course's nbgrader server extensions stay off, so that
        # nothing (such as a gradebook) is created in the repository; so does jupytext's (a
        # development tool here), whose contents manager would answer a refused save with a
        # server error instead of the refusal.
        config = self.workdir / "config"
        config.mkdir()
        off = {f"nbgrader.server_extensions.{name}": False
               for name in ("formgrader", "assignment_list", "course_list", "validate_assignment")}
        off["jupyterlab_jupytext"] = False
        settings = {"ServerApp": {"jpserver_extensions": off}}
        (config / "jupyter_server_config.json").write_text(json.dumps(settings))
        # And the server refuses every save: no notebook (nor any other file) is written through it.
        (config / "jupyter_server_config.py").write_text(SAVE_REFUSED)
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
                   JUPYTER_CONFIG_DIR=str(config))
        env.pop("COURSE_LIB_QUICK", None)
        if self.quick:
            env["COURSE_LIB_QUICK"] = "1"
        w = self.workdir
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
               "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}",
               f"--FileCheckpoints.checkpoint_dir={w / 'checkpoints'}",
               # no notebook is trusted when opened, whatever this machine trusted before
               "--NotebookNotary.db_file=:memory:",
               f"--LabApp.user_settings_dir={w / 'settings'}",
               f"--LabApp.workspaces_dir={w / 'workspaces'}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.news_url=None"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers often run as root
        self.log = open(w / "server.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the Jupyter server exited early with code "
                                   f"{self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                self.api("/api/status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"the Jupyter server did not answer within {self.timeout} s")

    def url(self, notebook, workspace):
        rel = Path(notebook).resolve().relative_to(self.root.resolve()).as_posix()
        return (f"{self.base}/lab/workspaces/{workspace}/tree/{urllib.parse.quote(rel)}"
                f"?token={self.token}")

    def shutdown_kernels(self):
        """Shut down every session's kernel (and any kernel left without a session)."""
        for session in self.api("/api/sessions") or []:
            self.api(f"/api/sessions/{session['id']}", method="DELETE")
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def log_tail(self, n=25):
        try:
            log = (self.workdir / "server.log").read_text(errors="replace")
            return "\n".join(log.splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        """Shut down the kernels and the server; kill the server process (by its id) if it hangs."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.shutdown_kernels()
                self.api("/api/shutdown", method="POST")
            except Exception as e:  # the server may already be going down
                print(f"note: clean shutdown request failed ({e}); terminating the server")
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        if self.log is not None:
            self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# What the page shows (JavaScript run in the page)
# ---------------------------------------------------------------------------
# Cells are numbered as in the file: windowing is off, so every cell is in the page.
JS_GLYPHS = """(scripts) => {
  const wanted = new RegExp(scripts, 'u');
  const walker = document.createTreeWalker(document.querySelector('.jp-Notebook'),
                                           NodeFilter.SHOW_TEXT);
  const found = new Map();
  while (walker.nextNode()) {
    for (const ch of walker.currentNode.textContent) {
      if (wanted.test(ch) && !found.has(ch)) found.set(ch, walker.currentNode.parentElement);
    }
  }
  const ctx = document.createElement('canvas').getContext('2d');
  const missing = [];
  for (const [ch, el] of found) {
    ctx.font = getComputedStyle(el).font;
    const none = ctx.measureText('\\u{F0000}').width;
    if (Math.abs(ctx.measureText(ch).width - none) < 0.01) missing.push(ch);
  }
  return {count: found.size, missing: missing};
}"""


def glyph_problems(found):
    """Characters drawn as empty boxes, from JS_GLYPHS's answer."""
    missing = found["missing"]
    if not missing:
        return []
    return [f"{len(missing)} of {found['count']} characters are drawn as empty boxes (no font "
            f"on this machine has them, e.g. {''.join(missing[:10])}): install a font for them "
            "(Debian: fonts-nanum for Hangul)"]


JS_OUTPUTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, i) =>
  [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
    cell: i, text: o.innerText || '', img: !!o.querySelector('img')})))"""

JS_ERRORS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, i) =>
  [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
    cell: i, text: o.innerText || '',
    kind: o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
      ? 'error' : 'other'})))"""

JS_MATH = """() => {
  const SEL = 'mjx-merror, .MathJax_Error, [data-mjx-error]';
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const errors = cells.flatMap((cell, i) => !cell.classList.contains('jp-MarkdownCell') ? [] :
    [...cell.querySelectorAll(SEL)]
      .filter(e => !e.parentElement.closest(SEL) && !e.closest('mjx-assistive-mml'))
      .map(e => ({cell: i,
                  message: e.getAttribute('data-mjx-error') || e.getAttribute('title')
                           || e.textContent})));
  // The text MathJax left alone (formulas, code and preformatted text taken out).
  const plain = cells.flatMap((cell, i) => {
    const md = cell.classList.contains('jp-MarkdownCell')
      && cell.querySelector('.jp-RenderedMarkdown');
    if (!md) return [];
    const copy = md.cloneNode(true);
    copy.querySelectorAll('mjx-container, code, pre, script').forEach(e => e.remove());
    return [{cell: i, text: copy.textContent}];
  });
  const typeset = document.querySelectorAll('.jp-MarkdownCell mjx-container').length;
  return {errors, plain, typeset};
}"""

# The width of one character in the font of an element, measured with a probe.
JS_WIDTHS = """() => {
  const charWidth = (parent) => {
    const probe = document.createElement('span');
    probe.textContent = 'x'.repeat(100);
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre';
    parent.appendChild(probe);
    const w = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return w;
  };
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const code = [], output = [];
  cells.forEach((cell, i) => {
    const content = cell.classList.contains('jp-CodeCell') && cell.querySelector('.cm-content');
    if (content) {
      // the room a line has: from where lines start to the scroller's visible right edge
      const scroller = cell.querySelector('.cm-scroller');
      const line = content.querySelector('.cm-line') || content;
      const ls = getComputedStyle(line);
      const right = scroller.getBoundingClientRect().left + scroller.clientLeft
        + scroller.clientWidth;
      const text = [...content.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n');
      code.push({cell: i, text,
                 width: right - line.getBoundingClientRect().left - parseFloat(ls.paddingLeft)
                        - parseFloat(ls.paddingRight)
                        - parseFloat(getComputedStyle(content).paddingRight),
                 char: charWidth(line), overflow: scroller.scrollWidth > scroller.clientWidth + 1});
    }
    cell.querySelectorAll('.jp-OutputArea-output pre').forEach(pre => {
      const style = getComputedStyle(pre);
      output.push({cell: i, text: pre.innerText || '',
                   width: pre.clientWidth - parseFloat(style.paddingLeft)
                          - parseFloat(style.paddingRight),
                   char: charWidth(pre), overflow: pre.scrollWidth > pre.clientWidth + 1});
    });
  });
  return {code, output};
}"""

JS_RUNNING = """() => [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]
  .some(e => e.textContent.includes('*'))"""
JS_PROMPTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell =>
  cell.classList.contains('jp-CodeCell')
    ? (cell.querySelector('.jp-InputPrompt') || {}).textContent || '' : null)"""

# Explorers: an output holding sliders and a widget Output area with a picture.
JS_EXPLORERS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, i) =>
  [...cell.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.querySelector('.widget-slider') && o.querySelector('.widget-output'))
    .map(o => ({cell: i, sliders: o.querySelectorAll('.widget-slider').length,
                figure: !!o.querySelector('.widget-output img')})))"""


def line_problems(page, what_state):
    """Code and output lines past the right edge, measured in the page."""
    found = page.evaluate(JS_WIDTHS)
    problems = []
    for what, items in (("code", found["code"]), ("output", found["output"])):
        for item in items:
            if item["char"] <= 0 or item["width"] <= 0:
                continue
            room = max_chars(item["width"], item["char"])
            lines = long_line_problems([(item["cell"], item["text"])], room, what)
            if item["overflow"] and not lines:
                lines = [f"cell {item['cell']}: {what} is wider than its area (scrolls sideways): "
                         f"{item['text'].strip().splitlines()[0][:60]!r}" if item["text"].strip()
                         else f"cell {item['cell']}: {what} is wider than its area"]
            problems += [f"{p} [{what_state}]" for p in lines]
    widths = {what: sorted({max_chars(i["width"], i["char"]) for i in items if i["char"] > 0})
              for what, items in found.items()}
    return problems, widths


# ---------------------------------------------------------------------------
# One notebook in the browser
# ---------------------------------------------------------------------------
@dataclass
class Result:
    notebook: str
    checks: dict = field(default_factory=dict)     # check -> list of problems ([] = pass)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    screenshot: str = ""
    wanted: tuple = CHECKS                         # the checks this notebook gets

    @property
    def ok(self):
        return (all(not problems for problems in self.checks.values())
                and set(self.wanted) <= set(self.checks))

    def report(self):
        lines = []
        for check in self.wanted:
            if check not in self.checks:
                lines.append(f"  NOT RUN {check}")
                continue
            problems = self.checks[check]
            lines.append(f"  {'PASS' if not problems else 'FAIL'} {check}")
            lines += [f"      {p}" for p in problems]
        lines += [f"    {n}" for n in self.notes]
        verdict = "PASS" if self.ok else "FAIL"
        lines.append(f"{verdict}: {self.notebook} ({self.seconds:.1f} s)"
                     + (f"; screenshot: {self.screenshot}" if self.screenshot else ""))
        return "\n".join(lines)


def wait_for_run(page, facts, timeout_ms):
    """Run -> Run All Cells, then wait until no cell is running or queued."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    try:
        page.wait_for_function(JS_RUNNING, timeout=15000)
    except Exception:
        pass  # a very short notebook may already be done
    page.wait_for_function(f"() => !({JS_RUNNING})()", timeout=timeout_ms, polling=500)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=timeout_ms)
    prompts = page.evaluate(JS_PROMPTS)
    return [i for i in facts["code_cells"] if i < len(prompts)
            and not re.search(r"\[\d+\]", prompts[i] or "")]


def wait_for_math(page):
    """Give MathJax time to typeset: wait until the count of typeset formulas stops changing."""
    last, stable = -1, 0
    for _ in range(40):
        n = page.evaluate(JS_MATH)["typeset"]
        stable = stable + 1 if n == last else 0
        if stable >= 3:
            break
        last = n
        page.wait_for_timeout(250)


def settled(page, look, pause_ms=3000):
    """``look()``'s problems, looked for again after a pause when there are some: a page still
    drawing (MathJax typesetting, an image being placed) is not a failure."""
    problems = look()
    if problems:
        page.wait_for_timeout(pause_ms)
        wait_for_math(page)
        problems = look()
    return problems


def check_explorers(page, facts):
    """Move one slider of each explorer with the keyboard; its figure must be redrawn."""
    problems, notes = [], []
    explorers = page.evaluate(JS_EXPLORERS)
    expected = len(facts["widget_cells"])
    if len(explorers) < expected:
        problems.append(f"{len(explorers)} explorer(s) rendered after the run, the file has "
                        f"{expected} widget output(s) (cells {facts['widget_cells']})")
    cells = page.locator(".jp-Notebook .jp-Cell")
    for k, explorer in enumerate(explorers):
        cell = cells.nth(explorer["cell"])
        outputs = cell.locator(".jp-OutputArea-output")
        output = outputs.filter(has=page.locator(".widget-slider")).first
        if not explorer["figure"]:
            problems.append(f"cell {explorer['cell']}: the explorer shows no figure")
            continue
        figure = output.locator(".widget-output img").first
        before = figure.get_attribute("src")
        moved = None
        handles = output.locator(".widget-slider:not(.mod-disabled) .noUi-handle")
        for h in range(handles.count()):
            handle = handles.nth(h)
            if handle.get_attribute("aria-disabled") == "true" \
                    or handle.locator("xpath=ancestor::*[@disabled]").count():
                continue
            slider = handle.locator("xpath=ancestor::*[contains(@class,'widget-slider')][1]")
            label = slider.inner_text().split("\n")[0]
            for key in ("ArrowRight", "ArrowLeft"):
                handle.scroll_into_view_if_needed()
                handle.focus()
                page.keyboard.press(key)
                try:
                    page.wait_for_function(
                        "([o, old]) => { const img = o.querySelector('.widget-output img');"
                        " return img && img.getAttribute('src') !== old; }",
                        arg=[output.element_handle(), before], timeout=20000)
                    moved = f"{label.strip()} ({key})"
                    break
                except Exception:
                    continue
            if moved:
                break
        if moved:
            notes.append(f"explorer in cell {explorer['cell']}: {explorer['sliders']} sliders, "
                         f"figure redrawn after moving {moved}")
        else:
            problems.append(f"cell {explorer['cell']}: the figure did not change when a slider "
                            "was moved with the keyboard")
    return problems, notes


def check_notebook(browser, server, notebook, index, timeout_s, shots, run=True):
    """Run every check on one notebook; returns a Result.  The notebook's kernel is shut down.

    ``run=False``: only the checks of the notebook as committed (opened, glyphs, math, right
    edge), without running it."""
    path = Path(notebook).resolve()
    result = Result(path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path),
                    wanted=CHECKS if run else AS_COMMITTED)
    facts = notebook_facts(notebook)
    timeout = timeout_s * 1000
    start = time.monotonic()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(server.url(notebook, f"check{index}"), timeout=timeout)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
        page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-Cell').length "
                               f"=== {facts['n_cells']}", timeout=timeout)
        # The kernel comes up idle, unless a "Select Kernel" dialog appears anyway: then keep the
        # notebook's kernel and wait for it
        idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
        accept = ".jp-Dialog .jp-mod-accept"
        page.wait_for_selector(f"{idle}, {accept}", timeout=timeout)
        if page.locator(accept).count():
            page.locator(accept).click(timeout=timeout)
        page.wait_for_selector(idle, timeout=timeout)
        wait_for_math(page)

        # 1. As committed, before running (looked at again after a pause before it counts as a
        #    failure, in case the page was still drawing).
        def opened():
            outputs = page.evaluate(JS_OUTPUTS)
            with_picture = sorted({o["cell"] for o in outputs if o["img"]})
            return (raw_widget_problems([(o["cell"], o["text"]) for o in outputs])
                    + missing_picture_problems(facts["widget_cells"], with_picture))
        result.checks["opened"] = settled(page, opened)
        glyphs = page.evaluate(JS_GLYPHS, GLYPH_SCRIPTS)
        result.checks["glyphs"] = glyph_problems(glyphs)
        if glyphs["count"]:
            result.notes.append(f"{glyphs['count']} different Hangul characters")
        edge, widths = line_problems(page, "as committed")
        result.notes.append(f"room for {widths['code']} characters of code, {widths['output']} of "
                            "output")
        if not run:
            result.checks["math"] = settled(page, lambda: mathjax_problems(
                [(e["cell"], e["message"]) for e in page.evaluate(JS_MATH)["errors"]]))
            result.checks["right edge"] = edge
            if not result.ok:
                raise AssertionError("a check failed")
            result.screenshot = str(shots / f"{Path(notebook).stem}.png")
            page.screenshot(path=result.screenshot)
            return result

        # 2. Run all.
        not_run = wait_for_run(page, facts, timeout)
        errors = error_output_problems([(o["cell"], o["kind"], o["text"]) for o
                                        in page.evaluate(JS_ERRORS)])
        result.checks["run all"] = errors + [f"cell {i}: did not run" for i in not_run]

        # 3. Math, 4. explorers, 5. right edge after the run.
        wait_for_math(page)

        typeset = {}

        def math():
            found = page.evaluate(JS_MATH)
            typeset["formulas"] = found["typeset"]
            return mathjax_problems([(e["cell"], e["message"]) for e in found["errors"]],
                                    [(p["cell"], p["text"]) for p in found["plain"]])
        result.checks["math"] = settled(page, math)
        result.notes.append(f"typeset formulas: {typeset['formulas']}")
        result.checks["explorers"], notes = check_explorers(page, facts)
        result.notes += notes or ["no explorer"]
        after, _ = line_problems(page, "after the run")
        result.checks["right edge"] = edge + [p for p in after if p.replace("after the "
                                                                            "run", "as committed")
                                              not in edge]
        if not result.ok:
            raise AssertionError("a check failed")
        shot = page.locator(".jp-OutputArea-output .widget-slider").first
        if shot.count():
            shot.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        result.screenshot = str(shots / f"{Path(notebook).stem}.png")
        page.screenshot(path=result.screenshot)
    except Exception as e:
        if not isinstance(e, AssertionError):
            result.notes.append(f"stopped: {type(e).__name__}: "
                                f"{str(e).splitlines()[0] if str(e) else ''}")
        result.screenshot = str(shots / f"{Path(notebook).stem}_failed.png")
        try:
            page.screenshot(path=result.screenshot, full_page=False)
        except Exception:
            result.screenshot = ""
    finally:
        page.close()
        try:
            server.shutdown_kernels()
        except Exception as e:
            result.notes.append(f"kernel shutdown failed: {e}")
        result.seconds = time.monotonic() - start
    return result


def resolve(spec):
    """A notebook path, or a chapter number such as ``3`` for its worked version."""
    if re.fullmatch(r"\d", spec):
        found = [p for p in CHAPTERS if p.name.startswith(f"0{spec}_")]
        if not found:
            raise SystemExit(f"no worked chapter {spec}: choose one of 1-{len(CHAPTERS)}")
        return found[0]
    path = Path(spec)
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.is_file() or path.suffix != ".ipynb":
        raise SystemExit(f"{spec}: not a notebook file; give a .ipynb path or a chapter number "
                         "(1-6)")
    return path.resolve()


def missing_requirements(chromium):
    """Why the check cannot run here (None when it can)."""
    if not Path(chromium).exists():
        return (f"no Chromium at {chromium}; install it (Debian: apt-get install chromium) "
                f"or pass --chromium PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the playwright package is missing; install it with: "
                ".venv/bin/pip install playwright")
    return None


def check_notebooks(notebooks, chromium=DEFAULT_CHROMIUM, quick=True, timeout_s=300,
                    shots=REPO / "build" / "browser_check", log=print, as_committed=()):
    """Check ``notebooks`` with one server and one browser; returns a Result per notebook.

    Notebooks also in ``as_committed`` are checked as committed only, without running them."""
    from playwright.sync_api import sync_playwright

    notebooks = [Path(n).resolve() for n in notebooks]
    shots = Path(shots)
    shots.mkdir(parents=True, exist_ok=True)
    before = {n: n.read_bytes() for n in notebooks}
    inside = all(n.is_relative_to(REPO) for n in notebooks)
    root = REPO if inside else Path(os.path.commonpath([n.parent for n in notebooks]))
    server = Server(root, quick, timeout_s)
    results = []
    try:
        t0 = time.monotonic()
        server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            try:
                log(f"server and browser started in {time.monotonic() - t0:.1f} s")
                for i, notebook in enumerate(notebooks):
                    run = notebook not in {Path(n).resolve() for n in as_committed}
                    result = check_notebook(browser, server, notebook, i, timeout_s, shots, run)
                    results.append(result)
                    log(result.report())
            finally:
                browser.close()
    finally:
        tail = server.log_tail()
        server.stop()
        for notebook, content in before.items():
            # The server refuses every save, so a change comes from elsewhere (an editor, a re-run):
            # leave it, and say that what was checked is the file as it was when the check began.
            if notebook.read_bytes() != content:
                log(f"note: {notebook} changed on disk during the check (not through the check's "
                    "server, which refuses every save); it was left as it is")
                for r in results:
                    if Path(r.notebook).name == notebook.name:
                        r.checks.setdefault("run all", []).append(
                            "the file changed on disk during the check: check it again")
    if not all(r.ok for r in results) or len(results) < len(notebooks):
        log("--- last lines of the server log ---\n" + tail)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks or chapter numbers (default: all "
                                                     "six worked chapters, "
                                                     "solutions/chapters/0[1-6]_*.ipynb)")
    parser.add_argument("--screenshots", type=Path, default=REPO / "build" / "browser_check",
                        help="folder for the screenshots (default: build/browser_check)")
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="the Chromium executable")
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait for each step")
    parser.add_argument("--full", action="store_true", help="run the notebooks in full mode "
                                                            "(default: quick)")
    args = parser.parse_args(argv)

    problem = missing_requirements(args.chromium)
    if problem:
        print(f"FAIL: {problem}")
        return 2
    notebooks = [resolve(s) for s in args.notebooks] or CHAPTERS
    t0 = time.monotonic()
    try:
        results = check_notebooks(notebooks, args.chromium, quick=not args.full,
                                  timeout_s=args.timeout,
                                  shots=args.screenshots)
    except Exception as e:
        print(f"FAIL: {type(e).__name__}: {e}")
        return 1
    print("\nsummary:")
    for r in results:
        print(f"  {'PASS' if r.ok else 'FAIL'} {r.notebook}  {r.seconds:6.1f} s  "
              + ", ".join(f"{c}: {'ok' if not r.checks.get(c) else 'FAIL'}" if c in r.checks
                          else f"{c}: not run"
                          for c in CHECKS))
    ok = len(results) == len(notebooks) and all(r.ok for r in results)
    print(f"{'PASS' if ok else 'FAIL'}: {sum(r.ok for r in results)} of {len(notebooks)} "
          f"notebooks passed in {time.monotonic() - t0:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
