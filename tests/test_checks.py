"""The exercise checks: a correct solution passes, typical mistakes fail with the right hint.

The correct solutions of chapters 1 to 5 here are written the book's way
(im2col with a loop over the filter positions, layers with
``forward``/``backward``) and on purpose apart from course_lib: a check is
only shown to accept right code when that code does not share the
reference's own implementation (the checks compare with ``course_lib.naive``
and ``course_lib.functional``; further tests pass course_lib's versions
through them too).  Chapter 6's solution is the chapter's own, read from its
worked notebook.  Every wrong answer is a small change to a correct one, the
kind of mistake students make.
"""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import checks


def rejects(check, student, hint):
    """Run ``check(student)``; it must raise AssertionError whose message matches ``hint``."""
    with pytest.raises(AssertionError) as info:
        check(student)
    message = str(info.value)
    assert re.search(hint, " ".join(message.split()), flags=re.IGNORECASE), message
    shown = ("AssertionError: " + message).splitlines()     # as Jupyter shows it
    for line in shown:
        assert len(line) <= 80 or " " not in line.strip(), f"line too long: {line!r}"
    assert len(shown) <= 8, message                           # a few lines, not a page
    return message


def passes(check, student, capsys):
    """Run ``check(student)``; it must print one success line, wrapped at words to 79 columns."""
    check(student)
    out = capsys.readouterr().out
    assert out.startswith(check.__name__ + ": passed"), out
    lines = out.splitlines()
    assert 1 <= len(lines) <= 3 and all(len(line) <= 79 for line in lines), out
    assert not any(" " not in line.strip() and len(line) > 20 for line in lines), out
    assert " ".join(out.split()).endswith(")"), out              # wrapped, nothing cut


# ---------------------------------------------------------------------------
# Correct solutions, the book's way
# ---------------------------------------------------------------------------

def conv_output_size(H, FH, stride=1, pad=0):
    span = H + 2 * pad - FH
    if span < 0:
        raise ValueError(f"filter {FH} larger than the padded input {H + 2 * pad}")
    if span % stride:
        raise ValueError(f"({H} + 2*{pad} - {FH}) / {stride} + 1 is not a whole number")
    return span // stride + 1


def conv_forward_naive(x, W, b, stride=1, pad=0):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = conv_output_size(H, FH, stride, pad), conv_output_size(Wd, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, FN, OH, OW), dtype=x.dtype)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + stride * out_h:stride, x:x + stride
                                        * out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + stride * out_h:stride,
                x:x + stride * out_w:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        self.x = x
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return self.to_nchw(out, N, out_h, out_w)

    def to_nchw(self, out, N, out_h, out_w):
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def dout_matrix(self, dout):
        return dout.transpose(0, 2, 3, 1).reshape(-1, self.W.shape[0])

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = self.dout_matrix(dout)
        self.db = np.sum(dout, axis=0)
        self.dW = self.filters(self.col.T @ dout)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)

    def filters(self, dW_matrix):
        return dW_matrix.transpose(1, 0).reshape(self.W.shape)


