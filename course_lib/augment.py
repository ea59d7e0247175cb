"""Data augmentation for image batches of shape (N, C, H, W), in plain NumPy.

Every transform works on a whole mini-batch at once: the per-image random
parameters (angles, shifts, zoom factors, ...) are drawn as arrays of length N
and the images are resampled together, without a Python loop over images.

Two layers of API:

* Functional, deterministic forms that take the parameters explicitly:
  :func:`rotate`, :func:`shift`, :func:`zoom`, :func:`affine`,
  :func:`flip_horizontal`, :func:`rot90`, :func:`pad_crop`,
  :func:`elastic`, :func:`adjust_brightness_contrast`.
* Random transforms (small classes) that draw the parameters and call the
  functional forms: :class:`RandomRotation`, :class:`RandomShift`,
  :class:`RandomZoom`, :class:`RandomAffine`, :class:`RandomElastic`, :class:`RandomCrop`,
  :class:`RandomHorizontalFlip`, :class:`RandomBrightnessContrast`, chained
  with :class:`Compose`.

A random transform is called as ``transform(x, rng)`` where ``rng`` is a
``numpy.random.Generator``; this is the signature the course ``Trainer``
uses for its ``augment=`` argument.  The same generator state gives the
same output.

Images are floating-point arrays, values typically in [0, 1] (convert 8-bit
images first: ``x.astype(np.float32) / 255``).

The geometric transforms (:func:`affine`, :func:`rotate`, :func:`shift`,
:func:`zoom`, :func:`elastic`) all follow one convention, the one of
chapter 5:

* *inverse mapping*: for every output pixel (row ``i``, column ``j``, rows
  growing downwards) the transform computes the real-valued source point
  ``(r, c)`` in the input it comes from;
* *bilinear interpolation*: with ``r0 = floor(r)``, ``c0 = floor(c)``,
  ``a = r - r0`` and ``b = c - c0`` the output is
  ``(1-a)(1-b) x[r0, c0] + (1-a) b x[r0, c0+1] + a (1-b) x[r0+1, c0] + a b x[r0+1, c0+1]``;
* *fill outside*: each of these four neighbours that lies outside the image
  counts as ``fill`` (0 by default, the background of MNIST).  A source point
  less than one pixel outside the border therefore blends image and fill;
  one further out gives ``fill``.

The output keeps the shape and dtype of the input and stays inside the range
spanned by the input values and ``fill``.
"""

import numbers

import numpy as np

__all__ = [
    "affine",
    "rotate",
    "shift",
    "zoom",
    "rot90",
    "flip_horizontal",
    "pad_crop",
    "elastic",
    "adjust_brightness_contrast",
    "Transform",
    "RandomRotation",
    "RandomShift",
    "RandomZoom",
    "RandomAffine",
    "RandomElastic",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomBrightnessContrast",
    "Compose",
]


# ---------------------------------------------------------------------------
# Input checks and small helpers
# ---------------------------------------------------------------------------

def _check_batch(x, name="x"):
    """Return ``x`` as an ndarray after checking it is a (N, C, H, W) batch of floats."""
    x = np.asarray(x)
    if x.ndim != 4:
        hint = ""
        if x.ndim == 2:
            hint = (" A flattened batch (N, H*W) can be reshaped, e.g. "
                    "x.reshape(-1, 1, 28, 28), or loaded with flatten=False.")
        elif x.ndim == 3:
            hint = (" For a single-channel batch (N, H, W) add the channel axis: "
                    "x[:, None]; for one image (C, H, W) add the batch axis: x[None].")
        raise ValueError(
            f"{name} must be a batch of images with shape (N, C, H, W); "
            f"got an array with {x.ndim} dimension(s) and shape {x.shape}.{hint}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name} must hold floating-point numbers; got dtype {x.dtype}. Convert it "
            "first, e.g. x.astype(np.float32) / 255 for 8-bit images.")
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"{name} has empty images: shape {x.shape}; H and W must be >= 1.")
    return x


def _work_dtype(dtype):
    """Floating dtype in which a batch of ``dtype`` is processed."""
    if dtype == np.float64:
        return np.float64
    return np.float32


def _restore_dtype(out, dtype, lo, hi):
    """Clip ``out`` to [lo, hi] (rounding can step just outside) and cast it to ``dtype``."""
    np.clip(out, lo, hi, out=out)
    return out.astype(dtype, copy=False)


