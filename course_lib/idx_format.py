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
            raise Unusable(f"it is not a complete, valid gzip file ({exc})") from None
    else:
        data = raw

    magic, ndim = (IMAGE_MAGIC, 3) if part.is_images else (LABEL_MAGIC, 1)
    kind = "image" if part.is_images else "label"
    header_size = 4 * (1 + ndim)
    if len(data) < header_size:
        raise Unusable(
            f"it holds only {len(data)} bytes, too few for the header of an IDX {kind} file"
        )
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    found_magic = int(header[0])
    if found_magic != magic:
        if found_magic in (IMAGE_MAGIC, LABEL_MAGIC):
            other = "image" if found_magic == IMAGE_MAGIC else "label"
            raise Unusable(
                f"it is an IDX {other} file (magic number {found_magic}), but an IDX "
                f"{kind} file (magic number {magic}) was expected: are two files swapped?"
            )
        raise Unusable(
            f"it starts with {found_magic} instead of the magic number {magic} of an "
            f"IDX {kind} file, so it is not an IDX {kind} file"
        )
    count = int(header[1])
    if count != part.count:
        raise Unusable(
            f"its header announces {count} {kind}s, but the "
            f"{'training' if part.key.startswith('train') else 'test'} set has {part.count}"
        )
    shape: tuple[int, ...] = (count,)
    if part.is_images:
        rows, cols = int(header[2]), int(header[3])
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise Unusable(
                f"its images are {rows}x{cols} pixels instead of {IMAGE_SIDE}x{IMAGE_SIDE}"
            )
        shape = (count, rows, cols)
    expected_size = header_size + int(np.prod(shape))
    if len(data) != expected_size:
        how = "truncated" if len(data) < expected_size else "followed by extra bytes"
        raise Unusable(
            f"it holds {len(data)} bytes once decompressed instead of {expected_size}: "
            f"it is {how}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != part.sha256:
        really = known_files.get(digest)
        if really is not None:
            raise Unusable(
                f"it is {really[0]}'s {really[1]}, not {title}'s {part.filename}",
                other_dataset=really[0],
            )
        raise Unusable(
            "its content differs from the published file (SHA-256 of the decompressed "
            f"bytes is {digest}, expected {part.sha256})"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)
