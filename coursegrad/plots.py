"""Plots for the lectures: the sigmoid's gradient, the multiplication effect, vanishing gradients,
a two-layer classifier's decision regions and loss curve.

Every plot comes in two parts: a `..._data()` function that computes the numbers
with the engine (so a notebook or a test can print and check them) and a
`plot_...()` function that draws them and returns the matplotlib `Figure`.
Each `plot_...` accepts `ax=` to draw into an existing axes instead.

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

from coursegrad import nn
from coursegrad.engine import Value
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

__all__ = [
    "COLORS",
    "GOOD_GAIN",
    "SATURATION",
    "setup_notebook",
    "figure_to_svg",
    "SvgFigure",
    "inline_svg",
    "responsive_svg",
    "decades",
    "log_axis_without_ticks",
    "plain_log_ticks",
    "local_gradient_data",
    "sigmoid_data",
    "plot_sigmoid",
    "linear_classifier_data",
    "LOSSES",
    "classifier_loss",
    "weight_gradient",
    "gradient_vs_scale_data",
    "plot_gradient_vs_scale",
    "linear_training_run",
    "train_linear_classifier",
    "same_run",
    "mse_stable_learning_rate",
    "scaled_training_data",
    "lr_divisor_that_retraces",
    "loss_curves_data",
    "plot_loss_curves",
    "saturated_fraction",
    "saturation_causes_data",
    "hidden_saturation_during_training",
    "deep_network",
    "deep_gradient_data",
    "deep_gradient_norms",
    "layer_gradient_norms_data",
    "plot_layer_gradient_norms",
    "train_mlp",
    "fit_mlp",
    "layer_statistics",
    "preactivation_spread",
    "constant_init_training",
    "distinct_rows",
    "activation_training_data",
    "training_summary",
    "plot_activation_training",
    "CLASS_STYLES",
    "train_two_layer_classifier",
    "two_layer_scores",
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


SATURATION = 4.0  # |x| beyond which we call a sigmoid saturated: σ'(4) ≈ 0.018, under 1/14 of its peak
GOOD_GAIN = {"sigmoid": 1.0, "tanh": 1.0, "relu": math.sqrt(2.0), "linear": 1.0}  # weight std = gain / √n_in
def _new_axes(ax, figsize: tuple[float, float]):
    """Draw into `ax` if given, else into one axes of a new fixed-size figure."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


# ---------------------------------------------------------------------------
# The sigmoid and its derivative
# ---------------------------------------------------------------------------


