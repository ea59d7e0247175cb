"""The corpus of Fashion-MNIST answer cells, and checks that say what each variant is.

Every file ``<grade_id>/<variant>.py`` next to this module is the complete source of one
answer cell as a student hands it in (the code the cell gives included).  Its first line is

    # verdict: honest
    # verdict: wrong: <what is wrong> | fails: <test ids, comma-separated>

``check(variant)`` runs the variant, with the instructor's answers for the other cells it
needs (``<grade_id>/instructor.py``), through this module's version of every test cell
that runs its code: the requirements of the notebook's tests (visible and hidden) and of
the assignment's rules, checked against plain loop references on float32 and float64
inputs (errors normwise, ``|a - b| / max(|a|, |b|)``), gradients against numerical ones
of the variant's own forward pass (float64) and against analytic loop references, and
the loop rule by counting the lines of Python the cell runs for 1 and for 8 images.
It returns the ids of the tests that fail, each with the first reason.
"""
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib import Sequential
from course_lib.gradcheck import numerical_gradient
from course_lib.layers import Affine, Dropout, Layer

HERE = Path(__file__).resolve().parent
CELLS = ("class_means", "leaky_relu", "im2col_col2im", "convolution", "max_pool",
         "build_network", "most_confused")
PARTNER = "instructor"
HEADER = re.compile(r"# verdict: (?:(honest)|wrong: (.+?) \| fails: ([\w, ]+))$")
TOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}
GRAD_TOL = 1e-7            # float64 centred differences of piecewise-linear functions
LOOP_SLACK = 20            # more lines for 8 images x 4 channels than for 1 x 1: a loop over them


@dataclass
class Variant:
    """One corpus file: ``cell`` (grade id), ``name``, ``honest``, ``what`` and ``fails``."""
    path: Path
    cell: str
    name: str
    honest: bool
    what: str
    fails: frozenset
    source: str


