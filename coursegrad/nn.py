"""A tiny neural-network library on top of `Value` arrays.

A `Layer` computes  activation(x @ W + b)  for a batch x of shape (n, inputs);
an `MLP` is a list of layers. Everything else (gradients included) comes from
the engine: this file contains no derivative.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from coursegrad.engine import Value, as_value

__all__ = [
    "ACTIVATIONS",
    "Layer",
    "MLP",
    "sgd_step",
    "mse_loss",
    "logistic_loss",
    "hinge_loss",
    "accuracy",
    "toy_dataset",
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

    def __init__(self, n_in: int, n_out: int, activation: str = "tanh", weight_scale: float | None = None,
                 rng: np.random.Generator | int | None = 0, name: str = ""):
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

    def __init__(self, sizes: list[int], activation: str = "tanh", output_activation: str = "linear",
                 weight_scale: float | None = None, seed: int = 0):
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


def layer_gradient_norms(model: MLP, X, y, loss=logistic_loss) -> list[float]:
    """The size of ∂loss/∂W for each layer (first layer first), after one backward pass.

    The norm is the root-mean-square entry of the weight gradient, so layers of
    different widths can be compared.
    """
    model.zero_grad()
    loss(model(X), y).backward()
    return [float(np.sqrt(np.mean(layer.W.grad**2))) for layer in model.layers]
