"""Checks you can run in the worksheet: they say *what* is wrong and give a hint, never the answer.

Each `check_...` function takes your answers, prints a ✓ line for every right one and
raises `AssertionError` with a hint for the wrong ones, e.g.

    >>> check_graph_backward(df_da=-6.0)                         # doctest: +SKIP
    AssertionError: df_da: the sign is wrong. Which input does the multiply gate swap in?

The right answers are computed here with the engine (so they are as right as
backpropagation itself). Reading this file tells you how to *get* them, which is
exactly what the worksheet asks you to work out by hand first.

`as_number` and `expect_close` are also used by the autograder's tests: they accept
only real numbers (an object that merely *says* it equals the answer gets no points).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from coursegrad.engine import Value, backprop
from coursegrad.gradcheck import gradcheck

__all__ = [
    "as_number",
    "expect_close",
    "expect_shape",
    "check_graph_forward",
    "check_graph_backward",
    "check_fork_forward",
    "score_fork_backward",
    "check_tanh_neuron",
    "check_sigmoid_gate",
    "check_divide_gate",
    "check_scaling",
    "check_sigmoid_depth",
    "check_shapes",
    "check_matmul_backward",
]

_EXACT_NUMBER_TYPES = {int, float} | {np.dtype(c).type for c in "bhilqBHILQefd"}


# ---------------------------------------------------------------------------
# Reading answers strictly
# ---------------------------------------------------------------------------


def as_number(name: str, x: Any) -> float:
    """Your answer `x` as a plain float, or an AssertionError saying what kind of value is expected.

    Only real numbers count. A subclass of float or int is read by its stored value
    (float.__float__), so overriding `__eq__` or `__sub__` cannot fake an answer.
    """
    if isinstance(x, (bool, np.bool_)):
        raise AssertionError(f"{name} should be a number, got the bool {x!r}.")
    if type(x) in _EXACT_NUMBER_TYPES or (type(x) is np.ndarray and x.shape == () and x.dtype.kind in "biuf"):
        value = float(x)
    elif isinstance(x, float):
        value = float.__float__(x)
    elif isinstance(x, int):
        value = float(int.__index__(x))
    elif isinstance(x, Value):
        raise AssertionError(f"{name} should be a plain number; you assigned a Value. Use its .data or .grad.")
    else:
        raise AssertionError(f"{name} should be a number such as -1.5, got {type(x).__name__}.")
    if not math.isfinite(value):
        raise AssertionError(f"{name} is {value}: it should be a finite number.")
    return value


def _as_numbers(name: str, x: Any, n: int) -> list[float]:
    """A list/tuple/array of `n` numbers, each read strictly."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and type(x) is np.ndarray:
        x = x.tolist()
    if type(x) not in (list, tuple):
        raise AssertionError(f"{name} should be a list of {n} numbers, e.g. [1.0, 2.0, ...], got {type(x).__name__}.")
    if len(x) != n:
        raise AssertionError(f"{name} should hold {n} numbers (one per input), it holds {len(x)}.")
    return [as_number(f"{name}[{i}]", v) for i, v in enumerate(x)]


def _close(got: float, want: float, rel: float, abs_tol: float = 1e-9) -> bool:
    return abs(got - want) <= max(abs_tol, rel * abs(want))


def expect_close(name: str, got: Any, want: float | list, rel: float = 1e-6) -> None:
    """Assert that the answer `got` (read strictly) is `want` to relative precision `rel`.

    `want` may be a list; then `got` must be a list of as many numbers. The message
    says which answer is wrong, not what it should be.
    """
    if isinstance(want, (list, tuple)):
        values = _as_numbers(name, got, len(want))
        bad = [i for i, (v, w) in enumerate(zip(values, want, strict=True)) if not _close(v, float(w), rel)]
        if bad:
            raise AssertionError(f"{name}: element(s) {bad} are not right yet.")
        return
    value = as_number(name, got)
    if not _close(value, float(want), rel):
        raise AssertionError(f"{name} is not right yet.")


