"""The numpy engine (lecture_utils.nn) against hand-written numpy and PyTorch CPU (float64).

Times, at teaching sizes, (1) an MLP 2-64-64-1 tanh training step at batch 64 (forward,
MSE, backward, SGD), (2) Conv2d 3->16, kernel 5, on 8x3x32x32, forward + backward, and
(3) RNN 4->32, batch 32, 50 steps, forward + backward (BPTT), and (4) the same with a GRU.
Reports medians and ratios, of wall-clock and of CPU time (all threads of the process).

Fair threads: every library runs with the same thread count (numpy's BLAS set through
threadpoolctl, PyTorch's through torch.set_num_threads).  The targets use 1 thread and CPU
time: the panels run the engine at 1 thread (widgets.Panel), and on a busy 2-core machine that
is what reproduces (a second BLAS/OpenMP thread waits for a core and spins while it waits; the
wall clock counts the waits that other programs cause).  Wall-clock ratios, and engine and
PyTorch at the machine's thread count, are printed beside for information.
PyTorch is optional:  .venv/bin/pip install torch==2.13.0  (CPU wheel).

Run:  python benchmarks/bench_engine.py    (or call main() from benchmarks/run_all.py)
"""

import os
import statistics
import sys
import time
import timeit
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import ThreadpoolController

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lecture_utils import nn  # noqa: E402
from lecture_utils.optim import SGD  # noqa: E402

TARGETS = {  # (vs hand-written numpy, vs PyTorch): engine time / reference time at most
    "MLP 2-64-64-1 step, batch 64": (1.3, 0.5),
    "Conv2d 3->16 k5, 8x3x32x32, fwd+bwd": (None, 1.0),
    "RNN 4->32, batch 32, T=50, fwd+bwd": (None, 1.5),
    "GRU 4->32, batch 32, T=50, fwd+bwd": (None, 1.5),
}
LR = 1e-3
PAUSE = 0.2  # seconds between measurement blocks


