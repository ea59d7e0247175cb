"""Optimizers: each one minimises a simple quadratic, and follows its update rule step by step
(reference steps computed by hand in the comments)."""
import numpy as np
import pytest

from course_lib.optimizers import (OPTIMIZERS, SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop,
                                   get_optimizer)

SETTINGS = {"sgd": {"lr": 0.1}, "momentum": {"lr": 0.05}, "nesterov": {"lr": 0.05},
            "adagrad": {"lr": 0.5},
            "rmsprop": {"lr": 0.05}, "adam": {"lr": 0.1}}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_minimises_an_elongated_bowl(name):
    # f(x, y) = x^2 / 20 + y^2, the book's example of an anisotropic function
    params = {"x": np.array([-7.0]), "y": np.array([2.0])}
    opt = get_optimizer(name, **SETTINGS[name])
    for _ in range(300):
        grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
        opt.update(params, grads)
    assert abs(params["x"][0]) < 1.0 and abs(params["y"][0]) < 0.1, (name, params)


def test_sgd_rule_and_in_place_update():
    W = np.array([1.0, 2.0])
    params = {"W": W}
    SGD(lr=0.5).update(params, {"W": np.array([2.0, -2.0])})
    np.testing.assert_allclose(W, [0.0, 3.0])


def test_momentum_accumulates_velocity():
    params = {"W": np.zeros(1)}
    opt = Momentum(lr=1.0, momentum=0.5)
    for _ in range(2):
        opt.update(params, {"W": np.ones(1)})
    np.testing.assert_allclose(params["W"], [-(1 + 1.5)])


def _steps(opt, start, grad, count):
    """The parameter after each of ``count`` updates with the same gradient, updated in place."""
    W = np.array(start, dtype=np.float64)
    params, out = {"W": W}, []
    for _ in range(count):
        opt.update(params, {"W": np.array(grad, dtype=np.float64)})
        assert params["W"] is W
        out.append(W.copy())
    return out


def test_nesterov_follows_its_rule_not_momentums():
    # v <- m v - lr g;  W <- W + m v - lr g, with lr = 1, m = 0.5, g = 1, from W = 0:
    # step 1: v = -1,   W = 0 - 0.5 - 1 = -1.5
    # step 2: v = -1.5, W = -1.5 - 0.75 - 1 = -3.25   (Momentum: -1, then -2.5)
    steps = _steps(Nesterov(lr=1.0, momentum=0.5), [0.0], [1.0], 2)
    np.testing.assert_allclose(np.ravel(steps), [-1.5, -3.25])
    momentum = _steps(Momentum(lr=1.0, momentum=0.5), [0.0], [1.0], 2)
    np.testing.assert_allclose(np.ravel(momentum), [-1.0, -2.5])


def test_adagrad_divides_by_the_root_of_all_squared_gradients_so_far():
    # h <- h + g^2;  W <- W - lr g / sqrt(h), lr = 0.1, g = (2, -1), from W = (1, 1):
    # step 1: h = (4, 1), the steps are 0.1 * (2/2, -1/1) = (0.1, -0.1)
    # step 2: h = (8, 2), the steps are 0.1 * (2/sqrt(8), -1/sqrt(2)) = (0.1/sqrt(2), -0.1/sqrt(2))
    steps = _steps(AdaGrad(lr=0.1), [1.0, 1.0], [2.0, -1.0], 2)
    np.testing.assert_allclose(steps[0], [0.9, 1.1], rtol=1e-6)
    np.testing.assert_allclose(steps[1], [0.9 - 0.1 / np.sqrt(2), 1.1 + 0.1 / np.sqrt(2)],
                               rtol=1e-6)


def test_rmsprop_forgets_old_gradients_at_the_decay_rate():
    # h <- d h + (1 - d) g^2;  W <- W - lr g / sqrt(h), lr = 0.1, d = 0.9, g = 2, from W = 1:
    # step 1: h = 0.1 * 4 = 0.4;           W = 1 - 0.2 / sqrt(0.4)
    # step 2: h = 0.9 * 0.4 + 0.4 = 0.76;  W = 1 - 0.2 / sqrt(0.4) - 0.2 / sqrt(0.76)
    # (AdaGrad would divide by sqrt(4), then sqrt(8))
    steps = _steps(RMSprop(lr=0.1, decay_rate=0.9), [1.0], [2.0], 2)
    np.testing.assert_allclose(np.ravel(steps), [1 - 0.2 / np.sqrt(0.4),
                                                 1 - 0.2 / np.sqrt(0.4) - 0.2 / np.sqrt(0.76)],
                                                 rtol=1e-6)


def test_adam_first_step_is_lr_times_sign():
    params = {"W": np.array([0.0, 0.0])}
    Adam(lr=0.01).update(params, {"W": np.array([3.0, -0.2])})
    np.testing.assert_allclose(params["W"], [-0.01, 0.01], rtol=1e-4)


def test_unknown_optimizer_and_bad_lr():
    with pytest.raises(ValueError, match="choose one of"):
        get_optimizer("adamw")
    with pytest.raises(ValueError, match="positive"):
        SGD(lr=0)