def _per_image(value, n, name):
    """Broadcast a scalar or length-n sequence to a float64 array of shape (n,)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(
            f"{name} must be a number or have one value per image (shape ({n},)); "
            f"got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {arr}.")
    return arr


def _check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}.")


def _range(value, name, symmetric_around=0.0, lower_bound=None):
    """Parse a range parameter.

    A single number ``d`` means ``(symmetric_around - d, symmetric_around + d)``
    and must be >= 0; a pair ``(lo, hi)`` is used as is and needs lo <= hi.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        d = float(value)
        if not np.isfinite(d) or d < 0:
            raise ValueError(
                f"{name} as a single number must be finite and >= 0 (it means the "
                f"range ({symmetric_around} - {name}, {symmetric_around} + {name})); got {value}.")
        lo, hi = symmetric_around - d, symmetric_around + d
    else:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a number or a pair (low, high); got {value!r}.") from None
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
            raise ValueError(
                f"{name} must be a pair (low, high) of finite numbers with low <= high; "
                f"got {value!r}.")
    if lower_bound is not None and lo < lower_bound:
        raise ValueError(
            f"{name} must stay >= {lower_bound}; the range {(lo, hi)} goes below it.")
    return lo, hi


# ---------------------------------------------------------------------------
# Geometric transforms (functional)
# ---------------------------------------------------------------------------

def _sample_bilinear(x, src_r, src_c, fill):
    """Read ``x`` at real-valued source points by bilinear interpolation.

    x: (N, C, H, W); src_r, src_c: (N, H, W), the source row and column of
    every output pixel.  Neighbours outside the image count as ``fill`` (see
    the module docstring).  Returns a float array (N, C, H, W) of the working dtype.
    """
    n, c, h, w = x.shape
    # Every image gets a border of ``fill`` (one pixel before, two after), and a
    # source point more than one pixel outside is moved to one pixel outside,
    # where its four neighbours are all ``fill`` as before.  Then every
    # neighbour is inside ``padded`` and can be read by plain indexing.
    pw = w + 3
    padded = np.full((n, c, h + 3, pw), fill, dtype=_work_dtype(x.dtype))
    padded[:, :, 1:h + 1, 1:w + 1] = x
    r = np.clip(src_r, -1, h) + 1                  # (N, H, W), in padded coordinates
    col = np.clip(src_c, -1, w) + 1
    r0, c0 = np.floor(r), np.floor(col)
    a = (r - r0)[:, None]                          # (N, 1, H, W): weight of the next row
    b = (col - c0)[:, None]                        # weight of the next column
    # Index of the neighbour (r0, c0) in padded.reshape(-1), for every channel: (N, C, H, W).
    image_start = (np.arange(n * c) * ((h + 3) * pw)).reshape(n, c, 1, 1)
    top_left = image_start + (r0.astype(np.intp) * pw + c0.astype(np.intp))[:, None]

    def pixel(down, right):
        """The padded pixel (r0 + down, c0 + right) of every point, (N, C, H, W)."""
        return np.take(padded, top_left + (down * pw + right))

    return ((1 - a) * (1 - b) * pixel(0, 0) + (1 - a) * b * pixel(0, 1)
            + a * (1 - b) * pixel(1, 0) + a * b * pixel(1, 1))


def _value_bounds(x, fill):
    """Smallest range holding the input values and the fill value."""
    if x.size == 0:
        return fill, fill
    return min(float(x.min()), fill), max(float(x.max()), fill)


