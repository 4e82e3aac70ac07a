"""Notebook 01: from value tables to linear function approximation, on the maze.

Each demo is a plain compute function of its settings (tested on its own), a view that
updates its figure in place, and a `*_panel()` builder wiring the two with sliders
(see `lecture_utils.widgets`). The true values V^pi come from exact policy evaluation
of the epsilon-greedy policy on the maze (gamma = 0.95); the "experience" is three
trajectories from S, which pass s1 and s3 but never s2 and s4 (MARL book, chapter 7).
"""

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import maze as mz
from .plots import (
    LossCurve,
    NamedEstimates,
    ValueComparison,
    ValueHeatmap,
    freeze_layout,
    label_cell,
    maze_cmap,
    new_figure,
    nice_limits,
)
from .running_example import (
    EXPERIENCE_SEED,
    GAMMA,
    best_linear_fit,
    maze_setting,
    scaled_features,
)
from .style import DATA_COLOUR, ERROR_COLOUR, FIT_COLOUR, INK, TRUE_COLOUR
from .train import DIVERGENCE_FACTOR
from .widgets import Panel, choice_slider, dropdown, slider

GO_STATES = 1e170  # approximate number of states of Go (slides)
MAX_SIZE, MAX_AGENTS = 60, 60  # slider ranges of the table-size panel: 51 agents reach Go


def monte_carlo_table(maze, trajectories, gamma=GAMMA, initial_value=0.0):
    """Every-visit Monte Carlo: each entry is the average return observed after its state.

    Returns the table (N,) and the visit counts (N,). An entry changes only when its own
    state is visited: the table cannot generalise. G is terminal, so its value stays 0.
    """
    total, counts = np.zeros(maze.n_states), np.zeros(maze.n_states)
    for trajectory in trajectories:
        ret = 0.0
        for state, reward in zip(trajectory.states[-2::-1], trajectory.rewards[::-1],
                                 strict=True):
            ret = reward + gamma * ret  # G_t = r_{t+1} + gamma G_{t+1}, from the end backwards
            total[state] += ret
            counts[state] += 1
    table = np.full(maze.n_states, float(initial_value))
    seen = counts > 0
    table[seen] = total[seen] / counts[seen]
    table[maze.index(maze.goal)] = 0.0
    return table, counts


def label_colour_bars(comparison):
    """Say what the colours of a ValueComparison mean: values (first two maps), then errors."""
    for heatmap, label in [(comparison.truth, "value"), (comparison.estimate, "value"),
                           (comparison.error, "error")]:
        heatmap.colorbar.set_label(label)


@dataclass
class TabularResult:
    """A Monte Carlo table (N,) learned from a few episodes, next to V^pi (N,)."""

    table: np.ndarray
    counts: np.ndarray
    values: np.ndarray
    visited: np.ndarray
    named: dict
    note: str = ""


def fit_tabular(n_trajectories=3, seed=EXPERIENCE_SEED):
    """Learn a value table by Monte Carlo from `n_trajectories` episodes; unvisited entries: 0."""
    if n_trajectories < 1:
        raise ValueError(f"n_trajectories must be at least 1, got {n_trajectories}")
    setting = maze_setting(int(n_trajectories), int(seed))
    table, counts = monte_carlo_table(setting.maze, setting.trajectories)
    unseen = [n for n, c in setting.maze.named_states.items() if counts[setting.maze.index(c)] == 0]
    entries = "its entry still holds" if len(unseen) == 1 else "their entries still hold"
    note = f"never visited: {', '.join(unseen)} ({entries} the initial value 0)" if unseen else ""
    return TabularResult(table, counts, setting.values, setting.visited,
                         setting.named_values(table), note)


class TabularView:
    """V^pi | table | table - V^pi heatmaps (white dots: visited states) and bars at s1..s4."""

    def __init__(self, result=None):
        result = result or fit_tabular()
        maze = maze_setting().maze
        self.figure = new_figure(11.4, 2.9)
        axes = self.figure.subplots(1, 4, width_ratios=[1, 1, 1, 1.2])
        self.maps = ValueComparison(axes[:3], maze, result.values, result.table, "table")
        label_colour_bars(self.maps)
        self.bars = NamedEstimates(axes[3], maze, result.values, result.table, "table")
        self.update(result)
        # lay out room for the widest error ticks any seed gives ("-0.25"), then keep it
        self.maps.error.update(result.table - result.values, clim=(-0.27, 0.27))
        freeze_layout(self.figure)
        self.update(result)

    def update(self, result):
        self.maps.update(result.table, visited=result.visited)
        self.bars.update(result.table)
        self.maps.estimate.ax.set_title(f"table ({len(result.visited)} visited)")


