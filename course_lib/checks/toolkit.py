"""What every chapter check shares: messages, calling student code, comparing arrays.

Every sentence a student reads is written once, as a complete sentence
template with named placeholders, and filled in by :func:`say`; a translated
edition puts its catalog in front of that one function (``gettext``), so that
no check needs to change.  A placeholder holds a number, a shape, a case
description, a name from the student's code (``im2col(...)``, ``layer.dW``) or
another complete message (a likely cause): never a fragment of a sentence.

The rest: :func:`call` runs student code and turns its exceptions into
messages; :func:`as_array` and :func:`check_dtype` look at what came back;
:func:`compare` says how a result differs from the expected one, recognising
typical mistakes; :func:`numerical_gradient` is ``course_lib.gradcheck``'s.
"""
import inspect

import numpy as np

from .. import i18n
from ..gradcheck import numerical_gradient

__all__ = ["say", "use_catalog", "message", "fail", "passed", "likely", "call", "require",
           "as_array", "check_dtype",
           "compare", "close", "first_difference", "numerical_gradient", "out_size", "name",
           "unchanged",
           "CACHE_HINT", "WIDTH"]

WIDTH = 79
_catalog = None


def use_catalog(catalog):
    """Translate every message from now on with ``catalog.gettext`` (``None``: English again).

    ``catalog``: a ``gettext.GNUTranslations`` (or anything with ``gettext(text)``).
    """
    global _catalog
    _catalog = catalog


def say(template, **fields):
    """The student-facing sentence ``template`` with its named ``fields`` filled in.

    The one place every message passes through: ``template`` is translated into the
    language in use (:mod:`course_lib.i18n`), or by a catalog installed with
    :func:`use_catalog`, before it is filled in.
    """
    text = i18n.gettext(template) if _catalog is None else _catalog.gettext(template)
    return text.format(**fields)


def message(*paragraphs):
    """Paragraphs wrapped at word boundaries; the first leaves room for 'AssertionError: '."""
    lines = []
    for k, p in enumerate(p for p in paragraphs if p):
        indent = " " * 16 if k == 0 else ""
        lines.append(i18n.fill(str(p), WIDTH, initial_indent=indent, break_long_words=False,
                               break_on_hyphens=False)[len(indent):])
    return "\n".join(lines)


def likely(hint):
    """The paragraph that names the likely cause, or None without one."""
    return say("Likely cause: {hint}", hint=hint) if hint else None


def fail(check, case, *details, hint=None):
    """Raise the AssertionError that teaches: the case, what came back, the likely cause."""
    raise AssertionError(message(say("{check}: wrong result for {case}.", check=check, case=case),
                                 *details, likely(hint)))


def passed(check, summary):
    """Print the success line, wrapped at word boundaries (a notebook wraps at any character)."""
    print(i18n.fill(say("{check}: passed ({summary})", check=check, summary=summary), WIDTH,
                    subsequent_indent="    ", break_long_words=False, break_on_hyphens=False))


def name(obj):
    """The name a student gave a function or class."""
    return (getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
            or type(obj).__name__)


def out_size(size, f, stride, pad):
    """The output length of a window of length ``f`` sliding over ``size`` (+ padding)."""
    return (size + 2 * pad - f) // stride + 1


# ---------------------------------------------------------------------------
# Calling student code
# ---------------------------------------------------------------------------

# Passed as ``call(..., hint=CACHE_HINT)``: the likely cause of an AttributeError in backward.
CACHE_HINT = ("if an attribute is missing, backward needs what forward saved: store it in self "
              "during forward (self.x = x, ...)")


def call(check, what, case, fn, *args, hint=None):
    """Call student code; turn its exceptions into a message that says where it stopped.

    hint: the likely cause of an exception, or a function that finds it (called only then).
    """
    try:
        return fn(*args)
    except NotImplementedError:
        raise AssertionError(message(
            say("{check}: {what} is not written yet (it raises NotImplementedError).", check=check,
                what=what),
            say("Replace the `raise NotImplementedError` line with your code, run the cell that "
                "defines it, then run this check again."))) from None
    except AssertionError:
        raise
    except Exception as exc:
        if hint is CACHE_HINT:
            hint = (say("if an attribute is missing, backward needs what forward saved: store it "
                        "in self during forward (self.x = x, ...)")
                    if isinstance(exc, AttributeError) else None)
        elif callable(hint):
            hint = hint()
        raise AssertionError(message(
            say("{check}: {what} raised {error} on {case}:", check=check, what=what,
                error=type(exc).__name__, case=case),
            str(exc), likely(hint),
            say("The traceback above shows the line in your code."))) from exc


