"""Neural-network layers in numpy, each a forward rule next to its backward rule.

Conventions (as in PyTorch): float64 arrays, batch first -- features (N, D),
images (N, C, H, W), sequences (N, T, D).  ``forward(x)`` keeps in ``self``
what ``backward`` needs; ``backward(grad_out)`` takes dL/dy, *adds* dL/dtheta
to every ``Parameter.grad`` and returns dL/dx (the chain rule of the slides:
grad_x L = (dy/dx)^T grad_y L).  Call ``backward`` right after ``forward``.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_positive(layer, **sizes):
    for name, value in sizes.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{layer} {name} must be a positive integer, got {value!r}")


def _uniform(rng, fan_in, shape):
    """Fan-in scaled initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as in PyTorch."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape)


class Parameter:
    """A trainable array ``data`` (any shape) with its gradient ``grad`` (same shape)."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)

    def __repr__(self):
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class: forward(x) -> y, backward(dL/dy) -> dL/dx, parameters()."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def named_parameters(self):
        """[(name, Parameter)] in the order they were created: weight first, then bias."""
        return [(name, v) for name, v in vars(self).items() if isinstance(v, Parameter)]

    def parameters(self):
        """All trainable Parameters of this module, weight first, then bias."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter gradient to 0 (backward adds to them)."""
        for p in self.parameters():
            p.grad.fill(0.0)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Sequential(Module):
    """Layers in sequence, f(x) = f_L(...f_2(f_1(x))); backward runs them in reverse."""

    def __init__(self, *modules):
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def named_parameters(self):
        """Names as in PyTorch: '0.weight', '0.bias', '2.weight', ..."""
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.named_parameters()]

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        return "Sequential(\n" + "".join(f"  ({i}): {m!r}\n" for i, m in enumerate(self)) + ")"


class Linear(Module):
    """Fully connected layer y = x W + b: x (N, in) -> y (N, out), W (in, out), b (out,)."""

    def __init__(self, in_features, out_features, rng=None):
        _check_positive("Linear", in_features=in_features, out_features=out_features)
        rng = np.random.default_rng(rng)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_uniform(rng, in_features, (in_features, out_features)))
        self.bias = Parameter(_uniform(rng, in_features, out_features))

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Linear expected input of shape (N, {self.in_features}), "
                             f"got {x.shape}")
        self.x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad_out):
        self.weight.grad += self.x.T @ grad_out  # dL/dW = x^T dL/dy
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.weight.data.T  # dL/dx = dL/dy W^T

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"


class Activation(Module):
    """Elementwise y = g(x), any shape; backward dL/dx = dL/dy * g'(x).

    ``function(x)`` and ``derivative(x)`` can be called on their own (e.g. to plot them).
    """

    def function(self, x):
        raise NotImplementedError

    def derivative(self, x, y=None):
        """g'(x); y = g(x) may be passed when already known, to save recomputing it."""
        raise NotImplementedError

    def forward(self, x):
        self.x = x
        self.y = self.function(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * self.derivative(self.x, self.y)


class Identity(Activation):
    """g(x) = x, g'(x) = 1 (a linear unit)."""

    def function(self, x):
        return x

    def derivative(self, x, y=None):
        return np.ones_like(x)

    def backward(self, grad_out):
        return grad_out


class ReLU(Activation):
    """g(x) = max(0, x), g'(x) = 1 if x > 0 else 0."""

    def function(self, x):
        return np.maximum(x, 0.0)

    def derivative(self, x, y=None):
        return (x > 0).astype(np.float64)


class LeakyReLU(Activation):
    """g(x) = x if x > 0 else negative_slope * x; g'(x) = 1 or negative_slope."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def function(self, x):
        return np.where(x > 0, x, self.negative_slope * x)

    def derivative(self, x, y=None):
        return np.where(x > 0, 1.0, self.negative_slope)

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Tanh(Activation):
    """g(x) = tanh(x), g'(x) = 1 - tanh(x)^2."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y=None):
        y = np.tanh(x) if y is None else y
        return 1.0 - y * y


class Sigmoid(Activation):
    """g(x) = 1 / (1 + exp(-x)), g'(x) = g(x) (1 - g(x))."""

    def function(self, x):
        return np.exp(-np.logaddexp(0.0, -x))  # = 1 / (1 + e^-x) without overflow

    def derivative(self, x, y=None):
        y = self.function(x) if y is None else y
        return y * (1.0 - y)


ACTIVATIONS = {"identity": Identity, "relu": ReLU, "leaky_relu": LeakyReLU,
               "tanh": Tanh, "sigmoid": Sigmoid}


class Flatten(Module):
    """Reshape (N, d1, d2, ...) -> (N, d1 * d2 * ...), e.g. CNN features into a Linear layer."""

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self.shape)


