"""Chapter 1: the output size of a convolution, and a convolution by loops."""
import numpy as np

from ..naive import conv_forward_naive
from .toolkit import (as_array, call, check_dtype, compare, fail, likely, message, name, out_size,
                      passed,
                      require, say, unchanged)

__all__ = ["check_conv_output_size", "check_conv_forward_naive"]

# ---------------------------------------------------------------------------
# conv_output_size
# ---------------------------------------------------------------------------

_VALID = [(3, 3, 1, 0), (5, 3, 1, 0), (5, 3, 1, 1), (7, 3, 2, 0), (28, 5, 1, 2), (6, 2, 2, 0),
          (7, 1, 3, 0), (4, 7, 1, 2), (10, 4, 3, 0), (9, 3, 3, 0), (227, 11, 4, 0), (1, 1, 1, 0)]
_INVALID = [(7, 2, 2, 0), (4, 5, 1, 0), (4, 7, 1, 1), (6, 3, 2, 1), (2, 5, 3, 0), (10, 3, 4, 0)]

# Typical wrong formulas; the hint names the one that fits every answer given.
_WRONG_FORMULAS = [
    (lambda H, FH, s, p: (H - FH) / s + 1,
     lambda: say("the padding is missing: add 2*pad to the input size")),
    (lambda H, FH, s, p: (H + p - FH) / s + 1,
     lambda: say("pad is added once; it goes on both sides: 2*pad")),
    (lambda H, FH, s, p: (H + 2 * p - FH) / s,
     lambda: say("the +1 is missing (the first window counts too)")),
    (lambda H, FH, s, p: H + 2 * p - FH / s + 1,
     lambda: say("brackets: write (H + 2*pad - FH) / stride + 1")),
    (lambda H, FH, s, p: (H + 2 * p - FH) + 1,
     lambda: say("the stride is ignored: divide by it")),
]


def _size_case(args):
    return "H={}, FH={}, stride={}, pad={}".format(*args)


def _answer(check, fn, args):
    """``fn(*args)`` for a valid size: a number, or a message that says why not."""
    H, FH, stride, pad = args
    expected = out_size(H, FH, stride, pad)
    try:
        got = fn(*args)
    except ValueError as exc:
        raise AssertionError(message(
            say("{check}: {fn}{args} raised ValueError, but the size is valid: ({H} + 2*{pad} - "
                "{FH}) / {stride} + 1 = {expected}.", check=check, fn=name(fn), args=args, H=H,
                pad=pad, FH=FH,
                stride=stride, expected=expected),
            say("Your message: {text}", text=exc),
            likely(say("the test for a whole number or for the filter size is wrong.")))) from exc
    except Exception:
        got = call(check, name(fn), _size_case(args), fn, *args)   # raises with the message
    if got is None:
        as_array(check, name(fn), None, _size_case(args))
    if isinstance(got, (bool, np.bool_)) or not isinstance(got,
                                                           (int, np.integer, float, np.floating)):
        raise AssertionError(message(say("{check}: {fn}{args} returned {got!r} ({type}); expected "
                                         "the number {expected}.", check=check, fn=name(fn),
                                         args=args, got=got,
                                         type=type(got).__name__, expected=expected)))
    return got


def _judge_answers(check, fn, answers):
    """Every answer right and an int; otherwise the wrong formula that explains them."""
    for args, got in answers:
        expected = out_size(*args)
        if got != expected:
            fits = [h for f, h in _WRONG_FORMULAS if all(np.isclose(f(*a), g) for a, g in answers)]
            fits = fits or [h for f, h in _WRONG_FORMULAS if np.isclose(f(*args), got)]
            fail(check, _size_case(args),
                 say("Expected {expected}, got {got}.", expected=expected, got=got),
                 hint=fits[0]() if len(fits) == 1 else None)
        if not isinstance(got, (int, np.integer)):
            raise AssertionError(message(
                say("{check}: {fn}{args} returned {got!r}, a {type}; array sizes must be whole "
                    "numbers of type int.", check=check, fn=name(fn), args=args, got=got,
                    type=type(got).__name__),
                likely(say("/ always gives a float in Python 3: after checking that the division "
                           "is exact, use // (or int(...))."))))


def _refusal_detail(args, got):
    """Why ``args`` must raise ValueError, and what likely made ``fn`` return ``got`` instead."""
    H, FH, stride, pad = args
    span = H + 2 * pad - FH
    if span < 0:
        detail = say("The filter ({FH}) is larger than the padded input ({H} + 2*{pad} = "
                     "{padded}): there is no window at all, so raise ValueError.", FH=FH, H=H,
                     pad=pad, padded=H + 2 * pad)
        hint = say("check H + 2*pad - FH < 0 too: a negative difference can still divide evenly "
                   "by the stride") if span % stride == 0 else None
    else:
        detail = say("({H} + 2*{pad} - {FH}) / {stride} + 1 = {value:g} is not a whole number: "
                     "the last window hangs over the edge, so raise ValueError.", H=H, pad=pad,
                     FH=FH, stride=stride,
                     value=span / stride + 1)
        hint = say("rounding down with // hides the problem; test (H + 2*pad - FH) % stride "
                   "first") if got == span // stride + 1 else None
    return detail, hint


