"""Notebook 04's demos: each compute function gives the numbers the notebook claims."""

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import sweep_panel, text_problems
from threadpoolctl import threadpool_limits

from lecture_utils import convolution as cv
from lecture_utils import nn
from lecture_utils.running_example import maze_setting
from lecture_utils.style import set_style

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("no_warnings")  # a warning fails the test


def slide_formula(x, W, i, j):
    """y_ij = sum_{a=1..k} sum_{b=1..k} W_ab x_(i+a-1, j+b-1), written with 1-based indices."""
    k = W.shape[0]
    return sum(W[a - 1, b - 1] * x[i + a - 2, j + b - 2]
               for a in range(1, k + 1) for b in range(1, k + 1))


def conv2d_layer(W, padding=0, stride=1):
    """nn.Conv2d with one input and one output channel, weight W and no bias."""
    layer = nn.Conv2d(1, 1, W.shape[0], stride=stride, padding=padding)
    layer.weight.data[0, 0] = W
    layer.bias.data[:] = 0.0
    return layer


# --- 1. the formula ----------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_stepper_equals_the_slide_formula_and_nn_conv2d(k):
    rng = np.random.default_rng(k)
    x, W = rng.normal(size=(7, 8)), rng.normal(size=(k, k))
    y = cv.correlate2d(x, W)
    by_hand = np.array([[slide_formula(x, W, i, j) for j in range(1, 8 - k + 2)]
                        for i in range(1, 7 - k + 2)])
    np.testing.assert_allclose(y, by_hand, atol=1e-12)
    np.testing.assert_allclose(y, conv2d_layer(W)(x[None, None])[0, 0], atol=1e-12)
    for i, j in [(1, 1), (7 - k + 1, 8 - k + 1), (2, 1)]:
        if i <= y.shape[0] and j <= y.shape[1]:
            value, patch = cv.correlation_entry(x, W, i, j)
            assert value == pytest.approx(slide_formula(x, W, i, j), abs=1e-12)
            np.testing.assert_array_equal(patch, x[i - 1:i - 1 + k, j - 1:j - 1 + k])


@pytest.mark.parametrize("padding, stride", list(itertools.product([0, 1, 2], [1, 2, 3])))
def test_padding_and_stride_agree_with_nn_conv2d(padding, stride):
    rng = np.random.default_rng(10 * padding + stride)
    x, W = rng.normal(size=(9, 7)), rng.normal(size=(3, 3))
    y = cv.correlate2d(x, W, padding, stride)
    np.testing.assert_allclose(y, conv2d_layer(W, padding, stride)(x[None, None])[0, 0],
                               atol=1e-12)
    for i, j in itertools.product(range(1, y.shape[0] + 1), range(1, y.shape[1] + 1)):
        assert cv.correlation_entry(x, W, i, j, padding, stride)[0] == pytest.approx(
            y[i - 1, j - 1], abs=1e-12)


def test_output_size_formula_holds_over_a_grid_of_settings():
    rng = np.random.default_rng(0)
    checked = 0
    for n, k, p, s in itertools.product(range(1, 13), range(1, 6), range(0, 3), range(1, 4)):
        if k > n + 2 * p:
            with pytest.raises(ValueError, match="larger than the padded image"):
                cv.output_size(n, k, p, s)
            continue
        size = cv.output_size(n, k, p, s)
        assert size == (n + 2 * p - k) // s + 1
        y = cv.correlate2d(rng.normal(size=(n, n)), rng.normal(size=(k, k)), p, s)
        assert y.shape == (size, size)
        checked += 1
    assert checked > 500


def test_true_convolution_flips_the_kernel():
    rng = np.random.default_rng(3)
    x, W = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    assert not np.allclose(cv.true_convolution2d(x, W), cv.correlate2d(x, W))
    np.testing.assert_allclose(cv.true_convolution2d(x, W), cv.correlate2d(x, W[::-1, ::-1]))
    symmetric = np.ones((3, 3))
    np.testing.assert_allclose(cv.true_convolution2d(x, symmetric), cv.correlate2d(x, symmetric))


