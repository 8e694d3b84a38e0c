"""Time the slider explorers: one update = set a slider's value (recompute + redraw, as in the notebook).

    python benchmarks/bench_widgets.py

For every explorer and control, the slider is swept across its range in its own steps,
forth (cold: every position new, nothing cached) and back (warm: positions seen before).
Observers fire synchronously, so the time of `slider.value = v` is the whole update the
kernel does for the student (sending the new HTML to the browser is not included).
The budget is 100 ms median per update.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from coursegrad import classifier_explorer, reverse_mode_explorers, widgets

BUDGET_MS = 100.0


def positions(control, most: int = 40) -> list:
    """The values a student can reach with this control, at most `most` of them, in order."""
    import ipywidgets

    if isinstance(control, ipywidgets.Dropdown):
        return list(control.options) * 2
    if isinstance(control, ipywidgets.SelectionSlider):  # a set of values (lecture 6's hidden units)
        values = np.array(control.options)
    elif isinstance(control, ipywidgets.FloatLogSlider):
        values = control.base ** np.arange(control.min, control.max + control.step / 2, control.step)
    else:
        values = np.arange(control.min, control.max + control.step / 2, control.step)
    values = values[np.linspace(0, len(values) - 1, min(most, len(values))).round().astype(int)]
    return [type(control.value)(v) for v in values]


def sweep(explorer, name: str) -> tuple[list[float], list[float]]:
    """Per-update times in ms: forth across the range (cold), then back (warm)."""
    control = explorer.sliders[name]
    values = positions(control)
    cold, warm = [], []
    for times, order in ((cold, values), (warm, values[::-1])):
        for v in order:
            start = time.perf_counter()
            control.value = v
            times.append((time.perf_counter() - start) * 1000)
    return cold, warm


def neuron(w0, x0, w1, x1, w2):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


NEURON = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}  # the lecture's sigmoid neuron, as primitive gates

CASES = [
    ("graph_explorer (x + y)·z", lambda: widgets.graph_explorer(lambda x, y, z: (x + y) * z, x=-2.0, y=5.0, z=-4.0), ["x", "z"]),
    ("graph_explorer sigmoid neuron", lambda: widgets.graph_explorer(neuron, **NEURON), ["w0", "x1"]),
    ("backprop_stepper sigmoid neuron", lambda: widgets.backprop_stepper(neuron, **NEURON), ["step"]),
    ("multiplication_explorer", widgets.multiplication_explorer, ["a", "b", "scale", "lr"]),
    ("sigmoid_explorer", widgets.sigmoid_explorer, ["x"]),
    ("deep_sigmoid_explorer", widgets.deep_sigmoid_explorer, ["depth", "gain", "input_scale", "activation"]),
    ("classifier_explorer (lecture 6)", lambda: classifier_explorer.classifier_explorer(), ["step", "hidden", "lr"]),
    ("checkpoint_explorer (lecture 7)", reverse_mode_explorers.checkpoint_explorer, ["segment"]),
]


def p95(times: list[float]) -> float:
    return float(np.percentile(times, 95))


def main() -> None:
    print(f"slider explorers: ms per update (budget {BUDGET_MS:.0f} ms median); load average {os.getloadavg()[0]:.2f}")
    header = (
        f"{'explorer':34} {'control':12} {'n':>4} {'build ms':>9} {'cold med':>9} {'cold p95':>9} "
        f"{'warm med':>9} {'all med':>8} {'all p95':>8}"
    )
    print(header)
    print("-" * len(header))
    summary = []
    for title, make, controls in CASES:
        start = time.perf_counter()
        explorer = make()
        build = f"{(time.perf_counter() - start) * 1000:9.1f}"
        everything = []
        for name in controls:
            cold, warm = sweep(explorer, name)
            both = cold + warm
            everything += both
            print(
                f"{title:34} {name:12} {len(both):4d} {build:>9} {statistics.median(cold):9.2f} {p95(cold):9.2f} "
                f"{statistics.median(warm):9.2f} {statistics.median(both):8.2f} {p95(both):8.2f}"
            )
            build = ""
        summary.append((title, statistics.median(everything), p95(everything), max(everything)))
    print()
    print(f"{'explorer':34} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  verdict")
    for title, med, q95, worst in summary:
        verdict = "ok" if med < BUDGET_MS else "OVER BUDGET"
        print(f"{title:34} {med:10.2f} {q95:8.2f} {worst:8.2f}  {verdict}")


if __name__ == "__main__":
    main()
