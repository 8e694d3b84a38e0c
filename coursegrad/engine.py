"""The engine: a `Value` is a node of a computational graph.

Every operation below does the two things the lecture says a gate does:

1. it computes its **output value** from its inputs (the forward formula), and
2. it records the **local gradient** of its output with respect to each input,
   right beside that formula.

`Value.backward()` then walks the graph from the output back to the inputs and,
at every node, multiplies each local gradient by the gradient flowing into the
node from above (the chain rule) and adds the product into the input's gradient
(gradients add up where a value is used twice). That loop is `backprop` at the
bottom of this file; it is the whole of backpropagation.

A node holds either a Python float or a numpy array of float64. Elementwise
operations broadcast like numpy; backward sums each gradient back to the shape of
its input (`unbroadcast`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["Value", "Rule", "Step", "backprop", "topological_order", "as_value"]


# ---------------------------------------------------------------------------
# Checking what goes into a node
# ---------------------------------------------------------------------------

ACCEPTED = "a Python int or float, a list of numbers, or a numpy array of real numbers"


def _to_data(data: Any, what: str = "Value") -> float | np.ndarray:
    """Turn user input into a float or a float64 array, or say clearly why not."""
    if isinstance(data, Value):
        raise TypeError(f"{what} got a Value; pass its number (`v.data`) or use the Value itself in an expression.")
    if isinstance(data, (bool, np.bool_)):
        raise TypeError(f"{what} got a bool ({data!r}); it accepts {ACCEPTED}. Use 1.0 or 0.0 if you meant a number.")
    if isinstance(data, numbers.Real):
        x = float(data)
        _require_finite(x, f"{what}({data!r})", "Inputs must be finite numbers.")
        return x
    if isinstance(data, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(data)
        except ValueError as err:  # ragged lists
            raise TypeError(f"{what} got a ragged list ({err}); it accepts {ACCEPTED}.") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{what} got an array of dtype {arr.dtype} (from {type(data).__name__}); "
                f"it accepts {ACCEPTED}. Convert with np.asarray(x, dtype=float) if the entries are numbers."
            )
        arr = arr.astype(np.float64)  # always a copy: a node never shares memory with the caller
        if arr.ndim == 0:
            return _to_data(float(arr), what)
        _require_finite(arr, f"{what} array", "Inputs must be finite numbers.")
        return arr
    raise TypeError(f"{what} got {type(data).__name__} {data!r}; it accepts {ACCEPTED}.")


def _require_finite(x: float | np.ndarray, where: str, hint: str) -> None:
    finite = math.isfinite(x) if isinstance(x, float) else bool(np.isfinite(x).all())
    if not finite:
        raise FloatingPointError(f"{where} is not finite (nan or inf). {hint}")


def as_value(x: Any) -> Value:
    """Wrap a plain number or array as a constant node; a `Value` is returned unchanged."""
    if isinstance(x, Value):
        return x
    v = Value(x, label=_short(x) if isinstance(x, numbers.Real) else "const")
    v.constant = True
    return v


def _short(x: float) -> str:
    return f"{float(x):g}"


def shape_of(x: float | np.ndarray) -> tuple[int, ...]:
    """The numpy shape of a node's data; a float has shape ()."""
    return () if isinstance(x, float) else x.shape


def unbroadcast(g: float | np.ndarray, shape: tuple[int, ...]) -> float | np.ndarray:
    """Sum a gradient back to `shape`: the backward rule of numpy broadcasting.

    If an input of shape (3,) was broadcast to (2, 3), it was used twice, so its
    gradient is the sum over the extra axis (gradients add up where a value is reused).
    """
    if isinstance(g, float):
        return g
    if shape == ():
        return float(np.sum(g))
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # leading axes numpy added
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _elementwise(x: float | np.ndarray, scalar_fn: Callable, array_fn: Callable):
    """Apply `math.f` to a float (fast) or `np.f` to an array."""
    return scalar_fn(x) if isinstance(x, float) else array_fn(x)