def median_seconds(fns, setups=None, rounds=3, repeats=5, seconds_per_repeat=0.04):
    """Median (wall, CPU) seconds of one call of each fn, measured in `rounds` alternating blocks.

    Alternating blocks spread background load over all fns; the pause before each block
    lets the previous library's spinning BLAS/OpenMP threads go to sleep, so they do not
    steal the cores (numpy and PyTorch each run their own thread pool).  setups[i](),
    if given, runs before each block of fns[i] (e.g. to set a library's thread count).
    CPU time is time.process_time: all threads of this process, spinning ones included.
    """
    setups = setups or [lambda: None] * len(fns)
    numbers = []
    for fn, setup in zip(fns, setups, strict=True):
        setup()
        calls, start = 0, timeit.default_timer()
        while timeit.default_timer() - start < 0.1:  # warm up caches and allocator
            fn()
            calls += 1
        numbers.append(max(1, int(calls * seconds_per_repeat / 0.1)))
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, setup, number, runs in zip(fns, setups, numbers, times, strict=True):
            setup()
            time.sleep(PAUSE)
            fn()
            for _ in range(repeats):
                wall, cpu = timeit.default_timer(), time.process_time()
                for _ in range(number):
                    fn()
                runs.append(((timeit.default_timer() - wall) / number,
                             (time.process_time() - cpu) / number))
    return [(statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
            for runs in times]


def blas_threads():
    """Threads numpy's BLAS may use here (env limits, else the CPUs available)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# --- (1) MLP training step ----------------------------------------------------------------

def mlp_engine(x, y):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 64, rng=rng), nn.Tanh(), nn.Linear(64, 64, rng=rng),
                          nn.Tanh(), nn.Linear(64, 1, rng=rng))
    loss, optimizer = nn.MSELoss(), SGD(model.parameters(), lr=LR)

    def step():
        loss(model(x), y)
        optimizer.zero_grad()
        model.backward(loss.backward())
        optimizer.step()
    return step


def mlp_numpy(x, y):
    rng = np.random.default_rng(0)
    W1, b1 = rng.uniform(-0.7, 0.7, (2, 64)), np.zeros(64)
    W2, b2 = rng.uniform(-0.125, 0.125, (64, 64)), np.zeros(64)
    W3, b3 = rng.uniform(-0.125, 0.125, (64, 1)), np.zeros(1)

    def step():
        h1 = np.tanh(x @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        diff = h2 @ W3 + b3 - y
        _ = np.mean(diff**2)
        g3 = 2 * diff / diff.size
        g2 = (g3 @ W3.T) * (1 - h2**2)
        g1 = (g2 @ W2.T) * (1 - h1**2)
        for param, grad in ((W3, h2.T @ g3), (b3, g3.sum(0)), (W2, h1.T @ g2),
                            (b2, g2.sum(0)), (W1, x.T @ g1), (b1, g1.sum(0))):
            param -= LR * grad
    return step


def mlp_torch(torch, x, y):
    model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                                torch.nn.Tanh(), torch.nn.Linear(64, 1)).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(xt), yt).backward()
        optimizer.step()
    return step


# --- (2) Conv2d forward + backward --------------------------------------------------------

def conv_engine(x, g):
    conv = nn.Conv2d(3, 16, 5, rng=0)

    def run():
        conv(x)
        conv.zero_grad()
        conv.backward(g)
    return run


def conv_numpy(x, g):
    W, b = np.random.default_rng(0).uniform(-0.1, 0.1, (16, 3, 5, 5)), np.zeros(16)
    cache = {}  # kept between calls, like a layer keeps its cache (fresh memory is costly on VMs)

    def run():
        N, C, H, Wd = x.shape
        k, Ho, Wo = 5, H - 4, Wd - 4
        cols = sliding_window_view(x, (k, k), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3)
        cols = cache["cols"] = cols.reshape(N, C * k * k, Ho * Wo)
        y = W.reshape(16, -1) @ cols
        y += b[:, None]
        g2 = g.reshape(N, 16, Ho * Wo)
        _ = (g2 @ cols.transpose(0, 2, 1)).sum(0)  # dW
        _ = g.sum(axis=(0, 2, 3))  # db
        dcols = (W.reshape(16, -1).T @ g2).reshape(N, C, k, k, Ho, Wo)
        dx = np.zeros_like(x)
        for a in range(k):
            for c in range(k):
                dx[:, :, a:a + Ho, c:c + Wo] += dcols[:, :, a, c]
    return run


def conv_torch(torch, x, g):
    conv = torch.nn.Conv2d(3, 16, 5).double()
    xt = torch.from_numpy(x).requires_grad_(True)
    gt = torch.from_numpy(g)

    def run():
        conv.zero_grad()
        xt.grad = None
        conv(xt).backward(gt)
    return run


# --- (3) RNN forward + backward through time ----------------------------------------------

def rnn_engine(x, g):
    rnn = nn.RNN(4, 32, rng=0)

    def run():
        rnn(x)
        rnn.zero_grad()
        rnn.backward(g)
    return run


def rnn_numpy(x, g):
    rng = np.random.default_rng(0)
    W_ih, W_hh, b = rng.uniform(-0.18, 0.18, (4, 32)), rng.uniform(-0.18, 0.18, (32, 32)), \
        np.zeros(32)

    def run():
        N, T, _ = x.shape
        hs = np.zeros((T + 1, N, 32))
        for t in range(T):
            hs[t + 1] = np.tanh(x[:, t] @ W_ih + hs[t] @ W_hh + b)
        dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b)
        dx, dh = np.zeros_like(x), np.zeros((N, 32))
        for t in reversed(range(T)):
            da = (g[:, t] + dh) * (1 - hs[t + 1] ** 2)
            dW_ih += x[:, t].T @ da
            dW_hh += hs[t].T @ da
            db += da.sum(0)
            dx[:, t] = da @ W_ih.T
            dh = da @ W_hh.T
    return run


def rnn_torch(torch, x, g):
    rnn = torch.nn.RNN(4, 32, batch_first=True).double()
    xt = torch.from_numpy(x).requires_grad_(True)
    gt = torch.from_numpy(g)

    def run():
        rnn.zero_grad()
        xt.grad = None
        rnn(xt)[0].backward(gt)
    return run


def gru_engine(x, g):
    gru = nn.GRU(4, 32, rng=0)

    def run():
        gru(x)
        gru.zero_grad()
        gru.backward(g)
    return run


def gru_torch(torch, x, g):
    gru = torch.nn.GRU(4, 32, batch_first=True).double()
    xt = torch.from_numpy(x).requires_grad_(True)
    gt = torch.from_numpy(g)

    def run():
        gru.zero_grad()
        xt.grad = None
        gru(xt)[0].backward(gt)
    return run


def main():
    """Time the four workloads and print a table of medians and ratios (always returns 0)."""
    threads = blas_threads()
    try:
        import torch
    except ImportError:
        torch = None
    blas = ThreadpoolController()
    rng = np.random.default_rng(0)
    x_mlp, y_mlp = rng.standard_normal((64, 2)), rng.standard_normal((64, 1))
    x_conv, g_conv = rng.standard_normal((8, 3, 32, 32)), rng.standard_normal((8, 16, 28, 28))
    x_rnn, g_rnn = rng.standard_normal((32, 50, 4)), rng.standard_normal((32, 50, 32))
    cases = [("MLP 2-64-64-1 step, batch 64", mlp_engine, mlp_numpy, mlp_torch, (x_mlp, y_mlp)),
             ("Conv2d 3->16 k5, 8x3x32x32, fwd+bwd", conv_engine, conv_numpy, conv_torch,
              (x_conv, g_conv)),
             ("RNN 4->32, batch 32, T=50, fwd+bwd", rnn_engine, rnn_numpy, rnn_torch,
              (x_rnn, g_rnn)),
             ("GRU 4->32, batch 32, T=50, fwd+bwd", gru_engine, None, gru_torch,
              (x_rnn, g_rnn))]  # no hand-written GRU: the engine's is the numpy version

    def numpy_threads(n):
        return lambda: blas.limit(limits=n, user_api="blas")

    def torch_threads(n):
        return lambda: torch.set_num_threads(n)

    print("\n== Engine: lecture_utils.nn vs hand-written numpy and PyTorch CPU (float64) ==")
    if torch is None:
        print("PyTorch not installed: skipped (to compare, install the CPU wheel with "
              "`.venv/bin/pip install torch==2.13.0`)")
    print("Median time per call (3 x 5 runs), all at 1 thread (numpy's BLAS via threadpoolctl, "
          "torch.set_num_threads(1)), as CPU time\n(process_time: the work done, without the "
          "waits for a core that other programs cause); ratio = engine / reference; targets on "
          "these ratios.\nwall e/t: the wall-clock ratio"
          + (f"; at {threads} threads: engine and torch wall-clock, for information."
             if threads > 1 else "."))
    header = (f"{'workload':37s} {'engine':>8s} {'numpy':>8s} {'torch':>8s} {'eng/np':>6s} "
              f"{'eng/torch':>9s} {'wall e/t':>8s}  {f'{threads} thr: engine':>15s} "
              f"{'torch':>8s} {'ratio':>5s}  targets")
    print(header + "\n" + "-" * len(header))
    for name, engine, numpy_version, torch_version, data in cases:
        fns, setups = [engine(*data)], [numpy_threads(1)]
        if numpy_version:
            fns.append(numpy_version(*data))
            setups.append(numpy_threads(1))
        if torch is not None:
            fns.append(torch_version(torch, *data))
            setups.append(torch_threads(1))
        timings = iter(median_seconds(fns, setups))
        t_engine = next(timings)
        t_numpy = next(timings) if numpy_version else None
        t_torch = next(timings) if torch is not None else None
        many = []  # engine and torch with every thread: timed apart, as their spinning
        if torch is not None and threads > 1:  # threads slowed the 1-thread runs next to them
            many = median_seconds([fns[0], fns[-1]],
                                  [numpy_threads(threads), torch_threads(threads)])
        np_target, torch_target = TARGETS[name]
        cells = [f"{t[1] * 1e3:6.3f}ms" if t else f"{'-':>8s}" for t in (t_engine, t_numpy,
                                                                        t_torch)]
        verdicts, ratio_np, ratio_torch, ratio_wall = [], f"{'-':>6s}", f"{'-':>9s}", f"{'-':>8s}"
        if t_numpy:
            r_np = t_engine[1] / t_numpy[1]
            ratio_np = f"{r_np:6.2f}"
            if np_target:
                verdicts.append(f"np<={np_target}x {'ok' if r_np <= np_target else 'MISSED'}")
        if t_torch:
            r_torch = t_engine[1] / t_torch[1]
            ratio_torch, ratio_wall = f"{r_torch:9.2f}", f"{t_engine[0] / t_torch[0]:8.2f}"
            verdict = "ok" if r_torch <= torch_target else "MISSED"
            verdicts.append(f"torch<={torch_target}x {verdict}")
        many_cells = (f"{many[0][0] * 1e3:13.3f}ms {many[1][0] * 1e3:6.3f}ms "
                      f"{many[0][0] / many[1][0]:5.2f}") if many else ""
        print(f"{name:37s} {' '.join(cells)} {ratio_np} {ratio_torch} {ratio_wall}  "
              f"{many_cells:32s}  {', '.join(verdicts)}")
    blas.limit(limits=threads, user_api="blas")
    if torch is not None:
        torch.set_num_threads(threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
