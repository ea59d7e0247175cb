"""Trusted checks of the Fashion-MNIST assignment (instructor only, used by course-grade).

Each part's *probe* runs inside the sandbox, right after the part's test cell:
it calls the student's code on inputs the grader drew for this grading run
and stores what comes back in ``OUTPUTS``.  Each part's *score* runs in the
grader, never in the sandbox: it recomputes the expected values from the same
inputs with the reference code below and awards the points.  The points match
the nbgrader test cells (all or nothing, as there, except the accuracy goal's
linear scale).
"""
import numpy as np

from course_grader.trusted import Part, Verdict


def _close(a, b, rtol=1e-6, atol=1e-8):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol, atol)


def _verdict(points, failures):
    if failures:
        return Verdict(0.0, "; ".join(failures))
    return Verdict(points, "correct on fresh inputs")


# --- Part 1: class means and distances -------------------------------------------

def _means_inputs(rng, ctx):
    k = int(rng.integers(3, 7))
    n = int(rng.integers(40, 90))
    t = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])   # every class present
    rng.shuffle(t)
    return {"x": rng.random((n, 1, int(rng.integers(3, 7)), int(rng.integers(3, 7)))),
            "t": t.astype(np.int64), "k": np.int64(k),
            "m": rng.standard_normal((k, 1, 4, 5))}


def _means_score(inp, out, ctx):
    x, t, k = inp["x"], inp["t"], int(inp["k"])
    want = np.stack([x[t == c].mean(axis=0) for c in range(k)])
    flat = inp["m"].reshape(k, -1)
    dist = np.linalg.norm(flat[:, None, :] - flat[None, :, :], axis=2)
    fails = []
    if not _close(out.get("means"), want):
        fails.append("class_mean_images gives wrong means")
    if not _close(out.get("dist"), dist, atol=1e-6):
        fails.append("mean_image_distances gives wrong distances")
    return _verdict(2, fails)


MEANS_PROBE = """
OUTPUTS["means"] = class_mean_images(INPUTS["x"].copy(), INPUTS["t"].copy(), n_classes=int(INPUTS["k"]))
OUTPUTS["dist"] = mean_image_distances(INPUTS["m"].copy())
"""


# --- Part 2: Leaky ReLU ------------------------------------------------------------

def _leaky(x, a):
    return np.where(x > 0, x, a * x)


def _relu_fwd_inputs(rng, ctx):
    return {"x": rng.standard_normal((int(rng.integers(2, 5)), 3, 5, 4)),
            "x2": rng.standard_normal(7), "alpha": np.float64(rng.uniform(0.02, 0.4))}


def _relu_fwd_score(inp, out, ctx):
    fails = []
    if not _close(out.get("y"), _leaky(inp["x"], inp["alpha"]), rtol=1e-10):
        fails.append("forward(x) is wrong for random 4-D input")
    if not _close(out.get("y_default"), _leaky(inp["x2"], 0.01), rtol=1e-10):
        fails.append("forward(x) with the default alpha is wrong")
    if not _close(out.get("x_after"), inp["x"], rtol=0, atol=0):
        fails.append("forward changed its input in place")
    return _verdict(2, fails)


RELU_FWD_PROBE = """
x = INPUTS["x"].copy()
OUTPUTS["y"] = LeakyRelu(alpha=float(INPUTS["alpha"])).forward(x)
OUTPUTS["x_after"] = x
OUTPUTS["y_default"] = LeakyRelu().forward(INPUTS["x2"].copy())
"""


def _relu_bwd_inputs(rng, ctx):
    shape = (2, int(rng.integers(2, 4)), 4, 4)
    return {"x1": rng.standard_normal(shape), "x2": rng.standard_normal(shape),
            "d1": rng.standard_normal(shape), "d2": rng.standard_normal(shape),
            "alpha": np.float64(rng.uniform(0.02, 0.4))}


