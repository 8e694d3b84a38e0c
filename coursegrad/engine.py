"""The engine: a `Value` is a node of a computational graph.

Every operation on Values does what the lecture says a gate does: it computes its
output from its inputs (the forward formula) and records, right beside that formula,
the local gradient of its output with respect to each input. `backward()` walks the
graph from the output back to the inputs and, at each node, adds

    local gradient × upstream gradient      (the chain rule)

into each input's gradient (gradients add up where a value is used twice). That loop,
`backprop`, follows the class; helpers and the checks of what goes into a node come last.

    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> f.data, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, 3.0)

A node holds a Python float or a float64 numpy array; arrays broadcast like numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from coursegrad.engine_checks import (
    check_divisor,
    check_exp,
    check_log,
    check_matmul,
    check_mean,
    check_power,
    is_finite,
    reshaped,
    to_data,
)

__all__ = ["Value", "Rule", "Step", "ONE", "backprop", "topological_order", "as_value", "unbroadcast"]

ONE = 1.0  # the local gradient of +: backprop hands the upstream gradient on as it is (`local is ONE`)


class Value:
    """A node of a computational graph: its value `.data` and, after backward, `.grad` = ∂output/∂node.

    `Value(2.0, label="x")` is a leaf (an input or a weight). Operations on Values build new
    nodes that remember their `inputs`, the `op` that made them and the `local_grads` of their
    output with respect to each input. `.grad` has the shape of `.data`; a leaf's gradient
    accumulates over backward passes until `zero_grad()`, an interior node's is the latest pass's.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local_grads", "constant", "__weakref__")
    number_is = "`v.data`"  # what to pass instead of a Value where a number is expected (engine_checks.to_data)
    __array_ufunc__ = None  # numpy_array * Value and numpy_array @ Value build nodes (numpy defers to Value)

    def __init__(self, data: Any, label: str = ""):
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}.")
        self.data = to_data(data)
        self.grad = 0.0 if isinstance(self.data, float) else np.zeros(self.data.shape)
        self.label = label
        self.op = ""  # a leaf: made by no operation
        self.inputs = ()
        self.local_grads = ()
        self.constant = False

    @staticmethod
    def _make(data: float | np.ndarray, inputs: tuple, local_grads: tuple, op: str, bounded: bool = False) -> Value:
        """The output node of an operation: its value, the op, its inputs and the local gradients.
        A result that is not finite (it overflowed) raises here, at the op that made it; an array
        result `bounded` by its formula (tanh and σ in [-1, 1], relu ≤ its input) is not checked."""
        out = object.__new__(Value)
        if type(data) is float:
            if not math.isfinite(data):
                raise FloatingPointError(f"the result of {op} is not finite (nan or inf); rescale your inputs.")
            out.grad = 0.0
        else:
            if not (bounded or is_finite(data)):
                raise FloatingPointError(f"the result of {op} is not finite (nan or inf); rescale your inputs.")
            out.grad = read_only_zeros(data.shape)  # no memory until backward
        out.data, out.label, out.constant = data, "", False
        out.op, out.inputs, out.local_grads = op, inputs, local_grads
        return out

    # -- elementwise arithmetic: forward formula, then the local gradient of each input --

    def __add__(self, other: Any) -> Value:
        """a + b.  Local gradients: ∂/∂a = 1, ∂/∂b = 1 (add passes the gradient on to both)."""
        other = as_value(other)
        return self._make(self.data + other.data, (self, other), (ONE, ONE), "+")

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
        return self._make(self.data - other.data, (self, other), (ONE, -1.0), "-")

    def __truediv__(self, other: Any) -> Value:
        """a / b.  Local gradients: ∂/∂a = 1/b, ∂/∂b = -a/b²."""
        other = as_value(other)
        check_divisor(other.data, self.label or "a", other.label or "b")
        out = self.data / other.data
        return self._make(out, (self, other), (1.0 / other.data, -out / other.data), "/")

    def __pow__(self, exponent: Any) -> Value:
        """a ** n for a constant number n.  Local gradient: n · a^(n-1) (0 for n = 0: a⁰ = 1 is constant)."""
        a, n = self.data, check_power(self.data, exponent)
        return self._make(a**n, (self,), (n * a ** (n - 1) if n else 0.0 * a,), f"**{n:g}")

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
        check_exp(self.data)
        out = elementwise(self.data, math.exp, np.exp)
        return self._make(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """ln x for x > 0.  Local gradient: 1/x."""
        check_log(self.data)
        return self._make(elementwise(self.data, math.log, np.log), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> Value:
        """tanh x.  Local gradient: 1 - tanh²x."""
        t = elementwise(self.data, math.tanh, np.tanh)
        return self._make(t, (self,), (1.0 - t * t,), "tanh", bounded=True)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e⁻ˣ).  Local gradient: σ(x)(1 - σ(x)), at most 0.25 (at x = 0)."""
        s = elementwise(self.data, _sigmoid_float, _sigmoid_array)
        return self._make(s, (self,), (s * (1.0 - s),), "σ", bounded=True)

    def relu(self) -> Value:
        """max(0, x).  Local gradient: 1 where x > 0, else 0 (we take 0 at the kink x = 0)."""
        x = self.data
        if isinstance(x, float):
            return self._make(x if x > 0 else 0.0, (self,), (1.0 if x > 0 else 0.0,), "relu")
        return self._make(np.maximum(x, 0.0), (self,), ((x > 0).astype(np.float64),), "relu", bounded=True)

    def softplus(self) -> Value:
        """log(1 + eˣ), computed without overflow.  Local gradient: σ(x)."""
        out = elementwise(self.data, _softplus_float, _softplus_array)
        return self._make(out, (self,), (sigmoid(self.data),), "softplus")

    def maximum(self, other: Any) -> Value:
        """max(a, b), the "max gate".  Local gradients: 1 to the larger input, 0 to the other (ties go to a)."""
        other = as_value(other)
        a, b = self.data, other.data
        a_wins = float(a >= b) if isinstance(a, float) and isinstance(b, float) else (a >= b).astype(np.float64)
        return self._make(_elementwise_max(a, b), (self, other), (a_wins, 1.0 - a_wins), "max")

    # -- array operations: their local gradients rearrange G, so they are Rules ---

    def __matmul__(self, other: Any) -> Value:
        """D = A @ B.  Local gradients as rules on the upstream gradient G: dA = G·Bᵀ, dB = Aᵀ·G."""
        other = as_value(other)
        A, B = self.data, other.data
        check_matmul(A, B)
        A2 = A if A.ndim == 2 else A.reshape(1, -1)  # a vector is a 1-row matrix on the left of @
        B2 = B if B.ndim == 2 else B.reshape(-1, 1)  # and a 1-column matrix on its right
        out_shape = (A2.shape[0], B2.shape[1])
        dA = Rule(lambda G: (np.reshape(G, out_shape) @ B2.T).reshape(A.shape), "G @ Bᵀ")
        dB = Rule(lambda G: (A2.T @ np.reshape(G, out_shape)).reshape(B.shape), "Aᵀ @ G")
        out = A @ B
        return self._make(out if out.ndim else float(out), (self, other), (dA, dB), "@")

    def __rmatmul__(self, other: Any) -> Value:
        return as_value(other) @ self

    def sum(self, axis: int | tuple | None = None) -> Value:
        """Σ x.  Local gradient: 1 for every element (the upstream gradient is copied back to each)."""
        return self._sum(axis, "sum")

    def mean(self, axis: int | tuple | None = None) -> Value:
        """The mean: Σ x / n, over the n numbers in each sum.  Local gradient: 1/n for every element."""
        return self._sum(axis, "mean")

    def _sum(self, axis: int | tuple | None, op: str) -> Value:
        """Σ x over `axis`, times 1/n for a mean.  Local gradient: that factor, for every element."""
        x = self.data
        if isinstance(x, float):
            return self._make(x, (self,), (1.0,), op)
        total = x.sum(axis=axis, keepdims=True)  # summed axes kept with length 1, to spread G back along them
        n = check_mean(x, total, op)  # how many numbers went into each sum
        factor, formula = (1.0, "copy G to every element") if op == "sum" else (1.0 / n, f"copy G/{n} to every element")
        spread = Rule(lambda G: np.full(x.shape, factor) * np.reshape(G, total.shape), formula)
        out = np.squeeze(total, axis=axis) * factor
        return self._make(out if out.ndim else out.item(), (self,), (spread,), op)

    def transpose(self) -> Value:
        """Xᵀ.  Local gradient: the upstream gradient, transposed back."""
        x = self.data
        if isinstance(x, float):
            return self._make(x, (self,), (1.0,), "T")
        return self._make(x.T.copy(), (self,), (Rule(np.transpose, "Gᵀ"),), "T")

    @property
    def T(self) -> Value:
        return self.transpose()

    def reshape(self, *shape: int) -> Value:
        """The same numbers in a new shape.  Local gradient: the upstream gradient, reshaped back."""
        in_shape, out = self.shape, reshaped(self.data, shape)
        back = Rule(lambda G: np.reshape(G, in_shape) if in_shape else float(np.reshape(G, ())), "G reshaped back")
        return self._make(out.copy() if out.ndim else float(out), (self,), (back,), "reshape")

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
        picked = float(out) if np.ndim(out) == 0 else np.array(out)
        return self._make(picked, (self,), (Rule(scatter, "G into the picked entries"),), "[]")

    # -- gates you write yourself -------------------------------------------

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
        data = to_data(data, f"gate {op!r} output")
        local_grads = tuple(check_local_grad(g, op, i, x, data) for i, (g, x) in enumerate(zip(local_grads, inputs, strict=True)))
        return Value._make(data, inputs, local_grads, op)

    # -- shape, display, gradients -------------------------------------------

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
        data, grad = np.array2string(self.data, precision=4), np.array2string(self.grad + 0.0, precision=4)  # + 0: -0 shows as 0
        return f"Value({name}shape={self.data.shape}, data={data}, grad={grad})"

    def __bool__(self) -> bool:
        raise TypeError("a Value has no truth value; compare its .data instead (e.g. `if v.data > 0`).")

    def zero_grad(self) -> None:
        """Reset this node's gradient to 0 (leaves accumulate across backward calls, as in PyTorch)."""
        self.grad = 0.0 if isinstance(self.data, float) else np.zeros(self.data.shape)

    def backward(self, gradient: Any = None) -> None:
        """Backpropagate from this node: fill `.grad` of every node it depends on.

        A single-element output is seeded with ∂out/∂out = 1. For an array output pass
        `gradient`, the upstream gradient of the same shape.
        """
        backprop(self, gradient)


# ---------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------


def backprop(root: Value, gradient: Any = None, record: list[Step] | None = None) -> None:
    """The backward pass from `root`: at each node, outputs first, send local gradient × upstream
    gradient into each input. If `record` is a list, each `Step` taken is appended to it.

    Interior nodes end with this pass's gradient; leaves accumulate, as PyTorch's leaves do (PyTorch
    keeps no `.grad` on interior nodes, and frees the graph unless `retain_graph=True`). Constants
    (numbers an operation wrapped, `.constant` is True) get none. No array is changed in place,
    and `+` hands its upstream gradient on without a copy, so treat `.grad` as read-only.
    """
    seed = _seed(root, gradient)
    order = topological_order(root)
    interior, leaves = [], []  # the gates, and the inputs that get a gradient (not constants)
    for node in order:
        if node.inputs:  # nothing has arrived yet in this pass: 0 for a number (0 + -0.0 is 0, never -0),
            node.grad = 0.0 if type(node.data) is float else None  # None for an array (the first to arrive is kept)
            interior.append(node)
        elif not node.constant:
            leaves.append(node)
    root.grad = seed if root.grad is None else root.grad + seed
    one = ONE  # a local name: looked up once, not at every input
    try:
        for node in reversed(interior):  # outputs before inputs
            upstream = node.grad  # complete: every node that uses `node` came before it
            sent = [] if record is not None else None  # what each input receives, kept only for a record
            for child, local in zip(node.inputs, node.local_grads):  # noqa: B905 (one per input; strict= is slow)
                if child.constant:  # a number mixed into the expression: it gets no gradient
                    contribution = None
                else:
                    contribution = upstream if local is one else local * upstream  # local gradient × upstream gradient
                    if type(contribution) is not float:  # an array: sum it back to the input's shape (undo broadcasting)
                        contribution = unbroadcast(contribution, child.shape)
                    grad = child.grad
                    child.grad = contribution if grad is None else grad + contribution  # gradients add up
                if sent is not None:
                    sent.append(contribution)
            if sent is not None:
                record.append(Step(len(record), node, upstream, node.local_grads, tuple(sent)))
    except BaseException:  # a gate's rule raised: the nodes no gradient reached get zeros, as before any pass
        for node in interior:
            if node.grad is None:
                node.grad = read_only_zeros(node.data.shape)
        raise
    _check_finite_grads(leaves, order)


@dataclass
class Step:
    """One step of the backward pass, as the engine took it (`index`: its place in the record, from 0).

    At `node`, the upstream gradient `upstream` (= ∂output/∂node, complete because every
    consumer of the node was visited before it) is multiplied by each local gradient;
    `contributions[i]` is what was added into `node.inputs[i].grad` (None for a constant).
    """

    index: int
    node: Value
    upstream: Any
    local_grads: tuple
    contributions: tuple

    @property
    def inputs(self) -> tuple:
        return self.node.inputs


def topological_order(root: Value, first_input_first: bool = False) -> list[Value]:
    """Every node `root` depends on, each after all of its inputs (iterative: no recursion limit).

    A depth-first walk with an explicit stack. A node taken off the stack the first time is put
    back under the mark `None` ("its inputs are done") and its inputs go on top, so when the mark
    comes off, all its inputs have been placed: the node under it can be placed. Nodes compare by
    identity (their class must not define == by value), so any node with `.inputs` will do (a
    worksheet's `Node` too). The last input pushed is the first walked; `first_input_first` walks the mirror image
    (how a drawing numbers its nodes).
    """
    order: list[Value] = []
    seen = set()  # hashing a node is by identity (a set of id()s was 4× slower: each id is a new int)
    stack = [root]  # nodes to walk, and under each mark None the node whose inputs are then done
    while stack:
        node = stack.pop()
        if node is None:  # the mark: the node under it has all its inputs placed
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack.append(node)
            stack.append(None)
            for child in reversed(node.inputs) if first_input_first else node.inputs:
                if child not in seen:
                    stack.append(child)
    return order


def _seed(root: Value, gradient: Any) -> Any:
    """∂out/∂out: 1 for a single-number output, else the `gradient` given (checked)."""
    if gradient is None:
        if isinstance(root.data, float):
            return 1.0
        if root.data.size == 1:
            return np.ones_like(root.data)
        raise ValueError(
            f"backward() on an output of shape {root.data.shape} needs an upstream gradient of that shape: "
            "call out.backward(gradient) or reduce it to one number first (out.sum() or out.mean())."
        )
    g = to_data(gradient, "backward(gradient)")
    if shape_of(g) != root.shape:
        raise ValueError(
            f"backward(gradient): the gradient has shape {shape_of(g)} but the output has shape {root.shape}; they must match."
        )
    return g


def _check_finite_grads(leaves: list[Value], order: list[Value]) -> None:
    """Raise if the pass produced a nan or inf gradient: never hand out a silently wrong gradient.

    A non-finite gradient flows on into every input below it (inf·0 is nan), so it always
    reaches a leaf: checking the `leaves` (backprop collects them) is enough, and cheap. The message names the node
    nearest the output where it appeared and the gate that sent it there.
    """
    for leaf in leaves:
        if not is_finite(leaf.grad):
            bad = next(n for n in reversed(order) if not is_finite(n.grad))
            gates = sorted({repr(n.op) for n in order if any(x is bad for x in n.inputs)})
            raise FloatingPointError(
                f"backward: the gradient of {_name(bad)} is not finite (nan or inf). The local gradient of "
                f"{' or '.join(gates)} overflowed there (e.g. 1/x or log x near x = 0, or huge values); "
                "rescale the inputs or keep them away from the singularity."
            )


def _name(node: Value) -> str:
    if node.label:
        return repr(node.label)
    return f"the output of {node.op!r}" if node.op else "an unlabelled input"


# ---------------------------------------------------------------------------
# Helpers: rules, broadcasting, constants, numerically safe functions
# ---------------------------------------------------------------------------


class Rule:
    """A local gradient that is not a plain factor, written as a function of the upstream gradient.

    Elementwise gates have a local gradient that simply multiplies the upstream gradient.
    Matrix multiply and sums instead *rearrange* it (dW = dD·Xᵀ); a Rule holds that function
    and the formula for people to read. `rule * G` applies it to the upstream gradient G, so
    backprop writes "local gradient × upstream gradient" the same way for every gate.
    """

    __slots__ = ("fn", "formula")

    def __init__(self, fn: Callable[[Any], Any], formula: str):
        self.fn = fn
        self.formula = formula

    def __mul__(self, upstream: Any) -> Any:
        return self.fn(upstream)

    def __repr__(self) -> str:
        return f"Rule({self.formula})"


def unbroadcast(g: float | np.ndarray, shape: tuple[int, ...]) -> float | np.ndarray:
    """Sum a gradient back to `shape`: the backward rule of numpy broadcasting.

    If an input of shape (3,) was broadcast to (2, 3), it was used twice, so its
    gradient is the sum over the extra axis (gradients add up where a value is reused).
    """
    if isinstance(g, float):
        return g if shape == () else np.full(shape, g)  # a number for every element (e.g. from a user's gate)
    if shape == ():
        return float(np.sum(g))
    if g.shape == shape:
        return g
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))  # leading axes numpy added
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


