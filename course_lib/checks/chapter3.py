"""Chapter 3: max pooling, and 2x2 pooling by a reshape."""
import numpy as np

from ..naive import pool_backward_naive, pool_forward_naive
from .chapter1 import scrambled_nchw, unscrambled_nchw
from .chapter2 import grad_variants
from .toolkit import (CACHE_HINT, as_array, call, check_dtype, close, compare, fail,
                      first_difference, name,
                      numerical_gradient, out_size, passed, require, say, unchanged)

__all__ = ["check_pooling", "check_pool_2x2"]

_POOL_CASES = [  # (N, C, H, W, pool_h, pool_w, stride, pad, kind, dtype)
    (1, 1, 4, 4, 2, 2, 2, 0, "distinct", np.float64),
    (1, 1, 4, 4, 2, 2, 2, 0, "ties", np.float64),
    (1, 1, 4, 6, 2, 2, 2, 0, "distinct", np.float64),
    (1, 1, 5, 5, 3, 3, 2, 0, "distinct", np.float64),
    (1, 1, 3, 5, 2, 3, 1, 0, "ties", np.float64),
    (2, 3, 4, 6, 2, 3, 1, 0, "distinct", np.float64),
    (2, 2, 6, 9, 3, 3, 3, 0, "distinct", np.float32),
    (1, 2, 8, 8, 2, 2, 3, 0, "distinct", np.float64),
    (2, 2, 6, 7, 3, 2, 1, 0, "ties", np.float32),
    (3, 2, 7, 7, 3, 3, 2, 0, "ties", np.float64),
    # padding: the images are negative, so a zero that pads them would win the border windows
    (1, 1, 4, 4, 2, 2, 2, 1, "negative", np.float64),
    (2, 2, 5, 5, 3, 3, 2, 1, "negative", np.float64),
    (1, 2, 4, 6, 3, 3, 1, 1, "negative", np.float32),
]


def _pool_images(shape, kind, rng):
    size = int(np.prod(shape))
    if kind == "distinct":
        return rng.permutation(size).reshape(shape) / 4 - size / 8
    if kind == "negative":
        return -(rng.permutation(size).reshape(shape) + 1) / 4
    return rng.integers(-1, 2, size=shape).astype(np.float64)   # few values: many windows tie


def _pool_cases():
    specs = list(_POOL_CASES)
    rng = np.random.default_rng(12)
    for k in range(2):   # two random geometries
        ph, pw, oh, ow = (int(v) for v in rng.integers(1, 5, size=4))
        stride = int(rng.integers(1, 4))
        specs.append((2, 2, (oh - 1) * stride + ph, (ow - 1) * stride + pw, ph, pw, stride, 0,
                      ("distinct", "ties")[k], (np.float64, np.float32)[k]))
    cases = []
    for k, (N, C, H, W, ph, pw, stride, pad, kind, dtype) in enumerate(specs):
        x = _pool_images((N, C, H, W), kind, np.random.default_rng(500 + k)).astype(dtype)
        fields = dict(shape=x.shape, ph=ph, pw=pw, stride=stride, pad=pad,
                      dtype=np.dtype(dtype).name)
        desc = (say("x {shape}, pool {ph}x{pw}, stride {stride}, pad {pad}, {dtype}, with ties",
                    **fields) if kind == "ties" else
                f"x {x.shape}, pool {ph}x{pw}, stride {stride}, pad {pad}, {np.dtype(dtype).name}")
        cases.append(dict(x=x, ph=ph, pw=pw, stride=stride, pad=pad, dtype=dtype, desc=desc,
                          ties=kind == "ties"))
    return cases


def _pool_probe(cls, c):
    """The likely cause of a failure with padding, when the same layer works without it."""
    x, ph, pw, stride, pad = (c[k] for k in ("x", "ph", "pw", "stride", "pad"))
    if not pad:
        return None
    try:
        layer = cls(ph, pw, stride, 0)
        ok = close(np.asarray(layer.forward(x.copy()), dtype=np.float64),
                   pool_forward_naive(x.astype(np.float64), ph, pw, stride, 0), np.float32)
    except Exception:
        return None
    if not ok:
        return None
    return say("forward is right without padding but not with pad={pad}: the output size counts "
               "the padding, OH = (H + 2*pad - pool_h) // stride + 1 (the book's Pooling leaves "
               "it out), and the padding is -inf, so that it never wins a window", pad=pad)


