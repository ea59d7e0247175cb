"""Each layer against its loop version and against numerical gradients (float64).

Every test that takes ``L`` runs twice: on the reference layers
(``course_lib.layers``) and on the fast ones (``course_lib.fast``).
"""
import zlib

import numpy as np
import pytest

from course_lib import fast
from course_lib import layers as ref
from course_lib.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from course_lib.naive import (conv_backward_naive, conv_forward_naive, pool_backward_naive,
                              pool_forward_naive)

rng = np.random.default_rng(42)


@pytest.fixture(autouse=True)
def _same_draws_in_any_order(request):
    """Each test draws the same numbers whichever tests ran before it in its process (the
    workers of a parallel run share the tests out differently from run to run)."""
    global rng
    rng = np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


class _Fast:
    """The fast path: fast Convolution, Pooling and SoftmaxWithLoss, the other layers as they are"""

    def __getattr__(self, name):
        return getattr(fast, name) if name in fast.__all__ else getattr(ref, name)

    def __repr__(self):
        return "fast"


@pytest.fixture(params=[ref, _Fast()], ids=["reference", "fast"])
def L(request):
    return request.param


@pytest.mark.parametrize("stride,pad,fh",
                         [(1, 0, 3), (1, 1, 3), (1, 2, 3), (2, 1, 3), (2, 0, 3), (1, 0, 1),
                                           (1, 1, 5), (3, 1, 2)])
def test_convolution_matches_naive_and_gradients(L, stride, pad, fh):
    H = 2 * stride + fh - 2 * pad + stride * 2  # three or more outputs, whole sizes
    x = rng.standard_normal((2, 3, H, H))
    W = rng.standard_normal((4, 3, fh, fh))
    b = rng.standard_normal(4)
    conv = L.Convolution(W.copy(), b.copy(), stride, pad)
    out = conv.forward(x)
    assert rel_error(out, conv_forward_naive(x, W, b, stride, pad)) < 1e-12
    dout = rng.standard_normal(out.shape)
    dx = conv.backward(dout)
    ndx, ndW, ndb = conv_backward_naive(dout, x, W, stride, pad)
    assert rel_error(dx, ndx) < 1e-12
    assert rel_error(conv.dW, ndW) < 1e-12
    assert rel_error(conv.db, ndb) < 1e-12
    errors = check_layer_gradients(L.Convolution(W.copy(), b.copy(), stride, pad), x)
    assert max(errors.values()) < 1e-6, errors


def test_fast_convolution_need_dx_false_still_computes_weight_gradients():
    x = rng.standard_normal((2, 1, 6, 6))
    W, b = rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    full, skip = fast.Convolution(W, b, 1, 1), fast.Convolution(W, b, 1, 1)
    dout = rng.standard_normal((2, 3, 6, 6))
    full.forward(x), skip.forward(x)
    assert full.backward(dout).shape == x.shape
    assert skip.backward(dout, need_dx=False) is None
    np.testing.assert_allclose(skip.dW, full.dW)
    np.testing.assert_allclose(skip.db, full.db)


CONV_CASES = [((2, 3, 7, 7), (4, 3, 3, 3), 1, 1), ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
              ((3, 2, 9, 8), (5, 2, 3, 2), 1, 0),
              ((2, 4, 8, 8), (3, 4, 5, 5), 1, 2), ((1, 2, 9, 9), (2, 2, 3, 3), 3, 0),
              ((2, 1, 5, 5), (2, 1, 1, 1), 1, 0)]


@pytest.mark.parametrize("xshape,wshape,stride,pad", CONV_CASES)
def test_convolution_naive_reference_and_fast_agree(xshape, wshape, stride, pad):
    x, W = rng.standard_normal(xshape), rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[0])
    outs, grads = [], []
    naive_out = conv_forward_naive(x, W, b, stride, pad)
    dout = rng.standard_normal(naive_out.shape)
    for layer in (ref.Convolution(W, b, stride, pad), fast.Convolution(W, b, stride, pad)):
        outs.append(layer.forward(x))
        grads.append((layer.backward(dout), layer.dW, layer.db))
    grads.append(conv_backward_naive(dout, x, W, stride, pad))
    for out in outs:
        assert rel_error(out, naive_out) < 1e-10
    for a in grads:
        for b_ in grads:
            assert all(rel_error(u, v) < 1e-10 for u, v in zip(a, b_))


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("ph,pw,stride,pad,H,W",
                         [(2, 2, 2, 0, 8, 6), (3, 3, 1, 1, 5, 5), (3, 3, 2, 1, 7, 7),
                                                  (2, 3, 3, 0, 5, 6), (2, 2, 1, 0, 4, 5)])
