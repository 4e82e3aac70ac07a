"""Notebook 01's computations and panels: tables, linear fits, feature transforms."""

import re
import warnings

import numpy as np
import pytest
from conftest import sweep_panel

from lecture_utils import function_approximation as fa
from lecture_utils.style import set_style
from lecture_utils.widgets import control_extremes, render_png

PNG = b"\x89PNG"


@pytest.fixture(autouse=True)
def no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.fixture(scope="module")
def setting():
    return fa.maze_setting()


def named_index(setting, name):
    return setting.maze.index(setting.maze.named_states[name])


# --- tabular -----------------------------------------------------------------------------------

def test_the_table_is_learned_only_where_the_episodes_went(setting):
    result = fa.fit_tabular()
    unvisited = np.setdiff1d(np.arange(setting.maze.n_states), result.visited)
    assert len(result.visited) == 25 and (result.counts[unvisited] == 0).all()
    assert (result.table[unvisited] == 0.0).all()  # isolated entries keep the initial value
    assert result.named["s2"] == 0.0 and result.named["s4"] == 0.0
    assert result.named["s1"] == pytest.approx(setting.values[named_index(setting, "s1")], abs=1.5)
    assert result.named["s3"] == pytest.approx(setting.values[named_index(setting, "s3")], abs=1.5)
    assert result.note == "never visited: s2, s4 (their entries still hold the initial value 0)"


def test_monte_carlo_table_averages_discounted_returns():
    maze = fa.mz.corridor(5)  # . . G . .
    walk = fa.mz.Trajectory(np.array([0, 1, 2]), np.array([-1.0, -1.0]))
    table, counts = fa.monte_carlo_table(maze, [walk], gamma=0.5)
    assert table.tolist() == [-1.5, -1.0, 0.0, 0.0, 0.0] and counts.tolist() == [1, 1, 0, 0, 0]


def test_more_episodes_fill_more_of_the_table():
    few, many = fa.fit_tabular(1), fa.fit_tabular(30)
    assert len(many.visited) > len(few.visited) and many.counts.sum() > 10 * few.counts.sum()
    assert many.note == "never visited: s2 (its entry still holds the initial value 0)"


def test_table_size_counts_joint_states_of_all_agents():
    one = fa.table_size(7, 1)
    assert one.n_states == 37 and one.log10_entries == pytest.approx(np.log10(37))
    crowd = fa.table_size(60, 20)
    assert crowd.log10_entries == pytest.approx(20 * np.log10(crowd.n_states))
    assert crowd.log10_entries < 170 < 60 * np.log10(crowd.n_states)  # Go needs ~50 agents
    assert "16 GB" in crowd.note and one.note == ""
    with pytest.raises(ValueError, match="n_agents must be at least 1"):
        fa.table_size(7, 0)


def test_the_agents_slider_reaches_go_in_a_60x60_maze():
    controls = fa.table_size_panel().controls
    size, agents = controls["size"].max, controls["n_agents"].max
    assert size == 60 and fa.table_size(size, agents).log10_entries >= np.log10(fa.GO_STATES)
    needed = next(n for n in range(1, agents + 1) if fa.table_size(60, n).log10_entries >= 170)
    assert needed == 51 == fa.agents_to_reach(fa.GO_STATES, size)  # the answer is on the slider


def test_agents_to_reach_go_is_the_answer_the_notebook_prints():
    assert fa.table_size(60).n_states == 2479
    assert fa.table_size(60, 51).log10_entries == pytest.approx(173.1, abs=0.05)
    assert fa.table_size(60, 50).log10_entries < 170
    assert fa.agents_to_reach(2479 ** 2, 60) == 2 and fa.agents_to_reach(2479 ** 2 + 1, 60) == 3


@pytest.mark.parametrize("n_agents, title", [(1, "1 agent: 37 table entries"),
                                             (3, "3 agents: 50,653 table entries"),
                                             (4, "4 agents: $10^{6.3}$ table entries")])
def test_table_size_title_gives_exact_counts_below_a_million(n_agents, title):
    view = fa.TableSizeView()
    view.update(fa.table_size(7, n_agents))
    assert view.ax.get_title() == title


def test_table_size_view_shows_the_largest_table_and_the_goal_of_the_largest_maze():
    view = fa.TableSizeView()
    largest = fa.table_size(fa.MAX_SIZE, fa.MAX_AGENTS)
    view.update(largest)
    assert view.ax.get_ylim()[1] > 10.0 ** largest.log10_entries
    assert not view.goal.get_clip_on() and not view.marker.get_clip_on()  # in the corner
    assert view.goal.get_offsets().tolist() == [[largest.goal[1], largest.goal[0]]]


