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
import inspect
import textwrap

import numpy as np

from .functional import col2im as _col2im_ref
from .functional import im2col as _im2col_ref
from .naive import conv_backward_naive, conv_forward_naive, pool_backward_naive, pool_forward_naive

__all__ = ["check_conv_output_size", "check_conv_forward_naive", "check_im2col", "check_col2im",
           "check_convolution", "check_pooling", "check_adam", "check_trained_network",
           "check_shift", "check_rotate", "check_residual_backward"]


# ---------------------------------------------------------------------------
# Toolkit: messages, calling student code, comparing arrays, numerical gradients
# ---------------------------------------------------------------------------

_WIDTH = 79


def _message(*paragraphs):
    """Paragraphs wrapped at word boundaries; the first leaves room for 'AssertionError: '."""
    lines = []
    for k, p in enumerate(p for p in paragraphs if p):
        indent = " " * 16 if k == 0 else ""
        lines.append(textwrap.fill(str(p), _WIDTH, initial_indent=indent, break_long_words=False,
                                   break_on_hyphens=False)[len(indent):])
    return "\n".join(lines)


def _sentence(what):
    """'the output' -> 'The output'; names such as 'dx' stay as they are."""
    return what[0].upper() + what[1:] if what.startswith("the ") else what


def _fail(check, case, *details, hint=None):
    """Raise the AssertionError that teaches: the case, what came back, the likely cause."""
    raise AssertionError(_message(f"{check}: wrong result for {case}.", *details,
                                  f"Likely cause: {hint}" if hint else None))


def _passed(check, summary):
    """Print the success line, wrapped at word boundaries (a notebook wraps at any character)."""
    print(textwrap.fill(f"{check}: passed ({summary})", _WIDTH, subsequent_indent="    ",
                        break_long_words=False, break_on_hyphens=False))


def _name(obj):
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__


_CACHE_HINT = ("if an attribute is missing, backward needs what forward saved: store it in self "
               "during forward (self.x = x, ...)")


def _call(check, what, case, fn, *args, hint=None):
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
        if hint is _CACHE_HINT and not isinstance(exc, AttributeError):
            hint = None
        raise AssertionError(_message(
            f"{check}: {what} raised {type(exc).__name__} on {case}:", str(exc),
            f"Likely cause: {hint}" if hint else None,
            "The traceback above shows the line in your code.")) from exc


def _require(check, obj, kind):
    """Fail clearly when the check is handed a result or an object instead of a function or class."""
    if kind == "class" and isinstance(obj, type):
        return
    if kind == "function" and callable(obj) and not isinstance(obj, type):
        return
    if kind == "class":
        how = ("pass the class, not a function" if inspect.isfunction(obj) else
               "pass the class itself, e.g. check(Convolution), not an object made from it, "
               "check(Convolution(W, b))")
    else:
        how = ("pass the function, not a class" if isinstance(obj, type) else
               "pass the function itself, e.g. check(im2col), not its result, check(im2col(x, 3, 3))")
    raise AssertionError(_message(f"{check}: expected your {kind}, got {type(obj).__name__} "
                                  f"{_short_repr(obj)}.", f"Likely cause: {how}."))


def _short_repr(obj):
    text = " ".join(repr(obj).split())
    return text if len(text) <= 40 else text[:37] + "..."


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
    """How many entries differ, and a few numbers, expected and got, from the first one that does."""
    rtol, atol = _tolerances(dtype)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol * scale)
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    text = f"{_sentence(what)} differs in {int(bad.sum())} of {expected.size} entries."
    if expected.ndim == 0 or expected.shape[-1] == 1:
        return text + f" At {list(idx)}: expected {_fmt(expected[idx])}, got {_fmt(got[idx])}."
    row, n = idx[:-1], expected.shape[-1]
    start = max(0, min(idx[-1], n - 4))
    part = slice(start, min(start + 4, n))
    label = ", ".join([str(i) for i in row] + [f"{start}:{part.stop}"])
    return text + f" At [{label}]: expected {_row(expected[row][part])}, got {_row(got[row][part])}."


def _row(values):
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


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


