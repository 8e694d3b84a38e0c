"""A tiny neural-network library on top of `Value` arrays.

A `Layer` computes  activation(x @ W + b)  for a batch x of shape (n, inputs);
an `MLP` is a list of layers. Everything else (gradients included) comes from
the engine: this file contains no derivative, except the one gate that is
better as a single gate, `softmax_cross_entropy` (its local gradient is written
beside its forward formula, like the engine's).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from coursegrad.engine import Value, as_value, shape_of

__all__ = [
    "ACTIVATIONS",
    "Layer",
    "MLP",
    "sgd_step",
    "mse_loss",
    "logistic_loss",
    "hinge_loss",
    "softmax_cross_entropy",
    "accuracy",
    "toy_dataset",
    "spiral_dataset",
    "layer_gradient_norms",
]

ACTIVATIONS = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "linear": lambda v: v,
}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]


class Module:
    """Something with parameters: `parameters()` lists them, `zero_grad()` resets their gradients."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()


class Layer(Module):
    """activation(x @ W + b) with W of shape (n_in, n_out), b of shape (n_out,).

    Weights start as `weight_scale` × standard normal numbers; the default scale
    1/√n_in keeps x @ W about as large as x. Biases start at 0.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "tanh",
        weight_scale: float | None = None,
        rng: np.random.Generator | int | None = 0,
        name: str = "",
    ):
        for what, n in (("n_in", n_in), ("n_out", n_out)):
            _require_count(n, f"Layer: {what}")
        if weight_scale is not None and not (_is_number(weight_scale) and weight_scale >= 0):
            raise ValueError(f"Layer: weight_scale is the spread of the initial weights, a number >= 0; got {weight_scale!r}.")
        rng = np.random.default_rng(rng)
        scale = 1.0 / np.sqrt(n_in) if weight_scale is None else float(weight_scale)
        self.activation = activation
        self._act = _activation(activation)
        self.W = Value(rng.standard_normal((n_in, n_out)) * scale, label=f"W{name}")
        self.b = Value(np.zeros(n_out), label=f"b{name}")
        self.pre_activation: Value | None = None  # the last x @ W + b, kept for lessons on saturation

    def __call__(self, x: Value | np.ndarray) -> Value:
        x = as_value(x)
        if x.shape[-1:] != self.W.shape[:1]:
            raise ValueError(f"Layer expects inputs with {self.W.shape[0]} features (last axis), got shape {x.shape}.")
        self.pre_activation = x @ self.W + self.b
        return self._act(self.pre_activation)

    def parameters(self) -> list[Value]:
        return [self.W, self.b]

    def __repr__(self) -> str:
        return f"Layer({self.W.shape[0]} → {self.W.shape[1]}, {self.activation})"


class MLP(Module):
    """A stack of layers: sizes [2, 16, 16, 1] gives three layers 2→16→16→1.

    Hidden layers use `activation`; the last layer uses `output_activation`
    (linear by default, so the network outputs scores / logits).
    """

    def __init__(
        self,
        sizes: list[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        weight_scale: float | None = None,
        seed: int = 0,
    ):
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got sizes={sizes!r}.")
        rng = np.random.default_rng(seed)
        acts = [activation] * (len(sizes) - 2) + [output_activation]
        shapes = zip(sizes, sizes[1:], acts, strict=False)
        self.layers = [Layer(a, b, act, weight_scale, rng, name=str(i + 1)) for i, (a, b, act) in enumerate(shapes)]

    def __call__(self, x: Value | np.ndarray) -> Value:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return "MLP(" + ", ".join(map(repr, self.layers)) + ")"


def sgd_step(parameters: list[Value], learning_rate: float) -> None:
    """Plain gradient descent: p ← p − learning_rate · ∂loss/∂p, for every parameter."""
    if not _is_number(learning_rate):
        raise TypeError(f"sgd_step: learning_rate must be a number, got {type(learning_rate).__name__} {learning_rate!r}.")
    for p in parameters:
        p.data = p.data - learning_rate * p.grad


def mse_loss(prediction: Value, target) -> Value:
    """Mean squared error: mean((prediction − target)²)."""
    target = _one_per_example(prediction, target, "mse_loss", "targets")
    return ((prediction - target) ** 2).mean()


def logistic_loss(scores: Value, labels) -> Value:
    """Binary cross-entropy on scores z with labels y ∈ {0, 1}: mean(log(1 + e^(−s·z))), s = 2y − 1.

    Written with softplus, so large scores never overflow.
    """
    labels = _labels(scores, labels, "logistic_loss")
    return (-(scores * (2.0 * labels - 1.0))).softplus().mean()


def hinge_loss(scores: Value, labels) -> Value:
    """The SVM loss: mean(max(0, 1 − s·z)) for labels y ∈ {0, 1}, s = 2y − 1."""
    labels = _labels(scores, labels, "hinge_loss")
    return (1.0 - scores * (2.0 * labels - 1.0)).relu().mean()


def softmax_cross_entropy(logits, labels) -> Value:
    """Softmax cross-entropy, the mean over the batch of −log softmax(zᵢ)[yᵢ] = log Σⱼ exp(zᵢⱼ) − zᵢ[yᵢ].

    `logits` z: shape (N, C), a row of C class scores per example; `labels` y: N class
    indices in 0..C−1 (ints, or floats that are whole numbers). One gate, computed stably:
    each row's largest logit is subtracted first (log-sum-exp), so ±1000 never overflows.
    Local gradient: (softmax(z) − onehot(y)) / N, an array shaped like the logits.
    """
    z = as_value(logits)
    if shape_of(z.data) == () or z.data.ndim != 2 or z.data.size == 0:
        raise ValueError(
            f"softmax_cross_entropy: logits must have shape (N, C), one row of C class scores per example; got shape "
            f"{z.shape}. For a single example write logits.reshape(1, -1)."
        )
    n, c = z.data.shape
    y = _class_labels(labels, n, c)
    rows = np.arange(n)
    shifted = z.data - z.data.max(axis=1, keepdims=True)  # each row's largest logit becomes 0: exp cannot overflow
    with np.errstate(under="ignore"):  # exp(-2000) rounds to 0: harmless
        log_sum = np.log(np.exp(shifted).sum(axis=1))  # log Σⱼ exp(zᵢⱼ − maxᵢ), ≥ 0 (the row holds exp(0) = 1)
        softmax = np.exp(shifted - log_sum[:, None])
    loss = float(np.mean(log_sum - shifted[rows, y]))  # forward: mean of log Σⱼ exp(zᵢⱼ) − zᵢ[yᵢ]
    onehot = np.zeros((n, c))
    onehot[rows, y] = 1.0
    return Value.from_gate(loss, (z,), ((softmax - onehot) / n,), "CE")  # local gradient: (softmax − onehot) / N


def _class_labels(labels, n: int, c: int) -> np.ndarray:
    """N class indices in 0..c−1 as an int array, or an error that says what is wrong and what to do."""
    who = "softmax_cross_entropy: labels"
    if isinstance(labels, Value):
        raise TypeError(f"{who} are class indices, not a Value; pass a numpy array of ints (e.g. y, not Value(y)).")
    try:
        arr = np.asarray(labels)
    except ValueError as err:
        raise TypeError(f"{who} must be a flat list or 1-D array of {n} class indices ({err}).") from None
    mixed = isinstance(labels, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in labels)
    if arr.dtype.kind == "b" or mixed:
        raise TypeError(f"{who} are class indices 0..{c - 1}, got True/False; use ints (labels.astype(int) makes them 0/1).")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{who} must be whole numbers, class indices 0..{c - 1}; got dtype {arr.dtype}. Convert them to ints.")
    if arr.ndim != 1:
        raise ValueError(
            f"{who} must be a 1-D array, one class index per row of the logits; got shape {arr.shape}. "
            "Flatten it with np.ravel(labels)."
        )
    if arr.size != n:
        raise ValueError(
            f"{who} do not match the logits: got {arr.size} labels for {n} rows of logits; "
            "give exactly one label per example (row)."
        )
    bad = ~np.isfinite(arr) | (arr != np.round(arr)) if arr.dtype.kind == "f" else np.zeros(n, dtype=bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{who} must be whole numbers (each picks a column of the logits); got {float(arr[i]):g} at position {i}. "
            "Use integer class indices, e.g. np.asarray(labels, dtype=int) if they are whole."
        )
    outside = (arr < 0) | (arr > c - 1)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(
            f"{who} must lie in 0..{c - 1} (the logits have {c} columns, one per class); got {arr[i]:g} at position {i}. "
            f"Number the classes 0..{c - 1}, or give the logits one column per class."
        )
    return arr.astype(np.intp)


def accuracy(scores: Value, labels) -> float:
    """The fraction of examples whose score has the sign of its label (y = 1: score > 0)."""
    labels = _labels(scores, labels, "accuracy")
    return float(np.mean((np.asarray(scores.data) > 0) == (labels == 1)))


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)) and math.isfinite(x)


def _require_count(n, what: str) -> None:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive whole number, got {n!r}.")


def _one_per_example(scores: Value, values, who: str, what: str) -> np.ndarray:
    """`values` as float64 numbers in the shape of `scores`, or a clear error."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size != np.size(scores.data):
        raise ValueError(
            f"{who}: got {arr.size} {what} (shape {arr.shape}) for an output of shape {scores.shape}; give one per example."
        )
    return arr.reshape(scores.shape)


