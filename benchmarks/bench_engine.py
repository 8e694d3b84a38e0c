"""Speed of the coursegrad engine against micrograd, hand-written numpy and PyTorch.

Three measurements, each printed in one table from this single run:

1. **Scalar graph** (coursegrad vs micrograd 0.1.0 from PyPI): the same MLP 2-16-16-1
   evaluated on a batch of 20 points scalar by scalar (one node per + and ×), plus a
   squared-error loss; forward (building the graph) + backward. micrograd 0.1.0 has no
   tanh, so both use relu. Target: coursegrad ≤ 1.0× micrograd.
2. **Array MLP training step** (coursegrad vs hand-written numpy backprop vs PyTorch CPU
   autograd): batch 256, MLP 2-64-64-1 with tanh, MSE loss; forward + backward + SGD
   update. float64 everywhere; PyTorch runs with `torch.set_num_threads(1)` (numpy's BLAS
   is free to use its threads, but at these sizes it stays on one). Target: coursegrad ≤ 1.5×
   numpy.
3. **Deep chain**: backward through a chain of 100,000 nodes. Target: < 2 s.

Timing: `time.perf_counter`, the implementations take turns in every round (so a noisy
neighbour slows all of them alike); the table gives the best and the median of the
rounds, and ratios of the medians. Before timing, each comparison checks that the two
implementations compute the same numbers (so they do the same work).

    python benchmarks/bench_engine.py            # full run (about half a minute)
    python benchmarks/bench_engine.py --quick    # fewer rounds, for a smoke test
"""

from __future__ import annotations

import os

# One thread for every library (numpy's OpenBLAS, PyTorch): a fair comparison, and steadier
# numbers on a small shared machine. Must be set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from coursegrad import Value  # noqa: E402
from coursegrad.nn import MLP, mse_loss, sgd_step  # noqa: E402

# ---------------------------------------------------------------------------
# 1. The same scalar graph in coursegrad and in micrograd
# ---------------------------------------------------------------------------

SCALAR_SIZES = [2, 16, 16, 1]
SCALAR_BATCH = 20


def scalar_problem(seed: int = 0):
    """Weights, biases and a batch of points, as plain floats (shared by both engines)."""
    rng = random.Random(seed)
    layer_sizes = list(zip(SCALAR_SIZES, SCALAR_SIZES[1:], strict=False))
    weights = [[[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)] for n_in, n_out in layer_sizes]
    biases = [[rng.uniform(-0.1, 0.1) for _ in range(n_out)] for n_out in SCALAR_SIZES[1:]]
    X = [[rng.uniform(-2, 2) for _ in range(SCALAR_SIZES[0])] for _ in range(SCALAR_BATCH)]
    y = [rng.choice([-1.0, 1.0]) for _ in range(SCALAR_BATCH)]
    return weights, biases, X, y


def scalar_mlp(ValueClass, problem):
    """Return (params, forward): forward() builds the whole graph and returns the loss node."""
    weights, biases, X, y = problem
    W = [[[ValueClass(w) for w in row] for row in layer] for layer in weights]
    B = [[ValueClass(b) for b in layer] for layer in biases]
    params = [p for layer in W for row in layer for p in row] + [p for layer in B for p in layer]
    last = len(W) - 1

    def forward():
        loss = ValueClass(0.0)
        for x, target in zip(X, y, strict=True):
            h = x
            for i, (W_l, B_l) in enumerate(zip(W, B, strict=True)):
                out = []
                for w_row, b in zip(W_l, B_l, strict=True):
                    s = b
                    for w, h_j in zip(w_row, h, strict=True):
                        s = s + w * h_j
                    out.append(s if i == last else s.relu())
                h = out
            d = h[0] - target
            loss = loss + d * d
        return loss

    return params, forward


def check_same_scalar_graph(problem) -> None:
    from micrograd.engine import Value as MicroValue

    cg_params, cg_forward = scalar_mlp(Value, problem)
    mg_params, mg_forward = scalar_mlp(MicroValue, problem)
    cg_loss, mg_loss = cg_forward(), mg_forward()
    cg_loss.backward()
    mg_loss.backward()
    assert abs(cg_loss.data - mg_loss.data) <= 1e-9 * abs(mg_loss.data), (cg_loss.data, mg_loss.data)
    worst = max(abs(a.grad - b.grad) for a, b in zip(cg_params, mg_params, strict=True))
    assert worst <= 1e-9, f"coursegrad and micrograd gradients differ by {worst}"


