"""Notebook 04's demos: each compute function gives the numbers the notebook claims."""

import itertools

import numpy as np
import pytest

from lecture_utils import convolution as cv
from lecture_utils import nn

pytestmark = pytest.mark.usefixtures("no_warnings")  # a warning fails the test


def slide_formula(x, W, i, j):
    """y_ij = sum_{a=1..k} sum_{b=1..k} W_ab x_(i+a-1, j+b-1), written with 1-based indices."""
    k = W.shape[0]
    return sum(W[a - 1, b - 1] * x[i + a - 2, j + b - 2]
               for a in range(1, k + 1) for b in range(1, k + 1))


def conv2d_layer(W, padding=0, stride=1):
    """nn.Conv2d with one input and one output channel, weight W and no bias."""
    layer = nn.Conv2d(1, 1, W.shape[0], stride=stride, padding=padding)
    layer.weight.data[0, 0] = W
    layer.bias.data[:] = 0.0
    return layer


# --- 1. the formula --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_stepper_equals_the_slide_formula_and_nn_conv2d(k):
    rng = np.random.default_rng(k)
    x, W = rng.normal(size=(7, 8)), rng.normal(size=(k, k))
    y = cv.correlate2d(x, W)
    by_hand = np.array([[slide_formula(x, W, i, j) for j in range(1, 8 - k + 2)]
                        for i in range(1, 7 - k + 2)])
    np.testing.assert_allclose(y, by_hand, atol=1e-12)
    np.testing.assert_allclose(y, conv2d_layer(W)(x[None, None])[0, 0], atol=1e-12)
    for i, j in [(1, 1), (7 - k + 1, 8 - k + 1), (2, 1)]:
        if i <= y.shape[0] and j <= y.shape[1]:
            value, patch = cv.correlation_entry(x, W, i, j)
            assert value == pytest.approx(slide_formula(x, W, i, j), abs=1e-12)
            np.testing.assert_array_equal(patch, x[i - 1:i - 1 + k, j - 1:j - 1 + k])


@pytest.mark.parametrize("padding, stride", list(itertools.product([0, 1, 2], [1, 2, 3])))
def test_padding_and_stride_agree_with_nn_conv2d(padding, stride):
    rng = np.random.default_rng(10 * padding + stride)
    x, W = rng.normal(size=(9, 7)), rng.normal(size=(3, 3))
    y = cv.correlate2d(x, W, padding, stride)
    np.testing.assert_allclose(y, conv2d_layer(W, padding, stride)(x[None, None])[0, 0],
                               atol=1e-12)
    for i, j in itertools.product(range(1, y.shape[0] + 1), range(1, y.shape[1] + 1)):
        assert cv.correlation_entry(x, W, i, j, padding, stride)[0] == pytest.approx(
            y[i - 1, j - 1], abs=1e-12)


def test_output_size_formula_holds_over_a_grid_of_settings():
    rng = np.random.default_rng(0)
    checked = 0
    for n, k, p, s in itertools.product(range(1, 13), range(1, 6), range(0, 3), range(1, 4)):
        if k > n + 2 * p:
            with pytest.raises(ValueError, match="larger than the padded image"):
                cv.output_size(n, k, p, s)
            continue
        size = cv.output_size(n, k, p, s)
        assert size == (n + 2 * p - k) // s + 1
        y = cv.correlate2d(rng.normal(size=(n, n)), rng.normal(size=(k, k)), p, s)
        assert y.shape == (size, size)
        checked += 1
    assert checked > 500


def test_true_convolution_flips_the_kernel():
    rng = np.random.default_rng(3)
    x, W = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    assert not np.allclose(cv.true_convolution2d(x, W), cv.correlate2d(x, W))
    np.testing.assert_allclose(cv.true_convolution2d(x, W), cv.correlate2d(x, W[::-1, ::-1]))
    symmetric = np.ones((3, 3))
    np.testing.assert_allclose(cv.true_convolution2d(x, symmetric), cv.correlate2d(x, symmetric))


def test_an_entry_outside_the_output_is_refused():
    with pytest.raises(ValueError, match="outside the 5x5 output"):
        cv.correlation_entry(np.zeros((7, 7)), np.ones((3, 3)), 6, 1)


# --- 2. parameter sharing ------------------------------------------------------------------------


def test_calculator_gives_the_slides_two_counts():
    # a 128x128 RGB image: a dense layer of 128 units against sixteen 5x5 filters
    assert cv.dense_parameter_count(128, 3, 128) == 6_291_584
    assert cv.conv_parameter_count(3, 16, 5) == 1_216


def test_parameter_counts_equal_the_engine_layers():
    assert cv.conv_parameter_count(3, 16, 5) == nn.count_parameters(nn.Conv2d(3, 16, 5))
    assert cv.dense_parameter_count(8, 3, 10) == nn.count_parameters(nn.Linear(8 * 8 * 3, 10))


# --- 3. equivariance ---------------------------------------------------------------------------


def test_shift_image_moves_the_pixels_and_fills_with_zeros():
    x = np.arange(16.0).reshape(4, 4)
    shifted = cv.shift_image(x, 1, -1)
    np.testing.assert_array_equal(shifted[1:, :3], x[:3, 1:])
    assert (shifted[0] == 0).all() and (shifted[:, 3] == 0).all()
    np.testing.assert_array_equal(cv.shift_image(x, 0, 0), x)
