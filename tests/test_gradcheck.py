"""The gradient checker itself: it accepts right gradients and catches wrong ones."""
import numpy as np
import pytest

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
