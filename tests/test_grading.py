"""The Fashion-MNIST assignment and its grading workflow (course_grader, nbgrader).

The slow part - executing notebooks - happens once: one grading run over a
folder holding every kind of submission (complete, blank, partial, damaged in
various ways) is shared by the tests through a module-scoped fixture.  The
trusted checks are also tested on their own, in this process, with correct and
typical wrong code.  Hostile submissions are in test_sandbox.py.
"""
import copy
import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import require_data
from course_grader import batch, cli, gradebook, library, probe, sandbox, submissions, trusted
from course_grader import uids

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]


def committed_assignment():
    """The assignment as committed (instructor and student versions, trusted checks).

    Grading is tested on the committed assignment, so that an edit in progress
    elsewhere in the working tree cannot make these tests fail or pass.
    """
    import tempfile
    dest = Path(tempfile.mkdtemp(prefix="committed-assignment-"))
    try:
        archive = subprocess.run(["git", "archive", "HEAD", "solutions/fashion_mnist",
                                  "assignments/fashion_mnist", "solutions/ko/fashion_mnist",
                                  "assignments/ko/fashion_mnist"], cwd=ROOT,
                                 capture_output=True, check=True, timeout=60).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=60)
        return dest
    except (OSError, subprocess.CalledProcessError):
        return ROOT                                  # not a git checkout: the files as they are


COMMITTED = committed_assignment()
SOLUTIONS = COMMITTED / "solutions"
SOLUTION = SOLUTIONS / "fashion_mnist" / "fashion_mnist.ipynb"
RELEASE = COMMITTED / "assignments" / "fashion_mnist" / "fashion_mnist.ipynb"
SOLUTION_KO = SOLUTIONS / "ko" / "fashion_mnist" / "fashion_mnist.ipynb"
RELEASE_KO = COMMITTED / "assignments" / "ko" / "fashion_mnist" / "fashion_mnist.ipynb"
_TESTS = [c.metadata.nbgrader for c in nbformat.read(SOLUTION, as_version=4).cells
          if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
POINTS = {t["grade_id"]: t["points"] for t in _TESTS}       # test cell -> points, in order
TOTAL = sum(POINTS.values())
# Quick-mode grading never trains the network the accuracy goal is scored on: a
# complete submission without its model file earns everything else.
COMPLETE = TOTAL - POINTS["test_accuracy_goal"]
CELL_TIMEOUT = 20


def require_sandbox(tmp_path):
    """Skip (or, with COURSE_GRADER_REQUIRE_SANDBOX=1, fail) where no sandbox can be made."""
    try:
        site = sandbox.make_trusted_site(tmp_path / "probe-site")
        sandbox.check_sandbox(sandbox.find_bwrap(), site, sandbox.Limits())
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("COURSE_GRADER_REQUIRE_SANDBOX", "") not in ("", "0"):
            pytest.fail(f"no sandbox can be made here: {exc}", pytrace=False)
        pytest.skip(f"no sandbox can be made here ({exc}); the grader refuses to grade without "
                    "one (set COURSE_GRADER_REQUIRE_SANDBOX=1 to make this a failure)")


def _read(path):
    return nbformat.read(path, as_version=4)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _test_ids(nb):
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]


def _points(nb):
    return sum(c.metadata.nbgrader["points"] for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code")


def _with_cell_from(nb, other, grade_id):
    nb = copy.deepcopy(nb)
    nb.cells[_index(nb, grade_id)] = copy.deepcopy(_cell(other, grade_id))
    return nb


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------
# The assignment itself (no execution)
# --------------------------------------------------------------------------

def test_student_version_hides_solutions_and_hidden_tests():
    release = RELEASE.read_text(encoding="utf-8")
    solution = SOLUTION.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "Rubric", "Model answer"):
        assert marker in solution
        assert marker not in release
    nb = _read(RELEASE)
    assert _points(nb) == TOTAL == sum(p.points for p in trusted.load_spec(SPEC).parts)
    written = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
               and c.cell_type == "markdown"]
    assert [c.metadata.nbgrader["points"] for c in written] == [3, 3]
    # every code cell is tracked by nbgrader, so a deleted one can be restored
    assert all("nbgrader" in c.metadata for c in nb.cells if c.cell_type == "code")


# --------------------------------------------------------------------------
# Reading, repairing and naming (no execution)
# --------------------------------------------------------------------------