# --- linear function approximation -------------------------------------------------------------

@pytest.mark.parametrize("features", ["coordinates", "polynomial"])
def test_gradient_descent_reaches_the_least_squares_solution(setting, features):
    result = fa.fit_linear(features, degree=2, lr=0.5, steps=4000)
    X = fa.scaled_features(features, 2, 1.0)[setting.visited]
    theta = np.linalg.lstsq(X, setting.values[setting.visited], rcond=None)[0]
    assert not result.diverged
    assert np.abs(result.theta - theta).max() < 1e-6  # tolerance: 1e-6 on every parameter
    assert result.losses[-1] == pytest.approx(result.best_loss, abs=1e-9)


def test_one_hot_linear_model_is_the_table(setting):
    linear = fa.fit_linear("one_hot", lr=0.5, steps=200)
    table = fa.fit_tabular()
    unvisited = np.setdiff1d(np.arange(setting.maze.n_states), setting.visited)
    assert (linear.estimate[unvisited] == 0.0).all()  # no gradient ever reaches them
    assert np.array_equal(np.flatnonzero(linear.estimate == 0.0), np.flatnonzero(table.table == 0))
    visited = setting.visited
    assert np.abs(linear.estimate[visited] - setting.values[visited]).max() < 1e-8


def test_one_hot_fit_reaches_v_pi_where_the_table_holds_a_monte_carlo_average(setting):
    s1 = named_index(setting, "s1")  # the notebook quotes these two numbers
    assert fa.fit_tabular().table[s1] == pytest.approx(-13.3, abs=0.05)
    assert fa.fit_linear("one_hot").estimate[s1] == pytest.approx(-13.87, abs=0.005)


def test_rbf_width_1_has_the_lowest_error_on_unvisited_states(setting):
    unvisited = np.setdiff1d(np.arange(setting.maze.n_states), setting.visited)

    def unvisited_rmse(**settings):
        error = fa.fit_linear(**settings).estimate - setting.values
        return np.sqrt(np.mean(error[unvisited] ** 2))

    rbf_1 = unvisited_rmse(features="rbf", rbf_width=1.0)
    others = [{"features": "one_hot"}, {"features": "coordinates"},
              *({"features": "polynomial", "degree": d} for d in range(9)),
              *({"features": "rbf", "rbf_width": w} for w in (0.3, 0.6, 1.5, 2.0, 4.0))]
    assert all(rbf_1 < unvisited_rmse(**other) for other in others)


def test_the_linear_panel_question_names_the_maps_its_answer_discusses():
    assert "RBF of width 0.3, 1 and 4" in fa.LINEAR_FIT_QUESTION
    widths = [kw["rbf_width"] for kind, kw in fa.COMPARED_FITS.values() if kind == "rbf"]
    assert widths == [0.3, 1.0, 4.0]
    slider = fa.linear_fit_panel().controls["rbf_width"]
    assert all(slider.min <= w <= slider.max for w in widths)


@pytest.fixture(scope="module")
def summaries():
    return {name: fa.summarise_fit(kind, **kw) for name, (kind, kw) in fa.COMPARED_FITS.items()}


def test_rbf_width_1_is_best_on_unvisited_states_after_200_steps_and_at_least_squares(summaries):
    others = {name: f for name, f in summaries.items() if name != "RBF width 1"}
    rbf_1 = summaries["RBF width 1"]
    assert all(rbf_1.unvisited_rmse < other.unvisited_rmse for other in others.values())
    assert all(rbf_1.best_unvisited_rmse < o.best_unvisited_rmse for o in others.values())
    assert rbf_1.unvisited_rmse < rbf_1.best_unvisited_rmse  # stopping early costs nothing


def test_rbf_width_1_carries_s1_to_s2_but_leaves_s4_about_1_too_high(setting, summaries):
    rbf_1 = summaries["RBF width 1"]
    assert abs(rbf_1.s2 - setting.values[named_index(setting, "s2")]) < 0.2  # "almost exact"
    assert rbf_1.s4 - setting.values[named_index(setting, "s4")] == pytest.approx(1.0, abs=0.2)


