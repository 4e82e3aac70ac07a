"""Exercise checkers that say what is wrong, not just that something is.

The exercise pattern of every notebook:

1. Exercise cell: the student's function, whose body starts as
   `raise NotImplementedError("Student exercise: ...")`.
2. Checker cell, right after: `check_<exercise>(<student function>)`. The checker runs the
   function on small inputs and returns a `Verdict`, which Jupyter shows as one line:
   "not done yet", a specific diagnosis, or "correct". It never raises, so the notebook
   runs top to bottom in CI with the exercise still open.
3. Solution cell: collapsed (cell metadata {"jupyter": {"source_hidden": true}}, tag
   "solution"), defines the reference solution under the same name and runs the checker.

To add a checker (e.g. for notebook 02): compute the expected output with a reference
implementation, then call `_attempt` to run the student's function and `_diagnose` with
the mistakes you expect, each as (wrong output, what to tell the student).
"""

from dataclasses import dataclass

import numpy as np

from . import feedforward as ff
from .function_approximation import gradient_step, polynomial_features


@dataclass
class Verdict:
    """The outcome of a check: passed True/False, or None while the exercise is not done."""

    passed: bool | None
    message: str

    def __repr__(self):
        mark = {True: "✅ Correct", False: "❌ Not yet right", None: "⏳ Not done yet"}[self.passed]
        return f"{mark}: {self.message}"

    __str__ = __repr__


class _Failed(Exception):
    """Raised inside a checker to stop at the first problem found."""

    def __init__(self, verdict):
        super().__init__(verdict.message)
        self.verdict = verdict


def _attempt(function, *args):
    """Call the student's function; turn 'not done' and crashes into a Verdict."""
    try:
        return function(*args)
    except NotImplementedError:
        raise _Failed(Verdict(None, f"`{function.__name__}` still raises NotImplementedError. "
                                    "Fill in its body, then run this cell again.")) from None
    except Exception as error:  # the student's code crashed: show what, not a traceback
        raise _Failed(Verdict(False, f"`{function.__name__}` raised {type(error).__name__}: "
                                     f"{error}")) from None


def _as_array(got, what):
    if not isinstance(got, np.ndarray):
        raise _Failed(Verdict(False, f"{what} should be a numpy array, got {type(got).__name__}"))
    return got


def _diagnose(got, expected, what, mistakes=(), atol=1e-8):
    """Compare `got` with `expected`; name a known mistake or the first wrong entry.

    mistakes: pairs (wrong output, message) for typical errors, checked before the
    entry-by-entry comparison so the message names the cause.
    """
    got = _as_array(got, what)
    for wrong, message in mistakes:
        same_as_expected = got.shape == expected.shape and np.allclose(got, expected, atol=atol)
        if got.shape == np.shape(wrong) and np.allclose(got, wrong, atol=atol) \
                and not same_as_expected:
            raise _Failed(Verdict(False, message))
    if got.shape != expected.shape:
        raise _Failed(Verdict(False, f"{what} should have shape {expected.shape}, got {got.shape}"))
    wrong = ~np.isclose(got, expected, atol=atol)
    if wrong.any():
        position = tuple(int(i) for i in np.argwhere(wrong)[0])
        where = (f"row {position[0]}, column {position[1]}" if len(position) == 2
                 else f"entry {list(position)}")
        raise _Failed(Verdict(False, f"{what}: {where} should be {expected[position]:.6g}, "
                                     f"got {got[position]:.6g} ({wrong.sum()} entries differ)"))


def _checker(check):
    """Turn a function that raises _Failed at the first problem into one returning a Verdict."""
    def run(function):
        try:
            message = check(function)
        except _Failed as failure:
            return failure.verdict
        return Verdict(True, message)
    run.__name__, run.__doc__ = check.__name__, check.__doc__
    return run


# --- Notebook 01 ------------------------------------------------------------------------------

