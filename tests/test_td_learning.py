"""Notebook 06's demos: each compute function gives the numbers the notebook claims."""

import functools
import time

import numpy as np
import pytest
from conftest import sweep_panel, text_problems

from lecture_utils import style
from lecture_utils import td_learning as td
from lecture_utils.gradcheck import numerical_gradient, relative_error
from lecture_utils.running_example import best_linear_fit

pytestmark = pytest.mark.usefixtures("no_warnings")  # a warning fails the test

X = td.scaled_features(*td.LINEAR_FEATURES)


# --- experience and targets ---------------------------------------------------------------------

def test_td_targets_do_not_bootstrap_from_the_terminal_state():
    targets = td.td_targets(np.array([-1.0, -1.0]), np.array([-5.0, 7.0]),
                            np.array([False, True]), 0.9)
    np.testing.assert_allclose(targets, [-1.0 - 4.5, -1.0])


def test_returns_are_discounted_sums_of_the_rewards_that_follow():
    np.testing.assert_allclose(td.discounted_returns(np.array([-1.0, -1.0, -1.0]), 0.5),
                               [-1.75, -1.5, -1.0])


def test_experience_holds_whole_episodes_from_s_that_end_at_the_goal():
    experience = td.collect_experience(20)
    assert experience.terminal.sum() == 20 and experience.terminal[-1]
    starts = np.flatnonzero(np.r_[True, experience.terminal[:-1]])
    assert len(starts) == 20 and (experience.states[starts] == experience.states[0]).all()
    following = np.r_[experience.returns[1:], 0.0] * ~experience.terminal
    np.testing.assert_allclose(experience.returns,
                               experience.rewards + td.GAMMA * following)  # G = r + gamma G'
    assert 400 <= experience.n <= 700


def test_monte_carlo_regression_approaches_the_least_squares_fit_of_the_true_values():
    """Returns are unbiased samples of V^pi: their least-squares fit tends to V^pi's own fit
    on the same states as episodes grow (the states weighted as often as they are visited)."""
    gaps = [td.monte_carlo_fit_gap(episodes) for episodes in (5, 20, 100, 400)]
    assert all(a > b for a, b in zip(gaps, gaps[1:], strict=False)), gaps
    assert gaps[0] > 1.0 and gaps[-1] < 0.05, gaps


# --- 1. three targets -----------------------------------------------------------------------------

@pytest.mark.parametrize("model", td.MODELS)
def test_td_falls_slower_at_first_and_all_three_targets_end_close(model):
    """The notebook: after about 100 updates TD(0)'s error is at least 1.5 times the Monte
    Carlo one; after all 6000 the three end within 0.2 of each other (defaults, seed 0)."""
    result = td.compare_targets(model)
    early = {run.target: run.rmse[np.searchsorted(run.transitions, 1600)] for run in result.runs}
    assert early["td"] > 1.5 * early["monte_carlo"], early
    final = [run.rmse[-1] for run in result.runs]
    assert max(final) - min(final) < 0.2 and max(final) < 1.0, final
    assert not result.note


def test_at_the_top_learning_rate_the_mlp_monte_carlo_run_diverges_and_td_learns():
    result = td.compare_targets("mlp", lr=0.3)
    note = result.run("monte_carlo").note
    assert "diverged" in note and note in result.note and "smaller learning rate" in result.note
    assert not result.run("td").note and result.run("td").rmse[-1] < 1.0
    for run in result.runs:
        assert np.isfinite(run.rmse).all()


@pytest.mark.parametrize("model", td.MODELS)
def test_training_behind_the_button_takes_under_three_seconds(model):
    start = time.process_time()
    td.compare_targets(model, episodes=200, gamma=0.99)
    assert time.process_time() - start < 3.0


# --- 2-3. semi-gradient, residual gradient, the fixed point ---------------------------------------

def test_the_mean_semi_gradient_update_is_the_average_of_single_updates():
    system, theta = td.linear_td(20), np.linspace(-1, 1, X.shape[1])
    experience = td.collect_experience(20)
    singles = [td.semi_gradient_step(theta, X[s], r, X[s2], end, td.GAMMA, 1.0) - theta
               for s, r, s2, end in zip(experience.states, experience.rewards,
                                        experience.next_states, experience.terminal,
                                        strict=True)]
    np.testing.assert_allclose(system.mean_update(theta, "semi"), np.mean(singles, axis=0),
                               atol=1e-12)


