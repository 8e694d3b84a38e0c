"""Plots for the lectures: the sigmoid's gradient, the multiplication effect, vanishing gradients,
a two-layer classifier's decision regions and loss curve.

Plots only: the numbers they draw are computed by the lectures' experiments, one module per
lecture topic (`coursegrad.multiplication`, `coursegrad.vanishing`, `coursegrad.two_layer`),
which a notebook or a test can call and print. Each `plot_...()` returns the matplotlib
`Figure` and accepts `ax=` to draw into an existing axes instead.

Figures are made with `matplotlib.figure.Figure` (not pyplot), with fixed sizes
and seeded data, so the same call gives the same picture. In a notebook, call
`setup_notebook()` once so figures display inline and re-run byte for byte;
`figure_to_svg(fig)` renders a figure to a deterministic SVG string (both from
`coursegrad.figures`, the machinery shared with the explorers, and reachable here).

matplotlib is imported here, never on `import coursegrad`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from coursegrad.figures import (  # noqa: F401 - the figure machinery, also reached as plots.NAME
    COLORS,
    DPI,
    SVG_SALT,
    SvgFigure,
    decades,
    figure_to_svg,
    inline_svg,
    log_axis_without_ticks,
    plain_log_ticks,
    power_of_ten,
    responsive_svg,
    setup_notebook,
)
from coursegrad.multiplication import gradient_vs_scale_data, loss_curves_data
from coursegrad.vanishing import SATURATION, activation_training_data, layer_gradient_norms_data, sigmoid_data, training_summary

__all__ = [
    "COLORS",
    "setup_notebook",
    "figure_to_svg",
    "SvgFigure",
    "inline_svg",
    "responsive_svg",
    "decades",
    "log_axis_without_ticks",
    "plain_log_ticks",
    "plot_sigmoid",
    "plot_gradient_vs_scale",
    "plot_loss_curves",
    "plot_layer_gradient_norms",
    "plot_activation_training",
    "CLASS_STYLES",
    "region_extent",
    "decision_regions",
    "region_colors",
    "plot_decision_boundary",
    "plot_loss_curve",
    "plot_two_layer_training",
]

_CYCLE = [COLORS[c] for c in ("blue", "vermillion", "green", "purple", "black")]  # apart under colour-blindness (tests)
_STYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "P"]


def _line_style(i: int, j: int | None = None, marker: bool = True) -> dict:
    """Colour (and marker) of line i, line style of j (default i): lines never differ by colour alone."""
    style = {"color": _CYCLE[i % len(_CYCLE)], "linestyle": _STYLES[(i if j is None else j) % len(_STYLES)]}
    if marker:
        style["marker"] = _MARKERS[i % len(_MARKERS)]
    return style


def _new_axes(ax, figsize: tuple[float, float]):
    """Draw into `ax` if given, else into one axes of a new fixed-size figure."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


# ---------------------------------------------------------------------------
# The sigmoid and its derivative (lecture 5)
# ---------------------------------------------------------------------------


