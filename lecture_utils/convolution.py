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

from dataclasses import dataclass

import numpy as np

from . import maze as mz
from . import nn
from .optim import Adam
from .running_example import maze_setting
from .train import train

# --- 1. The formula ----------------------------------------------


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


# --- 2. Parameter sharing, counted ----------------------------------------------


def dense_parameter_count(image_size, channels, hidden_units):
    """A fully connected layer on the flattened image: one weight per pixel and unit, + biases."""
    return image_size * image_size * channels * hidden_units + hidden_units


def conv_parameter_count(in_channels, out_channels, kernel_size):
    """A convolutional layer: each filter has k x k weights per input channel and one bias.

    The image size does not appear: the same filters slide over an image of any size.
    """
    return out_channels * (in_channels * kernel_size * kernel_size + 1)


# --- 3. Translation equivariance ----------------------------------------------


def shift_image(x, rows=0, cols=0):
    """x (H, W) moved `rows` down and `cols` right; what moves out is lost, zeros come in."""
    x = np.asarray(x, dtype=float)
    shifted = np.zeros_like(x)
    H, W = x.shape
    src_r, dst_r = slice(max(-rows, 0), H - max(rows, 0)), slice(max(rows, 0), H - max(-rows, 0))
    src_c, dst_c = slice(max(-cols, 0), W - max(cols, 0)), slice(max(cols, 0), W - max(-cols, 0))
    shifted[dst_r, dst_c] = x[src_r, src_c]
    return shifted


EQUIVARIANCE_SIZE = 12  # the pattern image is 12 x 12


def equivariance_pattern():
    """A 12 x 12 image with a small pattern near the middle: an L and a dot; (12, 12)."""
    x = np.zeros((EQUIVARIANCE_SIZE, EQUIVARIANCE_SIZE))
    x[4:8, 4] = 1.0  # the upright of the L
    x[7, 4:7] = 1.0  # its foot
    x[4, 6] = 0.5  # a faint dot
    return x


def equivariance_kernel():
    """The fixed 3 x 3 kernel of the equivariance demo: a diagonal-edge detector."""
    return np.array([[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]])


def dense_layer_weights(size=EQUIVARIANCE_SIZE, seed=0):
    """A random dense layer from a size x size image to size x size units: (size^2, size^2)."""
    rng = np.random.default_rng(seed)
    return rng.normal(scale=1 / size, size=(size * size, size * size))


@dataclass
class EquivarianceResult:
    """The shifted image, the conv feature map and a dense layer's response to it, (12, 12) each.

    conv_error: max |conv(shifted image) - shifted conv(image)|, zero for an equivariant layer.
    dense_error: the same for the dense layer (responses reshaped to the image grid).
    """

    shift: tuple
    image: np.ndarray
    conv_map: np.ndarray
    dense_map: np.ndarray
    conv_error: float
    dense_error: float
    note: str = ""


def equivariance(shift_rows=0, shift_cols=2, seed=0):
    """Shift the pattern; compare the feature maps with the shifted maps of the unshifted image.

    The conv layer (3 x 3 kernel, padding 1) keeps the image size; the dense layer maps the
    144 pixels to 144 units with random weights (`seed`), drawn on the same grid.
    """
    x = equivariance_pattern()
    shifted = shift_image(x, shift_rows, shift_cols)
    K, D = equivariance_kernel(), dense_layer_weights(seed=seed)

    def conv(image):
        return correlate2d(image, K, padding=1)

    def dense(image):
        return (image.reshape(-1) @ D).reshape(image.shape)

    conv_map, dense_map = conv(shifted), dense(shifted)
    conv_error = np.abs(conv_map - shift_image(conv(x), shift_rows, shift_cols)).max()
    dense_error = np.abs(dense_map - shift_image(dense(x), shift_rows, shift_cols)).max()
    return EquivarianceResult((shift_rows, shift_cols), shifted, conv_map, dense_map,
                              float(conv_error), float(dense_error))


# --- 4. Generalisation to unvisited cells: which moves are blocked? --------------------