def test_pooling_naive_reference_and_fast_agree(mode, ph, pw, stride, pad, H, W):
    x = rng.standard_normal((2, 3, H, W))
    # a tie: the gradient goes to the first maximum
    x[0, 0, :2, :2] = 1.0
    expected = pool_forward_naive(x, ph, pw, stride, pad, mode)
    dout = rng.standard_normal(expected.shape)
    dx_naive = pool_backward_naive(dout, x, ph, pw, stride, pad, mode)
    for layer in (ref.Pooling(ph, pw, stride, pad, mode), fast.Pooling(ph, pw, stride, pad, mode)):
        assert rel_error(layer.forward(x), expected) < 1e-10
        assert rel_error(layer.backward(dout), dx_naive) < 1e-10


def test_networks_do_not_mutate_their_layers():
    from course_lib import Sequential
    conv = fast.Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), 1, 1)
    before = dict(vars(conv))
    net = Sequential([conv, ref.Relu(),
                      ref.Affine(rng.standard_normal((2 * 4 * 4, 3)), np.zeros(3))])
    assert vars(conv).keys() == before.keys() and all(vars(conv)[k] is v for k, v in before.items())
    net.gradient(rng.standard_normal((2, 1, 4, 4)), np.array([0, 2]))
    x = rng.standard_normal((2, 1, 4, 4))
    conv.forward(x)
    assert conv.backward(np.ones((2, 2, 4, 4))).shape == x.shape     # used alone, it still gives dx


def test_convolution_float32_by_default_follows_weights(L):
    conv = L.Convolution(rng.standard_normal((2, 1, 3, 3)).astype(np.float32),
                         np.zeros(2, np.float32))
    out = conv.forward(rng.standard_normal((1, 1, 5, 5)))   # float64 input is cast
    assert out.dtype == np.float32


def test_convolution_wrong_channels_says_which_numbers(L):
    conv = L.Convolution(np.zeros((8, 3, 3, 3)), np.zeros(8))
    with pytest.raises(ValueError, match=r"1 channels.*C = 3"):
        conv.forward(np.zeros((2, 1, 28, 28)))


def test_convolution_flat_input_explains_reshape(L):
    conv = L.Convolution(np.zeros((8, 1, 3, 3)), np.zeros(8))
    with pytest.raises(ValueError, match="reshape"):
        conv.forward(np.zeros((2, 784)))


def test_convolution_non_whole_output_size(L):
    conv = L.Convolution(np.zeros((8, 1, 5, 5)), np.zeros(8), stride=2)
    with pytest.raises(ValueError, match="12.5 is not a whole number"):
        conv.forward(np.zeros((1, 1, 28, 28)))


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("ph,stride,pad,H",
                         [(2, 2, 0, 6), (3, 1, 1, 5), (3, 2, 1, 7), (2, 1, 0, 4)])
def test_pooling_matches_naive(L, mode, ph, stride, pad, H):
    x = rng.standard_normal((2, 3, H, H))
    pool = L.Pooling(ph, ph, stride, pad, mode)
    out = pool.forward(x)
    np.testing.assert_allclose(out, pool_forward_naive(x, ph, ph, stride, pad, mode), rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(pool.backward(dout),
                               pool_backward_naive(dout, x, ph, ph, stride, pad, mode),
                               rtol=1e-12, atol=1e-14)
    assert max(check_layer_gradients(L.Pooling(ph, ph, stride, pad, mode), x).values()) < 1e-6


def test_max_pool_gradient_goes_to_the_maximum_only(L):
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    pool = L.Pooling(2, 2, stride=2)
    assert pool.forward(x).item() == 5.0
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, 0], [[0, 1], [0, 0]])


