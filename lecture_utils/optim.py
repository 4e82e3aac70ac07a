"""Gradient-descent optimisers (SGD with momentum, Adam) and the batch schedules of the slides."""

import numpy as np

from lecture_utils.nn import Parameter


class Optimizer:
    """Base class: holds the Parameters; step() updates them from their .grad."""

    def __init__(self, params, lr):
        self.params = list(params) if not hasattr(params, "forward") else []  # not a Module
        if not self.params or not all(isinstance(p, Parameter) for p in self.params):
            raise ValueError(f"{type(self).__name__} expects a non-empty list of Parameters, "
                             "e.g. model.parameters()")
        if not lr > 0:
            raise ValueError(f"learning rate lr must be > 0, got {lr!r}")
        self.lr = lr

    def zero_grad(self):
        """Set every gradient to 0 (backward adds to them)."""
        for p in self.params:
            p.grad.fill(0.0)

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent theta <- theta - lr v with momentum v <- mu v + g (PyTorch's convention).

    With momentum 0 this is the slide's update theta <- theta - alpha grad L(theta).
    """

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = momentum
        self.velocities = [np.zeros_like(p.data) for p in self.params]

    def step(self):
        if self.momentum == 0:
            for p in self.params:
                p.data -= self.lr * p.grad
            return
        for p, v in zip(self.params, self.velocities, strict=True):
            v *= self.momentum  # running sum of past gradients, decayed by mu each step
            v += p.grad
            p.data -= self.lr * v


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015): per-parameter step lr m_hat / (sqrt(v_hat) + eps).

    m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,  m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t) (bias correction: m and v start at 0).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be in [0, 1), got {betas!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")
        self.betas, self.eps, self.t = betas, eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self):
        b1, b2 = self.betas
        self.t += 1
        # lr m_hat / (sqrt(v_hat) + eps) = lr c2 / c1 * m / (sqrt(v) + eps c2), with the bias
        # corrections c1 = 1 - b1^t and c2 = sqrt(1 - b2^t) as scalars: fewer array operations
        # (a small network's update is dominated by their count, not their size)
        c1, c2 = 1 - b1**self.t, np.sqrt(1 - b2**self.t)
        step_size, eps = self.lr * c2 / c1, self.eps * c2
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            grad = p.grad
            m *= b1
            m += (1 - b1) * grad  # moving average of gradients
            v *= b2
            v += (1 - b2) * (grad * grad)  # moving average of squared gradients
            p.data -= step_size * m / (np.sqrt(v) + eps)


# --- batch schedules: which samples each update sees ------------------------------------------

def batch_size_for(method, n_samples, batch_size=None):
    """Batch size of the slide's methods: 'gd' -> all N, 'sgd' -> 1, 'minibatch' -> batch_size.

    batch_size defaults to min(32, N) for 'minibatch'; it must be between 1 and N.
    """
    if method == "gd":
        return n_samples
    if method == "sgd":
        return 1
    if method != "minibatch":
        raise ValueError(f"method must be 'gd', 'sgd' or 'minibatch', got {method!r}")
    batch_size = min(32, n_samples) if batch_size is None else batch_size
    _check_batch_size(batch_size, n_samples)
    return batch_size


def _check_batch_size(batch_size, n_samples):
    if not 1 <= batch_size <= n_samples or int(batch_size) != batch_size:
        raise ValueError(f"batch_size must be an integer between 1 and the number of samples "
                         f"{n_samples}, got {batch_size!r}")


def batch_indices(n_samples, batch_size, rng=None):
    """Yield the index arrays of one epoch: a random permutation cut into batches.

    The last batch is smaller when batch_size does not divide n_samples.  A full batch
    (batch_size == n_samples) is all samples in order, so that it is exactly gradient descent.
    """
    _check_batch_size(batch_size, n_samples)
    if batch_size == n_samples:
        yield np.arange(n_samples)
        return
    order = np.random.default_rng(rng).permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start:start + batch_size]
