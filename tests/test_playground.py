"""The playground: data sets, features, the network, what training reaches, and the panel."""

import time

import ipywidgets as widgets
import numpy as np
import pytest
from conftest import sweep_panel, text_problems

from lecture_utils import feedforward as ff
from lecture_utils import maze as mz
from lecture_utils import nn
from lecture_utils import playground as pg
from lecture_utils.gradcheck import numerical_gradient, relative_error
from lecture_utils.running_example import maze_setting
from lecture_utils.style import WIDGET_FONT_PX, set_style


def accuracies(run):
    return run.record.train_accuracy[-1], run.record.test_accuracy[-1]


# --- data and features --------------------------------------------------------------------

@pytest.mark.parametrize("name", pg.DATASETS)
def test_every_data_set_is_split_and_seeded(name):
    a, b = pg.make_data(name, seed=1), pg.make_data(name, seed=1)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert a.x_train.shape[1] == a.x_test.shape[1] == 2
    if name == "maze":
        setting = maze_setting()
        assert len(a.x_train) == len(setting.visited) and len(a.x_test) == len(setting.unvisited)
        return
    assert len(a.x_train) + len(a.x_test) == pg.N_POINTS and len(a.x_test) == pg.N_POINTS // 2
    other = pg.make_data(name, seed=2)
    assert not np.array_equal(a.x_train, other.x_train)  # regenerate: new points
    if a.classification:
        counts = np.bincount(a.y_train, minlength=a.n_classes)
        assert counts.min() > 0.3 * len(a.y_train) / a.n_classes  # every class is there


def test_noise_moves_the_points_and_the_split_follows_the_test_share():
    clean, noisy = pg.make_data("spiral", noise=0.0), pg.make_data("spiral", noise=0.3)
    assert not np.allclose(clean.x_train, noisy.x_train)
    assert len(pg.make_data("xor", test_fraction=0.2).x_test) == 100


def test_features_are_the_named_functions_of_x1_and_x2():
    x = np.array([[0.5, -2.0], [1.0, 3.0]])
    got = pg.input_features(x, list(pg.FEATURES))
    x1, x2 = x.T
    want = np.column_stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, np.sin(x1), np.sin(x2)])
    assert np.allclose(got, want)
    with pytest.raises(ValueError, match="at least one"):
        pg.input_features(x, [])


def test_bad_settings_raise_a_short_value_error():
    for bad in (dict(data="moons"), dict(features=["x3"]), dict(layers=[9] * 7),
                dict(activation="swish"), dict(optimiser="rmsprop"), dict(lr=0.0),
                dict(features=[])):
        with pytest.raises(ValueError):
            pg.Playground(**bad)


# --- the network and its training ---------------------------------------------------------

def test_network_gradients_with_l2_match_finite_differences():
    run = pg.Playground(data="spiral3", layers=[3, 2], batch_size=250, l2=0.01)
    params = run.model.parameters()

    def penalised_loss():
        data = run.loss(run.model(run.inputs_train), run.targets_train)
        return data + run.l2 * sum(float((w.data ** 2).sum()) for w in run.weights)

    run.optimiser.zero_grad()
    run.loss(run.model(run.inputs_train), run.targets_train)
    run.model.backward(run.loss.backward())
    for w in run.weights:
        w.grad += 2 * run.l2 * w.data
    for p in params:
        def f(v, p=p):
            old = p.data.copy()
            p.data[...] = v
            value = penalised_loss()
            p.data[...] = old
            return value
        assert relative_error(p.grad, numerical_gradient(f, p.data.copy())) < 1e-6


def test_one_step_is_the_slide_loop_on_the_first_batch():
    run = pg.Playground(data="circle", layers=[3], optimiser="sgd", lr=0.1, batch_size=10)
    before = [p.data.copy() for p in run.model.parameters()]
    batch = next(pg.batch_stream(len(run.inputs_train), 10, run.seed))
    model = pg.build_network(2, [3], "tanh", 2, seed=0)
    loss = nn.CrossEntropyLoss()
    value = loss(model(run.inputs_train[batch]), run.targets_train[batch])
    model.backward(loss.backward())
    assert run.step() == pytest.approx(value)
    for p, old, q in zip(run.model.parameters(), before, model.parameters(), strict=True):
        assert np.allclose(p.data, old - 0.1 * q.grad)


