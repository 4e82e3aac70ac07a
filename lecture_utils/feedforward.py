"""Notebook 02, feedforward networks: a neural unit, activations, stacked layers, width vs depth.

Each demo is a plain compute function of its settings, a view that redraws in place,
and a panel builder that wires them (the pattern of `lecture_utils.widgets`).
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from contourpy import contour_generator
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator

from . import maze as mz
from . import nn, plots, style
from .optim import Adam
from .running_example import best_linear_fit, maze_setting
from .train import train
from .widgets import Panel, choice_slider, dropdown, slider

PLOTTED_ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid"]
GALLERY_LEAK = 0.1  # LeakyReLU's negative slope in the gallery: the default 0.01 is invisible
SATURATED = 0.01  # |g'(z)| below this: the unit barely passes a gradient back


def make_activation(name):
    """The activation module called `name` (one of nn.ACTIVATIONS)."""
    if name not in nn.ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(nn.ACTIVATIONS)}, got {name!r}")
    return nn.ACTIVATIONS[name]()


# --- A neural unit g(w^T x + b) over a 2-D input -------------------------------------------

UNIT_GRID = np.linspace(-3.0, 3.0, 121)


@dataclass
class UnitResult:
    """A neural unit evaluated on a grid: output (H, W) over x1 (columns) and x2 (rows)."""

    w: np.ndarray
    b: float
    activation: str
    output: np.ndarray
    boundary: np.ndarray  # (2, 2) end points of the line w^T x + b = 0, NaN when w = 0
    note: str = ""


def neural_unit(w1=1.0, w2=0.5, b=0.0, activation="relu"):
    """f(x) = g(w^T x + b) on a grid of 2-D inputs x = (x1, x2) in [-3, 3]^2 (book, ch. 7)."""
    g = make_activation(activation)
    x1, x2 = np.meshgrid(UNIT_GRID, UNIT_GRID)
    w = np.array([w1, w2], dtype=float)
    output = g.function(w[0] * x1 + w[1] * x2 + b)
    return UnitResult(w, float(b), activation, output, _boundary(w, b), _unit_note(w, b))


def _unit_note(w, b, half_width=UNIT_GRID[-1]):
    """Say when the boundary cannot be seen: w = 0, or the line misses the plotted square."""
    if not w.any():
        return "w = 0: the unit ignores its input and outputs g(b) everywhere."
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]) * half_width
    pre_activation = corners @ w + b
    if (pre_activation > 0).all() or (pre_activation < 0).all():
        return (f"the line w^T x + b = 0 lies outside the square, at distance "
                f"|b| / |w| = {abs(b) / np.linalg.norm(w):.2g} from the origin.")
    return ""


def _boundary(w, b, reach=10.0):
    """End points of the line w^T x + b = 0: through -b w/|w|^2, along w rotated by 90 degrees."""
    norm2 = w @ w
    if norm2 == 0:
        return np.full((2, 2), np.nan)
    centre, along = -b * w / norm2, np.array([-w[1], w[0]]) / np.sqrt(norm2)
    return np.stack([centre - reach * along, centre + reach * along])


UNIT_COLOUR_Z = 6.0  # colours span g(z) for z in [-6, 6], whatever the weights: fixed per g
UNIT_CONTOURS = 12  # contour lines at fixed output levels: the steeper the unit, the denser


def unit_colour_range(activation):
    """(low, high) of the unit panel's colour scale for `activation`: g(-6) to g(6).

    Fixed per activation, so that steeper weights show as a faster change of colour (and
    denser contour lines), instead of the scale stretching to each picture's min and max.
    """
    g = make_activation(activation)
    low, high = g.function(np.array([-UNIT_COLOUR_Z, UNIT_COLOUR_Z]))
    return float(low), float(high)


def unit_contour_levels(activation):
    """The output levels at which the unit panel draws contour lines, evenly spaced."""
    return np.linspace(*unit_colour_range(activation), UNIT_CONTOURS + 1)[1:-1]


class UnitView:
    """Heatmap of a unit's output on a fixed scale per activation, contour lines at fixed
    levels, the boundary w^T x + b = 0 and the weight vector w."""

    def __init__(self):
        self.figure = plots.new_figure(5.6, 4.4)
        ax = self.axes = self.figure.add_subplot()
        extent = (UNIT_GRID[0], UNIT_GRID[-1], UNIT_GRID[0], UNIT_GRID[-1])
        self.image = ax.imshow(np.zeros((2, 2)), origin="lower", extent=extent,
                               cmap=style.VALUE_CMAP)
        self.colorbar = self.figure.colorbar(self.image, ax=ax,
                                             label="unit output g(w^T x + b)")
        self.colorbar.locator = MaxNLocator(5)
        # contour lines at fixed output levels, one collection whose segments each update
        # replaces (a new contour set per update made the renderer redraw the whole axes)
        self.contours = ax.add_collection(LineCollection([], colors="white", linewidths=0.8,
                                                         alpha=0.6))
        self.levels = np.zeros(0)  # the levels drawn
        (self.line,) = ax.plot([], [], "w--", lw=2, label="w^T x + b = 0")
        self.arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0),
                                 arrowprops={"arrowstyle": "->", "color": "w", "lw": 2})
        ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="input x1", ylabel="input x2")
        ax.set_xticks([-2, 0, 2])  # not at the corner, where -3 and -3 would touch
        ax.set_yticks([-2, 0, 2])
        ax.grid(False)
        # a dark box keeps the white dashed line visible on the light end of the colour scale
        ax.legend(loc="lower left", fontsize="small", facecolor="0.25", labelcolor="w",
                  edgecolor="none", framealpha=0.85)
        ax.set_title(unit_formula("leaky_relu", (-2.5, -2.5), -4.5))  # the longest, before freeze
        self.figure.get_layout_engine().set(w_pad=0.1)  # keeps "input x2" off the left edge
        plots.freeze_layout(self.figure)

    def update(self, result):
        out = result.output
        self.image.set_data(out)
        self.image.set_clim(*unit_colour_range(result.activation))
        levels = unit_contour_levels(result.activation)
        self.levels = levels[(levels > out.min()) & (levels < out.max())]  # none for a constant
        lines = contour_generator(UNIT_GRID, UNIT_GRID, out)
        self.contours.set_segments([segment for level in self.levels
                                    for segment in lines.lines(level)])
        self.line.set_data(result.boundary[:, 0], result.boundary[:, 1])
        start = result.boundary.mean(axis=0) if result.w.any() and not result.note else np.zeros(2)
        self.arrow.set_position(start)
        self.arrow.xy = start + result.w / max(1.0, np.linalg.norm(result.w))
        self.axes.set_title(unit_formula(result.activation, result.w, result.b))


def unit_formula(activation, w, b):
    """The unit as one writes it, 'relu(-1.5 x1 - 1.5 x2 + 5)' (not '+ -1.5'); w: shape (2,)."""
    def signed(value):
        return f"{'-' if value < 0 else '+'} {abs(value):.2g}"
    return f"{activation}({w[0]:.2g} x1 {signed(w[1])} x2 {signed(b)})"


def neural_unit_panel():
    """Sliders for w1, w2, b and a dropdown for g: the unit's output over the input plane."""
    controls = {"w1": slider(1.0, -3.0, 3.0, 0.1, "weight w1"),
                "w2": slider(0.5, -3.0, 3.0, 0.1, "weight w2"),
                "b": slider(0.0, -5.0, 5.0, 0.1, "bias b"),
                "activation": dropdown(sorted(nn.ACTIVATIONS), "relu", "activation g")}
    return Panel(neural_unit, UnitView(), controls,
                 question="The dashed line is where w^T x + b = 0. Which slider moves it without "
                          "turning it, and which turns it? What does the arrow w point to?")


