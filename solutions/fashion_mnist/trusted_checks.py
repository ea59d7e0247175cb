"""Trusted checks of the Fashion-MNIST assignment (instructor only, used by course-grade).

Each part's *probe* runs inside the sandbox, right after the part's test cell:
it calls the student's code on inputs the grader drew for this grading run
and stores what comes back in ``OUTPUTS``.  Each part's *score* runs in the
grader, never in the sandbox: it recomputes the expected values from the same
inputs with the reference code below and awards the points.  The points match
the nbgrader test cells (all or nothing, as there).
"""
import numpy as np

from course_grader.trusted import Part


def _close(a, b, rtol=1e-6, atol=1e-8):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol, atol)


def _verdict(points, failures):
    if failures:
        return 0.0, "; ".join(failures)
    return points, "correct on fresh inputs"


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


# --- Part 3: max pooling -------------------------------------------------------------

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
import course_lib.naive, course_lib.layers
with forbid_calls(course_lib.naive.pool_forward_naive, course_lib.layers.Pooling.forward):
    for i in range(4):
        ph, pw, s = (int(v) for v in INPUTS[f"p{i}"])
        OUTPUTS[f"y{i}"] = max_pool_forward(INPUTS[f"x{i}"].copy(), ph, pw, s)
"""


# --- Part 4: build_network -----------------------------------------------------------

KINDS = ["Convolution", "LeakyRelu", "Pooling", "Affine", "LeakyRelu", "Dropout", "Affine"]


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


# --- Part 5: the accuracy goal ----------------------------------------------------------

def _acc_inputs(rng, ctx):
    return {"dummy": np.zeros(1)}


def _acc_score(inp, out, ctx):
    """Accuracy of the submitted weights on test images the grader picks, with its labels."""
    hp = out.get("hparams")
    if hp is None or hp.shape != (2,):
        return 0.0, "no trained network was found"
    fs, alpha = int(hp[0]), float(hp[1])
    params = {k: out.get(k) for k in ("W1", "b1", "W2", "b2", "W3", "b3")}
    if any(v is None for v in params.values()) or params["W1"].ndim != 4 \
            or params["W1"].shape[2:] != (fs, fs):
        return 0.0, "the trained network does not have the layers asked for"
    x_test, t_test = ctx["load_test_set"]()
    n = 500 if ctx["quick"] else len(x_test)
    goal = 0.70 if ctx["quick"] else 0.90
    pick = np.random.default_rng(ctx["seed"]).permutation(len(x_test))[:n]
    try:
        scores = np.concatenate([_reference_forward(params, x_test[pick[i:i + 250]], fs // 2, alpha)
                                 for i in range(0, n, 250)])
    except ValueError:
        return 0.0, "the trained network's weights do not fit together"
    acc = float(np.mean(scores.argmax(axis=1) == t_test[pick]))
    if acc >= goal:
        return 4, f"test accuracy {acc:.3f} on {n} test images chosen by the grader (goal {goal:.0%})"
    return 0.0, f"test accuracy {acc:.3f} on {n} test images chosen by the grader is below {goal:.0%}"


ACC_PROBE = """
OUTPUTS["hparams"] = np.array([float(HPARAMS["filter_size"]),
                               float(getattr(net.layers[1], "alpha", np.nan))])
for key, value in net.params.items():
    OUTPUTS[key] = np.array(value)
"""


# --- Part 6: most confused pairs -----------------------------------------------------------

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


PARTS = [
    Part("test_class_means", 2, _means_inputs, MEANS_PROBE, _means_score,
         answer_cells=("class_means",)),
    Part("test_leaky_relu_forward", 2, _relu_fwd_inputs, RELU_FWD_PROBE, _relu_fwd_score,
         answer_cells=("leaky_relu",)),
    Part("test_leaky_relu_backward", 3, _relu_bwd_inputs, RELU_BWD_PROBE, _relu_bwd_score,
         answer_cells=("leaky_relu",)),
    Part("test_max_pool", 3, _pool_inputs, POOL_PROBE, _pool_score, answer_cells=("max_pool",),
         forbidden=("pool_forward_naive", "Pooling", "naive", "pool_forward")),
    Part("test_build_network", 3, _net_inputs, NET_PROBE, _net_score,
         answer_cells=("build_network",)),
    Part("test_accuracy_goal", 4, _acc_inputs, ACC_PROBE, _acc_score),
    Part("test_most_confused", 3, _pairs_inputs, PAIRS_PROBE, _pairs_score,
         answer_cells=("most_confused",)),
]