class Pooling:
    """Max pooling; the padding is -inf, so that it never wins a window."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def out_size(self, H, W):
        return ((H + 2 * self.pad - self.pool_h) // self.stride + 1,
                (W + 2 * self.pad - self.pool_w) // self.stride + 1)

    def padded(self, x):
        p = self.pad
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)

    def forward(self, x):
        N, C, H, W = x.shape
        out_h, out_w = self.out_size(H, W)
        xp = self.padded(x)
        col = im2col(xp, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.x, self.xp_shape, self.arg_max = x, xp.shape, self.argmax(col)
        out = self.reduce(col)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def argmax(self, col):
        return np.argmax(col, axis=1)

    def reduce(self, col):
        return np.max(col, axis=1)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dxp = col2im(dmax, self.xp_shape, self.pool_h, self.pool_w, self.stride, 0)
        return self.unpadded(dxp)

    def unpadded(self, dxp):
        p, (H, W) = self.pad, self.x.shape[2:]
        return dxp[:, :, p:p + H, p:p + W]


# ---------------------------------------------------------------------------
# Chapter 1
# ---------------------------------------------------------------------------

def test_conv_output_size_correct(capsys):
    passes(checks.check_conv_output_size, conv_output_size, capsys)


def _no_pad(H, FH, stride=1, pad=0):
    return (H - FH) // stride + 1


def _pad_once(H, FH, stride=1, pad=0):
    return (H + pad - FH) // stride + 1


def _true_division(H, FH, stride=1, pad=0):
    return (H + 2 * pad - FH) / stride + 1


def _floor_without_raising(H, FH, stride=1, pad=0):
    if H + 2 * pad < FH:
        raise ValueError("filter too large")
    return (H + 2 * pad - FH) // stride + 1


def _only_whole_number_test(H, FH, stride=1, pad=0):
    if (H + 2 * pad - FH) % stride:
        raise ValueError("not a whole number")
    return (H + 2 * pad - FH) // stride + 1


def _wrong_exception(H, FH, stride=1, pad=0):
    if (H + 2 * pad - FH) % stride or H + 2 * pad < FH:
        raise RuntimeError("does not fit")
    return (H + 2 * pad - FH) // stride + 1


def _silent_error(H, FH, stride=1, pad=0):
    span = H + 2 * pad - FH
    if span < 0 or span % stride:
        raise ValueError()
    return span // stride + 1


def _unfinished(*args):
    raise NotImplementedError


def _forgot_return(*args):
    (args[0] + 2 * args[3] - args[1]) // args[2] + 1


@pytest.mark.parametrize("student, hint", [
    (_no_pad, "padding is missing"),
    (_pad_once, "both sides"),
    (_true_division, r"use //"),
    (_floor_without_raising, "rounding down with //"),
    (_only_whole_number_test, r"H \+ 2\*pad - FH < 0"),
    (_wrong_exception, "ValueError"),
    (_silent_error, "raised ValueError without a message"),
    (_unfinished, "not written yet"),
    (_forgot_return, "return"),
])
def test_conv_output_size_mistakes(student, hint):
    rejects(checks.check_conv_output_size, student, hint)


def test_conv_forward_naive_correct(capsys):
    passes(checks.check_conv_forward_naive, conv_forward_naive, capsys)


def _conv_zeros(x, W, b, stride=1, pad=0):
    return np.zeros_like(conv_forward_naive(x, W, b, stride, pad))


def _conv_no_bias(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, np.zeros_like(b), stride, pad)


def _conv_flipped(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W[:, :, ::-1, ::-1], b, stride, pad)


def _conv_transposed(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, b, stride, pad).swapaxes(2, 3)


def _conv_ignores_pad(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, b, stride, 0)


def _conv_windows_without_stride(x, W, b, stride=1, pad=0):
    out = conv_forward_naive(x, W, b, stride, pad)
    return conv_forward_naive(x, W, b, 1, pad)[:, :, :out.shape[2], :out.shape[3]]


def _conv_int_output(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, b, stride, pad).astype(int)


def _conv_half_precision(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, b, stride, pad).astype(np.float16)


def _conv_forgot_return(x, W, b, stride=1, pad=0):
    conv_forward_naive(x, W, b, stride, pad)


def _conv_all_biases(x, W, b, stride=1, pad=0):
    return conv_forward_naive(x, W, np.full_like(b, b.sum()), stride, pad)


@pytest.mark.parametrize("student, hint", [
    (_conv_zeros, "all zeros"),
    (_conv_no_bias, "bias b is missing"),
    (_conv_flipped, "flipped"),
    (_conv_transposed, "transposed"),
    (_conv_ignores_pad, "padding is missing"),
    (_conv_windows_without_stride, r"\(i\*stride"),
    (_conv_int_output, "integer dtype"),
    (_conv_half_precision, "precision lost"),
    (_conv_all_biases, "sum of all biases"),
    (_unfinished, "not written yet"),
    (_conv_forgot_return, "forget the `return`"),
])
def test_conv_forward_naive_mistakes(student, hint):
    rejects(checks.check_conv_forward_naive, student, hint)


def test_message_names_the_smallest_case_and_the_numbers():
    message = " ".join(rejects(checks.check_conv_forward_naive, _conv_no_bias, "bias").split())
    assert "x (1, 1, 3, 3), W (1, 1, 2, 2), stride 1, pad 0, float64" in message
    assert re.search(r"expected \[-?\d+\.\d+, -?\d+\.\d+\], got \[-?\d+\.\d+, -?\d+\.\d+\]",
                     message)


# ---------------------------------------------------------------------------
# Chapter 2
# ---------------------------------------------------------------------------

def test_im2col_correct(capsys):
    passes(checks.check_im2col, im2col, capsys)


def test_im2col_from_course_lib_passes(capsys):
    from course_lib.functional import im2col as lib_im2col
    passes(checks.check_im2col, lib_im2col, capsys)


def _im2col_transposed(x, fh, fw, stride=1, pad=0):
    return im2col(x, fh, fw, stride, pad).T


def _im2col_hwc(x, fh, fw, stride=1, pad=0):
    col = im2col(x, fh, fw, stride, pad)
    C = x.shape[1]
    return col.reshape(-1, C, fh, fw).transpose(0, 2, 3, 1).reshape(col.shape)


def _im2col_no_pad(x, fh, fw, stride=1, pad=0):
    return im2col(x, fh, fw, stride, 0)


def _im2col_batch_fastest(x, fh, fw, stride=1, pad=0):
    col = im2col(x, fh, fw, stride, pad)
    N = x.shape[0]
    return col.reshape(N, -1, col.shape[1]).transpose(1, 0, 2).reshape(col.shape)


def _im2col_no_transpose(x, fh, fw, stride=1, pad=0):
    N, C, H, W = x.shape
    col = im2col(x, fh, fw, stride, pad)
    out_h = (H + 2 * pad - fh) // stride + 1
    out_w = (W + 2 * pad - fw) // stride + 1
    # the (N, C, FH, FW, OH, OW) array reshaped without its transpose
    return col.reshape(N, out_h, out_w, C, fh, fw).transpose(0, 3, 4, 5, 1, 2).reshape(col.shape)


def _im2col_zeros(x, fh, fw, stride=1, pad=0):
    return np.zeros_like(im2col(x, fh, fw, stride, pad))


def _im2col_forgetting(input_data, filter_h, filter_w, stride=1, pad=0, forget=""):
    """The book's im2col with one thing forgotten: "pad" (the image is not padded), "stride in the
    slices" (the windows start at every pixel) or "stride in the size" (OH counts every pixel)."""
    N, C, H, W = input_data.shape
    size_stride = 1 if forget == "stride in the size" else stride
    out_h = (H + 2 * pad - filter_h) // size_stride + 1
    out_w = (W + 2 * pad - filter_w) // size_stride + 1
    p = 0 if forget == "pad" else pad
    img = np.pad(input_data, [(0, 0), (0, 0), (p, p), (p, p)], "constant")
    step = 1 if forget == "stride in the slices" else stride
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + step * out_h:step, x:x + step * out_w:step]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def _im2col_no_padding(*args):
    return _im2col_forgetting(*args, forget="pad")


def _im2col_slices_without_stride(*args):
    return _im2col_forgetting(*args, forget="stride in the slices")


def _im2col_size_without_stride(*args):
    return _im2col_forgetting(*args, forget="stride in the size")


