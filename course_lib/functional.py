"""Array operations behind the layers: output sizes, im2col and col2im.

Two layouts live here.

* The book's layout, for teaching: ``im2col`` turns an ``(N, C, H, W)`` batch
  into a matrix with one row per output pixel and the columns ordered
  ``(C, FH, FW)``; ``col2im`` adds such a matrix back into an image.
* A channels-last layout, used by the layers for speed: ``windows_nhwc``
  gathers the windows of an ``(N, H, W, C)`` array into rows ordered
  ``(FH, FW, C)``.  Each window row is then made of ``FH`` contiguous runs of
  ``FW * C`` numbers, which a computer copies far faster than the scattered
  single numbers the channels-first layout asks for.

None of these functions loops in Python over images or output pixels: the
only loops run over the ``FH * FW`` positions inside a filter.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(size, filter_size, stride=1, pad=0, what="height"):
    """Output length of a convolution or pooling along one axis.

    ``out = (size + 2 * pad - filter_size) / stride + 1``

    Raises ``ValueError`` naming the numbers when the filter does not fit or the
    result is not a whole number (the window would hang over the edge).
    """
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive whole number, got {stride}")
    if int(pad) != pad or pad < 0:
        raise ValueError(f"pad must be a whole number >= 0, got {pad}")
    span = size + 2 * pad - filter_size
    if span < 0:
        raise ValueError(
            f"the filter {what} {filter_size} is larger than the padded input {what} "
            f"{size} + 2*{pad} = {size + 2 * pad}; use a smaller filter or more padding")
    if span % stride:
        raise ValueError(
            f"output {what} ({size} + 2*{pad} - {filter_size}) / {stride} + 1 = "
            f"{span / stride + 1:g} is not a whole number: with input {what} {size}, "
            f"filter {filter_size}, pad {pad} and stride {stride} the last window hangs over "
            f"the edge. Change the padding or the stride so that {size} + 2*pad - "
            f"{filter_size} is a multiple of the stride")
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
        raise ValueError(f"im2col expects a 4-D batch (N, C, H, W), got shape {np.shape(input_data)}; "
                         f"add a batch axis to a single image with x[np.newaxis]")
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad, "height")
    out_w = conv_output_size(W, filter_w, stride, pad, "width")
    x = _pad_hw(input_data, pad, 2)
    win = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))  # (N, C, H', W', FH, FW)
    win = win[:, :, ::stride, ::stride]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * out_h * out_w, C * filter_h * filter_w)


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
        raise ValueError(f"col has shape {col.shape}, but input_shape {tuple(input_shape)} with a "
                         f"{filter_h}x{filter_w} filter, stride {stride}, pad {pad} needs {expected}")
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += \
                col[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return img[:, :, pad:pad + H, pad:pad + W]


def windows_nhwc(x, filter_h, filter_w, stride=1, pad=0, pad_value=0, out=None):
    """Gather the filter windows of a channels-last batch.

    x: ``(N, H, W, C)``.  Returns ``(N, OH, OW, filter_h, filter_w, C)``, a
    C-contiguous array, so ``.reshape(N * OH * OW, -1)`` is free.

    The result is a fresh array, or ``out`` when given (an array of the
    result's shape): a caller that gathers again and again can reuse the same
    memory, which then stays in the processor's cache.
    """
    N, H, W, C = x.shape
    out_h = conv_output_size(H, filter_h, stride, pad, "height")
    out_w = conv_output_size(W, filter_w, stride, pad, "width")
    shape = (N, out_h, out_w, filter_h, filter_w, C)
    if out is None:
        out = np.empty(shape, dtype=x.dtype)
    elif out.shape != shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous {x.dtype} array of shape {shape}, "
                         f"got a {out.dtype} array of shape {out.shape}")
    xp = np.ascontiguousarray(_pad_hw(x, pad, 1, pad_value))
    sN, sH, sW, _ = xp.strides
    # Each window is filter_h runs of filter_w * C numbers that lie side by side in
    # memory.  Viewing every such run as one opaque item of that many bytes lets NumPy
    # copy whole runs in one inner loop, instead of number by number.
    item = np.dtype((np.void, filter_w * C * xp.itemsize))
    runs = np.ndarray((N, out_h, out_w, filter_h), dtype=item, buffer=xp,
                      offset=0, strides=(sN, sH * stride, sW * stride, sH))
    np.copyto(out.reshape(N, out_h, out_w, filter_h, filter_w * C).view(item)[..., 0], runs)
    return out


def col2im_nhwc(dwin, input_shape, stride=1, pad=0):
    """The adjoint of ``windows_nhwc``.

    dwin: ``(N, OH, OW, FH, FW, C)``; input_shape: ``(N, H, W, C)``.
    Returns ``(N, H, W, C)`` with every window's values added back in place.
    """
    N, H, W, C = input_shape
    _, out_h, out_w, filter_h, filter_w, _ = dwin.shape
    if filter_h == stride and filter_w == stride and pad == 0 and H == out_h * stride and W == out_w * stride:
        # Windows tile the image without overlap: putting them back is a reshape.
        return dwin.transpose(0, 1, 3, 2, 4, 5).reshape(N, H, W, C)
    dx = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=dwin.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            dx[:, i:i + stride * out_h:stride, j:j + stride * out_w:stride, :] += dwin[:, :, :, i, j, :]
    return dx[:, pad:pad + H, pad:pad + W, :]
