"""The training loop of the slides: sample a batch, forward, loss, backpropagate, update."""

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from lecture_utils.nn import MSELoss
from lecture_utils.optim import SGD, batch_indices, batch_size_for

DIVERGENCE_FACTOR = 1e6  # a loss this many times the first one (or not finite) = diverged


@dataclass
class History:
    """What train() did, one entry per parameter update (arrays of shape (updates,)).

    loss:                  loss of the batch each update was computed from
    samples_seen:          training samples drawn so far (cumulative)
    gradient_evaluations:  samples whose gradient was computed so far (cumulative); equal to
                           samples_seen in this loop: GD pays N of them per update, SGD one
    seconds:               wall time spent training so far (callbacks not counted)
    diverged, message:     True and an explanation if the loss blew up and training stopped
    """

    loss: np.ndarray
    samples_seen: np.ndarray
    gradient_evaluations: np.ndarray
    seconds: np.ndarray
    n_samples: int
    batch_size: int
    diverged: bool = False
    message: str = ""

    @property
    def updates(self):
        return len(self.loss)

    @property
    def epochs(self):
        """Passes over the training data so far (cumulative), shape (updates,)."""
        return self.samples_seen / self.n_samples


def train(model, x, y, loss=None, optimizer=None, lr=None, method="minibatch", batch_size=None,
          steps=None, epochs=None, seed=0, callback=None, callback_every=10):
    """Train ``model`` on inputs x (N, ...) and targets y (N, ...); returns a History.

    loss:       MSELoss() by default (any object with forward(pred, y) and backward()).
    optimizer:  SGD(model.parameters(), lr) by default, lr = 0.1 unless given; pass either
                lr or an optimizer (e.g. Adam(model.parameters())), not both.
    method:     'gd' (all N samples per update), 'sgd' (one sample) or 'minibatch'
                (batch_size samples, default min(32, N)); batches are drawn without
                replacement within an epoch, using the random generator ``seed``.
    steps:      number of updates (default 100), or give epochs (passes over the data).
    callback:   callback(step, history) after every ``callback_every`` updates and after the
                last one, e.g. to grow a live loss curve.
    A loss that becomes non-finite or explodes stops training with history.diverged = True
    (no NaNs, no warnings).
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x and y must hold the same number of samples, got {n} and {len(y)}")
    batch_size = batch_size_for(method, n, batch_size)
    if steps is None:
        steps = 100 if epochs is None else epochs * math.ceil(n / batch_size)
    elif epochs is not None:
        raise ValueError("give steps or epochs, not both")
    loss = MSELoss() if loss is None else loss
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=0.1 if lr is None else lr)
    elif lr is not None:
        raise ValueError("give either lr or an optimizer (which has its own lr), not both")

    rng = np.random.default_rng(seed)
    epoch_batches = (batch_indices(n, batch_size, rng) for _ in itertools.count())
    batches = itertools.chain.from_iterable(epoch_batches)
    losses, seconds = np.empty(steps), np.empty(steps)
    counts = np.empty(steps, dtype=np.int64)

    def history(updates, message=""):
        return History(losses[:updates], counts[:updates], counts[:updates],
                       seconds[:updates], n, batch_size, bool(message), message)

    limit, evaluated, elapsed = math.inf, 0, 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(steps):
            start = time.perf_counter()
            batch = next(batches)                    # 1. sample a batch of (x, y) pairs
            prediction = model(x[batch])             # 2. forward pass
            value = loss(prediction, y[batch])       # 3. loss
            if not (math.isfinite(value) and value <= limit):
                return history(step, f"diverged: the loss reached {value:.3g} at update "
                                     f"{step + 1}; try a smaller learning rate")
            optimizer.zero_grad()
            model.backward(loss.backward())          # 4. backpropagation
            optimizer.step()                         # 5. gradient-descent update
            elapsed += time.perf_counter() - start
            evaluated += len(batch)
            losses[step], counts[step], seconds[step] = value, evaluated, elapsed
            if step == 0:
                limit = DIVERGENCE_FACTOR * max(value, 1e-6)
            if callback is not None and ((step + 1) % callback_every == 0 or step + 1 == steps):
                callback(step + 1, history(step + 1))
    if not all(np.isfinite(p.data).all() for p in model.parameters()):
        return history(steps, "diverged: the parameters overflowed in the last update; "
                              "try a smaller learning rate")
    return history(steps)
