"""Notebook 03's demos: each compute function gives the numbers the notebook claims."""


import numpy as np
import pytest
from conftest import sweep_panel

from lecture_utils import training as tr
from lecture_utils.optim import SGD, Adam
from lecture_utils.running_example import maze_setting

pytestmark = pytest.mark.usefixtures("no_warnings")  # a warning fails the test


# --- the data and the two-parameter loss ---------------------------------------------------------

def test_returns_are_discounted_sums_of_the_rewards_that_follow():
    rewards = np.array([-1.0, -1.0, -1.0])
    np.testing.assert_allclose(tr.discounted_returns(rewards, gamma=0.5), [-1.75, -1.5, -1.0])


def test_monte_carlo_returns_are_thousands_of_samples_that_average_to_v_pi():
    data = tr.monte_carlo_returns()
    assert 2000 <= data.n <= 2500 and data.x.shape == data.y.shape == (data.n, 1)
    assert 0.0 <= data.x.min() and data.x.max() == 1.0  # scaled distance to G
    values = maze_setting().values
    counts = np.bincount(data.states, minlength=len(values))
    sums = np.bincount(data.states, weights=data.y[:, 0], minlength=len(values))
    well_sampled = counts >= 50
    assert well_sampled.sum() >= 15
    mean_return = sums[well_sampled] / counts[well_sampled]
    assert np.abs(mean_return - values[well_sampled]).max() < 1.0  # unbiased, 50+ samples each


def test_quadratic_loss_matches_the_mse_of_the_model():
    data, loss = tr.monte_carlo_returns(), tr.returns_loss()
    for theta in [(0.0, 0.0), tr.START, (-12.0, -3.0)]:
        prediction = tr.linear_model(theta)(data.x)
        assert loss(np.array(theta)) == pytest.approx(np.mean((prediction - data.y) ** 2))
    low, high = loss.curvatures
    assert 0 < low < high and loss.stability_limit == pytest.approx(2 / high)


def test_gradient_descent_reaches_the_least_squares_optimum():
    loss = tr.returns_loss()
    run = tr.run_method("gd", lr=0.8, updates=400)
    np.testing.assert_allclose(run.path[-1], loss.optimum, atol=1e-6)
    assert run.loss[-1] - loss(loss.optimum) < 1e-10 and run.diverged_at is None


def test_minibatch_with_batch_size_n_is_gradient_descent():
    n = tr.monte_carlo_returns().n
    gd = tr.run_method("gd", lr=0.4, updates=30)
    full = tr.run_method("minibatch", lr=0.4, updates=30, batch_size=n, seed=5)
    np.testing.assert_array_equal(full.path, gd.path)


def test_sgd_draws_one_sample_and_gd_all_per_update():
    n = tr.monte_carlo_returns().n
    result = tr.compare_paths(lr=0.4, batch_size=64, updates=20)
    np.testing.assert_array_equal(result.run("gd").gradient_evaluations, np.arange(21) * n)
    np.testing.assert_array_equal(result.run("sgd").gradient_evaluations, np.arange(21))
    np.testing.assert_array_equal(result.run("minibatch").gradient_evaluations,
                                  np.arange(21) * 64)


@pytest.mark.parametrize("factor", [1.03, 1.05, 1.5])
def test_learning_rate_above_two_over_lambda_max_is_reported_as_diverged(factor):
    limit = tr.returns_loss().stability_limit
    result = tr.compare_paths(lr=factor * limit)
    assert result.run("gd").diverged_at is not None
    assert f"GD diverged at update {result.run('gd').diverged_at}" in result.note
    assert "above 2/lambda_max" in result.note
    assert np.isfinite(result.run("gd").path).all()


def lr_slider_values(low, high):
    """The paths panel's log-slider learning rates (10^(-2 + 0.02 k)) in [low, high]."""
    values = 10.0 ** np.arange(-2.0, np.log10(tr.LR_RANGE[1]) + 1e-9, 0.02)
    return [float(v) for v in values if low <= v <= high]


