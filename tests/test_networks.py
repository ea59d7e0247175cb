"""Networks: the book's API, parameters found by walking layers, modes, save/load."""
import numpy as np
import pytest

from course_lib import DeepConvNet, Sequential, SimpleConvNet
from course_lib import layers as L
from course_lib.gradcheck import check_network_gradients, rel_error



@pytest.fixture
def rng():
    return np.random.default_rng(7)


def tiny_simple(**kw):
    return SimpleConvNet(input_dim=(1, 8, 8),
                         conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
                         hidden_size=6, output_size=4, weight_init_std="he", dtype=np.float64,
                         seed=0, **kw)


def test_deep_convnet_matches_the_book(rng):
    net = DeepConvNet()
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {
        "W1": (16, 1, 3, 3), "b1": (16,), "W2": (16, 16, 3, 3), "b2": (16,),
        "W3": (32, 16, 3, 3), "b3": (32,), "W4": (32, 32, 3, 3), "b4": (32,),
        "W5": (64, 32, 3, 3), "b5": (64,), "W6": (64, 64, 3, 3), "b6": (64,),
        "W7": (1024, 50), "b7": (50,), "W8": (50, 10), "b8": (10,)}
    assert net.layers[7].pad == 2           # the fourth convolution (14 -> 16)
    assert all(v.dtype == np.float32 for v in net.params.values())
    # He initialisation: std sqrt(2 / fan_in)
    assert abs(net.params["W6"].std() - np.sqrt(2 / (64 * 9))) < 0.01
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("Dropout") == 2 and kinds[-1] == "Dropout" and kinds.count("Pooling") == 3
    out = net.predict(rng.random((2, 1, 28, 28), dtype=np.float32))
    assert out.shape == (2, 10)


def test_simple_convnet_keys_and_shapes():
    net = SimpleConvNet()
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10),
        "b3": (10,)}


def test_params_are_found_by_walking_layers_including_blocks():
    conv = L.Convolution(np.ones((2, 1, 3, 3)), np.zeros(2), 1, 1)
    inner = L.Convolution(np.ones((2, 2, 3, 3)), np.zeros(2), 1, 1)
    bn = L.BatchNormalization(np.ones(2), np.zeros(2))
    net = Sequential([conv, bn, L.Relu(), L.ResidualBlock([inner, L.Relu()]),
                      L.Affine(np.ones((2 * 4 * 4, 3)), np.zeros(3))])
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "W3", "b3"]
    assert net.params["W2"] is inner.W


def test_params_view_is_live_and_checked():
    net = tiny_simple()
    layer = net.layers[0]
    net.params["W1"] -= 1.0            # an optimizer's in-place update reaches the layer
    assert layer.W is net.params["W1"]
    net.params["b1"] = np.ones(3)
    np.testing.assert_array_equal(layer.b, 1.0)
    with pytest.raises(ValueError, match="shape"):
        net.params["b1"] = np.ones(4)
    with pytest.raises(KeyError):
        net.params["W9"] = np.ones(3)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_network_gradients_match_numerical(rng, fast):
    net = tiny_simple(dropout_ratio=0.5, fast=fast)
    x = rng.standard_normal((3, 1, 8, 8))
    t = np.array([0, 3, 1])
    errors = check_network_gradients(net, x, t)
    assert max(errors.values()) < 1e-6, errors
    assert net.layers[5].dropout_ratio == 0.5        # restored after the check


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_small_deep_convnet_gradients_match_numerical(rng, fast):
    def p(n, pad=1):
        return {"filter_num": n, "filter_size": 3, "pad": pad, "stride": 1}
    net = DeepConvNet(input_dim=(1, 12, 12), conv_param_1=p(2), conv_param_2=p(2),
                      conv_param_3=p(2),
                      conv_param_4=p(2, 2), conv_param_5=p(2), conv_param_6=p(2), hidden_size=4,
                      output_size=3, dtype=np.float64, seed=0, fast=fast)
    x = rng.standard_normal((2, 1, 12, 12))
    errors = check_network_gradients(net, x, np.array([0, 2]))
    assert max(errors.values()) < 1e-6, errors


def test_train_eval_switch_controls_dropout(rng):
    net = DeepConvNet(seed=3)
    x = rng.random((4, 1, 28, 28), dtype=np.float32)
    net.eval()
    a, b = net.predict(x), net.predict(x)
    np.testing.assert_array_equal(a, b)
    net.train()
    assert not np.array_equal(net.predict(x), net.predict(x))
    assert all(layer.training for layer in net.layers)
    np.testing.assert_array_equal(net.predict(x, train_flg=False), a)   # the book's keyword
    # ... leaves the mode alone
    assert net.training


