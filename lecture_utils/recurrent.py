"""Notebook 05, recurrent networks: unrolling, partial observability, a memory task, gated cells.

A recurrent network carries a hidden state h^t = f(x^t, h^(t-1); theta) from step to step, a
summary of the whole history, with the same parameters theta at every step (MARL book,
chapter 7). The demos, each a plain compute function, a view drawn in place and a panel:

1. `unroll`: one input sequence through an RNN cell, step by step (a heat strip of h^t).
2. `partial_observability`: in the maze with only its 3x3 `partial_observation`, cells that
   look alike have very different values; a feedforward net must give them one value, an RNN
   reading the observations so far can tell them apart.
3. `tmaze_memory`: the T-maze (Bakker, NIPS 2001), where a cue at the start says which way
   to turn at the end of a corridor of identical observations.
4. `gradient_norms` and `length_sweep`: vanishing and exploding gradients through time, the
   corridor length where a tanh RNN fails, and a GRU (gated cell) that still learns it.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import matplotlib as mpl
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.ticker import MaxNLocator, NullLocator

from . import maze as mz
from . import nn, plots, style
from .optim import Adam
from .running_example import maze_setting
from .train import train
from .widgets import Panel, slider

MODEL_COLOURS = {"feedforward": style.DATA_COLOUR, "rnn": style.FIT_COLOUR, "gru": "C2"}
MODEL_NAMES = {"feedforward": "feedforward", "rnn": "tanh RNN", "gru": "GRU"}
SHORT_NAMES = {"feedforward": "feedforward", "rnn": "RNN", "gru": "GRU"}
STATE_CMAP = "RdBu_r"  # hidden units lie in (-1, 1): blue negative, red positive


def rnn_step(x, h, W_ih, W_hh, b):
    """One step of the tanh RNN: h^t = tanh(x^t W_ih + h^(t-1) W_hh + b).

    x (N, D), h (N, H), W_ih (D, H), W_hh (H, H), b (H,) -> (N, H). New array.
    """
    return np.tanh(x @ W_ih + h @ W_hh + b)


def rnn_parameter_count(input_size, hidden_size, length):
    """Trainable numbers of a tanh RNN cell: W_ih (D, H), W_hh (H, H), b (H,), for any length.

    The same parameters serve every one of the `length` steps, so the length does not count.
    """
    return input_size * hidden_size + hidden_size * hidden_size + hidden_size


def bptt_two_steps(x1, x2, h0, w, u):
    """dL/dw for a scalar RNN h_t = tanh(w h_(t-1) + u x_t) over two steps, loss L = h_2.

    w acts at both steps: dL/dw = tanh'(a_2) (h_1 + w dh_1/dw), dh_1/dw = tanh'(a_1) h_0,
    with tanh'(a_t) = 1 - h_t^2 (backpropagation through time, by hand).
    """
    h1 = np.tanh(w * h0 + u * x1)
    h2 = np.tanh(w * h1 + u * x2)
    return float((1 - h2 ** 2) * (h1 + w * (1 - h1 ** 2) * h0))


# --- 1. Unrolling: the same cell at every step -----------------------------------------------

UNROLL_INPUT, UNROLL_HIDDEN, UNROLL_MAX_LENGTH = 2, 8, 16


def unroll_sequence(length=12):
    """The input sequence of the unrolling demo: a slow sine and a single pulse; (T, 2)."""
    t = np.arange(length)
    pulse = (t == 2).astype(float)
    return np.column_stack([np.sin(2 * np.pi * t / 12), 2.0 * pulse])


def unroll_rnn(scale=1.0, seed=0):
    """The RNN cell of the demo (2 inputs, 8 hidden units); its W_hh multiplied by `scale`."""
    rnn = nn.RNN(UNROLL_INPUT, UNROLL_HIDDEN, rng=seed)
    rnn.weight_ih.data *= 2.0  # inputs strong enough to be seen in the heat strip
    rnn.weight_hh.data *= 2.0 * scale
    return rnn


@dataclass
class Unrolled:
    """The hidden states (T, H) of one sequence, computed one rnn_step at a time."""

    step: int
    inputs: np.ndarray  # (T, D)
    states: np.ndarray  # (T, H): h^1 .. h^T
    parameters: int  # trainable numbers in the cell, the same for every length
    unshared: int  # what T separate cells would need
    note: str = ""


def unroll(step=4, length=12, scale=1.0, seed=0):
    """Run the demo RNN over `length` inputs with rnn_step; the view shows h^1..h^step."""
    if not 1 <= step:
        raise ValueError(f"step must be at least 1, got {step}")
    rnn = unroll_rnn(scale, seed)
    x = unroll_sequence(length)
    h, states = np.zeros((1, UNROLL_HIDDEN)), []
    for t in range(length):  # the loop nn.RNN runs: the same W_ih, W_hh, b at every step
        h = rnn_step(x[t:t + 1], h, rnn.weight_ih.data, rnn.weight_hh.data, rnn.bias.data)
        states.append(h[0])
    count = nn.count_parameters(rnn)
    note = f"the sequence has only {length} steps" if step > length else ""
    return Unrolled(min(step, length), x, np.array(states), count, count * length, note)


class UnrollView:
    """Top: the cell unrolled over time, the current step highlighted. Bottom: h^t, a heat strip."""

    def __init__(self):
        self.figure = plots.new_figure(9.0, 4.0)
        diagram, strip = self.figure.subplots(2, 1, sharex=True, height_ratios=[1.1, 1])
        T = UNROLL_MAX_LENGTH
        for t in range(T):  # drawn once; three moving rectangles show the step and the length
            diagram.add_patch(Rectangle((t - 0.32, -0.3), 0.64, 0.6, facecolor="none",
                                        edgecolor=style.TRUE_COLOUR, lw=1, zorder=3))
            diagram.text(t, 0, r"$\theta$", ha="center", va="center", color=style.INK, zorder=4)
            diagram.text(t, -1.05, f"$x^{{{t + 1}}}$", ha="center", va="center", fontsize="small")
            diagram.text(t, 1.05, f"$h^{{{t + 1}}}$", ha="center", va="center", fontsize="small")
            arrows = [((t, -0.8), (t, -0.32), style.TRUE_COLOUR),
                      ((t, 0.3), (t, 0.8), style.TRUE_COLOUR)]
            if t:  # h^0 = 0 comes from nowhere
                arrows.append(((t - 0.68, 0), (t - 0.32, 0), style.FIT_COLOUR))
            for start, end, colour in arrows:
                diagram.add_patch(FancyArrowPatch(start, end, arrowstyle="->", mutation_scale=8,
                                                  color=colour))
        self.done = diagram.add_patch(Rectangle((-0.5, -0.3), 1, 0.6, zorder=1, lw=0,
                                                facecolor=style.TRUE_COLOUR, alpha=0.35))
        self.current = diagram.add_patch(Rectangle((-0.32, -0.3), 0.64, 0.6, zorder=2, lw=0,
                                                   facecolor=style.PALETTE[1]))
        # steps beyond the sequence length are hidden under a patch of the background colour
        self.beyond = diagram.add_patch(Rectangle((T, -1.4), T, 2.8, zorder=10, lw=0,
                                                  facecolor=diagram.get_facecolor()))
        diagram.set_ylim(-1.4, 1.4)
        diagram.set_axis_off()
        # a figure title: an Axes title would re-measure the Axes at every draw (~20 ms)
        self.title = self.figure.suptitle(" \n ", fontsize="medium")
        self.image = strip.imshow(np.zeros((UNROLL_HIDDEN, T)), cmap=STATE_CMAP, vmin=-1, vmax=1,
                                  aspect="auto", interpolation="nearest",
                                  extent=(-0.5, T - 0.5, UNROLL_HIDDEN - 0.5, -0.5))
        strip.set_xlim(-0.5, T - 0.5)
        strip.set_xticks(range(T), [str(t + 1) for t in range(T)])
        strip.set_yticks([0, UNROLL_HIDDEN - 1], ["1", str(UNROLL_HIDDEN)])
        strip.set(xlabel="time step t", ylabel="hidden unit")
        strip.grid(False)
        self.figure.colorbar(self.image, ax=strip, shrink=0.9, label="$h^t$", ticks=[-1, 0, 1])
        self.strip = strip
        plots.freeze_layout(self.figure)

    def update(self, result):
        T = len(result.states)
        self.done.set_width(result.step)
        self.current.set_x(result.step - 1.32)
        self.beyond.set_x(T - 0.68)
        shown = np.full((UNROLL_HIDDEN, UNROLL_MAX_LENGTH), np.nan)
        shown[:, :result.step] = result.states[:result.step].T
        self.image.set_data(np.ma.masked_invalid(shown))
        self.title.set_text(f"step {result.step} of {T}: one cell, {result.parameters} "
                            f"parameters, used {T} times\n({result.unshared} if every step had "
                            "its own)")


def unroll_panel():
    """A step slider walks the sequence through the unrolled RNN."""
    controls = {"step": slider(4, 1, 12, 1, "step t"),
                "length": slider(12, 2, UNROLL_MAX_LENGTH, 1, "sequence length T"),
                "scale": slider(1.0, 0.0, 2.0, 0.1, "W_hh scale")}

    def step_up_to_length(change):  # registered before the panel's own handlers: runs first
        controls["step"].max = change["new"]  # clamps a step beyond the new length

    controls["length"].observe(step_up_to_length, names="value")
    return Panel(unroll, UnrollView(), controls,
                 question="The pulse arrives at step 3. How long does it stay visible in the "
                          "hidden state? Does the number of parameters change with T?")


PANELS = {"unroll": unroll_panel}


# --- 2. Partial observability in the maze -----------------------------------------------------

EPISODE_STEPS = 40  # episodes are padded with G (absorbing, value 0) to this many steps
VALUE_SCALE = 10.0  # networks learn V^pi / 10, of order 1


def observation_vectors(maze):
    """The 3x3 partial observation of every state, flattened: wall and goal channels; (N, 18)."""
    views = np.array([mz.partial_observation(maze, cell) for cell in maze.states])
    return views[:, [mz.WALL, mz.GOAL]].reshape(maze.n_states, -1)  # the agent is always centred


def aliased_groups(maze):
    """States that look the same through the 3x3 window: a list of index arrays, 2+ states each."""
    groups = {}
    for i, seen in enumerate(observation_vectors(maze)):
        groups.setdefault(seen.tobytes(), []).append(i)
    return [np.array(g) for g in groups.values() if len(g) > 1]


@lru_cache(maxsize=4)
def maze_episodes(n=64, seed=0):
    """`n` episodes from S under the epsilon-greedy policy, padded with G; read-only arrays.

    Returns (observations (n, T, 18), values V^pi / VALUE_SCALE (n, T, 1), states (n, T)).
    """
    setting = maze_setting()
    maze = setting.maze
    goal = maze.index(maze.goal)
    episodes = mz.sample_trajectories(maze, setting.policy, n, rng=seed, max_steps=EPISODE_STEPS)
    states = np.full((n, EPISODE_STEPS), goal)
    for k, episode in enumerate(episodes):
        visited = episode.states[:EPISODE_STEPS]
        states[k, :len(visited)] = visited
    x = observation_vectors(maze)[states]
    y = setting.values[states, None] / VALUE_SCALE
    for array in (x, y, states):
        array.setflags(write=False)
    return x, y, states


class PerStep(nn.Module):
    """A layer applied at every time step: (N, T, D) -> (N, T, out), e.g. values from h^t."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        self.shape = x.shape
        y = self.layer(x.reshape(-1, x.shape[-1]))
        return y.reshape(x.shape[0], x.shape[1], -1)

    def backward(self, grad_out):
        return self.layer.backward(grad_out.reshape(-1, grad_out.shape[-1])).reshape(self.shape)

    def named_parameters(self):
        return self.layer.named_parameters()


