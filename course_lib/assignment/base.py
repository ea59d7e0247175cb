"""What every graded part of the Fashion-MNIST assignment is made of, and how answers are compared.

Each autograded part is a :class:`Part` (one module of this package per part of
the assignment defines its own):

- ``call``: Python source that calls the student's code on one case (``IN``,
  a dict of arrays) and stores what comes back in ``OUT``; the same source runs
  in the notebook's test cell and in the grader's probe, so both call the code
  the same way;
- ``fixed``: the cases the notebook's test cell checks (the same for everyone);
- ``fresh(rng)``: cases the grader draws for each student;
- ``expect(case)``: the expected values, from the course's reference code
  (``course_lib.naive``, ``course_lib.functional``) or a few lines here, with the
  error each entry may have (see below) and the outputs of typical mistakes;
- ``judge(case, out, exp)``: None when the answer is right, otherwise a
  message naming what was expected, what came back and the likely cause.

Tolerances come from error analysis, not from trial: an answer may be computed
in float32 (the course's default) or float64, in any order.  A sum of ``k``
products computed in floating point is off by at most about ``k * u`` times the
same sum taken over the absolute values (``u``: float32's unit roundoff,
2**-24), so every entry gets its own bound, ``4 * (k + 2) * u * |sum|``,
computed by the reference code on absolute values.  A wrong answer is off by
the size of the entries themselves, orders of magnitude more.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..i18n import _

U = 2.0 ** -24                      # float32's unit roundoff: answers in float32 are welcome
RNG = 20251


@dataclass
class Part:
    grade_id: str
    name: str | Callable[[], str]       # the title, or a function that gives it translated
    call: str
    fixed: Callable
    fresh: Callable
    expect: Callable
    judge: Callable
    describe: Callable

    @property
    def title(self) -> str:
        """What the part is called in messages, in the language in use."""
        return self.name() if callable(self.name) else self.name


# --------------------------------------------------------------------------
# Comparing with a bound
# --------------------------------------------------------------------------

def compare(what, got, want, bound, hints=()):
    """None if ``got`` matches ``want`` entry by entry within ``bound``; else a message.

    ``hints``: (name of a typical mistake, its output) pairs; when ``got`` is that
    output, the message names the mistake.
    """
    if got is None:
        return _("{what} is missing (the code returned None?)", what=what)
    got = np.asarray(got)
    if got.dtype == object or not np.issubdtype(got.dtype, np.number):
        return _("{what} should be an array of numbers, got {dtype} values", what=what,
                 dtype=got.dtype)
    if got.shape != want.shape:
        for cause, value in hints:
            if np.shape(value) == got.shape:
                return _("{what} has shape {shape} instead of {expected}: {cause}", what=what,
                         shape=got.shape, expected=want.shape, cause=cause)
        return _("{what} has shape {shape}, expected {expected}", what=what, shape=got.shape,
                 expected=want.shape)
    g = got.astype(np.float64)
    if not np.all(np.isfinite(g)):
        return _("{what} holds inf or nan", what=what)
    bad = np.abs(g - want) > bound
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    msg = _("{what} is wrong at index {index}: expected {expected:.6g}, got {got:.6g} ({count} of "
            "{total} entries wrong)", what=what, index=idx, expected=want[idx], got=g[idx],
            count=int(bad.sum()), total=bad.size)
    for cause, value in hints:
        if np.shape(value) == g.shape and np.allclose(g, value, rtol=1e-4, atol=1e-6):
            return likely(msg, cause)
    return msg


def likely(message, cause):
    """``message``, then the likely cause of the mistake (both complete sentences)."""
    return _("{message}. Likely cause: {cause}", message=message, cause=cause)


def _maybe(f, *args):
    """A typical mistake's output, or an empty array when the mistake cannot even run here."""
    try:
        return np.asarray(f(*args), dtype=np.float64)
    except (ValueError, IndexError):
        return np.zeros(0)


def _abs_bound(k, abs_value, ref):
    """The error bound of sums of ``k`` products whose absolute values sum to ``abs_value``."""
    return 4 * ((k + 2) * U * np.abs(abs_value) + U * np.abs(ref)) + 1e-300


def _geometry(rng, max_pad=2, max_stride=3):
    """A random convolution geometry whose windows tile the padded input."""
    C, FN, OH, OW = (int(v) for v in rng.integers(1, 5, 4))
    FH, FW = (int(v) for v in rng.choice([1, 2, 3, 5], 2))
    s = int(rng.integers(1, max_stride + 1))
    H, W = (OH - 1) * s + FH, (OW - 1) * s + FW
    p = min(int(rng.integers(0, max_pad + 1)), (H - 1) // 2, (W - 1) // 2)
    return int(rng.integers(1, 4)), C, H - 2 * p, W - 2 * p, FN, FH, FW, s, p


def _i(case, key):
    return int(np.asarray(case[key]))


def _out_hw(case, fh="fh", fw="fw"):
    x = case["x"]
    s, p = _i(case, "stride"), _i(case, "pad") if "pad" in case else 0
    return ((x.shape[2] + 2 * p - _i(case, fh)) // s + 1,
            (x.shape[3] + 2 * p - _i(case, fw)) // s + 1)


def _geometry_text(case, fh="fh", fw="fw"):
    fields = dict(shape=tuple(case["x"].shape), dtype=case["x"].dtype, fh=_i(case, fh),
                  fw=_i(case, fw), stride=_i(case, "stride"))
    if "pad" in case:
        return _("input {shape} ({dtype}), {fh}x{fw} windows, stride {stride}, pad {pad}",
                 pad=_i(case, "pad"), **fields)
    return _("input {shape} ({dtype}), {fh}x{fw} windows, stride {stride}", **fields)


def count_case_text():
    """How a case that counts the lines of Python run is described."""
    return _("a batch of 32 images (vectorised?)")


# --------------------------------------------------------------------------
# Vectorised code: how many lines of Python may run on a batch
# --------------------------------------------------------------------------

COUNT_BATCH = (32, 8, 12, 12)          # 32 images of 8 channels, against 1 image of 1 channel
COUNT_SLACK = 20                       # lines the larger batch may add (a branch or two)


def _count_case(rng, fh=3, fw=3, stride=1, pad=1, dtype=np.float64):
    return {"x": rng.standard_normal(COUNT_BATCH).astype(dtype), "fh": np.int64(fh),
            "fw": np.int64(fw), "stride": np.int64(stride), "pad": np.int64(pad),
            "count": np.int64(1)}


def _judge_count(case, out, what):
    """Vectorised code runs as many lines of Python for a batch as for one image of one channel:
    loops over the window's positions or over the output positions do not grow with the
    batch; a loop over images, channels or single windows does."""
    lines, one = (int(np.asarray(out.get(k, -1))) for k in ("lines", "lines_one"))
    if lines < 0 or one < 0:
        return _("{what} could not be timed", what=what)
    N, C = COUNT_BATCH[:2]
    if lines > one + COUNT_SLACK:
        return _("{what} ran {lines:,} lines of Python for {images} images of {channels} channels "
                 "but {one:,} for one image of one channel: the work grows with the batch. Likely "
                 "cause: a Python loop over images, channels or single windows; loop over the "
                 "positions inside a window (or over the output positions) and let each NumPy "
                 "operation handle the whole batch", what=what, lines=lines, images=N,
                 channels=C, one=one)
    return None
