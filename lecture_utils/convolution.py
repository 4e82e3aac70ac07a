"""Notebook 04, convolutional networks: the formula stepped through, parameter sharing, the maze.

A convolutional layer slides one small filter (kernel) W over the image and computes, at every
output position, the slide's cross-correlation (MARL book, chapter 7)

    y_ij = sum_a sum_b W_ab x_(i+a-1, j+b-1)        (indices from 1, as on the slide)

The same few weights serve every position (parameter sharing), so the layer finds a pattern
wherever it is (translation equivariance). The demos, each a plain compute function, a view
drawn in place and a panel:

1. `step_convolution`: one output entry y_ij with its numbers filled in, the output map
   filling in, preset and typed kernels, padding and stride with the output-size formula.
2. `parameter_counts`: a fully connected input layer against a convolutional one.
3. `equivariance`: shift a pattern; the feature map shifts with it, a dense layer's does not.
4. `generalisation`: which moves are blocked, learned from the maze's images of the visited
   states only; a CNN carries it to the unvisited states, an MLP on the flat image cannot.
5. `value_generalisation`: the same comparison on V^pi, where it does not help.
"""

from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullLocator

from . import maze as mz
from . import nn, plots, style
from .optim import Adam
from .running_example import maze_setting
from .train import train
from .widgets import Panel, dropdown, slider, text_box

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


# === Panels ======================================================================================

PICTURES = ("maze", "letter")
KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[1 / 9] * 3] * 3,
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "typed below": None,
}
MAX_KERNEL = 5
MAX_PADDING, MAX_STRIDE, MAX_INDEX = 2, 3, 12
# one line on a 1280-px projector (two lines made the panel 28 px taller)
STEPPER_QUESTION = ("The vertical-edge kernel: where in the maze is its output positive, "
                    "negative, 0?")


def picture(name="maze"):
    """A small grey image (H, W) in [0, 1]: "maze" (its walls) or "letter" (an F and a stroke)."""
    if name == "maze":
        return maze_setting().maze.walls.astype(float)
    if name == "letter":
        x = np.zeros((10, 10))
        x[1:9, 1] = 1.0  # the F: its stem,
        x[1, 1:5] = 1.0  # its top bar
        x[4, 1:4] = 1.0  # and its middle bar
        for r in range(2, 9):  # a diagonal stroke, half as bright
            x[r, r] = 0.5
        return x
    raise ValueError(f"picture must be one of {list(PICTURES)}, got {name!r}")


def parse_kernel(text):
    """A square kernel from text such as "1 0 -1; 2 0 -2; 1 0 -1" (rows split by ';'); (k, k)."""
    rows = [row.replace(",", " ").split() for row in str(text).replace("\n", ";").split(";")]
    rows = [row for row in rows if row]
    try:
        rows = [[float(v) for v in row] for row in rows]
    except ValueError:
        raise ValueError(f"the typed kernel {text!r} must hold numbers only, e.g. "
                         "'1 0 -1; 2 0 -2; 1 0 -1'") from None
    if not 1 <= len(rows) <= MAX_KERNEL or any(len(row) != len(rows) for row in rows):
        raise ValueError(f"the typed kernel must be square, 1x1 to {MAX_KERNEL}x{MAX_KERNEL}, "
                         "with rows split by ';', e.g. '1 0 -1; 2 0 -2; 1 0 -1'")
    W = np.array(rows)
    if not np.isfinite(W).all():
        raise ValueError("the typed kernel must hold finite numbers")
    return W