LEARNING_RATE = 0.01  # Adam, full batch: the data are a few dozen images
MIRRORED_MOVES = [0, 3, 2, 1]  # mirrored left-right, a wall on the left is one on the right


def framed_images(maze):
    """state_images with a frame of wall pixels around the grid; (N, 3, H + 2, W + 2).

    The grid's edge blocks moves just as a wall does; drawn as wall, a filter can see it.
    """
    images = mz.state_images(maze)
    framed = np.zeros(images.shape[:2] + (maze.shape[0] + 2, maze.shape[1] + 2))
    framed[:, mz.WALL] = 1.0
    framed[:, :, 1:-1, 1:-1] = images
    return framed


def blocked_moves(maze):
    """1 where a move (up, right, down, left) leaves the agent where it is, else 0; (N, 4)."""
    return np.array([[float(maze.neighbour(cell, a) == cell) for a in range(len(mz.ACTIONS))]
                     for cell in maze.states])


def mirror(images, labels):
    """Images flipped left-right, with the labels of the moves right and left swapped."""
    return images[..., ::-1].copy(), labels[:, MIRRORED_MOVES]


def pooled_cnn(filters=8, outputs=4, seed=0):
    """Conv2d(3, filters, 3) -> ReLU -> max over all positions -> Linear(filters, outputs).

    The pooling keeps, for each filter, only how strongly its pattern occurs somewhere in the
    image, not where: what a filter learned in one cell counts in every other cell.
    """
    maze = maze_setting().maze
    return nn.Sequential(nn.Conv2d(3, filters, 3, rng=seed), nn.ReLU(),
                         nn.MaxPool2d(max(maze.shape)), nn.Flatten(),
                         nn.Linear(filters, outputs, rng=seed + 1))


def flat_mlp(inputs, hidden_units=16, outputs=4, seed=0):
    """Flatten -> Linear(inputs, hidden_units) -> ReLU -> Linear(hidden_units, outputs)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden_units, rng=seed), nn.ReLU(),
                         nn.Linear(hidden_units, outputs, rng=seed + 1))


def train_models(models, inputs, targets, updates, seed, progress_of):
    """Train each model (Adam, full batch); `progress_of(name, history)` every 20 updates."""
    histories = {}
    for name, model in models.items():
        def grow(step, history, name=name):
            progress_of(name, history)
        histories[name] = train(model, inputs[name], targets, method="gd", steps=updates,
                                optimizer=Adam(model.parameters(), LEARNING_RATE), seed=seed,
                                callback=grow, callback_every=20)
    return histories


@dataclass
class GeneralisationResult:
    """The CNN and the flat MLP trained on the visited cells' images; predictions everywhere."""

    losses: dict  # "cnn" / "mlp" -> training loss per update
    predicted: dict  # "cnn" / "mlp" -> (N, 4) blocked (True) or free, NaN-free once trained
    labels: np.ndarray  # (N, 4) the truth
    unvisited: np.ndarray  # indices of the cells no trajectory visited
    parameters: dict  # "cnn" / "mlp" -> trainable numbers
    filters: np.ndarray | None  # the CNN's learned filters (F, 3, 3, 3)
    updates: int
    mirrored: bool
    note: str = ""

    def accuracy(self, model, cells=None):
        """Share of (cell, move) pairs predicted right, on the unvisited cells by default."""
        cells = self.unvisited if cells is None else cells
        return float((self.predicted[model][cells] == (self.labels[cells] > 0.5)).mean())

    def move_accuracy(self, model):
        """Accuracy on the unvisited cells per move (up, right, down, left); (4,)."""
        right = self.predicted[model][self.unvisited] == (self.labels[self.unvisited] > 0.5)
        return right.mean(axis=0)

    def correct_moves(self, model):
        """How many of the 4 moves the model gets right in each cell; (N,)."""
        return (self.predicted[model] == (self.labels > 0.5)).sum(axis=1)