@pytest.mark.parametrize("student, hint", [
    (_im2col_transposed, "transposed"),
    (_im2col_hwc, r"\(FH, FW, C\)"),
    (_im2col_no_pad, "padding is missing"),
    (_im2col_batch_fastest, "image index fastest"),
    (_im2col_no_transpose, "wrong places"),
    (_im2col_zeros, "all zeros"),
    (_im2col_no_padding, "right without padding but not with pad=1: pad the image"),
    (_im2col_slices_without_stride, "right with stride 1 but not with stride=2: the windows start "
                                    "every"),
    (_im2col_size_without_stride, "right with stride 1 but not with stride=2"),
    (_unfinished, "not written yet"),
])
def test_im2col_mistakes(student, hint):
    rejects(checks.check_im2col, student, hint)


def test_col2im_correct(capsys):
    passes(checks.check_col2im, col2im, capsys)


def test_col2im_from_course_lib_passes(capsys):
    from course_lib.functional import col2im as lib_col2im
    passes(checks.check_col2im, lib_col2im, capsys)


def _col2im_overwrite(col, input_shape, fh, fw, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - fh) // stride + 1
    out_w = (W + 2 * pad - fw) // stride + 1
    col = col.reshape(N, out_h, out_w, C, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(fh):
        for x in range(fw):
            img[:, :, y:y + stride * out_h:stride,
                x:x + stride * out_w:stride] = col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


def _col2im_keeps_padding(col, input_shape, fh, fw, stride=1, pad=0):
    N, C, H, W = input_shape
    padded = col2im(col, (N, C, H + 2 * pad, W + 2 * pad), fh, fw, stride, 0)
    return padded


def _col2im_hwc(col, input_shape, fh, fw, stride=1, pad=0):
    C = input_shape[1]
    return col2im(col.reshape(-1, fh, fw, C).transpose(0, 3, 1, 2).reshape(col.shape),
                  input_shape, fh, fw, stride, pad)


def _col2im_average(col, input_shape, fh, fw, stride=1, pad=0):
    return col2im(col, input_shape, fh, fw, stride, pad) / np.maximum(
        col2im(np.ones_like(col), input_shape, fh, fw, stride, pad), 1)


def _col2im_zeros(col, input_shape, fh, fw, stride=1, pad=0):
    return np.zeros(input_shape)


def _col2im_forgetting(col, input_shape, filter_h, filter_w, stride=1, pad=0, forget=""):
    """The book's col2im with one thing forgotten: "pad" (the image it adds into is not padded),
    "stride" (the windows are added at every pixel) or "offset" (the padding is cut off at the
    end)."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    p = 0 if forget == "pad" else pad
    img = np.zeros((N, C, H + 2 * p + stride - 1, W + 2 * p + stride - 1))
    step = 1 if forget == "stride" else stride
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + step * out_h:step, x:x + step * out_w:step] += col[:, :, y, x, :, :]
    if forget == "offset":
        return img[:, :, :H, :W]
    return img[:, :, pad:H + pad, pad:W + pad]


def _col2im_no_padding(*args):
    return _col2im_forgetting(*args, forget="pad")


def _col2im_without_stride(*args):
    return _col2im_forgetting(*args, forget="stride")


def _col2im_cut_at_the_end(*args):
    return _col2im_forgetting(*args, forget="offset")


@pytest.mark.parametrize("student, hint", [
    (_col2im_overwrite, r"must add overlapping windows \(\+=\), not overwrite"),
    (_col2im_keeps_padding, "padding is not cut off"),
    (_col2im_hwc, r"\(FH, FW, C\)"),
    (_col2im_average, "averaged"),
    (_col2im_zeros, "all zeros"),
    (_col2im_no_padding, "right without padding but not with pad=1"),
    (_col2im_without_stride, "right with stride 1 but not with stride=2"),
    (_col2im_cut_at_the_end, "cut off at the wrong end"),
    (_unfinished, "not written yet"),
])
def test_col2im_mistakes(student, hint):
    rejects(checks.check_col2im, student, hint)


def test_convolution_correct(capsys):
    passes(checks.check_convolution, Convolution, capsys)


class _ConvNoBias(Convolution):
    def forward(self, x):
        return super().forward(x) - self.b[None, :, None, None]


class _ConvAveragesBatch(Convolution):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW / dout.shape[0]
        return dx


class _ConvAveragesTwice(Convolution):
    def backward(self, dout):
        N = dout.shape[0]
        dx = super().backward(dout)
        self.dW = self.dW / N / N
        return dx


class _ConvForgetsCache(Convolution):
    def forward(self, x):
        out = super().forward(x)
        del self.x
        return out


class _ConvNoTransposeDW(Convolution):
    def filters(self, dW_matrix):
        return dW_matrix.reshape(self.W.shape)


class _ConvDoutNotTransposed(Convolution):
    def dout_matrix(self, dout):
        return dout.reshape(-1, self.W.shape[0])


class _ConvNoFinalTranspose(Convolution):
    def to_nchw(self, out, N, out_h, out_w):
        return out.reshape(N, -1, out_h, out_w)


class _ConvZeroDx(Convolution):
    def backward(self, dout):
        return np.zeros_like(super().backward(dout))


class _ConvNoReturn(Convolution):
    def backward(self, dout):
        super().backward(dout)


class _ConvNoDW(Convolution):
    def backward(self, dout):
        dx = super().backward(dout)
        del self.dW
        return dx


class _ConvCachesOnce(Convolution):
    def forward(self, x):
        first = getattr(self, "first", None)
        out = super().forward(x)
        if first is None:
            self.first = (self.x, self.col)
        else:
            self.x, self.col = first
        return out


class _ConvKeepsPaddingInDx(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        super().backward(dout)
        dcol = self.dout_matrix(dout) @ self.col_W.T
        N, C, H, W = self.x.shape
        p = self.pad
        return col2im(dcol, (N, C, H + 2 * p, W + 2 * p), FH, FW, self.stride, 0)


@pytest.mark.parametrize("student, hint", [
    (_ConvNoBias, "bias b is missing"),
    (_ConvAveragesBatch, "divided by the batch size"),
    (_ConvNoTransposeDW, "without transposing"),
    (_ConvDoutNotTransposed, r"transpose\(0, 2, 3, 1\)"),
    (_ConvNoFinalTranspose, r"reshape to \(N, OH, OW, FN\)"),
    (_ConvZeroDx, "all zeros"),
    (_ConvNoReturn, "returned None"),
    (_ConvNoDW, "no attribute 'dW'"),
    (_ConvCachesOnce, "earlier forward"),
    (_ConvKeepsPaddingInDx, "padding is not cut off"),
    (_ConvAveragesTwice, "average over the batch twice"),
    (_ConvForgetsCache, "backward needs what forward saved"),
])
def test_convolution_mistakes(student, hint):
    rejects(checks.check_convolution, student, hint)


# ---------------------------------------------------------------------------
# Chapter 3
# ---------------------------------------------------------------------------

def test_pooling_correct(capsys):
    passes(checks.check_pooling, Pooling, capsys)


class _PoolEveryMaximum(Pooling):
    def backward(self, dout):
        N, C, H, W = self.x.shape
        col = im2col(self.x, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        mask = col == col.max(axis=1, keepdims=True)
        dmax = mask * dout.transpose(0, 2, 3, 1).reshape(-1, 1)
        return col2im(dmax, self.x.shape, self.pool_h, self.pool_w, self.stride, 0)


class _PoolLastMaximum(Pooling):
    def argmax(self, col):
        return col.shape[1] - 1 - np.argmax(col[:, ::-1], axis=1)


class _PoolAverage(Pooling):
    def reduce(self, col):
        return np.mean(col, axis=1)


class _PoolOverwrites(Pooling):
    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        N, C, H, W = self.x.shape
        OH, OW = dout.shape[1:3]
        dx = np.zeros(self.x.shape)
        rows, cols = np.divmod(self.arg_max.reshape(N, OH, OW, C), self.pool_w)
        for n in range(N):
            for i in range(OH):
                for j in range(OW):
                    for c in range(C):
                        r = i * self.stride + rows[n, i, j, c]
                        q = j * self.stride + cols[n, i, j, c]
                        dx[n, c, r, q] = dout[n, i, j, c]
        return dx


class _PoolDoutNotTransposed(Pooling):
    def backward(self, dout):
        dmax = np.zeros((dout.size, self.pool_h * self.pool_w))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.flatten()
        return col2im(dmax, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class _PoolZeroDx(Pooling):
    def backward(self, dout):
        return np.zeros(self.x.shape)


class _PoolCachesOnce(Pooling):
    def forward(self, x):
        first = getattr(self, "first", None)
        out = super().forward(x)
        if first is None:
            self.first = (self.x, self.arg_max)
        else:
            self.x, self.arg_max = first
        return out


class _BookPooling(Pooling):
    """The book's Pooling: im2col pads with zeros, and the output size leaves the padding out."""

    def out_size(self, H, W):
        return (H - self.pool_h) // self.stride + 1, (W - self.pool_w) // self.stride + 1

    def padded(self, x):
        p = self.pad
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


class _PoolZeroPadding(Pooling):
    def padded(self, x):
        p = self.pad
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


class _PoolKeepsPaddingInDx(Pooling):
    def unpadded(self, dxp):
        return dxp


@pytest.mark.parametrize("student, hint", [
    (_BookPooling, r"right without padding but not with pad=1: the output size counts the padding"),
    (_PoolZeroPadding,
     r"the padding is 0, and wins every window whose pixels are negative: pad with -inf"),
    (_PoolKeepsPaddingInDx, "padding is not cut off dx"),
    (_PoolEveryMaximum, "every maximum gets the gradient"),
    (_PoolLastMaximum, "last maximum"),
    (_PoolAverage, "averaged"),
    (_PoolOverwrites, "do not overwrite"),
    (_PoolDoutNotTransposed, r"transpose dout with \(0, 2, 3, 1\)"),
    (_PoolZeroDx, "all zeros"),
    (_PoolCachesOnce, "earlier forward"),
])
def test_pooling_mistakes(student, hint):
    rejects(checks.check_pooling, student, hint)


def test_pooling_tie_rule_is_stated():
    assert "first" in checks.check_pooling.__doc__ and "row-major" in checks.check_pooling.__doc__


def pool_2x2(x, mode="max"):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // 2, 2, W // 2, 2)
    return blocks.max(axis=(3, 5)) if mode == "max" else blocks.mean(axis=(3, 5))


def test_pool_2x2_correct(capsys):
    passes(checks.check_pool_2x2, pool_2x2, capsys)


def _pool_2x2_far_apart(x, mode="max"):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, 2, H // 2, 2, W // 2)
    return blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))


