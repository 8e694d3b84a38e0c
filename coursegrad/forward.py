"""Forward-mode automatic differentiation with dual numbers.

A `Dual(value, tangent)` carries a number (or array) *and* its derivative along one
chosen direction. Every operation below computes its output value and, right beside
it, the output's tangent by the chain rule, from the inputs' values and tangents:

    value:    a · b                tangent:  ȧ · b + a · ḃ

Start with `Dual(x, v)`: at the end, `.tangent` holds J·v, the Jacobian of the whole
computation times the direction v (a Jacobian–vector product, "JVP"). One forward pass
gives one column of the Jacobian per unit direction, so the full gradient of a function
of n inputs takes n passes; reverse mode (`Value.backward()`) gives one *row*, the
whole gradient of one output, in a single backward pass.

Values and tangents are Python floats or float64 arrays; arrays broadcast like numpy.

    >>> x = Dual(3.0, 1.0)                # x = 3, dx/dx = 1
    >>> f = x * x + 2 * x                 # f = x² + 2x
    >>> f.value, f.tangent                # f(3) = 15, f'(3) = 2·3 + 2 = 8
    (15.0, 8.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from coursegrad.engine import Value, elementwise, sigmoid
from coursegrad.engine_checks import check_divisor, check_exp, check_log, check_matmul, check_power, is_finite, to_data

__all__ = ["Dual", "jvp", "derivative", "jacobian", "forward_gradient", "reverse_gradient", "reverse_jacobian"]


def _number(x: Any, what: str) -> float | np.ndarray:
    """A float or a float64 array (bools refused, arrays of them too), or a clear error saying what was wrong."""
    return to_data(x, what, bool_arrays=False)


def _broadcast(a: Any, b: Any, op: str) -> None:
    """Raise a clear error if the shapes of a and b do not broadcast together."""
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise ValueError(
            f"shape mismatch in {op}: {np.shape(a)} and {np.shape(b)} do not broadcast together "
            "(numpy's rule: trailing dimensions must be equal or 1). Reshape one side."
        ) from None


class Dual:
    """A dual number: `.value` and `.tangent` = d value / dt along one direction of the inputs.

    `Dual(x)` is a constant (tangent 0); `Dual(x, 1.0)` is the input we differentiate by.
    The tangent must have the value's shape.
    """

    __slots__ = ("value", "tangent")
    number_is = "`d.value`"  # what to pass instead of a Dual where a number is expected (engine_checks.to_data)
    __array_ufunc__ = None  # numpy_array * Dual calls Dual.__rmul__ instead of looping over the array

    def __init__(self, value: Any, tangent: Any = 0.0):
        self.value = _number(value, "Dual value")
        t = _number(tangent, "Dual tangent")
        if np.shape(t) != np.shape(self.value):
            if np.shape(t) != ():
                raise ValueError(
                    f"Dual: the tangent has shape {np.shape(t)} but the value has shape {np.shape(self.value)}; "
                    "give a tangent of the value's shape (one derivative per entry)."
                )
            t = np.full(np.shape(self.value), t)  # a number: the same derivative for every entry
        self.tangent = t

    @staticmethod
    def _make(value: Any, tangent: Any) -> Dual:
        """The result of an operation; an overflow (inf or nan) raises here, at the op that made it."""
        if not (is_finite(value) and is_finite(tangent)):
            raise FloatingPointError("the result of an operation (or its derivative) is not finite; rescale the inputs.")
        out = object.__new__(Dual)
        out.value, out.tangent = value, tangent
        return out

    @staticmethod
    def lift(x: Any) -> Dual:
        """A Dual as it is; a plain number or array as a constant (tangent 0)."""
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    # -- arithmetic: value formula, then its tangent rule ----------------------

    def __add__(self, other: Any) -> Dual:
        o = Dual.lift(other)
        _broadcast(self.value, o.value, "+")
        return Dual._make(self.value + o.value, self.tangent + o.tangent)  # (a + b)˙ = ȧ + ḃ

    def __sub__(self, other: Any) -> Dual:
        o = Dual.lift(other)
        _broadcast(self.value, o.value, "-")
        return Dual._make(self.value - o.value, self.tangent - o.tangent)  # (a − b)˙ = ȧ − ḃ

    def __mul__(self, other: Any) -> Dual:
        o = Dual.lift(other)
        _broadcast(self.value, o.value, "*")
        return Dual._make(self.value * o.value, self.tangent * o.value + self.value * o.tangent)  # ȧb + aḃ

    def __truediv__(self, other: Any) -> Dual:
        o = Dual.lift(other)
        _broadcast(self.value, o.value, "/")
        check_divisor(o.value)
        out = self.value / o.value
        return Dual._make(out, (self.tangent - out * o.tangent) / o.value)  # (a/b)˙ = (ȧ − (a/b)·ḃ) / b

    def __neg__(self) -> Dual:
        return Dual._make(-self.value, -self.tangent)  # (−a)˙ = −ȧ

    def __pow__(self, exponent: Any) -> Dual:
        """a ** n for a constant number n.  Tangent: n · a^(n−1) · ȧ."""
        a, n = self.value, check_power(self.value, exponent)
        slope = n * a ** (n - 1) if n != 0 else 0.0 * a
        return Dual._make(a**n, slope * self.tangent)

    def __radd__(self, other: Any) -> Dual:
        return self + other

    def __rsub__(self, other: Any) -> Dual:
        return Dual.lift(other) - self

    def __rmul__(self, other: Any) -> Dual:
        return self * other

    def __rtruediv__(self, other: Any) -> Dual:
        return Dual.lift(other) / self

    def __rpow__(self, base: Any) -> Dual:
        raise TypeError("number ** Dual is not an operation here; for b ** x with b > 0 write (x * math.log(b)).exp().")

    # -- elementwise functions ---------------------------------------------------

    def exp(self) -> Dual:
        """eᵃ.  Tangent: eᵃ · ȧ."""
        check_exp(self.value)
        e = elementwise(self.value, math.exp, np.exp)
        return Dual._make(e, e * self.tangent)

    def log(self) -> Dual:
        """ln a for a > 0.  Tangent: ȧ / a."""
        check_log(self.value)
        return Dual._make(elementwise(self.value, math.log, np.log), self.tangent / self.value)

    def tanh(self) -> Dual:
        """tanh a.  Tangent: (1 − tanh²a) · ȧ."""
        t = elementwise(self.value, math.tanh, np.tanh)
        return Dual._make(t, (1.0 - t * t) * self.tangent)

    def sigmoid(self) -> Dual:
        """σ(a) = 1 / (1 + e⁻ᵃ).  Tangent: σ(a)(1 − σ(a)) · ȧ."""
        s = sigmoid(self.value)
        return Dual._make(s, s * (1.0 - s) * self.tangent)

    def relu(self) -> Dual:
        """max(0, a).  Tangent: ȧ where a > 0, else 0 (0 at the kink a = 0, as in the engine)."""
        a = self.value
        if isinstance(a, float):
            return Dual._make(max(a, 0.0), self.tangent if a > 0 else 0.0)
        return Dual._make(np.maximum(a, 0.0), np.where(a > 0, self.tangent, 0.0))

    # -- array operations ----------------------------------------------------------

    def __matmul__(self, other: Any) -> Dual:
        """A @ B.  Tangent: Ȧ @ B + A @ Ḃ (the product rule, for matrices)."""
        o = Dual.lift(other)
        check_matmul(self.value, o.value)
        return Dual._make(self.value @ o.value, self.tangent @ o.value + self.value @ o.tangent)

    def __rmatmul__(self, other: Any) -> Dual:
        return Dual.lift(other) @ self

    def sum(self) -> Dual:
        """Σ a.  Tangent: Σ ȧ."""
        if isinstance(self.value, float):
            return self
        return Dual._make(float(np.sum(self.value)), float(np.sum(self.tangent)))

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.value)

    def __bool__(self) -> bool:
        raise TypeError("a Dual has no truth value; compare its .value instead (e.g. `if d.value > 0`).")

    def __repr__(self) -> str:
        if isinstance(self.value, float):
            return f"Dual(value={self.value:.6g}, tangent={self.tangent:.6g})"
        value, tangent = np.array2string(self.value, precision=4), np.array2string(self.tangent, precision=4)
        return f"Dual(shape={self.shape}, value={value}, tangent={tangent})"


# ---------------------------------------------------------------------------
# Derivatives and Jacobians, by forward mode and by reverse mode
# ---------------------------------------------------------------------------


def jvp(f: Callable[[Dual], Dual], x: Any, v: Any) -> tuple[float | np.ndarray, float | np.ndarray]:
    """f(x) and J·v, the Jacobian of f at x times the direction v, from one forward pass with Dual(x, v)."""
    x = _number(x, "jvp: x")
    v = _number(v, "jvp: v")
    if np.shape(v) != np.shape(x):
        raise ValueError(f"jvp: the direction v has shape {np.shape(v)} but x has shape {np.shape(x)}; they must match.")
    out = f(Dual(x, v))
    if not isinstance(out, Dual):
        raise TypeError(f"jvp: f returned {type(out).__name__}, not a Dual; f must compute with its argument only.")
    return out.value, out.tangent


def derivative(f: Callable[[Dual], Dual], x: float) -> float | np.ndarray:
    """df/dx at a number x (for f: R → R^m, every output's derivative): one forward pass with tangent 1."""
    if np.ndim(x) != 0:
        raise ValueError(f"derivative: x must be one number, got shape {np.shape(x)}; use jacobian() for arrays.")
    return jvp(f, x, 1.0)[1]


def _unit(shape: tuple[int, ...], i: int) -> np.ndarray:
    e = np.zeros(int(np.prod(shape)))
    e[i] = 1.0
    return e.reshape(shape)


def jacobian(f: Callable[[Dual], Dual], x: Any) -> np.ndarray:
    """The Jacobian J[i, j] = ∂f_i/∂x_j (outputs and inputs flattened row by row), by forward mode.

    Column j is J·e_j, one forward pass with the unit direction e_j: n passes for n inputs.
    """
    x = np.asarray(_number(x, "jacobian: x"), dtype=np.float64)
    columns = [np.ravel(jvp(f, x, _unit(x.shape, j))[1]) for j in range(x.size)]
    return np.column_stack(columns) if columns else np.zeros((np.size(f(Dual(x)).value), 0))


def forward_gradient(f: Callable[[Dual], Dual], x: Any) -> np.ndarray:
    """The gradient of a one-number f by forward mode: one pass per input (n passes), ∂f/∂x_j = J·e_j."""
    J = jacobian(f, x)
    if J.shape[0] != 1:
        raise ValueError(f"forward_gradient: f has {J.shape[0]} outputs; a gradient needs one. Use jacobian().")
    return J.reshape(np.shape(x))


def reverse_gradient(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The gradient of a one-number f by reverse mode: one forward pass, one backward pass, all n entries."""
    X = Value(x, "x")
    out = f(X)
    out.backward()
    return np.asarray(X.grad, dtype=np.float64)


def reverse_jacobian(f: Callable[[Value], Value], x: Any) -> np.ndarray:
    """The Jacobian by reverse mode: one forward pass, then one backward pass per output (row i = e_iᵀ·J)."""
    X = Value(x, "x")
    out = f(X)
    rows = []
    for i in range(int(np.size(out.data))):
        X.zero_grad()
        out.backward(_unit(out.shape, i) if out.shape else 1.0)
        rows.append(np.ravel(X.grad).copy())
    return np.vstack(rows)
