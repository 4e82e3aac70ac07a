"""Notebook 03, training: the loop, GD vs SGD vs mini-batch, momentum and Adam, backpropagation.

Each demo is a plain compute function of its settings, a view that redraws in place, and a
panel builder that wires them (the pattern of `lecture_utils.widgets`). Sections 1-2 fit a
linear value function with two parameters, V_hat(s) = w d(s) + b (d: the distance to G,
scaled to [0, 1]), to thousands of Monte Carlo returns collected in the maze: its loss is a
quadratic bowl over the plane (w, b), so every optimiser's path can be drawn on its contours.
"""

from dataclasses import dataclass
from functools import lru_cache, partial

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from . import maze as mz
from . import nn, plots, style
from .optim import SGD, Adam
from .running_example import GAMMA, maze_setting
from .train import batch_stream, train
from .widgets import Panel, dropdown, slider

METHOD_COLOURS = {"gd": "C0", "sgd": "C1", "minibatch": "C2",
                  "momentum": "C3", "adam": "C4"}  # role colours: readable in every style
METHOD_NAMES = {"gd": "GD", "sgd": "SGD", "minibatch": "mini-batch", "momentum": "momentum",
                "adam": "Adam"}


# --- The data: Monte Carlo returns in the maze ----------------------------------------------

@dataclass(frozen=True)
class ReturnsData:
    """Monte Carlo returns: feature x (N, 1) = distance to G / max distance, target y (N, 1)."""

    x: np.ndarray
    y: np.ndarray
    states: np.ndarray  # (N,) the state each return was collected in

    @property
    def n(self):
        return len(self.x)

    def design(self, rows=slice(None)):
        """X (rows, 2) with x_k = (d_k, 1), so V_hat = X theta for theta = (w, b); and y (rows,)."""
        d = self.x[rows, 0]
        return np.column_stack([d, np.ones(len(d))]), self.y[rows, 0]


