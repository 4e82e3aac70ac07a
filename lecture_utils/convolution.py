"""Notebook 04, convolutional networks: the formula stepped through, parameter sharing, the maze.

A convolutional layer slides one small filter (kernel) W over the image and computes, at every
output position, the slide's cross-correlation (MARL book, chapter 7)

    y_ij = sum_a sum_b W_ab x_(i+a-1, j+b-1)        (indices from 1, as on the slide)

The same few weights serve every position (parameter sharing), so the layer finds a pattern
wherever it is (translation equivariance). The demos, each a plain compute function, a view
drawn in place and a panel:

1. `step_convolution`: one output entry y_ij with its numbers filled in, the output map
   filling in, preset and typed kernels, padding and stride with the output-size formula.
2. `count_parameters_fc_vs_conv`: a fully connected input layer against a convolutional one.
3. `equivariance`: shift a pattern; the feature map shifts with it, a dense layer's does not.
4. `generalisation`: which moves are blocked, learned from the maze's images of the visited
   states only; a CNN carries it to the unvisited states, an MLP on the flat image cannot.
5. `value_generalisation`: the same comparison on V^pi, where it does not help.
"""

import numpy as np

# --- 1. The formula -----------------------------------------------------------------------------


def output_size(n, kernel_size, padding=0, stride=1):
    """Rows (or columns) of the output: floor((n + 2 padding - kernel_size) / stride) + 1."""
    if kernel_size > n + 2 * padding:
        raise ValueError(f"the kernel ({kernel_size}x{kernel_size}) is larger than the padded "
                         f"image ({n + 2 * padding} = {n} + 2 x {padding} padding)")
    if stride < 1 or padding < 0 or kernel_size < 1:
        raise ValueError(f"need kernel_size >= 1, padding >= 0 and stride >= 1, got "
                         f"{kernel_size}, {padding}, {stride}")
    return (n + 2 * padding - kernel_size) // stride + 1


def pad(x, padding):
    """The image x (H, W) with `padding` rows and columns of zeros around it; a new array."""
    return np.pad(np.asarray(x, dtype=float), padding)


def correlate2d(x, W, padding=0, stride=1):
    """The slide's cross-correlation of one image x (H, W) with one kernel W (k, k).

    y[i, j] = sum_a sum_b W[a, b] x_pad[i * stride + a, j * stride + b] (indices from 0 here),
    x_pad the image with `padding` zeros around it; y has output_size(H), output_size(W).
    The kernel is not flipped: that would be a true convolution.
    """
    W = np.asarray(W, dtype=float)
    k = W.shape[0]
    xp = pad(x, padding)
    rows, cols = (output_size(n, k, padding, stride) for n in np.shape(x))
    y = np.zeros((rows, cols))
    for a in range(k):  # k^2 shifted copies of the image, each weighted by one W_ab
        for b in range(k):
            y += W[a, b] * xp[a:a + stride * rows:stride, b:b + stride * cols:stride]
    return y


def correlation_entry(x, W, i, j, padding=0, stride=1):
    """One output entry y_ij, i and j counted from 1 as on the slide; returns (value, patch).

    patch (k, k) is the part of the padded image that the kernel covers for this entry.
    """
    W = np.asarray(W, dtype=float)
    k = W.shape[0]
    rows, cols = (output_size(n, k, padding, stride) for n in np.shape(x))
    if not (1 <= i <= rows and 1 <= j <= cols):
        raise ValueError(f"(i, j) = ({i}, {j}) is outside the {rows}x{cols} output")
    top, left = (i - 1) * stride, (j - 1) * stride
    patch = pad(x, padding)[top:top + k, left:left + k]
    return float(np.sum(W * patch)), patch


def true_convolution2d(x, W, padding=0, stride=1):
    """Convolution as in signal processing: the kernel flipped in both axes, then correlated."""
    return correlate2d(x, np.asarray(W, dtype=float)[::-1, ::-1], padding, stride)


# --- 2. Parameter sharing, counted ---------------------------------------------------------------


def dense_parameter_count(image_size, channels, hidden_units):
    """A fully connected layer on the flattened image: one weight per pixel and unit, + biases."""
    return image_size * image_size * channels * hidden_units + hidden_units


def conv_parameter_count(in_channels, out_channels, kernel_size):
    """A convolutional layer: each filter has k x k weights per input channel and one bias.

    The image size does not appear: the same filters slide over an image of any size.
    """
    return out_channels * (in_channels * kernel_size * kernel_size + 1)


# --- 3. Translation equivariance ------------------------------------------------------------------


def shift_image(x, rows=0, cols=0):
    """x (H, W) moved `rows` down and `cols` right; what moves out is lost, zeros come in."""
    x = np.asarray(x, dtype=float)
    shifted = np.zeros_like(x)
    H, W = x.shape
    src_r, dst_r = slice(max(-rows, 0), H - max(rows, 0)), slice(max(rows, 0), H - max(-rows, 0))
    src_c, dst_c = slice(max(-cols, 0), W - max(cols, 0)), slice(max(cols, 0), W - max(-cols, 0))
    shifted[dst_r, dst_c] = x[src_r, src_c]
    return shifted
