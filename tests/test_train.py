"""Specification of lecture_utils.train: the slide's loop, its history, divergence, learning."""

import warnings

import numpy as np
import pytest

from lecture_utils import nn
from lecture_utils.optim import SGD, Adam
from lecture_utils.train import train


def sine_data(n=200):
    x = np.linspace(-np.pi, np.pi, n)[:, None]
    return x, np.sin(x)


def mlp(hidden=32, seed=0, activation=nn.Tanh):
    return nn.Sequential(nn.Linear(1, hidden, rng=seed), activation(),
                         nn.Linear(hidden, 1, rng=seed + 1))


def test_mlp_fits_sine_below_stated_loss():
    x, y = sine_data()
    model = mlp()
    history = train(model, x, y, lr=0.1, method="minibatch", batch_size=32, steps=300, seed=0)
    assert history.loss[0] > 0.3
    assert nn.MSELoss()(model(x), y) < 0.02  # measured 0.009
    model = mlp()
    train(model, x, y, optimizer=Adam(model.parameters(), lr=0.02), steps=1000, seed=0)
    assert nn.MSELoss()(model(x), y) < 1e-3  # measured 3e-5


def test_loss_falls_for_every_method():
    x, y = sine_data(50)
    for method in ["gd", "sgd", "minibatch"]:
        history = train(mlp(), x, y, lr=0.05, method=method, steps=200, seed=1)
        assert history.loss[-20:].mean() < 0.5 * history.loss[:5].mean(), method


def test_rnn_solves_memory_task_a_feedforward_net_cannot():
    # the target is the FIRST input of a sequence of random signs, to be output at the LAST step
    rng = np.random.default_rng(0)
    xs = rng.choice([-1.0, 1.0], size=(512, 8, 1))
    ys = xs[:, 0]
    rnn = nn.Sequential(nn.RNN(1, 16, rng=0), nn.LastTimeStep(), nn.Linear(16, 1, rng=1))
    train(rnn, xs, ys, optimizer=Adam(rnn.parameters(), lr=0.01), steps=400, seed=0)
    feedforward = mlp(16)  # sees only the last input, which is independent of the target
    train(feedforward, xs[:, -1], ys, optimizer=Adam(feedforward.parameters(), lr=0.01),
          steps=400, seed=0)
    assert nn.MSELoss()(rnn(xs), ys) < 0.01
    assert nn.MSELoss()(feedforward(xs[:, -1]), ys) > 0.9  # = variance of the target


def test_sgd_with_batch_size_n_is_exactly_gradient_descent():
    x, y = sine_data(40)
    model, reference = mlp(8), mlp(8)
    train(model, x, y, lr=0.1, method="minibatch", batch_size=40, steps=5, seed=3)
    optimizer, loss = SGD(reference.parameters(), lr=0.1), nn.MSELoss()
    for _ in range(5):  # theta <- theta - alpha grad L(theta | D), the whole data set D
        loss(reference(x), y)
        optimizer.zero_grad()
        reference.backward(loss.backward())
        optimizer.step()
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("method,batch_size,expected", [
    ("gd", None, [50, 100, 150, 200, 250, 300]),
    ("sgd", None, [1, 2, 3, 4, 5, 6]),
    ("minibatch", 16, [16, 32, 48, 50, 66, 82]),  # epochs of 16 + 16 + 16 + 2
])
def test_history_counts_samples_and_gradient_evaluations_exactly(method, batch_size, expected):
    x, y = sine_data(50)
    history = train(mlp(4), x, y, lr=0.01, method=method, batch_size=batch_size, steps=6)
    assert history.updates == 6 and len(history.loss) == 6
    np.testing.assert_array_equal(history.samples_seen, expected)
    np.testing.assert_array_equal(history.gradient_evaluations, expected)
    np.testing.assert_allclose(history.epochs, np.array(expected) / 50)
    assert np.all(np.diff(history.seconds) >= 0) and history.seconds[0] > 0
    assert not history.diverged


