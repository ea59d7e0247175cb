"""Parts 1, 2 and 7 of the assignment: class means and distances, Leaky ReLU, confused pairs."""
from __future__ import annotations

import numpy as np

from ..i18n import _
from .base import RNG, U, Part, _abs_bound, compare, likely

# --- Part 1: class means and the distances between them ------------------------------------

MEANS_CALL = """
OUT["means"] = class_mean_images(IN["x"].copy(), IN["t"].copy(), n_classes=int(IN["k"]))
OUT["dist"] = mean_image_distances(IN["m"].copy())
"""


def _means_case(rng, n, k, shape, dtype):
    t = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])     # every class present
    rng.shuffle(t)
    return {"x": rng.random((n,) + shape).astype(dtype), "t": t.astype(np.int64),
            "k": np.int64(k), "m": rng.random((k,) + shape).astype(dtype)}


def _means_fixed():
    rng = np.random.default_rng(RNG + 1)
    demo = {"x": np.arange(24, dtype=np.float64).reshape(6, 1, 2, 2),
            "t": np.array([0, 1, 0, 2, 1, 0]), "k": np.int64(3), "m": rng.random((3, 1, 2, 2))}
    return [demo, _means_case(rng, 60, 4, (1, 4, 4), np.float64),
            _means_case(rng, 50, 10, (1, 28, 28), np.float32)]


def _means_fresh(rng):
    return [_means_case(rng, int(rng.integers(40, 90)), int(rng.integers(3, 8)),
                        (1, int(rng.integers(3, 8)), int(rng.integers(3, 8))), dtype)
            for dtype in (np.float64, np.float32)]


def _class_means(x, t, k):
    return np.stack([x[t == c].mean(axis=0) for c in range(k)])


def _distances(m):
    flat = m.reshape(len(m), -1)
    return np.sqrt(((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2))


def _means_expect(case):
    x, t, k = case["x"].astype(np.float64), case["t"], int(case["k"])
    means = _class_means(x, t, k)
    count = np.bincount(t, minlength=k).max()
    m = case["m"].astype(np.float64)
    d = _distances(m)
    sq = (m.reshape(k, -1) ** 2).sum(axis=1)
    dim = m[0].size
    # |a|^2 + |b|^2 - 2ab loses digits when a is close to b: the error of d^2 is at most about
    # (dim + 2) * u * (|a|^2 + |b|^2), so that of d at most its square root
    bound = 4 * np.sqrt((dim + 2) * U * (sq[:, None] + sq[None, :])) + 4 * U * d + 1e-300
    return {"means": means, "bm": _abs_bound(count, _class_means(np.abs(x), t, k), means),
            "dist": d, "bd": bound, "v_global": np.repeat(x.mean(axis=0)[None], k, axis=0),
            "v_sum": means * np.bincount(t, minlength=k).reshape((k,) + (1,) * (x.ndim - 1)),
            "v_squared": d ** 2}


def _means_judge(case, out, exp):
    failed = compare("class_mean_images", out.get("means"), exp["means"], exp["bm"], [
        (_("every row is the mean of ALL the images: select the images of class k, x[t == k]"),
         exp["v_global"]),
        (_("these are sums, not means: divide by the number of images of each class"),
         exp["v_sum"])])
    return failed or compare("mean_image_distances", out.get("dist"), exp["dist"], exp["bd"], [
        (_("these are squared distances: take the square root"), exp["v_squared"])])


def _means_describe(case):
    return _("{count} images of shape {shape} ({dtype}) in {classes} classes",
             count=len(case["t"]), shape=tuple(case["x"].shape[1:]), dtype=case["x"].dtype,
             classes=int(case["k"]))


MEANS = Part("test_class_means", lambda: _("class means and distances"), MEANS_CALL, _means_fixed,
             _means_fresh, _means_expect, _means_judge, _means_describe)


# --- Part 2: Leaky ReLU -----------------------------------------------------------------------

RELU_FORWARD_CALL = """
x = IN["x"].copy()
layer = LeakyRelu(alpha=float(IN["alpha"])) if "alpha" in IN else LeakyRelu()
OUT["y"] = layer.forward(x)
OUT["x_after"] = x
"""

RELU_BACKWARD_CALL = """
layer = LeakyRelu(alpha=float(IN["alpha"]))
layer.forward(IN["x"].copy())
layer.forward(IN["x2"].copy())
OUT["dx"] = layer.backward(IN["dout"].copy())
"""


def _relu_case(rng, shape, alpha, dtype=np.float64):
    case = {"x": rng.standard_normal(shape).astype(dtype),
            "x2": rng.standard_normal(shape).astype(dtype),
            "dout": rng.standard_normal(shape).astype(dtype)}
    if alpha is not None:
        case["alpha"] = np.float64(alpha)
    return case


def _relu_fixed():
    rng = np.random.default_rng(RNG + 2)
    demo = {"x": np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]]), "alpha": np.float64(0.1),
            "x2": np.array([[1.0, -1.0, 2.0, -3.0, 0.5]]), "dout": np.array([[1.0, 2, 3, 4, 5]])}
    return [demo, _relu_case(rng, (3, 2, 5, 5), 0.3), _relu_case(rng, (2, 7), None),
            _relu_case(rng, (2, 3, 4, 4), 0.05, np.float32)]