def test_accuracy_evaluates_in_batches_and_in_eval_mode(monkeypatch, rng):
    net = tiny_simple(dropout_ratio=0.5)
    x = rng.standard_normal((250, 1, 8, 8))
    t = rng.integers(0, 4, 250)
    seen = []
    original = net._forward
    monkeypatch.setattr(net, "_forward", lambda xb: seen.append(len(xb)) or original(xb))
    acc = net.accuracy(x, t, batch_size=100)
    assert seen == [100, 100, 50]
    net.eval()
    expected = np.mean(original(x).argmax(axis=1) == t)
    assert acc == pytest.approx(expected)
    assert net.accuracy(x, np.eye(4)[t]) == pytest.approx(expected)   # one-hot labels


def test_predict_in_eval_mode_is_batched(rng):
    net = tiny_simple().eval()
    x = rng.standard_normal((1200, 1, 8, 8))
    full = np.concatenate([net.predict(x[:600]), net.predict(x[600:])])
    np.testing.assert_allclose(net.predict(x, batch_size=500), full)


def test_save_load_round_trip(tmp_path):
    net = tiny_simple()
    path = tmp_path / "w.npz"
    net.save_params(path)
    other = SimpleConvNet(input_dim=(1, 8, 8),
                          conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
                          hidden_size=6, output_size=4, dtype=np.float64, seed=99)
    other.load_params(path)
    for key in net.params:
        np.testing.assert_array_equal(other.params[key], net.params[key])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


def test_save_refuses_pickle_and_load_refuses_garbage(tmp_path):
    net = tiny_simple()
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match="pickle"):
        net.save_params(tmp_path / "w.pkl")
    with pytest.raises(ValueError, match="pickle"):
        net.load_params(tmp_path / "w.pkl")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValueError, match="not a readable .npz"):
        net.load_params(garbage)
    good = tmp_path / "good.npz"
    net.save_params(good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError):
        net.load_params(truncated)
    with pytest.raises(FileNotFoundError):
        net.load_params(tmp_path / "missing.npz")
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value)


def test_load_mismatched_architecture_leaves_network_unchanged(tmp_path):
    small = tiny_simple()
    path = tmp_path / "deep.npz"
    DeepConvNet().save_params(path)
    before = {k: v.copy() for k, v in small.params.items()}
    with pytest.raises(ValueError, match="different architecture") as err:
        small.load_params(path)
    assert "W1 has shape (16, 1, 3, 3)" in str(err.value)
    arrays = {k: v.copy() for k, v in small.params.items()}
    arrays["W2"][0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(ValueError, match="NaN"):
        small.load_params(tmp_path / "nan.npz")
    for key, value in before.items():
        np.testing.assert_array_equal(small.params[key], value)


def test_float16_inference_copy(rng):
    net = tiny_simple().eval()
    x = rng.standard_normal((5, 1, 8, 8))
    ref = net.predict(x)
    half = tiny_simple().astype(np.float16).eval()
    out = half.predict(x.astype(np.float16))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, ref, atol=0.05)


def test_summary_lists_shapes_and_counts():
    text = DeepConvNet().summary((1, 28, 28))
    assert "(64, 4, 4)" in text and "(32, 16, 16)" in text
    total = sum(v.size for v in DeepConvNet().params.values())
    assert f"{total:,}" in text


def test_gradient_always_differentiates_in_training_mode(rng):
    # no dropout: training and evaluation compute the same function
    net = tiny_simple()
    x, t = rng.standard_normal((4, 1, 8, 8)), np.array([0, 1, 2, 3])
    train_grads = net.gradient(x, t)
    net.eval()
    eval_grads = net.gradient(rng.standard_normal((4, 1, 8, 8)), t)   # a different batch first ...
    eval_grads = net.gradient(x, t)                                   # ... then the same one
    for key in train_grads:
        np.testing.assert_allclose(eval_grads[key], train_grads[key])
    assert not net.training                   # the network's mode is left as it was


def test_mode_restores_each_layers_own_flag(rng):
    bn = L.BatchNormalization(np.ones(3), np.zeros(3))
    net = Sequential([L.Convolution(rng.standard_normal((3, 1, 3, 3)), np.zeros(3), 1, 1), bn,
                      L.Relu(),
                      L.Affine(rng.standard_normal((3 * 4 * 4, 2)), np.zeros(2))])
    bn.eval()                                 # frozen batch norm inside a training network
    net.accuracy(rng.standard_normal((5, 1, 4, 4)), np.zeros(5, dtype=int))
    assert net.training and not bn.training