def _compare(check, what, got, expected, case, dtype, variants=(), shape_hints=(), zero_hint=None,
             last_hint=None):
    """Fail with a diagnosis unless ``got`` equals ``expected``.

    variants: ``(array, hint)`` pairs, the results of typical mistakes (or a
    function returning them, called only on a mismatch); when ``got`` matches
    one, its hint is the likely cause.  shape_hints:
    ``(shape, hint)`` pairs for wrong shapes.  last_hint: a function of
    ``(got, expected)`` giving a hint or None, tried when nothing else fits.
    """
    if got.shape != expected.shape:
        hint = None
        for shape, h in shape_hints:
            if tuple(got.shape) == tuple(shape):
                hint = h
                break
        if hint is None and got.ndim == 2 and got.shape == expected.shape[::-1]:
            hint = "the result is transposed: check which axis is which"
        _fail(check, case, f"{_sentence(what)} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}.",
              hint=hint)
    if np.issubdtype(got.dtype, np.integer) and not np.all(expected == np.rint(expected)):
        _fail(check, case, f"{_sentence(what)} holds whole numbers (dtype {got.dtype}).",
              _first_difference(got, expected, dtype, what),
              hint="the array you filled was created with an integer dtype, e.g. "
                   "np.zeros(..., dtype=int) or np.zeros_like of an integer array; create it "
                   "with dtype=x.dtype")
    if not np.all(np.isfinite(got)):
        _fail(check, case, f"{_sentence(what)} contains NaN or infinity.",
              hint="an array was used before it was filled (np.empty), or a division by zero")
    if _close(got, expected, dtype):
        return
    detail = _first_difference(got, expected, dtype, what)
    if not np.any(got) and np.any(expected):
        _fail(check, case, f"{_sentence(what)} is all zeros.", detail,
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
    _fail(check, case, detail, hint=last_hint(got, expected) if last_hint else None)


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
    _require(check, fn, "function")
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
    _require(check, fn, "function")
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
    _require(check, fn, "function")
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
    _require(check, fn, "function")
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


def _grad_variants(what, expected, N, stale=None):
    """Hints for a gradient that is off: batch averaging, the old input."""
    out = []
    if N > 1:
        out.append((expected / N, f"{what} is divided by the batch size N = {N}: the loss layer "
                                  "already averages over the batch, so a layer's backward just sums"))
        out.append((expected / N ** 2, f"{what} is divided by N**2 = {N ** 2}: did you average over the "
                                       "batch twice? A layer's backward just sums"))
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
    _require(check, cls, "class")
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
        dx = _array(check, "backward", _call(check, "backward", desc, layer.backward, dout, hint=_CACHE_HINT), desc)
        _check_dtype(check, "backward", dx, dtype, desc)
        d64 = dout0.astype(np.float64)
        edx, edW, edb = conv_backward_naive(d64, x64, W64, stride, pad)
        sdx, sdW, sdb = conv_backward_naive(_unscrambled_nchw(d64), x64, W64, stride, pad)
        scr = "dout was reshaped to (N*OH*OW, FN) without transpose(0, 2, 3, 1) first"
        _compare(check, "dx", dx, edx, desc, dtype,
                 variants=[(sdx, scr)] + _grad_variants("dx", edx, x0.shape[0]),
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
                            "without transposing it first")] + _grad_variants("dW", edW, x0.shape[0]),
                 shape_hints=[((C * FH * FW, FN), "reshape dW to the filters' shape (FN, C, FH, FW): "
                                                  "dW.transpose(1, 0).reshape(FN, C, FH, FW)")])
        db = _array(check, "layer.db", _layer_attr(check, layer, "db", desc, "backward"), desc)
        _compare(check, "db", db.reshape(-1) if db.size == FN else db, edb, desc, dtype,
                 variants=[(sdb, scr)] + _grad_variants("db", edb, x0.shape[0]),
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
    desc = "two forward calls, then backward (" + c["desc"] + ")"
    W64 = c["W"].astype(np.float64)
    layer = _call(check, _name(cls), desc, cls, W64.copy(), c["b"].astype(np.float64), c["stride"], c["pad"])
    x_old = np.random.default_rng(1).standard_normal(c["x"].shape)
    _call(check, "forward", desc, layer.forward, x_old)
    out = _call(check, "forward", desc, layer.forward, c["x"].astype(np.float64))
    dout = np.random.default_rng(2).standard_normal(np.shape(out))
    _call(check, "backward", desc, layer.backward, dout, hint=_CACHE_HINT)
    _, edW, _ = conv_backward_naive(dout, c["x"].astype(np.float64), W64, c["stride"], c["pad"])
    _, odW, _ = conv_backward_naive(dout, x_old, W64, c["stride"], c["pad"])
    _compare(check, "dW", _array(check, "layer.dW", _layer_attr(check, layer, "dW", desc, "backward"), desc),
             edW, desc, np.float64, variants=_grad_variants("dW", edW, 1, stale=odW))
    _passed(check, _summary(cases) + ", numerical gradients")


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
    specs = list(_POOL_CASES)
    rng = np.random.default_rng(12)
    for k in range(2):   # two random geometries
        ph, pw, oh, ow = (int(v) for v in rng.integers(1, 5, size=4))
        stride = int(rng.integers(1, 4))
        specs.append((2, 2, (oh - 1) * stride + ph, (ow - 1) * stride + pw, ph, pw, stride,
                      ("distinct", "ties")[k], (np.float64, np.float32)[k]))
    cases = []
    for k, (N, C, H, W, ph, pw, stride, kind, dtype) in enumerate(specs):
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
    _require(check, cls, "class")
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
        dx = _array(check, "backward", _call(check, "backward", desc, layer.backward, dout, hint=_CACHE_HINT), desc)
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
        if k == 0:   # distinct values: the maximum is unique, so derivatives are well defined
            edx = _numerical_gradient(lambda: float(np.sum(pool_forward_naive(x64, ph, pw, stride) * d64)), x64)
        _compare(check, "dx", dx, edx, desc, np.float32 if k == 0 else dtype, variants=variants,
                 zero_hint="backward must send every dout entry to the maximum of its window")
        if not np.array_equal(dout, dout0) or not np.array_equal(x, x0):
            raise AssertionError(_message(f"{check}: forward or backward changed its input array in "
                                          f"place on {desc}.", "Work on new arrays: x and dout belong to "
                                                               "the layers next to this one."))
    # backward must use the latest forward's input
    c = cases[5]
    desc = "two forward calls, then backward (" + c["desc"] + ")"
    layer = _call(check, _name(cls), desc, cls, c["ph"], c["pw"], c["stride"], 0)
    x_old = np.random.default_rng(3).standard_normal(c["x"].shape)
    x_new = np.random.default_rng(4).standard_normal(c["x"].shape)
    _call(check, "forward", desc, layer.forward, x_old)
    out = _call(check, "forward", desc, layer.forward, x_new)
    dout = np.random.default_rng(5).standard_normal(np.shape(out))
    dx = _array(check, "backward", _call(check, "backward", desc, layer.backward, dout, hint=_CACHE_HINT), desc)
    edx = pool_backward_naive(dout, x_new, c["ph"], c["pw"], c["stride"])
    odx = pool_backward_naive(dout, x_old, c["ph"], c["pw"], c["stride"])
    _compare(check, "dx", dx, edx, desc, np.float64, variants=_grad_variants("dx", edx, 1, stale=odx))
    n_ties = sum(c["ties"] for c in cases)
    _passed(check, f"{len(cases)} cases: strides 1-3, {n_ties} with ties, float32 and float64")


# ---------------------------------------------------------------------------
# Chapter 4: Adam, and a trained network
# ---------------------------------------------------------------------------

_ADAM_MISTAKES = {
    "no_bias": "Adam without bias correction: the first steps are too small (or too large); "
               "scale the step by sqrt(1 - beta2**t) / (1 - beta1**t)",
    "swapped": "beta1 and beta2 are exchanged: beta1 (0.9) averages the gradient m, beta2 "
               "(0.999) averages its square v",
    "t_fixed": "t does not grow: add 1 to self.iter once per call of update, before computing the step",
    "t_per_key": "t grows once per parameter: add 1 to self.iter once per call of update, not "
                 "inside the loop over the keys",
    "shared": "one m and v for all parameters: keep one pair per key, self.m[key] and self.v[key]",
    "reset": "m and v start from zero at every call: create them once (if self.m is None) and keep them",
    "no_sqrt": "the step divides by v: divide by its square root, np.sqrt(v) + 1e-7",
    "only_m": "only m is corrected for its bias: the step needs sqrt(1 - beta2**t) too",
}


def _adam_reference(params, grad_steps, lr, beta1, beta2, mode="book"):
    """Parameters after every step of Adam (float64), the right way or one typical wrong way."""
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    if mode == "shared" and len({val.shape for val in p.values()}) > 1:
        return None       # shared state cannot even run on parameters of several shapes
    if mode == "swapped":
        beta1, beta2 = beta2, beta1
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(val) for k, val in p.items()}
    shared_m, shared_v = np.zeros_like(next(iter(p.values()))), np.zeros_like(next(iter(p.values())))
    t = 0
    history = []
    for grads in grad_steps:
        if mode == "reset":
            m = {k: np.zeros_like(val) for k, val in p.items()}
            v = {k: np.zeros_like(val) for k, val in p.items()}
        if mode != "t_per_key":
            t = 1 if mode == "t_fixed" else t + 1
        for k in p:
            if mode == "t_per_key":
                t += 1
            g = np.asarray(grads[k], dtype=np.float64)
            mk, vk = (shared_m, shared_v) if mode == "shared" else (m[k], v[k])
            mk += (1 - beta1) * (g - mk)
            vk += (1 - beta2) * (g * g - vk)
            if mode == "textbook":
                p[k] -= lr * (mk / (1 - beta1 ** t)) / (np.sqrt(vk / (1 - beta2 ** t)) + 1e-8)
                continue
            lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            if mode == "no_bias":
                lr_t = lr
            elif mode == "only_m":
                lr_t = lr / (1 - beta1 ** t)
            p[k] -= lr_t * mk / ((vk if mode == "no_sqrt" else np.sqrt(vk)) + 1e-7)
        history.append({k: val.copy() for k, val in p.items()})
    return history