def local_gradient_data(activation: str = "sigmoid", x: Sequence[float] | np.ndarray | None = None) -> dict:
    """An activation's value and local gradient at each x, both from the engine: {"x", "value", "derivative", "peak_x", "peak"}.

    The derivative is the gradient backprop gives x (seeded with 1 at every point): σ'(x) = σ(x)(1 − σ(x))
    for "sigmoid", 1 − tanh²(x) for "tanh", 1 for x > 0 (else 0) for "relu". `peak` is its largest value
    on the grid (the activation's gain), at `peak_x`. Default grid: 401 points on [−10, 10] (x = 0 included).
    """
    if activation not in nn.ACTIVATIONS:
        raise ValueError(f"local_gradient_data: unknown activation {activation!r}; choose one of {sorted(nn.ACTIVATIONS)}.")
    x = np.linspace(-10.0, 10.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    xv = Value(x, "x")
    out = nn.ACTIVATIONS[activation](xv)
    out.backward(np.ones_like(x))
    d = np.asarray(xv.grad)
    peak = int(np.argmax(d))
    return {"x": x, "value": out.data, "derivative": d, "peak_x": float(x[peak]), "peak": float(d[peak])}


def sigmoid_data(x: Sequence[float] | np.ndarray | None = None) -> dict:
    """σ(x) = 1/(1 + e⁻ˣ) and its derivative σ'(x) = σ(x)(1 − σ(x)), both from the engine.

    The derivative is the gradient backprop gives x (seeded with 1 at every point).
    It peaks at 0.25 at x = 0: at most a quarter of the gradient flows back through
    a sigmoid. Default grid: 401 points on [−10, 10] (x = 0 included).
    """
    data = local_gradient_data("sigmoid", x)
    return {**data, "sigmoid": data["value"]}


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
# The multiplication effect: a linear classifier wᵀx
# ---------------------------------------------------------------------------


def linear_classifier_data(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The seeded data the multiplication lessons use: two Gaussian blobs in 2-D, labels 0/1."""
    return nn.toy_dataset(n, "blobs", noise=0.1, seed=seed)


LOSSES = ("logistic", "mse")
DIVERGED = 1e30  # training stops once the loss passes this: it has blown up


def classifier_loss(w: Value, X: np.ndarray, y: np.ndarray, loss: str = "logistic") -> Value:
    """The loss of the linear classifier with scores wᵀxᵢ (no bias), labels y ∈ {0, 1}.

    "logistic": mean(log(1 + e^(−sᵢ·scoreᵢ))) with sᵢ = 2yᵢ − 1;  "mse": mean((scoreᵢ − sᵢ)²).
    """
    scores = Value(X) @ w
    if loss == "logistic":
        return nn.logistic_loss(scores, y)
    if loss == "mse":
        return nn.mse_loss(scores, 2.0 * np.asarray(y) - 1.0)
    raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}.")


def weight_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, loss: str = "logistic") -> np.ndarray:
    """∂loss/∂w of the linear classifier at weights `w` (default w = 0, where training starts), by backprop."""
    w = Value(np.zeros(X.shape[1]) if w is None else np.asarray(w, dtype=np.float64), "w")
    classifier_loss(w, X, y, loss).backward()
    return np.asarray(w.grad)


def gradient_vs_scale_data(
    scales: Sequence[float] = (1, 3, 10, 30, 100, 300, 1000), loss: str = "logistic", n: int = 100, seed: int = 0
) -> dict:
    """|∂loss/∂w| of the linear classifier wᵀx when every input x is multiplied by `scale`.

    The score is wᵀx, a multiply gate, so ∂score/∂w = x: the weight gradient is
    proportional to the data. At w = 0 (the start of training) every score is 0
    whatever the scale, so |∂loss/∂w| grows exactly like the scale: on log–log axes
    a straight line of slope 1 (`slope`, fitted to the points).
    """
    X, y = linear_classifier_data(n, seed)
    scales = np.asarray(scales, dtype=np.float64)
    if scales.ndim != 1 or len(scales) < 2 or np.any(scales <= 0):
        raise ValueError("gradient_vs_scale_data: give at least two positive scales, e.g. (1, 10, 100, 1000).")
    norms = np.array([np.linalg.norm(weight_gradient(X * c, y, loss=loss)) for c in scales])
    slope, intercept = np.polyfit(np.log10(scales), np.log10(norms), 1)
    return {"scales": scales, "grad_norms": norms, "slope": float(slope), "intercept": float(intercept)}


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


def linear_training_run(
    X: np.ndarray, y: np.ndarray, learning_rate: float, steps: int = 50, loss: str = "logistic", w0=None
) -> dict:
    """Full-batch gradient descent wₖ₊₁ = wₖ − lr · ∂loss/∂w on the classifier wᵀx, gradients by backprop.

    Starts from `w0` (default w = 0). Returns {"losses": steps + 1 losses (before each
    step and after the last), "weights": the steps + 1 weight vectors, one row each}.
    If the loss blows up past 1e30, training stops there and the remaining rows are NaN.
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"train_linear_classifier: steps must be a whole number ≥ 0, got {steps!r}.")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"train_linear_classifier: learning_rate must be a positive number, got {learning_rate!r}.")
    start = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    if start.shape != (X.shape[1],):
        raise ValueError(f"train_linear_classifier: w0 needs one weight per feature ({X.shape[1]}), got shape {start.shape}.")
    w = Value(start, "w")
    losses, weights = np.full(steps + 1, np.nan), np.full((steps + 1, X.shape[1]), np.nan)
    for step in range(steps + 1):
        w.zero_grad()
        L = classifier_loss(w, X, y, loss)
        losses[step], weights[step] = L.item(), w.data
        if step == steps or losses[step] > DIVERGED:
            break
        L.backward()
        nn.sgd_step([w], learning_rate)
    return {"losses": losses, "weights": weights}