_ZERO = np.zeros(1)
_ZERO.flags.writeable = False


def read_only_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of any shape that take no memory: every element is the one 0.0 above (stride 0).

    An interior node's gradient before the first backward pass, so a graph holds only what
    backward needs (`coursegrad.memory.graph_bytes` counts on it).
    """
    return np.ndarray(shape, buffer=_ZERO, strides=(0,) * len(shape))


def as_value(x: Any) -> Value:
    """Wrap a plain number or array as a constant node; a `Value` is returned unchanged."""
    if isinstance(x, Value):
        return x
    v = Value(x)
    v.label = f"{v.data:g}" if isinstance(v.data, float) else "const"
    v.constant = True
    return v


def shape_of(x: float | np.ndarray) -> tuple[int, ...]:
    """The numpy shape of a node's data; a float has shape ()."""
    return () if isinstance(x, float) else x.shape


def elementwise(x: float | np.ndarray, scalar_fn: Callable, array_fn: Callable):
    """Apply `math.f` to a float (fast) or `np.f` to an array."""
    return scalar_fn(x) if isinstance(x, float) else array_fn(x)


def _elementwise_max(a: float | np.ndarray, b: float | np.ndarray):
    return max(a, b) if isinstance(a, float) and isinstance(b, float) else np.maximum(a, b)