_ADAM_CASES = [  # (lr, beta1, beta2, {key: shape}, steps, dtype)
    (0.1, 0.9, 0.999, {"W": (2, 3)}, 1, np.float64),
    (0.1, 0.9, 0.999, {"W": (2, 3)}, 5, np.float64),
    (0.01, 0.8, 0.99, {"W1": (3, 4), "W2": (3, 4)}, 6, np.float64),
    (0.05, 0.9, 0.999, {"W1": (4, 2, 3, 3), "b1": (4,), "W2": (5, 4), "b2": (5,)}, 8, np.float64),
    (0.001, 0.95, 0.9999, {"W": (6, 5), "b": (5,)}, 10, np.float32),
]


def check_adam(cls):
    """Check the optimizer ``cls(lr=..., beta1=..., beta2=...)`` and its ``update(params, grads)``.

    params and grads are dicts of arrays with the same keys; update changes
    every ``params[key]`` *in place* (the layers hold the same arrays), keeping
    one m and v per key across calls and counting the calls in t:
    ``m += (1 - beta1) * (g - m)``, ``v += (1 - beta2) * (g**2 - v)``, then the
    book's step ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``,
    ``params -= lr_t * m / (sqrt(v) + 1e-7)``, or the textbook one with
    explicit bias correction ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``,
    ``params -= lr * m_hat / (sqrt(v_hat) + eps)``.  Both pass: they differ by
    far less than the tolerance (a thousandth of the learning rate).
    """
    check = "check_adam"
    _require(check, cls, "class")
    for k, (lr, beta1, beta2, shapes, steps, dtype) in enumerate(_ADAM_CASES):
        rng = np.random.default_rng(700 + k)
        params0 = {key: rng.standard_normal(shape).astype(dtype) for key, shape in shapes.items()}
        # gradients of both signs and sizes between 0.2 and 2: Adam's step is then well defined
        grad_steps = [{key: (rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)
                       for key, shape in shapes.items()} for _ in range(steps)]
        desc = (f"Adam(lr={lr}, beta1={beta1}, beta2={beta2}), parameters "
                + ", ".join(f"{key} {shape}" for key, shape in shapes.items())
                + f", {np.dtype(dtype).name}")
        opt = _call(check, f"{_name(cls)}(lr, beta1, beta2)", desc,
                    lambda: cls(lr=lr, beta1=beta1, beta2=beta2))
        params = {key: val.copy() for key, val in params0.items()}
        arrays = dict(params)
        refs = {mode: _adam_reference(params0, grad_steps, lr, beta1, beta2, mode)
                for mode in ("book", "textbook", *_ADAM_MISTAKES)}
        got_history = []
        for step, grads in enumerate(grad_steps, start=1):
            grads_in = {key: g.copy() for key, g in grads.items()}
            case = f"{desc}, step {step} of {steps}"
            _call(check, "update", case, opt.update, params, grads_in,
                  hint="if m and v are one array for all parameters, keep one per key: "
                       "self.m[key], self.v[key]" if len({g.shape for g in grads.values()}) > 1 else None)
            if not all(np.array_equal(grads_in[key], grads[key]) for key in shapes):
                raise AssertionError(_message(f"{check}: update changed grads on {case}.",
                                              "Read the gradients; do not write into them."))
            for key in shapes:
                if params.get(key) is not arrays[key]:
                    same = np.array_equal(arrays[key], params0[key])
                    raise AssertionError(_message(
                        f"{check}: after update, params[{key!r}] is a new array on {case}.",
                        "Likely cause: params[key] = params[key] - ... makes a new array, and the "
                        "layers keep using the old one" + (" (which did not change)" if same else "")
                        + ": update in place with params[key] -= ..."))
                _check_dtype(check, f"update (params[{key!r}])", arrays[key], dtype, case)
            got_history.append({key: arrays[key].astype(np.float64) for key in shapes})
            if all(np.array_equal(arrays[key], params0[key]) for key in shapes) and step == 1:
                raise AssertionError(_message(
                    f"{check}: update did not change the parameters on {case}.",
                    "Likely cause: the step is applied to a copy (p = params[key].copy(), or p = "
                    "p - ...); change the arrays in params in place: params[key] -= ..."))

            def matches(mode):
                """Do all steps so far agree with the reference ``mode``, to a thousandth of lr?"""
                return refs[mode] is not None and all(
                    np.allclose(got_history[s][key], refs[mode][s][key], rtol=1e-6, atol=1e-3 * lr)
                    for s in range(step) for key in shapes)
            if matches("book") or matches("textbook"):
                continue
            key = next(key for key in shapes
                       if not np.allclose(got_history[-1][key], refs["book"][step - 1][key],
                                          rtol=1e-6, atol=1e-3 * lr))
            got, exp = got_history[-1][key], refs["book"][step - 1][key]
            if not np.all(np.isfinite(got)):
                _fail(check, case, f"params[{key!r}] contains NaN or infinity.",
                      hint="a square root of a negative number (v averages the squared gradient, "
                           "g * g), or 0 / 0 (t must be 1 at the first step: add 1 to self.iter "
                           "before computing the step)")
            before = got_history[-2][key] if step > 1 else params0[key].astype(np.float64)
            step_got, step_exp = got - before, exp - before
            i = np.unravel_index(np.argmax(np.abs(step_got - step_exp)), step_got.shape)
            when = "the first step" if step == 1 else f"after {step - 1} right step{'s' if step > 2 else ''}"
            detail = (f"The step of params[{key!r}] at index {list(map(int, i))}: expected "
                      f"{_fmt(step_exp[i])}, got {_fmt(step_got[i])} ({when}).")
            hint = next((h for mode, h in _ADAM_MISTAKES.items() if matches(mode)), None)
            if hint is None and np.allclose(step_got, -step_exp, rtol=1e-3, atol=1e-3 * lr):
                hint = "the step goes uphill: subtract it from the parameters"
            _fail(check, case, detail, hint=hint)
    _passed(check, f"{len(_ADAM_CASES)} runs of 1-10 steps, several parameters, float32 and float64")