def test_rbf_gradient_descent_creeps_far_above_least_squares(summaries):
    rbf_1, rbf_4 = summaries["RBF width 1"], summaries["RBF width 4"]
    assert rbf_1.best_loss < 1e-12 < 1e-2 < rbf_1.loss  # the answer: "stays far above 0"
    longer = fa.fit_linear("rbf", rbf_width=1.0, steps=2000).losses
    assert 1e-3 < longer[-1] < 0.2 * longer[200]  # "keeps falling, slowly"
    assert rbf_4.best_loss < 1e-12 and rbf_4.loss > 1  # "not even fitted ... loss above 1"


def test_narrow_rbf_leaves_unvisited_cells_the_constant_features_weight(setting, summaries):
    assert np.exp(-1 / (2 * 0.3 ** 2)) == pytest.approx(0.004, abs=5e-4)  # one cell away
    narrow = summaries["RBF width 0.3"]
    assert narrow.s2 == pytest.approx(-8.7, abs=0.05) and narrow.s4 == pytest.approx(-8.7, abs=0.1)
    fit = fa.fit_linear("rbf", rbf_width=0.3)
    constant = fit.theta[0] * fa.scaled_features("rbf", 3, 0.3)[0, 0]
    assert abs(fit.named["s2"] - constant) < 0.05 and abs(fit.named["s4"] - constant) < 0.05
    trained_mean = setting.values[setting.visited].mean()
    assert abs(constant - trained_mean) < 0.5  # "close to the average of the trained values"


def test_fit_summary_table_prints_zero_for_losses_below_the_plot_floor(capsys):
    fa.print_fit_summaries()
    rows = {line[:14].strip(): line[14:].split() for line in capsys.readouterr().out.splitlines()}
    assert rows["one-hot"][:2] == ["0", "0"] and rows["RBF width 1"][1] == "0"
    assert rows["RBF width 1"][2:] == ["1.05", "1.14", "-13.42", "-8.42"]
    assert rows["true V^pi"] == ["-13.57", "-9.34"]


def test_polynomial_features_generalise_from_s1_to_s2_where_a_table_cannot(setting):
    fit = fa.fit_linear("polynomial", degree=3)
    truth = setting.values[named_index(setting, "s2")]
    assert abs(fit.named["s2"] - truth) < 2.0 < abs(0.0 - truth)
    assert fit.losses[-1] < 0.01 * fit.losses[0]


def test_scaled_features_have_unit_largest_eigenvalue():
    for kind in ("one_hot", "coordinates", "polynomial", "rbf"):
        X = fa.scaled_features(kind)
        assert np.linalg.eigvalsh(X.T @ X / len(X)).max() == pytest.approx(1.0)
        assert not X.flags.writeable


def test_a_too_large_learning_rate_stops_with_a_note_and_no_nan_in_the_plot():
    result = fa.fit_linear(lr=10.0)
    assert result.diverged and np.isnan(result.estimate).all()
    assert re.fullmatch(r"the loss grew to \de\+\d\d at step \d+: lower the learning rate "
                        r"\(below 0\.89 for these features\)", result.note)
    assert np.isfinite(result.losses).all() and result.losses[-1] > 1e6 * result.losses[0]


@pytest.mark.parametrize("kwargs, message", [
    ({"features": "pixels"}, "unknown feature kind 'pixels'"),
    ({"degree": -1}, "degree must be a non-negative integer"),
    ({"lr": 0.0}, "learning rate must be positive"),
    ({"steps": 0}, "steps must be at least 1"),
    ({"train_on": "some"}, "train_on must be 'visited' or 'all'"),
])
def test_fit_linear_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fa.fit_linear(**kwargs)


def test_wall_cells_a_and_b_sit_either_side_of_the_wall_right_of_s1_and_s2(setting):
    (ra, ca), (rb, cb) = fa.WALL_CELLS["a"], fa.WALL_CELLS["b"]
    s2_row, s2_col = setting.maze.named_states["s2"]
    assert ra == rb == 0 and ca == s2_col and cb == ca + 2
    assert setting.maze.walls[ra, ca + 1] and setting.maze.walls[s2_row, s2_col + 1]


@pytest.mark.parametrize("kind, kwargs", fa.FAILURE_CASES)
def test_best_fits_to_all_states_are_too_high_at_a_and_too_low_at_b(setting, kind, kwargs):
    a, b = (setting.maze.index(cell) for cell in fa.WALL_CELLS.values())
    fit = fa.best_linear_fit(kind, **kwargs)
    error = fit - setting.values
    assert error[a] > 0.8 and error[b] < -0.8  # clearly red at a, blue at b
    true_jump = setting.values[b] - setting.values[a]
    assert 0 < fit[b] - fit[a] < 0.65 * true_jump  # "jumps much less"