@_checker
def check_polynomial_features(polynomial_features_fn):
    """Check `polynomial_features(x, degree)` -> [1, x, ..., x^degree], shape (N, degree + 1)."""
    x = np.array([-1.0, -0.5, 0.0, 0.5, 2.0])
    degree = 3
    got = _attempt(polynomial_features_fn, x, degree)
    expected = polynomial_features(x, degree)
    got = _as_array(got, "the features")
    if got.shape == expected.T.shape:
        raise _Failed(Verdict(False, f"expected shape (N, D) = {expected.shape}, got {got.shape}: "
                                     "one row per input, one column per power (transpose it)"))
    _diagnose(got, expected, "x(s) for degree 3", mistakes=[
        (expected[:, ::-1], "the columns are in reverse order (x^3 first, the bias last): "
                            "np.vander puts the highest power first unless you ask for "
                            "np.vander(x, degree + 1, increasing=True)"),
        (expected[:, 1:], f"expected shape (N, D) = {expected.shape}, got {expected[:, 1:].shape}: "
                          "the bias column x^0 = 1 is missing"),
        (expected[:, :-1], f"expected shape (N, D) = {expected.shape}, got "
                           f"{expected[:, :-1].shape}: the last power x^{degree} is missing "
                           "(range(degree) stops one short)"),
        (x[:, None] * np.arange(degree + 1),
         "column k should be x to the power k, not x times k"),
    ])
    _diagnose(_attempt(polynomial_features_fn, x, 0), polynomial_features(x, 0),
              "x(s) for degree 0 (only the bias)")
    return f"shape {expected.shape}: the bias column, then x, x^2, x^3"


TRANSPOSE_HINT = "the gradient has one entry per feature: X.T @ (y - X theta), shape (D,)"


def _uses_x_instead_of_x_transposed(gradient_step_fn):
    """Whether the step computes X @ (y - X theta), which only runs when X is square."""
    rng = np.random.default_rng(1)
    X, y, theta, lr = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3), 0.1
    try:
        got = np.asarray(gradient_step_fn(theta.copy(), X.copy(), y.copy(), lr), dtype=float)
    except Exception:  # any crash: not this mistake
        return False
    step = lr * X @ (y - X @ theta)  # with every scale a student might use: 2/N, 1/N, 2, 1
    return got.shape == (3,) and any(np.allclose(got, theta + c * step) for c in (2 / 3, 1 / 3,
                                                                                  2, 1))


@_checker
def check_gradient_step(gradient_step_fn):
    """Check `gradient_step(theta, X, y, lr)`: one step of gradient descent on the MSE."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=7)  # N = 7 examples, D = 3 features
    theta, lr = np.array([0.5, -1.0, 2.0]), 0.1
    given = theta.copy()
    try:
        got = _attempt(gradient_step_fn, given, X.copy(), y.copy(), lr)
    except _Failed as failure:
        shapes = any(word in failure.verdict.message for word in ("matmul", "shape", "align"))
        if failure.verdict.passed is False and (shapes or
                                                 _uses_x_instead_of_x_transposed(gradient_step_fn)):
            raise _Failed(Verdict(False, f"{TRANSPOSE_HINT}, here (3,); X @ (y - X theta) "
                                         f"fails because X is (N, D) = (7, 3) "
                                         f"[{failure.verdict.message}]")) from None
        raise
    if not np.array_equal(given, theta):
        raise _Failed(Verdict(False, "your gradient_step changed theta in place (theta -= ... "
                                     "changes the caller's array too); return a new array: "
                                     "theta - lr * gradient"))
    expected = gradient_step(theta, X, y, lr)
    gradient = (theta - expected) / lr  # the true gradient -(2/N) X^T (y - X theta)
    n, d = X.shape
    if np.shape(got) in ((3, 1), (1, 3)):
        raise _Failed(Verdict(False, f"the new theta should have shape (D,) = (3,), got "
                                     f"{np.shape(got)}: flatten it or avoid column vectors"))
    if np.shape(got) == (n,):
        raise _Failed(Verdict(False, f"the new theta should have shape (D,) = (3,), got (N,) = "
                                     f"({n},): {TRANSPOSE_HINT}"))
    _diagnose(got, expected, "the new theta", mistakes=[
        (theta + lr * gradient, "sign error: gradient descent subtracts lr * gradient (it walks "
                                "downhill), and the gradient of the MSE is "
                                "-(2/N) X^T (y - X theta)"),
        (theta - lr * gradient / 2, "the step is half as long as it should be: you forgot the "
                                    "factor 2 from differentiating the square"),
        (theta - lr * gradient * n, "the step is N times too long: you forgot to divide by N "
                                    "(the loss is a mean, not a sum)"),
        (theta - lr * gradient * n / 2, "you forgot both the 2 and the 1/N of the MSE gradient"),
        (theta - lr * gradient * n / d, "you divided by D, the number of features (X.shape[1]); "
                                        "the mean is over the N examples: len(y) or X.shape[0]"),
        (gradient, "you returned the gradient; return the new parameters theta - lr * gradient"),
        (theta - gradient, "the learning rate is missing: theta - lr * gradient"),
    ])
    return "theta - lr * (-(2/N) X^T (y - X theta)), the MSE gradient step"


REFERENCE_SOLUTIONS = {check_polynomial_features: polynomial_features,
                       check_gradient_step: gradient_step}


# --- Notebook 02 ------------------------------------------------------------------------------

def _attempt_with_hint(function, hint, *args):
    """_attempt, adding `hint` when the student's function crashed."""
    try:
        return _attempt(function, *args)
    except _Failed as failure:
        if failure.verdict.passed is False:
            failure.verdict.message += f". {hint}"
        raise


