"""Array operations behind the layers: output sizes, im2col and col2im.

The book's layout: ``im2col`` turns an ``(N, C, H, W)`` batch into a matrix
with one row per output pixel and the columns ordered ``(C, FH, FW)``;
``col2im`` adds such a matrix back into an image.  The reference layers in
``course_lib.layers`` are built on them.  (The channels-last versions the fast
layers use, ``windows_nhwc`` and ``col2im_nhwc``, live in ``course_lib.fast``.)

The two are written as the mirror images chapter 2 teaches: the same loop
over the ``FH * FW`` positions inside a filter, where ``im2col`` copies the
pixels under position ``(i, j)`` of every window out of the padded image and
``col2im`` adds them back onto the same pixels.  Neither loops in Python over
images or output pixels.  (Speed is ``course_lib.fast``'s job.)
"""
import numpy as np

from .i18n import _


def conv_output_size(size, filter_size, stride=1, pad=0, what="height"):
    """Output length of a convolution or pooling along one axis.

    ``out = (size + 2 * pad - filter_size) / stride + 1``

    Raises ``ValueError`` naming the numbers when the filter does not fit or the
    result is not a whole number (the window would hang over the edge).
    """
    if int(stride) != stride or stride < 1:
        raise ValueError(_("stride must be a positive whole number, got {stride}", stride=stride))
    if int(pad) != pad or pad < 0:
        raise ValueError(_("pad must be a whole number >= 0, got {pad}", pad=pad))
    span = size + 2 * pad - filter_size
    # the axis named in a sentence: "height" or "width" in the language in use
    axis = {"height": _("height"), "width": _("width")}.get(what, what)
    if span < 0:
        raise ValueError(_(
            "the filter {what} {filter} is larger than the padded input {what} {size} + 2*{pad} = "
            "{padded}; use a smaller filter or more padding", what=axis, filter=filter_size,
            size=size, pad=pad, padded=size + 2 * pad))
    if span % stride:
        raise ValueError(_(
            "output {what} ({size} + 2*{pad} - {filter}) / {stride} + 1 = {value:g} is not a whole "
            "number: with input {what} {size}, filter {filter}, pad {pad} and stride {stride} the "
            "last window hangs over the edge. Change the padding or the stride so that {size} + "
            "2*pad - {filter} is a multiple of the stride", what=axis, size=size, pad=pad,
            filter=filter_size, stride=stride, value=span / stride + 1))
    return span // stride + 1


def _pad_hw(x, pad, h_axis, value=0):
    """Pad the two axes ``h_axis`` and ``h_axis + 1`` by ``pad`` on each side (a fresh array)."""
    if not pad:
        return x
    shape = list(x.shape)
    shape[h_axis] += 2 * pad
    shape[h_axis + 1] += 2 * pad
    out = np.full(shape, value, dtype=x.dtype)
    inner = [slice(None)] * x.ndim
    inner[h_axis] = slice(pad, pad + x.shape[h_axis])
    inner[h_axis + 1] = slice(pad, pad + x.shape[h_axis + 1])
    out[tuple(inner)] = x
    return out


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold every filter window of a batch into a row (the book's layout).

    input_data: ``(N, C, H, W)``.
    Returns ``(N * OH * OW, C * filter_h * filter_w)``; row ``(n, i, j)`` holds the
    window under output pixel ``(i, j)`` of image ``n``, columns ordered
    ``(C, FH, FW)``.  A ``(1, 3, 7, 7)`` input and a 5x5 filter give ``(9, 75)``.
    """
    if np.ndim(input_data) != 4:
        raise ValueError(_("im2col expects a 4-D batch (N, C, H, W), got shape {shape}; add a "
                           "batch axis to a single image with x[np.newaxis]",
                           shape=np.shape(input_data)))
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad, "height")
    out_w = conv_output_size(W, filter_w, stride, pad, "width")
    img = _pad_hw(input_data, pad, 2)
    col = np.empty((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            # position (i, j) of every window: rows i, i + stride, ... of the padded image
            col[:, :, i, j] = img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of ``im2col``: add every row back onto the window it came from.

    col: ``(N * OH * OW, C * filter_h * filter_w)``; input_shape: ``(N, C, H, W)``.
    Returns an ``(N, C, H, W)`` array.  Pixels covered by several windows receive
    the sum of their contributions, which is exactly what the backward pass of a
    convolution needs.
    """
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad, "height")
    out_w = conv_output_size(W, filter_w, stride, pad, "width")
    expected = (N * out_h * out_w, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(_("col has shape {shape}, but input_shape {input_shape} with a "
                           "{filter_h}x{filter_w} filter, stride {stride}, pad {pad} needs "
                           "{expected}", shape=col.shape, input_shape=tuple(input_shape),
                           filter_h=filter_h, filter_w=filter_w, stride=stride, pad=pad,
                           expected=expected))
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            # position (i, j) of every window, added back where im2col took it from
            img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += col[:, :, i, j]
    return img[:, :, pad:pad + H, pad:pad + W]

