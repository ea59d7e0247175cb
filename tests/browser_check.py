"""Check in a real browser that the chapter 1 notebook runs and its widget renders.

Starts JupyterLab headless on localhost (a free port, a random token, the
repository as root directory), opens solutions/chapters/01_convolution_arithmetic.ipynb
(chapter 1 with its exercises solved: the student version stops at each exercise) in Chromium driven by Playwright, runs all cells from the Run menu, waits for
the convolution explorer's sliders and figure, moves the stride slider with
the keyboard and waits for the explorer to redraw, takes a screenshot, and
prints PASS or FAIL.  The server is always shut down, and the notebook file is
left exactly as it was (autosave is switched off; the file is checked
afterwards).

Usage, from the repository root (see docs/browser_check.md):

    .venv/bin/python tests/browser_check.py [--screenshot build/browser_check.png]
                                           [--chromium /usr/bin/chromium] [--timeout 180]

It needs the ``playwright`` Python package and a Chromium binary (Debian:
``apt-get install chromium``).  It is not collected by pytest.
"""
import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The solution version: the student version raises at each exercise until it is solved.
NOTEBOOK = "solutions/chapters/01_convolution_arithmetic.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, token, path, method="GET"):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
    return json.loads(body) if body else None


def start_server(port, token, workdir, quick):
    settings = workdir / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    # Never write the executed notebook back into the repository.
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    # Start the notebook's own kernel without asking, and fetch no news from the internet.
    tracker = workdir / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"autoStartDefaultKernel": True}))
    news = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    # A private config directory: the course's nbgrader server extensions stay off, so that
    # nothing (such as a gradebook) is created in the repository.
    config = workdir / "config"
    config.mkdir()
    off = {name: False for name in ("nbgrader.server_extensions.formgrader",
                                    "nbgrader.server_extensions.assignment_list",
                                    "nbgrader.server_extensions.course_list",
                                    "nbgrader.server_extensions.validate_assignment")}
    (config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": off}}))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_CONFIG_DIR=str(config))
    if quick:
        env["COURSE_LIB_QUICK"] = "1"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
           "--ServerApp.port_retries=0", f"--FileCheckpoints.checkpoint_dir={workdir / 'checkpoints'}", f"--LabApp.user_settings_dir={workdir / 'settings'}",
           f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root
    log = open(workdir / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def wait_for_server(proc, base, token, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited early with code {proc.returncode}")
        try:
            api(base, token, "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"the Jupyter server did not answer within {timeout} s")


def stop_server(proc, base, token):
    """Shut down the kernels and the server; kill the server process (by its id) if it hangs."""
    if proc.poll() is None:
        try:
            for kernel in api(base, token, "/api/kernels") or []:
                api(base, token, f"/api/kernels/{kernel['id']}", method="DELETE")
            api(base, token, "/api/shutdown", method="POST")
        except Exception as e:  # the server may already be going down
            print(f"note: clean shutdown request failed ({e}); terminating the server")
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_in_browser(url, chromium, screenshot, timeout_s):
    from playwright.sync_api import sync_playwright

    timeout = timeout_s * 1000
    checks = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=timeout)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
            try:  # a "Select Kernel" dialog, should one appear anyway: keep the notebook's kernel
                page.locator(".jp-Dialog .jp-mod-accept").click(timeout=5000)
            except Exception:
                pass
            # Wait until the kernel is up before running anything.
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            slider = page.locator(".jp-OutputArea-output .widget-slider").first
            slider.wait_for(state="visible", timeout=timeout)
            checks["sliders rendered"] = page.locator(".jp-OutputArea-output .widget-slider").count()
            figure = page.locator(".jp-OutputArea-output .widget-output img").first
            figure.wait_for(state="visible", timeout=timeout)
            checks["explorer figure rendered"] = True
            # Wait for the whole notebook to finish (no '[*]' prompts left).
            page.wait_for_function(
                "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))",
                timeout=timeout)
            errors = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)").count()
            checks["cells with a traceback"] = errors
            status = page.locator(".jp-OutputArea-output .widget-html").first
            before = status.inner_text()
            # Move the stride slider one step with the keyboard: the status line must change.
            stride = page.locator(".widget-slider", has_text="stride S").locator(".noUi-handle").first
            stride.scroll_into_view_if_needed()
            stride.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("([el, old]) => el.innerText !== old", arg=[status.element_handle(), before],
                                   timeout=30000)
            checks["explorer redraws on a slider change"] = True
            checks["status line after the change"] = status.inner_text().splitlines()[0][:90]
            page.locator(".jp-OutputArea-output .widget-slider").first.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        except Exception:
            # Keep a picture of the failure next to the requested screenshot.
            failed = screenshot.with_name(screenshot.stem + "_failed.png")
            failed.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(failed))
            print(f"screenshot of the failure: {failed}")
            raise
        finally:
            browser.close()
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, default=REPO / "build" / "browser_check.png",
                        help="where to save the screenshot (default: build/browser_check.png)")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium executable")
    parser.add_argument("--timeout", type=int, default=180, help="seconds to wait for each step")
    parser.add_argument("--full", action="store_true", help="run the notebook in full mode (default: quick)")
    args = parser.parse_args(argv)

    if not Path(args.chromium).exists():
        print(f"FAIL: no Chromium at {args.chromium}; install it (Debian: apt-get install chromium) "
              f"or pass --chromium PATH")
        return 2
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("FAIL: the playwright package is missing; install it with: .venv/bin/pip install playwright")
        return 2

    notebook = REPO / NOTEBOOK
    digest = hashlib.sha256(notebook.read_bytes()).hexdigest()
    backup = notebook.read_bytes()
    port, token = free_port(), os.urandom(16).hex()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="browser_check_"))
    proc, log = start_server(port, token, workdir, quick=not args.full)
    ok, checks = False, {}
    try:
        wait_for_server(proc, base, token, args.timeout)
        checks = run_in_browser(f"{base}/lab/tree/{NOTEBOOK}?token={token}", args.chromium, args.screenshot,
                                args.timeout)
        ok = checks.get("sliders rendered", 0) >= 6 and checks.get("cells with a traceback", 1) == 0
    except Exception as e:
        print(f"error: {type(e).__name__}: {e}")
    finally:
        stop_server(proc, base, token)
        log.close()
        if hashlib.sha256(notebook.read_bytes()).hexdigest() != digest:
            notebook.write_bytes(backup)
            print(f"note: {NOTEBOOK} had been modified by the browser session and was restored")
        server_log = (workdir / "server.log").read_text(errors="replace")
        shutil.rmtree(workdir, ignore_errors=True)
    for key, value in checks.items():
        print(f"  {key}: {value}")
    if ok:
        print(f"PASS: {NOTEBOOK} ran in Chromium and the explorer rendered; screenshot: {args.screenshot}")
        return 0
    print("--- last lines of the server log ---")
    print("\n".join(server_log.splitlines()[-25:]))
    print(f"FAIL: {NOTEBOOK} did not run cleanly in the browser")
    return 1


if __name__ == "__main__":
    sys.exit(main())