def affine(x, matrices, offsets=None, fill=0.0):
    """Apply per-image affine maps, given as the *inverse* map about the centre.

    The output pixel at (row, col) is read from the input at the source point::

        src = M @ ([row, col] - centre) + centre + offset

    with ``centre = ((H - 1) / 2, (W - 1) / 2)``, by bilinear interpolation,
    neighbours outside the image counting as ``fill`` (the module docstring
    gives the formula).

    Parameters
    ----------
    x : ndarray (N, C, H, W), float32 or float64
    matrices : array (2, 2) or (N, 2, 2), acting on (row, col) vectors.
    offsets : array (2,) or (N, 2), in pixels (row, col); default zero.
    fill : value of the pixels outside the image.

    Returns an array with the shape and dtype of ``x``, clipped to the range
    spanned by the input values and ``fill``.
    """
    x = _check_batch(x)
    n, _, h, w = x.shape
    m = np.asarray(matrices, dtype=np.float64)
    if m.shape == (2, 2):
        m = np.broadcast_to(m, (n, 2, 2))
    if m.shape != (n, 2, 2):
        raise ValueError(f"matrices must have shape (2, 2) or ({n}, 2, 2); got {m.shape}.")
    if offsets is None:
        o = np.zeros((n, 2))
    else:
        o = np.asarray(offsets, dtype=np.float64)
        if o.shape == (2,):
            o = np.broadcast_to(o, (n, 2))
        if o.shape != (n, 2):
            raise ValueError(f"offsets must have shape (2,) or ({n}, 2); got {o.shape}.")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(o))):
        raise ValueError("matrices and offsets must be finite numbers.")
    fill = float(fill)
    if n == 0:
        return x.copy()

    # Coordinates in the working precision (float32 for float32 images).
    wd = _work_dtype(x.dtype)
    cr, cc = (h - 1) / 2.0, (w - 1) / 2.0
    u = (np.arange(h) - cr).astype(wd)[None, :, None]           # (1, H, 1)
    v = (np.arange(w) - cc).astype(wd)[None, None, :]           # (1, 1, W)
    m = m.astype(wd)[:, :, :, None, None]                       # (N, 2, 2, 1, 1)
    o = (o + (cr, cc)).astype(wd)[:, :, None, None]             # (N, 2, 1, 1)
    src_r = m[:, 0, 0] * u + m[:, 0, 1] * v + o[:, 0]
    src_c = m[:, 1, 0] * u + m[:, 1, 1] * v + o[:, 1]
    out = _sample_bilinear(x, src_r, src_c, fill)
    lo, hi = _value_bounds(x, fill)
    return _restore_dtype(out, x.dtype, lo, hi)


def _rotation_inverse(angles_deg):
    """Inverse-map matrices (N, 2, 2) for counter-clockwise rotations."""
    t = np.deg2rad(angles_deg)
    cos, sin = np.cos(t), np.sin(t)
    # Exact values at multiples of 90 degrees, so rotate(x, 90) equals rot90(x).
    cos = np.where(np.isclose(cos, np.rint(cos), rtol=0, atol=1e-12), np.rint(cos), cos)
    sin = np.where(np.isclose(sin, np.rint(sin), rtol=0, atol=1e-12), np.rint(sin), sin)
    # In (row, col) coordinates with rows pointing down, a counter-clockwise
    # rotation on screen reads the source at (cos u + sin v, -sin u + cos v).
    return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)


def rotate(x, angles, fill=0.0):
    """Rotate every image counter-clockwise (as seen on screen) about its centre.

    ``angles`` in degrees: one number for the whole batch or one per image.
    With ``u = row - (H-1)/2`` and ``v = col - (W-1)/2`` the output pixel
    is read from the source point ``(r, c) = ((H-1)/2 + u cos t + v sin t,
    (W-1)/2 - u sin t + v cos t)`` by bilinear interpolation; corners that
    come from outside the image become ``fill``.  ``rotate(x, 90)`` equals
    ``rot90(x)`` for square images.
    """
    x = _check_batch(x)
    a = _per_image(angles, x.shape[0], "angles")
    return affine(x, _rotation_inverse(a), fill=fill)


def shift(x, dx, dy, fill=0.0):
    """Translate every image by ``dx`` pixels to the right and ``dy`` pixels down.

    ``dx``, ``dy``: numbers or one value per image.  The output pixel at
    (row, col) is read from the source point ``(row - dy, col - dx)`` by
    bilinear interpolation, neighbours outside the image counting as ``fill``:
    a whole-pixel shift copies pixels exactly, a shift by half a pixel averages
    neighbours (and, at the border, a pixel with ``fill``).
    """
    x = _check_batch(x)
    n = x.shape[0]
    dx = _per_image(dx, n, "dx")
    dy = _per_image(dy, n, "dy")
    return affine(x, np.eye(2), offsets=np.stack([-dy, -dx], axis=1), fill=fill)


