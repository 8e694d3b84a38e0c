"""The slider explorer of lecture 6: a two-layer classifier's decision regions as it trains.

`classifier_explorer()` trains affine → ReLU → affine → softmax cross-entropy on the spiral
(`nn.spiral_dataset`) for every hidden size H and learning rate the sliders offer (7 × 13 runs),
once, when it is built: `two_layer.train_two_layer_classifiers`, the engine's steps written in
numpy for all learning rates of one H at once (the same numbers as the engine's; a test checks
it). A slider move then only draws: the regions each class gets and the loss curve at any step.

It follows `coursegrad.widgets`: controls in `.sliders`, results in `.state`, numbers in a
`coursegrad-readout` box as `<span class="coursegrad-number" data-name=...>`, the picture as
SVG drawn once with the moving parts on top (`SvgFigure`). Each run keeps the weights every
`every` steps, so moving a slider only looks them up (`.state["build_seconds"]`: the training time).
CSS classes: coursegrad-classifier-explorer, with sliders
coursegrad-slider-hidden, coursegrad-slider-lr and coursegrad-slider-step; the regions are an
<image class="coursegrad-regions"> in the plot's overlay.
"""

from __future__ import annotations

import base64
import io
import math
import time
from typing import Any

import numpy as np

from coursegrad import nn, plots, two_layer
from coursegrad.explorer import Explorer, make_slider, number, plot_box, readout_box, readout_lines
from coursegrad.figures import SvgFigure

__all__ = ["ClassifierExplorer", "classifier_explorer"]

MARKERS = ("circle", "square", "diamond")  # one shape per class, as well as a colour
HIDDEN_SIZES = (1, 2, 3, 5, 10, 20, 50)  # the hidden-units slider's values
LR_EXPONENTS = (-2, 1, 0.25)  # the learning-rate slider: 10**-2 to 10**1 in steps of 10**0.25
LEARNING_RATES = tuple(10.0 ** (LR_EXPONENTS[0] + k * LR_EXPONENTS[2]) for k in range(13))


def _key(lr: float) -> float:
    """A learning rate as a dictionary key: the slider's 10**x and numpy's agree to 12 significant digits."""
    return float(f"{lr:.12g}")


def _hidden_slider(hidden: int):
    """The hidden-units slider: the sizes in HIDDEN_SIZES, CSS class coursegrad-slider-hidden."""
    import ipywidgets as widgets

    s = widgets.SelectionSlider(options=HIDDEN_SIZES, value=hidden, description="hidden units H", continuous_update=True,
                                style={"description_width": "initial"}, layout=widgets.Layout(width="320px"))  # fmt: skip
    s.add_class("coursegrad-slider-hidden")
    return s