def _pool_2x2_mode_ignored(x, mode="max"):
    return pool_2x2(x, "max")


def _pool_2x2_positions(x, mode="max"):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // 2, 2, W // 2, 2)
    return blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))


def _pool_2x2_unreduced(x, mode="max"):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2)


@pytest.mark.parametrize("student, hint", [
    (_pool_2x2_far_apart, "pixels H/2 apart, not neighbours"),
    (_pool_2x2_mode_ignored, r"mode='avg' gives the result of mode='max'"),
    (_pool_2x2_positions, "axes 2 and 4, the windows' positions"),
    (_pool_2x2_unreduced, "over axes 3 and 5 of the reshaped array"),
    (_unfinished, "not written yet"),
])
def test_pool_2x2_mistakes(student, hint):
    rejects(checks.check_pool_2x2, student, hint)


def test_course_lib_pooling_passes_pool_2x2():
    """The check's convention is Pooling(2, 2, stride=2)'s."""
    from course_lib.layers import Pooling as LibPooling

    def by_layer(x, mode="max"):
        return LibPooling(2, 2, stride=2, mode=mode).forward(x)
    checks.check_pool_2x2(by_layer)


# ---------------------------------------------------------------------------
# Chapter 4
# ---------------------------------------------------------------------------

class BookAdam:
    """Adam the book's way: bias correction folded into the step size, 1e-7 added to the root."""

    eps = 1e-7

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m = self.v = None

    def start(self, params):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}

    def step_size(self):
        return self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)

    def root(self, v):
        return np.sqrt(v) + self.eps

    def update(self, params, grads):
        self.start(params)
        self.iter += 1
        lr_t = self.step_size()
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / self.root(self.v[key])


