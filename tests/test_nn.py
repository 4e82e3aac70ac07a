"""Specification of lecture_utils.nn: shapes, the slide formulas, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils import nn
from lecture_utils.gradcheck import check_module_gradients, numerical_gradient, relative_error

FAST = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def assert_gradients_ok(module, x, seed=0):
    report = check_module_gradients(module, x, rng=seed)
    assert report.ok, f"\n{report}"
    assert report.worst.error < 1e-6


# --- gradients agree with finite differences (relative error < 1e-6, float64) -------------

@FAST
@given(n=st.integers(1, 4), d_in=st.integers(1, 5), d_out=st.integers(1, 5), seed=seeds)
def test_linear_gradients_match_finite_differences(n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    assert_gradients_ok(nn.Linear(d_in, d_out, rng=rng), rng.standard_normal((n, d_in)), seed)


@FAST
@given(name=st.sampled_from(sorted(nn.ACTIVATIONS)), shape=st.lists(st.integers(1, 4),
       min_size=1, max_size=3), seed=seeds)
def test_activation_gradients_match_finite_differences(name, shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_gradients_ok(nn.ACTIVATIONS[name](), x, seed)


@FAST
@given(n=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3),
       k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       extra_h=st.integers(0, 4), extra_w=st.integers(0, 4), seed=seeds)
def test_conv2d_gradients_match_finite_differences(n, c_in, c_out, k, stride, padding,
                                                   extra_h, extra_w, seed):
    rng = np.random.default_rng(seed)
    h = max(1, k - 2 * padding) + extra_h
    w = max(1, k - 2 * padding) + extra_w
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, rng=rng)
    assert_gradients_ok(conv, rng.standard_normal((n, c_in, h, w)), seed)


@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 2), k=st.integers(1, 3), h=st.integers(3, 7),
       w=st.integers(3, 7), seed=seeds)
def test_maxpool_gradients_match_finite_differences(n, c, k, h, w, seed):
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    assert_gradients_ok(nn.MaxPool2d(k), x, seed)


@FAST
@given(n=st.integers(1, 3), t=st.integers(1, 6), d=st.integers(1, 4), h=st.integers(1, 5),
       seed=seeds)
def test_rnn_gradients_match_finite_differences(n, t, d, h, seed):
    rng = np.random.default_rng(seed)
    assert_gradients_ok(nn.RNN(d, h, rng=rng), rng.standard_normal((n, t, d)), seed)


@pytest.mark.parametrize("layer", [nn.RNN, nn.GRU])
def test_initial_state_gradient_matches_finite_differences(layer):
    rng = np.random.default_rng(0)
    cell, x, h0 = layer(3, 4, rng=rng), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4))
    R = rng.standard_normal((2, 5, 4))
    cell(x, h0)
    cell.backward(R)
    numerical = numerical_gradient(lambda h: float(np.sum(R * cell(x, h))), h0)
    assert relative_error(cell.grad_h0, numerical) < 1e-6


@FAST
@given(n=st.integers(1, 3), t=st.integers(1, 6), d=st.integers(1, 4), h=st.integers(1, 5),
       seed=seeds)
def test_gru_gradients_match_finite_differences(n, t, d, h, seed):
    rng = np.random.default_rng(seed)
    assert_gradients_ok(nn.GRU(d, h, rng=rng), rng.standard_normal((n, t, d)), seed)


def test_sequential_cnn_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 3 * 3, 4, rng=rng), nn.Tanh(),
                          nn.Linear(4, 2, rng=rng))
    assert_gradients_ok(model, rng.standard_normal((2, 2, 6, 7)))


@FAST
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=seeds)
def test_mse_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    pred, target, loss = rng.standard_normal(shape), rng.standard_normal(shape), nn.MSELoss()
    loss(pred, target)
    numerical = numerical_gradient(lambda p: loss(p, target), pred)
    loss(pred, target)
    assert relative_error(loss.backward(), numerical) < 1e-6


@FAST
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=seeds)
def test_cross_entropy_gradient_matches_finite_differences(n, c, seed):
    # moderate logits: when softmax saturates the gradient is ~0 and finite differences
    # only see round-off (large logits are covered by test_cross_entropy_is_stable...)
    rng = np.random.default_rng(seed)
    logits, target = rng.standard_normal((n, c)), rng.integers(0, c, n)
    loss = nn.CrossEntropyLoss()
    numerical = numerical_gradient(lambda z: loss(z, target), logits)
    loss(logits, target)
    assert relative_error(loss.backward(), numerical) < 1e-6


# --- the slide's formulas --------------------------------------------------------------------

def slide_convolution(x, W, bias, stride, padding):
    """y_ij = sum_a sum_b W_ab x_{i+a-1, j+b-1}, summed over input channels, as explicit loops."""
    N, C, H, Wd = x.shape
    O, _, k, _ = W.shape
    xp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding))
    xp[:, :, padding:padding + H, padding:padding + Wd] = x
    H_out = (H + 2 * padding - k) // stride + 1
    W_out = (Wd + 2 * padding - k) // stride + 1
    y = np.zeros((N, O, H_out, W_out))
    for n in range(N):
        for o in range(O):
            for i in range(1, H_out + 1):  # 1-based, as on the slide
                for j in range(1, W_out + 1):
                    total = bias[o]
                    for c in range(C):
                        for a in range(1, k + 1):
                            for b in range(1, k + 1):
                                row = (i - 1) * stride + 1 + a - 1  # = i+a-1 when stride is 1
                                col = (j - 1) * stride + 1 + b - 1
                                total += W[o, c, a - 1, b - 1] * xp[n, c, row - 1, col - 1]
                    y[n, o, i - 1, j - 1] = total
    return y


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 2), (2, 1), (3, 0)])
def test_conv2d_matches_slide_formula(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    conv = nn.Conv2d(3, 2, 3, stride=stride, padding=padding, rng=rng)
    x = rng.standard_normal((2, 3, 7, 8))
    expected = slide_convolution(x, conv.weight.data, conv.bias.data, stride, padding)
    np.testing.assert_allclose(conv(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,c_in,c_out,k,stride,padding,h,w", [
    (1, 1, 1, 1, 1, 0, 4, 4),  # kernel 1, batch 1
    (2, 3, 4, 3, 2, 1, 7, 8),  # stride and padding, odd sizes
    (1, 2, 3, 5, 1, 2, 5, 6),  # padding keeps the size, kernel as large as the input
    (3, 2, 2, 2, 3, 0, 9, 7),  # stride larger than the kernel: some pixels never used
    (4, 3, 16, 5, 1, 0, 12, 12)])  # the benchmark's channels
def test_conv2d_equals_torch_conv2d_forward_and_backward(n, c_in, c_out, k, stride, padding,
                                                        h, w):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(k * 100 + stride * 10 + padding)
    conv = nn.Conv2d(c_in, c_out, k, stride, padding, rng=rng)
    x = rng.standard_normal((n, c_in, h, w))
    weight = torch.from_numpy(conv.weight.data).requires_grad_()
    bias = torch.from_numpy(conv.bias.data).requires_grad_()
    xt = torch.from_numpy(x).requires_grad_()
    out = torch.nn.functional.conv2d(xt, weight, bias, stride=stride, padding=padding)
    R = rng.standard_normal(out.shape)
    out.backward(torch.from_numpy(R))
    np.testing.assert_allclose(conv(x), out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.backward(R), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.weight.grad, weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.bias.grad, bias.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("layer,shape", [(lambda: nn.Conv2d(2, 3, 3, padding=1, rng=0),
                                          (2, 2, 5, 5)),
                                         (lambda: nn.GRU(3, 4, rng=0), (2, 5, 3)),
                                         (lambda: nn.RNN(3, 4, rng=0), (2, 5, 3))])
def test_outputs_and_input_gradients_survive_later_calls(layer, shape):
    # layers reuse scratch memory between calls; what they return must stay the caller's
    rng, module = np.random.default_rng(0), layer()
    x1, x2 = rng.standard_normal(shape), rng.standard_normal(shape)
    y1 = module(x1)
    saved_y1 = y1.copy()
    grad_x1 = module.backward(np.ones_like(y1))
    saved_grad_x1 = grad_x1.copy()
    module(x2)
    module.backward(rng.standard_normal(y1.shape))
    np.testing.assert_array_equal(y1, saved_y1)
    np.testing.assert_array_equal(grad_x1, saved_grad_x1)


def test_linear_is_x_times_w_plus_b_with_slide_shapes():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight.data.shape == (3, 2) and layer.bias.data.shape == (2,)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(x), x @ layer.weight.data + layer.bias.data)


def test_rnn_matches_its_recurrence_step_by_step():
    rng = np.random.default_rng(0)
    rnn, x, h = nn.RNN(3, 4, rng=rng), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4))
    out, h0 = rnn(x, h), h
    assert out.shape == (2, 5, 4)
    for t in range(5):
        h = np.tanh(x[:, t] @ rnn.weight_ih.data + h @ rnn.weight_hh.data + rnn.bias.data)
        np.testing.assert_allclose(out[:, t], h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rnn(x)[:, 0], np.tanh(x[:, 0] @ rnn.weight_ih.data
                                                     + rnn.bias.data), atol=1e-12)
    assert h0.shape == (2, 4)


def gru_by_hand(gru, x, h):
    """PyTorch's GRU equations written out, gates in the order reset, update, new."""
    H, states = gru.hidden_size, []
    W_i, W_h, b_i, b_h = (p.data for p in gru.parameters())
    sigmoid = nn.Sigmoid().function
    for t in range(x.shape[1]):
        gi, gh = x[:, t] @ W_i + b_i, h @ W_h + b_h
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        states.append(h)
    return np.stack(states, axis=1)