def test_xor_without_a_hidden_layer_stays_at_most_65_percent_on_raw_inputs():
    run = pg.train_playground(2000, data="xor", layers=[], lr=0.03, seed=0)  # the scene's
    assert max(accuracies(run)) <= 0.65, accuracies(run)
    # other seeds: a line gets at most about 2/3 of XOR's four quadrants right (it can cut off
    # a corner of one quadrant), and training finds less than that or about that
    for seed in range(1, 5):
        run = pg.train_playground(2000, data="xor", layers=[], lr=0.03, seed=seed)
        assert max(accuracies(run)) <= 0.70, (seed, accuracies(run))


def test_xor_reaches_95_percent_with_four_tanh_units_or_with_the_product_feature():
    hidden = pg.train_playground(2000, data="xor", layers=[4], activation="tanh", lr=0.03)
    product = pg.train_playground(2000, data="xor", layers=[], lr=0.03,
                                  features=["x1", "x2", "x1*x2"])
    assert min(accuracies(hidden)) >= 0.95, accuracies(hidden)
    assert min(accuracies(product)) >= 0.95, accuracies(product)


def test_circle_reaches_95_percent_with_the_squares_and_no_hidden_layer():
    run = pg.train_playground(2000, data="circle", layers=[], lr=0.03,
                              features=["x1^2", "x2^2"])
    raw = pg.train_playground(2000, data="circle", layers=[], lr=0.03)
    assert min(accuracies(run)) >= 0.95, accuracies(run)
    assert max(accuracies(raw)) <= 0.70, accuracies(raw)  # a line cannot cut out a disc


def test_three_class_spiral_at_low_noise_reaches_90_percent_with_two_layers_of_8_and_adam():
    run = pg.train_playground(3000, data="spiral3", noise=0.05, layers=[8, 8],
                              optimiser="adam", lr=0.03)
    assert run.data.n_classes == 3
    assert run.record.train_accuracy[-1] >= 0.90, accuracies(run)


MAZE_SCENE = dict(data="maze", features=["x1", "x2"], layers=[8], activation="tanh",
                  optimiser="adam", lr=0.01, batch_size=25, seed=0)


def test_maze_scene_gives_notebook_02s_maze_mlp_numbers():
    fit = ff.fit_maze_mlp(width=8, depth=1, activation="tanh", steps=2000, lr=0.01, seed=0)
    run = pg.Playground(**MAZE_SCENE)
    losses = [run.step() for _ in range(2000)]
    setting = maze_setting()
    estimate = pg.VALUE_SCALE * run.model(mz.normalised_coordinates(setting.maze))[:, 0]
    assert np.allclose(estimate, fit.estimate, rtol=0, atol=1e-9)
    assert np.allclose(np.array(losses) * pg.VALUE_SCALE ** 2, fit.loss, rtol=1e-9)
    assert setting.unvisited_rmse(estimate) == pytest.approx(fit.held_out_rmse(), rel=1e-9)
    # the test loss is the held-out error: RMSE^2 / 100 in the units of V^pi / 10
    assert run.record.test_loss[-1] * pg.VALUE_SCALE ** 2 == pytest.approx(
        fit.held_out_rmse() ** 2, rel=1e-9)


def test_changing_the_learning_rate_mid_run_takes_effect_at_the_next_step():
    run = pg.Playground(data="plane", layers=[2], optimiser="sgd", lr=0.01)
    run.step()
    run.configure(lr=0.1)
    before = [p.data.copy() for p in run.model.parameters()]
    run.step()
    grads = [p.grad for p in run.model.parameters()]
    for p, old, g in zip(run.model.parameters(), before, grads, strict=True):
        assert np.allclose(p.data, old - 0.1 * g)


def test_a_diverging_run_says_so():
    run = pg.Playground(data="bumps", layers=[8, 8], activation="relu", optimiser="sgd",
                        lr=1.0, batch_size=1)
    with pytest.raises(FloatingPointError, match="diverged"):
        for _ in range(5000):
            run.step()
    assert "smaller learning rate" in run.note


# --- the call that rebuilds it ------------------------------------------------------------

def test_call_shows_the_settings_that_differ_from_the_defaults():
    assert pg.playground_call(pg.DEFAULTS) == 'playground(data="circle", layers=[4, 2])'
    settings = dict(pg.DEFAULTS, data="spiral", layers=[8, 8], lr=0.01, seed=3)
    assert pg.playground_call(settings) == \
        'playground(data="spiral", layers=[8, 8], lr=0.01, seed=3)'