class BookAdamSmallEps(BookAdam):
    eps = 1e-8


class TextbookAdam:
    """Adam as in Kingma and Ba's paper: explicit bias correction, eps 1e-8 outside the root."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, {}, {}

    def update(self, params, grads):
        self.t += 1
        for key, p in params.items():
            g = grads[key]
            self.m[key] = self.beta1 * self.m.get(key, 0) + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v.get(key, 0) + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1 ** self.t)
            v_hat = self.v[key] / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / self.root(v_hat)

    def root(self, v_hat):
        return np.sqrt(v_hat) + self.eps


def test_adam_book_and_textbook_pass(capsys):
    passes(checks.check_adam, BookAdam, capsys)
    passes(checks.check_adam, BookAdamSmallEps, capsys)
    passes(checks.check_adam, TextbookAdam, capsys)


def test_adam_from_course_lib_passes(capsys):
    from course_lib.optimizers import Adam
    passes(checks.check_adam, Adam, capsys)


class _AdamNoBiasCorrection(BookAdam):
    def step_size(self):
        return self.lr


class _AdamSwapped(BookAdam):
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        super().__init__(lr, beta2, beta1)


class _AdamNotSquared(BookAdam):
    def update(self, params, grads):
        self.start(params)
        self.iter += 1
        lr_t = self.step_size()
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] - self.v[key])
            with np.errstate(invalid="ignore"):
                params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class _AdamSharedState(BookAdam):
    def update(self, params, grads):
        if self.m is None:
            first = next(iter(params.values()))
            self.m, self.v = np.zeros_like(first), np.zeros_like(first)
        self.iter += 1
        lr_t = self.step_size()
        for key in params:
            self.m += (1 - self.beta1) * (grads[key] - self.m)
            self.v += (1 - self.beta2) * (grads[key] ** 2 - self.v)
            params[key] -= lr_t * self.m / (np.sqrt(self.v) + 1e-7)


class _AdamTFixed(BookAdam):
    def step_size(self):
        return self.lr * np.sqrt(1.0 - self.beta2) / (1.0 - self.beta1)


class _AdamTPerKey(BookAdam):
    def update(self, params, grads):
        self.start(params)
        for key in params:
            self.iter += 1
            lr_t = self.step_size()
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class _AdamNewArrays(BookAdam):
    def update(self, params, grads):
        self.start(params)
        self.iter += 1
        lr_t = self.step_size()
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] = params[key] - lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class _AdamOnCopy(BookAdam):
    def update(self, params, grads):
        copies = {key: val.copy() for key, val in params.items()}
        super().update(copies, grads)


class _AdamResetsState(BookAdam):
    def update(self, params, grads):
        self.m = None
        super().update(params, grads)


class _AdamUphill(BookAdam):
    def step_size(self):
        return -super().step_size()


class _AdamTZero(BookAdam):
    def update(self, params, grads):
        self.start(params)
        with np.errstate(invalid="ignore", divide="ignore"):
            lr_t = self.step_size()
            for key in params:
                self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
                self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
                params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class _AdamSwappedAverages(BookAdam):
    def update(self, params, grads):
        self.beta1, self.beta2 = self.beta2, self.beta1       # for the averages only ...
        self.start(params)
        self.iter += 1
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
        self.beta1, self.beta2 = self.beta2, self.beta1       # ... the step size has them right
        lr_t = self.step_size()
        for key in params:
            params[key] -= lr_t * self.m[key] / self.root(self.v[key])


class _AdamSwappedCorrection(BookAdam):
    def step_size(self):
        return self.lr * np.sqrt(1.0 - self.beta1 ** self.iter) / (1.0 - self.beta2 ** self.iter)


class _AdamEpsInside(BookAdam):
    def root(self, v):
        return np.sqrt(v + self.eps)


class _TextbookEpsInside(TextbookAdam):
    def root(self, v_hat):
        return np.sqrt(v_hat + self.eps)


class _AdamTPlusOne(BookAdam):
    def step_size(self):
        t = self.iter + 1
        return self.lr * np.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)


class _AdamStepBeforeAverages(BookAdam):
    """Takes the step with m and v of the previous call: the first step is zero."""

    def update(self, params, grads):
        self.start(params)
        self.iter += 1
        lr_t = self.step_size()
        for key in params:
            params[key] -= lr_t * self.m[key] / self.root(self.v[key])
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])


@pytest.mark.parametrize("student, hint", [
    (_AdamSwappedAverages, "the averages use each other's beta"),
    (_AdamSwappedCorrection, "bias correction has beta1 and beta2 exchanged"),
    (_AdamEpsInside, r"eps is inside the square root: divide by np.sqrt\(v\) \+ eps"),
    (_TextbookEpsInside, r"eps is inside the square root: divide by np.sqrt\(v_hat\) \+ eps"),
    (_AdamTPlusOne, "uses t \\+ 1 after t was already counted"),
    (_AdamStepBeforeAverages, "from before this call's gradient \\(the first step is zero\\)"),
    (_AdamNoBiasCorrection, "without bias correction"),
    (_AdamSwapped, "beta1 and beta2 are exchanged"),
    (_AdamNotSquared, "squared gradient"),
    (_AdamSharedState, "one m and v for all parameters"),
    (_AdamTFixed, "t does not grow"),
    (_AdamTPerKey, "once per parameter"),
    (_AdamNewArrays, "update in place"),
    (_AdamOnCopy, "never change: the step is applied to a copy"),
    (_AdamResetsState, "start from zero at every call"),
    (_AdamTZero, "add 1 to self.iter before computing the step"),
    (_AdamUphill, "goes uphill"),
])
def test_adam_mistakes(student, hint):
    rejects(checks.check_adam, student, hint)


class _LabelReader:
    """A 'network' whose scores come from the label written into each image, right on a fraction."""

    def __init__(self, right_fraction=1.0, classes=10, seed=0, nan=False):
        self.right, self.classes, self.nan = right_fraction, classes, nan
        self.rng = np.random.default_rng(seed)

    def predict(self, x):
        labels = x[:, 0, 0, 0].astype(int)
        wrong = self.rng.random(len(x)) >= self.right
        guess = np.where(wrong, (labels + 1) % self.classes, labels)
        scores = np.eye(self.classes)[guess]
        return scores * np.nan if self.nan else scores


def _labelled_images(n=1000, seed=0):
    t = np.random.default_rng(seed).integers(0, 10, n)
    x = np.zeros((n, 1, 4, 4))
    x[:, 0, 0, 0] = t
    return x, t


def test_trained_network_passes_and_reports_the_uncertainty(capsys):
    x, t = _labelled_images()
    checks.check_trained_network(_LabelReader(0.98), x, t, 0.95)
    out = capsys.readouterr().out
    assert all(len(line) <= 79 for line in out.splitlines()), out
    out = " ".join(out.split())
    assert re.match(r"check_trained_network: passed \(accuracy 9\d\.\d % ± 0\.\d % on 1000 test "
                    r"images", out), out
    checks.check_trained_network(_LabelReader(1.0), x, np.eye(10)[t], 0.99)   # one-hot labels


@pytest.mark.parametrize("net, hint", [
    (_LabelReader(0.1), "chance level"),
    (_LabelReader(0.8), "more epochs"),
    (_LabelReader(0.94), "two standard errors"),
    (_LabelReader(1.0, nan=True), "lower the learning rate"),
])
def test_trained_network_failures(net, hint):
    x, t = _labelled_images()
    rejects(lambda n: checks.check_trained_network(n, x, t, 0.95), net, hint)


def test_trained_network_refuses_a_percentage():
    x, t = _labelled_images(10)
    with pytest.raises(ValueError, match="fraction"):
        checks.check_trained_network(_LabelReader(), x, t, 95)


# ---------------------------------------------------------------------------
# Chapter 5
# ---------------------------------------------------------------------------

def _bilinear_at(img, r, c, fill=0.0, swap=False):
    """One image (H, W) read at the real point (r, c); outside the image counts as ``fill``.
    ``swap``: the mistake of giving each neighbour the other's weight."""
    H, W = img.shape
    r0, c0 = int(np.floor(r)), int(np.floor(c))
    a, b = (1 - (r - r0), 1 - (c - c0)) if swap else (r - r0, c - c0)
    total = 0.0
    for rr, wr in ((r0, 1 - a), (r0 + 1, a)):
        for cc, wc in ((c0, 1 - b), (c0 + 1, b)):
            total += wr * wc * (img[rr, cc] if 0 <= rr < H and 0 <= cc < W else fill)
    return total