def train_linear_classifier(
    X: np.ndarray, y: np.ndarray, learning_rate: float, steps: int = 50, loss: str = "logistic", w0=None
) -> np.ndarray:
    """The losses of `linear_training_run`: gradient descent on wᵀx from w = 0 (or `w0`), before each step and after the last.

    `steps + 1` losses; if the loss blows up past 1e30 training stops there and the
    remaining entries are NaN (plots leave them out).
    """
    return linear_training_run(X, y, learning_rate, steps, loss, w0)["losses"]


def same_run(a: dict, b: dict, scale: float = 1.0) -> bool:
    """True if run `a` (on data ×scale) retraces run `b` (raw data): equal losses, and weights wₐ = w_b / scale, at every step."""
    return bool(
        np.allclose(a["losses"], b["losses"], rtol=1e-7, equal_nan=True)
        and np.allclose(a["weights"] * scale, b["weights"], rtol=1e-7, atol=1e-12, equal_nan=True)
    )


def mse_stable_learning_rate(X: np.ndarray) -> float:
    """The largest stable learning rate of gradient descent on the squared loss mean((Xw − t)²): 2/λ_max(2XᵀX/n).

    The loss's curvature (its Hessian 2XᵀX/n) grows like c² when X becomes c·X, so this limit shrinks like 1/c².
    """
    X = np.asarray(X, dtype=np.float64)
    return float(2.0 / np.linalg.eigvalsh(2.0 * X.T @ X / len(X)).max())


def scaled_training_data(
    scale: float, learning_rate: float, loss: str = "mse", steps: int = 50, raw_lr: float = 0.1, n: int = 100, seed: int = 0
) -> dict:
    """Train wᵀx on the data ×`scale` at `learning_rate`, and on the raw data at `raw_lr`: the explorer's numbers.

    Returns the run (`losses`, `weights`), the raw run (`reference_losses`, `reference_weights`),
    the size of the first step |Δw₁| of each (`step`, `reference_step`), `divisor` = raw_lr / learning_rate
    and `same` (the run retraces the raw one exactly: it does at learning_rate = raw_lr / scale²,
    for any loss of wᵀx; at raw_lr / scale the first step has the raw size instead).
    """
    X, y = linear_classifier_data(n, seed)
    run = linear_training_run(X * scale, y, learning_rate, steps, loss)
    raw = linear_training_run(X, y, raw_lr, steps, loss)
    first = [float(np.linalg.norm(r["weights"][1] - r["weights"][0])) if steps else 0.0 for r in (run, raw)]
    return {
        "losses": run["losses"],
        "weights": run["weights"],
        "reference_losses": raw["losses"],
        "reference_weights": raw["weights"],
        "step": first[0],
        "reference_step": first[1],
        "divisor": raw_lr / learning_rate,
        "same": same_run(run, raw, scale),
    }


def lr_divisor_that_retraces(X: np.ndarray, y: np.ndarray, scale: float, learning_rate: float, loss: str = "mse") -> float:
    """Of the divisors scale^p, p = 0, ½, 1, …, 3: the one for which data ×scale at learning_rate / divisor retraces the raw run.

    Found by training, not by formula (the answer is scale²); NaN if none does.
    """
    raw = linear_training_run(X, y, learning_rate, 20, loss)
    for p in np.arange(0.0, 3.01, 0.5):
        run = linear_training_run(X * scale, y, learning_rate / scale**p, 20, loss)
        if same_run(run, raw, scale):
            return float(scale**p)
    return float("nan")


def loss_curves_data(
    learning_rates: Sequence[float] = (0.01, 0.1, 1.0),
    scales: Sequence[float] = (1, 1000),
    steps: int = 50,
    loss: str = "logistic",
    n: int = 100,
    seed: int = 0,
) -> dict:
    """Training losses of the linear classifier for every (learning rate, data scale) pair.

    Returns {"steps": 0…steps, "curves": {(lr, scale): losses}}. With data ×1000 the
    gradient is ×1000 too, so a learning rate that works on the raw data throws the
    weights far past the minimum: the loss shoots up instead of going down
    (with "mse" it grows without bound until training stops at 1e30).
    """
    X, y = linear_classifier_data(n, seed)
    curves = {(float(lr), float(c)): train_linear_classifier(X * c, y, lr, steps, loss) for c in scales for lr in learning_rates}
    return {"steps": np.arange(steps + 1), "curves": curves}


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
# Why might x be large? Saturated sigmoids, measured
# ---------------------------------------------------------------------------