def check_trained_network(net, x_test, t_test, min_accuracy):
    """Check that ``net.predict`` classifies at least ``min_accuracy`` of ``(x_test, t_test)`` right.

    ``t_test``: labels ``(N,)`` or one-hot ``(N, classes)``.  Prints the accuracy
    with its binomial standard error ``sqrt(p (1 - p) / N)``: on 1,000 test
    images an accuracy of 98 % is uncertain by about 0.4 %.
    """
    check = "check_trained_network"
    x_test, t_test = np.asarray(x_test), np.asarray(t_test)
    if t_test.ndim == 2:
        t_test = np.argmax(t_test, axis=1)
    if not 0 <= min_accuracy <= 1:
        raise ValueError(f"min_accuracy is a fraction between 0 and 1 (0.95 for 95 %), got {min_accuracy}")
    if len(x_test) != len(t_test) or len(x_test) == 0:
        raise ValueError(f"x_test and t_test must hold the same number (> 0) of examples; got "
                         f"{len(x_test)} images and {len(t_test)} labels")
    correct, classes = 0, None
    for start in range(0, len(x_test), 100):
        xb = x_test[start:start + 100]
        case = f"test images {start} to {start + len(xb) - 1}, shape {xb.shape}"
        scores = _array(check, "net.predict", _call(check, "net.predict", case, net.predict, xb), case)
        if scores.ndim != 2 or scores.shape[0] != len(xb):
            raise AssertionError(_message(
                f"{check}: net.predict returned shape {scores.shape} for {len(xb)} images; "
                "expected one row of class scores per image."))
        if not np.all(np.isfinite(scores)):
            raise AssertionError(_message(
                f"{check}: the network's scores contain NaN or infinity ({case}).",
                "Likely cause: training diverged; lower the learning rate and train again."))
        classes = scores.shape[1]
        correct += int(np.sum(np.argmax(scores, axis=1) == t_test[start:start + 100]))
    n = len(x_test)
    acc = correct / n
    se = np.sqrt(acc * (1 - acc) / n)
    summary = f"accuracy {100 * acc:.1f} % ± {100 * se:.1f} % on {n} test images"
    if acc < min_accuracy:
        # guessing: always the most frequent class, or at random (1 / classes)
        chance = max(1 / classes, np.bincount(t_test.astype(int)).max() / n)
        if acc <= chance + 3 * np.sqrt(chance * (1 - chance) / n):
            hint = ("the network guesses at chance level: has it been trained (train() run on "
                    "this very network)? Is the loss going down?")
        elif min_accuracy - acc < 2 * se:
            hint = ("within two standard errors of the target: test on more images to tell, "
                    "or train a little longer.")
        else:
            hint = "train for more epochs, or check the learning rate."
        raise AssertionError(_message(f"{check}: {summary}, below the "
                                      f"{100 * min_accuracy:g} % asked.", f"Likely cause: {hint}"))
    _passed(check, f"{summary}; at least {100 * min_accuracy:g} % asked")