def value_networks(hidden_size=16, seed=0):
    """{"feedforward": MLP on the current observation, "rnn": RNN reading all so far}."""
    d = observation_vectors(maze_setting().maze).shape[1]
    feedforward = PerStep(nn.Sequential(nn.Linear(d, hidden_size, rng=seed), nn.Tanh(),
                                        nn.Linear(hidden_size, 1, rng=seed + 1)))
    rnn = nn.Sequential(nn.RNN(d, hidden_size, rng=seed),
                        PerStep(nn.Linear(hidden_size, 1, rng=seed + 1)))
    return {"feedforward": feedforward, "rnn": rnn}


@dataclass
class AliasingResult:
    """Both value networks trained on the same episodes, judged on the look-alike cells."""

    losses: dict  # model -> training loss per update
    aliased_true: np.ndarray  # V^pi at every visit of a look-alike cell in the test episodes
    aliased_estimates: dict  # model -> its estimates at those visits
    aliased_group: np.ndarray  # which look-alike group each visit belongs to
    updates: int
    note: str = ""

    def rmse(self, model):
        """Root mean squared value error of `model` on the visits of look-alike cells."""
        error = self.aliased_estimates[model] - self.aliased_true
        return float(np.sqrt(np.mean(error ** 2)))


def partial_observability(hidden_size=16, updates=300, seed=0, progress=None):
    """Train the feedforward net and the RNN to predict V^pi from partial observations.

    Training: 64 episodes from S; test: 64 others. Adam, mini-batches of 16 episodes.
    `progress(partial result)` is called every 20 updates for live loss curves.
    """
    x, y, _ = maze_episodes(64, seed)
    x_test, _, states_test = maze_episodes(64, seed + 1000)
    maze, values = maze_setting().maze, maze_setting().values
    groups = aliased_groups(maze)
    group_of = np.full(maze.n_states, -1)
    for k, g in enumerate(groups):
        group_of[g] = k
    visits = group_of[states_test] >= 0
    models = value_networks(hidden_size, seed)
    losses = {name: np.zeros(0) for name in models}
    estimates = {}

    def partial(updates_done):
        return AliasingResult(dict(losses), values[states_test[visits]],
                              {n: np.full(visits.sum(), np.nan) for n in models}
                              | dict(estimates), group_of[states_test[visits]], updates_done)

    for name, model in models.items():
        def grow(step, history, name=name):
            losses[name] = history.loss
            if progress is not None:
                progress(partial(step))
        history = train(model, x, y, optimizer=Adam(model.parameters(), 0.01), batch_size=16,
                        steps=updates, seed=seed, callback=grow, callback_every=20)
        losses[name] = history.loss
        estimates[name] = VALUE_SCALE * model(x_test)[..., 0][visits]
    return partial(updates)