# --- Activation functions and their derivatives ---------------------------------------------

ACTIVATION_RANGE = np.linspace(-6.0, 6.0, 241)


def activation_curves(names=PLOTTED_ACTIVATIONS, z=ACTIVATION_RANGE):
    """{name: (g(z), g'(z))} for each activation, on pre-activations z (LeakyReLU: slope 0.1)."""
    modules = {name: nn.LeakyReLU(GALLERY_LEAK) if name == "leaky_relu" else make_activation(name)
               for name in names}
    return {name: (g.function(z), g.derivative(z)) for name, g in modules.items()}


@dataclass
class ActivationResult:
    """Each activation's value and slope at one pre-activation z0."""

    z0: float
    values: dict
    slopes: dict


def activation_at(z0=1.0):
    """g(z0) and g'(z0) for every plotted activation: how much gradient passes back at z0."""
    curves = activation_curves(z=np.array([float(z0)]))
    return ActivationResult(float(z0), {k: float(v[0][0]) for k, v in curves.items()},
                            {k: float(v[1][0]) for k, v in curves.items()})


class ActivationView:
    """g (top row) and g' (bottom row) per activation, saturated ranges shaded, a marker at z0.

    The g' row shares one y axis (0 to 1), so slopes compare across activations: the
    sigmoid's best slope 0.25 is a quarter of tanh's, LeakyReLU's 0.1 stands above ReLU's 0.
    """

    SLOPE_LIMITS = (-0.12, 1.5)  # every g' here lies in [0, 1]; room above for the value

    def __init__(self, names=PLOTTED_ACTIVATIONS):
        self.figure = plots.new_figure(9.5, 4.4)
        axes = self.figure.subplots(2, len(names), sharex=True)
        self.markers, self.tangents, self.slope_text = {}, {}, {}
        z = ACTIVATION_RANGE
        for col, (name, (g, dg)) in enumerate(activation_curves(names).items()):
            top, bottom = axes[0, col], axes[1, col]
            top.plot(z, g, color=style.FIT_COLOUR)
            bottom.plot(z, dg, color=style.DATA_COLOUR)
            for ax in (top, bottom):  # shade where almost no gradient flows back
                ax.fill_between(z, 0, 1, where=np.abs(dg) < SATURATED, color="grey", alpha=0.2,
                                transform=ax.get_xaxis_transform(), lw=0)
            top.set_title(f"leaky_relu ({GALLERY_LEAK})" if name == "leaky_relu" else name)
            bottom.set_xlabel("pre-activation z")
            (self.markers[name, 0],) = top.plot([], [], "o", color=style.ERROR_COLOUR)
            (self.markers[name, 1],) = bottom.plot([], [], "o", color=style.ERROR_COLOUR)
            (self.tangents[name],) = top.plot([], [], "--", color=style.ERROR_COLOUR, lw=1)
            self.slope_text[name] = bottom.text(0.03, 0.97, "", transform=bottom.transAxes,
                                                ha="left", va="top", fontsize="small")
            top.set_ylim(g.min() - 0.5, g.max() + 0.5)
            bottom.set_ylim(*self.SLOPE_LIMITS)
            bottom.set_yticks([0, 0.5, 1])
            top.yaxis.set_major_locator(MaxNLocator(3))  # few tick labels: text is slow to draw
            for ax in (top, bottom):
                ax.set_xticks([-5, 0, 5])
            if col > 0:  # one shared scale for every g': its numbers once, on the left
                bottom.tick_params(labelleft=False)
        axes[0, 0].set_ylabel("g(z)")
        axes[1, 0].set_ylabel("g'(z)")
        self.figure.suptitle("grey: saturated, g'(z) < 0.01: almost no gradient passes back")
        plots.freeze_layout(self.figure)

    def update(self, result):
        span = np.array([-1.5, 1.5])
        for name, value in result.values.items():
            slope = result.slopes[name]
            self.markers[name, 0].set_data([result.z0], [value])
            self.markers[name, 1].set_data([result.z0], [slope])
            self.tangents[name].set_data(result.z0 + span, value + slope * span)
            self.slope_text[name].set_text(f"g'({result.z0:.3g}) = {slope:.2g}")


