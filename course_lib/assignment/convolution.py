"""Part 3 of the assignment: im2col, col2im and a convolution layer built on them.

References: ``course_lib.functional.im2col`` / ``col2im`` (the book's loops over
the positions inside a window) and ``course_lib.naive.conv_forward_naive`` /
``conv_backward_naive`` (one multiply-add at a time).
"""
from __future__ import annotations

import numpy as np

from ..i18n import _
from .base import (COUNT_BATCH, RNG, U, Part, _abs_bound, _count_case, _geometry,
                   _geometry_text, _i, _judge_count, _maybe, _out_hw, compare, count_case_text)


def _case(rng, geometry, dtype=np.float64):
    N, C, H, W, FN, FH, FW, s, p = geometry
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    OH, OW = (H + 2 * p - FH) // s + 1, (W + 2 * p - FW) // s + 1
    return {"x": x, "fh": np.int64(FH), "fw": np.int64(FW), "stride": np.int64(s),
            "pad": np.int64(p), "W": rng.standard_normal((FN, C, FH, FW)).astype(dtype),
            "b": rng.standard_normal(FN).astype(dtype),
            "col": rng.standard_normal((N * OH * OW, C * FH * FW)).astype(dtype),
            "x2": rng.standard_normal((N, C, H, W)).astype(dtype),
            "dout": rng.standard_normal((N, FN, OH, OW)).astype(dtype)}


def fixed_cases():
    rng = np.random.default_rng(RNG + 3)
    cases = [_case(rng, g) for g in [(2, 1, 3, 3, 2, 2, 2, 1, 0), (2, 3, 5, 5, 4, 3, 3, 1, 1),
                                     (1, 2, 7, 5, 2, 3, 1, 2, 0), (2, 3, 9, 9, 5, 3, 3, 2, 1),
                                     (3, 2, 6, 6, 3, 5, 5, 1, 2)]]
    cases[0]["x"] = np.arange(18, dtype=np.float64).reshape(2, 1, 3, 3)
    cases.append(_case(rng, (2, 2, 6, 6, 3, 3, 3, 1, 1), np.float32))
    return cases


def fresh_cases(rng):
    return [_case(rng, _geometry(rng), np.float32 if i == 3 else np.float64) for i in range(4)]


def _ref():
    from .. import functional, naive
    return functional, naive


def _describe(case):
    return _geometry_text(case)


def _filters_text(case):
    return _("{geometry}, {filters} filters", geometry=_describe(case), filters=case["W"].shape[0])


# --- im2col ---------------------------------------------------------------------------------

IM2COL_CALL = """
if "count" in IN:
    for key, x in (("lines", IN["x"]), ("lines_one", IN["x"][:1, :1])):
        OUT[key] = count_lines(lambda: im2col(x.copy(), int(IN["fh"]), int(IN["fw"]),
                                              int(IN["stride"]), int(IN["pad"])))
elif "tiles" in IN:
    try:
        im2col(IN["x"].copy(), int(IN["fh"]), int(IN["fw"]), int(IN["stride"]), int(IN["pad"]))
        OUT["raised"] = np.array(0)
    except ValueError:
        OUT["raised"] = np.array(1)
else:
    OUT["col"] = im2col(IN["x"].copy(), int(IN["fh"]), int(IN["fw"]), int(IN["stride"]),
                        int(IN["pad"]))
"""


def _im2col_fixed():
    rng = np.random.default_rng(RNG + 31)
    not_tiling = {"x": np.zeros((1, 1, 4, 4)), "fh": np.int64(3), "fw": np.int64(3),
                  "stride": np.int64(2), "pad": np.int64(0), "tiles": np.int64(0)}
    return fixed_cases() + [not_tiling, _count_case(rng)]


def _im2col_expect(case):
    if "count" in case or "tiles" in case:
        return {}
    F = _ref()[0]
    x, fh, fw, s, p = case["x"], _i(case, "fh"), _i(case, "fw"), _i(case, "stride"), _i(case, "pad")
    ref = F.im2col(x.astype(np.float64), fh, fw, s, p)
    N, C = x.shape[:2]
    OH, OW = _out_hw(case)
    rows = ref.reshape(N, OH, OW, -1).transpose(0, 2, 1, 3).reshape(ref.shape)
    cols = ref.reshape(-1, C, fh, fw).transpose(0, 2, 3, 1).reshape(ref.shape)
    return {"ref": ref, "bound": 2 * U * np.abs(ref) + 1e-300,
            "v_no_pad": _maybe(F.im2col, x.astype(np.float64), fh, fw, s, 0) if p else np.zeros(0),
            "v_rows": rows, "v_cols": cols, "v_transposed": ref.T}