def count_nodes(root: Value) -> int:
    from coursegrad.engine import topological_order

    return len(topological_order(root))


def bench_scalar(rounds: int, collect_garbage: bool) -> dict:
    """Time forward + backward. With `collect_garbage` False, Python's cyclic garbage collector
    is off during the timed part (pure compute); with True it runs as it does in a notebook.
    micrograd's closures make reference cycles, which only that collector frees."""
    from micrograd.engine import Value as MicroValue

    problem = scalar_problem()
    check_same_scalar_graph(problem)
    runners = {"coursegrad": scalar_mlp(Value, problem)[1], "micrograd 0.1.0": scalar_mlp(MicroValue, problem)[1]}
    times: dict[str, dict[str, list]] = {name: {"forward": [], "backward": [], "total": []} for name in runners}
    for _ in range(rounds):
        for name, forward in runners.items():
            gc.collect()
            if not collect_garbage:
                gc.disable()
            t0 = time.perf_counter()
            loss = forward()
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            gc.enable()
            times[name]["forward"].append(t1 - t0)
            times[name]["backward"].append(t2 - t1)
            times[name]["total"].append(t2 - t0)
            del loss
    nodes = count_nodes(runners["coursegrad"]())
    return {"times": times, "nodes": nodes, "gc": collect_garbage}


# ---------------------------------------------------------------------------
# 2. An array MLP training step: coursegrad, hand-written numpy, PyTorch
# ---------------------------------------------------------------------------

ARRAY_SIZES = [2, 64, 64, 1]
ARRAY_BATCH = 256
LEARNING_RATE = 0.05


def array_problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((ARRAY_BATCH, ARRAY_SIZES[0]))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X, y


def coursegrad_step(model: MLP, X, y):
    params = model.parameters()

    def step():
        model.zero_grad()
        loss = mse_loss(model(X), y)
        loss.backward()
        sgd_step(params, LEARNING_RATE)
        return loss.data

    return step