def generalisation(filters=8, hidden_units=16, updates=300, mirrored=True, seed=0, progress=None):
    """Learn which moves are blocked from the images of the visited cells only.

    Training data: the images of the visited cells and, if `mirrored`, the same images flipped
    left-right (still only cells the agent saw). Targets 1 (blocked) or 0, MSE, Adam on all
    the data at once; a prediction above 0.5 counts as blocked.
    """
    setting = maze_setting()
    maze = setting.maze
    images, labels = framed_images(maze), blocked_moves(maze)
    x, y = images[setting.visited], labels[setting.visited]
    if mirrored:
        flipped, flipped_labels = mirror(x, y)
        x, y = np.concatenate([x, flipped]), np.concatenate([y, flipped_labels])
    models = {"cnn": pooled_cnn(filters, 4, seed),
              "mlp": flat_mlp(images[0].size, hidden_units, 4, seed)}
    losses = {name: np.zeros(0) for name in models}
    predicted = {name: np.zeros(labels.shape, dtype=bool) for name in models}

    def result(updates_done, trained):
        return GeneralisationResult(
            dict(losses), {n: predicted[n] for n in models}, labels, setting.unvisited,
            {n: nn.count_parameters(m) for n, m in models.items()},
            models["cnn"][0].weight.data.copy() if trained else None, updates_done, mirrored)

    def grow(name, history):
        losses[name] = history.loss
        if progress is not None:
            progress(result(history.updates, False))

    histories = train_models(models, {"cnn": x, "mlp": x}, y, updates, seed, grow)
    for name, model in models.items():
        losses[name] = histories[name].loss
        predicted[name] = model(images) > 0.5
    return result(updates, True)


# --- 5. The same comparison on V^pi ----------------------------------------------

VALUE_SCALE = 10.0  # networks learn V^pi / 10, of order 1
VALUE_MODELS = ("cnn", "image_mlp", "coordinates_mlp")


@dataclass
class ValueResult:
    """Three networks trained on V^pi of the visited cells: estimates (N,) of every cell."""

    losses: dict
    estimates: dict  # model -> (N,) V_hat, NaN until trained
    values: np.ndarray  # V^pi (N,)
    unvisited: np.ndarray
    parameters: dict
    updates: int
    note: str = ""

    def rmse(self, model, cells=None):
        """Root mean squared error against V^pi, on the unvisited cells by default."""
        cells = self.unvisited if cells is None else cells
        return float(np.sqrt(np.mean((self.estimates[model] - self.values)[cells] ** 2)))

    def mean_baseline(self):
        """The error of guessing the mean value of the visited cells everywhere (unvisited)."""
        visited = np.setdiff1d(np.arange(len(self.values)), self.unvisited)
        return float(np.sqrt(np.mean((self.values[self.unvisited]
                                      - self.values[visited].mean()) ** 2)))


def value_generalisation(filters=8, hidden_units=16, updates=300, seed=0, progress=None):
    """Fit V^pi on the visited cells with the pooled CNN, an MLP on the flat image and an MLP
    on the two coordinates (row, column scaled to [-1, 1]); all trained alike."""
    setting = maze_setting()
    maze = setting.maze
    images = framed_images(maze)
    inputs_all = {"cnn": images, "image_mlp": images,
                  "coordinates_mlp": mz.normalised_coordinates(maze)}
    models = {"cnn": pooled_cnn(filters, 1, seed),
              "image_mlp": flat_mlp(images[0].size, hidden_units, 1, seed),
              "coordinates_mlp": flat_mlp(2, hidden_units, 1, seed)}
    visited = setting.visited
    targets = setting.values[visited, None] / VALUE_SCALE
    losses = {name: np.zeros(0) for name in models}
    estimates = {name: np.full(maze.n_states, np.nan) for name in models}

    def result(updates_done):
        return ValueResult(dict(losses), dict(estimates), setting.values, setting.unvisited,
                           {n: nn.count_parameters(m) for n, m in models.items()}, updates_done)

    def grow(name, history):
        losses[name] = history.loss
        if progress is not None:
            progress(result(history.updates))

    histories = train_models(models, {n: x[visited] for n, x in inputs_all.items()}, targets,
                             updates, seed, grow)
    for name, model in models.items():
        losses[name] = histories[name].loss
        estimates[name] = VALUE_SCALE * model(inputs_all[name])[:, 0]
    return result(updates)
