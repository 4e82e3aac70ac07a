"""Notebook 02's demos: each compute function gives the numbers the notebook claims."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import sweep_panel, text_problems

from lecture_utils import feedforward as ff
from lecture_utils import nn, style
from lecture_utils.gradcheck import numerical_gradient

PROJECTOR_WIDTH = 1150  # px: a panel's figure must fit a 1280x720 projector beside the margins


pytestmark = pytest.mark.usefixtures("no_warnings")  # a warning fails the test


# --- the neural unit ---------------------------------------------------------------------------

def test_neural_unit_output_is_activation_of_weighted_sum():
    result = ff.neural_unit(w1=2.0, w2=-1.0, b=0.5, activation="tanh")
    x1, x2 = np.meshgrid(ff.UNIT_GRID, ff.UNIT_GRID)
    np.testing.assert_allclose(result.output, np.tanh(2 * x1 - x2 + 0.5), atol=1e-15)


@pytest.mark.parametrize("b", [-2.0, 0.0, 1.5])
def test_unit_boundary_is_where_the_pre_activation_is_zero(b):
    w = np.array([1.0, 0.5])
    ends = ff.neural_unit(*w, b=b).boundary
    np.testing.assert_allclose(ends @ w + b, 0.0, atol=1e-12)
    # the bias moves the line to distance |b| / |w| from the origin without turning it
    direction = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
    assert abs(direction @ w) < 1e-12
    closest = ends[0] - (ends[0] @ direction) * direction  # the line's point nearest 0
    assert np.linalg.norm(closest) == pytest.approx(abs(b) / np.linalg.norm(w))


def test_unit_with_zero_weights_is_constant_and_says_so():
    result = ff.neural_unit(0.0, 0.0, b=1.0, activation="sigmoid")
    np.testing.assert_allclose(result.output, 1 / (1 + np.exp(-1.0)))
    assert "ignores its input" in result.note
    assert np.isnan(result.boundary).all()


def test_unit_says_when_its_boundary_is_outside_the_plotted_square():
    assert "outside the square" in ff.neural_unit(1.0, 0.5, b=5.0).note
    assert "distance |b| / |w| = 4.5" in ff.neural_unit(1.0, 0.0, b=-4.5).note
    assert ff.neural_unit(1.0, 0.5, b=2.0).note == ""


def test_unit_colours_use_one_fixed_scale_per_activation():
    """Steeper weights change the colour faster; the scale never stretches to the picture."""
    view = ff.UnitView()
    gentle, steep = ff.neural_unit(0.5, 0.0), ff.neural_unit(3.0, 0.0)
    view.update(gentle)
    assert view.image.get_clim() == (0.0, 6.0)
    gentle_levels = len(view.levels)
    view.update(steep)
    assert view.image.get_clim() == (0.0, 6.0)
    assert len(view.levels) > 3 * gentle_levels  # 11 contour lines against 2
    for name in nn.ACTIVATIONS:
        low, high = ff.unit_colour_range(name)
        g = ff.make_activation(name)
        assert (low, high) == (g.function(-6.0), g.function(6.0)) and high - low > 0.99
    view.update(ff.neural_unit(0.0, 0.0, b=1.0))  # constant output: no contour, same scale
    assert len(view.levels) == 0 and view.contours.get_segments() == []
    assert view.image.get_clim() == (0.0, 6.0)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="activation must be one of .*relu"):
        ff.neural_unit(activation="softmax")


# --- activations -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ff.PLOTTED_ACTIVATIONS + ["identity"])
def test_activation_derivative_matches_finite_differences(name):
    g = ff.make_activation(name)
    z = np.array([-3.0, -0.7, 0.4, 2.5])  # away from the kink of relu at 0
    numeric = np.array([numerical_gradient(lambda v: float(g.function(v).sum()), z[i:i + 1])[0]
                        for i in range(len(z))])
    np.testing.assert_allclose(g.derivative(z), numeric, rtol=1e-6, atol=1e-9)


def test_activation_at_reports_values_and_slopes():
    at_zero = ff.activation_at(0.0)
    assert at_zero.values["sigmoid"] == 0.5 and at_zero.slopes["sigmoid"] == 0.25
    assert at_zero.slopes["tanh"] == 1.0
    far = ff.activation_at(-6.0)
    assert far.slopes["relu"] == 0.0  # a dead ReLU passes nothing back
    assert far.slopes["leaky_relu"] == pytest.approx(ff.GALLERY_LEAK)  # the leak keeps a little
    assert far.slopes["tanh"] < ff.SATURATED and far.slopes["sigmoid"] < ff.SATURATED
    for z in (-5.0, 5.0):  # the notebook asks students to look at +-5
        at = ff.activation_at(z)
        assert at.slopes["tanh"] < ff.SATURATED and at.slopes["sigmoid"] < ff.SATURATED
        assert at.slopes["leaky_relu"] >= ff.SATURATED  # never shaded grey


def test_derivative_row_shares_one_scale_so_slopes_compare():
    view = ff.ActivationView()
    bottoms = [view.markers[name, 1].axes for name in ff.PLOTTED_ACTIVATIONS]
    assert len({ax.get_ylim() for ax in bottoms}) == 1 and bottoms[0].get_ylim()[0] < 0
    view.update(ff.activation_at(-6.0))
    assert view.slope_text["leaky_relu"].get_text() == "g'(-6) = 0.1"
    assert view.slope_text["relu"].get_text() == "g'(-6) = 0"
    curves = ff.activation_curves()
    assert curves["sigmoid"][1].max() == 0.25 and curves["tanh"][1].max() == 1.0


# --- without a non-linearity, depth adds nothing -----------------------------------------------

def test_stack_of_linear_layers_equals_its_product_matrix():
    model = ff.linear_stack((3, 8, 8, 8, 2), "identity", rng=4)
    W, b = ff.collapse_linear_layers(model)
    assert W.shape == (3, 2) and b.shape == (2,)
    x = np.random.default_rng(0).normal(size=(50, 3))
    np.testing.assert_allclose(model(x), x @ W + b, rtol=0, atol=1e-12)


def test_collapse_refuses_a_network_with_activations():
    with pytest.raises(ValueError, match="only Linear"):
        ff.collapse_linear_layers(ff.linear_stack((1, 4, 1), "relu"))


def _max_curvature(result):
    return np.abs(np.diff(result.y, n=2, axis=1)).max()


def test_random_networks_stay_straight_at_every_depth_and_seed_without_activation():
    for depth in range(1, 5):
        for seed in range(21):
            assert _max_curvature(ff.random_networks("identity", depth, seed)) < 1e-12


def test_random_relu_networks_are_straight_pieces_joined_at_kinks():
    def bent(result):  # grid points (of 198) where the graph is not straight
        return (np.abs(np.diff(result.y, n=2, axis=1)) > 1e-9).sum(axis=1)

    assert ((bent(ff.random_networks("relu", depth=3)) >= 1)
            & (bent(ff.random_networks("relu", depth=3)) < 198 / 3)).all()
    assert (bent(ff.random_networks("tanh", depth=3)) == 198).all()  # tanh curves everywhere


def test_random_networks_are_straight_lines_without_activation_and_bend_with_one():
    assert _max_curvature(ff.random_networks("identity", depth=4)) < 1e-12
    assert _max_curvature(ff.random_networks("relu", depth=2)) > 1e-3
    assert _max_curvature(ff.random_networks("tanh", depth=1)) > 1e-4


def test_describe_layers_counts_weights_and_biases():
    text = ff.describe_layers(ff.linear_stack((2, 64, 64, 1), "tanh"))
    assert "weight (2, 64)" in text and "bias (64,)" in text
    assert "192 parameters" in text and "4160 parameters" in text
    assert text.endswith("total: 4417 parameters")


# --- universal approximation -------------------------------------------------------------------

def test_one_hidden_layer_of_64_units_fits_the_sine():
    fit = ff.fit_network("sine", width=64, depth=1, activation="tanh")
    assert fit.loss[-1] < 1e-3
    assert fit.loss[-1] < fit.loss[0] / 100
    assert fit.n_parameters == 3 * 64 + 1


def test_sine_fit_by_width_is_what_the_notebook_says():
    """One or two units miss the sine; 4 to 16 stall near MSE 0.008, each missing one or two
    of the four humps (8 and 16 miss the first, which 4 fits);
    from 32 units on all four humps are fitted with MSE below 0.001 (400 steps, seed 0)."""
    fits = {w: ff.fit_network("sine", width=w) for w in ff.WIDTHS}
    for width, fit in fits.items():
        mse, humps = fit.loss[-1], ff.parts_fitted(fit, 4)
        if width <= 2:
            assert mse > 0.05 and humps.sum() == 0, width
        elif width <= 16:
            assert 0.005 < mse < 0.01 and 2 <= humps.sum() <= 3, width  # 1 or 2 missed
        else:
            assert mse < 1e-3 and humps.all(), width
    assert ff.parts_fitted(fits[4], 4)[0]
    assert not ff.parts_fitted(fits[8], 4)[0] and not ff.parts_fitted(fits[16], 4)[0]
    losses = [fit.loss[-1] for fit in fits.values()]
    assert losses == sorted(losses, reverse=True)  # the final error never grows with width


def test_identity_activation_can_only_fit_a_line():
    fit = ff.fit_network("sine", width=64, depth=3, activation="identity")
    x, y = ff.curve_data("sine")
    line = np.polyval(np.polyfit(x[:, 0], y[:, 0], 1), x[:, 0])
    assert ff.best_line_mse("sine") == pytest.approx(np.mean((line - y[:, 0]) ** 2))
    assert fit.loss[-1] >= ff.best_line_mse("sine") - 1e-9
    assert fit.loss[-1] < 1.05 * ff.best_line_mse("sine")  # and it gets there


def test_a_learning_rate_that_diverges_gives_a_note_not_nans():
    with np.errstate(all="ignore"):
        fit = ff.fit_network("step", width=128, depth=4, activation="relu", lr=1e4)
    assert "diverged" in fit.note
    assert np.isfinite(fit.loss).all()


def test_curve_targets_and_bad_names():
    x, y = ff.curve_data("sawtooth")
    assert x.shape == y.shape == (97, 1)
    assert y.max() == 1.0  # the grid hits every corner of the sawtooth
    with pytest.raises(ValueError, match="target must be one of"):
        ff.curve_data("square")
    with pytest.raises(ValueError, match="width and depth must be >= 1"):
        ff.make_mlp(width=0)


# --- depth beats width on the sawtooth ---------------------------------------------------------

@pytest.mark.parametrize("folds", [1, 2, 3, 4, 5])
def test_folding_network_computes_the_sawtooth_exactly_with_6k_plus_1_parameters(folds):
    model = ff.folding_network(folds)
    x = np.linspace(0, 1, 1001)[:, None]
    np.testing.assert_allclose(model(x), ff.sawtooth(x, folds), atol=1e-12)
    assert nn.count_parameters(model) == 6 * folds + 1


def test_panel_and_depth_comparison_use_the_same_sawtooth():
    x, y = ff.curve_data("sawtooth")
    np.testing.assert_array_equal(y, ff.sawtooth(x, ff.SAWTOOTH_FOLDS))
    assert ff.depth_versus_width().folds == ff.SAWTOOTH_FOLDS == 4


def test_deep_network_beats_shallow_one_with_equal_parameters():
    result = ff.depth_versus_width(folds=4)
    (_, deep_n, _, deep_mse), (_, shallow_n, _, shallow_mse), (_, exact_n, _, exact_mse) = \
        result.networks
    assert deep_n == shallow_n == 25 and exact_n == 49
    assert deep_mse < 1e-20 and exact_mse < 1e-20
    assert shallow_mse > 0.05  # 8 ReLUs make at most 9 pieces, the sawtooth has 16


def test_one_hidden_layer_never_learns_all_eight_teeth():
    """The notebook: with one hidden layer no width or activation fits all 8 teeth."""
    for activation in ff.PLOTTED_ACTIVATIONS:
        for width in ff.WIDTHS:
            fit = ff.fit_network("sawtooth", width=width, depth=1, activation=activation)
            assert ff.parts_fitted(fit, 8).sum() <= 1, (activation, width)


def test_networks_that_could_represent_the_sawtooth_exactly_do_not_learn_it():
    for activation in ff.PLOTTED_ACTIVATIONS:  # 4 layers of 2 units: 25 parameters suffice
        fit = ff.fit_network("sawtooth", width=2, depth=4, activation=activation)
        assert fit.n_parameters == 25 and fit.loss[-1] > 0.05
        assert not ff.parts_fitted(fit, 8).any()


def test_only_some_deep_wide_networks_learn_all_eight_teeth():
    """The notebook's examples: 4 layers of 64 ReLU or 32 LeakyReLU units fit all 8 teeth,
    4 layers of 128 ReLU units (more parameters) fit none."""
    relu = ff.fit_network("sawtooth", width=64, depth=4, activation="relu")
    assert relu.n_parameters == 12673 and relu.loss[-1] < 1e-3 and ff.parts_fitted(relu, 8).all()
    leaky = ff.fit_network("sawtooth", width=32, depth=4, activation="leaky_relu")
    assert leaky.loss[-1] < 1e-3 and ff.parts_fitted(leaky, 8).all()
    wider = ff.fit_network("sawtooth", width=128, depth=4, activation="relu")
    assert wider.loss[-1] > 0.05 and not ff.parts_fitted(wider, 8).any()


def test_shallow_network_fits_only_as_many_pieces_as_it_has_kinks():
    x = np.linspace(0, 1, 401)[:, None]
    y = ff.sawtooth(x, 4)
    model = ff.shallow_relu_network(np.arange(8) / 16, x, y)  # kinks at the first 8 corners

    def bends(values):  # grid points where the slope changes
        return int((np.abs(np.diff(values[:, 0], n=2)) > 1e-9).sum())

    assert bends(y) == 15 and bends(model(x)) <= 8  # 16 pieces needed, at most 9 available
    assert np.mean((model(x) - y) ** 2) > 0.05


@pytest.mark.parametrize("folds", [1, 2, 3, 4, 6])
def test_exact_sawtooth_needs_linear_parameters_deep_and_exponential_shallow(folds):
    deep, shallow = ff.parameters_for_exact_sawtooth(folds)
    assert deep == nn.count_parameters(ff.folding_network(folds))
    x = np.linspace(0, 1, 2 ** folds * 8 + 1)[:, None]
    y = ff.sawtooth(x, folds)
    corners = np.arange(2 ** folds) / 2 ** folds
    model = ff.shallow_relu_network(corners, x, y)
    assert nn.count_parameters(model) == shallow
    np.testing.assert_allclose(model(x), y, atol=1e-9)


# --- back to the maze --------------------------------------------------------------------------

def _named(fit):
    maze = ff.maze_setting().maze
    return {name: maze.index(cell) for name, cell in maze.named_states.items()}


def test_maze_mlp_beats_the_polynomial_at_the_defaults_only():
    """The notebook: at the defaults the MLP's RMSE on unvisited states (1.41) is below the
    polynomial's (1.72); 3 layers of 8 tanh units and one ReLU unit are worse."""
    fit = ff.fit_maze_mlp()
    assert fit.loss[-1] < fit.loss[0] / 1000
    linear = fit.held_out_rmse(fit.baselines[ff.BASELINE])
    assert linear == pytest.approx(1.72, abs=0.005)
    assert fit.held_out_rmse() == pytest.approx(1.41, abs=0.005)
    assert fit.held_out_rmse(fit.baselines["linear, coordinates"]) > linear
    assert fit.held_out_rmse(fit.baselines["linear, RBF width 1"]) < fit.held_out_rmse()
    assert len(fit.held_out) == 12 and set(fit.held_out).isdisjoint(fit.visited)
    assert fit.n_parameters == 257
    error = {name: abs(fit.estimate[i] - fit.values[i]) for name, i in _named(fit).items()}
    poly = {name: abs(fit.baselines[ff.BASELINE][i] - fit.values[i])
            for name, i in _named(fit).items()}
    assert error["s2"] < poly["s2"] and error["s4"] > error["s2"]  # s4: next to the wall
    narrow = ff.fit_maze_mlp(width=8, depth=3)
    assert narrow.held_out_rmse() == pytest.approx(2.13, abs=0.005)
    assert ff.fit_maze_mlp(width=1, activation="relu").held_out_rmse() > 3.0