def saturated_fraction(layer: nn.Layer, inputs: np.ndarray) -> float:
    """The fraction of the layer's pre-activations x = inputs @ W + b with |x| > SATURATION (4: σ'(x) < 0.018)."""
    layer(inputs)
    return float(np.mean(np.abs(layer.pre_activation.data) > SATURATION))


def saturation_causes_data(seed: int = 0) -> list[tuple[str, list[str], list[float]]]:
    """Three causes of large pre-activations, each at a few settings: [(cause, settings, saturated fractions)].

    A 16-unit sigmoid layer (weights seeded): 1. the 200 "blobs" inputs multiplied by 1, 10, 1000;
    2. weight std 1/√n_in (LeCun), 1, 5; 3. fan-in n_in = 2…1000 of standard-normal inputs with
    N(0, 1) weights, and again with LeCun's N(0, 1/n_in).
    """
    X, _ = nn.toy_dataset(200, "blobs", seed=seed)
    rng = np.random.default_rng(seed)
    wide = {n: rng.standard_normal((500, n)) for n in (2, 10, 100, 1000)}

    def frac(inputs, scale=None):  # a fresh 16-unit sigmoid layer, seeded: its saturated fraction on `inputs`
        return saturated_fraction(nn.Layer(inputs.shape[1], 16, "sigmoid", weight_scale=scale, rng=seed), inputs)

    fan_in = [f"n_in {n}" for n in wide]
    return [
        ("1. unnormalised inputs", ["x1", "x10", "x1000"], [frac(X * c) for c in (1, 10, 1000)]),
        ("2. large initial weights", ["std 1/√n_in", "std 1", "std 5"], [frac(X, s) for s in (None, 1.0, 5.0)]),
        ("3. fan-in, N(0, 1) weights", fan_in, [frac(v, 1.0) for v in wide.values()]),
        ("   fan-in, N(0, 1/n_in)", fan_in, [frac(v) for v in wide.values()]),
    ]


def hidden_saturation_during_training(
    report: Sequence[int] = (0, 10, 100, 1000), learning_rate: float = 3.0, width: int = 16, n: int = 200, seed: int = 0
) -> list[dict]:
    """Train a one-hidden-layer sigmoid network (2 → width → 1) on the "blobs" data; its hidden layer at the `report` steps.

    Each row: step, loss, w_norm = |W₁| (the hidden weights), saturated = fraction of hidden
    pre-activations with |x| > SATURATION, mean_gain = the mean σ'(x) of the hidden units (at most 0.25):
    the factor the hidden layer multiplies every gradient by on its way back.
    """
    X, y = nn.toy_dataset(n, "blobs", seed=seed)
    model = nn.MLP([2, width, 1], activation="sigmoid", seed=seed)
    rows = []
    for step in range(max(report) + 1):
        model.zero_grad()
        loss = nn.logistic_loss(model(X).reshape(-1), y)
        if step in report:
            pre, W = model.layers[0].pre_activation.data, model.layers[0].W.data
            s = 1.0 / (1.0 + np.exp(-pre))
            row = {"step": step, "loss": loss.item(), "w_norm": float(np.linalg.norm(W))}
            rows.append({**row, "saturated": float(np.mean(np.abs(pre) > SATURATION)), "mean_gain": float(np.mean(s * (1 - s)))})
        loss.backward()
        nn.sgd_step(model.parameters(), learning_rate)
    return rows


# ---------------------------------------------------------------------------
# Vanishing gradients in a deep network
# ---------------------------------------------------------------------------