def _relu_bwd_score(inp, out, ctx):
    a = inp["alpha"]
    fails = []
    if not _close(out.get("dx1"), np.where(inp["x1"] > 0, inp["d1"], a * inp["d1"]), rtol=1e-10):
        fails.append("backward(dout) is wrong")
    if not _close(out.get("dx2"), np.where(inp["x2"] > 0, inp["d2"], a * inp["d2"]), rtol=1e-10):
        fails.append("backward must use the input of the last forward pass")
    return _verdict(3, fails)


RELU_BWD_PROBE = """
layer = LeakyRelu(alpha=float(INPUTS["alpha"]))
layer.forward(INPUTS["x1"].copy())
OUTPUTS["dx1"] = layer.backward(INPUTS["d1"].copy())
layer.forward(INPUTS["x2"].copy())
OUTPUTS["dx2"] = layer.backward(INPUTS["d2"].copy())
"""


# --- Part 3: im2col, col2im and the convolution layer ------------------------------------

def _conv_case(rng, max_pad=2):
    """Random shapes for which the windows tile the padded input."""
    C, FN, OH, OW = (int(v) for v in rng.integers(1, 5, 4))
    FH, FW = (int(v) for v in rng.choice([1, 2, 3, 5], 2))
    stride = int(rng.integers(1, 4))
    H, W = (OH - 1) * stride + FH, (OW - 1) * stride + FW
    pad = min(int(rng.integers(0, max_pad + 1)), (H - 1) // 2, (W - 1) // 2)
    return (int(rng.integers(1, 4)), C, H - 2 * pad, W - 2 * pad), FN, FH, FW, stride, pad


def _windows(x, FH, FW, stride, pad):
    """im2col by loops: one row per window (n, oh, ow), columns (c, fh, fw)."""
    N, C, H, W = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    return np.array([xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW].ravel()
                     for n in range(N) for i in range(OH) for j in range(OW)])


def _unwindows(col, shape, FH, FW, stride, pad):
    """col2im by loops: every row added back to its window, the padding dropped."""
    N, C, H, W = shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    rows = iter(col)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                out[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW] += \
                    next(rows).reshape(C, FH, FW)
    return out[:, :, pad:pad + H, pad:pad + W]


def _conv_inputs(rng, ctx):
    arrays = {}
    for i in range(4):
        shape, FN, FH, FW, stride, pad = _conv_case(rng)
        arrays[f"x{i}"] = rng.standard_normal(shape)
        arrays[f"W{i}"] = rng.standard_normal((FN, shape[1], FH, FW))
        arrays[f"b{i}"] = rng.standard_normal(FN)
        arrays[f"p{i}"] = np.array([stride, pad])
        OH, OW = (shape[2] + 2 * pad - FH) // stride + 1, (shape[3] + 2 * pad - FW) // stride + 1
        arrays[f"col{i}"] = rng.standard_normal((shape[0] * OH * OW, shape[1] * FH * FW))
        arrays[f"x2_{i}"] = rng.standard_normal(shape)
        arrays[f"dout{i}"] = rng.standard_normal((shape[0], FN, OH, OW))
    return arrays


def _case(inp, i):
    W = inp[f"W{i}"]
    stride, pad = (int(v) for v in inp[f"p{i}"])
    return inp[f"x{i}"], W, W.shape[2], W.shape[3], stride, pad


def _describe_case(inp, i):
    x, W, FH, FW, stride, pad = _case(inp, i)
    return f"input {x.shape}, {FH}x{FW} windows, stride {stride}, pad {pad}"


def _im2col_score(inp, out, ctx):
    fails = []
    for i in range(4):
        x, W, FH, FW, stride, pad = _case(inp, i)
        if not _close(out.get(f"c{i}"), _windows(x, FH, FW, stride, pad), rtol=1e-12):
            fails.append(f"im2col is wrong for {_describe_case(inp, i)}")
    return _verdict(3, fails)


IM2COL_PROBE = """
for i in range(4):
    W_, (s_, p_) = INPUTS[f"W{i}"], (int(v) for v in INPUTS[f"p{i}"])
    OUTPUTS[f"c{i}"] = im2col(INPUTS[f"x{i}"].copy(), W_.shape[2], W_.shape[3], s_, p_)
"""