# ---------------------------------------------------------------------------
# Chapter 5: geometric transforms by inverse mapping
# ---------------------------------------------------------------------------

def _sample_bilinear(x, src_r, src_c, nearest=False, edge=False):
    """Read the batch ``x`` (N, C, H, W) at the source coordinates ``src_r``, ``src_c`` (H, W).

    Bilinear interpolation between the four pixels around each point; pixels
    outside the image count as 0 (``edge=True``: as the nearest edge pixel).
    """
    H, W = x.shape[2:]
    x = x.astype(np.float64)
    if nearest:
        src_r, src_c = np.floor(src_r + 0.5), np.floor(src_c + 0.5)
    if edge:
        src_r, src_c = np.clip(src_r, 0, H - 1), np.clip(src_c, 0, W - 1)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    out = np.zeros(x.shape)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c = (r0 + dr).astype(int), (c0 + dc).astype(int)
            inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
            values = x[:, :, np.clip(r, 0, H - 1), np.clip(c, 0, W - 1)]
            out += np.where(inside, wr * wc, 0.0) * values
    return out


def _shift_reference(x, dx, dy, **how):
    """Content moved dx pixels right and dy down: output (r, c) reads input (r - dy, c - dx).

    dx, dy: numbers, or arrays with one value per image.
    """
    if np.ndim(dx) or np.ndim(dy):
        dx, dy = np.broadcast_to(dx, (len(x),)), np.broadcast_to(dy, (len(x),))
        return np.concatenate([_shift_reference(x[n:n + 1], dx[n], dy[n], **how) for n in range(len(x))])
    H, W = x.shape[2:]
    rows, cols = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij")
    return _sample_bilinear(x, rows - dy, cols - dx, **how)


