"""Geometric transforms by inverse mapping and bilinear interpolation (see the package)."""
import numbers

import numpy as np

from ..i18n import _

from .inputs import check_batch, work_dtype, restore_dtype, per_image


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
    padded = np.full((n, c, h + 3, pw), fill, dtype=work_dtype(x.dtype))
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
    x = check_batch(x)
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    m = np.asarray(matrices, dtype=np.float64)
    if m.shape == (2, 2):
        m = np.broadcast_to(m, (n, 2, 2))
    if m.shape != (n, 2, 2):
        raise ValueError(_("matrices must have shape (2, 2) or ({n}, 2, 2); got {shape}.", n=n,
                           shape=m.shape))
    if offsets is None:
        o = np.zeros((n, 2))
    else:
        o = np.asarray(offsets, dtype=np.float64)
        if o.shape == (2,):
            o = np.broadcast_to(o, (n, 2))
        if o.shape != (n, 2):
            raise ValueError(_("offsets must have shape (2,) or ({n}, 2); got {shape}.", n=n,
                               shape=o.shape))
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(o))):
        raise ValueError(_("matrices and offsets must be finite numbers."))
    fill = float(fill)
    if n == 0:
        return x.copy()

    # Coordinates in the working precision (float32 for float32 images).
    wd = work_dtype(x.dtype)
    cr, cc = (h - 1) / 2.0, (w - 1) / 2.0
    u = (np.arange(h) - cr).astype(wd)[None, :, None]           # (1, H, 1)
    v = (np.arange(w) - cc).astype(wd)[None, None, :]           # (1, 1, W)
    m = m.astype(wd)[:, :, :, None, None]                       # (N, 2, 2, 1, 1)
    o = (o + (cr, cc)).astype(wd)[:, :, None, None]             # (N, 2, 1, 1)
    src_r = m[:, 0, 0] * u + m[:, 0, 1] * v + o[:, 0]
    src_c = m[:, 1, 0] * u + m[:, 1, 1] * v + o[:, 1]
    out = _sample_bilinear(x, src_r, src_c, fill)
    lo, hi = _value_bounds(x, fill)
    return restore_dtype(out, x.dtype, lo, hi)


def rotation_inverse(angles_deg):
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
    x = check_batch(x)
    a = per_image(angles, x.shape[0], "angles")
    return affine(x, rotation_inverse(a), fill=fill)


def shift(x, dx, dy, fill=0.0):
    """Translate every image by ``dx`` pixels to the right and ``dy`` pixels down.

    ``dx``, ``dy``: numbers or one value per image.  The output pixel at
    (row, col) is read from the source point ``(row - dy, col - dx)`` by
    bilinear interpolation, neighbours outside the image counting as ``fill``:
    a whole-pixel shift copies pixels exactly, a shift by half a pixel averages
    neighbours (and, at the border, a pixel with ``fill``).
    """
    x = check_batch(x)
    n = x.shape[0]
    dx = per_image(dx, n, "dx")
    dy = per_image(dy, n, "dy")
    return affine(x, np.eye(2), offsets=np.stack([-dy, -dx], axis=1), fill=fill)


def zoom(x, factors, fill=0.0):
    """Scale every image about its centre by ``factors``, keeping the image size.

    ``factors`` > 1 enlarge the content (zoom in, borders are cut off),
    ``factors`` < 1 shrink it (zoom out, the border is filled with ``fill``).
    One number for the batch or one per image; all must be > 0.  The output
    pixel at ``centre + (u, v)`` is read from ``centre + (u, v) / factor`` by
    bilinear interpolation.
    """
    x = check_batch(x)
    f = per_image(factors, x.shape[0], "factors")
    if np.any(f <= 0):
        raise ValueError(_("zoom factors must be > 0; got min {smallest}.", smallest=f.min()))
    m = np.zeros((x.shape[0], 2, 2))
    m[:, 0, 0] = m[:, 1, 1] = 1.0 / f
    return affine(x, m, fill=fill)


def rot90(x, k=1):
    """Rotate the whole batch by ``k`` quarter turns counter-clockwise (exact).

    For non-square images the height and width are exchanged when ``k`` is odd.
    """
    x = check_batch(x)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(_("k must be an integer number of quarter turns; got {k!r}.", k=k))
    return np.ascontiguousarray(np.rot90(x, k=int(k), axes=(2, 3)))