def test_every_learning_rate_on_the_slider_past_the_red_mark_says_gd_diverged():
    limit = tr.returns_loss().stability_limit
    above = lr_slider_values(limit, tr.LR_RANGE[1])
    assert len(above) >= 5
    for lr in above:  # the notebook: past the red mark the panel says "diverged at update k"
        result = tr.compare_paths(lr=lr)
        assert f"GD diverged at update {result.run('gd').diverged_at}" in result.note, lr
        assert all(np.isfinite(run.loss).all() for run in result.runs)
    for lr in lr_slider_values(0.0, 0.97 * limit):
        assert tr.compare_paths(lr=lr).run("gd").diverged_at is None, lr


def test_learning_rate_just_below_two_over_lambda_max_converges():
    loss = tr.returns_loss()
    result = tr.compare_paths(lr=0.97 * loss.stability_limit, updates=200)
    gd = result.run("gd")
    assert gd.diverged_at is None and "GD" not in result.note
    assert gd.loss[-1] - result.best_loss < 1e-6 * (gd.loss[0] - result.best_loss)


def test_at_the_defaults_minibatch_settles_first_in_gradient_evaluations_and_sgd_never():
    rows = {name: row for name, *row in tr.reaching_table(tr.compare_paths())}
    gd_updates, gd_evaluations, _ = rows["GD"]
    mb_updates, mb_evaluations, _ = rows["mini-batch"]
    assert gd_updates == 61 and mb_updates == 72  # measured
    assert mb_evaluations * 25 < gd_evaluations
    assert rows["SGD"][0] is None  # too noisy at lr 0.4 to stay near the optimum


def test_in_seconds_the_gap_is_smaller_than_in_gradient_evaluations():
    rows = {name: row for name, *row in tr.reaching_table(tr.compare_paths())}
    (_, gd_evaluations, gd_ms), (_, mb_evaluations, mb_ms) = rows["GD"], rows["mini-batch"]
    assert gd_ms / mb_ms < gd_evaluations / mb_evaluations  # Python's overhead per update


def test_near_the_limit_single_samples_can_blow_up_where_gd_does_not():
    limit = tr.returns_loss().stability_limit
    near = [tr.compare_paths(lr=0.85, batch_size=8, seed=seed) for seed in range(3)]
    assert 0.85 < limit and all(r.run("gd").diverged_at is None for r in near)
    assert any(r.run("sgd").diverged_at or r.run("minibatch").diverged_at for r in near)
    far = [tr.compare_paths(lr=0.7, batch_size=8, seed=seed) for seed in range(3)]
    assert not any(r.note for r in far)  # well below it: noisy, not diverging


def test_batch_loss_falls_every_update_up_to_lr_0_6_and_full_batch_goes_downhill_below_limit():
    for lr in (0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):  # the Step panel's rates, as the text says
        assert tr.loop_statistics(updates=40, batch_size=16, lr=lr)[0] == 40, lr
    assert tr.loop_statistics(updates=40, batch_size=16, lr=0.8)[0] < 40
    n = tr.monte_carlo_returns().n
    for lr in (0.01, 0.3, 0.6, 0.85):  # below 2/lambda_max = 0.873: always downhill
        assert tr.loop_statistics(updates=40, batch_size=n, lr=lr)[1] == 0, lr
    assert tr.loop_statistics(updates=40, batch_size=n, lr=0.9)[1] > 0  # "try 0.9"


def test_step_panel_question_batch_loss_always_falls_full_loss_not_always():
    fell, rose = tr.loop_statistics(updates=40, batch_size=16, lr=0.3)
    assert fell == 40 and rose == 7  # as the notebook's answer prints
    n = tr.monte_carlo_returns().n
    assert tr.loop_statistics(updates=40, batch_size=n, lr=0.3)[1] == 0  # GD: always downhill