def _im2col_judge(case, out, exp):
    if "count" in case:
        return _judge_count(case, out, "im2col")
    if "tiles" in case:
        if int(np.asarray(out.get("raised", 0))) != 1:
            return _("a 3x3 window with stride 2 does not tile a 4x4 image: im2col must raise a "
                     "ValueError (call output_size, which the cell gives you, before anything "
                     "else)")
        return None
    hints = [(_("the padding is missing (pad the input with np.pad first)"), exp["v_no_pad"]),
             (_("the rows are ordered (n, ow, oh); they must be (n, oh, ow)"), exp["v_rows"]),
             (_("the columns are ordered (fh, fw, c); they must be (c, fh, fw)"), exp["v_cols"]),
             (_("the matrix is transposed: one ROW per output pixel"), exp["v_transposed"])]
    return compare("im2col(x)", out.get("col"), exp["ref"], exp["bound"], hints)


IM2COL = Part("test_im2col", "im2col", IM2COL_CALL, _im2col_fixed,
              lambda rng: fresh_cases(rng), _im2col_expect, _im2col_judge,
              lambda c: count_case_text() if "count" in c
              else (_("a window that does not tile") if "tiles" in c else _describe(c)))


# --- col2im ---------------------------------------------------------------------------------

COL2IM_CALL = """
if "count" in IN:
    for key, col, shape in (("lines", IN["col"], IN["x"].shape),
                            ("lines_one", IN["col_one"], IN["x"][:1, :1].shape)):
        OUT[key] = count_lines(lambda: col2im(col.copy(), shape, int(IN["fh"]), int(IN["fw"]),
                                              int(IN["stride"]), int(IN["pad"])))
else:
    OUT["img"] = col2im(IN["col"].copy(), IN["x"].shape, int(IN["fh"]), int(IN["fw"]),
                        int(IN["stride"]), int(IN["pad"]))
"""


def _col2im_fixed():
    cases = fixed_cases()
    cases[0]["col"] = np.ones_like(cases[0]["col"])
    count = _count_case(np.random.default_rng(RNG + 32))
    OH, OW = _out_hw(count)
    count["col"] = np.ones((COUNT_BATCH[0] * OH * OW, COUNT_BATCH[1] * 9))
    count["col_one"] = np.ones((OH * OW, 9))
    return cases + [count]


def _col2im_assigned(col, shape, fh, fw, s, p):
    """col2im with = instead of += (a typical mistake: overlapping windows overwrite)."""
    N, C, H, W = shape
    OH, OW = (H + 2 * p - fh) // s + 1, (W + 2 * p - fw) // s + 1
    rows = col.reshape(N, OH, OW, C, fh, fw)
    img = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for i in range(OH):
        for j in range(OW):
            img[:, :, i * s:i * s + fh, j * s:j * s + fw] = rows[:, i, j]
    return img


def _col2im_expect(case):
    if "count" in case:
        return {}
    F = _ref()[0]
    col, shape = case["col"].astype(np.float64), case["x"].shape
    fh, fw, s, p = _i(case, "fh"), _i(case, "fw"), _i(case, "stride"), _i(case, "pad")
    ref = F.col2im(col, shape, fh, fw, s, p)
    assigned = _col2im_assigned(col, shape, fh, fw, s, p)
    return {"ref": ref, "bound": _abs_bound(fh * fw, F.col2im(np.abs(col), shape, fh, fw, s, p),
                                             ref),
            "v_assigned": assigned[:, :, p:p + shape[2], p:p + shape[3]],
            "v_padded": _padded(F, col, shape, fh, fw, s, p) if p else np.zeros(0)}


def _padded(F, col, shape, fh, fw, s, p):
    N, C, H, W = shape
    full = np.zeros((N, C, H + 2 * p, W + 2 * p))
    full[:, :, p:p + H, p:p + W] = F.col2im(col, shape, fh, fw, s, p)
    return full


def _col2im_judge(case, out, exp):
    if "count" in case:
        return _judge_count(case, out, "col2im")
    hints = [(_("overlapping windows overwrite each other: ADD every entry (+=), do not assign"),
              exp["v_assigned"]),
             (_("the padding is still there: drop it, img[:, :, pad:pad + H, pad:pad + W]"),
              exp["v_padded"])]
    return compare("col2im(col)", out.get("img"), exp["ref"], exp["bound"], hints)


COL2IM = Part("test_col2im", "col2im", COL2IM_CALL, _col2im_fixed, lambda rng: fresh_cases(rng),
              _col2im_expect, _col2im_judge,
              lambda c: count_case_text() if "count" in c else _describe(c))


# --- the convolution layer ------------------------------------------------------------------