def activation_panel():
    """A slider for the pre-activation z0: each activation's value and slope there."""
    controls = {"z0": slider(1.0, -6.0, 6.0, 0.1, "pre-activation z")}
    return Panel(activation_at, ActivationView(), controls,
                 question="Backpropagation multiplies by g'(z). Drag z to -5 and to +5: which "
                          "activations still pass a gradient back there? Which one never "
                          "saturates on either side?")


# --- Without a non-linearity, depth adds nothing ---------------------------------------------

def linear_stack(sizes=(2, 8, 8, 1), activation_name="identity", rng=0):
    """A Sequential of Linear layers of the given sizes with `activation_name` between them."""
    rng = np.random.default_rng(rng)
    layers = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(d_in, d_out, rng=rng))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation_name))
    return nn.Sequential(*layers)


def collapse_linear_layers(model):
    """(W, b) of the single layer x W + b equal to a stack of Linear layers without activations.

    (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2), and so on layer by layer.
    """
    linear = [m for m in model.layers if not isinstance(m, nn.Identity)]
    if not all(isinstance(m, nn.Linear) for m in linear):
        raise ValueError("collapse_linear_layers expected only Linear (and Identity) layers")
    W, b = np.eye(linear[0].in_features), np.zeros(linear[0].in_features)
    for layer in linear:
        W, b = W @ layer.weight.data, b @ layer.weight.data + layer.bias.data
    return W, b


@dataclass
class StackResult:
    """Outputs y (networks, points) of random networks on a 1-D input x (points,)."""

    x: np.ndarray
    y: np.ndarray
    activation: str
    depth: int


RANDOM_WIDTH = 16  # units per hidden layer of the random networks
RANDOM_SEEDS = 21  # the panel's seeds 0..20


def random_networks(activation="identity", depth=3, seed=0, n_networks=5):
    """Five random 1-D networks, `depth` hidden layers of RANDOM_WIDTH units: do they bend?"""
    if depth < 1:
        raise ValueError(f"depth must be at least 1 hidden layer, got {depth}")
    x = np.linspace(-3, 3, 200)[:, None]
    sizes = (1,) + (RANDOM_WIDTH,) * depth + (1,)
    y = np.stack([linear_stack(sizes, activation, rng=seed * 100 + i)(x)[:, 0]
                  for i in range(n_networks)])
    return StackResult(x[:, 0], y, activation, depth)


@lru_cache(maxsize=64)
def random_networks_limits(activation, depth):
    """(low, high): round y limits that hold the networks of every seed of the panel.

    The same for every seed, so that dragging the seed redraws only the curves (`render`).
    """
    outputs = [random_networks(activation, depth, seed).y for seed in range(RANDOM_SEEDS)]
    return plots.nice_limits(min(y.min() for y in outputs), max(y.max() for y in outputs))


class StackView:
    """The graphs of a few random networks f: R -> R, on y limits fixed per activation and depth."""

    def __init__(self, n_networks=5):
        self.figure = plots.new_figure(5.4, 3.6)
        self.axes = self.figure.add_subplot()
        self.lines = [self.axes.plot([], [])[0] for _ in range(n_networks)]
        self.axes.set(xlabel="input x", ylabel="network output f(x)", xlim=(-3, 3),
                      ylim=(-0.75, 0.75))  # lays out room for the widest tick label, -0.75
        self.axes.set_title("two lines\nfor the layout", fontsize="medium")
        plots.freeze_layout(self.figure)

    def update(self, result):
        for line, y in zip(self.lines, result.y, strict=True):
            line.set_data(result.x, y)
        self.axes.set_ylim(*random_networks_limits(result.activation, result.depth))
        self.axes.set_title(f"{len(result.y)} random networks, {result.activation}\n"
                            f"{result.depth} hidden layer{'s' * (result.depth > 1)} of "
                            f"{RANDOM_WIDTH} units",
                            fontsize="medium")