def expect_shape(name: str, got: Any, want: tuple) -> None:
    """Assert that the answer `got` is the tuple of ints `want` (e.g. a shape (4, 3))."""
    if type(got) not in (tuple, list) or len(got) != len(want):
        raise AssertionError(f"{name} should be a tuple of {len(want)} integers, like (2, 7).")
    values = [as_number(f"{name}[{i}]", v) for i, v in enumerate(got)]
    if values != [float(w) for w in want]:
        raise AssertionError(f"{name} is not right yet.")


# ---------------------------------------------------------------------------
# Judging one answer: right, a known mistake (with its hint), or just wrong
# ---------------------------------------------------------------------------


def _judge(name: str, got: Any, want: float, mistakes: list[tuple[float, str]], generic: str, rel: float = 1e-6) -> str | None:
    """None if `got` is right; otherwise the hint for the mistake it matches (never the answer)."""
    try:
        value = as_number(name, got)
    except AssertionError as err:
        return str(err)
    if _close(value, want, rel):
        return None
    for wrong, hint in mistakes:
        if _close(value, wrong, rel) and not _close(wrong, want, rel):
            return f"{name}: {hint}"
    if want != 0 and _close(value, -want, rel):
        return f"{name}: the size is right but the sign is wrong. Follow the signs of the upstream and local gradients."
    return f"{name}: not right yet. {generic}"


def _report(answers: dict[str, Any], judged: dict[str, str | None]) -> None:
    """Print ✓ for every right answer; raise one AssertionError listing the hints for the rest."""
    for name in answers:
        if judged[name] is None:
            print(f"✓ {name} is right")
    wrong = [hint for hint in judged.values() if hint is not None]
    if wrong:
        raise AssertionError("\n".join(wrong))


def _check(spec: dict[str, tuple], answers: dict[str, Any], rel: float = 1e-6) -> None:
    """Judge every given answer against `spec[name] = (right value, mistakes, generic hint)`."""
    unknown = sorted(set(answers) - set(spec))
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}; this check knows {sorted(spec)}.")
    if not answers:
        raise TypeError(f"pass your answers by name, e.g. {next(iter(spec))}={next(iter(spec))}.")
    judged = {name: _judge(name, got, *spec[name], rel=rel) for name, got in answers.items()}
    _report(answers, judged)


# ---------------------------------------------------------------------------
# Exercise 1: f = (a·b + c) · max(d, e)
# ---------------------------------------------------------------------------

GRAPH_INPUTS = {"a": -3.0, "b": 2.0, "c": 4.0, "d": -1.0, "e": 3.0}


def graph_values() -> dict[str, float]:
    """Exercise 1 computed by the engine: f and ∂f/∂(each input), keyed 'f', 'df_da', ..."""
    a, b, c, d, e = (Value(v, k) for k, v in GRAPH_INPUTS.items())
    q = a * b + c
    m = d.maximum(e)
    f = q * m
    f.backward()
    out = {"f": f.data, "q": q.data, "m": m.data}
    out.update({f"df_d{v.label}": v.grad for v in (a, b, c, d, e)})
    return out


def check_graph_forward(f_value: Any) -> None:
    """Exercise 1, forward pass: the value of f."""
    r = graph_values()
    _check(
        {
            "f_value": (
                r["f"],
                [
                    (r["q"] * GRAPH_INPUTS["d"], "max(d, e) is the larger of d and e."),
                    (-r["q"] * r["m"], "check the sign of a·b."),
                ],
                "Compute q = a·b + c and m = max(d, e) first, then f = q·m.",
            )
        },
        {"f_value": f_value},
    )