def _col2im_score(inp, out, ctx):
    fails = []
    for i in range(4):
        x, W, FH, FW, stride, pad = _case(inp, i)
        if not _close(out.get(f"img{i}"), _unwindows(inp[f"col{i}"], x.shape, FH, FW, stride, pad)):
            fails.append(f"col2im is wrong for {_describe_case(inp, i)}")
    return _verdict(3, fails)


COL2IM_PROBE = """
for i in range(4):
    W_, (s_, p_) = INPUTS[f"W{i}"], (int(v) for v in INPUTS[f"p{i}"])
    OUTPUTS[f"img{i}"] = col2im(INPUTS[f"col{i}"].copy(), INPUTS[f"x{i}"].shape, W_.shape[2], W_.shape[3],
                                s_, p_)
"""


def _conv_reference(x, W, b, stride, pad):
    FN, _, FH, FW = W.shape
    N, C, H, Wd = x.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (Wd + 2 * pad - FW) // stride + 1
    out = _windows(x, FH, FW, stride, pad) @ W.reshape(FN, -1).T + b
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def _conv_fwd_score(inp, out, ctx):
    fails = []
    for i in range(4):
        x, W, FH, FW, stride, pad = _case(inp, i)
        if not _close(out.get(f"y{i}"), _conv_reference(x, W, inp[f"b{i}"], stride, pad)):
            fails.append(f"forward is wrong for {_describe_case(inp, i)}")
    if not fails and not int(out.get("im2col_calls", np.array(0))):
        fails.append("Convolution.forward does not use im2col")
    return _verdict(3, fails)


CONV_FWD_PROBE = """
_im2col_, _calls_ = im2col, []
def _counting_im2col_(*args, **kwargs):
    _calls_.append(1)
    return _im2col_(*args, **kwargs)
for i in range(4):
    s_, p_ = (int(v) for v in INPUTS[f"p{i}"])
    OUTPUTS[f"y{i}"] = Convolution(INPUTS[f"W{i}"].copy(), INPUTS[f"b{i}"].copy(), s_, p_).forward(
        INPUTS[f"x{i}"].copy())
_globals_ = Convolution.forward.__globals__       # the notebook's namespace, where forward finds im2col
_globals_["im2col"] = _counting_im2col_
try:
    Convolution(INPUTS["W0"].copy(), INPUTS["b0"].copy(), *(int(v) for v in INPUTS["p0"])).forward(
        INPUTS["x0"].copy())
finally:
    _globals_["im2col"] = _im2col_
OUTPUTS["im2col_calls"] = np.array(len(_calls_))
"""


def _conv_bwd_score(inp, out, ctx):
    fails = []
    for i in range(4):
        x, W, FH, FW, stride, pad = _case(inp, i)
        x2, dout = inp[f"x2_{i}"], inp[f"dout{i}"]          # backward follows the second forward pass
        flat = dout.transpose(0, 2, 3, 1).reshape(-1, W.shape[0])
        dW = (_windows(x2, FH, FW, stride, pad).T @ flat).T.reshape(W.shape)
        dx = _unwindows(flat @ W.reshape(W.shape[0], -1), x.shape, FH, FW, stride, pad)
        for name, want in (("dx", dx), ("dW", dW), ("db", flat.sum(axis=0))):
            if not _close(out.get(f"{name}{i}"), want):
                fails.append(f"{name} is wrong for {_describe_case(inp, i)}")
    return _verdict(4, fails)


CONV_BWD_PROBE = """
for i in range(4):
    s_, p_ = (int(v) for v in INPUTS[f"p{i}"])
    layer_ = Convolution(INPUTS[f"W{i}"].copy(), INPUTS[f"b{i}"].copy(), s_, p_)
    layer_.forward(INPUTS[f"x{i}"].copy())
    layer_.forward(INPUTS[f"x2_{i}"].copy())
    OUTPUTS[f"dx{i}"] = layer_.backward(INPUTS[f"dout{i}"].copy())
    OUTPUTS[f"dW{i}"] = np.array(layer_.dW)
    OUTPUTS[f"db{i}"] = np.array(layer_.db)
"""