def _scratch(layer, name, shape):
    """An array of `shape` that `layer` keeps between calls: large arrays are slow to allocate.

    Only for what a layer uses inside; what it returns is always a new array.
    """
    buffers = layer.__dict__.setdefault("_scratch_buffers", {})
    if name not in buffers or buffers[name].shape != shape:
        buffers[name] = np.empty(shape)
    return buffers[name]


class Conv2d(Module):
    """2-D cross-correlation y_ij = sum_a sum_b W_ab x_{i+a-1, j+b-1} (+ bias), per channel pair.

    x (N, C_in, H, W) -> y (N, C_out, H_out, W_out), H_out = (H + 2 padding - k) // stride + 1;
    weight (C_out, C_in, k, k), bias (C_out,).  Computed as im2col: every k x k patch becomes
    a column, and one matrix product applies all filters to all patches.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None):
        _check_positive("Conv2d", in_channels=in_channels, out_channels=out_channels,
                        kernel_size=kernel_size, stride=stride)
        if padding < 0:
            raise ValueError(f"Conv2d padding must be >= 0, got {padding!r}")
        rng = np.random.default_rng(rng)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        fan_in = in_channels * kernel_size * kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.weight = Parameter(_uniform(rng, fan_in, shape))
        self.bias = Parameter(_uniform(rng, fan_in, out_channels))

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        k, s, p = self.kernel_size, self.stride, self.padding
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expected input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape}")
        N, C, H, W = x.shape
        if k > H + 2 * p or k > W + 2 * p:
            raise ValueError(f"Conv2d kernel_size {k} is larger than the padded input "
                             f"{H + 2 * p}x{W + 2 * p} (input {H}x{W}, padding {p})")
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.padded_shape = x.shape
        # image index last, xc[c, h, w, n] = x[n, c, h, w]: every row of a patch is then one
        # long run in memory (W_out * N numbers), which makes im2col and col2im fast
        xc = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
        # patches[c, i, j, n, a, b] = x[n, c, i*s + a, j*s + b]: a view, nothing copied yet
        patches = sliding_window_view(xc, (k, k), axis=(1, 2))[:, ::s, ::s]
        H_out, W_out = patches.shape[1:3]
        # im2col: cols[(c, a, b), (i, j, n)], one column per output pixel of every image, so
        # that a single matrix product applies all filters to all patches
        cols = _scratch(self, "cols", (C, k, k, H_out, W_out, N))
        np.copyto(cols, patches.transpose(0, 4, 5, 1, 2, 3))
        self.cols = cols.reshape(C * k * k, H_out * W_out * N)
        y = self.weight.data.reshape(self.out_channels, -1) @ self.cols  # (C_out, H_out W_out N)
        y += self.bias.data[:, None]
        return y.reshape(self.out_channels, H_out, W_out, N).transpose(3, 0, 1, 2)

    def backward(self, grad_out):
        k, s, p = self.kernel_size, self.stride, self.padding
        N, C, Hp, Wp = self.padded_shape
        H_out, W_out = grad_out.shape[2:]
        # dL/dy with the same column order as cols: g[o, (i, j, n)]
        g = grad_out.transpose(1, 2, 3, 0).reshape(self.out_channels, H_out * W_out * N)
        W2d = self.weight.data.reshape(self.out_channels, -1)
        # dL/dW = sum over images and pixels of dL/dy times the patch; dL/db = sum of dL/dy
        self.weight.grad += (g @ self.cols.T).reshape(self.weight.data.shape)
        self.bias.grad += g.sum(axis=1)
        # col2im: each patch entry (c, a, b) flows back to pixel (i*s + a, j*s + b), so add
        # the k*k slices of grad_cols, one per kernel offset (a, b), onto the padded input
        grad_cols = _scratch(self, "grad_cols", (C * k * k, H_out * W_out * N))
        np.matmul(W2d.T, g, out=grad_cols)
        grad_cols = grad_cols.reshape(C, k, k, H_out, W_out, N)
        grad_x = np.zeros((C, Hp, Wp, N))
        for a in range(k):
            for b in range(k):
                grad_x[:, a:a + s * H_out:s, b:b + s * W_out:s] += grad_cols[:, a, b]
        return grad_x[:, p:Hp - p, p:Wp - p].transpose(3, 0, 1, 2)

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
                f", stride={self.stride}, padding={self.padding})")


class MaxPool2d(Module):
    """Max over non-overlapping k x k windows: (N, C, H, W) -> (N, C, H // k, W // k).

    Rows and columns that do not fill a whole window are dropped (as in PyTorch);
    the gradient flows only to the maximum of each window.
    """

    def __init__(self, kernel_size):
        _check_positive("MaxPool2d", kernel_size=kernel_size)
        self.kernel_size = kernel_size

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"MaxPool2d expected input of shape (N, C, H, W), got {x.shape}")
        k = self.kernel_size
        N, C, H, W = x.shape
        Ho, Wo = H // k, W // k
        if Ho == 0 or Wo == 0:
            raise ValueError(f"MaxPool2d kernel_size {k} is larger than the input {H}x{W}")
        self.x_shape = x.shape
        windows = x[:, :, :Ho * k, :Wo * k].reshape(N, C, Ho, k, Wo, k)
        windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, k * k)
        self.argmax = windows.argmax(axis=-1)[..., None]
        return np.take_along_axis(windows, self.argmax, axis=-1)[..., 0]

    def backward(self, grad_out):
        k = self.kernel_size
        N, C, H, W = self.x_shape
        Ho, Wo = grad_out.shape[2:]
        grad_windows = np.zeros((N, C, Ho, Wo, k * k))
        np.put_along_axis(grad_windows, self.argmax, grad_out[..., None], axis=-1)
        grad_x = np.zeros(self.x_shape)
        grad_x[:, :, :Ho * k, :Wo * k] = grad_windows.reshape(N, C, Ho, Wo, k, k).transpose(
            0, 1, 2, 4, 3, 5).reshape(N, C, Ho * k, Wo * k)
        return grad_x

    def __repr__(self):
        return f"MaxPool2d({self.kernel_size})"


def _sequence_and_initial_state(layer, x, h0):
    """x as float64 (N, T, D) and h0 (N, H), zeros if None; ValueError naming the shapes."""
    name, x = type(layer).__name__, np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[2] != layer.input_size:
        raise ValueError(f"{name} expected input of shape (N, T, {layer.input_size}), "
                         f"got {x.shape}")
    shape = (x.shape[0], layer.hidden_size)
    if h0 is None:
        return x, np.zeros(shape)
    if np.shape(h0) != shape:
        raise ValueError(f"{name} expected h0 of shape {shape}, got {np.shape(h0)}")
    return x, np.asarray(h0, dtype=np.float64)


class RNN(Module):
    """Recurrent tanh layer h_t = tanh(x_t W_ih + h_{t-1} W_hh + b): x (N, T, D) -> h (N, T, H).

    Returns the hidden states of all T steps; h0 (N, H) defaults to zeros.  Parameters, in
    this order: weight_ih (D, H), weight_hh (H, H), bias (H,), shared by all time steps.
    backward is backpropagation through time (BPTT); it also sets ``grad_h0`` (N, H).
    """

    def __init__(self, input_size, hidden_size, rng=None):
        _check_positive("RNN", input_size=input_size, hidden_size=hidden_size)
        rng = np.random.default_rng(rng)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = Parameter(_uniform(rng, hidden_size, (input_size, hidden_size)))
        self.weight_hh = Parameter(_uniform(rng, hidden_size, (hidden_size, hidden_size)))
        self.bias = Parameter(_uniform(rng, hidden_size, hidden_size))

    def forward(self, x, h0=None):
        x, self.h0 = _sequence_and_initial_state(self, x, h0)
        N, T, D = x.shape
        # time-major copies (T, N, .) so that every step works on a contiguous block
        self.xt = np.ascontiguousarray(x.transpose(1, 0, 2))
        hs = self.xt @ self.weight_ih.data  # input part x_t W_ih of every step at once
        hs += self.bias.data
        h, W_hh = self.h0, self.weight_hh.data
        for t in range(T):  # hs[t] = tanh(x_t W_ih + b + h_{t-1} W_hh), computed in place
            hs[t] += h @ W_hh
            h = np.tanh(hs[t], out=hs[t])
        self.hs = hs
        return hs.transpose(1, 0, 2)

    def backward(self, grad_out):
        T, N, H = self.hs.shape
        grad_h = grad_out.transpose(1, 0, 2)
        grad_a = 1.0 - self.hs * self.hs  # tanh' = 1 - h_t^2; becomes dL/da_t in the loop
        W_hh_T = self.weight_hh.data.T
        carry = np.zeros((N, H))  # dL/dh_t arriving from step t+1
        for t in range(T - 1, -1, -1):
            carry += grad_h[t]
            grad_a[t] *= carry  # dL/da_t for the pre-activation a_t of step t
            h_before = self.hs[t - 1] if t else self.h0
            self.weight_hh.grad += h_before.T @ grad_a[t]  # shared over time: sum of all steps
            carry = grad_a[t] @ W_hh_T
        self.grad_h0 = carry
        flat_a = grad_a.reshape(T * N, H)
        self.weight_ih.grad += self.xt.reshape(T * N, -1).T @ flat_a  # all steps at once
        self.bias.grad += flat_a.sum(axis=0)
        return (grad_a @ self.weight_ih.data.T).transpose(1, 0, 2)

    def __repr__(self):
        return f"RNN({self.input_size}, {self.hidden_size})"


def _sigmoid(x, out=None):
    """sigmoid(x) = (1 + tanh(x / 2)) / 2: one tanh, no overflow; out=x computes it in place."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


class GRU(Module):
    """Gated recurrent unit, PyTorch's nn.GRU equations and gate order: x (N, T, D) -> h (N, T, H).

        r_t = sigmoid(x_t W_ir + b_ir + h_{t-1} W_hr + b_hr)        reset gate
        z_t = sigmoid(x_t W_iz + b_iz + h_{t-1} W_hz + b_hz)        update gate
        n_t = tanh(x_t W_in + b_in + r_t * (h_{t-1} W_hn + b_hn))   new (candidate) state
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Returns the hidden states of all T steps; h0 (N, H) defaults to zeros.  Parameters, in
    PyTorch's order: weight_ih (D, 3H), weight_hh (H, 3H), bias_ih (3H,), bias_hh (3H,), the
    3H columns being the gates (reset, update, new).  Weights are stored as (in, out), as in
    Linear: weight_ih = torch's weight_ih_l0.T.  When z_t is near 1, h_t copies h_{t-1}, and
    the gradient flows back through time undamped: that is how a GRU keeps a memory.
    backward is BPTT; it also sets ``grad_h0`` (N, H).
    """

    def __init__(self, input_size, hidden_size, rng=None):
        _check_positive("GRU", input_size=input_size, hidden_size=hidden_size)
        rng = np.random.default_rng(rng)
        self.input_size, self.hidden_size = input_size, hidden_size
        H = hidden_size
        self.weight_ih = Parameter(_uniform(rng, H, (input_size, 3 * H)))
        self.weight_hh = Parameter(_uniform(rng, H, (H, 3 * H)))
        self.bias_ih = Parameter(_uniform(rng, H, 3 * H))
        self.bias_hh = Parameter(_uniform(rng, H, 3 * H))

    def forward(self, x, h0=None):
        x, h0 = _sequence_and_initial_state(self, x, h0)
        N, T, D = x.shape
        H = self.hidden_size
        self.xt = np.ascontiguousarray(x.transpose(1, 0, 2))  # time-major (T, N, D)
        # x_t W_i + b_i for all three gates and all T steps, in one product before the loop
        gi = self.xt @ self.weight_ih.data + self.bias_ih.data
        gi[:, :, :2 * H] += self.bias_hh.data[:2 * H]  # b_hr, b_hz simply add; b_hn is inside r*
        # r_t, z_t, n_t, h_{t-1} W_hn + b_hn (which r_t multiplies) and h_0 .. h_T of every step
        self.r, self.z, self.n, self.hn = (np.empty((T, N, H)) for _ in range(4))
        self.hs = np.empty((T + 1, N, H))
        self.hs[0] = h0
        W_hh, b_hn = self.weight_hh.data, self.bias_hh.data[2 * H:]
        for t in range(T):  # out=...: results go straight into the arrays above
            h, r, z, n = self.hs[t], self.r[t], self.z[t], self.n[t]
            gh = h @ W_hh  # h_{t-1} W_h of all three gates in one product
            _sigmoid(np.add(gi[t, :, :H], gh[:, :H], out=r), out=r)  # r_t
            _sigmoid(np.add(gi[t, :, H:2 * H], gh[:, H:2 * H], out=z), out=z)  # z_t
            hn = np.add(gh[:, 2 * H:], b_hn, out=self.hn[t])
            np.tanh(np.add(gi[t, :, 2 * H:], r * hn, out=n), out=n)  # n_t
            self.hs[t + 1] = n + z * (h - n)  # = (1 - z_t) n_t + z_t h_{t-1}
        return self.hs[1:].transpose(1, 0, 2)

    def backward(self, grad_out):
        T, N, H = self.hn.shape
        grad_h = grad_out.transpose(1, 0, 2)
        W_ih, W_hh = self.weight_ih.data, self.weight_hh.data
        grad_x = np.empty((T, N, self.input_size))
        grad_gi = np.empty((N, 3 * H))  # dL/d(x_t W_i + b_i) of one step: gates r, z, n
        grad_gh = np.empty((N, 3 * H))  # dL/d(h_{t-1} W_h + b_h): the same, but n's times r_t
        carry = np.zeros((N, H))  # dL/dh_t arriving from step t+1
        # Every product is one step's: small enough for BLAS to keep it on one thread (one
        # product over all steps started a second thread, ten times slower on a busy machine).
        for t in range(T - 1, -1, -1):
            r, z, n, h_before = self.r[t], self.z[t], self.n[t], self.hs[t]
            dh = carry + grad_h[t]  # dL/dh_t: from the output at t and from step t+1
            # dL/da for the pre-activations a of n_t, r_t, z_t (the sums inside tanh, sigmoid)
            da_n = np.multiply(dh * (1.0 - z), 1.0 - n * n, out=grad_gi[:, 2 * H:])  # via n_t
            np.multiply(da_n * self.hn[t], r * (1.0 - r), out=grad_gi[:, :H])  # via r_t in a_n
            np.multiply(dh * (h_before - n), z * (1.0 - z), out=grad_gi[:, H:2 * H])  # via z_t
            grad_gh[:, :2 * H] = grad_gi[:, :2 * H]
            np.multiply(da_n, r, out=grad_gh[:, 2 * H:])
            # parameters are shared over time: their gradients add up every step's share
            self.weight_ih.grad += self.xt[t].T @ grad_gi
            self.weight_hh.grad += h_before.T @ grad_gh
            self.bias_ih.grad += grad_gi.sum(axis=0)
            self.bias_hh.grad += grad_gh.sum(axis=0)
            np.matmul(grad_gi, W_ih.T, out=grad_x[t])  # dL/dx_t
            carry = dh * z + grad_gh @ W_hh.T  # h_{t-1} reaches h_t directly and via the gates
        self.grad_h0 = carry
        return grad_x.transpose(1, 0, 2)

    def __repr__(self):
        return f"GRU({self.input_size}, {self.hidden_size})"


class LastTimeStep(Module):
    """Keep only the last step of a sequence: (N, T, H) -> (N, H), e.g. RNN -> Linear."""

    def forward(self, x):
        self.shape = x.shape
        return x[:, -1]

    def backward(self, grad_out):
        grad_x = np.zeros(self.shape)
        grad_x[:, -1] = grad_out  # earlier steps did not reach the output directly
        return grad_x


class MSELoss:
    """Mean squared error L = 1/n sum_k (pred_k - target_k)^2 over all n entries."""

    def __call__(self, pred, target):
        return self.forward(pred, target)

    def forward(self, pred, target):
        target = np.asarray(target, dtype=np.float64)
        if pred.shape != target.shape:
            raise ValueError(f"MSELoss expected target of shape {pred.shape} like pred, "
                             f"got {target.shape}")
        self.diff = pred - target
        return float(np.vdot(self.diff, self.diff)) / self.diff.size

    def backward(self):
        """dL/dpred = 2 (pred - target) / n, same shape as pred."""
        return self.diff * (2.0 / self.diff.size)


class CrossEntropyLoss:
    """Softmax cross-entropy L = -1/N sum_n log softmax(logits_n)[target_n]; logits (N, C)."""

    def __call__(self, logits, target):
        return self.forward(logits, target)

    def forward(self, logits, target):
        target = np.asarray(target)
        if logits.ndim != 2 or target.shape != logits.shape[:1]:
            raise ValueError(f"CrossEntropyLoss expected logits (N, C) and targets (N,), "
                             f"got {logits.shape} and {target.shape}")
        N, C = logits.shape
        if not np.issubdtype(target.dtype, np.integer) or target.min() < 0 or target.max() >= C:
            raise ValueError(f"CrossEntropyLoss expected integer targets in [0, {C - 1}]")
        shifted = logits - logits.max(axis=1, keepdims=True)  # stable: exp() <= 1
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs, self.target = np.exp(log_probs), target
        return float(-log_probs[np.arange(N), target].mean())

    def backward(self):
        """dL/dlogits = (softmax(logits) - onehot(target)) / N, shape (N, C)."""
        grad = self.probs.copy()
        grad[np.arange(len(self.target)), self.target] -= 1.0
        return grad / len(self.target)


def count_parameters(module):
    """Number of trainable numbers in ``module`` (all entries of all its Parameters)."""
    return sum(p.data.size for p in module.parameters())