def test_an_entry_outside_the_output_is_refused():
    with pytest.raises(ValueError, match="outside the 5x5 output"):
        cv.correlation_entry(np.zeros((7, 7)), np.ones((3, 3)), 6, 1)


# --- 2. parameter sharing ----------------------------------------------


def test_calculator_gives_the_slides_two_counts():
    # a 128x128 RGB image: a dense layer of 128 units against sixteen 5x5 filters
    assert cv.dense_parameter_count(128, 3, 128) == 6_291_584
    assert cv.conv_parameter_count(3, 16, 5) == 1_216


def test_parameter_counts_equal_the_engine_layers():
    assert cv.conv_parameter_count(3, 16, 5) == nn.count_parameters(nn.Conv2d(3, 16, 5))
    assert cv.dense_parameter_count(8, 3, 10) == nn.count_parameters(nn.Linear(8 * 8 * 3, 10))


# --- 3. equivariance ----------------------------------------------


def test_shift_image_moves_the_pixels_and_fills_with_zeros():
    x = np.arange(16.0).reshape(4, 4)
    shifted = cv.shift_image(x, 1, -1)
    np.testing.assert_array_equal(shifted[1:, :3], x[:3, 1:])
    assert (shifted[0] == 0).all() and (shifted[:, 3] == 0).all()
    np.testing.assert_array_equal(cv.shift_image(x, 0, 0), x)


@pytest.mark.parametrize("rows, cols", list(itertools.product(range(-3, 4), range(-3, 4))))
def test_conv_map_shifts_exactly_with_the_pattern_and_the_dense_response_does_not(rows, cols):
    result = cv.equivariance(rows, cols)
    assert result.conv_error < 1e-12  # away from the borders: exact
    if (rows, cols) != (0, 0):
        assert result.dense_error > 0.3


def test_equivariance_breaks_only_when_the_pattern_reaches_the_border():
    # the pattern's feature map spans rows 3..8: a shift of 5 pushes it off the 12x12 grid
    assert cv.equivariance(4, 0).conv_error == 0.0
    assert cv.equivariance(5, 0).conv_error > 0.5 and cv.equivariance(0, -5).conv_error > 0.5
    assert cv.equivariance(0, 0).dense_error == 0.0


# --- 4. generalisation to unvisited cells ----------------------------------------------


def test_most_unvisited_cells_are_blocked_only_on_the_right_which_no_visited_cell_is():
    setting = maze_setting()
    labels = cv.blocked_moves(setting.maze)
    assert len(setting.unvisited) == 12 and {"s2", "s4"} <= {
        name for name, cell in setting.maze.named_states.items()
        if setting.maze.index(cell) in setting.unvisited}
    right_only = [0, 1, 0, 0]
    assert labels[setting.unvisited, 1].all()  # right blocked in every unvisited cell
    assert (labels[setting.unvisited] == right_only).all(axis=1).sum() == 10
    visited = labels[setting.visited]
    assert not (visited == right_only).all(axis=1).any()
    _, flipped = cv.mirror(cv.framed_images(setting.maze)[setting.visited], visited)
    assert (flipped == right_only).all(axis=1).sum() == 10  # the mirror shows it


def test_blocked_moves_follow_the_walls_and_the_frame():
    maze = maze_setting().maze
    labels = cv.blocked_moves(maze)
    assert labels[maze.index((0, 0))].tolist() == [1, 0, 0, 1]  # top-left corner
    assert labels[maze.index((3, 1))].tolist() == [0, 1, 0, 0]  # s2: the wall on its right
    images = cv.framed_images(maze)
    assert images.shape == (37, 3, 9, 9) and (images[:, 0, 0] == 1).all()


