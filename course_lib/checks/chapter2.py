"""Chapter 2: im2col, col2im and the Convolution layer."""
import numpy as np

from ..functional import col2im as col2im_reference
from ..functional import im2col as im2col_reference
from ..naive import conv_backward_naive, conv_forward_naive
from .chapter1 import (conv_cases, conv_forward_variants, conv_shape_hints, conv_summary,
                       random_conv_geometry, unscrambled_nchw)
from .toolkit import (CACHE_HINT, as_array, call, check_dtype, close, compare, fail,
                      first_difference,
                      message, name, numerical_gradient, out_size, passed, require, say, unchanged)

__all__ = ["check_im2col", "check_col2im", "check_convolution"]

_IM2COL_CASES = [  # (N, C, H, W, FH, FW, stride, pad, dtype)
    (1, 1, 3, 3, 2, 2, 1, 0, np.float64),
    (1, 1, 3, 4, 2, 3, 1, 0, np.float64),
    (1, 2, 4, 4, 2, 2, 1, 0, np.float64),
    (2, 1, 3, 3, 2, 2, 1, 1, np.float64),
    (1, 3, 5, 7, 3, 3, 2, 1, np.float32),
    (2, 2, 6, 5, 2, 3, 2, 0, np.float64),
    (2, 3, 8, 7, 3, 2, 3, 2, np.float64),
    (3, 2, 9, 9, 3, 3, 3, 0, np.float32),
    (2, 2, 4, 6, 1, 1, 1, 0, np.float64),
    (1, 3, 8, 8, 4, 4, 2, 1, np.float64),
]


def _im2col_cases():
    specs = list(_IM2COL_CASES)
    extra = random_conv_geometry(np.random.default_rng(11), 2)
    for k, (fh, fw, stride, pad, H, W) in enumerate(extra):
        specs.append((2, 2, H, W, fh, fw, stride, pad, (np.float64, np.float32)[k % 2]))
    cases = []
    for k, (N, C, H, W, FH, FW, stride, pad, dtype) in enumerate(specs):
        rng = np.random.default_rng(200 + k)
        # distinct values: any entry in the wrong place shows
        x = (rng.permutation(N * C * H * W) + 1).reshape(N, C, H, W).astype(dtype) / 8
        desc = f"x {x.shape}, filter {FH}x{FW}, stride {stride}, pad {pad}, {np.dtype(dtype).name}"
        cases.append(dict(x=x, FH=FH, FW=FW, stride=stride, pad=pad, dtype=dtype, desc=desc))
    return cases


def _col_orders(a, N, C, OH, OW, FH, FW, inverse=False):
    """The im2col matrix ``a`` with its columns or rows in typical wrong orders."""
    R, K = N * OH * OW, C * FH * FW
    if not inverse:
        return {
            "cols_hwc": a.reshape(R, C, FH, FW).transpose(0, 2, 3, 1).reshape(R, K),
            "cols_cwh": a.reshape(R, C, FH, FW).transpose(0, 1, 3, 2).reshape(R, K),
            "rows_hwn": a.reshape(N, OH, OW, K).transpose(1, 2, 0, 3).reshape(R, K),
            "rows_nwh": a.reshape(N, OH, OW, K).transpose(0, 2, 1, 3).reshape(R, K),
        }
    return {
        "cols_hwc": a.reshape(R, FH, FW, C).transpose(0, 3, 1, 2).reshape(R, K),
        "cols_cwh": a.reshape(R, C, FW, FH).transpose(0, 1, 3, 2).reshape(R, K),
        "rows_hwn": a.reshape(OH, OW, N, K).transpose(2, 0, 1, 3).reshape(R, K),
        "rows_nwh": a.reshape(N, OW, OH, K).transpose(0, 2, 1, 3).reshape(R, K),
    }