def check_graph_backward(**answers: Any) -> None:
    """Exercise 1, backward pass: any of df_da, df_db, df_dc, df_dd, df_de."""
    r, g = graph_values(), GRAPH_INPUTS
    m, q = r["m"], r["q"]
    swap = "Which input does the multiply gate swap in?"
    upstream = "That is the local gradient alone: multiply it by the gradient flowing into the gate from above."
    spec = {
        "df_da": (r["df_da"], [(g["b"], upstream), (g["a"] * m, swap)], "∂f/∂a = ∂f/∂q · ∂q/∂a."),
        "df_db": (r["df_db"], [(g["a"], upstream), (g["b"] * m, swap)], "∂f/∂b = ∂f/∂q · ∂q/∂b."),
        "df_dc": (
            r["df_dc"],
            [(1.0, upstream), (q, "the add gate passes the upstream gradient ∂f/∂q on unchanged.")],
            "The add gate distributes.",
        ),
        "df_dd": (
            r["df_dd"],
            [(q, "the max gate routes the whole gradient to the input that won; did d win?"), (1.0, upstream)],
            "Which input of max(d, e) is larger?",
        ),
        "df_de": (
            r["df_de"],
            [(0.0, "the max gate routes the whole gradient to the input that won; did e win?"), (1.0, upstream), (m, swap)],
            "∂f/∂e = ∂f/∂m · ∂m/∂e, and ∂f/∂m is the *other* input of the last multiply.",
        ),
    }
    _check(spec, answers)


# ---------------------------------------------------------------------------
# Exercise 2: a staged computation with a fork: a = x·y, b = a + x, g = b²
# ---------------------------------------------------------------------------

FORK_INPUTS = {"x": 3.0, "y": -2.0}


def fork_values() -> dict[str, float]:
    """Exercise 2 computed by the engine, including what each of the two paths adds into x's gradient."""
    x, y = Value(FORK_INPUTS["x"], "x"), Value(FORK_INPUTS["y"], "y")
    a = x * y
    b = a + x
    g = b**2
    steps: list = []
    backprop(g, record=steps)  # the engine's own record of each step of the backward pass
    into_x = {s.node.op: c for s in steps for i, c in zip(s.inputs, s.contributions, strict=True) if i is x}
    return {
        "g": g.data,
        "a": a.data,
        "b": b.data,
        "dg_db": b.grad,
        "dg_dx": x.grad,
        "dg_dy": y.grad,
        "dx_via_a": into_x["*"],  # through a = x·y
        "dx_direct": into_x["+"],  # through b = a + x
    }


def check_fork_forward(**answers: Any) -> None:
    """Exercise 2, forward pass and the first backward step: g_value and dg_db."""
    r = fork_values()
    spec = {
        "g_value": (r["g"], [(r["b"], "g is b squared.")], "a = x·y, b = a + x, g = b²."),
        "dg_db": (r["dg_db"], [(r["b"], "the local gradient of b² is 2b."), (r["g"], "that is g, not ∂g/∂b.")], "∂(b²)/∂b = 2b."),
    }
    _check(spec, answers)


def score_fork_backward(points: float = 2.0, **answers: Any) -> float:
    """Exercise 2, the fork: dg_dx, dg_dy, dx_via_a, dx_direct. Returns your points (partial credit).

    Every right answer is worth an equal share of `points`; unanswered ones count as wrong.
    """
    r = fork_values()
    fork = "x is used twice (in a = x·y and in b = a + x): its gradient is the sum of both paths."
    spec = {
        "dg_dx": (r["dg_dx"], [(r["dx_via_a"], fork), (r["dx_direct"], fork)], fork),
        "dg_dy": (r["dg_dy"], [(r["dg_db"], "multiply by the local gradient ∂a/∂y.")], "∂g/∂y = ∂g/∂a · ∂a/∂y."),
        "dx_via_a": (
            r["dx_via_a"],
            [(r["dg_db"] * FORK_INPUTS["x"], "which input does the multiply gate a = x·y swap in?")],
            "upstream ∂g/∂a times ∂a/∂x.",
        ),
        "dx_direct": (
            r["dx_direct"],
            [(1.0, "multiply the local gradient 1 by the upstream ∂g/∂b.")],
            "upstream ∂g/∂b times ∂b/∂x.",
        ),
    }
    unknown = sorted(set(answers) - set(spec))
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}; this check knows {sorted(spec)}.")
    judged = {
        name: _judge(name, answers.get(name), *spec[name]) if name in answers else f"{name}: not answered." for name in spec
    }
    for name, hint in judged.items():
        print(f"✓ {name} is right" if hint is None else f"✗ {hint}")
    earned = float(points) * sum(h is None for h in judged.values()) / len(spec)
    print(f"points: {earned:g} / {float(points):g}")
    return float(earned)


