"""The playground (after notebook 03): a network trains live on 2-D data while you change it.

In the spirit of TensorFlow Playground, on this package's numpy engine:

    data       2-D classification sets (circle, XOR, blobs, two- and three-arm spirals) and
               regression sets (a plane, bumps, and the maze's V^pi over (row, column));
    inputs     the features x1, x2, x1^2, x2^2, x1 x2, sin x1, sin x2, each on or off;
    network    0-6 hidden layers of 1-8 units, one activation;
    training   MSE (regression) or softmax cross-entropy (classification), SGD / momentum /
               Adam, learning rate, batch size, L2 penalty;
    Play / Pause / Step / Reset run it live (`lecture_utils.live.LiveLoop`).

`Playground(**config)` is one run (a plain object: `step()`, `snapshot()`), tested on its
own; `PlaygroundView` draws it; `playground(**config)` builds the panel, whose text line
always shows the call that rebuilds its configuration.
"""

from dataclasses import dataclass, field

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from threadpoolctl import threadpool_limits

from . import maze as mz
from . import nn, plots, style
from .live import LiveLoop
from .optim import SGD, Adam
from .running_example import maze_setting
from .train import batch_stream
from .widgets import Panel, choice_slider, dropdown, slider, styled_box

CLASSIFICATION = {"circle": 2, "xor": 2, "blobs": 2, "spiral": 2, "spiral3": 3}  # classes
REGRESSION = ("plane", "bumps", "maze")
DATASETS = (*CLASSIFICATION, *REGRESSION)
DATA_LABELS = {"circle": "circle", "xor": "XOR", "blobs": "Gaussian blobs",
               "spiral": "spiral, 2 classes", "spiral3": "spiral, 3 classes",
               "plane": "plane (regression)", "bumps": "bumps (regression)",
               "maze": "maze V^pi (regression)"}
FEATURES = {"x1": lambda x1, x2: x1, "x2": lambda x1, x2: x2,
            "x1^2": lambda x1, x2: x1 ** 2, "x2^2": lambda x1, x2: x2 ** 2,
            "x1*x2": lambda x1, x2: x1 * x2,
            "sin x1": lambda x1, x2: np.sin(x1), "sin x2": lambda x1, x2: np.sin(x2)}
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁·x₂",
                  "sin x1": "sin x₁", "sin x2": "sin x₂"}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "identity")
OPTIMISERS = ("sgd", "momentum", "adam")
MOMENTUM = 0.9
HALF_WIDTH = 3.0  # the 2-D sets lie in [-3, 3]^2: sin x spans about one period there
N_POINTS = 500
VALUE_SCALE = 10.0  # the maze's targets are V^pi / 10 (in about [-1.5, 0]), as in notebook 02
MAX_LAYERS, MAX_UNITS = 6, 8
BATCH_SIZES = (1, 2, 5, 10, 25, 50, 100, 250)  # 25: all the maze's visited states
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
L2_VALUES = (0.0, 1e-4, 1e-3, 1e-2, 0.1)
RECORD_EVERY = 10  # the loss curves get a point every this many updates
DEFAULTS = dict(data="circle", features=("x1", "x2"), layers=(4, 2), activation="tanh",
                optimiser="adam", lr=0.03, batch_size=10, l2=0.0, noise=0.1,
                test_fraction=0.5, seed=0)


# --- Data ------------------------------------------------------------------------------------