_ORDER_HINTS = {
    "cols_hwc": lambda: say("the columns are ordered (FH, FW, C); the book's layout is (C, FH, "
                            "FW): channel slowest, then filter row, then filter column"),
    "cols_cwh": lambda: say("inside a window the filter's rows and columns are exchanged: columns "
                            "go (C, FH, FW)"),
    "rows_hwn": lambda: say("the rows are ordered with the image index fastest; they go image by "
                            "image, then output row, then output column"),
    "rows_nwh": lambda: say("the rows go column by column; they go output row by output row "
                            "(row-major)"),
}


# What a function that works without padding (or with stride 1) but not with it gets wrong.
def _pad_hint(what, pad):
    return say("{what} is right without padding but not with pad={pad}: pad the image with pad "
               "zeros on every side (np.pad) and compute OH and OW from the padded size",
               what=what, pad=pad)


def _stride_hint(what, stride):
    return say("{what} is right with stride 1 but not with stride={stride}: the windows start "
               "every stride pixels, y:y + stride*out_h:stride (and OH = (H + 2*pad - FH) // "
               "stride + 1)", what=what, stride=stride)


def _probe_hint(what, attempt, stride, pad):
    """The likely cause, found by running the student's code again without padding, or stride 1.

    ``attempt(stride, pad)`` runs the student's code on the same images and
    returns True when its result is right; a case whose sizes do not fit
    counts as not tried.
    """
    if pad > 0 and _tried(attempt, stride, 0):
        return _pad_hint(what, pad)
    if stride > 1 and _tried(attempt, 1, pad):
        return _stride_hint(what, stride)
    return None


def _tried(attempt, stride, pad):
    try:
        return bool(attempt(stride, pad))
    except Exception:     # the student's code, or sizes that do not fit: no evidence either way
        return False


def _im2col_attempt(fn, x, FH, FW):
    def attempt(stride, pad):
        expected = im2col_reference(x.astype(np.float64), FH, FW, stride, pad)
        got = np.asarray(fn(x.copy(), FH, FW, stride, pad), dtype=np.float64)
        return close(got, expected, np.float32)
    return attempt


def _im2col_shape_hints(N, C, H, W, FH, FW, stride, pad):
    OH, OW = out_size(H, FH, stride, pad), out_size(W, FW, stride, pad)
    hints = [((C * FH * FW, N * OH * OW),
              say("the matrix is transposed: one row per window (N*OH*OW "
                  "rows), one column per weight (C*FH*FW)"))]
    if pad:
        OH0, OW0 = out_size(H, FH, stride, 0), out_size(W, FW, stride, 0)
        hints.append(((N * OH0 * OW0, C * FH * FW),
                      say("the padding is missing: pad the input with zeros "
                          "first")))
    if stride > 1:
        hints.append((((H + 2 * pad - FH + 1) * (W + 2 * pad - FW + 1) * N, C * FH * FW),
                      say("the stride is ignored: the windows start every `stride` pixels")))
    hints.append(((N, OH, OW, C * FH * FW), say("reshape to two dimensions: (N*OH*OW, C*FH*FW)")))
    return hints


def _dense_windows(x64, FH, FW, stride, pad, OH, OW):
    """im2col with windows at every pixel (the stride forgotten in the slices), cut to OH x OW."""
    N, C, H, W = x64.shape
    dense = im2col_reference(x64, FH, FW, 1, pad).reshape(N, H + 2 * pad - FH + 1, -1, C * FH * FW)
    return dense[:, :OH, :OW].reshape(N * OH * OW, -1)