def test_maze_mlp_with_identity_is_the_linear_model_on_coordinates():
    fit = ff.fit_maze_mlp(width=8, depth=2, activation="identity")
    linear = fit.held_out_rmse(fit.baselines["linear, coordinates"])
    assert fit.held_out_rmse() == pytest.approx(linear, abs=0.01)


def test_maze_mlp_says_when_its_loss_jumps():
    assert ff.fit_maze_mlp().note == ""
    fit = ff.fit_maze_mlp(lr=0.3)
    factor, step = ff.largest_jump(fit.loss)
    assert factor > 1e6 and fit.loss[step] > fit.loss[0]  # above where it started
    assert fit.note.startswith(f"unstable: at step {step} the loss jumped")
    assert ff.largest_jump([4.0, 1.0, 3.0, 0.5]) == (3.0, 2)


def test_maze_mlp_reports_progress_while_training():
    partial = []
    ff.fit_maze_mlp(steps=300, progress=partial.append)
    assert len(partial) == 6
    assert partial[-1].loss.shape == (300,)
    assert partial[0].loss[-1] > partial[-1].loss[-1]


# --- every panel at every control's min, default and max ---------------------------------------

@pytest.fixture
def projector():
    """The projector style (largest fonts), where labels collide first; default after."""
    style.set_style("projector")
    yield
    style.set_style("default")


