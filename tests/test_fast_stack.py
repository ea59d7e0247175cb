"""course_lib.fast.stack: Convolution-Relu(-Pooling) units run a chunk of images at a time through
all the layers give what the loop versions and the reference layers give one layer at a time."""
import numpy as np
import pytest

from course_lib import fast
from course_lib import layers as ref
from course_lib.fast import stack
from course_lib.gradcheck import rel_error
from course_lib.naive import (conv_backward_naive, conv_forward_naive, pool_backward_naive,
                              pool_forward_naive)

# (channels in, image size, [(filters, filter size, pad, pooling after the ReLU or None), ...])
SPECS = {
    "same convolutions, max pooling": (3, 12, [(4, 3, 1, "max"), (5, 3, 1, None),
                                               (3, 3, 1, "max")]),
    "pad 2 and pad 0, average pooling": (2, 10, [(4, 3, 2, None), (3, 3, 0, "avg")]),
    "5x5 and 1x1 filters": (2, 10, [(3, 5, 2, None), (4, 1, 0, "max")]),
    "many channels (dW through windows)": (20, 6, [(16, 3, 1, "max"), (18, 3, 1, None)]),
}


def _weights(spec, seed):
    rng = np.random.default_rng(seed)
    C, _, units = spec
    weights = []
    for F, size, pad, _ in units:
        weights.append((rng.standard_normal((F, C, size, size)), rng.standard_normal(F), pad))
        C = F
    return weights


def _layers(kind, spec, weights):
    layers = []
    for (W, b, pad), (_, _, _, pool) in zip(weights, spec[2]):
        layers += [kind.Convolution(W.copy(), b.copy(), 1, pad), ref.Relu()]
        if pool:
            layers.append(kind.Pooling(2, 2, stride=2, mode=pool))
    return layers


def _naive(spec, weights, x, dout, need_dx):
    """Forward and backward with the loop versions: (out, dx, [(dW, db), ...])."""
    cache, h = [], x
    for (W, b, pad), (_, _, _, pool) in zip(weights, spec[2]):
        conv_in = h
        pre = conv_forward_naive(h, W, b, 1, pad)
        h = np.maximum(pre, 0)
        relu_out = h
        if pool:
            h = pool_forward_naive(h, 2, 2, 2, 0, pool)
        cache.append((conv_in, pre, relu_out, W, pad, pool))
    out, d, grads = h, dout, []
    for conv_in, pre, relu_out, W, pad, pool in reversed(cache):
        if pool:
            d = pool_backward_naive(d, relu_out, 2, 2, 2, 0, pool)
        d = d * (pre > 0)
        d, dW, db = conv_backward_naive(d, conv_in, W, 1, pad)
        grads.append((dW, db))
    return out, (d if need_dx else None), grads[::-1]