@_checker
def check_relu(relu_fn):
    """Check `relu(z)` -> max(0, z) elementwise, same shape as z, input left unchanged."""
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]])
    original = z.copy()
    got = _attempt_with_hint(relu_fn, "Use np.maximum(z, 0), which compares entry by entry "
                                      "(Python's max and np.max do not)", z)
    if not np.array_equal(z, original):
        raise _Failed(Verdict(False, "your relu changed its input array in place; return a new "
                                     "array (np.maximum(z, 0) does)"))
    if np.size(got) < z.size:
        raise _Failed(Verdict(False, f"relu(z) should have the shape of z, {z.shape}, got "
                                     f"{np.shape(got)}: np.max(z, 0) takes the largest entry "
                                     "along an axis, np.maximum(z, 0) compares entry by entry"))
    expected = ff.relu(z)
    _diagnose(np.asarray(got, dtype=float), expected, "relu(z)", mistakes=[
        (z, "negative inputs should become 0: you returned z unchanged"),
        (np.abs(z), "negative inputs should become 0, not their absolute value"),
        (ff.relu_derivative(z), "you returned the derivative (0 or 1), not max(0, z)"),
    ])
    return "max(0, z) entry by entry"


@_checker
def check_relu_derivative(relu_derivative_fn):
    """Check `relu_derivative(z)` -> 1 where z > 0, 0 where z < 0 (0 or 1 at z = 0)."""
    z = np.array([[-2.0, -0.5, 0.25], [0.5, 3.0, -7.0]])
    got = _attempt(relu_derivative_fn, z.copy())
    expected = ff.relu_derivative(z)
    _diagnose(np.asarray(got, dtype=float), expected, "relu'(z)", mistakes=[
        (ff.relu(z), "you returned relu(z) itself; its derivative is the slope: 1 where "
                     "z > 0, 0 where z < 0"),
        (1.0 - expected, "the slope is 1 on the positive side and 0 on the negative side, "
                         "you have them swapped"),
        (np.sign(z), "the slope of relu is 0 for negative z, not -1"),
    ])
    at_kink = np.asarray(_attempt(relu_derivative_fn, np.zeros(1)), dtype=float)
    if at_kink.shape != (1,) or at_kink[0] not in (0.0, 1.0):
        raise _Failed(Verdict(False, f"relu'(0) should be 0 (or 1: the kink has no slope, "
                                     f"PyTorch uses 0), got {at_kink}"))
    return "1 where z > 0, 0 where z < 0: gradients pass only through active units"