def check_im2col(fn):
    """Check ``fn(input_data, filter_h, filter_w, stride, pad)``: the book's im2col.

    input_data ``(N, C, H, W)`` -> ``(N*OH*OW, C*FH*FW)``: one row per output
    pixel (image by image, then row-major), columns ordered ``(C, FH, FW)``;
    the padding is zeros.
    """
    check, what = "check_im2col", f"{name(fn)}(...)"
    require(check, fn, "function")
    cases = _im2col_cases()
    for c in cases:
        x = c["x"].copy()
        N, C, H, W = x.shape
        FH, FW, stride, pad = c["FH"], c["FW"], c["stride"], c["pad"]
        OH, OW = out_size(H, FH, stride, pad), out_size(W, FW, stride, pad)
        attempt = _im2col_attempt(fn, c["x"], FH, FW)
        got = as_array(check, what, call(check, name(fn), c["desc"], fn, x, FH, FW, stride, pad,
                                         hint=lambda: _probe_hint(what, attempt, stride, pad)),
                                         c["desc"])
        expected = im2col_reference(c["x"].astype(np.float64), FH, FW, stride, pad)
        variants = [(v, _ORDER_HINTS[k]()) for k, v
                    in _col_orders(expected, N, C, OH, OW, FH, FW).items()]
        if stride > 1:
            variants.append((_dense_windows(c["x"].astype(np.float64), FH, FW, stride, pad, OH, OW),
                             _stride_hint(what, stride)))
        check_dtype(check, what, got, c["dtype"], c["desc"])
        compare(check, what, got, expected, c["desc"], c["dtype"],
                variants=[] if got.shape == expected.shape[::-1] else variants,
                shape_hints=_im2col_shape_hints(N, C, H, W, FH, FW, stride, pad),
                last_hint=lambda got, expected: _probe_hint(what, attempt, stride, pad))
        unchanged(check, name(fn), c["desc"], [(x, c["x"])],
                  say("Pad into a new array (np.pad) instead of writing into x."))
    passed(check, conv_summary(cases))


# ---------------------------------------------------------------------------
# col2im
# ---------------------------------------------------------------------------

def _col2im_case(c, k):
    N, C, H, W = c["x"].shape
    FH, FW, stride, pad = c["FH"], c["FW"], c["stride"], c["pad"]
    OH, OW = out_size(H, FH, stride, pad), out_size(W, FW, stride, pad)
    rng = np.random.default_rng(300 + k)
    col = rng.standard_normal((N * OH * OW, C * FH * FW)).astype(c["dtype"])
    desc = (f"col {col.shape}, input_shape {(N, C, H, W)}, filter {FH}x{FW}, stride {stride}, pad "
            f"{pad}, {np.dtype(c['dtype']).name}")
    return col, desc


def _col2im_attempt(fn, shape, FH, FW):
    def attempt(stride, pad):
        N, C, H, W = shape
        rows = N * out_size(H, FH, stride, pad) * out_size(W, FW, stride, pad)
        col = np.random.default_rng(0).standard_normal((rows, C * FH * FW))
        expected = col2im_reference(col, shape, FH, FW, stride, pad)
        return close(np.asarray(fn(col.copy(), shape, FH, FW, stride, pad), dtype=np.float64),
                     expected,
                     np.float32)
    return attempt


def _col2im_variants(col64, shape, FH, FW, stride, pad, expected, count):
    N, C, H, W = shape
    OH, OW = out_size(H, FH, stride, pad), out_size(W, FW, stride, pad)
    out = [(col2im_reference(v, shape, FH, FW, stride, pad), _ORDER_HINTS[key]())
           for key, v in _col_orders(col64, N, C, OH, OW, FH, FW, inverse=True).items()]
    out.append((expected / np.maximum(count, 1),
                say("overlapping windows are averaged; col2im adds them "
                    "(+=), it does not divide")))
    if pad:
        padded = col2im_reference(col64, (N, C, H + 2 * pad, W + 2 * pad), FH, FW, stride, 0)
        out.append((padded[:, :, :H, :W],
                    say("the padding is cut off at the wrong end: the image sits at "
                        "img[:, :, pad:pad + H, pad:pad + W]")))
    return out