# ---------------------------------------------------------------------------
# Exercise 3: a tanh neuron o = tanh(w0·x0 + w1·x1 + b)
# ---------------------------------------------------------------------------

TANH_INPUTS = {"w": [0.5, 0.25], "x": [2.0, -1.2], "b": 0.1}
TANH_REL = 5e-3  # hand calculation with a calculator: 3 significant digits are enough


def tanh_values() -> dict[str, float]:
    """Exercise 3 computed by the engine."""
    (w0, w1), (x0, x1) = (Value(v) for v in TANH_INPUTS["w"]), (Value(v) for v in TANH_INPUTS["x"])
    b = Value(TANH_INPUTS["b"])
    n = w0 * x0 + w1 * x1 + b
    o = n.tanh()
    o.backward()
    return {"n": n.data, "o": o.data, "dw0": w0.grad, "dw1": w1.grad, "db": b.grad}


def check_tanh_neuron(**answers: Any) -> None:
    """Exercise 3: any of o_value, do_dw0, do_dw1, do_db (3 significant digits are enough)."""
    r, (x0, x1) = tanh_values(), TANH_INPUTS["x"]
    n, o = r["n"], r["o"]
    local = "multiply by tanh's local gradient 1 − tanh²(n)."
    not_n2 = "tanh's local gradient is 1 − tanh(n)², not 1 − n²."
    not_o = "tanh's local gradient is 1 − tanh²(n), not tanh(n)."
    spec = {
        "o_value": (
            o,
            [(n, "that is n; apply tanh to it."), (_sigmoid(n), "that is σ(n), not tanh(n).")],
            "n = w0·x0 + w1·x1 + b, o = tanh(n).",
        ),
        "do_dw0": (r["dw0"], [(x0, local), ((1 - n * n) * x0, not_n2), (o * x0, not_o)], "∂o/∂w0 = (1 − o²) · x0."),
        "do_dw1": (r["dw1"], [(x1, local), ((1 - n * n) * x1, not_n2), (o * x1, not_o)], "∂o/∂w1 = (1 − o²) · x1."),
        "do_db": (r["db"], [(1.0, local), (1 - n * n, not_n2), (o, not_o)], "∂o/∂b = (1 − o²) · 1."),
    }
    _check(spec, answers, rel=TANH_REL)


# ---------------------------------------------------------------------------
# Exercise 4: write a gate's backward rule with Value.from_gate
# ---------------------------------------------------------------------------


def _call_gate(gate: Callable, *args: float) -> tuple[Value, tuple]:
    """Call the student's gate on fresh leaves; turn every failure into a readable AssertionError."""
    name = getattr(gate, "__name__", "your gate")
    if not callable(gate):
        raise AssertionError(f"{name} should be a function (def ...), got {type(gate).__name__}.")
    leaves = tuple(Value(a, label) for a, label in zip(args, "abcd", strict=False))
    call = f"{name}({', '.join(f'Value({a:g})' for a in args)})"
    try:
        out = gate(*leaves)
    except NotImplementedError:
        raise AssertionError(f"{name} is not written yet (it raises NotImplementedError).") from None
    except Exception as err:  # the student's code failed: say where, keep it short
        raise AssertionError(f"{call} raised {type(err).__name__}: {err}") from None
    if not isinstance(out, Value):
        raise AssertionError(f"{call} returned {type(out).__name__}; return the output Value made by Value.from_gate(...).")
    if len(out.inputs) != len(leaves) or any(i is not leaf for i, leaf in zip(out.inputs, leaves, strict=True)):
        raise AssertionError(
            f"{call}: the output's inputs should be exactly the gate's inputs {tuple(leaf.label for leaf in leaves)}, "
            "in order: write ONE gate with Value.from_gate(data, inputs, local_grads, op), not a chain of built-in ops."
        )
    return out, leaves