def deep_network(
    activation: str = "sigmoid", depth: int = 10, gain: float | None = None, width: int = 32, seed: int = 0
) -> nn.MLP:
    """An MLP 2 → width (× depth hidden layers) → 1, hidden weights ~ gain · N(0, 1) / √n_in.

    gain None takes `GOOD_GAIN[activation]`: 1 for sigmoid and tanh (LeCun initialisation, std 1/√n_in),
    √2 for relu (He initialisation), the usual choices that keep activations from shrinking or growing.
    """
    if not (isinstance(depth, (int, np.integer)) and depth >= 1):
        raise ValueError(f"deep_network: depth must be a whole number ≥ 1, got {depth!r}.")
    if activation not in GOOD_GAIN:
        raise ValueError(f"deep_network: unknown activation {activation!r}; choose one of {sorted(GOOD_GAIN)}.")
    gain = GOOD_GAIN[activation] if gain is None else float(gain)
    if not (np.isfinite(gain) and gain > 0):
        raise ValueError(f"deep_network: gain must be a positive number, got {gain!r}.")
    model = nn.MLP([2] + [width] * depth + [1], activation=activation, seed=seed)
    for layer in model.layers:
        layer.W.data = layer.W.data * gain
    return model


def deep_gradient_data(
    activation: str = "sigmoid",
    depth: int = 10,
    gain: float | None = None,
    width: int = 32,
    input_scale: float = 1.0,
    n: int = 64,
    seed: int = 0,
) -> dict:
    """One backward pass through `deep_network(...)` on n seeded examples: {"norms", "saturated"}.

    `norms`: RMS size of ∂loss/∂W for each layer, first layer first (the last is the linear
    output layer). `saturated`: the fraction of hidden pre-activations with |x| > SATURATION.
    """
    X, y = nn.toy_dataset(n, "blobs", noise=0.1, seed=seed)
    model = deep_network(activation, depth, gain, width, seed)
    norms = np.array(nn.layer_gradient_norms(model, X * input_scale, y))
    pre = np.concatenate([np.ravel(layer.pre_activation.data) for layer in model.layers[:-1]])
    return {"norms": norms, "saturated": float(np.mean(np.abs(pre) > SATURATION))}


def deep_gradient_norms(activation: str = "sigmoid", depth: int = 10, gain: float | None = None, **options) -> np.ndarray:
    """RMS size of ∂loss/∂W for each layer of `deep_network(...)` (first layer first), by one backward pass.

    Backprop multiplies by a local gradient at every layer; for a sigmoid that is at
    most 0.25, so the gradient reaching layer 1 of a deep sigmoid net is tiny.
    `options` (width, input_scale, n, seed) are those of `deep_gradient_data`.
    """
    return deep_gradient_data(activation, depth, gain, **options)["norms"]


def layer_gradient_norms_data(
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    gains: float | Sequence[float] | None = None,
    depth: int = 10,
    width: int = 32,
    input_scale: float = 1.0,
    seed: int = 0,
) -> dict:
    """Per-layer gradient norms for each activation (and each gain, if you give several).

    Returns {"layers": 1…depth+1, "curves": {(activation, gain): norms}}; layer depth+1
    is the linear output layer.
    """
    if isinstance(activations, str):
        activations = (activations,)
    if gains is None:
        pairs = [(a, GOOD_GAIN.get(a, 1.0)) for a in activations]
    elif isinstance(gains, (int, float)):
        pairs = [(a, float(gains)) for a in activations]
    else:
        pairs = [(a, float(g)) for a in activations for g in gains]
    curves = {(a, g): deep_gradient_norms(a, depth, g, width=width, input_scale=input_scale, seed=seed) for a, g in pairs}
    return {"layers": np.arange(1, depth + 2), "curves": curves}


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


def train_mlp(
    sizes: Sequence[int], activation: str, X: np.ndarray, y: np.ndarray, steps: int, learning_rate: float, seed: int = 0
) -> dict:
    """Full-batch gradient descent on the logistic loss of `nn.MLP(sizes, activation)`: {"loss", "accuracy", "outputs"}.

    `loss` holds the loss before each step and after the last (`steps + 1` values); `outputs` is the
    (lowest, highest) predicted probability σ(score) over the examples after training.
    """
    return fit_mlp(nn.MLP(list(sizes), activation=activation, seed=seed), X, y, steps, learning_rate)


