"""Checks for the chapter exercises: right code passes quietly, wrong code is told why.

Each check takes the function or class you wrote, calls it exactly as the book
calls its own code, and compares the results with the course's loop versions
(``course_lib.naive``), ``course_lib.functional`` and numerical derivatives.

* When your code is right, the check prints one line, for example
  ``check_im2col: passed (12 cases: strides 1-3, pads 0-2, float32 and float64)``.
* When it is wrong, it raises ``AssertionError`` with the smallest case that
  fails, what was expected, what came back and, when the mistake looks like a
  common one, its likely cause.

The cases are fixed (the same every run), start tiny and grow: non-square
images and filters, strides above 1, padding, several channels, filters and
images, float32 and float64.  Results may come back in float64 for float32
input (the book's ``im2col`` works in float64), never in a less precise type.

| chapter | check | you write |
|---|---|---|
| 1 | ``check_conv_output_size(fn)`` | ``conv_output_size(H, FH, stride, pad)`` |
| 1 | ``check_conv_forward_naive(fn)`` | ``conv_forward_naive(x, W, b, stride, pad)`` |
| 2 | ``check_im2col(fn)`` | ``im2col(input_data, filter_h, filter_w, stride, pad)`` |
| 2 | ``check_col2im(fn)`` | ``col2im(col, input_shape, filter_h, filter_w, stride, pad)`` |
| 2 | ``check_convolution(cls)`` | ``Convolution(W, b, stride, pad)`` |
| 3 | ``check_pooling(cls)`` | ``Pooling(pool_h, pool_w, stride, pad)`` (max) |
| 4 | ``check_adam(cls)`` | ``Adam(lr, beta1, beta2)`` with ``update(params, grads)`` |
| 4 | ``check_trained_network(net, x, t, min_accuracy)`` | a trained network |
| 5 | ``check_shift(fn)``, ``check_rotate(fn)`` | ``shift(x, dx, dy)``, ``rotate(x, degrees)`` |
| 6 | ``check_residual_backward(cls_or_fn)`` | ``ResidualBlock(layers)`` or ``residual_backward(dout, layers)`` |
"""
import textwrap

import numpy as np

from .functional import col2im as _col2im_ref
from .functional import im2col as _im2col_ref
from .naive import conv_backward_naive, conv_forward_naive, pool_backward_naive, pool_forward_naive

__all__ = ["check_conv_output_size", "check_conv_forward_naive", "check_im2col", "check_col2im",
           "check_convolution", "check_pooling"]


# ---------------------------------------------------------------------------
# Toolkit: messages, calling student code, comparing arrays, numerical gradients
# ---------------------------------------------------------------------------

_WIDTH = 79


def _message(*paragraphs):
    """Paragraphs wrapped at word boundaries; the first leaves room for 'AssertionError: '."""
    lines = []
    for k, p in enumerate(p for p in paragraphs if p):
        width = _WIDTH - 16 if k == 0 else _WIDTH
        lines.append(textwrap.fill(str(p), width, break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def _fail(check, case, *details, hint=None):
    """Raise the AssertionError that teaches: the case, what came back, the likely cause."""
    raise AssertionError(_message(f"{check}: wrong result for {case}.", *details,
                                  f"Likely cause: {hint}" if hint else None))


def _passed(check, summary):
    print(f"{check}: passed ({summary})")


def _name(obj):
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__


def _call(check, what, case, fn, *args):
    """Call student code; turn its exceptions into a message that says where it stopped."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise AssertionError(_message(
            f"{check}: {what} is not written yet (it raises NotImplementedError).",
            "Replace the `raise NotImplementedError` line with your code, run the cell "
            "that defines it, then run this check again.")) from None
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(_message(
            f"{check}: {what} raised {type(exc).__name__} on {case}:", str(exc),
            "The traceback above shows the line in your code.")) from exc


def _array(check, what, value, case):
    """The result as an ndarray; None and non-numeric results fail with a hint."""
    if value is None:
        raise AssertionError(_message(f"{check}: {what} returned None on {case}.",
                                      "Did you forget the `return` statement?"))
    if isinstance(value, tuple) and len(value) > 0 and all(isinstance(v, np.ndarray) for v in value):
        raise AssertionError(_message(
            f"{check}: {what} returned a tuple of {len(value)} arrays on {case}; it should "
            "return one array."))
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise AssertionError(_message(
            f"{check}: {what} returned {type(value).__name__} of dtype {arr.dtype} on {case}; "
            "it should return a NumPy array of numbers."))
    return arr


def _check_dtype(check, what, arr, in_dtype, case):
    """Results keep the input's precision: float32 in gives float32 or float64, float64 gives float64."""
    in_dtype = np.dtype(in_dtype)
    if arr.dtype in (in_dtype, np.dtype(np.float64)):
        return
    if np.issubdtype(arr.dtype, np.integer):
        hint = ("the result holds whole numbers (dtype {}): the array you filled was created with "
                "an integer dtype, e.g. np.zeros(..., dtype=int) or np.zeros_like of an integer "
                "array; create it with dtype=x.dtype").format(arr.dtype)
    else:
        hint = (f"precision lost: {in_dtype} in, {arr.dtype} out; create the result with "
                "dtype=x.dtype (or let NumPy choose it)")
    raise AssertionError(_message(f"{check}: {what} returned dtype {arr.dtype} on {case}.",
                                  f"Likely cause: {hint}."))


def _tolerances(dtype):
    return (1e-4, 1e-4) if np.dtype(dtype) == np.float32 else (1e-7, 1e-9)


def _close(got, expected, dtype):
    """Equal within the rounding error of ``dtype`` (relative to the largest expected entry)."""
    if got.shape != expected.shape:
        return False
    rtol, atol = _tolerances(dtype)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol * scale))


