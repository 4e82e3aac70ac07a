"""Specification of lecture_utils.gradcheck: finite differences, and a checker that can fail."""

import numpy as np
import pytest

from lecture_utils import nn
from lecture_utils.gradcheck import check_module_gradients, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function_and_x_restored():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_relative_error_is_zero_for_equal_and_scale_free():
    a = np.array([1.0, 2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    b = a + [0.0, 0.0, 0.3]
    assert relative_error(a, b) == pytest.approx(0.3 / 3.3)  # largest difference / largest entry
    assert relative_error(1e-9 * a, 1e-9 * b) == pytest.approx(0.3 / 3.3)


class LinearForgettingTranspose(nn.Linear):
    """A broken Linear: dL/dx uses W instead of W^T scaled wrongly (a typical student slip)."""

    def backward(self, grad_out):
        super().backward(grad_out)
        return 1.1 * grad_out @ self.weight.data.T


class LinearWrongWeightGradient(nn.Linear):
    """A broken Linear: dL/dW misses a factor in one entry."""

    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        self.weight.grad[1, 0] *= 1.03
        return grad_x


def test_a_correct_layer_passes():
    x = np.random.default_rng(0).standard_normal((4, 3))
    report = check_module_gradients(nn.Linear(3, 2, rng=0), x, rng=0)
    assert report.ok and not report.failures
    assert [name for name, _ in report.errors] == ["input", "Linear weight", "Linear bias"]
    assert report.worst.error < 1e-6


def test_checker_catches_a_wrong_input_gradient():
    x = np.random.default_rng(0).standard_normal((4, 3))
    report = check_module_gradients(LinearForgettingTranspose(3, 2, rng=0), x, rng=0)
    assert not report.ok
    assert [c.name for c in report.failures] == ["input"]
    assert abs(report.worst.error - 0.1 / 1.1) < 1e-6


def test_checker_names_the_wrong_parameter_and_index():
    x = np.random.default_rng(0).standard_normal((4, 3))
    model = nn.Sequential(nn.Linear(3, 3, rng=1), nn.Tanh(), LinearWrongWeightGradient(3, 2, rng=0))
    report = check_module_gradients(model, x, rng=0)
    assert not report.ok
    assert report.worst.name == "layer 2: LinearWrongWeightGradient weight"
    assert report.worst.index == (1, 0)
    assert "max relative error" in str(report) and "at index (1, 0)" in str(report)
    assert "WRONG" in repr(report)


class LinearForgettingReturn(nn.Linear):
    def backward(self, grad_out):
        super().backward(grad_out)


def test_checker_explains_a_backward_that_returns_nothing():
    with pytest.raises(ValueError, match=r"returned None, expected dL/dx of the input's shape"):
        check_module_gradients(LinearForgettingReturn(3, 2), np.ones((4, 3)))