def test_network_gradient_check_keeps_running_statistics(rng):
    bn = L.BatchNormalization(np.ones(3), np.zeros(3))
    net = Sequential([L.Convolution(rng.standard_normal((3, 1, 3, 3)), np.zeros(3), 1, 1), bn,
                      L.Relu(),
                      L.Affine(rng.standard_normal((3 * 4 * 4, 2)), np.zeros(2))])
    x, t = rng.standard_normal((4, 1, 4, 4)), np.array([0, 1, 1, 0])
    errors = check_network_gradients(net, x, t)
    np.testing.assert_array_equal(bn.running_mean, 0)
    np.testing.assert_array_equal(bn.running_var, 1)
    # A bias right before batch norm is cancelled by the mean subtraction: its true gradient
    # is exactly 0, so a relative error compares rounding noise with rounding noise.
    assert np.abs(net.gradient(x, t)["b1"]).max() < 1e-12
    del errors["b1"]
    assert max(errors.values()) < 1e-6, errors


def test_layer_outputs_gives_every_layers_output_in_evaluation_mode(rng):
    net = DeepConvNet(seed=3)            # has dropout: evaluation mode makes the outputs repeatable
    x = rng.random((4, 1, 28, 28)).astype(np.float32)
    outs = net.layer_outputs(x)
    assert len(outs) == len(net.layers)
    assert [o.shape[1:] for o in outs[:3]] == [(16, 28, 28), (16, 28, 28), (16, 28, 28)]
    assert all(np.all(o >= 0) for o, layer in zip(outs, net.layers) if isinstance(layer, L.Relu))
    np.testing.assert_allclose(outs[-1], net.eval().predict(x), rtol=1e-6)
    net.train()
    again = net.layer_outputs(x)
    assert net.training and all(layer.training for layer in net.layers)   # mode given back
    assert all(np.array_equal(a, b) for a, b in zip(outs, again))


def small_deep(fast, seed=0):
    def p(n, pad=1):
        return {"filter_num": n, "filter_size": 3, "pad": pad, "stride": 1}
    return DeepConvNet(input_dim=(1, 12, 12), conv_param_1=p(2), conv_param_2=p(3),
                       conv_param_3=p(2),
                       conv_param_4=p(3, 2), conv_param_5=p(2), conv_param_6=p(4), hidden_size=5,
                       output_size=3, dtype=np.float64, seed=seed, fast=fast)


def test_fast_and_reference_networks_compute_the_same(rng):
    from course_lib import fast
    nets = {flag: small_deep(flag) for flag in (True, False)}
    kinds = {flag: {type(layer).__module__ for layer in net.layers if type(layer).__name__
                    in ("Convolution", "Pooling")}
             for flag, net in nets.items()}
    assert kinds == {True: {"course_lib.fast.layers"}, False: {"course_lib.layers"}}
    assert isinstance(nets[True].last_layer, fast.SoftmaxWithLoss)
    x, t = rng.standard_normal((5, 1, 12, 12)), np.array([0, 2, 1, 1, 0])
    out = {flag: net.predict(x, train_flg=False) for flag, net in nets.items()}
    assert rel_error(out[True], out[False]) < 1e-10
    # same seed: same dropout masks
    grads = {flag: net.gradient(x, t) for flag, net in nets.items()}
    assert nets[True].last_loss == pytest.approx(nets[False].last_loss, rel=1e-12)
    for key in grads[True]:
        assert rel_error(grads[True][key], grads[False][key]) < 1e-10, key


def test_sequential_is_a_layer_that_nests(rng):
    from course_lib.layers import Layer
    inner = Sequential([L.Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), 1, 1),
                        L.BatchNormalization(np.ones(2), np.zeros(2)), L.Relu()])
    net = Sequential([inner, L.Pooling(2, 2, stride=2),
                      Sequential([L.Affine(rng.standard_normal((8, 3)), np.zeros(3))])])
    assert isinstance(inner, Layer)
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2"]
    assert list(net.state_dict()) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "running_mean1",
                                      "running_var1"]
    assert net.output_shape((1, 4, 4)) == (3,) and inner.output_shape((1, 4, 4)) == (2, 4, 4)
    x, t = rng.standard_normal((3, 1, 4, 4)), np.array([0, 2, 1])
    flat = Sequential([*inner.layers, net.layers[1], *net.layers[2].layers])
    np.testing.assert_allclose(net.predict(x), flat.predict(x))
    net.eval()
    assert all(not layer.training for layer in inner.layers) and not inner.training
    net.train()
    assert all(layer.training for layer in inner.layers)
    errors = check_network_gradients(net, x, t)
    del errors["b1"]                      # a bias right before batch norm: its true gradient is 0
    assert max(errors.values()) < 1e-6, errors