def test_the_residual_update_is_minus_the_true_gradient_of_the_squared_td_error():
    system, theta = td.linear_td(20), np.linspace(-1, 1, X.shape[1])

    def half_mean_squared_td_error(t):
        delta = system.rewards + system.gamma * system.x_next @ t - system.x @ t
        return 0.5 * float(np.mean(delta ** 2))

    gradient = numerical_gradient(half_mean_squared_td_error, theta.copy())
    assert relative_error(system.mean_update(theta, "residual"), -gradient) < 1e-6
    assert relative_error(system.mean_update(theta, "semi"), -gradient) > 0.1  # not a gradient


@pytest.mark.parametrize("episodes", [5, 20, 200])
def test_linear_semi_gradient_td_converges_to_the_closed_form_fixed_point(episodes):
    system = td.linear_td(episodes)
    np.testing.assert_allclose(system.mean_update(system.theta_td), 0.0, atol=1e-12)
    thetas, note = td.run_linear(system, "semi", lr=5.0, updates=3000)
    assert not note and np.abs(thetas[-1] - system.theta_td).max() < 1e-3


def test_fixed_point_panel_default_arrives_within_1e_3():
    result = td.td_fixed_point()
    assert 350 < np.argmax(result.distance < 1e-3) < 450  # "in about 400 updates"
    assert result.distance[-1] < 1e-3
    assert result.td_rmse > result.least_squares_rmse  # notebook 01's fit is better on V^pi


@pytest.mark.parametrize("episodes", [5, 20, 200])
def test_residual_gradient_settles_at_about_twice_the_error_of_semi_gradient_td(episodes):
    system, values = td.linear_td(episodes), td.true_values()
    semi = td.rmse(X @ system.theta_td, values)
    residual = td.rmse(X @ system.theta_residual, values)
    least_squares = td.rmse(best_linear_fit(*td.LINEAR_FEATURES), values)
    assert 1.8 * semi < residual < 2.5 * semi, (semi, residual)
    assert least_squares < semi < 1.0


def test_gradients_panel_default_shows_both_rules_at_their_fixed_points():
    result = td.compare_gradients()
    for rule in td.RULE_NAMES:
        assert abs(result.rmse[rule][-1] - result.fixed_point_rmse[rule]) < 0.01
    assert result.fixed_point_rmse["residual"] > 2 * result.fixed_point_rmse["semi"]


def test_a_learning_rate_too_large_for_linear_td_is_a_message():
    result = td.td_fixed_point(lr=20.0, updates=3000)
    assert "diverged" in result.note and np.isfinite(result.thetas).all()


def test_a_rule_that_diverged_shows_no_bars_only_the_message():
    """At the top of the slider both rules blow up; their last values are not drawn as
    bars running off the axis."""
    panel = td.gradients_panel()
    panel.set(lr=20.0)  # the top of the slider
    assert "diverged" in panel.message_text
    for rule in td.RULE_NAMES:
        assert [bar.get_height() for bar in panel.view.bars[rule]] == [0.0] * 4
    panel.set(lr=5.0)
    assert all(bar.get_height() < -1 for bar in panel.view.bars["semi"])


# --- 4. the deadly triad --------------------------------------------------------------------------

SWITCHES = [(True, True, True), (False, True, True), (True, False, True), (True, True, False)]


def iteration_matrix(approximation, bootstrapping, off_policy, lr):
    """The sweep theta <- M theta of deadly_triad (it is linear in theta)."""
    features = td.baird_features(approximation)
    P = td.baird_transitions("target" if off_policy else "behaviour")
    targets = td.BAIRD_GAMMA * P @ features if bootstrapping else 0 * features
    return np.eye(features.shape[1]) + lr / 7 * features.T @ (targets - features)


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.1])
def test_the_weights_grow_without_bound_only_with_all_three_ingredients(lr):
    for switches in SWITCHES:
        radius = np.abs(np.linalg.eigvals(iteration_matrix(*switches, lr))).max()
        if switches == (True, True, True):
            assert radius > 1 + 1e-4  # every sweep multiplies one direction by more than 1
        else:
            assert radius <= 1 + 1e-12
            run = td.deadly_triad(*switches, lr=lr, sweeps=20000)
            assert run.diverged_at is None and not run.note
            # a table's values first rise towards gamma V(s_7) (at most sqrt(7) 12 = 2.25 times
            # the starting norm), then all decay; with shared weights the norm never rises
            assert run.norms.max() < (2.3 if not switches[0] else 1.0 + 1e-9) * run.norms[0]