@dataclass
class StepResult:
    """One entry y_ij of the correlation of a picture with a kernel, and the whole output map."""

    image: np.ndarray  # (H, W) the picture
    kernel: np.ndarray  # (k, k)
    padding: int
    stride: int
    output: np.ndarray  # (rows, cols)
    i: int  # the entry shown, from 1
    j: int
    value: float
    patch: np.ndarray  # (k, k) the part of the padded picture under the kernel
    note: str = ""

    @property
    def padded(self):
        return pad(self.image, self.padding)

    def size_formula(self):
        """The output-size formula with this setting's numbers (the pictures are square)."""
        k, p, s = self.kernel.shape[0], self.padding, self.stride
        n = self.image.shape[0]
        return (f"output size floor((n + 2p - k) / s) + 1 = floor(({n} + 2*{p} - {k}) / {s}) + 1"
                f" = {self.output.shape[0]} (rows and columns)")

    def entry_formula(self):
        """y_ij = W_11 x_.. + ... with the numbers filled in, a few products per line."""
        per_line = max(5, self.kernel.shape[0] + 2)
        terms = [f"({w:.3g})({x:.3g})" for w, x in zip(self.kernel.ravel(), self.patch.ravel(),
                                                       strict=True)]
        lines = [" + ".join(terms[k:k + per_line]) for k in range(0, len(terms), per_line)]
        return f"y_{self.i},{self.j} = " + "\n    + ".join(lines) + f" = {self.value:.3g}"


def step_convolution(picture_name="maze", kernel="vertical edge", typed="1 0 -1; 2 0 -2; 1 0 -1",
                     i=2, j=3, padding=0, stride=1):
    """The slide's y_ij for one (i, j) (from 1), and the whole output map of the setting.

    kernel: a preset of KERNELS, or "typed below" to use the kernel typed in `typed`.
    An (i, j) beyond the output is moved to its last row or column, with a note.
    """
    x = picture(picture_name)
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {list(KERNELS)}, got {kernel!r}")
    W = parse_kernel(typed) if KERNELS[kernel] is None else np.array(KERNELS[kernel], float)
    y = correlate2d(x, W, padding, stride)  # raises ValueError for a kernel too large
    rows, cols = y.shape
    note = ""
    if i > rows or j > cols:
        note = (f"the output has only {rows} rows and {cols} columns: showing "
                f"({min(i, rows)}, {min(j, cols)})")
        i, j = min(i, rows), min(j, cols)
    value, patch = correlation_entry(x, W, i, j, padding, stride)
    return StepResult(x, W, padding, stride, y, i, j, value, patch, note)


def _image_axes(ax, title):
    """An Axes for an image: no axis lines or ticks, which a full draw would put over the image
    (so every image change would redraw them, and the titles they touch)."""
    ax.set_axis_off()
    ax.set_title(title, fontsize="medium")