def _relu_fresh(rng):
    return [_relu_case(rng, (int(rng.integers(1, 5)), 3, 5, 4), float(rng.uniform(0.02, 0.4))),
            _relu_case(rng, (int(rng.integers(2, 9)),), None),
            _relu_case(rng, (2, 3, 4, 4), float(rng.uniform(0.02, 0.4)), np.float32)]


def _leaky(x, a, d=None):
    d = x if d is None else d
    return np.where(x > 0, d, a * d)


def _relu_expect(case):
    a = float(case.get("alpha", 0.01))
    x, x2, dout = (case[k].astype(np.float64) for k in ("x", "x2", "dout"))
    y, dx = _leaky(x, a), _leaky(x2, a, dout)
    return {"y": y, "by": 4 * U * np.abs(y) + 1e-300, "dx": dx, "bdx": 4 * U * np.abs(dx) + 1e-300,
            "v_relu": np.maximum(x, 0), "v_swapped": np.where(x > 0, a * x, x),
            "v_dout_mask": _leaky(dout, a), "v_first": _leaky(x, a, dout),
            "v_no_alpha": np.where(x2 > 0, dout, 0.0)}


def _relu_forward_judge(case, out, exp):
    failed = compare("forward(x)", out.get("y"), exp["y"], exp["by"], [
        (_("alpha is ignored: where x <= 0 the output is alpha * x, not 0"), exp["v_relu"]),
        (_("the two slopes are swapped: x where x > 0, alpha * x elsewhere"), exp["v_swapped"])])
    if failed is None and not np.array_equal(out.get("x_after"), case["x"]):
        return _("forward changed its input x in place: compute a new array (np.where does)")
    return failed


def _relu_backward_judge(case, out, exp):
    return compare("backward(dout)", out.get("dx"), exp["dx"], exp["bdx"], [
        (_("the mask is taken from dout: it must come from the x of the forward pass"),
         exp["v_dout_mask"]),
        (_("backward used the x of an EARLIER forward pass: remember the last one"),
         exp["v_first"]),
        (_("where x <= 0 the gradient is alpha * dout, not 0"), exp["v_no_alpha"])])


def _relu_describe(case):
    fields = dict(shape=tuple(case["x"].shape), dtype=case["x"].dtype)
    if "alpha" in case:
        return _("input {shape} ({dtype}), alpha {alpha:g}", alpha=float(case["alpha"]), **fields)
    return _("input {shape} ({dtype}), the default alpha", **fields)


RELU_FORWARD = Part("test_leaky_relu_forward", "LeakyRelu.forward", RELU_FORWARD_CALL,
                    _relu_fixed, _relu_fresh, _relu_expect, _relu_forward_judge, _relu_describe)