def _refuses(check, fn, args):
    """``fn(*args)`` must raise ValueError, with a message that says which numbers do not fit."""
    try:
        got = fn(*args)
    except NotImplementedError:
        call(check, name(fn), _size_case(args), fn, *args)
    except ValueError as exc:
        if not str(exc).strip():
            raise AssertionError(message(
                say("{check}: {fn}{args} raised ValueError without a message.", check=check,
                    fn=name(fn),
                    args=args),
                likely(say("raise ValueError() says nothing to whoever meets it: give it a "
                           "message that names the numbers that do not fit and why, as in raise "
                           "ValueError(\"(7 + 2*0 - 2) / 2 + 1 is not a whole number\")."))))
        return
    except Exception as exc:
        raise AssertionError(message(
            say("{check}: {fn}{args} raised {error}: {text}", check=check, fn=name(fn), args=args,
                error=type(exc).__name__, text=exc),
            say("The course's convention is ValueError, with a message saying which numbers do "
                "not fit: raise ValueError(...)."))) from exc
    detail, hint = _refusal_detail(args, got)
    fail(check, _size_case(args), say("Expected ValueError, got {got!r}.", got=got), detail,
         hint=hint)


def check_conv_output_size(fn):
    """Check ``fn(H, FH, stride, pad)``: the output length of a convolution along one axis.

    The course's rule: ``(H + 2*pad - FH) / stride + 1`` as an ``int``; raise
    ``ValueError``, with a message saying which numbers do not fit, when that
    is not a whole number (the last window would hang over the edge) or when
    the filter is larger than the padded input.
    """
    check = "check_conv_output_size"
    require(check, fn, "function")
    answers = [(args, _answer(check, fn, args)) for args in _VALID]
    _judge_answers(check, fn, answers)
    for args in _INVALID:
        _refuses(check, fn, args)
    passed(check,
           say("{valid} valid sizes, {invalid} that must raise ValueError", valid=len(_VALID),
                      invalid=len(_INVALID)))


# ---------------------------------------------------------------------------
# conv_forward_naive (the cases serve chapter 2's Convolution too)
# ---------------------------------------------------------------------------

CONV_CASES = [  # (N, C, H, W, FN, FH, FW, stride, pad, dtype): small first
    (1, 1, 3, 3, 1, 2, 2, 1, 0, np.float64),
    (1, 1, 4, 5, 1, 2, 3, 1, 0, np.float64),
    (1, 2, 4, 4, 3, 3, 3, 1, 1, np.float64),
    (2, 3, 5, 7, 2, 3, 3, 2, 1, np.float64),
    (2, 2, 7, 6, 2, 3, 2, 3, 1, np.float32),
    (3, 3, 6, 8, 4, 2, 4, 2, 2, np.float64),
]


def random_conv_geometry(rng, count):
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


def conv_cases(extra_seed=7):
    """The fixed convolution cases plus two random geometries, as dicts with their arrays."""
    specs = list(CONV_CASES)
    extra = random_conv_geometry(np.random.default_rng(extra_seed), 2)
    for k, (fh, fw, stride, pad, H, W) in enumerate(extra):
        specs.append((2, 2, H, W, 3, fh, fw, stride, pad, (np.float32, np.float64)[k % 2]))
    cases = []
    for k, (N, C, H, W, FN, FH, FW, stride, pad, dtype) in enumerate(specs):
        rng = np.random.default_rng(100 + k)
        x = rng.standard_normal((N, C, H, W)).astype(dtype)
        Wt = rng.standard_normal((FN, C, FH, FW)).astype(dtype)
        b = (rng.standard_normal(FN) + np.where(rng.random(FN) < 0.5, -1.0, 1.0)).astype(dtype)
        desc = f"x {x.shape}, W {Wt.shape}, stride {stride}, pad {pad}, {np.dtype(dtype).name}"
        cases.append(dict(x=x, W=Wt, b=b, stride=stride, pad=pad, dtype=dtype, desc=desc))
    return cases


def conv_summary(cases):
    """'9 cases: strides 1-3, pads 0-2, float32 and float64' for the success line."""
    strides = [c["stride"] for c in cases]
    pads = [c["pad"] for c in cases]
    return say("{count} cases: strides {s0}-{s1}, pads {p0}-{p1}, float32 and float64",
               count=len(cases),
               s0=min(strides), s1=max(strides), p0=min(pads), p1=max(pads))


