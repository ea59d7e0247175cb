"""Checks for the chapter exercises: right code passes quietly, wrong code is told why.

Each check takes the function or class you wrote, calls it exactly as the book
calls its own code, and compares the results with the course's loop versions
(``course_lib.naive``), ``course_lib.functional`` and numerical derivatives.

* When your code is right, the check prints one line, for example
  ``check_im2col: passed (12 cases: strides 1-3, pads 0-2, float32 and float64)``.
* When it is wrong, it raises ``AssertionError`` with the smallest case that
  fails, what was expected, what came back and, when the mistake looks like a
  common one, its likely cause.

The cases are fixed (the same every run), start tiny and grow: non-square
images and filters, strides above 1, padding, several channels, filters and
images, float32 and float64.  Results may come back in float64 for float32
input (the book's ``im2col`` works in float64), never in a less precise type;
a transformed batch of images keeps its dtype.

| chapter | check | you write |
|---|---|---|
| 1 | ``check_conv_output_size(fn)`` | ``conv_output_size(H, FH, stride, pad)`` |
| 1 | ``check_conv_forward_naive(fn)`` | ``conv_forward_naive(x, W, b, stride, pad)`` |
| 2 | ``check_im2col(fn)`` | ``im2col(input_data, filter_h, filter_w, stride, pad)`` |
| 2 | ``check_col2im(fn)`` | ``col2im(col, input_shape, filter_h, filter_w, stride, pad)`` |
| 2 | ``check_convolution(cls)`` | ``Convolution(W, b, stride, pad)`` |
| 3 | ``check_pooling(cls)`` | ``Pooling(pool_h, pool_w, stride, pad)`` (max) |
| 3 | ``check_pool_2x2(fn)`` | ``pool_2x2(x, mode)`` |
| 4 | ``check_adam(cls)`` | ``Adam(lr, beta1, beta2)`` with ``update(params, grads)`` |
| 4 | ``check_trained_network(net, x, t, min_accuracy)`` | a trained network |
| 5 | ``check_shift(fn)`` | ``shift(x, dx, dy, fill)`` |
| 5 | ``check_rotate(fn)`` | ``rotate(x, degrees)`` |
| 6 | ``check_residual_backward(cls)`` | ``ResidualBlock(layers)`` |
| 6 | ``check_residual_backward(fn)`` | ``residual_backward(dout, layers)`` |

One module per chapter (``chapter1`` ... ``chapter6``) beside ``toolkit``, what
they share: the messages (every sentence a student reads goes through
``toolkit.say``, so that a translation can be put behind it), calling student
code, comparing arrays, numerical gradients.
"""
from .chapter1 import check_conv_forward_naive, check_conv_output_size
from .chapter2 import check_col2im, check_convolution, check_im2col
from .chapter3 import check_pool_2x2, check_pooling
from .chapter4 import check_adam, check_trained_network
from .chapter5 import check_rotate, check_shift
from .chapter6 import check_residual_backward

__all__ = ["check_conv_output_size", "check_conv_forward_naive", "check_im2col", "check_col2im",
           "check_convolution", "check_pooling", "check_pool_2x2", "check_adam",
           "check_trained_network",
           "check_shift", "check_rotate", "check_residual_backward"]