def random_networks_panel():
    """Depth, activation and seed of five random networks: with identity they stay straight."""
    controls = {"activation": dropdown(sorted(nn.ACTIVATIONS), "identity", "activation g"),
                "depth": slider(3, 1, 4, 1, "hidden layers"),
                "seed": slider(0, 0, RANDOM_SEEDS - 1, 1, "random seed")}
    return Panel(random_networks, StackView(), controls,
                 question="With the identity activation, can any depth or seed make a curve? "
                          "Switch to relu: what shape are the pieces?")


def describe_layers(model):
    """One line per layer: its type, weight and bias shapes and parameter count."""
    lines = []
    for i, layer in enumerate(model.layers):
        shapes = ", ".join(f"{name} {p.data.shape}" for name, p in layer.named_parameters())
        lines.append(f"({i}) {layer!r:<22s} {shapes or 'no parameters':<36s} "
                     f"{nn.count_parameters(layer):>6d} parameters")
    lines.append(f"total: {nn.count_parameters(model)} parameters")
    return "\n".join(lines)


# --- Universal approximation: width and depth ---------------------------------------------

def tent(x):
    """The tent map 2 min(x, 1 - x) on [0, 1]: one fold of the interval onto itself."""
    return 2.0 * np.minimum(x, 1.0 - x)


def sawtooth(x, folds=3):
    """The tent map composed `folds` times: 2^(folds-1) teeth, 2^folds straight pieces."""
    for _ in range(folds):
        x = tent(x)
    return x


SAWTOOTH_FOLDS = 4  # 8 teeth, 16 straight pieces, in the panel and in the depth comparison
CURVE_TARGETS = {
    "bump": lambda x: np.exp(-(((x - 0.5) / 0.12) ** 2)),
    "sine": lambda x: 0.5 + 0.5 * np.sin(4 * np.pi * x),
    "step": lambda x: (x > 0.5).astype(float),
    "sawtooth": lambda x: sawtooth(x, SAWTOOTH_FOLDS),
}


def curve_data(target="sine", n_points=97):
    """Inputs x (n, 1) evenly spaced in [0, 1] and targets y (n, 1) of a named 1-D function.

    97 points: a spacing of 1/96 samples every corner of the 16-piece sawtooth.
    """
    if target not in CURVE_TARGETS:
        raise ValueError(f"target must be one of {sorted(CURVE_TARGETS)}, got {target!r}")
    x = np.linspace(0.0, 1.0, n_points)[:, None]
    return x, CURVE_TARGETS[target](x)


def best_line_mse(target="sine"):
    """The MSE of the best straight line a + b x through the target's points: what any
    network with the identity activation can at best reach."""
    x, y = curve_data(target)
    coefficients = np.polyfit(x[:, 0], y[:, 0], 1)
    return float(np.mean((np.polyval(coefficients, x[:, 0]) - y[:, 0]) ** 2))


def folding_network(folds=3):
    """A deep ReLU network, 2 units per hidden layer, that computes sawtooth(x, folds) exactly.

    Each hidden layer holds relu(z) and relu(z - 1/2) of its input z; then
    tent(z) = 2 relu(z) - 4 relu(z - 1/2) on [0, 1] is what the next layer reads.
    """
    if folds < 1:
        raise ValueError(f"folds must be at least 1, got {folds}")
    layers, fold = [], np.array([[2.0, 2.0], [-4.0, -4.0]])  # z = 2 h1 - 4 h2, twice
    for i in range(folds):
        layer = nn.Linear(1 if i == 0 else 2, 2)
        layer.weight.data[:] = np.ones((1, 2)) if i == 0 else fold
        layer.bias.data[:] = [0.0, -0.5]
        layers += [layer, nn.ReLU()]
    output = nn.Linear(2, 1)
    output.weight.data[:], output.bias.data[:] = [[2.0], [-4.0]], 0.0
    return nn.Sequential(*layers, output)


def make_mlp(width=16, depth=1, activation="tanh", n_inputs=1, seed=0, spread_inputs=(0.0, 1.0)):
    """An MLP n_inputs -> `depth` hidden layers of `width` units -> 1 output.

    Fan-in initialisation everywhere except one teaching choice: for a 1-D input, each unit
    of the first layer gets a steep slope (|w| ~ 8) and its transition (where w x + b = 0) at
    a random point of `spread_inputs`, so a few hundred steps suffice to fit a curve there.
    """
    if not 1 <= width or not 1 <= depth:
        raise ValueError(f"width and depth must be >= 1, got width={width}, depth={depth}")
    rng = np.random.default_rng(seed)
    layers, d_in = [], n_inputs
    for _ in range(depth):
        layers += [nn.Linear(d_in, width, rng=rng), make_activation(activation)]
        d_in = width
    layers.append(nn.Linear(d_in, 1, rng=rng))
    if n_inputs == 1 and spread_inputs is not None:
        first = layers[0]
        slopes = 8.0 * rng.choice([-1.0, 1.0], size=width) * rng.uniform(0.5, 1.5, size=width)
        first.weight.data[0] = slopes
        first.bias.data[:] = -slopes * rng.uniform(*spread_inputs, size=width)
    return nn.Sequential(*layers)


