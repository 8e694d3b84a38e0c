"""Worksheet 1's checks: backpropagation by hand. Each says *what* is wrong with a hint, never the answer.

    >>> check_graph_backward(df_da=-6.0)
    Traceback (most recent call last):
    AssertionError: df_da: the size is right but the sign is wrong. Follow the signs of the upstream and local gradients.
    >>> check_graph_backward(df_dc=3.0)
    ✓ df_dc is right

The right values are computed here, privately (functions starting with `_`), with the engine,
so they are as right as backpropagation itself. Reading this file tells you how to *get* them,
which is exactly what the worksheet asks you to work out by hand first.

`probe_gate` and `probe_affine` run *your* functions on fixed inputs and return what they
compute, as plain lists: the grader compares that with the instructor's solution outside
the kernel (they return nothing you did not compute yourself).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from coursegrad.checking import (
    Mistake,
    as_array,
    call_student,
    close,
    expect_choice,
    expect_shape,
    judge,
    judge_all,
    partial_credit,
    report,
)
from coursegrad.engine import Value, backprop
from coursegrad.gradcheck import gradcheck

SWAP = "Which input does the multiply gate swap in?"
UPSTREAM = "That is the local gradient alone: multiply it by the gradient flowing into the gate from above."

# ---------------------------------------------------------------------------
# Exercise 1: f = (a·b + c) · max(d, e), with q = a·b + c and m = max(d, e)
# ---------------------------------------------------------------------------

GRAPH_INPUTS = {"a": -3.0, "b": 2.0, "c": 4.0, "d": -1.0, "e": 3.0}


def _judge_graph(answers: dict[str, Any], backward: bool) -> dict[str, str | None]:
    """Exercise 1 computed by the engine and judged: a hint (or None) per answer, never a value."""
    a, b, c, d, e = (Value(v, k) for k, v in GRAPH_INPUTS.items())
    q, m = a * b + c, d.maximum(e)
    f = q * m
    f.backward()
    g = GRAPH_INPUTS
    if not backward:
        expected = {
            "q_value": (q.data, [Mistake(g["a"] * g["b"], "add c after the product.")], "q = a·b + c."),
            "m_value": (m.data, [Mistake(g["d"], "max(d, e) is the larger of d and e.")], "m = max(d, e)."),
            "f_value": (
                f.data,
                [
                    Mistake(q.data * g["d"], "max(d, e) is the larger of d and e."),
                    Mistake(-q.data * m.data, "check the sign of a·b."),
                ],
                "f is the product of the two nodes q and m.",
            ),
        }
        return judge_all(expected, answers)
    won = "the max gate routes the whole gradient to the input that won; did {} win?"
    mq, qv = m.data, q.data
    expected = {
        "df_dq": (q.grad, [Mistake(qv, SWAP), Mistake(1.0, UPSTREAM)], "f = q·m: what does the multiply gate send to q?"),
        "df_dm": (m.grad, [Mistake(mq, SWAP), Mistake(1.0, UPSTREAM)], "f = q·m: what does the multiply gate send to m?"),
        "df_da": (a.grad, [Mistake(g["b"], UPSTREAM), Mistake(g["a"] * mq, SWAP)], "Go through q: ∂f/∂q times ∂q/∂a."),
        "df_db": (b.grad, [Mistake(g["a"], UPSTREAM), Mistake(g["b"] * mq, SWAP)], "Go through q: ∂f/∂q times ∂q/∂b."),
        "df_dc": (
            c.grad,
            [Mistake(1.0, UPSTREAM), Mistake(qv, "the add gate passes the upstream gradient ∂f/∂q on unchanged.")],
            "The add gate distributes.",
        ),
        "df_dd": (d.grad, [Mistake(qv, won.format("d")), Mistake(1.0, UPSTREAM)], "Which input of max(d, e) is larger?"),
        "df_de": (
            e.grad,
            [Mistake(0.0, won.format("e")), Mistake(1.0, UPSTREAM), Mistake(mq, SWAP)],
            "Go through m: ∂f/∂m times ∂m/∂e.",
        ),
    }
    return judge_all(expected, answers)


def check_graph_forward(**answers: Any) -> None:
    """Exercise 1, forward pass: any of q_value, m_value, f_value."""
    report(_judge_graph(answers, backward=False))


def check_graph_backward(**answers: Any) -> None:
    """Exercise 1, backward pass: any of df_dq, df_dm, df_da, df_db, df_dc, df_dd, df_de."""
    report(_judge_graph(answers, backward=True))


# ---------------------------------------------------------------------------
# Exercise 2: a staged computation with a fork: a = x·y, b = a + x, g = b²
# ---------------------------------------------------------------------------

FORK_INPUTS = {"x": 3.0, "y": -2.0}


def _judge_fork(answers: dict[str, Any], fork: bool) -> dict[str, str | None]:
    """Exercise 2 computed by the engine (with what each path adds into x's gradient) and judged: hints, never values.

    `fork`: the four fork answers, each judged (unanswered ones say so); else the stages and first two steps back.
    """
    x, y = Value(FORK_INPUTS["x"], "x"), Value(FORK_INPUTS["y"], "y")
    a = x * y
    b = a + x
    g = b**2
    steps: list = []
    backprop(g, record=steps)  # the engine's own record of each step of the backward pass
    into_x = {s.node.op: c for s in steps for i, c in zip(s.inputs, s.contributions, strict=True) if i is x}
    if not fork:
        expected = {
            "a_value": (a.data, [], "a = x·y."),
            "b_value": (b.data, [Mistake(a.data, "that is a; add x.")], "b = a + x."),
            "g_value": (g.data, [Mistake(b.data, "g is b squared.")], "Square b."),
            "dg_db": (
                b.grad,
                [Mistake(b.data, "that is b, not the slope of b² at b."), Mistake(g.data, "that is g, not ∂g/∂b.")],
                "Differentiate the square gate at the value b.",
            ),
            "dg_da": (a.grad, [Mistake(1.0, UPSTREAM)], "The add gate b = a + x passes ∂g/∂b on to a."),
        }
        return judge_all(expected, answers)
    why = "x is used twice (in a = x·y and in b = a + x): its gradient is the sum of both paths."
    via_a, direct = into_x["*"], into_x["+"]  # through a = x·y, and through b = a + x
    expected = {
        "dg_dx": (x.grad, [Mistake(via_a, why), Mistake(direct, why)], why),
        "dg_dy": (y.grad, [Mistake(b.grad, UPSTREAM)], "Go through a: ∂g/∂a times ∂a/∂y."),
        "dx_via_a": (via_a, [Mistake(b.grad * FORK_INPUTS["x"], SWAP)], "upstream ∂g/∂a times ∂a/∂x."),
        "dx_direct": (direct, [Mistake(1.0, UPSTREAM)], "upstream ∂g/∂b times ∂b/∂x."),
    }
    unknown = sorted(set(answers) - set(expected))
    if unknown:
        raise TypeError(f"unknown answer name(s) {unknown}; this check knows {sorted(expected)}.")
    return {n: judge(n, answers[n], *expected[n]) if n in answers else f"{n}: not answered." for n in expected}


def check_fork_forward(**answers: Any) -> None:
    """Exercise 2, the stages forward and the first two steps back: a_value, b_value, g_value, dg_db, dg_da."""
    report(_judge_fork(answers, fork=False))


def score_fork_backward(points: float = 2.0, **answers: Any) -> float:
    """Exercise 2, the fork: dg_dx, dg_dy, dx_via_a, dx_direct. Returns your points (partial credit).

    Every right answer is worth an equal share of `points`; unanswered ones count as wrong.
    """
    return partial_credit(_judge_fork(answers, fork=True), points)


# ---------------------------------------------------------------------------
# Exercise 3: a tanh neuron o = tanh(n), n = w0·x0 + w1·x1 + b
# ---------------------------------------------------------------------------

TANH_INPUTS = {"w": [0.5, 0.25], "x": [2.0, -1.2], "b": 0.1}
TANH_REL = 5e-3  # hand calculation with a calculator: 3 significant digits are enough


def check_tanh_neuron(**answers: Any) -> None:
    """Exercise 3: any of n_value, o_value, do_dw0, do_dw1, do_db (3 significant digits are enough)."""
    (w0, w1), (x0, x1) = (Value(v) for v in TANH_INPUTS["w"]), TANH_INPUTS["x"]
    bias = Value(TANH_INPUTS["b"])
    node = w0 * x0 + w1 * x1 + bias
    out = node.tanh()
    out.backward()
    n, o = node.data, out.data
    no_tanh = "that is the multiply gate's local gradient alone: the tanh gate's local gradient is missing."
    used_n = "you used n where the tanh gate's local gradient needs the gate's output."
    used_o = "you multiplied by the tanh gate's output, not by its local gradient."
    path = "Walk back from o: the tanh gate, then the add, then the multiply gate (if any)."
    expected = {
        "n_value": (n, [], "n = w0·x0 + w1·x1 + b."),
        "o_value": (
            o,
            [Mistake(n, "that is n; apply tanh to it."), Mistake(_sigmoid(n), "that is σ(n), not tanh(n).")],
            "Apply tanh to n.",
        ),
        "do_dw0": (w0.grad, [Mistake(x0, no_tanh), Mistake((1 - n * n) * x0, used_n), Mistake(o * x0, used_o)], path),
        "do_dw1": (w1.grad, [Mistake(x1, no_tanh), Mistake((1 - n * n) * x1, used_n), Mistake(o * x1, used_o)], path),
        "do_db": (bias.grad, [Mistake(1.0, no_tanh), Mistake(1 - n * n, used_n), Mistake(o, used_o)], path),
    }
    report(judge_all(expected, answers, rel=TANH_REL))


# ---------------------------------------------------------------------------
# Exercise 4: write a gate's backward rule with Value.from_gate
# ---------------------------------------------------------------------------


def _call_gate(gate: Callable, *args: float) -> Value:
    """Call the student's gate on fresh leaves; every failure becomes a readable AssertionError."""
    name = getattr(gate, "__name__", "your gate")
    leaves = tuple(Value(a, label) for a, label in zip(args, "abcd", strict=False))
    call = f"{name}({', '.join(f'Value({a:g})' for a in args)})"
    out = call_student(gate, *leaves, shown=call)
    if not isinstance(out, Value):
        raise AssertionError(f"{call} returned {type(out).__name__}; return the output Value made by Value.from_gate(...).")
    if len(out.inputs) != len(leaves) or any(i is not leaf for i, leaf in zip(out.inputs, leaves, strict=True)):
        raise AssertionError(
            f"{call}: the output's inputs should be exactly the gate's inputs {tuple(leaf.label for leaf in leaves)}, "
            "in order: write ONE gate with Value.from_gate(data, inputs, local_grads, op), not a chain of built-in ops."
        )
    return out


ENGINE_GATES = {"sigmoid", "tanh", "exp", "log", "relu", "__truediv__"}  # the engine's gates a task may forbid


def _uses_from_gate(gate: Callable) -> bool | None:
    """True if the gate's code calls `from_gate` and none of the engine's gates (`x.sigmoid()`, `a / b` of
    its inputs), as the task asks; None if its source cannot be read. Comments and strings do not count."""
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(gate)))
    except (OSError, TypeError, SyntaxError):
        return None
    params = {a.arg for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.Lambda)) for a in node.args.args}
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    engine = [c for c in calls if isinstance(c.value, ast.Name) and c.value.id in params and c.attr in ENGINE_GATES]
    divides = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Div)
        and all(isinstance(s, ast.Name) and s.id in params for s in (n.left, n.right))
    ]
    return any(c.attr == "from_gate" for c in calls) and not divides and not engine


