"""Random transforms: small classes that draw per-image parameters and call the functional forms.

Called as ``transform(x, rng)`` with a ``numpy.random.Generator``: the
signature the course ``Trainer`` takes as ``augment=``.
"""
import numbers

import numpy as np

from ..i18n import _

from .geometric import (affine, elastic, flip_horizontal, pad_crop, rotate, rotation_inverse, shift,
                        zoom)
from .inputs import check_batch, check_generator, parse_range
from .photometric import adjust_brightness_contrast


class Transform:
    """Base class of the random transforms.

    Subclasses implement ``apply(x, rng)``; ``transform(x, rng)`` checks the
    batch (N, C, H, W) and the generator, then calls it.
    """

    def __call__(self, x, rng):
        x = check_batch(x)
        check_generator(rng)
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
        self.degrees = parse_range(degrees, "degrees")
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
        self.max_shift = parse_range(max_shift, "max_shift")
        self.whole_pixels = bool(whole_pixels)
        if self.whole_pixels and np.ceil(self.max_shift[0]) > np.floor(self.max_shift[1]):
            raise ValueError(_("max_shift={max_shift} contains no whole number of pixels; widen "
                               "the range or pass whole_pixels=False.", max_shift=max_shift))
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
        self.scale = parse_range(scale, "scale", symmetric_around=1.0)
        if self.scale[0] <= 0:
            raise ValueError(_("zoom factors must be > 0; the range {range} is not.",
                               range=self.scale))
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
        self.degrees = parse_range(degrees, "degrees")
        self.max_shift = parse_range(max_shift, "max_shift")
        self.scale = parse_range(scale, "scale", symmetric_around=1.0)
        if self.scale[0] <= 0:
            raise ValueError(_("zoom factors must be > 0; the range {range} is not.",
                               range=self.scale))
        self.fill = float(fill)

    def apply(self, x, rng):
        n = x.shape[0]
        angles = rng.uniform(*self.degrees, size=n)
        factors = rng.uniform(*self.scale, size=n)
        dx = rng.uniform(*self.max_shift, size=n)
        dy = rng.uniform(*self.max_shift, size=n)
        # Forward map: p_out = c + s R (p_in - c) + t; we need its inverse,
        # p_in = c + R^-1 (p_out - c - t) / s.
        m = rotation_inverse(angles) / factors[:, None, None]
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
            raise ValueError(_("alpha must be a finite number >= 0 (pixels); got {alpha}.",
                               alpha=alpha))
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(_("sigma must be a finite number > 0 (pixels); got {sigma}.",
                               sigma=sigma))
        self.alpha, self.sigma, self.fill = alpha, sigma, float(fill)

    def apply(self, x, rng):
        n, h, w = x.shape[0], x.shape[2], x.shape[3]
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
            raise ValueError(_("padding must be a whole number >= 0; got {padding!r}.",
                               padding=padding))
        if mode not in ("constant", "edge", "reflect"):
            raise ValueError(_("mode must be 'constant', 'edge' or 'reflect'; got {mode!r}.",
                               mode=mode))
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
            raise ValueError(_("p must be a probability in [0, 1]; got {p}.", p=p))
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
        self.brightness = parse_range(brightness, "brightness")
        self.contrast = parse_range(contrast, "contrast", symmetric_around=1.0, lower_bound=0.0)
        if value_range is not None:
            value_range = tuple(float(v) for v in value_range)
            if len(value_range) != 2 or value_range[0] > value_range[1]:
                raise ValueError(_("value_range must be (low, high) with low <= high, or None; "
                                   "got {value_range}.", value_range=value_range))
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
                raise TypeError(_("Compose needs callables f(x, rng); item {i} is a {type}.",
                                  i=i, type=type(t).__name__))
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
