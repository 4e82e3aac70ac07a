"""The maze: the slides' s1..s4 story, exact policy evaluation, features, images, observations."""

import numpy as np
import pytest

from lecture_utils.maze import (
    AGENT,
    GOAL,
    WALL,
    bellman_residual,
    corridor,
    features,
    goal_directed_policy,
    make_maze,
    partial_observation,
    policy_evaluation,
    random_policy,
    sample_trajectories,
    shortest_distances,
    state_images,
    value_grid,
    visited_states,
)


@pytest.fixture(scope="module")
def maze():
    return make_maze()


@pytest.fixture(scope="module")
def values(maze):
    return policy_evaluation(maze, goal_directed_policy(maze), gamma=0.95)


def test_default_maze_tells_the_slide_story(maze):
    named = maze.named_states
    assert maze.shape == (7, 7) and maze.n_states == 37 and maze.goal == (6, 6)
    assert sorted(named) == ["s1", "s2", "s3", "s4"]
    for a, b in (("s1", "s2"), ("s3", "s4")):  # neighbours with no wall between them
        (r1, c1), (r2, c2) = named[a], named[b]
        assert abs(r1 - r2) + abs(c1 - c2) == 1
    # s2 and s3 are two columns apart, but a wall stands between them
    (r, c2), (_, c3) = named["s2"], named["s3"]
    assert c3 - c2 == 2 and maze.walls[r, c2 + 1]


def test_index_rejects_a_state_outside_the_maze_or_on_a_wall(maze):
    assert maze.index(maze.states[5]) == 5
    with pytest.raises(ValueError, match=r"not a free cell of this 7x7 maze"):
        maze.index((7, 0))
    with pytest.raises(ValueError, match=r"not on a wall"):
        maze.index((0, 2))


def test_moving_into_a_wall_stays_put_and_the_goal_is_absorbing(maze):
    assert maze.step((0, 1), 1) == (0, 1)  # right into the wall at column 2
    assert maze.step((0, 0), 0) == (0, 0)  # up, off the grid
    assert maze.step((0, 0), 2) == (1, 0)
    assert all(maze.step(maze.goal, a) == maze.goal for a in range(4))
    P = maze.transitions()
    assert P.shape == (4, 37, 37) and np.allclose(P.sum(axis=2), 1.0)


def test_policy_values_satisfy_the_bellman_equation(maze, values):
    residual = bellman_residual(maze, goal_directed_policy(maze), values, gamma=0.95)
    assert np.abs(residual).max() < 1e-10
    random_values = policy_evaluation(maze, random_policy(maze), gamma=0.9)
    assert np.abs(bellman_residual(maze, random_policy(maze), random_values, 0.9)).max() < 1e-10


def test_values_rise_towards_the_goal_and_jump_across_walls(maze, values):
    v = dict(zip(maze.states, values, strict=True))
    assert v[maze.goal] == 0.0 and values.max() == 0.0
    assert v[(5, 6)] > v[(0, 6)] > v[(0, 3)] > v[(6, 3)] > v[(6, 0)] > v[(0, 0)]
    s = {name: v[cell] for name, cell in maze.named_states.items()}
    assert abs(s["s1"] - s["s2"]) < 0.6 and abs(s["s3"] - s["s4"]) < 0.6  # similar pairs
    assert s["s3"] - s["s2"] > 3.0  # two cells apart, but the wall makes s2 much worse


def test_discount_of_one_or_more_is_rejected(maze):
    with pytest.raises(ValueError, match=r"undefined.*gamma >= 1"):
        policy_evaluation(maze, random_policy(maze), gamma=1.0)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\)"):
        bellman_residual(maze, random_policy(maze), np.zeros(37), gamma=1.5)


def test_shortest_distances_follow_the_serpentine(maze):
    d = dict(zip(maze.states, shortest_distances(maze), strict=True))
    assert d[maze.goal] == 0 and d[(0, 0)] == 24 and d[(3, 1)] == 20 and d[(3, 3)] == 12


def test_goal_directed_policy_is_a_distribution_that_prefers_the_shortest_path(maze):
    pi = goal_directed_policy(maze, epsilon=0.1)
    assert np.allclose(pi.sum(axis=1), 1.0)
    assert pi[maze.index((0, 0))].tolist() == [0.025, 0.025, 0.925, 0.025]  # down
    with pytest.raises(ValueError, match="epsilon"):
        goal_directed_policy(maze, epsilon=1.5)