def _run(layers, x, dout, need_dx):
    out = fast.forward_layers(layers, x, train_flg=True)
    dx = fast.backward_layers(layers, dout, need_dx)
    convs = [layer for layer in layers if isinstance(layer, ref.Convolution)]
    return out, dx, [(c.dW, c.db) for c in convs]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 images, windows gathered a few hundred numbers at a time: every path cut up."""
    monkeypatch.setattr(stack, "CHUNK_IMAGES", 3)
    monkeypatch.setattr(stack, "WINDOW_BYTES", 3000)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("N", [1, 7])
@pytest.mark.parametrize("need_dx", [True, False])
def test_stack_naive_and_reference_agree(name, N, need_dx, small_chunks):
    spec = SPECS[name]
    weights = _weights(spec, seed=N)
    rng = np.random.default_rng(N + 10)
    C, size, _ = spec
    x = rng.standard_normal((N, C, size, size))
    x[0] = -3.0        # many outputs below zero: ReLUs that block, ties of zeros in the pooling
    layers = _layers(fast, spec, weights)
    assert isinstance(stack.find_stack(layers, 0, x.shape[1:]), stack.Stack)
    out = fast.forward_layers(layers, x, train_flg=True)
    dout = rng.standard_normal(out.shape)
    dx = fast.backward_layers(layers, dout, need_dx)
    assert layers[0]._stack.stop == len(layers)              # the whole list ran as one stack
    convs = [layer for layer in layers if isinstance(layer, ref.Convolution)]
    reference = _layers(ref, spec, weights)
    ref_out, ref_dx, ref_grads = _run_reference(reference, x, dout, need_dx)
    naive_out, naive_dx, naive_grads = _naive(spec, weights, x, dout, need_dx)
    for expected in (ref_out, naive_out):
        assert rel_error(out, expected) < 1e-10
    assert (dx is None) == (not need_dx)
    if need_dx:
        assert rel_error(dx, ref_dx) < 1e-10 and rel_error(dx, naive_dx) < 1e-10
    for conv, (dW, db), (n_dW, n_db) in zip(convs, ref_grads, naive_grads):
        assert rel_error(conv.dW, dW) < 1e-10 and rel_error(conv.db, db) < 1e-10
        assert rel_error(conv.dW, n_dW) < 1e-10 and rel_error(conv.db, n_db) < 1e-10


def _run_reference(layers, x, dout, need_dx):
    h = x
    for layer in layers:
        h = layer.forward(h, True)
    d = dout
    for layer in reversed(layers):
        d = layer.backward(d)
    convs = [layer for layer in layers if isinstance(layer, ref.Convolution)]
    return h, (d if need_dx else None), [(c.dW, c.db) for c in convs]


def test_each_layer_keeps_the_state_its_own_forward_pass_would_leave(small_chunks):
    spec = SPECS["same convolutions, max pooling"]
    weights = _weights(spec, 3)
    x = np.random.default_rng(3).standard_normal((5, 3, 12, 12))
    x[1] = -1.0
    layers, reference = _layers(fast, spec, weights), _layers(ref, spec, weights)
    fast.forward_layers(layers, x, train_flg=True)
    h = x
    for mine, theirs in zip(layers, reference):
        mine_in = h
        h = theirs.forward(h, True)
        if isinstance(theirs, ref.Relu):
            np.testing.assert_array_equal(mine.mask, theirs.mask)
        dout = np.random.default_rng(0).standard_normal(h.shape)
        # each layer's own backward, from the state the stack left, agrees with the reference
        assert rel_error(mine.backward(dout), theirs.backward(dout)) < 1e-10, repr(mine)
        if isinstance(mine, ref.Convolution):
            assert rel_error(mine.dW, theirs.dW) < 1e-10
            np.testing.assert_allclose(mine._x, mine_in.transpose(0, 2, 3, 1),
                                       rtol=1e-12, atol=1e-12)


def test_the_result_does_not_depend_on_the_number_of_threads(monkeypatch, small_chunks):
    spec = SPECS["same convolutions, max pooling"]
    weights = _weights(spec, 4)
    x = np.random.default_rng(4).standard_normal((11, 3, 12, 12)).astype(np.float32)
    results = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("COURSE_LIB_THREADS", threads)
        single = [(W.astype(np.float32), b.astype(np.float32), p) for W, b, p in weights]
        layers = _layers(fast, spec, single)
        out = fast.forward_layers(layers, x, train_flg=True)
        dout = np.random.default_rng(5).standard_normal(out.shape).astype(np.float32)
        results.append(_run(layers, x, dout, True))
    for out, dx, grads in results[1:]:
        np.testing.assert_array_equal(out, results[0][0])
        np.testing.assert_array_equal(dx, results[0][1])
        for (dW, db), (dW0, db0) in zip(grads, results[0][2]):
            np.testing.assert_array_equal(dW, dW0)
            np.testing.assert_array_equal(db, db0)


def test_evaluation_mode_gives_the_same_output_and_refuses_a_backward_pass():
    spec = SPECS["same convolutions, max pooling"]
    weights = _weights(spec, 6)
    x = np.random.default_rng(6).standard_normal((4, 3, 12, 12))
    layers = _layers(fast, spec, weights)
    out = fast.forward_layers(layers, x, train_flg=False)
    expected = _run_reference(_layers(ref, spec, weights), x, np.zeros_like(out), False)[0]
    assert rel_error(out, expected) < 1e-10
    assert all(layer.mask is None for layer in layers if isinstance(layer, ref.Relu))  # none kept
    with pytest.raises(RuntimeError, match="training mode"):
        fast.backward_layers(layers, np.ones_like(out))


def test_changing_the_returned_output_changes_no_gradient():
    spec = SPECS["same convolutions, max pooling"]
    weights = _weights(spec, 7)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 3, 12, 12))
    layers = _layers(fast, spec, weights)
    out = fast.forward_layers(layers, x, train_flg=True)
    dout = rng.standard_normal(out.shape)
    _, dx, grads = _run(layers, x, dout, True)
    out = fast.forward_layers(layers, x, train_flg=True)
    out[...] = -1.0                                     # what a caller may do with its result
    dx_after = fast.backward_layers(layers, dout)
    np.testing.assert_array_equal(dx_after, dx)
    assert rel_error(layers[0].dW, grads[0][0]) < 1e-12


def test_a_layer_run_again_on_its_own_takes_the_stack_out_of_the_backward_pass():
    """When a layer's state no longer comes from the stack, each layer's own backward runs."""
    spec = SPECS["pad 2 and pad 0, average pooling"]
    weights = _weights(spec, 8)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 2, 10, 10))
    layers, reference = _layers(fast, spec, weights), _layers(ref, spec, weights)
    out = fast.forward_layers(layers, x, train_flg=True)
    layers[0].forward(x)                  # the first convolution, alone, on the same images
    assert not layers[0]._stack.ran_forward(layers)
    dout = rng.standard_normal(out.shape)
    dx = fast.backward_layers(layers, dout)
    _, ref_dx, ref_grads = _run_reference(reference, x, dout, True)
    assert rel_error(dx, ref_dx) < 1e-10
    assert rel_error(layers[0].dW, ref_grads[0][0]) < 1e-10


def test_only_stride_1_square_filters_are_stacked():
    rng = np.random.default_rng(9)
    W, b = rng.standard_normal((2, 1, 3, 3)), np.zeros(2)
    shape = (1, 8, 8)
    assert stack.unit_at([fast.Convolution(W, b, 1, 1), ref.Relu()], 0, shape) is not None
    assert stack.unit_at([fast.Convolution(W, b, 2, 1), ref.Relu()], 0, shape) is None
    wide = fast.Convolution(rng.standard_normal((2, 1, 3, 2)), b, 1, 1)
    assert stack.unit_at([wide, ref.Relu()], 0, shape) is None
    assert stack.unit_at([ref.Convolution(W, b, 1, 1), ref.Relu()], 0, shape) is None
    assert stack.unit_at([fast.Convolution(W, b, 1, 1), ref.Sigmoid()], 0, shape) is None
    # a pooling whose windows do not tile the output stays out of the unit (and runs on its own)
    overlapping = fast.Pooling(2, 2, stride=1)
    unit = stack.unit_at([fast.Convolution(W, b, 1, 1), ref.Relu(), overlapping], 0, shape)
    assert unit is not None and unit[2] is None


def test_a_network_run_layer_by_layer_gives_the_same_numbers_bit_for_bit():
    """A fast convolution run alone computes through a stack of its own, cut into the same
    chunks and pieces: the layers one by one and the network at once agree exactly, on any
    BLAS kernels (a product cut differently may round differently)."""
    from course_lib import DeepConvNet
    from course_lib.networks import param_slots

    rng = np.random.default_rng(10)
    x, t = rng.random((13, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 13)
    net = DeepConvNet(seed=0)
    net.seed(0)
    grads = {k: v.copy() for k, v in net.gradient(x, t).items()}
    assert isinstance(net.layers[0]._stack, stack.Stack)                # the network ran a stack
    net.seed(0)                                              # the same dropout masks again
    with fast.single_threaded_blas():                        # as net.gradient runs its products
        h = x
        for layer in net.layers:
            h = layer.forward(h, True)
        net.last_layer.forward(h, t)
        d = net.last_layer.backward(1)
        for i in reversed(range(len(net.layers))):
            d = net.layers[i].backward(d, need_dx=False) if i == 0 else net.layers[i].backward(d)
    for key, layer, name in param_slots(net.layers):
        np.testing.assert_array_equal(getattr(layer, "d" + name), grads[key], err_msg=key)
    net.eval()
    outs = net.layer_outputs(x)
    np.testing.assert_array_equal(outs[-1], net.predict(x))