def _one_number(g: Any) -> float | None:
    """A local gradient as one float, or None if it is not a single real number."""
    if isinstance(g, (bool, np.bool_)) or not isinstance(g, (numbers.Real, np.ndarray)) or np.size(g) != 1:
        return None
    return float(np.reshape(np.asarray(g, dtype=float), ()))


def _check_gate(gate: Callable, points: list[tuple], value: Callable, locals_: Callable, hints: Callable) -> None:
    """Check a gate's output and local gradients at `points`, then gradcheck it at each of them."""
    name = getattr(gate, "__name__", "your gate")
    for args in points:
        out = _call_gate(gate, *args)
        if _uses_from_gate(gate) is False:
            raise AssertionError(f"{name} should make its output with Value.from_gate(...), where the backward rule goes.")
        call = f"{name}({', '.join(f'{a:g}' for a in args)})"
        if not close(float(np.reshape(out.data, ())), value(*args), 1e-9):
            raise AssertionError(f"{call}: the output value (forward pass) is wrong.")
        got = [_one_number(g) for g in out.local_grads]
        for i, (g, want) in enumerate(zip(got, locals_(*args), strict=True)):
            if g is None or not close(g, want, 1e-7):
                raise AssertionError(f"{call}: the local gradient for input {i} is wrong. {hints(i, g, *args)}")
    reports = [gradcheck(gate, *args) for args in points]
    print(reports[0])
    if not all(r.passed for r in reports):
        raise AssertionError(f"{name}: gradcheck FAILED at one of the points.")
    print(f"✓ {name}: output and local gradients are right at {len(points)} points, and gradcheck agrees at each")


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


