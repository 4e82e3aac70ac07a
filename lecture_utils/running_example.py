"""The running example every notebook shares: the maze, its true values V^pi and the experience.

The true values come from exact policy evaluation of the epsilon-greedy policy on the maze
(gamma = 0.95); the "experience" is three trajectories from S, which pass s1 and s3 but
never s2 and s4 (MARL book, chapter 7). The least-squares linear fits here are the
baselines that later notebooks (MLPs, CNNs, ...) compare against.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import maze as mz

GAMMA = 0.95
EXPERIENCE_SEED = 1  # three trajectories from this seed visit s1, s3 and not s2, s4


@dataclass(frozen=True)
class Setting:
    """The maze, its policy, the true values V^pi (N,), the experience and its visited states."""

    maze: mz.Maze
    policy: np.ndarray
    values: np.ndarray
    trajectories: list
    visited: np.ndarray

    @property
    def unvisited(self):
        """Sorted indices of the states no trajectory visited (never trained on)."""
        return np.setdiff1d(np.arange(self.maze.n_states), self.visited)

    def unvisited_rmse(self, estimate):
        """Root mean squared error of an estimate (N,) against V^pi on the unvisited states."""
        error = (np.asarray(estimate, dtype=float) - self.values)[self.unvisited]
        return float(np.sqrt(np.mean(error ** 2)))

    def train_indices(self, train_on):
        """The states a fit trains on: "visited" (the experience) or "all"; sorted indices."""
        if train_on == "visited":
            return self.visited
        if train_on == "all":
            return np.arange(self.maze.n_states)
        raise ValueError(f"train_on must be 'visited' or 'all', got {train_on!r}")

    def named_values(self, values):
        """{"s1": values[s1], ...} for the named states of the maze; values (N,)."""
        return {name: float(values[self.maze.index(cell)])
                for name, cell in self.maze.named_states.items()}


@lru_cache(maxsize=64)
def maze_setting(n_trajectories=3, seed=EXPERIENCE_SEED):
    """The default maze with V^pi and `n_trajectories` episodes sampled with `seed` (cached)."""
    maze = mz.make_maze()
    policy = mz.goal_directed_policy(maze)
    values = mz.policy_evaluation(maze, policy, GAMMA)
    trajectories = mz.sample_trajectories(maze, policy, n_trajectories, rng=seed)
    return Setting(maze, policy, values, trajectories, mz.visited_states(trajectories))


@lru_cache(maxsize=128)
def scaled_features(kind, degree=3, width=1.0):
    """features(maze, kind) divided by one constant so that (1/N) X^T X has largest eigenvalue 1.

    The constant rescales theta and the step size only (the fitted values are unchanged),
    so one learning rate suits every feature map. Read-only (N, D).
    """
    X = mz.features(maze_setting().maze, kind, degree=degree, width=width)
    X = X / np.sqrt(np.linalg.eigvalsh(X.T @ X / len(X)).max())
    X.setflags(write=False)
    return X


def best_linear_fit(features="polynomial", degree=3, rbf_width=1.0, train_on="all"):
    """The least-squares linear fit (the best any theta can do) on the chosen states; (N,)."""
    setting = maze_setting()
    train = setting.train_indices(train_on)
    X = scaled_features(features, int(degree), float(rbf_width))
    theta = np.linalg.lstsq(X[train], setting.values[train], rcond=None)[0]
    return X @ theta