def numpy_step(params: list, X, y):
    """Backprop written out by hand for this network (the reference a student could write)."""
    target = y[:, None]

    def step():
        W1, b1, W2, b2, W3, b3 = params
        h1 = np.tanh(X @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        out = h2 @ W3 + b3
        diff = out - target
        loss = np.mean(diff**2)
        d_out = (2.0 / diff.size) * diff
        d_W3, d_b3 = h2.T @ d_out, d_out.sum(axis=0)
        d_z2 = (d_out @ W3.T) * (1.0 - h2 * h2)
        d_W2, d_b2 = h1.T @ d_z2, d_z2.sum(axis=0)
        d_z1 = (d_z2 @ W2.T) * (1.0 - h1 * h1)
        d_W1, d_b1 = X.T @ d_z1, d_z1.sum(axis=0)
        for p, g in zip(params, (d_W1, d_b1, d_W2, d_b2, d_W3, d_b3), strict=True):
            p -= LEARNING_RATE * g
        return loss

    return step


def torch_step(params: list, X, y):
    import torch

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y[:, None])
    tparams = [torch.tensor(p, requires_grad=True) for p in params]

    def step():
        W1, b1, W2, b2, W3, b3 = tparams
        for p in tparams:
            p.grad = None
        h1 = torch.tanh(Xt @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        loss = torch.mean((h2 @ W3 + b3 - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            for p in tparams:
                p -= LEARNING_RATE * p.grad
        return loss.item()

    return step, tparams


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def bench_array(rounds: int, steps_per_round: int) -> dict:
    X, y = array_problem()
    model = MLP(ARRAY_SIZES, activation="tanh", seed=0)
    start = [p.data.copy() for p in model.parameters()]
    runners = {"coursegrad": coursegrad_step(model, X, y), "numpy (by hand)": numpy_step([p.copy() for p in start], X, y)}
    if torch_available():
        import torch

        torch.set_num_threads(1)
        runners["PyTorch CPU"], _ = torch_step([p.copy() for p in start], X, y)

    # the same numbers: three steps of each from the same start give the same losses (steps 2 and 3
    # depend on the updates, so this checks gradients and SGD too)
    losses = {name: [step() for _ in range(3)] for name, step in runners.items()}
    for name, ls in losses.items():
        assert np.allclose(ls, losses["coursegrad"], rtol=1e-10, atol=0), (name, ls, losses["coursegrad"])

    times: dict[str, list] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, step in runners.items():
            t0 = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            times[name].append((time.perf_counter() - t0) / steps_per_round)
    threads = torch.get_num_threads() if "PyTorch CPU" in runners else None
    return {"times": times, "torch_threads": threads}


# ---------------------------------------------------------------------------
# 3. A deep chain
# ---------------------------------------------------------------------------

CHAIN_LENGTH = 100_000


def bench_chain(rounds: int) -> dict:
    """y = x + x + ... (100,000 "+" nodes in a row, each also using the leaf x): dy/dx = 100,001."""
    build, backward = [], []
    for _ in range(rounds):
        x = Value(0.5, label="x")
        t0 = time.perf_counter()
        y = x
        for _ in range(CHAIN_LENGTH - 1):
            y = y + x
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
        assert x.grad == CHAIN_LENGTH, x.grad
        build.append(t1 - t0)
        backward.append(t2 - t1)
        del x, y
    return {"build": build, "backward": backward}


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def machine_note() -> str:
    import os

    try:
        load = f", load average {os.getloadavg()[0]:.2f}"
    except OSError:
        load = ""
    cpu = platform.processor() or platform.machine()
    return (
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs ({cpu}){load}"
    )


def table(scalars: list, array: dict, chain: dict) -> str:
    rows = ["| benchmark | implementation | best (ms) | median (ms) | ratio (median) | target |", "|---|---|---:|---:|---:|---|"]
    for scalar in scalars:
        st = scalar["times"]
        base = statistics.median(st["micrograd 0.1.0"]["total"])
        for name, t in st.items():
            med = statistics.median(t["total"])
            detail = f"forward {ms(statistics.median(t['forward']))} + backward {ms(statistics.median(t['backward']))}"
            target = ("≤ 1.0× micrograd " + ("met" if med / base <= 1.0 else "MISSED")) if name == "coursegrad" else "baseline"
            rows.append(
                f"| scalar MLP {'-'.join(map(str, SCALAR_SIZES))} relu, batch {SCALAR_BATCH} ({scalar['nodes']} nodes), "
                f"{'garbage collector on' if scalar['gc'] else 'garbage collector off'}: {detail} "
                f"| {name} | {ms(min(t['total']))} | {ms(med)} | {med / base:.2f}× | {target} |"
            )
    at = array["times"]
    base = statistics.median(at["numpy (by hand)"])
    for name, t in at.items():
        med = statistics.median(t)
        if name == "coursegrad":
            target = "≤ 1.5× numpy " + ("met" if med / base <= 1.5 else "MISSED")
        elif name == "PyTorch CPU":
            target = f"(torch {array['torch_threads']} thread)"
        else:
            target = "baseline"
        rows.append(
            f"| array MLP {'-'.join(map(str, ARRAY_SIZES))} tanh, batch {ARRAY_BATCH}, MSE: "
            f"forward + backward + SGD step | {name} | {ms(min(t))} | {ms(med)} | {med / base:.2f}× | {target} |"
        )
    med = statistics.median(chain["backward"])
    rows.append(
        f"| chain of {CHAIN_LENGTH:,} nodes: backward (building it: {ms(statistics.median(chain['build']))} ms) "
        f"| coursegrad | {ms(min(chain['backward']))} | {ms(med)} | | < 2000 ms {'met' if med < 2 else 'MISSED'} |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke test, not a measurement)")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(10_000)  # micrograd's backward is recursive (the scalar graph is ~100 deep)
    rounds = 3 if args.quick else 25
    scalars = [bench_scalar(rounds, collect_garbage=False), bench_scalar(rounds, collect_garbage=True)]
    array = bench_array(rounds, steps_per_round=5 if args.quick else 20)
    chain = bench_chain(rounds=1 if args.quick else 5)
    print(f"## Engine ({machine_note()})\n")
    print(table(scalars, array, chain))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