def _uses_from_gate(gate: Callable) -> bool | None:
    """True if the gate's source calls from_gate; None if its source cannot be read."""
    try:
        return "from_gate" in inspect.getsource(gate)
    except (OSError, TypeError):
        return None


def _check_gate(gate: Callable, points: list[tuple], value: Callable, locals_: Callable, hints: Callable) -> None:
    """Check a gate's output and local gradients at `points`, then gradcheck it at each of them."""
    name = getattr(gate, "__name__", "your gate")
    for args in points:
        out, _ = _call_gate(gate, *args)
        if _uses_from_gate(gate) is False:
            raise AssertionError(f"{name} should make its output with Value.from_gate(...), where the backward rule goes.")
        call = f"{name}({', '.join(f'{a:g}' for a in args)})"
        if not _close(float(np.reshape(out.data, ())), value(*args), 1e-9):
            raise AssertionError(f"{call}: the output value (forward pass) is wrong.")
        got = [_one_number(g) for g in out.local_grads]
        for i, (g, want) in enumerate(zip(got, locals_(*args), strict=True)):
            if g is None or not _close(g, want, 1e-7):
                raise AssertionError(f"{call}: the local gradient for input {i} is wrong. {hints(i, g, *args)}")
    reports = [gradcheck(gate, *args) for args in points]
    print(reports[0])
    if not all(r.passed for r in reports):
        raise AssertionError(f"{name}: gradcheck FAILED at one of the points.")
    print(f"✓ {name}: output and local gradients are right at {len(points)} points, and gradcheck agrees at each")


def _one_number(g: Any) -> float | None:
    """A local gradient as one float, or None if it is not a single real number."""
    if isinstance(g, (bool, np.bool_)) or not isinstance(g, (numbers.Real, np.ndarray)) or np.size(g) != 1:
        return None
    return float(np.reshape(np.asarray(g, dtype=float), ()))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def check_sigmoid_gate(sigmoid_gate: Callable) -> None:
    """Exercise 4a: a one-gate sigmoid, output σ(x) with local gradient dσ/dx."""

    def hint(i, g, x):
        s = _sigmoid(x)
        if g is not None and _close(g, s, 1e-7):
            return "That is σ(x) itself; the derivative is σ(x)·(1 − σ(x))."
        if g is not None and _close(g, -s * (1 - s), 1e-7):
            return "Check the sign."
        return "Write σ' in terms of the output s = σ(x)."

    _check_gate(sigmoid_gate, [(0.7,), (-2.0,), (0.0,), (3.5,)], _sigmoid, lambda x: [_sigmoid(x) * (1 - _sigmoid(x))], hint)


def check_divide_gate(divide_gate: Callable) -> None:
    """Exercise 4b: a division gate a / b with local gradients ∂/∂a and ∂/∂b."""

    def hint(i, g, a, b):
        if i == 0:
            return "How does a/b change when a grows by 1?"
        if g is not None and _close(g, a / b**2, 1e-7):
            return "Check the sign: a/b falls as b grows (for a/b > 0)."
        if g is not None and _close(g, -1 / b**2, 1e-7):
            return "d(a/b)/db = a · d(1/b)/db: you left out a factor."
        return "Differentiate a · b⁻¹ with respect to b."

    _check_gate(divide_gate, [(3.0, -2.0), (0.5, 4.0), (-1.5, 0.25)], lambda a, b: a / b, lambda a, b: [1 / b, -a / b**2], hint)


# ---------------------------------------------------------------------------
# Exercise 5: scaling the data by 1000 (the multiplication effect)
# ---------------------------------------------------------------------------

SCALE_INPUTS = {"w": [0.5, -1.5, 2.0], "x": [4.0, 1.0, -2.0], "upstream": 2.0, "scale": 1000.0}


