"""Optimizers: each one minimises a simple quadratic, and follows its update rule."""
import numpy as np
import pytest

from course_lib.optimizers import OPTIMIZERS, SGD, Adam, Momentum, get_optimizer

SETTINGS = {"sgd": {"lr": 0.1}, "momentum": {"lr": 0.05}, "nesterov": {"lr": 0.05}, "adagrad": {"lr": 0.5},
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


def test_adam_first_step_is_lr_times_sign():
    params = {"W": np.array([0.0, 0.0])}
    Adam(lr=0.01).update(params, {"W": np.array([3.0, -0.2])})
    np.testing.assert_allclose(params["W"], [-0.01, 0.01], rtol=1e-4)


def test_unknown_optimizer_and_bad_lr():
    with pytest.raises(ValueError, match="choose one of"):
        get_optimizer("adamw")
    with pytest.raises(ValueError, match="positive"):
        SGD(lr=0)