def _rotate_reference(x, degrees, centre=None, **how):
    """Counter-clockwise rotation about ``centre`` (default the image centre ((H-1)/2, (W-1)/2))."""
    H, W = x.shape[2:]
    cr, cc = ((H - 1) / 2, (W - 1) / 2) if centre is None else centre
    rows, cols = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64), indexing="ij")
    u, v = rows - cr, cols - cc
    t = np.deg2rad(degrees)
    # rows point down, so a counter-clockwise turn on screen reads the source at
    # (cos t * u + sin t * v, -sin t * u + cos t * v) around the centre
    return _sample_bilinear(x, np.cos(t) * u + np.sin(t) * v + cr, -np.sin(t) * u + np.cos(t) * v + cc, **how)


def _image_batch(shape, dtype, seed):
    """Random images in [0, 1) with a bright blob, so that moving them shows."""
    rng = np.random.default_rng(seed)
    x = rng.random(shape) * 0.5
    H, W = shape[2:]
    x[:, :, H // 4:H // 4 + max(1, H // 3), W // 5:W // 5 + max(1, W // 3)] += 0.5
    return x.astype(dtype)


def _transform_check(check, fn, cases, reference, variants_for, what):
    for k, (shape, params, dtype) in enumerate(cases):
        x0 = _image_batch(shape, dtype, 800 + k)
        x = x0.copy()
        desc = f"x {shape}, {what(params)}, {np.dtype(dtype).name}"
        expected = reference(x0, *params)
        got = _array(check, _name(fn), _call(check, _name(fn), desc, fn, x, *params), desc)
        _check_dtype(check, _name(fn), got, dtype, desc)
        hints = [((shape[0], shape[2], shape[3]), "keep the channel axis: the output has the input's "
                                                   "shape (N, C, H, W)")]
        _compare(check, "the output", got, expected, desc, dtype,
                 variants=lambda: variants_for(x0, *params), shape_hints=hints,
                 zero_hint="every output pixel reads the input at its source point",
                 last_hint=_holes_hint)
        if not np.array_equal(x, x0):
            raise AssertionError(_message(f"{check}: {_name(fn)} changed its input on {desc}.",
                                          "Write the result into a new array."))
    return len(cases)


def _per_image(value):
    """A shift as the message shows it: 1.5, or [1.0, -2.0, 0.5] (one per image)."""
    return str(np.asarray(value).tolist()) if np.ndim(value) else f"{value}"


def _holes_hint(got, expected):
    """Forward mapping leaves output pixels that no input pixel reached at 0."""
    holes = (got == 0) & (expected > 0.05)
    holes[:, :, [0, -1], :] = False
    holes[:, :, :, [0, -1]] = False
    if np.any(holes):
        return ("some output pixels stayed 0 although their source lies inside the image: "
                "holes left by sending input pixels forward; loop over the output pixels and "
                "read the input at each one's source point (inverse mapping)")
    return None


_SHIFT_CASES = [  # (shape, (dx, dy), dtype)
    ((1, 1, 4, 5), (1, 0), np.float64),
    ((1, 1, 4, 5), (0, 2), np.float64),
    ((2, 1, 5, 6), (-2, 1), np.float64),
    ((1, 1, 4, 5), (0.5, 0), np.float64),
    ((2, 3, 6, 5), (1.25, -0.75), np.float32),
    ((3, 2, 7, 8), (-2.5, 3.4), np.float64),
    ((1, 1, 4, 4), (6, 0), np.float64),
    ((2, 1, 28, 28), (3.3, -1.7), np.float32),
    ((3, 2, 5, 6), (np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, -1.5])), np.float64),
    ((2, 1, 6, 6), (np.array([0.25, 2.0]), 1.0), np.float32),
]


def check_shift(fn):
    """Check ``fn(x, dx, dy)``: move every image of the batch ``dx`` pixels right and ``dy`` down.

    x ``(N, C, H, W)``; dx, dy real numbers, or arrays ``(N,)`` with one shift
    per image (the last cases).
    Inverse mapping: output pixel ``(r, c)`` takes the input's value at
    ``(r - dy, c - dx)``, by bilinear interpolation between the four pixels
    around that point; pixels outside the image count as 0, so what comes in
    from outside is 0.  The output has the input's shape.  This is what
    ``course_lib.augment.shift(x, dx, dy)`` does (its default ``fill=0``).
    """
    _require("check_shift", fn, "function")

    def variants(x, dx, dy):
        out = [(_shift_reference(x, -dx, -dy), "the content moved the wrong way: positive dx "
                                               "moves it right, so output (r, c) reads the input "
                                               "at (r - dy, c - dx)"),
               (_shift_reference(x, dy, dx), "dx and dy are exchanged: dx is horizontal (columns), "
                                             "dy vertical (rows)"),
               (_shift_reference(x, dx, dy, edge=True), "pixels from outside the image must be 0, not "
                                                        "the nearest edge pixel")]
        if np.ndim(dx) or np.ndim(dy):
            return out
        if dx == int(dx) and dy == int(dy):
            out.append((np.roll(x, (int(dy), int(dx)), axis=(2, 3)),
                        "the image wrapped around (np.roll): what comes in from outside must be 0"))
        else:
            out += [(_shift_reference(x, dx, dy, nearest=True),
                     "fractional shifts are rounded to whole pixels: interpolate bilinearly "
                     "between the four pixels around the source point"),
                    (_shift_reference(x, int(dx), int(dy)),
                     "the fractional part of the shift is dropped (int()): interpolate bilinearly")]
        return out
    n = _transform_check("check_shift", fn, _SHIFT_CASES, _shift_reference, variants,
                         lambda p: f"dx={_per_image(p[0])}, dy={_per_image(p[1])}")
    _passed("check_shift", f"{n} cases: whole, fractional and per-image shifts, float32 and float64")