RELU_BACKWARD = Part("test_leaky_relu_backward", "LeakyRelu.backward", RELU_BACKWARD_CALL,
                     lambda: [c for c in _relu_fixed() if "alpha" in c],
                     lambda rng: [c for c in _relu_fresh(rng) if "alpha" in c], _relu_expect,
                     _relu_backward_judge, _relu_describe)


# --- Part 7: the most confused pairs ----------------------------------------------------------

PAIRS_CALL = """
got = list(most_confused_pairs(IN["cm"].copy(), k=int(IN["k"])))
OUT["ints"] = np.array([type(v) is int for pair in got for v in pair] + [True])
OUT["pairs"] = np.array(got, dtype=np.int64).reshape(-1, 3)
"""


def _pairs_fixed():
    demo = np.array([[50, 3, 9], [2, 40, 0], [9, 1, 45]])
    rng = np.random.default_rng(RNG + 7)
    return [{"cm": demo, "k": np.int64(k)} for k in (3, 1, 20)] + [
        {"cm": np.eye(3, dtype=np.int64) * 100 + 1, "k": np.int64(2)},
        {"cm": rng.integers(0, 6, (10, 10)) + np.diag(rng.integers(30, 60, 10)), "k": np.int64(5)}]


def _pairs_fresh(rng):
    cases = []
    for k in (1, 3, 5, None):
        n = int(rng.integers(3, 11))
        cm = rng.integers(0, 6, (n, n)) + np.diag(rng.integers(30, 60, n))     # many ties
        cases.append({"cm": cm.astype(np.int64), "k": np.int64(k or n * n)})
    return cases


def _pairs(cm, k):
    n = len(cm)
    entries = sorted((-int(cm[i, j]), i, j) for i in range(n) for j in range(n) if i != j)
    return np.array([(i, j, -c) for c, i, j in entries[:k]], dtype=np.int64).reshape(-1, 3)


def _pairs_expect(case):
    cm, k = np.asarray(case["cm"]), int(case["k"])
    n = len(cm)
    off = [(int(cm[i, j]), i, j) for i in range(n) for j in range(n) if i != j]
    every = sorted(((-int(cm[i, j]), i, j) for i in range(n) for j in range(n)))[:k]
    return {"pairs": _pairs(cm, k),
            "v_reversed": np.array([(i, j, c) for c, i, j in sorted(off, reverse=True)[:k]],
                                   dtype=np.int64).reshape(-1, 3),
            "v_diag": np.array([(i, j, -c) for c, i, j in every], dtype=np.int64).reshape(-1, 3)}


def _pairs_judge(case, out, exp):
    got, want = out.get("pairs"), exp["pairs"]
    if got is None or np.shape(got) != want.shape or not np.array_equal(got, want):
        msg = (_("expected {expected}, got nothing", expected=want.tolist()) if got is None else
               _("expected {expected}, got {got}", expected=want.tolist(),
                 got=np.asarray(got).tolist()))
        for cause, value in ((_("equal counts must be ordered by true class, then predicted "
                                "class, ascending"), exp["v_reversed"]),
                             (_("the diagonal (correct answers) must be left out"),
                              exp["v_diag"])):
            if got is not None and np.array_equal(np.asarray(got), value):
                return likely(msg, cause)
        return msg
    if not bool(np.all(out.get("ints", np.array(False)))):
        return _("the entries must be Python integers: int(...), not NumPy integers")
    return None


def _pairs_describe(case):
    n = len(case["cm"])
    return _("a {n}x{n} confusion matrix, k={k}", n=n, k=int(case["k"]))


PAIRS = Part("test_most_confused", "most_confused_pairs", PAIRS_CALL, _pairs_fixed, _pairs_fresh,
             _pairs_expect, _pairs_judge, _pairs_describe)

PARTS = [MEANS, RELU_FORWARD, RELU_BACKWARD, PAIRS]
REFERENCE_CODE = ("_class_means", "_distances", "_leaky", "_pairs", "_means_expect",
                  "_relu_expect", "_pairs_expect")