def discounted_returns(rewards, gamma=GAMMA):
    """G_t = r_{t+1} + gamma G_{t+1} for every step t of one episode; rewards (T,) -> (T,)."""
    returns, following = np.empty(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        following = rewards[t] + gamma * following
        returns[t] = following
    return returns


@lru_cache(maxsize=4)
def monte_carlo_returns(episodes_per_state=4, seed=0):
    """Every-visit Monte Carlo returns of the maze's epsilon-greedy policy (cached, read-only).

    `episodes_per_state` episodes start from every free cell except G; each visited state
    contributes its return G_t. About 2200 samples by default.
    """
    setting = maze_setting()
    maze = setting.maze
    starts = [cell for cell in maze.states if cell != maze.goal]
    trajectories = mz.sample_trajectories(maze, setting.policy, episodes_per_state * len(starts),
                                          start_states=starts, rng=seed)
    distance = mz.shortest_distances(maze)
    states = np.concatenate([t.states[:-1] for t in trajectories])
    returns = np.concatenate([discounted_returns(t.rewards) for t in trajectories])
    x, y = distance[states, None] / distance.max(), returns[:, None]
    for array in (x, y, states):
        array.setflags(write=False)
    return ReturnsData(x, y, states)


# --- The two-parameter model and its quadratic loss -------------------------------------------

START = (0.0, -8.0)  # (w, b) where every path starts: away from the optimum in both directions


@dataclass(frozen=True)
class QuadraticLoss:
    """L(theta) = mean (theta^T x_k - y_k)^2 for theta = (w, b), x_k = (d_k, 1): a bowl.

    L(theta) = theta^T A theta - 2 c^T theta + mean y^2 with A = X^T X / N, c = X^T y / N;
    its Hessian 2A has eigenvalues lambda_min <= lambda_max (the curvatures).
    """

    A: np.ndarray
    c: np.ndarray
    mean_y2: float

    @classmethod
    def of(cls, data):
        X, y = data.design()
        return cls(X.T @ X / data.n, X.T @ y / data.n, float(np.mean(y ** 2)))

    def __call__(self, theta):
        """L at parameters theta (..., 2); any leading shape (a path, a grid)."""
        theta = np.asarray(theta, dtype=float)
        quadratic = np.einsum("...i,ij,...j->...", theta, self.A, theta)
        return quadratic - 2 * theta @ self.c + self.mean_y2

    @property
    def optimum(self):
        """The least-squares parameters theta* = A^-1 c, shape (2,)."""
        return np.linalg.solve(self.A, self.c)

    @property
    def curvatures(self):
        """(lambda_min, lambda_max): eigenvalues of the Hessian 2A."""
        low, high = np.linalg.eigvalsh(2 * self.A)
        return float(low), float(high)

    @property
    def stability_limit(self):
        """2 / lambda_max: gradient descent converges for learning rates below it."""
        return 2.0 / self.curvatures[1]


@lru_cache(maxsize=4)
def returns_loss(episodes_per_state=4, seed=0):
    """The QuadraticLoss of the Monte Carlo returns data set (cached)."""
    return QuadraticLoss.of(monte_carlo_returns(episodes_per_state, seed))


def linear_model(theta=START):
    """nn.Linear(1, 1) with weight w and bias b: V_hat = w d + b, the two-parameter model."""
    model = nn.Linear(1, 1)
    model.weight.data[:], model.bias.data[:] = theta[0], theta[1]
    return model


def theta_of(model):
    """(w, b) of a linear_model, shape (2,)."""
    return np.array([model.weight.data[0, 0], model.bias.data[0]])


@dataclass
class Run:
    """One training run of the two-parameter model.

    path: (T + 1, 2) parameters before the first update and after each one
    loss: (T + 1,) loss on all the data at each point of the path
    gradient_evaluations, seconds: (T + 1,) cumulative cost (0 at the start)
    diverged_at: the update from which on the loss stayed too high (divergence_update), or None
    """

    method: str
    batch_size: int
    path: np.ndarray
    loss: np.ndarray
    gradient_evaluations: np.ndarray
    seconds: np.ndarray
    diverged_at: int | None

    def cost(self, axis):
        """x values of the learning curve: "updates", "gradient_evaluations" or "seconds"."""
        if axis == "updates":
            return np.arange(len(self.loss))
        return {"gradient_evaluations": self.gradient_evaluations, "seconds": self.seconds}[axis]

    def settled_at(self, level, axis="updates"):
        """The cost (in `axis` units) from which on the loss stayed at or below `level` to the
        end of the run, or None (a noisy run that dips below once has not settled)."""
        above = np.flatnonzero(~(self.loss <= level))
        first = 0 if above.size == 0 else int(above[-1]) + 1
        return None if first >= len(self.loss) else self.cost(axis)[first]


def run_method(method, lr, updates, batch_size=None, seed=0):
    """Train the two-parameter model from START with `method` ('gd', 'sgd', 'minibatch')."""
    data, loss = monte_carlo_returns(), returns_loss()
    model = linear_model()
    path = [theta_of(model)]
    history = train(model, data.x, data.y, lr=lr, method=method, batch_size=batch_size,
                    steps=updates, seed=seed, callback_every=1,
                    callback=lambda step, h: path.append(theta_of(model)))
    path = np.array(path)
    full = loss(path)
    run = Run(method, history.batch_size, path, full,
              np.concatenate([[0], history.gradient_evaluations]),
              np.concatenate([[0.0], history.seconds]),
              divergence_update(full, history, deterministic=history.batch_size == data.n))
    for array in (run.path, run.loss, run.gradient_evaluations, run.seconds):
        array.setflags(write=False)  # a run may be shared (reused_run)
    return run


NOISE_ALLOWANCE = 100.0  # a noisy method's loss may bounce this far above its start


def divergence_update(full_loss, history, deterministic):
    """The update at which a run diverged, or None.

    full_loss (T + 1,): the loss on all data along the run. Diverged: train() stopped it
    (the loss exploded), or the run ended above its starting loss (full batch: the loss of
    gradient descent on a quadratic then grows for ever), or, for noisy SGD / mini-batch, more
    than NOISE_ALLOWANCE times above it. The update is the first after which it stayed above.
    """
    start = full_loss[0]
    allowance = 1.0 if deterministic else NOISE_ALLOWANCE
    ended_high = not full_loss[-1] <= allowance * start  # also for a NaN
    if not (history.diverged or ended_high):
        return None
    below = np.flatnonzero(full_loss <= start)
    return int(below[-1]) + 1 if below.size else 1


def diverged_note(runs):
    """'GD diverged at update 12; ...' for the runs that diverged, else ''."""
    return "; ".join(f"{METHOD_NAMES[r.method]} diverged at update {r.diverged_at}"
                     for r in runs if r.diverged_at is not None)


# --- Shared drawing: the loss contours, a path, a ruler under a slider ------------------------

class ContourMap:
    """Contours of a two-parameter loss over a fixed window, its optimum, and paths on it."""

    def __init__(self, ax, loss, window, levels, xlabel="w (slope on distance)",
                 ylabel="b (bias)"):
        self.ax, self.window = ax, window
        (x_low, x_high), (y_low, y_high) = window
        grid_x, grid_y = np.meshgrid(np.linspace(x_low, x_high, 80), np.linspace(y_low, y_high, 80))
        values = loss(np.stack([grid_x, grid_y], axis=-1))
        ax.contour(grid_x, grid_y, values, levels=levels, colors=style.TRUE_COLOUR,
                   linewidths=0.8)
        ax.set(xlim=window[0], ylim=window[1], xlabel=xlabel, ylabel=ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.grid(False)
        self.optimum = ax.plot([], [], "*", color=style.INK, ms=12, zorder=5)[0]
        self.paths = {}

    @classmethod
    def of_returns_loss(cls, ax, window):
        """The contours of the Monte Carlo returns loss, optimum starred, levels from START."""
        loss = returns_loss()
        best = float(loss(loss.optimum))
        levels = best + (loss(np.array(START)) - best) * np.geomspace(0.01, 2.0, 7)
        contours = cls(ax, loss, window, levels)
        contours.optimum.set_data([loss.optimum[0]], [loss.optimum[1]])
        return contours

    def add_path(self, name, label, colour, marker="o"):
        """A line for the path called `name` (drawn by show_path)."""
        (self.paths[name],) = self.ax.plot([], [], marker=marker, ms=2.5, lw=1.2, color=colour,
                                           label=label)

    def show_path(self, name, path):
        """Draw `path` (T, 2); far-away points are pulled to the window's edge region."""
        (x_low, x_high), (y_low, y_high) = self.window
        span = max(x_high - x_low, y_high - y_low)
        shown = np.clip(np.nan_to_num(path, nan=0.0), -10 * span - abs(x_low) - abs(y_low),
                        10 * span + abs(x_high) + abs(y_high))
        self.paths[name].set_data(shown[:, 0], shown[:, 1])


def plots_with_rulers(figure, n_rulers, ruler_height=0.75):
    """Two axes side by side above `n_rulers` thin full-width axes (SliderRuler), each
    `ruler_height` inches with its labels; returns ([left, right], [ruler, ...]).

    One grid of the figure itself (no subfigures), so a fast renderer can redraw each
    axes on its own."""
    inches = figure.get_figheight()
    share = min(0.45, n_rulers * ruler_height / inches)
    grid = figure.add_gridspec(1 + n_rulers, 2,
                               height_ratios=[1 - share] + [share / n_rulers] * n_rulers)
    plots_ = [figure.add_subplot(grid[0, column]) for column in range(2)]
    return plots_, [figure.add_subplot(grid[1 + k, :]) for k in range(n_rulers)]


class SliderRuler:
    """A thin axis under a slider: the slider's range, its current value, marked values."""

    def __init__(self, ax, low, high, label, log=True):
        self.ax = ax
        ax.set_xscale("log" if log else "linear")
        pad = 0.02 * (np.log10(high / low) if log else high - low)  # room for the pointer
        ax.set_xlim(*((low / 10 ** pad, high * 10 ** pad) if log else (low - pad, high + pad)))
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_locator(NullLocator())
        if log:
            log_axis(ax.xaxis)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(False)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(label.replace("\n", " "), labelpad=2)
        self.value = ax.plot([], [], "v", color=style.INK, ms=9)[0]
        self.marks = {}

    def add_mark(self, name, colour, text, align="center"):
        """A vertical line with `text` above it (aligned to its left, centre or right)."""
        line = self.ax.axvline(1.0, color=colour, lw=2)
        label = self.ax.text(1.0, 0.7, text, color=colour, ha=align, va="center",
                             fontsize="small", transform=self.ax.get_xaxis_transform())
        self.marks[name] = (line, label)

    def update(self, value, marks=None):
        """Put the pointer at `value`; `marks` = {name: value or None (hidden)}.

        Artists are touched only when their value changes: a changed artist is redrawn."""
        if list(self.value.get_xdata()) != [value]:
            self.value.set_data([value], [0.3])
        for name, at in (marks or {}).items():
            line, label = self.marks[name]
            visible = at is not None and np.isfinite(at)
            if line.get_visible() != visible:
                line.set_visible(visible)
                label.set_visible(visible)
            if visible and label.get_position()[0] != at:
                line.set_xdata([at, at])
                label.set_x(at)


PLAIN_NUMBER = FuncFormatter(lambda value, _: f"{value:g}")  # 0.01, not 10^-2: no mathtext,
# which is slow to draw


def log_axis(axis, ticks=4):
    """Few major ticks on a log axis, labelled in plain numbers, no minor ticks (fast to draw)."""
    axis.set_major_locator(LogLocator(numticks=ticks))
    axis.set_major_formatter(PLAIN_NUMBER)
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def excess_floor(values, floor=1e-12):
    """Excess losses clipped to `floor` for a log axis (0 cannot be drawn), NaN kept out."""
    return np.maximum(np.nan_to_num(np.asarray(values, dtype=float), nan=np.inf), floor)


# --- 1. The training loop, one update at a time -----------------------------------------------

@dataclass
class LoopState:
    """The training loop after `update` updates of the two-parameter model.

    path (update + 1, 2); batch: indices of the last update's batch (empty before any);
    batch_loss_before / after: that batch's loss before and after the update;
    gradient: (2,) the gradient of the batch loss that the update used.
    """

    update: int
    batch_size: int
    lr: float
    path: np.ndarray
    batch: np.ndarray
    batch_loss_before: float
    batch_loss_after: float
    gradient: np.ndarray
    full_loss: np.ndarray
    note: str = ""


def training_loop(update=0, batch_size=16, lr=0.3, seed=0):
    """The state after `update` updates of mini-batch GD (batch_size 1 = SGD, N = GD).

    Replays the run from START; batches are exactly the ones train() draws (batch_stream).
    """
    data, loss = monte_carlo_returns(), returns_loss()
    if not 1 <= batch_size <= data.n:
        raise ValueError(f"batch size must be between 1 and N = {data.n}, got {batch_size}")
    run = run_method("minibatch", lr, update, batch_size, seed) if update else None
    path = run.path if run else np.array([START])
    update = len(path) - 1  # fewer than asked if the run diverged and train() stopped it
    batches = batch_stream(data.n, batch_size, seed)
    batch = np.array([], dtype=int)
    for _ in range(update):
        batch = next(batches)
    before = after = np.nan
    gradient = np.zeros(2)
    if update:
        X, target = data.design(batch)
        old, new = path[-2], path[-1]
        before = float(np.mean((X @ old - target) ** 2))
        after = float(np.mean((X @ new - target) ** 2))
        gradient = 2 * X.T @ (X @ old - target) / len(batch)  # what backward() computed
    note = diverged_note([run]) if run else ""
    return LoopState(update, batch_size, lr, path, batch, before, after, gradient,
                     loss(path), note)


def loop_statistics(updates=40, batch_size=16, lr=0.3, seed=0):
    """How often, in `updates` updates, the batch loss fell and the loss on all data rose."""
    data = monte_carlo_returns()
    run = run_method("minibatch", lr, updates, batch_size, seed)
    batches = batch_stream(data.n, batch_size, seed)
    batch_fell = 0
    for k in range(len(run.path) - 1):  # fewer than `updates` if train() stopped a divergence
        X, y = data.design(next(batches))
        errors = X @ run.path[k:k + 2].T - y[:, None]  # (B, 2): before, after
        before, after = np.mean(errors ** 2, axis=0)
        batch_fell += int(after < before)
    return batch_fell, int(np.sum(np.diff(run.loss) > 0))


LOOP_WINDOW = ((-24.0, 4.0), (-10.0, 6.0))
LOOP_SHOWN_SAMPLES = 300  # the scatter shows this many of the N samples (drawing is slow)


class LoopView:
    """Left: the data, the batch just drawn, V_hat before and after. Right: the path on L."""

    def __init__(self):
        data = monte_carlo_returns()
        self.figure = plots.new_figure(9.0, 3.8)
        data_ax, map_ax = self.figure.subplots(1, 2)
        shown = np.random.default_rng(0).choice(data.n, LOOP_SHOWN_SAMPLES, replace=False)
        jitter = np.random.default_rng(1).uniform(-0.012, 0.012, LOOP_SHOWN_SAMPLES)
        data_ax.plot(data.x[shown, 0] + jitter, data.y[shown, 0], ".", color=style.TRUE_COLOUR,
                     ms=3, alpha=0.5, label="returns G (some of N)")
        self.batch = data_ax.plot([], [], "o", color=style.DATA_COLOUR, ms=5,
                                  label="this update's batch")[0]
        d = np.array([0.0, 1.0])
        self.d = d
        self.before = data_ax.plot([], [], "--", color=style.FIT_COLOUR, lw=1.5,
                                   label="V_hat before")[0]
        self.after = data_ax.plot([], [], color=style.FIT_COLOUR, label="V_hat after")[0]
        data_ax.set(xlim=(-0.05, 1.05), ylim=(-22, 4), xlabel="distance to G (scaled)",
                    ylabel="return G / value")
        data_ax.xaxis.set_major_locator(MaxNLocator(3))
        data_ax.yaxis.set_major_locator(MaxNLocator(4))
        data_ax.legend(loc="upper right", fontsize="x-small")  # high values far from G: no data
        data_ax.set_title("update 0\n", fontsize="medium")
        self.data_ax = data_ax
        self.map = ContourMap.of_returns_loss(map_ax, LOOP_WINDOW)
        self.map.add_path("path", "path of (w, b)", style.FIT_COLOUR)
        self.step = map_ax.annotate("", xy=START, xytext=START,
                                    arrowprops={"arrowstyle": "->", "color": style.ERROR_COLOUR,
                                                "lw": 2})
        map_ax.set_title("loss L(w, b) on all data\n", fontsize="medium")
        self.map_ax = map_ax
        plots.freeze_layout(self.figure)

    def update(self, state):
        data = monte_carlo_returns()
        self.batch.set_data(data.x[state.batch, 0], data.y[state.batch, 0])
        old = state.path[-2] if state.update else state.path[-1]
        new = state.path[-1]
        self.before.set_data(self.d, old[0] * self.d + old[1])
        self.after.set_data(self.d, new[0] * self.d + new[1])
        self.before.set_visible(state.update > 0)
        self.map.show_path("path", state.path)
        self.step.xy, self.step.xyann = tuple(new), tuple(old)
        self.step.set_visible(state.update > 0)
        if state.update:
            self.data_ax.set_title(f"update {state.update}: batch of {len(state.batch)}\n"
                                   f"batch loss {state.batch_loss_before:.3g} -> "
                                   f"{state.batch_loss_after:.3g}", fontsize="medium")
            g = state.gradient
            self.map_ax.set_title(f"loss on all data {state.full_loss[-2]:.3g} -> "
                                  f"{state.full_loss[-1]:.3g}\n"
                                  f"gradient ({g[0]:.2g}, {g[1]:.2g})", fontsize="medium")
        else:
            self.data_ax.set_title("update 0: press Step\n", fontsize="medium")
            self.map_ax.set_title(f"loss on all data {state.full_loss[-1]:.3g}\n",
                                  fontsize="medium")


def add_buttons(panel, buttons):
    """Put buttons {label: on_click()} under a panel's controls (before its message line)."""
    made = []
    for label, action in buttons.items():
        button = widgets.Button(description=label, button_style="primary")
        button.on_click(lambda _, action=action: action())
        made.append(button)
    children = list(panel.widget.children)
    first_control = next(iter(panel.controls.values()))
    rows = next(i for i, child in enumerate(children)
                if first_control in getattr(child, "children", ()))
    children.insert(rows + 1, widgets.HBox(made))
    panel.widget.children = children
    return made


def training_loop_panel():
    """Step through mini-batch gradient descent one update at a time."""
    n = monte_carlo_returns().n
    controls = {"update": slider(0, 0, 40, 1, "updates done"),
                "batch_size": slider(16, 1, n, 1, "batch size B"),
                "lr": slider(0.3, 0.01, 1.0, 0.01, "learning rate"),
                "seed": slider(0, 0, 20, 1, "random seed")}
    panel = Panel(training_loop, LoopView(), controls,
                  question="Before you press Step: will the loss on the batch always fall? "
                           "And the loss on all the data?")
    update = controls["update"]

    def step():
        update.value = min(update.value + 1, update.max)

    def reset():
        update.value = 0

    panel.step_buttons = add_buttons(panel, {"Step": step, "Reset": reset})
    return panel


# --- 2. GD, SGD and mini-batch on one picture -------------------------------------------------

COST_AXES = {"updates": "updates", "gradient_evaluations": "gradient evaluations",
             "seconds": "seconds (training only)"}
PATHS_WINDOW = LOOP_WINDOW
TARGET_EXCESS = 0.1  # "reached": loss within 0.1 of the least-squares loss (about 10 %)
LR_RANGE = (0.01, 2.0)


class RunsByMethod:
    """A result holding `runs`, each with a `.method`: look one up by its method's name."""

    def run(self, method):
        return next(r for r in self.runs if r.method == method)


@dataclass
class PathsResult(RunsByMethod):
    """Runs of GD, SGD and mini-batch with the same learning rate and number of updates."""

    runs: list
    lr: float
    best_loss: float
    stability_limit: float
    cost_axis: str
    note: str = ""



def compare_paths(lr=0.4, batch_size=64, updates=100, seed=0, cost_axis="updates",
                  run=run_method):
    """GD (all N samples), SGD (1) and mini-batch (batch_size) from START, `updates` each.

    run: how one run is made (run_method; the panel passes reused_run, which keeps recent runs).
    """
    if cost_axis not in COST_AXES:
        raise ValueError(f"cost_axis must be one of {sorted(COST_AXES)}, got {cost_axis!r}")
    loss = returns_loss()
    runs = [run("gd", lr, updates),  # draws no random batches: the same for every seed
            run("sgd", lr, updates, seed=seed), run("minibatch", lr, updates, batch_size, seed)]
    limit = loss.stability_limit
    note = diverged_note(runs)
    if lr > limit:
        note = (f"lr {lr:.3g} is above 2/lambda_max = {limit:.3g}: " + note).strip()
    return PathsResult(runs, lr, float(loss(loss.optimum)), limit, cost_axis, note)


# the paths panel's runs: a slider move remakes only the runs it changes (batch size: the
# mini-batch run; seed: SGD and mini-batch), and dragging back finds the runs made before
reused_run = lru_cache(maxsize=32)(run_method)


def reaching_table(result):
    """[(method, updates, gradient evaluations, milliseconds)] after which each run stayed
    below the dashed level (None where it never settled there)."""
    level = result.best_loss + TARGET_EXCESS
    rows = []
    for run in result.runs:
        seconds = run.settled_at(level, "seconds")
        rows.append((METHOD_NAMES[run.method], run.settled_at(level),
                     run.settled_at(level, "gradient_evaluations"),
                     None if seconds is None else 1000 * seconds))
    return rows


class PathsView:
    """Left: the three paths on the contours. Right: loss above the optimum against a cost.
    Bottom: the learning-rate axis with 2/lambda_max marked."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 4.0)  # with its controls under 600 px high in
        # the projector style: the whole panel fits a 1280x720 screen
        (map_ax, curve_ax), (ruler_ax,) = plots_with_rulers(self.figure, 1, ruler_height=0.65)
        self.map = ContourMap.of_returns_loss(map_ax, PATHS_WINDOW)
        self.curves = {}
        for method in ("gd", "sgd", "minibatch"):
            colour = METHOD_COLOURS[method]
            self.map.add_path(method, METHOD_NAMES[method], colour)
            (self.curves[method],) = curve_ax.plot([], [], color=colour,
                                                   label=METHOD_NAMES[method])
        map_ax.legend(loc="upper center", fontsize="small", ncols=3, handlelength=1.0,
                      columnspacing=0.6)  # one row along the top, where no path goes
        map_ax.set_title("paths of (w, b) on the loss contours", fontsize="medium")
        curve_ax.set_yscale("log")
        log_axis(curve_ax.yaxis)
        curve_ax.xaxis.set_major_locator(MaxNLocator(4))
        curve_ax.set_ylim(1e-4, 1e3)
        curve_ax.axhline(TARGET_EXCESS, color=style.TRUE_COLOUR, ls="--", lw=1)
        curve_ax.set_ylabel("L - L*")
        curve_ax.set_xlabel(COST_AXES["gradient_evaluations"])  # colours: the map's legend
        curve_ax.set_title("loss above least squares L*", fontsize="medium")  # one line:
        # this axes redraws whole when its x range changes, and text is what costs
        self.curve_ax = curve_ax
        self.ruler = SliderRuler(ruler_ax, *LR_RANGE, "learning rate")
        self.ruler.add_mark("limit", style.ERROR_COLOUR, "2/\u03bbmax ", align="right")
        plots.freeze_layout(self.figure)

    def update(self, result):
        right, lowest = 1e-12, 1e-4
        for run in result.runs:
            self.map.show_path(run.method, run.path)
            x, excess = run.cost(result.cost_axis), excess_floor(run.loss - result.best_loss)
            self.curves[run.method].set_data(x, excess)
            right, lowest = max(right, float(x[-1])), min(lowest, float(excess.min()))
        # room for GD's fall below 1e-4, in whole decades: the axis redraws only when they change
        bottom = max(10.0 ** np.floor(np.log10(lowest / 2)), 1e-10)
        if self.curve_ax.get_ylim()[0] != bottom:
            self.curve_ax.set_ylim(bottom, 1e3)
        if result.cost_axis == "seconds":
            right = max(right, 1e-4)
        self.curve_ax.set_xlim(0, right)
        if self.curve_ax.get_xlabel() != COST_AXES[result.cost_axis]:  # else it redraws
            self.curve_ax.set_xlabel(COST_AXES[result.cost_axis])
            self.curve_ax.xaxis.set_major_locator(  # whole updates and gradients
                MaxNLocator(4, integer=result.cost_axis != "seconds"))
        self.ruler.update(result.lr, {"limit": result.stability_limit})


def paths_panel():
    """Learning rate, batch size, updates, seed and x axis of GD vs SGD vs mini-batch."""
    n = monte_carlo_returns().n
    controls = {"lr": slider(0.4, *LR_RANGE, description="learning rate", log=True, step=0.02,
                             readout_format=".2f"),  # 10^-0.4 = 0.398 on the slider's grid
                "batch_size": slider(64, 2, n, 1, "mini-batch size B"),
                "updates": slider(100, 5, 200, 5, "updates"),
                "seed": slider(0, 0, 20, 1, "random seed"),
                "cost_axis": dropdown([(label, key) for key, label in COST_AXES.items()],
                                      "updates", "loss against")}
    return Panel(partial(compare_paths, run=reused_run), PathsView(), controls,
                 question="Which method gets closest to the star in 100 updates? And per "
                          "gradient evaluation (loss against ...)? Then drag the learning rate "
                          "past the red mark.")


PANELS = {"training_loop": training_loop_panel, "paths": paths_panel}


# --- 3. Momentum and Adam in an ill-conditioned valley ----------------------------------------

@dataclass(frozen=True)
class Valley:
    """L(theta) = (lambda_min theta_1^2 + lambda_max theta_2^2) / 2 with lambda_max = 1 and
    lambda_min = 1 / kappa: a valley kappa times flatter along theta_1 than across it."""

    kappa: float

    @property
    def curvatures(self):
        """(lambda_min, lambda_max), the eigenvalues of the Hessian."""
        return 1.0 / self.kappa, 1.0

    def __call__(self, theta):
        """L at theta (..., 2)."""
        theta = np.asarray(theta, dtype=float)
        low, high = self.curvatures
        return 0.5 * (low * theta[..., 0] ** 2 + high * theta[..., 1] ** 2)

    def gradient(self, theta):
        """grad L = (lambda_min theta_1, lambda_max theta_2), shape (2,)."""
        return np.array(self.curvatures) * theta

    def best_gd(self):
        """GD's best learning rate 2 / (lambda_min + lambda_max) and its rate (kappa-1)/(kappa+1):
        the error shrinks by at least this factor per update."""
        low, high = self.curvatures
        return 2.0 / (low + high), (self.kappa - 1) / (self.kappa + 1)

    def best_momentum(self):
        """Momentum's best (alpha, beta) = ((2 / (sqrt(l_max) + sqrt(l_min)))^2,
        ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2) and its rate (sqrt(kappa)-1)/(sqrt(kappa)+1)."""
        low, high = self.curvatures
        root = np.sqrt(self.kappa)
        rate = (root - 1) / (root + 1)
        return (2.0 / (np.sqrt(high) + np.sqrt(low))) ** 2, rate ** 2, rate


VALLEY_START = (-2.0, 1.0)
VALLEY_WINDOW = ((-2.4, 0.8), (-1.3, 1.3))
VALLEY_DIVERGED = 1e6  # a loss this many times the starting loss: diverged, stop


@dataclass
class ValleyRun:
    """One optimiser in the valley: path (T + 1, 2), loss (T + 1,), diverged_at or None."""

    method: str
    path: np.ndarray
    loss: np.ndarray
    diverged_at: int | None

    def updates_to_reach(self, level):
        """The first update after which the loss is at most `level`, or None."""
        below = np.flatnonzero(self.loss <= level)
        return None if below.size == 0 else int(below[0])


def descend(valley, make_optimizer, updates, method="gd", start=VALLEY_START):
    """Run `make_optimizer([theta])` (an optim.SGD or Adam) for `updates` steps on the valley.

    The loop of the slides without data: the gradient is exact, so only the optimiser differs.
    """
    theta = nn.Parameter(np.array(start, dtype=float))
    optimizer = make_optimizer([theta])
    path = [theta.data.copy()]
    first, diverged_at = valley(theta.data), None
    with np.errstate(over="ignore", invalid="ignore"):
        for update in range(1, updates + 1):
            optimizer.zero_grad()
            theta.grad += valley.gradient(theta.data)
            optimizer.step()
            path.append(theta.data.copy())
            if not valley(theta.data) <= VALLEY_DIVERGED * first:
                diverged_at = update
                break
    path = np.array(path)
    return ValleyRun(method, path, valley(path), diverged_at)


@dataclass
class ValleyResult(RunsByMethod):
    """GD, momentum and Adam in one valley, with the theory's best settings."""

    valley: Valley
    runs: list
    lr: float
    momentum: float
    best_gd: tuple
    best_momentum: tuple
    show_theory: bool
    note: str = ""



def valley_race(kappa=100.0, lr=1.5, momentum=0.5, adam_lr=0.1, beta1=0.9, beta2=0.999,
                updates=100, show_theory=False):
    """GD (lr), heavy-ball momentum (lr, momentum) and Adam (adam_lr, betas) from VALLEY_START.

    optim.SGD's momentum v <- mu v + g, theta <- theta - lr v is the heavy ball
    theta <- theta - alpha g + beta (theta - theta_previous) with alpha = lr, beta = mu.
    """
    if kappa < 1:
        raise ValueError(f"the condition number kappa = lambda_max / lambda_min is at least 1, "
                         f"got {kappa}")
    valley = Valley(float(kappa))
    runs = [descend(valley, lambda p: SGD(p, lr), updates, "gd"),
            descend(valley, lambda p: SGD(p, lr, momentum=momentum), updates, "momentum"),
            descend(valley, lambda p: Adam(p, adam_lr, betas=(beta1, beta2)), updates, "adam")]
    return ValleyResult(valley, runs, lr, momentum, valley.best_gd(), valley.best_momentum(),
                        bool(show_theory), diverged_note(runs))


def updates_to_reach(kappa=100.0, level=1e-6, max_updates=5000, adam_lr=0.1):
    """{method: updates to reach loss `level`} with GD and momentum at the theory's best
    settings and Adam at `adam_lr` (None: not within max_updates)."""
    valley = Valley(float(kappa))
    (gd_lr, _), (alpha, beta, _) = valley.best_gd(), valley.best_momentum()
    runs = [descend(valley, lambda p: SGD(p, gd_lr), max_updates, "gd"),
            descend(valley, lambda p: SGD(p, alpha, momentum=beta), max_updates, "momentum"),
            descend(valley, lambda p: Adam(p, adam_lr), max_updates, "adam")]
    return {run.method: run.updates_to_reach(level) for run in runs}


VALLEY_LR_RANGE = (0.01, 10.0)
VALLEY_METHODS = ("gd", "momentum", "adam")


class ValleyView:
    """Left: the paths in the valley. Right: loss per update (dashed: the theory's rates).
    Bottom: the learning-rate and momentum axes with the theory's best values marked."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 4.2)  # 420 px in the projector style
        (self.map_ax, curve_ax), (lr_ax, beta_ax) = plots_with_rulers(self.figure, 2,
                                                                      ruler_height=0.55)
        self.map_ax.set(xlim=VALLEY_WINDOW[0], ylim=VALLEY_WINDOW[1], xlabel="theta_1 (flat)",
                        ylabel="theta_2 (steep)")
        self.map_ax.grid(False)
        self.map_ax.xaxis.set_major_locator(MaxNLocator(4))
        self.map_ax.yaxis.set_major_locator(MaxNLocator(3))
        self.map_ax.plot([0], [0], "*", color=style.INK, ms=12, zorder=5)
        self.contours, self.kappa = None, None
        self.paths, self.curves, self.theory = {}, {}, {}
        for method in VALLEY_METHODS:
            colour = METHOD_COLOURS[method]
            (self.paths[method],) = self.map_ax.plot([], [], "o-", ms=2.5, lw=1.2, color=colour,
                                                     label=METHOD_NAMES[method])
            (self.curves[method],) = curve_ax.plot([], [], color=colour,
                                                   label=METHOD_NAMES[method])
        for method in ("gd", "momentum"):
            (self.theory[method],) = curve_ax.plot([], [], "--", lw=1,
                                                   color=METHOD_COLOURS[method])
        curve_ax.set_yscale("log")
        curve_ax.set_ylim(1e-9, 10.0)
        log_axis(curve_ax.yaxis)
        curve_ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        curve_ax.set(xlabel="updates", ylabel="loss L")
        narrow = style.current_style() == "projector"  # big type: the row must fit the axes
        curve_ax.legend(loc="lower center", fontsize="x-small" if narrow else "small", ncols=3,
                        handlelength=1.0, columnspacing=0.6)  # one row at the bottom, where few
        # curves go
        curve_ax.set_title("loss\n", fontsize="medium")
        self.curve_ax = curve_ax
        self.lr_ruler = SliderRuler(lr_ax, *VALLEY_LR_RANGE, "learning rate\n(GD, momentum)")
        self.lr_ruler.add_mark("gd", METHOD_COLOURS["gd"], "best GD ", align="right")
        self.lr_ruler.add_mark("momentum", METHOD_COLOURS["momentum"], " best momentum",
                               align="left")
        self.beta_ruler = SliderRuler(beta_ax, 0.0, 0.99, "momentum beta", log=False)
        self.beta_ruler.add_mark("momentum", METHOD_COLOURS["momentum"], " best momentum",
                                 align="left")
        self.map_ax.set_title("paths, kappa = 100", fontsize="medium")
        plots.freeze_layout(self.figure)

    def _draw_contours(self, valley):
        if self.contours is not None:
            self.contours.remove()
        grid_x, grid_y = np.meshgrid(np.linspace(*VALLEY_WINDOW[0], 60),
                                     np.linspace(*VALLEY_WINDOW[1], 60))
        values = valley(np.stack([grid_x, grid_y], axis=-1))
        levels = valley(np.array(VALLEY_START)) * np.geomspace(0.003, 1.5, 7)
        self.contours = self.map_ax.contour(grid_x, grid_y, values, levels=levels,
                                            colors=style.TRUE_COLOUR, linewidths=0.8)
        self.kappa = valley.kappa

    def update(self, result):
        if result.valley.kappa != self.kappa:
            self._draw_contours(result.valley)
        longest = 1
        for run in result.runs:
            shown = np.clip(run.path, -50.0, 50.0)
            self.paths[run.method].set_data(shown[:, 0], shown[:, 1])
            self.curves[run.method].set_data(np.arange(len(run.loss)), excess_floor(run.loss))
            longest = max(longest, len(run.loss) - 1)
        self.curve_ax.set_xlim(0, longest)
        kappa = result.valley.kappa
        self.map_ax.set_title(f"paths, kappa = {kappa:.0f}" if kappa >= 10 else
                              f"paths, kappa = {kappa:.2g}", fontsize="medium")
        start_loss = result.runs[0].loss[0]
        t = np.arange(longest + 1)
        (gd_lr, gd_rate), (alpha, beta, rate) = result.best_gd, result.best_momentum
        for method, r in (("gd", gd_rate), ("momentum", rate)):
            self.theory[method].set_data(t, excess_floor(start_loss * r ** (2 * t)))
            self.theory[method].set_visible(result.show_theory)
        if result.show_theory:
            self.curve_ax.set_title(f"dashed: theory's bound at the best settings\nGD rate "
                                    f"{gd_rate:.3f}"
                                    f", momentum rate {rate:.3f}", fontsize="medium")
        else:
            self.curve_ax.set_title("loss\n", fontsize="medium")
        theory = result.show_theory
        self.lr_ruler.update(result.lr, {"gd": gd_lr if theory else None,
                                         "momentum": alpha if theory else None})
        self.beta_ruler.update(result.momentum, {"momentum": beta if theory else None})


def valley_panel():
    """Condition number, learning rate, momentum and Adam's settings in the valley."""
    controls = {"kappa": slider(100.0, 1.0, 1000.0, description="condition number",
                                log=True),
                "lr": slider(1.5, *VALLEY_LR_RANGE, description="learning rate", log=True,
                             step=0.01),
                "momentum": slider(0.5, 0.0, 0.99, 0.01, "momentum beta"),
                "beta1": slider(0.9, 0.0, 0.99, 0.01, "Adam beta1"),
                "beta2": slider(0.999, 0.5, 0.999, 0.001, "Adam beta2", readout_format=".3f"),
                "show_theory": widgets.Checkbox(value=False, description="show the theory")}
    return Panel(valley_race, ValleyView(), controls,
                 question="Where does GD zig-zag, crawl, diverge? Find the learning rate and "
                          "beta that bring momentum lowest in 100 updates (try beyond GD's "
                          "limit); only then tick 'show the theory'.")


PANELS["valley"] = valley_panel


# --- 4. Backpropagation by hand ------------------------------------------------------------------

@dataclass
class GradientStep:
    """One step of the backward pass: dL/d(node), by the chain rule and by finite differences."""

    name: str  # the node, e.g. "h"
    formula: str  # the chain rule for it, one factor at a time
    by_hand: np.ndarray
    numerical: np.ndarray
    error: float  # relative error between the two (gradcheck.relative_error)


@dataclass
class BackpropWalk:
    """A two-layer network on one example: forward values and the backward pass step by step.

    x (1, 2) -> z = x W1 + b1 (1, 2) -> h = tanh(z) -> y_hat = h W2 + b2 (1, 1)
    -> L = (y_hat - y)^2.  steps: the gradients from dL/dy_hat back to dL/dx.
    """

    state: str
    forward: dict  # name -> value: x, W1, b1, z, h, W2, b2, y_hat, y, L
    steps: list
    step: int = 0  # how many backward steps are shown
    note: str = ""


BACKPROP_NODES = ("y_hat", "W2", "b2", "h", "z", "W1", "b1", "x")  # 8 backward steps


def backprop_walkthrough(step=8, state="s1", seed=0):
    """The forward pass and `step` steps of the backward pass, each checked by finite differences.

    The input is the (row, col) of a named maze state scaled to [-1, 1], the target its V^pi / 10.
    Every gradient is computed by hand with the chain rule, then compared with central
    differences of L as a function of that node alone (what comes after it held fixed).
    """
    from .gradcheck import numerical_gradient, relative_error

    setting = maze_setting()
    maze = setting.maze
    if state not in maze.named_states:
        raise ValueError(f"state must be one of {sorted(maze.named_states)}, got {state!r}")
    index = maze.index(maze.named_states[state])
    rng = np.random.default_rng(seed)
    x = mz.normalised_coordinates(maze)[index:index + 1]
    y = setting.values[index] / 10.0
    W1, b1 = rng.uniform(-1, 1, (2, 2)), rng.uniform(-1, 1, 2)
    W2, b2 = rng.uniform(-1, 1, (2, 1)), rng.uniform(-1, 1, 1)

    def after_h(h, W2=W2, b2=b2):  # L as a function of the hidden layer (and what follows)
        return float(((h @ W2 + b2 - y) ** 2).sum())

    def after_z(z, W1=W1, b1=b1):
        return after_h(np.tanh(z))

    z = x @ W1 + b1
    h = np.tanh(z)
    y_hat = h @ W2 + b2
    loss = float(((y_hat - y) ** 2).sum())
    d_y_hat = 2 * (y_hat - y)  # (1, 1)
    d_h = d_y_hat @ W2.T  # (1, 2): (dy_hat/dh)^T dL/dy_hat
    d_z = d_h * (1 - h ** 2)  # tanh'(z) = 1 - tanh(z)^2, elementwise
    by_hand = {
        "y_hat": (d_y_hat, "dL/dy_hat = 2 (y_hat - y)", lambda v: float(((v - y) ** 2).sum()),
                  y_hat),
        "W2": (h.T @ d_y_hat, "dL/dW2 = h^T dL/dy_hat", lambda v: after_h(h, W2=v), W2),
        "b2": (d_y_hat.sum(axis=0), "dL/db2 = dL/dy_hat", lambda v: after_h(h, b2=v), b2),
        "h": (d_h, "dL/dh = dL/dy_hat W2^T", after_h, h),
        "z": (d_z, "dL/dz = dL/dh * tanh'(z) = dL/dh * (1 - h^2)", after_z, z),
        "W1": (x.T @ d_z, "dL/dW1 = x^T dL/dz", lambda v: after_z(x @ v + b1), W1),
        "b1": (d_z.sum(axis=0), "dL/db1 = dL/dz", lambda v: after_z(x @ W1 + v), b1),
        "x": (d_z @ W1.T, "dL/dx = dL/dz W1^T", lambda v: after_z(v @ W1 + b1), x),
    }
    steps = []
    for name in BACKPROP_NODES:
        gradient, formula, loss_of_node, value = by_hand[name]
        numerical = numerical_gradient(loss_of_node, np.array(value, dtype=float))
        steps.append(GradientStep(name, formula, gradient, numerical,
                                  relative_error(gradient, numerical)))
    forward = {"x": x, "W1": W1, "b1": b1, "z": z, "h": h, "W2": W2, "b2": b2, "y_hat": y_hat,
               "y": np.array([[y]]), "L": np.array([[loss]])}
    return BackpropWalk(state, forward, steps, int(np.clip(step, 0, len(steps))))


def _numbers(array):
    """A small array as short text: [0.12, -0.5] or two rows for a matrix."""
    array = np.atleast_2d(np.asarray(array, dtype=float))
    rows = ["[" + ", ".join(f"{v:.2f}" for v in row) + "]" for row in array]
    return rows[0] if len(rows) == 1 else "\n".join(rows)


# where each node of the graph is drawn (axes fractions): data flows left to right
GRAPH_LAYOUT = {"x": (0.07, 0.45), "W1": (0.2, 0.72), "b1": (0.38, 0.72), "z": (0.29, 0.45),
                "h": (0.5, 0.45), "W2": (0.62, 0.72), "b2": (0.8, 0.72), "y_hat": (0.71, 0.45),
                "L": (0.91, 0.45), "y": (0.91, 0.72)}
GRAPH_SHAPES = {"x": (1, 2), "W1": (2, 2), "b1": (1, 2), "z": (1, 2), "h": (1, 2),
                "W2": (2, 1), "b2": (1, 1), "y_hat": (1, 1), "L": (1, 1), "y": (1, 1)}
PARAMETERS = ("W1", "b1", "W2", "b2")  # their gradients are written above them, the rest below
GRAPH_EDGES = [("x", "z"), ("W1", "z"), ("b1", "z"), ("z", "h"), ("h", "y_hat"),
               ("W2", "y_hat"), ("b2", "y_hat"), ("y_hat", "L"), ("y", "L")]


def _outline(text, colour):
    """Colour the box around `text`, marking the text changed (a box alone is not watched);
    a box already in that colour is left alone (a changed text is redrawn)."""
    box = text.get_bbox_patch()
    if not np.allclose(box.get_edgecolor(), to_rgba(colour)):
        box.set_edgecolor(colour)
        text.stale = True


class BackpropView:
    """The computational graph with forward values (black) and gradients so far (orange)."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 4.2)
        self.figure.set_layout_engine("none")  # one axes filling the figure: nothing to lay out
        ax = self.ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set(xlim=(0, 1), ylim=(0, 1))
        box = {"boxstyle": "round,pad=0.3", "edgecolor": style.TRUE_COLOUR,
               "facecolor": self.figure.get_facecolor()}  # hides the arrows behind the text
        self.values, self.gradients = {}, {}
        for name, (x, y) in GRAPH_LAYOUT.items():
            self.values[name] = ax.text(x, y, name, ha="center", va="center", fontsize="small",
                                        bbox=dict(box))
        self._draw_edges()
        for name, (x, y) in GRAPH_LAYOUT.items():
            above = name in PARAMETERS
            self.gradients[name] = ax.text(x, 0.99 if above else y - 0.13, "", ha="center",
                                           va="top", fontsize="small", color=style.ERROR_COLOUR)
        # what changes (the step) apart from what does not: redrawing text is the cost here
        self.formula = ax.text(0.02, 0.02, "", ha="left", va="bottom", fontsize="small")
        ax.annotate("a 2-2-1 tanh network on one state: x = its (row, col) scaled, "
                    "y = its V(s)/10, L = (y_hat - y)^2", (0.02, 0.02), xytext=(0, 2.6),
                    textcoords="offset fontsize", ha="left", va="bottom", fontsize="small")

    def _draw_edges(self):
        """Arrows from box edge to box edge, for boxes as wide as their widest numbers (in
        every style's font size): an arrowhead is never hidden under a box."""
        renderer = self.figure.canvas.get_renderer()
        to_axes = self.ax.transAxes.inverted()
        half = {}
        for name, text in self.values.items():
            rows, columns = GRAPH_SHAPES[name]
            text.set_text("\n".join([name] + ["[" + ", ".join(["-0.00"] * columns) + "]"] * rows))
            text.update_bbox_position_size(renderer)
            extent = text.get_bbox_patch().get_window_extent(renderer)
            half[name] = np.array([extent.width, extent.height]) / 2
        for start, end in GRAPH_EDGES:
            a, b = (self.ax.transAxes.transform(GRAPH_LAYOUT[n]) for n in (start, end))
            d = b - a
            with np.errstate(divide="ignore"):  # a horizontal or vertical edge
                exit_a, enter_b = (np.min(half[n] / np.abs(d)) for n in (start, end))
            self.ax.annotate("", xy=to_axes.transform(b - enter_b * d),
                             xytext=to_axes.transform(a + exit_a * d), zorder=2,
                             arrowprops={"arrowstyle": "->", "color": style.TRUE_COLOUR,
                                         "shrinkA": 2, "shrinkB": 2})

    def update(self, walk):
        shown = walk.steps[:walk.step]
        current = shown[-1].name if shown else None
        for name, text in self.values.items():
            text.set_text(f"{name}\n{_numbers(walk.forward[name])}")
            _outline(text, style.ERROR_COLOUR if name == current else style.TRUE_COLOUR)
        for name, text in self.gradients.items():
            done = next((s for s in shown if s.name == name), None)
            text.set_text("" if done is None else f"dL/d{name}\n{_numbers(done.by_hand)}")
        if shown:
            last = shown[-1]
            lines = [f"step {walk.step}: {last.formula} = "
                      + _numbers(last.by_hand).replace("\n", " "),
                      f"finite differences: {_numbers(last.numerical).replace(chr(10), ' ')}, "
                      f"relative error {last.error:.1e}"]
        else:
            lines = ["step 0: the forward pass (black). Drag 'backward step' to send the "
                      "gradient back,", "one node at a time (orange)."]
        self.formula.set_text("\n".join(lines))


def backprop_panel():
    """A slider that walks the backward pass of a small network node by node."""
    controls = {"step": slider(0, 0, len(BACKPROP_NODES), 1, "backward step"),
                "state": dropdown(list(maze_setting().maze.named_states), "s1", "state"),
                "seed": slider(0, 0, 20, 1, "weights seed")}
    return Panel(backprop_walkthrough, BackpropView(), controls,
                 question="Before each step: which numbers already on the graph will the next "
                          "gradient be made of? Why must the forward pass keep h?")


PANELS["backprop"] = backprop_panel


# --- 5. The maze with an MLP: the optimisers on one budget ------------------------------------

VALUE_SCALE = 10.0  # the network learns V^pi / 10, of order 1
# (method, train() method, batch size, optimiser, learning rate): each at a rate that suits it
OPTIMISER_SETTINGS = [("gd", "gd", None, "SGD", 0.3), ("sgd", "sgd", None, "SGD", 0.03),
                      ("minibatch", "minibatch", 5, "SGD", 0.1),
                      ("momentum", "minibatch", 5, "momentum 0.9", 0.03),
                      ("adam", "minibatch", 5, "Adam", 0.003)]
CURVE_POINTS = 40  # full-data losses measured per run


def maze_mlp(seed=0, width=32):
    """A 2 -> width (tanh) -> 1 MLP on the normalised (row, col) of a maze state."""
    return nn.Sequential(nn.Linear(2, width, rng=seed), nn.Tanh(),
                         nn.Linear(width, 1, rng=seed + 1))


@dataclass
class OptimiserRun:
    """One optimiser's run: its learning curve and what it reached."""

    method: str
    label: str
    gradient_evaluations: np.ndarray  # where full_loss was measured
    full_loss: np.ndarray  # MSE on all training states (in units of V^pi squared)
    updates: int
    seconds: float
    unvisited_rmse: float
    note: str = ""


@dataclass
class OptimiserComparison:
    """The optimisers trained on the same budget of gradient evaluations."""

    runs: list
    budget: int
    note: str = ""


def compare_optimisers(epochs=200, seed=0, progress=None):
    """Fit V^pi on the visited maze states with each optimiser for `epochs` x N gradients.

    N = the visited states (notebook 02's task). GD makes `epochs` updates of N, SGD
    epochs x N updates of 1, the others epochs x N / 5 updates of 5. The loss on all training
    states is measured CURVE_POINTS times per run (train's full_loss_every, not timed).
    `progress(partial result)` is called as runs finish, for live curves.
    """
    setting = maze_setting()
    inputs = mz.normalised_coordinates(setting.maze)
    x, y = inputs[setting.visited], setting.values[setting.visited, None] / VALUE_SCALE
    n, budget, runs = len(x), int(epochs) * len(x), []
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    for method, schedule, batch_size, optimiser, lr in OPTIMISER_SETTINGS:
        model = maze_mlp(seed)
        make = {"SGD": lambda p, lr=lr: SGD(p, lr), "Adam": lambda p, lr=lr: Adam(p, lr),
                "momentum 0.9": lambda p, lr=lr: SGD(p, lr, momentum=0.9)}[optimiser]
        updates = budget // {"gd": n, "sgd": 1}.get(schedule, batch_size)
        history = train(model, x, y, optimizer=make(model.parameters()), method=schedule,
                        batch_size=batch_size, steps=updates, seed=seed,
                        full_loss_every=max(1, updates // CURVE_POINTS))
        estimate = VALUE_SCALE * model(inputs)[:, 0] if not history.diverged else \
            np.full(len(inputs), np.nan)
        runs.append(OptimiserRun(method, f"{METHOD_NAMES[method]} ({optimiser}, lr {lr:g})",
                                 history.full_loss_against("gradient_evaluations"),
                                 history.full_loss * VALUE_SCALE ** 2, history.updates,
                                 float(history.seconds[-1]) if history.updates else 0.0,
                                 setting.unvisited_rmse(estimate), history.message))
        if progress is not None:
            progress(OptimiserComparison(list(runs), budget))
    note = "; ".join(f"{METHOD_NAMES[r.method]}: {r.note}" for r in runs if r.note)
    return OptimiserComparison(runs, budget, note)


def comparison_table(result):
    """The comparison as a text table: final loss, unvisited error, gradients, updates, time."""
    lines = [f"{'optimiser':36s} {'loss':>8s} {'unvisited RMSE':>15s} {'gradients':>10s} "
             f"{'updates':>8s} {'seconds':>8s}"]
    for run in result.runs:
        lines.append(f"{run.label:36s} {run.full_loss[-1]:8.3f} {run.unvisited_rmse:15.2f} "
                     f"{int(run.gradient_evaluations[-1]):10d} {run.updates:8d} "
                     f"{run.seconds:8.2f}")
    return "\n".join(lines)


class ComparisonView:
    """Left: loss on all training states against gradient evaluations. Right: unvisited error."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 3.8)
        curve_ax, bar_ax = self.figure.subplots(1, 2, width_ratios=[1.5, 1])
        self.curves = {}
        for method, *_ in OPTIMISER_SETTINGS:
            (self.curves[method],) = curve_ax.plot([], [], color=METHOD_COLOURS[method],
                                                   label=METHOD_NAMES[method])
        curve_ax.set_yscale("log")
        curve_ax.set_ylim(1e-2, 1e2)
        log_axis(curve_ax.yaxis)
        curve_ax.xaxis.set_major_locator(MaxNLocator(4))
        curve_ax.set(xlabel="gradient evaluations", ylabel="MSE on the training states")
        curve_ax.legend(loc="lower left", fontsize="small", ncols=2)
        curve_ax.set_title("loss on all training states", fontsize="medium")
        names = [METHOD_NAMES[method] for method, *_ in OPTIMISER_SETTINGS]
        self.bars = bar_ax.barh(range(len(names)), np.zeros(len(names)),
                                color=[METHOD_COLOURS[m] for m, *_ in OPTIMISER_SETTINGS])
        bar_ax.set_yticks(range(len(names)), names)
        bar_ax.invert_yaxis()
        bar_ax.xaxis.set_major_locator(MaxNLocator(3))
        bar_ax.set_xlim(0, 3.0)
        bar_ax.set_title("error on never-visited states\n(RMSE against V^pi)", fontsize="medium")
        self.curve_ax, self.bar_ax = curve_ax, bar_ax
        plots.freeze_layout(self.figure)

    def update(self, result):
        done = {run.method: run for run in result.runs}
        for method, line in self.curves.items():
            run = done.get(method)
            line.set_data(([], []) if run is None else
                          (run.gradient_evaluations, excess_floor(run.full_loss)))
        for bar, (method, *_) in zip(self.bars, OPTIMISER_SETTINGS, strict=True):
            rmse = done[method].unvisited_rmse if method in done else 0.0
            bar.set_width(rmse if np.isfinite(rmse) else 0.0)
        self.curve_ax.set_xlim(0, result.budget)
        widest = max([r.unvisited_rmse for r in result.runs if np.isfinite(r.unvisited_rmse)],
                     default=1.0)
        self.bar_ax.set_xlim(0, max(3.0, 1.1 * widest))


def optimiser_comparison_panel():
    """The five optimisers on the maze MLP, one budget of gradient evaluations, on a button."""
    controls = {"epochs": slider(200, 20, 400, 20, "budget (epochs)"),
                "seed": slider(0, 0, 20, 1, "random seed")}
    return Panel(compare_optimisers, ComparisonView(), controls, button="Train",
                 question="Every optimiser may compute the same number of gradients. Which gets "
                          "the lowest training loss? Is it also best on the states it never saw?")


PANELS["optimisers"] = optimiser_comparison_panel


# --- Reference solutions of the exercises (the checkers compare against these) ----------------

def linear_backward(x, W, grad_out):
    """Backward pass of a linear layer y = x W + b, given grad_out = dL/dy (N, out).

    x (N, in), W (in, out) -> (dx (N, in), dW (in, out), db (out,)):
    dx = dL/dy W^T, dW = x^T dL/dy (summed over the batch), db = sum over the batch of dL/dy.
    """
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0)


def momentum_step(theta, velocity, gradient, lr, beta):
    """One momentum update in optim.SGD's convention; returns (new theta, new velocity).

    v <- beta v + g;  theta <- theta - lr v. New arrays: the arguments are left unchanged.
    """
    velocity = beta * velocity + gradient
    return theta - lr * velocity, velocity


def minibatches(n_samples, batch_size, rng):
    """One epoch of mini-batches without replacement: a list of index arrays.

    A random permutation of 0..n_samples-1 (from the numpy Generator `rng`) cut into batches
    of `batch_size`; the last batch is smaller when batch_size does not divide n_samples.
    """
    order = rng.permutation(n_samples)
    return [order[start:start + batch_size] for start in range(0, n_samples, batch_size)]