def scaling_values() -> dict[str, Any]:
    """Exercise 5 computed by the engine: gradients of s = w·x before and after x → 1000·x."""
    out = {}
    for key, scale in (("", 1.0), ("_scaled", SCALE_INPUTS["scale"])):
        w = Value(np.array(SCALE_INPUTS["w"]))
        x = Value(np.array(SCALE_INPUTS["x"]) * scale)
        s = (w * x).sum()
        s.backward(SCALE_INPUTS["upstream"])
        out["dw" + key], out["dx" + key] = w.grad.tolist(), x.grad.tolist()
    out["lr_factor"] = 1.0 / SCALE_INPUTS["scale"]  # keeps Δw = −lr·dw the same size
    return out


def check_scaling(**answers: Any) -> None:
    """Exercise 5: any of dw, dw_scaled, dx_scaled (lists of 3 numbers) and lr_factor."""
    r, k = scaling_values(), SCALE_INPUTS["scale"]
    judged = {}
    vector_hints = {
        "dw": [
            ([v for v in SCALE_INPUTS["x"]], "multiply the local gradient x by the upstream gradient ∂L/∂s."),
            (r["dx"], "that is dx: the multiply gate swaps its inputs."),
        ],
        "dw_scaled": [
            (r["dw"], "the data changed, and dw's local gradient is the data."),
            ([v / k for v in r["dw"]], "the gradient grows with the data, not shrinks."),
        ],
        "dx_scaled": [([v * k for v in r["dx"]], "dx's local gradient is w, which did not change.")],
    }
    for name in ("dw", "dw_scaled", "dx_scaled"):
        if name in answers:
            judged[name] = _judge_vector(name, answers[name], r[name], vector_hints[name])
    if "lr_factor" in answers:
        judged["lr_factor"] = _judge(
            "lr_factor",
            answers["lr_factor"],
            r["lr_factor"],
            [
                (k, "a 1000× larger gradient needs a smaller step, not a larger one."),
                (1.0, "the step Δw = −lr·dw would be 1000× larger."),
            ],
            "Δw = −lr·dw: what factor undoes the change in dw?",
        )
    unknown = sorted(set(answers) - {"dw", "dw_scaled", "dx_scaled", "lr_factor"})
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}.")
    _report(answers, judged)


def _judge_vector(name: str, got: Any, want: list[float], mistakes: list[tuple[list, str]]) -> str | None:
    try:
        values = _as_numbers(name, got, len(want))
    except AssertionError as err:
        return str(err)
    if all(_close(v, w, 1e-6) for v, w in zip(values, want, strict=True)):
        return None
    for wrong, hint in mistakes:
        if all(_close(v, w, 1e-6) for v, w in zip(values, wrong, strict=True)):
            return f"{name}: {hint}"
    bad = [i for i, (v, w) in enumerate(zip(values, want, strict=True)) if not _close(v, w, 1e-6)]
    return f"{name}: element(s) {bad} are not right yet. For s = Σ wᵢ·xᵢ, ∂s/∂wᵢ = xᵢ and ∂s/∂xᵢ = wᵢ; then multiply by ∂L/∂s."


# ---------------------------------------------------------------------------
# Exercise 6: how much gradient survives L sigmoid gates
# ---------------------------------------------------------------------------

DEPTH = 5


def sigmoid_depth_values() -> dict[str, float]:
    """Exercise 6: the largest σ'(x) (found by the engine over a grid), the bound 0.25**L and the depth for 1e-6."""
    xs = Value(np.linspace(-8.0, 8.0, 1601))
    s = xs.sigmoid()
    s.backward(np.ones(1601))
    best = int(np.argmax(xs.grad))
    top = float(xs.grad[best])
    layers = 1
    while top**layers >= 1e-6:
        layers += 1
    return {
        "max_local_grad": top,
        "max_at_x": float(xs.data[best]),
        "bound_5_layers": top**DEPTH,
        "layers_below_1e6": float(layers),
    }


