"""Notebook 06, toward deep RL: the approximators of notebooks 01-03 learning V from experience.

Notebooks 01-05 regress V_hat(s; theta) onto the true V^pi. Here the targets come from the
agent's own transitions (s, r, s') in the maze instead (MARL book, chapter 7, and the
deep-RL chapter after it):

    true values     y = V^pi(s)                       (supervised, as before)
    Monte Carlo     y = G_t = r_{t+1} + gamma G_{t+1}  (the return that followed s)
    TD(0)           y = r + gamma V_hat(s'; theta)     (0 in place of V_hat at the goal)

Semi-gradient TD treats its target as a constant; with linear features it converges to the
TD fixed point theta_TD = A^-1 b. The deadly triad (Baird's counterexample) shows where
bootstrapping, function approximation and off-policy updates together diverge, and a target
network with experience replay previews how deep RL trains an MLP on TD targets.

Values are learned in units of VALUE_SCALE (rewards -1/10 per step), so that targets are of
order 1 for the MLP; figures and errors are in units of V^pi.
"""

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from . import maze as mz
from . import nn, plots
from .optim import SGD
from .running_example import GAMMA, best_linear_fit, maze_setting, scaled_features
from .style import DATA_COLOUR, ERROR_COLOUR, FIT_COLOUR, INK, TRUE_COLOUR
from .widgets import Panel, dropdown, slider

VALUE_SCALE = 10.0  # models learn V / 10: targets of order 1
LINEAR_FEATURES = ("polynomial", 3)  # notebook 01's features for the linear model
TARGETS = ("true", "monte_carlo", "td")
V_PI = "V\u03c0"  # plain text, no mathtext: figures that redraw often draw it fastest
TARGET_NAMES = {"true": f"{V_PI} (supervised)", "monte_carlo": "Monte Carlo return",
                "td": "TD(0) target"}
NOTE_NAMES = {"true": "supervised", "monte_carlo": "Monte Carlo", "td": "TD(0)"}
TARGET_COLOURS = {"true": "C2", "monte_carlo": DATA_COLOUR, "td": FIT_COLOUR}
PANELS = {}


# --- Experience: the agent's transitions in the maze ------------------------------------------

def td_targets(rewards, next_values, terminal, gamma):
    """TD(0) targets y = r + gamma V_hat(s'), with V_hat(s') = 0 where s' is terminal; (N,).

    rewards, next_values (N,) floats; terminal (N,) bool or 0/1 "done" flags: s' is the goal,
    whose value is 0 by definition (the episode ends), whatever the approximator says there.
    """
    return rewards + gamma * np.where(np.asarray(terminal) > 0, 0.0, next_values)


def td_targets_from_table(V, states, rewards, next_states, terminal, gamma):
    """TD(0) targets of transitions (states, rewards, next_states, terminal) under a value
    table V (N,): r + gamma V[s'], with V[s'] replaced by 0 where s' is terminal; (B,)."""
    return td_targets(rewards, V[next_states], terminal, gamma)


def discounted_returns(rewards, gamma):
    """Monte Carlo returns G_t = r_{t+1} + gamma G_{t+1} of one episode, G_T = 0; (T,) -> (T,)."""
    returns, following = np.empty(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):  # backwards: each return reuses the next one
        following = rewards[t] + gamma * following
        returns[t] = following
    return returns


def semi_gradient_step(theta, x, reward, x_next, terminal, gamma, lr):
    """One semi-gradient TD(0) update of a linear V_hat(s) = theta^T x(s); returns new theta (D,).

    delta = r + gamma theta^T x(s') - theta^T x(s) (no bootstrap at a terminal s'),
    theta <- theta + lr delta x(s): the target is held fixed, only V_hat(s) is differentiated.
    """
    target = reward + (0.0 if terminal else gamma * theta @ x_next)
    return theta + lr * (target - theta @ x) * x


@dataclass(frozen=True)
class Experience:
    """Transitions (s_k, r_k, s'_k) of whole episodes, in the order they happened.

    states, next_states (N,) state indices; rewards (N,); terminal (N,) bool (s' is G);
    returns (N,) the Monte Carlo return G that followed each s_k in its episode.
    """

    states: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    terminal: np.ndarray
    returns: np.ndarray
    episodes: int

    @property
    def n(self):
        return len(self.states)


@lru_cache(maxsize=32)
def collect_experience(episodes=50, gamma=GAMMA, seed=0):
    """`episodes` episodes of the maze's epsilon-greedy policy from S (cached, read-only).

    All start in S, as the running example's experience does: states the greedy path does
    not pass (s2, s4, ...) are seen only when the agent explores.
    """
    if not (int(episodes) == episodes >= 1):
        raise ValueError(f"episodes must be a whole number >= 1, got {episodes!r}")
    setting = maze_setting()
    maze = setting.maze
    trajectories = mz.sample_trajectories(maze, setting.policy, int(episodes), rng=seed)
    goal = maze.index(maze.goal)
    states = np.concatenate([t.states[:-1] for t in trajectories])
    next_states = np.concatenate([t.states[1:] for t in trajectories])
    rewards = np.concatenate([t.rewards for t in trajectories])
    returns = np.concatenate([discounted_returns(t.rewards, gamma) for t in trajectories])
    arrays = (states, rewards, next_states, next_states == goal, returns)
    for array in arrays:
        array.setflags(write=False)
    return Experience(*arrays, int(episodes))


