"""Notebook 02's demos: each compute function gives the numbers the notebook claims."""

import warnings

import numpy as np
import pytest
from conftest import sweep_panel

from lecture_utils import feedforward as ff
from lecture_utils import nn
from lecture_utils.gradcheck import numerical_gradient


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


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


def test_wider_networks_fit_better():
    losses = [ff.fit_network("sine", width=w).loss[-1] for w in (1, 4, 64)]
    assert losses[0] > 10 * losses[1] > 10 * losses[2]


def test_identity_activation_can_only_fit_a_line():
    fit = ff.fit_network("sine", width=64, depth=3, activation="identity")
    x, y = ff.curve_data("sine")
    best_line = np.polyfit(x[:, 0], y[:, 0], 1)
    best = np.mean((np.polyval(best_line, x[:, 0]) - y[:, 0]) ** 2)
    assert fit.loss[-1] >= best - 1e-9


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


def test_training_does_not_find_the_sawtooth_that_the_networks_could_represent():
    # the notebook's point: representing is not learning (400 steps from a random start)
    assert ff.fit_network("sawtooth", width=2, depth=4, activation="relu").loss[-1] > 0.05
    assert ff.fit_network("sawtooth", width=128, depth=1, activation="relu").loss[-1] > 0.01


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

def test_maze_mlp_beats_the_default_linear_model_on_unvisited_states():
    fit = ff.fit_maze_mlp()
    assert fit.loss[-1] < fit.loss[0] / 1000
    linear = fit.held_out_rmse(fit.baselines[ff.BASELINE])
    assert fit.held_out_rmse() < 0.9 * linear
    assert fit.held_out_rmse(fit.baselines["linear, coordinates"]) > linear
    assert len(fit.held_out) == 12 and set(fit.held_out).isdisjoint(fit.visited)


def test_maze_mlp_reports_progress_while_training():
    partial = []
    ff.fit_maze_mlp(steps=300, progress=partial.append)
    assert len(partial) == 6
    assert partial[-1].loss.shape == (300,)
    assert partial[0].loss[-1] > partial[-1].loss[-1]


# --- every panel at every control's min, default and max ---------------------------------------

def _image_is_png(panel):
    return panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_neural_unit_panel_at_every_extreme():
    panel = ff.neural_unit_panel()
    for name, value, result, message in sweep_panel(panel):
        assert np.isfinite(result.output).all(), (name, value)
        assert result.output.shape == (len(ff.UNIT_GRID), len(ff.UNIT_GRID))
        assert _image_is_png(panel)
        if panel.settings["w1"] == panel.settings["w2"] == 0:
            assert "ignores" in message
        if name == "b" and abs(value) == 5.0:
            assert "outside the square" in message
    panel.set(w1=0.0, w2=0.0)
    assert "ignores its input" in panel.message_text
    low, high = panel.view.image.get_clim()
    assert high > low


def test_activation_panel_at_every_extreme_moves_the_markers():
    panel = ff.activation_panel()
    for _, value, result, _ in sweep_panel(panel):
        marker = panel.view.markers["tanh", 0]
        assert marker.get_xdata()[0] == value
        assert marker.get_ydata()[0] == pytest.approx(np.tanh(value))
        assert result.slopes["relu"] == (1.0 if value > 0 else 0.0)


def test_random_networks_panel_at_every_extreme():
    panel = ff.random_networks_panel()
    for name, value, result, _ in sweep_panel(panel):
        straight = _max_curvature(result) < 1e-12
        assert straight == (result.activation == "identity"), (name, value)
        np.testing.assert_array_equal(panel.view.lines[0].get_ydata(), result.y[0])


def test_width_depth_panel_at_every_extreme():
    panel = ff.width_depth_panel()
    for name, value, result, message in sweep_panel(panel):
        assert message == "", (name, value, message)
        assert np.isfinite(result.y_hat).all()
        assert result.loss[-1] < result.loss[0], (name, value)
        np.testing.assert_array_equal(panel.view.fit.get_ydata(), result.y_hat)
        if name == "width" and value == 128:
            assert result.loss[-1] < 1e-3
    assert panel.result.n_parameters == 3 * 16 + 1  # back at the defaults


def test_maze_mlp_panel_trains_only_on_the_button():
    panel = ff.maze_mlp_panel()
    first = panel.result
    panel.controls["steps"].value = 100  # a change alone does not retrain
    assert panel.result is first
    panel.button.click()
    assert panel.result is not first and len(panel.result.loss) == 100


def test_maze_mlp_panel_at_every_extreme():
    panel = ff.maze_mlp_panel()
    for name, value, result, message in sweep_panel(panel):
        assert len(result.loss) <= panel.settings["steps"]
        if message:
            assert "diverged" in message and np.isnan(result.estimate).all()
        else:
            assert np.isfinite(result.estimate).all(), (name, value)
        bar_heights = [bar.get_height() for bar in panel.view.named_bars]
        np.testing.assert_allclose(bar_heights, np.nan_to_num(
            result.estimate[panel.view.named_idx]))
        low, high = panel.view.named_bars[0].axes.get_ylim()
        assert low <= min(bar_heights) and max(bar_heights) <= high  # no bar is cut off


def test_large_networks_show_a_busy_cue_and_results_are_kept_for_dragging_back():
    assert ff.fitting_cue(width=128, depth=4) == "fitting a 128x4 network ..."
    assert ff.fitting_cue(width=16, depth=1) == ""  # quick: no cue flashing up
    panel = ff.width_depth_panel()
    assert panel.busy is ff.fitting_cue and panel.cache.size == 64
    first = panel.set(width=32)
    panel.set(width=16)
    assert panel.set(width=32) is first  # from the cache, not trained again
