"""Argument checks and dtype handling shared by the transforms."""
import numbers

import numpy as np


def check_batch(x, name="x"):
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
        raise ValueError(
            f"{name} must be a number or have one value per image (shape ({n},)); "
            f"got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {arr}.")
    return arr


def check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}.")


def parse_range(value, name, symmetric_around=0.0, lower_bound=None):
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