def flip_horizontal(x, mask=None):
    """Mirror images left-right.

    ``mask``: optional boolean array of shape (N,) choosing which images to
    flip (default: all).  Returns a new array.
    """
    x = check_batch(x)
    if mask is None:
        return x[:, :, :, ::-1].copy()
    mask = np.asarray(mask)
    if mask.shape != (x.shape[0],) or mask.dtype != bool:
        raise ValueError(_("mask must be a boolean array of shape ({n},); got dtype {dtype} and "
                           "shape {shape}.", n=x.shape[0], dtype=mask.dtype, shape=mask.shape))
    return np.where(mask[:, None, None, None], x[:, :, :, ::-1], x)


def pad_crop(x, top, left, padding, mode="constant", fill=0.0):
    """Pad every image by ``padding`` pixels, then cut out an H x W window.

    ``top``, ``left``: integer window offsets inside the padded image, in
    ``[0, 2 * padding]``, one number or one per image.  With
    ``top = left = padding`` the input comes back unchanged.
    ``mode``: 'constant' (pad with ``fill``), 'edge' or 'reflect'.
    """
    x = check_batch(x)
    n, c, h, w = x.shape
    if not isinstance(padding, numbers.Integral) or padding < 0:
        raise ValueError(_("padding must be a whole number >= 0; got {padding!r}.",
                           padding=padding))
    padding = int(padding)
    if mode not in ("constant", "edge", "reflect"):
        raise ValueError(_("mode must be 'constant', 'edge' or 'reflect'; got {mode!r}.",
                           mode=mode))
    if mode == "reflect" and padding >= min(h, w):
        raise ValueError(_("mode='reflect' needs padding < min(H, W) = {limit}; got {padding}.",
                           limit=min(h, w), padding=padding))
    offsets = []
    for name, val in (("top", top), ("left", left)):
        arr = np.asarray(val)
        if arr.ndim == 0:
            arr = np.full(n, arr)
        if arr.shape != (n,) or not np.all(arr == np.rint(arr)):
            raise ValueError(_("{name} must be whole numbers, one or one per image; got "
                               "{value!r}.", name=name, value=val))
        arr = arr.astype(np.intp)
        if n and (arr.min() < 0 or arr.max() > 2 * padding):
            raise ValueError(_("{name} offsets must lie in [0, 2 * padding] = [0, {limit}]; got "
                               "values in [{low}, {high}].", name=name, limit=2 * padding,
                               low=arr.min(), high=arr.max()))
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
    x = check_batch(x)
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    d = np.asarray(displacement, dtype=np.float64)
    if d.shape != (n, 2, h, w):
        raise ValueError(_("displacement must have shape ({n}, 2, {h}, {w}); got {shape}.", n=n,
                           h=h, w=w, shape=d.shape))
    alpha, sigma = float(alpha), float(sigma)
    if not (np.isfinite(alpha) and alpha >= 0):
        raise ValueError(_("alpha must be a finite number >= 0 (pixels); got {alpha}.",
                           alpha=alpha))
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(_("sigma must be a finite number > 0 (pixels); got {sigma}.",
                           sigma=sigma))
    if n == 0:
        return x.copy()
    # Separable Gaussian smoothing as two small matrix products: G_h @ d @ G_w^T.
    field = _gaussian_matrix(h, sigma) @ d @ _gaussian_matrix(w, sigma).T
    # Scale each image's field so that its largest displacement is alpha pixels.
    peak = np.abs(field).max(axis=(1, 2, 3), keepdims=True)
    field *= alpha / np.maximum(peak, 1e-12)
    wd = work_dtype(x.dtype)
    rows = np.arange(h, dtype=wd)[None, :, None]
    cols = np.arange(w, dtype=wd)[None, None, :]
    src_r = rows + field[:, 0].astype(wd)
    src_c = cols + field[:, 1].astype(wd)
    out = _sample_bilinear(x, src_r, src_c, float(fill))
    lo, hi = _value_bounds(x, float(fill))
    return restore_dtype(out, x.dtype, lo, hi)