def shift(x, dx, dy, fill=0.0, swap=False):
    """Pixel by pixel: output (r, c) reads the input at (r - dy, c - dx); dx, dy one or N."""
    out = np.zeros(x.shape, dtype=x.dtype)
    N, C, H, W = x.shape
    dx, dy = np.broadcast_to(dx, (N,)), np.broadcast_to(dy, (N,))
    for n in range(N):
        for ch in range(C):
            for r in range(H):
                for c in range(W):
                    out[n, ch, r, c] = _bilinear_at(x[n, ch], r - dy[n], c - dx[n], fill, swap)
    return out


def rotate(x, degrees):
    """Pixel by pixel, counter-clockwise about ((H-1)/2, (W-1)/2)."""
    out = np.zeros(x.shape, dtype=x.dtype)
    N, C, H, W = x.shape
    t = np.deg2rad(degrees)
    cr, cc = (H - 1) / 2, (W - 1) / 2
    for n in range(N):
        for ch in range(C):
            for r in range(H):
                for c in range(W):
                    u, v = r - cr, c - cc
                    out[n, ch, r, c] = _bilinear_at(x[n, ch], np.cos(t) * u + np.sin(t) * v + cr,
                                                    -np.sin(t) * u + np.cos(t) * v + cc)
    return out


def test_transforms_correct(capsys):
    passes(checks.check_shift, shift, capsys)
    passes(checks.check_rotate, rotate, capsys)


def test_transforms_match_course_lib(capsys):
    """The checks' conventions are course_lib.augment's: its shift and rotate pass."""
    from course_lib import augment
    passes(checks.check_shift, augment.shift, capsys)
    passes(checks.check_rotate, augment.rotate, capsys)


def _shift_wrong_way(x, dx, dy, fill=0.0):
    return shift(x, -dx, -dy, fill)


def _shift_swapped(x, dx, dy, fill=0.0):
    return shift(x, dy, dx, fill)


def _shift_roll(x, dx, dy, fill=0.0):
    return np.roll(x, (int(round(dy)), int(round(dx))), axis=(2, 3))


def _shift_rounded(x, dx, dy, fill=0.0):
    return shift(x, round(dx), round(dy), fill)


def _shift_rounded_per_image(x, dx, dy, fill=0.0):
    return shift(x, np.round(dx), np.round(dy), fill) if np.ndim(dx) else shift(x, dx, dy, fill)


def _shift_weights_swapped(x, dx, dy, fill=0.0):
    return shift(x, dx, dy, fill, swap=True)


def _shift_ignores_fill(x, dx, dy, fill=0.0):
    return shift(x, dx, dy)