@pytest.fixture(scope="module")
def runs():
    """generalisation() for seeds 0..10 (the seed slider's range), mirrored and not."""
    with threadpool_limits(1):
        return {(seed, m): cv.generalisation(seed=seed, mirrored=m)
                for seed in range(11) for m in (True, False)}


def test_cnn_beats_the_flat_mlp_on_unvisited_cells_for_every_seed(runs):
    for seed in range(11):
        result = runs[seed, True]
        assert result.accuracy("cnn") >= 0.93, seed
        assert result.accuracy("mlp") <= 0.53, seed
        assert result.accuracy("cnn") - result.accuracy("mlp") >= 0.4, seed
        assert result.accuracy("cnn", maze_setting().visited) >= 0.98
        assert result.accuracy("mlp", maze_setting().visited) >= 0.9
    assert runs[0, True].accuracy("cnn") == 1.0
    assert runs[0, True].parameters == {"cnn": 260, "mlp": 3972}


def test_without_the_mirrored_images_the_cnn_misses_the_right_hand_walls(runs):
    accuracies = [runs[seed, False].accuracy("cnn") for seed in range(11)]
    assert 0.52 <= min(accuracies) and max(accuracies) <= 0.98
    assert runs[0, False].move_accuracy("cnn")[1] < 0.1  # seed 0: right is the move it misses
    assert all(runs[seed, False].accuracy("mlp") <= 0.48 for seed in range(11))


def test_the_flat_mlp_guesses_what_was_common_in_training(runs):
    result = runs[0, False]
    # at unvisited cells the agent pixel's weights are untrained: the MLP predicts up and down
    # free, right free, left blocked, as in most visited cells: 22 of 48 pairs right
    assert result.predicted["mlp"][result.unvisited].tolist() == [[False, False, False, True]] * 12
    assert result.accuracy("mlp") == pytest.approx(22 / 48)


def test_generalisation_reports_progress_with_growing_losses():
    seen = []
    with threadpool_limits(1):
        cv.generalisation(updates=60, progress=lambda r: seen.append(
            (len(r.losses["cnn"]), len(r.losses["mlp"]))))
    assert seen[0] == (20, 0) and seen[-1] == (60, 60) and len(seen) == 6


# --- 5. V^pi ----------------------------------------------


def test_on_v_pi_coordinates_do_best_and_the_image_mlp_is_worse_than_the_mean():
    with threadpool_limits(1):
        for seed in range(11):
            result = cv.value_generalisation(seed=seed)
            rmse = {m: result.rmse(m) for m in cv.VALUE_MODELS}
            assert rmse["coordinates_mlp"] < 2.2 and rmse["coordinates_mlp"] < min(
                rmse["cnn"], rmse["image_mlp"]) - 0.5, seed
            assert rmse["image_mlp"] > result.mean_baseline() + 0.5, seed
    assert result.mean_baseline() == pytest.approx(3.48, abs=0.01)


# --- panels --------------------------------------------------------------------------------------


def test_stepper_panel_sweeps_and_shows_the_entry_and_the_map_filled_in_up_to_it():
    panel = cv.stepper_panel()
    for name, value, result, message in sweep_panel(panel):
        assert result is not None, (name, value, message)
        W, (i, j) = result.kernel, (result.i, result.j)
        xp = result.padded
        s, k = result.stride, W.shape[0]
        by_hand = sum(W[a, b] * xp[(i - 1) * s + a, (j - 1) * s + b]
                      for a in range(k) for b in range(k))
        assert result.value == pytest.approx(by_hand, abs=1e-12)
        assert result.output[i - 1, j - 1] == pytest.approx(result.value, abs=1e-12)
        shown = ~np.ma.getmaskarray(panel.view.output.get_array())
        assert shown.sum() == (i - 1) * result.output.shape[1] + j  # filled in raster order
        assert f"= {result.value:.3g}" in panel.view.formula.get_text()
        assert f"= {result.output.shape[0]} (rows and columns)" in panel.view.size.get_text()
        assert result.output.shape[0] == result.output.shape[1]
        assert (panel.view.picture.get_array().shape == xp.shape)