_COUNTING = """
_g = Convolution.{method}.__globals__
_orig = _g.get("{name}")
_calls = []
def _counting(*a, **k):
    _calls.append(1)
    return _orig(*a, **k)
if callable(_orig):
    _g["{name}"] = _counting
try:
{body}
finally:
    if callable(_orig):
        _g["{name}"] = _orig
OUT["{name}_calls"] = np.array(len(_calls))
"""

CONV_FORWARD_CALL = _COUNTING.format(method="forward", name="im2col", body="""\
    OUT["y"] = Convolution(IN["W"].copy(), IN["b"].copy(), int(IN["stride"]),
                           int(IN["pad"])).forward(IN["x"].copy())""")

CONV_BACKWARD_CALL = _COUNTING.format(method="backward", name="col2im", body="""\
    layer = Convolution(IN["W"].copy(), IN["b"].copy(), int(IN["stride"]), int(IN["pad"]))
    layer.forward(IN["x"].copy())
    layer.forward(IN["x2"].copy())
    OUT["dx"] = layer.backward(IN["dout"].copy())
    OUT["dW"] = layer.dW
    OUT["db"] = layer.db""")


def _conv_expect(case):
    naive = _ref()[1]
    x, W, b = (case[k].astype(np.float64) for k in ("x", "W", "b"))
    s, p = _i(case, "stride"), _i(case, "pad")
    FN, C, FH, FW = W.shape
    y = naive.conv_forward_naive(x, W, b, s, p)
    y_abs = naive.conv_forward_naive(np.abs(x), np.abs(W), np.abs(b), s, p)
    flat = y.transpose(0, 2, 3, 1).reshape(-1, FN)
    return {"ref": y, "bound": _abs_bound(C * FH * FW, y_abs, y), "v_no_bias": y - b[:, None, None],
            "v_reshaped": flat.reshape(y.shape)}


def _conv_forward_judge(case, out, exp):
    hints = [(_("the bias b is not added"), exp["v_no_bias"]),
             (_("the product (N*OH*OW, FN) was reshaped straight to (N, FN, OH, OW): reshape it "
                "to (N, OH, OW, FN), then move the filters to axis 1"), exp["v_reshaped"])]
    failed = compare("forward(x)", out.get("y"), exp["ref"], exp["bound"], hints)
    if failed is None and not int(np.asarray(out.get("im2col_calls", 0))):
        return _("forward gives the right values but does not call your im2col: the layer must "
                 "compute through im2col, as the task asks")
    return failed


def _conv_backward_expect(case):
    naive = _ref()[1]
    x2, W, dout = (case[k].astype(np.float64) for k in ("x2", "W", "dout"))
    s, p = _i(case, "stride"), _i(case, "pad")
    dx, dW, db = naive.conv_backward_naive(dout, x2, W, s, p)
    ax, aW, ab = naive.conv_backward_naive(np.abs(dout), np.abs(x2), np.abs(W), s, p)
    N, FN, OH, OW = dout.shape
    k = max(N * OH * OW, FN * W.shape[2] * W.shape[3])
    first = naive.conv_backward_naive(dout, case["x"].astype(np.float64), W, s, p)[1]
    return {"dx": dx, "dW": dW, "db": db, "bx": _abs_bound(k, ax, dx),
            "bW": _abs_bound(k, aW, dW), "bb": _abs_bound(k, ab, db),
            "v_dW_first": first, "v_dW_flat": dW.reshape(FN, -1).T.reshape(W.shape)}


def _conv_backward_judge(case, out, exp):
    for name, bound, hints in (
            ("dx", "bx", []),
            ("dW", "bW", [(_("dW comes from the input of an EARLIER forward pass: backward must "
                             "use the input of the last one"), exp["v_dW_first"]),
                          (_("col.T @ dout has shape (C*FH*FW, FN): transpose it before reshaping "
                             "to W's shape (FN, C, FH, FW)"), exp["v_dW_flat"])]),
            ("db", "bb", [])):
        failed = compare(f"backward: {name}", out.get(name), exp[name], exp[bound], hints)
        if failed:
            return failed
    if not int(np.asarray(out.get("col2im_calls", 0))):
        return _("backward gives the right values but does not call your col2im, as the task "
                 "asks")
    return None


CONV_FORWARD = Part("test_convolution_forward", "Convolution.forward", CONV_FORWARD_CALL,
                    fixed_cases, fresh_cases, _conv_expect, _conv_forward_judge,
                    lambda c: _filters_text(c))
CONV_BACKWARD = Part("test_convolution_backward", "Convolution.backward", CONV_BACKWARD_CALL,
                     fixed_cases, fresh_cases, _conv_backward_expect, _conv_backward_judge,
                     lambda c: _filters_text(c))

PARTS = [IM2COL, COL2IM, CONV_FORWARD, CONV_BACKWARD]
REFERENCE_CODE = ("_ref", "_col2im_assigned", "_padded")