@lru_cache(maxsize=16)
def true_values(gamma=GAMMA):
    """V^pi of the running example's policy for discount `gamma` (exact); (N,) read-only."""
    setting = maze_setting()
    values = mz.policy_evaluation(setting.maze, setting.policy, gamma)
    values.setflags(write=False)
    return values


def rmse(estimate, values, states=slice(None)):
    """Root mean squared error of `estimate` (N,) against `values` (N,) on `states`."""
    error = (np.asarray(estimate, dtype=float) - values)[states]
    return float(np.sqrt(np.mean(error ** 2)))


def keep_xlim(ax, low, high):
    """Set the x limits only if they change: a steady frame is not redrawn (`render`)."""
    if tuple(ax.get_xlim()) != (low, high):
        ax.set_xlim(low, high)


def named_indices():
    """Indices of s1..s4 in the maze's state order."""
    maze = maze_setting().maze
    return np.array([maze.index(cell) for cell in maze.named_states.values()])


def monte_carlo_fit_gap(episodes):
    """max over states of |V_MC - V_LS|: the least-squares linear fit of the Monte Carlo
    returns against that of the true values V^pi on the same visited states.

    Returns are unbiased samples of V^pi, so the gap shrinks as episodes grow; both fits weight
    each state as often as it was visited (notebook 01's fit weights every state once).
    """
    experience, X = collect_experience(episodes), scaled_features(*LINEAR_FEATURES)
    x = X[experience.states]
    theta_mc = np.linalg.lstsq(x, experience.returns, rcond=None)[0]
    theta_ls = np.linalg.lstsq(x, true_values()[experience.states], rcond=None)[0]
    return float(np.abs(X @ (theta_mc - theta_ls)).max())


# --- 1. Three kinds of target, the same models, the same transitions ----------------------------

MODELS = ("linear", "mlp")
MODEL_NAMES = {"linear": "linear, polynomial features", "mlp": "MLP (32 tanh units)"}
BATCH_SIZE = 16
CURVE_POINTS = 60  # errors measured per training run, log-spaced
DIVERGED_AT = 1e3  # a value estimate beyond +-1e3 (V^pi lies in [-14, 0]) = diverged


def model_inputs(model):
    """The input x(s) of every state for `model` ("linear" or "mlp"); (N, D) read-only."""
    if model == "linear":
        return scaled_features(*LINEAR_FEATURES)
    if model == "mlp":
        return mz.normalised_coordinates(maze_setting().maze)
    raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")


def make_model(model, seed=0):
    """A fresh nn model: Linear(D, 1) on the features, or 2 -> 32 (tanh) -> 1 on (row, col)."""
    inputs = model_inputs(model)
    if model == "linear":
        return nn.Linear(inputs.shape[1], 1, rng=seed)
    return nn.Sequential(nn.Linear(2, 32, rng=seed), nn.Tanh(), nn.Linear(32, 1, rng=seed + 1))


def divergence_note(runs):
    """One short message for the runs that diverged, e.g. "Monte Carlo diverged after 7
    updates (estimates beyond 1000): try a smaller learning rate"; "" if none did.

    Runs that diverged after the same number of updates share one clause ("C = 10, 100 and
    1000 diverged after 50 updates"): three separate clauses took three lines on a projector.
    """
    by_step = {}  # "after 50 updates" -> the labels of the runs that diverged then
    for run in runs:
        if run.note:
            label, _, when = run.note.partition(" diverged ")
            by_step.setdefault(when, []).append(label)
    clauses = []
    for when, labels in by_step.items():
        if len(labels) > 1 and all(label.startswith("C = ") for label in labels):
            labels = [labels[0]] + [label.removeprefix("C = ") for label in labels[1:]]
        names = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
        clauses.append(f"{names} diverged {when}")
    return (f"{'; '.join(clauses)} (estimates beyond {DIVERGED_AT:.0f}): try a smaller "
            "learning rate" if clauses else "")


def targets_of(kind, net, inputs, experience, batch, gamma):
    """The regression targets y (B, 1) for transitions `batch` (indices), in units of VALUE_SCALE.

    kind "true": V^pi(s); "monte_carlo": the return G; "td": r + gamma V_hat(s'), computed
    from the current network and then held fixed (semi-gradient: no gradient flows into it).
    """
    s = experience.states[batch]
    if kind == "true":
        return true_values(gamma)[s, None] / VALUE_SCALE
    if kind == "monte_carlo":
        return experience.returns[batch, None] / VALUE_SCALE
    if kind == "td":
        next_values = net(inputs[experience.next_states[batch]])[:, 0]
        return td_targets(experience.rewards[batch] / VALUE_SCALE, next_values,
                          experience.terminal[batch], gamma)[:, None]
    raise ValueError(f"target must be one of {list(TARGETS)}, got {kind!r}")


@dataclass
class LearningRun:
    """One model trained on one kind of target: errors against V^pi as training went on."""

    target: str
    period: int  # the target network's refresh period C (1: no target network)
    updates: np.ndarray  # updates done where each error was measured
    rmse: np.ndarray  # RMSE against V^pi over all states
    named_rmse: np.ndarray  # RMSE against V^pi on s1..s4
    estimate: np.ndarray  # final V_hat of every state (N,), NaN if diverged
    note: str = ""

    @property
    def transitions(self):
        """Transitions used so far (mini-batches of BATCH_SIZE), where each error was measured."""
        return self.updates * BATCH_SIZE