@_checker
def check_dense_layer(dense_layer_fn):
    """Check `dense_layer(X, W, b)` -> tanh(X W + b) for a batch X (N, D_in)."""
    rng = np.random.default_rng(2)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    got = _attempt_with_hint(dense_layer_fn, f"The shapes are X {X.shape}, W {W.shape}, "
                                             f"b {b.shape}: the matrix product X @ W is (4, 2)",
                             X.copy(), W.copy(), b.copy())
    expected = ff.dense_layer(X, W, b)
    if np.shape(got) == (2, 4):
        raise _Failed(Verdict(False, "expected shape (N, D_out) = (4, 2), got (2, 4): one row "
                                     "per input in the batch, so compute X @ W, not W.T @ X.T"))
    _diagnose(got, expected, "the layer's output", mistakes=[
        (X @ W + b, "you returned the pre-activation X W + b; apply g = tanh to it"),
        (np.tanh(X @ W), "the bias b is missing: tanh(X @ W + b)"),
        (np.tanh(X @ W) + b, "add the bias before the activation: tanh(X @ W + b)"),
        (np.maximum(X @ W + b, 0), "this layer uses tanh, not ReLU"),
        (1 / (1 + np.exp(-(X @ W + b))), "this layer uses tanh, not the sigmoid"),
    ])
    return "tanh(X @ W + b): a whole batch through a layer in one matrix product"


@_checker
def check_parameter_count(count_fn):
    """Check `count_parameters_by_hand(sizes)` for MLPs with layer sizes [d_0, ..., d_L]."""
    for sizes in ([2, 64, 64, 1], [3, 5, 1], [1, 1]):
        got = _attempt(count_fn, list(sizes))
        if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)):
            raise _Failed(Verdict(False, f"return a whole number, got {type(got).__name__} "
                                         f"{got!r}"))
        expected = ff.count_mlp_parameters(sizes)
        pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
        weights = sum(a * b for a, b in pairs)
        if got == expected:
            continue
        last_in, last_out = pairs[-1]
        hints = {weights: "you counted the weights only; every unit of a layer also has a bias",
                 expected + sizes[0]: "the input layer has no bias: only layers that compute "
                                      "something have parameters",
                 weights + sum(a for a, _ in pairs): "a layer d_in -> d_out has d_out biases "
                                                     "(one per output unit), not d_in",
                 weights + sum(sizes): "the input layer has no bias: only layers that compute "
                                       "something have parameters",
                 expected - (last_in + 1) * last_out: f"the last layer ({last_in} -> {last_out},"
                                                      f" {(last_in + 1) * last_out} parameters)"
                                                      " is missing from your count"}
        hint = hints.get(got, "count, for each layer, d_in x d_out weights plus d_out biases")
        raise _Failed(Verdict(False, f"for layer sizes {sizes} expected {expected} parameters, "
                                     f"got {got}: {hint}"))
    return "sum over layers of d_in x d_out weights + d_out biases (4417 for 2-64-64-1)"


REFERENCE_SOLUTIONS.update({check_relu: ff.relu, check_relu_derivative: ff.relu_derivative,
                            check_dense_layer: ff.dense_layer,
                            check_parameter_count: ff.count_mlp_parameters})


# --- Notebook 03 ------------------------------------------------------------------------------

def _never_raises(check):
    """A checker that also turns any surprise in the student's result into a Verdict."""
    run = _checker(check)

    def guarded(function):
        try:
            return run(function)
        except Exception as error:  # an odd return value the checks did not foresee
            return Verdict(False, f"could not use what `{getattr(function, '__name__', '?')}` "
                                  f"returned ({type(error).__name__}: {error})")
    guarded.__name__, guarded.__doc__ = check.__name__, check.__doc__
    return guarded


def _unchanged(originals, given, what):
    for name, before, after in zip(what, originals, given, strict=True):
        if not np.array_equal(before, after):
            raise _Failed(Verdict(False, f"your function changed its argument `{name}` in place "
                                         "(e.g. with -= or +=); compute new arrays instead"))


def _pair(got, names, function):
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise _Failed(Verdict(False, f"`{function.__name__}` should return a tuple "
                                     f"({', '.join(names)}), got {type(got).__name__}"))
    return [np.asarray(g, dtype=float) if not isinstance(g, np.ndarray) else g for g in got]