def zoom(x, factors, fill=0.0):
    """Scale every image about its centre by ``factors``, keeping the image size.

    ``factors`` > 1 enlarge the content (zoom in, borders are cut off),
    ``factors`` < 1 shrink it (zoom out, the border is filled with ``fill``).
    One number for the batch or one per image; all must be > 0.  The output
    pixel at ``centre + (u, v)`` is read from ``centre + (u, v) / factor`` by
    bilinear interpolation.
    """
    x = _check_batch(x)
    f = _per_image(factors, x.shape[0], "factors")
    if np.any(f <= 0):
        raise ValueError(f"zoom factors must be > 0; got min {f.min()}.")
    m = np.zeros((x.shape[0], 2, 2))
    m[:, 0, 0] = m[:, 1, 1] = 1.0 / f
    return affine(x, m, fill=fill)


def rot90(x, k=1):
    """Rotate the whole batch by ``k`` quarter turns counter-clockwise (exact).

    For non-square images the height and width are exchanged when ``k`` is odd.
    """
    x = _check_batch(x)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"k must be an integer number of quarter turns; got {k!r}.")
    return np.ascontiguousarray(np.rot90(x, k=int(k), axes=(2, 3)))


def flip_horizontal(x, mask=None):
    """Mirror images left-right.

    ``mask``: optional boolean array of shape (N,) choosing which images to
    flip (default: all).  Returns a new array.
    """
    x = _check_batch(x)
    if mask is None:
        return x[:, :, :, ::-1].copy()
    mask = np.asarray(mask)
    if mask.shape != (x.shape[0],) or mask.dtype != bool:
        raise ValueError(
            f"mask must be a boolean array of shape ({x.shape[0]},); got dtype "
            f"{mask.dtype} and shape {mask.shape}.")
    return np.where(mask[:, None, None, None], x[:, :, :, ::-1], x)


def pad_crop(x, top, left, padding, mode="constant", fill=0.0):
    """Pad every image by ``padding`` pixels, then cut out an H x W window.

    ``top``, ``left``: integer window offsets inside the padded image, in
    ``[0, 2 * padding]``, one number or one per image.  With
    ``top = left = padding`` the input comes back unchanged.
    ``mode``: 'constant' (pad with ``fill``), 'edge' or 'reflect'.
    """
    x = _check_batch(x)
    n, c, h, w = x.shape
    if not isinstance(padding, numbers.Integral) or padding < 0:
        raise ValueError(f"padding must be a whole number >= 0; got {padding!r}.")
    padding = int(padding)
    if mode not in ("constant", "edge", "reflect"):
        raise ValueError(f"mode must be 'constant', 'edge' or 'reflect'; got {mode!r}.")
    if mode == "reflect" and padding >= min(h, w):
        raise ValueError(
            f"mode='reflect' needs padding < min(H, W) = {min(h, w)}; got {padding}.")
    offsets = []
    for name, val in (("top", top), ("left", left)):
        arr = np.asarray(val)
        if arr.ndim == 0:
            arr = np.full(n, arr)
        if arr.shape != (n,) or not np.all(arr == np.rint(arr)):
            raise ValueError(f"{name} must be whole numbers, one or one per image; got {val!r}.")
        arr = arr.astype(np.intp)
        if n and (arr.min() < 0 or arr.max() > 2 * padding):
            raise ValueError(
                f"{name} offsets must lie in [0, 2 * padding] = [0, {2 * padding}]; "
                f"got values in [{arr.min()}, {arr.max()}].")
        offsets.append(arr)
    top, left = offsets
    if n == 0:
        return x.copy()
    pad = ((0, 0), (0, 0), (padding, padding), (padding, padding))
    if mode == "constant":
        padded = np.pad(x, pad, mode="constant", constant_values=fill)
    else:
        padded = np.pad(x, pad, mode=mode)
    pw = w + 2 * padding
    rows = np.arange(h)[None, :] + top[:, None]
    cols = np.arange(w)[None, :] + left[:, None]
    idx = (rows[:, :, None] * pw + cols[:, None, :]).reshape(n, 1, h * w)
    out = np.take_along_axis(padded.reshape(n, c, -1), idx, axis=2)
    return out.reshape(n, c, h, w)


def _gaussian_matrix(size, sigma):
    """(size, size) matrix that smooths a vector with a Gaussian (zero outside).

    Not normalised: :func:`elastic` rescales the smoothed field anyway."""
    i = np.arange(size)
    return np.exp(-((i[:, None] - i[None, :]) ** 2) / (2.0 * sigma ** 2))


