"""Checkers for notebook 03: a linear layer's backward pass, the momentum update, mini-batches."""

import numpy as np

from .. import training as tr
from ..gradcheck import numerical_gradient, relative_error
from .verdict import Failed, as_array, call, checker, describe, describe_crash, diagnose, name


def _parts(got, names, function):
    """The arrays of a returned tuple such as (dx, dW, db); stop if it is anything else."""
    if not isinstance(got, tuple) or len(got) != len(names):
        raise Failed(f"`{name(function)}` should return a tuple ({', '.join(names)}), got "
                     f"{describe(got)}" + (f" of {len(got)}" if isinstance(got, tuple) else ""))
    return [as_array(part, part_name) for part, part_name in zip(got, names, strict=True)]


@checker(reference=tr.linear_backward)
def check_linear_backward(linear_backward_fn):
    """Check `linear_backward(x, W, grad_out)` -> (dx, dW, db) against finite differences."""
    rng = np.random.default_rng(3)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    R = rng.normal(size=(4, 2))  # the loss L = sum(R * y), so grad_out = dL/dy = R

    def loss(x_, W_, b_):
        return float(np.sum(R * (x_ @ W_ + b_)))

    expected = {"dx": numerical_gradient(lambda v: loss(v, W, b), x.copy()),
                "dW": numerical_gradient(lambda v: loss(x, v, b), W.copy()),
                "db": numerical_gradient(lambda v: loss(x, W, v), b.copy())}
    got = call(linear_backward_fn, x, W, R,
               hint="The shapes here are x (4, 3), W (3, 2), grad_out (4, 2); dx must come "
                    "out (4, 3) like x and dW (3, 2) like W: which product of the arrays you "
                    "have gives each shape?")
    got = dict(zip(expected, _parts(got, list(expected), linear_backward_fn), strict=True))
    n = len(x)
    transposed = {"dx": (W @ R.T, "dx is transposed: it must have x's shape (N, in) = (4, 3)"),
                  "dW": (R.T @ x, "dW is transposed: it must have W's shape (in, out) = (3, 2)")}
    mistakes = {
        "dx": [(-(R @ W.T), "dx has the wrong sign"),
               ((R @ W.T) / n, "dx is divided by the batch size; each example's dx is its own "
                               "row, nothing is summed"),
               transposed["dx"]],
        "dW": [(-(x.T @ R), "dW has the wrong sign"),
               ((x.T @ R) / n, "dW is divided by the batch size: backward sums over the batch "
                               "(the loss already holds any 1/N)"),
               (x[:1].T @ R[:1], "dW uses only the first example: every example in the batch "
                                 "adds to it"),
               transposed["dW"]],
        "db": [(R, "db has one row per example: sum grad_out over the batch (axis 0)"),
               (R.mean(axis=0), "db is the mean over the batch; backward sums over it"),
               (-R.sum(axis=0), "db has the wrong sign"),
               (R.sum(axis=1), "db sums over the wrong axis: sum over the batch, axis 0")],
    }
    errors = []
    for part, want in expected.items():
        diagnose(got[part], want, part, mistakes=mistakes[part], atol=1e-6)
        errors.append(f"{part} {relative_error(got[part], want):.0e}")
    return ("dx = grad_out W^T, dW = x^T grad_out, db = grad_out summed over the batch; "
            "relative errors against finite differences: " + ", ".join(errors))


@checker(reference=tr.momentum_step)
def check_momentum_step(momentum_step_fn):
    """Check `momentum_step(theta, velocity, gradient, lr, beta)` -> (theta, velocity)."""
    theta, velocity = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.2])
    gradient, lr, beta = np.array([0.4, -1.0, 2.0]), 0.05, 0.8  # lr != 1 - beta
    got = call(momentum_step_fn, theta, velocity, gradient, lr, beta)
    new_theta, new_velocity = _parts(got, ["theta", "velocity"], momentum_step_fn)
    want_theta, want_velocity = tr.momentum_step(theta, velocity, gradient, lr, beta)
    if (np.shape(new_theta) == np.shape(want_velocity) and np.allclose(new_theta, want_velocity)
            and np.shape(new_velocity) == np.shape(want_theta)
            and np.allclose(new_velocity, want_theta)):
        raise Failed("the two results are swapped: return (theta, velocity) in that order")
    diagnose(new_velocity, want_velocity, "the new velocity", mistakes=[
        (beta * velocity - gradient, "the gradient enters the velocity with a minus sign; in "
                                     "optim.SGD's convention the velocity adds up gradients "
                                     "and the update subtracts it"),
        (-(beta * velocity + gradient), "the new velocity has the wrong sign: in optim.SGD's "
                                        "convention it points uphill, like the gradient"),
        (velocity + beta * gradient, "beta multiplies the gradient; it should damp the old "
                                     "velocity"),
        (velocity, "the velocity did not change: v <- beta v + g"),
        (gradient, "the new velocity is just the gradient: it should remember the old one, "
                   "v <- beta v + g"),
        (beta * velocity + lr * gradient, "you scaled the gradient by lr inside the velocity; "
                                          "here (as in optim.SGD) v <- beta v + g and lr "
                                          "multiplies v in the update"),
        ((1 - beta) * velocity + beta * gradient, "beta and 1 - beta are swapped, and optim.SGD "
                                                  "does not scale g: v <- beta v + g"),
        (beta * velocity + (1 - beta) * gradient, "that is an average (1 - beta) g; optim.SGD's "
                                                  "momentum adds the whole gradient"),
        (beta * (velocity + gradient), "beta multiplies only the old velocity"),
    ])
    diagnose(new_theta, want_theta, "the new theta", mistakes=[
        (theta - lr * gradient, "the update ignores the velocity"),
        (theta - lr * velocity, "the update uses the old velocity; update v first, then move "
                                "theta with the new v"),
        (theta + lr * want_velocity, "sign error: the update walks downhill, against v"),
        (theta - want_velocity, "the learning rate is missing from the update"),
        (theta - lr * (gradient + beta * want_velocity), "that is Nesterov's look-ahead "
                                                         "momentum; optim.SGD's plain momentum "
                                                         "steps along the new velocity alone"),
    ])
    return "v <- beta v + g, then theta <- theta - lr v (optim.SGD's momentum)"