_ROTATE_CASES = [  # (shape, (degrees,), dtype)
    ((1, 1, 5, 5), (90,), np.float64),
    ((1, 1, 4, 4), (90,), np.float64),
    ((1, 1, 4, 6), (180,), np.float64),
    ((1, 1, 5, 5), (30,), np.float64),
    ((2, 3, 6, 7), (-45,), np.float32),
    ((2, 1, 8, 5), (10,), np.float64),
    ((3, 2, 6, 6), (0,), np.float64),
    ((1, 1, 28, 28), (15,), np.float32),
]


def check_rotate(fn):
    """Check ``fn(x, degrees)``: turn every image of the batch counter-clockwise about its centre.

    x ``(N, C, H, W)``; degrees a real number (positive: counter-clockwise on
    screen, as in mathematics).  The centre of an ``H x W`` image is
    ``((H - 1) / 2, (W - 1) / 2)``.  Inverse mapping: output pixel ``(r, c)``,
    at ``(u, v) = (r - centre_r, c - centre_c)``, takes the input's value at
    ``(cos t * u + sin t * v, -sin t * u + cos t * v) + centre`` by bilinear
    interpolation, pixels outside the image counting as 0.  This is what
    ``course_lib.augment.rotate(x, degrees)`` does (its default ``fill=0``).
    """
    _require("check_rotate", fn, "function")

    def variants(x, deg):
        H, W = x.shape[2:]
        return [(_rotate_reference(x, -deg), "the images turned clockwise: positive angles turn "
                                             "counter-clockwise; with rows pointing down, output "
                                             "(u, v) reads (cos t u + sin t v, -sin t u + cos t v)"),
                (_rotate_reference(x, np.rad2deg(deg)), "the angle in degrees went into np.cos and "
                                                        "np.sin, which take radians: np.deg2rad(degrees)"),
                (_rotate_reference(x, deg, centre=(H / 2, W / 2)),
                 "the turn is about (H/2, W/2); the centre of the pixels 0 .. H-1 is ((H - 1) / 2, "
                 "(W - 1) / 2)"),
                (_rotate_reference(x, deg, centre=(0, 0)), "the turn is about the top-left corner: "
                                                           "subtract the centre first, add it back after"),
                (_rotate_reference(x, deg, nearest=True), "the source point is rounded to the nearest "
                                                          "pixel: interpolate bilinearly")]
    n = _transform_check("check_rotate", fn, _ROTATE_CASES, _rotate_reference, variants,
                         lambda p: f"degrees={p[0]}")
    _passed("check_rotate", f"{n} cases: quarter turns to small angles, float32 and float64")


# ---------------------------------------------------------------------------
# Chapter 6: the backward pass of a residual block
# ---------------------------------------------------------------------------

class _Conv:
    """A plain convolution layer for the check (book API): forward, backward, dW, db."""

    def __init__(self, W, b, stride=1, pad=1):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x, train_flg=None):
        self.x = x
        return conv_forward_naive(x, self.W, self.b, self.stride, self.pad).astype(x.dtype)

    def backward(self, dout):
        dx, self.dW, self.db = conv_backward_naive(dout, self.x, self.W, self.stride, self.pad)
        return dx

    def __repr__(self):
        return f"Convolution(W {self.W.shape}, pad {self.pad})"


class _Relu:
    """ReLU for the check (book API)."""

    def forward(self, x, train_flg=None):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx

    def __repr__(self):
        return "Relu()"


def _branch_forward(x, params):
    W1, b1, W2, b2 = params
    return conv_forward_naive(np.maximum(conv_forward_naive(x, W1, b1, 1, 1), 0), W2, b2, 1, 1)


