"""The experiments of lecture 4 (the multiplication effect): a linear classifier wᵀx trained by the engine.

The score wᵀx is a multiply gate, so ∂score/∂w = x: scale the data by c and the weight
gradient scales by c. Each function computes the numbers the lecture prints (and its
explorer shows) with the engine: the gradient against the data scale, training runs at
several learning rates and scales, and the learning rate that makes a run on scaled data
retrace the raw one. The plots of these numbers are in `coursegrad.plots`.

Needs only numpy (no matplotlib).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coursegrad import nn
from coursegrad.engine import Value, sigmoid

__all__ = [
    "linear_classifier_data",
    "LOSSES",
    "DIVERGED",
    "classifier_loss",
    "weight_gradient",
    "gradient_vs_scale_data",
    "linear_training_run",
    "train_linear_classifier",
    "same_run",
    "mse_stable_learning_rate",
    "scaled_training_data",
    "compare_runs",
    "linear_training_run_numpy",
    "lr_divisor_that_retraces",
    "loss_curves_data",
]


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
    return compare_runs(run, raw, scale, learning_rate, raw_lr)


def compare_runs(run: dict, raw: dict, scale: float, learning_rate: float, raw_lr: float) -> dict:
    """`scaled_training_data`'s numbers from a run on data ×`scale` at `learning_rate` and the raw run at `raw_lr`."""
    first = [float(np.linalg.norm(r["weights"][1] - r["weights"][0])) if len(r["losses"]) > 1 else 0.0 for r in (run, raw)]
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


def linear_training_run_numpy(
    X: np.ndarray, y: np.ndarray, learning_rate: float, steps: int = 50, loss: str = "logistic"
) -> dict:
    """`linear_training_run` from w = 0 with the engine's forward and backward written out in numpy (for the explorer).

    The same operations on the same arrays in the same order as the engine's graph (scores = X·w, the loss's
    gates, the mean as Σ·(1/n), ∂w = Xᵀ·∂scores, w ← w − lr·∂w), without building nodes: the same numbers, bit for
    bit (tests/test_widgets.py checks it on the explorer's slider values), about 20× faster. A run where
    some number is not finite is handed to the engine, which raises where it went wrong.
    """
    n = len(y)
    target = 2.0 * np.asarray(y, dtype=np.float64) - 1.0  # the squared loss's targets, the logistic loss's signs
    w, factor = np.zeros(X.shape[1]), 1.0 / n
    losses, weights = np.full(steps + 1, np.nan), np.full((steps + 1, X.shape[1]), np.nan)
    for step in range(steps + 1):
        scores = X @ w
        if loss == "mse":
            diff = scores - target
            per_example, local = diff**2.0, 2.0 * diff**1.0
        else:
            z = -(scores * target)
            with np.errstate(under="ignore"):
                per_example = np.logaddexp(0.0, z)
            local = sigmoid(z)
        losses[step], weights[step] = (np.squeeze(per_example.sum(keepdims=True)) * factor).item(), w
        if not np.isfinite(per_example).all():
            return linear_training_run(X, y, learning_rate, steps, loss)
        if step == steps or losses[step] > DIVERGED:
            break
        upstream = np.full(per_example.shape, factor) * np.reshape(1.0, (1,))  # ∂loss/∂(each example's loss)
        d_scores = local * upstream if loss == "mse" else target * (-1.0 * (local * upstream))
        grad = np.zeros(X.shape[1]) + (X.T @ np.reshape(d_scores, (n, 1))).reshape(w.shape)
        if not np.isfinite(grad).all():
            return linear_training_run(X, y, learning_rate, steps, loss)
        w = w - learning_rate * grad
    return {"losses": losses, "weights": weights}


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