def _epoch(minibatches_fn, rng, n, size):
    """The student's batches for one call, as integer arrays; stop at anything else.

    Called directly rather than through `call`: a generator must be shared between calls
    (each epoch advances it) and cannot be compared with a copy of itself.
    """
    try:
        got = minibatches_fn(n, size, rng)
    except NotImplementedError:
        raise Failed(f"`{name(minibatches_fn)}` still raises NotImplementedError. Fill in its "
                     "body, then run this cell again.", passed=None) from None
    except (Exception, SystemExit) as error:
        raise Failed(describe_crash(minibatches_fn, error)) from None
    if not isinstance(got, (list, tuple)):
        also = (": wrap it in list(...) or build the list directly"
                if describe(got).startswith("a generator") else "")
        raise Failed(f"return a list of index arrays, one per batch, got {describe(got)}{also}")
    batches = []
    for batch in got:
        if not (isinstance(batch, np.ndarray) and batch.ndim == 1
                and np.issubdtype(batch.dtype, np.integer)):
            raise Failed(f"each batch should be a 1-D numpy array of integer indices, got "
                         f"{describe(batch)}")
        batches.append(np.array(batch))
    return batches


@checker(reference=tr.minibatches)
def check_minibatches(minibatches_fn):
    """Check `minibatches(n_samples, batch_size, rng)`: one epoch without replacement."""
    n, size = 10, 4
    batches = _epoch(minibatches_fn, np.random.default_rng(0), n, size)
    every = np.concatenate(batches) if batches else np.zeros(0, dtype=int)
    if every.size and (every.min() < 0 or every.max() >= n):
        raise Failed(f"indices must lie in 0..{n - 1}, got {every.min()}..{every.max()}")
    counts = np.bincount(every, minlength=n)
    if (counts > 1).any():
        raise Failed(f"sample {int(np.argmax(counts))} is drawn {int(counts.max())} times in one "
                     "epoch: the batches were drawn with replacement, or each batch on its own, "
                     "so they overlap; within an epoch no sample may come back")
    if (counts == 0).any():
        hint = (" (the last, smaller batch was dropped: keep it)" if every.size == n - n % size
                else "")
        raise Failed(f"{int((counts == 0).sum())} of the {n} samples are never drawn in the "
                     f"epoch{hint}")
    sizes = [len(batch) for batch in batches]
    if sizes != [4, 4, 2]:
        raise Failed(f"for n_samples={n}, batch_size={size} the batch sizes should be [4, 4, 2], "
                     f"got {sizes}")
    if np.array_equal(every, np.arange(n)):
        raise Failed("the batches are in order 0, 1, 2, ...: shuffle the indices first")
    again = np.concatenate(_epoch(minibatches_fn, np.random.default_rng(0), n, size))
    if not np.array_equal(every, again):
        raise Failed("the same seed gave a different order: draw from the `rng` argument, not "
                     "from np.random")
    rng = np.random.default_rng(1)
    first, second = (np.concatenate(_epoch(minibatches_fn, rng, n, size)) for _ in range(2))
    if np.array_equal(first, second):
        raise Failed("two epochs from one generator came in the same order: draw a fresh "
                     "permutation from `rng` in each call")
    if [len(b) for b in _epoch(minibatches_fn, np.random.default_rng(2), 8, 8)] != [8]:
        raise Failed("with batch_size = n_samples there should be one batch of all the samples "
                     "(that is gradient descent)")
    return "each sample exactly once per epoch, in a new random order every epoch"
