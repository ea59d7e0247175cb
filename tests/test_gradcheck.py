"""The gradient checker itself: it accepts right gradients and catches wrong ones."""
import numpy as np
import pytest

from course_lib import layers as L
from course_lib.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from course_lib.layers import Relu


class BrokenRelu(Relu):
    """A ReLU whose backward forgets the mask: a classic mistake."""

    def backward(self, dout):
        return dout


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])   # restored


def test_check_catches_a_wrong_backward():
    x = np.random.default_rng(0).standard_normal((4, 6))
    assert check_layer_gradients(Relu(), x)["x"] < 1e-8
    assert check_layer_gradients(BrokenRelu(), x)["x"] > 0.1


def test_float32_is_refused_with_an_explanation():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 2.1)
    assert rel_error(np.zeros(2), np.full(2, 1e-12)) < 1e-3       # both ~0: not a failure
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))


class ForgetfulRelu(Relu):
    """A ReLU whose backward computes dx and forgets to return it."""

    def backward(self, dout):
        dout * self.mask


class ConvolutionWithWrongDW(L.Convolution):
    """dx right, dW off by a factor of two."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = 2 * self.dW
        return dx


def test_a_backward_that_returns_none_fails_the_check(capsys):
    x = np.random.default_rng(0).standard_normal((4, 6))
    errors = check_layer_gradients(ForgetfulRelu(), x, verbose=True)
    assert errors["x"] == float("inf") and not max(errors.values()) < 1e-6
    assert "backward returned None" in capsys.readouterr().out


def test_the_parameters_of_sublayers_are_checked():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((2, 2, 3, 3)) * 0.3
    x = rng.standard_normal((2, 2, 5, 5))
    good = L.ResidualBlock([L.Convolution(W, np.zeros(2), 1, 1), L.Relu(),
                            L.Convolution(W.copy(), np.zeros(2), 1, 1)])
    errors = check_layer_gradients(good, x)
    assert set(errors) == {"x", "0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-6, errors
    bad = L.ResidualBlock([L.Convolution(W, np.zeros(2), 1, 1), L.Relu(),
                           ConvolutionWithWrongDW(W.copy(), np.zeros(2), 1, 1)])
    errors = check_layer_gradients(bad, x)
    assert errors["x"] < 1e-6 and errors["0.W"] < 1e-6     # dx is right: only the wrong dW shows
    assert errors["2.W"] > 0.1


def test_sublayer_buffers_are_left_alone():
    bn = L.BatchNormalization(np.ones(2), np.zeros(2))
    block = L.ResidualBlock([bn, L.Relu()])
    check_layer_gradients(block, np.random.default_rng(2).standard_normal((3, 2, 4, 4)) + 5)
    np.testing.assert_array_equal(bn.running_mean, 0)
    np.testing.assert_array_equal(bn.running_var, 1)