def _image_is_png(panel):
    return panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def _readable(panel):
    """The panel's figure fits the projector and no text is cut off or overlaps."""
    assert panel.view.figure.bbox.width <= PROJECTOR_WIDTH
    assert text_problems(panel.view.figure) == [], panel.settings


def test_neural_unit_panel_at_every_extreme(projector):
    panel = ff.neural_unit_panel()
    for name, value, result, message in sweep_panel(panel):
        assert np.isfinite(result.output).all(), (name, value)
        assert result.output.shape == (len(ff.UNIT_GRID), len(ff.UNIT_GRID))
        assert _image_is_png(panel)
        _readable(panel)
        if panel.settings["w1"] == panel.settings["w2"] == 0:
            assert "ignores" in message
        if name == "b" and abs(value) == 5.0:
            assert "outside the square" in message
    panel.set(w1=0.0, w2=0.0)
    assert "ignores its input" in panel.message_text
    assert panel.view.image.get_clim() == (0.0, 6.0)  # no 1e-9 scale at w = 0
    panel.set(w1=-3.0, w2=-3.0, b=-5.0, activation="leaky_relu")  # the longest title
    _readable(panel)
    assert panel.view.axes.get_title() == "leaky_relu(-3 x1 - 3 x2 - 5)"  # not "+ -3"
    panel.set(w1=-2.5, w2=-2.5, b=-4.5)  # the longest title of all
    _readable(panel)
    panel.set(w1=1.0, w2=0.5, b=0.0, activation="relu")
    assert panel.view.axes.get_title() == "relu(1 x1 + 0.5 x2 + 0)"