@_never_raises
def check_linear_backward(linear_backward_fn):
    """Check `linear_backward(x, W, grad_out)` -> (dx, dW, db) against finite differences."""
    from .gradcheck import numerical_gradient, relative_error

    rng = np.random.default_rng(3)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    R = rng.normal(size=(4, 2))  # L = sum(R * y), so dL/dy = R

    def loss(x_, W_, b_):
        return float(np.sum(R * (x_ @ W_ + b_)))

    expected = {"dx": numerical_gradient(lambda v: loss(v, W, b), x.copy()),
                "dW": numerical_gradient(lambda v: loss(x, v, b), W.copy()),
                "db": numerical_gradient(lambda v: loss(x, W, v), b.copy())}
    given = [x.copy(), W.copy(), R.copy()]
    got = _attempt_with_hint(linear_backward_fn, "The shapes are x (4, 3), W (3, 2), grad_out "
                                                 "(4, 2): dx = grad_out @ W.T is (4, 3), "
                                                 "dW = x.T @ grad_out is (3, 2)", *given)
    _unchanged([x, W, R], given, ["x", "W", "grad_out"])
    got = dict(zip(expected, _pair(got, list(expected), linear_backward_fn), strict=True))
    n = len(x)
    mistakes = {
        "dx": [(-(R @ W.T), "dx has the wrong sign"),
               ((R @ W.T) / n, "dx is divided by the batch size; each example's dx is its own "
                               "row of grad_out @ W.T")],
        "dW": [(-(x.T @ R), "dW has the wrong sign"),
               ((x.T @ R) / n, "dW is divided by the batch size: backward sums over the batch "
                               "(the loss already holds any 1/N)"),
               (x[:1].T @ R[:1], "dW uses only the first example: x.T @ grad_out sums over "
                                 "all N")],
        "db": [(R, "db has one row per example: sum grad_out over the batch (axis=0)"),
               (R.mean(axis=0), "db is the mean over the batch; backward sums: "
                                "grad_out.sum(axis=0)"),
               (-R.sum(axis=0), "db has the wrong sign"),
               (R.sum(axis=1), "db sums over the wrong axis: sum over the batch, axis=0")],
    }
    transposes = {"dW": (R.T @ x, "dW is transposed: it must have W's shape (in, out) = (3, 2);"
                                  " dW = x.T @ grad_out"),
                  "dx": (W @ R.T, "dx is transposed: it must have x's shape (N, in) = (4, 3);"
                                  " dx = grad_out @ W.T")}
    report = []
    for name, want in expected.items():
        have = got[name]
        if name in transposes and have.shape == transposes[name][0].shape \
                and np.allclose(have, transposes[name][0]):
            raise _Failed(Verdict(False, transposes[name][1]))
        _diagnose(have, want, name, mistakes=mistakes[name], atol=1e-6)
        report.append(f"{name} {relative_error(have, want):.0e}")
    return ("dx = grad_out W^T, dW = x^T grad_out, db = grad_out summed over the batch; "
            "relative errors against finite differences: " + ", ".join(report))


@_never_raises
def check_momentum_step(momentum_step_fn):
    """Check `momentum_step(theta, velocity, gradient, lr, beta)` -> (theta, velocity)."""
    from .training import momentum_step

    theta, velocity = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.2])
    gradient, lr, beta = np.array([0.4, -1.0, 2.0]), 0.05, 0.8  # lr != 1 - beta
    given = [theta.copy(), velocity.copy(), gradient.copy()]
    got = _attempt(momentum_step_fn, *given, lr, beta)
    _unchanged([theta, velocity, gradient], given, ["theta", "velocity", "gradient"])
    new_theta, new_velocity = _pair(got, ["theta", "velocity"], momentum_step_fn)
    want_theta, want_velocity = momentum_step(theta, velocity, gradient, lr, beta)
    _diagnose(new_velocity, want_velocity, "the new velocity", mistakes=[
        (velocity, "the velocity did not change: v <- beta v + g"),
        (gradient, "the new velocity is just the gradient: it should remember the old one, "
                   "v <- beta v + g"),
        (beta * velocity + lr * gradient, "you scaled the gradient by lr inside the velocity; "
                                          "here (as in optim.SGD) v <- beta v + g and lr "
                                          "multiplies v in the update"),
        ((1 - beta) * velocity + beta * gradient, "beta and 1 - beta are swapped, and optim.SGD "
                                                  "does not scale g: v <- beta v + g"),
        (beta * velocity + (1 - beta) * gradient, "that is an average (1 - beta) g; optim.SGD's "
                                                  "momentum adds the whole gradient: "
                                                  "v <- beta v + g"),
        (beta * (velocity + gradient), "beta multiplies only the old velocity: v <- beta v + g"),
    ])
    _diagnose(new_theta, want_theta, "the new theta", mistakes=[
        (theta - lr * gradient, "the update ignores the velocity: theta <- theta - lr v"),
        (theta - lr * velocity, "the update uses the old velocity; update v first, then "
                                "theta <- theta - lr v with the new v"),
        (theta + lr * want_velocity, "sign error: theta <- theta - lr v (downhill)"),
        (theta - want_velocity, "the learning rate is missing: theta <- theta - lr v"),
    ])
    return "v <- beta v + g, then theta <- theta - lr v (optim.SGD's momentum)"