def test_the_printed_call_rebuilds_the_same_data_and_the_same_weights():
    panel = pg.playground()
    panel.set(data="spiral3", depth=3, units=5, activation="relu", optimiser="momentum",
              lr=0.01, batch_size=25, l2=1e-3, noise=0.2, test_fraction=0.3, seed=7,
              **{"feature x1*x2": True, "feature sin x1": True})
    for _ in range(12):
        panel.loop.step()
    call = panel.call_text
    rebuilt = eval(call, {"playground": pg.playground})
    for _ in range(12):
        rebuilt.loop.step()
    a, b = panel.run, rebuilt.run
    assert rebuilt.call_text == call and b.settings == a.settings
    assert np.array_equal(a.data.x_train, b.data.x_train)
    assert np.array_equal(a.data.y_test, b.data.y_test)
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
    assert a.updates == b.updates == 12


# --- the panel ----------------------------------------------------------------------------

def test_panel_structure_changes_start_a_new_run_and_training_settings_keep_the_weights():
    panel = pg.playground(data="xor", layers=[4])
    for _ in range(5):
        panel.loop.step()
    run = panel.run
    panel.set(lr=0.1, batch_size=50, l2=1e-4, optimiser="sgd")
    assert panel.run is run and run.updates == 5 and run.lr == 0.1 and run.batch_size == 50
    panel.set(depth=2)
    assert panel.run is not run and panel.run.updates == 0 and panel.run.layers == [4, 4]
    panel.set(units=3)
    assert panel.run.layers == [3, 3]
    panel.set(depth=0)
    assert panel.run.layers == [] and panel.controls["chosen"].value == (0, 0)


def test_step_play_pause_and_reset_through_the_panel():
    panel = pg.playground(data="circle")
    panel.loop.step()
    assert panel.run.updates == 1 and "update <span class='lu-update-count'>1</span>" in \
        panel.count.value
    panel.play_button.click()  # outside a kernel: playing, driven by tick()
    assert panel.play_button.description == "Pause"
    panel.loop.tick()
    assert panel.run.updates > 1
    panel.play_button.click()
    assert panel.play_button.description == "Play" and not panel.loop.playing
    panel.reset_button.click()
    assert panel.run.updates == 0
    seed = panel.controls["seed"].value
    panel.regenerate_button.click()
    assert panel.controls["seed"].value == seed + 1 and panel.run.seed == seed + 1


def test_the_call_line_always_shows_the_current_configuration():
    panel = pg.playground()
    panel.set(data="spiral", depth=2, units=8, lr=0.01, seed=3)
    assert panel.call_line.value == \
        '<code>playground(data="spiral", layers=[8, 8], lr=0.01, seed=3)</code>'


def test_a_divergence_while_playing_pauses_with_a_message():
    panel = pg.playground(data="bumps", layers=[8, 8], activation="relu", optimiser="sgd",
                          lr=1.0, batch_size=1)
    panel.loop.steps_per_frame = None
    panel.loop.play()
    for _ in range(200):
        panel.loop.tick()
        if not panel.loop.playing:
            break
    assert not panel.loop.playing and "diverged" in panel.message_text


def test_sweeping_every_control_gives_a_figure_or_a_message(no_warnings):
    panel = pg.playground()
    for name, value, result, message in sweep_panel(panel):
        assert result is not None or message, (name, value)
        if result is not None:
            assert np.isfinite(panel.view.canvas).all()
    panel.set(**{f"feature {f}": False for f in pg.FEATURES})
    assert "at least one" in panel.message_text


def unit_map_pixels(panel, layer, unit):
    """The (side, side, 4) colours of one unit's square in the network picture."""
    sizes = [len(panel.run.features), *panel.run.layers]
    rows, cols = panel.view.slots[sum(sizes[:layer]) + unit]
    return panel.view.canvas[rows, cols]


