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
    plot_network_diagram,
)
from lecture_utils.style import set_style
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


@pytest.fixture
def projector_style():
    set_style("projector")  # the largest fonts: where labels and legends collide first
    yield
    set_style("default")


def test_cell_labels_shrink_to_fit_their_own_cell_in_projector_style(setting, projector_style):
    figure = new_figure(3.0, 2.6)  # a small map: about 25 pixels per cell
    heatmap = ValueHeatmap(figure.add_subplot(), setting.maze, setting.values, "V")
    render_png(figure)
    corners = heatmap.ax.transData.transform([(0, 0), (1, 1)])
    cell = np.abs(corners[1] - corners[0]).min()
    boxes = [text.get_window_extent() for text in heatmap.labels]
    assert all(box.width <= cell for box in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])  # s1 | s2
    sizes = [text.get_fontsize() for text in heatmap.labels]
    assert max(sizes[:4]) < 16  # s1..s4 shrank below the projector's font size
    render_png(figure)
    assert [text.get_fontsize() for text in heatmap.labels] == sizes  # and stay put
    assert not figure.stale


def test_cell_labels_keep_the_style_font_size_when_cells_are_large(setting):
    figure = new_figure(8, 8)
    heatmap = ValueHeatmap(figure.add_subplot(), setting.maze, setting.values, colorbar=False)
    render_png(figure)
    assert [text.get_fontsize() for text in heatmap.labels] == [10.0] * 5


def points_of(line):
    """The drawn line in pixels, densely sampled between its vertices."""
    xy = line.get_transform().transform(np.column_stack(line.get_data()))
    t = np.linspace(0, len(xy) - 1, 400)
    return np.column_stack([np.interp(t, np.arange(len(xy)), xy[:, k]) for k in (0, 1)])


@pytest.mark.parametrize("losses, best", [
    (100.0 * 1e3 ** np.arange(4), 0.01),  # diverging: rises to the upper right
    (3.0 + 100.0 * 0.9 ** np.arange(201), 1e-12),  # stuck high above the best loss
    (100.0 * 0.95 ** np.arange(201), 1e-3),  # the usual decay
])
def test_loss_curve_legend_leaves_the_curve_and_the_best_loss_visible(losses, best,
                                                                      projector_style):
    figure = new_figure(5.2, 2.8)
    curve = LossCurve(figure.add_subplot())
    freeze_layout(figure)  # as a panel view does, before its updates
    curve.update(losses, best=best)
    render_png(figure)
    box = curve.ax.get_legend().get_window_extent()
    for line in (curve.line, curve.best):
        inside = [box.contains(x, y) for x, y in points_of(line)]
        assert not any(inside), f"the legend covers the {line.get_label()} line"


def test_loss_curve_spans_two_decades_so_two_ticks_are_labelled():
    figure = new_figure(4, 3)
    curve = LossCurve(figure.add_subplot())
    curve.update([1.0, 0.9, 0.85], best=0.8)
    low, high = curve.ax.get_ylim()
    assert high / low >= 100 * (1 - 1e-9)
    render_png(figure)
    labelled = [t for t in curve.ax.get_yticklabels() if t.get_text() and
                low <= t.get_position()[1] <= high]
    assert len(labelled) >= 2


def test_named_estimates_legend_covers_no_bar(setting, projector_style):
    figure = new_figure(5, 3)
    bars = NamedEstimates(figure.add_subplot(), setting.maze, setting.values, setting.values)
    render_png(figure)
    legend = bars.ax.get_legend().get_window_extent()
    for bar in [*bars.truth, *bars.bars]:
        assert not legend.overlaps(bar.get_window_extent()), "the legend hides a bar"


def test_loss_curve_draws_losses_below_the_floor_at_it_and_says_they_reached_0():
    figure = new_figure(4, 3)
    curve = LossCurve(figure.add_subplot())
    curve.update([10.0, 1e-3, 1e-20, 0.0], best=0.0)
    assert curve.line.get_ydata().tolist() == [10.0, 1e-3, LossCurve.FLOOR, LossCurve.FLOOR]
    assert curve.best.get_ydata()[0] == LossCurve.FLOOR >= curve.ax.get_ylim()[0]
    labels = [t.get_text() for t in curve.ax.get_legend().get_texts()]
    assert labels == ["gradient descent (reached 0)", "least squares (0)"]
    curve.update([10.0, 1.0], best=0.5)
    labels = [t.get_text() for t in curve.ax.get_legend().get_texts()]
    assert labels == ["gradient descent", "least squares"]


def test_loss_curve_works_without_its_legend():
    figure = new_figure(4, 3)
    curve = LossCurve(figure.add_subplot())
    curve.ax.get_legend().remove()  # as notebook 02's views do
    curve.update([1.0, 0.0])
    assert render_png(figure).startswith(b"\x89PNG")


def test_network_diagram_draws_units_weights_and_the_shapes_of_w_and_b():
    diagram = plot_network_diagram([2, 64, 64, 1])
    assert [len(u.get_offsets()) for u in diagram.units] == [2, 6, 6, 1]  # 64: 5, dots, last
    assert [len(w.get_segments()) for w in diagram.weights] == [2 * 6, 6 * 6, 6 * 1]
    texts = [t.get_text() for t in diagram.ax.texts]
    assert "$W_1$: (2, 64)\n$b_1$: (64,)" in texts and "$W_3$: (64, 1)\n$b_3$: (1,)" in texts
    assert sum(t == "\u22ee" for t in texts) == 2
    assert any(t.startswith("hidden layer 2\n$h_2 = g(h_1 W_2 + b_2)$") for t in texts)
    with pytest.raises(ValueError, match="at least two layer sizes"):
        plot_network_diagram([3])


@pytest.mark.parametrize("sizes", [[2, 64, 64, 1], [1, 2, 2, 2, 2, 1], [3, 1]])
def test_network_diagram_fits_a_projector(sizes):
    from conftest import text_problems

    set_style("projector")
    try:
        figure = plot_network_diagram(sizes).ax.figure
        assert figure.bbox.width <= 1150
        assert text_problems(figure) == []
    finally:
        set_style("default")
