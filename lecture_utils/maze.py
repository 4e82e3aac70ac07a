"""The running example of every notebook: a small grid maze with a goal G and states s1..s4.

The slides' generalisation story (MARL book, chapter 7): the agent must reach G; past
trajectories visited s1 and s3 but never s2 and s4, which sit right next to them and have
almost the same value. A good approximator carries what it learned at s1/s3 over to s2/s4.

The maze is a serpentine: vertical walls split it into corridors that the agent walks
down, up, down ... to G. Cells on either side of a wall are close in coordinates but far
apart for the agent, so features built from coordinates cannot see the walls.

    make_maze()   the default 7x7 maze of the notebooks      . free  # wall  G goal
                                                              S start  1..4 = s1..s4
        S . # . . . .
        . . # . . # .
        . . # . . # .
        1 2 # 3 4 # .
        . . # . . # .
        . . # . . # .
        . . . . . # G

States are cells (row, col); arrays over states follow the order of `maze.states`.
Actions: 0 up, 1 right, 2 down, 3 left; moving into a wall or off the grid stays put.
Every step costs -1 until G, which is absorbing with reward 0.
"""

from collections import deque
from dataclasses import dataclass

import numpy as np

ACTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))
ACTION_NAMES = ("up", "right", "down", "left")
FEATURE_KINDS = ("one_hot", "coordinates", "polynomial", "rbf")
WALL, AGENT, GOAL = 0, 1, 2  # channels of state images and partial observations


class Maze:
    """A grid maze parsed from text rows: '#' wall, '.' free, 'G' goal, 'S' start, '1'-'4' s_k."""

    def __init__(self, layout):
        rows = [str(row) for row in layout]
        if not rows or len({len(row) for row in rows}) != 1:
            raise ValueError("layout must be a non-empty list of rows of equal length")
        self.layout = tuple(rows)
        self.shape = (len(rows), len(rows[0]))
        self.walls = np.array([[ch == "#" for ch in row] for row in rows])  # (H, W) bool
        self.states = [(r, c) for r in range(self.shape[0]) for c in range(self.shape[1])
                       if not self.walls[r, c]]
        self._index = {state: i for i, state in enumerate(self.states)}
        cells = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row)}
        if "G" not in cells:
            raise ValueError("layout needs a goal 'G'")
        self.goal = cells["G"]
        self.named_states = {f"s{k}": cells[str(k)] for k in range(1, 5) if str(k) in cells}
        self.start_states = [cells["S"]] if "S" in cells else [self.states[0]]

    @property
    def n_states(self):
        """Number of free cells N (the size of a value table)."""
        return len(self.states)

    def index(self, state):
        """Position of cell `state` = (row, col) in `maze.states`."""
        state = tuple(int(v) for v in state)
        if state not in self._index:
            h, w = self.shape
            raise ValueError(f"{state} is not a free cell of this {h}x{w} maze: expected "
                             f"(row, col) with 0 <= row < {h}, 0 <= col < {w}, not on a wall")
        return self._index[state]

    def step(self, state, action):
        """The cell reached from `state` by `action` (0 up, 1 right, 2 down, 3 left)."""
        if tuple(state) == self.goal:
            return self.goal
        return self.neighbour(state, action)

    def neighbour(self, state, action):
        """The cell next to `state` in the direction of `action`, or `state` if a wall is there."""
        r, c = state[0] + ACTIONS[action][0], state[1] + ACTIONS[action][1]
        inside = 0 <= r < self.shape[0] and 0 <= c < self.shape[1]
        return (r, c) if inside and not self.walls[r, c] else tuple(state)

    def transitions(self):
        """P[a, i, j] = probability of moving from state i to state j with action a; (4, N, N)."""
        n = self.n_states
        P = np.zeros((len(ACTIONS), n, n))
        for i, state in enumerate(self.states):
            for a in range(len(ACTIONS)):
                P[a, i, self._index[self.step(state, a)]] = 1.0
        return P

    def rewards(self):
        """Expected reward of leaving each state, whatever the action: -1, and 0 at G; (N,)."""
        r = -np.ones(self.n_states)
        r[self.index(self.goal)] = 0.0
        return r

    def __repr__(self):
        return f"Maze({self.shape[0]}x{self.shape[1]}, {self.n_states} states)\n" + "\n".join(
            " ".join(row) for row in self.layout)


