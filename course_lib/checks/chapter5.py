"""Chapter 5: geometric transforms of a batch by inverse mapping and bilinear interpolation.

The reference here is the definition written plainly: each output pixel reads
its source point from its four neighbours.  It stays apart from
``course_lib.augment`` (which computes the same, optimised) on purpose: it
also renders the typical mistakes (nearest pixel, exchanged weights, the edge
pixel instead of ``fill``), and the tests prove that ``augment``'s shift and
rotate pass these checks, so the two are shown to agree.
"""
import numpy as np

from .toolkit import (as_array, call, check_dtype, compare, message, name, passed, require, say)

__all__ = ["check_shift", "check_rotate"]


def _weights(frac, how):
    """The weights of the neighbour before and after a source point ``frac`` past it."""
    return ((frac, 1 - frac) if how.get("swap") else (1 - frac, frac))


def sample_bilinear(x, src_r, src_c, fill=0.0, **how):
    """Read the batch ``x`` (N, C, H, W) at the source coordinates ``src_r``, ``src_c`` (H, W).

    Bilinear interpolation between the four pixels around each point; pixels
    outside the image count as ``fill``.  Typical mistakes on request:
    ``nearest`` (the source point rounded), ``edge`` (outside reads the
    nearest edge pixel), ``swap`` (each neighbour gets the other's weight),
    ``swap_axes`` (the row fraction weighs the columns and the other way round).
    """
    H, W = x.shape[2:]
    x = x.astype(np.float64)
    if how.get("nearest"):
        src_r, src_c = np.floor(src_r + 0.5), np.floor(src_c + 0.5)
    if how.get("edge"):
        src_r, src_c = np.clip(src_r, 0, H - 1), np.clip(src_c, 0, W - 1)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    if how.get("swap_axes"):
        fr, fc = fc, fr
    out = np.zeros(x.shape)
    for dr, wr in zip((0, 1), _weights(fr, how)):
        for dc, wc in zip((0, 1), _weights(fc, how)):
            r, c = (r0 + dr).astype(int), (c0 + dc).astype(int)
            inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
            values = np.where(inside, x[:, :, np.clip(r, 0, H - 1), np.clip(c, 0, W - 1)], fill)
            out += wr * wc * values
    return out


def shift_reference(x, dx, dy, fill=0.0, **how):
    """Content moved dx pixels right and dy down: output (r, c) reads input (r - dy, c - dx).

    dx, dy: numbers, or arrays with one value per image.
    """
    if np.ndim(dx) or np.ndim(dy):
        dx, dy = np.broadcast_to(dx, (len(x),)), np.broadcast_to(dy, (len(x),))
        return np.concatenate([shift_reference(x[n:n + 1], dx[n], dy[n], fill, **how) for n
                               in range(len(x))])
    H, W = x.shape[2:]
    rows, cols = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64),
                             indexing="ij")
    return sample_bilinear(x, rows - dy, cols - dx, fill, **how)


def rotate_reference(x, degrees, centre=None, **how):
    """Counter-clockwise rotation about ``centre`` (default the image centre ((H-1)/2, (W-1)/2))."""
    H, W = x.shape[2:]
    cr, cc = ((H - 1) / 2, (W - 1) / 2) if centre is None else centre
    rows, cols = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64),
                             indexing="ij")
    u, v = rows - cr, cols - cc
    t = np.deg2rad(degrees)
    # rows point down, so a counter-clockwise turn on screen reads the source at
    # (cos t * u + sin t * v, -sin t * u + cos t * v) around the centre
    return sample_bilinear(x, np.cos(t) * u + np.sin(t) * v + cr, -np.sin(t) * u + np.cos(t) * v
                           + cc, **how)