def plot_sigmoid(ax=None, *, saturation: float = SATURATION, figsize=(6.4, 3.6)) -> Figure:
    """The sigmoid (solid) and its derivative (dashed), the maximum σ'(0) = 0.25 marked, saturation shaded.

    Where |x| > `saturation` the curve is flat, σ'(x) ≈ 0, and almost no gradient flows back.
    """
    data = sigmoid_data()
    fig, ax = _new_axes(ax, figsize)
    x, s, d = data["x"], data["sigmoid"], data["derivative"]
    lo, hi = float(x[0]), float(x[-1])
    for a, b in ((lo, -saturation), (saturation, hi)):
        ax.axvspan(a, b, facecolor=COLORS["grey"], alpha=0.18, hatch="//", edgecolor=COLORS["grey"], linewidth=0)
    edge = float(np.interp(saturation, x, d))
    ax.text(-(saturation + hi) / 2, 0.62, f"saturated\nσ′ < {edge:.3f}", ha="center", va="center", fontsize=9)
    ax.text((saturation + hi) / 2, 0.38, f"saturated\nσ′ < {edge:.3f}", ha="center", va="center", fontsize=9)
    ax.plot(x, s, color=COLORS["blue"], linestyle="-", linewidth=2, label="σ(x) = 1 / (1 + e⁻ˣ)")
    ax.plot(x, d, color=COLORS["vermillion"], linestyle="--", linewidth=2, label="σ′(x) = σ(x)(1 − σ(x))")
    ax.plot([data["peak_x"]], [data["peak"]], "o", color=COLORS["vermillion"], markersize=7, zorder=3)
    ax.annotate(
        f"max σ′({data['peak_x']:g}) = {data['peak']:g}",
        xy=(data["peak_x"], data["peak"]),
        xytext=(1.6, 0.40),
        arrowprops={"arrowstyle": "->", "color": COLORS["black"]},
        fontsize=9,
    )
    ax.axhline(data["peak"], color=COLORS["vermillion"], linewidth=0.8, linestyle=":")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(np.arange(lo, hi + 1, 2.5 if hi - lo <= 20 else 5))
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("The sigmoid and its gradient")
    ax.legend(loc="upper left", fontsize=9, framealpha=0.95)
    ax.grid(True, linewidth=0.4, alpha=0.5)
    return fig


# ---------------------------------------------------------------------------
# The multiplication effect (lecture 4)
# ---------------------------------------------------------------------------


def plot_gradient_vs_scale(
    ax=None, *, scales: Sequence[float] = (1, 3, 10, 30, 100, 300, 1000), loss: str = "logistic", figsize=(5.2, 3.6)
) -> Figure:
    """|∂loss/∂w| against the data scale on log–log axes: slope 1, so ×1000 data gives a ×1000 gradient."""
    data = gradient_vs_scale_data(scales, loss)
    fig, ax = _new_axes(ax, figsize)
    s, g = data["scales"], data["grad_norms"]
    ax.loglog(s, g, "o-", color=COLORS["blue"], linewidth=2, markersize=6, label="|∂loss/∂w| from backprop")
    ax.loglog(s, g[0] * s / s[0], ":", color=COLORS["black"], linewidth=1, label="slope 1 (∝ scale)")
    ax.set_xlabel("data scale c   (inputs xᵢ → c·xᵢ)")
    ax.set_ylabel("|∂loss/∂w|   at w = 0")
    ax.set_title(f"Weight gradient grows with the data (slope {data['slope']:.3f})")
    ax.annotate(
        f"×{s[-1] / s[0]:g} data → ×{g[-1] / g[0]:.4g} gradient",
        xy=(s[-1], g[-1]),
        xytext=(0.05, 0.85),
        textcoords="axes fraction",
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": COLORS["black"]},
    )
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    return fig


def plot_loss_curves(
    axes=None,
    *,
    learning_rates: Sequence[float] = (0.01, 0.1, 1.0),
    scales: Sequence[float] = (1, 1000),
    steps: int = 50,
    loss: str = "logistic",
    figsize=(9.0, 3.4),
) -> Figure:
    """Loss against training step, one panel per data scale (its own y-axis: log where the loss grows 100-fold).

    Colour and marker tell the learning rates apart, the line style the data scale (solid ×1, dashed
    beyond). A curve that blew up past 1e30 ends in a cross where training stopped.
    """
    data = loss_curves_data(learning_rates, scales, steps, loss)
    if axes is None:
        fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
        axes = fig.subplots(1, len(scales), squeeze=False)[0]
    fig = axes[0].figure
    name = "logistic" if loss == "logistic" else "squared-error"
    for j, (c, ax) in enumerate(zip(scales, axes, strict=True)):
        curves = [(i, data["curves"][(float(lr), float(c))]) for i, lr in enumerate(learning_rates)]
        _loss_panel(ax, data["steps"], curves, learning_rates, j)
        ax.set_title(f"data ×{c:g}", fontsize=10)
        ax.set_ylabel(f"{name} loss{' (log scale)' if ax.get_yscale() == 'log' else ''}")
    fig.suptitle("Linear classifier wᵀx: the same learning rates on raw and scaled data", fontsize=11)
    return fig