def _shift_in_float64(x, dx, dy, fill=0.0):
    return shift(x.astype(np.float64), dx, dy, fill)


def _shift_channel_dropped(x, dx, dy, fill=0.0):
    return shift(x, dx, dy, fill)[:, 0]


def _shift_one_for_all(x, dx, dy, fill=0.0):
    """Uses the first image's shift for the whole batch."""
    return shift(x, np.ravel(dx)[0], np.ravel(dy)[0], fill)


def _shift_zeros(x, dx, dy, fill=0.0):
    return np.zeros_like(x)


@pytest.mark.parametrize("student, hint", [
    (_shift_wrong_way, "wrong way"),
    (_shift_swapped, "exchanged"),
    (_shift_roll, "wrapped around"),
    (_shift_rounded, "rounded to whole pixels"),
    (_shift_rounded_per_image, "rounded to whole pixels"),
    (_shift_weights_swapped, "the bilinear weights are exchanged"),
    (_shift_ignores_fill, "are 0, not fill"),
    (_shift_in_float64, "float32 in, float64 out"),
    (_shift_channel_dropped, "keep the channel axis"),
    (_shift_one_for_all, r"dx=\[1\.0, -2\.0, 0\.5\], dy=\[0\.0, 1\.0, -1\.5\]"),
    (_shift_zeros, "all zeros"),
    (_unfinished, "not written yet"),
])
def test_shift_mistakes(student, hint):
    rejects(checks.check_shift, student, hint)


def _rotate_clockwise(x, degrees):
    return rotate(x, -degrees)


def _rotate_radians(x, degrees):
    return rotate(x, np.rad2deg(degrees))


def _rotate_about_half_size(x, degrees):
    H, W = x.shape[2:]
    return _rotate_centre(x, degrees, H / 2, W / 2)


def _rotate_centre(x, degrees, cr, cc):
    out = np.zeros(x.shape)
    N, C, H, W = x.shape
    t = np.deg2rad(degrees)
    for n in range(N):
        for ch in range(C):
            for r in range(H):
                for c in range(W):
                    u, v = r - cr, c - cc
                    out[n, ch, r, c] = _bilinear_at(x[n, ch], np.cos(t) * u + np.sin(t) * v + cr,
                                                    -np.sin(t) * u + np.cos(t) * v + cc)
    return out


def _rotate_about_corner(x, degrees):
    return _rotate_centre(x, degrees, 0, 0)


def _rotate_forward_mapping(x, degrees):
    """Each input pixel is sent to its rounded destination: holes appear."""
    out = np.zeros(x.shape)
    N, C, H, W = x.shape
    t = np.deg2rad(degrees)
    cr, cc = (H - 1) / 2, (W - 1) / 2
    for r in range(H):
        for c in range(W):
            u, v = r - cr, c - cc
            rr = int(round(np.cos(t) * u - np.sin(t) * v + cr))
            qq = int(round(np.sin(t) * u + np.cos(t) * v + cc))
            if 0 <= rr < H and 0 <= qq < W:
                out[:, :, rr, qq] = x[:, :, r, c]
    return out


def _rotate_zeros(x, degrees):
    return np.zeros_like(x)


@pytest.mark.parametrize("student, hint", [
    (_rotate_clockwise, "clockwise"),
    (_rotate_radians, "radians"),
    (_rotate_about_half_size, r"\(H/2, W/2\)"),
    (_rotate_about_corner, "top-left corner"),
    (_rotate_forward_mapping, "inverse mapping"),
    (_rotate_zeros, "all zeros"),
])
def test_rotate_mistakes(student, hint):
    rejects(checks.check_rotate, student, hint)


# ---------------------------------------------------------------------------
# Chapter 6
# ---------------------------------------------------------------------------

CHAPTER_6 = Path(__file__).resolve().parents[1] / "solutions" / "chapters" / "06_going_deeper.ipynb"


def _chapter_6_solution():
    """The chapter's own ResidualBlock: the exercise cell of the worked chapter (which the build
    script generates, solution included), run."""
    cells = nbformat.read(CHAPTER_6, as_version=4).cells
    sources = [c.source for c in cells if c.cell_type == "code" and "class "
                                                                    "ResidualBlock:" in c.source]
    assert len(sources) == 1, f"{CHAPTER_6.name} should define ResidualBlock in one exercise cell"
    namespace = {"np": np}
    exec(compile(sources[0], str(CHAPTER_6), "exec"), namespace)
    return namespace["ResidualBlock"]


ResidualBlock = _chapter_6_solution()


def residual_backward(dout, layers):
    return ResidualBlock(layers).backward(dout)


def test_residual_backward_correct(capsys):
    passes(checks.check_residual_backward, ResidualBlock, capsys)
    passes(checks.check_residual_backward, residual_backward, capsys)


class _NoSkipGradient(ResidualBlock):
    def backward(self, dout):
        return super().backward(dout) - dout


class _NoBranchGradient(ResidualBlock):
    def backward(self, dout):
        return dout


class _ForwardOrder(ResidualBlock):
    def backward(self, dout):
        d = dout
        for layer in self.layers:
            d = layer.backward(d)
        return dout + d


class _ForwardWithoutSkip(ResidualBlock):
    def forward(self, x):
        return super().forward(x) - x


class _ReluAfterSum(ResidualBlock):
    def forward(self, x):
        return np.maximum(super().forward(x), 0)


class _ChangesDout(ResidualBlock):
    def backward(self, dout):
        branch = super().backward(dout) - dout
        dout += branch
        return dout


def _residual_branch_only(dout, layers):
    return residual_backward(dout, layers) - dout


def _residual_zeros(dout, layers):
    return np.zeros_like(dout)


