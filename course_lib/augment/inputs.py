"""Argument checks and dtype handling shared by the transforms."""
import numbers

import numpy as np

from ..i18n import _


def check_batch(x, name="x"):
    """Return ``x`` as an ndarray after checking it is a (N, C, H, W) batch of floats."""
    x = np.asarray(x)
    if x.ndim != 4:
        fields = dict(name=name, ndim=x.ndim, shape=x.shape)
        if x.ndim == 2:
            raise ValueError(_("{name} must be a batch of images with shape (N, C, H, W); got an "
                               "array with {ndim} dimension(s) and shape {shape}. A flattened "
                               "batch (N, H*W) can be reshaped, e.g. x.reshape(-1, 1, 28, 28), or "
                               "loaded with flatten=False.", **fields))
        if x.ndim == 3:
            raise ValueError(_("{name} must be a batch of images with shape (N, C, H, W); got an "
                               "array with {ndim} dimension(s) and shape {shape}. For a "
                               "single-channel batch (N, H, W) add the channel axis: x[:, None]; "
                               "for one image (C, H, W) add the batch axis: x[None].", **fields))
        raise ValueError(_("{name} must be a batch of images with shape (N, C, H, W); got an "
                           "array with {ndim} dimension(s) and shape {shape}.", **fields))
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(_("{name} must hold floating-point numbers; got dtype {dtype}. Convert it "
                          "first, e.g. x.astype(np.float32) / 255 for 8-bit images.", name=name,
                          dtype=x.dtype))
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(_("{name} has empty images: shape {shape}; H and W must be >= 1.",
                           name=name, shape=x.shape))
    return x


def work_dtype(dtype):
    """Floating dtype in which a batch of ``dtype`` is processed."""
    if dtype == np.float64:
        return np.float64
    return np.float32


def restore_dtype(out, dtype, lo, hi):
    """Clip ``out`` to [lo, hi] (rounding can step just outside) and cast it to ``dtype``."""
    np.clip(out, lo, hi, out=out)
    return out.astype(dtype, copy=False)


def per_image(value, n, name):
    """Broadcast a scalar or length-n sequence to a float64 array of shape (n,)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(_("{name} must be a number or have one value per image (shape ({n},)); "
                           "got shape {shape}.", name=name, n=n, shape=arr.shape))
    if not np.all(np.isfinite(arr)):
        raise ValueError(_("{name} must be finite; got {values}.", name=name, values=arr))
    return arr


def check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(_("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
                          "got {type}.", type=type(rng).__name__))


def parse_range(value, name, symmetric_around=0.0, lower_bound=None):
    """Parse a range parameter.

    A single number ``d`` means ``(symmetric_around - d, symmetric_around + d)``
    and must be >= 0; a pair ``(lo, hi)`` is used as is and needs lo <= hi.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        d = float(value)
        if not np.isfinite(d) or d < 0:
            raise ValueError(_("{name} as a single number must be finite and >= 0 (it means the "
                               "range ({centre} - {name}, {centre} + {name})); got {value}.",
                               name=name, centre=symmetric_around, value=value))
        lo, hi = symmetric_around - d, symmetric_around + d
    else:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise TypeError(_("{name} must be a number or a pair (low, high); got {value!r}.",
                              name=name, value=value)) from None
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
            raise ValueError(_("{name} must be a pair (low, high) of finite numbers with low <= "
                               "high; got {value!r}.", name=name, value=value))
    if lower_bound is not None and lo < lower_bound:
        raise ValueError(_("{name} must stay >= {bound}; the range {range} goes below it.",
                           name=name, bound=lower_bound, range=(lo, hi)))
    return lo, hi