def test_training_loop_shows_the_batch_train_draws_and_its_gradient():
    state = tr.training_loop(update=3, batch_size=16, lr=0.3, seed=2)
    assert state.path.shape == (4, 2) and len(state.batch) == 16
    X, y = tr.monte_carlo_returns().design(state.batch)
    step = state.path[-2] - 0.3 * state.gradient  # theta <- theta - lr * gradient of the batch
    np.testing.assert_allclose(step, state.path[-1], atol=1e-12)
    assert state.batch_loss_before == pytest.approx(np.mean((X @ state.path[-2] - y) ** 2))
    assert state.batch_loss_after < state.batch_loss_before


def test_step_button_advances_one_update_and_reset_goes_back():
    panel = tr.training_loop_panel()
    step, reset = panel.step_buttons
    step.click()
    step.click()
    assert panel.settings["update"] == 2 and panel.result.path.shape == (3, 2)
    reset.click()
    assert panel.result.update == 0 and panel.view.step.get_visible() is False


# --- momentum and Adam in the valley ----------------------------------------------------------

def test_momentum_zero_is_plain_gradient_descent():
    result = tr.valley_race(kappa=30, lr=1.2, momentum=0.0)
    np.testing.assert_array_equal(result.run("momentum").path, result.run("gd").path)


def test_momentum_zero_equals_plain_sgd_on_the_maze_data_too():
    from lecture_utils.train import train
    data = tr.monte_carlo_returns()
    a, b = tr.linear_model(), tr.linear_model()
    train(a, data.x, data.y, optimizer=SGD(a.parameters(), 0.3), method="minibatch", steps=20)
    train(b, data.x, data.y, optimizer=SGD(b.parameters(), 0.3, momentum=0.0),
          method="minibatch", steps=20)
    np.testing.assert_array_equal(tr.theta_of(a), tr.theta_of(b))


def test_theory_of_the_best_settings_at_condition_number_100():
    valley = tr.Valley(100.0)
    gd_lr, gd_rate = valley.best_gd()
    alpha, beta, rate = valley.best_momentum()
    assert gd_lr == pytest.approx(2 / 1.01) and gd_rate == pytest.approx(99 / 101)
    assert alpha == pytest.approx((2 / 1.1) ** 2) and beta == pytest.approx((9 / 11) ** 2)
    assert rate == pytest.approx(9 / 11)


def test_momentum_at_its_best_needs_five_times_fewer_updates_than_gd_at_its_best():
    needed = tr.updates_to_reach(kappa=100.0, level=1e-6)
    assert needed["momentum"] * 5 <= needed["gd"]
    assert needed == {"gd": 330, "momentum": 56, "adam": 82}  # the notebook's answer
    assert tr.updates_to_reach(10.0) == {"gd": 34, "momentum": 15, "adam": 82}
    assert tr.updates_to_reach(1000.0) == {"gd": 3282, "momentum": 198, "adam": 82}
    # measured rates agree with the theory: GD's loss falls by rate^2 per update at the end
    valley = tr.Valley(100.0)
    gd_lr, gd_rate = valley.best_gd()
    run = tr.descend(valley, lambda p: SGD(p, gd_lr), 300)
    assert run.loss[-1] / run.loss[-2] == pytest.approx(gd_rate ** 2, rel=1e-3)


def test_momentum_beyond_gds_limit_converges_and_gd_there_diverges():
    alpha, beta, _ = tr.Valley(100.0).best_momentum()
    assert alpha > 2.0  # 2 / lambda_max: GD's limit
    result = tr.valley_race(kappa=100.0, lr=alpha, momentum=beta, updates=100)
    assert result.run("gd").diverged_at is not None
    assert result.run("momentum").diverged_at is None and result.run("momentum").loss[-1] < 1e-4