@pytest.mark.parametrize("student, hint", [
    (_NoSkipGradient, "skip connection's gradient is missing"),
    (_NoBranchGradient, "only the skip path"),
    (_ForwardOrder, "reverse order"),
    (_ForwardWithoutSkip, "forward must add the input"),
    (_ReluAfterSum, "ReLU after the sum"),
    (_ChangesDout, "changed dout in place"),
    (_residual_branch_only, "skip connection's gradient is missing"),
    (_residual_zeros, "all zeros"),
    (_unfinished, "not written yet"),
])
def test_residual_backward_mistakes(student, hint):
    rejects(checks.check_residual_backward, student, hint)


def test_every_check_is_exported_and_documented():
    for name in checks.__all__:
        fn = getattr(checks, name)
        assert fn.__doc__ and name in checks.__doc__, name


@pytest.mark.parametrize("check, wrong, hint", [
    (checks.check_im2col, im2col(np.zeros((1, 1, 3, 3)), 2, 2), "not its result"),
    (checks.check_convolution, Convolution(np.zeros((1, 1, 2, 2)), np.zeros(1)), "not an object "
                                                                                 "made from it"),
    (checks.check_pooling, conv_forward_naive, "pass the class, not a function"),
    (checks.check_col2im, Pooling, "pass the function, not a class"),
    (checks.check_shift, None, "pass the function itself"),
])
def test_checks_refuse_what_is_not_the_exercise(check, wrong, hint):
    rejects(check, wrong, hint)


def test_student_exceptions_are_reported_with_the_case():
    def broken(x, fh, fw, stride=1, pad=0):
        return x.reshape(7, -1)
    message = " ".join(rejects(checks.check_im2col, broken, "raised ValueError").split())
    assert "x (1, 1, 3, 3), filter 2x2, stride 1, pad 0" in message


def test_trained_network_on_real_digits(mnist, capsys):
    """The shipped DeepConvNet passes; a fresh, untrained SimpleConvNet is told it guesses."""
    from course_lib import SimpleConvNet, pretrained
    _, (x_test, t_test) = mnist
    x, t = x_test[:1000], t_test[:1000]
    checks.check_trained_network(pretrained.load("deep_convnet_mnist"), x, t, 0.98)
    assert "check_trained_network: passed (accuracy 9" in capsys.readouterr().out
    rejects(lambda net: checks.check_trained_network(net, x, t, 0.9), SimpleConvNet(seed=0),
            "chance level")


def test_course_lib_layers_pass(capsys):
    """course_lib's own reference layers follow the book's API, so they pass the chapter checks."""
    from course_lib import layers
    passes(checks.check_convolution, layers.Convolution, capsys)
    passes(checks.check_pooling, layers.Pooling, capsys)
    passes(checks.check_residual_backward, layers.ResidualBlock, capsys)


# ---------------------------------------------------------------------------
# Every sentence a student reads can be translated
# ---------------------------------------------------------------------------

class _MarkingCatalog:
    """A catalog that marks every text it translates."""

    def gettext(self, text):
        return "«" + text + "»"


def _raises_boom(*args):
    raise ValueError("boom")


@pytest.mark.parametrize("check, student", [
    (checks.check_conv_output_size, _silent_error),
    (checks.check_conv_output_size, _no_pad),
    (checks.check_conv_output_size, _true_division),
    (checks.check_conv_forward_naive, _conv_no_bias),
    (checks.check_im2col, _im2col_slices_without_stride),
    (checks.check_im2col, _raises_boom),
    (checks.check_col2im, _col2im_overwrite),
    (checks.check_convolution, _ConvNoDW),
    (checks.check_pooling, _PoolZeroPadding),
    (checks.check_pool_2x2, _pool_2x2_far_apart),
    (checks.check_adam, _AdamStepBeforeAverages),
    (checks.check_adam, _AdamNewArrays),
    (checks.check_shift, _shift_ignores_fill),
    (checks.check_shift, _shift_in_float64),
    (checks.check_residual_backward, _ChangesDout),
    (checks.check_residual_backward, _NoBranchGradient),
    (checks.check_rotate, _unfinished),
    (checks.check_im2col, None),
    (lambda net: checks.check_trained_network(net, *_labelled_images(), 0.95), _LabelReader(0.1)),
])
def test_every_sentence_of_a_failure_goes_through_the_catalog(check, student, monkeypatch):
    from course_lib.checks import toolkit
    monkeypatch.setattr(toolkit, "_catalog", _MarkingCatalog())
    monkeypatch.setattr(toolkit, "WIDTH", 10 ** 6)            # one line per paragraph
    with pytest.raises(AssertionError) as info:
        check(student)
    for paragraph in str(info.value).strip().split("\n"):
        if paragraph != "boom":                                   # the student's own message
            assert paragraph.startswith("«") and paragraph.endswith("»"), paragraph


def test_the_success_line_goes_through_the_catalog(monkeypatch, capsys):
    from course_lib.checks import toolkit
    monkeypatch.setattr(toolkit, "_catalog", _MarkingCatalog())
    checks.check_pool_2x2(pool_2x2)
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("«check_pool_2x2: passed («") and out.endswith("»)»"), out


def test_a_catalog_is_installed_and_removed_in_one_place():
    from course_lib.checks import toolkit
    toolkit.use_catalog(_MarkingCatalog())
    try:
        assert toolkit.say("{n} cases", n=3) == "«3 cases»"
    finally:
        toolkit.use_catalog(None)
    assert toolkit.say("{n} cases", n=3) == "3 cases"


def test_the_checks_are_one_module_per_chapter_with_short_functions():
    """One reads a check at a glance: no function over 30 lines of code, docstring aside."""
    import ast
    folder = Path(checks.__file__).parent
    assert sorted(p.name for p in folder.glob("*.py")) == ["__init__.py"] + [
        f"chapter{k}.py" for k in range(1, 7)] + ["toolkit.py"]
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                lines = body[-1].end_lineno - body[0].lineno + 1
                assert lines <= 30, f"{path.name}: {node.name} has {lines} lines"