def load(path):
    """The :class:`Variant` in ``path``; a ValueError when its header is not as documented."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    match = HEADER.match(source.splitlines()[0] if source else "")
    if not match:
        raise ValueError(f"{path}: the first line must be '# verdict: honest' or "
                         "'# verdict: wrong: <what> | fails: <test ids>'")
    fails = frozenset(t.strip() for t in (match.group(3) or "").split(",") if t.strip())
    unknown = fails - set(TESTS)
    if unknown:
        raise ValueError(f"{path}: unknown test ids {sorted(unknown)}; known: {sorted(TESTS)}")
    return Variant(path, path.parent.name, path.stem, bool(match.group(1)),
                   match.group(2) or "", fails, source)


def variants(cell=None):
    """Every variant of the corpus (of one cell when ``cell`` is given), sorted by path."""
    folders = [HERE / cell] if cell else [HERE / c for c in CELLS]
    return [load(p) for folder in folders for p in sorted(folder.glob("*.py"))]


def tests_of(cell):
    """The test ids whose test cells run code of ``cell``."""
    return [t for t, (needs, _) in TESTS.items() if cell in needs]


def check(variant, partners=None):
    """``{test id: reason}`` for every test of the variant's cell (and after) that fails.

    partners: ``{cell: variant name}`` for the other cells' code (default: the instructor's).
    """
    failures = {}
    for test_id in tests_of(variant.cell):
        needs, test = TESTS[test_id]
        try:
            ns = namespace({c: variant.source if c == variant.cell else partner(c, partners)
                            for c in needs})
            with np.errstate(all="ignore"):
                test(ns)
        except Exception as exc:                      # noqa: BLE001 - a failure is the result
            failures[test_id] = f"{type(exc).__name__}: {exc}"[:300]
    return failures


def partner(cell, partners=None):
    name = (partners or {}).get(cell, PARTNER)
    return (HERE / cell / f"{name}.py").read_text(encoding="utf-8")


def namespace(sources):
    """A notebook namespace with the cells ``{grade_id: source}`` run in notebook order."""
    ns = {"np": np, "Layer": Layer, "Affine": Affine, "Dropout": Dropout, "Sequential": Sequential,
          "__name__": "__main__"}
    for cell in CELLS:
        if cell in sources:
            exec(compile(sources[cell], f"<cell {cell}>", "exec"), ns)
    return ns


# --------------------------------------------------------------------------
# Loop references (float64) and measures
# --------------------------------------------------------------------------

def rel(a, b):
    """Normwise relative error ``|a - b| / max(|a|, |b|)`` (0 when both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape {a.shape}, expected {b.shape}"
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def close(got, want, dtype, what):
    assert got is not None, f"{what}: returned None"
    got = np.asarray(got)
    assert np.issubdtype(got.dtype, np.floating), f"{what}: dtype {got.dtype} is not floating"
    err = rel(got, want)
    assert err <= TOL[np.dtype(dtype)], f"{what} ({np.dtype(dtype)}): relative error {err:.1e}"


def padded(x, pad):
    return np.pad(np.asarray(x, dtype=np.float64), [(0, 0), (0, 0), (pad, pad), (pad, pad)])


def out_hw(H, W, FH, FW, s, p):
    return (H + 2 * p - FH) // s + 1, (W + 2 * p - FW) // s + 1


def windows_ref(x, FH, FW, s, p):
    N, C, H, W = x.shape
    xp = padded(x, p)
    OH, OW = out_hw(H, W, FH, FW, s, p)
    return np.array([xp[n, :, i * s:i * s + FH, j * s:j * s + FW].ravel()
                     for n in range(N) for i in range(OH) for j in range(OW)])


def col2im_ref(col, shape, FH, FW, s, p):
    N, C, H, W = shape
    OH, OW = out_hw(H, W, FH, FW, s, p)
    out = np.zeros((N, C, H + 2 * p, W + 2 * p))
    rows = iter(np.asarray(col, dtype=np.float64))
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                out[n, :, i * s:i * s + FH, j * s:j * s + FW] += next(rows).reshape(C, FH, FW)
    return out[:, :, p:p + H, p:p + W]


def conv_ref(x, W, b, s, p):
    FN, C, FH, FW = W.shape
    col = windows_ref(x, FH, FW, s, p)
    OH, OW = out_hw(x.shape[2], x.shape[3], FH, FW, s, p)
    out = col @ np.asarray(W, np.float64).reshape(FN, -1).T + np.asarray(b, np.float64)
    return out.reshape(x.shape[0], OH, OW, FN).transpose(0, 3, 1, 2)


def conv_backward_ref(dout, x, W, s, p):
    FN, C, FH, FW = W.shape
    d = np.asarray(dout, np.float64).transpose(0, 2, 3, 1).reshape(-1, FN)
    col = windows_ref(x, FH, FW, s, p)
    dx = col2im_ref(d @ np.asarray(W, np.float64).reshape(FN, -1), x.shape, FH, FW, s, p)
    return dx, (d.T @ col).reshape(W.shape), d.sum(axis=0)


def pool_ref(x, ph, pw, s):
    N, C, H, W = x.shape
    OH, OW = out_hw(H, W, ph, pw, s, 0)
    out = np.empty((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def pool_backward_ref(dout, x, ph, pw, s):
    dx = np.zeros(x.shape)
    N, C, OH, OW = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
    return dx


def python_lines(f):
    """How many lines of the corpus cells' code run during ``f()``."""
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    def outer(frame, event, arg):
        return local if frame.f_code.co_filename.startswith("<cell ") else None

    old = sys.gettrace()
    sys.settrace(outer)
    try:
        f()
    finally:
        sys.settrace(old)
    return count[0]


def loop_rule(what, run):
    """``run(N, C)`` on 1 image of 1 channel and on 8 images of 4: the same lines of Python."""
    small, large = python_lines(lambda: run(1, 1)), python_lines(lambda: run(8, 4))
    assert large <= small + LOOP_SLACK, (f"{what} ran {large} lines of Python for 8 images of 4 "
                                         f"channels and {small} for 1 of 1: it loops over them")


# --------------------------------------------------------------------------
# The test cells
# --------------------------------------------------------------------------

def t_class_means(ns):
    means_fn, dist_fn = ns["class_mean_images"], ns["mean_image_distances"]
    x = np.arange(24, dtype=np.float64).reshape(6, 1, 2, 2)
    m = means_fn(x, np.array([0, 1, 0, 2, 1, 0]), n_classes=3)
    assert np.shape(m) == (3, 1, 2, 2), f"means of shape {np.shape(m)}"
    close(m[0], x[[0, 2, 5]].mean(axis=0), np.float64, "class 0's mean")
    rng = np.random.default_rng(101)
    cases = [(np.float64, (60, 1, 4, 4), 4), (np.float32, (400, 1, 28, 28), 10),
             (np.float64, (300, 1, 28, 28), 10), (np.float32, (90, 3, 5, 5), 6)]
    for dtype, shape, n_classes in cases:
        t = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, shape[0] - n_classes)])
        brightness = np.linspace(0.2, 1, n_classes)[t].reshape(-1, 1, 1, 1)
        x = (rng.random(shape) * brightness).astype(dtype)
        m = means_fn(x, t, n_classes)
        want = np.stack([x[t == k].astype(np.float64).mean(axis=0) for k in range(n_classes)])
        close(m, want, dtype, "class means")
        d = np.asarray(dist_fn(m))
        flat = np.asarray(m, np.float64).reshape(n_classes, -1)
        ref = np.linalg.norm(flat[:, None] - flat[None], axis=2)
        assert d.shape == ref.shape, f"distances of shape {d.shape}, expected {ref.shape}"
        assert np.all(np.isfinite(d)), "distances are not all finite"
        # |a|^2 + |b|^2 - 2ab loses sqrt(eps) * |a| where two means are close (the diagonal)
        bound = 8 * np.sqrt(np.finfo(dtype).eps) * np.linalg.norm(flat, axis=1).max()
        worst = np.abs(d - ref).max()
        assert worst <= bound, \
            f"distances ({np.dtype(dtype)}): off by {worst:.1e} (at most {bound:.1e})"
        assert np.array_equal(d, d.T) or np.abs(d - d.T).max() <= bound, "not symmetric"


