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

The modules: ``geometric`` and ``photometric`` (the functional forms),
``random_transforms`` (the classes), ``inputs`` (argument checks they share).
"""
from .geometric import affine, elastic, flip_horizontal, pad_crop, rot90, rotate, shift, zoom
from .photometric import adjust_brightness_contrast
from .random_transforms import (Compose, RandomAffine, RandomBrightnessContrast, RandomCrop,
                                RandomElastic,
                                RandomHorizontalFlip, RandomRotation, RandomShift, RandomZoom,
                                Transform)

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