SIGMOID_POINTS = (0.7, -2.0, 0.0, 3.5)  # where the visible checks try the gates
DIVIDE_POINTS = ((3.0, -2.0), (0.5, 4.0), (-1.5, 0.25))


def check_sigmoid_gate(sigmoid_gate: Callable, points: tuple = SIGMOID_POINTS) -> None:
    """Exercise 4a: a one-gate sigmoid, output σ(x) with local gradient dσ/dx, at each x of `points`."""

    def hint(i, g, x):
        s = _sigmoid(x)
        if g is not None and close(g, s, 1e-7):
            return "That is σ(x) itself, the gate's output, not its slope."
        if g is not None and close(g, -s * (1 - s), 1e-7):
            return "Check the sign: σ rises everywhere."
        return "Differentiate 1/(1 + e^(−x)) and write the result with the output s = σ(x)."

    _check_gate(sigmoid_gate, [(x,) for x in points], _sigmoid, lambda x: [_sigmoid(x) * (1 - _sigmoid(x))], hint)


def check_divide_gate(divide_gate: Callable, points: tuple = DIVIDE_POINTS) -> None:
    """Exercise 4b: a division gate a / b with local gradients ∂/∂a and ∂/∂b, at each (a, b) of `points`."""

    def hint(i, g, a, b):
        if i == 0:
            return "How does a/b change when a grows by 1?"
        if g is not None and close(g, a / b**2, 1e-7):
            return "Check the sign: for a/b > 0, a/b falls as b grows."
        if g is not None and close(g, -1 / b**2, 1e-7):
            return "A factor is missing: the local gradient for b depends on a too."
        return "Write a/b as a · b⁻¹ and differentiate with respect to b."

    _check_gate(divide_gate, [tuple(p) for p in points], lambda a, b: a / b, lambda a, b: [1 / b, -a / b**2], hint)