def _forward_hints(c):
    """Shape hints and value variants of typical mistakes in the forward pass."""
    N, C, H, W = c["x"].shape
    ph, pw, stride, pad = c["ph"], c["pw"], c["stride"], c["pad"]
    OH, OW = out_size(H, ph, stride, pad), out_size(W, pw, stride, pad)
    x64 = c["x"].astype(np.float64)
    expected = pool_forward_naive(x64, ph, pw, stride, pad, "max")
    shapes = [((N, C, W, H), say("height and width exchanged"))] if H != W else []
    shapes += [((N, OH, OW, C), say("the output must be (N, C, OH, OW): transpose(0, 3, 1, 2)")),
               ((N * OH * OW * C,),
                say("reshape the maxima to (N, OH, OW, C), then transpose(0, 3, 1, 2)"))]
    if stride != 1:
        shapes.append(((N, C, H + 2 * pad - ph + 1, W + 2 * pad - pw + 1),
                       say("the stride is ignored")))
    if pad:
        shapes.append(((N, C, out_size(H, ph, stride, 0), out_size(W, pw, stride, 0)),
                       say("the output size leaves out the padding (as the book's Pooling does): "
                           "OH = (H + 2*pad - pool_h) // stride + 1")))
    variants = [(pool_forward_naive(x64, ph, pw, stride, pad, "avg"),
                 say("the windows are averaged: this is max pooling, take the maximum")),
                (scrambled_nchw(expected),
                 say("the maxima were reshaped straight to (N, C, OH, OW): reshape "
                     "to (N, OH, OW, C), then transpose(0, 3, 1, 2)"))]
    if pad:
        zero_padded = np.pad(x64, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        variants.append((pool_forward_naive(zero_padded, ph, pw, stride, 0, "max"),
                         say("the padding is 0, and wins every window whose pixels are negative: "
                             "pad with -inf (np.pad(..., constant_values=-np.inf)) so that "
                             "padding never wins")))
    return expected, shapes, variants


def _pool_forward(check, cls, c):
    layer = call(check, f"{name(cls)}(pool_h, pool_w, stride, pad)", c["desc"], cls, c["ph"],
                 c["pw"],
                 c["stride"], c["pad"])
    x = c["x"].copy()
    got = as_array(check, "forward(x)", call(check, "forward(x)", c["desc"], layer.forward, x,
                                            hint=lambda: _pool_probe(cls, c)), c["desc"])
    check_dtype(check, "forward(x)", got, c["dtype"], c["desc"])
    expected, shapes, variants = _forward_hints(c)
    compare(check, "forward(x)", got, expected, c["desc"], c["dtype"], variants=variants,
            shape_hints=shapes)
    unchanged(check, "forward(x)", c["desc"], [(x, c["x"])],
              say("Work on new arrays: x and dout belong to the layers next to this one."))
    return layer, expected.shape


def _tie_gradients(dout, x, ph, pw, stride):
    """dx when ties send the gradient to every maximum, to the last one, and to every pixel."""
    N, C, H, W = x.shape
    OH, OW = dout.shape[2:]
    every, last, spread = (np.zeros_like(x, dtype=np.float64) for _ in range(3))
    for i in range(OH):
        for j in range(OW):
            hs, ws = i * stride, j * stride
            win = x[:, :, hs:hs + ph, ws:ws + pw].reshape(N, C, -1)
            mask = (win == win.max(axis=2, keepdims=True))
            d = dout[:, :, i, j][:, :, None]
            every[:, :, hs:hs + ph, ws:ws + pw] += (mask * d).reshape(N, C, ph, pw)
            lastmask = np.zeros_like(mask)
            idx = ph * pw - 1 - np.argmax(mask[:, :, ::-1], axis=2)
            np.put_along_axis(lastmask, idx[:, :, None], True, axis=2)
            last[:, :, hs:hs + ph, ws:ws + pw] += (lastmask * d).reshape(N, C, ph, pw)
            everywhere = np.broadcast_to(d, (N, C, ph * pw)).reshape(N, C, ph, pw)
            spread[:, :, hs:hs + ph, ws:ws + pw] += everywhere
    return every, last, spread


def _tie_variants(dout, x, ph, pw, stride):
    """Gradients of typical mistakes: ties to every or the last maximum, average pooling's."""
    every, last, spread = _tie_gradients(dout, x, ph, pw, stride)
    return [
        (every,
         say("in a tie every maximum gets the gradient; the course's rule (the book's and "
             "PyTorch's): only the first maximum in the window, in row-major order, gets it, as "
             "np.argmax picks it")),
        (last,
         say("in a tie the gradient goes to the last maximum; the course's rule: the first "
             "maximum in row-major order (np.argmax)")),
        (spread / (ph * pw),
         say("the gradient is shared equally over the window: that is average pooling's "
             "backward; max pooling sends it to the maximum only")),
        (spread,
         say("the gradient goes to every pixel of the window; max pooling sends it to the maximum "
             "only")),
    ]


def _backward_variants(d64, x64, c):
    ph, pw, stride = c["ph"], c["pw"], c["stride"]
    out = [(pool_backward_naive(unscrambled_nchw(d64), x64, ph, pw, stride, c["pad"], "max"),
            say("dout was flattened in (N, C, OH, OW) order, but the rows of the window matrix go "
                "(N, OH, OW, C): transpose dout with (0, 2, 3, 1) first"))]
    return out + (_tie_variants(d64, x64, ph, pw, stride) if not c["pad"] else [])


def _shared_winner_check(check, dx, edx, hits, dtype, desc):
    """Only pixels that win several overlapping windows are wrong: gradients overwrite, not add."""
    if dx.shape != edx.shape or not np.any(hits > 1) or close(dx, edx, dtype):
        return
    if np.any(hits <= 1) and close(dx[hits <= 1], edx[hits <= 1], dtype):
        fail(check, desc, first_difference(dx, edx, dtype, "dx"),
             say("Only pixels that are the maximum of several overlapping windows are wrong."),
             hint=say("such a pixel must receive the sum of those windows' gradients (add, do not "
                      "overwrite)"))


def _pool_backward(check, layer, c, dout0, numerical):
    x64, d64 = c["x"].astype(np.float64), dout0.astype(np.float64)
    desc, dtype = c["desc"], c["dtype"]
    ph, pw, stride, pad = c["ph"], c["pw"], c["stride"], c["pad"]
    dout = dout0.copy()
    dx = as_array(check, "dx",
                  call(check, "backward(dout)", desc, layer.backward, dout, hint=CACHE_HINT), desc)
    check_dtype(check, "backward(dout)", dx, dtype, desc)
    edx = pool_backward_naive(d64, x64, ph, pw, stride, pad, "max")
    hits = pool_backward_naive(np.ones_like(d64), x64, ph, pw, stride, pad, "max")
    _shared_winner_check(check, dx, edx, hits, dtype, desc)
    if numerical:   # distinct values: the maximum is unique, so derivatives are well defined
        edx = numerical_gradient(lambda: float(np.sum(pool_forward_naive(x64, ph, pw, stride, pad)
                                                      * d64)), x64)
    N, C, H, W = x64.shape
    compare(check, "dx", dx, edx, desc, np.float32 if numerical else dtype,
            variants=lambda: _backward_variants(d64, x64, c),
            shape_hints=[((N, C, H + 2 * pad, W + 2 * pad),
                          say("the padding is not cut off dx: return dxp[:, :, pad:pad + H, "
                              "pad:pad + W]"))],
            zero_hint=say("backward must send every dout entry to the maximum of its window"))
    unchanged(check, "backward(dout)", desc, [(dout, dout0)],
              say("Work on new arrays: x and dout belong to the layers next to this one."))


def _latest_input_check(check, cls, c):
    """backward must use the input of the latest forward call."""
    desc = say("two forward calls, then backward ({case})", case=c["desc"])
    layer = call(check, name(cls), desc, cls, c["ph"], c["pw"], c["stride"], 0)
    x_old = np.random.default_rng(3).standard_normal(c["x"].shape)
    x_new = np.random.default_rng(4).standard_normal(c["x"].shape)
    call(check, "forward(x)", desc, layer.forward, x_old)
    out = call(check, "forward(x)", desc, layer.forward, x_new)
    dout = np.random.default_rng(5).standard_normal(np.shape(out))
    dx = as_array(check, "dx",
                  call(check, "backward(dout)", desc, layer.backward, dout, hint=CACHE_HINT), desc)
    edx = pool_backward_naive(dout, x_new, c["ph"], c["pw"], c["stride"])
    odx = pool_backward_naive(dout, x_old, c["ph"], c["pw"], c["stride"])
    compare(check, "dx", dx, edx, desc, np.float64, variants=grad_variants("dx", edx, 1, stale=odx))


def check_pooling(cls):
    """Check the max-pooling class ``cls(pool_h, pool_w, stride, pad)``.

    forward: x ``(N, C, H, W)`` -> ``(N, C, OH, OW)``, each output the maximum of
    its window, with ``OH = (H + 2*pad - pool_h) // stride + 1``; the padding is
    ``-inf``, so that it never wins a window.  backward: dout ``(N, C, OH, OW)``
    -> dx ``(N, C, H, W)``: each output's gradient goes to the maximum of its
    window; in a tie, to the *first* maximum in row-major order (what
    ``np.argmax`` returns, as in the book and in PyTorch); a pixel that is the
    maximum of several overlapping windows receives the sum of their gradients.
    """
    check = "check_pooling"
    require(check, cls, "class")
    cases = _pool_cases()
    for k, c in enumerate(cases):
        layer, out_shape = _pool_forward(check, cls, c)
        rng = np.random.default_rng(600 + k)
        distinct = rng.permutation(int(np.prod(out_shape))).reshape(out_shape) + 1.0
        dout0 = distinct.astype(c["dtype"])
        _pool_backward(check, layer, c, dout0, numerical=k == 0)
    _latest_input_check(check, cls, cases[5])
    passed(check, say("{count} cases: strides 1-3, pads 0-1, {ties} with ties, float32 and float64",
                      count=len(cases), ties=sum(c["ties"] for c in cases)))


# ---------------------------------------------------------------------------
# 2x2 pooling at stride 2 by a reshape
# ---------------------------------------------------------------------------

_POOL_2X2_CASES = [((1, 1, 2, 2), np.float64), ((1, 1, 4, 6), np.float64),
                   ((2, 3, 6, 4), np.float64),
                   ((2, 2, 4, 4), np.float32), ((3, 1, 28, 28), np.float32)]


def _pool_2x2_variants(x64, mode):
    N, C, H, W = x64.shape
    reduce = np.max if mode == "max" else np.mean
    other, other_mode = (np.mean, "avg") if mode == "max" else (np.max, "max")
    blocks = x64.reshape(N, C, H // 2, 2, W // 2, 2)
    return [
        (other(blocks, axis=(3, 5)),
         say("mode={mode!r} gives the result of mode={other!r}: take the maximum "
             "when mode is 'max' and the mean otherwise", mode=mode,
                                         other=other_mode)),
        (reduce(x64.reshape(N, C, 2, H // 2, 2, W // 2), axis=(2, 4)),
         say("the reshape to (N, C, 2, H/2, 2, W/2) groups pixels H/2 apart, not neighbours: "
             "reshape to (N, C, H/2, 2, W/2, 2), so that axes 3 and 5 run over the four pixels of "
             "a window")),
        (reduce(blocks, axis=(2, 4)),
         say("the reduction runs over axes 2 and 4, the windows' positions: take "
             "it over axes 3 and 5, the pixels inside each window")),
    ]


def _pool_2x2_shape_hints(N, C, H, W):
    return [((N, C, H // 2, 2, W // 2, 2),
             say("take the maximum (or mean) over axes 3 and 5 of the reshaped "
                 "array")),
            ((N, C, 2, 2),
             say("the reduction runs over axes 2 and 4, the windows' positions: take it over "
                 "axes 3 and 5, the pixels inside each window"))]


def check_pool_2x2(fn):
    """Check ``fn(x, mode)``: 2x2 pooling at stride 2 by a reshape, ``mode`` ``'max'`` or ``'avg'``.

    x ``(N, C, H, W)`` with H and W even -> ``(N, C, H/2, W/2)``: the maximum
    (or the mean) of every 2x2 tile, the same as ``Pooling(2, 2, stride=2)``.
    """
    check, what = "check_pool_2x2", f"{name(fn)}(...)"
    require(check, fn, "function")
    for k, (shape, dtype) in enumerate(_POOL_2X2_CASES):
        rng = np.random.default_rng(1000 + k)
        x0 = rng.permutation(int(np.prod(shape))).reshape(shape).astype(dtype) / 4
        N, C, H, W = shape
        for mode in ("max", "avg"):
            desc = f"x {shape}, mode={mode!r}, {np.dtype(dtype).name}"
            x = x0.copy()
            got = as_array(check, what, call(check, name(fn), desc, fn, x, mode), desc)
            check_dtype(check, what, got, dtype, desc)
            x64 = x0.astype(np.float64)
            compare(check, what, got, pool_forward_naive(x64, 2, 2, 2, 0, mode), desc, dtype,
                    variants=lambda: _pool_2x2_variants(x64, mode),
                    shape_hints=_pool_2x2_shape_hints(N, C, H, W))
            unchanged(check, name(fn), desc, [(x, x0)],
                      say("Reshape and reduce; do not write into x."))
    passed(check,
           say("{count} cases, max and avg, float32 and float64", count=len(_POOL_2X2_CASES)))