@dataclass
class NetworkFit:
    """A network trained on a 1-D target: inputs x (n,), target y (n,), fit y_hat (n,)."""

    x: np.ndarray
    y: np.ndarray
    y_hat: np.ndarray
    loss: np.ndarray  # training loss per update
    n_parameters: int
    label: str
    note: str = ""


def fit_network(target="sine", width=16, depth=1, activation="tanh", steps=400, lr=0.01, seed=0,
                progress=None):
    """Train an MLP (full-batch Adam) on 97 points of a 1-D target curve; return the fit.

    `progress(partial_fit)` is called every 50 updates, for a live figure.
    """
    x, y = curve_data(target)
    model = make_mlp(width, depth, activation, seed=seed)
    n = nn.count_parameters(model)
    label = f"width {width}, depth {depth}, {activation}: {n} parameters"  # a title line

    def result(history):
        y_hat = model(x)[:, 0] if not history.diverged else np.full(len(x), np.nan)
        return NetworkFit(x[:, 0], y[:, 0], y_hat, history.loss, n, label, history.message)

    callback = None if progress is None else (lambda step, history: progress(result(history)))
    history = train(model, x, y, optimizer=Adam(model.parameters(), lr=lr), method="gd",
                    steps=steps, seed=seed, callback=callback, callback_every=50)
    return result(history)


def parts_fitted(fit, parts, tolerance=0.25):
    """Which of `parts` equal pieces of [0, 1] a fit follows: (parts,) booleans, True where
    the largest error |y_hat - y| there stays below `tolerance`.

    The sine has 4 humps (parts=4), the sawtooth 8 teeth (parts=8); both have height 1.
    """
    error = np.abs(fit.y_hat - fit.y)
    return np.array([bool(error[(fit.x >= k / parts) & (fit.x <= (k + 1) / parts)].max()
                          < tolerance) for k in range(parts)])


class NetworkFitView:
    """The target, the network's fit and its training loss."""

    def __init__(self):
        self.figure = plots.new_figure(9.0, 3.4)
        ax, loss_ax = self.figure.subplots(1, 2, width_ratios=[1.6, 1])
        (self.target,) = ax.plot([], [], color=style.TRUE_COLOUR, lw=4, alpha=0.6,
                                 label="target")
        (self.fit,) = ax.plot([], [], color=style.FIT_COLOUR, label="network")
        ax.set(xlim=(0, 1), ylim=(-0.25, 1.25), xlabel="input x", ylabel="output")
        self.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
        ax.set_title("two lines\nfor the layout", fontsize="medium")
        self.axes = ax
        self.loss = plots.LossCurve(loss_ax, title="training loss (MSE)")
        self.loss.best.set_visible(False)
        self.loss.ax.get_legend().remove()
        self.loss.ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        plots.freeze_layout(self.figure)

    def update(self, result):
        if not np.array_equal(self.target.get_ydata(), result.y):  # a new target only
            self.target.set_data(result.x, result.y)
        self.fit.set_data(result.x, np.nan_to_num(result.y_hat, nan=np.nan))
        self.fit.set_visible(bool(np.isfinite(result.y_hat).all()))
        self.loss.update(result.loss)
        final = f"MSE {result.loss[-1]:.2g}" if len(result.loss) else "no fit"
        self.axes.set_title(f"{result.label}\n{final}", fontsize="medium")


WIDTHS = [1, 2, 4, 8, 16, 32, 64, 128]
SLOW_FIT_UNITS = 64  # width x depth from which an update takes over ~150 ms (with drawing)
BUTTON_FIT_PARAMETERS = 20_000  # above this (128 units in 3 or 4 layers: 0.3-0.5 s of CPU,
# seconds on a busy machine) the panel trains only when Train is pressed, with a live curve


def mlp_parameters(width, depth, n_inputs=1):
    """The parameter count of `make_mlp(width, depth)`: (d_in + 1) d_out summed over layers."""
    return count_mlp_parameters([n_inputs] + [width] * depth + [1])


def fitting_cue(width, depth, **_):
    """The panel's message while a large network trains ("" for a quick one)."""
    return f"fitting a {width}x{depth} network ..." if width * depth >= SLOW_FIT_UNITS else ""


def quick_to_fit(width, depth, **_):
    """Whether the width/depth panel trains this network on every change (else on Train)."""
    return mlp_parameters(width, depth) <= BUTTON_FIT_PARAMETERS


