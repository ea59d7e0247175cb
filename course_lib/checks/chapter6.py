"""Chapter 6: the backward pass of a residual block."""
import numpy as np

from ..naive import conv_backward_naive, conv_forward_naive
from .toolkit import (as_array, call, check_dtype, compare, fail, likely, message, name,
                      numerical_gradient,
                      passed, require, say)

__all__ = ["check_residual_backward"]


class _Conv:
    """A plain convolution layer for the check (book API): forward, backward, dW, db."""

    def __init__(self, W, b, stride=1, pad=1):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x, train_flg=None):
        self.x = x
        return conv_forward_naive(x, self.W, self.b, self.stride, self.pad).astype(x.dtype)

    def backward(self, dout):
        dx, self.dW, self.db = conv_backward_naive(dout, self.x, self.W, self.stride, self.pad)
        return dx

    def __repr__(self):
        return f"Convolution(W {self.W.shape}, pad {self.pad})"


class _Relu:
    """ReLU for the check (book API)."""

    def forward(self, x, train_flg=None):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx

    def __repr__(self):
        return "Relu()"


def _branch_forward(x, params):
    W1, b1, W2, b2 = params
    return conv_forward_naive(np.maximum(conv_forward_naive(x, W1, b1, 1, 1), 0), W2, b2, 1, 1)


_CASES = [((1, 2, 3, 4), np.float64), ((2, 3, 5, 4), np.float64), ((2, 2, 4, 4), np.float32)]


def _case(k, shape, dtype):
    rng = np.random.default_rng(900 + k)
    C = shape[1]
    x64 = rng.standard_normal(shape)
    params = [rng.standard_normal((C, C, 3, 3)) * 0.5, rng.standard_normal(C) * 0.5,
              rng.standard_normal((C, C, 3, 3)) * 0.5, rng.standard_normal(C) * 0.5]
    d64 = rng.standard_normal(shape)
    convs = (_Conv(params[0].astype(dtype), params[1].astype(dtype)),
             _Conv(params[2].astype(dtype), params[3].astype(dtype)))
    desc = f"x {shape}, branch [conv 3x3 pad 1, relu, conv 3x3 pad 1], {np.dtype(dtype).name}"
    return x64, params, d64, convs, desc


def _run_class(check, block, layers, x, dout, x64, params, desc, dtype):
    """forward (checked) and backward of ``block(layers)``; returns what backward returned."""
    obj = call(check, f"{name(block)}(layers)", desc, block, list(layers))
    out = as_array(check, "forward(x)", call(check, "forward(x)", desc, obj.forward, x), desc)
    check_dtype(check, "forward(x)", out, dtype, desc)
    expected = _branch_forward(x64, params) + x64
    compare(check, "forward(x)", out, expected, desc, dtype,
            variants=lambda: [(expected - x64,
                               say("forward must add the input: out = branch(x) + x")),
                              (np.maximum(expected, 0),
                               say("a ReLU after the sum is not part of this block: "
                                   "out = branch(x) + x"))])
    return call(check, "backward(dout)", desc, obj.backward, dout)


def _run_function(check, fn, layers, x, dout, desc):
    """The branch forward (every layer keeps its input), then ``fn(dout, layers)``."""
    h = x
    for layer in layers:
        h = layer.forward(h)
    return call(check, name(fn), desc, fn, dout, layers)


def _exact_gradients(x64, params, d64, numerical):
    """dx, dW1, db1, dW2, db2 of ``sum((branch(x) + x) * dout)``: from the loops, or numerically."""
    if numerical:
        def loss():
            return float(np.sum((_branch_forward(x64, params) + x64) * d64))
        return [numerical_gradient(loss, a) for a in (x64, *params)]
    a1 = conv_forward_naive(x64, params[0], params[1], 1, 1)
    g2, dW2, db2 = conv_backward_naive(d64, np.maximum(a1, 0), params[2], 1, 1)
    g0, dW1, db1 = conv_backward_naive(g2 * (a1 > 0), x64, params[0], 1, 1)
    return [d64 + g0, dW1, db1, dW2, db2]