def test_truncated_notebook_keeps_complete_cells(tmp_path):
    text = SOLUTION.read_text(encoding="utf-8")
    cut = tmp_path / "cut.ipynb"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    nb, problems = submissions.read_submission(cut)
    assert nb is not None and 0 < len(nb.cells) < len(_read(SOLUTION).cells)
    assert any("invalid JSON" in p for p in problems)
    repaired, fixes = submissions.repair(nb, _read(RELEASE))
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in repaired.cells]
    assert all(i in ids for i in _test_ids(_read(RELEASE)))
    assert any("restored" in f for f in fixes)


def test_unreadable_files_are_reported(tmp_path):
    for content, expect in [(b"", "empty"), (b"print('hello')", "invalid JSON"),
                            (b'{"a": 1}', "not a notebook")]:
        f = tmp_path / "x.ipynb"
        f.write_bytes(content)
        nb, problems = submissions.read_submission(f)
        assert nb is None and any(expect in p for p in problems), problems


def test_repair_restores_deleted_and_tampered_cells():
    release = _read(RELEASE)
    nb = copy.deepcopy(release)
    nb.cells.pop(_index(nb, "test_max_pool"))
    _cell(nb, "test_build_network").metadata.nbgrader["points"] = 100
    nb, problems = submissions.repair(nb, release)
    assert _index(nb, "test_max_pool") == _index(nb, "max_pool") + 2   # after a grader's note
    assert _cell(nb, "test_build_network").metadata.nbgrader["points"] == 3
    assert any("test cell 'test_max_pool' was missing" in p for p in problems)
    assert any("metadata was changed" in p for p in problems)


def test_grader_refuses_output_inside_submissions(tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(submissions.GradingError, match="inside"):
        batch.grade(tmp_path / "subs", tmp_path / "subs" / "out")
    assert cli.main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2


def test_without_a_sandbox_the_grader_refuses_unless_told(tmp_path, monkeypatch, capsys):
    (tmp_path / "subs").mkdir()
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(submissions.GradingError, match="--no-sandbox"):
        batch.grade(tmp_path / "subs", tmp_path / "out", source=SOLUTIONS, log=lambda *a: None)
    assert cli.main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                     "--source", str(SOLUTIONS)]) == 2
    assert "bubblewrap" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


SPEC = SOLUTIONS / "fashion_mnist" / "trusted_checks.py"


def _spec():
    return trusted.load_spec(SPEC)


def _sandboxed(tmp_path, code, uid=None, site=None):
    """Run ``code`` (from a file in the work folder) in a sandbox made as for a submission."""
    site = site or sandbox.make_trusted_site(tmp_path / "site", _spec().stubs)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "probe_code.py").write_text(code, encoding="utf-8")
    sandbox.prepare_workdir(work, uid)
    cmd = sandbox.bwrap_command(sandbox.find_bwrap(), work, site, sandbox.Limits(), {},
                                [sys.executable, "probe_code.py"], uid=uid,
                                hide=sandbox.hidden_paths())
    return sandbox.run_command(cmd, timeout=120), work


def test_sandbox_sees_only_its_folder(tmp_path):
    """The grading edition of the libraries, no repository, a read-only system, no host paths."""
    require_sandbox(tmp_path)
    with uids.lease() as block:
        proc, work = _sandboxed(tmp_path, (
            "import os, course_lib\n"
            "print('lib', course_lib.__file__)\n"
            f"print('repo', os.path.exists({str(ROOT / 'README.md')!r}))\n"
            f"print('outside', os.path.exists({str(tmp_path / 'site')!r}))\n"
            "open('mine.txt', 'w').write('ok')\n"
            "for p in (course_lib.__file__, '/usr/lib/os-release', '/tmp/../etc/hostname'):\n"
            "    try:\n        open(p, 'a'); print('WROTE', p)\n"
            "    except OSError:\n        pass\n"
            "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
            "print('env', sorted(os.environ))\n"
            "print('etc', oct(os.stat('/etc').st_mode & 0o777),\n"
            "      os.access('/etc/ld.so.cache', os.R_OK))\n"
            "print('cmdline', [open(f'/proc/{p}/cmdline').read().replace(chr(0), ' ') "
            "for p in os.listdir('/proc') if p.isdigit()])\n"), uid=block.uid(0))
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert f"lib {sandbox.SITE}/course_lib/__init__.py" in out
    assert "repo False" in out and "outside False" in out and "WROTE" not in out
    assert (work / "mine.txt").read_text() == "ok"
    pids = eval(out.split("pids ")[1].splitlines()[0])
    assert len(pids) <= 3, pids                      # its own PID namespace
    env = eval(out.split("env ")[1].splitlines()[0])
    assert "PATH" in env and not any(k.startswith(("SSH", "GIT", "PYTEST", "USER")) for k in env)
    assert "etc 0o755 True" in out                   # fonts, certificates, the loader cache
    cmdlines = out.split("cmdline ")[1]
    assert str(tmp_path) not in cmdlines and "--ro-bind" not in cmdlines