def width_depth_panel():
    """Width, depth, activation and target of a network trained on a 1-D curve: at every
    change, or, for networks over BUTTON_FIT_PARAMETERS, when Train is pressed."""
    controls = {"target": dropdown(sorted(CURVE_TARGETS), "sine", "target"),
                "width": choice_slider(WIDTHS, 16, "width", live=False),
                "depth": slider(1, 1, 4, 1, "hidden layers", live=False),
                "activation": dropdown(["relu", "tanh", "sigmoid", "leaky_relu", "identity"],
                                       "tanh", "activation g")}
    return Panel(fit_network, NetworkFitView(), controls, busy=fitting_cue, cache=64,
                 button="Train", quick=quick_to_fit,
                 question="How many tanh units does one hidden layer need before the sine is "
                          "fitted well (MSE below 0.001)? What does the identity activation "
                          "give, at any width and depth?")


# --- Depth can beat width: the sawtooth -----------------------------------------------------

@dataclass
class DepthComparison:
    """The sawtooth target and three networks: (label, parameters, y_hat (n,), MSE) each."""

    x: np.ndarray
    y: np.ndarray
    folds: int
    networks: list


def shallow_relu_network(kinks, x, y):
    """One hidden layer of ReLU units relu(x - kink), one per kink; the output layer is the
    least-squares fit to y (n, 1) at inputs x (n, 1), the best it can do with these kinks."""
    kinks = np.asarray(kinks, dtype=float)
    hidden, output = nn.Linear(1, len(kinks)), nn.Linear(len(kinks), 1)
    hidden.weight.data[:], hidden.bias.data[:] = 1.0, -kinks
    model = nn.Sequential(hidden, nn.ReLU(), output)
    features = np.column_stack([model[1](model[0](x)), np.ones(len(x))])  # (n, units + 1)
    coefficients = np.linalg.lstsq(features, y[:, 0], rcond=None)[0]
    output.weight.data[:, 0], output.bias.data[:] = coefficients[:-1], coefficients[-1]
    return model


def parameters_for_exact_sawtooth(folds):
    """(deep, shallow) parameter counts that compute sawtooth(x, folds) exactly on [0, 1].

    Deep: `folding_network`, 6 folds + 1. Shallow: one unit per corner, 2^folds units,
    3 * 2^folds + 1 (a shallow ReLU network with w units has at most w + 1 pieces).
    """
    return 6 * folds + 1, 3 * 2 ** folds + 1


def depth_versus_width(folds=SAWTOOTH_FOLDS):
    """Deep-and-narrow against shallow-and-wide on sawtooth(x, folds), all set by hand.

    deep: `folding_network(folds)`, 6 folds + 1 parameters, exact.
    shallow with as many parameters (2 folds units): kinks at the first corners of the
    sawtooth, output layer by least squares; it cannot be exact, having too few pieces.
    shallow with a unit at every corner (2^folds units): exact, with many more parameters.
    """
    x = np.linspace(0.0, 1.0, 401)[:, None]
    y = sawtooth(x, folds)
    corners = np.arange(2 ** folds) / 2 ** folds  # where the sawtooth bends (0 acts as x)
    networks = [
        (f"deep, set by hand: {folds} layers of 2 units", folding_network(folds)),
        (f"shallow, same parameters: {2 * folds} units",
         shallow_relu_network(corners[:2 * folds], x, y)),
        (f"shallow, exact: {2 ** folds} units, one per corner",
         shallow_relu_network(corners, x, y)),
    ]
    rows = [(label, nn.count_parameters(m), m(x)[:, 0], float(np.mean((m(x) - y) ** 2)))
            for label, m in networks]
    return DepthComparison(x[:, 0], y[:, 0], folds, rows)


def plot_depth_comparison(result):
    """One axes per network: the sawtooth and the network's output, parameters and MSE."""
    figure = plots.new_figure(3.7 * len(result.networks), 4.2)  # 1110 px wide on a projector
    axes = figure.subplots(1, len(result.networks), sharey=True)
    for ax, (label, n_params, y_hat, mse) in zip(axes, result.networks, strict=True):
        ax.plot(result.x, result.y, color=style.TRUE_COLOUR, lw=4, alpha=0.6, label="target")
        ax.plot(result.x, y_hat, color=style.FIT_COLOUR, label="network")
        title = label.replace(": ", ":\n")  # two short lines fit the projector style too
        error = f"{mse:.1e}" if mse > 1e-20 else "0 (exact)"
        ax.set_title(f"{title}\n{n_params} parameters, MSE {error}", fontsize="medium")
        ax.set_xlabel("input x")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return figure


# --- Back to the maze: an MLP against the linear models of notebook 01 ------------------------

VALUE_SCALE = 10.0  # V^pi / 10 lies in about [-1.5, 0]: targets of order 1 suit the default init
LINEAR_BASELINES = {"linear, coordinates": ("coordinates", {}),
                    "linear, polynomial 3": ("polynomial", {"degree": 3}),
                    "linear, RBF width 1": ("rbf", {"rbf_width": 1.0})}
BASELINE = "linear, polynomial 3"  # notebook 01's default model
RMSE_LABELS = {"linear, coordinates": "coord.", "linear, polynomial 3": "poly. 3",
               "linear, RBF width 1": "RBF 1"}  # short names under the RMSE bars


