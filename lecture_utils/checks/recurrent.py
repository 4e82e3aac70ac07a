"""Checkers for notebook 05: one RNN step, the parameter count of an RNN, BPTT over two steps."""

import numpy as np

from .. import recurrent as rc
from .verdict import Failed, call, checker, describe, diagnose


@checker(reference=rc.rnn_step)
def check_rnn_step(rnn_step_fn):
    """Check `rnn_step(x, h, W_ih, W_hh, b)` -> tanh(x W_ih + h W_hh + b), shapes (N, H)."""
    rng = np.random.default_rng(5)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))  # D = 3 != H = 4: shapes tell
    W_ih, W_hh, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    got = call(rnn_step_fn, x, h, W_ih, W_hh, b,
               hint="The shapes are x (2, 3), h (2, 4), W_ih (3, 4), W_hh (4, 4), b (4,): "
                    "x @ W_ih and h @ W_hh are both (2, 4)")
    pre = x @ W_ih + h @ W_hh + b
    diagnose(got, np.tanh(pre), "the new hidden state", mistakes=[
        (np.tanh(x @ W_ih + h @ W_hh.T + b), "W_hh is transposed: the convention here is "
                                             "h W_hh, rows of W_hh belong to the old state"),
        (np.tanh(x @ W_ih + h @ W_hh), "the bias b is missing"),
        (pre, "the tanh is missing: without it the cell is linear"),
        (x @ W_ih + h @ W_hh, "both the tanh and the bias are missing"),
        (np.tanh(x @ W_ih + b), "the old hidden state h is not used: that is a feedforward "
                                "layer, it remembers nothing"),
        (np.tanh(x @ W_ih + h + b), "h is added without its weight matrix W_hh"),
        (np.tanh(x @ W_ih - h @ W_hh + b), "h W_hh enters with a minus sign: the three terms "
                                           "x W_ih, h W_hh and b are added"),
        (np.tanh(x @ W_ih + h @ W_hh - b), "the bias enters with a minus sign: it is added"),
        (-np.tanh(pre), "the whole state has the wrong sign: h^t = tanh(...), no minus"),
        (np.maximum(pre, 0), "that is a ReLU; this cell squashes with tanh"),
        (1 / (1 + np.exp(-pre)), "that is a sigmoid; this cell squashes with tanh"),
        (np.tanh(x @ W_ih) + np.tanh(h @ W_hh) + b, "the tanh must act on the whole sum "
                                                    "x W_ih + h W_hh + b, once"),
    ])
    return "h^t = tanh(x^t W_ih + h^(t-1) W_hh + b), the step nn.RNN repeats"


@checker(reference=rc.rnn_parameter_count)
def check_rnn_parameter_count(count_fn):
    """Check `rnn_parameter_count(input_size, hidden_size, length)` on a few sizes."""
    for D, H, T in ((3, 4, 10), (2, 8, 50), (5, 1, 7)):
        got = call(count_fn, D, H, T)
        if isinstance(got, (bool, np.bool_)) or \
                not isinstance(got, (int, np.integer, float, np.floating)):
            raise Failed(f"return one whole number, got {describe(got)}")
        want = rc.rnn_parameter_count(D, H, T)
        hints = {want * T: "you counted the parameters once per time step, but every step "
                           "uses the same ones",
                 (D * H + H) * T + H * H: "the input weights and bias are shared over time "
                                          "too, like W_hh",
                 D * H + H * H: "the bias b is missing",
                 D * H + H: "W_hh (hidden to hidden) is missing: without it there is no "
                            "recurrence",
                 H * H + H: "W_ih (input to hidden) is missing",
                 D * H + D * D + H: "W_hh maps the hidden state to the hidden state: it is "
                                    "H x H, not D x D",
                 D * H + H * H + D: "the bias has one entry per hidden unit, not per input",
                 D * H + H * H + 2 * H: "this cell has one bias b of H entries; you counted "
                                        "H more (PyTorch's nn.RNN keeps two, b_ih and b_hh, "
                                        "but they only ever act as their sum)"}
        if got != want:
            hint = hints.get(got, "count each matrix (rows x columns) and the bias once")
            raise Failed(f"for input_size={D}, hidden_size={H}, length={T}, {got} is not "
                         f"right: {hint}")
    return "D H + H H + H, whatever the length: the parameters are shared over time"


@checker(reference=rc.bptt_two_steps)
def check_bptt_two_steps(gradient_fn):
    """Check `bptt_two_steps(x1, x2, h0, w, u)` -> dL/dw for L = h_2 of a scalar RNN."""
    x1, x2, h0, w, u = 0.7, -0.4, 0.5, 0.8, 1.3
    got = call(gradient_fn, x1, x2, h0, w, u)
    if isinstance(got, np.ndarray) and got.shape == () and type(got) is np.ndarray:
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer,
                                                                 np.floating)):
        raise Failed(f"return one number, dL/dw, got {describe(got)}")
    h1 = np.tanh(w * h0 + u * x1)
    h2 = np.tanh(w * h1 + u * x2)
    d1, d2 = 1 - h1 ** 2, 1 - h2 ** 2
    mistakes = [
        (d2 * h1, "that is only the last step's direct part: w also acts at step 1, and h_1 "
                  "depends on it"),
        (d2 * (h1 + d1 * h0), "the path through h_1 must be multiplied by dh_2/dh_1, which "
                              "contains w"),
        (d2 * (h1 + w * h0), "the tanh derivative of step 1, 1 - h_1^2, is missing"),
        (h1 + w * d1 * h0, "the tanh derivative of step 2, 1 - h_2^2, is missing"),
        (h1 + w * h0, "both tanh derivatives are missing"),
        (d2 * w * d1 * h0, "the direct part of step 2, (1 - h_2^2) h_1, is missing"),
        (-d2 * (h1 + w * d1 * h0), "the sign is wrong"),
        (d2 * (x2 + w * d1 * x1), "that is dL/du, the gradient of the input weight u; the "
                                  "exercise asks for the recurrent weight w"),
    ]
    got = float(got)
    if not np.isclose(got, rc.bptt_two_steps(x1, x2, h0, w, u), rtol=1e-7, atol=1e-10):
        for wrong, message in mistakes:
            if np.isclose(got, wrong, rtol=1e-7, atol=1e-10):
                raise Failed(message)
        raise Failed(f"dL/dw = {got:.6g} is not right: write h_2 = tanh(w h_1 + u x_2) with "
                     "h_1 = tanh(w h_0 + u x_1), and apply the chain rule to both places "
                     "where w appears")
    return ("dL/dw = (1 - h_2^2) (h_1 + w (1 - h_1^2) h_0): the shared weight collects a "
            "gradient from every step it acts at")
