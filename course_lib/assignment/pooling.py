"""Part 4 of the assignment: max pooling, forward (vectorised) and backward.

References: ``course_lib.naive.pool_forward_naive`` / ``pool_backward_naive``
(each window's gradient to its first maximum, as ``np.argmax`` finds it).
"""
from __future__ import annotations

import numpy as np

from ..i18n import _
from .base import COUNT_BATCH, RNG, U, Part, _abs_bound, _i, _judge_count, compare, count_case_text

_SHAPES = [((2, 3, 8, 8), 2, 2, 2), ((1, 2, 5, 5), 3, 3, 1), ((2, 2, 7, 7), 3, 3, 2),
           ((3, 1, 6, 4), 2, 2, 2), ((2, 3, 9, 7), 3, 1, 3), ((2, 2, 6, 5), 2, 1, 1)]


def _case(rng, shape, ph, pw, s, dtype=np.float64, kind="normal"):
    x = rng.standard_normal(shape)
    if kind == "negative":
        x = -np.abs(x) - 1.0
    elif kind == "ties":
        x = np.maximum(x, 0).round(1)          # many equal maxima, as after a ReLU
    elif kind == "coarse":
        x = rng.integers(0, 3, shape).astype(float)    # ties between nonzero values too
    OH, OW = (shape[2] - ph) // s + 1, (shape[3] - pw) // s + 1
    return {"x": x.astype(dtype), "fh": np.int64(ph), "fw": np.int64(pw), "stride": np.int64(s),
            "dout": rng.standard_normal((shape[0], shape[1], OH, OW)).astype(dtype)}


def _count_case(rng):
    x = rng.standard_normal(COUNT_BATCH)
    N, C, H, W = COUNT_BATCH
    return {"x": x, "fh": np.int64(2), "fw": np.int64(2), "stride": np.int64(1),
            "dout": rng.standard_normal((N, C, H - 1, W - 1)), "count": np.int64(1)}


def fixed_cases():
    rng = np.random.default_rng(RNG + 4)
    kinds = ["normal", "normal", "negative", "ties", "normal", "ties"]
    cases = [_case(rng, *shape, kind=k) for shape, k in zip(_SHAPES, kinds)]
    first_max = {"x": np.zeros((1, 1, 2, 4)), "fh": np.int64(2), "fw": np.int64(2),
                 "stride": np.int64(2), "dout": np.array([[[[5.0, 7.0]]]])}
    first_max["x"][0, 0, 1, 3] = 1.0
    reading_order = {"x": np.array([[[[0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 0.0, 2.0]]]]),
                     "fh": np.int64(2), "fw": np.int64(2), "stride": np.int64(2),
                     "dout": np.array([[[[3.0, 4.0]]]])}
    cases[:0] = [first_max, reading_order]
    cases.append(_case(rng, (2, 2, 6, 6), 2, 2, 2, np.float32, "ties"))
    return cases + [_count_case(rng)]


def fresh_cases(rng):
    cases = []
    for i in range(4):
        ph, pw = (int(v) for v in rng.integers(1, 4, 2))
        s = int(rng.integers(1, 4))
        OH, OW = (int(v) for v in rng.integers(1, 5, 2))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), (OH - 1) * s + ph,
                 (OW - 1) * s + pw)
        cases.append(_case(rng, shape, ph, pw, s, np.float32 if i == 3 else np.float64,
                           ["normal", "negative", "ties", "coarse"][i]))
    return cases


def _ref():
    from .. import naive
    return naive


def _describe(case):
    if "count" in case:
        return count_case_text()
    x = case["x"]
    fields = dict(shape=tuple(x.shape), dtype=x.dtype, fh=_i(case, "fh"), fw=_i(case, "fw"),
                  stride=_i(case, "stride"))
    if np.all(x < 0):
        return _("input {shape} ({dtype}), {fh}x{fw} windows, stride {stride}, every value "
                 "negative", **fields)
    if np.mean(x == 0) > 0.2 or np.all(x == np.round(x)):
        return _("input {shape} ({dtype}), {fh}x{fw} windows, stride {stride}, many equal maxima "
                 "(ties)", **fields)
    return _("input {shape} ({dtype}), {fh}x{fw} windows, stride {stride}", **fields)


# --- forward --------------------------------------------------------------------------------

FORWARD_CALL = """
args = (int(IN["fh"]), int(IN["fw"]), int(IN["stride"]))
if "count" in IN:
    for key, x in (("lines", IN["x"]), ("lines_one", IN["x"][:1, :1])):
        OUT[key] = count_lines(lambda: max_pool_forward(x.copy(), *args))
else:
    OUT["y"] = max_pool_forward(IN["x"].copy(), *args)
"""