def _dx_variants(x64, params, d64):
    a1 = conv_forward_naive(x64, params[0], params[1], 1, 1)
    g2 = conv_backward_naive(d64, np.maximum(a1, 0), params[2], 1, 1)[0]
    g0 = conv_backward_naive(g2 * (a1 > 0), x64, params[0], 1, 1)[0]
    f1 = conv_backward_naive(d64, x64, params[0], 1, 1)[0] * (a1 > 0)
    forward_order = conv_backward_naive(f1, np.maximum(a1, 0), params[2], 1, 1)[0]
    return [(g0,
             say("the skip connection's gradient is missing: dx = dout + (the gradient through the "
                 "branch)")),
            (d64,
             say("only the skip path: also send dout back through the branch's layers, in reverse "
                 "order, and add what comes out")),
            (d64 + forward_order,
             say("the branch's layers must be gone through in reverse order: for layer in "
                 "reversed(layers)")),
            (2 * d64 + g0, say("dout is added twice: dx = dout + branch gradient"))]


def _check_layer_gradients(check, convs, exact, desc, tol):
    for label, conv, eW, eb in (("conv1", convs[0], exact[1], exact[2]),
                                ("conv2", convs[1], exact[3], exact[4])):
        if conv.dW is None:
            fail(check, desc,
                 say("The backward of {conv}, a convolution of the branch, was never called (its "
                     "dW is not set).", conv=label),
                 hint=say("call backward on every layer of the branch, last layer first"))
        compare(check, f"{label}.dW", np.asarray(conv.dW), eW, desc, tol)
        compare(check, f"{label}.db", np.asarray(conv.db), eb, desc, tol)


def check_residual_backward(block):
    """Check the backward pass of a residual block ``out = branch(x) + x``.

    The branch is given: a list ``layers = [Convolution, Relu, Convolution]``
    (3x3 filters, pad 1, so the shape is kept), each with the book's
    ``forward(x)`` and ``backward(dout)``; a convolution's backward sets its
    ``dW`` and ``db``.  Pass either

    * a class: ``block = cls(layers)``, ``out = block.forward(x)`` must return
      ``branch(x) + x`` and ``dx = block.backward(dout)`` the gradient with
      respect to x, having run every layer's backward; or
    * a function ``residual_backward(dout, layers)``, called after the check
      has run the branch forward (every layer holds its input), returning dx.

    dx and the convolutions' dW and db are compared with numerical derivatives
    of ``sum(out * dout)``.
    """
    check = "check_residual_backward"
    is_class = isinstance(block, type)
    if not is_class:
        require(check, block, "function")
    for k, (shape, dtype) in enumerate(_CASES):
        x64, params, d64, convs, desc = _case(k, shape, dtype)
        layers = [convs[0], _Relu(), convs[1]]
        x, dout = x64.astype(dtype), d64.astype(dtype)
        dx = (_run_class(check, block, layers, x, dout, x64, params, desc, dtype) if is_class
              else _run_function(check, block, layers, x, dout, desc))
        if not np.array_equal(dout, d64.astype(dtype)):
            raise AssertionError(message(
                say("{check}: backward changed dout in place on {case}.", check=check, case=desc),
                likely(say("dx = dout; dx += ... makes dx the same array as dout: start from "
                           "dout.copy() or write dx = dout + ..."))))
        dx = as_array(check, "dx", dx, desc)
        check_dtype(check, "dx", dx, dtype, desc)
        exact = _exact_gradients(x64, params, d64, numerical=k == 0)
        tol = np.float32 if k == 0 else dtype      # numerical derivatives agree to about 1e-8
        compare(check, "dx", dx, exact[0], desc, tol,
                variants=lambda: _dx_variants(x64, params, d64),
                zero_hint=say("backward must return dx = dout + the gradient through the branch"))
        _check_layer_gradients(check, convs, exact, desc, tol)
    passed(check,
           say("{count} cases: dx, dW, db vs numerical gradients, float32 and float64",
               count=len(_CASES)))