def check_residual_backward(block):
    """Check the backward pass of a residual block ``out = branch(x) + x``.

    The branch is given: a list ``layers = [Convolution, Relu, Convolution]``
    (3x3 filters, pad 1, so the shape is kept), each with the book's
    ``forward(x)`` and ``backward(dout)``; a convolution's backward sets its
    ``dW`` and ``db``.  Pass either

    * a class: ``block = cls(layers)``, ``out = block.forward(x)`` must return
      ``branch(x) + x`` and ``dx = block.backward(dout)`` the gradient with
      respect to x, having run every layer's backward; or
    * a function ``residual_backward(dout, layers)``, called after the check
      has run the branch forward (every layer holds its input), returning dx.

    dx and the convolutions' dW and db are compared with numerical derivatives
    of ``sum(out * dout)``.
    """
    check = "check_residual_backward"
    is_class = isinstance(block, type)
    if not is_class:
        _require(check, block, "function")
    cases = [((1, 2, 3, 4), np.float64), ((2, 3, 5, 4), np.float64), ((2, 2, 4, 4), np.float32)]
    for k, (shape, dtype) in enumerate(cases):
        rng = np.random.default_rng(900 + k)
        C = shape[1]
        x64 = rng.standard_normal(shape)
        params = [rng.standard_normal((C, C, 3, 3)) * 0.5, rng.standard_normal(C) * 0.5,
                  rng.standard_normal((C, C, 3, 3)) * 0.5, rng.standard_normal(C) * 0.5]
        d64 = rng.standard_normal(shape)
        conv1 = _Conv(params[0].astype(dtype), params[1].astype(dtype))
        conv2 = _Conv(params[2].astype(dtype), params[3].astype(dtype))
        layers = [conv1, _Relu(), conv2]
        x, dout = x64.astype(dtype), d64.astype(dtype)
        desc = f"x {shape}, branch [conv 3x3 pad 1, relu, conv 3x3 pad 1], {np.dtype(dtype).name}"
        expected_out = _branch_forward(x64, params) + x64
        if is_class:
            obj = _call(check, f"{_name(block)}(layers)", desc, block, list(layers))
            out = _array(check, "forward", _call(check, "forward", desc, obj.forward, x), desc)
            _check_dtype(check, "forward", out, dtype, desc)
            _compare(check, "the forward output", out, expected_out, desc, dtype,
                     variants=lambda: [(expected_out - x64, "forward must add the input: out = "
                                                            "branch(x) + x"),
                                       (np.maximum(expected_out, 0), "a ReLU after the sum is not part of "
                                                                     "this block: out = branch(x) + x")])
            dx = _call(check, "backward", desc, obj.backward, dout)
        else:
            h = x
            for layer in layers:
                h = layer.forward(h)
            dx = _call(check, _name(block), desc, block, dout, layers)
        if not np.array_equal(dout, d64.astype(dtype)):
            raise AssertionError(_message(f"{check}: backward changed dout in place on {desc}.",
                                          "Likely cause: dx = dout; dx += ... makes dx the same array "
                                          "as dout: start from dout.copy() or write dx = dout + ..."))
        dx = _array(check, "backward" if is_class else _name(block), dx, desc)
        _check_dtype(check, "backward", dx, dtype, desc)

        # the exact gradients, from the loop versions; on the first case also numerically
        a1 = conv_forward_naive(x64, params[0], params[1], 1, 1)
        g2, dW2, db2 = conv_backward_naive(d64, np.maximum(a1, 0), params[2], 1, 1)
        g0, dW1, db1 = conv_backward_naive(g2 * (a1 > 0), x64, params[0], 1, 1)
        exact_dx = d64 + g0
        if k == 0:
            def loss():
                return float(np.sum((_branch_forward(x64, params) + x64) * d64))
            exact_dx = _numerical_gradient(loss, x64)
            dW1, db1, dW2, db2 = (_numerical_gradient(loss, p) for p in params)

        def variants():
            f1 = conv_backward_naive(d64, x64, params[0], 1, 1)[0] * (a1 > 0)
            forward_order = conv_backward_naive(f1, np.maximum(a1, 0), params[2], 1, 1)[0]
            return [(g0, "the skip connection's gradient is missing: dx = dout + (the gradient "
                         "through the branch)"),
                    (d64, "only the skip path: also send dout back through the branch's layers, "
                          "in reverse order, and add what comes out"),
                    (d64 + forward_order, "the branch's layers must be gone through in reverse "
                                          "order: for layer in reversed(layers)"),
                    (2 * d64 + g0, "dout is added twice: dx = dout + branch gradient")]
        _compare(check, "dx", dx, exact_dx, desc, np.float32 if k == 0 else dtype, variants=variants,
                 zero_hint="backward must return dx = dout + the gradient through the branch")
        for name, layer, eW, eb in (("the first convolution", conv1, dW1, db1),
                                    ("the second convolution", conv2, dW2, db2)):
            if layer.dW is None:
                _fail(check, desc, f"{name}'s backward was never called (its dW is not set).",
                      hint="call backward on every layer of the branch, last layer first")
            tol = np.float32 if k == 0 else dtype    # numerical derivatives agree to about 1e-8
            _compare(check, f"{name}'s dW", np.asarray(layer.dW), eW, desc, tol)
            _compare(check, f"{name}'s db", np.asarray(layer.db), eb, desc, tol)
    _passed(check, f"{len(cases)} cases: dx, dW, db vs numerical gradients, float32 and float64")