class StepView:
    """Left: the padded picture, the kernel's patch outlined. Middle: the kernel, its numbers
    written in. Right: the output map, filled in up to y_ij. Below: y_ij with the numbers.

    Each image fills a fixed unit square whatever its size (cells shrink as it grows), and
    colours are scaled to each image's largest |value|: a new picture, kernel, padding or
    stride then changes no axis limits, and only the images and a few texts are redrawn.
    """

    def __init__(self):
        self.figure = plots.new_figure(10.0, 4.3)
        grid = self.figure.add_gridspec(2, 3, width_ratios=[1.25, 0.6, 1.25],
                                        height_ratios=[1, 0.22])
        self.picture_ax = self.figure.add_subplot(grid[0, 0])
        self.kernel_ax = self.figure.add_subplot(grid[0, 1])
        self.output_ax = self.figure.add_subplot(grid[0, 2])
        text_ax = self.figure.add_subplot(grid[1, :])
        text_ax.set_axis_off()
        unit = (0, 1, 1, 0)  # every image spans the unit square, row 0 at the top
        for ax, title in ((self.picture_ax, "input x (zeros around it: padding)"),
                          (self.kernel_ax, "kernel W"),
                          (self.output_ax, "output y, filled up to y_ij")):
            _image_axes(ax, title)
            ax.set(xlim=(0, 1), ylim=(1, 0))
        self.picture = self.picture_ax.imshow(np.zeros((2, 2)), cmap="Greys", vmin=-0.1,
                                              vmax=1.6, interpolation="nearest", extent=unit)
        self.border = self.picture_ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1,
                                                          ls=":", edgecolor=style.TRUE_COLOUR))
        self.patch = self.picture_ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.5,
                                                         edgecolor=style.ERROR_COLOUR))
        self.kernel = self.kernel_ax.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-1, vmax=1,
                                            interpolation="nearest", extent=unit)
        self.kernel_numbers = [self.kernel_ax.text(0, 0, "", ha="center", va="center",
                                                   fontsize="small")
                               for _ in range(MAX_KERNEL ** 2)]
        not_yet = mpl.colormaps["RdBu_r"].with_extremes(bad="#d9d9d9")  # entries to come: grey
        self.output = self.output_ax.imshow(np.zeros((2, 2)), cmap=not_yet, vmin=-1, vmax=1,
                                            interpolation="nearest", extent=unit)
        self.entry = self.output_ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.5,
                                                        edgecolor=style.ERROR_COLOUR))
        self.formula = text_ax.text(0.0, 1.0, "", va="top", ha="left", fontsize="small",
                                    transform=text_ax.transAxes)
        self.range = text_ax.text(1.0, 1.0, "", va="top", ha="right", fontsize="small",
                                  transform=text_ax.transAxes)
        self.size = self.figure.suptitle(" ", fontsize="small")
        plots.freeze_layout(self.figure)
        self.shown = None  # (picture, padding, kernel, stride): what the frames were set for

    @staticmethod
    def _box(rectangle, top, left, height, width, shape):
        """Put `rectangle` on cells [top, top + height) x [left, left + width) of an image."""
        rows, cols = shape
        rectangle.set_bounds(left / cols, top / rows, width / cols, height / rows)

    def update(self, result):
        k, s = result.kernel.shape[0], result.stride
        padded, (rows, cols) = result.padded, result.output.shape
        frame = (result.image.tobytes(), result.padding, result.kernel.tobytes(), s)
        if frame != self.shown:  # a new picture, padding, kernel or stride
            self._set_frames(result, padded, kernel_changed=self.shown is None
                             or frame[2] != self.shown[2])
            self.shown = frame
        self._box(self.patch, (result.i - 1) * s, (result.j - 1) * s, k, k, padded.shape)
        filled = np.full(rows * cols, np.nan)
        upto = (result.i - 1) * cols + result.j
        filled[:upto] = result.output.ravel()[:upto] / self.output_scale
        self.output.set_data(np.ma.masked_invalid(filled.reshape(rows, cols)))
        self._box(self.entry, result.i - 1, result.j - 1, 1, 1, (rows, cols))
        self.formula.set_text(result.entry_formula())

    def _set_frames(self, result, padded, kernel_changed):
        k, p = result.kernel.shape[0], result.padding
        self.picture.set_data(padded)
        self._box(self.border, p, p, *result.image.shape, padded.shape)
        self.border.set_visible(p > 0)
        self.output_scale = max(float(np.abs(result.output).max()), 1e-9)
        low, high = result.output.min(), result.output.max()
        self.range.set_text(f"output values from {low:.3g} (blue) to {high:.3g} (red)")
        self.size.set_text(result.size_formula())
        if not kernel_changed:
            return
        shade = result.kernel / max(float(np.abs(result.kernel).max()), 1e-9)
        self.kernel.set_data(shade)
        for n, text in enumerate(self.kernel_numbers):
            a, b = divmod(n, k)
            text.set_visible(n < k * k)
            if n < k * k:  # white on the dark cells, black on the light ones
                text.set_position(((b + 0.5) / k, (a + 0.5) / k))
                text.set_text(f"{result.kernel[a, b]:.2g}")
                text.set_color("white" if abs(shade[a, b]) > 0.6 else "black")