def probe_gate(gate: Callable, points: list) -> list:
    """What your gate computes at each point, for the grader: [uses from_gate (`_uses_from_gate`), [[data, local grads...], ...]].

    A failure at a point gives the text of the error there instead of the list.
    """
    rows = []
    for args in points:
        args = args if isinstance(args, (list, tuple)) else (args,)
        try:
            out = _call_gate(gate, *args)
            rows.append([float(np.reshape(out.data, ())), *[_one_number(g) for g in out.local_grads]])
        except AssertionError as err:
            rows.append(str(err)[:200])
    return [_uses_from_gate(gate), rows]


# ---------------------------------------------------------------------------
# Exercise 5: scaling the data by 1000 (the multiplication effect)
# ---------------------------------------------------------------------------

SCALE_INPUTS = {"w": [0.5, -1.5, 2.0], "x": [4.0, 1.0, -2.0], "upstream": 2.0, "scale": 1000.0}


def check_scaling(**answers: Any) -> None:
    """Exercise 5: any of dw, dw_scaled, dx_scaled (lists of 3 numbers), lr_same_step and lr_same_training."""
    r: dict[str, Any] = {}  # the gradients of s = w·x by the engine, before and after x → 1000·x
    for key, scale in (("", 1.0), ("_scaled", SCALE_INPUTS["scale"])):
        w, x = Value(np.array(SCALE_INPUTS["w"])), Value(np.array(SCALE_INPUTS["x"]) * scale)
        (w * x).sum().backward(SCALE_INPUTS["upstream"])
        r["dw" + key], r["dx" + key] = w.grad.tolist(), x.grad.tolist()
    k = SCALE_INPUTS["scale"]
    r["lr_same_step"] = r["dw"][0] / r["dw_scaled"][0]  # undoes dw's growth: Δw = −lr·dw the same
    r["lr_same_training"] = r["lr_same_step"] / k  # also undoes the scores' k-fold sensitivity to w
    elementwise = "For s = Σ wᵢ·xᵢ each wᵢ meets one multiply gate: what does it send to wᵢ, times the upstream ∂L/∂s?"
    expected = {
        "dw": (
            r["dw"],
            [Mistake(SCALE_INPUTS["x"], "that is the local gradient alone: multiply by ∂L/∂s."), Mistake(r["dx"], SWAP)],
            elementwise,
        ),
        "dw_scaled": (
            r["dw_scaled"],
            [
                Mistake(r["dw"], "the data changed, and the multiply gate sends the data to w."),
                Mistake([v / k for v in r["dw"]], "the gradient grows with the data, it does not shrink."),
            ],
            elementwise,
        ),
        "dx_scaled": (
            r["dx_scaled"],
            [Mistake([v * k for v in r["dx"]], "the multiply gate sends w to x, and w did not change.")],
            elementwise,
        ),
        "lr_same_step": (
            r["lr_same_step"],
            [
                Mistake(k, "a 1000× larger gradient needs a smaller step, not a larger one."),
                Mistake(1.0, "with the same learning rate the step Δw = −lr·dw would be 1000× larger."),
                Mistake(r["lr_same_training"], "that reproduces the whole training; this asks only for the step Δw."),
            ],
            "Δw = −lr·dw: by what factor did dw change?",
        ),
        "lr_same_training": (
            r["lr_same_training"],
            [Mistake(r["lr_same_step"], "that keeps Δw the same, but a unit of w now moves every score 1000× further.")],
            "Follow one step through to the scores s = w·x′: how much does it move them?",
        ),
    }
    report(judge_all(expected, answers))