def _overwrite_check(check, got, expected, count, dtype, desc):
    """Only the pixels several windows share are wrong: windows overwrite instead of adding."""
    if got.shape != expected.shape or not np.any(count > 1) or close(got, expected, dtype) \
            or close(got, expected / np.maximum(count, 1), dtype):
        return
    single = count <= 1
    if np.any(single) and close(got[single], expected[single], dtype) \
            and not close(got[~single], expected[~single], dtype):
        fail(check, desc, first_difference(got, expected, dtype, "col2im(...)"),
             say("Only the pixels covered by several windows are wrong."),
             hint=say("col2im must add overlapping windows (+=), not overwrite them (=)"))


def check_col2im(fn):
    """Check ``fn(col, input_shape, filter_h, filter_w, stride, pad)``: the book's col2im.

    col ``(N*OH*OW, C*FH*FW)`` in im2col's layout -> ``(N, C, H, W)``: every
    row is *added* onto the window it came from (overlapping windows add up),
    and the padding is cut off at the end.
    """
    check, what = "check_col2im", f"{name(fn)}(...)"
    require(check, fn, "function")
    cases = _im2col_cases()
    for k, c in enumerate(cases):
        shape = c["x"].shape
        FH, FW, stride, pad, dtype = c["FH"], c["FW"], c["stride"], c["pad"], c["dtype"]
        col0, desc = _col2im_case(c, k)
        col, col64 = col0.copy(), col0.astype(np.float64)
        attempt = _col2im_attempt(fn, shape, FH, FW)
        got = as_array(check, what, call(check, name(fn), desc, fn, col, shape, FH, FW, stride, pad,
                                         hint=lambda: _probe_hint(what, attempt, stride, pad)),
                                         desc)
        expected = col2im_reference(col64, shape, FH, FW, stride, pad)
        count = col2im_reference(np.ones_like(col64), shape, FH, FW, stride, pad)
        check_dtype(check, what, got, dtype, desc)
        _overwrite_check(check, got, expected, count, dtype, desc)
        N, C, H, W = shape
        compare(check, what, got, expected, desc, dtype,
                variants=lambda: _col2im_variants(col64, shape, FH, FW, stride, pad, expected,
                                                  count),
                shape_hints=[((N, C, H + 2 * pad, W + 2 * pad),
                              say("the padding is not cut off: return img[:, :, pad:pad + H, "
                                  "pad:pad + W]"))],
                last_hint=lambda got, expected: _probe_hint(what, attempt, stride, pad))
        unchanged(check, name(fn), desc, [(col, col0)],
                  say("Write into a new image, not into col."))
    passed(check, conv_summary(cases))


# ---------------------------------------------------------------------------
# The Convolution layer
# ---------------------------------------------------------------------------

def layer_attr(check, layer, attr, case, after):
    """``layer.<attr>``, or a message saying where it should have been set."""
    try:
        return getattr(layer, attr)
    except AttributeError:
        raise AssertionError(message(
            say("{check}: after {after} the layer has no attribute {attr!r} ({case}).", check=check,
                after=after, attr=attr, case=case),
            say("Set self.{attr} = ... in {after}.", attr=attr, after=after))) from None


def grad_variants(what, expected, N, stale=None):
    """Hints for a gradient that is off: batch averaging, the old input."""
    out = []
    if N > 1:
        out.append((expected / N,
                    say("{what} is divided by the batch size N = {N}: the loss layer already "
                        "averages over the batch, so a layer's backward just sums",
                                      what=what,
                                      N=N)))
        out.append((expected / N ** 2,
                    say("{what} is divided by N**2 = {N2}: did you average over the "
                        "batch twice? A layer's backward just sums", what=what,
                                           N2=N ** 2)))
        out.append((expected * N,
                    say("{what} is multiplied by the batch size N = {N}", what=what, N=N)))
    if stale is not None:
        out.append((stale,
                    say("backward used the input of an earlier forward call: save x (and what "
                        "backward needs) in self every time forward runs")))
    return out