def stepper_panel():
    """Sliders for (i, j) walk the kernel over the picture; presets, a typed kernel, padding."""
    controls = {"picture_name": dropdown(list(PICTURES), "maze", "picture"),
                "kernel": dropdown(list(KERNELS), "vertical edge", "kernel"),
                "typed": text_box("1 0 -1; 2 0 -2; 1 0 -1", "typed kernel"),
                "i": slider(2, 1, MAX_INDEX, 1, "output row i"),
                "j": slider(3, 1, MAX_INDEX, 1, "output column j"),
                "padding": slider(0, 0, MAX_PADDING, 1, "padding p"),
                "stride": slider(1, 1, MAX_STRIDE, 1, "stride s")}
    return Panel(step_convolution, StepView(), controls,
                 question=STEPPER_QUESTION)


PANELS = {"stepper": stepper_panel}


@dataclass
class CountResult:
    """Parameters of a dense input layer and of a convolutional one on the same image."""

    image_size: int
    channels: int
    hidden_units: int
    filters: int
    kernel_size: int
    dense: int
    conv: int
    note: str = ""


def parameter_counts(image_size=128, channels=3, hidden_units=128, filters=16, kernel_size=5):
    """dense_parameter_count and conv_parameter_count for one setting of the calculator."""
    note = (f"a {kernel_size}x{kernel_size} kernel does not fit a {image_size}x{image_size} "
            "image" if kernel_size > image_size else "")
    return CountResult(image_size, channels, hidden_units, filters, kernel_size,
                       dense_parameter_count(image_size, channels, hidden_units),
                       conv_parameter_count(channels, filters, kernel_size), note)


class CountView:
    """Two bars on a log scale: the dense layer's parameters and the conv layer's."""

    def __init__(self):
        self.figure = plots.new_figure(8.5, 3.0)
        ax = self.figure.add_subplot()
        self.bars = ax.barh([1, 0], [1, 1], color=[style.DATA_COLOUR, style.FIT_COLOUR],
                            height=0.45)
        ax.set_xscale("log")
        ax.set_xlim(1, 1e10)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_yticks([1, 0], ["fully\nconnected", "convolutional"])
        ax.set_ylim(-0.35, 1.65)
        ax.set_xlabel("trainable parameters (log scale)")
        self.labels = [ax.text(1.3, y + 0.26, "", va="bottom", ha="left", fontsize="small")
                       for y in (1, 0)]  # above each bar: room for the longest formula
        self.title = self.figure.suptitle(" ", fontsize="medium")
        plots.freeze_layout(self.figure)

    def update(self, result):
        n, C, H, F, k = (result.image_size, result.channels, result.hidden_units,
                         result.filters, result.kernel_size)
        texts = (f"{result.dense:,} = {n}x{n}x{C} x {H} + {H}",
                 f"{result.conv:,} = {F} x ({k}x{k}x{C} + 1)")
        for bar, label, count, text in zip(self.bars, self.labels, (result.dense, result.conv),
                                           texts, strict=True):
            bar.set_width(count)
            label.set_text(text)
        self.title.set_text(f"{n}x{n} pixels, {C} channel{'s' if C > 1 else ''}: "
                            f"{result.dense / result.conv:,.0f} times as many parameters dense")


def calculator_panel():
    """Sliders for the image and the layers; the two parameter counts side by side."""
    controls = {"image_size": slider(128, 8, 256, 8, "image size n"),
                "channels": slider(3, 1, 4, 1, "channels C"),
                "hidden_units": slider(128, 8, 512, 8, "hidden units"),
                "filters": slider(16, 1, 64, 1, "filters F"),
                "kernel_size": slider(5, 1, 11, 1, "kernel size k")}
    return Panel(parameter_counts, CountView(), controls,
                 question="Double the image size. By what factor does each count grow?")


PANELS["calculator"] = calculator_panel