def _fmt(v):
    return f"{float(v):.6g}"


def _first_difference(got, expected, dtype, what="the result"):
    """'dW at index [i, j]: expected a, got b' for the first entry that differs."""
    rtol, atol = _tolerances(dtype)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol * scale)
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    count = int(bad.sum())
    what = what[0].upper() + what[1:]
    return (f"{what} at index {list(idx)}: expected {_fmt(expected[idx])}, got {_fmt(got[idx])} "
            f"({count} of {expected.size} entries differ).")


def _scale_factor(got, expected):
    """The factor c with got = c * expected, if there is one (else None)."""
    denom = float(np.sum(expected * expected))
    if denom == 0:
        return None
    c = float(np.sum(got * expected)) / denom
    if c == 0 or not np.isfinite(c):
        return None
    if np.allclose(got, c * expected, rtol=1e-4, atol=1e-6 * max(1.0, float(np.max(np.abs(expected))))):
        return c
    return None


def _compare(check, what, got, expected, case, dtype, variants=(), shape_hints=(), zero_hint=None):
    """Fail with a diagnosis unless ``got`` equals ``expected``.

    variants: ``(array, hint)`` pairs, the results of typical mistakes (or a
    function returning them, called only on a mismatch); when ``got`` matches
    one, its hint is the likely cause.  shape_hints:
    ``(shape, hint)`` pairs for wrong shapes.
    """
    if got.shape != expected.shape:
        hint = None
        for shape, h in shape_hints:
            if tuple(got.shape) == tuple(shape):
                hint = h
                break
        if hint is None and got.ndim == 2 and got.shape == expected.shape[::-1]:
            hint = "the result is transposed: check which axis is which"
        _fail(check, case, f"{what[0].upper() + what[1:]} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}.",
              hint=hint)
    if np.issubdtype(got.dtype, np.integer) and not np.all(expected == np.rint(expected)):
        _fail(check, case, f"{what[0].upper() + what[1:]} holds whole numbers (dtype {got.dtype}).",
              _first_difference(got, expected, dtype, what),
              hint="the array you filled was created with an integer dtype, e.g. "
                   "np.zeros(..., dtype=int) or np.zeros_like of an integer array; create it "
                   "with dtype=x.dtype")
    if not np.all(np.isfinite(got)):
        _fail(check, case, f"{what[0].upper() + what[1:]} contains NaN or infinity.",
              hint="an array was used before it was filled (np.empty), or a division by zero")
    if _close(got, expected, dtype):
        return
    detail = _first_difference(got, expected, dtype, what)
    if not np.any(got) and np.any(expected):
        _fail(check, case, f"{what[0].upper() + what[1:]} is all zeros.", detail,
              hint=zero_hint or "the result array is created but never filled in")
    if callable(variants):
        variants = variants()
    for variant, hint in variants:
        if variant is not None and _close(got, np.asarray(variant, dtype=np.float64), dtype):
            _fail(check, case, detail, hint=hint)
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and _close(got, np.swapaxes(expected, -1, -2), dtype):
        _fail(check, case, detail, hint=f"{what} is transposed: height and width (or rows and "
                                        "columns) exchanged")
    c = _scale_factor(got, expected)
    if c is not None:
        inv = 1 / c
        ratio = f"{inv:.4g}" if abs(inv) >= 1 else f"1/{c:.4g}"
        _fail(check, case, detail, hint=f"{what} is off by a constant factor: it is the expected "
                                        f"result divided by {ratio}")
    if np.allclose(np.sort(got, axis=None), np.sort(expected, axis=None), rtol=1e-4, atol=1e-6):
        _fail(check, case, detail, hint=f"{what} holds the right numbers in the wrong places: an "
                                        "axis order, a transpose or a reshape is off")
    _fail(check, case, detail)