def test_epochs_set_the_number_of_updates():
    x, y = sine_data(50)
    assert train(mlp(4), x, y, method="minibatch", batch_size=16, epochs=3).updates == 12


# with ReLU and lr=1e300 the next forward pass overflows (numpy would warn)
@pytest.mark.parametrize("activation,lr", [(nn.Tanh, 50.0), (nn.ReLU, 1e300)])
def test_huge_learning_rate_stops_with_diverged_flag_and_no_warnings(activation, lr):
    x, y = sine_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # gc of another test's socket
        history = train(mlp(activation=activation), x, y, lr=lr, method="gd", steps=500)
    assert history.diverged and "smaller learning rate" in history.message
    assert history.updates < 500 and np.isfinite(history.loss).all()


def test_training_is_reproducible_with_a_seed():
    x, y = sine_data(50)
    a = train(mlp(), x, y, method="sgd", steps=30, seed=7).loss
    b = train(mlp(), x, y, method="sgd", steps=30, seed=7).loss
    np.testing.assert_array_equal(a, b)


def test_callback_sees_the_growing_history():
    x, y = sine_data(50)
    seen = []
    train(mlp(), x, y, steps=25, callback=lambda step, h: seen.append((step, h.updates)),
          callback_every=10)
    assert seen == [(10, 10), (20, 20), (25, 25)]


def test_history_seconds_are_cumulative_training_time():
    # speed itself is measured by `make bench`, not by a timed test that fails on a busy machine
    x, y = sine_data()
    history = train(mlp(), x, y, lr=0.1, method="minibatch", steps=300)
    assert history.seconds.shape == (300,)
    assert (np.diff(history.seconds) >= 0).all() and history.seconds[0] > 0


def test_train_rejects_bad_settings():
    x, y = sine_data(50)
    with pytest.raises(ValueError, match="between 1 and the number of samples 50"):
        train(mlp(), x, y, batch_size=51)
    with pytest.raises(ValueError, match="lr must be > 0"):
        train(mlp(), x, y, lr=0.0)
    with pytest.raises(ValueError, match="same number of samples"):
        train(mlp(), x, y[:40])
    with pytest.raises(ValueError, match="not both"):
        train(mlp(), x, y, steps=3, epochs=2)
    with pytest.raises(ValueError, match=r"target of shape \(32, 1\) like pred, got \(32,\)"):
        train(mlp(), x, y[:, 0])


def test_full_loss_is_measured_on_all_data_every_k_updates_and_not_timed():
    x, y = sine_data(50)
    model = mlp(4)
    history = train(model, x, y, lr=0.05, method="minibatch", batch_size=10, steps=25, seed=2,
                    full_loss_every=10)
    np.testing.assert_array_equal(history.full_loss_updates, [0, 10, 20, 25])
    assert history.full_loss[-1] == pytest.approx(nn.MSELoss()(model(x), y), rel=1e-12)
    assert history.full_loss[0] == pytest.approx(nn.MSELoss()(mlp(4)(x), y), rel=1e-12)
    np.testing.assert_array_equal(history.full_loss_against("gradient_evaluations"),
                                  [0, 100, 200, 250])
    seconds = history.full_loss_against("seconds")
    assert seconds[0] == 0.0 and seconds[-1] == history.seconds[-1]
    with pytest.raises(ValueError, match="axis must be one of"):
        history.full_loss_against("epochs!")


def test_full_loss_of_gradient_descent_is_the_loss_of_its_next_batch():
    x, y = sine_data(30)
    history = train(mlp(4), x, y, lr=0.05, method="gd", steps=6, full_loss_every=1)
    np.testing.assert_allclose(history.full_loss[:-1], history.loss, rtol=1e-12)
    assert train(mlp(4), x, y, steps=3).full_loss.size == 0  # only when asked for


def test_full_loss_every_must_be_a_positive_whole_number():
    x, y = sine_data(30)
    for bad in (0, 2.5, -1):
        with pytest.raises(ValueError, match="full_loss_every must be a whole number"):
            train(mlp(4), x, y, steps=3, full_loss_every=bad)