class ClassifierExplorer(Explorer):
    """Sliders for the hidden size, learning rate and training step of the lecture's two-layer classifier.

    `.state`: hidden, lr, step (the step shown: the last one with weights at or before the
    slider's), loss and accuracy there, losses (the whole run), diverged (the step where the
    logits overflowed, or None), parameters (how many weights and biases).
    """

    def __init__(self, hidden: int = 50, lr: float = 1.0, steps: int = 300, every: int = 20, seed: int = 0):
        if steps % every:
            raise ValueError(f"classifier_explorer: steps ({steps}) must be a multiple of every ({every}).")
        if hidden not in HIDDEN_SIZES:
            raise ValueError(f"classifier_explorer: hidden must be one of the slider's sizes {HIDDEN_SIZES}, got {hidden!r}.")
        self.steps, self.every, self.seed = steps, every, seed
        self.X, self.y = nn.spiral_dataset(seed=seed)
        self.classes = int(self.y.max()) + 1
        self._regions: dict[tuple[int, float, int], str] = {}
        self.sliders = {
            "hidden": _hidden_slider(hidden),
            "lr": make_slider("lr", "learning rate", lr, *LR_EXPONENTS, log=True),
            "step": make_slider("step", "training step", steps, 0, steps, every, integer=True),
        }
        self.state: dict[str, Any] = {"error": None}
        self._runs = self._train_every_setting()
        self.readout = readout_box(2)
        self._build_figure()
        self.plot = plot_box(self.fig)
        import ipywidgets as widgets

        s = self.sliders
        self._finish("classifier-explorer", [widgets.HBox([s["hidden"], s["lr"]]), s["step"], self.readout, self.plot])

    def _train_every_setting(self) -> dict[tuple[int, float], dict]:
        """Every (H, learning rate) the sliders offer, trained now (`two_layer.train_two_layer_classifiers`)."""
        start = time.perf_counter()
        runs = {}
        for hidden in HIDDEN_SIZES:
            trained = two_layer.train_two_layer_classifiers(
                self.X, self.y, hidden, LEARNING_RATES, self.steps, self.every, self.seed
            )
            runs.update({(hidden, _key(lr)): run for lr, run in zip(LEARNING_RATES, trained, strict=True)})
        self.state["build_seconds"] = time.perf_counter() - start
        return runs

    def _build_figure(self) -> None:
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(9.0, 3.9), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.25)
        self.ax_regions, self.ax_loss = self.fig.subplots(1, 2)
        self.extent = plots.region_extent(self.X)
        self.ax_regions.set_xlim(*self.extent[:2])
        self.ax_regions.set_ylim(*self.extent[2:])
        self.ax_regions.set_xlabel("x₁")
        self.ax_regions.set_ylabel("x₂")
        self.ax_regions.set_title("The class each point of the plane gets", fontsize=10)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_ylim(1e-2, 1e1)
        self.ax_loss.set_xlim(0, self.steps)
        self.ax_loss.axhline(math.log(self.classes), color=plots.COLORS["grey"], linestyle=":", linewidth=1)
        self.ax_loss.text(self.steps, math.log(self.classes), f"log {self.classes}: a uniform guess ", ha="right", va="bottom",
                          fontsize=8)  # fmt: skip
        self.ax_loss.set_xlabel("training step")
        self.ax_loss.set_ylabel("softmax cross-entropy (log scale)")
        self.ax_loss.set_title("Training loss", fontsize=10)
        self.ax_loss.grid(True, which="major", linewidth=0.4, alpha=0.5)
        self.canvas = SvgFigure(self.fig)
        self._points = self._data_points()  # the data, drawn over the regions; it never moves

    def _data_points(self) -> str:
        """The data as one SVG group per class, each point a bare marker shape (the group holds its colours)."""
        px, py = self.canvas.xy(self.ax_regions, self.X[:, 0], self.X[:, 1])
        r, groups = 2.6, []
        for k in range(self.classes):
            xy = zip(px[self.y == k], py[self.y == k], strict=True)
            shape, q = MARKERS[k % 3], 1.3 * r
            if shape == "circle":
                points = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}"/>' for a, b in xy)
            elif shape == "square":
                points = "".join(f'<rect x="{a - r:.1f}" y="{b - r:.1f}" width="{2 * r}" height="{2 * r}"/>' for a, b in xy)
            else:
                points = "".join(f'<path d="M{a:.1f} {b - q:.1f}l{q} {q}l{-q} {q}l{-q} {-q}Z"/>' for a, b in xy)
            groups.append(f'<g class="coursegrad-data" data-name="class{k}" fill="{plots.CLASS_STYLES[k][0]}" '
                          f'stroke="#ffffff" stroke-width="1.2">{points}</g>')  # fmt: skip
        return "".join(groups)

    def run(self, hidden: int, lr: float) -> dict:
        """The training run for (hidden, lr): trained when the explorer was built, or (a setting the sliders
        do not offer) by the engine with `two_layer.train_two_layer_classifier` once, then kept."""
        key = (hidden, _key(lr))
        if key not in self._runs:
            self._runs[key] = two_layer.train_two_layer_classifier(self.X, self.y, hidden, lr, self.steps, self.every, self.seed)
        return self._runs[key]

    def _regions_svg(self, hidden: int, lr: float, step: int, params: list) -> str:
        key = (hidden, _key(lr), step)
        if key not in self._regions:
            grid = plots.decision_regions(lambda P: two_layer.two_layer_scores(params, P), self.X, resolution=120)
            left, top, right, bottom = self.canvas.box(self.ax_regions)
            self._regions[key] = (
                f'<image class="coursegrad-regions" data-name="regions" x="{left:.2f}" y="{top:.2f}" '
                f'width="{right - left:.2f}" height="{bottom - top:.2f}" preserveAspectRatio="none" '
                f'href="data:image/png;base64,{_png(plots.region_colors(grid["classes"], 0.35))}"/>'
            )
        return self._regions[key]

    def _recompute(self, changed: str | None) -> None:
        hidden, lr = int(self.sliders["hidden"].value), float(self.sliders["lr"].value)
        run = self.run(hidden, lr)
        step = max(k for k in run["snapshots"] if k <= int(self.sliders["step"].value))
        params = run["snapshots"][step]
        accuracy = float(np.mean(np.argmax(two_layer.two_layer_scores(params, self.X), axis=1) == self.y))
        loss = float(run["loss"][step])
        count = sum(p.size for p in params)
        self.state.update(hidden=hidden, lr=lr, step=step, loss=loss, accuracy=accuracy, losses=run["loss"],
                          diverged=run["diverged"], parameters=count)  # fmt: skip
        stopped = "" if run["diverged"] is None else f" Training blew up at step {number('diverged', run['diverged'])}."
        self.readout.value = readout_lines(
            f"H = {number('hidden', hidden)} hidden units ({number('parameters', count)} weights and biases), "
            f"learning rate {number('lr', lr)}.{stopped}",
            f"After step {number('step', step)}: loss {number('loss', loss)}, "
            f"training accuracy {number('accuracy', 100 * accuracy)} %.",
        )
        done = np.arange(self.steps + 1)
        shapes = [
            self._regions_svg(hidden, lr, step, params),
            self._points,
            self.canvas.curve(self.ax_loss, done, run["loss"], "losses", plots.COLORS["blue"], 2.0),
            self.canvas.vline(self.ax_loss, step, "step"),
            self.canvas.marker(self.ax_loss, step, loss, "loss", plots.COLORS["vermillion"], "circle", 5),
        ]
        self.plot.value = self.canvas.render(shapes)


def _png(rgba: np.ndarray) -> str:
    """RGBA pixels (row 0 at the bottom) as a base64 PNG."""
    from matplotlib.image import imsave

    buf = io.BytesIO()
    imsave(buf, rgba, format="png", origin="lower")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def classifier_explorer(hidden: int = 50, lr: float = 1.0, steps: int = 300) -> ClassifierExplorer:
    """Sliders for the hidden size H, the learning rate and the training step of a two-layer classifier on the spiral.

    The network relu(X·W1 + b1)·W2 + b2 with softmax cross-entropy is trained by full-batch
    gradient descent from `nn.MLP`'s seeded start, for every H in HIDDEN_SIZES and every
    learning rate in LEARNING_RATES when the explorer is built (a few seconds). The left plot
    colours the plane by the class the network picks at the chosen step, the right one
    shows the loss curve. Too few hidden units cannot bend the boundary around the arms;
    too large a learning rate makes the loss go up instead of down.
    """
    return ClassifierExplorer(hidden, lr, steps)
