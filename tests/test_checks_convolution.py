"""Notebook 04's checkers accept the reference solutions and name each typical mistake."""

import re

import numpy as np
import pytest

from lecture_utils import convolution as cv
from lecture_utils.checks import check_conv_parameter_count, check_correlate2d, check_output_size


def loops(x, W, flip_rows=False, flip_cols=False, transpose=False):
    """A student's double loop over output positions, with optional mistakes."""
    W = W.T if transpose else W
    W = W[::-1] if flip_rows else W
    W = W[:, ::-1] if flip_cols else W
    k = W.shape[0]
    rows, cols = x.shape[0] - k + 1, x.shape[1] - k + 1
    return np.array([[np.sum(W * x[i:i + k, j:j + k]) for j in range(cols)] for i in range(rows)])


def slide_indices(x, W):
    """The slide's x_(i+a-1, j+b-1) typed into numpy with i, j, a, b counted from 0."""
    k = W.shape[0]
    rows, cols = x.shape[0] - k + 1, x.shape[1] - k + 1
    return np.array([[sum(W[a, b] * x[i + a - 1, j + b - 1] for a in range(k) for b in range(k))
                      for j in range(cols)] for i in range(rows)])


@pytest.mark.parametrize("student, message", [
    (lambda x, W: loops(x, W, True, True), "true convolution"),
    (cv.true_convolution2d, "the kernel is flipped"),
    (lambda x, W: loops(x, W, flip_rows=True), "rows are in reverse order"),
    (lambda x, W: loops(x, W, flip_cols=True), "columns are in reverse order"),
    (lambda x, W: loops(x, W, transpose=True), "the kernel is transposed"),
    (lambda x, W: cv.correlate2d(x, W, padding=1), "needs padding 1"),
    (lambda x, W: loops(x, W)[:-1, :-1], "n - k \\+ 1 times"),
    (lambda x, W: loops(x, np.ones_like(W)), "without the kernel's weights"),
    (lambda x, W: loops(x, W) + 1, r"row 0, column 0 should be"),
    (lambda x, W: loops(x, W)[0], r"should have shape \(3, 4\)"),
    (lambda x, W: x[:3, :4] @ W, r"raised ValueError.*3 x 4"),
    (lambda x, W: -loops(x, W), "the wrong sign"),
    (lambda x, W: loops(x, W).T, "rows and columns are swapped"),
    (lambda x, W: slide_indices(x, W), "the slide counts from 1, numpy from 0"),
    (lambda x, W: None, "got None"),
])
def test_correlation_checker_names_the_mistake(student, message):
    verdict = check_correlate2d(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_correlation_checker_accepts_loops_and_the_library():
    assert check_correlate2d(loops).passed is True
    assert check_correlate2d(cv.correlate2d).passed is True


@pytest.mark.parametrize("student, message", [
    (lambda n, k, p, s: (n + 2 * p - k) // s, "the \\+1 is missing"),
    (lambda n, k, p, s: (n + p - k) // s + 1, "both sides: 2p"),
    (lambda n, k, p, s: (n - k) // s + 1, "the padding is missing"),
    (lambda n, k, p, s: n + 2 * p - k + 1, "the stride is missing"),
    (lambda n, k, p, s: -((n + 2 * p - k) // -s) + 1, "that rounds up"),
    (lambda n, k, p, s: (n + 2 * p - k) / s + 1, "must be a whole number.*round down"),
    (lambda n, k, p, s: (n - 2 * p - k) // s + 1, "larger, not smaller"),
    (lambda n, k, p, s: n, "count how many positions"),
    (lambda n, k, p, s: [5], "one whole number"),
    (lambda n, k, p, s: (n + 2 * p - k) // s - 1, "-1 where it should be \\+1"),
    (lambda n, k, p, s: (n + 2 * p + k) // s + 1, "subtracted, not added"),
    (lambda n, k, p, s: None, "got None"),
])
def test_output_size_checker_names_the_mistake(student, message):
    verdict = check_output_size(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_output_size_checker_accepts_a_float_that_is_whole():
    assert check_output_size(lambda n, k, p, s: float((n + 2 * p - k) // s + 1)).passed is True


@pytest.mark.parametrize("student, message", [
    (lambda C, F, k: F * C * k * k, "the biases are missing"),
    (lambda C, F, k: F * (k * k + 1), "the input channels are missing"),
    (lambda C, F, k: F * C * (k * k + 1), "one bias per filter, not one per filter and input"),
    (lambda C, F, k: F * (C * k + 1), "k x k weights, not k"),
    (lambda C, F, k: C * (F * k * k + 1), "swapped"),
    (lambda C, F, k: F * C * k * k + 1, "its own bias"),
    (lambda C, F, k: 128 * 128 * C * F + F, "count one filter"),
    (lambda C, F, k: "1216", "one whole number"),
    (lambda C, F, k: None, "got None"),
])
def test_parameter_count_checker_names_the_mistake(student, message):
    verdict = check_conv_parameter_count(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message