class AliasingView:
    """Left: the look-alike cells, one colour per group, with V^pi. Middle: estimate against
    V^pi at every visit of such a cell. Right: the training losses."""

    def __init__(self):
        setting = maze_setting()
        maze = setting.maze
        self.figure = plots.new_figure(10.0, 3.8)
        map_ax, scatter_ax, loss_ax = self.figure.subplots(1, 3, width_ratios=[1, 1.15, 1])
        groups = aliased_groups(maze)
        shade = np.ma.masked_all(maze.shape)
        for k, g in enumerate(groups):
            for i in g:
                shade[maze.states[i]] = k
        map_ax.imshow(maze.walls, cmap=plots.maze_cmap(), interpolation="nearest", vmin=0, vmax=1)
        colours = [style.PALETTE[k] for k in (4, 1, 2, 5)]
        map_ax.imshow(shade, cmap=mpl.colors.ListedColormap(colours[:len(groups)]),
                      vmin=-0.5, vmax=len(groups) - 0.5, interpolation="nearest", alpha=0.8)
        for i, (r, c) in enumerate(maze.states):
            map_ax.text(c, r, f"{setting.values[i]:.0f}", ha="center", va="center",
                        fontsize="x-small", color="black")
        map_ax.set_xticks([])
        map_ax.set_yticks([])
        map_ax.grid(False)
        map_ax.set_title("look-alike cells\nand their $V^\\pi$", fontsize="medium")
        low, high = plots.nice_limits(setting.values.min(), 0)
        scatter_ax.plot([low, high], [low, high], color=style.TRUE_COLOUR, lw=1, ls="--")
        self.points = {name: scatter_ax.plot([], [], "o", ms=4, alpha=0.5,
                                             color=MODEL_COLOURS[name],
                                             label=MODEL_NAMES[name])[0]
                       for name in ("feedforward", "rnn")}
        scatter_ax.set(xlim=(low, high), ylim=(low, high), xlabel="true $V^\\pi$",
                       ylabel="estimate")
        # no tick at the shared corner (-15, -15) nor at the top, next to the two-line title:
        # in the projector style those labels collide
        scatter_ax.set_xticks(np.arange(low + 5, high + 1, 5))
        scatter_ax.set_yticks(np.arange(low, high, 5))
        scatter_ax.legend(loc="upper left", fontsize="small")
        self.scatter_title = scatter_ax.set_title(" \n ", fontsize="medium")
        self.curves = {name: loss_ax.plot([], [], color=MODEL_COLOURS[name])[0]
                       for name in ("feedforward", "rnn")}
        loss_ax.set_yscale("log")
        loss_ax.set_ylim(1e-4, 1e0)
        loss_ax.yaxis.set_minor_locator(NullLocator())
        loss_ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        loss_ax.set_xlabel("update")
        loss_ax.set_title("training loss\n(MSE of V / 10)", fontsize="medium")
        self.loss_ax = loss_ax
        plots.freeze_layout(self.figure)

    def update(self, result):
        for name, points in self.points.items():
            points.set_data(result.aliased_true, result.aliased_estimates[name])
        for name, curve in self.curves.items():
            curve.set_data(np.arange(len(result.losses[name])), result.losses[name])
        self.loss_ax.set_xlim(0, max(result.updates, 1))
        done = [n for n in self.points if np.isfinite(result.aliased_estimates[n]).all()]
        self.scatter_title.set_text("error on look-alike cells (RMSE)\n" + ", ".join(
            f"{SHORT_NAMES[n]} {result.rmse(n):.2f}" for n in done))