def sigmoid(x: float | np.ndarray) -> float | np.ndarray:
    """σ(x) = 1 / (1 + e⁻ˣ) of a float or an array, computed so that it never overflows."""
    return elementwise(x, _sigmoid_float, _sigmoid_array)


def _sigmoid_float(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # for x < 0 this never overflows
    return e / (1.0 + e)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):  # e^-1000 rounds to 0: harmless, so no warning
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_float(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + eˣ) without overflow


def _softplus_array(x: np.ndarray) -> np.ndarray:
    with np.errstate(under="ignore"):
        return np.logaddexp(0.0, x)  # log(e⁰ + eˣ) without overflow


# ---------------------------------------------------------------------------
# Checking a gate's local gradients (the other checks are in engine_checks.py)
# ---------------------------------------------------------------------------


def check_local_grad(g: Any, op: str, i: int, input_node: Value, out: float | np.ndarray) -> Any:
    """Check a local gradient given to `Value.from_gate`: a number, an array or a `Rule`.

    A number for an array input of a gate with a single-number output means "this much for
    every element" (e.g. 1 for a sum), so it becomes an array of the input's shape.
    """
    if isinstance(g, Rule):
        return g
    if isinstance(g, Value):
        raise TypeError(
            f"gate {op!r}: local gradient {i} is a Value; give its number instead (e.g. `x.data`, not `x`). "
            "Local gradients are plain numbers or arrays; backprop multiplies them by the upstream gradient."
        )
    g = to_data(g, f"gate {op!r} local gradient {i}")
    if isinstance(g, float) and isinstance(out, float) and input_node.shape:
        return np.full(input_node.shape, g)
    return g
