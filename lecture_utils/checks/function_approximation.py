"""Checkers for notebook 01: polynomial features and one gradient-descent step on the MSE.

The gradient-step exercise asks the student to derive the gradient, so its hints name the
mistake (sign, factor 2, 1/N, X or X.T, learning rate) without printing the formula;
only the verdict "Correct" shows it.
"""

import numpy as np

from ..function_approximation import gradient_step, polynomial_features
from .verdict import Failed, as_array, call, checker, describe, diagnose

# The hints name the mistake (a shape, a column order) without the code that fixes it.
COLUMN_HINT = ("x has shape (N,), so x ** powers pairs the N inputs with the powers one by one. "
               "To get every input with every power, x must be a column of shape (N, 1): "
               "numpy then broadcasts (N, 1) with (degree + 1,) to (N, degree + 1)")


def _column_hint(error):
    return COLUMN_HINT if "broadcast" in str(error) else None


@checker(reference=polynomial_features)
def check_polynomial_features(polynomial_features_fn):
    """Check `polynomial_features(x, degree)` -> [1, x, ..., x^degree], shape (N, degree + 1)."""
    x = np.array([-1.0, -0.5, 0.0, 0.5, 2.0])
    degree = 3
    got = as_array(call(polynomial_features_fn, x, degree, hint=_column_hint), "the features")
    expected = polynomial_features(x, degree)
    if got.shape == expected.T.shape:
        raise Failed(f"expected shape (N, D) = {expected.shape}, got {got.shape}: one row per "
                     "input, one column per power (transpose it)")
    if got.shape == x.shape:
        raise Failed(f"expected shape (N, D) = {expected.shape}, got {got.shape}, one number per "
                     f"input: {COLUMN_HINT}")
    diagnose(got, expected, "x(s) for degree 3", mistakes=[
        (expected[:, ::-1], "the columns are in reverse order (x^3 first, the bias last): "
                            "column k should hold x^k, starting with the bias x^0 = 1 (np.vander "
                            "puts the highest power first unless told otherwise)"),
        (expected[:, 1:], f"expected shape (N, D) = {expected.shape}, got {expected[:, 1:].shape}: "
                          "the bias column x^0 = 1 is missing"),
        (expected[:, :-1], f"expected shape (N, D) = {expected.shape}, got "
                           f"{expected[:, :-1].shape}: the last power x^{degree} is missing "
                           "(range(degree) stops one short)"),
        (x[:, None] * np.arange(degree + 1),
         "column k should be x to the power k, not x times k"),
    ])
    got = as_array(call(polynomial_features_fn, x, 0, hint=_column_hint),
                   "the features for degree 0")
    if got.shape == x.shape:
        raise Failed(f"for degree 0 expected shape (N, 1) = ({len(x)}, 1), got {got.shape}: "
                     f"{COLUMN_HINT}")
    diagnose(got, polynomial_features(x, 0), "x(s) for degree 0 (only the bias)")
    return f"shape {expected.shape}: the bias column, then x, x^2, x^3"


# The transposed-X mistake, named without giving the formula away.
TRANSPOSE_HINT = ("X or X.T? The gradient has one entry per feature, shape (D,); each entry "
                  "sums over the N examples, and X (N, D) has the examples in its rows")


def _uses_x_instead_of_x_transposed(gradient_step_fn):
    """Whether the step multiplies the residuals by X instead of X.T (runs only for square X)."""
    rng = np.random.default_rng(1)
    X, y, theta, lr = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3), 0.1
    try:
        got = call(gradient_step_fn, theta, X, y, lr)
        got = as_array(got, "")
    except Failed:
        return False
    step = lr * X @ (y - X @ theta)  # with every scale a student might use: 2/N, 1/N, 2, 1
    return got.shape == (3,) and any(np.allclose(got, theta + c * step) for c in (2 / 3, 1 / 3,
                                                                                  2, 1))


def _shape_hint(gradient_step_fn):
    """The hint for a gradient step that crashed: about X.T if a matrix product failed."""
    def hint(error):
        text = str(error)
        if any(word in text for word in ("matmul", "shape", "align")) or \
                _uses_x_instead_of_x_transposed(gradient_step_fn):
            return TRANSPOSE_HINT
        return None
    return hint