def _image_batch(shape, dtype, seed):
    """Random images in [0, 1) with a bright blob, so that moving them shows."""
    rng = np.random.default_rng(seed)
    x = rng.random(shape) * 0.5
    H, W = shape[2:]
    x[:, :, H // 4:H // 4 + max(1, H // 3), W // 5:W // 5 + max(1, W // 3)] += 0.5
    return x.astype(dtype)


def _holes_hint(got, expected):
    """Forward mapping leaves output pixels that no input pixel reached at 0."""
    holes = (got == 0) & (expected > 0.05)
    holes[:, :, [0, -1], :] = False
    holes[:, :, :, [0, -1]] = False
    if np.any(holes):
        return say("some output pixels stayed 0 although their source lies inside the image: "
                   "holes left by sending input pixels forward; loop over the output pixels and "
                   "read the input at each one's source point (inverse mapping)")
    return None


def _transform_check(check, fn, cases, reference, variants_for, describe):
    """Run ``fn(x, *args, **kwargs)`` on every case and compare it with ``reference``."""
    what = f"{name(fn)}(...)"
    for k, (shape, args, kwargs, dtype) in enumerate(cases):
        x0 = _image_batch(shape, dtype, 800 + k)
        x = x0.copy()
        desc = f"x {shape}, {describe(args, kwargs)}, {np.dtype(dtype).name}"
        expected = reference(x0, *args, **kwargs)
        got = as_array(check, what, call(check, name(fn), desc, lambda: fn(x, *args, **kwargs)),
                       desc)
        check_dtype(check, what, got, dtype, desc, exact=True)
        hints = [((shape[0], shape[2], shape[3]),
                  say("keep the channel axis: the output has the input's "
                      "shape (N, C, H, W)"))]
        compare(check, what, got, expected, desc, dtype,
                variants=lambda: variants_for(x0, *args, **kwargs),
                shape_hints=hints,
                zero_hint=say("every output pixel reads the input at its source point"),
                last_hint=_holes_hint)
        if not np.array_equal(x, x0):
            raise AssertionError(message(say("{check}: {fn} changed its input on {case}.",
                                             check=check,
                                             fn=name(fn), case=desc),
                                             say("Write the result into a new array.")))
    return len(cases)


def _per_image(value):
    """A shift as the message shows it: 1.5, or [1.0, -2.0, 0.5] (one per image)."""
    return str(np.asarray(value).tolist()) if np.ndim(value) else f"{value}"


_SHIFT_CASES = [  # (shape, (dx, dy), {"fill": ...} or {}, dtype)
    ((1, 1, 4, 5), (1, 0), {}, np.float64),
    ((1, 1, 4, 5), (0, 2), {}, np.float64),
    ((2, 1, 5, 6), (-2, 1), {}, np.float64),
    ((1, 1, 4, 5), (0.5, 0), {}, np.float64),
    ((2, 3, 6, 5), (1.25, -0.75), {}, np.float32),
    ((3, 2, 7, 8), (-2.5, 3.4), {}, np.float64),
    ((1, 1, 4, 4), (6, 0), {}, np.float64),
    ((2, 1, 28, 28), (3.3, -1.7), {}, np.float32),
    ((3, 2, 5, 6), (np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, -1.5])), {}, np.float64),
    ((2, 1, 6, 6), (np.array([0.25, 2.0]), 1.0), {}, np.float32),
    ((1, 1, 4, 5), (2, 1), {"fill": 0.5}, np.float64),
    ((2, 2, 6, 5), (-1.5, 0.25), {"fill": -1.0}, np.float32),
]


def _rounded_shifts(x, dx, dy, fill):
    """The outputs of shifts rounded to whole pixels in the usual ways."""
    ways = (np.rint, np.floor, np.trunc, lambda v: np.floor(np.asarray(v) + 0.5))
    return [shift_reference(x, f(dx), f(dy), fill) for f in ways]


def _shift_variants(x, dx, dy, fill=0.0):
    """``(output, hint)`` of typical mistakes of a shift."""
    out = [(shift_reference(x, -dx, -dy, fill),
            say("the content moved the wrong way: positive dx moves it right, so output (r, c) "
                "reads the input at (r - dy, c - dx)")),
           (shift_reference(x, dy, dx, fill),
            say("dx and dy are exchanged: dx is horizontal (columns), dy "
                "vertical (rows)")),
           (shift_reference(x, dx, dy, fill, edge=True),
            say("pixels from outside the image must be fill, not "
                "the nearest edge pixel")),
           (shift_reference(x, dx, dy, fill, swap=True),
            say("the bilinear weights are exchanged: the neighbour at r0 gets 1 - alpha (it is "
                "the nearer one while alpha < 0.5) and the one at r0 + 1 gets alpha; the same for "
                "beta along the columns")),
           (shift_reference(x, dx, dy, fill, swap_axes=True),
            say("alpha and beta are exchanged: alpha = r - r0 weighs the rows (r0 and r0 + 1), "
                "beta = c - c0 the columns"))]
    if fill != 0:
        out.append((shift_reference(x, dx, dy, 0.0),
                    say("the pixels from outside the image are 0, not fill: use fill for every "
                        "neighbour outside the image")))
    hint = say("the shift is rounded to whole pixels: interpolate bilinearly between the four "
               "pixels around the source point, with weights from the fractional parts")
    out += [(v, hint) for v in _rounded_shifts(x, dx, dy, fill)]
    if not np.ndim(dx) and not np.ndim(dy) and dx == int(dx) and dy == int(dy):
        out.append((np.roll(x, (int(dy), int(dx)), axis=(2, 3)),
                    say("the image wrapped around (np.roll): what comes in from outside must be "
                        "fill")))
    return out


