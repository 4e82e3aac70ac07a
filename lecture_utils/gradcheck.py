"""Finite-difference gradients, to check backpropagation (and the exercises) numerically."""

from dataclasses import dataclass, field

import numpy as np

from lecture_utils.nn import Sequential


def numerical_gradient(f, x, eps=1e-6):
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) of scalar f at array x.

    ``f(x)`` must return a float; x (any shape, float64) is perturbed in place, one entry
    at a time, and restored afterwards.  Returns an array of x's shape.
    """
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = f(x)
        x[i] = original - eps
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max_i |a_i - b_i| / max(max |a|, max |b|): 0 when equal, ~1 when unrelated.

    Scaled by the largest entry (not entry by entry), so gradients that are nearly zero
    somewhere do not produce huge errors from round-off alone.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    return 0.0 if scale == 0 else float(np.abs(a - b).max() / scale)


@dataclass
class GradientCheck:
    """One gradient compared: its name, the error and where the analytic one is most off."""

    name: str
    error: float
    index: tuple
    analytic: float
    numerical: float
    ok: bool

    def __str__(self):
        text = f"{self.name}: max relative error {self.error:.1e}"
        if not self.ok:
            text += (f" at index {self.index} (backward gives {self.analytic:.6g},"
                     f" finite differences {self.numerical:.6g})")
        return text + ("  ok" if self.ok else "  WRONG")


@dataclass(repr=False)
class GradientReport:
    """Result of check_module_gradients: ``ok``, ``worst``, ``failures`` and one line per check."""

    checks: list = field(default_factory=list)
    tolerance: float = 1e-6

    @property
    def ok(self):
        return all(c.ok for c in self.checks)

    @property
    def worst(self):
        return max(self.checks, key=lambda c: c.error)

    @property
    def failures(self):
        return [c for c in self.checks if not c.ok]

    @property
    def errors(self):
        """[(name, max relative error)] for every gradient checked."""
        return [(c.name, c.error) for c in self.checks]

    def __repr__(self):
        return "\n".join(str(c) for c in self.checks)


def _describe(module, name):
    """'0.weight' of a Sequential -> 'layer 0: Linear weight'."""
    head, _, rest = name.partition(".")
    if rest and isinstance(module, Sequential):
        return f"layer {head}: " + _describe(module[int(head)], rest)
    return f"{type(module).__name__} {name}"


def _compare(name, analytic, numerical, tolerance):
    error = relative_error(analytic, numerical)
    index = np.unravel_index(np.abs(analytic - numerical).argmax(), analytic.shape)
    index = tuple(int(i) for i in index)
    return GradientCheck(name, error, index, float(analytic[index]), float(numerical[index]),
                         error < tolerance)


def check_module_gradients(module, x, rng=None, eps=1e-6, tolerance=1e-6):
    """Compare module.backward with finite differences, for the input and every parameter.

    The scalar checked is L = sum(R * module(x)) with a fixed random R, so dL/dy = R.
    Returns a GradientReport; print it to see which gradient is off and where.
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    R = rng.standard_normal(np.shape(module(x)))

    def loss(_):
        return float(np.sum(R * module(x)))

    module.zero_grad()
    module(x)
    grad_x = module.backward(R.copy())
    if np.shape(grad_x) != x.shape:
        raise ValueError(f"{type(module).__name__}.backward returned "
                         f"{'None' if grad_x is None else f'shape {np.shape(grad_x)}'}, expected "
                         f"dL/dx of the input's shape {x.shape} (did you forget to return it?)")
    report = GradientReport(tolerance=tolerance)
    report.checks.append(_compare("input", grad_x, numerical_gradient(loss, x, eps), tolerance))
    for name, p in module.named_parameters():
        numerical = numerical_gradient(loss, p.data, eps)
        report.checks.append(_compare(_describe(module, name), p.grad, numerical, tolerance))
    return report