def partial_observability_panel():
    """Feedforward net vs RNN on the maze seen through a 3x3 window, behind a Train button."""
    controls = {"hidden_size": slider(16, 4, 32, 4, "hidden units"),
                "updates": slider(300, 100, 600, 100, "updates"),
                "seed": slider(0, 0, 10, 1, "random seed")}
    return Panel(partial_observability, AliasingView(), controls, button="Train",
                 busy="training the feedforward net and the RNN, {updates} updates each ...",
                 question="On a look-alike cell, what is the best single value a feedforward "
                          "net can give? Where will its points lie in the middle plot?")


PANELS["partial_observability"] = partial_observability_panel


# --- 3. The T-maze: a task that needs memory ---------------------------------------------------

CUE_UP, CUE_DOWN, CORRIDOR, JUNCTION = range(4)  # observation channels
TMAZE_NOISE = 0.1  # every observation carries a little Gaussian noise
TMAZE_UPDATES, TMAZE_LR, TMAZE_BATCH = 150, 0.03, 32
GRU_UPDATE_BIAS = 3.0  # the GRU starts with its update gate open: z ~ 0.95, it keeps h


def tmaze_episodes(length, n, noise=TMAZE_NOISE, rng=0):
    """`n` walks down a T-maze corridor: observations (n, length + 1, 4) and the goal side (n,).

    Step 0 shows the cue (channel 0: the goal is up, channel 1: down); steps 1..length-1 are
    corridor cells, all alike; step `length` is the junction, where the agent must turn.
    """
    if int(length) != length or length < 1:
        raise ValueError(f"corridor length must be a positive integer, got {length!r}")
    rng = np.random.default_rng(rng)
    x = np.zeros((n, length + 1, 4))
    goal = rng.integers(0, 2, n)
    x[np.arange(n), 0, goal] = 1.0
    x[:, 1:-1, CORRIDOR] = 1.0
    x[:, -1, JUNCTION] = 1.0
    return x + noise * rng.standard_normal(x.shape), goal