def test_default_trajectories_visit_s1_and_s3_but_not_s2_and_s4(maze):
    trajectories = sample_trajectories(maze, goal_directed_policy(maze), 3, rng=1)
    visited = set(visited_states(trajectories).tolist())
    index = {name: maze.index(cell) for name, cell in maze.named_states.items()}
    assert index["s1"] in visited and index["s3"] in visited
    assert index["s2"] not in visited and index["s4"] not in visited
    for t in trajectories:
        assert t.states[0] == maze.index((0, 0)) and t.states[-1] == maze.index(maze.goal)
        assert len(t.rewards) == len(t.states) - 1 and set(t.rewards.tolist()) == {-1.0}


def test_trajectories_are_reproducible_from_a_seed(maze):
    pi = goal_directed_policy(maze)
    a = sample_trajectories(maze, pi, 2, rng=7)
    b = sample_trajectories(maze, pi, 2, rng=7)
    assert all(np.array_equal(x.states, y.states) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("size, n_states", [(5, 21), (7, 37), (8, 50), (20, 286)])
def test_make_maze_scales(size, n_states):
    maze = make_maze(size)
    assert maze.shape == (size, size) and maze.n_states == n_states
    assert np.isfinite(shortest_distances(maze)).all()  # every cell can reach G


def test_make_maze_rejects_a_too_small_size():
    with pytest.raises(ValueError, match="integer >= 5"):
        make_maze(3)


def test_one_hot_features_are_the_identity(maze):
    assert np.array_equal(features(maze, "one_hot"), np.eye(37))


def test_coordinate_features_are_bias_row_col_in_minus_one_one(maze):
    x = features(maze, "coordinates")
    assert x.shape == (37, 3) and x.dtype == np.float64
    assert x[maze.index((0, 0))].tolist() == [1.0, -1.0, -1.0]
    assert x[maze.index(maze.goal)].tolist() == [1.0, 1.0, 1.0]


def test_polynomial_features_list_every_monomial_up_to_the_degree(maze):
    x = features(maze, "polynomial", degree=2)
    assert x.shape == (37, 6)
    r, c = features(maze, "coordinates")[:, 1:].T
    assert np.allclose(x, np.column_stack([np.ones(37), r, c, r**2, r * c, c**2]))
    assert features(maze, "polynomial", degree=0).shape == (37, 1)


def test_rbf_features_are_a_bump_per_cell(maze):
    x = features(maze, "rbf", width=1.0)
    assert x.shape == (37, 38) and np.allclose(x[:, 0], 1.0)
    assert np.allclose(np.diag(x[:, 1:]), 1.0)
    i, j = maze.index((0, 0)), maze.index((0, 1))
    assert x[i, 1 + j] == pytest.approx(np.exp(-0.5))


@pytest.mark.parametrize("kind, kwargs, message", [
    ("pixels", {}, r"unknown feature kind 'pixels': expected one of \['one_hot'"),
    ("polynomial", {"degree": -1}, "degree must be a non-negative integer, got -1"),
    ("rbf", {"width": 0.0}, "width must be positive"),
])
def test_features_reject_bad_settings(maze, kind, kwargs, message):
    with pytest.raises(ValueError, match=message):
        features(maze, kind, **kwargs)


def test_value_grid_masks_walls(maze, values):
    grid = value_grid(maze, values)
    assert grid.shape == (7, 7) and grid.mask[0, 2] and not grid.mask[0, 0]
    assert grid[6, 6] == 0.0


def test_state_images_have_wall_agent_goal_channels(maze):
    images = state_images(maze)
    assert images.shape == (37, 3, 7, 7)
    assert np.array_equal(images[:, WALL], np.broadcast_to(maze.walls, (37, 7, 7)))
    assert np.array_equal(images[:, AGENT].sum(axis=(1, 2)), np.ones(37))
    assert images[4, AGENT][maze.states[4]] == 1.0
    assert images[:, GOAL, 6, 6].tolist() == [1.0] * 37
    assert state_images(maze, [(3, 0)]).shape == (1, 3, 7, 7)


def test_partial_observation_sees_walls_and_the_edge_as_walls(maze):
    view = partial_observation(maze, (0, 1), radius=1)
    assert view.shape == (3, 3, 3)
    assert view[WALL].tolist() == [[1, 1, 1], [0, 0, 1], [0, 0, 1]]
    assert view[AGENT, 1, 1] == 1.0 and view[AGENT].sum() == 1.0
    near_goal = partial_observation(maze, (5, 6), radius=2)
    assert near_goal.shape == (3, 5, 5) and near_goal[GOAL, 3, 2] == 1.0


def test_corridor_has_the_goal_in_the_middle():
    line = corridor(21)
    assert line.shape == (1, 21) and line.goal == (0, 10) and line.n_states == 21
