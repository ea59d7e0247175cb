"""The fused fast path: a Convolution and its ReLU in one pass give what the two give one by one."""
import numpy as np
import pytest

from course_lib import fast
from course_lib import layers as ref
from course_lib.networks import DeepConvNet, param_slots


def _layer_by_layer(layers, x, dout, need_dx=True, forward=True, backward=True):
    """Forward and backward one layer at a time, as the book's loop does."""
    for layer in layers if forward else ():
        x = layer.forward(x)
    for i in reversed(range(len(layers)) if backward else ()):
        if i == 0 and not need_dx:
            dout = layers[0].backward(dout, need_dx=False)
        else:
            dout = layers[i].backward(dout)
    return x, dout


@pytest.mark.parametrize("stride,pad", [(1, 1), (1, 2), (2, 1), (1, 0)])
@pytest.mark.parametrize("need_dx", [True, False])
def test_fused_convolution_relu_equals_the_layers_one_by_one(stride, pad, need_dx):
    rng = np.random.default_rng(stride * 10 + pad)
    W, b = rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    x = rng.standard_normal((7, 3, 9, 9))
    stacks = {kind: [fast.Convolution(W.copy(), b.copy(), stride, pad), ref.Relu(),
                     fast.Convolution(rng.standard_normal((4, 5, 3, 3)), rng.standard_normal(4), 1,
                                      1), ref.Relu()]
              for kind in ("fused", "plain")}
    stacks["plain"][2].W = stacks["fused"][2].W.copy()
    stacks["plain"][2].b = stacks["fused"][2].b.copy()
    assert fast.fusable(stacks["fused"])
    out = fast.forward_layers(stacks["fused"], x)
    dout = rng.standard_normal(out.shape)
    dx = fast.backward_layers(stacks["fused"], dout, need_dx)
    out_ref, dx_ref = _layer_by_layer(stacks["plain"], x, dout, need_dx)
    np.testing.assert_array_equal(out, out_ref)
    assert (dx is None) == (not need_dx)
    if need_dx:
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    for fused, plain in zip(stacks["fused"], stacks["plain"]):
        if isinstance(plain, ref.Relu):
            np.testing.assert_array_equal(fused.mask, plain.mask)     # the Relu keeps its state
        else:
            np.testing.assert_allclose(fused.dW, plain.dW, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(fused.db, plain.db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size,pad", [(8, 1), (6, 2)])
# stride 1: overlapping windows, not fused
@pytest.mark.parametrize("pool_stride", [2, 1])
@pytest.mark.parametrize("training", [True, False])
def test_fused_convolution_relu_pooling_equals_the_layers_one_by_one(mode, size, pad, pool_stride,
                                                                     training):
    rng = np.random.default_rng(size * 10 + pad)
    W1, b1 = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((2, 4, 3, 3)), rng.standard_normal(2)
    x = rng.standard_normal((6, 3, size, size))
    # every output negative: the ReLU gives zeros, ties in every window
    x[0] = -5.0

    def stack():
        return [fast.Convolution(W1.copy(), b1.copy(), 1, pad), ref.Relu(),
                fast.Pooling(2, 2, pool_stride, mode=mode),
                fast.Convolution(W2.copy(), b2.copy(), 1, 1)]

    fused, plain = stack(), stack()
    calls = []
    fused[2].forward = lambda *a, _f=fused[2].forward, **k: calls.append(1) or _f(*a, **k)
    out = fast.forward_layers(fused, x, train_flg=training)
    # whole tiles: pooled inside the convolution
    assert len(calls) == (0 if pool_stride == 2 else 1)
    out_ref = x
    for layer in plain:
        out_ref = layer.forward(out_ref, training)
    np.testing.assert_array_equal(out, out_ref)
    if not training:
        return
    dout = rng.standard_normal(out.shape)
    dx = fast.backward_layers(fused, dout)
    _, dx_ref = _layer_by_layer(plain, None, dout, forward=False)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(fused, plain):
        if isinstance(b, ref.Convolution):
            np.testing.assert_allclose(a.dW, b.dW, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(a.db, b.db, rtol=1e-12, atol=1e-12)
    # each fused layer keeps the state its own forward would have left: its backward alone agrees
    d_pool = fused[3].backward(dout)
    np.testing.assert_allclose(fused[2].backward(d_pool), plain[2].backward(d_pool), rtol=1e-12,
                               atol=1e-12)


def test_a_wrong_mask_changes_the_gradient():
    """The fused backward really applies the ReLU's mask (a fusion that skipped it would pass no
    test above
    for inputs where every output is positive, so here many are negative)."""
    rng = np.random.default_rng(0)
    conv, relu = fast.Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), 1, 1), ref.Relu()
    x = rng.standard_normal((3, 1, 6, 6))
    out = fast.forward_layers([conv, relu], x)
    assert 0.2 < relu.mask.mean() < 0.8 and (out >= 0).all()
    dout = np.ones_like(out)
    dx = fast.backward_layers([conv, relu], dout)
    dW = conv.dW.copy()
    conv.backward(dout)                               # without the mask
    assert not np.allclose(conv.dW, dW)
    np.testing.assert_allclose(dx, conv.backward(dout * relu.mask))


def test_only_a_fast_convolution_followed_by_a_relu_is_fused():
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((2, 1, 3, 3)), np.zeros(2)
    assert not fast.fusable([ref.Convolution(W, b, 1, 1), ref.Relu()])
    assert not fast.fusable([fast.Convolution(W, b, 1, 1), ref.Sigmoid()])
    assert not fast.fusable([ref.Relu(), fast.Convolution(W, b, 1, 1)])
    assert fast.fusable([fast.Convolution(W, b, 1, 1), ref.Relu()])


def test_deep_convnet_float32_fused_equals_the_layers_one_by_one():
    """The network's training step (fused) and its layers one by one give the same gradients."""
    rng = np.random.default_rng(2)
    net = DeepConvNet(seed=0)
    x, t = rng.random((20, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 20)
    net.seed(0)
    grads = {k: v.copy() for k, v in net.gradient(x, t).items()}
    net.seed(0)                                        # the same dropout masks again
    out, _ = _layer_by_layer(net.layers, x, None, need_dx=False, backward=False)
    net.last_layer.forward(out, t)
    _layer_by_layer(net.layers, None, net.last_layer.backward(1), need_dx=False, forward=False)
    for key, layer, name in param_slots(net.layers):
        assert np.allclose(getattr(layer, "d" + name), grads[key], rtol=1e-4, atol=1e-6), key


def test_the_callers_gradient_is_left_alone():
    rng = np.random.default_rng(3)
    layers = [fast.Convolution(rng.standard_normal((3, 2, 3, 3)), np.zeros(3), 1, 1), ref.Relu()]
    out = fast.forward_layers(layers, rng.standard_normal((4, 2, 5, 5)))
    # channels-last
    dout = rng.standard_normal(out.shape).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
    kept = dout.copy()
    fast.backward_layers(layers, dout)
    np.testing.assert_array_equal(dout, kept)
    layers[0].backward(dout, relu_mask=layers[1].mask)
    np.testing.assert_array_equal(dout, kept)


class _UnfusedRelu(ref.Relu):
    """A Relu the fused path does not recognise: the network then runs layer by layer."""


def _step_peak(net, x, t):
    """Peak bytes of NumPy arrays during a training step, over what was held before it."""
    import tracemalloc

    net.gradient(x, t)
    tracemalloc.start()
    try:
        net.gradient(x, t)          # the first traced step allocates work arrays kept between steps
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        net.gradient(x, t)
        return tracemalloc.get_traced_memory()[1] - held
    finally:
        tracemalloc.stop()


def test_the_fused_step_needs_no_more_memory_than_the_layers_one_by_one():
    rng = np.random.default_rng(4)
    x, t = rng.random((100, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 100)
    fused, plain = DeepConvNet(seed=0), DeepConvNet(seed=0)
    plain.layers = [_UnfusedRelu() if type(layer) is ref.Relu else layer for layer in plain.layers]
    assert fast.fusable(fused.layers) and not fast.fusable(plain.layers)
    # (a few kB of small work arrays)
    assert _step_peak(fused, x, t) <= 1.01 * _step_peak(plain, x, t)