def test_activation_panel_at_every_extreme_moves_the_markers(projector):
    panel = ff.activation_panel()
    for _, value, result, _ in sweep_panel(panel):
        marker = panel.view.markers["tanh", 0]
        assert marker.get_xdata()[0] == value
        assert marker.get_ydata()[0] == pytest.approx(np.tanh(value))
        assert result.slopes["relu"] == (1.0 if value > 0 else 0.0)
        _readable(panel)


def test_random_networks_panel_at_every_extreme(projector):
    panel = ff.random_networks_panel()
    for name, value, result, _ in sweep_panel(panel):
        straight = _max_curvature(result) < 1e-12
        assert straight == (result.activation == "identity"), (name, value)
        np.testing.assert_array_equal(panel.view.lines[0].get_ydata(), result.y[0])
        _readable(panel)
    panel.set(activation="leaky_relu", depth=4)  # the longest title
    _readable(panel)
    panel.set(depth=1)
    assert panel.view.axes.get_title().endswith("\n1 hidden layer of 16 units")


def test_width_depth_panel_at_every_extreme(projector):
    panel = ff.width_depth_panel()
    for name, value, result, message in sweep_panel(panel):
        assert message == "", (name, value, message)
        assert np.isfinite(result.y_hat).all()
        assert result.loss[-1] < result.loss[0], (name, value)
        np.testing.assert_array_equal(panel.view.fit.get_ydata(), result.y_hat)
        _readable(panel)
        if name == "width" and value == 128:
            assert result.loss[-1] < 1e-3
    assert panel.result.n_parameters == 3 * 16 + 1  # back at the defaults