# --- Part 4: max pooling -------------------------------------------------------------

POOL_CASES = [((2, 3, 8, 8), (2, 2, 2)), ((2, 2, 7, 7), (3, 3, 2)), ((3, 1, 6, 4), (2, 2, 2)),
              ((1, 2, 5, 5), (3, 3, 1))]


def _pool_inputs(rng, ctx):
    arrays = {}
    for i, (shape, (ph, pw, s)) in enumerate(POOL_CASES):
        x = rng.standard_normal(shape)
        if i == 1:
            x = -np.abs(x) - 1.0                      # all negative
        arrays[f"x{i}"] = x
        arrays[f"p{i}"] = np.array([ph, pw, s])
    return arrays


def _pool_reference(x, ph, pw, s):
    n, c, h, w = x.shape
    oh, ow = (h - ph) // s + 1, (w - pw) // s + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def _pool_score(inp, out, ctx):
    fails = []
    for i in range(len(POOL_CASES)):
        ph, pw, s = (int(v) for v in inp[f"p{i}"])
        if not _close(out.get(f"y{i}"), _pool_reference(inp[f"x{i}"], ph, pw, s), rtol=1e-12):
            fails.append(f"wrong result for input {inp[f'x{i}'].shape}, {ph}x{pw} window, stride {s}"
                         + (" (all values negative)" if i == 1 else ""))
    return _verdict(3, fails)


POOL_PROBE = """
for i in range(4):
    ph, pw, s = (int(v) for v in INPUTS[f"p{i}"])
    OUTPUTS[f"y{i}"] = max_pool_forward(INPUTS[f"x{i}"].copy(), ph, pw, s)
"""


