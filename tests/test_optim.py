"""Specification of lecture_utils.optim: the update rules, hand-computed, and batch schedules."""

import numpy as np
import pytest

from lecture_utils import nn
from lecture_utils.optim import SGD, Adam, batch_indices, batch_size_for


def run(optimizer, param, gradients):
    """Apply optimizer.step() once per given gradient; return the parameter after each step."""
    values = []
    for g in gradients:
        optimizer.zero_grad()
        param.grad += g
        optimizer.step()
        values.append(param.data.copy())
    return values


def test_sgd_first_steps_match_hand_computation():
    theta = nn.Parameter([1.0, -2.0])
    values = run(SGD([theta], lr=0.1), theta, [np.array([0.5, 1.0]), np.array([-1.0, 0.0])])
    np.testing.assert_allclose(values[0], [1.0 - 0.05, -2.0 - 0.1], rtol=1e-15)
    np.testing.assert_allclose(values[1], [0.95 + 0.1, -2.1], rtol=1e-15)


def test_sgd_momentum_first_steps_match_pytorch_convention():
    # v1 = g1 = 1, theta = 1 - 0.1 = 0.9; v2 = 0.9 * 1 + 2 = 2.9, theta = 0.9 - 0.29 = 0.61;
    # v3 = 0.9 * 2.9 - 1 = 1.61, theta = 0.61 - 0.161 = 0.449
    theta = nn.Parameter([1.0])
    values = run(SGD([theta], lr=0.1, momentum=0.9), theta, [[1.0], [2.0], [-1.0]])
    np.testing.assert_allclose(np.ravel(values), [0.9, 0.61, 0.449], rtol=1e-14)


def test_adam_first_steps_match_paper():
    # Kingma & Ba (2015), Algorithm 1, with g1 = 1, g2 = -0.5 and default betas:
    # t=1: m = 0.1, v = 0.001, m_hat = 1, v_hat = 1 -> step lr * 1 / (1 + eps)
    # t=2: m = 0.09 - 0.05 = 0.04, v = 0.000999 + 0.00025 = 0.001249,
    #      m_hat = 0.04 / 0.19, v_hat = 0.001249 / 0.001999
    lr, eps = 0.01, 1e-8
    theta = nn.Parameter([0.0])
    values = run(Adam([theta], lr=lr), theta, [[1.0], [-0.5]])
    first = -lr * 1 / (1 + eps)
    second = first - lr * (0.04 / 0.19) / (np.sqrt(0.001249 / 0.001999) + eps)
    np.testing.assert_allclose(np.ravel(values), [first, second], rtol=1e-12)


def test_adam_first_step_is_lr_times_gradient_sign():
    theta = nn.Parameter([1.0, 1.0, 1.0])
    run(Adam([theta], lr=0.1), theta, [np.array([3.0, -1e-3, 50.0])])
    np.testing.assert_allclose(theta.data, [0.9, 1.1, 0.9], rtol=1e-6)


def test_zero_grad_clears_all_gradients():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    for p in model.parameters():
        p.grad += 1.0
    SGD(model.parameters(), lr=0.1).zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0), lambda p: SGD(p, lr=-0.1),
                                  lambda p: Adam(p, lr=0.0)])
def test_non_positive_learning_rate_is_rejected(make):
    with pytest.raises(ValueError, match=r"lr must be > 0, got -?0"):
        make([nn.Parameter([1.0])])


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
def test_momentum_outside_unit_interval_is_rejected(momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        SGD([nn.Parameter([1.0])], lr=0.1, momentum=momentum)


def test_optimizer_needs_parameters():
    with pytest.raises(ValueError, match=r"model.parameters\(\)"):
        SGD(nn.Linear(2, 1), lr=0.1)


def test_batch_sizes_of_the_three_methods():
    assert batch_size_for("gd", 200) == 200
    assert batch_size_for("sgd", 200) == 1
    assert batch_size_for("minibatch", 200, 16) == 16
    assert batch_size_for("minibatch", 20) == 20  # default min(32, N)
    with pytest.raises(ValueError, match="'gd', 'sgd' or 'minibatch'"):
        batch_size_for("adam", 200)


@pytest.mark.parametrize("batch_size", [0, -3, 201, 2.5])
def test_batch_size_outside_1_to_n_is_rejected(batch_size):
    with pytest.raises(ValueError, match=r"between 1 and the number of samples 200"):
        batch_size_for("minibatch", 200, batch_size)
    with pytest.raises(ValueError, match=r"between 1 and the number of samples 200"):
        list(batch_indices(200, batch_size))


def test_one_epoch_of_batches_covers_every_sample_once():
    batches = list(batch_indices(10, 4, rng=0))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    again = list(batch_indices(10, 4, rng=0))
    assert all((a == b).all() for a, b in zip(batches, again, strict=True))


def test_full_batch_is_all_samples_in_order():
    (batch,) = batch_indices(7, 7, rng=0)
    np.testing.assert_array_equal(batch, np.arange(7))