def elastic(x, displacement, alpha, sigma, fill=0.0):
    """Elastic distortion: move every pixel by a smooth random displacement field.

    ``displacement``: raw per-pixel displacements of shape (N, 2, H, W)
    (row and column parts), e.g. uniform in [-1, 1].  They are smoothed with
    a Gaussian of width ``sigma`` pixels and scaled by ``alpha`` pixels, and
    every output pixel is read from ``position + field`` (bilinear
    interpolation).  Small ``sigma`` gives noisy, local wobbles; large
    ``sigma`` gives a gentle bending of the whole image.
    """
    x = _check_batch(x)
    n, _, h, w = x.shape
    d = np.asarray(displacement, dtype=np.float64)
    if d.shape != (n, 2, h, w):
        raise ValueError(f"displacement must have shape ({n}, 2, {h}, {w}); got {d.shape}.")
    alpha, sigma = float(alpha), float(sigma)
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a finite number >= 0 (pixels); got {alpha}.")
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0 (pixels); got {sigma}.")
    if n == 0:
        return x.copy()
    # Separable Gaussian smoothing as two small matrix products: G_h @ d @ G_w^T.
    field = _gaussian_matrix(h, sigma) @ d @ _gaussian_matrix(w, sigma).T
    # Scale each image's field so that its largest displacement is alpha pixels.
    peak = np.abs(field).max(axis=(1, 2, 3), keepdims=True)
    field *= alpha / np.maximum(peak, 1e-12)
    wd = _work_dtype(x.dtype)
    rows = np.arange(h, dtype=wd)[None, :, None]
    cols = np.arange(w, dtype=wd)[None, None, :]
    src_r = rows + field[:, 0].astype(wd)
    src_c = cols + field[:, 1].astype(wd)
    out = _sample_bilinear(x, src_r, src_c, float(fill))
    lo, hi = _value_bounds(x, float(fill))
    return _restore_dtype(out, x.dtype, lo, hi)


# ---------------------------------------------------------------------------
# Photometric transform (functional)
# ---------------------------------------------------------------------------

def adjust_brightness_contrast(x, brightness=0.0, contrast=1.0, value_range=(0.0, 1.0)):
    """Change brightness and contrast of every image.

    ``out = (x - mean) * contrast + mean + brightness``, where ``mean`` is the
    mean of each image (per channel).  ``brightness = 0`` and ``contrast = 1``
    give the input back.  Both may be numbers or one value per image;
    ``contrast`` must be >= 0.  The result is clipped to ``value_range``
    (default (0, 1), the range of the course datasets); pass ``None`` to skip
    clipping.  Inputs outside ``value_range`` raise a ``ValueError``.
    """
    x = _check_batch(x)
    n = x.shape[0]
    b = _per_image(brightness, n, "brightness")
    cf = _per_image(contrast, n, "contrast")
    if np.any(cf < 0):
        raise ValueError(f"contrast factors must be >= 0; got min {cf.min()}.")
    if value_range is not None:
        lo, hi = (float(v) for v in value_range)
        if lo > hi:
            raise ValueError(f"value_range must be (low, high) with low <= high; got {value_range}.")
        if x.size and (x.min() < lo or x.max() > hi):
            raise ValueError(
                f"input values lie in [{x.min()}, {x.max()}], outside value_range="
                f"{(lo, hi)}; pass value_range=(low, high) matching your data, or None.")
    else:
        lo, hi = -np.inf, np.inf
    if n == 0:
        return x.copy()
    wd = _work_dtype(x.dtype)
    xf = x.astype(wd, copy=False)
    mean = xf.mean(axis=(2, 3), keepdims=True)
    cf = cf.astype(wd)[:, None, None, None]
    b = b.astype(wd)[:, None, None, None]
    # (x - mean) * c + mean + b, arranged so that c = 1, b = 0 is exact.
    out = xf * cf + (mean * (1 - cf) + b)
    return _restore_dtype(out, x.dtype, lo, hi)


# ---------------------------------------------------------------------------
# Random transforms
# ---------------------------------------------------------------------------

class Transform:
    """Base class of the random transforms.

    Subclasses implement ``apply(x, rng)``; ``transform(x, rng)`` checks the
    batch (N, C, H, W) and the generator, then calls it.
    """

    def __call__(self, x, rng):
        x = _check_batch(x)
        _check_generator(rng)
        return self.apply(x, rng)

    def apply(self, x, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def _params(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self._params()})"