def fit_mlp(model: nn.MLP, X: np.ndarray, y: np.ndarray, steps: int, learning_rate: float) -> dict:
    """Train `model` in place by full-batch gradient descent on the logistic loss; the result of `train_mlp`."""
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = nn.logistic_loss(model(X).reshape(-1), y)
        losses.append(loss.item())
        loss.backward()
        nn.sgd_step(model.parameters(), learning_rate)
    scores = model(X).reshape(-1)
    losses.append(nn.logistic_loss(scores, y).item())
    p = 1.0 / (1.0 + np.exp(-np.asarray(scores.data)))
    return {"loss": np.array(losses), "accuracy": nn.accuracy(scores, y), "outputs": (float(p.min()), float(p.max()))}


def activation_training_data(
    activations: Sequence[str] = ("sigmoid", "tanh", "relu"),
    depth: int = 6,
    width: int = 16,
    steps: int = 300,
    learning_rate: float = 0.1,
    n: int = 200,
    seed: int = 0,
    shallow: Sequence[str] = (),
) -> dict:
    """Train the same deep MLP on the "moons" data once per activation: {name: `train_mlp` result}.

    Same data, same initialisation seed, same learning rate and steps. Each activation in `shallow`
    is also trained with one hidden layer, as a control, under the name "<activation>, 1 hidden layer".
    """
    X, y = nn.toy_dataset(n, "moons", seed=seed)
    runs = [(a, depth) for a in activations] + [(a, 1) for a in shallow]
    return {
        (a if d == depth else f"{a}, 1 hidden layer"): train_mlp([2] + [width] * d + [1], a, X, y, steps, learning_rate, seed)
        for a, d in runs
    }


def training_summary(result: dict) -> str:
    """How a trained network did, in words: its accuracy, or, if every output is the same ±1 %, that it predicts nothing."""
    low, high = result["outputs"]
    if high - low < 0.01:
        return f"every output is {(low + high) / 2:.4f} ± {(high - low) / 2:.0e}: it predicts nothing"
    return f"accuracy {result['accuracy']:.0%}"


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


def layer_statistics(activation: str = "sigmoid", depth: int = 6, width: int = 16, n: int = 200, seed: int = 0) -> dict:
    """The forward collapse beside the vanishing gradient, per layer, in the untrained moons network.

    One forward and one backward pass of `nn.MLP([2] + [width] * depth + [1], activation, seed)`,
    the network `activation_training_data` trains, on its n "moons" examples. Returns
    {"spread": for each layer (the last is the output score) the standard deviation across the
    examples of a unit's output, averaged over the layer's units; "grad_rms": the RMS of ∂loss/∂W
    per layer}. Both are products of the same per-layer factors, act′(x) and W: forwards they
    multiply differences between examples, backwards (transposed) the gradient.
    """
    X, y = nn.toy_dataset(n, "moons", seed=seed)
    model = nn.MLP([2] + [width] * depth + [1], activation=activation, seed=seed)
    outputs, a = [], Value(X)
    for layer in model.layers:
        a = layer(a)
        outputs.append(np.asarray(a.data))
    model.zero_grad()
    nn.logistic_loss(a.reshape(-1), y).backward()
    return {
        "spread": np.array([float(np.mean(np.std(out, axis=0))) for out in outputs]),
        "grad_rms": np.array([float(np.sqrt(np.mean(layer.W.grad**2))) for layer in model.layers]),
    }


def preactivation_spread(
    activation: str = "relu", gain: float | None = None, depth: int = 10, width: int = 32, n: int = 64, seed: int = 0
) -> np.ndarray:
    """The standard deviation of each hidden layer's pre-activations x = a @ W + b in `deep_network(...)`.

    Measured on the n seeded "blobs" examples of `deep_gradient_data`. The variance argument:
    with independent zero-mean weights, Var(x) = n_in · Var(w) · E[a²], so weights of variance
    1/n_in keep the spread level for tanh near 0 (LeCun), 2/n_in for ReLU, which zeroes half (He).
    """
    X, _ = nn.toy_dataset(n, "blobs", noise=0.1, seed=seed)
    model = deep_network(activation, depth, gain, width, seed)
    model(X)
    return np.array([float(np.std(layer.pre_activation.data)) for layer in model.layers[:-1]])


