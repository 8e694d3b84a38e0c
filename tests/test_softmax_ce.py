"""coursegrad.nn.softmax_cross_entropy (one gate: log-sum-exp forward, (softmax − onehot)/N backward)
and the spiral dataset lecture 6 trains on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursegrad import Value, gradcheck, numerical_grad
from coursegrad.nn import MLP, softmax_cross_entropy, spiral_dataset


def reference_loss(z: np.ndarray, y: np.ndarray) -> float:
    """The textbook formula in plain numpy, naively: −log(e^{z_y} / Σ e^{z_j}), averaged over the rows."""
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


def stable_reference(z: np.ndarray, y: np.ndarray) -> float:
    """An independent stable form: numpy's logaddexp over each row, minus the picked logit."""
    return float(np.mean(np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]))


@st.composite
def logits_and_labels(draw, bound: float = 20.0):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(1, 5))
    z = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-bound, bound, allow_subnormal=False)))
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return z, y


@settings(max_examples=60, deadline=None)
@given(logits_and_labels())
def test_forward_equals_the_plain_numpy_formula(case):
    z, y = case
    loss = softmax_cross_entropy(Value(z), y)
    assert isinstance(loss.data, float)
    assert loss.data == pytest.approx(reference_loss(z, y), rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(logits_and_labels())
def test_gradient_agrees_with_central_differences(case):
    z, y = case
    report = gradcheck(lambda logits: softmax_cross_entropy(logits, y), z)
    assert report.passed, str(report)
    numeric = numerical_grad(lambda logits: softmax_cross_entropy(logits, y), z)[0]
    logits = Value(z)
    softmax_cross_entropy(logits, y).backward()
    np.testing.assert_allclose(logits.grad, numeric, rtol=1e-5, atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(logits_and_labels())
def test_local_gradient_is_softmax_minus_onehot_over_n(case):
    z, y = case
    n, c = z.shape
    loss = softmax_cross_entropy(Value(z), y)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    (local,) = loss.local_grads  # stored as data beside the forward, for drawings and the stepper
    np.testing.assert_allclose(local, (p - np.eye(c)[y]) / n, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(local.sum(axis=1), 0.0, atol=1e-15)  # each row: probabilities sum to 1, minus one 1
    assert loss.op == "CE"


@settings(max_examples=60, deadline=None)
@given(logits_and_labels(bound=1000.0))
def test_large_logits_stay_finite_and_exact(case):
    """±1000 would overflow exp(1000) in the naive formula; the gate shifts each row by its maximum first."""
    z, y = case
    logits = Value(z)
    loss = softmax_cross_entropy(logits, y)
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(logits.grad).all()
    assert loss.data == pytest.approx(stable_reference(z, y), rel=1e-12, abs=1e-9)
    report = gradcheck(lambda v: softmax_cross_entropy(v, y), z)
    assert report.passed, str(report)


def test_extreme_logits_by_hand():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert not np.isfinite(reference_loss(z, np.array([0, 2])))  # the naive formula breaks here
    logits = Value(z)
    loss = softmax_cross_entropy(logits, [0, 2])
    loss.backward()
    assert loss.data == pytest.approx(500.0)  # row 1 is right (loss 0), row 2 is 1000 off: mean 500
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5]], atol=1e-300)


def test_uniform_logits_give_log_c_and_a_perfect_guess_gives_zero():
    assert softmax_cross_entropy(Value(np.zeros((4, 3))), [0, 1, 2, 0]).data == pytest.approx(np.log(3))
    assert softmax_cross_entropy(Value(np.array([[50.0, 0.0]])), [0]).data == pytest.approx(0.0, abs=1e-20)


def test_it_is_a_gate_in_a_network_and_whole_float_labels_work():
    X, y = spiral_dataset(10, 3, seed=1)
    model = MLP([2, 8, 3], activation="relu", seed=0)
    loss = softmax_cross_entropy(model(X), y.astype(float))  # 0.0, 1.0, 2.0 are class indices too
    loss.backward()
    assert all(np.isfinite(p.grad).all() and np.any(p.grad) for p in model.parameters())
    assert loss.data == pytest.approx(softmax_cross_entropy(model(X), y).data)


def test_plain_array_logits_are_a_constant():
    assert softmax_cross_entropy(np.zeros((2, 2)), [0, 1]).data == pytest.approx(np.log(2))


# ---------------------------------------------------------------------------
# Bad input: what was wrong and what to do
# ---------------------------------------------------------------------------

Z = np.zeros((4, 3))


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([0, 1, 2, 3], ValueError, r"must lie in 0\.\.2 .* got 3 at position 3\. Number the classes"),
        ([0, -1, 2, 1], ValueError, r"must lie in 0\.\.2 .* got -1 at position 1"),
        ([0, 1, 2], ValueError, r"got 3 labels for 4 rows of logits; give exactly one label per example"),
        ([0, 1, 2, 1, 0], ValueError, r"got 5 labels for 4 rows"),
        ([0, 1.5, 2, 1], ValueError, r"must be whole numbers .* got 1\.5 at position 1\. Use integer class indices"),
        ([0, 1, np.nan, 1], ValueError, r"must be whole numbers .* got nan at position 2"),
        ([True, False, True, True], TypeError, r"got True/False; use ints"),
        ([0, 1, True, 1], TypeError, r"got True/False; use ints"),
        (np.array([True, False, True, True]), TypeError, r"got True/False"),
        (["a", "b", "c", "a"], TypeError, r"must be whole numbers, class indices 0\.\.2; got dtype <U1"),
        (np.zeros((4, 1), dtype=int), ValueError, r"must be a 1-D array.*got shape \(4, 1\)\. Flatten it"),
        (2, ValueError, r"must be a 1-D array.*got shape \(\)"),
        (Value(np.zeros(4)), TypeError, r"not a Value; pass a numpy array of ints"),
        ([[0, 1], [2]], TypeError, r"flat list or 1-D array of 4 class indices"),
    ],
)
def test_bad_labels_are_explained(labels, error, message):
    with pytest.raises(error, match=message):
        softmax_cross_entropy(Value(Z), labels)


@pytest.mark.parametrize("logits", [np.zeros(3), 1.0, np.zeros((2, 3, 1)), np.zeros((0, 3))])
def test_logits_must_be_n_by_c(logits):
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\).*reshape\(1, -1\)"):
        softmax_cross_entropy(Value(logits) if np.size(logits) else logits, [0])


# ---------------------------------------------------------------------------
# The spiral
# ---------------------------------------------------------------------------


def test_spiral_is_seeded_and_shaped():
    X, y = spiral_dataset(50, 4, noise=0.2, seed=3)
    assert X.shape == (200, 2) and y.shape == (200,) and y.dtype.kind == "i"
    assert np.bincount(y).tolist() == [50] * 4
    X2, y2 = spiral_dataset(50, 4, noise=0.2, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, spiral_dataset(50, 4, noise=0.2, seed=4)[0])
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50))  # each arm runs from the centre out to radius 1


def test_spiral_without_noise_follows_the_formula():
    X, y = spiral_dataset(5, 2, noise=0.0)
    t = np.linspace(4.0, 8.0, 5)  # arm 1
    np.testing.assert_allclose(X[y == 1], np.c_[np.linspace(0, 1, 5) * np.sin(t), np.linspace(0, 1, 5) * np.cos(t)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_per_class": 0}, "n_per_class must be a positive whole number"), ({"classes": 2.5}, "classes must be"),
     ({"noise": -1}, "noise is a standard deviation")],
)  # fmt: skip
def test_spiral_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spiral_dataset(**kwargs)