def test_affine_relu_sigmoid_batchnorm_gradients(L):
    x = rng.standard_normal((4, 2, 3, 2))
    affine = L.Affine(rng.standard_normal((12, 5)), rng.standard_normal(5))
    assert affine.forward(x).shape == (4, 5)
    assert affine.backward(np.ones((4, 5))).shape == x.shape
    assert max(check_layer_gradients(affine, x).values()) < 1e-6
    xr = rng.standard_normal((3, 7)) + 0.05  # away from the kink at 0
    assert max(check_layer_gradients(L.Relu(), xr).values()) < 1e-6
    assert max(check_layer_gradients(L.Sigmoid(), xr).values()) < 1e-6
    bn = L.BatchNormalization(rng.standard_normal(7), rng.standard_normal(7))
    assert max(check_layer_gradients(bn, rng.standard_normal((5, 7))).values()) < 1e-6
    bn4 = L.BatchNormalization(rng.standard_normal(3), rng.standard_normal(3))
    assert max(check_layer_gradients(bn4, rng.standard_normal((2, 3, 4, 4))).values()) < 1e-6


def test_affine_wrong_size_message(L):
    affine = L.Affine(np.zeros((10, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="expects 10 input features"):
        affine.forward(np.zeros((2, 12)))


def test_batchnorm_eval_uses_running_statistics(L):
    bn = L.BatchNormalization(np.ones(2), np.zeros(2), momentum=0.0)
    x = rng.standard_normal((50, 2)) * 3 + 7
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-4)
    bn.eval()
    # momentum 0: running stats = last batch
    np.testing.assert_allclose(bn.forward(x), y, atol=1e-4)


def test_dropout_train_and_eval(L):
    d = L.Dropout(0.5, seed=0)
    x = np.ones((200, 50))
    y = d.forward(x)
    kept = y != 0
    assert 0.45 < kept.mean() < 0.55
    np.testing.assert_allclose(y[kept], 2.0)          # inverted dropout keeps the expectation
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), y)
    d.eval()
    np.testing.assert_array_equal(d.forward(x), x)
    assert d.forward(x, train_flg=True).mean() != 1.0  # the book's keyword still works


def test_softmax_with_loss_value_and_gradient(L):
    x = rng.standard_normal((4, 5))
    t = np.array([0, 3, 4, 1])
    layer = L.SoftmaxWithLoss()
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert np.isclose(layer.forward(x, t), -np.mean(np.log(p[np.arange(4), t])))
    dx = layer.backward()
    num = numerical_gradient(lambda: L.SoftmaxWithLoss().forward(x, t), x)
    assert rel_error(dx, num) < 1e-7
    onehot = np.eye(5)[t]
    assert np.isclose(L.SoftmaxWithLoss().forward(x, onehot), layer.loss)
    assert np.isfinite(L.SoftmaxWithLoss().forward(np.array([[1000.0, -1000.0]]), np.array([1])))


def test_softmax_bad_labels(L):
    with pytest.raises(ValueError, match=r"integers in \[0, 5\)"):
        L.SoftmaxWithLoss().forward(np.zeros((2, 5)), np.array([0, 7]))
    with pytest.raises(ValueError, match="3 score rows"):
        L.SoftmaxWithLoss().forward(np.zeros((3, 5)), np.array([0, 1]))


def test_residual_block_gradient_and_skip(L):
    W = rng.standard_normal((2, 2, 3, 3)) * 0.3
    block = L.ResidualBlock([L.Convolution(W, np.zeros(2), 1, 1), L.Relu(),
                             L.Convolution(W.copy(), np.zeros(2), 1, 1)])
    x = rng.standard_normal((2, 2, 5, 5))
    errors = check_layer_gradients(block, x)
    assert errors["x"] < 1e-6
    # the convolutions inside the block: dW against numerical gradients of the block's output
    dout = rng.standard_normal(x.shape)
    block.forward(x)
    block.backward(dout)
    for conv in (block.layers[0], block.layers[2]):
        numeric = numerical_gradient(lambda: float(np.sum(block.forward(x) * dout)), conv.W)
        assert rel_error(conv.dW, numeric) < 1e-6
    # with a branch that outputs zeros the block is the identity: the gradient passes through
    zero = L.ResidualBlock([L.Convolution(np.zeros((2, 2, 3, 3)), np.zeros(2), 1, 1)])
    np.testing.assert_allclose(zero.forward(x), x)
    np.testing.assert_allclose(zero.backward(np.ones_like(x)), np.ones_like(x))


def test_residual_block_shape_mismatch(L):
    block = L.ResidualBlock([L.Convolution(np.zeros((2, 2, 3, 3)), np.zeros(2), 1, 0)])
    with pytest.raises(ValueError, match="keep the shape"):
        block.forward(np.zeros((1, 2, 5, 5)))