def _loss_panel(ax, steps: np.ndarray, curves: list, learning_rates: Sequence[float], j: int) -> None:
    """One panel of `plot_loss_curves`: a line per learning rate, a cross where a run blew up."""
    finite = np.concatenate([c[np.isfinite(c)] for _, c in curves])
    if finite.max() > 100 * finite.min():
        ax.set_yscale("log")
    lasts = [int(np.flatnonzero(np.isfinite(losses))[-1]) for _, losses in curves]
    shown = steps[-1] if max(lasts) == len(steps) - 1 else max(lasts) + 1  # all blew up: show where they did
    for (i, losses), last in zip(curves, lasts, strict=True):
        ax.plot(steps, losses, **_line_style(i, j), markevery=max(1, shown // 10), markersize=5, linewidth=1.8,
                label=f"lr = {learning_rates[i]:g}")  # fmt: skip
        if last < len(losses) - 1:
            ax.plot([steps[last]], [losses[last]], "x", color=_CYCLE[i % len(_CYCLE)], markersize=9, markeredgewidth=2)
    if shown < steps[-1]:
        ax.text(0.97, 0.05, "×: training stopped,\nthe loss passed 1e30", transform=ax.transAxes, ha="right", fontsize=8)
    ax.set_xlabel("training step")
    ax.set_xlim(0, shown)
    ax.legend(fontsize=8, loc="best", handlelength=3.2)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)


# ---------------------------------------------------------------------------
# Vanishing gradients in a deep network (lecture 5)
# ---------------------------------------------------------------------------


def _gain_label(activation: str, gain: float) -> str:
    """ "relu, gain √2 (He)", "sigmoid, gain 1 (LeCun)", or "tanh, gain 4": the initialisation named where it has a name."""
    if math.isclose(gain, math.sqrt(2.0)) and activation == "relu":
        return f"{activation}, gain √2 (He)"
    if gain == 1.0 and activation in ("sigmoid", "tanh"):
        return f"{activation}, gain 1 (LeCun)"
    return f"{activation}, gain {gain:.3g}"


def plot_layer_gradient_norms(
    ax=None,
    *,
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    gains: float | Sequence[float] | None = None,
    depth: int = 10,
    width: int = 32,
    input_scale: float = 1.0,
    figsize=(6.4, 3.8),
) -> Figure:
    """The gradient reaching each layer (log scale), one line per activation / weight gain.

    A line falling to the left means the gradient vanishes on its way back to the first layers.
    """
    data = layer_gradient_norms_data(activations, gains, depth, width, input_scale)
    fig, ax = _new_axes(ax, figsize)
    for i, ((a, g), norms) in enumerate(data["curves"].items()):
        ax.semilogy(
            data["layers"],
            norms,
            **_line_style(i),
            linewidth=1.8,
            markersize=6,
            label=_gain_label(a, g),
        )
    plain_log_ticks(ax)  # plain-text 10ⁿ labels: math-text ones take a second to lay out
    ax.set_xlabel("layer   (1 = next to the input, last = output layer)")
    ax.set_ylabel("RMS of ∂loss/∂W (log scale)")
    ax.set_title(f"Gradient reaching each layer of a {depth}-hidden-layer network")
    ax.set_xticks(data["layers"])
    ax.legend(fontsize=9, loc="lower right")
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    return fig


# ---------------------------------------------------------------------------
# Training deep networks with different activations
# ---------------------------------------------------------------------------