def test_stepper_kernels_do_what_the_notebook_says():
    identity = cv.step_convolution(kernel="identity", padding=1)
    np.testing.assert_array_equal(identity.output, identity.image)  # padding 1 keeps the size
    edges = cv.step_convolution("maze", "vertical edge")
    patches = np.lib.stride_tricks.sliding_window_view(edges.image, (3, 3))
    uniform = patches.min(axis=(2, 3)) == patches.max(axis=(2, 3))
    assert (edges.output[uniform] == 0).all() and (edges.output[~uniform] != 0).any()
    # +3 where a wall column enters the window's left column, -3 where it leaves the right one
    assert edges.output.max() == 3 and edges.output.min() == -3
    horizontal = cv.step_convolution("maze", "horizontal edge")
    assert np.abs(horizontal.output).max() == 1  # the maze's walls end only at their tips
    for name in cv.PICTURES:
        blur = cv.step_convolution(name, "blur")
        assert blur.output.max() <= 1 and blur.output.min() >= 0


def test_a_typed_kernel_is_used_and_a_bad_one_gives_a_message():
    panel = cv.stepper_panel()
    panel.set(kernel="typed below", typed="0 0 0; 0 0 1; 0 0 0")
    np.testing.assert_array_equal(panel.result.kernel, [[0, 0, 0], [0, 0, 1], [0, 0, 0]])
    panel.set(typed="1 2; 3")
    assert panel.result is None and "square" in panel.message_text
    panel.set(typed="a b c")
    assert "numbers only" in panel.message_text
    panel.set(typed="1 1 1 1 1 1; " * 6)
    assert "square, 1x1 to 5x5" in panel.message_text
    panel.set(typed="2")  # a 1x1 kernel scales the picture
    np.testing.assert_array_equal(panel.result.output, 2 * panel.result.image)


def test_stepper_moves_an_entry_beyond_the_output_to_its_edge_with_a_note():
    result = cv.step_convolution(i=12, j=1, stride=3)  # (7 - 3) // 3 + 1 = 2 rows
    assert (result.i, result.j) == (2, 1) and "only 2 rows" in result.note


def test_stepper_texts_stay_readable_at_the_largest_kernel():
    panel = cv.stepper_panel()
    panel.set(kernel="typed below", typed="1 0 0 0 -1; " * 5, picture_name="letter", padding=2)
    assert panel.result.kernel.shape == (5, 5)
    assert text_problems(panel.view.figure) == []


def test_calculator_sweeps_and_shows_the_slides_counts_at_default():
    panel = cv.calculator_panel()
    assert (panel.result.dense, panel.result.conv) == (6_291_584, 1_216)
    assert panel.view.labels[0].get_text().strip().startswith("6,291,584")
    assert panel.view.labels[1].get_text().strip().startswith("1,216")
    for _name, _value, result, _message in sweep_panel(panel):
        assert result.dense == result.image_size ** 2 * result.channels * result.hidden_units \
            + result.hidden_units
        assert result.conv == result.filters * (result.kernel_size ** 2 * result.channels + 1)
        assert panel.view.bars[0].get_width() == result.dense
    doubled = cv.parameter_counts(image_size=256)
    assert doubled.conv == 1_216 and (doubled.dense - 128) == 4 * (6_291_584 - 128)
    assert "does not fit" in cv.parameter_counts(image_size=8, kernel_size=11).note


def test_equivariance_panel_sweeps_and_the_conv_map_always_moves_with_the_pattern():
    panel = cv.equivariance_panel()
    for _name, _value, result, _message in sweep_panel(panel):
        assert result.conv_error < 1e-12
        assert (result.dense_error > 0.3) == (result.shift != (0, 0))
        np.testing.assert_array_equal(panel.view.images[1].get_array(), result.conv_map)