def _step_length_hint(got_step, true_step, n, d, lr):
    """What is wrong with a step that points along the gradient but has the wrong length."""
    factor = float(got_step @ true_step / (true_step @ true_step))
    if not np.allclose(got_step, factor * true_step) or np.isclose(factor, 1.0):
        return None
    known = {1 / lr: "the learning rate is missing: the step is lr times the gradient",
             1 / lr**2: "you divided by the learning rate: the step is lr times the gradient",
             -1.0: "sign error: this step goes uphill, so the loss grows. Gradient descent "
                   "subtracts lr * gradient; if yours does, check the sign of the gradient: "
                   "the chain rule brings out a minus sign from y - X theta",
             0.5: "the step is half as long as it should be: the derivative of a square u^2 is "
                  "2u, so the gradient carries a factor 2",
             2.0: "the step is twice as long as it should be: is the factor 2 from the square "
                  "in there twice?",
             float(n): f"the step is N = {n} times too long: the loss is a mean over the N "
                       "examples, so its gradient is a mean too (divide the sum by N)",
             n / 2: f"the step is N/2 = {n / 2:g} times too long: both the factor 2 from the "
                    "square and the 1/N from the mean are missing",
             n / d: f"the step is N/D = {n}/{d} times too long: you divided by D, the number of "
                    "features (X.shape[1]); the mean is over the N examples, len(y) or "
                    "X.shape[0]"}
    for value, message in known.items():
        if np.isclose(factor, value):
            return message
    direction = "uphill (a sign error) and " if factor < 0 else ""
    return (f"your step goes {direction}along the gradient but is {abs(factor):.3g} times as "
            "long as it should be: check the constants of your gradient (2, 1/N) and the "
            "learning rate")


@checker(reference=gradient_step)
def check_gradient_step(gradient_step_fn):
    """Check `gradient_step(theta, X, y, lr)`: one step of gradient descent on the MSE."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=7)  # N = 7 examples, D = 3 features
    theta, lr = np.array([0.5, -1.0, 2.0]), 0.1
    n, d = X.shape
    got = call(gradient_step_fn, theta, X, y, lr, hint=_shape_hint(gradient_step_fn))
    if isinstance(got, (int, float, np.integer, np.floating)) or \
            isinstance(got, np.ndarray) and got.ndim == 0:
        raise Failed(f"the new theta should have one entry per feature, shape (D,) = ({d},), "
                     f"got {describe(got)}: did a mean or sum run over everything?")
    got = as_array(got, "the new theta")
    if got.shape in ((d, 1), (1, d)):
        raise Failed(f"the new theta should have shape (D,) = ({d},), got {got.shape}: flatten "
                     "it or avoid column vectors")
    if got.shape == (n,):
        raise Failed(f"the new theta should have shape (D,) = ({d},), got (N,) = ({n},). "
                     f"{TRANSPOSE_HINT}")
    expected = gradient_step(theta, X, y, lr)
    true_step = expected - theta
    if got.shape == expected.shape and not np.allclose(got, expected):
        moved = got - theta
        if np.allclose(moved, 0.0):
            raise Failed("you returned theta unchanged: the step is missing")
        if np.allclose(moved, moved[0]):
            raise Failed("every entry of theta moved by the same amount, so your gradient is a "
                         "single number (did a mean or sum run over everything?); the gradient "
                         f"has one entry per feature, shape (D,) = ({d},)")
        message = _step_length_hint(moved, true_step, n, d, lr)
        if message:
            raise Failed(message)
    diagnose(got, expected, "the new theta", mistakes=[
        (-true_step / lr, "you returned the gradient; return the new parameters after one "
                          "step, theta - lr * gradient"),
    ], hint="Your step does not point along the gradient: check the residual (targets minus "
            "predictions) and whether you multiply it by X or by X.T")
    return "theta - lr * gradient with the MSE gradient -(2/N) X^T (y - X theta)"