class RandomRotation(Transform):
    """Rotate each image by an angle drawn uniformly from ``degrees``.

    ``degrees``: ``d`` for the range (-d, d), or a pair (low, high), in degrees.
    """

    def __init__(self, degrees=15.0, fill=0.0):
        self.degrees = _range(degrees, "degrees")
        self.fill = float(fill)

    def apply(self, x, rng):
        angles = rng.uniform(*self.degrees, size=x.shape[0])
        return rotate(x, angles, fill=self.fill)

    def _params(self):
        return f"degrees={self.degrees}"


class RandomShift(Transform):
    """Translate each image by a random number of pixels in x and y.

    ``max_shift``: ``s`` for shifts in [-s, s], or a pair (low, high).
    With ``whole_pixels=True`` (default) the shifts are integers, which is
    exact and keeps the strokes sharp; otherwise they are uniform reals.
    """

    def __init__(self, max_shift=2, whole_pixels=True, fill=0.0):
        self.max_shift = _range(max_shift, "max_shift")
        self.whole_pixels = bool(whole_pixels)
        if self.whole_pixels and np.ceil(self.max_shift[0]) > np.floor(self.max_shift[1]):
            raise ValueError(
                f"max_shift={max_shift} contains no whole number of pixels; widen the "
                "range or pass whole_pixels=False.")
        self.fill = float(fill)

    def apply(self, x, rng):
        n = x.shape[0]
        lo, hi = self.max_shift
        if self.whole_pixels:
            lo, hi = int(np.ceil(lo)), int(np.floor(hi))
            dx = rng.integers(lo, hi + 1, size=n)
            dy = rng.integers(lo, hi + 1, size=n)
        else:
            dx = rng.uniform(lo, hi, size=n)
            dy = rng.uniform(lo, hi, size=n)
        return shift(x, dx, dy, fill=self.fill)

    def _params(self):
        return f"max_shift={self.max_shift}, whole_pixels={self.whole_pixels}"


class RandomZoom(Transform):
    """Scale each image about its centre by a factor drawn from ``scale``.

    ``scale``: a pair (low, high) of factors > 0, or ``s`` for (1 - s, 1 + s).
    """

    def __init__(self, scale=(0.9, 1.1), fill=0.0):
        self.scale = _range(scale, "scale", symmetric_around=1.0)
        if self.scale[0] <= 0:
            raise ValueError(f"zoom factors must be > 0; the range {self.scale} is not.")
        self.fill = float(fill)

    def apply(self, x, rng):
        return zoom(x, rng.uniform(*self.scale, size=x.shape[0]), fill=self.fill)

    def _params(self):
        return f"scale={self.scale}"


class RandomAffine(Transform):
    """Rotation, zoom and shift drawn per image and applied in one resampling.

    Doing the three in a single interpolation is faster than chaining
    :class:`RandomRotation`, :class:`RandomZoom` and :class:`RandomShift`,
    and blurs less (each bilinear resampling smooths the image a little).

    ``degrees``, ``max_shift`` (pixels) and ``scale`` have the meaning they
    have in the single transforms; shifts here are real-valued.
    """

    def __init__(self, degrees=10.0, max_shift=2.0, scale=(0.9, 1.1), fill=0.0):
        self.degrees = _range(degrees, "degrees")
        self.max_shift = _range(max_shift, "max_shift")
        self.scale = _range(scale, "scale", symmetric_around=1.0)
        if self.scale[0] <= 0:
            raise ValueError(f"zoom factors must be > 0; the range {self.scale} is not.")
        self.fill = float(fill)

    def apply(self, x, rng):
        n = x.shape[0]
        angles = rng.uniform(*self.degrees, size=n)
        factors = rng.uniform(*self.scale, size=n)
        dx = rng.uniform(*self.max_shift, size=n)
        dy = rng.uniform(*self.max_shift, size=n)
        # Forward map: p_out = c + s R (p_in - c) + t; we need its inverse,
        # p_in = c + R^-1 (p_out - c - t) / s.
        m = _rotation_inverse(angles) / factors[:, None, None]
        t = np.stack([dy, dx], axis=1)
        offsets = -np.einsum("nij,nj->ni", m, t)
        return affine(x, m, offsets, fill=self.fill)

    def _params(self):
        return f"degrees={self.degrees}, max_shift={self.max_shift}, scale={self.scale}"