def test_maze_mlp_panel_trains_only_on_the_button_and_says_the_figure_is_stale():
    panel = ff.maze_mlp_panel()
    first = panel.result
    assert panel.message_text == ""
    panel.controls["width"].value = 1  # a change alone does not retrain ...
    assert panel.result is first
    assert panel.message_text.startswith("settings changed: press Train")  # ... but says so
    panel.button.click()
    assert panel.result is not first and panel.result.n_parameters == 5
    assert panel.message_text == ""


def test_maze_mlp_panel_is_not_stale_when_the_browser_rounds_the_learning_rate():
    panel = ff.maze_mlp_panel()
    panel.controls["lr"].value = 0.01000000000000001  # what JupyterLab's slider sends back
    assert panel.message_text == ""  # so Run All does not end on "settings changed"
    panel.controls["lr"].value = 0.0125
    assert panel.message_text.startswith("settings changed: press Train")


def test_maze_mlp_panel_at_every_extreme(projector):
    panel = ff.maze_mlp_panel()
    for name, value, result, message in sweep_panel(panel):
        assert len(result.loss) <= panel.settings["steps"]
        if "diverged" in message:
            assert np.isnan(result.estimate).all()
        else:
            assert np.isfinite(result.estimate).all(), (name, value)
        assert ("unstable" in message) == (name == "lr" and value > 0.29), (name, value)
        _readable(panel)
        bar_heights = [bar.get_height() for bar in panel.view.named_bars]
        np.testing.assert_allclose(bar_heights, np.nan_to_num(
            result.estimate[panel.view.named_idx]))
        low, high = panel.view.named_bars[0].axes.get_ylim()
        assert low <= min(bar_heights) and max(bar_heights) <= high  # no bar is cut off
    maps = (panel.view.mlp.ax, panel.view.mlp_error.ax)
    assert min(min(ax.bbox.width, ax.bbox.height) for ax in maps) > 180  # px, was about 120