@pytest.mark.parametrize("shape,fshape,stride,pad",
                         [((2, 2, 5, 8), (3, 2, 3, 2), 1, 0), ((1, 3, 7, 6), (2, 3, 3, 2), 2, 1),
                                                     ((2, 1, 6, 9), (2, 1, 2, 4), 1, 1)])
def test_convolution_rectangular_images_and_filters(L, shape, fshape, stride, pad):
    H, W = shape[2:]
    FH, FW = fshape[2:]
    if (H + 2 * pad - FH) % stride or (W + 2 * pad - FW) % stride:
        pytest.skip("not a whole output size")
    x, Wt = rng.standard_normal(shape), rng.standard_normal(fshape)
    b = rng.standard_normal(fshape[0])
    conv = L.Convolution(Wt, b, stride, pad)
    out = conv.forward(x)
    assert rel_error(out, conv_forward_naive(x, Wt, b, stride, pad)) < 1e-12
    dout = rng.standard_normal(out.shape)
    ndx, ndW, _ = conv_backward_naive(dout, x, Wt, stride, pad)
    assert rel_error(conv.backward(dout), ndx) < 1e-12 and rel_error(conv.dW, ndW) < 1e-12


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_rectangular_window(L, mode):
    x = rng.standard_normal((2, 3, 5, 6))
    pool = L.Pooling(2, 3, stride=3, mode=mode)
    out = pool.forward(x)
    np.testing.assert_allclose(out, pool_forward_naive(x, 2, 3, 3, 0, mode))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(pool.backward(dout), pool_backward_naive(dout, x, 2, 3, 3, 0, mode),
                               atol=1e-14)


def test_backward_before_forward_explains(L):
    with pytest.raises(RuntimeError, match="forward"):
        L.Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2)).backward(np.zeros((1, 2, 3, 3)))
    pool = L.Pooling(2, 2, stride=2).eval()
    pool.forward(np.zeros((1, 1, 4, 4)))            # evaluation mode keeps nothing for backward
    with pytest.raises(RuntimeError, match="training"):
        pool.backward(np.zeros((1, 1, 2, 2)))


def test_gradient_check_leaves_batchnorm_statistics_alone(L):
    bn = L.BatchNormalization(np.ones(3), np.zeros(3))
    check_layer_gradients(bn, rng.standard_normal((6, 3)) + 5)
    np.testing.assert_array_equal(bn.running_mean, 0)
    np.testing.assert_array_equal(bn.running_var, 1)


@pytest.mark.parametrize("n, bytes_per_image",
                         [(100, 451_584), (100, 147_456), (7, 10), (1, 10 ** 9), (64, 1)])
def test_fast_convolution_blocks_are_even_and_shared_out_equally(n, bytes_per_image):
    WORKERS = fast.workers()
    blocks = fast.Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2))._blocks(n, bytes_per_image)
    assert [i for s in blocks for i in range(n)[s]] == list(range(n))
    sizes = [s.stop - s.start for s in blocks]
    assert max(sizes) - min(sizes) <= 1
    if n >= WORKERS:
        assert len(blocks) % WORKERS == 0
    assert max(sizes) * bytes_per_image <= max(fast.Convolution.BLOCK_BYTES, bytes_per_image)


def test_fast_softmax_with_loss_gradient_has_no_subnormal_numbers():
    # a confident network: the wrong classes get probabilities like 1e-35 and 4e-44
    x = np.array([[0.0, -80.0, -100.0], [50.0, 0.0, 10.0]], dtype=np.float32)
    t = np.array([0, 0])
    exact = ref.SoftmaxWithLoss()
    exact.forward(x, t)
    # plain: kept
    assert np.any((exact.backward() != 0) & (np.abs(exact.backward()) < np.finfo(np.float32).tiny))
    loss_layer = fast.SoftmaxWithLoss()
    loss_layer.forward(x, t)
    tiny = np.finfo(np.float32).tiny
    assert np.any((loss_layer.y > 0) & (loss_layer.y < tiny))        # the forward pass has them
    dx = loss_layer.backward()
    assert dx.dtype == np.float32
    assert not np.any((dx != 0) & (np.abs(dx) < tiny))                # the gradient does not
    exact = (loss_layer.y - np.eye(3, dtype=np.float32)[t]) / 2
    np.testing.assert_allclose(dx, exact, rtol=0, atol=1e-20)