def constant_init_training(
    value: float | None = 0.0, width: int = 16, steps: int = 300, learning_rate: float = 0.1, n: int = 200, seed: int = 0
) -> dict:
    """Symmetry: the one-hidden-layer sigmoid network on "moons", every weight starting at `value` (biases 0).

    Every hidden unit then computes the same thing, receives the same gradient, and stays the
    same unit. `value` None keeps the usual random start (LeCun), the network `activation_training_data`
    trains as its one-hidden-layer control. Returns the `fit_mlp` result with "distinct_units" (the hidden units that differ
    in their incoming weights, bias or outgoing weight after training) and "same_gradients"
    (whether, after the first steps, every unit's incoming weights got the same gradient).
    """
    X, y = nn.toy_dataset(n, "moons", seed=seed)
    model = nn.MLP([2, width, 1], activation="sigmoid", seed=seed)
    for layer in model.layers if value is not None else []:
        layer.W.data = np.full_like(layer.W.data, float(value))
    result = fit_mlp(model, X, y, steps, learning_rate)
    hidden, out = model.layers
    units = np.vstack([hidden.W.data, hidden.b.data, out.W.data.T]).T  # one row per hidden unit
    result["distinct_units"] = distinct_rows(units)
    result["same_gradients"] = distinct_rows(hidden.W.grad.T) == 1  # the gradient of the last step
    return result


def distinct_rows(a: np.ndarray, rel: float = 1e-9) -> int:
    """How many rows of `a` differ, counting rows equal to within rel · (largest entry) as one."""
    a = np.asarray(a, dtype=float)
    scale = max(float(np.max(np.abs(a))), 1e-300)
    return len(np.unique(np.round(a / (rel * scale)), axis=0))


# ---------------------------------------------------------------------------
# A two-layer classifier: training, decision regions, loss curve (lecture 6)
# ---------------------------------------------------------------------------

# One (colour, marker) per class: classes never differ by colour alone.
CLASS_STYLES = [(COLORS["blue"], "o"), (COLORS["vermillion"], "s"), (COLORS["green"], "^"), (COLORS["purple"], "D")]


def train_two_layer_classifier(
    X: np.ndarray, y: np.ndarray, hidden: int = 50, learning_rate: float = 1.0, steps: int = 1000, every: int = 50, seed: int = 0
) -> dict:
    """Train affine → ReLU → affine → softmax cross-entropy with the engine, by full-batch gradient descent.

    The network is `nn.MLP([features, hidden, classes], "relu", seed=seed)`. Returns
    {"loss": the loss before each step and after the last (steps + 1 values; NaN once
    training has blown up), "snapshots": {step: [W1, b1, W2, b2]} every `every` steps
    and at the last step reached, "diverged": the step where the forward pass overflowed, or None}.
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 0 and isinstance(every, (int, np.integer)) and every >= 1):
        raise ValueError(f"train_two_layer_classifier: steps (≥ 0) and every (≥ 1) are whole numbers, got {steps!r}, {every!r}.")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"train_two_layer_classifier: learning_rate must be a positive number, got {learning_rate!r}.")
    classes = int(np.max(y)) + 1
    model = nn.MLP([X.shape[1], hidden, classes], activation="relu", seed=seed)
    losses, snapshots, diverged = np.full(steps + 1, np.nan), {}, None
    for step in range(steps + 1):
        model.zero_grad()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # the engine raises on the overflow itself
                loss = nn.softmax_cross_entropy(model(X), y)
        except (FloatingPointError, OverflowError):  # the weights grew until a logit overflowed
            diverged = step
            break
        losses[step] = loss.data
        if step % every == 0 or step == steps:
            snapshots[step] = [p.data.copy() for p in model.parameters()]
        if step == steps:
            break
        loss.backward()
        nn.sgd_step(model.parameters(), learning_rate)
    return {"loss": losses, "snapshots": snapshots, "diverged": diverged}


def two_layer_scores(params: Sequence[np.ndarray], X: np.ndarray) -> np.ndarray:
    """The class scores relu(X·W1 + b1)·W2 + b2 of a two-layer network, params = [W1, b1, W2, b2]."""
    W1, b1, W2, b2 = params
    return np.maximum(X @ W1 + b1, 0.0) @ W2 + b2


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
