"""Hostile submissions against `course-grade`, run on a throw-away copy of the course.

Each hostile submission is the blank student notebook (or the solved one) plus
a few lines.  All of them, with two honest ones, are graded in ONE run of the
`course-grade` command, started from a copy of the course (course_lib,
course_grader, solutions, assignments) with a copy of Fashion-MNIST as its
data.  The tests then check that every attacker earns only what its real code
earns, that the honest students' grades are exact, that the course copy, the
submissions and the data are unchanged (SHA-256), and that no process started
by a submission is left.
"""
import copy
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import require_data
from test_grading import _solved, require_sandbox
from course_grader import uids

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
MARKER = "hostile-leftover-7f3a"        # in the command line of every process an attack starts
CELL_TIMEOUT = 20
WORK_MB = 200                           # what a submission may write into its folder


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _digest(*folders):
    out = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _status(pid):
    """``(uid, parent pid)`` of a process, or ``None`` once it has gone."""
    try:
        fields = dict(line.split(":", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        return int(fields["Uid"].split()[0]), int(fields["PPid"])
    except (OSError, KeyError, ValueError):
        return None


def _argv0(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def _of_a_live_run(pid):
    """Whether a sandbox process still belongs to a grading run that is running: above it,
    past its sandbox's processes and bubblewrap, stands a live Python process (a grader, or
    a test driving one).  A process left behind by a finished run has been handed to pid 1
    (or to a service manager that collects orphans)."""
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        status = _status(pid)
        if status is None:
            return False
        uid, parent = status
        if uids.owner_block(uid) is None and not _argv0(pid).endswith("bwrap"):
            return "python" in Path(_argv0(pid)).name
        pid = parent
    return False


def _leftovers(live_runs_too=False):
    """Processes whose command line carries the marker, or that run as a sandbox's user.

    Sandbox processes of another grading run still running at the same time (another test's,
    on another worker) are counted only with ``live_runs_too``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            cmd = raw.replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        status = _status(pid)
        uid = status[0] if status else -1
        sandbox_user = uids.owner_block(uid) is not None
        if sandbox_user and not live_runs_too and _of_a_live_run(int(pid)):
            continue
        if (MARKER in cmd and "pytest" not in cmd) or sandbox_user:
            found.append((pid, uid, cmd[:120]))
    return found


def _with(nb, gid, code, how="before"):
    """``nb`` with ``code`` put before, after or (how="replace") instead of answer cell ``gid``;
    how="cell" adds ``code`` as a cell of its own before answer cell ``gid``."""
    nb = copy.deepcopy(nb)
    cell = _cell(nb, gid)
    if how == "cell":
        nb.cells.insert(nb.cells.index(cell), nbformat.v4.new_code_cell(code))
        return nb
    cell.source = {"before": code + "\n" + cell.source, "after": cell.source + "\n" + code,
                   "replace": code}[how]
    return nb


# The attacks: name -> (base, answer cell, code).  "blank" earns 0 with its real code.
BACKGROUND = f"""
import subprocess, sys, threading, os, glob
code = '''
import os, time, glob, shutil
for _ in range(600):
    for pattern in ("/*/*/gradebook*", "/*/*/*/report.md", "/*/*/feedback/*.html", "*.ipynb",
                    "../*/*"):
        for path in glob.glob(pattern)[:50]:
            try:
                open(path, "w").write("{MARKER}")
            except OSError:
                pass
    time.sleep(0.5)
'''
subprocess.Popen([sys.executable, "-c", code, "{MARKER}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sh", "-c", "(sleep 600; : {MARKER}) >/dev/null 2>&1 &"])
if os.fork() == 0:
    os.setsid()
    os.execvp("sh", ["sh", "-c", "sleep 700; : {MARKER}"])
"""

ATTACKS = {
    # the own score raised inside the kernel
    "h_custom_exc": ("blank", "class_means", """
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
"""),
    "h_input_transformer": ("blank", "class_means", """
def _wrap(lines):
    return ["try:\\n"] + ["    " + ln for ln in lines] + ["\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_post.append(_wrap)
"""),
    "h_success": ("blank", "class_means", """
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
ExecutionResult.success = property(lambda self: True)
ExecutionResult.raise_error = lambda self: None
_orig = InteractiveShell.run_cell
def _run_cell(self, *a, **k):
    r = _orig(self, *a, **k)
    r.error_in_exec = None
    return r
InteractiveShell.run_cell = _run_cell
"""),
    "h_patch_helpers": ("blank", "class_means", """
import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
import course_lib.gradcheck as _g
_g.rel_error = lambda *a, **k: 0.0
rel_error = lambda *a, **k: 0.0
from course_lib import Sequential
Sequential.accuracy = lambda self, *a, **k: 1.0
import course_lib.assignment as _checks
_checks.failure = lambda *a, **k: None
import builtins
_isinstance = builtins.isinstance
def class_mean_images(x, t, n_classes=10): return np.zeros((n_classes,) + x.shape[1:])
def mean_image_distances(m): return np.zeros((len(m), len(m)))
""", "after"),
    "h_reference_call": ("blank", "max_pool", """
from course_lib.naive import pool_forward_naive
def max_pool_forward(x, pool_h, pool_w, stride):
    return pool_forward_naive(x, pool_h, pool_w, stride)
""", "replace"),
    "h_forge_results": ("blank", "class_means", """
import sys
sys.modules["course_grader.probe"] = type(sys)("course_grader.probe")
import os, numpy as _np
os.makedirs("_grader_results", exist_ok=True)
for name in ("test_max_pool", "test_class_means", "test_accuracy_goal"):
    _np.savez(f"_grader_results/{name}.npz", y0=_np.zeros(3), means=_np.zeros(3))
try:
    os.symlink("/etc/passwd", "_grader_results/test_most_confused.npz")
    os.mkfifo("_grader_results/test_leaky_relu_forward.npz")
except OSError:
    pass
"""),
    # reading the solution or the classmates
    "h_read_solution": ("blank", "class_means", """
import os, glob
found = []
deep = ["/*" * n for n in range(1, 6)]
for pattern in ["../../../source/*/*.ipynb", "../*/*.ipynb", "../../submitted/*/*/*.ipynb"] + [
        d + suffix for d in deep
        for suffix in ("/*.ipynb", "/*trusted" + "_checks*", "/gradebook*")]:
    found += glob.glob(pattern)
for path in found:
    try:
        text = open(path).read()
    except OSError:
        continue
    if "Rub" + "ric (3 points)" in text or "trusted" in path:
        print("FOUND-SECRET:" + path)
print("environment:", sorted(os.environ))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            print("cmdline", open(f"/proc/{pid}/cmdline").read().replace("\\0", " ")[:200])
        except OSError:
            pass
"""),
    # the database, the files, the repository, the data, background processes
    "h_files": ("blank", "class_means", """
import os, glob, course_lib, sys
targets = [course_lib.__file__, os.path.join(os.path.dirname(course_lib.__file__), "layers.py")]
for d in ["/*" * n for n in range(0, 5)]:
    targets += glob.glob(d + "/course_lib/__init__.py") + glob.glob(d + "/fashion-mnist/*")
targets += glob.glob(os.environ.get("COURSE_LIB_DATA", "/nonexistent") + "/*/*.gz")
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            args = open(f"/proc/{pid}/cmdline").read().split("\\0")
        except OSError:
            continue
        targets += [a for a in args if a.endswith(".ipynb") or os.path.isdir(a)]
for path in targets:
    try:
        if os.path.isdir(path):
            for p in glob.glob(path + "/**/*", recursive=True)[:200]:
                open(p, "a").write("# {m}")
        else:
            open(path, "a").write("# {m}")
    except OSError as exc:
        pass
    try:
        os.remove(path)
    except OSError:
        pass
for p in sys.path:
    try:
        open(os.path.join(p, "sitecustomize.py"), "w").write("raise SystemExit")
    except OSError:
        pass
""".replace("{m}", MARKER)),
    "h_background": ("blank", "class_means", BACKGROUND),
    # resources
    "h_memory": ("blank", "class_means", """
import numpy
try:
    hog = numpy.ones(3 * 1024 ** 3 // 8)
except MemoryError:
    print("memory limit hit")
"""),
    "h_flood": ("blank", "class_means", """
import sys, base64
from IPython.display import display
display({"image/png": base64.b64encode(b"0" * (30 << 20)).decode()}, raw=True)
for _ in range(200):
    sys.stdout.write("x" * (1 << 20))
open("big.bin", "wb").write(b"0" * (200 << 20))
"""),
    "h_disk": ("blank", "class_means", """
import time
for i in range(30):                      # 1.8 GB if nothing stopped it
    with open(f"fill{i}.bin", "wb") as fh:
        fh.write(b"0" * (60 << 20))
    time.sleep(0.2)
"""),
    "h_fork_bomb": ("blank", "class_means", """
import subprocess
procs = []
try:
    for _ in range(2000):
        procs.append(subprocess.Popen(["sh", "-c", "sleep 300; : {m}"]))
except OSError:
    print("process limit hit at", len(procs))
""".replace("{m}", MARKER)),
    # kernel death and ignored interrupts, on the solved notebook
    "h_exit_after_relu": ("solved", "max_pool", "import os\nos._exit(0)"),
    "h_ignore_sigint": ("solved", "most_confused", """
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.1)
""", "replace"),
    # scripts in answers and outputs
    "h_scripts": ("blank", "class_means", """
from IPython.display import HTML, Javascript, display
display(HTML('<script>document.title="pwned"</script><img src=x onerror="alert(1)">'))
display(Javascript('alert(2)'))
"""),
}

# Laundering the course's own code into points: name -> edits of the solved notebook
# (answer cell, code, how).  Neither earns anything for Parts 3 and 4 (nor Part 5, which runs on
# those layers): the course's versions are not in the sandbox at all.
LAUNDER_HELPER = """
import contextlib
try:
    import course_grader.probe
    course_grader.probe.forbid_calls = lambda *a: contextlib.nullcontext()
except ImportError:
    pass
import course_lib.functional as _unfold
import course_lib.layers as _lib_layers
"""
LAUNDER_COPY = """
import importlib.util, os, shutil, sys, tempfile
_name = "course" + "_lib"
_src = os.path.dirname(__import__(_name).__file__)
_dst = os.path.join(tempfile.mkdtemp(), "mylib")
shutil.copytree(_src, _dst)
_spec = importlib.util.spec_from_file_location("mylib", os.path.join(_dst, "__init__.py"),
                                               submodule_search_locations=[_dst])
_mine = importlib.util.module_from_spec(_spec)
sys.modules["mylib"] = _mine
_spec.loader.exec_module(_mine)
_helpers = importlib.import_module("mylib." + "func" + "tional")
_layers = importlib.import_module("mylib." + "lay" + "ers")
"""
LAUNDERING = {
    "h_launder_patch": [
        ("class_means", LAUNDER_HELPER, "cell"),
        ("im2col_col2im", "def im2col(x, fh, fw, stride=1, pad=0):\n"
                          "    return _unfold.im2col(x, fh, fw, stride, pad)\n"
                          "def col2im(col, shape, fh, fw, stride=1, pad=0):\n"
                          "    return _unfold.col2im(col, shape, fh, fw, stride, pad)\n", "after"),
        ("convolution", "_Base = _lib_layers.Convolution\n"
                        "class Convolution(_Base):\n"
                        "    def forward(self, x, train_flg=None):\n"
                        "        fh, fw = self.W.shape[2:]\n"
                        "        im2col(x, fh, fw, self.stride, self.pad)\n"
                        "        return _Base.forward(self, x)\n"
                        "    def backward(self, dout):\n"
                        "        col2im(np.zeros((1, 1)), (1, 1, 1, 1), 1, 1) if False else None\n"
                        "        return _Base.backward(self, dout)\n", "after"),
        ("max_pool", "_P = _lib_layers.Pooling\n"
                     "def max_pool_forward(x, ph, pw, s):\n"
                     "    return _P(ph, pw, stride=s).forward(x)\n", "after")],
    "h_launder_copy": [
        ("im2col_col2im", LAUNDER_COPY + "def im2col(x, fh, fw, stride=1, pad=0):\n"
                          "    return _helpers.im2col(x, fh, fw, stride, pad)\n"
                          "def col2im(col, shape, fh, fw, stride=1, pad=0):\n"
                          "    return _helpers.col2im(col, shape, fh, fw, stride, pad)\n", "after"),
        ("max_pool", "def max_pool_forward(x, ph, pw, s):\n"
                     "    return getattr(_layers, 'Pool' + 'ing')(ph, pw, stride=s).forward(x)\n",
         "after")],
}

# Model files within every limit a model file has, each far too costly to score: refused from
# their description, before any array is allocated; the rest of the submission counts.
COSTLY_MODELS = {
    "h_model_deep": ([{"type": "Convolution", "filters": 64, "filter_h": 3, "filter_w": 3,
                       "pad": 1}] * 198 + [{"type": "Affine", "units": 10}], "float16"),
    "h_model_wide": ([{"type": "Convolution", "filters": 1024, "filter_h": 1, "filter_w": 1,
                       "pad": 64}, {"type": "Pooling", "pool_h": 52, "pool_w": 52},
                      {"type": "Affine", "units": 10}], "float32"),
}


def expected_scores(solution):
    """What each submission's real code earns: a complete submission earns every part but the
    accuracy goal (its model file is not handed in); the blank one nothing."""
    tests = [(i, c.metadata.nbgrader) for i, c in enumerate(solution.cells)
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    points = {t["grade_id"]: t["points"] for _, t in tests}
    complete = sum(points.values()) - points["test_accuracy_goal"]
    stop = next(i for i, c in enumerate(solution.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == "max_pool")
    expected = {name: 0 for name in [*ATTACKS, "h_markdown_script"]}
    laundered = sum(points[g] for g in ("test_class_means", "test_leaky_relu_forward",
                                        "test_leaky_relu_backward", "test_most_confused"))
    expected.update({name: laundered for name in LAUNDERING})
    expected.update({name: complete for name in COSTLY_MODELS})
    expected.update(alice=complete, bob=complete - points["test_most_confused"],
                    h_ignore_sigint=complete - points["test_most_confused"],
                    h_exit_after_relu=sum(t["points"] for i, t in tests if i < stop))
    return expected


def _costly_model_file(layers, dtype, path):
    """A valid model file for ``layers`` (small random weights), written without building it."""
    import json

    import numpy as np
    from course_lib.model_file import DESCRIPTION_KEY, FORMAT, _layer_spec, _shapes
    specs = [_layer_spec(d, i, defaults=True) for i, d in enumerate(layers)]
    plan, _ = _shapes(specs, (1, 28, 28))
    arrays, n = {}, {"W": 0, "b": 0}
    for shapes in plan:
        if shapes:
            k = n["W"] = n["W"] + 1
            arrays[f"W{k}"] = np.full(shapes["W"], 0.01, dtype=dtype)
            arrays[f"b{k}"] = np.zeros(shapes["b"], dtype=dtype)
    description = {"format": FORMAT, "input_shape": [1, 28, 28], "dtype": dtype,
                   "layers": specs, "metadata": {"validation_accuracy": 0.9}}
    np.savez(path, **arrays, **{DESCRIPTION_KEY: np.array(json.dumps(description))})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    require_data("fashion-mnist")
    base = tmp_path_factory.mktemp("hostile")
    require_sandbox(base)
    course = base / "course"                           # the throw-away copy of the course
    course.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD", "course_lib", "solutions/fashion_mnist",
                              "assignments/fashion_mnist"], cwd=ROOT, capture_output=True,
                             check=True).stdout       # as committed: edits in progress stay out
    subprocess.run(["tar", "-x", "-C", str(course)], input=archive, check=True)
    shutil.copytree(ROOT / "course_grader", course / "course_grader",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    data = base / "data"

    src = Path(os.environ.get("COURSE_LIB_DATA", "/usr/share/datasets"))
    if (src / "fashion-mnist").is_dir():
        shutil.copytree(src / "fashion-mnist", data / "fashion-mnist")
    else:
        pytest.skip("needs the Fashion-MNIST files in COURSE_LIB_DATA/fashion-mnist")
    subs, out = base / "submissions", base / "out"
    subs.mkdir()
    release = nbformat.read(course / "assignments/fashion_mnist/fashion_mnist.ipynb", as_version=4)
    solution = nbformat.read(course / "solutions/fashion_mnist/fashion_mnist.ipynb", as_version=4)
    solved = _solved(release, solution)
    bases = {"blank": release, "solved": solved}
    nbformat.write(solved, subs / "alice.ipynb")
    nbformat.write(_with(solved, "most_confused",
                         "def most_confused_pairs(cm, k=3):\n    return []",
                         "replace"), subs / "bob.ipynb")
    for name, (kind, gid, code, *how) in ATTACKS.items():
        nbformat.write(_with(bases[kind], gid, code, *how), subs / f"{name}.ipynb")
    for name, edits in LAUNDERING.items():
        nb = solved
        for gid, code, how in edits:
            nb = _with(nb, gid, code, how)
        nbformat.write(nb, subs / f"{name}.ipynb")
    for name, (layers, dtype) in COSTLY_MODELS.items():
        nbformat.write(solved, subs / f"{name}.ipynb")
        _costly_model_file(layers, dtype, subs / f"{name}_fashion_mnist_model.npz")
    os.symlink(course / "solutions/fashion_mnist/fashion_mnist.ipynb", subs / "linked.ipynb")
    nb = copy.deepcopy(release)                        # scripts in a written answer
    _cell(nb, "answer_deeper").source = ('<script>document.title="pwned"</script>'
                                         '<img src=x onerror="alert(1)">'
                                         '<a href="javascript:alert(2)">x</a>'
                                         '<iframe src="https://example.org"></iframe>')
    nbformat.write(nb, subs / "h_markdown_script.ipynb")
    nbformat.write(solved, subs / ".hidden.ipynb")
    nbformat.write(release, subs / "ünïcødé 名前.ipynb")
    nbformat.write(release, subs / "x<img src=x onerror=alert(1)>.ipynb")

    guarded = (course, subs, data)
    before = _digest(*guarded)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_LIB_", "PYTHON"))}
    env.update(PYTHONPATH=str(course), COURSE_LIB_DATA=str(data))
    where = subprocess.run([sys.executable, "-c", "import course_lib, course_grader; "
                            "print(course_lib.__file__, course_grader.__file__)"],
                           cwd=course, env=env, capture_output=True, text=True)
    assert str(course) in where.stdout.split()[0] and str(course) in where.stdout.split()[1]
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "course_grader", str(subs), "--out", str(out),
                           f"--cell-timeout={CELL_TIMEOUT}", "--submission-timeout=240", "--jobs=3",
                           f"--max-work-mb={WORK_MB}"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    elapsed = time.time() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    time.sleep(1)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return {"rows": rows, "out": out, "before": before, "after": _digest(*guarded),
            "expected": expected_scores(solution),
            "leftovers": _leftovers(), "report": (out / "report.md").read_text(encoding="utf-8"),
            "elapsed": elapsed, "stdout": proc.stdout}


def _score(hostile, student):
    return float(hostile["rows"][student]["autograded_score"])


def test_honest_students_are_graded_exactly(hostile):
    assert _score(hostile, "alice") == hostile["expected"]["alice"]
    assert _score(hostile, "bob") == hostile["expected"]["bob"]
    assert hostile["rows"]["bob"]["test_most_confused"] == "0"


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacker_earns_only_what_its_code_earns(hostile, name):
    assert _score(hostile, name) == hostile["expected"][name], hostile["report"]


def test_faked_notebook_results_are_flagged(hostile):
    report = hostile["report"]
    for name in ("h_custom_exc", "h_input_transformer", "h_patch_helpers"):
        section = report.split(f"### {name.replace('_', chr(92) + '_')} ")[1].split("\n### ")[0]
        assert "results tampered with" in section, section
        assert hostile["rows"][name]["status"] == "flagged"


def test_honest_submissions_are_not_flagged(hostile):
    flagged = {s for s, r in hostile["rows"].items() if r["status"] == "flagged"}
    assert flagged == {"h_custom_exc", "h_input_transformer", "h_patch_helpers"}, flagged


def test_a_reference_call_is_no_vectorised_pooling(hostile):
    assert hostile["rows"]["h_reference_call"]["test_max_pool"] == "0"
    section = hostile["report"].split("## The course's own code")[1].split("\n## ")[0]
    assert "h\\_reference\\_call" in section


@pytest.mark.parametrize("name", sorted(LAUNDERING))
def test_laundered_course_code_earns_nothing_and_is_reported(hostile, name):
    row = hostile["rows"][name]
    for gid in ("test_im2col", "test_col2im", "test_max_pool"):
        assert row[gid] == "0", (gid, row)
    assert row["test_class_means"] == "2" and row["test_most_confused"] == "3"
    section = hostile["report"].split("## The course's own code")[1].split("\n## ")[0]
    assert name.replace("_", "\\_") in section


@pytest.mark.parametrize("name", sorted(COSTLY_MODELS))
def test_a_costly_model_file_is_refused_before_it_is_built(hostile, name):
    row = hostile["rows"][name]
    assert row["test_accuracy_goal"] == "0" and row["status"] == "ok"
    page = (hostile["out"] / "feedback" / f"{name}.html").read_text(encoding="utf-8")
    assert "may cost at most 25 times the course" in page


def test_nothing_outside_the_work_folder_changed(hostile):
    changed = {k for k in set(hostile["before"]) | set(hostile["after"])
               if hostile["before"].get(k) != hostile["after"].get(k)}
    assert not changed, sorted(changed)[:10]


def test_no_process_outlives_the_grading(hostile):
    assert hostile["leftovers"] == []


def test_outputs_written_by_the_grader_are_intact(hostile):
    out = hostile["out"]
    for path in [out / "gradebook.csv", out / "written" / "answer_deeper.csv",
                 out / "feedback" / "alice.html",
                 out / "feedback" / "bob.html"]:
        assert MARKER not in path.read_text(encoding="utf-8", errors="replace"), path
    assert set(p.stem for p in out.glob("feedback/*.html")) == set(hostile["rows"])
    assert not (out / "work").exists() or not any((out / "work").iterdir())


def test_secrets_do_not_leak_into_feedback(hostile):
    page = (hostile["out"] / "feedback" / "h_read_solution.html").read_text(encoding="utf-8")
    assert "FOUND-SECRET:/" not in page and "FOUND-SECRET:." not in page
    assert "Model answer" not in page and "Rubric (3 points)" not in page
    assert "environment: [" in page                                  # the attack itself ran
    assert "trusted_checks" not in page


def test_kernel_death_keeps_earlier_points(hostile):
    row = hostile["rows"]["h_exit_after_relu"]
    assert float(row["autograded_score"]) == hostile["expected"]["h_exit_after_relu"] > 0
    assert row["test_max_pool"] == "0" and row["test_class_means"] == "2"
    assert row["feedback"] and "kernel died" in hostile["report"]


def test_a_cell_ignoring_interrupts_is_killed_and_the_notebook_runs_on(hostile):
    row = hostile["rows"]["h_ignore_sigint"]
    assert row["test_build_network"] == "3" and row["test_most_confused"] == "0"
    assert float(row["autograded_score"]) == hostile["expected"]["h_ignore_sigint"]
    assert row["status"] == "timed out"


def test_resource_limits(hostile):
    out = hostile["out"]
    flood = (out / "feedback" / "h_flood.html").stat().st_size
    assert flood < 12 * 2 ** 20, flood
    assert "memory limit hit" in (out / "feedback" / "h_memory.html").read_text(encoding="utf-8")
    fork_bomb = (out / "feedback" / "h_fork_bomb.html").read_text(encoding="utf-8")
    assert "process limit hit" in fork_bomb


def test_a_submission_filling_the_disk_is_stopped(hostile):
    row = hostile["rows"]["h_disk"]
    assert row["status"] == "failed" and row["feedback"]
    section = hostile["report"].split("### h\\_disk ")[1].split("\n### ")[0]
    assert f"more than {WORK_MB} MiB" in section


def test_feedback_pages_carry_no_scripts(hostile):
    for page in (hostile["out"] / "feedback").glob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        assert "<script" not in text and not re.search(r"<[^>]*\son\w+\s*=", text), page.name
        assert "javascript:" not in re.sub(r"&lt;.*?&gt;", "", text), page.name
        assert "<iframe" not in text, page.name
        assert "content-security-policy" in text


def test_written_answers_are_inert(hostile):
    page = (hostile["out"] / "written" / "answer_deeper.html").read_text(encoding="utf-8")
    assert "h_markdown_script" in page
    lower = page.lower()
    assert "<script" not in lower and "<iframe" not in lower and "onerror=" not in lower
    assert "javascript:" not in re.sub(r"&lt;.*?&gt;", "", lower)


def test_file_names(hostile):
    report, rows = hostile["report"], hostile["rows"]
    assert "linked.ipynb: a symbolic link, refused" in report and "linked" not in rows
    assert ".hidden.ipynb: a hidden name" in report and "hidden" not in rows
    assert "ünïcødé_名前" in rows
    assert "<img" not in report and "&lt;img" in report


HOG = """
import subprocess, time
held = []
try:
    for _ in range(1000):
        held.append(subprocess.Popen(["sleep", "45"]))
except OSError:
    print("holding", len(held), "processes")
time.sleep(45)
"""


@pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="without root every sandbox of one user shares that user's process "
                           "allowance (docs/grading.md, 'Honest limits'); the test needs root")
def test_two_runs_at_once_do_not_harm_each_other(tmp_path):
    """Run A holds its sandbox's whole process allowance while run B grades a perfect
    submission on the same machine: B's score is exact (each run has its own user ids)."""
    require_data("fashion-mnist")
    require_sandbox(tmp_path)
    release = nbformat.read(ROOT / "assignments/fashion_mnist/fashion_mnist.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions/fashion_mnist/fashion_mnist.ipynb", as_version=4)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    nbformat.write(_with(release, "class_means", HOG), tmp_path / "a" / "hog.ipynb")
    nbformat.write(_solved(release, solution), tmp_path / "b" / "alice.ipynb")
    env = dict(os.environ, COURSE_LIB_DATA=os.environ.get("COURSE_LIB_DATA", ""))
    common = ["--source", str(ROOT / "solutions"), "--cell-timeout=90", "--jobs=1"]
    run_a = subprocess.Popen([sys.executable, "-m", "course_grader", str(tmp_path / "a"), "--out",
                              str(tmp_path / "out-a"), *common], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(_leftovers(live_runs_too=True)) < 50:
        time.sleep(0.5)                                           # the hog holds its processes
    held = len(_leftovers(live_runs_too=True))
    run_b = subprocess.run([sys.executable, "-m", "course_grader", str(tmp_path / "b"), "--out",
                            str(tmp_path / "out-b"), *common], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    out_a, _ = run_a.communicate(timeout=600)
    assert held >= 50, f"the hog never held its processes ({held}): {out_a}"
    assert run_b.returncode == 0 and run_a.returncode == 0, run_b.stderr + out_a
    with open(tmp_path / "out-b" / "gradebook.csv", newline="", encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    points = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in solution.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert (row["status"], float(row["autograded_score"])) == \
        ("ok", sum(points.values()) - points["test_accuracy_goal"]), row