def t_leaky_forward(ns):
    rng = np.random.default_rng(102)
    for dtype in (np.float64, np.float32):
        for alpha, shape in [(0.01, (3, 2, 5, 5)), (0.1, (1, 5)), (0.3, (4, 7))]:
            x = rng.standard_normal(shape).astype(dtype)
            keep = x.copy()
            layer = ns["LeakyRelu"]() if alpha == 0.01 else ns["LeakyRelu"](alpha=alpha)
            out = layer.forward(x)
            assert np.array_equal(x, keep), "forward changed its input in place"
            want = np.where(x > 0, x, alpha * x.astype(np.float64))
            close(out, want, dtype, f"forward, alpha {alpha}")


def t_leaky_backward(ns):
    rng = np.random.default_rng(103)
    for alpha in (0.05, 0.2):
        x = rng.standard_normal((2, 3, 4, 4))
        x[np.abs(x) < 1e-3] = 0.5
        dout = rng.standard_normal(x.shape)
        layer = ns["LeakyRelu"](alpha=alpha)
        layer.forward(-x)
        layer.forward(x)                   # backward belongs to the last forward pass
        dx = layer.backward(dout)
        close(dx, np.where(x > 0, dout, alpha * dout), np.float64, "dx")
        num = numerical_gradient(lambda: float(np.sum(layer.forward(x) * dout)), x)
        layer.forward(x)
        assert rel(layer.backward(dout), num) < GRAD_TOL, "dx differs from the numerical gradient"
        x32, d32 = x.astype(np.float32), dout.astype(np.float32)
        layer.forward(x32)
        close(layer.backward(d32), np.where(x > 0, dout, alpha * dout), np.float32, "dx")