# ---------------------------------------------------------------------------
# Exercise 6: how much gradient survives L sigmoid gates (the lecture's bound)
# ---------------------------------------------------------------------------

DEPTH = 5


def _chain_sup() -> float:
    """The largest ∂h₅/∂h₀ of the composed chain h₅ = σ⁵(h₀), found by the engine on a fine grid (below the bound)."""
    h0 = Value(np.linspace(-2.0, 2.0, 40001))
    h = h0
    for _ in range(DEPTH):
        h = h.sigmoid()
    h.backward(np.ones(40001))
    return float(np.max(h0.grad))


def check_sigmoid_depth(**answers: Any) -> None:
    """Exercise 6: any of max_local_grad, max_at_x, bound_5_layers, layers_below_1e6."""
    xs = Value(np.linspace(-8.0, 8.0, 1601))  # the largest σ'(x), found by the engine over a grid
    xs.sigmoid().backward(np.ones(1601))
    best = int(np.argmax(xs.grad))
    top = float(xs.grad[best])
    layers = 1
    while top**layers >= 1e-6:
        layers += 1
    r = {"max_local_grad": top, "max_at_x": float(xs.data[best]), "bound_5_layers": top**DEPTH, "layers_below_1e6": float(layers)}
    expected = {
        "max_local_grad": (
            r["max_local_grad"],
            [Mistake(0.5, "that is σ at the steepest point, the value; the question asks for the slope there.")],
            "Maximise σ(1 − σ) over σ in (0, 1).",
        ),
        "max_at_x": (r["max_at_x"], [Mistake(0.5, "that is σ at the maximum, not x.")], "Where is the sigmoid steepest?"),
        "bound_5_layers": (
            r["bound_5_layers"],
            [
                Mistake(r["max_local_grad"] * DEPTH, "gradients multiply along a chain, they do not add."),
                Mistake(0.5**DEPTH, "use the largest local gradient, not σ(0)."),
                Mistake(r["max_local_grad"], "that is one gate; there are five."),
                Mistake(
                    _chain_sup(),
                    "that is the true largest value of the composed chain; the question asks for the lecture's bound.",
                ),
            ],
            "Each gate multiplies the gradient by at most its largest local gradient.",
        ),
        "layers_below_1e6": (
            r["layers_below_1e6"],
            [Mistake(r["layers_below_1e6"] - 1, "check: is the bound at that depth really below 1e-6?")],
            "The bound shrinks by the same factor with every gate: count the gates until it is below 1e-6.",
        ),
    }
    report(judge_all(expected, answers))


