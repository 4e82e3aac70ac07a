"""Notebook 02's checkers accept the reference solutions and name the typical mistakes."""

import re

import numpy as np
import pytest

from lecture_utils import feedforward as ff
from lecture_utils import nn
from lecture_utils.checks import (
    check_dense_layer,
    check_parameter_count,
    check_relu,
    check_relu_derivative,
)


def relu_in_place(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize("student, message", [
    (lambda z: np.max(z, 0), r"got \(3,\): np.max\(z, 0\) takes the largest entry"),
    (lambda z: z, "returned z unchanged"),
    (np.abs, "not their absolute value"),
    (ff.relu_derivative, "you returned the derivative"),
    (relu_in_place, "^your function changed its argument `z` in place"),
    (lambda z: np.maximum(z, 0.1), r"row 0, column 0 should be 0, got 0.1"),
])
def test_relu_checker_names_the_mistake(student, message):
    verdict = check_relu(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


@pytest.mark.parametrize("student, message", [
    (ff.relu, "you returned relu"),
    (lambda z: (z <= 0).astype(float), "swapped"),
    (np.sign, "0 for negative z, not -1"),
])
def test_relu_derivative_checker_names_the_mistake(student, message):
    verdict = check_relu_derivative(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_relu_derivative_checker_accepts_either_value_at_the_kink():
    assert check_relu_derivative(lambda z: (z >= 0).astype(float)).passed is True
    assert check_relu_derivative(lambda z: z > 0).passed is True  # booleans are 0/1


@pytest.mark.parametrize("student, message", [
    (lambda X, W, b: X @ W + b, "returned the pre-activation"),
    (lambda X, W, b: np.tanh(X @ W), "bias b is missing"),
    (lambda X, W, b: np.tanh(X @ W) + b, "before the activation"),
    (lambda X, W, b: np.maximum(X @ W + b, 0), "tanh, not ReLU"),
    (lambda X, W, b: np.tanh(W.T @ X.T + b[:, None]), r"got \(2, 4\)"),
    (lambda X, W, b: np.tanh(X.T @ W + b), "raised ValueError"),
])
def test_dense_layer_checker_names_the_mistake(student, message):
    verdict = check_dense_layer(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:], strict=False))


@pytest.mark.parametrize("student, message", [
    (lambda s: sum(a * b for a, b in pairs(s)), r"expected 4417 .* got 4288: .*weights only"),
    (lambda s: sum((a + 1) * b for a, b in pairs(s)) + s[0], "input layer has no bias"),
    (lambda s: sum(a * b + a for a, b in pairs(s)), "d_out biases"),
    (lambda s: 4417, r"sizes \[3, 5, 1\] expected 26 parameters, got 4417"),
])
def test_parameter_count_checker_names_the_mistake(student, message):
    verdict = check_parameter_count(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


@pytest.mark.parametrize("sizes", [[2, 64, 64, 1], [3, 5, 1], [1, 1], [128 * 128 * 3, 128]])
def test_reference_parameter_count_agrees_with_the_engine(sizes):
    layers = [nn.Linear(a, b) for a, b in pairs(sizes)]
    assert ff.count_mlp_parameters(sizes) == nn.count_parameters(nn.Sequential(*layers))


def test_relu_derivative_checker_rejects_a_nonsense_value_at_the_kink():
    verdict = check_relu_derivative(lambda z: np.where(z == 0, 0.5, (z > 0).astype(float)))
    assert verdict.passed is False and "relu'(0) should be 0" in verdict.message


@pytest.mark.parametrize("checker, student, message", [
    (check_relu, lambda z: max(0, z), r"raised ValueError.*entry by entry"),
    (check_relu, lambda z: np.max(0, z), r"raised TypeError.*entry by entry"),
    (check_dense_layer, lambda X, W, b: np.tanh(X * W + b), r"ValueError.*X @ W is \(4, 2\)"),
    (check_dense_layer, lambda X, W, b: 1 / (1 + np.exp(-(X @ W + b))), "not the sigmoid"),
    (check_parameter_count, lambda s: "4417", "return a whole number, got the text '4417'"),
    (check_parameter_count, lambda s: None, r"got None \(does your function end with `return"),
    (check_parameter_count, lambda s: [4417], "return a whole number, got a list"),
    (check_relu, lambda z: "relu", "relu.z. should be a numpy array, got the text 'relu'"),
    (check_relu, lambda z: np.maximum(z, 0).astype(str), "real numbers, got an array of dtype <U"),
    (check_relu_derivative, lambda z: "one", "should be a numpy array, got the text 'one'"),
    (check_relu_derivative, lambda z: np.mean(z > 0), "got a single number, 0.5"),
    (check_parameter_count, lambda s: sum((a + 1) * b for a, b in pairs(s)[:-1]),
     r"the last layer \(64 -> 1, 65 parameters\) is missing"),
])
def test_checkers_add_a_hint_to_common_crashes_and_omissions(checker, student, message):
    verdict = checker(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def dense_layer_by_rows(X, W, b):
    rows = [np.tanh(x @ W + b) for x in X]
    return np.array(rows)


def dense_layer_by_units(X, W, b):
    out = np.empty((len(X), W.shape[1]))
    for j in range(W.shape[1]):
        out[:, j] = np.tanh(X @ W[:, j] + b[j])
    return out


@pytest.mark.parametrize("student, message", [
    (dense_layer_by_rows, r"^the numbers are right, but the exercise says no loops and your "
                          r"function has a list comprehension \(`rows = \[np.tanh\(x @ W \+ b\) "
                          r"for x in X\]`\): X @ W multiplies every row of the batch at once"),
    (dense_layer_by_units, r"has a for loop \(`for j in range\(W.shape\[1\]\):`\)"),
])
def test_dense_layer_checker_enforces_no_loops(student, message):
    verdict = check_dense_layer(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_dense_layer_without_readable_source_is_judged_by_its_numbers_only():
    namespace = {"np": np}
    exec("def dense_layer(X, W, b):\n    return np.array([np.tanh(x @ W + b) for x in X])",
         namespace)  # like a function whose source is gone: the rule cannot be checked
    assert check_dense_layer(namespace["dense_layer"]).passed is True


def test_parameter_count_checker_accepts_a_float_that_is_whole():
    assert check_parameter_count(lambda s: float(ff.count_mlp_parameters(s))).passed is True