def _numerical_gradient(f, x, h=1e-6):
    """Centred differences of the scalar ``f()`` with respect to the float64 array ``x`` (in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        flat[i] = old - h
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    return grad


def _scrambled_nchw(a):
    """What a ``(N, C, H, W)`` array turns into when reshaped from ``(N, H, W, C)`` order without a transpose."""
    n, c, h, w = a.shape
    return a.transpose(0, 2, 3, 1).reshape(n, c, h, w)


def _unscrambled_nchw(a):
    """The array a ``dout`` reshaped without its transpose acts as (inverse of :func:`_scrambled_nchw`)."""
    n, c, h, w = a.shape
    return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _out_size(size, f, stride, pad):
    return (size + 2 * pad - f) // stride + 1


def _random_conv_geometry(rng, count):
    """Random (FH, FW, stride, pad, H, W) with sizes that fit exactly."""
    cases = []
    for _ in range(count):
        fh, fw = rng.integers(1, 5, size=2)
        stride = int(rng.integers(1, 4))
        pad = int(rng.integers(0, min(fh, fw)))
        oh, ow = rng.integers(1, 5, size=2)
        cases.append((int(fh), int(fw), stride, pad,
                      int((oh - 1) * stride + fh - 2 * pad), int((ow - 1) * stride + fw - 2 * pad)))
    return [c for c in cases if c[4] >= 1 and c[5] >= 1]


def _summary(cases, dtypes=True):
    """'9 cases: strides 1-3, pads 0-2, float32 and float64'."""
    strides = sorted({c["stride"] for c in cases})
    pads = sorted({c["pad"] for c in cases})
    parts = [f"{len(cases)} cases", f"strides {strides[0]}-{strides[-1]}" if len(strides) > 1
             else f"stride {strides[0]}"]
    parts.append(f"pads {pads[0]}-{pads[-1]}" if len(pads) > 1 else f"pad {pads[0]}")
    if dtypes:
        parts.append("float32 and float64")
    return parts[0] + ": " + ", ".join(parts[1:])


# ---------------------------------------------------------------------------
# Chapter 1: output sizes and convolution by loops
# ---------------------------------------------------------------------------

def check_conv_output_size(fn):
    """Check ``fn(H, FH, stride, pad)``: the output length of a convolution along one axis.

    The course's rule: ``(H + 2*pad - FH) / stride + 1`` as an ``int``; raise
    ``ValueError`` when that is not a whole number (the last window would hang
    over the edge) or when the filter is larger than the padded input.
    """
    check = "check_conv_output_size"
    valid = [(3, 3, 1, 0), (5, 3, 1, 0), (5, 3, 1, 1), (7, 3, 2, 0), (28, 5, 1, 2), (6, 2, 2, 0),
             (7, 1, 3, 0), (4, 7, 1, 2), (10, 4, 3, 0), (9, 3, 3, 0), (227, 11, 4, 0), (1, 1, 1, 0)]
    invalid = [(7, 2, 2, 0, "not a whole number"), (4, 5, 1, 0, "filter larger than the input"),
               (4, 7, 1, 1, "filter larger than the padded input"), (6, 3, 2, 1, "not a whole number"),
               (2, 5, 3, 0, "filter larger than the input"), (10, 3, 4, 0, "not a whole number")]
    # typical wrong formulas; the hint names the one that fits every answer given
    wrong = [(lambda H, FH, s, p: (H - FH) / s + 1, "the padding is missing: add 2*pad to the input size"),
             (lambda H, FH, s, p: (H + p - FH) / s + 1, "pad is added once; it goes on both sides: 2*pad"),
             (lambda H, FH, s, p: (H + 2 * p - FH) / s, "the +1 is missing (the first window counts too)"),
             (lambda H, FH, s, p: H + 2 * p - FH / s + 1, "brackets: write (H + 2*pad - FH) / stride + 1"),
             (lambda H, FH, s, p: (H + 2 * p - FH) + 1, "the stride is ignored: divide by it")]
    answers = []
    for H, FH, stride, pad in valid:
        case = f"H={H}, FH={FH}, stride={stride}, pad={pad}"
        expected = (H + 2 * pad - FH) // stride + 1
        try:
            got = fn(H, FH, stride, pad)
        except ValueError as exc:
            raise AssertionError(_message(
                f"{check}: {_name(fn)}{(H, FH, stride, pad)} raised ValueError, but the size is "
                f"valid: ({H} + 2*{pad} - {FH}) / {stride} + 1 = {expected}.",
                f"Your message: {exc}",
                "Likely cause: the test for a whole number or for the filter size is wrong.")) from exc
        except Exception:
            got = _call(check, _name(fn), case, fn, H, FH, stride, pad)   # raises with the message
        if got is None:
            _array(check, _name(fn), None, case)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer, float, np.floating)):
            raise AssertionError(_message(f"{check}: {_name(fn)}{(H, FH, stride, pad)} returned "
                                          f"{got!r} ({type(got).__name__}); expected the number "
                                          f"{expected}."))
        answers.append(((H, FH, stride, pad), got))
    for (H, FH, stride, pad), got in answers:
        expected = (H + 2 * pad - FH) // stride + 1
        if got != expected:
            fits = [h for f, h in wrong if all(np.isclose(f(*a), g) for a, g in answers)]
            if not fits:
                fits = [h for f, h in wrong if np.isclose(f(H, FH, stride, pad), got)]
            _fail(check, f"H={H}, FH={FH}, stride={stride}, pad={pad}", f"Expected {expected}, got {got}.",
                  hint=fits[0] if len(fits) == 1 else None)
        if not isinstance(got, (int, np.integer)):
            raise AssertionError(_message(
                f"{check}: {_name(fn)}{(H, FH, stride, pad)} returned {got!r}, a "
                f"{type(got).__name__}; array sizes must be whole numbers of type int.",
                "Likely cause: / always gives a float in Python 3: after checking that the "
                "division is exact, use // (or int(...))."))
    for H, FH, stride, pad, why in invalid:
        args = (H, FH, stride, pad)
        case = f"H={H}, FH={FH}, stride={stride}, pad={pad}"
        try:
            got = fn(H, FH, stride, pad)
        except NotImplementedError:
            _call(check, _name(fn), case, fn, *args)
        except ValueError:
            continue
        except Exception as exc:
            raise AssertionError(_message(
                f"{check}: {_name(fn)}{args} raised {type(exc).__name__}: {exc}",
                "The course's convention is ValueError, with a message saying which numbers do "
                "not fit: raise ValueError(...).")) from exc
        span = H + 2 * pad - FH
        if span < 0:
            detail = (f"The filter ({FH}) is larger than the padded input ({H} + 2*{pad} = "
                      f"{H + 2 * pad}): there is no window at all, so raise ValueError.")
            hint = ("check H + 2*pad - FH < 0 too: a negative difference can still divide "
                    "evenly by the stride") if span % stride == 0 else None
        else:
            detail = (f"({H} + 2*{pad} - {FH}) / {stride} + 1 = {span / stride + 1:g} is not a whole "
                      f"number: the last window hangs over the edge, so raise ValueError.")
            hint = ("rounding down with // hides the problem; test (H + 2*pad - FH) % stride "
                    "first") if got == span // stride + 1 else None
        _fail(check, case + f" ({why})", f"Expected ValueError, got {got!r}.", detail, hint=hint)
    _passed(check, f"{len(valid)} valid sizes, {len(invalid)} that must raise ValueError")


_CONV_CASES = [  # (N, C, H, W, FN, FH, FW, stride, pad, dtype): small first
    (1, 1, 3, 3, 1, 2, 2, 1, 0, np.float64),
    (1, 1, 4, 5, 1, 2, 3, 1, 0, np.float64),
    (1, 2, 4, 4, 3, 3, 3, 1, 1, np.float64),
    (2, 3, 5, 7, 2, 3, 3, 2, 1, np.float64),
    (2, 2, 7, 6, 2, 3, 2, 3, 1, np.float32),
    (3, 3, 6, 8, 4, 2, 4, 2, 2, np.float64),
]


def _conv_cases(extra_seed=7):
    """The fixed convolution cases plus two random geometries, as dicts with their arrays."""
    specs = list(_CONV_CASES)
    rng = np.random.default_rng(extra_seed)
    for k, (fh, fw, stride, pad, H, W) in enumerate(_random_conv_geometry(rng, 2)):
        specs.append((2, 2, H, W, 3, fh, fw, stride, pad, (np.float32, np.float64)[k % 2]))
    cases = []
    for k, (N, C, H, W, FN, FH, FW, stride, pad, dtype) in enumerate(specs):
        rng = np.random.default_rng(100 + k)
        x = rng.standard_normal((N, C, H, W)).astype(dtype)
        Wt = rng.standard_normal((FN, C, FH, FW)).astype(dtype)
        b = (rng.standard_normal(FN) + np.where(rng.random(FN) < 0.5, -1.0, 1.0)).astype(dtype)
        desc = (f"x {x.shape}, W {Wt.shape}, stride {stride}, pad {pad}, {np.dtype(dtype).name}")
        cases.append(dict(x=x, W=Wt, b=b, stride=stride, pad=pad, dtype=dtype, desc=desc))
    return cases


def _conv_shape_hints(x, W, stride, pad):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = _out_size(H, FH, stride, pad), _out_size(Wd, FW, stride, pad)
    hints = []
    if stride > 1:
        hints.append(((N, FN, H + 2 * pad - FH + 1, Wd + 2 * pad - FW + 1),
                      "the stride is ignored in the output size: OH = (H + 2*pad - FH) // stride + 1"))
    if pad > 0:
        hints.append(((N, FN, _out_size(H, FH, stride, 0), _out_size(Wd, FW, stride, 0)),
                      "the padding is missing from the output size: H + 2*pad"))
    hints += [((N, FN, OH - 1, OW - 1), "the +1 is missing from the output size"),
              ((N, FN, OW, OH), "height and width exchanged: the output is (N, FN, OH, OW)"),
              ((FN, N, OH, OW), "the batch axis comes first: the output is (N, FN, OH, OW)"),
              ((N, OH, OW, FN), "the output must be (N, FN, OH, OW): transpose(0, 3, 1, 2) the "
                                "(N, OH, OW, FN) array")]
    if C != FN:
        hints.append(((N, C, OH, OW), "one output channel per filter: the output has FN channels, not C"))
    return hints


def _conv_forward_variants(c, expected):
    x, W, b, stride, pad = c["x"], c["W"], c["b"], c["stride"], c["pad"]
    x64, W64, b64 = (a.astype(np.float64) for a in (x, W, b))
    OH, OW = expected.shape[2:]
    variants = [
        (expected - b64[None, :, None, None], "the bias b is missing: add b[f] to every output of filter f"),
        (conv_forward_naive(x64, W64[:, :, ::-1, ::-1].copy(), b64, stride, pad),
         "the filter is flipped: in deep learning 'convolution' is cross-correlation, so "
         "use W as it is"),
        (_scrambled_nchw(expected), "the (N*OH*OW, FN) result was reshaped straight to "
                                    "(N, FN, OH, OW): reshape to (N, OH, OW, FN), then transpose(0, 3, 1, 2)"),
        (expected - b64[None, :, None, None] + b64.sum(), "every filter gets the sum of all biases: "
                                                          "add only b[f]"),
    ]
    if stride > 1:
        dense = conv_forward_naive(x64, W64, b64, 1, pad)
        variants.append((dense[:, :, :OH, :OW], "the windows start at (i, j), not at "
                                                "(i*stride, j*stride)"))
    if pad > 0 and (x.shape[2] - W.shape[2]) % stride == 0 and (x.shape[3] - W.shape[3]) % stride == 0 \
            and x.shape[2] >= W.shape[2] and x.shape[3] >= W.shape[3]:
        inner = conv_forward_naive(x64, W64, b64, stride, 0)
        if inner.shape == expected.shape:
            variants.append((inner, "the input is not padded"))
    return variants


def check_conv_forward_naive(fn):
    """Check ``fn(x, W, b, stride, pad)``: convolution by loops.

    x ``(N, C, H, W)``, W ``(FN, C, FH, FW)``, b ``(FN,)``; the result is
    ``(N, FN, OH, OW)`` with ``out[n, f, i, j] = sum(window * W[f]) + b[f]``,
    the window being ``xpad[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW]``.
    """
    check = "check_conv_forward_naive"
    cases = _conv_cases()
    for c in cases:
        x, W, b = c["x"].copy(), c["W"].copy(), c["b"].copy()
        expected = conv_forward_naive(c["x"].astype(np.float64), c["W"].astype(np.float64),
                                      c["b"].astype(np.float64), c["stride"], c["pad"])
        got = _array(check, _name(fn), _call(check, _name(fn), c["desc"], fn, x, W, b, c["stride"], c["pad"]),
                     c["desc"])
        _check_dtype(check, _name(fn), got, c["dtype"], c["desc"])
        _compare(check, "the output", got, expected, c["desc"], c["dtype"],
                 variants=lambda: _conv_forward_variants(c, expected),
                 shape_hints=_conv_shape_hints(c["x"], c["W"], c["stride"], c["pad"]))
        if not (np.array_equal(x, c["x"]) and np.array_equal(W, c["W"]) and np.array_equal(b, c["b"])):
            raise AssertionError(_message(f"{check}: {_name(fn)} changed its input arrays on {c['desc']}.",
                                          "Pad into a new array (np.pad) instead of writing into x or W."))
    _passed(check, _summary(cases))


# ---------------------------------------------------------------------------
# Chapter 2: im2col, col2im and the Convolution layer
# ---------------------------------------------------------------------------

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
    for k, (fh, fw, stride, pad, H, W) in enumerate(_random_conv_geometry(np.random.default_rng(11), 2)):
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
    "cols_hwc": "the columns are ordered (FH, FW, C); the book's layout is (C, FH, FW): "
                "channel slowest, then filter row, then filter column",
    "cols_cwh": "inside a window the filter's rows and columns are exchanged: columns go "
                "(C, FH, FW)",
    "rows_hwn": "the rows are ordered with the image index fastest; they go image by image, "
                "then output row, then output column",
    "rows_nwh": "the rows go column by column; they go output row by output row (row-major)",
}


def check_im2col(fn):
    """Check ``fn(input_data, filter_h, filter_w, stride, pad)``: the book's im2col.

    input_data ``(N, C, H, W)`` -> ``(N*OH*OW, C*FH*FW)``: one row per output
    pixel (image by image, then row-major), columns ordered ``(C, FH, FW)``;
    the padding is zeros.
    """
    check = "check_im2col"
    cases = _im2col_cases()
    for c in cases:
        x = c["x"].copy()
        N, C, H, W = x.shape
        FH, FW, stride, pad = c["FH"], c["FW"], c["stride"], c["pad"]
        OH, OW = _out_size(H, FH, stride, pad), _out_size(W, FW, stride, pad)
        expected = _im2col_ref(c["x"].astype(np.float64), FH, FW, stride, pad)
        got = _array(check, _name(fn), _call(check, _name(fn), c["desc"], fn, x, FH, FW, stride, pad), c["desc"])
        shape_hints = [((C * FH * FW, N * OH * OW), "the matrix is transposed: one row per window "
                                                     "(N*OH*OW rows), one column per weight (C*FH*FW)")]
        if pad:
            OH0, OW0 = _out_size(H, FH, stride, 0), _out_size(W, FW, stride, 0)
            shape_hints.append(((N * OH0 * OW0, C * FH * FW), "the padding is missing: pad the input "
                                                                "with zeros first"))
        if stride > 1:
            shape_hints.append((((H + 2 * pad - FH + 1) * (W + 2 * pad - FW + 1) * N, C * FH * FW),
                                "the stride is ignored: the windows start every `stride` pixels"))
        shape_hints.append(((N, OH, OW, C * FH * FW), "reshape to two dimensions: (N*OH*OW, C*FH*FW)"))
        variants = [(v, _ORDER_HINTS[k]) for k, v in _col_orders(expected, N, C, OH, OW, FH, FW).items()]
        if got.shape == expected.shape[::-1]:
            variants = []
        _check_dtype(check, _name(fn), got, c["dtype"], c["desc"])
        _compare(check, "the matrix", got, expected, c["desc"], c["dtype"], variants=variants,
                 shape_hints=shape_hints)
        if not np.array_equal(x, c["x"]):
            raise AssertionError(_message(f"{check}: {_name(fn)} changed its input on {c['desc']}.",
                                          "Pad into a new array (np.pad) instead of writing into x."))
    _passed(check, _summary(cases))


def check_col2im(fn):
    """Check ``fn(col, input_shape, filter_h, filter_w, stride, pad)``: the book's col2im.

    col ``(N*OH*OW, C*FH*FW)`` in im2col's layout -> ``(N, C, H, W)``: every
    row is *added* onto the window it came from (overlapping windows add up),
    and the padding is cut off at the end.
    """
    check = "check_col2im"
    cases = _im2col_cases()
    for k, c in enumerate(cases):
        N, C, H, W = c["x"].shape
        FH, FW, stride, pad, dtype = c["FH"], c["FW"], c["stride"], c["pad"], c["dtype"]
        OH, OW = _out_size(H, FH, stride, pad), _out_size(W, FW, stride, pad)
        rng = np.random.default_rng(300 + k)
        col0 = rng.standard_normal((N * OH * OW, C * FH * FW)).astype(dtype)
        col = col0.copy()
        desc = (f"col {col.shape}, input_shape {(N, C, H, W)}, filter {FH}x{FW}, stride {stride}, "
                f"pad {pad}, {np.dtype(dtype).name}")
        col64 = col0.astype(np.float64)
        expected = _col2im_ref(col64, (N, C, H, W), FH, FW, stride, pad)
        got = _array(check, _name(fn), _call(check, _name(fn), desc, fn, col, (N, C, H, W), FH, FW, stride, pad),
                     desc)
        count = _col2im_ref(np.ones_like(col64), (N, C, H, W), FH, FW, stride, pad)

        def variants():
            out = [(_col2im_ref(v, (N, C, H, W), FH, FW, stride, pad), _ORDER_HINTS[key])
                   for key, v in _col_orders(col64, N, C, OH, OW, FH, FW, inverse=True).items()]
            return out + [(expected / np.maximum(count, 1), "overlapping windows are averaged; "
                                                            "col2im adds them (+=), it does not divide")]
        shape_hints = [((N, C, H + 2 * pad, W + 2 * pad), "the padding is not cut off: return "
                                                          "img[:, :, pad:pad + H, pad:pad + W]")]
        _check_dtype(check, _name(fn), got, dtype, desc)
        if got.shape == expected.shape and np.any(count > 1) and not _close(got, expected, dtype) \
                and not _close(got, expected / np.maximum(count, 1), dtype):
            single = count <= 1
            if _close(got[single], expected[single], dtype) and not _close(got[~single], expected[~single], dtype):
                _fail(check, desc, _first_difference(got, expected, dtype, "the image"),
                      "Only the pixels covered by several windows are wrong.",
                      hint="col2im must add overlapping windows (+=), not overwrite them (=)")
        _compare(check, "the image", got, expected, desc, dtype, variants=variants, shape_hints=shape_hints)
        if not np.array_equal(col, col0):
            raise AssertionError(_message(f"{check}: {_name(fn)} changed its input col on {desc}."))
    _passed(check, _summary(cases))


def _layer_attr(check, layer, name, case, after):
    try:
        return getattr(layer, name)
    except AttributeError:
        raise AssertionError(_message(
            f"{check}: after {after} the layer has no attribute {name!r} ({case}).",
            f"Set self.{name} = ... in {after}.")) from None


def _grad_variants(what, got, expected, N, stale=None):
    """Hints for a gradient that is off: batch averaging, the old input."""
    out = []
    if N > 1:
        out.append((expected / N, f"{what} is divided by the batch size N = {N}: the loss layer "
                                  "already averages over the batch, so a layer's backward just sums"))
        out.append((expected * N, f"{what} is multiplied by the batch size N = {N}"))
    if stale is not None:
        out.append((stale, "backward used the input of an earlier forward call: save x (and what "
                           "backward needs) in self every time forward runs"))
    return out


def check_convolution(cls):
    """Check the class ``cls(W, b, stride, pad)`` with ``forward(x)`` and ``backward(dout)``.

    forward: x ``(N, C, H, W)`` -> ``(N, FN, OH, OW)``; backward: dout
    ``(N, FN, OH, OW)`` -> dx ``(N, C, H, W)``, and sets ``self.dW`` ``(FN, C, FH, FW)``
    and ``self.db`` ``(FN,)``, the sums over the batch (no averaging).  The
    gradients are compared with ``course_lib.naive.conv_backward_naive`` and,
    on the smallest case, with numerical derivatives.
    """
    check = "check_convolution"
    cases = _conv_cases(extra_seed=8)
    for k, c in enumerate(cases):
        x0, W0, b0, stride, pad, dtype, desc = (c[key] for key in ("x", "W", "b", "stride", "pad", "dtype", "desc"))
        x64, W64, b64 = (a.astype(np.float64) for a in (x0, W0, b0))
        layer = _call(check, f"{_name(cls)}(W, b, stride, pad)", desc, cls, W0.copy(), b0.copy(), stride, pad)
        x = x0.copy()
        expected = conv_forward_naive(x64, W64, b64, stride, pad)
        got = _array(check, "forward", _call(check, "forward", desc, layer.forward, x), desc)
        _check_dtype(check, "forward", got, dtype, desc)
        _compare(check, "the forward output", got, expected, desc, dtype,
                 variants=lambda: _conv_forward_variants(c, expected),
                 shape_hints=_conv_shape_hints(x0, W0, stride, pad))

        rng = np.random.default_rng(400 + k)
        dout0 = rng.standard_normal(expected.shape).astype(dtype)
        dout = dout0.copy()
        dx = _array(check, "backward", _call(check, "backward", desc, layer.backward, dout), desc)
        _check_dtype(check, "backward", dx, dtype, desc)
        d64 = dout0.astype(np.float64)
        edx, edW, edb = conv_backward_naive(d64, x64, W64, stride, pad)
        sdx, sdW, sdb = conv_backward_naive(_unscrambled_nchw(d64), x64, W64, stride, pad)
        scr = "dout was reshaped to (N*OH*OW, FN) without transpose(0, 2, 3, 1) first"
        _compare(check, "dx", dx, edx, desc, dtype,
                 variants=[(sdx, scr)] + _grad_variants("dx", dx, edx, x0.shape[0]),
                 shape_hints=[((x0.shape[0], x0.shape[1], x0.shape[2] + 2 * pad, x0.shape[3] + 2 * pad),
                               "the padding is not cut off dx: col2im must return the unpadded "
                               "(N, C, H, W)")],
                 zero_hint="dx must be the gradient flowing back to the input, "
                           "col2im(dout_matrix @ W_matrix.T, ...)")
        dW = _array(check, "layer.dW", _layer_attr(check, layer, "dW", desc, "backward"), desc)
        FN, C, FH, FW = W0.shape
        _compare(check, "dW", dW, edW, desc, dtype,
                 variants=[(sdW, scr),
                           (edW.reshape(FN, -1).T.reshape(FN, C, FH, FW),
                            "the (C*FH*FW, FN) matrix col.T @ dout was reshaped to (FN, C, FH, FW) "
                            "without transposing it first")] + _grad_variants("dW", dW, edW, x0.shape[0]),
                 shape_hints=[((C * FH * FW, FN), "reshape dW to the filters' shape (FN, C, FH, FW): "
                                                  "dW.transpose(1, 0).reshape(FN, C, FH, FW)")])
        db = _array(check, "layer.db", _layer_attr(check, layer, "db", desc, "backward"), desc)
        _compare(check, "db", db.reshape(-1) if db.size == FN else db, edb, desc, dtype,
                 variants=[(sdb, scr)] + _grad_variants("db", db, edb, x0.shape[0]),
                 zero_hint="db is the sum of dout over the batch and the output pixels")
        if not np.array_equal(dout, dout0) or not np.array_equal(x, x0):
            raise AssertionError(_message(f"{check}: forward or backward changed its input array in "
                                          f"place on {desc}.", "Work on new arrays: x and dout belong to "
                                                               "the layers next to this one."))
        if k == 0:   # numerical derivatives, independent of the loop versions
            def loss():
                return float(np.sum(conv_forward_naive(x64, W64, b64, stride, pad) * d64))
            for what, g, arr in (("dx", dx, x64), ("dW", dW, W64), ("db", db, b64)):
                num = _numerical_gradient(loss, arr)
                if not _close(np.asarray(g, np.float64).reshape(num.shape), num, np.float32):
                    _fail(check, desc, f"{what} differs from the numerical derivative.",
                          _first_difference(np.asarray(g, np.float64).reshape(num.shape), num, np.float32, what))

    # backward must use the latest forward's input
    c = cases[3]
    layer = cls(c["W"].copy(), c["b"].copy(), c["stride"], c["pad"])
    x_old = np.random.default_rng(1).standard_normal(c["x"].shape)
    layer.forward(x_old)
    out = layer.forward(c["x"].astype(np.float64))
    dout = np.random.default_rng(2).standard_normal(np.shape(out))
    dx = np.asarray(layer.backward(dout))
    W64, b64 = c["W"].astype(np.float64), c["b"].astype(np.float64)
    edx, edW, _ = conv_backward_naive(dout, c["x"].astype(np.float64), W64, c["stride"], c["pad"])
    _, odW, _ = conv_backward_naive(dout, x_old, W64, c["stride"], c["pad"])
    desc = "two forward calls, then backward (" + c["desc"] + ")"
    _compare(check, "dW", np.asarray(layer.dW), edW, desc, np.float64,
             variants=_grad_variants("dW", None, edW, 1, stale=odW))
    _passed(check, _summary(cases) + ", gradients checked numerically")


# ---------------------------------------------------------------------------
# Chapter 3: max pooling
# ---------------------------------------------------------------------------

_POOL_CASES = [  # (N, C, H, W, pool_h, pool_w, stride, kind, dtype)
    (1, 1, 4, 4, 2, 2, 2, "distinct", np.float64),
    (1, 1, 4, 4, 2, 2, 2, "ties", np.float64),
    (1, 1, 4, 6, 2, 2, 2, "distinct", np.float64),
    (1, 1, 5, 5, 3, 3, 2, "distinct", np.float64),
    (1, 1, 3, 5, 2, 3, 1, "ties", np.float64),
    (2, 3, 4, 6, 2, 3, 1, "distinct", np.float64),
    (2, 2, 6, 9, 3, 3, 3, "distinct", np.float32),
    (1, 2, 8, 8, 2, 2, 3, "distinct", np.float64),
    (2, 2, 6, 7, 3, 2, 1, "ties", np.float32),
    (3, 2, 7, 7, 3, 3, 2, "ties", np.float64),
]


def _pool_cases():
    cases = []
    for k, (N, C, H, W, ph, pw, stride, kind, dtype) in enumerate(_POOL_CASES):
        rng = np.random.default_rng(500 + k)
        if kind == "distinct":
            x = rng.permutation(N * C * H * W).reshape(N, C, H, W) / 4 - N * C * H * W / 8
        else:   # few values, so many windows hold their maximum twice or more
            x = rng.integers(-1, 2, size=(N, C, H, W)).astype(np.float64)
        x = x.astype(dtype)
        desc = (f"x {x.shape}, pool {ph}x{pw}, stride {stride}, pad 0, {np.dtype(dtype).name}"
                + (", with ties" if kind == "ties" else ""))
        cases.append(dict(x=x, ph=ph, pw=pw, stride=stride, pad=0, dtype=dtype, desc=desc, ties=kind == "ties"))
    return cases


def _pool_backward_variants(dout, x, ph, pw, stride):
    """Gradients of typical mistakes: ties to every or the last maximum, average pooling's."""
    N, C, H, W = x.shape
    OH, OW = dout.shape[2:]
    every = np.zeros_like(x, dtype=np.float64)
    last = np.zeros_like(x, dtype=np.float64)
    spread = np.zeros_like(x, dtype=np.float64)
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
            spread[:, :, hs:hs + ph, ws:ws + pw] += np.broadcast_to(d, (N, C, ph * pw)).reshape(N, C, ph, pw)
    return [
        (every, "in a tie every maximum gets the gradient; the course's rule (the book's and "
                "PyTorch's): only the first maximum in the window, in row-major order, gets it, "
                "as np.argmax picks it"),
        (last, "in a tie the gradient goes to the last maximum; the course's rule: the first "
               "maximum in row-major order (np.argmax)"),
        (spread / (ph * pw), "the gradient is shared equally over the window: that is average "
                             "pooling's backward; max pooling sends it to the maximum only"),
        (spread, "the gradient goes to every pixel of the window; max pooling sends it to the "
                 "maximum only"),
    ]


