"""coursegrad.nn: layers, MLPs, losses, SGD, the toy datasets and per-layer gradient norms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coursegrad import Value, numerical_grad
from coursegrad.nn import (
    ACTIVATIONS,
    MLP,
    Layer,
    accuracy,
    hinge_loss,
    layer_gradient_norms,
    logistic_loss,
    mse_loss,
    sgd_step,
    toy_dataset,
)

# ---------------------------------------------------------------------------
# Layer and MLP: shapes, parameters, zero_grad, sgd_step
# ---------------------------------------------------------------------------


def test_layer_shapes_and_formula():
    layer = Layer(3, 4, "tanh", rng=0, name="1")
    assert layer.W.shape == (3, 4) and layer.b.shape == (4,)
    assert (layer.W.label, layer.b.label) == ("W1", "b1")
    assert not np.any(layer.b.data)  # biases start at 0
    x = np.random.default_rng(1).normal(size=(5, 3))
    out = layer(x)
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out.data, np.tanh(x @ layer.W.data + layer.b.data))
    np.testing.assert_allclose(layer.pre_activation.data, x @ layer.W.data)  # the last x @ W + b is kept
    assert repr(layer) == "Layer(3 → 4, tanh)"


@pytest.mark.parametrize(
    "activation, fn", [("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("relu", lambda z: np.maximum(z, 0)), ("linear", lambda z: z)]
)
def test_layer_activations(activation, fn):
    layer = Layer(2, 3, activation, rng=0)
    layer.b.data = np.array([0.1, -0.2, 0.3])
    x = np.array([[1.0, -2.0], [0.5, 0.25]])
    np.testing.assert_allclose(layer(x).data, fn(x @ layer.W.data + layer.b.data))
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "linear"}


def test_layer_accepts_a_value_and_a_single_example():
    layer = Layer(2, 3, rng=0)
    x = Value(np.array([[1.0, 2.0]]), "x")
    out = layer(x)
    out.sum().backward()
    assert x.grad.shape == (1, 2) and np.any(x.grad)  # gradients reach the input too
    assert layer(np.array([1.0, 2.0])).shape == (3,)


def test_mlp_shapes_and_parameters():
    model = MLP([2, 16, 8, 1], activation="relu", seed=3)
    assert [layer.W.shape for layer in model.layers] == [(2, 16), (16, 8), (8, 1)]
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    params = model.parameters()
    assert len(params) == 6
    assert params[0] is model.layers[0].W and params[1] is model.layers[0].b and params[-1] is model.layers[-1].b
    assert model(np.zeros((7, 2))).shape == (7, 1)
    assert repr(model) == "MLP(Layer(2 → 16, relu), Layer(16 → 8, relu), Layer(8 → 1, linear))"
    assert MLP([2, 3, 1], output_activation="sigmoid").layers[-1].activation == "sigmoid"


def test_zero_grad_resets_every_parameter():
    model = MLP([2, 4, 1], seed=0)
    X, y = toy_dataset(10, seed=1)
    mse_loss(model(X), y).backward()
    assert all(np.any(p.grad) for p in model.parameters())
    model.zero_grad()
    for p in model.parameters():
        assert p.grad.shape == p.data.shape and not np.any(p.grad)
    layer = Layer(2, 2)
    layer(np.ones((1, 2))).sum().backward()
    layer.zero_grad()
    assert not np.any(layer.W.grad)


def test_sgd_step_moves_against_the_gradient():
    model = MLP([2, 3, 1], seed=0)
    X, y = toy_dataset(8, seed=0)
    mse_loss(model(X), y).backward()
    before = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
    sgd_step(model.parameters(), 0.1)
    for p, (data, grad) in zip(model.parameters(), before, strict=True):
        np.testing.assert_allclose(p.data, data - 0.1 * grad)


def test_same_seed_same_network_and_different_seed_different_network():
    a, b, c = MLP([2, 5, 1], seed=7), MLP([2, 5, 1], seed=7), MLP([2, 5, 1], seed=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a.layers[0].W.data, c.layers[0].W.data)


def test_weight_scale_sets_the_spread_of_initial_weights():
    default = Layer(400, 300, rng=0)
    assert np.std(default.W.data) == pytest.approx(1 / math.sqrt(400), rel=0.02)  # default 1/√n_in
    for scale in (0.01, 0.5, 3.0):
        layer = Layer(400, 300, weight_scale=scale, rng=0)
        assert np.std(layer.W.data) == pytest.approx(scale, rel=0.02)
        np.testing.assert_allclose(layer.W.data, default.W.data * scale * math.sqrt(400))  # same draws, scaled
    model = MLP([50, 50, 50, 1], weight_scale=2.0, seed=0)
    assert all(np.std(layer.W.data) > 1.5 for layer in model.layers[:2])


# ---------------------------------------------------------------------------
# losses: values by hand, gradients by central differences
# ---------------------------------------------------------------------------

SCORES = np.array([[2.0], [-0.5], [0.3], [-3.0], [0.9]])
LABELS = np.array([1.0, 0.0, 0.0, 1.0, 1.0])


def loss_and_grad(loss_fn, scores, labels):
    s = Value(scores, "s")
    loss = loss_fn(s, labels)
    loss.backward()
    return loss, s.grad


def test_mse_loss():
    target = np.array([1.5, 0.0, 0.3, -2.0, 1.0])
    loss, grad = loss_and_grad(mse_loss, SCORES, target)
    diff = SCORES[:, 0] - target
    assert loss.data == pytest.approx(np.mean(diff**2), rel=1e-14)
    np.testing.assert_allclose(grad[:, 0], 2 * diff / 5, rtol=1e-12)
    (numeric,) = numerical_grad(lambda s: np.mean((s[:, 0] - target) ** 2), SCORES)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_logistic_loss():
    loss, grad = loss_and_grad(logistic_loss, SCORES, LABELS)
    sign = 2 * LABELS - 1
    z = SCORES[:, 0]
    assert loss.data == pytest.approx(np.mean(np.log1p(np.exp(-sign * z))), rel=1e-14)
    # d/dz log(1 + e^(−sz)) = −s·σ(−sz)
    np.testing.assert_allclose(grad[:, 0], -sign / (1 + np.exp(sign * z)) / 5, rtol=1e-12)
    (numeric,) = numerical_grad(lambda s: np.mean(np.log1p(np.exp(-sign * s[:, 0]))), SCORES)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_logistic_loss_with_huge_scores_stays_finite():
    scores = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    labels = np.array([1.0, 0.0, 0.0, 1.0])  # two right, two wrong by a mile
    loss, grad = loss_and_grad(logistic_loss, scores, labels)
    assert loss.data == pytest.approx(500.0)  # (0 + 0 + 1000 + 1000) / 4
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.25, -0.25])


def test_hinge_loss_away_from_the_kink():
    loss, grad = loss_and_grad(hinge_loss, SCORES, LABELS)
    margins = 1 - (2 * LABELS - 1) * SCORES[:, 0]
    assert loss.data == pytest.approx(np.mean(np.maximum(0, margins)), rel=1e-14)
    np.testing.assert_allclose(grad[:, 0], np.where(margins > 0, -(2 * LABELS - 1), 0.0) / 5)
    (numeric,) = numerical_grad(lambda s: np.mean(np.maximum(0, 1 - (2 * LABELS - 1) * s[:, 0])), SCORES)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_accuracy():
    assert accuracy(Value(SCORES), LABELS) == pytest.approx(3 / 5)  # right: 2.0 and 0.9 (y = 1), -0.5 (y = 0)
    assert accuracy(Value(np.array([1.0, -1.0])), [1, 0]) == 1.0


def test_mlp_gradients_match_central_differences():
    model = MLP([2, 3, 3, 1], activation="sigmoid", seed=2)
    X, y = toy_dataset(6, "moons", seed=4)
    model.zero_grad()
    logistic_loss(model(X), y).backward()
    for layer in model.layers:
        for p in (layer.W, layer.b):
            original = p.data

            def loss_at(value, p=p, original=original):
                p.data = value
                out = logistic_loss(model(X), y).data
                p.data = original
                return out

            (numeric,) = numerical_grad(loss_at, original)
            np.testing.assert_allclose(p.grad, numeric, rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------------------
# training lowers the loss
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind, hidden, steps, target_accuracy", [("blobs", [8], 100, 0.95), ("moons", [16, 16], 300, 0.97)])
def test_training_lowers_the_loss_and_learns(kind, hidden, steps, target_accuracy):
    X, y = toy_dataset(200, kind, seed=0)
    model = MLP([2, *hidden, 1], activation="tanh", seed=0)
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = logistic_loss(model(X), y)
        loss.backward()
        sgd_step(model.parameters(), 0.5)
        losses.append(loss.data)
    assert losses[-1] < 0.5 * losses[0]
    assert np.mean(np.diff(losses) <= 1e-12) > 0.9  # (almost) every step goes downhill
    assert accuracy(model(X), y) >= target_accuracy


def test_training_is_deterministic():
    def train():
        X, y = toy_dataset(50, "circles", seed=1)
        model = MLP([2, 8, 1], seed=5)
        for _ in range(20):
            model.zero_grad()
            mse_loss(model(X), y).backward()
            sgd_step(model.parameters(), 0.1)
        return model.layers[0].W.data

    np.testing.assert_array_equal(train(), train())


# ---------------------------------------------------------------------------
# toy_dataset
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["blobs", "moons", "circles"])
def test_toy_dataset_is_seeded_and_shaped(kind):
    X, y = toy_dataset(101, kind, noise=0.1, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0} and abs(np.sum(y) - 50) <= 1  # balanced
    X2, y2 = toy_dataset(101, kind, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = toy_dataset(101, kind, noise=0.1, seed=4)
    assert not np.array_equal(X, X3)


def test_toy_dataset_kinds_look_like_their_names():
    X, y = toy_dataset(400, "blobs", seed=0)
    assert X[y == 1].mean() > 0.5 and X[y == 0].mean() < -0.5  # clusters around (1, 1) and (-1, -1)
    X, y = toy_dataset(400, "circles", noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.4)
    X_clean, _ = toy_dataset(400, "moons", noise=0.0, seed=0)
    X_noisy, _ = toy_dataset(400, "moons", noise=0.3, seed=0)
    assert np.std(X_noisy - X_clean) > 0.2


# ---------------------------------------------------------------------------
# layer_gradient_norms: the vanishing-gradient lesson
# ---------------------------------------------------------------------------


def test_gradient_norms_shrink_with_depth_for_sigmoid():
    X, y = toy_dataset(100, seed=0)
    model = MLP([2] + [32] * 6 + [1], activation="sigmoid", seed=0)
    norms = layer_gradient_norms(model, X, y)
    assert len(norms) == 7 and all(n > 0 for n in norms)
    assert all(a < b for a, b in zip(norms, norms[1:], strict=False))  # every layer closer to the input gets less
    assert norms[0] < norms[-1] / 100
    # the first layer's norm is the RMS of its weight gradient after one backward pass
    model.zero_grad()
    logistic_loss(model(X), y).backward()
    assert norms[0] == pytest.approx(float(np.sqrt(np.mean(model.layers[0].W.grad ** 2))))


def test_gradient_norms_do_not_accumulate_across_calls():
    X, y = toy_dataset(50, seed=0)
    model = MLP([2, 8, 8, 1], activation="sigmoid", seed=0)
    assert layer_gradient_norms(model, X, y) == layer_gradient_norms(model, X, y)


def test_tanh_keeps_more_gradient_than_sigmoid():
    X, y = toy_dataset(100, seed=0)
    sizes = [2] + [32] * 6 + [1]
    sig = layer_gradient_norms(MLP(sizes, activation="sigmoid", seed=0), X, y)
    tanh = layer_gradient_norms(MLP(sizes, activation="tanh", seed=0), X, y)
    assert tanh[0] / tanh[-1] > 10 * sig[0] / sig[-1]


# ---------------------------------------------------------------------------
# bad input: clear errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_in, n_out, said",
    [
        (0, 3, "n_in must be a positive whole number, got 0"),
        (2, -1, "n_out must be a positive whole number, got -1"),
        (2.5, 3, "n_in must be .* got 2.5"),
        ("3", 2, "n_in must be .* got '3'"),
        (True, 3, "n_in must be .* got True"),
    ],
)
def test_bad_layer_sizes(n_in, n_out, said):
    with pytest.raises(ValueError, match=f"Layer: {said}"):
        Layer(n_in, n_out)


def test_bad_mlp_sizes():
    with pytest.raises(ValueError, match=r"MLP needs at least an input and an output size, got sizes=\[3\]"):
        MLP([3])
    with pytest.raises(ValueError, match="n_out must be a positive whole number, got 0"):
        MLP([2, 0, 1])


@pytest.mark.parametrize(
    "build",
    [
        lambda: Layer(2, 3, "swish"),
        lambda: MLP([2, 3, 1], activation="bogus"),
        lambda: MLP([2, 3, 1], output_activation="softmax"),
    ],
)
def test_unknown_activation(build):
    with pytest.raises(ValueError, match=r"unknown activation '\w+'; choose one of \['linear', 'relu', 'sigmoid', 'tanh'\]"):
        build()


@pytest.mark.parametrize("scale", [-1.0, "big", math.nan, True])
def test_bad_weight_scale(scale):
    with pytest.raises(ValueError, match="weight_scale is the spread of the initial weights, a number >= 0"):
        MLP([2, 3, 1], weight_scale=scale)


def test_wrong_number_of_input_features():
    with pytest.raises(ValueError, match=r"Layer expects inputs with 2 features \(last axis\), got shape \(4, 3\)"):
        MLP([2, 3, 1])(np.ones((4, 3)))


def test_losses_check_their_labels_and_targets():
    s = Value(np.ones((4, 1)))
    with pytest.raises(
        ValueError, match=r"mse_loss: got 3 targets \(shape \(3,\)\) for an output of shape \(4, 1\); give one per example"
    ):
        mse_loss(s, np.ones(3))
    with pytest.raises(ValueError, match="logistic_loss: labels must be 0 or 1, got also 2"):
        logistic_loss(s, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="hinge_loss: labels must be 0 or 1, got also -1"):
        hinge_loss(s, [0, 1, -1, 1])
    with pytest.raises(ValueError, match="accuracy: got 3 labels"):
        accuracy(s, [0, 1, 1])


def test_sgd_step_needs_a_number():
    with pytest.raises(TypeError, match="sgd_step: learning_rate must be a number, got str '0.1'"):
        sgd_step(MLP([2, 1]).parameters(), "0.1")


@pytest.mark.parametrize(
    "kwargs, said",
    [
        ({"kind": "spiral"}, "unknown kind 'spiral'; choose 'blobs', 'moons' or 'circles'"),
        ({"n": 0}, "n must be a positive whole number, got 0"),
        ({"n": 2.5}, "n must be a positive whole number, got 2.5"),
        ({"noise": -0.1}, "noise is a standard deviation, a number >= 0; got -0.1"),
    ],
)
def test_bad_toy_dataset_arguments(kwargs, said):
    with pytest.raises(ValueError, match=f"toy_dataset: {said}"):
        toy_dataset(**kwargs)
