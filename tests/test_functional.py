"""im2col / col2im and output sizes: loops, the book's and channels-last agree; adjoint pairs."""
import inspect

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from course_lib import functional
from course_lib.fast import col2im_nhwc, windows_nhwc
from course_lib.functional import col2im, conv_output_size, im2col
from course_lib.naive import col2im_naive, im2col_naive


def test_output_size_worked_examples():
    assert conv_output_size(4, 3, 1, 1) == 4      # the book's padding example
    assert conv_output_size(7, 3, 2, 0) == 3      # the book's stride example
    assert conv_output_size(28, 5, 1, 0) == 24
    assert conv_output_size(14, 3, 1, 2) == 16    # DeepConvNet's fourth convolution


def test_output_size_not_whole_names_the_numbers():
    with pytest.raises(ValueError) as err:
        conv_output_size(28, 5, 2, 0)
    message = str(err.value)
    assert "(28 + 2*0 - 5) / 2 + 1 = 12.5" in message and "not a whole number" in message


def test_filter_larger_than_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(3, 5, 1, 0)


def test_book_example_shapes():
    x1 = np.random.rand(1, 3, 7, 7)
    assert im2col(x1, 5, 5, stride=1, pad=0).shape == (9, 75)
    x2 = np.random.rand(10, 3, 7, 7)
    assert im2col(x2, 5, 5, stride=1, pad=0).shape == (90, 75)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), fh=st.integers(1, 4), fw=st.integers(1, 4),
       stride=st.integers(1, 3), pad=st.integers(0, 2), oh=st.integers(1, 4), ow=st.integers(1, 4))
def test_im2col_matches_loops_and_col2im_is_adjoint(n, c, fh, fw, stride, pad, oh, ow):
    H = (oh - 1) * stride + fh - 2 * pad
    W = (ow - 1) * stride + fw - 2 * pad
    # a filter smaller than the padding would need a negative image size
    assume(H >= 1 and W >= 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, H, W))
    col = im2col(x, fh, fw, stride, pad)
    assert col.shape == (n * oh * ow, c * fh * fw)
    np.testing.assert_allclose(col, im2col_naive(x, fh, fw, stride, pad))
    # adjoint: <im2col(x), y> == <x, col2im(y)>
    y = rng.standard_normal(col.shape)
    back = col2im(y, x.shape, fh, fw, stride, pad)
    assert back.shape == x.shape
    assert np.isclose(np.sum(col * y), np.sum(x * back))
    np.testing.assert_allclose(back, col2im_naive(y, x.shape, fh, fw, stride, pad))
    # channels-last windows hold the same numbers in (FH, FW, C) order
    win = windows_nhwc(x.transpose(0, 2, 3, 1), fh, fw, stride, pad)
    assert win.shape == (n, oh, ow, fh, fw, c)
    np.testing.assert_allclose(win.transpose(0, 1, 2, 5, 3, 4).reshape(col.shape), col)
    yw = rng.standard_normal(win.shape)
    backw = col2im_nhwc(yw, (n, H, W, c), stride, pad)
    assert np.isclose(np.sum(win * yw), np.sum(x.transpose(0, 2, 3, 1) * backw))
    # and channels-last col2im adds the same numbers back as the book's
    y_nchw_order = yw.transpose(0, 1, 2, 5, 3, 4).reshape(col.shape)
    np.testing.assert_allclose(backw.transpose(0, 3, 1, 2),
                               col2im(y_nchw_order, x.shape, fh, fw, stride, pad))


def test_im2col_and_col2im_are_the_mirrored_loops_over_filter_positions():
    """As chapter 2 teaches them, and as the module's docstring says: the same loop over (i, j),
    im2col copying the pixels under position (i, j) of every window out, col2im adding them back."""
    for fn, step in ((functional.im2col, "= img[:, :, i:i + stride * out_h:stride, j:j + stride * "
                                         "out_w:stride]"),
                     (functional.col2im, "img[:, :, i:i + stride * out_h:stride, j:j + stride * "
                                         "out_w:stride] +=")):
        source = inspect.getsource(fn)
        assert "for i in range(filter_h):" in source, fn.__name__
        assert "for j in range(filter_w):" in source, fn.__name__
        assert step in source, fn.__name__
    assert "sliding_window_view" not in inspect.getsource(functional)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_and_col2im_keep_the_dtype(dtype):
    x = np.ones((2, 3, 5, 5), dtype=dtype)
    col = im2col(x, 3, 3, 1, 1)
    assert col.dtype == dtype and col2im(col, x.shape, 3, 3, 1, 1).dtype == dtype


def test_col2im_counts_overlaps():
    # every pixel receives one contribution per window that covers it
    ones = np.ones((1, 1, 4, 4))
    col = im2col(ones, 3, 3, 1, 0)
    counts = col2im(np.ones_like(col), ones.shape, 3, 3, 1, 0)[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_col2im_rejects_wrong_shape():
    with pytest.raises(ValueError, match="needs"):
        col2im(np.zeros((5, 9)), (1, 1, 4, 4), 3, 3)


@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (2, 1), (3, 0)])
def test_windows_nhwc_same_numbers_on_every_path(stride, pad):
    # a contiguous input, a strided view of the same numbers and a caller-supplied
    # output array all give the same windows
    rng = np.random.default_rng(1)
    x_nchw = rng.standard_normal((3, 4, 9, 9)).astype(np.float32)
    strided = x_nchw.transpose(0, 2, 3, 1)
    contiguous = np.ascontiguousarray(strided)
    expected = windows_nhwc(contiguous, 3, 3, stride, pad)
    np.testing.assert_array_equal(windows_nhwc(strided, 3, 3, stride, pad), expected)
    out = np.full(expected.shape, np.nan, dtype=np.float32)
    got = windows_nhwc(contiguous, 3, 3, stride, pad, out=out)
    assert got is out
    np.testing.assert_array_equal(out, expected)
    # and they are the windows: compare with the book's im2col
    col = im2col(x_nchw, 3, 3, stride, pad)
    np.testing.assert_array_equal(expected.transpose(0, 1, 2, 5, 3, 4).reshape(col.shape), col)


def test_windows_nhwc_of_an_empty_batch_is_empty():
    empty = np.zeros((0, 5, 5, 2), dtype=np.float32)
    assert windows_nhwc(empty, 3, 3, 1, 1).shape == (0, 5, 5, 3, 3, 2)


def test_windows_nhwc_rejects_a_wrong_out_array():
    x = np.zeros((2, 6, 6, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="out must be a C-contiguous float32 array of shape"):
        windows_nhwc(x, 3, 3, 1, 1, out=np.zeros((2, 6, 6, 3, 3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="out must be"):
        windows_nhwc(x, 3, 3, 1, 1, out=np.zeros((2, 6, 6, 3, 3, 3), dtype=np.float64))
