"""Plot helpers draw the maze once and update their artists in place."""

import numpy as np
import pytest

from lecture_utils.function_approximation import maze_setting
from lecture_utils.plots import (
    LossCurve,
    NamedEstimates,
    ValueComparison,
    ValueHeatmap,
    freeze_layout,
    new_figure,
    plot_maze,
)
from lecture_utils.widgets import render_png


@pytest.fixture(scope="module")
def setting():
    return maze_setting()


def test_value_heatmap_masks_walls_labels_cells_and_updates_in_place(setting):
    figure = new_figure(4, 3)
    heatmap = ValueHeatmap(figure.add_subplot(), setting.maze, setting.values, "V")
    image = heatmap.image
    assert image.get_array().mask[0, 2] and image.get_clim() == (setting.values.min(), 0.0)
    assert sorted(t.get_text() for t in heatmap.labels) == ["G", "s1", "s2", "s3", "s4"]
    heatmap.update(setting.values * 2, visited=[0, 1])
    assert heatmap.image is image and image.get_array()[6, 6] == 0.0
    assert image.get_array()[0, 0] == pytest.approx(2 * setting.values[0])
    assert heatmap.dots.get_offsets().shape == (2, 2)


def test_nan_values_are_blank_not_coloured(setting):
    figure = new_figure(4, 3)
    heatmap = ValueHeatmap(figure.add_subplot(), setting.maze, setting.values, symmetric=True)
    heatmap.update(np.full(setting.maze.n_states, np.nan))
    assert heatmap.image.get_array().mask.all() and heatmap.image.get_clim() == (-1.0, 1.0)
    assert render_png(figure).startswith(b"\x89PNG")


def test_value_comparison_shows_truth_estimate_and_their_difference(setting):
    figure = new_figure(9, 3)
    estimate = setting.values + 1.0
    maps = ValueComparison(figure.subplots(1, 3), setting.maze, setting.values, estimate)
    assert maps.error.image.get_array()[0, 0] == pytest.approx(1.0)
    assert maps.estimate.image.get_clim() == maps.truth.image.get_clim()  # comparable colours
    maps.update(setting.values)
    assert np.abs(maps.error.image.get_array()).max() == 0.0


def test_loss_curve_is_logarithmic_and_follows_the_data():
    figure = new_figure(4, 3)
    curve = LossCurve(figure.add_subplot())
    curve.update([100.0, 10.0, 1.0], best=0.5)
    assert curve.ax.get_yscale() == "log" and curve.line.get_ydata().tolist() == [100, 10, 1]
    assert curve.best.get_ydata()[0] == 0.5 and curve.ax.get_ylim()[0] <= 0.25
    curve.update([1.0, 1e9])
    assert not curve.best.get_visible() and curve.ax.get_ylim()[1] >= 1e9


def test_named_estimates_put_bars_at_s1_to_s4(setting):
    figure = new_figure(4, 3)
    bars = NamedEstimates(figure.add_subplot(), setting.maze, setting.values, setting.values)
    assert [b.get_height() for b in bars.bars] == pytest.approx(bars.v_true)
    estimate = np.zeros(setting.maze.n_states)
    estimate[bars.idx[1]] = np.nan
    bars.update(estimate)
    assert [b.get_visible() for b in bars.bars] == [True, False, True, True]


def test_plot_maze_draws_one_path_per_episode(setting):
    figure = new_figure(3, 3)
    lines = plot_maze(figure.add_subplot(), setting.maze, setting.trajectories)
    assert len(lines) == 3 and len(lines[0].get_xdata()) == len(setting.trajectories[0].states)


def test_freeze_layout_keeps_axes_in_place_for_later_renders(setting):
    figure = new_figure(4, 3)
    ax = figure.add_subplot()
    ValueHeatmap(ax, setting.maze, setting.values)
    freeze_layout(figure)
    before = ax.get_position().bounds
    render_png(figure)
    assert ax.get_position().bounds == before