@dataclass
class TargetComparison:
    """The three targets, each run on the same transitions in the same mini-batch order."""

    model: str
    gamma: float
    values: np.ndarray  # V^pi for this gamma (N,)
    experience: Experience
    updates: int
    runs: list = field(default_factory=list)
    note: str = ""

    def run(self, target):
        return next(r for r in self.runs if r.target == target)


def copy_weights(source, destination):
    """Copy every parameter of network `source` into `destination` (same architecture)."""
    for p, q in zip(source.parameters(), destination.parameters(), strict=True):
        q.data[...] = p.data


def learn_values(kind="td", model="linear", lr=0.1, gamma=GAMMA, episodes=20, updates=3000,
                 seed=0, period=1, replay=True, measure="log", label=None):
    """Train a fresh `model` by `updates` SGD steps on targets of `kind`; a LearningRun.

    replay=True: each update is a mini-batch of BATCH_SIZE transitions drawn at random (with
    the generator `seed`) from all those of `episodes` episodes, the same batches for every
    kind of target; False: one transition per update, in the order they happened.
    period C: TD targets come from a copy of the network refreshed every C updates (a target
    network); 1 means the current network. Errors are measured at CURVE_POINTS updates,
    log-spaced (`measure="log"`) or evenly spaced ("linear"). `label` names the run in the
    note if it diverges (default: the kind of target).
    """
    experience = collect_experience(episodes, gamma)
    inputs, values, named_idx = model_inputs(model), true_values(gamma), named_indices()
    net, frozen, loss = make_model(model, seed), make_model(model, seed), nn.MSELoss()
    optimizer, rng = SGD(net.parameters(), lr), np.random.default_rng(seed)
    spaced = np.geomspace(1, max(updates, 1), CURVE_POINTS) if measure == "log" else \
        np.linspace(0, updates, CURVE_POINTS)
    when = set(spaced.astype(int)) | {updates}  # the last update too (geomspace rounds down)
    done, errors, named = [], [], []
    for step in range(updates + 1):
        if step in when:
            estimate = VALUE_SCALE * net(inputs)[:, 0]
            if not np.all(np.abs(estimate) < DIVERGED_AT):
                return LearningRun(kind, period, np.array(done), np.array(errors),
                                   np.array(named), np.full(len(values), np.nan),
                                   f"{label or NOTE_NAMES[kind]} diverged after {step} updates")
            done.append(step)
            errors.append(rmse(estimate, values))
            named.append(rmse(estimate, values, named_idx))
        if step == updates:
            break
        if step % period == 0:
            copy_weights(net, frozen)  # the target network catches up (every update if C = 1)
        batch = (rng.integers(0, experience.n, BATCH_SIZE) if replay
                 else np.array([step % experience.n]))
        y = targets_of(kind, frozen, inputs, experience, batch, gamma)
        prediction = net(inputs[experience.states[batch]])
        loss(prediction, y)
        optimizer.zero_grad()
        net.backward(loss.backward())
        optimizer.step()
    return LearningRun(kind, period, np.array(done), np.array(errors), np.array(named), estimate)


