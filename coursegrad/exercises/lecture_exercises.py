"""The small writing exercises of the lectures, each checked by `coursegrad.predict.check_function`.

    check_standardise(standardise)       lecture 4: each feature (column) to mean 0 and standard deviation 1
    check_sigmoid_chain(sigmoid_chain)   lecture 5: the product of σ′(x) along a chain of sigmoid gates

Like the worksheets' checks, each prints ✔ or a hint saying what is wrong (a typical slip is
named when the student's function makes it) and never raises or returns the answer. The
references are private here; the lecture's collapsed worked solution shows one way to write each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coursegrad.predict import check_function

__all__ = ["check_standardise", "check_sigmoid_chain"]


def _features(seed: int) -> np.ndarray:
    """Test data with features on very different scales and offsets (columns: one feature each)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(20, 3)) * np.array([1000.0, 1.0, 0.01]) + np.array([5.0, -3.0, 200.0])


def _standardise(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


_STANDARDISE_SLIPS = [
    (
        lambda X: (X - X.mean()) / X.std(),
        "You used one mean and one standard deviation for the whole array: each feature (column) needs its own.",
    ),
    (
        lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True),
        "You standardised each example (row); standardise each feature (column).",
    ),
    (lambda X: X / X.std(axis=0), "Your columns have standard deviation 1 but not mean 0."),
    (lambda X: X - X.mean(axis=0), "Your columns have mean 0 but not standard deviation 1."),
    (
        lambda X: (X - X.mean(axis=0)) / X.var(axis=0),
        "You divided by the variance; the standard deviation is its square root.",
    ),
    (
        lambda X: (X - X.mean(axis=0)) / X.std(axis=0, ddof=1),
        "You divided by the sample standard deviation (ddof=1), so the columns' standard deviation comes out a little"
        " below 1: use the plain one (np.std's default).",
    ),
]


def check_standardise(standardise: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check `standardise(X)`: every column of the result has mean 0 and standard deviation 1 (x̂ = (x − μ)/σ per column)."""
    cases = [(_features(seed),) for seed in (0, 1, 2)]
    hint = "Every column of the result should have mean 0 and standard deviation 1, whatever scale it came in."
    check_function(standardise, _standardise, cases, hint=hint, mistakes=_STANDARDISE_SLIPS)


def _sigmoid_prime(x: float) -> float:
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 - s)


def _sigmoid_chain(xs):
    return float(np.prod([_sigmoid_prime(x) for x in xs]))


_CHAIN_SLIPS = [
    (lambda xs: float(sum(_sigmoid_prime(x) for x in xs)), "Local gradients along a chain multiply; you added them."),
    (
        lambda xs: float(np.prod([1 / (1 + np.exp(-x)) for x in xs])),
        "You multiplied the gates' outputs σ(x); backprop multiplies their local gradients σ′(x).",
    ),
    (lambda xs: 0.25 ** len(xs), "That is the bound, which only inputs x = 0 reach: use each gate's own σ′(x)."),
]


def check_sigmoid_chain(sigmoid_chain: Callable[[list], float]) -> None:
    """Check `sigmoid_chain(xs)` = σ′(x₁) · σ′(x₂) ⋯ σ′(x_L), σ′ = σ(1 − σ), the factor L sigmoid gates put on a gradient."""
    cases = [([0.0],), ([2.0],), ([0.0, 0.0, 0.0],), ([1.0, -2.0, 3.0],), ([0.5, -0.5] * 5,)]
    hint = "Each gate multiplies the gradient by its local gradient σ′(x) = σ(x)(1 − σ(x)) at its own input x."
    check_function(sigmoid_chain, _sigmoid_chain, cases, hint=hint, mistakes=_CHAIN_SLIPS)
