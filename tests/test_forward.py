"""Forward mode (`coursegrad.forward.Dual`): every op's tangent against central differences,
agreement with the reverse-mode engine on composite functions, and clear errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursegrad import Value
from coursegrad.forward import (
    Dual,
    derivative,
    forward_gradient,
    jacobian,
    jvp,
    reverse_gradient,
    reverse_jacobian,
)

H = 1e-6
numbers = st.floats(-3, 3, allow_nan=False)
positive = st.floats(0.2, 4, allow_nan=False)
away_from_zero = st.one_of(st.floats(-3, -0.2), st.floats(0.2, 3))


def central(g, x, v):
    """(g(x + hv) − g(x − hv)) / 2h, g evaluated on values only (constant Duals)."""
    plus = g(Dual(np.asarray(x) + H * np.asarray(v))).value
    minus = g(Dual(np.asarray(x) - H * np.asarray(v))).value
    return (np.asarray(plus) - np.asarray(minus)) / (2 * H)


def assert_tangent(g, x, v, rtol=1e-5, atol=1e-6):
    out = g(Dual(x, v))
    np.testing.assert_allclose(out.tangent, central(g, x, v), rtol=rtol, atol=atol)
    return out


UNARY = {
    "neg": (lambda a: -a, numbers, lambda x: -x),
    "exp": (lambda a: a.exp(), numbers, np.exp),
    "log": (lambda a: a.log(), positive, np.log),
    "tanh": (lambda a: a.tanh(), numbers, np.tanh),
    "sigmoid": (lambda a: a.sigmoid(), numbers, lambda x: 1 / (1 + np.exp(-x))),
    "relu": (lambda a: a.relu(), away_from_zero, lambda x: np.maximum(x, 0)),
    "square": (lambda a: a**2, numbers, lambda x: x**2),
    "cube": (lambda a: a**3, numbers, lambda x: x**3),
    "sqrt": (lambda a: a**0.5, positive, np.sqrt),
    "inverse": (lambda a: a**-1, away_from_zero, lambda x: 1 / x),
    "zeroth power": (lambda a: a**0, numbers, lambda x: np.ones_like(x)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_unary_tangent_matches_central_differences_on_floats(name, data):
    g, inputs, reference = UNARY[name]
    x, v = data.draw(inputs), data.draw(st.floats(-2, 2))
    out = assert_tangent(g, x, v)
    assert isinstance(out.value, float) and out.value == pytest.approx(float(reference(x)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unary_tangent_matches_central_differences_on_arrays(name, data):
    g, inputs, reference = UNARY[name]
    n = data.draw(st.integers(1, 5))
    x = np.array(data.draw(st.lists(inputs, min_size=n, max_size=n)))
    v = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=n, max_size=n)))
    out = assert_tangent(g, x, v)
    np.testing.assert_allclose(out.value, reference(x), rtol=1e-12, atol=1e-12)


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=40, deadline=None)
@given(a=numbers, b=away_from_zero, da=st.floats(-2, 2), db=st.floats(-2, 2))
def test_binary_tangent_is_the_directional_derivative(op, a, b, da, db):
    """d/dt f(a + t·da, b + t·db) at t = 0, by central differences, for f = a op b."""
    f = BINARY[op]
    out = f(Dual(a, da), Dual(b, db))
    numeric = (f(a + H * da, b + H * db) - f(a - H * da, b - H * db)) / (2 * H)
    assert out.value == pytest.approx(f(a, b), rel=1e-12, abs=1e-12)
    assert out.tangent == pytest.approx(numeric, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=25, deadline=None)
@given(a=away_from_zero, b=away_from_zero, da=st.floats(-2, 2))
def test_a_plain_number_on_either_side_is_a_constant(op, a, b, da):
    f = BINARY[op]
    left, right = f(Dual(a, da), b), f(b, Dual(a, da))  # Dual op number, and number op Dual (the reversed op)
    assert left.value == pytest.approx(f(a, b)) and right.value == pytest.approx(f(b, a))
    assert left.tangent == pytest.approx((f(a + H * da, b) - f(a - H * da, b)) / (2 * H), rel=1e-5, abs=1e-6)
    assert right.tangent == pytest.approx((f(b, a + H * da) - f(b, a - H * da)) / (2 * H), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_arrays_broadcast_in_values_and_tangents(op):
    rng = np.random.default_rng(1)
    a, da = rng.uniform(0.5, 2, (3, 4)), rng.standard_normal((3, 4))
    b, db = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    f = BINARY[op]
    out = f(Dual(a, da), Dual(b, db))
    numeric = (f(a + H * da, b + H * db) - f(a - H * da, b - H * db)) / (2 * H)
    assert out.value.shape == (3, 4) and out.tangent.shape == (3, 4)
    np.testing.assert_allclose(out.tangent, numeric, rtol=1e-5, atol=1e-6)
    with_array = f(np.full((2, 1), 1.5), Dual(b, db))  # a numpy array on the left: numpy defers to Dual
    assert isinstance(with_array, Dual) and with_array.value.shape == (2, 4)


def test_matmul_and_sum_follow_the_product_rule():
    rng = np.random.default_rng(2)
    A, dA, B, dB = (rng.standard_normal(s) for s in [(3, 4), (3, 4), (4, 2), (4, 2)])
    out = Dual(A, dA) @ Dual(B, dB)
    numeric = ((A + H * dA) @ (B + H * dB) - (A - H * dA) @ (B - H * dB)) / (2 * H)
    np.testing.assert_allclose(out.tangent, numeric, rtol=1e-6, atol=1e-8)
    total = out.sum()
    assert total.value == pytest.approx(np.sum(A @ B)) and total.tangent == pytest.approx(np.sum(numeric), rel=1e-6)
    assert isinstance(A @ Dual(B, dB), Dual)


def composite(x):
    """A function of an array written once, run with Dual (forward mode) or Value (reverse mode)."""
    W = np.linspace(-1, 1, 3 * x.shape[0]).reshape(3, -1)
    h = (W @ x).tanh()
    return ((h * h + 1.0).log() + (h * 0.5).sigmoid() * h.exp() - (h * 2.0).relu() / 3.0 + (h + 2.0) ** 1.5).sum()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=6))
def test_forward_gradient_equals_the_engines_backward_on_a_composite_function(xs):
    x = np.array(xs)
    np.testing.assert_allclose(forward_gradient(composite, x), reverse_gradient(composite, x), rtol=1e-9, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=5), st.integers(1, 4))
def test_forward_and_reverse_jacobians_agree(xs, m):
    x = np.array(xs)
    W = np.arange(m * x.size, dtype=float).reshape(m, -1) / (m * x.size) - 0.5

    def f(v):
        return (W @ v).tanh() * (W @ v).sigmoid() + 2.0

    J = jacobian(f, x)
    assert J.shape == (m, x.size)
    np.testing.assert_allclose(J, reverse_jacobian(f, x), rtol=1e-9, atol=1e-12)


def test_jvp_and_derivative():
    value, tangent = jvp(lambda d: (d * d).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    assert value == 5.0 and tangent == 6.0  # ∇(x·x) = 2x = [2, 4], times [1, 1]
    assert derivative(lambda t: t.tanh(), 0.0) == 1.0
    many = derivative(lambda t: (t * np.arange(4.0)).sigmoid(), 0.0)  # f: R → R⁴ in one pass
    np.testing.assert_allclose(many, 0.25 * np.arange(4.0))


def test_jacobian_of_a_matrix_product_is_the_kronecker_product():
    """vec(W X) = (I ⊗ Xᵀ) vec(W) for row-major vec: the explicit Jacobian the lecture builds."""
    rng = np.random.default_rng(3)
    W, X = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    J = jacobian(lambda w: w @ X, W)
    np.testing.assert_allclose(J, np.kron(np.eye(2), X.T), atol=1e-14)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Dual(-1.0, 1.0).log(), ValueError, "positive"),
        (lambda: Dual(np.array([1.0, 0.0])).log(), ValueError, "positive"),
        (lambda: Dual(2.0, 1.0) ** Dual(2.0), TypeError, "plain int or float exponent"),
        (lambda: 2.0 ** Dual(2.0), TypeError, "number \\*\\* Dual"),
        (lambda: Dual(-2.0) ** 0.5, ValueError, "negative base"),
        (lambda: Dual(0.0) ** -1, ZeroDivisionError, "away from 0"),
        (lambda: Dual(np.ones(3)) + Dual(np.ones(4)), ValueError, "do not broadcast"),
        (lambda: Dual(np.ones(3)) * np.ones(2), ValueError, "do not broadcast"),
        (lambda: Dual(np.ones(3), np.ones(2)), ValueError, "tangent has shape"),
        (lambda: Dual("3"), TypeError, "str"),
        (lambda: Dual(None), TypeError, "NoneType"),
        (lambda: Dual(True), TypeError, "bool"),
        (lambda: Dual(1.0) + "a", TypeError, "str"),
        (lambda: Dual(float("nan")), FloatingPointError, "not finite"),
        (lambda: Dual(1.0) / 0.0, ZeroDivisionError, "divisor"),
        (lambda: Dual(800.0).exp(), OverflowError, "overflows"),
        (lambda: Dual(1e200) * 1e200, FloatingPointError, "not finite"),
        (lambda: bool(Dual(1.0)), TypeError, "truth value"),
        (lambda: Dual(Dual(1.0)), TypeError, "got a Dual"),
        (lambda: jvp(lambda d: d, np.ones(2), np.ones(3)), ValueError, "direction v"),
        (lambda: jvp(lambda d: 3.0, 1.0, 1.0), TypeError, "not a Dual"),
        (lambda: derivative(lambda d: d, np.ones(2)), ValueError, "one number"),
        (lambda: forward_gradient(lambda d: d * 2.0, np.ones(2)), ValueError, "2 outputs"),
        (lambda: Dual(np.ones((2, 3))) @ Dual(np.ones((2, 3))), ValueError, "shape mismatch"),
    ],
)
def test_bad_input_gets_a_clear_error(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_relu_at_the_kink_takes_zero_like_the_engine():
    x = Value(0.0)
    x.relu().backward()
    assert Dual(0.0, 1.0).relu().tangent == x.grad == 0.0


def test_a_float_tangent_spreads_over_an_array_value():
    d = Dual(np.array([1.0, 2.0]), 1.0)
    np.testing.assert_array_equal(d.tangent, [1.0, 1.0])
    assert math.isclose(Dual(2.0, 1.0).exp().tangent, math.exp(2.0))
