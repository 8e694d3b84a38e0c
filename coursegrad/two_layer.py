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


def train_two_layer_classifiers(
    X: np.ndarray, y: np.ndarray, hidden: int, learning_rates: Sequence[float], steps: int = 300, every: int = 20, seed: int = 0
) -> list[dict]:
    """The runs of `train_two_layer_classifier` for several learning rates at once, in plain numpy.

    Same network, start (`nn.MLP`'s seeded weights), loss and rule (full-batch gradient descent,
    p ← p − lr·∂loss/∂p): one array per parameter with a leading axis of learning rates, the
    engine's forward and backward written out (scores = relu(X·W1 + b1)·W2 + b2, ∂scores =
    (softmax − onehot)/N, ∂W2 = hᵀ·∂scores, ∂h = ∂scores·W2ᵀ, ∂z1 = ∂h·[z1 > 0], ∂W1 = Xᵀ·∂z1).
    A run stops (`diverged`) at the first step whose forward pass is not finite, as the engine's does.
    tests/test_lecture6.py checks these runs against the engine's to 1e-12.
    """
    rates = np.asarray(learning_rates, dtype=float)
    if not (rates.ndim == 1 and np.isfinite(rates).all() and (rates > 0).all()):
        raise ValueError(f"train_two_layer_classifiers: learning_rates must be positive numbers, got {learning_rates!r}.")
    start = [p.data for p in nn.MLP([X.shape[1], hidden, int(np.max(y)) + 1], activation="relu", seed=seed).parameters()]
    params = [np.repeat(p[None], len(rates), axis=0) for p in start]  # W1 (L, D, H), b1 (L, H), W2 (L, H, C), b2 (L, C)
    n, lr = len(y), rates
    onehot = np.eye(params[3].shape[1])[y]
    losses, alive = np.full((len(rates), steps + 1), np.nan), np.ones(len(rates), dtype=bool)
    runs = [{"loss": losses[k], "snapshots": {}, "diverged": None} for k in range(len(rates))]
    for step in range(steps + 1):
        W1, b1, W2, b2 = params
        with np.errstate(over="ignore", invalid="ignore"):
            z1 = X @ W1 + b1[:, None, :]
            h = np.maximum(z1, 0.0)
            scores = h @ W2 + b2[:, None, :]
            finite = np.isfinite(z1).all(axis=(1, 2)) & np.isfinite(scores).all(axis=(1, 2))
        for k in np.flatnonzero(alive & ~finite):
            runs[k]["diverged"], alive[k] = step, False
        shifted = np.where(alive[:, None, None], scores, 0.0)
        shifted = shifted - shifted.max(axis=2, keepdims=True)
        with np.errstate(under="ignore"):
            log_sum = np.log(np.exp(shifted).sum(axis=2))
            softmax = np.exp(shifted - log_sum[:, :, None])
        losses[alive, step] = np.mean(log_sum - shifted[:, np.arange(n), y], axis=1)[alive]
        if step % every == 0 or step == steps:
            for k in np.flatnonzero(alive):
                runs[k]["snapshots"][step] = [p[k].copy() for p in params]
        if step == steps or not alive.any():
            break
        ds = (softmax - onehot) / n
        with np.errstate(over="ignore", invalid="ignore"):
            dz1 = (ds @ W2.transpose(0, 2, 1)) * (z1 > 0)
            grads = [X.T @ dz1, dz1.sum(axis=1), h.transpose(0, 2, 1) @ ds, ds.sum(axis=1)]
        with np.errstate(over="ignore", invalid="ignore"):  # a run that diverged is no longer read
            params = [p - lr.reshape(-1, *[1] * (p.ndim - 1)) * g for p, g in zip(params, grads, strict=True)]
    for k in np.flatnonzero(alive):  # a run that did not diverge also keeps its last step
        runs[k]["snapshots"].setdefault(step, [p[k].copy() for p in params])
    return runs