def plot_activation_training(results: dict | None = None, ax=None, *, figsize=(6.4, 4.8)) -> Figure:
    """Training loss against step, one line per activation (from `activation_training_data`); the legend below the axes."""
    results = activation_training_data() if results is None else results
    fig, ax = _new_axes(ax, figsize)
    for i, (activation, result) in enumerate(results.items()):
        ax.plot(result["loss"], **_line_style(i, marker=False), linewidth=2,
                label=f"{activation} ({training_summary(result)})")  # fmt: skip
    ax.axhline(np.log(2.0), color=COLORS["grey"], linewidth=1, linestyle=":")
    ax.text(0.99, np.log(2.0), "log 2: guessing", ha="right", va="bottom", transform=ax.get_yaxis_transform(), fontsize=9)
    ax.set_xlabel("training step")
    ax.set_ylabel("logistic loss")
    ax.set_title("Deep networks, trained with each activation (same data, lr and steps)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)  # below: never on a curve
    ax.grid(True, linewidth=0.4, alpha=0.5)
    return fig


# ---------------------------------------------------------------------------
# A two-layer classifier: decision regions, loss curve (lecture 6)
# ---------------------------------------------------------------------------

# One (colour, marker) per class: classes never differ by colour alone.
CLASS_STYLES = [(COLORS["blue"], "o"), (COLORS["vermillion"], "s"), (COLORS["green"], "^"), (COLORS["purple"], "D")]


def region_extent(X: np.ndarray, margin: float = 0.25) -> tuple[float, float, float, float]:
    """The rectangle (x0, x1, y0, y1) around the 2-D points X, `margin` wider on every side."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def decision_regions(predict, X: np.ndarray, resolution: int = 200, margin: float = 0.25) -> dict:
    """The class `predict` picks (argmax of its scores) on a resolution × resolution grid covering X.

    `predict` maps an (n, 2) array of points to (n, C) scores. Returns {"extent": (x0, x1, y0, y1),
    "classes": the grid of class indices, row 0 at the bottom (y0)}.
    """
    x0, x1, y0, y1 = extent = region_extent(X, margin)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    classes = np.argmax(predict(grid), axis=1).reshape(resolution, resolution)
    return {"extent": extent, "classes": classes}


def region_colors(classes: np.ndarray, alpha: float = 0.3) -> np.ndarray:
    """RGBA pixels for a grid of class indices: each class's colour, pale (alpha) so the points stay readable."""
    from matplotlib.colors import to_rgba

    palette = np.array([to_rgba(color, alpha) for color, _ in CLASS_STYLES])
    return palette[np.asarray(classes) % len(palette)]


def plot_decision_boundary(
    predict, X: np.ndarray, y: np.ndarray, ax=None, *, resolution: int = 200, figsize=(4.8, 4.4)
) -> Figure:
    """The plane coloured by the class `predict` picks, with the data points on top (one colour and marker per class)."""
    fig, ax = _new_axes(ax, figsize)
    regions = decision_regions(predict, X, resolution)
    ax.imshow(region_colors(regions["classes"]), origin="lower", extent=regions["extent"], interpolation="nearest", aspect="auto")
    for k in np.unique(y):
        color, marker = CLASS_STYLES[int(k) % len(CLASS_STYLES)]
        ax.scatter(*X[y == k].T, s=16, color=color, marker=marker, edgecolors="white", linewidths=0.5, label=f"class {k}")
    accuracy = float(np.mean(np.argmax(predict(X), axis=1) == y))
    ax.set_title(f"Decision regions (training accuracy {accuracy:.0%})", fontsize=10)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    return fig


def plot_loss_curve(losses: Sequence[float], ax=None, *, figsize=(4.8, 4.4)) -> Figure:
    """The training loss against the step, on a log scale; the dotted line is log C, the loss of a uniform guess."""
    fig, ax = _new_axes(ax, figsize)
    losses = np.asarray(losses, dtype=np.float64)
    ax.semilogy(np.arange(losses.size), losses, color=COLORS["blue"], linewidth=2, label="training loss")
    ax.set_xlabel("training step")
    ax.set_ylabel("softmax cross-entropy (log scale)")
    ax.set_title("Loss during training", fontsize=10)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    return fig


def plot_two_layer_training(predict, X: np.ndarray, y: np.ndarray, losses: Sequence[float], *, figsize=(10.0, 4.2)) -> Figure:
    """Two panels: the decision regions of the trained classifier and its loss curve."""
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_decision_boundary(predict, X, y, ax=left)
    plot_loss_curve(losses, ax=right)
    classes = int(np.max(y)) + 1
    right.axhline(math.log(classes), color=COLORS["grey"], linestyle=":", linewidth=1)
    right.text(0.99, math.log(classes), f"log {classes}: a uniform guess", ha="right", va="bottom",
               transform=right.get_yaxis_transform(), fontsize=9)  # fmt: skip
    return fig