def test_depth_comparison_figure_fits_a_projector(projector):
    figure = ff.plot_depth_comparison(ff.depth_versus_width())
    assert figure.bbox.width <= PROJECTOR_WIDTH
    assert text_problems(figure) == []
    assert min(ax.bbox.height for ax in figure.axes) > 200  # px: was squashed to about 80


def test_large_networks_show_a_busy_cue_and_results_are_kept_for_dragging_back():
    assert ff.fitting_cue(width=128, depth=4) == "fitting a 128x4 network ..."
    assert ff.fitting_cue(width=16, depth=1) == ""  # quick: no cue flashing up
    panel = ff.width_depth_panel()
    assert panel.busy is ff.fitting_cue and panel.cache.size == 64
    first = panel.set(width=32)
    panel.set(width=16)
    assert panel.set(width=32) is first  # from the cache, not trained again


def test_width_depth_panel_trains_small_networks_at_once_and_big_ones_on_the_button():
    panel = ff.width_depth_panel()
    assert panel.button.description == "Train" and panel.button.disabled  # nothing pending
    panel.controls["width"].value = 64  # a change, as from the browser: trained at once
    assert panel.result.n_parameters == 193 and panel.message_text == ""
    panel.controls["depth"].value = 4  # 64 x 4, 12,673 parameters: still at once
    assert panel.result.n_parameters == 12673 and panel.button.disabled
    panel.controls["width"].value = 128  # 128 x 4: waits for the button
    assert panel.result.n_parameters == 12673 and not panel.button.disabled
    assert "press Train" in panel.message_text
    partial = []
    panel._progress = lambda fit, every_seconds=0.0: partial.append(len(fit.loss))
    panel.button.click()  # trains with a live curve (progress every 50 updates)
    assert panel.result.n_parameters == ff.mlp_parameters(128, 4) == 49921
    assert partial[:3] == [50, 100, 150] and panel.button.disabled
    assert not ff.quick_to_fit(width=128, depth=3) and ff.quick_to_fit(width=128, depth=2)