def conv_shape_hints(x, W, stride, pad):
    """``(shape, hint)`` for the output shapes of typical mistakes."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = out_size(H, FH, stride, pad), out_size(Wd, FW, stride, pad)
    hints = []
    if stride > 1:
        hints.append(((N, FN, H + 2 * pad - FH + 1, Wd + 2 * pad - FW + 1),
                      say("the stride is ignored in the output size: OH = (H + 2*pad - FH) // "
                          "stride + 1")))
    if pad > 0:
        hints.append(((N, FN, out_size(H, FH, stride, 0), out_size(Wd, FW, stride, 0)),
                      say("the padding is missing from the output size: H + 2*pad")))
    hints += [((N, FN, OH - 1, OW - 1), say("the +1 is missing from the output size")),
              ((N, FN, OW, OH), say("height and width exchanged: the output is (N, FN, OH, OW)")),
              ((FN, N, OH, OW), say("the batch axis comes first: the output is (N, FN, OH, OW)")),
              ((N, OH, OW, FN), say("the output must be (N, FN, OH, OW): transpose(0, 3, 1, 2) the "
                                    "(N, OH, OW, FN) array"))]
    if C != FN:
        hints.append(((N, C, OH, OW),
                      say("one output channel per filter: the output has FN channels, not C")))
    return hints


def scrambled_nchw(a):
    """A ``(N, C, H, W)`` array reshaped from ``(N, H, W, C)`` order without a transpose."""
    n, c, h, w = a.shape
    return a.transpose(0, 2, 3, 1).reshape(n, c, h, w)


def unscrambled_nchw(a):
    """What a ``dout`` reshaped without its transpose acts as (undoes :func:`scrambled_nchw`)."""
    n, c, h, w = a.shape
    return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def conv_forward_variants(c, expected):
    """``(output, hint)`` of typical mistakes in a convolution's forward pass."""
    x64, W64, b64 = (c[k].astype(np.float64) for k in ("x", "W", "b"))
    stride, pad = c["stride"], c["pad"]
    bias = b64[None, :, None, None]
    variants = [
        (expected - bias, say("the bias b is missing: add b[f] to every output of filter f")),
        (conv_forward_naive(x64, W64[:, :, ::-1, ::-1].copy(), b64, stride, pad),
         say("the filter is flipped: in deep learning 'convolution' is cross-correlation, so use "
             "W as it is")),
        (scrambled_nchw(expected),
         say("the (N*OH*OW, FN) result was reshaped straight to (N, FN, OH, OW): "
             "reshape to (N, OH, OW, FN), then transpose(0, 3, 1, 2)")),
        (expected - bias + b64.sum(),
         say("every filter gets the sum of all biases: add only b[f]")),
    ]
    OH, OW = expected.shape[2:]
    if stride > 1:
        dense = conv_forward_naive(x64, W64, b64, 1, pad)
        variants.append((dense[:, :, :OH, :OW],
                         say("the windows start at (i, j), not at (i*stride, j*stride)")))
    if pad > 0:
        inner = _unpadded(x64, W64, b64, stride)
        if inner is not None and inner.shape == expected.shape:
            variants.append((inner, say("the input is not padded")))
    return variants


def _unpadded(x64, W64, b64, stride):
    """The convolution without padding, when its windows fit exactly."""
    (H, W), (FH, FW) = x64.shape[2:], W64.shape[2:]
    if H < FH or W < FW or (H - FH) % stride or (W - FW) % stride:
        return None
    return conv_forward_naive(x64, W64, b64, stride, 0)


def check_conv_forward_naive(fn):
    """Check ``fn(x, W, b, stride, pad)``: convolution by loops.

    x ``(N, C, H, W)``, W ``(FN, C, FH, FW)``, b ``(FN,)``; the result is
    ``(N, FN, OH, OW)`` with ``out[n, f, i, j] = sum(window * W[f]) + b[f]``,
    the window being ``xpad[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW]``.
    """
    check = "check_conv_forward_naive"
    require(check, fn, "function")
    what = f"{name(fn)}(...)"
    cases = conv_cases()
    for c in cases:
        x, W, b = c["x"].copy(), c["W"].copy(), c["b"].copy()
        expected = conv_forward_naive(*(c[k].astype(np.float64) for k in ("x", "W", "b")),
                                      c["stride"], c["pad"])
        got = as_array(check, what,
                       call(check, name(fn), c["desc"], fn, x, W, b, c["stride"], c["pad"]),
                       c["desc"])
        check_dtype(check, what, got, c["dtype"], c["desc"])
        compare(check, what, got, expected, c["desc"], c["dtype"],
                variants=lambda: conv_forward_variants(c, expected),
                shape_hints=conv_shape_hints(c["x"], c["W"], c["stride"], c["pad"]))
        unchanged(check, name(fn), c["desc"], [(x, c["x"]), (W, c["W"]), (b, c["b"])],
                  say("Pad into a new array (np.pad) instead of writing into x or W."))
    passed(check, conv_summary(cases))