def _forward_expect(case):
    if "count" in case:
        return {}
    naive = _ref()
    x = case["x"].astype(np.float64)
    ph, pw, s = _i(case, "fh"), _i(case, "fw"), _i(case, "stride")
    y = naive.pool_forward_naive(x, ph, pw, s)
    return {"ref": y, "bound": 2 * U * np.abs(y) + 1e-300, "v_zero": np.maximum(y, 0),
            "v_mean": naive.pool_forward_naive(x, ph, pw, s, mode="avg")}


def _forward_judge(case, out, exp):
    if "count" in case:
        return _judge_count(case, out, "max_pool_forward")
    hints = [(_("the running maximum starts at 0, so a window of negative values gives 0: start "
                "at -inf (or at the first position's values)"), exp["v_zero"]),
             (_("this is the mean of each window, not its maximum"), exp["v_mean"])]
    return compare("max_pool_forward(x)", out.get("y"), exp["ref"], exp["bound"], hints)


# --- backward -------------------------------------------------------------------------------

BACKWARD_CALL = """
args = (int(IN["fh"]), int(IN["fw"]), int(IN["stride"]))
if "count" in IN:
    for key, d, x in (("lines", IN["dout"], IN["x"]), ("lines_one", IN["dout"][:1, :1],
                                                       IN["x"][:1, :1])):
        OUT[key] = count_lines(lambda: max_pool_backward(d.copy(), x.copy(), *args))
else:
    OUT["dx"] = max_pool_backward(IN["dout"].copy(), IN["x"].copy(), *args)
"""


def _mistaken_backward(dout, x, ph, pw, s, mistake):
    """dx of a typical mistake: ties to the last maximum, to every maximum, or no adding."""
    N, C, OH, OW = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    win = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    target = dx[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    if mistake == "all":
                        target[win == win.max()] += dout[n, c, i, j]
                        continue
                    flat = win.ravel()
                    k = flat.size - 1 - int(np.argmax(flat[::-1])) if mistake == "last" \
                        else int(np.argmax(flat))
                    a, b = divmod(k, pw)
                    if mistake == "column":                  # the first maximum column by column
                        b, a = divmod(int(np.argmax(win.T.ravel())), ph)
                    if mistake == "assign":
                        target[a, b] = dout[n, c, i, j]
                    else:
                        target[a, b] += dout[n, c, i, j]
    return dx


def _backward_expect(case):
    if "count" in case:
        return {}
    naive = _ref()
    x, dout = case["x"].astype(np.float64), case["dout"].astype(np.float64)
    ph, pw, s = _i(case, "fh"), _i(case, "fw"), _i(case, "stride")
    dx = naive.pool_backward_naive(dout, x, ph, pw, s)
    k = -(-ph // s) * -(-pw // s)                        # windows one pixel can lie in
    variants = {f"v_{m}": _mistaken_backward(dout, x, ph, pw, s, m)
                for m in ("last", "all", "assign", "column")}
    return {"ref": dx, "bound": _abs_bound(k, naive.pool_backward_naive(np.abs(dout), x, ph, pw,
                                                                         s), dx), **variants}


def _backward_judge(case, out, exp):
    if "count" in case:
        return _judge_count(case, out, "max_pool_backward")
    hints = [(_("when a window has several equal maxima, its gradient must go to the FIRST of "
                "them in reading order (as np.argmax picks it), not the last"), exp["v_last"]),
             (_("when a window has several equal maxima, only the first of them gets the "
                "gradient, not every one"), exp["v_all"]),
             (_("the first maximum is searched column by column; it must be in reading order, "
                "row by row (np.argmax on the flattened window)"), exp["v_column"]),
             (_("where windows overlap, a pixel must receive the SUM of their gradients (+=)"),
              exp["v_assign"])]
    return compare("max_pool_backward(dout, x)", out.get("dx"), exp["ref"], exp["bound"], hints)


FORWARD = Part("test_max_pool", "max_pool_forward", FORWARD_CALL, fixed_cases, fresh_cases,
               _forward_expect, _forward_judge, _describe)
BACKWARD = Part("test_max_pool_backward", "max_pool_backward", BACKWARD_CALL, fixed_cases,
                fresh_cases, _backward_expect, _backward_judge, _describe)

PARTS = [FORWARD, BACKWARD]
REFERENCE_CODE = ("_ref", "_mistaken_backward")
