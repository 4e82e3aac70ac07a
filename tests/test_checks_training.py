"""Notebook 03's checkers accept the reference solutions and name each typical mistake."""

import re

import numpy as np
import pytest

from lecture_utils.checks import check_linear_backward, check_minibatches, check_momentum_step


def changes_in_place(x, W, grad_out):
    W -= 0.1  # then returns the right gradients for the changed W
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0)


@pytest.mark.parametrize("student, message", [
    (lambda x, W, g: (g @ W.T, g.T @ x, g.sum(axis=0)), r"dW is transposed: .*\(in, out\)"),
    (lambda x, W, g: (g @ W.T, x.T @ g, g), "db has one row per example: sum grad_out over the"),
    (lambda x, W, g: (g @ W.T, x.T @ g, g.mean(axis=0)), "db is the mean over the batch"),
    (lambda x, W, g: (g @ W.T, x.T @ g, g.sum(axis=1)), "db sums over the wrong axis"),
    (lambda x, W, g: (g @ W.T, -(x.T @ g), g.sum(axis=0)), "dW has the wrong sign"),
    (lambda x, W, g: (-(g @ W.T), x.T @ g, g.sum(axis=0)), "dx has the wrong sign"),
    (lambda x, W, g: (g @ W.T, x.T @ g / len(x), g.sum(axis=0)), "dW is divided by the batch"),
    (lambda x, W, g: (g @ W, x.T @ g, g.sum(axis=0)),
     r"raised ValueError.*dx must come out \(4, 3\) like x"),
    (lambda x, W, g: (W @ g.T, x.T @ g, g.sum(axis=0)), "dx is transposed"),
    (lambda x, W, g: (g @ W.T, x.T @ g), r"should return a tuple \(dx, dW, db\), got a tuple of 2"),
    (lambda x, W, g: [g @ W.T, x.T @ g, g.sum(axis=0)], r"should return a tuple .*got a list"),
    (lambda x, W, g: (g @ W.T, (x.T @ g).tolist(), g.sum(axis=0)),
     "dW should be a numpy array"),
    (lambda x, W, g: None, r"should return a tuple \(dx, dW, db\), got None \(does your"),
    (changes_in_place, "changed its argument `W` in place"),
])
def test_linear_backward_checker_names_which_gradient_is_wrong_and_how(student, message):
    verdict = check_linear_backward(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def momentum_in_place(theta, velocity, gradient, lr, beta):
    velocity *= beta
    velocity += gradient
    theta -= lr * velocity
    return theta, velocity


@pytest.mark.parametrize("student, message", [
    (lambda t, v, g, lr, b: (t - lr * g, v), "the velocity did not change"),
    (lambda t, v, g, lr, b: (t - lr * g, g), "the new velocity is just the gradient"),
    (lambda t, v, g, lr, b: (t - lr * v, b * v + g), "uses the old velocity"),
    (lambda t, v, g, lr, b: (t + lr * (b * v + g), b * v + g), "sign error"),
    (lambda t, v, g, lr, b: (t - (b * v + g), b * v + g), "the learning rate is missing"),
    (lambda t, v, g, lr, b: (t - (b * v + lr * g), b * v + lr * g), "scaled the gradient by lr"),
    (lambda t, v, g, lr, b: (t - lr * (b * v + (1 - b) * g), b * v + (1 - b) * g),
     "that is an average"),
    (lambda t, v, g, lr, b: t - lr * g, r"should return a tuple \(theta, velocity\)"),
    (momentum_in_place, "changed its argument `theta` in place"),
    (lambda t, v, g, lr, b: (t + lr * (b * v - g), b * v - g),  # the v <- beta v - g convention
     "enters the velocity with a minus sign"),
    (lambda t, v, g, lr, b: (t - lr * (v + b * g), v + b * g), "beta multiplies the gradient"),
    (lambda t, v, g, lr, b: (b * v + g, t - lr * (b * v + g)), "the two results are swapped"),
    (lambda t, v, g, lr, b: (t - lr * (g + b * (b * v + g)), b * v + g), "Nesterov"),
])
def test_momentum_checker_names_the_mistake(student, message):
    verdict = check_momentum_step(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def in_order(n, size, rng):
    return [np.arange(start, min(start + size, n)) for start in range(0, n, size)]


@pytest.mark.parametrize("student, message", [
    (lambda n, size, rng: [rng.integers(0, n, size) for _ in range(0, n, size)],
     "drawn .* times in one epoch: the batches were drawn with replacement"),
    (lambda n, size, rng: [rng.choice(n, size, replace=False) for _ in range(0, n, size)],
     "or each batch on its own, so they overlap"),
    (in_order, "in order 0, 1, 2"),
    (lambda n, size, rng: [p[s:s + size] for p in [rng.permutation(n)]
                           for s in range(0, n - size + 1, size)],
     "never drawn in the epoch .*last, smaller batch was dropped"),
    (lambda n, size, rng: [p[s:s + size] for p in [np.random.permutation(n)]  # noqa: NPY002
                           for s in range(0, n, size)], "the same seed gave a different order"),
    (lambda n, size, rng: [p[s:s + size] for p in [np.random.default_rng(0).permutation(n)]
                           for s in range(0, n, size)], "two epochs from one generator"),
    (lambda n, size, rng: rng.permutation(n), "a list of index arrays"),
    (lambda n, size, rng: [p[s:s + 2] for p in [rng.permutation(n)] for s in range(0, n, 2)],
     r"batch sizes should be \[4, 4, 2\]"),
    (lambda n, size, rng: [rng.permutation(n) / 1.0], "integer indices"),
    (lambda n, size, rng: 7, "return a list of index arrays, one per batch, got a single number"),
    (lambda n, size, rng: None, "got None"),
    (lambda n, size, rng: (p[s:s + size] for p in [rng.permutation(n)] for s in range(0, n, size)),
     r"got a generator: wrap it in list\(...\)"),
])
def test_minibatch_checker_names_the_mistake(student, message):
    verdict = check_minibatches(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message