CONFIGS_IM2COL = [  # input shape, (FH, FW, stride, pad)
    ((2, 3, 5, 5), (3, 3, 1, 1)), ((1, 2, 7, 5), (3, 1, 2, 0)), ((2, 1, 3, 3), (2, 2, 1, 0)),
    ((3, 2, 6, 6), (3, 3, 1, 2)), ((2, 3, 9, 7), (3, 3, 2, 1)), ((1, 1, 8, 8), (4, 4, 4, 0)),
    ((2, 4, 5, 6), (1, 2, 1, 0)), ((2, 1, 4, 4), (3, 3, 3, 1)), ((2, 2, 7, 8), (2, 3, 3, 2))]


def t_im2col(ns):
    im2col = ns["im2col"]
    rng = np.random.default_rng(104)
    for dtype in (np.float64, np.float32):
        for shape, (FH, FW, s, p) in CONFIGS_IM2COL:
            x = rng.standard_normal(shape).astype(dtype)
            close(im2col(x, FH, FW, s, p), windows_ref(x, FH, FW, s, p), dtype,
                  f"im2col of {shape}, {FH}x{FW}, stride {s}, pad {p}")
    try:
        im2col(np.zeros((1, 1, 4, 4)), 3, 3, 2, 0)
    except ValueError:
        pass
    else:
        raise AssertionError("no ValueError when the windows do not tile the input")
    loop_rule("im2col", lambda N, C: im2col(rng.standard_normal((N, C, 12, 12)), 3, 3, 1, 1))


def t_col2im(ns):
    col2im = ns["col2im"]
    counts = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2, 1, 0)
    assert np.array_equal(np.asarray(counts)[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]), \
        "window counts"
    rng = np.random.default_rng(105)
    for dtype in (np.float64, np.float32):
        for shape, (FH, FW, s, p) in CONFIGS_IM2COL:
            rows = len(windows_ref(np.zeros(shape), FH, FW, s, p))
            col = rng.standard_normal((rows, shape[1] * FH * FW)).astype(dtype)
            got = col2im(col, shape, FH, FW, s, p)
            assert np.shape(got) == shape, \
                f"col2im returned shape {np.shape(got)}, expected {shape}"
            close(got, col2im_ref(col, shape, FH, FW, s, p), dtype,
                  f"col2im to {shape}, {FH}x{FW}, stride {s}, pad {p}")

    def run(N, C):
        col2im(rng.standard_normal((N * 144, C * 9)), (N, C, 12, 12), 3, 3, 1, 1)
    loop_rule("col2im", run)


CONFIGS_CONV = [  # input shape, (FN, FH, FW, stride, pad)
    ((2, 3, 6, 6), (4, 3, 3, 1, 1)), ((3, 2, 7, 5), (2, 3, 1, 2, 0)),
    ((2, 3, 9, 9), (5, 3, 3, 2, 2)), ((3, 2, 8, 6), (4, 3, 3, 1, 2)),
    ((2, 3, 9, 9), (2, 5, 3, 2, 1)), ((2, 1, 6, 6), (3, 2, 2, 2, 0)),
    ((1, 4, 5, 5), (3, 1, 1, 1, 0)), ((2, 2, 7, 7), (2, 5, 5, 1, 2))]


