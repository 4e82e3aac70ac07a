"""Checkers accept the reference solutions and name the typical mistakes."""

import re

import numpy as np
import pytest

from lecture_utils.checks import (
    REFERENCE_SOLUTIONS,
    Verdict,
    check_gradient_step,
    check_polynomial_features,
)


def not_done(*args):
    raise NotImplementedError("Student exercise: fill me in")


@pytest.mark.parametrize("checker", list(REFERENCE_SOLUTIONS), ids=lambda c: c.__name__)
def test_checkers_accept_the_reference_solution(checker):
    verdict = checker(REFERENCE_SOLUTIONS[checker])
    assert verdict.passed is True, verdict.message
    assert repr(verdict).startswith("✅ Correct")


@pytest.mark.parametrize("checker", list(REFERENCE_SOLUTIONS), ids=lambda c: c.__name__)
def test_an_open_exercise_is_not_done_yet_rather_than_an_error(checker):
    verdict = checker(not_done)
    assert verdict.passed is None and "NotImplementedError" in verdict.message
    assert repr(verdict).startswith("⏳ Not done yet")


def powers(x, first, last):
    return np.asarray(x, dtype=float)[:, None] ** np.arange(first, last)


@pytest.mark.parametrize("student, message", [
    (lambda x, d: powers(x, 1, d + 1), r"got \(5, 3\): the bias column x\^0 = 1 is missing"),
    (lambda x, d: powers(x, 0, d), r"the last power x\^3 is missing \(range\(degree\)"),
    (lambda x, d: powers(x, 0, d + 1).T, r"expected shape \(N, D\) = \(5, 4\), got \(4, 5\)"),
    (lambda x, d: np.asarray(x)[:, None] * np.arange(d + 1), "x to the power k, not x times k"),
    (lambda x, d: powers(x, 0, d + 1) + (np.arange(d + 1) == 2),
     r"row 0, column 2 should be 1, got 2 \(5 entries differ\)"),
    (lambda x, d: powers(x, 0, d + 1).tolist(), "should be a numpy array, got list"),
    (lambda x, d: powers(x, 0, max(d, 1) + 1), r"degree 0 .*should have shape \(5, 1\)"),
    (lambda x, d: 1 / 0, "raised ZeroDivisionError"),
    (lambda x, d: np.vander(x, d + 1),
     r"reverse order .*np.vander\(x, degree \+ 1, increasing=True\)"),
])
def test_polynomial_features_checker_names_the_mistake(student, message):
    verdict = check_polynomial_features(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def step(theta, X, y, lr, sign=1.0, factor=2.0, mean=True):
    scale = factor / len(y) if mean else factor
    return theta + sign * lr * scale * X.T @ (y - X @ theta)


@pytest.mark.parametrize("student, message", [
    (lambda t, X, y, lr: step(t, X, y, lr, sign=-1), "sign error"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=1.0), "forgot the factor 2"),
    (lambda t, X, y, lr: step(t, X, y, lr, mean=False), "forgot to divide by N"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=1.0, mean=False), "both the 2 and the 1/N"),
    (lambda t, X, y, lr: -2 / len(y) * X.T @ (y - X @ t), "you returned the gradient"),
    (lambda t, X, y, lr: step(t, X, y, 1.0), "learning rate is missing"),
    (lambda t, X, y, lr: step(t, X, y, lr)[:, None], r"shape \(D,\) = \(3,\), got \(3, 1\)"),
    (lambda t, X, y, lr: step(t, X, y, lr) + 1.0, r"entry \[0\] should be"),
    (lambda t, X, y, lr: step(t, X, y, lr, factor=2.0 * len(y) / X.shape[1]),
     r"you divided by D, the number of features .*len\(y\) or X.shape\[0\]"),
    (lambda t, X, y, lr: t + lr * 2 / len(y) * X @ (y - X @ t),
     r"^the gradient has one entry per feature: X.T @ \(y - X theta\), shape \(D,\)"),
    (lambda t, X, y, lr: t + lr * 2 / len(y) * np.dot(X, y - X @ t),  # crashes in np.dot
     r"^the gradient has one entry per feature: X.T @ \(y - X theta\), shape \(D,\)"),
])
def test_gradient_step_checker_names_the_mistake(student, message):
    verdict = check_gradient_step(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def step_in_place(theta, X, y, lr):
    theta -= lr * -2 / len(y) * X.T @ (y - X @ theta)  # right numbers, but the caller's array
    return theta


def test_gradient_step_checker_asks_for_a_new_array_not_theta_changed_in_place():
    verdict = check_gradient_step(step_in_place)
    assert verdict.passed is False
    assert re.search(r"changed theta in place .*return a new array", verdict.message)


def test_gradient_step_checker_text_has_no_shouting():
    sign_error = check_gradient_step(lambda t, X, y, lr: step(t, X, y, lr, sign=-1))
    assert "gradient descent subtracts lr * gradient" in sign_error.message


def test_a_verdict_prints_as_one_line():
    assert str(Verdict(False, "row 1 is wrong")) == "❌ Not yet right: row 1 is wrong"