def test_the_seccomp_filter_refuses_namespaces_and_tracing(tmp_path):
    require_sandbox(tmp_path)
    from course_grader import seccomp
    if seccomp.filter_program() is None:
        if os.environ.get("COURSE_GRADER_REQUIRE_SANDBOX", "") not in ("", "0"):
            pytest.fail(f"no seccomp filter: {seccomp.why_not()}", pytrace=False)
        pytest.skip(f"no seccomp filter here: {seccomp.why_not()}")
    proc, _ = _sandboxed(tmp_path, (
        "import ctypes, errno, os, socket\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('unshare', libc.unshare(0x10000000), ctypes.get_errno() == errno.EPERM)\n"
        "print('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno() == errno.EPERM)\n"
        "try:\n    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\nexcept OSError as e:\n"
        "    print('packet', e.errno)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); print('tcp ok')\n"))
    assert proc.returncode == 0, proc.stderr
    assert "unshare -1 True" in proc.stdout and "ptrace -1 True" in proc.stdout
    assert "packet" in proc.stdout and "tcp ok" in proc.stdout


def test_the_course_versions_are_not_in_the_sandbox(tmp_path):
    """What the parts ask for is stubbed out in the grading edition; the rest still works."""
    require_sandbox(tmp_path)
    proc, _ = _sandboxed(tmp_path, (
        "import numpy as np, course_lib.functional as F, course_lib.naive as N\n"
        "import course_lib.fast.stack as S\n"
        "from course_lib.layers import Convolution, Affine\n"
        "from course_lib import assignment\n"
        "x = np.ones((1, 1, 4, 4))\n"
        "for f in (lambda: F.im2col(x, 2, 2), lambda: N.pool_forward_naive(x, 2, 2, 2),\n"
        "          lambda: Convolution(np.ones((1, 1, 2, 2)), np.zeros(1)).forward(x),\n"
        "          lambda: S.single(None, (1, 4, 4)),\n"
        "          lambda: assignment.PARTS['test_im2col'].expect(\n"
        "              assignment.PARTS['test_im2col'].fixed()[0])):\n"
        "    try:\n        f(); print('RAN')\n"
        "    except RuntimeError as e:\n        print('stub', 'not available while' in str(e))\n"
        "y = Affine(np.ones((16, 2)), np.zeros(2)).forward(x.reshape(1, 16))\n"
        "print('affine', y.tolist())\n"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("stub True") == 5 and "RAN" not in proc.stdout, proc.stdout
    assert "affine [[16.0, 16.0]]" in proc.stdout


def test_the_stub_list_names_what_course_lib_has(tmp_path):
    with pytest.raises(library.StubError, match="does not define"):
        library.make_site(tmp_path / "a", {"course_lib.functional": ["im2col", "no_such"]})
    with pytest.raises(library.StubError, match="does not have"):
        library.make_site(tmp_path / "b", {"course_lib.nowhere": "*"})
    source = "def f(x):\n    return x + 1\nclass A:\n    def g(self):\n        return 2\n"
    stubbed = library.stub_source(source, ["A.g"])
    ns = {}
    exec(stubbed, ns)
    assert ns["f"](1) == 2
    with pytest.raises(RuntimeError, match=library.STUB_ERROR):
        ns["A"]().g()


def test_runs_at_once_lease_different_user_ids(tmp_path):
    first = uids.lease(as_root=True, lock_dir=tmp_path)
    second = uids.lease(as_root=True, lock_dir=tmp_path)
    try:
        assert first.uid(0) != second.uid(0) and abs(first.uid(0) - second.uid(0)) >= uids.UID_BLOCK
        code = ("from course_grader import uids; "
                f"b = uids.lease(as_root=True, lock_dir={str(tmp_path)!r}); print(b.index)")
        held = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert held.stdout.strip() == "2", held.stderr          # blocks 0 and 1 are held here
    finally:
        first.release()
    third = uids.lease(as_root=True, lock_dir=tmp_path)
    assert third.index == 0                                      # released blocks are reused
    third.release()
    second.release()
    assert uids.lease(as_root=False).uid(3) is None


def test_shards_partition_the_class_deterministically():
    from course_grader.lms import Found
    subs = [Found(f"s{i:03d}", Path(f"s{i}.ipynb")) for i in range(23)]
    slices = [batch.shard_of(list(reversed(subs)), (k, 4)) for k in range(1, 5)]
    ids = [s.student for part in slices for s in part]
    assert sorted(ids) == [s.student for s in subs] and len(set(ids)) == 23
    assert [s.student for s in batch.shard_of(subs, (2, 4))] == [s.student for s in slices[1]]
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(submissions.GradingError, match="shard"):
            batch.parse_shard(bad)


def test_the_secret_is_kept_and_private(tmp_path):
    first = batch.load_secret(tmp_path)
    assert batch.load_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / batch.SECRET_FILE).stat().st_mode & 0o077 == 0
    (tmp_path / "short").write_text("x")
    with pytest.raises(submissions.GradingError, match="no usable secret"):
        batch.load_secret(tmp_path, tmp_path / "short")


# --------------------------------------------------------------------------
# The trusted checks, in this process: the probe cell runs in a namespace holding the
# instructor's answers (or wrong ones); the grader's scoring judges what it saved
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def parts():
    return {p.grade_id: p for p in _spec().parts}


ANSWERS = [c.metadata.nbgrader["grade_id"] for c in nbformat.read(SOLUTION, as_version=4).cells
           if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
           and c.metadata.nbgrader["grade_id"] != "hparams"]


def _namespace(**wrong):
    """The notebook's namespace with the instructor's answers, some redefined by other code."""
    sol = _read(SOLUTION)
    ns = {"__name__": "__main__"}
    for gid in ["setup"] + ANSWERS:
        exec(_cell(sol, gid).source, ns)
        if gid in wrong:
            exec(wrong[gid], ns)
    return ns


def trusted_result(part, ns, folder, student="someone", secret="s" * 32):
    """What the grader scores for ``part`` when the probe runs in namespace ``ns``."""
    return trusted.score_here(part, ns, folder, secret, student)


def test_trusted_spec_matches_the_assignment(parts):
    nb = _read(SOLUTION)
    tests = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert {g: p.points for g, p in parts.items()} == tests


@pytest.mark.parametrize("gid", [g for g in POINTS if g != "test_accuracy_goal"])
def test_trusted_checks_give_the_solution_full_marks(parts, gid, tmp_path):
    res = trusted_result(parts[gid], _namespace(), tmp_path)
    assert res.points == res.max_points and res.fixed is True, res.message


def test_the_same_student_draws_the_same_cases_and_others_other_ones(parts):
    part, ctx = parts["test_im2col"], {"quick": True}
    a = trusted.draw_inputs(part, "k" * 32, "alice", ctx)
    again = trusted.draw_inputs(part, "k" * 32, "alice", ctx)
    bob = trusted.draw_inputs(part, "k" * 32, "bob", ctx)
    other_secret = trusted.draw_inputs(part, "j" * 32, "alice", ctx)

    def same(u, v):
        return u.keys() == v.keys() and all(np.array_equal(u[k], v[k]) for k in u)
    assert same(a, again) and not same(a, bob) and not same(a, other_secret)


WRONG = {
    "test_class_means": ("class_means", """
def class_mean_images(x, t, n_classes=10):
    return np.stack([x.mean(axis=0)] * n_classes)
def mean_image_distances(means):
    flat = means.reshape(len(means), -1)
    return ((flat[:, None] - flat[None]) ** 2).sum(axis=2)
"""),
    "test_leaky_relu_forward": ("leaky_relu", """
class LeakyRelu(Layer):
    def __init__(self, alpha=0.01):
        super().__init__(); self.alpha = alpha
    def forward(self, x, train_flg=None):
        self.mask = x <= 0
        x[self.mask] *= self.alpha          # changes the input in place
        return x
    def backward(self, dout):
        return np.where(self.mask, self.alpha * dout, dout)
"""),
    "test_leaky_relu_backward": ("leaky_relu", """
class LeakyRelu(Layer):
    def __init__(self, alpha=0.01):
        super().__init__(); self.alpha = alpha; self.mask = None
    def forward(self, x, train_flg=None):
        if self.mask is None:
            self.mask = x > 0               # remembers only the first forward pass
        return np.where(x > 0, x, self.alpha * x)
    def backward(self, dout):
        return np.where(self.mask, dout, self.alpha * dout)
"""),
    "test_max_pool": ("max_pool", """
def max_pool_forward(x, pool_h, pool_w, stride):
    N, C, H, W = x.shape
    OH, OW = (H - pool_h) // stride + 1, (W - pool_w) // stride + 1
    out = np.zeros((N, C, OH, OW))          # wrong for negative images
    for i in range(pool_h):
        for j in range(pool_w):
            np.maximum(out, x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride], out=out)
    return out
"""),
    "test_build_network": ("build_network", _cell(_read(SOLUTION), "build_network").source.replace(
        "np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")),
    "test_im2col": ("im2col_col2im", """
def im2col(x, FH, FW, stride=1, pad=0):
    N, C, H, W = x.shape
    x = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    cols = [x[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW].reshape(N, -1)
            for j in range(OW) for i in range(OH)]           # windows in the wrong order
    return np.stack(cols, axis=1).reshape(N * OH * OW, -1)
"""),
    "test_most_confused": ("most_confused", """
def most_confused_pairs(cm, k=3):
    cm = np.asarray(cm)
    entries = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j]
    entries.sort(reverse=True)              # ties in the wrong order
    return [(i, j, c) for c, i, j in entries[:k]]
"""),
}


@pytest.mark.parametrize("gid", sorted(WRONG))
def test_trusted_checks_reject_typical_wrong_code(parts, gid, tmp_path):
    cell, code = WRONG[gid]
    res = trusted_result(parts[gid], _namespace(**{cell: code}), tmp_path)
    assert res.points == 0 and res.fixed is False, res.message


def test_an_answer_right_only_on_the_test_cases_earns_nothing_and_is_not_flagged(parts, tmp_path):
    """Fixed cases looked up, the grader's own cases wrong: 0 points, no evidence of tampering."""
    from course_lib import assignment
    part = parts["test_most_confused"]
    table = [(c["cm"].tolist(), int(c["k"]), assignment.PARTS[part.grade_id].expect(c)["pairs"])
             for c in assignment.PARTS[part.grade_id].fixed()]
    code = ("_TABLE = " + repr([(cm, k, [tuple(int(v) for v in row) for row in p])
                                for cm, k, p in table]) + "\n"
            "def most_confused_pairs(cm, k=3):\n"
            "    for m, kk, p in _TABLE:\n"
            "        if np.asarray(cm).tolist() == m and kk == k:\n"
            "            return p\n"
            "    return [(0, 1, 0)] * k\n")
    res = trusted_result(part, _namespace(most_confused=code), tmp_path)
    assert res.points == 0 and res.fixed is True and "grader's own" in res.message


def test_trusted_results_are_read_safely(parts, tmp_path, monkeypatch):
    import io
    import zipfile
    out = tmp_path / probe.OUT_DIR
    out.mkdir()
    os.symlink("/etc/passwd", out / "test_max_pool.npz")
    os.mkfifo(out / "test_class_means.npz")
    np.savez(out / "test_most_confused.npz", r0=np.array([object()], dtype=object))
    monkeypatch.setattr(trusted, "MAX_RESULT_BYTES", 2 ** 20)
    buf = io.BytesIO()
    np.save(buf, np.zeros(2 ** 19))                      # 4 MiB of zeros, a few KiB zipped
    with zipfile.ZipFile(out / "test_im2col.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("y0.npy", buf.getvalue())
    assert (out / "test_im2col.npz").stat().st_size < 2 ** 16
    for gid in ("test_max_pool", "test_class_means", "test_most_confused", "test_im2col"):
        arrays, note = trusted.read_outputs(out, gid)
        assert arrays is None and note["error"], gid


# --------------------------------------------------------------------------
# One grading run over every kind of submission
# --------------------------------------------------------------------------

def _solved(release, solution):
    """The student version with every answer cell filled in as in the instructor version."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = _cell(solution, cell.metadata.nbgrader["grade_id"]).source
    return nb


def _make_submissions(folder):
    rel = _read(RELEASE)
    sol = _solved(rel, _read(SOLUTION))

    def write(nb, name):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name)

    write(sol, "alice.ipynb")                                          # complete
    write(_solved(_read(RELEASE_KO), _read(SOLUTION_KO)), "hana.ipynb")  # complete, in Korean
    write(rel, "blank.ipynb")                                          # nothing done
    write(_with_cell_from(sol, rel, "most_confused"),                  # partial, LMS name
          "carol_12345_67890_fashion_mnist.ipynb")
    text = nbformat.writes(sol)                                        # cut off mid-way
    (folder / "dave.ipynb").write_text(text[: int(len(text) * 0.55)], encoding="utf-8")
    (folder / "erin.ipynb").write_text("this is not a notebook", encoding="utf-8")
    nb = copy.deepcopy(sol)                                            # tests deleted
    for gid in ("test_leaky_relu_backward", "test_most_confused"):
        nb.cells.pop(_index(nb, gid))
    write(nb, "frank.ipynb")
    nb = copy.deepcopy(rel)                                            # tests "fixed" to pass
    for gid in _test_ids(nb):
        _cell(nb, gid).source = "pass"
    write(nb, "grace.ipynb")
    nb = copy.deepcopy(sol)                                  # an exception and an endless loop
    cell = _cell(nb, "most_confused")
    cell.source = "raise RuntimeError('boom')\n" + cell.source
    _cell(nb, "class_means").source = "while True:\n    pass\n"
    write(nb, "judy.ipynb")
    nb = copy.deepcopy(sol)                           # duplicated cells, renamed, in a folder
    for gid in ("class_means", "test_max_pool"):
        i = _index(nb, gid)
        dup = copy.deepcopy(nb.cells[i])
        dup["id"] = dup["id"] + "-copy"
        nb.cells.insert(i + 1, dup)
    write(nb, "mallory/Untitled1.ipynb")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    # an untrained network handed in as the model file: the accuracy check runs, earns nothing
    from course_lib.model_file import build_model, save_model
    ns = {}
    exec(_cell(_read(SOLUTION), "hparams").source.split("### BEGIN SOLUTION")[0], ns)
    net = build_model(ns["ARCHITECTURE"], input_shape=(1, 28, 28), seed=0)
    save_model(net, folder / "mallory" / "fashion_mnist_model.npz")
    os.symlink("/etc/hostname", folder / "blank_fashion_mnist_model.npz")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_data("fashion-mnist")
    base = tmp_path_factory.mktemp("grading")
    require_sandbox(base)
    subs, out = base / "submissions", base / "out"
    subs.mkdir()
    _make_submissions(subs)
    before = _digest(subs)
    records = batch.grade(subs, out, jobs=2, cell_timeout=CELL_TIMEOUT, submission_timeout=300,
                          source=SOLUTIONS, log=lambda *a: None)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return {"subs": subs, "out": out, "before": before, "rows": rows,
            "results": {r.student: r for r in records},
            "report": (out / "report.md").read_text(encoding="utf-8")}


def _score(graded, student):
    row = graded["rows"][student]
    return float(row["autograded_score"]), float(row["autograded_max"])


def _problems(graded, student):
    return " | ".join(graded["results"][student].problems)


def _page(graded, student):
    return (graded["out"] / "feedback" / f"{student}.html").read_text(encoding="utf-8")


def test_every_submission_is_graded(graded):
    assert set(graded["rows"]) == {"alice", "blank", "carol_12345", "dave", "erin", "frank",
                                   "grace", "hana", "judy", "mallory"}
    assert graded["rows"]["carol_12345"]["lms"] == "canvas"
    assert graded["rows"]["carol_12345"]["lms_user_id"] == "12345"
    for student, row in graded["rows"].items():
        assert (graded["out"] / row["feedback"]).is_file(), student
        assert row["needs_manual_grading"] == "yes"           # the written answers
        assert float(row["written_max"]) == 6
    assert "notes.txt: not a notebook" in graded["report"]
    assert "blank\\_fashion\\_mnist\\_model.npz: a symbolic link, refused" in graded["report"]


def test_solution_scores_full_marks_and_no_flag(graded):
    assert _score(graded, "alice") == (COMPLETE, TOTAL)
    assert graded["rows"]["alice"]["status"] == "ok"
    assert all(graded["rows"]["alice"][g] == f"{p:g}" for g, p in POINTS.items()
               if g != "test_accuracy_goal")
    assert "no fashion_mnist_model.npz next to this notebook" in _page(graded, "alice")
    assert "flagged (results tampered with): 0" in graded["report"]


def test_the_korean_edition_is_graded_as_itself(graded):
    """A class hands in both editions: the Korean one is complete, not "repaired" into English."""
    assert _score(graded, "hana") == (COMPLETE, TOTAL)
    assert graded["rows"]["hana"]["status"] == "ok"
    assert graded["results"]["hana"].language == "ko"
    assert graded["results"]["alice"].language == "en"
    assert not any("restored" in p or "edited" in p for p in graded["results"]["hana"].problems)
    assert all(graded["rows"]["hana"][g] == graded["rows"]["alice"][g] for g in POINTS)
    page = _page(graded, "hana")
    answer = _cell(_read(SOLUTION_KO), "answer_deeper").source.splitlines()[1]
    words = answer.split("**")[-1].strip()[:30]                # the answer's own words, shown
    assert any("\uac00" <= ch <= "\ud7a3" for ch in words) and words in page


def test_blank_scores_zero(graded):
    assert _score(graded, "blank") == (0, TOTAL)
    assert graded["rows"]["blank"]["status"] == "ok"


def test_partial_submission_scores_in_between(graded):
    assert _score(graded, "carol_12345") == (COMPLETE - 3, TOTAL)   # most_confused_pairs missing
    assert graded["rows"]["carol_12345"]["test_most_confused"] == "0"
    assert graded["rows"]["carol_12345"]["test_max_pool"] == "3"


def test_truncated_json_graded_as_far_as_possible(graded):
    score, _ = _score(graded, "dave")
    assert 0 < score < COMPLETE
    assert "invalid JSON" in _problems(graded, "dave")
    assert "restored" in _problems(graded, "dave")


def test_garbage_file_scores_zero_and_is_reported(graded):
    assert _score(graded, "erin") == (0, TOTAL)
    assert graded["rows"]["erin"]["status"] == "unreadable"
    assert "not a notebook" in _problems(graded, "erin")


def test_deleted_tests_are_restored(graded):
    assert _score(graded, "frank") == (COMPLETE, TOTAL)
    assert graded["rows"]["frank"]["test_leaky_relu_backward"] == "3"
    assert "test cell 'test_most_confused' was missing" in _problems(graded, "frank")
    assert graded["rows"]["frank"]["status"] == "repaired"


def test_edited_tests_are_replaced_by_the_originals(graded):
    assert _score(graded, "grace") == (0, TOTAL)
    assert "test cell 'test_build_network' was edited" in _problems(graded, "grace")
    assert graded["rows"]["grace"]["status"] == "repaired"


def test_exception_and_endless_loop_cost_only_their_parts(graded):
    # class_mean_images loops forever (-2), most_confused_pairs raises (-3), the rest is fine
    assert _score(graded, "judy") == (COMPLETE - 2 - 3, TOTAL)
    assert graded["rows"]["judy"]["test_class_means"] == "0"
    assert graded["rows"]["judy"]["test_max_pool"] == "3"
    assert any("RuntimeError" in n for n in graded["results"]["judy"].notes)
    assert f"{CELL_TIMEOUT} s time limit" in _problems(graded, "judy")
    assert "In [" in _problems(graded, "judy")                 # named as the page shows it
    assert graded["rows"]["judy"]["status"] == "timed out"


def test_renamed_notebook_with_duplicated_cells(graded):
    assert _score(graded, "mallory") == (COMPLETE, TOTAL)
    assert "test accuracy" in _page(graded, "mallory")
    assert any("Untitled1.ipynb" in n for n in graded["results"]["mallory"].notes)
    assert graded["rows"]["mallory"]["submission"] == os.path.join("mallory", "Untitled1.ipynb")
    assert "'test_max_pool' appears 2 times" in _problems(graded, "mallory")
    assert "'class_means' appears 2 times" in _problems(graded, "mallory")


def test_feedback_shows_restored_cells_and_results(graded):
    html = _page(graded, "frank")
    assert "Note from the grader" in html and "most_confused_pairs" in html


def test_originals_unchanged(graded):
    assert _digest(graded["subs"]) == graded["before"]


def test_rescore_applies_written_grades_without_running_anything(graded, tmp_path):
    out = tmp_path / "copy"
    import shutil
    shutil.copytree(graded["out"], out, symlinks=True)
    sheet = out / "written" / "answer_deeper.csv"
    with open(sheet, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["points"], r["comment"] = ("2.5", "Two reasons, no remedy.") if r["student"] == "alice" \
            else ("", "")
    with open(sheet, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    sheet2 = out / "written" / "answer_harder.csv"
    text = sheet2.read_text(encoding="utf-8").replace("alice,,,", "alice,,3,", 1)
    sheet2.write_text(text, encoding="utf-8")
    assert cli.main(["rescore", str(out), "--source", str(SOLUTIONS)]) == 0
    book = {r["student"]: r for r in gradebook.read(out / "gradebook.csv")}
    assert book["alice"]["written_score"] == "5.5" and book["alice"]["needs_manual_grading"] == "no"
    assert book["alice"]["total_score"] == f"{COMPLETE + 5.5:g}"
    assert book["blank"]["needs_manual_grading"] == "yes"
    page = (out / "feedback" / "alice.html").read_text(encoding="utf-8")
    assert "Two reasons, no remedy." in page
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("2.5", "9"), encoding="utf-8")
    assert cli.main(["rescore", str(out), "--source", str(SOLUTIONS)]) == 2     # over the points


def test_a_regrade_gives_the_same_scores(graded, tmp_path):
    """The same files graded again in the same folder: the same cases, the same scores."""
    out = graded["out"]
    first = {r["student"]: r for r in gradebook.read(out / "gradebook.csv")}
    subs = tmp_path / "again"
    subs.mkdir()
    for name in ("blank.ipynb", "carol_12345_67890_fashion_mnist.ipynb"):
        (subs / name).write_bytes((graded["subs"] / name).read_bytes())
    batch.grade(subs, out, jobs=2, cell_timeout=CELL_TIMEOUT, source=SOLUTIONS, log=lambda *a: None)
    backups = sorted(out.glob("gradebook.*.csv"))
    assert len(backups) == 1
    again = {r["student"]: r for r in gradebook.read(out / "gradebook.csv")}
    assert again == first                         # every record kept; the two regraded agree
    assert "previous gradebook.csv was kept" in (out / "report.md").read_text(encoding="utf-8")
    batch.grade(subs, out, jobs=2, cell_timeout=CELL_TIMEOUT, source=SOLUTIONS,
                log=lambda *a: None, only_changed=True)
    assert "2 unchanged submission(s) kept" in (out / "report.md").read_text(encoding="utf-8")


def test_shards_graded_apart_and_merged(tmp_path):
    """Two shards of a small class (one of them without a sandbox), merged into one gradebook."""
    require_data("fashion-mnist")
    require_sandbox(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ann", "ben", "cat"):
        nbformat.write(_read(RELEASE), subs / f"{name}.ipynb")
    outs = []
    for k, sandboxed in ((1, True), (2, False)):
        out = tmp_path / f"out-{k}"
        args = [str(subs), "--out", str(out), "--shard", f"{k}/2", f"--cell-timeout={CELL_TIMEOUT}",
                "--source", str(SOLUTIONS)] + ([] if sandboxed else ["--no-sandbox"])
        assert cli.main(args) == 0
        outs.append(out)
    report = (outs[1] / "report.md").read_text(encoding="utf-8")
    assert "WARNING: graded with --no-sandbox" in report and "shard 2/2" in report
    sheet = outs[0] / "written" / "answer_deeper.csv"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("ann,,,", "ann,,1,ok"),
                     encoding="utf-8")
    assert cli.main(["merge", *map(str, outs), "--out", str(tmp_path / "all"),
                     "--source", str(SOLUTIONS)]) == 0
    rows = gradebook.read(tmp_path / "all" / "gradebook.csv")
    assert [(r["student"], r["autograded_score"], r["autograded_max"]) for r in rows] == \
        [(s, "0", f"{TOTAL:g}") for s in ("ann", "ben", "cat")]
    assert rows[0]["answer_deeper"] == "1"
    assert sorted(p.name for p in (tmp_path / "all" / "feedback").iterdir()) == \
        ["ann.html", "ben.html", "cat.html"]
    assert cli.main(["merge", str(outs[0]), str(outs[0]), "--out", str(tmp_path / "again"),
                     "--source", str(SOLUTIONS)]) == 2