def conv_case(rng, shape, FN, FH, FW, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    W = rng.standard_normal((FN, shape[1], FH, FW)).astype(dtype)
    return x, W, rng.standard_normal(FN).astype(dtype)


def counting(ns, name, calls):
    original = ns[name]

    def wrapper(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)
    return original, wrapper


def t_conv_forward(ns):
    Convolution = ns["Convolution"]
    rng = np.random.default_rng(106)
    for dtype in (np.float64, np.float32):
        for shape, (FN, FH, FW, s, p) in CONFIGS_CONV:
            x, W, b = conv_case(rng, shape, FN, FH, FW, dtype)
            close(Convolution(W, b, s, p).forward(x), conv_ref(x, W, b, s, p), dtype,
                  f"forward of {shape}, {FN} filters {FH}x{FW}, stride {s}, pad {p}")
    calls = []
    original, ns["im2col"] = counting(ns, "im2col", calls)
    try:
        Convolution(W, b, 1, 1).forward(x)
    finally:
        ns["im2col"] = original
    assert calls, "forward does not use im2col"


def t_conv_backward(ns):
    Convolution = ns["Convolution"]
    rng = np.random.default_rng(107)
    for shape, (FN, FH, FW, s, p) in CONFIGS_CONV:
        x, W, b = conv_case(rng, shape, FN, FH, FW, np.float64)
        layer = Convolution(W, b, s, p)
        dout = rng.standard_normal(np.shape(layer.forward(x)))
        dx = layer.backward(dout)
        want = conv_backward_ref(dout, x, W, s, p)
        for name, got, ref in zip(("dx", "dW", "db"), (dx, layer.dW, layer.db), want):
            close(got, ref, np.float64,
                  f"{name} of {shape}, {FN} filters {FH}x{FW}, stride {s}, pad {p}")
        if shape[2] <= 6:                      # backward against the variant's own forward pass
            f = lambda: float(np.sum(layer.forward(x) * dout))       # noqa: E731
            for name, got, a in zip(("dx", "dW", "db"), (dx, layer.dW, layer.db),
                                    (x, layer.W, layer.b)):
                assert rel(got, numerical_gradient(f, a)) < GRAD_TOL, (
                    f"{name} differs from the numerical gradient of forward "
                    f"({shape}, stride {s}, pad {p})")
        x32, W32, b32 = (a.astype(np.float32) for a in (x, W, b))
        layer = Convolution(W32, b32, s, p)
        layer.forward(x32)
        dx = layer.backward(dout.astype(np.float32))
        for name, got, ref in zip(("dx", "dW", "db"), (dx, layer.dW, layer.db), want):
            close(got, ref, np.float32, f"{name} of {shape}, stride {s}, pad {p}")
    x1, x2 = rng.standard_normal((3, 2, 5, 5)), rng.standard_normal((2, 2, 5, 5))
    W = rng.standard_normal((3, 2, 3, 3))
    layer = Convolution(W, np.zeros(3), 1, 1)
    calls = []
    original, ns["col2im"] = counting(ns, "col2im", calls)
    try:
        layer.forward(x1)
        layer.forward(x2)
        dx = layer.backward(np.ones((2, 3, 5, 5)))
    finally:
        ns["col2im"] = original
    assert calls, "backward does not use col2im"
    want = conv_backward_ref(np.ones((2, 3, 5, 5)), x2, W, 1, 1)
    close(layer.dW, want[1], np.float64, "dW after two forward passes (must use the last one)")
    close(dx, want[0], np.float64, "dx after two forward passes")


CONFIGS_POOL = [((2, 3, 8, 8), (2, 2, 2)), ((1, 2, 5, 5), (3, 3, 1)), ((2, 2, 7, 7), (3, 3, 2)),
                ((3, 1, 6, 4), (2, 2, 2)), ((2, 3, 9, 7), (3, 1, 3)), ((2, 2, 6, 5), (2, 1, 1)),
                ((3, 2, 8, 8), (4, 4, 4)), ((2, 2, 6, 6), (2, 2, 1))]


def t_max_pool(ns):
    forward = ns["max_pool_forward"]
    rng = np.random.default_rng(108)
    for dtype in (np.float64, np.float32):
        for shape, (ph, pw, s) in CONFIGS_POOL:
            x = rng.standard_normal(shape).astype(dtype)
            close(forward(x, ph, pw, s), pool_ref(x, ph, pw, s), dtype,
                  f"{ph}x{pw} pooling, stride {s}")
        x = (-rng.random((2, 2, 7, 7)) - 1.0).astype(dtype)
        close(forward(x, 3, 3, 2), pool_ref(x, 3, 3, 2), dtype, "pooling of negative numbers")
    loop_rule("max_pool_forward",
              lambda N, C: forward(rng.standard_normal((N, C, 12, 12)), 2, 2, 2))


def t_max_pool_backward(ns):
    forward, backward = ns["max_pool_forward"], ns["max_pool_backward"]
    rng = np.random.default_rng(109)
    for shape, (ph, pw, s), low in [((2, 3, 6, 6), (2, 2, 2), 0), ((2, 2, 5, 5), (3, 3, 1), 0),
                                    ((2, 2, 7, 7), (3, 3, 2), 0), ((1, 2, 4, 4), (2, 2, 2), -3)]:
        x = rng.standard_normal(shape) + low
        dout = rng.standard_normal(pool_ref(x, ph, pw, s).shape)
        dx = backward(dout, x, ph, pw, s)
        num = numerical_gradient(lambda: float(np.sum(forward(x, ph, pw, s) * dout)), x)
        assert rel(dx, num) < GRAD_TOL, \
            f"{ph}x{pw} pooling, stride {s}: dx differs from the numerical gradient"
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 3] = 1.0
    dx = backward(np.array([[[[5.0, 7.0]]]]), x, 2, 2, 2)
    assert np.array_equal(np.asarray(dx)[0, 0], [[5, 0, 0, 0], [0, 0, 0, 7]]), "ties: first maximum"
    for dtype in (np.float64, np.float32):
        for shape, (ph, pw, s) in CONFIGS_POOL:
            x = np.maximum(rng.standard_normal(shape), 0).round(1).astype(dtype)    # ties
            dout = rng.standard_normal(pool_ref(x, ph, pw, s).shape).astype(dtype)
            close(backward(dout, x, ph, pw, s), pool_backward_ref(dout, x, ph, pw, s), dtype,
                  f"dx of {ph}x{pw} pooling, stride {s}, with ties")
        layer = ns["MaxPooling"](2, 2, 2)
        x = rng.standard_normal((2, 2, 6, 6)).astype(dtype)
        y = layer.forward(x)
        want = pool_backward_ref(np.ones(y.shape), x, 2, 2, 2)
        close(layer.backward(np.ones_like(y)), want, dtype, "MaxPooling.backward")

    def run(N, C):
        x = rng.standard_normal((N, C, 12, 12))
        backward(rng.standard_normal((N, C, 6, 6)), x, 2, 2, 2)
    loop_rule("max_pool_backward", run)


