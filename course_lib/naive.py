"""Plain-loop reference versions of convolution, pooling, im2col and col2im.

They follow the definitions one multiply-add at a time, so they are easy to
read and easy to trust, and far too slow to train with.  The tests compare the
reference layers (``course_lib.layers``) and the fast ones (``course_lib.fast``)
against them, and the im2col chapter times one against the other.

Shapes: ``x`` is ``(N, C, H, W)``, ``W`` is ``(FN, C, FH, FW)``, ``b`` is
``(FN,)``; outputs are ``(N, FN, OH, OW)`` (convolution) or ``(N, C, OH, OW)``
(pooling); ``im2col_naive`` gives the book's ``(N*OH*OW, C*FH*FW)`` matrix one
window at a time, and ``col2im_naive`` adds such a matrix back, row by row.
"""
import numpy as np

from . import i18n   # the module, not its _: the checks switch off every function named here
from .functional import conv_output_size


def _pad(x, pad, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=value)


def im2col_naive(x, FH, FW, stride=1, pad=0):
    """The book's im2col by loops: one row per output pixel, image by image, the window flattened.

    x ``(N, C, H, W)`` -> ``(N*OH*OW, C*FH*FW)``, columns ordered ``(C, FH, FW)``.
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, FH, stride, pad, "height")
    OW = conv_output_size(W, FW, stride, pad, "width")
    xp = _pad(x, pad)
    col = np.zeros((N * OH * OW, C * FH * FW), dtype=x.dtype)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                col[(n * OH + i) * OW + j] = window.ravel()
    return col


def col2im_naive(col, input_shape, FH, FW, stride=1, pad=0):
    """The book's col2im by loops: every row added back onto its window; ``(N, C, H, W)``."""
    N, C, H, W = input_shape
    OH = conv_output_size(H, FH, stride, pad, "height")
    OW = conv_output_size(W, FW, stride, pad, "width")
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                row = col[(n * OH + i) * OW + j].reshape(C, FH, FW)
                xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW] += row
    return xp[:, :, pad:pad + H, pad:pad + W]


def conv_forward_naive(x, W, b, stride=1, pad=0):
    """Convolution (cross-correlation, as in every deep learning library) by loops."""
    N, C, H, Wd = x.shape
    FN, FC, FH, FW = W.shape
    if FC != C:
        raise ValueError(i18n._("x has {C} channels but the filters W {shape} expect {FC}", C=C,
                                shape=W.shape, FC=FC))
    OH = conv_output_size(H, FH, stride, pad, "height")
    OW = conv_output_size(Wd, FW, stride, pad, "width")
    xp = _pad(x, pad)
    out = np.zeros((N, FN, OH, OW), dtype=np.result_type(x, W))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_naive(dout, x, W, stride=1, pad=0):
    """Gradients of ``conv_forward_naive`` by loops: returns ``(dx, dW, db)``."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    _, _, OH, OW = dout.shape
    xp = _pad(x, pad)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    hs, ws = i * stride, j * stride
                    g = dout[n, f, i, j]
                    dW[f] += g * xp[n, :, hs:hs + FH, ws:ws + FW]
                    dxp[n, :, hs:hs + FH, ws:ws + FW] += g * W[f]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, db


def pool_forward_naive(x, pool_h, pool_w, stride, pad=0, mode="max"):
    """Max or average pooling by loops.  Padding counts as -inf (max) or 0 (avg)."""
    if mode not in ("max", "avg"):
        raise ValueError(i18n._("mode must be 'max' or 'avg', got {mode!r}", mode=mode))
    N, C, H, W = x.shape
    OH = conv_output_size(H, pool_h, stride, pad, "height")
    OW = conv_output_size(W, pool_w, stride, pad, "width")
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, c, i * stride:i * stride + pool_h, j * stride:j * stride
                                + pool_w]
                    out[n, c, i, j] = window.max() if mode == "max" else window.mean()
    return out


def pool_backward_naive(dout, x, pool_h, pool_w, stride, pad=0, mode="max"):
    """Gradient of ``pool_forward_naive``.

    Max pooling sends each output's gradient to the first maximum of its window
    (first in row-major order); average pooling shares it equally.
    """
    N, C, H, W = x.shape
    _, _, OH, OW = dout.shape
    xp = _pad(x, pad, -np.inf if mode == "max" else 0.0)
    dxp = np.zeros(xp.shape, dtype=dout.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    hs, ws = i * stride, j * stride
                    if mode == "max":
                        window = xp[n, c, hs:hs + pool_h, ws:ws + pool_w]
                        a, b = np.unravel_index(np.argmax(window), window.shape)
                        dxp[n, c, hs + a, ws + b] += dout[n, c, i, j]
                    else:
                        share = dout[n, c, i, j] / (pool_h * pool_w)
                        dxp[n, c, hs:hs + pool_h, ws:ws + pool_w] += share
    return dxp[:, :, pad:pad + H, pad:pad + W]
