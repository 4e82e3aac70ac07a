"""The training loop of the slides: sample a batch, forward, loss, backpropagate, update."""

import itertools
import math
import time
from dataclasses import dataclass, field

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
    full_loss:             the loss on all N samples, measured before the first update and every
                           few updates (train's ``full_loss_every``); empty if not asked for
    full_loss_updates:     after how many updates each full_loss was measured (0 = at the start)
    """

    loss: np.ndarray
    samples_seen: np.ndarray
    gradient_evaluations: np.ndarray
    seconds: np.ndarray
    n_samples: int
    batch_size: int
    diverged: bool = False
    message: str = ""
    full_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    full_loss_updates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def updates(self):
        return len(self.loss)

    @property
    def epochs(self):
        """Passes over the training data so far (cumulative), shape (updates,)."""
        return self.samples_seen / self.n_samples

    def full_loss_against(self, axis="updates"):
        """Where each full_loss was measured, in "updates", "gradient_evaluations" or "seconds".

        The x values of a learning curve of the loss on all the data; shape like full_loss.
        """
        counts = {"updates": np.arange(self.updates + 1),
                  "gradient_evaluations": np.concatenate([[0], self.gradient_evaluations]),
                  "samples_seen": np.concatenate([[0], self.samples_seen]),
                  "seconds": np.concatenate([[0.0], self.seconds])}
        if axis not in counts:
            raise ValueError(f"axis must be one of {sorted(counts)}, got {axis!r}")
        return counts[axis][self.full_loss_updates]


def batch_stream(n_samples, batch_size, seed=0):
    """The batches train() draws, one index array per update: epoch after epoch of
    batch_indices (a fresh random permutation per epoch) from the random generator ``seed``."""
    rng = np.random.default_rng(seed)
    epochs = (batch_indices(n_samples, batch_size, rng) for _ in itertools.count())
    return itertools.chain.from_iterable(epochs)


def train(model, x, y, loss=None, optimizer=None, lr=None, method="minibatch", batch_size=None,
          steps=None, epochs=None, seed=0, callback=None, callback_every=10,
          full_loss_every=None):
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
    full_loss_every: if given, also measure the loss on all N samples before the first update,
                after every ``full_loss_every`` updates and after the last one
                (history.full_loss): a learning curve that is not the noise of single
                batches. This measurement is counted neither as training time nor as
                gradient evaluations.
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
    if full_loss_every is not None and not (int(full_loss_every) == full_loss_every >= 1):
        raise ValueError(f"full_loss_every must be a whole number of updates >= 1, "
                         f"got {full_loss_every!r}")
    loss = MSELoss() if loss is None else loss
    if optimizer is None:
        optimizer = SGD(model.parameters(), lr=0.1 if lr is None else lr)
    elif lr is not None:
        raise ValueError("give either lr or an optimizer (which has its own lr), not both")

    batches = batch_stream(n, batch_size, seed)
    losses, seconds = np.empty(steps), np.empty(steps)
    counts = np.empty(steps, dtype=np.int64)
    full_losses, full_updates = [], []

    def measure_full_loss(updates):
        if full_loss_every is not None:
            full_losses.append(loss(model(x), y))
            full_updates.append(updates)

    def history(updates, message=""):
        return History(losses[:updates], counts[:updates], counts[:updates],
                       seconds[:updates], n, batch_size, bool(message), message,
                       np.array(full_losses, dtype=float), np.array(full_updates, dtype=np.int64))

    limit, evaluated, elapsed = math.inf, 0, 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        measure_full_loss(0)
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
            if full_loss_every is not None and ((step + 1) % full_loss_every == 0
                                                or step + 1 == steps):
                measure_full_loss(step + 1)
            if callback is not None and ((step + 1) % callback_every == 0 or step + 1 == steps):
                callback(step + 1, history(step + 1))
    if not all(np.isfinite(p.data).all() for p in model.parameters()):
        return history(steps, "diverged: the parameters overflowed in the last update; "
                              "try a smaller learning rate")
    return history(steps)