def test_generalisation_panel_sweeps_every_control_and_trains_in_under_3_seconds():
    import time
    panel = cv.generalisation_panel()
    assert panel.button is not None
    for name, value, result, message in sweep_panel(panel):
        assert result is not None and "Traceback" not in message, (name, value)
        assert all(np.isfinite(loss).all() for loss in result.losses.values())
        assert result.parameters["cnn"] < result.parameters["mlp"]
        assert panel.view.filters.get_array().shape == (7, 4 * result.filters.shape[0] - 1)
    start = time.process_time()
    panel.refresh()
    assert time.process_time() - start < 3.0


def test_value_panel_sweeps_and_shows_each_models_error():
    panel = cv.value_panel()
    for name, value, result, message in sweep_panel(panel):
        assert result is not None, (name, value, message)
        heights = [bar.get_height() for bar in panel.view.bars]
        assert heights == pytest.approx([result.rmse(m) for m in cv.VALUE_MODELS])


def test_the_cnn_gives_s2_and_s4_one_value_as_their_surroundings_look_alike():
    maze = maze_setting().maze
    s2, s4 = (maze.index(maze.named_states[n]) for n in ("s2", "s4"))
    images = cv.framed_images(maze)
    # everything within two cells (what 3x3 windows touching the agent see) is the same
    np.testing.assert_array_equal(images[s2, :, 2:7, 0:5], images[s4, :, 2:7, 3:8])
    values = maze_setting().values
    assert values[s4] - values[s2] > 4
    with threadpool_limits(1):
        for seed in range(11):
            estimates = cv.value_generalisation(seed=seed).estimates["cnn"]
            assert estimates[s2] == estimates[s4], seed


def test_the_agent_pixel_of_ten_unvisited_cells_is_dark_in_every_training_image():
    setting = maze_setting()
    images = cv.framed_images(setting.maze)[setting.visited]
    flipped, _ = cv.mirror(images, cv.blocked_moves(setting.maze)[setting.visited])
    lit = np.concatenate([images, flipped])[:, 1].max(axis=0)  # the agent channel, (9, 9)
    never = [i for i in setting.unvisited
             if lit[setting.maze.states[i][0] + 1, setting.maze.states[i][1] + 1] == 0]
    assert len(never) == 10


@pytest.mark.parametrize("style", ["default", "projector", "dark"])
@pytest.mark.parametrize("name", sorted(cv.PANELS))
def test_every_panel_fits_its_figure_and_no_labels_collide_in_every_style(name, style):
    set_style(style)
    try:
        with threadpool_limits(1):
            figure = cv.PANELS[name]().view.figure
        assert figure.get_figheight() * figure.dpi <= 530
        assert text_problems(figure) == []
    finally:
        set_style("default")


@pytest.mark.parametrize("name, what", [("generalisation", "the CNN and the MLP"),
                                        ("value", "the three networks")])
def test_train_panels_show_a_busy_cue_while_they_train(name, what):
    panel = cv.PANELS[name]()
    shown = []  # the message line as the first progress callback sees it, mid-training
    panel._progress = lambda partial: shown.append(panel.message_text)
    panel.set(updates=100)
    assert panel.busy_shown is True
    assert shown and shown[0] == f"training {what} for 100 updates on the visited cells ..."
    assert panel.message_text == ""  # gone once the figure shows the result


def test_equivariance_shift_caption_sits_below_the_input_not_above_the_titles():
    panel = cv.equivariance_panel()
    panel.set(shift_rows=-3, shift_cols=2)
    view = panel.view
    assert view.shift.get_text() == "shifted -3 rows, +2 columns"
    assert view.figure._suptitle is None  # nothing above the three titles
    renderer = view.figure.canvas.get_renderer()
    below = [text.get_window_extent(renderer) for text in (view.shift, *view.errors)]
    images = [ax.get_window_extent(renderer) for ax in view.figure.axes]
    assert all(box.y1 <= image.y0 + 1 for box, image in zip(below, images, strict=True))
    assert len({round(box.y0) for box in below}) == 1  # the three captions on one line