def test_each_unit_map_shows_that_units_output_over_the_plane():
    panel = pg.playground(data="circle", layers=[3], features=["x1", "x2"])
    w = panel.run.model[0].weight.data[:, 1]
    b = panel.run.model[0].bias.data[1]
    pixels = unit_map_pixels(panel, 1, 1)
    activation = np.tanh(panel.view.small_points @ w + b).reshape(pg.SMALL, pg.SMALL)
    shown = activation[panel.view.up_rows][:, panel.view.up_cols]  # as the square shows it
    high, low = np.unravel_index(shown.argmax(), shown.shape), \
        np.unravel_index(shown.argmin(), shown.shape)
    assert pixels[high][0] > pixels[high][2] + 0.2  # red where the unit is high
    assert pixels[low][2] > pixels[low][0] + 0.2  # blue where it is low


def test_edges_are_coloured_by_sign_and_as_wide_as_the_weight():
    panel = pg.playground(data="xor", layers=[2], features=["x1", "x2"])
    W = panel.run.weights[0].data.ravel()
    widths = panel.view.edges.get_linewidths()[:W.size]
    colours = panel.view.edges.get_colors()[:W.size]
    assert np.argmax(widths) == np.argmax(np.abs(W))
    blue = np.array([c[2] > c[0] for c in colours])
    assert np.array_equal(blue, W >= 0)


@pytest.mark.parametrize("name", ["default", "projector", "dark"])
def test_the_figure_fits_a_projector_and_its_labels_do_not_collide(name):
    set_style(name)
    try:
        panel = pg.playground(data="spiral3", layers=[8, 8, 8, 8, 8, 8],
                              features=list(pg.FEATURES))
        assert panel.view.figure.get_figheight() * panel.view.figure.dpi <= 420
        assert text_problems(panel.view.figure) == []
    finally:
        set_style("default")


def test_redraws_at_least_10_times_a_second_training_2_8_8_1_on_500_points():
    panel = pg.playground(data="plane", layers=[8, 8], test_fraction=0.1)  # 2-8-8-1
    assert len(panel.run.inputs_train) + len(panel.run.inputs_test) == 500
    panel.loop.play()
    for _ in range(3):
        panel.loop.tick()
    draws, cpu = panel.loop.draws, time.process_time()
    while time.process_time() - cpu < 1.0:
        panel.loop.tick()
        if panel.loop.seconds_to_next_frame():  # the task would sleep: here, go on at once
            panel.loop._last_draw -= panel.loop.seconds_to_next_frame()
    rate = (panel.loop.draws - draws) / (time.process_time() - cpu)
    panel.loop.pause()
    assert rate >= 10, f"{rate:.1f} redraws per CPU second"


# --- what the notebook's scenes say -------------------------------------------------------

SPIRAL_SCENE = dict(data="spiral", layers=[8, 8], optimiser="adam", lr=0.01, seed=3)


def test_spiral_scene_tanh_and_relu_both_fit_the_training_points_within_2000_updates():
    for activation in ("tanh", "relu"):
        run = pg.train_playground(2000, activation=activation, **SPIRAL_SCENE)
        assert run.record.train_accuracy[-1] >= 0.95, (activation, accuracies(run))


def test_spiral_scene_relu_surface_is_made_of_straight_pieces_and_tanh_is_curved():
    """Along a line through the plane, ReLU's logits bend only at a few kinks (second
    differences zero almost everywhere); tanh's bend everywhere."""
    t = np.linspace(-3, 3, 601)
    line = np.column_stack([t, 0.4 * t + 0.3])
    bent = {}
    for activation in ("tanh", "relu"):
        run = pg.train_playground(1000, activation=activation, **SPIRAL_SCENE)
        z = run.model(pg.input_features(line, run.features))
        curvature = np.abs(np.diff(z[:, 1] - z[:, 0], 2))
        bent[activation] = np.mean(curvature > 1e-9)
    assert bent["relu"] < 0.05 and bent["tanh"] > 0.95, bent


def test_spiral_scene_at_noise_0_3_relu_overfits_and_one_layer_of_8_underfits():
    """The notebook's "try noise 0.3, or one hidden layer": it said both make the test curve
    part from the training curve; measured, only ReLU at noise 0.3 does (tanh fits less and
    its curves stay together), and one layer of 8 lowers both curves (too few units)."""
    def final(activation, **change):
        record = pg.train_playground(2000, activation=activation,
                                     **dict(SPIRAL_SCENE, **change)).record
        return (record.train_accuracy[-1], record.test_accuracy[-1], record.train_loss[-1],
                record.test_loss[-1])
    train, test, train_loss, test_loss = final("relu", noise=0.3)
    assert train - test > 0.04 and test_loss > 1.5 * train_loss
    train, test, train_loss, test_loss = final("tanh", noise=0.3)
    assert abs(train - test) < 0.04 and abs(test_loss - train_loss) < 0.1
    for activation in ("tanh", "relu"):
        train, test, _, _ = final(activation, layers=[8])
        assert 0.85 < train < 0.95 and abs(train - test) < 0.05