class RandomElastic(Transform):
    """Elastic distortion with a fresh random field per image (see :func:`elastic`).

    ``alpha``: the largest displacement in pixels; ``sigma``: smoothness of
    the field in pixels.  Mild settings (alpha of 1-2 pixels, sigma 3-4) imitate
    the natural wobble of handwriting; strong ones can change what a digit is.
    """

    def __init__(self, alpha=2.0, sigma=4.0, fill=0.0):
        alpha, sigma = float(alpha), float(sigma)
        if not (np.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"alpha must be a finite number >= 0 (pixels); got {alpha}.")
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a finite number > 0 (pixels); got {sigma}.")
        self.alpha, self.sigma, self.fill = alpha, sigma, float(fill)

    def apply(self, x, rng):
        n, _, h, w = x.shape
        d = rng.uniform(-1.0, 1.0, size=(n, 2, h, w))
        return elastic(x, d, self.alpha, self.sigma, fill=self.fill)

    def _params(self):
        return f"alpha={self.alpha}, sigma={self.sigma}"


class RandomCrop(Transform):
    """Pad each image by ``padding`` pixels and crop back to H x W at a random place.

    Equivalent to a random whole-pixel shift of up to ``padding`` pixels, with
    the border filled according to ``mode`` ('constant', 'edge', 'reflect').
    """

    def __init__(self, padding=2, mode="constant", fill=0.0):
        if not isinstance(padding, numbers.Integral) or isinstance(padding, bool) or padding < 0:
            raise ValueError(f"padding must be a whole number >= 0; got {padding!r}.")
        if mode not in ("constant", "edge", "reflect"):
            raise ValueError(f"mode must be 'constant', 'edge' or 'reflect'; got {mode!r}.")
        self.padding = int(padding)
        self.mode = mode
        self.fill = float(fill)

    def apply(self, x, rng):
        n = x.shape[0]
        top = rng.integers(0, 2 * self.padding + 1, size=n)
        left = rng.integers(0, 2 * self.padding + 1, size=n)
        return pad_crop(x, top, left, self.padding, mode=self.mode, fill=self.fill)

    def _params(self):
        return f"padding={self.padding}, mode={self.mode!r}"


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1]; got {p}.")
        self.p = p

    def apply(self, x, rng):
        return flip_horizontal(x, rng.random(x.shape[0]) < self.p)

    def _params(self):
        return f"p={self.p}"


class RandomBrightnessContrast(Transform):
    """Random brightness offset and contrast factor per image.

    ``brightness``: ``b`` for offsets in (-b, b), or a pair;
    ``contrast``: ``c`` for factors in (1 - c, 1 + c), or a pair of factors >= 0.
    The output is clipped to ``value_range`` (see
    :func:`adjust_brightness_contrast`).
    """

    def __init__(self, brightness=0.1, contrast=0.2, value_range=(0.0, 1.0)):
        self.brightness = _range(brightness, "brightness")
        self.contrast = _range(contrast, "contrast", symmetric_around=1.0, lower_bound=0.0)
        if value_range is not None:
            value_range = tuple(float(v) for v in value_range)
            if len(value_range) != 2 or value_range[0] > value_range[1]:
                raise ValueError(
                    f"value_range must be (low, high) with low <= high, or None; got {value_range}.")
        self.value_range = value_range

    def apply(self, x, rng):
        n = x.shape[0]
        b = rng.uniform(*self.brightness, size=n)
        c = rng.uniform(*self.contrast, size=n)
        return adjust_brightness_contrast(x, b, c, value_range=self.value_range)

    def _params(self):
        return f"brightness={self.brightness}, contrast={self.contrast}"


class Compose(Transform):
    """Apply several transforms one after the other, left to right.

    ``Compose([t1, t2])(x, rng)`` is ``t2(t1(x, rng), rng)``: all transforms
    draw from the same generator, so a seeded ``rng`` makes the whole chain
    reproducible.  Plain functions ``f(x, rng)`` may be mixed in.
    """

    def __init__(self, transforms):
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(
                    f"Compose needs callables f(x, rng); item {i} is a "
                    f"{type(t).__name__}.")
        self.transforms = transforms

    def apply(self, x, rng):
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __len__(self):
        return len(self.transforms)

    def __repr__(self):
        inner = ",\n    ".join(repr(t) for t in self.transforms)
        return f"Compose([\n    {inner},\n])" if self.transforms else "Compose([])"