def tmaze_model(kind, hidden_size=8, seed=0):
    """A classifier of the turn at the junction: "feedforward" (the current observation only),
    "rnn" (tanh RNN over the whole walk) or "gru"; returns logits (N, 2)."""
    if kind == "feedforward":
        return nn.Sequential(nn.LastTimeStep(), nn.Linear(4, hidden_size, rng=seed), nn.Tanh(),
                             nn.Linear(hidden_size, 2, rng=seed + 1))
    cell = {"rnn": nn.RNN, "gru": nn.GRU}[kind](4, hidden_size, rng=seed)
    if kind == "gru":
        cell.bias_ih.data[hidden_size:2 * hidden_size] += GRU_UPDATE_BIAS
    return nn.Sequential(cell, nn.LastTimeStep(), nn.Linear(hidden_size, 2, rng=seed + 1))


@dataclass
class TMazeRun:
    """One model trained on one corridor length."""

    kind: str
    length: int
    loss: np.ndarray  # cross-entropy per update
    accuracy: float  # share of 500 new walks turned the right way at the junction
    model: nn.Module = field(repr=False)


def train_tmaze(kind, length, hidden_size=8, seed=0, updates=TMAZE_UPDATES, callback=None):
    """Train a T-maze model by BPTT (Adam) on 256 walks; test on 500 new ones."""
    x, goal = tmaze_episodes(length, 256, rng=seed)
    model = tmaze_model(kind, hidden_size, seed)
    history = train(model, x, goal, loss=nn.CrossEntropyLoss(), batch_size=TMAZE_BATCH,
                    optimizer=Adam(model.parameters(), TMAZE_LR), steps=updates, seed=seed,
                    callback=callback, callback_every=10)
    x_test, goal_test = tmaze_episodes(length, 500, rng=seed + 1000)
    accuracy = float((model(x_test).argmax(axis=1) == goal_test).mean())
    return TMazeRun(kind, length, history.loss, accuracy, model)


def hidden_trace(model, length):
    """The RNN's hidden states on noise-free walks, cue up and cue down; (2, T, H)."""
    x = np.zeros((2, length + 1, 4))
    x[[0, 1], 0, [CUE_UP, CUE_DOWN]] = 1.0
    x[:, 1:-1, CORRIDOR], x[:, -1, JUNCTION] = 1.0, 1.0
    return model[0](x)


@dataclass
class TMazeResult:
    """Feedforward and RNN trained on the same walks; the RNN's hidden states for both cues."""

    length: int
    runs: dict  # kind -> TMazeRun (only the finished ones while training)
    trace: np.ndarray | None = None  # (2, T, H): cue up, cue down
    note: str = ""