def check_pooling(cls):
    """Check the max-pooling class ``cls(pool_h, pool_w, stride, pad)`` (called with pad 0).

    forward: x ``(N, C, H, W)`` -> ``(N, C, OH, OW)``, each output the maximum of
    its window.  backward: dout ``(N, C, OH, OW)`` -> dx ``(N, C, H, W)``: each
    output's gradient goes to the maximum of its window; in a tie, to the
    *first* maximum in row-major order (what ``np.argmax`` returns, as in the
    book and in PyTorch); a pixel that is the maximum of several overlapping
    windows receives the sum of their gradients.
    """
    check = "check_pooling"
    cases = _pool_cases()
    for k, c in enumerate(cases):
        x0, ph, pw, stride, dtype, desc = (c[key] for key in ("x", "ph", "pw", "stride", "dtype", "desc"))
        x64 = x0.astype(np.float64)
        N, C, H, W = x0.shape
        OH, OW = _out_size(H, ph, stride, 0), _out_size(W, pw, stride, 0)
        layer = _call(check, f"{_name(cls)}(pool_h, pool_w, stride, pad)", desc, cls, ph, pw, stride, 0)
        x = x0.copy()
        expected = pool_forward_naive(x64, ph, pw, stride, 0, "max")
        got = _array(check, "forward", _call(check, "forward", desc, layer.forward, x), desc)
        _check_dtype(check, "forward", got, dtype, desc)
        shape_hints = [((N, C, W, H), "height and width exchanged")] if H != W else []
        shape_hints += [((N, OH, OW, C), "the output must be (N, C, OH, OW): transpose(0, 3, 1, 2)"),
                        ((N * OH * OW * C,), "reshape the maxima to (N, OH, OW, C), then "
                                             "transpose(0, 3, 1, 2)")]
        if stride != 1:
            shape_hints.append(((N, C, H - ph + 1, W - pw + 1), "the stride is ignored"))
        _compare(check, "the forward output", got, expected, desc, dtype,
                 variants=[(pool_forward_naive(x64, ph, pw, stride, 0, "avg"),
                            "the windows are averaged: this is max pooling, take the maximum"),
                           (_scrambled_nchw(expected), "the maxima were reshaped straight to (N, C, "
                                                       "OH, OW): reshape to (N, OH, OW, C), then "
                                                       "transpose(0, 3, 1, 2)")],
                 shape_hints=shape_hints)

        rng = np.random.default_rng(600 + k)
        dout0 = (rng.permutation(N * C * OH * OW).reshape(N, C, OH, OW) + 1.0).astype(dtype)
        dout = dout0.copy()
        dx = _array(check, "backward", _call(check, "backward", desc, layer.backward, dout), desc)
        _check_dtype(check, "backward", dx, dtype, desc)
        d64 = dout0.astype(np.float64)
        edx = pool_backward_naive(d64, x64, ph, pw, stride, 0, "max")

        def variants():
            return _pool_backward_variants(d64, x64, ph, pw, stride) + [
                (pool_backward_naive(_unscrambled_nchw(d64), x64, ph, pw, stride, 0, "max"),
                 "dout was flattened in (N, C, OH, OW) order, but the rows of the window matrix go "
                 "(N, OH, OW, C): transpose dout with (0, 2, 3, 1) first")]
        hits = pool_backward_naive(np.ones_like(d64), x64, ph, pw, stride, 0, "max")
        if dx.shape == edx.shape and np.any(hits > 1) and not _close(dx, edx, dtype):
            single = hits <= 1
            if _close(dx[single], edx[single], dtype):
                _fail(check, desc, _first_difference(dx, edx, dtype, "dx"),
                      "Only pixels that are the maximum of several overlapping windows are wrong.",
                      hint="such a pixel must receive the sum of those windows' gradients (add, "
                           "do not overwrite)")
        _compare(check, "dx", dx, edx, desc, dtype, variants=variants,
                 zero_hint="backward must send every dout entry to the maximum of its window")
        if not np.array_equal(dout, dout0) or not np.array_equal(x, x0):
            raise AssertionError(_message(f"{check}: forward or backward changed its input array in "
                                          f"place on {desc}.", "Work on new arrays: x and dout belong to "
                                                               "the layers next to this one."))
    # backward must use the latest forward's input
    c = cases[5]
    layer = cls(c["ph"], c["pw"], c["stride"], 0)
    x_old = np.random.default_rng(3).standard_normal(c["x"].shape)
    x_new = np.random.default_rng(4).standard_normal(c["x"].shape)
    layer.forward(x_old)
    out = layer.forward(x_new)
    dout = np.random.default_rng(5).standard_normal(np.shape(out))
    dx = np.asarray(layer.backward(dout))
    edx = pool_backward_naive(dout, x_new, c["ph"], c["pw"], c["stride"])
    odx = pool_backward_naive(dout, x_old, c["ph"], c["pw"], c["stride"])
    _compare(check, "dx", dx, edx, "two forward calls, then backward (" + c["desc"] + ")", np.float64,
             variants=_grad_variants("dx", None, edx, 1, stale=odx))
    n_ties = sum(c["ties"] for c in cases)
    _passed(check, f"{len(cases)} cases: strides 1-3, pad 0, {n_ties} with ties (the gradient goes "
                   f"to the first maximum), float32 and float64")
