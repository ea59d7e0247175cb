"""The Fashion-MNIST assignment's test cells pass the instructor's answers and reject typical
wrong code: delegating to course_lib, loops over single windows, wrong layouts, gradients that
assign instead of add, ties sent everywhere.

The notebook's cells run here in one namespace, in order, as the grader runs them; a test cell
"fails" when it raises.
"""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib.model_file import build_model, save_model

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "fashion_mnist" / "fashion_mnist.ipynb"
# The cells of Parts 2-5, which need no data.
CELLS = ["setup", "leaky_relu", "test_leaky_relu_forward", "test_leaky_relu_backward", "im2col_col2im",
         "test_im2col", "test_col2im", "convolution", "test_convolution_forward", "test_convolution_backward",
         "max_pool", "test_max_pool", "test_max_pool_backward", "build_network", "test_build_network"]
TESTS = [c for c in CELLS if c.startswith("test_")]
_BLOCK = re.compile(r"([ \t]*)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.DOTALL)


@pytest.fixture(scope="module")
def notebook():
    return {c.id: c.source for c in nbformat.read(SOLUTION, as_version=4).cells}


def with_answer(source, n, code):
    """``source`` with its ``n``-th solution block replaced by ``code`` (indented like the block)."""
    blocks = list(_BLOCK.finditer(source))
    m = blocks[n]
    indent = m.group(1)
    body = "".join(indent + line + "\n" if line else "\n" for line in code.strip("\n").splitlines())
    return source[:m.start()] + body + source[m.end():]


def failures(notebook, replaced=None):
    """{test cell: error message} after running the cells, some answer cells replaced."""
    ns = {"__name__": "__main__"}
    failed = {}
    for cid in CELLS:
        source = (replaced or {}).get(cid, notebook[cid])
        try:
            exec(compile(source, f"<cell {cid}>", "exec"), ns)
        except Exception as exc:                      # noqa: BLE001 - what the grader would record
            failed[cid] = f"{type(exc).__name__}: {exc}"
    return failed


def test_the_instructor_answers_pass_every_test(notebook):
    assert failures(notebook) == {}


# Each wrong answer: (cell, block number, code, the test cell that must fail)
WRONG = {
    "im2col calls course_lib's": ("im2col_col2im", 0, """
from course_lib.functional import im2col as library_im2col
return library_im2col(x, filter_h, filter_w, stride, pad)
""", "test_im2col"),
    "im2col loops over output pixels": ("im2col_col2im", 0, """
padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
rows = [padded[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel()
        for n in range(N) for i in range(OH) for j in range(OW)]
return np.array(rows, dtype=x.dtype)
""", "test_im2col"),
    "im2col orders columns (fh, fw, c)": ("im2col_col2im", 0, """
padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
out = np.empty((N, OH, OW, filter_h, filter_w, C), dtype=x.dtype)
for dy in range(filter_h):
    for dx in range(filter_w):
        out[:, :, :, dy, dx, :] = padded[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride].transpose(0, 2, 3, 1)
return out.reshape(N * OH * OW, -1)
""", "test_im2col"),
    "col2im assigns instead of adding": ("im2col_col2im", 1, """
windows = col.reshape(N, OH, OW, C, filter_h, filter_w)
grad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
for dy in range(filter_h):
    for dx in range(filter_w):
        grad[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride] = windows[:, :, :, :, dy, dx].transpose(0, 3, 1, 2)
return grad[:, :, pad:pad + H, pad:pad + W]
""", "test_col2im"),
    "col2im keeps the padding": ("im2col_col2im", 1, """
windows = col.reshape(N, OH, OW, C, filter_h, filter_w)
grad = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
for dy in range(filter_h):
    for dx in range(filter_w):
        grad[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride] += windows[:, :, :, :, dy, dx].transpose(0, 3, 1, 2)
return grad
""", "test_col2im"),
    "col2im calls course_lib's": ("im2col_col2im", 1, """
from course_lib import functional
return functional.col2im(col, x_shape, filter_h, filter_w, stride, pad)
""", "test_col2im"),
    "forward uses course_lib's layer": ("convolution", 0, """
from course_lib.layers import Convolution as LibraryConvolution
self.library = LibraryConvolution(self.W, self.b, self.stride, self.pad)
return self.library.forward(x)
""", "test_convolution_forward"),
    "forward forgets the bias": ("convolution", 0, """
col = im2col(x, FH, FW, self.stride, self.pad)
col_W = self.W.reshape(FN, -1).T
self.x_shape, self.col, self.col_W = x.shape, col, col_W
return (col @ col_W).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
""", "test_convolution_forward"),
    "forward reshapes without moving the filters": ("convolution", 0, """
col = im2col(x, FH, FW, self.stride, self.pad)
col_W = self.W.reshape(FN, -1).T
self.x_shape, self.col, self.col_W = x.shape, col, col_W
return (col @ col_W + self.b).reshape(N, FN, OH, OW)
""", "test_convolution_forward"),
    "forward loops over pixels instead of im2col": ("convolution", 0, """
xp = np.pad(x, [(0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)])
s = self.stride
out = np.empty((N, FN, OH, OW))
for i in range(OH):
    for j in range(OW):
        out[:, :, i, j] = np.tensordot(xp[:, :, i * s:i * s + FH, j * s:j * s + FW], self.W, axes=([1, 2, 3], [1, 2, 3])) + self.b
self.x_shape, self.x = x.shape, x
return out
""", "test_convolution_forward"),
    "backward reshapes dW without transposing": ("convolution", 1, """
flat = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
self.db = flat.sum(axis=0)
self.dW = (self.col.T @ flat).reshape(self.W.shape)
return col2im(flat @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
""", "test_convolution_backward"),
    "backward averages over the batch": ("convolution", 1, """
flat = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
self.db = flat.mean(axis=0)
self.dW = (self.col.T @ flat).T.reshape(self.W.shape)
return col2im(flat @ self.col_W.T, self.x_shape, FH, FW, self.stride, self.pad)
""", "test_convolution_backward"),
    "max pooling calls course_lib.naive": ("max_pool", 0, """
from course_lib.naive import pool_forward_naive
return pool_forward_naive(x, pool_h, pool_w, stride)
""", "test_max_pool"),
    "max pooling loops over windows": ("max_pool", 0, """
out = np.empty((N, C, OH, OW), dtype=x.dtype)
for n in range(N):
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                out[n, c, i, j] = x[n, c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].max()
return out
""", "test_max_pool"),
    "max pooling starts from zero": ("max_pool", 0, """
out = np.zeros((N, C, OH, OW), dtype=x.dtype)
for i in range(pool_h):
    for j in range(pool_w):
        np.maximum(out, x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride], out=out)
return out
""", "test_max_pool"),
    "pooling gradient to every maximum": ("max_pool", 1, """
out = max_pool_forward(x, pool_h, pool_w, stride)
dx = np.zeros(x.shape)
for i in range(pool_h):
    for j in range(pool_w):
        part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
        dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += np.where(part == out, dout, 0)
return dx
""", "test_max_pool_backward"),
    "pooling gradient assigned, not added": ("max_pool", 1, """
best = np.full((N, C, OH, OW), -np.inf)
where = np.zeros((N, C, OH, OW), dtype=np.int64)
for i in range(pool_h):
    for j in range(pool_w):
        part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
        larger = part > best
        best[larger] = part[larger]
        where[larger] = i * pool_w + j
dx = np.zeros(x.shape)
for i in range(pool_h):
    for j in range(pool_w):
        view = dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
        view[where == i * pool_w + j] = dout[where == i * pool_w + j]
return dx
""", "test_max_pool_backward"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_typical_wrong_answer_fails_its_test(notebook, name):
    cell, block, code, test = WRONG[name]
    failed = failures(notebook, {cell: with_answer(notebook[cell], block, code)})
    assert test in failed, f"{test} passed with the wrong answer '{name}'"


def test_the_network_must_be_built_from_the_students_layers(notebook):
    source = notebook["build_network"].replace("MaxPooling(2, 2, stride=2)", "Pooling(2, 2, stride=2)")
    source = "from course_lib.layers import Pooling\n" + source
    assert "test_build_network" in failures(notebook, {"build_network": source})
    source = notebook["build_network"].replace("pad=filter_size // 2", "pad=0")
    assert "test_build_network" in failures(notebook, {"build_network": source})


def test_switching_course_implementations_off_is_undone(notebook):
    import course_lib.functional
    import course_lib.naive

    from course_lib.assignment import course_versions_off

    x = np.random.default_rng(0).random((1, 1, 4, 4))
    with course_versions_off():
        with pytest.raises(RuntimeError, match="switched off"):
            course_lib.naive.pool_forward_naive(x, 2, 2, 2)
        with pytest.raises(RuntimeError, match="switched off"):
            course_lib.functional.im2col(x, 2, 2)
    assert course_lib.naive.pool_forward_naive(x, 2, 2, 2).shape == (1, 1, 2, 2)
    assert course_lib.functional.im2col(x, 2, 2).shape == (9, 4)


# ----- Part 6: the model file ----------------------------------------------------------

def _run_goal_cell(notebook, folder, monkeypatch):
    """Run the accuracy cell in ``folder``; returns the value of its last line (the points)."""
    from conftest import require_data

    require_data("fashion-mnist")
    monkeypatch.chdir(folder)
    ns = {"__name__": "__main__"}
    exec(notebook["setup"], ns)
    lines = notebook["test_accuracy_goal"].rstrip().splitlines()
    last = next(i for i in range(len(lines) - 1, -1, -1) if not lines[i].startswith("#"))
    exec("\n".join(lines[:last]), ns)
    return eval(lines[last], ns)


def test_goal_cell_without_a_model_file_explains(notebook, tmp_path, monkeypatch):
    from conftest import require_data

    require_data("fashion-mnist")
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__"}
    exec(notebook["setup"], ns)
    with pytest.raises(AssertionError, match="no fashion_mnist_model.npz next to this notebook"):
        exec(notebook["test_accuracy_goal"], ns)
    (tmp_path / "fashion_mnist_model.npz").write_text("not a model")
    with pytest.raises(AssertionError, match="cannot be used: .*npz"):
        exec(notebook["test_accuracy_goal"], ns)


def test_goal_cell_gives_an_untrained_network_no_points(notebook, tmp_path, monkeypatch):
    net = build_model([{"type": "Affine", "units": 10}], seed=0)
    save_model(net, tmp_path / "fashion_mnist_model.npz", metadata={"validation_accuracy": 0.1})
    points = _run_goal_cell(notebook, tmp_path, monkeypatch)
    assert points == 0



def test_the_solution_model_file_earns_full_marks(notebook, tmp_path, monkeypatch):
    model = SOLUTION.parent / "fashion_mnist_model.npz"
    if not model.exists():
        pytest.fail("solutions/fashion_mnist/fashion_mnist_model.npz is missing: run the instructor version in "
                    "full mode (tools/run_notebooks.py solutions/fashion_mnist/fashion_mnist.ipynb)")
    (tmp_path / model.name).write_bytes(model.read_bytes())
    assert _run_goal_cell(notebook, tmp_path, monkeypatch) == 8