def test_one_hot_fits_all_states_exactly(setting):
    assert np.abs(fa.best_linear_fit("one_hot") - setting.values).max() < 1e-10


# --- linear in the parameters, not in the inputs -----------------------------------------------

def test_powers_of_x_fit_the_curve_that_raw_x_cannot():
    raw, quadratic, rich = fa.fit_curve(1), fa.fit_curve(2), fa.fit_curve(8)
    assert raw.rmse == pytest.approx(raw.raw_rmse) and raw.raw_rmse > 2.0
    assert abs(raw.theta[1]) < 1e-10  # symmetric values: the best line is flat
    assert quadratic.rmse < 0.4 * raw.raw_rmse and rich.rmse < 0.3
    with pytest.raises(ValueError, match="degree must be an integer >= 1"):
        fa.fit_curve(0)


def test_odd_powers_get_zero_weight_so_odd_degrees_add_nothing():
    fits = {d: fa.fit_curve(d) for d in range(1, fa.MAX_DEGREE + 1)}
    assert all(np.abs(fit.theta[1::2]).max() < 1e-10 for d, fit in fits.items() if d <= 8)
    # at high degrees zero up to rounding: a billionth of the largest weight
    assert all(np.abs(fit.theta[1::2]).max() < 1e-8 * np.abs(fit.theta).max()
               for fit in fits.values())
    assert all(fits[d + 1].rmse == pytest.approx(fits[d].rmse) for d in range(2, 20, 2))


def test_up_to_degree_16_each_even_degree_lowers_the_rmse_ever_more_slowly():
    even = [fa.fit_curve(d).rmse for d in range(2, 17, 2)]
    assert all(a > b for a, b in zip(even, even[1:], strict=False))
    assert [round(r, 2) for r in even[:3]] == [0.85, 0.45, 0.29] and round(even[-1], 2) == 0.09
    gains = -np.diff(even)
    assert all(a > b for a, b in zip(gains, gains[1:], strict=False))  # "ever more slowly"
    theta = fa.fit_curve(8).theta[2::2]  # x^2, x^4, ...: large, alternating signs
    assert np.all(np.sign(theta[1:]) == -np.sign(theta[:-1])) and np.abs(theta).max() > 30


def test_the_degree_slider_reaches_as_many_parameters_as_cells_and_then_interpolates():
    x, values = fa.corridor_values()
    slider = fa.curve_fit_panel().controls["degree"]
    assert slider.max == fa.MAX_DEGREE == len(x) - 1 == 20
    top = fa.fit_curve(slider.max)
    assert top.rmse < 1e-8  # passes through all 21 values
    assert 1e7 < np.abs(top.theta).max() < 1e8  # "the weights reach 10^7"


def test_from_degree_16_the_curve_swings_between_the_cells_by_more_than_any_step():
    x, values = fa.corridor_values()
    largest_step = np.abs(np.diff(values)).max()
    assert round(largest_step, 1) == 1.1  # "at most 1.1"
    wiggle = {d: fa.fit_curve(d).wiggle for d in range(1, fa.MAX_DEGREE + 1)}
    assert all(wiggle[d] < largest_step for d in range(1, 14))
    assert all(wiggle[d] > 4 * largest_step for d in range(16, 21))
    assert [round(wiggle[d], 1) for d in (16, 18)] == [4.6, 38.6]  # "4.6 (16), 39 (18)"
    assert 1000 < wiggle[20] < 1100  # "about 1000"
    curve = fa.fit_curve(20).fit
    assert curve.min() < -1000 and curve.max() > 50  # far outside the values, -8.6 to 0


def test_the_curve_panel_says_when_the_fit_swings_between_cells():
    panel = fa.curve_fit_panel()
    slider = panel.controls["degree"]
    for degree in range(slider.min, slider.max + 1):
        result = panel.set(degree=degree)
        assert (panel.message_text != "") == (result.wiggle > fa.WIGGLE_NOTE) == (degree >= 16)
    # the RMSE at degree 20 is round-off (2e-9 to 4e-9 with different BLAS builds)
    assert re.fullmatch(
        r"between neighbouring cells the curve strays up to 1\.08e\+03 from the line joining "
        r"them, while all values lie between -8\.6 and 0: it fits the cells \(RMSE \d\.\de-09\) "
        r"but swings wildly in between", panel.message_text), panel.message_text


