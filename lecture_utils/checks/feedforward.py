"""Checkers for notebook 02: ReLU and its derivative, a dense layer, counting parameters."""

import numpy as np

from .. import feedforward as ff
from .loops import loops_in
from .verdict import Failed, as_array, call, checker, describe, diagnose


@checker(reference=ff.relu)
def check_relu(relu_fn):
    """Check `relu(z)` -> max(0, z) elementwise, same shape as z, input left unchanged."""
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]])
    got = as_array(call(relu_fn, z, hint="Python's max and np.max return the largest value; "
                                         "you need the larger of z and 0 entry by entry"),
                   "relu(z)")
    if got.size < z.size:
        raise Failed(f"relu(z) should have the shape of z, {z.shape}, got {got.shape}: "
                     "np.max(z, 0) takes the largest entry along an axis; you need the larger "
                     "of z and 0 entry by entry")
    diagnose(got, ff.relu(z), "relu(z)", mistakes=[
        (z, "negative inputs should become 0: you returned z unchanged"),
        (np.abs(z), "negative inputs should become 0, not their absolute value"),
        (ff.relu_derivative(z), "you returned the derivative (0 or 1), not max(0, z)"),
    ])
    return "max(0, z) entry by entry"


@checker(reference=ff.relu_derivative)
def check_relu_derivative(relu_derivative_fn):
    """Check `relu_derivative(z)` -> 1 where z > 0, 0 where z < 0 (0 or 1 at z = 0)."""
    z = np.array([[-2.0, -0.5, 0.25], [0.5, 3.0, -7.0]])
    expected = ff.relu_derivative(z)
    diagnose(call(relu_derivative_fn, z), expected, "relu'(z)", mistakes=[
        (ff.relu(z), "you returned relu(z) itself; its derivative is the slope: 1 where "
                     "z > 0, 0 where z < 0"),
        (1.0 - expected, "the slope is 1 on the positive side and 0 on the negative side, "
                         "you have them swapped"),
        (np.sign(z), "the slope of relu is 0 for negative z, not -1"),
    ])
    at_kink = as_array(call(relu_derivative_fn, np.zeros(1)), "relu'(0)")
    if at_kink.shape != (1,) or at_kink[0] not in (0.0, 1.0):
        raise Failed(f"relu'(0) should be 0 (or 1: the kink has no slope, PyTorch uses 0), got "
                     f"{at_kink} for z = [0.]")
    return "1 where z > 0, 0 where z < 0: gradients pass only through active units"


@checker(reference=ff.dense_layer)
def check_dense_layer(dense_layer_fn):
    """Check `dense_layer(X, W, b)` -> tanh(X W + b) for a batch X (N, D_in), without loops."""
    rng = np.random.default_rng(2)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    got = as_array(call(dense_layer_fn, X, W, b, hint=f"The shapes are X {X.shape}, W {W.shape}, "
                                                      f"b {b.shape}: the matrix product X @ W is "
                                                      "(4, 2)"), "the layer's output")
    if got.shape == (2, 4):
        raise Failed("expected shape (N, D_out) = (4, 2), got (2, 4): one row per input in the "
                     "batch, so compute X @ W, not W.T @ X.T")
    diagnose(got, ff.dense_layer(X, W, b), "the layer's output", mistakes=[
        (X @ W + b, "you returned the pre-activation X W + b; apply g = tanh to it"),
        (np.tanh(X @ W), "the bias b is missing: tanh(X @ W + b)"),
        (np.tanh(X @ W) + b, "add the bias before the activation: tanh(X @ W + b)"),
        (np.maximum(X @ W + b, 0), "this layer uses tanh, not ReLU"),
        (1 / (1 + np.exp(-(X @ W + b))), "this layer uses tanh, not the sigmoid"),
    ])
    loops = loops_in(dense_layer_fn)  # None when the source is unavailable: rule skipped
    if loops:
        kind, line = loops[0]
        raise Failed(f"the numbers are right, but the exercise says no loops and your function "
                     f"has {kind} (`{line}`): X @ W multiplies every row of the batch at once")
    return "tanh(X @ W + b): a whole batch through a layer in one matrix product"


def _parameter_count_hint(sizes, got, expected):
    """What a wrong count most likely forgot or added, for layer sizes `sizes`."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=False))
    weights = sum(a * b for a, b in pairs)
    last_in, last_out = pairs[-1]
    hints = {weights: "you counted the weights only; every unit of a layer also has a bias",
             expected + sizes[0]: "the input layer has no bias: only layers that compute "
                                  "something have parameters",
             weights + sum(a for a, _ in pairs): "a layer d_in -> d_out has d_out biases "
                                                 "(one per output unit), not d_in",
             weights + sum(sizes): "the input layer has no bias: only layers that compute "
                                   "something have parameters",
             expected - (last_in + 1) * last_out: f"the last layer ({last_in} -> {last_out}, "
                                                  f"{(last_in + 1) * last_out} parameters) is "
                                                  "missing from your count"}
    return hints.get(got, "for each pair of neighbouring layers, count the weights (one per "
                          "connection) and the biases (one per unit that computes something)")


@checker(reference=ff.count_mlp_parameters)
def check_parameter_count(count_fn):
    """Check `count_parameters_by_hand(sizes)` for MLPs with layer sizes [d_0, ..., d_L]."""
    for sizes in ([2, 64, 64, 1], [3, 5, 1], [1, 1]):
        got = call(count_fn, sizes)
        if isinstance(got, (bool, np.bool_)) or \
                not isinstance(got, (int, np.integer, float, np.floating)):
            raise Failed(f"return a whole number, got {describe(got)}")
        expected = ff.count_mlp_parameters(sizes)
        if got != expected:
            raise Failed(f"for layer sizes {sizes} expected {expected} parameters, got {got}: "
                         f"{_parameter_count_hint(sizes, got, expected)}")
    return "sum over layers of d_in x d_out weights + d_out biases (4417 for 2-64-64-1)"