@dataclass
class MazeFit:
    """An MLP's V_hat (N,) on the maze next to linear baselines {name: V_hat (N,)}."""

    values: np.ndarray
    estimate: np.ndarray
    baselines: dict
    visited: np.ndarray
    held_out: np.ndarray
    loss: np.ndarray  # training MSE per update, in units of V^pi squared
    n_parameters: int
    note: str = ""

    def held_out_rmse(self, estimate=None):
        """Root mean squared error on the states never trained on (the MLP's by default)."""
        return maze_setting().unvisited_rmse(self.estimate if estimate is None else estimate)


def fit_maze_mlp(width=64, depth=1, activation="tanh", steps=2000, lr=0.01, seed=0,
                 progress=None):
    """Train an MLP on normalised (row, col) of the visited maze states to predict V^pi.

    The inputs are notebook 01's "coordinates" features without the constant; the linear
    baselines are least-squares fits on the same visited states (the best gradient descent
    can reach). `progress(partial_result)` is called every 50 updates, for a live figure.
    """
    setting = maze_setting()
    maze, values, visited = setting.maze, setting.values, setting.visited
    x = mz.normalised_coordinates(maze)
    held_out = setting.unvisited
    baselines = {name: best_linear_fit(kind, train_on="visited", **kw)
                 for name, (kind, kw) in LINEAR_BASELINES.items()}
    model = make_mlp(width, depth, activation, n_inputs=2, seed=seed)

    def result(history):
        estimate = VALUE_SCALE * model(x)[:, 0] if not history.diverged else np.full(
            maze.n_states, np.nan)
        return MazeFit(values, estimate, baselines, visited, held_out,
                       history.loss * VALUE_SCALE ** 2, nn.count_parameters(model),
                       history.message)

    callback = None if progress is None else (lambda step, history: progress(result(history)))
    history = train(model, x[visited], values[visited, None] / VALUE_SCALE,
                    optimizer=Adam(model.parameters(), lr=lr), method="gd", steps=steps,
                    seed=seed, callback=callback, callback_every=50)
    fit = result(history)
    if not fit.note:
        fit.note = unstable_note(fit.loss)
    return fit


UNSTABLE_JUMP = 1e3  # a loss this many times its lowest value so far: training is unstable


def largest_jump(loss):
    """(factor, step): the largest rise of the loss (T,) above its lowest value before."""
    loss = np.asarray(loss, dtype=float)
    if len(loss) < 2:
        return 1.0, 0
    ratio = loss[1:] / np.minimum.accumulate(loss)[:-1]
    step = int(ratio.argmax()) + 1
    return float(ratio[step - 1]), step


def unstable_note(loss):
    """A warning if the loss (T,) jumped UNSTABLE_JUMP-fold or more after falling, else ""."""
    factor, step = largest_jump(loss)
    if factor < UNSTABLE_JUMP:
        return ""
    return (f"unstable: at step {step} the loss jumped by a factor of {factor:,.0f}, to "
            f"{loss[step]:.2g}; "
            "the learning rate is too large for steady descent (try 0.01), and the figure "
            "shows wherever the last jump left the fit")


