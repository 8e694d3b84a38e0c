"""Time graph drawings and backprop step-through frames (the slider explorers redraw on every change).

    python benchmarks/bench_draw.py

Prints the median time of draw() and of trace.draw(k) for the lecture's graphs, a 37-node
network and a 400-node graph (drawn in compact form). The explorers' budget is 100 ms per update.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from coursegrad import Value
from coursegrad.drawing import draw
from coursegrad.engine import topological_order
from coursegrad.steps import backward_steps


def lecture():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    return (x + y) * z


def neuron():
    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def network():
    rng = np.random.default_rng(0)
    x = [Value(1.0, "x0"), Value(-0.5, "x1")]
    hidden = []
    for j in range(3):
        s = Value(float(rng.normal()), f"b{j}")
        for i in range(2):
            s = s + Value(float(rng.normal()), f"w{j}{i}") * x[i]
        hidden.append(s.tanh())
    out = hidden[0] * Value(0.5, "v0") + hidden[1] * Value(-1.0, "v1") + hidden[2] * Value(0.3, "v2")
    return (out - 1.0) ** 2


def arrays():
    rng = np.random.default_rng(0)
    W, X, b = Value(rng.normal(size=(3, 4)), "W"), Value(rng.normal(size=(4, 5)), "X"), Value(rng.normal(size=(3, 1)), "b")
    return (W @ X + b).relu().sum()


def large():
    f = Value(0.0, "x0")
    for i in range(1, 134):
        f = f + Value(float(i), f"x{i}") * 0.5
    return f


def median_ms(fn, repeat: int = 15) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    print(f"{'graph':<28}{'nodes':>6}{'draw (ms)':>12}{'build+backward+draw':>22}{'stepper frame':>16}")
    for name, build in [("(x + y) * z", lecture), ("sigmoid neuron", neuron), ("2-3-1 tanh net", network),
                        ("W @ X + b, relu, sum", arrays), ("533 nodes (compact form)", large)]:  # fmt: skip
        f = build()
        trace = backward_steps(f)
        d = draw(f)
        n = len(topological_order(f))

        def full(build=build):
            g = build()
            g.backward()
            return draw(g)

        k = len(trace) // 2
        print(
            f"{name:<28}{n:>6}{median_ms(lambda f=f: draw(f)):>12.2f}{median_ms(full):>22.2f}"
            f"{median_ms(lambda t=trace, k=k: t.draw(k)):>16.2f}   ({d.width}×{d.height} px)"
        )


if __name__ == "__main__":
    main()