def require(check, obj, kind):
    """Fail clearly when a check is handed a result or an object instead of a function or class."""
    if kind == "class" and isinstance(obj, type):
        return
    if kind == "function" and callable(obj) and not isinstance(obj, type):
        return
    if kind == "class":
        how = (say("pass the class, not a function.") if inspect.isfunction(obj) else
               say("pass the class itself, e.g. check(Convolution), not an object made from it, "
                   "check(Convolution(W, b))."))
    else:
        how = (say("pass the function, not a class.") if isinstance(obj, type) else
               say("pass the function itself, e.g. check(im2col), not its result, "
                   "check(im2col(x, 3, 3))."))
    fields = dict(check=check, type=type(obj).__name__, value=_short_repr(obj))
    got = (say("{check}: expected your class, got {type} {value}.", **fields) if kind == "class"
           else say("{check}: expected your function, got {type} {value}.", **fields))
    raise AssertionError(message(got, likely(how)))


def _short_repr(obj):
    text = " ".join(repr(obj).split())
    return text if len(text) <= 40 else text[:37] + "..."


def unchanged(check, what, case, pairs, advice):
    """Fail when an input array was changed in place: ``pairs`` of (array after the call, copy)."""
    if all(np.array_equal(after, before) for after, before in pairs):
        return
    raise AssertionError(message(say("{check}: {what} changed its input in place on {case}.",
                                     check=check, what=what, case=case), advice))


# ---------------------------------------------------------------------------
# What came back
# ---------------------------------------------------------------------------

def as_array(check, what, value, case):
    """The result as an ndarray; None and non-numeric results fail with a hint."""
    if value is None:
        raise AssertionError(message(say("{check}: {what} returned None on {case}.", check=check,
                                         what=what, case=case),
                                     say("Did you forget the `return` statement?")))
    if isinstance(value, tuple) and value and all(isinstance(v, np.ndarray) for v in value):
        raise AssertionError(message(say(
            "{check}: {what} returned a tuple of {count} arrays on {case}; it should return one "
            "array.",
            check=check, what=what, count=len(value), case=case)))
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise AssertionError(message(say(
            "{check}: {what} returned {type} of dtype {dtype} on {case}; it should return a NumPy "
            "array of numbers.", check=check, what=what, type=type(value).__name__, dtype=arr.dtype,
            case=case)))
    return arr


def check_dtype(check, what, arr, in_dtype, case, exact=False):
    """Results keep the input's precision: float32 in, float32 or float64 out; float64, float64.

    ``exact=True``: the result must have the input's dtype (a batch of images
    that comes back in float64 doubles the memory of every batch after it).
    """
    in_dtype = np.dtype(in_dtype)
    if arr.dtype == in_dtype or (arr.dtype == np.float64 and not exact):
        return
    if np.issubdtype(arr.dtype, np.integer):
        hint = say("the result holds whole numbers (dtype {dtype}): the array you filled was "
                   "created with an integer dtype, e.g. np.zeros(..., dtype=int) or np.zeros_like "
                   "of an integer array; create it with dtype=x.dtype", dtype=arr.dtype)
    elif exact and arr.dtype == np.float64:
        hint = say("{given} in, float64 out: the images keep their dtype; create the result with "
                   "np.zeros_like(x), or convert it at the end with .astype(x.dtype)",
                   given=in_dtype)
    else:
        hint = say("precision lost: {given} in, {dtype} out; create the result with dtype=x.dtype "
                   "(or let NumPy choose it)", given=in_dtype, dtype=arr.dtype)
    raise AssertionError(message(say("{check}: {what} returned dtype {dtype} on {case}.",
                                     check=check,
                                     what=what, dtype=arr.dtype, case=case), likely(hint)))


# ---------------------------------------------------------------------------
# Comparing a result with the expected one
# ---------------------------------------------------------------------------

def _tolerances(dtype):
    return (1e-4, 1e-4) if np.dtype(dtype) == np.float32 else (1e-7, 1e-9)


def _scale(expected):
    return max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0


def close(got, expected, dtype):
    """Equal within the rounding error of ``dtype`` (relative to the largest expected entry)."""
    if got.shape != expected.shape:
        return False
    rtol, atol = _tolerances(dtype)
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol * _scale(expected)))


def _fmt(v):
    return f"{float(v):.6g}"


def _row(values):
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