# ---------------------------------------------------------------------------
# Exercise 7: a fully connected layer on a batch, Y = X @ W + b
# ---------------------------------------------------------------------------

LAYER_SHAPES = {"N": 5, "D": 3, "M": 4}  # X is (N, D), W is (D, M), b is (M,)
_CANDIDATES = {  # the worksheet's lettered candidates, as functions of (X, W, dY)
    "square_dX": (
        "W",
        {
            "A": lambda X, W, dY: dY @ W.T,
            "B": lambda X, W, dY: dY @ W,
            "C": lambda X, W, dY: W @ dY,
            "D": lambda X, W, dY: W.T @ dY,
        },
    ),
    "square_dW": (
        "X",
        {
            "A": lambda X, W, dY: X @ dY,
            "B": lambda X, W, dY: X.T @ dY,
            "C": lambda X, W, dY: dY @ X.T,
            "D": lambda X, W, dY: dY.T @ X,
        },
    ),
    "square_db": ("dY", {"A": lambda X, W, dY: dY.sum(axis=0), "B": lambda X, W, dY: dY.sum(axis=1)}),
}


def check_shapes(**answers: Any) -> None:
    """Exercise 7a: any of shape_dY, shape_dX, shape_dW, shape_db for Y = X @ W + b (N, D, M = 5, 3, 4)."""
    N, D, M = LAYER_SHAPES.values()
    X, W, b = Value(np.zeros((N, D))), Value(np.zeros((D, M))), Value(np.zeros(M))
    Y = X @ W + b
    Y.backward(np.ones(Y.data.shape))
    r = {"shape_dY": Y.data.shape, "shape_dX": X.grad.shape, "shape_dW": W.grad.shape, "shape_db": b.grad.shape}
    judged = {}
    for name, got in answers.items():
        if name not in r:
            raise TypeError(f"unknown answer name {name!r}; this check knows {sorted(r)}.")
        try:
            expect_shape(name, got, r[name])
            judged[name] = None
        except AssertionError as err:
            is_Y = name != "shape_dY" and type(got) in (tuple, list) and tuple(got) == r["shape_dY"]
            judged[name] = (
                f"{name}: that is Y's shape; a gradient has the shape of what it is the gradient OF." if is_Y else str(err)
            )
    report(judged)


def check_square_case(**answers: Any) -> None:
    """Exercise 7b: square_dX, square_dW, square_db: the letter of the right candidate when N = D = M."""
    X, W, b, dY = _affine_inputs(7, (3, 3, 3))  # a random square layer: the candidate that agrees with the engine
    Xv, Wv, bv = Value(X), Value(W), Value(b)
    (Xv @ Wv + bv).backward(dY)
    engine = {"square_dX": Xv.grad, "square_dW": Wv.grad, "square_db": bv.grad}
    judged = {}
    for name, got in answers.items():
        if name not in _CANDIDATES:
            raise TypeError(f"unknown answer name {name!r}; this check knows {sorted(_CANDIDATES)}.")
        other, candidates = _CANDIDATES[name]
        try:
            right = next(letter for letter, f in candidates.items() if np.allclose(f(X, W, dY), engine[name]))
            expect_choice(name, got, right, "".join(candidates))
            judged[name] = None
        except AssertionError as err:
            judged[name] = (
                str(err)
                if "capital letters" in str(err)
                else (
                    f"{name}: that candidate has the right shape only because the matrices are square. Write one element "
                    f"of the product and check which index of {other} each term of the sum must run over."
                )
            )
    report(judged)