def tmaze_memory(length=10, hidden_size=8, seed=0, progress=None):
    """Train the feedforward net and the tanh RNN on the T-maze of corridor `length`."""
    runs = {}
    for kind in ("feedforward", "rnn"):
        def grow(step, history, kind=kind):
            if progress is not None:
                progress(TMazeResult(length, runs | {kind: TMazeRun(kind, length, history.loss,
                                                                     np.nan, None)}))
        runs[kind] = train_tmaze(kind, length, hidden_size, seed, callback=grow)
    return TMazeResult(length, runs, hidden_trace(runs["rnn"].model, length))


class TMazeView:
    """Left: losses. Middle: accuracy at the junction. Right: the RNN's hidden state over time."""

    MAX_LENGTH = 40

    def __init__(self, hidden_size_max=16):
        self.figure = plots.new_figure(10.0, 3.8)
        grid = self.figure.add_gridspec(3, 3, width_ratios=[1, 0.7, 1.6])
        loss_ax = self.figure.add_subplot(grid[:, 0])
        bar_ax = self.figure.add_subplot(grid[:, 1])
        self.trace_axes = [self.figure.add_subplot(grid[k, 2]) for k in range(3)]
        self.curves = {kind: loss_ax.plot([], [], color=MODEL_COLOURS[kind],
                                          label=MODEL_NAMES[kind])[0]
                       for kind in ("feedforward", "rnn")}
        loss_ax.set(xlim=(0, TMAZE_UPDATES), ylim=(0, 0.8), xlabel="update")
        loss_ax.set_title("training loss\n(cross-entropy)", fontsize="medium")
        loss_ax.axhline(np.log(2), color=style.TRUE_COLOUR, ls="--", lw=1,
                        label="guessing (ln 2)")
        loss_ax.legend(loc="center right", fontsize="small")
        self.bars = bar_ax.bar([0, 1], [0, 0], color=[MODEL_COLOURS["feedforward"],
                                                      MODEL_COLOURS["rnn"]])
        bar_ax.set_xticks([0, 1], ["feed-\nforward", "RNN"])
        bar_ax.axhline(50, color=style.TRUE_COLOUR, ls="--", lw=1)
        bar_ax.set_ylim(0, 105)
        bar_ax.set_title("right turns\n(%)", fontsize="medium")
        bar_ax.yaxis.set_major_locator(MaxNLocator(5))
        self.bar_labels = [bar_ax.text(k, 2, "", ha="center", va="bottom", fontsize="small",
                                       color="black") for k in (0, 1)]
        self.images = []
        for ax, label in zip(self.trace_axes, ("cue up", "cue down", "½ diff."),
                             strict=True):
            image = ax.imshow(np.zeros((hidden_size_max, self.MAX_LENGTH + 1)), cmap=STATE_CMAP,
                              vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
            ax.set_ylabel(label, fontsize="small")
            ax.set_yticks([])
            ax.grid(False)
            self.images.append(image)
        self.trace_axes[0].set_title("RNN hidden units along the walk", fontsize="medium")
        for ax in self.trace_axes[:2]:
            ax.tick_params(labelbottom=False)
        self.trace_axes[2].set_xlabel("step (0 = cue, last = junction)")
        self.trace_axes[2].xaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.figure.colorbar(self.images[0], ax=self.trace_axes, shrink=0.9, ticks=[-1, 0, 1])
        plots.freeze_layout(self.figure)

    def update(self, result):
        for kind, curve in self.curves.items():
            run = result.runs.get(kind)
            curve.set_data(([], []) if run is None else (np.arange(len(run.loss)), run.loss))
        for k, kind in enumerate(("feedforward", "rnn")):
            run = result.runs.get(kind)
            accuracy = 100 * run.accuracy if run is not None and np.isfinite(run.accuracy) else 0
            self.bars[k].set_height(accuracy)
            self.bar_labels[k].set_text(f"{accuracy:.0f}" if accuracy else "")
        if result.trace is None:
            return
        up, down = result.trace
        shown = (up.T, down.T, (up - down).T / 2)  # each (H, T)
        for image, ax, states in zip(self.images, self.trace_axes, shown, strict=True):
            image.set_data(states)
            image.set_extent((-0.5, states.shape[1] - 0.5, states.shape[0] - 0.5, -0.5))
            ax.set_xlim(-0.5, states.shape[1] - 0.5)
            ax.set_ylim(states.shape[0] - 0.5, -0.5)


def tmaze_panel():
    """The T-maze: feedforward net vs tanh RNN, trained behind a Train button."""
    controls = {"length": slider(10, 1, TMazeView.MAX_LENGTH, 1, "corridor length"),
                "hidden_size": slider(8, 1, 16, 1, "hidden units"),
                "seed": slider(0, 0, 10, 1, "random seed")}
    return Panel(tmaze_memory, TMazeView(), controls, button="Train",
                 question="The cue is seen once, at step 0. Which model can turn the right way "
                          "at the junction, and how often is the other one right?")


PANELS["tmaze"] = tmaze_panel


# --- 4. Vanishing and exploding gradients --------------------------------------------------------

GRADIENT_SCALES = (0.5, 0.9, 1.0, 1.5, 3.0)  # reference curves: eigenvalue sizes of W_hh
GRADIENT_LENGTH = 60


@dataclass
class GradientNorms:
    """Mean norm of dL/dx^(T-k) for k = 0..T-1 (L read at the last step), per W_hh scale."""

    distance: np.ndarray  # (T,) k
    norms: dict  # scale -> (T,)
    scale: float
    note: str = ""


@lru_cache(maxsize=256)
def gradient_norm_profile(scale, hidden_size=32, length=GRADIENT_LENGTH, seed=0):
    """||dL/dx^(T-k)|| for an RNN whose W_hh is `scale` times a random rotation; (T,).

    All eigenvalues of W_hh then have size `scale`. L = u . h^T for a random u; averaged
    over 16 random input sequences. Each step back multiplies by W_hh^T diag(1 - h^2).
    """
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
    rnn = nn.RNN(2, hidden_size, rng=seed)
    rnn.weight_hh.data[:] = scale * rotation
    h = rnn(rng.standard_normal((16, length, 2)))
    grad = np.zeros_like(h)
    grad[:, -1] = rng.standard_normal((16, hidden_size)) / np.sqrt(hidden_size)
    norms = np.linalg.norm(rnn.backward(grad), axis=2).mean(axis=0)[::-1].copy()
    norms.setflags(write=False)  # cached: shared by every caller
    return norms


def gradient_norms(scale=1.0, hidden_size=32, seed=0):
    """The gradient-norm profiles of the reference scales and of `scale`."""
    scales = sorted(set(GRADIENT_SCALES) | {float(scale)})
    return GradientNorms(np.arange(GRADIENT_LENGTH),
                         {s: gradient_norm_profile(s, hidden_size, seed=seed) for s in scales},
                         float(scale))


class GradientView:
    """Gradient norm against distance in time, log scale, one curve per W_hh scale."""

    FLOOR, TOP = 1e-20, 1e8

    def __init__(self):
        self.figure = plots.new_figure(7.5, 3.8)
        ax = self.figure.add_subplot()
        colours = dict(zip(GRADIENT_SCALES, ("C0", "C5", "C2", "C1", "C3"), strict=True))
        self.curves = {s: ax.plot([], [], color=colours[s], lw=1.2, label=f"scale {s:g}")[0]
                       for s in GRADIENT_SCALES}
        (self.chosen,) = ax.plot([], [], color=style.INK, lw=2.5, ls="--", label="your scale")
        ax.set_yscale("log")
        ax.set(xlim=(0, GRADIENT_LENGTH - 1), ylim=(self.FLOOR, self.TOP),
               xlabel="distance in time k (steps back from the loss)",
               ylabel=r"$\|\partial L / \partial x^{T-k}\|$")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_yticks(10.0 ** np.arange(-20, 6, 5))  # round decades (auto gave 10^-6, 10^1, ...)
        ax.legend(loc="lower left", fontsize="small", ncols=2)
        self.title = self.figure.suptitle(" \n ", fontsize="medium")  # two lines: see update
        plots.freeze_layout(self.figure)

    def update(self, result):
        for s, curve in self.curves.items():
            norms = np.clip(result.norms[s], self.FLOOR, self.TOP)
            if not np.array_equal(curve.get_ydata(), norms):  # unchanged curves stay drawn
                curve.set_data(result.distance, norms)
        chosen = result.norms[result.scale]
        self.chosen.set_data(result.distance, np.clip(chosen, self.FLOOR, self.TOP))
        # on two lines, or the projector style's large font runs off both sides of the figure
        self.title.set_text(f"your scale {result.scale:g}: 20 steps back the gradient is\n"
                            f"{chosen[20] / chosen[0]:.2g} times its size at the last step")


def gradient_panel():
    """How the gradient with respect to early inputs shrinks or grows with the distance."""
    controls = {"scale": slider(1.0, 0.1, 3.0, 0.1, "W_hh scale"),
                "hidden_size": slider(32, 4, 64, 4, "hidden units"),
                "seed": slider(0, 0, 10, 1, "random seed")}
    return Panel(gradient_norms, GradientView(), controls,
                 question="Each step back multiplies the gradient by W_hh^T and by tanh' <= 1. "
                          "For which scales will a cue 50 steps back still get a useful "
                          "gradient?")


PANELS["gradients"] = gradient_panel


SWEEP_LENGTHS = (10, 20, 40, 60, 80, 100)


@dataclass
class SweepResult:
    """The tanh RNN trained at growing corridor lengths until it fails; the GRU where it failed."""

    rnn: list  # TMazeRun per length tried, in order
    gru: TMazeRun | None = None
    fail_length: int | None = None  # the first length where the RNN stayed below FAIL_BELOW
    note: str = ""


FAIL_BELOW = 0.8  # accuracy under which a run counts as failed (chance is 0.5)


def length_sweep(hidden_size=8, seed=0, progress=None):
    """Train the tanh RNN at SWEEP_LENGTHS until it fails, then the GRU at that length."""
    result = SweepResult([])
    for length in SWEEP_LENGTHS:
        result.rnn.append(train_tmaze("rnn", length, hidden_size, seed))
        if progress is not None:
            progress(result)
        if result.rnn[-1].accuracy < FAIL_BELOW:
            result.fail_length = length
            break
    if result.fail_length is None:
        result.note = (f"the tanh RNN learned every length up to {SWEEP_LENGTHS[-1]} with this "
                       "seed: try another")
        return result
    result.gru = train_tmaze("gru", result.fail_length, hidden_size, seed)
    return result


class SweepView:
    """Accuracy at the junction against corridor length: the tanh RNN, then the GRU."""

    def __init__(self):
        self.figure = plots.new_figure(7.5, 3.6)
        ax = self.figure.add_subplot()
        (self.rnn,) = ax.plot([], [], "o-", color=MODEL_COLOURS["rnn"], label="tanh RNN")
        (self.gru,) = ax.plot([], [], "s", ms=10, color=MODEL_COLOURS["gru"], label="GRU")
        self.fail = ax.axvline(0, color=style.ERROR_COLOUR, ls=":", lw=1.5)
        self.fail_text = ax.text(0, 30, "", color=style.ERROR_COLOUR, fontsize="small",
                                 ha="right", va="bottom")
        ax.axhline(50, color=style.TRUE_COLOUR, ls="--", lw=1)
        ax.text(SWEEP_LENGTHS[0] - 5, 52, "chance", fontsize="small", color=style.TRUE_COLOUR)
        ax.set(xlim=(SWEEP_LENGTHS[0] - 5, SWEEP_LENGTHS[-1] + 5), ylim=(0, 105),
               xlabel="corridor length", ylabel="right turns at the junction (%)")
        ax.set_xticks(SWEEP_LENGTHS)
        ax.legend(loc="lower left", fontsize="small")
        self.title = self.figure.suptitle(" ", fontsize="medium")
        plots.freeze_layout(self.figure)

    def update(self, result):
        self.rnn.set_data([r.length for r in result.rnn], [100 * r.accuracy for r in result.rnn])
        gru = result.gru
        self.gru.set_data(([], []) if gru is None else ([gru.length], [100 * gru.accuracy]))
        failed = result.fail_length is not None
        self.fail.set_visible(failed)
        self.fail_text.set_visible(failed)
        if failed:
            self.fail.set_xdata([result.fail_length] * 2)
            self.fail_text.set_position((result.fail_length - 1.5, 30))
            self.fail_text.set_text(f"tanh RNN fails\nat length {result.fail_length}")
        self.title.set_text("" if gru is None else
                            f"at length {gru.length}: tanh RNN {100 * result.rnn[-1].accuracy:.0f}"
                            f"%, GRU {100 * gru.accuracy:.0f}%")


def length_sweep_panel():
    """Growing corridors until the tanh RNN fails, then a GRU at that length (Train button)."""
    controls = {"hidden_size": slider(8, 2, 16, 1, "hidden units"),
                "seed": slider(0, 0, 10, 1, "random seed")}
    return Panel(length_sweep, SweepView(), controls, button="Train",
                 busy=f"training the tanh RNN at corridor lengths {SWEEP_LENGTHS[0]} to "
                      f"{SWEEP_LENGTHS[-1]} until it fails, then a GRU (a few seconds) ...",
                 question="The cue must cross the whole corridor. At what length do you expect "
                          "the tanh RNN to stop finding it, and will the GRU fare better?")


PANELS["length_sweep"] = length_sweep_panel