def _conv_forward(check, cls, c):
    """The layer made from the case, after a forward pass that was checked."""
    layer = call(check, f"{name(cls)}(W, b, stride, pad)", c["desc"], cls, c["W"].copy(),
                 c["b"].copy(),
                 c["stride"], c["pad"])
    x = c["x"].copy()
    expected = conv_forward_naive(*(c[k].astype(np.float64) for k in ("x", "W", "b")), c["stride"],
                                  c["pad"])
    got = as_array(check, "forward(x)", call(check, "forward(x)", c["desc"], layer.forward, x),
                   c["desc"])
    check_dtype(check, "forward(x)", got, c["dtype"], c["desc"])
    compare(check, "forward(x)", got, expected, c["desc"], c["dtype"],
            variants=lambda: conv_forward_variants(c, expected),
            shape_hints=conv_shape_hints(c["x"], c["W"], c["stride"], c["pad"]))
    return layer, x, expected.shape


def _scrambled():
    return say("dout was reshaped to (N*OH*OW, FN) without transpose(0, 2, 3, 1) first")


def _check_dx(check, layer, c, dout0, edx, sdx):
    """Run backward; dx against the loops' (``sdx``: what a dout reshaped without its transpose
    gives).  Returns dx."""
    desc, N, pad = c["desc"], c["x"].shape[0], c["pad"]
    _, C, H, W = c["x"].shape
    dout = dout0.copy()
    dx = as_array(check, "dx", call(check, "backward(dout)", desc, layer.backward, dout,
                                    hint=CACHE_HINT), desc)
    check_dtype(check, "backward(dout)", dx, c["dtype"], desc)
    compare(check, "dx", dx, edx, desc, c["dtype"],
            variants=[(sdx, _scrambled())] + grad_variants("dx", edx, N),
            shape_hints=[((N, C, H + 2 * pad, W + 2 * pad),
                          say("the padding is not cut off dx: col2im must return the unpadded "
                              "(N, C, H, W)"))],
            zero_hint=say("dx must be the gradient flowing back to the input, "
                          "col2im(dout_matrix @ W_matrix.T, ...)"))
    unchanged(check, "backward(dout)", desc, [(dout, dout0)],
              say("Work on new arrays: x and dout belong to the layers next to this one."))
    return dx


def _check_dW_db(check, layer, c, exact, scrambled):
    """layer.dW and layer.db against the loops' ``exact`` (and the ``scrambled`` dout's)."""
    desc, dtype, N = c["desc"], c["dtype"], c["x"].shape[0]
    (_, edW, edb), (_, sdW, sdb) = exact, scrambled
    FN, C, FH, FW = c["W"].shape
    dW = as_array(check, "layer.dW", layer_attr(check, layer, "dW", desc, "backward"), desc)
    not_transposed = edW.reshape(FN, -1).T.reshape(FN, C, FH, FW)
    compare(check, "layer.dW", dW, edW, desc, dtype,
            variants=[(sdW, _scrambled()),
                      (not_transposed, say("the (C*FH*FW, FN) matrix col.T @ dout was reshaped to "
                                           "(FN, C, FH, FW) without transposing it first"))]
            + grad_variants("dW", edW, N),
            shape_hints=[((C * FH * FW, FN),
                          say("reshape dW to the filters' shape (FN, C, FH, FW): "
                              "dW.transpose(1, 0).reshape(FN, C, FH, FW)"))])
    db = as_array(check, "layer.db", layer_attr(check, layer, "db", desc, "backward"), desc)
    compare(check, "layer.db", db.reshape(-1) if db.size == FN else db, edb, desc, dtype,
            variants=[(sdb, _scrambled())] + grad_variants("db", edb, N),
            zero_hint=say("db is the sum of dout over the batch and the output pixels"))
    return dW, db