@pytest.mark.parametrize("degree, powers, rmse", [(1, "[1, x]", "2.60"),
                                                  (2, "[1, x, x^{2}]", "0.85"),
                                                  (4, "[1, x, x^{2}, x^{3}, x^{4}]", "0.45"),
                                                  (8, r"[1, x, x^{2}, \dots, x^{8}]", "0.21"),
                                                  (20, r"[1, x, x^{2}, \dots, x^{20}]", r"\d\.\de-09")])
def test_curve_fit_legend_names_the_data_and_writes_small_feature_lists_out(degree, powers, rmse):
    view = fa.CurveFitView()
    view.update(fa.fit_curve(degree))
    texts = [t.get_text() for t in view.legend.get_texts()]
    assert texts[:2] == [r"$V^\pi$ at the 21 cells", "$[1, x]$: RMSE 2.60"]
    assert re.fullmatch(re.escape(f"${powers}$: RMSE ") + rmse, texts[2]), texts[2]
    # an RMSE of round-off size (degree 20) differs between BLAS builds: only its size is fixed


def test_curve_fit_axes_are_labelled_and_end_near_the_data():
    view = fa.CurveFitView()
    x, values = fa.corridor_values()
    low, high = view.ax.get_ylim()
    assert view.ax.get_ylabel() == "value" and view.ax.get_xlabel().startswith("position x")
    assert values.min() - 3 < low < values.min() and values.max() < high < values.max() + 1


def test_polynomial_features_are_powers_with_a_bias_column():
    x = fa.polynomial_features(np.array([2.0, -1.0]), 3)
    assert x.tolist() == [[1, 2, 4, 8], [1, -1, 1, -1]]


# --- the panels at every control's min, default and max ------------------------------------------

def panel_cases():
    for name, build in fa.PANELS.items():
        panel = build()
        for control_name, control in panel.controls.items():
            for value in control_extremes(control):
                yield pytest.param(build, control_name, value, id=f"{name}-{control_name}={value}")


@pytest.fixture(scope="module")
def panels():
    return {build: build() for build in fa.PANELS.values()}


@pytest.mark.parametrize("build, control, value", list(panel_cases()))
def test_every_panel_answers_at_every_extreme(panels, build, control, value):
    panel = panels[build]
    defaults = panel.settings
    try:
        result = panel.set(**{control: value})
        assert result is not None, panel.message_text  # no ValueError at any extreme
        png = bytes(panel.image.value)
        assert png.startswith(PNG) and len(png) > 5000
        check_numbers(build, {**defaults, control: value}, result, panel.message_text)
    finally:
        panel.set(**defaults)


def check_numbers(build, settings, result, message):
    if build is fa.linear_fit_panel:
        if settings["lr"] >= 5:
            assert result.diverged and message.startswith("the loss grew to")
        elif settings["lr"] < result.lr_limit:
            assert not result.diverged and message == ""
            assert result.losses[-1] < result.losses[0]
            assert np.isfinite(result.estimate).all()
        else:
            assert "learning rate" in message
        assert len(result.losses) <= settings["steps"] + 1
    elif build is fa.tabular_panel:
        assert (result.table[result.counts == 0] == 0).all()
    elif build is fa.table_size_panel:
        assert result.log10_entries == pytest.approx(
            settings["n_agents"] * np.log10(result.n_states))
    elif build is fa.curve_fit_panel:
        assert len(result.theta) == settings["degree"] + 1 and result.rmse <= result.raw_rmse


@pytest.mark.parametrize("features, enabled", [("polynomial", {"degree"}),
                                               ("rbf", {"rbf_width"}),
                                               ("one_hot", set()), ("coordinates", set())])
def test_linear_panel_disables_the_sliders_its_feature_map_ignores(panels, features, enabled):
    panel = panels[fa.linear_fit_panel]
    defaults = panel.settings
    try:
        panel.set(features=features)
        for name in ("degree", "rbf_width"):
            assert panel.controls[name].disabled is (name not in enabled), name
    finally:
        panel.set(**defaults)
    assert not panel.controls["degree"].disabled and panel.controls["rbf_width"].disabled


def test_linear_panel_asks_one_question():
    panel = fa.linear_fit_panel()
    assert panel.widget.children[0].value == f"<b>Think first:</b> {fa.LINEAR_FIT_QUESTION}"