def check_sigmoid_depth(**answers: Any) -> None:
    """Exercise 6: any of max_local_grad, max_at_x, bound_5_layers, layers_below_1e6."""
    r = sigmoid_depth_values()
    spec = {
        "max_local_grad": (
            r["max_local_grad"],
            [(0.5, "that is σ(0), the value; the gradient is σ(x)(1 − σ(x)).")],
            "Maximise σ(1 − σ) over σ in (0, 1).",
        ),
        "max_at_x": (r["max_at_x"], [(0.5, "that is σ at the maximum, not x.")], "Where is σ(x) = 1/2?"),
        "bound_5_layers": (
            r["bound_5_layers"],
            [
                (r["max_local_grad"] * DEPTH, "gradients multiply along a chain, they do not add."),
                (0.5**DEPTH, "use the largest local gradient, not σ(0)."),
                (r["max_local_grad"], "that is one gate; there are five."),
            ],
            "Each gate multiplies the gradient by at most its largest local gradient.",
        ),
        "layers_below_1e6": (
            r["layers_below_1e6"],
            [(r["layers_below_1e6"] - 1, "check: is 0.25 to that power really below 1e-6?")],
            "Find the smallest L with 0.25**L < 1e-6.",
        ),
    }
    _check(spec, answers)


# ---------------------------------------------------------------------------
# Exercise 7: a vectorised layer D = W @ X
# ---------------------------------------------------------------------------

W_SHAPE, X_SHAPE = (4, 3), (3, 5)


def check_shapes(**answers: Any) -> None:
    """Exercise 7a: shape_dW and shape_dX for D = W @ X with W of shape (4, 3) and X of shape (3, 5)."""
    D_shape = (W_SHAPE[0], X_SHAPE[1])
    judged = {}
    for name, want in (("shape_dW", W_SHAPE), ("shape_dX", X_SHAPE)):
        if name not in answers:
            continue
        got = answers[name]
        try:
            expect_shape(name, got, want)
            judged[name] = None
        except AssertionError as err:
            same_as_D = type(got) in (tuple, list) and tuple(got) == D_shape
            judged[name] = (
                f"{name}: that is D's shape; a gradient has the shape of what it is the gradient OF." if same_as_D else str(err)
            )
    unknown = sorted(set(answers) - {"shape_dW", "shape_dX"})
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}.")
    _report(answers, judged)


def matmul_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """W, X, an upstream dD, and the engine's dW, dX for D = W @ X (seeded)."""
    rng = np.random.default_rng(seed)
    W, X = rng.normal(size=W_SHAPE), rng.normal(size=X_SHAPE)
    dD = rng.normal(size=(W_SHAPE[0], X_SHAPE[1]))
    Wv, Xv = Value(W), Value(X)
    (Wv @ Xv).backward(dD)
    return W, X, dD, Wv.grad, Xv.grad


def check_matmul_backward(matmul_backward: Callable) -> None:
    """Exercise 7b: matmul_backward(W, X, dD) must return (dW, dX) for D = W @ X."""
    for seed in (0, 1):
        W, X, dD, dW, dX = matmul_case(seed)
        try:
            result = matmul_backward(W.copy(), X.copy(), dD.copy())
        except NotImplementedError:
            raise AssertionError("matmul_backward is not written yet (it raises NotImplementedError).") from None
        except Exception as err:
            raise AssertionError(f"matmul_backward(W, X, dD) raised {type(err).__name__}: {err}") from None
        if type(result) not in (tuple, list) or len(result) != 2:
            raise AssertionError("matmul_backward should return two arrays: return dW, dX")
        for name, got, want in (("dW", result[0], dW), ("dX", result[1], dX)):
            if type(got) is not np.ndarray:
                raise AssertionError(f"{name} should be a numpy array, got {type(got).__name__}.")
            if got.shape != want.shape:
                raise AssertionError(
                    f"{name} has shape {got.shape}, but a gradient has the shape of its variable, {want.shape}. "
                    "Which product of dD and X or W (or their transposes) has that shape?"
                )
            if not np.allclose(np.asarray(got, dtype=float), want, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"{name} has the right shape but wrong values: check which matrix is transposed.")
    print("✓ matmul_backward agrees with backprop through the engine's @")