def test_gru_matches_pytorchs_equations_step_by_step():
    rng = np.random.default_rng(0)
    gru, x, h0 = nn.GRU(3, 4, rng=rng), rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4))
    assert [p.data.shape for p in gru.parameters()] == [(3, 12), (4, 12), (12,), (12,)]
    assert gru.parameters() == [gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh]
    out = gru(x, h0)
    assert out.shape == (2, 5, 4)
    np.testing.assert_allclose(out, gru_by_hand(gru, x, h0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gru(x), gru_by_hand(gru, x, np.zeros((2, 4))), atol=1e-12)
    assert nn.count_parameters(gru) == 3 * (3 * 4 + 4 * 4 + 2 * 4)  # as torch.nn.GRU(3, 4)


def test_gru_equals_torch_gru_with_the_same_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    gru, x, h0 = nn.GRU(3, 4, rng=rng), rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 4))
    reference = torch.nn.GRU(3, 4, batch_first=True).double()
    with torch.no_grad():
        reference.weight_ih_l0.copy_(torch.from_numpy(gru.weight_ih.data.T))
        reference.weight_hh_l0.copy_(torch.from_numpy(gru.weight_hh.data.T))
        reference.bias_ih_l0.copy_(torch.from_numpy(gru.bias_ih.data))
        reference.bias_hh_l0.copy_(torch.from_numpy(gru.bias_hh.data))
    xt = torch.from_numpy(x).requires_grad_()
    out, _ = reference(xt, torch.from_numpy(h0)[None])
    R = rng.standard_normal(out.shape)
    (out * torch.from_numpy(R)).sum().backward()
    np.testing.assert_allclose(gru(x, h0), out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gru.backward(R), xt.grad.numpy(), atol=1e-12)
    for mine, theirs in [(gru.weight_ih, reference.weight_ih_l0.grad.T),
                         (gru.weight_hh, reference.weight_hh_l0.grad.T),
                         (gru.bias_ih, reference.bias_ih_l0.grad),
                         (gru.bias_hh, reference.bias_hh_l0.grad)]:
        np.testing.assert_allclose(mine.grad, theirs.numpy(), atol=1e-12)