def test_adam_is_slower_in_a_valley_turned_away_from_the_parameter_axes():
    from lecture_utils import nn

    def adam_updates(angle, kappa=100.0):
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        hessian = turn @ np.diag([1 / kappa, 1.0]) @ turn.T
        theta = nn.Parameter(np.array(tr.VALLEY_START))
        optimizer = Adam([theta], lr=0.1)
        for update in range(1, 5001):
            optimizer.zero_grad()
            theta.grad += hessian @ theta.data
            optimizer.step()
            if 0.5 * theta.data @ hessian @ theta.data <= 1e-6:
                return update
    assert adam_updates(0.0) == tr.updates_to_reach(100.0)["adam"] == 82
    assert adam_updates(np.pi / 4) > 5 * 82  # measured 698


def test_adam_first_step_moves_every_parameter_by_about_the_learning_rate():
    for kappa in (1.0, 100.0, 1000.0):
        run = tr.descend(tr.Valley(kappa), lambda p: Adam(p, lr=0.1), 1)
        np.testing.assert_allclose(np.abs(run.path[1] - run.path[0]), 0.1, rtol=1e-5)  # eps / |g|


def test_divergence_in_the_valley_is_a_message_not_nans():
    result = tr.valley_race(lr=2.5, momentum=0.0)  # above 2 / lambda_max = 2
    gd = result.run("gd")
    assert gd.diverged_at is not None and f"GD diverged at update {gd.diverged_at}" in result.note
    assert np.isfinite(gd.loss).all()
    assert tr.valley_race(lr=1.9).note == ""


def test_valley_rejects_a_condition_number_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        tr.valley_race(kappa=0.5)


# --- backpropagation by hand --------------------------------------------------------------------

@pytest.mark.parametrize("state", ["s1", "s2", "s3", "s4"])
@pytest.mark.parametrize("seed", [0, 7])
def test_walkthrough_gradients_equal_finite_differences(state, seed):
    walk = tr.backprop_walkthrough(state=state, seed=seed)
    assert [step.name for step in walk.steps] == list(tr.BACKPROP_NODES)
    for step in walk.steps:
        assert step.by_hand.shape == step.numerical.shape
        assert step.error < 1e-6, (step.name, step.error)


def test_walkthrough_gradients_are_what_the_engine_computes():
    from lecture_utils import nn
    walk = tr.backprop_walkthrough(state="s3", seed=4)
    f = walk.forward
    first, second = nn.Linear(2, 2), nn.Linear(2, 1)
    first.weight.data[:], first.bias.data[:] = f["W1"], f["b1"]
    second.weight.data[:], second.bias.data[:] = f["W2"], f["b2"]
    model, loss = nn.Sequential(first, nn.Tanh(), second), nn.MSELoss()
    assert loss(model(f["x"]), f["y"]) == pytest.approx(f["L"][0, 0])
    grad_x = model.backward(loss.backward())
    by_hand = {step.name: step.by_hand for step in walk.steps}
    for name, engine in [("W1", first.weight.grad), ("b1", first.bias.grad),
                         ("W2", second.weight.grad), ("b2", second.bias.grad), ("x", grad_x)]:
        np.testing.assert_allclose(by_hand[name], engine, rtol=1e-12, atol=1e-15)


def test_backprop_panel_writes_one_more_gradient_per_step():
    panel = tr.backprop_panel()
    written = []
    for step in range(len(tr.BACKPROP_NODES) + 1):
        panel.set(step=step)
        written.append(sum(bool(t.get_text()) for t in panel.view.gradients.values()))
    assert written == list(range(len(tr.BACKPROP_NODES) + 1))
    assert "relative error" in panel.view.formula.get_text()


# --- the optimisers on the maze MLP ---------------------------------------------------------------

@pytest.fixture(scope="module")
def comparisons():  # the default seed first, then others across the seed slider's range
    return [tr.compare_optimisers(epochs=200, seed=seed) for seed in (0, 1, 2, 10, 20)]