class TargetsView:
    """Left: RMSE against V^pi as transitions are used, one line per target. Right: s1..s4."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 3.5)  # with four controls: fits a 720-px projector
        curve_ax, bar_ax = self.figure.subplots(1, 2, width_ratios=[1.4, 1])
        self.lines = {k: curve_ax.plot([], [], color=TARGET_COLOURS[k], label=TARGET_NAMES[k],
                                       linestyle="--" if k == "true" else "-")[0]
                      for k in TARGETS}
        curve_ax.set_yscale("log")
        curve_ax.yaxis.set_minor_locator(NullLocator())
        curve_ax.set_ylim(0.3, 30)
        curve_ax.set_yticks([0.3, 1, 3, 10, 30], ["0.3", "1", "3", "10", "30"])
        curve_ax.set_xscale("log")
        curve_ax.set_xlim(BATCH_SIZE, 1e5)
        curve_ax.xaxis.set_minor_locator(NullLocator())
        curve_ax.set(xlabel="transitions used (updates x 16)", ylabel=f"RMSE against {V_PI}")
        curve_ax.set_title("error on all states", fontsize="medium")
        curve_ax.legend(loc="upper right", fontsize="small")
        x = np.arange(4)
        names = list(maze_setting().maze.named_states)
        self.truth = bar_ax.bar(x - 0.3, np.zeros(4), 0.2, color=TRUE_COLOUR, label=V_PI)
        self.bars = {k: bar_ax.bar(x + 0.2 * (i - 0.5), np.zeros(4), 0.2,
                                   color=TARGET_COLOURS[k], hatch="//" if k == "true" else None)
                     for i, k in enumerate(TARGETS)}
        bar_ax.set_xticks(x, names)
        bar_ax.axhline(0, color=INK, linewidth=0.8)
        bar_ax.legend(loc="lower right", fontsize="small")
        bar_ax.set_ylim(-20, 0)
        bar_ax.set_title("values at s1..s4 after training\n(bars in the curves' colours)",
                         fontsize="medium")
        self.curve_ax, self.bar_ax = curve_ax, bar_ax
        plots.freeze_layout(self.figure)

    def update(self, result):
        done = {run.target: run for run in result.runs}
        named = named_indices()
        for bar, h in zip(self.truth, result.values[named], strict=True):
            bar.set_height(h)
        for k in TARGETS:
            run = done.get(k)
            self.lines[k].set_data(([], []) if run is None else (run.transitions, run.rmse))
            heights = np.zeros(4) if run is None else np.nan_to_num(run.estimate[named])
            for bar, h in zip(self.bars[k], heights, strict=True):
                bar.set_height(h)
        keep_xlim(self.curve_ax, BATCH_SIZE, result.updates * BATCH_SIZE)
        self.bar_ax.set_ylim(*plots.nice_limits(min(result.values[named].min() * 1.3, -1), 0))


def compare_targets(model="linear", lr=0.1, gamma=GAMMA, episodes=20, updates=6000, seed=0,
                    progress=None):
    """The same model trained on true values, Monte Carlo returns and TD(0) targets.

    Every run sees the experience of `episodes` episodes and the same `updates` mini-batches
    of BATCH_SIZE transitions. progress(partial TargetComparison) after each run.
    """
    if not 0 < gamma < 1:
        raise ValueError(f"gamma must be in (0, 1), got {gamma}")
    result = TargetComparison(model, gamma, true_values(gamma), collect_experience(episodes, gamma),
                              int(updates))
    for kind in TARGETS:
        result.runs.append(learn_values(kind, model, lr, gamma, episodes, updates, seed))
        if progress is not None:
            progress(result)
    result.note = divergence_note(result.runs)
    return result


def targets_panel():
    """The three targets on one model, behind a Train button."""
    controls = {"model": dropdown([(MODEL_NAMES[m], m) for m in MODELS], "linear", "model"),
                "lr": slider(0.1, 0.01, 0.3, 0.05, "learning rate", log=True),
                "gamma": slider(GAMMA, 0.5, 0.99, 0.01, "gamma"),
                "episodes": slider(20, 5, 200, 5, "episodes")}
    return Panel(compare_targets, TargetsView(), controls, button="Train",
                 question="The TD target uses the model's own guess of V(s'). Early in training "
                          "that guess is poor: which curve do you expect to fall last? And at "
                          "the end?")


PANELS["targets"] = targets_panel


# --- 2-3. Linear TD: semi-gradient vs residual gradient, and the TD fixed point ------------------

RULE_NAMES = {"semi": "semi-gradient TD", "residual": "residual gradient"}
RULE_COLOURS = {"semi": FIT_COLOUR, "residual": ERROR_COLOUR}


@dataclass(frozen=True)
class LinearTD:
    """The stored transitions as features: x = x(s_k) (N, D), x_next = x(s'_k) (0 at the goal).

    Semi-gradient TD over all of them, theta <- theta + lr (b - A theta), has its fixed point
    where the mean TD update is zero:
        A = 1/N sum_k x_k (x_k - gamma x'_k)^T,  b = 1/N sum_k r_k x_k,  theta_TD = A^-1 b.
    """

    x: np.ndarray
    x_next: np.ndarray
    rewards: np.ndarray
    states: np.ndarray
    gamma: float

    @cached_property
    def A(self):
        return self.x.T @ (self.x - self.gamma * self.x_next) / len(self.x)

    @cached_property
    def b(self):
        return self.x.T @ self.rewards / len(self.x)

    @cached_property
    def residual_system(self):
        """(M, c) with M = 1/N sum_k z_k z_k^T, c = 1/N sum_k r_k z_k, z_k = x_k - gamma x'_k."""
        z = self.x - self.gamma * self.x_next
        return z.T @ z / len(z), z.T @ self.rewards / len(z)

    @property
    def theta_td(self):
        """The TD fixed point A^-1 b; (D,)."""
        return np.linalg.solve(self.A, self.b)

    @property
    def theta_residual(self):
        """Where the residual gradient goes: the least-squares minimiser of the TD errors; (D,)."""
        z = self.x - self.gamma * self.x_next
        return np.linalg.lstsq(z, self.rewards, rcond=None)[0]

    def linear_system(self, rule="semi"):
        """(M, c) such that the mean update of `rule` is c - M theta: (A, b) for "semi"."""
        if rule == "semi":
            return self.A, self.b
        if rule == "residual":
            return self.residual_system
        raise ValueError(f"rule must be 'semi' or 'residual', got {rule!r}")

    def mean_update(self, theta, rule="semi"):
        """The update direction averaged over the transitions, for `rule` "semi" or "residual".

        With delta_k = r_k + gamma theta^T x'_k - theta^T x_k:
        semi:     mean of delta_k x_k = b - A theta              (the target held fixed)
        residual: mean of delta_k (x_k - gamma x'_k) = c - M theta  (minus the true gradient
                  of the mean of delta_k^2 / 2, the target differentiated too)
        """
        M, c = self.linear_system(rule)
        return c - M @ theta


@lru_cache(maxsize=32)
def linear_td(episodes=20, gamma=GAMMA):
    """The LinearTD system of the experience of `episodes` episodes, on notebook 01's features."""
    experience = collect_experience(episodes, gamma)
    X = scaled_features(*LINEAR_FEATURES)
    x_next = np.where(experience.terminal[:, None], 0.0, X[experience.next_states])
    return LinearTD(X[experience.states], x_next, np.asarray(experience.rewards),
                    experience.states, gamma)


def run_linear(system, rule, lr, updates, theta0=None):
    """`updates` steps theta <- theta + lr mean_update(theta); thetas (T+1, D) and a note.

    Stops early (the note says so) if theta grows beyond 1e6: it diverged.
    """
    M, c = system.linear_system(rule)  # mean_update(theta) = c - M theta, so each update is
    N, d = np.eye(len(c)) - lr * M, lr * c  # theta <- theta + lr (c - M theta) = N theta + d
    thetas = np.zeros((int(updates) + 1, len(c)))
    theta = thetas[0] = np.zeros(len(c)) if theta0 is None else theta0
    for step in range(int(updates)):
        theta = thetas[step + 1] = N @ theta + d
        if theta @ theta > 1e12:
            return thetas[:step + 1], f"{RULE_NAMES[rule]} diverged at update {step + 1}"
    return thetas, ""




@dataclass
class GradientComparison:
    """Semi-gradient and residual-gradient TD from theta = 0 on the same transitions."""

    updates: int
    values: np.ndarray  # V^pi (N,)
    estimates: dict  # rule -> V_hat after the last update (N,)
    rmse: dict  # rule -> RMSE against V^pi after each update (T+1,)
    fixed_point_rmse: dict  # rule -> RMSE of the rule's fixed point (theta_TD, theta_residual)
    least_squares_rmse: float  # notebook 01's best linear fit on all states
    note: str = ""


LINEAR_UPDATES = 1000  # updates of the linear panels (fixed: a steady x axis redraws fastest)


def compare_gradients(lr=5.0, updates=LINEAR_UPDATES, episodes=20):
    """Run both update rules (LinearTD.mean_update) for `updates` steps of size `lr`."""
    system, X, values = linear_td(episodes), scaled_features(*LINEAR_FEATURES), true_values()
    estimates, errors, notes = {}, {}, []
    for rule in RULE_NAMES:
        thetas, note = run_linear(system, rule, lr, updates)
        estimates[rule] = X @ thetas[-1]
        errors[rule] = np.sqrt(np.mean((thetas @ X.T - values) ** 2, axis=1))  # (T+1,)
        notes += [note] if note else []
    fixed = {"semi": rmse(X @ system.theta_td, values),
             "residual": rmse(X @ system.theta_residual, values)}
    return GradientComparison(int(updates), values, estimates, errors, fixed,
                              rmse(best_linear_fit(*LINEAR_FEATURES), values),
                              f"{'; '.join(notes)}: try a smaller learning rate" if notes else "")


class GradientsView:
    """Left: RMSE against V^pi per update for both rules, fixed points dotted. Right: s1..s4."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 3.6)
        ax, bar_ax = self.figure.subplots(1, 2, width_ratios=[1.4, 1])
        self.lines, self.fixed = {}, {}
        for rule, name in RULE_NAMES.items():
            (self.lines[rule],) = ax.plot([], [], color=RULE_COLOURS[rule], label=name)
            self.fixed[rule] = ax.axhline(1, color=RULE_COLOURS[rule], linestyle=":",
                                          linewidth=1.2)
        self.best = ax.axhline(1, color=TRUE_COLOUR, linestyle="--",
                               label="least squares (notebook 01)")
        ax.plot([], [], color=INK, linestyle=":", label="each rule's fixed point")
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(0.5, 20)
        ax.set_yticks([0.5, 1, 2, 5, 10, 20], ["0.5", "1", "2", "5", "10", "20"])
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set(xlabel="update", ylabel=f"RMSE against {V_PI}")
        ax.legend(loc="upper right", fontsize="small")
        ax.set_title("error on all states", fontsize="medium")
        x, names = np.arange(4), list(maze_setting().maze.named_states)
        self.truth = bar_ax.bar(x - 0.25, np.zeros(4), 0.25, color=TRUE_COLOUR, label=V_PI)
        self.bars = {rule: bar_ax.bar(x + 0.25 * i, np.zeros(4), 0.25, color=RULE_COLOURS[rule],
                                      label=RULE_NAMES[rule]) for i, rule in enumerate(RULE_NAMES)}
        bar_ax.set_xticks(x, names)
        bar_ax.axhline(0, color=INK, linewidth=0.8)
        bar_ax.set_ylim(-25, 0)
        bar_ax.legend(loc="lower right", fontsize="small")
        bar_ax.set_title("values at s1..s4", fontsize="medium")
        self.ax, self.bar_ax = ax, bar_ax
        self.figure.get_layout_engine().set(wspace=0.06)  # room between "600" and "-25"
        plots.freeze_layout(self.figure)

    def update(self, result):
        named = named_indices()
        for bar, h in zip(self.truth, result.values[named], strict=True):
            bar.set_height(h)
        for rule in RULE_NAMES:
            errors = result.rmse[rule]
            self.lines[rule].set_data(np.arange(len(errors)), np.clip(errors, 0.5, 20))
            self.fixed[rule].set_ydata([result.fixed_point_rmse[rule]] * 2)
            # a rule that diverged has no values to show (the message says so): no bars
            diverged = len(errors) < result.updates + 1
            for bar, h in zip(self.bars[rule], result.estimates[rule][named], strict=True):
                bar.set_height(0.0 if diverged else float(np.clip(h, -25, 0)))
        self.best.set_ydata([result.least_squares_rmse] * 2)
        keep_xlim(self.ax, 0, result.updates)


def gradients_panel():
    """Semi-gradient vs residual-gradient TD(0) on the linear model, live on the sliders."""
    controls = {"lr": slider(5.0, 0.5, 20.0, 0.05, "learning rate", log=True)}
    return Panel(compare_gradients, GradientsView(), controls,
                 question="The residual gradient is the true gradient of the squared TD error; "
                          "semi-gradient TD ignores part of it. Which one ends closer to the true "
                          "values?")


PANELS["gradients"] = gradients_panel


@dataclass
class FixedPointRun:
    """Semi-gradient TD over the stored transitions, theta_t for t = 0..T, and theta_TD."""

    thetas: np.ndarray  # (T+1, D)
    theta_td: np.ndarray  # (D,)
    td_rmse: float  # RMSE of theta_TD's values against V^pi
    least_squares_rmse: float  # notebook 01's least-squares fit
    note: str = ""

    @property
    def distance(self):
        """max_k |theta_t,k - theta_TD,k| after each update; (T+1,)."""
        return np.abs(self.thetas - self.theta_td).max(axis=1)


def td_fixed_point(lr=5.0, updates=LINEAR_UPDATES, episodes=20):
    """Semi-gradient TD(0) on notebook 01's linear features, next to theta_TD = A^-1 b."""
    system, X, values = linear_td(episodes), scaled_features(*LINEAR_FEATURES), true_values()
    thetas, note = run_linear(system, "semi", lr, updates)
    return FixedPointRun(thetas, system.theta_td, rmse(X @ system.theta_td, values),
                         rmse(best_linear_fit(*LINEAR_FEATURES), values),
                         f"{note}: try a smaller learning rate" if note else "")


class FixedPointView:
    """Left: every component of theta per update, theta_TD as dots. Right: distance to it."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 3.6)
        ax, dist_ax = self.figure.subplots(1, 2)
        dimension = scaled_features(*LINEAR_FEATURES).shape[1]
        self.lines = [ax.plot([], [], color=f"C{k % 10}", linewidth=1.2)[0]
                      for k in range(dimension)]
        self.targets = ax.scatter(np.zeros(dimension), np.zeros(dimension), marker="o", s=30,
                                  c=[f"C{k % 10}" for k in range(dimension)], edgecolors=INK,
                                  zorder=3, label="\u03b8_TD = A\u207b\u00b9b", clip_on=False)
        ax.set(xlabel="update", ylabel="\u03b8_k")
        ax.set_ylim(-40, 40)
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.legend(loc="upper left", fontsize="small")
        ax.set_title("the components of \u03b8", fontsize="medium")
        (self.distance,) = dist_ax.plot([], [], color=FIT_COLOUR)
        dist_ax.axhline(1e-3, color=TRUE_COLOUR, linestyle="--", label="10\u207b\u00b3")
        dist_ax.set_yscale("log")
        dist_ax.yaxis.set_minor_locator(NullLocator())
        dist_ax.set_ylim(1e-6, 1e2)
        dist_ax.set_yticks([1e-6, 1e-4, 1e-2, 1e0, 1e2],
                           ["10\u207b\u2076", "10\u207b\u2074", "10\u207b\u00b2", "1", "100"])
        dist_ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        dist_ax.set(xlabel="update", ylabel="max over k of |\u03b8_k \u2212 \u03b8_TD,k|")
        dist_ax.legend(loc="upper right", fontsize="small")
        self.title = dist_ax.set_title(" \n ", fontsize="medium")
        self.ax, self.dist_ax = ax, dist_ax
        self.figure.get_layout_engine().set(wspace=0.08)  # the dots at the edge need room
        plots.freeze_layout(self.figure)

    def update(self, result):
        steps = np.arange(len(result.thetas))
        for k, line in enumerate(self.lines):
            line.set_data(steps, np.clip(result.thetas[:, k], -40, 40))
        last = max(len(steps) - 1, 1)
        self.targets.set_offsets(np.column_stack([np.full(len(result.theta_td), last),
                                                  np.clip(result.theta_td, -40, 40)]))
        self.distance.set_data(steps, np.clip(result.distance, 1e-6, 1e2))
        keep_xlim(self.ax, 0, last)
        keep_xlim(self.dist_ax, 0, last)
        self.title.set_text(f"RMSE against {V_PI}: \u03b8_TD {result.td_rmse:.2f},\n"
                            f"least squares (notebook 01) {result.least_squares_rmse:.2f}")


def fixed_point_panel():
    """Semi-gradient TD arriving at the closed-form TD fixed point, live on the sliders."""
    controls = {"lr": slider(5.0, 0.5, 20.0, 0.05, "learning rate", log=True),
                "episodes": slider(20, 5, 200, 5, "episodes")}
    return Panel(td_fixed_point, FixedPointView(), controls,
                 question="Semi-gradient TD follows no loss function. Does it still settle "
                          "somewhere, and is that the least-squares fit of notebook 01?")


PANELS["fixed_point"] = fixed_point_panel


# --- 4. The deadly triad: Baird's counterexample ------------------------------------------------

BAIRD_GAMMA = 0.99
BAIRD_START = np.array([1.0, 1, 1, 1, 1, 1, 10, 1])  # Sutton and Barto's initial weights
SUBSCRIPTS = str.maketrans("0123456789", "".join(chr(0x2080 + d) for d in range(10)))  # w₁
NORM_LIMIT = 1e6  # a weight norm beyond this = diverged (the run stops: no overflow, no NaN)


def baird_features(approximate=True):
    """Baird's star (7 states): V(s_i) = 2 w_i + w_8 for i = 1..6, V(s_7) = w_7 + 2 w_8; (7, 8).

    approximate=False gives the tabular one-hot features (7, 7): function approximation off.
    """
    if not approximate:
        return np.eye(7)
    X = np.zeros((7, 8))
    X[np.arange(6), np.arange(6)], X[:6, 7] = 2.0, 1.0
    X[6, 6], X[6, 7] = 1.0, 2.0
    return X


def baird_transitions(policy):
    """P[s, s'] of Baird's MDP; "target": always the solid action (to s_7); "behaviour":
    dashed (to one of s_1..s_6 at random) with probability 6/7, solid with 1/7; (7, 7)."""
    P = np.zeros((7, 7))
    if policy == "target":
        P[:, 6] = 1.0
    else:
        P[:, :6], P[:, 6] = 1.0 / 7, 1.0 / 7
    return P


@dataclass
class TriadRun:
    """Expected semi-gradient updates on Baird's MDP: the weight norm after each sweep."""

    norms: np.ndarray  # (T+1,) ||theta|| after each sweep (fewer if it diverged)
    sweeps: int
    lr: float
    switches: tuple  # (function approximation, bootstrapping, off-policy)
    diverged_at: int | None = None
    note: str = ""


def deadly_triad(approximation=True, bootstrapping=True, off_policy=True, lr=0.01,
                 sweeps=5000):
    """Semi-gradient DP on Baird's counterexample with each ingredient switched on or off.

    Every sweep is the expected TD(0) update over the 7 states, weighted uniformly (the
    behaviour policy's state distribution; all rewards are 0, gamma = 0.99):
        theta <- theta + lr/7 sum_s (y(s) - V(s)) x(s).
    bootstrapping: y(s) = gamma E[V(s')], else the return, which is 0 here.
    off_policy:    s' follows the target policy (always to s_7) while the states are weighted
                   as the behaviour policy visits them; else both follow the behaviour policy.
    approximation: Baird's 8 shared weights, else one weight per state (a table).
    """
    X = baird_features(approximation)
    P = baird_transitions("target" if off_policy else "behaviour")
    theta = BAIRD_START if approximation else baird_features() @ BAIRD_START  # same V at start
    # the sweep is linear in theta: theta <- theta + lr/7 X^T (y - X theta) = M theta, with
    # y = gamma P X theta (bootstrapping) or 0; one matrix M (D, D) per setting
    targets = BAIRD_GAMMA * P @ X if bootstrapping else np.zeros_like(X)
    M = np.eye(X.shape[1]) + lr / 7 * X.T @ (targets - X)
    switches = (bool(approximation), bool(bootstrapping), bool(off_policy))
    thetas = np.empty((int(sweeps) + 1, len(theta)))
    thetas[0] = theta
    for sweep in range(int(sweeps)):
        theta = thetas[sweep + 1] = M @ theta
        if theta @ theta > NORM_LIMIT ** 2:
            norms = np.linalg.norm(thetas[:sweep + 2], axis=1)
            return TriadRun(norms, int(sweeps), lr, switches, sweep + 1,
                            # one line on a projector (two pushed the panel past 560 px)
                            f"diverged: the weight norm passed {NORM_LIMIT:.0e} at sweep "
                            f"{sweep + 1} (from {norms[0]:.3g})")
    norms = np.linalg.norm(thetas, axis=1)
    growth = norms[-1] / norms[0]
    note = (f"the weight norm grew {growth:.3g}-fold in {int(sweeps)} sweeps and keeps growing"
            if switches == (True, True, True) else "")
    return TriadRun(np.array(norms), int(sweeps), lr, switches, None, note)


class TriadView:
    """Left: Baird's star. Right: the weight norm per sweep, log scale, fixed limits."""

    def __init__(self):
        self.figure = plots.new_figure(9.5, 3.6)
        star_ax, ax = self.figure.subplots(1, 2, width_ratios=[1.2, 1.2])
        self._draw_star(star_ax)
        (self.reference,) = ax.plot([], [], color=TRUE_COLOUR, linewidth=1, linestyle="--",
                                    label="all three on")
        (self.line,) = ax.plot([], [], color=ERROR_COLOUR, linewidth=2, label="these switches")
        ax.axhline(NORM_LIMIT, color=INK, linewidth=0.8, linestyle=":")
        ax.text(0.02, NORM_LIMIT * 2, "runs stop here: diverged", fontsize="x-small",
                va="bottom", transform=ax.get_yaxis_transform())
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(1e-2, 1e7)
        ax.set_yticks([1e-2, 1e0, 1e2, 1e4, 1e6], ["0.01", "1", "100", "10\u2074", "10\u2076"])
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set(xlabel="sweep", ylabel="weight norm \u2016\u03b8\u2016")
        ax.legend(loc="lower left", fontsize="small")
        ax.set_title("the weights", fontsize="medium")
        self.ax = ax
        plots.freeze_layout(self.figure)

    @staticmethod
    def _draw_star(ax):
        """Six upper states, each with an arrow to s_7 (the solid action)."""
        xs = np.linspace(0, 5, 6)
        for k, x in enumerate(xs):
            ax.annotate("", xy=(2.5, 0.35), xytext=(x, 1.6),
                        arrowprops={"arrowstyle": "->", "color": TRUE_COLOUR, "lw": 1})
            ax.text(x, 1.95, f"s{str(k + 1).translate(SUBSCRIPTS)}", ha="center", va="center",
                    fontsize="small", bbox={"boxstyle": "circle", "fc": "none", "ec": INK})
        ax.text(2.5, 0.0, "s\u2087", ha="center", va="center", fontsize="small",
                bbox={"boxstyle": "circle", "fc": "none", "ec": INK})
        ax.text(2.5, -0.8, "V(s\u1d62) = 2w\u1d62 + w\u2088 (i = 1..6), "
                "V(s\u2087) = w\u2087 + 2w\u2088\n"
                "target policy: always to s\u2087 (arrows)\nbehaviour: a random upper state "
                "w.p. 6/7, s\u2087 w.p. 1/7\nevery reward 0",
                ha="center", va="center", fontsize="x-small")
        ax.set_xlim(-0.7, 5.7)
        ax.set_ylim(-1.5, 2.4)
        ax.set_axis_off()
        ax.set_title("Baird's counterexample", fontsize="medium")

    def update(self, result):
        reference = deadly_triad(lr=result.lr, sweeps=result.sweeps) \
            if result.switches != (True, True, True) else None
        self.reference.set_data(([], []) if reference is None else
                                (np.arange(len(reference.norms)), reference.norms))
        self.line.set_data(np.arange(len(result.norms)), np.clip(result.norms, 1e-2, 1e7))
        keep_xlim(self.ax, 0, result.sweeps)


def triad_panel():
    """Switch each ingredient of the deadly triad on and off on Baird's counterexample."""
    on_off = [("on", True), ("off", False)]
    controls = {"approximation": dropdown(on_off, True, "function approx."),
                "bootstrapping": dropdown(on_off, True, "bootstrapping"),
                "off_policy": dropdown(on_off, True, "off-policy"),
                "lr": slider(0.01, 0.001, 0.1, 0.1, "learning rate", log=True)}
    return Panel(deadly_triad, TriadView(), controls,
                 question="All rewards are 0, so the true values are 0 and theta = 0 is "
                          "a perfect fit. Which switch, turned off, stops the weights growing?")


PANELS["triad"] = triad_panel


# --- 5. A preview of deep RL: a target network and experience replay ----------------------------

TARGET_PERIODS = (1, 10, 100, 1000)  # C: the target network is refreshed every C updates
PERIOD_COLOURS = {1: FIT_COLOUR, 10: DATA_COLOUR, 100: "C2", 1000: "C4"}


@dataclass
class TargetNetworkComparison:
    """TD(0) for the MLP with a target network refreshed every C updates, for each C."""

    replay: bool
    updates: int
    runs: list = field(default_factory=list)
    note: str = ""

    def run(self, period):
        return next(r for r in self.runs if r.period == period)


def compare_target_networks(replay=True, lr=0.1, seed=0, updates=3000, progress=None):
    """The MLP trained by TD(0) with a target network refreshed every C updates, for each C
    in TARGET_PERIODS, with or without replay (learn_values); progress(partial) after each."""
    result = TargetNetworkComparison(bool(replay), int(updates))
    for period in TARGET_PERIODS:
        result.runs.append(learn_values("td", "mlp", lr, GAMMA, 20, updates, seed, period, replay,
                                        measure="linear", label=f"C = {period}"))
        if progress is not None:
            progress(result)
    result.note = divergence_note(result.runs)
    return result


class TargetNetworkView:
    """RMSE against V^pi per update, one line per target-network period C."""

    def __init__(self):
        self.figure = plots.new_figure(7.5, 3.45)  # 571-px panel at 3.6 in, projector, 848 px
        ax = self.figure.subplots()
        self.lines = {c: ax.plot([], [], color=PERIOD_COLOURS[c],
                                 label="C = 1 (no target network)" if c == 1 else f"C = {c}")[0]
                      for c in TARGET_PERIODS}
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(0.5, 60)  # room above 20 for the legend: at 30 it hid the C = 1000 curve
        ax.set_yticks([0.5, 1, 2, 5, 10, 20], ["0.5", "1", "2", "5", "10", "20"])
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set(xlabel="update", ylabel=f"RMSE against {V_PI}")
        ax.legend(loc="upper right", fontsize="small", ncols=2)
        self.title = ax.set_title(" \n ", fontsize="medium")
        self.ax = ax
        plots.freeze_layout(self.figure)

    def update(self, result):
        done = {run.period: run for run in result.runs}
        for period, line in self.lines.items():
            run = done.get(period)
            line.set_data(([], []) if run is None else (run.updates, np.clip(run.rmse, 0.5, 30)))
        keep_xlim(self.ax, 0, result.updates)
        for text, period in zip(self.ax.get_legend().get_texts(), TARGET_PERIODS, strict=True):
            label = "C = 1 (no target network)" if period == 1 else f"C = {period}"
            if period in done and done[period].note:
                label += " (diverged)"
            if text.get_text() != label:
                text.set_text(label)
        self.title.set_text("MLP, TD(0) targets from a copy refreshed every C updates\n"
                            + ("replay: mini-batches of 16 stored transitions" if result.replay
                               else "no replay: one transition at a time, in order"))


def target_network_panel():
    """Target networks for a few C, with or without experience replay, behind Train."""
    controls = {"replay": dropdown([("on (mini-batches of 16)", True),
                                    ("off (online, in order)", False)], True, "replay"),
                "lr": slider(0.1, 0.01, 1.0, 0.05, "learning rate", log=True),
                "seed": slider(0, 0, 5, 1, "seed")}
    return Panel(compare_target_networks, TargetNetworkView(), controls, button="Train",
                 question="A target network holds the TD targets still for C updates. Will a "
                          "larger C make learning on this maze faster, slower or safer?")


PANELS["target_network"] = target_network_panel