def test_activations_and_their_derivatives():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    sig = 1 / (1 + np.exp(-x))
    expected = {"identity": (x, np.ones(4)), "relu": (np.maximum(x, 0), (x > 0) * 1.0),
                "leaky_relu": (np.where(x > 0, x, 0.01 * x), np.where(x > 0, 1, 0.01)),
                "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2), "sigmoid": (sig, sig * (1 - sig))}
    assert set(nn.ACTIVATIONS) == set(expected)
    for name, (value, slope) in expected.items():
        act = nn.ACTIVATIONS[name]()
        np.testing.assert_allclose(act.function(x), value, rtol=1e-12)
        np.testing.assert_allclose(act.derivative(x), slope, rtol=1e-12)
        np.testing.assert_allclose(act(x), value, rtol=1e-12)


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = nn.Sigmoid()(np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0])


def test_cross_entropy_is_stable_and_correct():
    logits = np.array([[1000.0, 0.0], [0.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = nn.CrossEntropyLoss()(logits, np.array([1, 0]))
    assert loss == pytest.approx((1000.0 + np.log(2)) / 2)


def test_flatten_and_maxpool_shapes():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    assert nn.Flatten()(x).shape == (2, 60)
    pooled = nn.MaxPool2d(2)(x)
    assert pooled.shape == (2, 3, 2, 2)
    assert pooled[1, 2, 1, 0] == x[1, 2, 2:4, 0:2].max()


def test_conv2d_output_shape():
    conv = nn.Conv2d(3, 16, 5, stride=2, padding=2)
    assert conv.weight.data.shape == (16, 3, 5, 5)
    assert conv(np.zeros((4, 3, 32, 30))).shape == (4, 16, 16, 15)


# --- parameters ------------------------------------------------------------------------------

def test_count_parameters_reproduces_the_slide():
    assert nn.count_parameters(nn.Linear(128 * 128 * 3, 128)) == 6_291_584
    assert nn.count_parameters(nn.Conv2d(3, 16, 5)) == 1_216


def test_parameters_list_weight_first_then_bias():
    lin, rnn = nn.Linear(2, 3), nn.RNN(2, 3)
    assert lin.parameters() == [lin.weight, lin.bias]
    assert rnn.parameters() == [rnn.weight_ih, rnn.weight_hh, rnn.bias]
    model = nn.Sequential(lin, nn.Tanh(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert nn.count_parameters(model) == 2 * 3 + 3 + 3 + 1


def test_backward_accumulates_parameter_gradients_until_zero_grad():
    layer, x = nn.Linear(2, 1, rng=0), np.ones((3, 2))
    layer(x)
    layer.backward(np.ones((3, 1)))
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(np.ones((3, 1)))
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def test_initialisation_is_fan_in_scaled_and_seeded():
    a, b = nn.Linear(400, 10, rng=3), nn.Linear(400, 10, rng=3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert np.abs(a.weight.data).max() <= 1 / np.sqrt(400)
    assert a.weight.data.std() > 0.5 / np.sqrt(3 * 400)  # U(-c, c) has std c / sqrt(3)


# --- bad input raises ValueError saying what was expected ------------------------------------

def test_linear_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(N, 3\), got \(5, 4\)"):
        nn.Linear(3, 2)(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        nn.Linear(3, 2)(np.zeros(3))


def test_conv2d_rejects_bad_input():
    conv = nn.Conv2d(3, 4, 5, padding=1)
    expected = r"Conv2d expected input of shape \(N, 3, H, W\), got \(2, 1, 8, 8\)"
    with pytest.raises(ValueError, match=expected):
        conv(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got \(3, 8, 8\)"):
        conv(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"kernel_size 5 is larger than the padded input 4x6"):
        conv(np.zeros((1, 3, 2, 4)))


def test_gru_rejects_bad_input():
    gru = nn.GRU(4, 8)
    with pytest.raises(ValueError, match=r"GRU expected input of shape \(N, T, 4\), got \(5, 4\)"):
        gru(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 8\)"):
        gru(np.zeros((2, 5, 4)), h0=np.zeros((8,)))


def test_rnn_rejects_bad_input():
    rnn = nn.RNN(4, 8)
    with pytest.raises(ValueError, match=r"RNN expected input of shape \(N, T, 4\), got \(5, 4\)"):
        rnn(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\(N, T, 4\), got \(2, 5, 3\)"):
        rnn(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 8\)"):
        rnn(np.zeros((2, 5, 4)), h0=np.zeros((8,)))


def test_maxpool_rejects_bad_input():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(4, 4\)"):
        nn.MaxPool2d(2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"kernel_size 3 is larger than the input 2x5"):
        nn.MaxPool2d(3)(np.zeros((1, 1, 2, 5)))


def test_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"target of shape \(4, 1\) like pred, got \(4,\)"):
        nn.MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"integer targets in \[0, 2\]"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))


@pytest.mark.parametrize("make", [lambda: nn.Linear(0, 3), lambda: nn.Linear(3, -1),
                                  lambda: nn.Conv2d(3, 0, 5), lambda: nn.Conv2d(3, 4, 0),
                                  lambda: nn.Conv2d(3, 4, 3, stride=0), lambda: nn.RNN(0, 4),
                                  lambda: nn.RNN(4, 2.5), lambda: nn.GRU(0, 3),
                                  lambda: nn.MaxPool2d(0)])
def test_constructors_reject_non_positive_sizes(make):
    with pytest.raises(ValueError, match="must be a positive integer"):
        make()


def test_conv2d_rejects_negative_padding():
    with pytest.raises(ValueError, match="padding must be >= 0"):
        nn.Conv2d(1, 1, 3, padding=-1)