@_never_raises
def check_minibatches(minibatches_fn):
    """Check `minibatches(n_samples, batch_size, rng)`: one epoch without replacement."""
    n, size = 10, 4

    def epoch(rng, n=n, size=size):
        got = _attempt(minibatches_fn, n, size, rng)
        if isinstance(got, np.ndarray) and got.ndim == 1:
            raise _Failed(Verdict(False, "return a list of index arrays, one per batch, not one "
                                         "flat array"))
        batches = [np.asarray(batch) for batch in got]
        if not all(b.ndim == 1 and np.issubdtype(b.dtype, np.integer) for b in batches):
            raise _Failed(Verdict(False, "each batch should be a 1-D array of integer indices"))
        return batches

    batches = epoch(np.random.default_rng(0))
    every = np.concatenate(batches) if batches else np.zeros(0, dtype=int)
    counts = np.bincount(every[(every >= 0) & (every < n)], minlength=n)
    if ((every < 0) | (every >= n)).any():
        raise _Failed(Verdict(False, f"indices must lie in 0..{n - 1}, got {every.min()}.."
                                     f"{every.max()}"))
    if (counts > 1).any():
        raise _Failed(Verdict(False, f"sample {int(np.argmax(counts))} is drawn "
                                     f"{int(counts.max())} times in one epoch: you drew with "
                                     "replacement; cut one permutation (rng.permutation) into "
                                     "batches instead"))
    if (counts == 0).any():
        hint = (" (the last, smaller batch was dropped: keep it)" if every.size == n - n % size
                else "")
        raise _Failed(Verdict(False, f"{int((counts == 0).sum())} of the {n} samples are never "
                                     f"drawn in the epoch{hint}"))
    sizes = [len(b) for b in batches]
    if sizes != [size] * (n // size) + ([n % size] if n % size else []):
        raise _Failed(Verdict(False, f"for n_samples={n}, batch_size={size} the batch sizes "
                                     f"should be [4, 4, 2], got {sizes}"))
    if np.array_equal(every, np.arange(n)):
        raise _Failed(Verdict(False, "the batches are in order 0, 1, 2, ...: shuffle the "
                                     "indices first (rng.permutation)"))
    again = np.concatenate(epoch(np.random.default_rng(0)))
    if not np.array_equal(every, again):
        raise _Failed(Verdict(False, "the same seed gave a different order: draw from the `rng` "
                                     "argument, not from np.random"))
    rng = np.random.default_rng(1)
    first, second = (np.concatenate(epoch(rng)) for _ in range(2))
    if np.array_equal(first, second):
        raise _Failed(Verdict(False, "two epochs from one generator came in the same order: "
                                     "draw a fresh permutation each call"))
    whole = epoch(np.random.default_rng(2), n=8, size=8)
    if [len(b) for b in whole] != [8]:
        raise _Failed(Verdict(False, "with batch_size = n_samples there should be one batch of "
                                     "all the samples (that is gradient descent)"))
    return "each sample exactly once per epoch, in a new random order every epoch"


def _reference_training():
    from . import training as tr
    return {check_linear_backward: tr.linear_backward, check_momentum_step: tr.momentum_step,
            check_minibatches: tr.minibatches}


REFERENCE_SOLUTIONS.update(_reference_training())