def _affine_inputs(seed: int, shape: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """X, W, b and an upstream dY for Y = X @ W + b (seeded): the inputs of one case, not its answer."""
    rng = np.random.default_rng(seed)
    N, D, M = shape
    return rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M), rng.normal(size=(N, M))


def _affine_result(affine_backward: Callable, X, W, b, dY) -> tuple:
    result = call_student(affine_backward, X.copy(), W.copy(), b.copy(), dY.copy(), shown="affine_backward(X, W, b, dY)")
    if type(result) not in (tuple, list) or len(result) != 3:
        raise AssertionError("affine_backward should return three arrays: dX, dW and db")
    return tuple(result)


def check_affine_backward(affine_backward: Callable, cases: tuple = ((0, (5, 3, 4)), (1, (2, 6, 1)))) -> None:
    """Exercise 7c: affine_backward(X, W, b, dY) must return (dX, dW, db) for Y = X @ W + b, at each (seed, (N, D, M))."""
    for seed, shape in cases:
        X, W, b, dY = _affine_inputs(seed, shape)
        Xv, Wv, bv = Value(X), Value(W), Value(b)
        (Xv @ Wv + bv).backward(dY)  # the engine's dX, dW, db
        want = (Xv.grad, Wv.grad, bv.grad)
        for name, got, ref in zip(("dX", "dW", "db"), _affine_result(affine_backward, X, W, b, dY), want, strict=True):
            _gradient_data(name, got, ref.shape, shape)
            if not close(got, ref):
                raise AssertionError(f"{name} has the right shape but wrong values for (N, D, M) = {shape}.")
    print(f"✓ affine_backward agrees with backprop through the engine's @ and + at {len(cases)} layer sizes")


def _gradient_data(name: str, got: Any, shape: tuple, sizes: Any) -> list:
    """A gradient as nested lists, if it is a numpy array of `shape` (else AssertionError with the hint)."""
    if type(got) is np.ndarray and got.shape != shape:
        raise AssertionError(
            f"{name} has shape {got.shape}, but a gradient has the shape of its variable, {shape}, "
            f"for (N, D, M) = {tuple(sizes)}. Which product (or sum) of dY with X or W has that shape?"
        )
    return as_array(name, got, shape).tolist()


def probe_affine(affine_backward: Callable, cases: list) -> list:
    """What your affine_backward returns on each seeded case [seed, [N, D, M]], as nested lists (or the error's text):
    each gradient must be a numpy array of its variable's shape, as the task asks."""
    rows = []
    for seed, shape in cases:
        X, W, b, dY = _affine_inputs(seed, tuple(shape))
        try:
            got = _affine_result(affine_backward, X, W, b, dY)
            named = zip(("dX", "dW", "db"), got, (X, W, b), strict=True)
            rows.append([_gradient_data(name, g, v.shape, shape) for name, g, v in named])
        except (AssertionError, TypeError, ValueError) as err:
            rows.append(str(err)[:200])
    return rows


# ---------------------------------------------------------------------------
# How the grader judges each check outside the kernel (`coursegrad generate` reads this: coursegrad/grading/derive.py)
# ---------------------------------------------------------------------------

JUDGED = {
    "check_graph_forward": {"answers": "all"},
    "check_graph_backward": {"answers": "all"},
    "check_fork_forward": {"answers": "all"},
    "score_fork_backward": {"answers": "each"},
    "check_tanh_neuron": {"answers": "all", "rel": TANH_REL},
    "check_scaling": {"answers": "all"},
    "check_sigmoid_depth": {"answers": "all"},
    "check_shapes": {"answers": "all", "shape": True},
    "check_square_case": {"answers": "all"},
    "check_sigmoid_gate": {"probe": "probe_gate({sigmoid_gate}, {points})", "name": "gate", "cases": "points", "rel": 1e-7},
    "check_divide_gate": {"probe": "probe_gate({divide_gate}, {points})", "name": "gate", "cases": "points", "rel": 1e-7},
    "check_affine_backward": {"probe": "probe_affine({affine_backward}, {cases})", "name": "layer", "cases": "cases"},
}
