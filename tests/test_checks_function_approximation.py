"""Notebook 01's checkers name the typical mistakes, without giving the gradient away."""

import re

import numpy as np
import pytest

from lecture_utils.checks import check_gradient_step, check_polynomial_features

# code that would give the answer away
GIVEAWAYS = ("[:, None]", "increasing=True", "reshape(-1, 1)", "np.newaxis")


def powers(x, first, last):
    return np.asarray(x, dtype=float)[:, None] ** np.arange(first, last)


@pytest.mark.parametrize("student, message", [
    (lambda x, d: powers(x, 1, d + 1), r"got \(5, 3\): the bias column x\^0 = 1 is missing"),
    (lambda x, d: powers(x, 0, d), r"the last power x\^3 is missing \(range\(degree\)"),
    (lambda x, d: powers(x, 0, d + 1).T, r"expected shape \(N, D\) = \(5, 4\), got \(4, 5\)"),
    (lambda x, d: np.asarray(x)[:, None] * np.arange(d + 1), "x to the power k, not x times k"),
    (lambda x, d: powers(x, 0, d + 1) + (np.arange(d + 1) == 2),
     r"row 0, column 2 should be 1, got 2 \(5 entries differ\)"),
    (lambda x, d: powers(x, 0, d + 1).tolist(), "should be a numpy array, got a list"),
    (lambda x, d: powers(x, 0, max(d, 1) + 1), r"degree 0 .*should have shape \(5, 1\)"),
    (lambda x, d: 1 / 0, "raised ZeroDivisionError in `.*1 / 0"),
    (lambda x, d: np.vander(x, d + 1), r"reverse order .*column k should hold x\^k"),
])
def test_polynomial_features_checker_names_the_mistake(student, message):
    verdict = check_polynomial_features(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message
    assert not any(code in verdict.message for code in GIVEAWAYS), verdict.message


def powers_without_a_column(x, degree):
    return x ** np.arange(degree + 1)


def test_powers_of_a_flat_x_get_a_hint_about_columns_not_numpys_raw_error():
    verdict = check_polynomial_features(powers_without_a_column)
    assert verdict.message.startswith(
        "`powers_without_a_column` raised ValueError in `return x ** np.arange(degree + 1)`: "
        "operands could not be broadcast together with shapes (5,) (4,)")
    assert "x must be a column of shape (N, 1)" in verdict.message
    assert not any(code in verdict.message for code in GIVEAWAYS), verdict.message


def test_powers_of_a_flat_x_that_happen_to_broadcast_get_the_same_hint():
    verdict = check_polynomial_features(lambda x, d: x ** np.arange(len(x)))  # (5,) ** (5,)
    assert re.search(r"got \(5,\), one number per input: .*a column of shape \(N, 1\)",
                     verdict.message)
    assert not any(code in verdict.message for code in GIVEAWAYS), verdict.message


def step(theta, X, y, lr, sign=1.0, factor=2.0, mean=True):
    scale = factor / len(y) if mean else factor
    return theta + sign * lr * scale * X.T @ (y - X @ theta)


@pytest.mark.parametrize("student, message", [
    (lambda t, X, y, lr: step(t, X, y, lr, sign=-1), "^sign error: this step goes uphill"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=1.0), "^the step is half as long .* factor 2"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=4.0), "^the step is twice as long"),
    (lambda t, X, y, lr: step(t, X, y, lr, mean=False), r"^the step is N = 7 times too long"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=1.0, mean=False),
     r"^the step is N/2 = 3.5 times too long: both the factor 2 .* and the 1/N"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=2.0 * len(y) / X.shape[1]),
     r"you divided by D, the number of features .*len\(y\) or X.shape\[0\]"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=3.0),
     "^your step goes along the gradient but is 1.5 times as long"),
    (lambda t, X, y, lr: step(t, X, y, lr, sign=-1, factor=3.0),
     "^your step goes uphill .*1.5 times as long"),
    (lambda t, X, y, lr: -2 / len(y) * X.T @ (y - X @ t), "you returned the gradient"),
    (lambda t, X, y, lr: step(t, X, y, 1.0), "^the learning rate is missing"),
    (lambda t, X, y, lr: step(t, X, y, 1 / lr), "^you divided by the learning rate"),
    (lambda t, X, y, lr: t, "^you returned theta unchanged"),
    (lambda t, X, y, lr: t - lr * np.mean(-2 * X.T @ (y - X @ t)),
     r"^every entry of theta moved by the same amount, so your gradient is a single number"),
    (lambda t, X, y, lr: np.mean(step(t, X, y, lr)),
     r"got a single number, .*did a mean or sum run over everything"),
    (lambda t, X, y, lr: step(t, X, y, lr)[:, None], r"shape \(D,\) = \(3,\), got \(3, 1\)"),
    (lambda t, X, y, lr: step(t, X, y, lr) + np.array([1.0, 0.0, 0.0]),
     r"entry \[0\] should be .* does not point along the gradient: .* X or by X.T"),
    (lambda t, X, y, lr: t + lr * 2 / len(y) * X @ (y - X @ t),
     r"in a matrix product A @ B, A has 3 columns but B has 7 rows \(they must be equal\)\. "
     r"X or X.T\? The gradient has one entry per feature, shape \(D,\)"),
    (lambda t, X, y, lr: t + lr * 2 / len(y) * np.dot(X, y - X @ t),  # crashes in np.dot
     r"shapes \(7,3\) and \(7,\) not aligned.*\. X or X.T\? The gradient has one entry"),
])
def test_gradient_step_checker_names_the_mistake(student, message):
    verdict = check_gradient_step(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message
    assert "gufunc" not in verdict.message


def step_changing_y(theta, X, y, lr):
    y -= X @ theta  # the residual, computed in the caller's array
    return theta - lr * -2 / len(y) * X.T @ y


def step_changing_theta(theta, X, y, lr):
    theta -= lr * -2 / len(y) * X.T @ (y - X @ theta)
    return theta


@pytest.mark.parametrize("student, argument", [(step_changing_y, "y"),
                                               (step_changing_theta, "theta")])
def test_gradient_step_checker_rejects_right_numbers_from_changed_arguments(student, argument):
    verdict = check_gradient_step(student)
    assert verdict.passed is False
    assert verdict.message.startswith(f"your function changed its argument `{argument}` in "
                                      f"place (`{argument} -= ...`")


@pytest.mark.parametrize("factor", [-1.0, 1.0, 4.0])  # sign, factor 2, twice the factor 2
@pytest.mark.parametrize("mean", [True, False])
def test_gradient_step_hints_never_give_the_formula_away(factor, mean):
    verdict = check_gradient_step(lambda t, X, y, lr: step(t, X, y, lr, factor=factor, mean=mean))
    assert verdict.passed is False
    for formula in ("X.T @ (y", "X^T (y", "2/N", "-(2"):
        assert formula not in verdict.message, verdict.message


def test_the_correct_verdict_shows_the_formula():
    verdict = check_gradient_step(step)
    assert verdict.passed is True
    assert str(verdict) == ("Correct: theta - lr * gradient with the MSE gradient "
                            "-(2/N) X^T (y - X theta)")
