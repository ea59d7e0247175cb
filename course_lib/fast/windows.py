"""Channels-last window gathering: the fast cousin of ``im2col`` / ``col2im``.

``windows_nhwc`` gathers the windows of an ``(N, H, W, C)`` array into rows
ordered ``(FH, FW, C)``.  Each window row is then made of ``FH`` contiguous
runs of ``FW * C`` numbers, which a computer copies far faster than the
scattered single numbers the channels-first layout of ``im2col`` asks for.
Neither function loops in Python over images or output pixels: the only loops
run over the ``FH * FW`` positions inside a filter.
"""
import numpy as np

from ..functional import _pad_hw, conv_output_size


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
