"""The experiments of lecture 5 (vanishing gradients): the sigmoid's local gradient, saturation, depth.

Each function computes with the engine the numbers the lecture prints (and its explorers
show): σ′ and the other activations' local gradients, how often a layer saturates and why,
the gradient reaching each layer of a deep network, and what happens when deep networks
with each activation, initialisation or a constant start are trained. The plots of these
numbers are in `coursegrad.plots`.

Needs only numpy (no matplotlib).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from coursegrad import nn
from coursegrad.engine import Value

__all__ = [
    "SATURATION",
    "GOOD_GAIN",
    "local_gradient_data",
    "sigmoid_data",
    "saturated_fraction",
    "saturation_causes_data",
    "hidden_saturation_during_training",
    "deep_network",
    "deep_gradient_data",
    "deep_gradient_norms",
    "layer_gradient_norms_data",
    "train_mlp",
    "fit_mlp",
    "activation_training_data",
    "training_summary",
    "layer_statistics",
    "preactivation_spread",
    "constant_init_training",
    "distinct_rows",
]

SATURATION = 4.0  # |x| beyond which we call a sigmoid saturated: σ'(4) ≈ 0.018, under 1/14 of its peak
GOOD_GAIN = {"sigmoid": 1.0, "tanh": 1.0, "relu": math.sqrt(2.0), "linear": 1.0}  # weight std = gain / √n_in


# ---------------------------------------------------------------------------
# The sigmoid's local gradient
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
