"""The IDX file format of MNIST and Fashion-MNIST: decoding one file and checking it.

An IDX file is a header of big-endian 32-bit numbers (a magic number, the
count, and for images the number of rows and columns) followed by one byte
per label or pixel.  The published files are gzipped; their SHA-256 sums (of
the decompressed bytes) are known, so a damaged or misplaced file is told
apart from the right one.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib

import numpy as np

from .i18n import _

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SIDE = 28


class Unusable(Exception):
    """Why some bytes are not the expected IDX file."""

    def __init__(self, reason: str, other_dataset: str | None = None):
        super().__init__(reason)
        self.other_dataset = other_dataset  # title of the dataset the file belongs to


def decode_idx(raw: bytes, title: str, part, known_files: dict) -> np.ndarray:
    """Decode the bytes of one file (gzipped or not) into a read-only uint8 array.

    ``title``: the dataset's name for people; ``part``: what the file must be
    (``is_images``, ``count``, ``key``, ``filename``, ``sha256``);
    ``known_files``: SHA-256 -> (dataset title, file name) of every published
    file.  Images come out with shape ``(count, 28, 28)``, labels with shape
    ``(count,)``. Raises :class:`Unusable` with the reason when the bytes are
    not a complete gzip stream, the IDX header is wrong, or the SHA-256 of the
    decompressed bytes differs from the published one.
    """
    if raw[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise Unusable(_("it is not a complete, valid gzip file ({error})",
                             error=exc)) from None
    else:
        data = raw

    magic, ndim = (IMAGE_MAGIC, 3) if part.is_images else (LABEL_MAGIC, 1)
    header_size = 4 * (1 + ndim)
    if len(data) < header_size:
        raise Unusable(_too_short(part.is_images, len(data)))
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    found_magic = int(header[0])
    if found_magic != magic:
        raise Unusable(_wrong_magic(part.is_images, found_magic, magic))
    count = int(header[1])
    if count != part.count:
        raise Unusable(_wrong_count(part, count))
    shape: tuple[int, ...] = (count,)
    if part.is_images:
        rows, cols = int(header[2]), int(header[3])
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise Unusable(_("its images are {rows}x{cols} pixels instead of {side}x{side}",
                             rows=rows, cols=cols, side=IMAGE_SIDE))
        shape = (count, rows, cols)
    expected_size = header_size + int(np.prod(shape))
    if len(data) != expected_size:
        fields = dict(size=len(data), expected=expected_size)
        raise Unusable(
            _("it holds {size} bytes once decompressed instead of {expected}: it is truncated",
              **fields) if len(data) < expected_size else
            _("it holds {size} bytes once decompressed instead of {expected}: it is followed by "
              "extra bytes", **fields))
    digest = hashlib.sha256(data).hexdigest()
    if digest != part.sha256:
        really = known_files.get(digest)
        if really is not None:
            raise Unusable(_("it is {other}'s {other_file}, not {title}'s {file}",
                             other=really[0], other_file=really[1], title=title,
                             file=part.filename),
                           other_dataset=really[0])
        raise Unusable(_("its content differs from the published file (SHA-256 of the "
                         "decompressed bytes is {digest}, expected {published})", digest=digest,
                         published=part.sha256))
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def _too_short(images, size):
    if images:
        return _("it holds only {size} bytes, too few for the header of an IDX image file",
                 size=size)
    return _("it holds only {size} bytes, too few for the header of an IDX label file", size=size)


def _wrong_magic(images, found, magic):
    """Why a file whose first number is ``found`` is not the IDX file expected."""
    if found == LABEL_MAGIC and images:
        return _("it is an IDX label file (magic number {found}), but an IDX image file (magic "
                 "number {magic}) was expected: are two files swapped?", found=found, magic=magic)
    if found == IMAGE_MAGIC and not images:
        return _("it is an IDX image file (magic number {found}), but an IDX label file (magic "
                 "number {magic}) was expected: are two files swapped?", found=found, magic=magic)
    if images:
        return _("it starts with {found} instead of the magic number {magic} of an IDX image "
                 "file, so it is not an IDX image file", found=found, magic=magic)
    return _("it starts with {found} instead of the magic number {magic} of an IDX label file, "
             "so it is not an IDX label file", found=found, magic=magic)


def _wrong_count(part, count):
    """Why a header announcing ``count`` items does not fit ``part``."""
    fields = dict(count=count, expected=part.count)
    training = part.key.startswith("train")
    if part.is_images:
        return (_("its header announces {count} images, but the training set has {expected}",
                  **fields) if training else
                _("its header announces {count} images, but the test set has {expected}",
                  **fields))
    return (_("its header announces {count} labels, but the training set has {expected}",
              **fields) if training else
            _("its header announces {count} labels, but the test set has {expected}", **fields))