def test_one_hot_loss_curve_runs_along_the_floor_and_says_it_reached_0(panels):
    panel = panels[fa.linear_fit_panel]
    defaults = panel.settings
    try:
        panel.set(features="one_hot")
        curve = panel.view.loss
        assert curve.line.get_ydata().min() == curve.FLOOR >= curve.ax.get_ylim()[0]
        labels = [t.get_text() for t in curve.ax.get_legend().get_texts()]
        assert labels == ["gradient descent (reached 0)", "least squares (0)"]
    finally:
        panel.set(**defaults)
    labels = [t.get_text() for t in panel.view.loss.ax.get_legend().get_texts()]
    assert labels == ["gradient descent", "least squares"]  # polynomial 3: neither is 0


def test_loss_tick_labels_stay_inside_the_figure_in_projector_style():
    set_style("projector")
    try:
        view = fa.LinearFitView()
        view.update(fa.fit_linear("one_hot"))  # ticks down to 10^-12, the widest labels
        render_png(view.figure)
        boxes = [t.get_window_extent() for t in view.loss.ax.get_yticklabels() if t.get_text()]
    finally:
        set_style("default")
    assert boxes and all(box.x0 >= 0 for box in boxes)


def test_linear_panel_blanks_the_estimate_when_training_diverges(panels):
    """No grey map with a meaningless colour bar: a blank with words instead."""
    panel = panels[fa.linear_fit_panel]
    defaults = panel.settings
    maps = panel.view.maps
    try:
        panel.set(lr=10.0)
        assert maps.estimate.image.get_array().mask.all()  # no NaN colours either
        for heatmap in (maps.estimate, maps.error):
            assert not heatmap.image.get_visible() and not heatmap.colorbar.ax.get_visible()
        assert [t.get_text() for t in panel.view.blanks if t.get_visible()] == [
            "no estimate:\nthe loss diverged", "nothing\nto compare"]
        assert maps.estimate.ax.get_title() == "diverged: no estimate"
    finally:
        panel.set(**defaults)
    assert not maps.estimate.image.get_array().mask[0, 0]
    assert maps.error.image.get_visible() and maps.error.colorbar.ax.get_visible()
    assert not any(t.get_visible() for t in panel.view.blanks)


def test_feature_failure_figure_has_one_map_per_case_with_a_and_b_labelled():
    figure = fa.feature_failure_figure()
    maps = [ax for ax in figure.axes if ax.get_title()]
    titles = [ax.get_title() for ax in maps]
    assert figure.get_suptitle().startswith(r"error $\hat V - V^\pi$ of the best fit")
    assert titles[0] == "coordinates\nD = 3, RMSE 1.54"
    assert titles[2] == "polynomial, degree 3\nD = 10, RMSE 0.71"
    assert len(titles) == len(fa.FAILURE_CASES)
    for ax in maps:
        labels = {t.get_text(): t.get_position() for t in ax.texts}
        assert labels["a"] == (1, 0) and labels["b"] == (3, 0)  # (col, row)


def test_feature_failure_titles_do_not_overlap_in_projector_style():
    set_style("projector")
    try:
        figure = fa.feature_failure_figure()
        render_png(figure)
        boxes = [ax.title.get_window_extent() for ax in figure.axes if ax.get_title()]
    finally:
        set_style("default")
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    assert all(box.x0 >= 0 and box.x1 <= figure.bbox.width for box in boxes)  # not cut off


def test_each_panel_asks_its_question_only_above_its_controls():
    """The markdown before a panel introduces it; the one question is the panel's own."""
    import json
    from pathlib import Path

    path = Path(__file__).parent.parent / "notebooks" / "01_function_approximation.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    panels = [k for k, c in enumerate(cells) if c["cell_type"] == "code"
              and re.fullmatch(r"fa\.\w+_panel\(\)", "".join(c["source"]).strip())]
    assert len(panels) == len(fa.PANELS)
    for k in panels:
        before = "".join(cells[k - 1]["source"])
        assert cells[k - 1]["cell_type"] == "markdown" and "?" not in before, before


# --- the learning rate's stability limit ---------------------------------------------------------

def feature_maps_of_the_panel():
    """Every feature map the linear-fit panel offers, at each degree and a spread of widths."""
    yield "one_hot", {}
    yield "coordinates", {}
    for degree in range(9):
        yield "polynomial", {"degree": degree}
    for width in np.round(np.arange(0.3, 4.01, 0.1), 1):
        yield "rbf", {"rbf_width": float(width)}


def test_the_stability_limit_is_1_on_all_states_and_about_07_to_11_on_the_visited_ones():
    limits = {on: [fa.fit_linear(kind, steps=1, train_on=on, **kw).lr_limit
                   for kind, kw in feature_maps_of_the_panel()] for on in ("visited", "all")}
    assert np.allclose(limits["all"], 1.0, rtol=1e-9)
    assert round(min(limits["visited"]), 1) == 0.7 and round(max(limits["visited"]), 1) == 1.1