def test_all_three_on_passes_the_limit_with_a_message_and_no_overflow():
    run = td.deadly_triad(lr=0.01, sweeps=5000)
    assert run.diverged_at is not None and "diverged" in run.note
    assert len(run.note) <= 64  # one line of the projector's 20-px bold message
    assert np.isfinite(run.norms).all() and run.norms[-1] > td.NORM_LIMIT
    slow = td.deadly_triad(lr=0.001, sweeps=5000)
    assert slow.norms[-1] > 9 * slow.norms[0] and "keeps growing" in slow.note
    assert np.all(np.diff(slow.norms[100:]) > 0)


# --- 5. target network and replay ----------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_this_maze_a_target_network_slows_learning(seed):
    result = td.compare_target_networks(seed=seed)
    final = {run.period: run.rmse[-1] for run in result.runs}
    assert final[100] > final[1] and final[1000] > final[100] and final[1000] > 8, final
    assert not result.note


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_at_a_large_learning_rate_only_the_run_without_target_network_learns(seed):
    result = td.compare_target_networks(lr=0.5, seed=seed)
    assert result.run(1).rmse[-1] < 1.2 and not result.run(1).note
    assert all("diverged" in result.run(c).note for c in (10, 100, 1000))
    online = td.learn_values("td", "mlp", 0.5, replay=False, seed=seed)
    assert online.rmse[-1] > 3


def test_runs_that_diverge_together_share_one_short_message():
    """Three clauses took three lines on a projector and pushed the figure off the screen."""
    result = td.compare_target_networks(lr=1.0)
    assert result.note == ("C = 10, 100 and 1000 diverged after 50 updates (estimates beyond "
                           "1000): try a smaller learning rate")
    runs = [td.LearningRun("monte_carlo", 1, *[np.zeros(1)] * 4, note="Monte Carlo diverged "
                           "after 7 updates")]
    assert td.divergence_note(runs).startswith("Monte Carlo diverged after 7 updates (")


def test_target_network_training_takes_under_three_seconds():
    start = time.process_time()
    td.compare_target_networks(replay=True, lr=0.01)
    assert time.process_time() - start < 3.0


# --- every panel, every control --------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(td.PANELS))
def test_every_panel_runs_at_every_control_extreme_without_warnings(name):
    panel = td.PANELS[name]()
    if panel.button is not None:  # trainings: a tenth of the updates, every control's extremes
        panel.compute = functools.partial(panel.compute, updates=600)
    for control, value, result, message in sweep_panel(panel):
        assert result is not None, (control, value, message)
        assert "Traceback" not in message and "nan" not in message.lower()
        for line in panel.view.figure.findobj(lambda a: hasattr(a, "get_ydata")):
            assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all(), (control, value)


@pytest.mark.parametrize("name", sorted(td.PANELS))
def test_every_default_lies_on_its_slider_grid(name):
    """Else the browser snaps it to the nearest step, and a Train panel opens saying
    "settings changed" before anyone touched it."""
    for control in td.PANELS[name]().controls.values():
        if hasattr(control, "step") and hasattr(control, "min"):
            position = np.log10(control.value) if hasattr(control, "base") else control.value
            steps = (position - control.min) / control.step
            assert abs(steps - round(steps)) < 1e-9, (name, control.description)


@pytest.mark.parametrize("figure_style", ["default", "projector", "dark"])
@pytest.mark.parametrize("name", sorted(td.PANELS))
def test_panel_text_is_readable_in_every_style(name, figure_style):
    style.set_style(figure_style)
    try:
        panel = td.PANELS[name]()
        assert text_problems(panel.view.figure) == []
        if figure_style == "projector":
            assert panel.view.figure.get_size_inches()[1] * panel.view.figure.dpi <= 420
            if name in ("targets", "target_network"):  # controls and a button above it:
                # 584 and 571 px measured in a 1280x720 browser with 380- and 360-px figures
                assert panel.view.figure.get_size_inches()[1] * panel.view.figure.dpi <= 350
    finally:
        style.set_style("default")


def test_the_target_network_legend_covers_no_curve():
    """The C = 1000 curve stays near 10: with the y axis ending at 30 it ran under the legend."""
    from lecture_utils.widgets import render_png
    style.set_style("projector")  # the largest legend
    try:
        view = td.target_network_panel().view
        render_png(view.figure)
        box = view.ax.get_legend().get_window_extent(view.figure.canvas.get_renderer())
        for line in view.lines.values():
            points = view.ax.transData.transform(line.get_xydata())
            assert not box.count_contains(points), line.get_label()
    finally:
        style.set_style("default")