def sampled_gradient(f, a, count, h=1e-5):
    """Centred differences of ``f()`` for ``count`` entries of ``a`` (a fixed choice):
    ``(indices, values)``."""
    flat = a.reshape(-1)                       # a view: parameters are contiguous arrays
    assert np.shares_memory(flat, a), "parameters must be contiguous arrays"
    picks = np.random.default_rng(0).permutation(flat.size)[:count]
    values = []
    for i in picks:
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        values.append((up - down) / (2 * h))
    return picks, np.array(values)


def gradient_errors(net, x, t, count=40):
    """Normwise errors of ``net.gradient`` against centred differences of ``net.loss`` (float64),
    on ``count`` entries of every parameter."""
    for layer in net.layers:
        if isinstance(layer, Dropout):
            layer.dropout_ratio = 0.0
    grads = net.gradient(x, t)
    errors = {}
    for key, param in net.params.items():
        picks, num = sampled_gradient(lambda: net.loss(x, t, train_flg=True), param, count)
        errors[key] = rel(np.asarray(grads[key]).reshape(-1)[picks], num)
    return errors


def t_build_network(ns):
    build = ns["build_network"]
    net = build(filter_num=4, filter_size=3, hidden_size=10, dropout_ratio=0.5, alpha=0.1,
                input_dim=(1, 8, 8), n_classes=10, seed=0, dtype=np.float64)
    assert isinstance(net, Sequential), f"returned a {type(net).__name__}"
    kinds = [type(layer) for layer in net.layers]
    want = [ns["Convolution"], ns["LeakyRelu"], ns["MaxPooling"], Affine, ns["LeakyRelu"], Dropout,
            Affine]
    assert kinds == want, f"layers {[k.__name__ for k in kinds]}"
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (4, 1, 3, 3), "b1": (4,), "W2": (64, 10), "b2": (10,), "W3": (10, 10),
                      "b3": (10,)}, f"parameter shapes {shapes}"
    assert all(v.dtype == np.float64 for v in net.params.values()), \
        "dtype float64 not given to every array"
    net.eval()
    assert np.shape(net.predict(np.random.default_rng(0).random((5, 1, 8, 8)))) == (5, 10)
    net.train()
    x = np.random.default_rng(4).random((3, 1, 8, 8))
    errors = gradient_errors(net, x, np.array([1, 4, 7]))
    assert max(errors.values()) < 1e-6, f"gradient check {errors}"
    sizes = dict(filter_num=32, filter_size=5, hidden_size=200, dropout_ratio=0.3, alpha=0.05,
                 seed=1)
    big = build(**sizes)
    assert big.params["W1"].shape == (32, 1, 5, 5) and big.params["W2"].shape == (32 * 14 * 14, 200)
    assert all(v.dtype == np.float32 for v in big.params.values()), "the default dtype is float32"
    for key, fan_in in (("W2", 32 * 14 * 14), ("W3", 200)):
        assert abs(big.params[key].std() / np.sqrt(2 / fan_in) - 1) < 0.1, \
            f"He initialisation of {key}"
    assert all(not np.any(big.params[k]) for k in ("b1", "b2", "b3")), "biases must start at zero"
    assert big.layers[5].dropout_ratio == 0.3, "the dropout ratio asked for"
    assert big.layers[1].alpha == 0.05 and big.layers[4].alpha == 0.05, "alpha for both LeakyRelu"
    assert big.layers[0].pad == 2 and big.layers[0].stride == 1, \
        "padding filter_size // 2, stride 1"
    again = build(**sizes)
    assert all(np.array_equal(again.params[k], big.params[k]) for k in big.params), \
        "same seed, same weights"
    wide = build(filter_num=64, filter_size=3, hidden_size=10, input_dim=(3, 8, 8), seed=2)
    assert abs(wide.params["W1"].std() / np.sqrt(2 / 27) - 1) < 0.1, \
        "He initialisation of W1 (fan_in C*FH*FW)"
    net_h = build(filter_num=3, filter_size=5, hidden_size=7, alpha=0.2, input_dim=(2, 6, 6),
                  n_classes=4, seed=5, dtype=np.float64)
    x = np.random.default_rng(19).random((2, 2, 6, 6))
    errors = gradient_errors(net_h, x, np.array([0, 3]))
    assert max(errors.values()) < 1e-6, f"gradient check {errors}"