def tabular_panel():
    """Sliders for the number of episodes and their seed; the table next to V^pi."""
    controls = {"n_trajectories": slider(3, 1, 30, description="episodes"),
                "seed": slider(EXPERIENCE_SEED, 0, 20, description="seed")}
    return Panel(fit_tabular, TabularView(), controls,
                 question="s2 sits next to s1 and has almost the same true value. What does "
                          "the table say about s2 after three episodes? Will more episodes fix "
                          "it? Guess, then drag.")


# --- (a') How big a table gets --------------------------------------------------------------

@lru_cache(maxsize=256)
def _n_states(size):
    return mz.make_maze(size).n_states


@dataclass
class TableSizeResult:
    """Entries of a value table for `n_agents` agents in a size x size maze."""

    size: int
    n_agents: int
    n_states: int
    log10_entries: float
    sizes: np.ndarray = field(repr=False)
    log10_curve: np.ndarray = field(repr=False)
    walls: np.ndarray = field(repr=False)
    goal: tuple = (0, 0)
    note: str = ""

    @property
    def entries_text(self):
        """The number of entries: the exact integer below a million, a power of ten above."""
        if self.log10_entries < 6:
            return f"{self.n_states ** self.n_agents:,}"
        return f"$10^{{{self.log10_entries:.1f}}}$"


def table_size(size=7, n_agents=1, max_size=MAX_SIZE):
    """A table over joint states has n_states ** n_agents entries (agents may share cells)."""
    if n_agents < 1:
        raise ValueError(f"n_agents must be at least 1, got {n_agents}")
    maze = mz.make_maze(int(size))
    sizes = np.arange(5, max(max_size, size) + 1)
    curve = n_agents * np.log10([_n_states(int(s)) for s in sizes])
    log10_entries = n_agents * np.log10(maze.n_states)
    note = ""
    if log10_entries > np.log10(2e9):
        note = "more entries than 16 GB of memory can hold (2e9 float64 numbers)"
    return TableSizeResult(int(size), int(n_agents), maze.n_states, float(log10_entries),
                           sizes, curve, maze.walls, maze.goal, note)