@dataclass
class Data:
    """A 2-D data set split into train and test: inputs x (N, 2), targets y (N,).

    Classification targets are class indices 0..n_classes-1 (int); regression targets are
    floats (n_classes = 0). `limits` are the (low, high) of x1 and of x2 drawn; with
    `rows_down` x1 is a maze row (drawn downwards) and x2 its column (drawn across).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    limits: tuple = ((-HALF_WIDTH, HALF_WIDTH), (-HALF_WIDTH, HALF_WIDTH))
    rows_down: bool = False
    target_range: tuple = (0.0, 1.0)
    walls: np.ndarray = None  # the maze's walls (H, W) bool, drawn over its value surface

    @property
    def classification(self):
        return self.n_classes > 0


def _labelled_points(name, n, rng):
    """n points of a classification set without noise: x (n, 2), class y (n,)."""
    if name == "circle":  # inside radius 1.5 against a ring from 2 to 3
        radius = np.concatenate([rng.uniform(0, 1.5, n // 2), rng.uniform(2.0, 3.0, n - n // 2)])
        angle = rng.uniform(0, 2 * np.pi, n)
        x = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
        return x, (radius > 1.75).astype(int)
    if name == "xor":  # the class is the sign of x1 x2; points keep off the axes a little
        x = rng.uniform(0.2, HALF_WIDTH, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
        return x, (x[:, 0] * x[:, 1] < 0).astype(int)
    if name == "blobs":  # two Gaussian clouds
        y = rng.integers(0, 2, n)
        centre = np.where(y[:, None] == 1, 1.3, -1.3)
        return centre + 0.8 * rng.normal(size=(n, 2)), y
    arms = CLASSIFICATION[name]  # spirals: arm k turns by 2 pi k / arms
    y = np.arange(n) % arms
    t = rng.uniform(0.1, 1.0, n)
    angle = 1.25 * 2 * np.pi * t + 2 * np.pi * y / arms
    x = 2.8 * t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return x, y


def _bumps(x):
    """Two bumps of opposite sign: (n, 2) -> (n,) in about [-1, 1]."""
    d1 = ((x - [-1.2, 1.0]) ** 2).sum(axis=1)
    d2 = ((x - [1.2, -0.8]) ** 2).sum(axis=1)
    return np.exp(-d1 / 1.5) - np.exp(-d2 / 1.0)


def _split(x, y, test_fraction, rng):
    order = rng.permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def make_data(name="circle", noise=0.1, test_fraction=0.5, seed=0, n_points=N_POINTS):
    """The data set `name` (one of DATASETS) with `noise` and a train/test split; a Data.

    Classification: Gaussian noise of std `noise` x 1.5 moves the points after labelling.
    Regression (plane, bumps): uniform points, noise added to the targets.
    The maze: inputs the normalised (row, column) of every state (notebook 01's
    coordinates), targets V^pi / 10; the visited states train, the others test (noise and
    test share do not apply: the experience decides).
    """
    if name not in DATASETS:
        raise ValueError(f"data must be one of {list(DATASETS)}, got {name!r}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be between 0 and 1, got {noise!r}")
    if not 0.05 <= test_fraction <= 0.95:
        raise ValueError(f"test share must be between 0.05 and 0.95, got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    if name == "maze":
        setting = maze_setting()
        x, y = mz.normalised_coordinates(setting.maze), setting.values / VALUE_SCALE
        (rows, cols), train, test = setting.maze.shape, setting.visited, setting.unvisited
        pad = np.array([1 / (rows - 1), 1 / (cols - 1)])
        limits = tuple((-1 - p, 1 + p) for p in pad)
        return Data(name, x[train], y[train], x[test], y[test], 0, limits, rows_down=True,
                    target_range=(float(y.min()), float(y.max())), walls=setting.maze.walls)
    if name in CLASSIFICATION:
        x, y = _labelled_points(name, n_points, rng)
        x = x + noise * HALF_WIDTH / 2 * rng.normal(size=x.shape)
        return Data(name, *_split(x, y, test_fraction, rng), CLASSIFICATION[name])
    x = rng.uniform(-HALF_WIDTH, HALF_WIDTH, (n_points, 2))
    clean = (x[:, 0] + x[:, 1]) / (2 * HALF_WIDTH) if name == "plane" else _bumps(x)
    y = clean + noise * rng.normal(size=n_points)
    return Data(name, *_split(x, y, test_fraction, rng), 0,
                target_range=(float(clean.min()), float(clean.max())))


def input_features(x, features):
    """The chosen feature columns of 2-D inputs x (N, 2): (N, len(features)), in FEATURES order
    of `features` as given (e.g. ["x1", "x1*x2"] -> columns x1, x1 x2)."""
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown features {unknown}; choose from {list(FEATURES)}")
    if not features:
        raise ValueError("tick at least one input feature")
    x1, x2 = x[:, 0], x[:, 1]
    return np.column_stack([FEATURES[f](x1, x2) for f in features])


# --- The network and one run -----------------------------------------------------------------

def build_network(n_inputs, layers, activation="tanh", n_outputs=1, seed=0):
    """An MLP n_inputs -> hidden `layers` (a list of widths) -> n_outputs, nn.Sequential.

    Every Linear draws its fan-in initialisation from one generator `seed`, layer by layer
    (weight, then bias): the same as notebook 02's MLP for the same sizes and seed.
    """
    if len(layers) > MAX_LAYERS or not all(1 <= int(w) == w for w in layers):
        raise ValueError(f"layers must be at most {MAX_LAYERS} widths >= 1, got {list(layers)}")
    if activation not in nn.ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    rng = np.random.default_rng(seed)
    modules, d_in = [], n_inputs
    for width in layers:
        modules += [nn.Linear(d_in, int(width), rng=rng), nn.ACTIVATIONS[activation]()]
        d_in = int(width)
    modules.append(nn.Linear(d_in, n_outputs, rng=rng))
    return nn.Sequential(*modules)


def make_optimiser(name, params, lr):
    """SGD, SGD with momentum 0.9, or Adam on `params` with learning rate `lr`."""
    if name == "sgd":
        return SGD(params, lr)
    if name == "momentum":
        return SGD(params, lr, momentum=MOMENTUM)
    if name == "adam":
        return Adam(params, lr)
    raise ValueError(f"optimiser must be one of {list(OPTIMISERS)}, got {name!r}")


def accuracy(logits, labels):
    """Share of rows of logits (N, C) whose largest entry is at the label (N,); a float."""
    return float(np.mean(np.argmax(logits, axis=1) == labels))


@dataclass
class Record:
    """The learning curves: after `updates[k]` updates, train and test loss and accuracy."""

    updates: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)


class Playground:
    """One training run: data, input features, network, loss and optimiser.

    `step()` does one update on the next batch (the slide's loop: batch, forward, loss,
    backward, update, with L2 penalty l2 * sum of squared weights); `configure(lr=...,
    batch_size=..., l2=..., optimiser=...)` changes the training settings between steps,
    keeping the weights. Everything follows from the settings and `seed`: the same
    settings and number of steps give the same weights.
    """

    STRUCTURE = ("data", "features", "layers", "activation", "noise", "test_fraction", "seed")

    def __init__(self, data="circle", features=("x1", "x2"), layers=(4, 2), activation="tanh",
                 optimiser="adam", lr=0.03, batch_size=10, l2=0.0, noise=0.1,
                 test_fraction=0.5, seed=0):
        self.data = make_data(data, noise, test_fraction, seed)
        self.features, self.layers = [f for f in FEATURES if f in features], list(layers)
        if len(self.features) != len(set(features)):
            input_features(self.data.x_train[:1], features)  # raises for the unknown ones
        self.config = dict(data=data, features=self.features, layers=self.layers,
                           activation=activation, noise=noise, test_fraction=test_fraction,
                           seed=seed)
        self.inputs_train = input_features(self.data.x_train, self.features)
        self.inputs_test = input_features(self.data.x_test, self.features)
        n_outputs = self.data.n_classes or 1
        self.model = build_network(len(self.features), self.layers, activation, n_outputs, seed)
        self.loss = nn.CrossEntropyLoss() if self.data.classification else nn.MSELoss()
        self.targets_train = self._targets(self.data.y_train)
        self.targets_test = self._targets(self.data.y_test)
        self.weights = [m.weight for m in self.model if isinstance(m, nn.Linear)]
        self.updates, self.seed, self.record, self.note = 0, seed, Record(), ""
        self.optimiser_name, self.optimiser, self.batch_size, self._batches = None, None, None, None
        self.configure(optimiser=optimiser, lr=lr, batch_size=batch_size, l2=l2)
        self._record()

    def _targets(self, y):
        return y if self.data.classification else y[:, None]

    def configure(self, optimiser=None, lr=None, batch_size=None, l2=None):
        """Change training settings for the next step on; the weights stay as they are.

        A new optimiser starts with fresh state (no momentum, Adam's counts at 0); a new
        batch size starts a new stream of batches."""
        if lr is not None:
            if not lr > 0:
                raise ValueError(f"learning rate must be > 0, got {lr!r}")
            self.lr = float(lr)
        if l2 is not None:
            if not l2 >= 0:
                raise ValueError(f"L2 must be >= 0, got {l2!r}")
            self.l2 = float(l2)
        if optimiser is not None and optimiser != self.optimiser_name:
            self.optimiser = make_optimiser(optimiser, self.model.parameters(), self.lr)
            self.optimiser_name = optimiser
        self.optimiser.lr = self.lr
        if batch_size is not None and batch_size != self.batch_size:
            if not 1 <= int(batch_size) == batch_size:
                raise ValueError(f"batch size must be a whole number >= 1, got {batch_size!r}")
            self.batch_size = int(batch_size)
            n = len(self.inputs_train)  # a batch larger than the data is all of it, in order
            self._batches = batch_stream(n, min(self.batch_size, n), self.seed + self.updates)

    @property
    def settings(self):
        """Every setting of this run, as keywords of Playground (and of `playground`)."""
        return dict(self.config, optimiser=self.optimiser_name, lr=self.lr,
                    batch_size=self.batch_size, l2=self.l2)

    def step(self):
        """One update on the next batch; returns its loss (data loss, without the penalty)."""
        batch = next(self._batches)
        params = self.model.parameters()
        before = [p.data.copy() for p in params]
        with np.errstate(all="ignore"):
            value = self.loss(self.model(self.inputs_train[batch]), self.targets_train[batch])
            self.optimiser.zero_grad()
            self.model.backward(self.loss.backward())
            if self.l2:  # d/dW of l2 * sum W^2
                for w in self.weights:
                    w.grad += 2 * self.l2 * w.data
            self.optimiser.step()
        if not (np.isfinite(value) and value < 1e6) or \
                not all(np.isfinite(p.data).all() for p in params):
            for p, old in zip(params, before, strict=True):  # keep the last finite weights
                p.data[...] = old
            self.note = (f"diverged at update {self.updates + 1}: the loss blew up; try a "
                         "smaller learning rate (Reset starts again)")
            raise FloatingPointError(self.note)
        self.updates += 1
        if self.updates % RECORD_EVERY == 0:
            self._record()
        return value

    def evaluate(self, inputs, targets):
        """(loss, accuracy) of the network on inputs (N, F) with targets; accuracy None
        for regression."""
        with np.errstate(all="ignore"):
            out = self.model(inputs)
            value = self.loss(out, targets)
        return value, (accuracy(out, targets) if self.data.classification else None)

    def _record(self):
        r = self.record
        (train, train_acc), (test, test_acc) = (self.evaluate(self.inputs_train,
                                                              self.targets_train),
                                                self.evaluate(self.inputs_test,
                                                              self.targets_test))
        r.updates.append(self.updates)
        r.train_loss.append(train)
        r.test_loss.append(test)
        r.train_accuracy.append(train_acc)
        r.test_accuracy.append(test_acc)

    @property
    def epochs(self):
        """Passes over the training data so far."""
        n = len(self.inputs_train)
        return self.updates * min(self.batch_size, n) / n

    def unit_outputs(self, x):
        """What every unit computes at the 2-D points x (M, 2): a list of (M, units) arrays,
        first the input features, then each hidden layer's activations, last the output
        (class probabilities for classification, the value for regression)."""
        h = input_features(x, self.features)
        outputs = [h]
        with np.errstate(all="ignore"):
            for module in self.model:
                h = module(h)
                if isinstance(module, nn.Activation):
                    outputs.append(h)
            if self.data.classification:
                h = np.exp(h - h.max(axis=1, keepdims=True))
                h = h / h.sum(axis=1, keepdims=True)
        return outputs + [h]

    def call(self):
        """The one Python call that rebuilds this configuration: `playground(...)` with the
        settings that differ from the defaults."""
        return playground_call(self.settings)


def playground_call(settings):
    """'playground(data="spiral", layers=[8, 8], ...)' for the settings that differ from
    DEFAULTS (data and layers always shown)."""
    parts = []
    for key, default in DEFAULTS.items():
        value = settings[key]
        if isinstance(value, (list, tuple)):
            value, default = list(value), list(default)
        if value == default and key not in ("data", "layers"):
            continue
        parts.append(f"{key}={value!r}".replace("'", '"'))
    return f"playground({', '.join(parts)})"


def train_playground(steps, **config):
    """A Playground run with `config` after `steps` updates (what a test or a table uses)."""
    run = Playground(**config)
    with threadpool_limits(1):
        for _ in range(steps):
            run.step()
    return run


# --- The figure -------------------------------------------------------------------------------

SMALL, LARGE = 24, 64  # grid points per side: unit maps in the network, large maps
UNIT_CMAP = style.ERROR_CMAP  # diverging: a unit's sign matters
POSITIVE, NEGATIVE = "C0", "C3"  # edge colours by weight sign
NET_SPAN = 8.0  # the network axes are NET_SPAN x NET_SPAN data units
LABEL_ROOM = 1.0  # of which this much, on the left, is for the input features' names


def plane_grid(data, n):
    """n x n points covering the plane drawn (M = n^2, 2), in the order imshow draws them,
    and imshow's (extent, origin) for them."""
    (lo1, hi1), (lo2, hi2) = data.limits
    a, b = np.linspace(lo1, hi1, n), np.linspace(lo2, hi2, n)
    if data.rows_down:  # image rows are maze rows (x1), columns are maze columns (x2)
        x1, x2 = np.meshgrid(a, b, indexing="ij")
        return np.column_stack([x1.ravel(), x2.ravel()]), (lo2, hi2, hi1, lo1), "upper"
    x2, x1 = np.meshgrid(b, a, indexing="ij")
    return np.column_stack([x1.ravel(), x2.ravel()]), (lo1, hi1, lo2, hi2), "lower"


def screen_xy(data, x):
    """(horizontal, vertical) plot coordinates of 2-D inputs x (N, 2)."""
    return (x[:, 1], x[:, 0]) if data.rows_down else (x[:, 0], x[:, 1])


def class_colours(n_classes):
    """(n_classes, 3) RGB of the classes in the current style's palette."""
    return np.array([mpl.colors.to_rgb(f"C{k}") for k in (0, 1, 2)[:n_classes]])


def decision_image(probs, n, colours):
    """RGB (n, n, 3) of a decision surface: each point's class colours mixed by its
    probabilities, faded towards white where the network is unsure."""
    mixed = probs @ colours
    certainty = (probs.max(axis=1, keepdims=True) - 1 / len(colours)) / (1 - 1 / len(colours))
    faded = 1 - (1 - mixed) * (0.25 + 0.55 * certainty)
    return np.clip(faded, 0, 1).reshape(n, n, 3)


def summary(run):
    """One line of HTML: the update count (in a span of class lu-update-count), the epochs,
    and the last train and test loss and accuracy."""
    r = run.record
    text = (f"<b>update <span class='lu-update-count'>{run.updates}</span></b> · epoch "
            f"{run.epochs:.1f} · loss: train {r.train_loss[-1]:.3g}, test {r.test_loss[-1]:.3g}")
    if run.data.classification:
        text += (f" · accuracy: train {100 * r.train_accuracy[-1]:.0f}%, "
                 f"test {100 * r.test_accuracy[-1]:.0f}%")
    return text


def unit_label(layer, unit):
    return f"layer {layer}, unit {unit + 1}"


# (label, rest) widths in px of one control in the playground's grid: three columns fit a
# 1100-px notebook on a 1280-px projector (the shared grid's 500-px controls gave two columns,
# seven rows, and a 774-px panel)
COMPACT_PX = {"default": (110, 170), "dark": (110, 170), "projector": (140, 190)}


def compact_grid(controls):
    """The playground's 13 controls in narrower cells than widgets.control_grid's, so that
    three sit side by side on a projector."""
    label, rest = COMPACT_PX[style.current_style()]
    for control in controls:
        control.layout.width = f"{label + rest}px"
        control.style.description_width = f"{label}px"
    return widgets.GridBox(controls, layout=widgets.Layout(
        grid_template_columns=f"repeat(auto-fill, {label + rest}px)", grid_gap="2px 16px"))


def feature_css():
    """CSS giving the feature check boxes the panel's font size (the shared widget CSS sizes
    labels, read-outs and buttons, not a check box's own label, which stayed at 13 px on the
    projector next to 20-px slider labels)."""
    size = style.WIDGET_FONT_PX[style.current_style()]
    return (f".lu-features .widget-checkbox, .lu-features .widget-label-basic "
            f"{{font-size: {size}px;}} .lu-features input[type=checkbox] "
            f"{{width: {size - 2}px; height: {size - 2}px;}}")


class PlaygroundView:
    """Left: the network, each unit a small map of its output over the plane, edges coloured
    by weight sign (blue +, red -) and as wide as |w|. Middle: the output surface with the
    training points (filled) and test points (open), then one unit chosen large. Right:
    train and test loss and accuracy against updates. The title counts the updates."""

    def __init__(self):
        self.figure = plots.new_figure(13.0, 3.6)  # 3.9 in: a 639-px panel on a projector
        grid = self.figure.add_gridspec(2, 4, width_ratios=[1.15, 1.0, 0.8, 1.0])
        self.net = self.figure.add_subplot(grid[:, 0])
        self.out = self.figure.add_subplot(grid[:, 1])
        self.big = self.figure.add_subplot(grid[:, 2])
        self.loss_ax = self.figure.add_subplot(grid[0, 3])
        self.acc_ax = self.figure.add_subplot(grid[1, 3], sharex=self.loss_ax)
        for ax in (self.net, self.out, self.big):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        self.net.set_xlim(0, NET_SPAN)
        self.net.set_ylim(-NET_SPAN / 2, NET_SPAN / 2)
        self.net.set_aspect("equal")
        for spine in self.net.spines.values():
            spine.set_visible(False)
        self.net.set_title("the network (each unit's output)", fontsize="small")
        self._init_curves()
        self.shape, self.chosen = None, None
        plots.freeze_layout(self.figure)

    def _init_curves(self):
        ax = self.loss_ax
        (self.train_line,) = ax.plot([], [], color=style.FIT_COLOUR, label="train")
        (self.test_line,) = ax.plot([], [], color=style.DATA_COLOUR, linestyle="--",
                                    label="test")
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
        self.loss_title = ax.set_title("loss", fontsize="small")
        # lower left: a loss curve starts high on the left and falls to the right, or stays
        # flat at the top (XOR without a hidden layer), so that corner stays free
        ax.legend(loc="lower left", fontsize="small")
        ax.tick_params(labelbottom=False)
        ax = self.acc_ax
        (self.train_acc,) = ax.plot([], [], color=style.FIT_COLOUR)
        (self.test_acc,) = ax.plot([], [], color=style.DATA_COLOUR, linestyle="--")
        ax.set_ylim(0, 100)
        ax.set_yticks([0, 50, 100])
        ax.set_xlabel("updates")
        self.acc_title = ax.set_title("accuracy (%)", fontsize="small")
        self.loss_ax.set_xlim(0, 100)
        self.loss_ax.set_ylim(1e-2, 1e1)

    # --- built once per network shape ----------------------------------------------------

    def _build(self, run):
        """Artists for the shape of `run` (data set, features, layers): remove the old ones."""
        for artist in [*self.net.images, *self.net.collections, *self.net.texts,
                       *self.out.images, *self.out.collections, *self.big.images,
                       *self.big.collections]:
            artist.remove()
        data = run.data
        self.small_points, self.small_extent, self.small_origin = plane_grid(data, SMALL)
        self.large_points, extent, origin = plane_grid(data, LARGE)
        sizes = [len(run.features), *run.layers, run.data.n_classes or 1]
        columns = len(sizes)
        gap = (NET_SPAN - LABEL_ROOM) / columns
        self.half = min(0.42 * gap, 0.45 * NET_SPAN / max(sizes), 0.5)
        step = 2.2 * self.half  # units of a layer, top to bottom, centred on 0
        self.positions = [[(LABEL_ROOM + (k + 0.5) * gap, ((size - 1) / 2 - i) * step)
                           for i in range(size)] for k, size in enumerate(sizes)]
        self._build_canvas()
        for (x, y), name in zip(self.positions[0], run.features, strict=True):
            self.net.text(x - 1.15 * self.half, y, FEATURE_LABELS[name], ha="right",
                          va="center", fontsize="x-small")
        segments = [[(x0 + self.half, y0), (x1 - self.half, y1)]
                    for k in range(columns - 1)
                    for (x0, y0) in self.positions[k] for (x1, y1) in self.positions[k + 1]]
        self.edges = LineCollection(segments, zorder=2)
        self.net.add_collection(self.edges)
        # the large maps
        self.output_image = self.out.imshow(np.ones((LARGE, LARGE, 3)), extent=extent,
                                            origin=origin, interpolation="bilinear")
        if not data.classification:
            self.output_image = self.out.imshow(np.zeros((LARGE, LARGE)), extent=extent,
                                                origin=origin, cmap=style.VALUE_CMAP,
                                                vmin=data.target_range[0],
                                                vmax=data.target_range[1],
                                                interpolation="bilinear")
        self.big_image = self.big.imshow(np.zeros((LARGE, LARGE)), extent=extent, origin=origin,
                                         cmap=UNIT_CMAP, vmin=-1, vmax=1,
                                         interpolation="bilinear")
        self._scatter(data)
        for ax in (self.out, self.big):
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
        self.out.set_title("output: " + ("decision surface" if data.classification
                                         else "value surface"), fontsize="small")
        self.shape = (data.name, tuple(run.features), tuple(run.layers), data.n_classes,
                      len(data.x_train), id(data))

    def _build_canvas(self):
        """One RGBA image the size of the network axes in pixels, transparent but for a
        square per unit (one image draws faster than one per unit); the edges show through."""
        width, height = (int(round(v)) for v in (self.net.bbox.width, self.net.bbox.height))
        self.canvas = np.zeros((height, width, 4))
        self.canvas_image = self.net.imshow(self.canvas, origin="upper", zorder=3,
                                            extent=(0, NET_SPAN, -NET_SPAN / 2, NET_SPAN / 2),
                                            interpolation="nearest")

        side_r = int(round(2 * self.half / NET_SPAN * height))  # pixels per unit square
        side_c = int(round(2 * self.half / NET_SPAN * width))
        self.slots = []
        for column in self.positions:
            for x, y in column:
                c0 = min(int(round((x - self.half) / NET_SPAN * width)), width - side_c)
                r0 = min(int(round((NET_SPAN / 2 - y - self.half) / NET_SPAN * height)),
                         height - side_r)
                self.slots.append((slice(max(r0, 0), max(r0, 0) + side_r),
                                   slice(max(c0, 0), max(c0, 0) + side_c)))
        rows = np.arange(side_r) * SMALL // side_r
        self.up_rows = rows[::-1] if self.small_origin == "lower" else rows  # image rows: top down
        self.up_cols = np.arange(side_c) * SMALL // side_c
        self.unit_cmap = mpl.colormaps[UNIT_CMAP]

    def _scatter(self, data):
        colours = class_colours(data.n_classes) if data.classification else None
        for x, y, filled in ((data.x_train, data.y_train, True), (data.x_test, data.y_test, False)):
            h, v = screen_xy(data, x)
            if data.classification:
                c = colours[y]
            else:
                norm = mpl.colors.Normalize(*data.target_range)
                c = mpl.colormaps[style.VALUE_CMAP](norm(y))[:, :3]
            size = 40 if data.name == "maze" else 10
            if filled:
                self.out.scatter(h, v, s=size, c=c, edgecolors="white", linewidths=0.5, zorder=4)
            else:  # a regression target's colour would vanish into the surface: ink instead
                self.out.scatter(h, v, s=size, facecolors="none", linewidths=1.0, zorder=4,
                                 edgecolors=c if data.classification else style.INK)
        if data.walls is not None:  # grey blocks over the maze's walls
            grey = np.zeros((*data.walls.shape, 4))
            grey[data.walls] = mpl.colors.to_rgba(style.wall_colour())
            (lo1, hi1), (lo2, hi2) = data.limits
            self.out.imshow(grey, extent=(lo2, hi2, hi1, lo1), origin="upper",
                            interpolation="nearest", zorder=3)

    # --- every frame ---------------------------------------------------------------------

    def update(self, run, chosen=None):
        """Redraw for the current state of `run`; `chosen` = (layer, unit) shown large."""
        data = run.data
        shape = (data.name, tuple(run.features), tuple(run.layers), data.n_classes,
                 len(data.x_train), id(data))
        if shape != self.shape:
            self._build(run)
        small = run.unit_outputs(self.small_points)
        large = run.unit_outputs(self.large_points)
        maps = []
        for k, values in enumerate(small):
            if k == len(small) - 1 and data.classification:
                maps += list((2 * values - 1).T)  # a class probability, drawn in [-1, 1]
            else:
                maps += [self._normalised(column) for column in values.T]
        maps = np.array(maps).reshape(-1, SMALL, SMALL)[:, self.up_rows][:, :, self.up_cols]
        colours = self.unit_cmap((np.nan_to_num(maps) + 1) / 2)  # (units, side, side, 4)
        for (rows, cols), colour in zip(self.slots, colours, strict=True):
            self.canvas[rows, cols] = colour
        self.canvas_image.set_data(self.canvas)
        self._update_edges(run)
        self._update_output(run, large[-1])
        self._update_big(run, large, chosen)
        self._update_curves(run)
        return self

    @staticmethod
    def _normalised(values):
        """values scaled into [-1, 1] by their largest |value|: a unit's shape, whatever its
        scale."""
        top = np.nanmax(np.abs(values)) if values.size else 1.0
        if not np.isfinite(top) or top < 1e-12:
            return np.zeros_like(values)
        return values / top

    def _update_edges(self, run):
        widths, colours = [], []
        for w in run.weights[:]:
            W = w.data
            scale = max(np.abs(W).max(), 1e-12)
            for i in range(W.shape[0]):
                for j in range(W.shape[1]):
                    widths.append(0.3 + 3.2 * abs(W[i, j]) / scale)
                    colours.append(POSITIVE if W[i, j] >= 0 else NEGATIVE)
        self.edges.set_linewidths(widths)
        self.edges.set_colors(colours)

    def _update_output(self, run, output):
        if run.data.classification:
            image = decision_image(output, LARGE, class_colours(run.data.n_classes))
        else:
            image = output[:, 0].reshape(LARGE, LARGE)
        self.output_image.set_data(np.nan_to_num(image))

    def unit_choices(self, run):
        """The units one may show large: [(label, (layer, unit))], layer 0 = the inputs."""
        sizes = [len(run.features), *run.layers]
        return [((FEATURE_LABELS[run.features[u]] if layer == 0 else unit_label(layer, u)),
                 (layer, u)) for layer, size in enumerate(sizes) for u in range(size)]

    def _update_big(self, run, large, chosen):
        choices = dict((value, label) for label, value in self.unit_choices(run))
        if chosen not in choices:
            chosen = (1, 0) if run.layers else (0, 0)
        layer, unit = chosen
        self.big_image.set_data(self._normalised(large[layer][:, unit]).reshape(LARGE, LARGE))
        title = f"large: {choices[chosen]}"
        if self.big.get_title() != title:
            self.big.set_title(title, fontsize="small")

    def _update_curves(self, run):
        r = run.record
        updates = np.array(r.updates, dtype=float)
        self.train_line.set_data(updates, r.train_loss)
        self.test_line.set_data(updates, r.test_loss)
        losses = np.array(r.train_loss + r.test_loss, dtype=float)
        losses = losses[np.isfinite(losses) & (losses > 0)]
        if losses.size:
            low = 10 ** np.floor(np.log10(max(losses.min(), 1e-6)))
            high = 10 ** np.ceil(np.log10(losses.max()))
            if high / low < 100:
                low = high / 100
            if self.loss_ax.get_ylim() != (low, high):
                self.loss_ax.set_ylim(low, high)
        right = 100 * 2 ** np.ceil(np.log2(max(updates[-1], 100) / 100))  # doubles: rarely
        if self.loss_ax.get_xlim()[1] != right:
            self.loss_ax.set_xlim(0, right)
        if run.data.classification:
            self.train_acc.set_data(updates, 100 * np.array(r.train_accuracy))
            self.test_acc.set_data(updates, 100 * np.array(r.test_accuracy))
            title = "accuracy (%)"
        else:
            self.train_acc.set_data([], [])
            self.test_acc.set_data([], [])
            title = "accuracy: none for regression"
        if self.acc_title.get_text() != title:
            self.acc_title.set_text(title)
        self.loss_title.set_text(f"loss after {run.updates} updates")


# --- The panel --------------------------------------------------------------------------------

UPDATES_PER_FRAME = (1, 2, 5, 10, 20, 50, 100, 200)
QUESTION = ("Before you press Play: which settings can separate the two classes with no hidden "
            "layer at all? Watch the maps of the units: what do the first layer's units "
            "compute, whatever the data?")


class PlaygroundPanel(Panel):
    """The playground's controls, Play / Pause / Step / Reset and its live figure.

    A widgets.Panel in its interface (`controls`, `settings`, `set`, `refresh`, `view`,
    `widget`), but it keeps a training run between updates instead of recomputing.

    `controls` maps names to widgets; changing data, features, network or seed starts a new
    run (Reset-like); learning rate, batch size, L2 and optimiser take effect at the next
    update. `call_text` always holds the call that rebuilds the configuration.
    """

    def __init__(self, question=QUESTION, updates_per_frame=20, **config):
        config = {**DEFAULTS, **config}
        self.layers = [int(w) for w in config["layers"]]
        self.view, self.result = PlaygroundView(), None
        self.message_text, self.busy_shown = "", False
        self.controls = self._make_controls(config, updates_per_frame)
        # as wide as their labels: at the projector's font a fixed width cut "Regenerate"
        fitted = {"layout": widgets.Layout(width="auto", min_width="6em", flex="0 0 auto")}
        self.play_button = widgets.Button(description="Play", button_style="primary", **fitted)
        self.step_button = widgets.Button(description="Step", **fitted)
        self.reset_button = widgets.Button(description="Reset", **fitted)
        self.regenerate_button = widgets.Button(description="Regenerate", **fitted)
        self.button = self.play_button  # what `make bench` looks for
        self.play_button.on_click(lambda _: self.loop.toggle())
        self.step_button.on_click(lambda _: self.loop.step())
        self.reset_button.on_click(lambda _: self.loop.reset())
        self.regenerate_button.on_click(lambda _: self._regenerate())
        self.count = widgets.HTML()
        self.count.add_class("lu-live-count")
        self.message = widgets.HTML()
        self.call_line = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%",
                                                                        height="auto"))
        buttons = widgets.HBox([self.play_button, self.step_button, self.reset_button,
                                self.regenerate_button, self.count])
        # the unit shown large sits beside the feature boxes: a row of its own cost 33 px
        checkboxes = widgets.HBox([widgets.HTML("input features:")]
                                  + [self.controls[f"feature {f}"] for f in FEATURES]
                                  + [self.controls["chosen"]],
                                  layout=widgets.Layout(grid_gap="0 12px", align_items="center",
                                                        flex_flow="row wrap"))
        checkboxes.add_class("lu-features")
        sliders = [c for name, c in self.controls.items()
                   if not name.startswith("feature ") and name != "chosen"]
        compact_grid([self.controls["chosen"]])  # the same width as the others
        header = [widgets.HTML(f"<b>Think first:</b> {question}")] if question else []
        self.widget = styled_box(header + [compact_grid(sliders), checkboxes, buttons,
                                           self.call_line, self.message, self.image,
                                           widgets.HTML(f"<style>{feature_css()}</style>")])
        self.widget.add_class("lu-live")  # the browser test drives live panels on their own
        self.loop = LiveLoop(self._step, self._draw, on_reset=self._new_run,
                             on_change=self._relabel, on_error=self._stopped,
                             steps_per_frame=updates_per_frame)
        self._muted, self.run = False, None
        if self.refresh() is None:
            raise ValueError(self.message_text)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def _make_controls(self, config, updates_per_frame):
        features = set(config["features"])
        controls = {
            "data": dropdown([(label, name) for name, label in DATA_LABELS.items()],
                             config["data"], "data"),
            "noise": slider(float(config["noise"]), 0.0, 0.5, 0.05, "noise"),
            "test_fraction": slider(float(config["test_fraction"]), 0.1, 0.9, 0.1,
                                    "test share"),
            "seed": slider(int(config["seed"]), 0, 99, 1, "seed"),
            "depth": slider(len(self.layers), 0, MAX_LAYERS, 1, "hidden layers"),
            "units": slider(max(self.layers, default=4), 1, MAX_UNITS, 1, "units/layer"),
            "activation": dropdown(list(ACTIVATIONS), config["activation"], "activation"),
            "optimiser": dropdown(list(OPTIMISERS), config["optimiser"], "optimiser"),
            "lr": choice_slider(LEARNING_RATES, _listed(LEARNING_RATES, config["lr"], "lr"),
                                "learning rate"),
            "batch_size": choice_slider(BATCH_SIZES, _listed(BATCH_SIZES, config["batch_size"],
                                                             "batch_size"), "batch size"),
            "l2": choice_slider(L2_VALUES, _listed(L2_VALUES, config["l2"], "l2"), "L2"),
            "speed": choice_slider(UPDATES_PER_FRAME, updates_per_frame, "updates/frame"),
            "chosen": dropdown([("layer 1, unit 1", (1, 0))], None, "unit shown"),
        }
        for f in FEATURES:
            box = widgets.Checkbox(value=f in features, description=FEATURE_LABELS[f],
                                   indent=False, layout=widgets.Layout(width="auto"))
            controls[f"feature {f}"] = box
        return controls

    # --- settings (`settings` and `set` come from widgets.Panel) ----------------------

    def config(self):
        """The Playground keywords the controls say."""
        s = self.settings
        return dict(data=s["data"], features=[f for f in FEATURES if s[f"feature {f}"]],
                    layers=list(self.layers), activation=s["activation"],
                    optimiser=s["optimiser"], lr=s["lr"], batch_size=s["batch_size"], l2=s["l2"],
                    noise=s["noise"], test_fraction=s["test_fraction"], seed=s["seed"])

    @property
    def call_text(self):
        return playground_call(self.config())

    def compute(self, **config):
        """A new run for the Playground keywords `config` (at update 0)."""
        return Playground(**config)

    def refresh(self, new_run=False):
        """Apply the controls: a new run if data, features, network or seed changed (or
        `new_run`), else new training settings for the next update; redraw."""
        config = self.config()
        structure = {k: config[k] for k in Playground.STRUCTURE}
        try:
            if new_run or self.run is None or structure != {k: self.run.config[k]
                                                            for k in structure}:
                # tuples: a compute's keywords stay hashable (a test may cache its results)
                self.run = self.compute(**dict(config, features=tuple(config["features"]),
                                               layers=tuple(config["layers"])))
                # if playing, the loop goes on with the new run
                self.loop.steps = 0
            else:
                self.run.configure(optimiser=config["optimiser"], lr=config["lr"],
                                   batch_size=config["batch_size"], l2=config["l2"])
        except ValueError as error:
            self._show_message(str(error), error=True)
            return None
        self.loop.steps_per_frame = self.controls["speed"].value
        self._show_message(self.run.note, error=True)
        self._update_choices()
        self._draw()
        self.result = self.run
        return self.run

    def _follow(self, name):
        """Keep the list of hidden widths in step with the depth and units sliders."""
        if name == "depth":
            depth = self.controls["depth"].value
            fill = self.controls["units"].value
            self.layers = (self.layers + [fill] * depth)[:depth]
        elif name == "units":
            self.layers = [self.controls["units"].value] * len(self.layers)

    def _on_change(self, change):
        name = next(n for n, c in self.controls.items() if c is change["owner"])
        self._follow(name)  # also while `set` mutes the redraw
        if self._muted:
            return
        with self.loop.lock:  # this message may come on another thread than the loop's
            if name == "chosen":
                self._draw()
            else:
                self.refresh()

    def _regenerate(self):
        """New data and new weights: the next seed."""
        seed = self.controls["seed"]
        seed.value = seed.value + 1 if seed.value < seed.max else seed.min

    def _update_choices(self):
        chosen = self.controls["chosen"]
        options = self.view.unit_choices(self.run)
        if [o[1] for o in options] != [o[1] for o in chosen.options]:
            self._muted, before = True, chosen.value
            chosen.options = options
            values = [o[1] for o in options]
            chosen.value = before if before in values else (values[len(self.run.features)]
                                                            if self.run.layers else values[0])
            self._muted = False

    # --- the live loop -------------------------------------------------------------------

    def _new_run(self):
        """Reset: a new run with the current settings (the old one stays if they are bad)."""
        self.refresh(new_run=True)

    def _step(self):
        self.run.step()

    def _draw(self):
        if self.run is None:
            return
        with threadpool_limits(1):
            self.view.update(self.run, self.controls["chosen"].value)
            self._show_figure()
        self.count.value = summary(self.run)
        call = self.call_text
        self.call_line.value = f"<code>{call}</code>"

    def _relabel(self):
        self.play_button.description = "Pause" if self.loop.playing else "Play"

    def _stopped(self, error):
        self._show_message(str(error), error=True)
        self._draw()


def _listed(values, value, name):
    """`value` if a slider over `values` can show it; else a ValueError naming the choices."""
    for v in values:
        if np.isclose(v, value, rtol=1e-9, atol=0):
            return v
    raise ValueError(f"the panel's {name} slider offers {list(values)}, got {value!r} "
                     "(Playground(...) takes any value)")


def playground(question=QUESTION, **config):
    """The playground panel with the Playground keywords `config` (the rest at DEFAULTS), e.g.
    playground(data="spiral", layers=[8, 8], activation="tanh", optimiser="adam", lr=0.01)."""
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; expected some of {list(DEFAULTS)}")
    return PlaygroundPanel(question=question, **config)


PANELS = {"playground": playground}
