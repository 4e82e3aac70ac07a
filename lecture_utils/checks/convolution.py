"""Checkers for notebook 04: the slide's correlation, the output size, a conv layer's parameters."""

import numpy as np

from .. import convolution as cv
from .verdict import Failed, call, checker, describe, diagnose


@checker(reference=cv.correlate2d)
def check_correlate2d(correlate_fn):
    """Check `correlate(x, W)` -> y_ij = sum_a sum_b W_ab x_(i+a-1, j+b-1), no padding, stride 1."""
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, size=(5, 6)).astype(float)  # not square: rows differ from columns
    W = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [-2.0, 0.0, 1.0]])  # no symmetry at all
    got = call(correlate_fn, x, W,
               hint="x is 5x6 and W is 3x3; the output is (5 - 3 + 1) x (6 - 3 + 1) = 3 x 4")
    valid = cv.correlate2d
    diagnose(got, valid(x, W), "the output map", mistakes=[
        (cv.true_convolution2d(x, W), "the kernel is flipped: that is a true convolution, "
                                      "sum_ab W_ab x_(i-a+1, j-b+1). The slide's formula (and "
                                      "nn.Conv2d) takes W_ab x_(i+a-1, j+b-1), kernel as it is"),
        (valid(x, W[::-1]), "the kernel's rows are in reverse order: W_ab multiplies "
                            "x_(i+a-1, j+b-1), row a of W with row i+a-1 of x"),
        (valid(x, W[:, ::-1]), "the kernel's columns are in reverse order: W_ab multiplies "
                               "x_(i+a-1, j+b-1), column b of W with column j+b-1 of x"),
        (valid(x, W.T), "the kernel is transposed: W_ab belongs to row a and column b"),
        (cv.correlate2d(x, W, padding=1), "the output is as large as the image: that needs "
                                          "padding 1; here the kernel stays inside x"),
        (valid(x, W)[:-1, :-1], "the last row and column are missing: the kernel fits "
                                "n - k + 1 times along a side, not n - k"),
        (valid(x, np.ones((3, 3))), "the patch is summed without the kernel's weights"),
        (-valid(x, W), "every entry has the wrong sign: y_ij adds the products W_ab x_.., "
                       "it does not subtract them"),
        (valid(x, W).T, "rows and columns are swapped: y has x.shape[0] - k + 1 rows and "
                        "x.shape[1] - k + 1 columns, and y[i, j] sees rows i.. and columns "
                        "j.. of x"),
        (valid(np.roll(x, (1, 1), axis=(0, 1)), W),
         "the slide counts from 1, numpy from 0: with i, j, a, b all from 0 the entry is "
         "W[a, b] * x[i + a, j + b]; x[i + a - 1] starts one row too high (and index -1 is "
         "the last row)"),
    ])
    return "y_ij = sum_a sum_b W_ab x_(i+a-1, j+b-1): the kernel slides unflipped, as in nn.Conv2d"


def _whole_number(got, what):
    """`got` as an int if it is a whole number (int, or a float with no fraction); else Failed."""
    if isinstance(got, np.ndarray) and got.shape == () and type(got) is np.ndarray:
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.integer,
                                                                 np.floating)):
        raise Failed(f"return {what}, one whole number, got {describe(got)}")
    if not np.isfinite(got) or float(got) != int(got):
        raise Failed(f"{what} must be a whole number, got {float(got):.6g}: round down, "
                     "with // (the kernel cannot stop part-way)")
    return int(got)


OUTPUT_SIZE_MISTAKES = (  # a wrong formula and what it forgets, tried on every case
    (lambda n, k, p, s: (n + 2 * p - k) // s, "the +1 is missing: with the kernel at the "
                                              "first position there is already one output"),
    (lambda n, k, p, s: (n + p - k) // s + 1, "padding adds p zeros on both sides: 2p in all"),
    (lambda n, k, p, s: (n - k) // s + 1, "the padding is missing: it makes the image n + 2p "
                                          "wide"),
    (lambda n, k, p, s: n + 2 * p - k + 1, "the stride is missing: the kernel moves s cells "
                                           "per step"),
    (lambda n, k, p, s: -((n + 2 * p - k) // -s) + 1, "that rounds up: a kernel that would "
                                                      "stick out of the padded image gives no "
                                                      "output, round down"),
    (lambda n, k, p, s: (n - 2 * p - k) // s + 1, "padding makes the image larger, not "
                                                  "smaller"),
    (lambda n, k, p, s: (n + 2 * p - k) // s - 1, "that is -1 where it should be +1: the "
                                                  "kernel's first position already gives one "
                                                  "output, each step of s one more"),
    (lambda n, k, p, s: (n + 2 * p + k) // s + 1, "the kernel's width is subtracted, not "
                                                  "added: it must fit inside the padded "
                                                  "image, n + 2p - k cells are left to move"),
)


@checker(reference=cv.output_size)
def check_output_size(size_fn):
    """Check `output_size(n, kernel_size, padding, stride)` on a few settings."""
    cases = ((7, 3, 0, 1), (7, 3, 1, 2), (10, 5, 2, 3), (28, 5, 0, 2), (9, 4, 1, 3))
    got = [_whole_number(call(size_fn, *case), "the output size") for case in cases]
    for case, value in zip(cases, got, strict=True):
        if value != cv.output_size(*case):
            break
    else:
        return "floor((n + 2p - k) / s) + 1, the formula nn.Conv2d follows"
    hint = next((message for formula, message in OUTPUT_SIZE_MISTAKES
                 if [formula(*c) for c in cases] == got),
                "count how many positions the kernel takes along one side")
    n, k, p, s = case
    raise Failed(f"for n={n}, kernel_size={k}, padding={p}, stride={s}, {value} is not right: "
                 f"{hint}")


@checker(reference=cv.conv_parameter_count)
def check_conv_parameter_count(count_fn):
    """Check `conv_parameter_count(in_channels, out_channels, kernel_size)` on a few sizes."""
    for C, F, k in ((3, 16, 5), (1, 8, 3), (4, 2, 1), (2, 5, 3)):
        want = cv.conv_parameter_count(C, F, k)
        got = _whole_number(call(count_fn, C, F, k), "the parameter count")
        if got == want:
            continue
        hints = {F * C * k * k: "the biases are missing: every filter has one",
                 F * (k * k + 1): "the input channels are missing: a filter has a k x k "
                                  "kernel for each input channel",
                 F * C * (k * k + 1): "there is one bias per filter, not one per filter and "
                                      "input channel",
                 F * (C * k + 1): "a kernel has k x k weights, not k",
                 C * (F * k * k + 1): "in and out channels are swapped: there are "
                                      "out_channels filters, each seeing in_channels channels",
                 F * C * k * k + 1: "each filter has its own bias, not one for the layer"}
        hint = hints.get(got, "count one filter (weights for every input channel, and a bias), "
                              "then multiply by the number of filters")
        raise Failed(f"for in_channels={C}, out_channels={F}, kernel_size={k}, {got} is not "
                     f"right: {hint}")
    return "out_channels x (in_channels x k x k + 1), whatever the image size"