def _labels(scores: Value, labels, who: str) -> np.ndarray:
    labels = _one_per_example(scores, labels, who, "labels")
    if not np.isin(labels, (0.0, 1.0)).all():
        others = np.unique(labels[~np.isin(labels, (0.0, 1.0))])[:3]
        raise ValueError(f"{who}: labels must be 0 or 1, got also {', '.join(f'{v:g}' for v in others)}.")
    return labels


def toy_dataset(n: int = 100, kind: str = "blobs", noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded 2-D binary classification set: X of shape (n, 2), labels y ∈ {0, 1} of shape (n,).

    kind: "blobs" (two Gaussian clusters, linearly separable), "moons" (two interleaved
    half circles) or "circles" (a disc inside a ring).
    """
    _require_count(n, "toy_dataset: n")
    if not (_is_number(noise) and noise >= 0):
        raise ValueError(f"toy_dataset: noise is a standard deviation, a number >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    if kind == "blobs":
        centers = np.array([[-1.0, -1.0], [1.0, 1.0]])
        X = centers[y] + rng.normal(scale=0.5 + noise, size=(n, 2))
    elif kind == "moons":
        t = rng.uniform(0, np.pi, n)
        X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        X = X + rng.normal(scale=noise, size=(n, 2))
    elif kind == "circles":
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.where(y == 0, 1.0, 0.4)
        X = np.c_[r * np.cos(t), r * np.sin(t)] + rng.normal(scale=noise, size=(n, 2))
    else:
        raise ValueError(f"toy_dataset: unknown kind {kind!r}; choose 'blobs', 'moons' or 'circles'.")
    return X, y.astype(np.float64)


def spiral_dataset(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: X of shape (classes·n_per_class, 2) and int labels 0..classes−1, one spiral arm per class.

    Arm j has radius r from 0 to 1 and angle t from 4j to 4(j + 1) plus noise·N(0, 1): the
    point r·(sin t, cos t). No straight line separates the arms; a hidden layer can.
    """
    _require_count(n_per_class, "spiral_dataset: n_per_class")
    _require_count(classes, "spiral_dataset: classes")
    if not (_is_number(noise) and noise >= 0):
        raise ValueError(f"spiral_dataset: noise is a standard deviation, a number >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    y = np.repeat(np.arange(classes), n_per_class)
    t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) for j in range(classes)])
    t = t + rng.normal(scale=noise, size=t.size) if noise else t
    return np.c_[r * np.sin(t), r * np.cos(t)], y


def layer_gradient_norms(model: MLP, X, y, loss=logistic_loss) -> list[float]:
    """The size of ∂loss/∂W for each layer (first layer first), after one backward pass.

    The norm is the root-mean-square entry of the weight gradient, so layers of
    different widths can be compared.
    """
    model.zero_grad()
    loss(model(X), y).backward()
    return [float(np.sqrt(np.mean(layer.W.grad**2))) for layer in model.layers]