class EquivarianceView:
    """The shifted pattern, the conv feature map and a dense layer's response, side by side."""

    def __init__(self):
        self.figure = plots.new_figure(10.0, 3.5)  # taller, the titles would leave the top
        axes = self.figure.subplots(1, 3)
        titles = ("input: the pattern, shifted", "conv feature map\n(3x3 kernel, padding 1)",
                  "dense layer's response\n(144 units on the same grid)")
        size = EQUIVARIANCE_SIZE
        self.images, self.boxes = [], []
        for ax, title, cmap, top in zip(axes, titles, ("gray_r", "RdBu_r", "RdBu_r"),
                                        (1.0, 3.0, 0.6), strict=True):
            _image_axes(ax, title)
            self.images.append(ax.imshow(np.zeros((size, size)), cmap=cmap, interpolation="nearest",
                                         vmin=-top if cmap != "gray_r" else -0.2, vmax=top))
        for ax in axes[:2]:  # where the unshifted pattern's map would go, shifted
            self.boxes.append(ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=1.5, ls="--",
                                                     edgecolor=style.PALETTE[2])))
        # below the input, the shift; below each map, how far it is from the shifted map of
        # the unshifted pattern (a caption above the figure sat cramped on the middle title)
        self.shift, *self.errors = [ax.text(0.5, -0.03, "off by 0.00", transform=ax.transAxes,
                                            ha="center", va="top", fontsize="small")
                                    for ax in axes]
        plots.freeze_layout(self.figure)

    def update(self, result):
        for image, data in zip(self.images, (result.image, result.conv_map, result.dense_map),
                               strict=True):
            image.set_data(data)
        r, c = result.shift
        self.boxes[0].set_bounds(3.5 + c, 3.5 + r, 3, 4)  # the L and its dot: rows 4..7, cols 4..6
        self.boxes[1].set_bounds(2.5 + c, 2.5 + r, 5, 6)  # one pixel more on every side
        self.shift.set_text(f"shifted {r:+d} rows, {c:+d} columns")
        self.errors[0].set_text(f"off the shifted map by {result.conv_error:.2g}")
        self.errors[1].set_text(f"off the shifted response by up to {result.dense_error:.2f}")


def equivariance_panel():
    """Shift sliders move the pattern; the conv feature map moves along, the dense one does not."""
    controls = {"shift_rows": slider(0, -3, 3, 1, "shift down"),
                "shift_cols": slider(2, -3, 3, 1, "shift right"),
                "seed": slider(0, 0, 5, 1, "dense weights seed")}
    return Panel(equivariance, EquivarianceView(), controls,
                 question="Move the pattern two cells to the right. What happens to the conv "
                          "feature map, and what to the dense layer's response?")


PANELS["equivariance"] = equivariance_panel


MODEL_COLOURS = {"cnn": style.FIT_COLOUR, "mlp": style.DATA_COLOUR, "image_mlp": style.DATA_COLOUR,
                 "coordinates_mlp": "C2"}
MODEL_NAMES = {"cnn": "CNN (conv + pooling)", "mlp": "MLP on the flat image",
               "image_mlp": "MLP on the flat image", "coordinates_mlp": "MLP on (row, column)"}
SHORT_NAMES = {"cnn": "CNN", "mlp": "flat MLP"}
# shown while Train runs (1-2 s in the browser): the live loss curve appears only after 0.3 s
TRAINING_CUE = "training {what} for {{updates}} updates on the visited cells ..."
MAX_FILTERS = 16


def filter_mosaic(filters):
    """The wall and agent channels of each 3x3 filter side by side, NaN gaps; (7, 4 F - 1)."""
    if filters is None:
        return np.full((7, 3), np.nan)
    mosaic = np.full((7, 4 * len(filters) - 1), np.nan)
    for f, weights in enumerate(filters):
        mosaic[0:3, 4 * f:4 * f + 3] = weights[mz.WALL]
        mosaic[4:7, 4 * f:4 * f + 3] = weights[mz.AGENT]
    return mosaic


class LossLines:
    """Training losses of several models on a log scale with fixed limits (a live curve)."""

    def __init__(self, ax, models, updates_max, low=1e-5, high=10.0):
        self.lines = {m: ax.plot([], [], color=MODEL_COLOURS[m], label=MODEL_NAMES[m])[0]
                      for m in models}
        ax.set_yscale("log")
        ax.set(xlim=(0, updates_max), ylim=(low, high), xlabel="update")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_title("training loss (MSE)", fontsize="medium")

    def update(self, losses):
        for model, line in self.lines.items():
            loss = np.asarray(losses.get(model, []))
            line.set_data(np.arange(1, len(loss) + 1), loss)