def test_every_optimiser_gets_the_same_budget_of_gradient_evaluations(comparisons):
    result = comparisons[0]
    assert result.budget == 200 * 25
    for run in result.runs:
        assert run.gradient_evaluations[0] == 0 and run.gradient_evaluations[-1] == 5000
        assert len(run.full_loss) >= tr.CURVE_POINTS
    updates = {run.method: run.updates for run in result.runs}
    assert updates == {"gd": 200, "sgd": 5000, "minibatch": 1000, "momentum": 1000,
                       "adam": 1000}


def test_on_one_budget_gd_ends_highest_and_sgd_takes_longest(comparisons):
    for result in comparisons:  # every seed tried, as the notebook's text says
        final = {run.method: run.full_loss[-1] for run in result.runs}
        assert max(final, key=final.get) == "gd"
        seconds = {run.method: run.seconds for run in result.runs}
        assert max(seconds, key=seconds.get) == "sgd" and min(seconds, key=seconds.get) == "gd"


def test_lowest_training_loss_is_not_the_best_on_unvisited_states_at_the_default_seed(
        comparisons):
    runs = comparisons[0].runs
    lowest_loss = min(runs, key=lambda run: run.full_loss[-1])
    best_unvisited = min(runs, key=lambda run: run.unvisited_rmse)
    assert lowest_loss.method != best_unvisited.method
    assert "unvisited RMSE" in tr.comparison_table(comparisons[0])


def test_comparison_grows_live_and_finishes_under_three_seconds():
    import time
    seen = []
    start = time.perf_counter()
    result = tr.compare_optimisers(progress=lambda partial: seen.append(len(partial.runs)))
    assert seen == [1, 2, 3, 4, 5] and len(result.runs) == 5
    assert time.perf_counter() - start < 3.0 * 3  # 1.1 s measured; slack for a busy machine


# --- every panel over its range ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(tr.PANELS))
def test_every_panel_runs_at_every_control_extreme(name):
    panel = tr.PANELS[name]()
    for control, value, result, message in sweep_panel(panel):
        assert result is not None, (control, value, message)
        assert "Traceback" not in message and "nan" not in message.lower()


def test_paths_panel_marks_the_stability_limit_and_says_diverged_past_it():
    panel = tr.paths_panel()
    limit = tr.returns_loss().stability_limit
    line, _ = panel.view.ruler.marks["limit"]
    assert line.get_xdata()[0] == pytest.approx(limit)
    panel.set(lr=2.0)
    assert "GD diverged at update" in panel.message_text
    panel.set(lr=0.4)
    assert panel.message_text == ""


def test_valley_panel_hides_the_theory_until_asked():
    panel = tr.valley_panel()
    assert not any(line.get_visible() for line, _ in panel.view.lr_ruler.marks.values())
    panel.set(show_theory=True)
    marks = panel.view.lr_ruler.marks
    assert marks["gd"][0].get_visible() and marks["gd"][0].get_xdata()[0] == pytest.approx(2 / 1.01)
    assert panel.view.theory["momentum"].get_visible()


def test_notebook_module_is_a_leaf():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(tr))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert not imported & {"function_approximation", "feedforward"}


def test_walkthrough_agrees_with_finite_differences_to_1e_8_for_every_state_and_seed():
    errors = [step.error for state in ("s1", "s2", "s3", "s4") for seed in range(21)
              for step in tr.backprop_walkthrough(state=state, seed=seed).steps]
    assert max(errors) < 1e-8  # the notebook: "better than 10^-8"


@pytest.mark.parametrize("name", sorted(tr.PANELS))
def test_every_panel_figure_fits_a_projector_screen(name):
    from lecture_utils import render
    from lecture_utils.style import set_style
    set_style("projector")
    try:
        png = render.png(tr.PANELS[name]().view.figure)
    finally:
        set_style("default")
    assert int.from_bytes(png[20:24], "big") <= 420  # px: with its controls within 600 px
