"""Checkers for notebook 06: the TD(0) target, the semi-gradient update, Monte Carlo returns."""

import numpy as np

from .. import td_learning as td
from .verdict import Failed, call, checker, describe, diagnose


@checker(reference=td.td_targets_from_table)
def check_td_targets(td_targets_fn):
    """Check `td_targets(V, states, rewards, next_states, terminal, gamma)` -> (B,)."""
    # state 3 is the goal, where an approximator guessed 4 (a terminal state's value is 0)
    V = np.array([-3.0, -2.0, -1.0, 4.0, 5.0, -6.0])
    states = np.array([0, 1, 2, 2, 0])
    next_states = np.array([1, 2, 3, 4, 5])
    rewards = np.array([-1.0, -1.0, -1.0, -1.0, -0.5])
    terminal = np.array([0.0, 0.0, 1.0, 0.0, 0.0])  # "done" flags, 1 where s' ends the episode
    gamma = 0.9
    got = call(td_targets_fn, V, states, rewards, next_states, terminal, gamma)
    expected = td.td_targets_from_table(V, states, rewards, next_states, terminal, gamma)
    v_next, v_now = V[next_states], V[states]
    diagnose(got, expected, "the TD targets", mistakes=[
        (rewards + gamma * v_next, "at the goal the target bootstraps from V(goal); the "
                                   "episode ends there, so nothing follows the last reward"),
        (rewards + np.where(terminal > 0, 0, v_next), "gamma is missing: the next state's value is "
                                                  "discounted"),
        (rewards + v_next, "gamma is missing, and at the goal the target bootstraps from "
                           "V(goal)"),
        (rewards + gamma * np.where(terminal > 0, 0, v_now), "the target uses V(s), the value of "
                                                         "the state the transition left; it "
                                                         "should use the state it reached"),
        (rewards + gamma * v_now, "the target uses V(s) instead of V(s')"),
        (gamma * np.where(terminal > 0, 0, v_next), "the reward of the transition is missing"),
        (rewards + gamma * np.where(terminal > 0, 0, v_next) - v_now,
         "that is the TD error delta = target - V(s); return the target itself"),
        (np.where(terminal > 0, 0, rewards + gamma * v_next), "at the goal the reward is dropped "
                                                           "too: only V(goal) is replaced by 0"),
        (rewards + gamma * terminal * v_next, "the done flag is used the wrong way round: this "
                                              "bootstraps only where the episode ended; "
                                              "V(s') should count where it did not"),
    ])
    return "y = r + gamma V(s'), and just r when s' ends the episode"


@checker(reference=td.semi_gradient_step)
def check_semi_gradient_step(step_fn):
    """Check `semi_gradient_step(theta, x, reward, x_next, terminal, gamma, lr)` -> theta."""
    theta = np.array([0.5, -1.0, 2.0])
    x, x_next = np.array([1.0, 0.5, -0.2]), np.array([0.3, -1.0, 0.8])
    reward, gamma, lr = -1.0, 0.9, 0.1
    got = call(step_fn, theta, x, reward, x_next, False, gamma, lr)
    delta = reward + gamma * theta @ x_next - theta @ x
    diagnose(got, td.semi_gradient_step(theta, x, reward, x_next, False, gamma, lr),
             "the new theta", mistakes=[
                 (theta + lr * delta * (x - gamma * x_next),
                  "that is the residual gradient: you also differentiated the target "
                  "gamma theta^T x(s'); semi-gradient TD holds the target fixed"),
                 (theta - lr * delta * x, "sign error: a positive TD error (target above "
                                          "V_hat(s)) should raise V_hat(s)"),
                 (theta + delta * x, "the learning rate is missing"),
                 (theta + lr * delta * x_next, "the update moves along x(s'); it is V_hat(s), "
                                               "the estimate being corrected, that moves"),
                 (theta + lr * (reward + theta @ x_next - theta @ x) * x,
                  "gamma is missing from the target"),
                 (theta + lr * (reward - theta @ x) * x, "the target is only the reward: add "
                                                         "the discounted value of s'"),
                 (theta + lr * delta, "the step is not scaled by the features x(s) (the "
                                      "gradient of theta^T x(s))"),
                 (lr * delta * x, "that is only the change, lr delta x(s); return the new theta, "
                                  "the old one plus that change"),
             ])
    got_end = call(step_fn, theta, x, reward, x_next, True, gamma, lr)
    diagnose(got_end, td.semi_gradient_step(theta, x, reward, x_next, True, gamma, lr),
             "the new theta when s' is terminal", mistakes=[
                 (theta + lr * delta * x, "when s' ends the episode, the target is just r: "
                                          "do not bootstrap from theta^T x(s')"),
             ])
    return "theta <- theta + lr (r + gamma theta^T x' - theta^T x) x, and target r at the end"


@checker(reference=td.discounted_returns)
def check_discounted_returns(returns_fn):
    """Check `discounted_returns(rewards, gamma)` -> G_t for every t, on a short episode."""
    rewards, gamma = np.array([-1.0, -2.0, 0.5, 3.0]), 0.5
    got = call(returns_fn, rewards, gamma)
    expected = td.discounted_returns(rewards, gamma)
    if not isinstance(got, np.ndarray) and not isinstance(got, (list, tuple)):
        if isinstance(got, (bool, np.bool_)) or \
                not isinstance(got, (int, float, np.integer, np.floating)):
            raise Failed(f"return the array of the {len(rewards)} returns G_0, ..., G_T-1, "
                         f"got {describe(got)}")
        raise Failed(f"return one G_t for every step t, an array of {len(rewards)} numbers, "
                     "not a single number")
    powers = gamma ** np.arange(len(rewards))
    forwards, running = np.zeros(len(rewards)), 0.0
    for t, reward in enumerate(rewards):  # the backward recursion run from the start
        running = forwards[t] = reward + gamma * running
    reversed_discount = np.array([rewards[t:] @ powers[:len(rewards) - t][::-1]
                                  for t in range(len(rewards))])
    diagnose(got, expected, "the returns", mistakes=[
        (np.cumsum(rewards[::-1])[::-1], "the rewards are not discounted: each later reward "
                                         "counts gamma times less"),
        (np.full(len(rewards), expected[0]), "every entry is G_0: each step t has its own "
                                             "return, from t on"),
        (np.cumsum(rewards * powers), "that sums the rewards up to t; G_t sums the rewards "
                                      "that come after t"),
        (reversed_discount, "the discount runs the wrong way: the next reward is not "
                            "discounted, the ones after it by gamma, gamma^2, ..."),
        (expected * gamma, "every reward is discounted, the first too: G_t = r_{t+1} + "
                           "gamma G_{t+1}"),
        (np.append(expected[1:], 0.0), "off by one step: G_t starts with the reward of step "
                                       "t itself"),
        (expected[::-1], "the returns are in reverse order: G_0 comes first"),
        (forwards, "that loop runs forwards, from the first step: G_t is made of the rewards "
                   "from t on, so start at the end of the episode and go back"),
    ])
    return "G_t = r_{t+1} + gamma G_{t+1}, computed from the end of the episode back"
