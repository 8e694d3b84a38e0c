"""The experiment of lecture 6 (a network by hand): a two-layer classifier trained by the engine.

`train_two_layer_classifier` trains affine → ReLU → affine → softmax cross-entropy
(`nn.MLP` with `nn.softmax_cross_entropy`) by full-batch gradient descent and keeps the
weights every few steps; `two_layer_scores` evaluates those weights with plain numpy. The
lecture's explorer (`coursegrad.classifier_explorer`) and its figures (`coursegrad.plots`)
draw the runs.

Needs only numpy (no matplotlib).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coursegrad import nn

__all__ = ["train_two_layer_classifier", "two_layer_scores"]


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