def _any(condition: bool | np.ndarray) -> bool:
    """True if a condition on a float, or on any element of an array, holds."""
    return bool(condition) if isinstance(condition, bool) else bool(np.any(condition))


class Rule:
    """A local gradient that is not a plain factor, written as a function of the upstream gradient.

    Elementwise gates have a local gradient that simply multiplies the upstream
    gradient. Matrix multiply and sums instead *rearrange* it (dW = dD·Xᵀ); a Rule
    holds that function and the formula for people to read.
    """

    __slots__ = ("fn", "formula")

    def __init__(self, fn: Callable[[Any], Any], formula: str):
        self.fn = fn
        self.formula = formula

    def __repr__(self) -> str:
        return f"Rule({self.formula})"


def chain(local: Any, upstream: Any) -> Any:
    """The chain rule at one gate: local gradient × upstream gradient."""
    return local.fn(upstream) if isinstance(local, Rule) else local * upstream


# ---------------------------------------------------------------------------
# The node
# ---------------------------------------------------------------------------


class Value:
    """A node of a computational graph: its value `.data` and, after backward, `.grad` = ∂output/∂node.

    `Value(2.0, label="x")` is a leaf (an input or a weight). Operations on Values
    build new nodes that remember their `inputs`, the `op` that made them and the
    `local_grads` of their output with respect to each input.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local_grads", "constant", "__weakref__")
    __array_ufunc__ = None  # numpy_array * Value and numpy_array @ Value build nodes (numpy defers to Value)

    def __init__(self, data: Any, label: str = "", *, _inputs: tuple = (), _op: str = "", _local: tuple = ()):
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}.")
        if _inputs:  # made by an operation: data is already a float or float64 array
            self.data = data
        else:
            self.data = _to_data(data)
        self.grad = 0.0 if isinstance(self.data, float) else np.zeros_like(self.data)
        self.label = label
        self.op = _op
        self.inputs = _inputs
        self.local_grads = _local
        self.constant = False

    # -- building nodes ------------------------------------------------------

    @classmethod
    def from_gate(cls, data: Any, inputs: tuple, local_grads: tuple, op: str) -> Value:
        """Make the output node of a gate you write yourself.

        `data` is the gate's output value and `local_grads[i]` is ∂output/∂inputs[i]
        (a number, an array of the output's shape for an elementwise gate, or a `Rule`).
        Backprop will multiply each local gradient by the upstream gradient for you.
        """
        inputs = tuple(as_value(x) for x in inputs)
        if len(local_grads) != len(inputs):
            raise ValueError(f"gate {op!r}: {len(inputs)} inputs but {len(local_grads)} local gradients; give one per input.")
        data = _to_data(data, f"gate {op!r} output")
        return cls(data, _inputs=inputs, _op=op, _local=tuple(local_grads))

    def _make(self, data: Any, inputs: tuple, local_grads: tuple, op: str) -> Value:
        _require_finite(data, f"the result of {op}", "See the error's numbers above; rescale your inputs.")
        return Value(data, _inputs=inputs, _op=op, _local=local_grads)

    # -- elementwise arithmetic ---------------------------------------------

    def __add__(self, other: Any) -> Value:
        """a + b.  Local gradients: ∂/∂a = 1, ∂/∂b = 1 (add distributes the gradient)."""
        other = as_value(other)
        return self._make(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other: Any) -> Value:
        """a · b.  Local gradients: ∂/∂a = b, ∂/∂b = a (multiply swaps its inputs)."""
        other = as_value(other)
        return self._make(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __neg__(self) -> Value:
        """-a.  Local gradient: -1."""
        return self._make(-self.data, (self,), (-1.0,), "neg")

    def __sub__(self, other: Any) -> Value:
        """a - b.  Local gradients: ∂/∂a = 1, ∂/∂b = -1."""
        other = as_value(other)
        return self._make(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __truediv__(self, other: Any) -> Value:
        """a / b.  Local gradients: ∂/∂a = 1/b, ∂/∂b = -a/b²."""
        other = as_value(other)
        b = other.data
        if _any(b == 0):
            raise ZeroDivisionError(
                f"division by zero in {self.label or 'a'} / {other.label or 'b'}: the divisor is 0 "
                "(or has a 0 entry). Add a small epsilon to the divisor or avoid dividing by it."
            )
        out = self.data / b
        return self._make(out, (self, other), (1.0 / b, -out / b), "/")

    def __pow__(self, exponent: Any) -> Value:
        """a ** n for a constant number n.  Local gradient: n · a^(n-1)."""
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real) or isinstance(exponent, bool):
            raise TypeError(
                f"** takes a plain int or float exponent, got {type(exponent).__name__}. "
                "For a learnable exponent b write (b * a.log()).exp()."
            )
        n = float(exponent)
        a = self.data
        if not float(n).is_integer() and _any(a < 0):
            raise ValueError(f"a ** {n:g} with a negative base has no real value; use an integer exponent or a positive base.")
        if n < 0 and _any(a == 0):
            raise ZeroDivisionError(f"0 ** {n:g} is infinite; keep the base away from 0.")
        if n - 1 < 0 and _any(a == 0):
            raise ValueError(f"the gradient of a ** {n:g} at a = 0 is infinite; keep the base away from 0.")
        return self._make(a**n, (self,), (n * a ** (n - 1),), f"**{n:g}")

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __rsub__(self, other: Any) -> Value:
        return as_value(other) - self

    def __rtruediv__(self, other: Any) -> Value:
        return as_value(other) / self

    def __rpow__(self, base: Any) -> Value:
        raise TypeError("number ** Value is not a gate here; for b ** x with b > 0 write (x * math.log(b)).exp().")

    # -- elementwise functions ----------------------------------------------

    def exp(self) -> Value:
        """eˣ.  Local gradient: eˣ (the output itself)."""
        x = self.data
        if _any(x > 709.0):
            raise OverflowError(f"exp of {np.max(x):g} overflows a float64 (exp(710) > 1.8e308); scale the input down.")
        out = _elementwise(x, math.exp, np.exp)
        return self._make(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """ln x for x > 0.  Local gradient: 1/x."""
        x = self.data
        if _any(x <= 0):
            raise ValueError(
                f"log is only defined for positive inputs, got {np.min(x):g}. "
                "Clip the input (e.g. add a small epsilon) or use a loss built for logits."
            )
        return self._make(_elementwise(x, math.log, np.log), (self,), (1.0 / x,), "log")

    def tanh(self) -> Value:
        """tanh x.  Local gradient: 1 - tanh²x."""
        t = _elementwise(self.data, math.tanh, np.tanh)
        return self._make(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e⁻ˣ).  Local gradient: σ(x)(1 - σ(x)), at most 0.25 (at x = 0)."""
        s = _elementwise(self.data, _sigmoid_float, _sigmoid_array)
        return self._make(s, (self,), (s * (1.0 - s),), "σ")

    def relu(self) -> Value:
        """max(0, x).  Local gradient: 1 where x > 0, else 0 (we take 0 at the kink x = 0)."""
        x = self.data
        if isinstance(x, float):
            return self._make(x if x > 0 else 0.0, (self,), (1.0 if x > 0 else 0.0,), "relu")
        return self._make(np.maximum(x, 0.0), (self,), ((x > 0).astype(np.float64),), "relu")

    def softplus(self) -> Value:
        """log(1 + eˣ), computed without overflow.  Local gradient: σ(x)."""
        x = self.data
        out = _elementwise(x, lambda v: max(v, 0.0) + math.log1p(math.exp(-abs(v))), lambda v: np.logaddexp(0.0, v))
        return self._make(out, (self,), (_elementwise(x, _sigmoid_float, _sigmoid_array),), "softplus")

    def maximum(self, other: Any) -> Value:
        """max(a, b), the "max gate".  Local gradients: 1 to the larger input, 0 to the other (ties go to a)."""
        other = as_value(other)
        a, b = self.data, other.data
        if isinstance(a, float) and isinstance(b, float):
            a_wins = 1.0 if a >= b else 0.0
            return self._make(max(a, b), (self, other), (a_wins, 1.0 - a_wins), "max")
        a_wins = (a >= b).astype(np.float64)  # where a wins the gradient is routed to a, elsewhere to b
        return self._make(np.maximum(a, b), (self, other), (a_wins, 1.0 - a_wins), "max")

    # -- array operations ----------------------------------------------------

    def __matmul__(self, other: Any) -> Value:
        """D = A @ B.  Local gradients as rules on the upstream gradient G: dA = G·Bᵀ, dB = Aᵀ·G."""
        other = as_value(other)
        A, B = self.data, other.data
        if isinstance(A, float) or isinstance(B, float) or A.ndim > 2 or B.ndim > 2:
            raise ValueError(
                f"@ needs 1-D or 2-D arrays on both sides, got shapes {shape_of(A)} and {shape_of(B)}; use * for scalars."
            )
        if A.shape[-1] != B.shape[0]:
            raise ValueError(
                f"shape mismatch in A @ B: A is {A.shape} and B is {B.shape}, but A's last dimension ({A.shape[-1]}) "
                f"must equal B's first ({B.shape[0]}). Transpose one of them (.T) or check the layer sizes."
            )
        A2 = A if A.ndim == 2 else A[None, :]  # treat vectors as 1-row / 1-column matrices
        B2 = B if B.ndim == 2 else B[:, None]

        def as_matrix(G):
            return np.reshape(G, (A2.shape[0], B2.shape[1]))

        dA = Rule(lambda G: np.reshape(as_matrix(G) @ B2.T, A.shape), "G @ Bᵀ")
        dB = Rule(lambda G: np.reshape(A2.T @ as_matrix(G), B.shape), "Aᵀ @ G")
        out = A @ B
        return self._make(float(out) if np.ndim(out) == 0 else out, (self, other), (dA, dB), "@")

    def __rmatmul__(self, other: Any) -> Value:
        return as_value(other) @ self

    def sum(self, axis: int | tuple | None = None) -> Value:
        """Σ x.  Local gradient: 1 for every element (the upstream gradient is copied back to each)."""
        x = self.data
        out = np.sum(x, axis=axis)
        in_shape = shape_of(x)
        kept = np.sum(x, axis=axis, keepdims=True).shape if in_shape else ()

        def spread(G):
            return np.broadcast_to(np.reshape(G, kept), in_shape).copy() if in_shape else float(G)

        return self._make(float(out) if np.ndim(out) == 0 else out, (self,), (Rule(spread, "copy G to every element"),), "sum")

    def mean(self, axis: int | tuple | None = None) -> Value:
        """The mean: Σ x / n.  Local gradient: 1/n for every element."""
        n = np.size(self.data) if axis is None else np.size(self.data) // np.size(np.sum(self.data, axis=axis))
        return self.sum(axis) * (1.0 / n)

    def transpose(self) -> Value:
        """Xᵀ.  Local gradient: the upstream gradient, transposed back."""
        x = self.data
        if isinstance(x, float):
            return self._make(x, (self,), (1.0,), "T")
        return self._make(x.T.copy(), (self,), (Rule(lambda G: np.transpose(G), "Gᵀ"),), "T")

    @property
    def T(self) -> Value:
        return self.transpose()

    def reshape(self, *shape: int) -> Value:
        """The same numbers in a new shape.  Local gradient: the upstream gradient, reshaped back."""
        x = np.asarray(self.data)
        in_shape = shape_of(self.data)
        out = x.reshape(*shape)
        back = Rule(lambda G: np.reshape(G, in_shape) if in_shape else float(np.reshape(G, ())), "G reshaped back")
        return self._make(out.copy(), (self,), (back,), "reshape")

    def __getitem__(self, index: Any) -> Value:
        """x[i].  Local gradient: the upstream gradient goes back to the picked entries, 0 elsewhere."""
        x = self.data
        if isinstance(x, float):
            raise TypeError("a scalar Value cannot be indexed; only array Values can.")

        def scatter(G):
            g = np.zeros_like(x)
            np.add.at(g, index, G)
            return g

        out = x[index]
        return self._make(float(out) if np.ndim(out) == 0 else np.array(out), (self,), (Rule(scatter, "G into the picked entries"),), "[]")

    # -- shape and display ---------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.data)

    def item(self) -> float:
        """The data as a Python float (for a single-element node)."""
        return float(np.reshape(self.data, ()))

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        if isinstance(self.data, float):
            return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"
        return f"Value({name}shape={self.data.shape}, data={np.array2string(self.data, precision=4)}, grad={np.array2string(self.grad, precision=4)})"

    def __bool__(self) -> bool:
        raise TypeError("a Value has no truth value; compare its .data instead (e.g. `if v.data > 0`).")

    # -- gradients -----------------------------------------------------------

    def zero_grad(self) -> None:
        """Reset this node's gradient to 0 (leaves accumulate across backward calls, as in PyTorch)."""
        self.grad = 0.0 if isinstance(self.data, float) else np.zeros_like(self.data)

    def backward(self, gradient: Any = None) -> None:
        """Backpropagate from this node: fill `.grad` of every node it depends on.

        A single-element output is seeded with ∂out/∂out = 1. For an array output pass
        `gradient`, the upstream gradient of the same shape.
        """
        backprop(self, gradient)


def _sigmoid_float(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # for x < 0 this never overflows
    return e / (1.0 + e)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ---------------------------------------------------------------------------
# Backpropagation
# ---------------------------------------------------------------------------


@dataclass
class Step:
    """One step of the backward pass, as the engine took it.

    At `node`, the upstream gradient `upstream` (= ∂output/∂node, complete because
    every consumer of the node was visited before it) is multiplied by each local
    gradient; `contributions[i]` is what was added into `node.inputs[i].grad`.
    """

    index: int
    node: Value
    upstream: Any
    local_grads: tuple
    contributions: tuple

    @property
    def inputs(self) -> tuple:
        return self.node.inputs


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its inputs (iterative: no recursion limit)."""
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in node.inputs:
            if id(child) not in visited:
                stack.append((child, False))
    return order


def backprop(root: Value, gradient: Any = None, record: list[Step] | None = None) -> None:
    """The backward pass from `root`. If `record` is a list, each `Step` taken is appended to it."""
    seed = _seed(root, gradient)
    order = topological_order(root)
    for node in order:  # interior nodes show this pass's gradients; leaves accumulate
        if node.inputs:
            node.zero_grad()
    root.grad = root.grad + seed
    for node in reversed(order):  # outputs before inputs
        if not node.inputs:
            continue
        upstream = node.grad
        contributions = []
        for child, local in zip(node.inputs, node.local_grads):
            contribution = unbroadcast(chain(local, upstream), shape_of(child.data))  # local gradient × upstream gradient
            child.grad = child.grad + contribution  # gradients add up where a node is used more than once
            contributions.append(contribution)
        if record is not None:
            record.append(Step(len(record), node, upstream, node.local_grads, tuple(contributions)))
    _check_finite_grads(order)


def _seed(root: Value, gradient: Any) -> Any:
    if gradient is None:
        if isinstance(root.data, float):
            return 1.0
        if root.data.size == 1:
            return np.ones_like(root.data)
        raise ValueError(
            f"backward() on an output of shape {root.data.shape} needs an upstream gradient of that shape: "
            "call out.backward(gradient) or reduce it to one number first (out.sum() or out.mean())."
        )
    g = _to_data(gradient, "backward(gradient)")
    if shape_of(g) != root.shape:
        raise ValueError(f"backward(gradient): gradient has shape {shape_of(g)} but the output has shape {root.shape}; they must match.")
    return g


def _check_finite_grads(order: list[Value]) -> None:
    for node in order:
        g = node.grad
        if not (math.isfinite(g) if isinstance(g, float) else np.isfinite(g).all()):
            where = node.label or node.op or "a leaf"
            raise FloatingPointError(f"the gradient at node {where!r} is not finite (nan or inf); rescale the inputs.")


def walk(root: Value) -> Iterator[Value]:
    """Iterate over the graph behind `root`, inputs first."""
    return iter(topological_order(root))