def _conv_backward(check, layer, c, dout0):
    """Check dx, dW and db of one backward pass; returns them."""
    x64, W64, d64 = c["x"].astype(np.float64), c["W"].astype(np.float64), dout0.astype(np.float64)
    exact = conv_backward_naive(d64, x64, W64, c["stride"], c["pad"])
    scrambled = conv_backward_naive(unscrambled_nchw(d64), x64, W64, c["stride"], c["pad"])
    dx = _check_dx(check, layer, c, dout0, exact[0], scrambled[0])
    return (dx, *_check_dW_db(check, layer, c, exact, scrambled))


def _numerical_check(check, c, dout0, grads):
    """dx, dW and db against numerical derivatives, independent of the loop versions."""
    x64, W64, b64 = (c[k].astype(np.float64) for k in ("x", "W", "b"))
    d64 = dout0.astype(np.float64)

    def loss():
        return float(np.sum(conv_forward_naive(x64, W64, b64, c["stride"], c["pad"]) * d64))
    for what, g, arr in zip(("dx", "layer.dW", "layer.db"), grads, (x64, W64, b64)):
        num = numerical_gradient(loss, arr)
        g = np.asarray(g, np.float64).reshape(num.shape)
        if not close(g, num, np.float32):
            fail(check, c["desc"], say("{what} differs from the numerical derivative.", what=what),
                 first_difference(g, num, np.float32, what))


def _latest_input_check(check, cls, c):
    """backward must use the input of the latest forward call."""
    desc = say("two forward calls, then backward ({case})", case=c["desc"])
    W64 = c["W"].astype(np.float64)
    layer = call(check, name(cls), desc, cls, W64.copy(), c["b"].astype(np.float64), c["stride"],
                 c["pad"])
    x_old = np.random.default_rng(1).standard_normal(c["x"].shape)
    call(check, "forward(x)", desc, layer.forward, x_old)
    out = call(check, "forward(x)", desc, layer.forward, c["x"].astype(np.float64))
    dout = np.random.default_rng(2).standard_normal(np.shape(out))
    call(check, "backward(dout)", desc, layer.backward, dout, hint=CACHE_HINT)
    _, edW, _ = conv_backward_naive(dout, c["x"].astype(np.float64), W64, c["stride"], c["pad"])
    _, odW, _ = conv_backward_naive(dout, x_old, W64, c["stride"], c["pad"])
    compare(check, "layer.dW",
            as_array(check, "layer.dW", layer_attr(check, layer, "dW", desc, "backward"),
                                        desc),
            edW, desc, np.float64, variants=grad_variants("dW", edW, 1, stale=odW))


def check_convolution(cls):
    """Check the class ``cls(W, b, stride, pad)`` with ``forward(x)`` and ``backward(dout)``.

    forward: x ``(N, C, H, W)`` -> ``(N, FN, OH, OW)``; backward: dout
    ``(N, FN, OH, OW)`` -> dx ``(N, C, H, W)``, and sets ``self.dW`` ``(FN, C, FH, FW)``
    and ``self.db`` ``(FN,)``, the sums over the batch (no averaging).  The
    gradients are compared with ``course_lib.naive.conv_backward_naive`` and,
    on the smallest case, with numerical derivatives.
    """
    check = "check_convolution"
    require(check, cls, "class")
    cases = conv_cases(extra_seed=8)
    for k, c in enumerate(cases):
        layer, x, out_shape = _conv_forward(check, cls, c)
        dout0 = np.random.default_rng(400 + k).standard_normal(out_shape).astype(c["dtype"])
        grads = _conv_backward(check, layer, c, dout0)
        unchanged(check, "forward(x)", c["desc"], [(x, c["x"])],
                  say("Work on new arrays: x and dout belong to the layers next to this one."))
        if k == 0:
            _numerical_check(check, c, dout0, grads)
    _latest_input_check(check, cls, cases[3])
    passed(check, say("{summary}, numerical gradients", summary=conv_summary(cases)))