def test_at_learning_rate_1_one_hot_on_all_states_swings_between_0_and_2_v_pi(setting):
    odd = fa.fit_linear("one_hot", lr=1.0, steps=199, train_on="all")
    even = fa.fit_linear("one_hot", lr=1.0, steps=200, train_on="all")
    assert np.abs(odd.estimate - 2 * setting.values).max() < 1e-9
    assert np.abs(even.estimate).max() < 1e-9
    assert np.ptp(even.losses) < 1e-9 * even.losses[0]  # the loss stays flat
    assert even.note.startswith("learning rate 1 is exactly the stability limit")
    assert "0 after each even step and twice the best fit after each odd one" in even.note
    constant = fa.fit_linear("polynomial", degree=0, lr=1.0, steps=199, train_on="all")
    assert np.allclose(constant.estimate, 2 * setting.values.mean())  # degree 0: twice the mean
    assert "twice the best fit" in constant.note


@pytest.mark.parametrize("train_on", ["visited", "all"])
def test_a_loss_that_does_not_fall_always_comes_with_a_message(train_on):
    """No flat or growing loss without a word, at every learning rate the slider offers."""
    for kind, kw in [("one_hot", {}), ("coordinates", {}), ("polynomial", {"degree": 0}),
                     ("polynomial", {"degree": 3}), ("polynomial", {"degree": 8}),
                     ("rbf", {"rbf_width": 0.3}), ("rbf", {"rbf_width": 4.0})]:
        for lr in fa.LEARNING_RATES:
            result = fa.fit_linear(kind, lr=lr, train_on=train_on, **kw)
            losses = result.losses
            converged = losses[-1] <= result.best_loss + 1e-6 * losses[0]
            stuck = not converged and not losses[-1] < 0.999 * losses[len(losses) // 2]
            assert (result.note != "") == (lr >= result.lr_limit * (1 - 1e-6)), (kind, kw, lr)
            assert not stuck or result.note, (kind, kw, lr)


def test_the_learning_rate_slider_shows_exactly_the_rates_the_text_names():
    control = fa.linear_fit_panel().controls["lr"]
    assert control.value == 0.5 and control.label == "0.5"
    assert {0.5, 1.0} <= set(control.options[k][1] for k in range(len(control.options)))
    assert [label for label, _ in control.options][::4] == ["0.001", "0.02", "0.5", "1.1", "10"]


def test_fit_summary_answer_prints_the_limits_and_the_swing(capsys):
    fa.print_learning_rate_limits()
    rows = {line[:14].strip(): line[14:].split() for line in capsys.readouterr().out.splitlines()}
    assert rows["one-hot"] == ["0.68", "1.00"] and rows["RBF width 4"] == ["1.07", "1.00"]
    assert rows["one-hot on all"] == ["states", "at", "learning", "rate", "1:", "V(s2)", "=",
                                      "-27.13", "after", "199", "steps,", "0.00", "after", "200",
                                      "(V^pi(s2)", "=", "-13.57)"]


# --- the tabular panel's answer ------------------------------------------------------------------

def test_more_episodes_fill_s2_only_when_one_wanders_into_it(setting):
    s2 = named_index(setting, "s2")
    controls = fa.tabular_panel().controls
    seeds = range(controls["seed"].min, controls["seed"].max + 1)
    assert fa.fit_tabular(3).table[s2] == 0.0
    for seed in seeds:
        for n in range(1, controls["n_trajectories"].max + 1):
            result = fa.fit_tabular(n, seed)
            assert (result.table[s2] != 0.0) == (result.counts[s2] > 0)
    missed = [seed for seed in seeds if fa.fit_tabular(controls["n_trajectories"].max,
                                                       seed).counts[s2] == 0]
    assert len(seeds) == 21 and missed == [1, 10]  # 30 episodes visit s2 for 19 of 21 seeds


# --- layout in the projector style ---------------------------------------------------------------

def text_boxes(figure):
    """Window extents of every drawn, non-empty text of a figure, with the text.

    Tick labels of ticks outside an axis's range exist but are not drawn: left out.
    """
    from matplotlib.text import Text

    render_png(figure)
    renderer = figure.canvas.get_renderer()
    ticks, drawn = set(), []
    for ax in figure.axes:
        for axis, (low, high) in ((ax.xaxis, ax.bbox.intervalx), (ax.yaxis, ax.bbox.intervaly)):
            for label in axis.get_ticklabels(which="both"):
                ticks.add(id(label))
                box = label.get_window_extent(renderer)
                middle = (box.x0 + box.x1) / 2 if axis is ax.xaxis else (box.y0 + box.y1) / 2
                if ax.get_visible() and label.get_visible() and low - 1 <= middle <= high + 1:
                    drawn.append((label, box))
    for text in figure.findobj(Text):
        if id(text) not in ticks and (text.axes is None or text.axes.get_visible()):
            drawn.append((text, text.get_window_extent(renderer)))
    return [(t.get_text(), box) for t, box in drawn if t.get_visible() and t.get_text().strip()]


def colliding_texts(figure):
    boxes = text_boxes(figure)
    width, height = figure.bbox.width, figure.bbox.height
    outside = [text for text, box in boxes
               if box.x0 < -1 or box.x1 > width + 1 or box.y0 < -1 or box.y1 > height + 1]
    pairs = [(a, b) for k, (a, box_a) in enumerate(boxes) for b, box_b in boxes[k + 1:]
             if box_a.overlaps(box_b)]
    return outside, pairs


def projector_views():
    """Each panel's view at a spread of its settings, in the projector style."""
    cases = {
        fa.TabularView: [fa.fit_tabular(n, seed) for seed in (0, 1, 10, 20) for n in (1, 3, 30)],
        fa.LinearFitView: [fa.fit_linear(**kw) for kw in (
            {}, {"features": "one_hot"}, {"lr": 10.0}, {"lr": 0.001}, {"steps": 1},
            {"steps": 2000}, {"features": "rbf", "rbf_width": 4.0}, {"train_on": "all"})],
        fa.CurveFitView: [fa.fit_curve(d) for d in (1, 2, 8, 16, 20)],
        fa.TableSizeView: [fa.table_size(s, n) for s in (5, 60) for n in (1, 60)],
    }
    for view_class, results in cases.items():
        for result in results:
            yield pytest.param(view_class, result, id=f"{view_class.__name__}-{len(str(result))}")


@pytest.mark.parametrize("style", ["default", "projector"])
@pytest.mark.parametrize("view_class, result", list(projector_views()))
def test_panels_fit_a_projector_with_no_colliding_text(view_class, result, style):
    set_style(style)
    try:
        view = view_class()
        view.update(result)
        outside, pairs = colliding_texts(view.figure)
        width = view.figure.bbox.width
    finally:
        set_style("default")
    assert width <= 1150 and not outside and not pairs, (width, outside, pairs)


def test_feature_failure_figure_fits_a_projector_with_no_colliding_text():
    set_style("projector")
    try:
        figure = fa.feature_failure_figure()
        outside, pairs = colliding_texts(figure)
    finally:
        set_style("default")
    assert figure.bbox.width <= 1150 and not outside and not pairs, (outside, pairs)


def test_every_colour_bar_says_what_its_colours_mean():
    views = [fa.TabularView(), fa.LinearFitView()]
    labels = [[h.colorbar.ax.get_ylabel() for h in (v.maps.truth, v.maps.estimate, v.maps.error)]
              for v in views]
    assert labels == [["value", "value", "error"]] * 2
    failure = fa.feature_failure_figure()
    assert [ax.get_ylabel() for ax in failure.axes if not ax.get_title()] == ["error"]


@pytest.mark.parametrize("build", fa.PANELS.values(), ids=fa.PANELS.keys())
def test_every_slider_extreme_gives_a_readable_projector_figure(build):
    set_style("projector")
    try:
        panel = build()
        problems = [(name, value, colliding_texts(panel.view.figure))
                    for name, value, _, _ in sweep_panel(panel)]
    finally:
        set_style("default")
    assert [p for p in problems if p[2] != ([], [])] == []
    assert panel.view.figure.bbox.width <= 1150


def test_every_panel_question_has_a_hidden_answer_cell_after_it():
    import json
    from pathlib import Path

    path = Path(__file__).parent.parent / "notebooks" / "01_function_approximation.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    panels = [k for k, s in enumerate(sources) if re.fullmatch(r"fa\.\w+_panel\(\)", s.strip())]
    assert len(panels) == len(fa.PANELS)
    for k in panels:
        answer = next(j for j in range(k + 1, len(cells)) if cells[j]["cell_type"] == "code")
        assert "with answer():" in sources[answer], sources[k]
        assert all(cells[j]["cell_type"] == "markdown" for j in range(k + 1, answer))