def test_backward_need_dx_reaches_the_first_layer_of_a_nested_network(rng):
    from course_lib import fast
    conv = fast.Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), 1, 1)
    net = Sequential([Sequential([conv, L.Relu()]),
                      L.Affine(rng.standard_normal((32, 2)), np.zeros(2))])
    x = rng.standard_normal((2, 1, 4, 4))
    net.forward(x)
    dout = rng.standard_normal((2, 2))
    assert net.backward(dout).shape == x.shape
    dW = conv.dW.copy()
    assert net.backward(dout, need_dx=False) is None
    np.testing.assert_allclose(conv.dW, dW)
    assert Sequential([conv], input_grad=True).input_grad       # gradient() then asks for dx


def test_state_dict_round_trip_and_all_or_nothing(rng):
    a, b = tiny_simple(), SimpleConvNet(input_dim=(1, 8, 8), hidden_size=6, output_size=4,
                                        dtype=np.float64, seed=5,
                                        conv_param={"filter_num": 3, "filter_size": 3, "pad": 1,
                                                    "stride": 1})
    state = a.state_dict()
    # the network's own arrays, as in PyTorch
    assert state["W1"] is a.layers[0].W
    b.load_state_dict(state)
    for key in state:
        np.testing.assert_array_equal(b.state_dict()[key], state[key])
        assert not np.shares_memory(b.state_dict()[key], state[key])
    before = {k: v.copy() for k, v in b.state_dict().items()}
    broken = dict(state, W2=np.ones((3, 3)))
    with pytest.raises(ValueError, match="W2 has shape"):
        b.load_state_dict(broken)
    with pytest.raises(ValueError, match=r"missing \['b3'\]"):
        b.load_state_dict({k: v for k, v in state.items() if k != "b3"})
    for key, value in before.items():
        np.testing.assert_array_equal(b.state_dict()[key], value)


def test_trainer_puts_back_the_buffers_too(monkeypatch):
    """The best state the trainer restores holds batch norm's running statistics, which are not
    parameters: a snapshot of ``params`` alone would leave them as the last epoch left them."""
    from course_lib import Trainer
    rng = np.random.default_rng(0)
    net = Sequential([L.Affine(rng.standard_normal((4, 3)), np.zeros(3)),
                      L.BatchNormalization(np.ones(3), np.zeros(3)), L.Relu(),
                      L.Affine(rng.standard_normal((3, 2)), np.zeros(2))])
    x, t = rng.standard_normal((20, 4)) + 3.0, rng.integers(0, 2, 20)
    trainer = Trainer(net, x, t, x, t, epochs=6, mini_batch_size=5, verbose=False, seed=0,
                      early_stopping_patience=2, x_val=x[:5], t_val=t[:5])
    scores = iter([(0.5, 0.9), (0.5, 0.5), (0.5, 0.5)])
    seen = {}

    def evaluate():
        seen[trainer.current_epoch] = {k: v.copy() for k, v in net.state_dict().items()}
        return next(scores)

    monkeypatch.setattr(trainer, "_evaluate", evaluate)
    trainer.train()
    assert trainer.best_epoch == 1 and trainer.current_epoch == 3
    # they moved after epoch 1
    assert not np.allclose(seen[1]["running_mean1"], seen[3]["running_mean1"])
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, seen[1][key], err_msg=key)


def test_batch_norm_key_sharing_is_decided_by_the_network():
    bn = L.BatchNormalization(np.ones(2), np.zeros(2))
    assert not hasattr(bn, "shares_index")
    net = Sequential([bn, L.Affine(np.ones((2, 3)), np.zeros(3)),
                      L.BatchNormalization(np.ones(3), np.zeros(3))])
    # first: its own number
    assert list(net.params) == ["gamma1", "beta1", "W2", "b2", "gamma2", "beta2"]


def test_summary_shows_every_layer_in_full():
    net = Sequential([L.Convolution(np.zeros((16, 1, 3, 3)), np.zeros(16), 1, 1), L.Relu(),
                      L.Pooling(2, 2, stride=2),
                      L.Affine(np.zeros((16 * 14 * 14, 10)), np.zeros(10))])
    text = net.summary((1, 28, 28))
    for layer in net.layers:
        assert repr(layer) in text
    lines = text.splitlines()
    # one column layout: every row the same width
    assert len({len(line) for line in lines}) == 1
    assert lines[-1].endswith(f"{sum(v.size for v in net.params.values()):,}")


def test_shipped_weights_give_the_same_scores_on_both_paths(rng):
    from course_lib import pretrained
    path = pretrained.weights_path("deep_convnet_mnist")
    nets = {}
    for flag in (True, False):
        nets[flag] = DeepConvNet(fast=flag)
        nets[flag].load_params(path)
        nets[flag].eval()
    x = rng.random((20, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(nets[True].predict(x), nets[False].predict(x), rtol=1e-4, atol=1e-4)