class GeneralisationView:
    """Top: moves predicted right in every cell, CNN and MLP (dots: visited); the losses.
    Bottom: the CNN's learned filters, wall and agent channel."""

    MAX_UPDATES = 600

    def __init__(self):
        setting = maze_setting()
        self.figure = plots.new_figure(10.0, 3.8)
        grid = self.figure.add_gridspec(2, 3, height_ratios=[1, 0.34])
        cnn_ax, mlp_ax = self.figure.add_subplot(grid[0, 0]), self.figure.add_subplot(grid[0, 1])
        loss_ax, self.filter_ax = self.figure.add_subplot(grid[0, 2]), self.figure.add_subplot(
            grid[1, :])
        zeros = np.zeros(setting.maze.n_states)
        self.maps = {m: plots.ValueHeatmap(ax, setting.maze, zeros, clim=(0, 4),
                                           visited=setting.visited, colorbar=m == "mlp")
                     for m, ax in (("cnn", cnn_ax), ("mlp", mlp_ax))}
        self.maps["mlp"].colorbar.set_label("moves right (of 4)", fontsize="small")
        self.maps["mlp"].colorbar.set_ticks(range(5))
        self.titles = {m: ax.set_title(" \n ", fontsize="small")
                       for m, ax in (("cnn", cnn_ax), ("mlp", mlp_ax))}
        self.losses = LossLines(loss_ax, ("cnn", "mlp"), self.MAX_UPDATES)
        loss_ax.legend(loc="upper right", fontsize="x-small")  # the curves fall away from it
        self.filters = self.filter_ax.imshow(filter_mosaic(None), cmap="RdBu_r", vmin=-1, vmax=1,
                                             interpolation="nearest", aspect="equal")
        _image_axes(self.filter_ax, "CNN filters: wall channel (top), agent channel (bottom)")
        plots.freeze_layout(self.figure)

    def update(self, result):
        for model, heatmap in self.maps.items():
            trained = result.filters is not None
            cells = result.correct_moves(model) if trained else np.full(len(result.labels),
                                                                        np.nan)
            heatmap.update(cells, clim=(0, 4))
            self.titles[model].set_text(
                f"{SHORT_NAMES[model]}: {result.parameters[model]:,} parameters\n" +
                (f"unvisited: {100 * result.accuracy(model):.0f}% right" if trained else ""))
        self.losses.update(result.losses)
        mosaic = filter_mosaic(result.filters)
        self.filters.set_data(np.ma.masked_invalid(mosaic))
        width = mosaic.shape[1]
        self.filters.set_extent((-0.5, width - 0.5, 6.5, -0.5))
        self.filter_ax.set_xlim(-0.5, 4 * MAX_FILTERS - 1.5)  # filters fill from the left
        top = np.nanmax(np.abs(mosaic)) if np.isfinite(mosaic).any() else 1.0
        self.filters.set_clim(-top, top)


def training_controls(max_updates, **extra):
    """The controls both Train panels share (sizes, updates, seed), `extra` before the seed."""
    return {"filters": slider(8, 2, MAX_FILTERS, 1, "CNN filters"),
            "hidden_units": slider(16, 4, 64, 4, "MLP hidden units"),
            "updates": slider(300, 100, max_updates, 50, "updates"),
            **extra,
            "seed": slider(0, 0, 10, 1, "random seed")}


def generalisation_panel():
    """Which moves are blocked: the CNN and the flat MLP trained behind a Train button."""
    controls = training_controls(GeneralisationView.MAX_UPDATES, mirrored=widgets.Checkbox(
        value=True, description="add mirrored images"))
    return Panel(generalisation, GeneralisationView(), controls, button="Train",
                 busy=TRAINING_CUE.format(what="the CNN and the MLP"),
                 question="Both networks learn the visited cells. Which one will know that a "
                          "wall blocks the move right at s2, a cell it never saw?")