class TableSizeView:
    """The maze at the chosen size, and the table's entries against size on a log axis with Go."""

    def __init__(self, result=None):
        result = result or table_size()
        self.figure = new_figure(9.5, 3.4)
        self.ax_maze, self.ax = self.figure.subplots(1, 2, width_ratios=[1, 1.8])
        self.walls = self.ax_maze.imshow(result.walls, cmap=maze_cmap(), vmin=0, vmax=1,
                                         interpolation="nearest")
        self.goal = self.ax_maze.scatter([0], [0], marker="*", s=80, color=DATA_COLOUR,
                                         edgecolors="black", linewidths=0.5, zorder=3,
                                         clip_on=False)  # in the corner of a large maze
        self.ax_maze.set_axis_off()
        (self.curve,) = self.ax.plot([], [], color=FIT_COLOUR, label="table entries")
        (self.marker,) = self.ax.plot([], [], "o", color=ERROR_COLOUR, clip_on=False)
        # reference lines, labelled just above; a pale box keeps a label readable over the curve
        box = {"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1}
        for level, style, label in [(GO_STATES, "--", "Go: about $10^{170}$ states"),
                                    (1e80, "-.", "atoms in the universe: about $10^{80}$"),
                                    (2e9, ":", "16 GB of float64 numbers")]:
            self.ax.axhline(level, color=TRUE_COLOUR, linestyle=style)
            self.ax.text(5.5, level * 1e4, label, color="black", va="bottom", bbox=box, zorder=3)
        self.ax.set_yscale("log")
        top = table_size(MAX_SIZE, MAX_AGENTS).log10_entries  # the largest table the panel shows
        self.ax.set_ylim(1, 10.0 ** (top + 10))
        self.ax.set_yticks([10.0 ** k for k in range(0, int(top) + 1, 50)])
        self.ax.set_xlabel("maze side length (cells)")
        self.ax.set_ylabel("entries in the value table")
        self.update(result)
        freeze_layout(self.figure)

    def update(self, result):
        self.walls.set_data(result.walls)
        self.walls.set_extent((-0.5, result.size - 0.5, result.size - 0.5, -0.5))
        self.goal.set_offsets([[result.goal[1], result.goal[0]]])
        self.ax_maze.set_title(f"{result.size}x{result.size} maze\n{result.n_states} states")
        self.curve.set_data(result.sizes, 10.0 ** result.log10_curve)
        self.marker.set_data([result.size], [10.0 ** result.log10_entries])
        self.ax.set_xlim(result.sizes[0], result.sizes[-1])
        agents = "1 agent" if result.n_agents == 1 else f"{result.n_agents} agents"
        self.ax.set_title(f"{agents}: {result.entries_text} table entries")


def agents_to_reach(entries=GO_STATES, size=MAX_SIZE):
    """The fewest agents whose joint table in a size x size maze has at least `entries`."""
    per_agent = np.log10(table_size(size).n_states)
    return int(np.ceil(np.log10(entries) / per_agent - 1e-12))


def table_size_panel():
    """Sliders for the maze size and the number of agents; the table size against Go's."""
    controls = {"size": slider(7, 5, MAX_SIZE, description="maze side"),
                "n_agents": slider(1, 1, MAX_AGENTS, description="agents")}
    return Panel(table_size, TableSizeView(), controls,
                 question="How many agents in a 60x60 maze until the joint table is as big as "
                          "Go's? Guess before you drag.")


# --- (b) Linear function approximation -------------------------------------------------------

def mse_loss(theta, X, y):
    """Mean squared error (1/N) sum_i (y_i - x_i^T theta)^2 of a linear model; X (N, D), y (N,)."""
    residual = y - X @ theta
    return float(residual @ residual / len(y))


def gradient_step(theta, X, y, lr):
    """One gradient-descent step on the MSE: theta - lr * grad, grad = -(2/N) X^T (y - X theta)."""
    gradient = -2.0 / len(y) * X.T @ (y - X @ theta)
    return theta - lr * gradient


def curvatures(X):
    """Eigenvalues (D,) of (1/N) X^T X, ascending: half the MSE's curvature (Hessian) per direction.

    A gradient step of size lr multiplies the distance to the best fit along an eigenvector
    with eigenvalue lam by (1 - 2 lr lam): steps shrink it only while lr < 1 / lam.
    """
    return np.linalg.eigvalsh(X.T @ X / len(X))


def learning_rate_note(lr, limit, equal_curvatures, losses):
    """What the panel says when lr is at or above the stability limit 1 / lam_max, else ""."""
    if np.isclose(lr, limit, rtol=1e-6):
        everywhere = (" In every direction here: the estimate is 0 after each even step and "
                      "twice the best fit after each odd one." if equal_curvatures else "")
        return (f"learning rate {lr:g} is exactly the stability limit of these features: each "
                "step jumps across the best fit to its mirror image, so θ swings back and "
                f"forth forever and the loss stops falling.{everywhere}")
    if lr > limit:
        return (f"learning rate {lr:g} is above the stability limit {limit:.2g} of these "
                f"features: each step overshoots further; the loss grew from {losses[0]:.2g} "
                f"to {losses[-1]:.2g} and keeps growing")
    return ""


@dataclass
class LinearFitResult:
    """A linear fit V_hat = X theta: estimate (N,) (NaN after divergence), loss per step."""

    theta: np.ndarray
    estimate: np.ndarray
    losses: np.ndarray
    best_loss: float
    values: np.ndarray
    train: np.ndarray
    named: dict
    diverged: bool = False
    lr_limit: float = np.inf
    note: str = ""


def fit_linear(features="polynomial", degree=3, rbf_width=1.0, lr=0.5, steps=200,
               train_on="visited"):
    """Fit V_hat(s) = theta^T x(s) to V^pi by full-batch gradient descent on the MSE.

    Trains on the visited states (or "all"), starting from theta = 0, and evaluates the
    estimate on every state. Every step uses all training states (full batch). Stops early,
    with a note, if the loss grows a million-fold; a note also says when lr is at or above
    the stability limit 1 / lam_max (see `curvatures`), where the loss cannot fall.
    """
    if not lr > 0:
        raise ValueError(f"the learning rate must be positive, got {lr}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    setting = maze_setting()
    train = setting.train_indices(train_on)
    X_all = scaled_features(features, int(degree), float(rbf_width))
    X, y = X_all[train], setting.values[train]
    theta = np.zeros(X.shape[1])
    losses = [mse_loss(theta, X, y)]
    note, diverged = "", False
    for step in range(1, int(steps) + 1):
        theta = gradient_step(theta, X, y, lr)
        losses.append(mse_loss(theta, X, y))
        if not losses[-1] <= DIVERGENCE_FACTOR * losses[0]:  # also catches NaN
            note = f"the loss grew to {losses[-1]:.0e} at step {step}: lower the learning rate"
            diverged = True
            break
    lam = curvatures(X)
    limit, used = 1.0 / lam[-1], lam[lam > 1e-12 * lam[-1]]
    if diverged:
        note += f" (below {limit:.2g} for these features)"
    else:
        note = learning_rate_note(lr, limit, np.allclose(used, lam[-1]), losses)
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    estimate = np.full(len(X_all), np.nan) if diverged else X_all @ theta
    return LinearFitResult(theta, estimate, np.array(losses), mse_loss(best, X, y),
                           setting.values, train, setting.named_values(estimate),
                           diverged, float(limit), note)


ERROR_CLIM = (-6.0, 6.0)  # errors beyond 6 show in the deepest colour (as in notebook 02's maze)


class LinearFitView:
    """V^pi | V_hat | V_hat - V^pi heatmaps above the loss curve and the estimates at s1..s4."""

    def __init__(self, result=None):
        result = result or fit_linear()
        maze = maze_setting().maze
        self.figure = new_figure(10.5, 5.6)
        grid = self.figure.add_gridspec(2, 6, height_ratios=[1.4, 1])
        maps = [self.figure.add_subplot(grid[0, 2 * k:2 * k + 2]) for k in range(3)]
        self.maps = ValueComparison(maps, maze, result.values, result.estimate, r"$\hat V$",
                                    error_clim=ERROR_CLIM)
        self.loss = LossCurve(self.figure.add_subplot(grid[1, :3]))
        self.bars = NamedEstimates(self.figure.add_subplot(grid[1, 3:]), maze, result.values,
                                   result.estimate, r"$\hat V$")
        label_colour_bars(self.maps)
        blank_texts = [(self.maps.estimate, "no estimate:\nthe loss diverged"),
                       (self.maps.error, "nothing\nto compare")]
        self.blanks = [heatmap.ax.text(0.5, 0.5, text, transform=heatmap.ax.transAxes,
                                       ha="center", va="center", visible=False)
                       for heatmap, text in blank_texts]
        self.update(result)
        self.loss.update([1e3, 0.0], best=0.0)  # lay out room for the widest tick, 10^-12
        freeze_layout(self.figure)
        self.update(result)

    def update(self, result):
        self.maps.update(result.estimate, visited=result.train)
        self.show_maps(not result.diverged)
        title = "diverged: no estimate" if result.diverged else r"$\hat V$ (dots: trained)"
        self.maps.estimate.ax.set_title(title)
        self.loss.update(result.losses, best=result.best_loss)
        self.bars.update(result.estimate)

    def show_maps(self, shown):
        """Show the estimate and error maps, or (after divergence) a blank with a message."""
        for heatmap in (self.maps.estimate, self.maps.error):
            for artist in [heatmap.image, heatmap.colorbar.ax, heatmap.dots, *heatmap.labels,
                           *heatmap.ax.spines.values()]:
                artist.set_visible(shown)
        for text in self.blanks:
            text.set_visible(not shown)


LINEAR_FIT_QUESTION = (
    "With one-hot features, what will the estimate be at s2 and s4, which were never trained "
    "on? Guess, then try one-hot, polynomial, and RBF of width 0.3, 1 and 4: which feature map "
    "gives s2 and s4 a good value? Finally push the learning rate up: what does the loss do?")
COMPARED_FITS = {"one-hot": ("one_hot", {}), "coordinates": ("coordinates", {}),
                 "polynomial 3": ("polynomial", {"degree": 3}),
                 "RBF width 0.3": ("rbf", {"rbf_width": 0.3}),
                 "RBF width 1": ("rbf", {"rbf_width": 1.0}),
                 "RBF width 4": ("rbf", {"rbf_width": 4.0})}  # the maps the question names


@dataclass(frozen=True)
class FitSummary:
    """Training loss and RMSE on the never-visited states: after `steps` and at least squares."""

    loss: float
    best_loss: float
    unvisited_rmse: float
    best_unvisited_rmse: float
    s2: float
    s4: float


def summarise_fit(features, steps=200, **settings):
    """fit_linear at the panel's defaults (visited states), next to its least-squares limit."""
    setting = maze_setting()
    result = fit_linear(features, steps=steps, **settings)
    best = best_linear_fit(features, train_on="visited", **settings)
    return FitSummary(float(result.losses[-1]), result.best_loss,
                      setting.unvisited_rmse(result.estimate), setting.unvisited_rmse(best),
                      result.named["s2"], result.named["s4"])


def _loss_text(loss):
    return "0" if loss < LossCurve.FLOOR else f"{loss:.2g}"  # below 1e-12: zero up to rounding


def print_fit_summaries(fits=COMPARED_FITS, steps=200):
    """A table per feature map: training loss, RMSE on unvisited states, estimates at s2, s4.

    Loss and RMSE after `steps` of gradient descent (the panel's defaults) and for the
    least-squares fit that gradient descent converges to.
    """
    setting = maze_setting()
    truth = setting.named_values(setting.values)
    print(f"{'':14s} {'training loss':^21s}   {'RMSE on unvisited':^21s}   "
          f"{f'after {steps} steps':^15s}")
    print(f"{'features':14s} {f'{steps} steps':>10s} {'least sq.':>10s}   "
          f"{f'{steps} steps':>10s} {'least sq.':>10s}   {'s2':>7s} {'s4':>7s}")
    for name, (kind, kw) in fits.items():
        f = summarise_fit(kind, steps, **kw)
        print(f"{name:14s} {_loss_text(f.loss):>10s} {_loss_text(f.best_loss):>10s}   "
              f"{f.unvisited_rmse:10.2f} {f.best_unvisited_rmse:10.2f}   {f.s2:7.2f} {f.s4:7.2f}")
    print(f"{'true V^pi':14s} {'':47s} {truth['s2']:7.2f} {truth['s4']:7.2f}")


# 1-2-5 steps, finer around the stability limit (0.7 to 1.1 with these scaled features)
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2,
                  2.0, 5.0, 10.0)


def print_learning_rate_limits(fits=COMPARED_FITS):
    """The stability limit 1 / lam_max per feature map, and the swing exactly at the limit."""
    print(f"{'features':14s} {'learning rate must stay below':>30s}")
    print(f"{'':14s} {'visited states':>15s} {'all states':>14s}")
    for name, (kind, kw) in fits.items():
        limits = [fit_linear(kind, steps=1, train_on=on, **kw).lr_limit
                  for on in ("visited", "all")]
        print(f"{name:14s} {limits[0]:15.2f} {limits[1]:14.2f}")
    truth = maze_setting().named_values(maze_setting().values)["s2"]
    swings = [fit_linear("one_hot", lr=1.0, steps=n, train_on="all").named["s2"]
              for n in (199, 200)]
    print(f"one-hot on all states at learning rate 1: V(s2) = {swings[0]:.2f} after 199 steps, "
          f"{swings[1]:.2f} after 200 (V^pi(s2) = {truth:.2f})")


FEATURE_OPTIONS = [("one-hot (a table)", "one_hot"), ("coordinates", "coordinates"),
                   ("polynomial", "polynomial"), ("radial basis functions", "rbf")]


def linear_fit_panel(**defaults):
    """Feature map, degree, RBF width, learning rate, steps and training states of a linear fit."""
    settings = {"features": "polynomial", "degree": 3, "rbf_width": 1.0, "lr": 0.5, "steps": 200,
                "train_on": "visited", **defaults}
    controls = {
        "features": dropdown(FEATURE_OPTIONS, settings["features"], "features x(s)"),
        "degree": slider(settings["degree"], 0, 8, description="polynomial degree"),
        "rbf_width": slider(settings["rbf_width"], 0.3, 4.0, 0.1, description="RBF width (cells)"),
        "lr": choice_slider(LEARNING_RATES, settings["lr"], "learning rate"),
        "steps": slider(settings["steps"], 1, 2000, description="steps"),
        "train_on": dropdown([("visited states", "visited"), ("all states", "all")],
                             settings["train_on"], "train on"),
    }
    enable_feature_settings(controls)
    controls["features"].observe(lambda _: enable_feature_settings(controls), names="value")
    return Panel(fit_linear, LinearFitView(fit_linear(**settings)), controls,
                 question=LINEAR_FIT_QUESTION)


FEATURE_SETTINGS = {"degree": "polynomial", "rbf_width": "rbf"}  # the one map each slider changes


def enable_feature_settings(controls):
    """Disable the degree and RBF-width sliders unless the chosen feature map uses them."""
    for name, kind in FEATURE_SETTINGS.items():
        controls[name].disabled = controls["features"].value != kind


# --- (c) Linear in the parameters, not in the inputs ------------------------------------------

def polynomial_features(x, degree):
    """[1, x, x^2, ..., x^degree] for each of N inputs x (N,); (N, degree + 1)."""
    x = np.asarray(x, dtype=float)
    return x[:, None] ** np.arange(degree + 1)


@lru_cache(maxsize=1)
def corridor_values(length=21):
    """Positions x in [-1, 1] (N,) and V^pi (N,) along a corridor with G in the middle."""
    line = mz.corridor(length)
    values = mz.policy_evaluation(line, mz.goal_directed_policy(line), GAMMA)
    return np.linspace(-1, 1, length), values


@dataclass
class CurveFitResult:
    """Least-squares fits of V^pi along the corridor with raw x and with powers of x."""

    x: np.ndarray
    values: np.ndarray
    grid: np.ndarray
    raw_fit: np.ndarray
    fit: np.ndarray
    theta: np.ndarray
    raw_rmse: float
    rmse: float
    note: str = ""

    @property
    def wiggle(self):
        """How far the fitted curve strays, between neighbouring cells, from the line joining it
        at those cells: the swings that no cell's value constrains."""
        at_cells = np.interp(self.x, self.grid, self.fit)
        return float(np.abs(self.fit - np.interp(self.grid, self.x, at_cells)).max())


MAX_DEGREE = 20  # 21 parameters for the 21 cells of the corridor: the fit can pass through all
WIGGLE_NOTE = 2.0  # a note when the curve strays this far between cells (values step ~0.5-1)


def fit_curve(degree=2):
    """Fit one linear model theta^T x to the curved V^pi with [1, x] and [1, x, .., x^degree].

    RMSE (root mean squared error) at the corridor's cells; the fits are drawn on a fine grid
    of x in between (including the cells), where a high degree swings wildly: a note says so.
    """
    if not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    x, values = corridor_values()
    grid = np.linspace(-1, 1, 401)
    fits, errors, thetas = [], [], []
    for d in (1, degree):
        theta = np.linalg.lstsq(polynomial_features(x, d), values, rcond=None)[0]
        fits.append(polynomial_features(grid, d) @ theta)
        errors.append(float(np.sqrt(np.mean((polynomial_features(x, d) @ theta - values) ** 2))))
        thetas.append(theta)
    result = CurveFitResult(x, values, grid, fits[0], fits[1], thetas[1], errors[0], errors[1])
    if result.wiggle > WIGGLE_NOTE:
        result.note = (f"between neighbouring cells the curve strays up to {result.wiggle:.3g} "
                       f"from the line joining them, while all values lie between "
                       f"{values.min():.1f} and 0: it fits the cells (RMSE "
                       f"{rmse_text(result.rmse)}) but swings wildly in between")
    return result


class CurveFitView:
    """V^pi along the corridor, the raw-x line, the polynomial fit, and its parameters."""

    def __init__(self, result=None):
        result = result or fit_curve()
        self.figure = new_figure(10, 3.9)
        self.ax, self.ax_theta = self.figure.subplots(1, 2, width_ratios=[1.7, 1])
        (dots,) = self.ax.plot(result.x, result.values, "o", color=DATA_COLOUR, zorder=3,
                               clip_on=False)
        (self.raw,) = self.ax.plot(result.grid, result.raw_fit, "--", color=TRUE_COLOUR)
        (self.fit,) = self.ax.plot(result.grid, result.fit, color=FIT_COLOUR)
        self.ax.set_xlabel("position x along the corridor (G at x = 0)")
        self.ax.set_ylabel("value")
        low, high = result.values.min(), result.values.max()
        self.ax.set_ylim(low - 0.3 * (high - low), high + 0.1 * (high - low))
        self.legend = self.figure.legend([dots, self.raw, self.fit],  # below: off the data
                                         [rf"$V^\pi$ at the {len(result.x)} cells", "", ""],
                                         loc="outside lower center", ncols=3, fontsize="small")
        n = MAX_DEGREE + 1
        self.bars = self.ax_theta.bar(np.arange(n), np.zeros(n), color=FIT_COLOUR)
        self.ax_theta.set_xticks(np.arange(0, n, 4), [f"$\\theta_{{{k}}}$" for k in range(0, n, 4)])
        self.ax_theta.axhline(0, color=INK, linewidth=0.8)
        self.ax_theta.set_title("parameters")
        self.update(fit_curve(MAX_DEGREE))  # lay out room for the widest ticks, then keep it
        freeze_layout(self.figure)
        self.update(result)

    def update(self, result):
        self.raw.set_ydata(result.raw_fit)
        self.fit.set_ydata(result.fit)
        d = len(result.theta) - 1
        _, raw_text, fit_text = self.legend.get_texts()
        raw_text.set_text(f"${power_list(1)}$: RMSE {rmse_text(result.raw_rmse)}")
        fit_text.set_text(f"${power_list(d)}$: RMSE {rmse_text(result.rmse)}")
        for k, bar in enumerate(self.bars):
            bar.set_height(result.theta[k] if k <= d else 0.0)
        self.ax_theta.set_ylim(*nice_limits(min(result.theta.min(), 0) * 1.15 - 0.5,
                                            max(result.theta.max(), 0) * 1.15 + 0.5))
        self.ax.set_title(f"the same linear model, {d + 1} parameters")


def rmse_text(rmse):
    """'0.21' for an RMSE of 0.01 or more, '3.6e-09' below: interpolation shows as almost 0."""
    return f"{rmse:.2f}" if rmse >= 0.01 else f"{rmse:.1e}"


def power_list(degree, written_out=4):
    """The features [1, x, x^2, ...] as LaTeX: every power up to `written_out`, then dots."""
    powers = ["1", "x"] + [f"x^{{{k}}}" for k in range(2, degree + 1)]
    if degree > written_out:
        powers = powers[:3] + [r"\dots", powers[-1]]
    return "[" + ", ".join(powers) + "]"


def curve_fit_panel():
    """A degree slider for the powers of x fed to the same linear model."""
    return Panel(fit_curve, CurveFitView(),
                 {"degree": slider(2, 1, MAX_DEGREE, description="degree")},
                 question="Why is the best straight line through a symmetric peak flat? How "
                          "many powers of x does it take to follow the peak at G?")


# --- (d) Where hand-made features fail ---------------------------------------------------------

FAILURE_CASES = (("coordinates", {}), ("polynomial", {"degree": 2}),
                 ("polynomial", {"degree": 3}))
WALL_CELLS = {"a": (0, 1), "b": (0, 3)}  # either side of the top of the wall right of s1, s2


def case_name(kind, settings):
    """'polynomial, degree 3' for ("polynomial", {"degree": 3})."""
    return kind + "".join(f", {key.split('_')[-1]} {v}" for key, v in settings.items())


def feature_failure_figure(cases=FAILURE_CASES):
    """Errors V_hat - V^pi of the best linear fit to ALL states, one heatmap per feature map.

    With fewer parameters than states, the fit cannot jump across a wall as far as V^pi:
    at the cells a and b (WALL_CELLS, labelled) it is too high on one side, too low on the other.
    """
    setting = maze_setting()
    figure = new_figure(3.1 * len(cases), 3.2)
    figure.suptitle(r"error $\hat V - V^\pi$ of the best fit to all states "
                    "(red: too high, blue: too low)")
    errors = [best_linear_fit(kind, **kw) - setting.values for kind, kw in cases]
    top = max(np.abs(e).max() for e in errors)
    axes = figure.subplots(1, len(cases))
    for k, (ax, (kind, kw), error) in enumerate(zip(axes, cases, errors, strict=True)):
        rmse = np.sqrt(np.mean(error ** 2))
        n_params = scaled_features(kind, **kw).shape[1]
        heatmap = ValueHeatmap(ax, setting.maze, error,
                               f"{case_name(kind, kw)}\nD = {n_params}, RMSE {rmse:.2f}",
                               symmetric=True, clim=(-top, top), colorbar=k == len(cases) - 1)
        for name, cell in WALL_CELLS.items():
            label_cell(ax, cell, name)
    heatmap.colorbar.set_label("error")
    return figure


PANELS = {"tabular": tabular_panel, "table_size": table_size_panel,
          "linear_fit": linear_fit_panel, "curve_fit": curve_fit_panel}  # for `make bench`
