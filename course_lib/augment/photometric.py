"""Photometric transform: brightness and contrast."""
import numpy as np

from ..i18n import _

from .inputs import check_batch, work_dtype, restore_dtype, per_image


def adjust_brightness_contrast(x, brightness=0.0, contrast=1.0, value_range=(0.0, 1.0)):
    """Change brightness and contrast of every image.

    ``out = (x - mean) * contrast + mean + brightness``, where ``mean`` is the
    mean of each image (per channel).  ``brightness = 0`` and ``contrast = 1``
    give the input back.  Both may be numbers or one value per image;
    ``contrast`` must be >= 0.  The result is clipped to ``value_range``
    (default (0, 1), the range of the course datasets); pass ``None`` to skip
    clipping.  Inputs outside ``value_range`` raise a ``ValueError``.
    """
    x = check_batch(x)
    n = x.shape[0]
    b = per_image(brightness, n, "brightness")
    cf = per_image(contrast, n, "contrast")
    if np.any(cf < 0):
        raise ValueError(_("contrast factors must be >= 0; got min {smallest}.",
                           smallest=cf.min()))
    if value_range is not None:
        lo, hi = (float(v) for v in value_range)
        if lo > hi:
            raise ValueError(_("value_range must be (low, high) with low <= high; got "
                               "{value_range}.", value_range=value_range))
        if x.size and (x.min() < lo or x.max() > hi):
            raise ValueError(_("input values lie in [{low}, {high}], outside value_range="
                               "{value_range}; pass value_range=(low, high) matching your data, "
                               "or None.", low=x.min(), high=x.max(), value_range=(lo, hi)))
    else:
        lo, hi = -np.inf, np.inf
    if n == 0:
        return x.copy()
    wd = work_dtype(x.dtype)
    xf = x.astype(wd, copy=False)
    mean = xf.mean(axis=(2, 3), keepdims=True)
    cf = cf.astype(wd)[:, None, None, None]
    b = b.astype(wd)[:, None, None, None]
    # (x - mean) * c + mean + b, arranged so that c = 1, b = 0 is exact.
    out = xf * cf + (mean * (1 - cf) + b)
    return restore_dtype(out, x.dtype, lo, hi)