def make_maze(size=7):
    """A size x size serpentine maze (size >= 5); size 7 is the maze of the notebooks.

    Walls stand in every column c with c % 3 == 2 (not the last), open alternately at the
    bottom and at the top. The agent starts top-left; G ends the last corridor. s1, s2 sit
    side by side in the middle row of the first corridor, s3, s4 in the second.
    """
    if not isinstance(size, (int, np.integer)) or size < 5:
        raise ValueError(f"size must be an integer >= 5, got {size!r}")
    grid = [["." for _ in range(size)] for _ in range(size)]
    wall_columns = [c for c in range(2, size - 1, 3)]
    for k, c in enumerate(wall_columns):
        gap = size - 1 if k % 2 == 0 else 0
        for r in range(size):
            if r != gap:
                grid[r][c] = "#"
    flows_down = len(wall_columns) % 2 == 0
    grid[size - 1 if flows_down else 0][size - 1] = "G"
    grid[0][0] = "S"
    mid = size // 2
    for name, col in zip("1234", (0, 1, 3, 4), strict=True):
        grid[mid][col] = name
    return Maze("".join(row) for row in grid)


def corridor(length=21):
    """A one-row maze of `length` cells with G in the middle (the 1-D examples)."""
    if length < 3:
        raise ValueError(f"length must be at least 3, got {length}")
    row = ["."] * length
    row[length // 2] = "G"
    return Maze(["".join(row)])


def shortest_distances(maze):
    """Number of steps from each state to G along the shortest path (breadth-first search); (N,)."""
    distance = {maze.goal: 0}
    queue = deque([maze.goal])
    while queue:
        state = queue.popleft()
        for a in range(len(ACTIONS)):
            neighbour = maze.neighbour(state, a)  # moves are reversible: search outward from G
            if neighbour not in distance and neighbour != state:
                distance[neighbour] = distance[state] + 1
                queue.append(neighbour)
    return np.array([distance.get(s, np.inf) for s in maze.states], dtype=float)


def random_policy(maze):
    """The uniform random policy: pi[i, a] = 1/4; (N, 4)."""
    return np.full((maze.n_states, len(ACTIONS)), 1.0 / len(ACTIONS))


def goal_directed_policy(maze, epsilon=0.1):
    """Epsilon-greedy towards G: a shortest-path step w.p. 1 - epsilon, else random; (N, 4).

    Among shortest-path steps the first of up, down, right, left is taken, so the agent
    walks along one wall of each corridor and the cells beside its path stay rarely visited.
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be a probability in [0, 1], got {epsilon}")
    distance = shortest_distances(maze)
    policy = np.full((maze.n_states, len(ACTIONS)), epsilon / len(ACTIONS))
    for i, state in enumerate(maze.states):
        nexts = [distance[maze.index(maze.step(state, a))] for a in range(len(ACTIONS))]
        best = next((a for a in (0, 2, 1, 3) if nexts[a] < distance[i]), 0)
        policy[i, best] += 1.0 - epsilon
    return policy


def _check_gamma(gamma):
    if not 0.0 <= gamma < 1.0:
        raise ValueError(f"gamma must be in [0, 1), got {gamma}: with a reward of -1 per step "
                         "the value is undefined (infinite) for gamma >= 1")


def policy_evaluation(maze, policy, gamma=0.95):
    """The exact state values V^pi; (N,).

    Solves the Bellman equation V = r_pi + gamma P_pi V as the linear system
    (I - gamma P_pi) V = r_pi (MARL book, chapter 2), not by iterating.
    policy: (N, 4) action probabilities per state.
    """
    _check_gamma(gamma)
    P_pi = np.einsum("ia,aij->ij", policy, maze.transitions())  # (N, N)
    return np.linalg.solve(np.eye(maze.n_states) - gamma * P_pi, maze.rewards())


def bellman_residual(maze, policy, values, gamma=0.95):
    """V - (r_pi + gamma P_pi V) for each state: zero exactly when `values` is V^pi; (N,)."""
    _check_gamma(gamma)
    P_pi = np.einsum("ia,aij->ij", policy, maze.transitions())
    values = np.asarray(values, dtype=float)
    return values - (maze.rewards() + gamma * P_pi @ values)


@dataclass
class Trajectory:
    """One episode: states s_0..s_T as indices (T+1,), rewards r_1..r_T (T,)."""

    states: np.ndarray
    rewards: np.ndarray


def sample_trajectories(maze, policy, n, start_states=None, rng=0, max_steps=200):
    """`n` episodes following `policy` from `start_states` (cycled; default the maze's start).

    rng: a numpy Generator or a seed. Episodes end at G or after `max_steps` steps.
    """
    rng = np.random.default_rng(rng)
    starts = start_states or maze.start_states
    goal = maze.index(maze.goal)
    trajectories = []
    for k in range(n):
        state = maze.index(starts[k % len(starts)])
        states, rewards = [state], []
        while state != goal and len(rewards) < max_steps:
            action = rng.choice(len(ACTIONS), p=policy[state])
            rewards.append(maze.rewards()[state])
            state = maze.index(maze.step(maze.states[state], action))
            states.append(state)
        trajectories.append(Trajectory(np.array(states), np.array(rewards, dtype=float)))
    return trajectories


def visited_states(trajectories):
    """Sorted indices of every state that appears in `trajectories`."""
    return np.unique(np.concatenate([t.states for t in trajectories]))


def normalised_coordinates(maze):
    """Rows and columns of every state scaled to [-1, 1]; (N, 2)."""
    cells = np.array(maze.states, dtype=float)
    extent = np.maximum(np.array(maze.shape, dtype=float) - 1, 1)
    return 2 * cells / extent - 1


def features(maze, kind, degree=3, width=1.0):
    """Feature vectors x(s) of every state, one row per state; (N, D) float64.

    kind "one_hot":     x_i(s) = 1 if s is state i (D = N): the tabular case as linear features.
    kind "coordinates": [1, row, col], row and col scaled to [-1, 1] (D = 3).
    kind "polynomial":  every monomial row^i col^j with i + j <= degree, constant first
                        (D = (degree + 1)(degree + 2) / 2).
    kind "rbf":         [1, exp(-|s - c_k|^2 / (2 width^2)) for each free cell c_k],
                        distances and width in cells (D = N + 1).
    Only one_hot and rbf of a small width can tell cells on either side of a wall apart.
    """
    if kind not in FEATURE_KINDS:
        raise ValueError(f"unknown feature kind {kind!r}: expected one of {list(FEATURE_KINDS)}")
    n = maze.n_states
    if kind == "one_hot":
        return np.eye(n)
    if kind == "coordinates":
        return np.column_stack([np.ones(n), normalised_coordinates(maze)])
    if kind == "polynomial":
        if not isinstance(degree, (int, np.integer)) or degree < 0:
            raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
        rows, cols = normalised_coordinates(maze).T
        return np.column_stack([rows ** (total - j) * cols ** j
                                for total in range(degree + 1) for j in range(total + 1)])
    if not width > 0:
        raise ValueError(f"rbf width must be positive (in cells), got {width!r}")
    cells = np.array(maze.states, dtype=float)
    squared = ((cells[:, None, :] - cells[None, :, :]) ** 2).sum(axis=-1)  # (N, N)
    return np.column_stack([np.ones(n), np.exp(-squared / (2 * width ** 2))])


def value_grid(maze, values):
    """State values (N,) laid out on the grid as an (H, W) masked array, walls masked."""
    grid = np.ma.masked_all(maze.shape)
    for (r, c), v in zip(maze.states, np.asarray(values, dtype=float), strict=True):
        grid[r, c] = v
    return grid


def state_images(maze, states=None):
    """Images of the maze with the agent in each state; (N, 3, H, W), channels wall, agent, goal."""
    indices = range(maze.n_states) if states is None else [maze.index(s) for s in states]
    images = np.zeros((len(indices), 3) + maze.shape)
    images[:, WALL] = maze.walls
    images[:, GOAL][:, maze.goal[0], maze.goal[1]] = 1.0
    for k, i in enumerate(indices):
        r, c = maze.states[i]
        images[k, AGENT, r, c] = 1.0
    return images


def partial_observation(maze, state, radius=1):
    """What the agent sees around `state`: a (3, 2r+1, 2r+1) window, channels wall, agent, goal.

    Cells beyond the edge of the grid look like walls; the agent is always at the centre.
    """
    r0, c0 = maze.states[maze.index(state)]
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    k = 2 * radius + 1
    view = np.zeros((3, k, k))
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            r, c = r0 + dr, c0 + dc
            inside = 0 <= r < maze.shape[0] and 0 <= c < maze.shape[1]
            view[WALL, dr + radius, dc + radius] = 1.0 if not inside else maze.walls[r, c]
            view[GOAL, dr + radius, dc + radius] = float((r, c) == maze.goal)
    view[AGENT, radius, radius] = 1.0
    return view