def _describe_shift(args, kwargs):
    text = f"dx={_per_image(args[0])}, dy={_per_image(args[1])}"
    return text + (f", fill={kwargs['fill']}" if "fill" in kwargs else "")


def check_shift(fn):
    """Check ``fn(x, dx, dy, fill=0.0)``: move every image ``dx`` pixels right and ``dy`` down.

    x ``(N, C, H, W)``; dx, dy real numbers, or arrays ``(N,)`` with one shift
    per image.  Inverse mapping: output pixel ``(r, c)`` takes the input's value
    at ``(r - dy, c - dx)``, by bilinear interpolation between the four pixels
    around that point; a neighbour outside the image counts as ``fill``.  The
    output has the input's shape and dtype.  This is what
    ``course_lib.augment.shift(x, dx, dy, fill)`` does.
    """
    require("check_shift", fn, "function")
    n = _transform_check("check_shift", fn, _SHIFT_CASES, shift_reference, _shift_variants,
                         _describe_shift)
    passed("check_shift",
           say("{count} cases: whole, fractional and per-image shifts, fill, float32 and float64",
                              count=n))


_ROTATE_CASES = [  # (shape, (degrees,), {}, dtype)
    ((1, 1, 5, 5), (90,), {}, np.float64),
    ((1, 1, 4, 4), (90,), {}, np.float64),
    ((1, 1, 4, 6), (180,), {}, np.float64),
    ((1, 1, 5, 5), (30,), {}, np.float64),
    ((2, 3, 6, 7), (-45,), {}, np.float32),
    ((2, 1, 8, 5), (10,), {}, np.float64),
    ((3, 2, 6, 6), (0,), {}, np.float64),
    ((1, 1, 28, 28), (15,), {}, np.float32),
]


def _rotate_variants(x, deg):
    H, W = x.shape[2:]
    return [(rotate_reference(x, -deg),
             say("the images turned clockwise: positive angles turn counter-clockwise; with rows "
                 "pointing down, output (u, v) reads (cos t u + sin t v, -sin t u + cos t v)")),
            (rotate_reference(x, np.rad2deg(deg)),
             say("the angle in degrees went into np.cos and np.sin, which "
                 "take radians: np.deg2rad(degrees)")),
            (rotate_reference(x, deg, centre=(H / 2, W / 2)),
             say("the turn is about (H/2, W/2); the centre of the pixels 0 .. H-1 is ((H - 1) / "
                 "2, (W - 1) / 2)")),
            (rotate_reference(x, deg, centre=(0, 0)),
             say("the turn is about the top-left corner: subtract the "
                 "centre first, add it back after")),
            (rotate_reference(x, deg, nearest=True),
             say("the source point is rounded to the nearest pixel: "
                 "interpolate bilinearly"))]


def check_rotate(fn):
    """Check ``fn(x, degrees)``: turn every image of the batch counter-clockwise about its centre.

    x ``(N, C, H, W)``; degrees a real number (positive: counter-clockwise on
    screen, as in mathematics).  The centre of an ``H x W`` image is
    ``((H - 1) / 2, (W - 1) / 2)``.  Inverse mapping: output pixel ``(r, c)``,
    at ``(u, v) = (r - centre_r, c - centre_c)``, takes the input's value at
    ``(cos t * u + sin t * v, -sin t * u + cos t * v) + centre`` by bilinear
    interpolation, pixels outside the image counting as 0.  The output has the
    input's shape and dtype.  This is what ``course_lib.augment.rotate(x,
    degrees)`` does (its default ``fill=0``).
    """
    require("check_rotate", fn, "function")
    n = _transform_check("check_rotate", fn, _ROTATE_CASES, rotate_reference, _rotate_variants,
                         lambda args, kwargs: f"degrees={args[0]}")
    passed("check_rotate",
           say("{count} cases: quarter turns to small angles, float32 and float64", count=n))