MAZE_CURVED = dict(MAZE_SCENE, layers=[], features=["x1", "x2", "x1^2", "x2^2", "x1*x2"])


def maze_held_out_rmse(run):
    setting = maze_setting()
    return setting.unvisited_rmse(
        pg.VALUE_SCALE * run.unit_outputs(mz.normalised_coordinates(setting.maze))[-1][:, 0])


def test_maze_scene_the_mlp_on_coordinates_beats_curved_features_without_a_hidden_layer():
    numbers = {name: maze_held_out_rmse(pg.train_playground(2000, **config))
               for name, config in [("mlp", MAZE_SCENE), ("curved", MAZE_CURVED),
                                    ("line", dict(MAZE_SCENE, layers=[])),
                                    ("mlp curved", dict(MAZE_SCENE, features=MAZE_CURVED[
                                        "features"]))]}
    rounded = {k: round(v, 2) for k, v in numbers.items()}
    assert rounded == {"mlp": 1.48, "curved": 1.94, "line": 2.15, "mlp curved": 1.59}, rounded


def test_on_a_projector_buttons_fit_their_labels_and_feature_boxes_use_the_panel_font():
    """Seen in JupyterLab at 1280x720 in the projector style: "Regenerate" was cut to
    "Regen...", the check box labels stayed at 13 px beside 20-px slider labels, and the
    panel was 774 px tall (the figure is now 390 px, not 420)."""
    set_style("projector")
    try:
        panel = pg.playground(data="xor", layers=[])
        buttons = (panel.play_button, panel.step_button, panel.reset_button,
                   panel.regenerate_button)
        assert all(button.layout.width == "auto" for button in buttons)
        css = [child.value for child in panel.widget.children
               if isinstance(child, widgets.HTML) and "lu-features" in child.value]
        size = WIDGET_FONT_PX["projector"]
        assert len(css) == 1 and f".widget-label-basic {{font-size: {size}px;}}" in css[0]
        assert panel.view.figure.get_figheight() * panel.view.figure.dpi <= 390
    finally:
        set_style("default")


def test_the_loss_legend_sits_where_curves_are_not():
    """Lower left: a flat XOR loss runs along the top, a falling one ends bottom right."""
    panel = pg.playground(data="xor", layers=[])
    assert panel.view.loss_ax.get_legend()._loc == 3  # "lower left"


@pytest.mark.parametrize("name", ["default", "projector"])
def test_the_controls_sit_three_to_a_row_on_a_1100_px_notebook(name):
    """In JupyterLab at 1280x720 the notebook is 1100 px wide: the shared grid's controls
    gave two columns and seven rows (a 774-px panel on the projector, 655 px now)."""
    set_style(name)
    try:
        panel = pg.playground(data="xor", layers=[])
        grid = panel.widget.children[1]
        width = int(grid.layout.grid_template_columns.split(", ")[1].removesuffix("px)"))
        assert 3 * width + 2 * 16 <= 1100 and len(grid.children) == 12
        labels = {control.description for control in grid.children}
        assert max(len(label) for label in labels) <= 13  # "updates/frame" fits its label box
    finally:
        set_style("default")


def test_a_control_waits_while_the_live_loop_holds_its_lock():
    """A slider handled on a subshell thread during Play once rebuilt the figure while the
    loop drew it ("raster overflow" in JupyterLab's log): callbacks take the loop's lock."""
    import threading
    panel = pg.playground(data="xor", layers=[])
    held, release = threading.Event(), threading.Event()

    def hold():
        with panel.loop.lock:
            held.set()
            release.wait(1.0)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(1.0)
    threading.Timer(0.15, release.set).start()
    start = time.perf_counter()
    panel.controls["noise"].value = 0.2  # a new run, drawn only once the lock is free
    waited = time.perf_counter() - start
    holder.join()
    assert waited >= 0.1 and panel.run.config["noise"] == 0.2