def confused_ref(cm, k):
    n = cm.shape[0]
    entries = sorted(((-int(cm[i, j]), i, j) for i in range(n) for j in range(n) if i != j))
    return [(i, j, -c) for c, i, j in entries[:k]]


def t_most_confused(ns):
    fn = ns["most_confused_pairs"]
    cm = np.array([[50, 3, 9], [2, 40, 0], [9, 1, 45]])
    cases = [(cm, 3), (cm, 1), (cm, 20), (np.eye(3, dtype=int) * 100 + 1, 2)]
    rng = np.random.default_rng(110)
    cases += [(rng.integers(0, 6, (10, 10)), k) for k in (1, 3, 5, 12)]
    cases += [(rng.integers(0, 300, (10, 10)).astype(np.int32), 4)]
    for cm, k in cases:
        got = fn(cm, k=k)
        assert list(got) == confused_ref(cm, k), f"most_confused_pairs(k={k}) gave {got}"
        assert all(type(v) is int for pair in got for v in pair), "not Python ints"


ALL = set(CELLS) - {"class_means", "most_confused"}
TESTS = {
    "test_class_means": ({"class_means"}, t_class_means),
    "test_leaky_relu_forward": ({"leaky_relu"}, t_leaky_forward),
    "test_leaky_relu_backward": ({"leaky_relu"}, t_leaky_backward),
    "test_im2col": ({"im2col_col2im"}, t_im2col),
    "test_col2im": ({"im2col_col2im"}, t_col2im),
    "test_convolution_forward": ({"im2col_col2im", "convolution"}, t_conv_forward),
    "test_convolution_backward": ({"im2col_col2im", "convolution"}, t_conv_backward),
    "test_max_pool": ({"im2col_col2im", "max_pool"}, t_max_pool),
    "test_max_pool_backward": ({"im2col_col2im", "max_pool"}, t_max_pool_backward),
    "test_build_network": (ALL, t_build_network),
    "test_most_confused": ({"most_confused"}, t_most_confused),
}
