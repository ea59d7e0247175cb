"""Tests for course_lib.architectures (chapter 6): plain and residual stacks, costs, diagrams."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.architectures import (FONT_PT, INCEPTION_3A, VGG16, VGG19, conv_cost,
                                      conv_output_rms, conv_weight_keys, draw_inception_module,
                                      draw_residual_block, draw_vgg_stack, inception_cost,
                                      plain_stack,
                                      residual_stack, train_stack, vgg_cost, weight_gradient_norms)
from course_lib.functional import conv_output_size
from course_lib.gradcheck import check_layer_gradients, check_network_gradients, numerical_gradient
from course_lib.layers import Convolution, Relu, ResidualBlock
from course_lib.networks import walk


def small_batch(n=3, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, size, size)), rng.integers(0, 10, n)


# ----- builders ---------------------------------------------------------------
@pytest.mark.parametrize("depth", [2, 6])
def test_stacks_have_depth_convolutions_and_same_initial_weights(depth):
    plain = plain_stack(depth, channels=4, input_dim=(1, 8, 8), seed=3)
    res = residual_stack(depth, channels=4, input_dim=(1, 8, 8), seed=3)
    assert len(conv_weight_keys(plain)) == depth + 1 == len(conv_weight_keys(res))
    assert sum(isinstance(layer, ResidualBlock) for layer in res.layers) == depth // 2
    assert not any(isinstance(layer, ResidualBlock) for layer in plain.layers)
    assert list(plain.params) == list(res.params)
    for key in plain.params:
        np.testing.assert_array_equal(plain.params[key], res.params[key])
    x, _ = small_batch()
    assert plain.predict(x).shape == (3, 10) == res.predict(x).shape


def test_skip_connections_change_the_function_but_not_the_layers():
    plain = plain_stack(4, channels=4, input_dim=(1, 8, 8), seed=1)
    res = residual_stack(4, channels=4, input_dim=(1, 8, 8), seed=1)
    x, _ = small_batch()
    assert not np.allclose(plain.predict(x), res.predict(x))
    plain_kinds = [type(layer).__name__ for layer in walk(plain.layers)]
    res_kinds = [type(layer).__name__ for layer in walk(res.layers)
                 if not isinstance(layer, ResidualBlock)]
    assert plain_kinds == res_kinds


def test_xavier_weights_have_the_xavier_scale():
    net = plain_stack(6, channels=16, seed=0)
    W = net.params[conv_weight_keys(net)[3]]
    assert W.std() == pytest.approx(np.sqrt(1 / (16 * 9)), rel=0.1)


@pytest.mark.parametrize("builder", [plain_stack, residual_stack])
def test_stack_gradients_match_numerical_ones(builder):
    net = builder(2, channels=2, input_dim=(1, 4, 4), seed=0, dtype=np.float64,
                  weight_init_std="he")
    x, t = small_batch(n=2, size=4, seed=1)
    errors = check_network_gradients(net, x, t)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("bad", [dict(depth=3), dict(depth=0), dict(depth=2.0), dict(channels=0),
                                 dict(input_dim=(1, 30, 30))])
def test_stack_rejects_bad_arguments_with_a_clear_message(bad):
    args = dict(depth=4, channels=4, input_dim=(1, 8, 8))
    args.update(bad)
    with pytest.raises(ValueError, match="depth|channels|input_dim"):
        plain_stack(**args)


def test_gradient_norms_follow_the_convolutions_and_vanish_in_the_plain_stack():
    x, t = small_batch(n=8, size=28, seed=2)
    x = x.astype(np.float32)
    plain = plain_stack(16, channels=6, seed=0)
    res = residual_stack(16, channels=6, seed=0)
    g_plain, g_res = weight_gradient_norms(plain, x, t), weight_gradient_norms(res, x, t)
    assert g_plain.shape == g_res.shape == (17,)
    grads = plain.gradient(x, t)
    assert g_plain[0] == pytest.approx(np.linalg.norm(grads[conv_weight_keys(plain)[0]]), rel=1e-5)
    # with Xavier weights and ReLU every plain layer shrinks the signal; the skips carry it
    assert g_res[0] > 100 * g_plain[0]


def test_residual_block_passes_the_gradient_straight_through():
    rng = np.random.default_rng(0)
    conv = Convolution(np.zeros((2, 2, 3, 3)), np.zeros(2), pad=1)
    block = ResidualBlock([Relu(), conv])
    x = rng.standard_normal((2, 2, 5, 5))
    np.testing.assert_array_equal(block.forward(x), x)
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(block.backward(dout), dout)
    conv.W = rng.standard_normal(conv.W.shape)
    errors = check_layer_gradients(block, x, seed=1)
    assert errors["x"] < 1e-6
    def f():
        return float(np.sum(block.forward(x) * dout))
    block.forward(x)
    block.backward(dout)
    assert np.max(np.abs(conv.dW - numerical_gradient(f, conv.W))) < 1e-6 * np.abs(conv.dW).max()


# ----- cost arithmetic --------------------------------------------------------
def test_conv_cost_counts_weights_and_multiplications():
    c = conv_cost(28, 28, 16, 32, 3)
    assert c["out"] == (32, 28, 28)
    assert c["params"] == 3 * 3 * 16 * 32 + 32
    assert c["mults"] == 28 * 28 * 32 * 3 * 3 * 16
    v = conv_cost(10, 10, 3, 4, 5, stride=1, pad=0, bias=False)
    assert v["out"] == (4, 6, 6) and v["params"] == 5 * 5 * 3 * 4
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_cost(3, 3, 1, 1, 5, pad=0)
    with pytest.raises(ValueError, match="c_in"):
        conv_cost(3, 3, 0, 1, 3)


def test_conv_cost_follows_conv_output_size_and_refuses_a_window_over_the_edge():
    # (28 - 5) / 2 + 1 = 12.5: conv_output_size refuses, and so does conv_cost (no rounding down)
    with pytest.raises(ValueError, match="not a whole number"):
        conv_output_size(28, 5, stride=2, pad=0)
    with pytest.raises(ValueError, match="not a whole number"):
        conv_cost(28, 28, 1, 1, 5, stride=2, pad=0)
    with pytest.raises(ValueError, match="width"):
        conv_cost(27, 28, 1, 1, 5, stride=2, pad=0)
    assert conv_cost(28, 28, 1, 1, 4, stride=2, pad=0)["out"] == (1, conv_output_size(28, 4, 2, 0),
                                                                  13)


def test_vgg_counts_match_the_published_sizes():
    # Simonyan and Zisserman (2015), table 2: 138 and 144 million parameters
    _, p16, m16 = vgg_cost(VGG16)
    _, p19, _ = vgg_cost(VGG19)
    assert p16 == 138_357_544
    assert round(p19 / 1e6) == 144
    assert 15.0e9 < m16 < 16.0e9                    # "15.5 billion multiply-adds"


def test_inception_reduction_cuts_the_cost():
    reduced = inception_cost(**INCEPTION_3A)
    naive = inception_cost(**INCEPTION_3A, reduce=False)
    assert reduced["out_channels"] == 256
    assert naive["out_channels"] == 64 + 128 + 32 + 192
    # the 5x5 branch: 1x1 to 16 channels, then 5x5 to 32 (Szegedy et al. 2015, table 1: 163K
    # parameters in 3a)
    assert reduced["5x5"][1] == 28 * 28 * 16 * 192 + 28 * 28 * 32 * 25 * 16
    assert naive["5x5"][1] == 28 * 28 * 32 * 25 * 192
    assert round(reduced["total"][0] / 1000) == 164
    assert naive["total"][1] > 2 * reduced["total"][1]


# ----- diagrams -----------------------------------------------------------------
@pytest.mark.parametrize("draw, words",
                         [(draw_vgg_stack, ["conv 3x3, "
                                            "64", "max pool 2x2", "fully connected 1000"]),
                                         (draw_inception_module, ["1x1 conv, 16", "5x5 conv, 32",
                                                                  "concatenate channels: 256"]),
                                         (draw_residual_block,
                                          ["identity\n(skip)", "+", "ReLU(F(x) + x)"])])
def test_diagrams_draw_their_boxes(draw, words):
    fig, ax = plt.subplots()
    assert draw(ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    for word in words:
        assert word in texts
    assert len(ax.patches) >= 3
    plt.close(fig)


@pytest.mark.parametrize("draw", [draw_vgg_stack, draw_inception_module, draw_residual_block,
                                  lambda: draw_residual_block(pre_activation=True)])
def test_diagrams_on_their_own_figure_are_readable(draw):
    # Drawn alone, a diagram is at most 8 inches wide (a notebook shows it without shrinking), every
    # label is at least 9 pt, and every box's label fits inside its box.
    ax = draw()
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert fig.get_figwidth() <= 8
    sizes = [t.get_fontsize() for t in ax.texts] + [ax.title.get_fontsize()]
    assert min(sizes) >= 9 and FONT_PT >= 9
    boxes = [p.get_window_extent(renderer) for p in ax.patches if type(p).__name__
             == "FancyBboxPatch"]
    assert boxes
    for text in ax.texts:
        extent = text.get_window_extent(renderer)
        inside = [b for b in boxes if b.contains(*extent.get_points().mean(axis=0))]
        for box in inside:
            assert box.x0 <= extent.x0 and extent.x1 <= box.x1, (text.get_text(), extent, box)
    plt.close(fig)


def test_conv_output_rms_measures_each_convolution_and_block():
    x, _ = small_batch(n=4, size=8, seed=3)
    plain = plain_stack(4, channels=3, input_dim=(1, 8, 8), seed=0, dtype=np.float64)
    res = residual_stack(4, channels=3, input_dim=(1, 8, 8), seed=0, dtype=np.float64)
    rms_plain, rms_res = conv_output_rms(plain, x), conv_output_rms(res, x)
    # stem + 4 convs; stem + 2 blocks
    assert rms_plain.shape == (5,) and rms_res.shape == (3,)
    stem = plain.layers[0].forward(x)
    assert rms_plain[0] == pytest.approx(np.sqrt(np.mean(stem ** 2)))
    assert rms_res[0] == pytest.approx(rms_plain[0])                    # the same stem weights


def test_train_stack_reports_loss_accuracy_and_how_far_w1_moved():
    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 8, 8)).astype(np.float32)
    t = (x[:, 0, :4].mean(axis=(1, 2)) > x[:, 0, 4:].mean(axis=(1, 2))).astype(int)
    net = residual_stack(2, channels=3, input_dim=(1, 8, 8), output_size=2, seed=0,
                         weight_init_std="he")
    w1 = net.params["W1"].copy()
    r = train_stack(net, x, t, x[:32], t[:32], steps=4, batch_size=16, optimizer="Adam",
                    optimizer_param={"lr": 0.01})
    assert len(r["loss"]) == 4 and r["n_eval"] == 32 and r["stop"] is None
    assert r["acc"] == pytest.approx(net.accuracy(x[:32], t[:32]))
    assert r["moved"] == pytest.approx(np.linalg.norm(net.params["W1"] - w1) / np.linalg.norm(w1))
    assert r["moved"] > 0
    with pytest.raises(ValueError, match="need 320 training images"):
        train_stack(net, x, t, x, t, steps=20, batch_size=16, optimizer="Adam",
                    optimizer_param={"lr": 0.01})
