"""Notebook 06's checkers accept the reference solutions and name each typical mistake."""

import re

import numpy as np
import pytest

from lecture_utils import td_learning as td
from lecture_utils.checks import (
    check_discounted_returns,
    check_semi_gradient_step,
    check_td_targets,
)


def done(terminal):
    return np.asarray(terminal) > 0


@pytest.mark.parametrize("student, message", [
    (lambda V, s, r, s2, t, g: r + g * V[s2], "bootstraps from V\\(goal\\)"),
    (lambda V, s, r, s2, t, g: r + np.where(done(t), 0, V[s2]), "gamma is missing"),
    (lambda V, s, r, s2, t, g: r + V[s2], "gamma is missing, and at the goal"),
    (lambda V, s, r, s2, t, g: r + g * np.where(done(t), 0, V[s]), "the target uses V\\(s\\)"),
    (lambda V, s, r, s2, t, g: r + g * V[s], "uses V\\(s\\) instead of V\\(s'\\)"),
    (lambda V, s, r, s2, t, g: g * np.where(done(t), 0, V[s2]), "the reward .* is missing"),
    (lambda V, s, r, s2, t, g: r + g * np.where(done(t), 0, V[s2]) - V[s],
     "that is the TD error"),
    (lambda V, s, r, s2, t, g: np.where(done(t), 0, r + g * V[s2]), "the reward is dropped"),
    (lambda V, s, r, s2, t, g: r + g * t * V[s2], "the done flag is used the wrong way round"),
    (lambda V, s, r, s2, t, g: (r + g * V[s2] * (1 - t)).tolist(), "should be a numpy array"),
])
def test_td_target_checker_names_the_mistake(student, message):
    verdict = check_td_targets(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def test_td_target_checker_accepts_the_deep_rl_way_of_writing_it():
    verdict = check_td_targets(lambda V, s, r, s2, t, g: r + g * (1 - t) * V[s2])
    assert verdict.passed is True, verdict


def residual(theta, x, r, x2, end, g, lr):
    delta = r + (0 if end else g * theta @ x2) - theta @ x
    return theta + lr * delta * (x - (0 if end else g) * x2)


def semi(theta, x, r, x2, end, g, lr):
    return theta + lr * (r + (0 if end else g * theta @ x2) - theta @ x) * x


@pytest.mark.parametrize("student, message", [
    (residual, "that is the residual gradient"),
    (lambda th, x, r, x2, e, g, lr: th - (semi(th, x, r, x2, e, g, lr) - th), "sign error"),
    (lambda th, x, r, x2, e, g, lr: th + (semi(th, x, r, x2, e, g, lr) - th) / lr,
     "the learning rate is missing"),
    (lambda th, x, r, x2, e, g, lr: th + lr * (r + g * th @ x2 - th @ x) * x2,
     "moves along x\\(s'\\)"),
    (lambda th, x, r, x2, e, g, lr: semi(th, x, r, x2, e, 1.0, lr), "gamma is missing"),
    (lambda th, x, r, x2, e, g, lr: th + lr * (r - th @ x) * x, "the target is only the reward"),
    (lambda th, x, r, x2, e, g, lr: th + lr * (r + g * th @ x2 - th @ x),
     "not scaled by the features"),
    (lambda th, x, r, x2, e, g, lr: th + lr * (r + g * th @ x2 - th @ x) * x,
     "do not bootstrap from theta\\^T x\\(s'\\)"),
    (lambda th, x, r, x2, e, g, lr: semi(th, x, r, x2, e, g, lr) - th, "that is only the change"),
])
def test_semi_gradient_checker_names_the_mistake(student, message):
    verdict = check_semi_gradient_step(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message


def returns_forwards(rewards, gamma):
    """G_t = r_t + gamma G_t-1 from the start: the recursion in the wrong direction."""
    returns, following = np.zeros(len(rewards)), 0.0
    for t in range(len(rewards)):
        following = returns[t] = rewards[t] + gamma * following
    return returns


def every_step_from_the_start(rewards, gamma):
    return np.full(len(rewards), td.discounted_returns(rewards, gamma)[0])


@pytest.mark.parametrize("student, message", [
    (lambda r, g: np.cumsum(r[::-1])[::-1], "not discounted"),
    (every_step_from_the_start, "every entry is G_0"),
    (lambda r, g: np.cumsum(r * g ** np.arange(len(r))), "sums the rewards up to t"),
    (lambda r, g: np.array([r[t:] @ (g ** np.arange(len(r) - t))[::-1] for t in range(len(r))]),
     "the discount runs the wrong way"),
    (lambda r, g: g * td.discounted_returns(r, g), "the first too"),
    (lambda r, g: np.append(td.discounted_returns(r, g)[1:], 0.0), "off by one step"),
    (lambda r, g: td.discounted_returns(r, g)[::-1], "reverse order"),
    (lambda r, g: float(td.discounted_returns(r, g)[0]), "not a single number"),
    (lambda r, g: None, "return the array of the 4 returns.*got None"),
    (returns_forwards, "that loop runs forwards"),
])
def test_monte_carlo_return_checker_names_the_mistake(student, message):
    verdict = check_discounted_returns(student)
    assert verdict.passed is False
    assert re.search(message, verdict.message), verdict.message