def _pool_bwd_inputs(rng, ctx):
    arrays = {}
    for i, (shape, p) in enumerate([((2, 3, 7, 7), (3, 3, 2)), ((2, 2, 6, 5), (2, 1, 1)),
                                    ((3, 2, 8, 8), (2, 2, 2)), ((1, 2, 6, 6), (3, 3, 1))]):
        x = rng.standard_normal(shape)
        if i % 2 == 0:
            x = np.maximum(x, 0).round(1)              # many ties, as after a ReLU
        ph, pw, s = p
        arrays[f"x{i}"] = x
        arrays[f"p{i}"] = np.array(p)
        arrays[f"d{i}"] = rng.standard_normal((shape[0], shape[1], (shape[2] - ph) // s + 1,
                                               (shape[3] - pw) // s + 1))
    return arrays


def _pool_bwd_reference(dout, x, ph, pw, s):
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


def _pool_bwd_score(inp, out, ctx):
    fails = []
    for i in range(4):
        ph, pw, s = (int(v) for v in inp[f"p{i}"])
        want = _pool_bwd_reference(inp[f"d{i}"], inp[f"x{i}"], ph, pw, s)
        if not _close(out.get(f"dx{i}"), want):
            fails.append(f"wrong dx for input {inp[f'x{i}'].shape}, {ph}x{pw} window, stride {s}"
                         + (" (ties: the first maximum gets the gradient)" if i % 2 == 0 else ""))
    return _verdict(4, fails)


POOL_BWD_PROBE = """
for i in range(4):
    ph, pw, s = (int(v) for v in INPUTS[f"p{i}"])
    OUTPUTS[f"dx{i}"] = max_pool_backward(INPUTS[f"d{i}"].copy(), INPUTS[f"x{i}"].copy(), ph, pw, s)
"""


# --- Part 5: build_network -----------------------------------------------------------

KINDS = ["Convolution", "LeakyRelu", "MaxPooling", "Affine", "LeakyRelu", "Dropout", "Affine"]


def _net_inputs(rng, ctx):
    size = int(rng.choice([6, 8, 10]))
    return {"config": np.array([int(rng.integers(2, 6)), int(rng.choice([3, 5])),
                                int(rng.integers(5, 12)), size, int(rng.integers(3, 10)),
                                int(rng.integers(0, 1000))]),
            "ratios": np.array([rng.uniform(0.1, 0.6), rng.uniform(0.02, 0.3)]),
            "x": rng.random((4, 1, size, size))}


def _reference_forward(params, x, pad, alpha):
    """conv - LeakyRelu - 2x2 max pool - affine - LeakyRelu - (dropout off) - affine."""
    from course_lib.layers import Convolution, Pooling

    conv = Convolution(params["W1"].astype(np.float64), params["b1"].astype(np.float64),
                       stride=1, pad=pad)
    conv.train(False)
    h = _leaky(conv.forward(x), alpha)
    pool = Pooling(2, 2, stride=2)
    pool.train(False)
    h = pool.forward(h).reshape(len(x), -1)
    h = _leaky(h @ params["W2"] + params["b2"], alpha)
    return h @ params["W3"] + params["b3"]


def _net_score(inp, out, ctx):
    fn, fs, hs, size, nc, seed = (int(v) for v in inp["config"])
    drop, alpha = (float(v) for v in inp["ratios"])
    fails = []
    kinds = [str(k) for k in np.asarray(out.get("kinds", [])).ravel()]
    if kinds != KINDS:
        return 0.0, f"layers {kinds}, expected {KINDS}"
    flat = fn * (size // 2) ** 2
    want = {"W1": (fn, 1, fs, fs), "b1": (fn,), "W2": (flat, hs), "b2": (hs,), "W3": (hs, nc),
            "b3": (nc,)}
    params = {k: out.get(k) for k in want}
    if any(params[k] is None or params[k].shape != s for k, s in want.items()):
        return 0.0, "parameter shapes are wrong"
    if any(params[k].dtype != np.float64 for k in want):
        fails.append("parameters do not have the dtype asked for")
    if any(np.any(params[k] != 0) for k in ("b1", "b2", "b3")):
        fails.append("biases must start at zero")
    if not _close(out.get("alphas"), [alpha, alpha]) or not _close(out.get("drop"), drop):
        fails.append("alpha or the dropout ratio is not passed on to the layers")
    if not all(_close(params[k], out.get(k + "_again"), rtol=0, atol=0) for k in want):
        fails.append("the same seed must give the same weights")
    big = out.get("W2_big")
    if big is None or big.shape != (32 * 14 * 14, 200) or big.dtype != np.float32 \
            or abs(big.std() - np.sqrt(2 / (32 * 14 * 14))) > 0.1 * np.sqrt(2 / (32 * 14 * 14)) \
            or abs(big.mean()) > 0.05 * np.sqrt(2 / (32 * 14 * 14)):
        fails.append("He initialisation is wrong (standard deviation sqrt(2 / fan_in), "
                     "default dtype float32)")
    w1 = out.get("W1_big")
    if w1 is None or w1.shape != (32, 1, 5, 5) or abs(w1.std() - np.sqrt(2 / 25)) > 0.2 * np.sqrt(2 / 25):
        fails.append("He initialisation of the convolution is wrong")
    if not fails:
        ref = _reference_forward(params, inp["x"], fs // 2, alpha)
        if not _close(out.get("scores"), ref, rtol=1e-6, atol=1e-8):
            fails.append("the network's predictions differ from the layers described "
                         "(padding, order of the layers, LeakyRelu)")
    return _verdict(3, fails)


NET_PROBE = """
fn, fs, hs, size, nc, seed = (int(v) for v in INPUTS["config"])
drop, alpha = (float(v) for v in INPUTS["ratios"])
kw = dict(filter_num=fn, filter_size=fs, hidden_size=hs, dropout_ratio=drop, alpha=alpha,
          input_dim=(1, size, size), n_classes=nc, seed=seed, dtype=np.float64)
net_ = build_network(**kw)
OUTPUTS["kinds"] = np.array([type(layer).__name__ for layer in net_.layers])
for key, value in net_.params.items():
    OUTPUTS[key] = np.array(value)
OUTPUTS["alphas"] = np.array([getattr(net_.layers[i], "alpha", np.nan) for i in (1, 4)], dtype=float)
OUTPUTS["drop"] = np.array(getattr(net_.layers[5], "dropout_ratio", np.nan), dtype=float)
net_.eval()
OUTPUTS["scores"] = net_.predict(INPUTS["x"].copy())
for key, value in build_network(**kw).params.items():
    OUTPUTS[key + "_again"] = np.array(value)
big_ = build_network(filter_num=32, filter_size=5, hidden_size=200, dropout_ratio=0.3,
                     alpha=0.05, seed=seed + 1)
OUTPUTS["W2_big"] = np.array(big_.params["W2"])
OUTPUTS["W1_big"] = np.array(big_.params["W1"])
"""


# --- Part 6: the accuracy goal, from the model file -----------------------------------------

MODEL_FILE = "fashion_mnist_model.npz"
FILES = [MODEL_FILE]          # handed in with the notebook: course-grade puts it next to it


def _acc_inputs(rng, ctx):
    return {"dummy": np.zeros(1)}


def _acc_score(inp, out, ctx):
    """The handed-in model file, rebuilt with the trusted course_lib, on all 10,000 test images.

    8 points at 90 % or more, 0 at 85 % or less, linear in between.  The validation
    accuracy (the last 5,000 training images) is measured too: a network whose test
    accuracy is more than 2 points above it, or whose recorded validation accuracy does
    not match, is flagged for the instructor.
    """
    from course_lib.datasets import load_fashion_mnist
    from course_lib.model_file import goal_credit, load_model

    path = ctx["work"] / MODEL_FILE
    if not path.is_file():
        return 0.0, (f"no {MODEL_FILE} was handed in next to the notebook, so this part earns 0 points; "
                     f"a full run of the notebook writes it")
    try:
        net = load_model(path)
    except (ValueError, FileNotFoundError) as err:
        return 0.0, f"{MODEL_FILE} cannot be used, so this part earns 0 points: {str(err).replace(str(path), MODEL_FILE)}"
    _, (x_test, t_test) = load_fashion_mnist(flatten=False, download=False, data_dir=ctx.get("data_dir"))
    acc = net.accuracy(np.asarray(x_test, dtype=np.float32).reshape(-1, 1, 28, 28), t_test, batch_size=500)
    points = round(8 * goal_credit(acc), 2)
    message = (f"test accuracy {acc:.4f} on all {len(t_test)} test images: {points:g} of 8 points "
               f"(90 % or more: 8, 85 % or less: 0, linear in between)")
    try:
        (x_train, t_train), _ = load_fashion_mnist(flatten=False, download=False, data_dir=ctx.get("data_dir"))
        val = net.accuracy(x_train[55_000:], t_train[55_000:], batch_size=500)
    except Exception as exc:                        # noqa: BLE001 - the score stands without it
        return points, message + f"; validation accuracy not measured ({type(exc).__name__})"
    recorded = net.model_metadata.get("validation_accuracy")
    message += f"; validation accuracy {val:.4f} (recorded in the file: {recorded})"
    if acc > val + 0.02:
        message += ("; FLAG for the instructor: the test accuracy is more than 2 points above the validation "
                    "accuracy (was the network trained or tuned on test images?)")
    if not isinstance(recorded, (int, float)) or abs(recorded - val) > 0.005:
        message += "; FLAG for the instructor: the recorded validation accuracy does not match the network"
    return points, message


ACC_PROBE = """
OUTPUTS["ran"] = np.array(1)
"""


# --- Part 7: most confused pairs -----------------------------------------------------------

def _pairs_reference(cm, k):
    entries = sorted(((-int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm))
                      if i != j))
    return [(i, j, -c) for c, i, j in entries[:k]]


def _pairs_inputs(rng, ctx):
    arrays = {}
    for i in range(4):
        n = int(rng.integers(3, 8))
        cm = rng.integers(0, 6, (n, n)) + np.diag(rng.integers(30, 60, n))   # many ties
        arrays[f"cm{i}"] = cm.astype(np.int64)
        arrays[f"k{i}"] = np.int64([1, 3, 5, n * n][i])
    return arrays


def _pairs_score(inp, out, ctx):
    fails = []
    for i in range(4):
        want = np.array(_pairs_reference(inp[f"cm{i}"], int(inp[f"k{i}"])), dtype=np.int64).reshape(-1, 3)
        got = out.get(f"r{i}")
        if got is None or got.shape != want.shape or not np.array_equal(got, want):
            fails.append(f"wrong pairs for a {len(inp[f'cm{i}'])}x{len(inp[f'cm{i}'])} matrix, k={int(inp[f'k{i}'])}")
    if not bool(np.all(out.get("ints", np.array(False)))):
        fails.append("the entries must be Python integers")
    return _verdict(3, fails)


PAIRS_PROBE = """
ints = []
for i in range(4):
    got = list(most_confused_pairs(INPUTS[f"cm{i}"].copy(), k=int(INPUTS[f"k{i}"])))
    ints += [type(v) is int for pair in got for v in pair]
    OUTPUTS[f"r{i}"] = np.array(got, dtype=np.int64).reshape(-1, 3)
OUTPUTS["ints"] = np.array(ints + [True])
"""


# What of course_lib a sandbox must not offer while this assignment is graded: the course's own
# versions of what the parts ask for (see course_grader.library).
SANDBOX_STUBS = {
    "course_lib.functional": ["im2col", "col2im"],
    "course_lib.naive": "*",
    "course_lib.layers": ["Convolution.forward", "Convolution.backward", "Pooling.forward",
                          "Pooling.backward"],
    "course_lib.fast.windows": "*",
    "course_lib.fast.layers": ["Convolution.forward", "Convolution.backward", "Convolution._windows",
                               "Pooling.forward", "Pooling.backward", "Pooling._tile_forward",
                               "Pooling._tile_backward"],
    "course_lib.fast.fused": ["forward_layers", "backward_layers"],
    "course_lib.experiments": ["class_means", "nearest_mean_predict", "nearest_mean_accuracy",
                               "closest_class_pairs"],
    "course_lib.checks": "*",
    "course_lib.widgets": "*",
}

PARTS = [
    Part("test_class_means", 2, _means_inputs, MEANS_PROBE, _means_score,
         answer_cells=("class_means",)),
    Part("test_leaky_relu_forward", 2, _relu_fwd_inputs, RELU_FWD_PROBE, _relu_fwd_score,
         answer_cells=("leaky_relu",)),
    Part("test_leaky_relu_backward", 3, _relu_bwd_inputs, RELU_BWD_PROBE, _relu_bwd_score,
         answer_cells=("leaky_relu",)),
    Part("test_im2col", 3, _conv_inputs, IM2COL_PROBE, _im2col_score, answer_cells=("im2col_col2im",)),
    Part("test_col2im", 3, _conv_inputs, COL2IM_PROBE, _col2im_score, answer_cells=("im2col_col2im",)),
    Part("test_convolution_forward", 3, _conv_inputs, CONV_FWD_PROBE, _conv_fwd_score,
         answer_cells=("convolution",)),
    Part("test_convolution_backward", 4, _conv_inputs, CONV_BWD_PROBE, _conv_bwd_score,
         answer_cells=("convolution",)),
    Part("test_max_pool", 3, _pool_inputs, POOL_PROBE, _pool_score, answer_cells=("max_pool",)),
    Part("test_max_pool_backward", 4, _pool_bwd_inputs, POOL_BWD_PROBE, _pool_bwd_score,
         answer_cells=("max_pool",)),
    Part("test_build_network", 3, _net_inputs, NET_PROBE, _net_score,
         answer_cells=("build_network",)),
    Part("test_accuracy_goal", 8, _acc_inputs, ACC_PROBE, _acc_score),
    Part("test_most_confused", 3, _pairs_inputs, PAIRS_PROBE, _pairs_score,
         answer_cells=("most_confused",)),
]