def first_difference(got, expected, dtype, what):
    """How many entries differ, and a few numbers, expected and got, from the first that does."""
    rtol, atol = _tolerances(dtype)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol * _scale(expected))
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    fields = dict(what=what, count=int(bad.sum()), total=expected.size)
    if expected.ndim == 0 or expected.shape[-1] == 1:
        return say("In {what}, {count} of {total} entries differ. At {index}: expected {expected}, "
                   "got {got}.", index=list(idx), expected=_fmt(expected[idx]), got=_fmt(got[idx]),
                   **fields)
    row, n = idx[:-1], expected.shape[-1]
    start = max(0, min(idx[-1], n - 4))
    part = slice(start, min(start + 4, n))
    label = ", ".join([str(i) for i in row] + [f"{start}:{part.stop}"])
    return say("In {what}, {count} of {total} entries differ. At [{index}]: expected {expected}, "
               "got {got}.", index=label, expected=_row(expected[row][part]),
               got=_row(got[row][part]),
               **fields)


def _scale_factor(got, expected):
    """The factor c with got = c * expected, if there is one (else None)."""
    denom = float(np.sum(expected * expected))
    if denom == 0:
        return None
    c = float(np.sum(got * expected)) / denom
    if c == 0 or not np.isfinite(c):
        return None
    if np.allclose(got, c * expected, rtol=1e-4, atol=1e-6 * _scale(expected)):
        return c
    return None


def _shape_hint(got, expected, shape_hints):
    for shape, hint in shape_hints:
        if tuple(got.shape) == tuple(shape):
            return hint
    if got.ndim == 2 and got.shape == expected.shape[::-1]:
        return say("the result is transposed: check which axis is which")
    return None


def _fail_if_unusable(check, what, got, expected, case, dtype, shape_hints):
    """A wrong shape, whole numbers where fractions are due, or NaN."""
    if got.shape != expected.shape:
        fail(check, case, say("{what} has shape {got}, expected {expected}.", what=what,
                              got=tuple(got.shape), expected=tuple(expected.shape)),
             hint=_shape_hint(got, expected, shape_hints))
    if np.issubdtype(got.dtype, np.integer) and not np.all(expected == np.rint(expected)):
        fail(check, case,
             say("{what} holds whole numbers (dtype {dtype}).", what=what, dtype=got.dtype),
             first_difference(got, expected, dtype, what),
             hint=say("the array you filled was created with an integer dtype, e.g. np.zeros(..., "
                      "dtype=int) or np.zeros_like of an integer array; create it with "
                      "dtype=x.dtype"))
    if not np.all(np.isfinite(got)):
        fail(check, case, say("{what} contains NaN or infinity.", what=what),
             hint=say("an array was used before it was filled (np.empty), or a division by zero"))


def _generic_hint(what, got, expected, dtype):
    """A likely cause read off the numbers alone: transposed, scaled, or shuffled."""
    if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and close(got,
                                                                  np.swapaxes(expected, -1, -2),
                                                                  dtype):
        return say("{what} is transposed: height and width (or rows and columns) exchanged",
                   what=what)
    c = _scale_factor(got, expected)
    if c is not None:
        ratio = f"{1 / c:.4g}" if abs(1 / c) >= 1 else f"1/{c:.4g}"
        return say("{what} is off by a constant factor: it is the expected result divided by "
                   "{ratio}",
                   what=what, ratio=ratio)
    if np.allclose(np.sort(got, axis=None), np.sort(expected, axis=None), rtol=1e-4, atol=1e-6):
        return say("{what} holds the right numbers in the wrong places: an axis order, a "
                   "transpose or a reshape is off", what=what)
    return None


def compare(check, what, got, expected, case, dtype, variants=(), shape_hints=(), zero_hint=None,
            last_hint=None):
    """Fail with a diagnosis unless ``got`` equals ``expected``.

    variants: ``(array, hint)`` pairs, the results of typical mistakes (or a
    function returning them, called only on a mismatch); when ``got`` matches
    one, its hint is the likely cause.  shape_hints: ``(shape, hint)`` pairs
    for wrong shapes.  zero_hint: the likely cause of an all-zero result.
    last_hint: a function of ``(got, expected)`` giving a hint or None, tried
    when nothing else fits.
    """
    _fail_if_unusable(check, what, got, expected, case, dtype, shape_hints)
    if close(got, expected, dtype):
        return
    detail = first_difference(got, expected, dtype, what)
    if not np.any(got) and np.any(expected):
        fail(check, case, say("{what} is all zeros.", what=what), detail,
             hint=zero_hint or say("the result array is created but never filled in"))
    for variant, hint in (variants() if callable(variants) else variants):
        if variant is not None and close(got, np.asarray(variant, dtype=np.float64), dtype):
            fail(check, case, detail, hint=hint)
    hint = _generic_hint(what, got, expected, dtype)
    fail(check, case, detail, hint=hint or (last_hint(got, expected) if last_hint else None))