class MazeFitView:
    """Top: V^pi, the linear V_hat, the MLP's V_hat, then both errors. Bottom: the loss, the
    RMSE on unvisited states, the values at s1..s4.

    The value maps share one colour bar and the error maps another, so that all five maps
    fit one row and stay large on a projector (whose figures are at most 400 px high).
    """

    ERROR_CLIM = (-6.0, 6.0)

    def __init__(self):
        setting = maze_setting()
        maze, values = self.maze, self.values = setting.maze, setting.values
        self.figure = plots.new_figure(11.5, 5.0)  # 1150 x 400 px on a projector
        top, bottom = self.figure.subfigures(2, 1, height_ratios=[1.5, 1])
        value_axes, error_axes = top.subplots(1, 5)[:3], top.axes[3:]
        self.clim = (values.min(), values.max())
        kind, kw = LINEAR_BASELINES[BASELINE]
        baseline = best_linear_fit(kind, train_on="visited", **kw)
        maps = {"colorbar": False}
        truth = plots.ValueHeatmap(value_axes[0], maze, values, r"true $V^\pi$" + "\n",
                                   clim=self.clim, **maps)
        plots.ValueHeatmap(value_axes[1], maze, baseline, "polynomial 3\n(dots: trained on)",
                           clim=self.clim, visited=setting.visited, **maps)
        self.mlp = plots.ValueHeatmap(value_axes[2], maze, values, "MLP\n", clim=self.clim,
                                      visited=setting.visited, **maps)
        linear_error = plots.ValueHeatmap(error_axes[0], maze, baseline - values,
                                          "polynomial 3:\nerror", symmetric=True,
                                          clim=self.ERROR_CLIM, **maps)
        self.mlp_error = plots.ValueHeatmap(error_axes[1], maze, 0 * values, "MLP:\nerror",
                                            symmetric=True, clim=self.ERROR_CLIM, **maps)
        bars = {"shrink": 0.8, "fraction": 0.04, "pad": 0.01}  # slim: the maps get the width
        top.colorbar(truth.image, ax=value_axes, label="value", ticks=MaxNLocator(4), **bars)
        top.colorbar(linear_error.image, ax=error_axes, label=r"$\hat V - V^\pi$",
                     ticks=MaxNLocator(4), **bars)
        loss_ax, rmse_ax, named_ax = bottom.subplots(1, 3, width_ratios=[1.1, 1, 1.1])
        self.loss = plots.LossCurve(loss_ax, title="MLP loss (MSE)")
        self.loss.best.set_visible(False)
        self.loss.ax.get_legend().remove()
        self.loss.ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        self._init_rmse(rmse_ax)
        self._init_named(named_ax, baseline)
        plots.freeze_layout(self.figure)

    def _init_named(self, ax, baseline):
        names = list(self.maze.named_states)
        self.named_idx = [self.maze.index(self.maze.named_states[n]) for n in names]
        x = np.arange(len(names))
        series = [(r"true $V^\pi$", self.values, style.TRUE_COLOUR),
                  ("polynomial 3", baseline, style.DATA_COLOUR),
                  ("MLP", self.values, style.FIT_COLOUR)]
        for k, (label, v, colour) in enumerate(series):
            bars = ax.bar(x + (k - 1) * 0.27, v[self.named_idx], 0.27, color=colour, label=label)
        self.named_bars = bars  # the MLP's, updated in place
        ax.set_xticks(x, [f"{n}*" if i not in maze_setting().visited else n
                          for n, i in zip(names, self.named_idx, strict=True)])
        ax.axhline(0, color=style.INK, lw=0.8)
        ax.set_ylim(1.25 * self.values.min(), 0)
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.set_title("values (*: unvisited)", fontsize="medium")
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside right center")

    def _init_rmse(self, ax):
        names = [RMSE_LABELS[name] for name in LINEAR_BASELINES] + ["MLP"]
        colours = [style.DATA_COLOUR] * (len(names) - 1) + [style.FIT_COLOUR]
        self.rmse_bars = ax.barh(range(len(names)), np.ones(len(names)), color=colours)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.set_title("RMSE, unvisited states", fontsize="medium")
        self.rmse_text = [ax.text(0, i, "", va="center", ha="left", fontsize="small")
                          for i in range(len(names))]

    def update(self, result):
        self.mlp.update(result.estimate, clim=self.clim)
        self.mlp.ax.set_title(f"MLP\n{result.n_parameters} parameters")
        self.mlp_error.update(result.estimate - result.values, clim=self.ERROR_CLIM)
        self.loss.update(result.loss)
        rmse = [result.held_out_rmse(v) for v in result.baselines.values()]
        rmse.append(result.held_out_rmse())
        for bar, text, value in zip(self.rmse_bars, self.rmse_text, rmse, strict=True):
            shown = value if np.isfinite(value) else 0.0
            bar.set_width(shown)
            text.set_x(shown)
            text.set_text(f" {value:.2f}" if np.isfinite(value) else " -")
        self.rmse_bars[0].axes.set_xlim(0, 1.5 * max(np.nan_to_num(rmse)))
        named = np.nan_to_num(result.estimate[self.named_idx])
        for bar, value in zip(self.named_bars, named, strict=True):
            bar.set_height(value)
        low = min(1.25 * self.values.min(), 1.1 * named.min())
        self.named_bars[0].axes.set_ylim(low, max(0.0, 1.1 * named.max()))


def maze_mlp_panel():
    """Width, depth, activation, steps and learning rate of the maze MLP, trained on a button."""
    controls = {"width": slider(64, 1, 128, 1, "width"),
                "depth": slider(1, 1, 3, 1, "hidden layers"),
                "activation": dropdown(["tanh", "relu", "sigmoid", "identity"], "tanh",
                                       "activation g"),
                "steps": slider(2000, 100, 5000, 100, "steps"),
                "lr": slider(0.01, 1e-4, 0.3, description="learning rate", log=True)}
    return Panel(fit_maze_mlp, MazeFitView(), controls, button="Train",
                 question="s2 and s4 were never visited. Will the MLP's values there be closer "
                          "to the truth than the polynomial's? Look at s4's column, next to the "
                          "right-hand wall: can any model that sees only (row, col) know the "
                          "wall is there?")


PANELS = {"neural_unit": neural_unit_panel, "activations": activation_panel,
          "random_networks": random_networks_panel, "width_depth": width_depth_panel,
          "maze_mlp": maze_mlp_panel}


# --- Reference solutions of the exercises (the checkers compare against these) ----------------

def relu(z):
    """max(0, z) elementwise, any shape; a new array."""
    return np.maximum(z, 0.0)


def relu_derivative(z):
    """1 where z > 0, else 0 (at exactly 0 we use 0, as PyTorch does); same shape as z."""
    return (z > 0).astype(float)


def dense_layer(X, W, b):
    """A tanh layer for a batch: tanh(X W + b); X (N, D_in), W (D_in, D_out), b (D_out,)."""
    return np.tanh(X @ W + b)


def count_mlp_parameters(sizes):
    """Parameters of an MLP with layer sizes [d_0, d_1, ..., d_L]: sum of (d_in + 1) d_out."""
    return sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=False))