def test_generalisation_figure_is_short_enough_for_a_projector():
    """Question, three rows of controls and this figure: about 560 px at 1280x720 (was 697)."""
    set_style("projector")
    try:
        figure = cv.generalisation_panel().view.figure
        assert figure.get_figheight() * figure.dpi <= 380
        assert text_problems(figure) == []
    finally:
        set_style("default")


@pytest.mark.parametrize("name", ["generalisation", "value"])
def test_the_loss_legend_hides_no_training_curve(name):
    panel = cv.PANELS[name]()
    for updates, seed in ((100, 0), (300, 0), (600, 0), (600, 10)):
        panel.set(updates=updates, filters=16, hidden_units=64, seed=seed)
        lines = list(panel.view.losses.lines.values())
        box = lines[0].axes.get_legend().get_window_extent(panel.view.figure.canvas.get_renderer())
        for line in lines:
            x, y = line.get_transform().transform(line.get_xydata()).T
            inside = (box.x0 <= x) & (x <= box.x1) & (box.y0 <= y) & (y <= box.y1)
            assert not inside.any(), (updates, line.get_label())


def test_the_cnn_needs_enough_filters_as_the_notebook_says():
    """'from 5 filters on every seed reaches 93%, with 2 to 4 some seeds get 71% or less'."""
    with threadpool_limits(1):
        worst = {f: min(cv.generalisation(filters=f, seed=seed).accuracy("cnn")
                        for seed in range(11)) for f in (2, 4, 5)}
    assert worst[5] >= 0.93
    assert worst[2] <= 0.71 and worst[4] <= 0.71


def test_the_notebook_defines_the_words_it_needs_at_first_use():
    """After the learning goals, each term appears first in bold, where it is explained."""
    notebook = json.loads((ROOT / "notebooks" / "04_convolutional_networks.ipynb").read_text())
    text = "\n".join("".join(cell["source"]) for cell in notebook["cells"]
                     if cell["cell_type"] == "markdown")
    text = text[text.index("## 1."):]  # the goals above only name what is coming
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # the solutions come later
    text = re.sub(r"^#.*$", "", text, flags=re.M)  # a heading announces, the text explains
    for term in ("kernel", "padding", "stride", "inductive bias"):
        first = text.lower().index(term)
        assert text[first - 2:first + len(term) + 2].lower() == f"**{term}**", term


@pytest.mark.parametrize("setting", [{"filters": 2}, {"filters": cv.MAX_FILTERS},
                                     {"hidden_units": 4}, {"hidden_units": 64},
                                     {"updates": 100}, {"updates": 600}])
def test_on_v_pi_the_coordinates_win_at_every_sliders_ends(setting):
    """'at every slider's ends it is still the smallest'; the image MLP stays above the mean."""
    with threadpool_limits(1):
        result = cv.value_generalisation(**setting)
    rmse = {m: result.rmse(m) for m in cv.VALUE_MODELS}
    assert rmse["coordinates_mlp"] < min(rmse["cnn"], rmse["image_mlp"]) - 0.5
    assert rmse["image_mlp"] > result.mean_baseline() + 0.4


def test_every_think_first_question_fits_one_projector_line_or_two():
    """At 1054 px (JupyterLab's presentation mode at 1280 px), about 100 characters a line."""
    lengths = {name: len(re.sub("<[^>]+>", "", cv.PANELS[name]().widget.children[0].value))
               for name in cv.PANELS}
    assert lengths["stepper"] <= 95  # the tallest panel: one line
    assert all(length <= 200 for length in lengths.values()), lengths