def test_every_quick_width_depth_setting_trains_within_half_a_second_of_cpu():
    """The slowest network trained at every change, 128 x 2, stays well inside the 2 s limit
    (on one BLAS thread, as in the panel)."""
    import time

    from threadpoolctl import threadpool_limits

    quick = [(w, d) for w in ff.WIDTHS for d in range(1, 5) if ff.quick_to_fit(w, d)]
    slowest = max(quick, key=lambda wd: ff.mlp_parameters(*wd))
    assert slowest == (128, 2)
    with threadpool_limits(1):
        start = time.process_time()
        ff.fit_network("sine", *slowest)
        assert time.process_time() - start < 0.5


def test_answer_cells_fold_their_code_so_run_all_shows_no_answer_in_the_source():
    # the printed answers are in the code of each `with answer():` cell: JupyterLab folds a
    # cell's code when its metadata says source_hidden (one click on the cell's bar opens it)
    path = Path(__file__).parent.parent / "notebooks" / "02_feedforward_networks.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    answers = [cell for cell in cells if "with answer():" in "".join(cell["source"])]
    assert len(answers) == 5
    assert all(cell["metadata"].get("jupyter", {}).get("source_hidden") for cell in answers)


def _typical_variation(activation, depth):
    """Median over seeds 0-20 of how much each random network's output varies over x."""
    return np.median([np.ptp(ff.random_networks(activation, depth, seed).y, axis=1)
                      for seed in range(21)])


def test_random_networks_flatten_with_depth_most_of_all_with_sigmoid_but_still_bend():
    # notebook 02, after the random-networks panel
    for activation in ("relu", "leaky_relu", "tanh", "sigmoid"):
        variation = [_typical_variation(activation, depth) for depth in range(1, 5)]
        assert all(np.diff(variation) < 0), (activation, variation)
    relu = [_typical_variation("relu", depth) for depth in range(1, 5)]
    np.testing.assert_allclose(relu, [0.9, 0.3, 0.1, 0.04], rtol=0.25)
    for seed in range(21):
        deep_sigmoid = ff.random_networks("sigmoid", 4, seed)
        assert np.ptp(deep_sigmoid.y, axis=1).max() < 0.004
        assert _max_curvature(deep_sigmoid) > 1e-9  # bent, unlike identity's 1e-16