PANELS["generalisation"] = generalisation_panel


class ValueView:
    """Left: the error on the unvisited cells per model. Middle: V^pi and the estimates on the
    unvisited cells. Right: the training losses."""

    MAX_UPDATES = 600

    def __init__(self):
        setting = maze_setting()
        maze = setting.maze
        self.figure = plots.new_figure(10.0, 3.9)
        bar_ax, value_ax, loss_ax = self.figure.subplots(1, 3, width_ratios=[0.8, 1.3, 1])
        x = np.arange(len(VALUE_MODELS))
        self.bars = bar_ax.bar(x, np.zeros(len(x)), color=[MODEL_COLOURS[m] for m in VALUE_MODELS])
        bar_ax.set_xticks(x, ["CNN", "image\nMLP", "coord.\nMLP"], fontsize="small")
        self.baseline = bar_ax.axhline(1.0, color=style.TRUE_COLOUR, ls="--", lw=1.2)
        bar_ax.text(-0.45, 5.6, "dashed: guess the\nvisited cells' mean", fontsize="x-small",
                    va="top", color=style.TRUE_COLOUR)
        bar_ax.set_ylim(0, 6)
        bar_ax.set_yticks([0, 1, 2, 3, 4, 5])
        bar_ax.set_title("error on unvisited\ncells (RMSE)", fontsize="medium")
        self.bar_labels = [bar_ax.text(k, 0.1, "", ha="center", va="bottom", fontsize="small")
                           for k in x]
        cells = self.cells = np.array(sorted(setting.unvisited, key=lambda i: maze.states[i][::-1]))
        names = {maze.index(c): n for n, c in maze.named_states.items()}
        positions = np.arange(len(cells))
        value_ax.plot(positions, setting.values[cells], "s", color=style.TRUE_COLOUR, ms=9,
                      label=r"true $V^\pi$")
        self.points = {m: value_ax.plot(positions, np.full(len(cells), np.nan), "o-", lw=1,
                                        color=MODEL_COLOURS[m], label=MODEL_NAMES[m])[0]
                       for m in VALUE_MODELS}
        value_ax.set_xticks(positions, [names.get(i, "") for i in cells])
        value_ax.set(ylim=(-24, -2), xlabel="column 1 top to bottom, then column 4")
        value_ax.set_yticks([-20, -15, -10, -5])
        value_ax.set_title("values of the unvisited cells\n(grey squares: true $V^\\pi$)",
                           fontsize="medium")
        self.losses = LossLines(loss_ax, VALUE_MODELS, self.MAX_UPDATES)
        loss_ax.legend(loc="upper right", fontsize="x-small")  # the curves fall away from it
        plots.freeze_layout(self.figure)

    def update(self, result):
        trained = all(np.isfinite(result.estimates[m]).all() for m in VALUE_MODELS)
        for k, model in enumerate(VALUE_MODELS):
            done = np.isfinite(result.estimates[model]).all()
            error = result.rmse(model) if done else 0.0
            self.bars[k].set_height(error)
            self.bar_labels[k].set_text(f"{error:.1f}" if done else "")
            self.points[model].set_ydata(np.clip(result.estimates[model][self.cells], -24, -2))
        self.baseline.set_ydata([result.mean_baseline()] * 2)
        self.losses.update(result.losses)
        return trained


def value_panel():
    """V^pi from the visited cells: the CNN, the image MLP and a coordinates MLP (Train)."""
    controls = training_controls(ValueView.MAX_UPDATES)
    return Panel(value_generalisation, ValueView(), controls, button="Train",
                 busy=TRAINING_CUE.format(what="the three networks"),
                 question="Now the target is V^pi itself. Will the CNN's advantage on unvisited "
                          "cells survive?")


PANELS["value"] = value_panel
