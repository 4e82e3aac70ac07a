"""Notebook 05's checkers accept the reference solutions and name each typical mistake."""

import re

import numpy as np
import pytest

from lecture_utils.checks import check_bptt_two_steps, check_rnn_parameter_count, check_rnn_step


@pytest.mark.parametrize("student, message", [
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + h @ Wh.T + b), "W_hh is transposed"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + h @ Wh), "the bias b is missing"),
    (lambda x, h, Wi, Wh, b: x @ Wi + h @ Wh + b, "the tanh is missing"),
    (lambda x, h, Wi, Wh, b: x @ Wi + h @ Wh, "both the tanh and the bias are missing"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + b), "the old hidden state h is not used"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + h + b), "without its weight matrix W_hh"),
    (lambda x, h, Wi, Wh, b: np.maximum(x @ Wi + h @ Wh + b, 0), "that is a ReLU"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi) + np.tanh(h @ Wh) + b, "on the whole sum"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi - h @ Wh + b), "h W_hh enters with a minus sign"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + h @ Wh - b), "the bias enters with a minus sign"),
    (lambda x, h, Wi, Wh, b: -np.tanh(x @ Wi + h @ Wh + b), "the whole state has the wrong sign"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wh + h @ Wi + b), r"raised ValueError.*shapes are x"),
    (lambda x, h, Wi, Wh, b: np.tanh(x @ Wi + h @ Wh + b)[0], r"should have shape \(2, 4\)"),
])
def test_rnn_step_checker_names_the_mistake(student, message):
    verdict = check_rnn_step(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


@pytest.mark.parametrize("student, message", [
    (lambda d, h, t: (d * h + h * h + h) * t, "once per time step"),
    (lambda d, h, t: (d * h + h) * t + h * h, "shared over time too"),
    (lambda d, h, t: d * h + h * h, "the bias b is missing"),
    (lambda d, h, t: d * h + h, "W_hh .* is missing"),
    (lambda d, h, t: h * h + h, "W_ih .* is missing"),
    (lambda d, h, t: d * h + d * d + h, "H x H, not D x D"),
    (lambda d, h, t: d * h + h * h + d, "one entry per hidden unit"),
    (lambda d, h, t: d * h + h * h + 2 * h, "one bias b of H entries; you counted H more"),
    (lambda d, h, t: (d + 1) * h + h * h + h, "one bias b of H entries; you counted H more"),
    (lambda d, h, t: d + h + t, "count each matrix"),
    (lambda d, h, t: [d * h + h * h + h], "return one whole number"),
])
def test_parameter_count_checker_names_the_mistake(student, message):
    verdict = check_rnn_parameter_count(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def tanh_parts(x1, x2, h0, w, u):
    h1 = np.tanh(w * h0 + u * x1)
    h2 = np.tanh(w * h1 + u * x2)
    return h1, h2, 1 - h1 ** 2, 1 - h2 ** 2


def with_parts(formula):
    def student(x1, x2, h0, w, u):
        h1, h2, d1, d2 = tanh_parts(x1, x2, h0, w, u)
        return formula(h0, w, h1, d1, d2)
    return student


@pytest.mark.parametrize("formula, message", [
    (lambda h0, w, h1, d1, d2: d2 * h1, "only the last step's direct part"),
    (lambda h0, w, h1, d1, d2: d2 * (h1 + d1 * h0), "dh_2/dh_1, which contains w"),
    (lambda h0, w, h1, d1, d2: d2 * (h1 + w * h0), "derivative of step 1"),
    (lambda h0, w, h1, d1, d2: h1 + w * d1 * h0, "derivative of step 2"),
    (lambda h0, w, h1, d1, d2: h1 + w * h0, "both tanh derivatives are missing"),
    (lambda h0, w, h1, d1, d2: d2 * w * d1 * h0, "direct part of step 2"),
    (lambda h0, w, h1, d1, d2: -d2 * (h1 + w * d1 * h0), "the sign is wrong"),
    (lambda h0, w, h1, d1, d2: d2 * (h1 + w * d1 * h0) + 0.1, "apply the chain rule to both"),
    (lambda h0, w, h1, d1, d2: np.array([d2 * (h1 + w * d1 * h0)]), "return one number"),
])
def test_bptt_checker_names_the_mistake(formula, message):
    verdict = check_bptt_two_steps(with_parts(formula))
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_bptt_checker_accepts_a_zero_dimensional_array_and_matches_finite_differences():
    from lecture_utils.recurrent import bptt_two_steps
    right = with_parts(lambda h0, w, h1, d1, d2: np.array(d2 * (h1 + w * d1 * h0)))
    assert check_bptt_two_steps(right).passed is True
    args, eps = (0.7, -0.4, 0.5, 0.8, 1.3), 1e-6
    x1, x2, h0, w, u = args

    def loss(w_):
        return np.tanh(w_ * np.tanh(w_ * h0 + u * x1) + u * x2)
    numerical = (loss(w + eps) - loss(w - eps)) / (2 * eps)
    assert bptt_two_steps(*args) == pytest.approx(numerical, rel=1e-8)


def test_bptt_checker_names_the_gradient_of_the_wrong_weight():
    def gradient_of_u(x1, x2, h0, w, u):
        h1, h2, d1, d2 = tanh_parts(x1, x2, h0, w, u)
        return d2 * (x2 + w * d1 * x1)
    verdict = check_bptt_two_steps(gradient_of_u)
    assert verdict.passed is False and "that is dL/du" in verdict.message
