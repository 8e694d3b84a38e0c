"""Worksheet 2's checks: write backprop yourself. Each says *what* is wrong with a hint, never the answer.

The graphs the checks build use the worksheet's own `Node` class (passed in), so your
`topological_order` and `backprop` run on exactly the nodes the worksheet describes. The right
values are computed here, privately (functions starting with `_`): the graphs' gradients by
the chain rule written out for each graph, the gradient checks with `coursegrad.gradcheck`,
the two-layer net with the engine. Reading this file tells you how to compute them, which is
what the worksheet asks you to do yourself.

`probe_*` functions run *your* functions on fixed inputs and return what they compute, as
plain lists: the grader compares that with the instructor's solution outside the kernel.
`_expected_*` functions compute what a right answer's probe gives, privately. Every check is
`agrees(probe_*(...), _expected_*(...))` (`coursegrad.checking.agrees`, the grader's own rule) for
its verdict; the hint only says why when they do not agree, and no check prints a value it compares.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from coursegrad import engine
from coursegrad.checking import agrees, as_array, call_student, close, partial_credit, report
from coursegrad.engine import Value
from coursegrad.gradcheck import gradcheck
from coursegrad.nn import softmax_cross_entropy

LONG = 5000  # nodes in the tanh chain: deeper than Python's recursion limit (1000)

# ---------------------------------------------------------------------------
# Exercise 1: topological order and the backward pass on the mini Node
# ---------------------------------------------------------------------------


def _graph(Node: type, case: str) -> tuple[Any, list, list[float]]:
    """(root, its nodes in creation order, the right gradient of each) for one of the graphs below."""
    if case == "chain":  # v = 2·tanh(x) + 1
        x, two, one = Node(0.5), Node(2.0), Node(1.0)
        t = x.tanh()
        u = t * two
        v = u + one
        dt = 1 - t.data**2
        return v, [x, two, one, t, u, v], [2.0 * dt, t.data, 1.0, 2.0, 1.0, 1.0]
    if case == "diamond":  # d = (2a)·tanh(a): a forks into both factors
        a, two = Node(1.5), Node(2.0)
        b, c = a * two, a.tanh()
        d = b * c
        da = c.data * 2.0 + b.data * (1 - c.data**2)
        return d, [a, two, b, c, d], [da, c.data * a.data, c.data, b.data, 1.0]
    if case == "twice":  # b = a + a
        a = Node(-1.2)
        b = a + a
        return b, [a, b], [2.0, 1.0]
    if case == "twice_twice":  # c = b + b with b = a + a
        a = Node(0.7)
        b = a + a
        c = b + b
        return c, [a, b, c], [4.0, 2.0, 1.0]
    if case == "neuron":  # o = tanh(w0·x0 + w1·x1 + bias), then o·o (a fork at the output)
        w0, x0, w1, x1, bias = Node(-0.5), Node(1.5), Node(0.8), Node(-2.0), Node(0.3)
        n = w0 * x0 + w1 * x1 + bias
        o = n.tanh()
        s = o * o
        dn = 2 * o.data * (1 - o.data**2)
        grads = [dn * x0.data, dn * w0.data, dn * x1.data, dn * w1.data, dn, dn, 2 * o.data, 1.0]
        return s, [w0, x0, w1, x1, bias, n, o, s], grads
    raise ValueError(f"no graph named {case!r}")


FIRST = ("chain", "diamond")
ALL = ("chain", "diamond", "twice", "twice_twice", "neuron")
_WHAT = {
    "chain": "a chain (no forks)",
    "diamond": "a diamond (a feeds two gates)",
    "twice": "b = a + a",
    "twice_twice": "c = b + b with b = a + a",
    "neuron": "a tanh neuron whose output is squared (o·o)",
}


def _expected_order(Node: type, cases: list) -> list:
    """What `probe_order` gives for a right topological_order: per case [a valid order, the edges]."""
    out = []
    for case in cases:
        root, _, _ = _graph(Node, case)
        out.append(_as_data(engine.topological_order(root), _labels(engine.topological_order(root))))
    return out


def _order_hint(got: Any, want: list) -> str:
    """Why the reported order `got` ([order, edges] as node numbers, or an error's text) is not a valid one."""
    if isinstance(got, str):
        return got
    order, n, root = got[0], len(want[0]), want[0][-1]
    if len(set(order)) != len(order):
        return "a node appears more than once: remember which nodes you have visited"
    if -1 in order:
        return "it holds something that is not a node of the graph"
    if len(order) < n:
        return f"{n - len(order)} node(s) of the graph are missing"
    if order[-1] != root:
        return "the order should hold exactly the graph's nodes, with the root (the output) last"
    return "a node comes before one of its inputs: each node must come after everything it was computed from"


def check_topological_order(Node: type, topological_order: Callable, cases: tuple = FIRST) -> None:
    """Exercise 1a: topological_order(root) on each graph of `cases` (the visible ones by default)."""
    got, want = probe_order(Node, topological_order, list(cases)), _expected_order(Node, list(cases))
    for case, have, right in zip(cases, got, want, strict=True):
        if not agrees([have], [right], compare="topological_order"):
            raise AssertionError(f"topological_order on {_WHAT[case]}: {_order_hint(have, right)}.")
        print(f"✓ topological_order is right on {_WHAT[case]}")


def _per_case(Node: type, cases: list, run: Callable) -> list:
    """`run(root, nodes)` on a fresh graph of each case; a failure gives the text of its error instead."""
    out = []
    for case in cases:
        root, nodes, _ = _graph(Node, case)
        try:
            out.append(run(root, nodes))
        except AssertionError as err:
            out.append(str(err)[:200])
    return out


def _labels(nodes: list) -> list:
    """The graph's nodes in a fixed shuffled order: the numbers the grader knows them by (not their
    creation order, which is itself a valid order: then `list(range(n))` would be a right answer)."""
    labels = list(nodes)
    random.Random(len(labels)).shuffle(labels)
    return labels


def _as_data(order: Any, labels: list) -> list:
    """[your order as indices into `labels` (-1 for what is not a node of the graph), the graph's edges
    [input, node] as indices]: raw data, from which the grader decides whether the order is valid."""
    if type(order) is not list:
        raise AssertionError(f"topological_order should return a list of nodes, got {type(order).__name__}")
    where = {id(n): i for i, n in enumerate(labels)}
    return [[where.get(id(n), -1) for n in order], [[where[id(i)], where[id(n)]] for n in labels for i in n.inputs]]


def probe_order(Node: type, topological_order: Callable, cases: list) -> list:
    """For the grader: per case, [your order, the graph's edges] as indices (`_as_data`), or the error's text."""

    def run(root, _):
        order = call_student(topological_order, root, shown="topological_order(root)")
        return _as_data(order, _labels(engine.topological_order(root)))  # every node, also those `_graph` does not name

    return _per_case(Node, cases, run)


def _backprop_hint(Node: type, case: str, got: Any) -> str:
    """Why the gradients `got` (every node's .grad after your backprop, or an error's text) are wrong."""
    if isinstance(got, str):
        return got
    _, _, want = _graph(Node, case)
    if any(isinstance(g, bool) or not isinstance(g, (int, float)) for g in got):
        return "every .grad should be a number after backprop"
    if not close(got[-1], 1.0):
        return "the output's own gradient ∂root/∂root should be 1 (the seed)"
    forks = case != "chain"
    if forks and _overwritten(Node, case, got):
        return "a node used twice gets only one path's gradient: its contributions must add up (+=), not overwrite (=)"
    wrong = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if not close(g, w)]
    return f"the gradients of {len(wrong)} node(s) are wrong" + (" (this graph has a fork)" if forks else "")


MAX_ORDERS = 5000  # the graphs here have at most a few hundred topological orders


def _overwritten(Node: type, case: str, got: list) -> bool:
    """True if `got` is what a backward pass that writes `=` instead of `+=` gives on this graph, in ANY
    valid topological order (the slip's result depends on the order the student's pass visits)."""
    root, nodes, _ = _graph(Node, case)
    for order in _all_orders(engine.topological_order(root)):
        for node in nodes:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node.inputs, node.local_grads, strict=True):
                child.grad = local * node.grad  # the slip: = where the contributions should add up
        if all(close(g, n.grad) for g, n in zip(got, nodes, strict=True)):
            return True
    return False


def _all_orders(nodes: list) -> list[list]:
    """Every topological order of `nodes` (a graph's nodes in one valid order), up to MAX_ORDERS of them."""
    out: list[list] = []
    placed: list = []
    ids = {id(n) for n in nodes}

    def extend() -> None:
        if len(out) >= MAX_ORDERS:
            return
        if len(placed) == len(nodes):
            out.append(list(placed))
            return
        done = {id(n) for n in placed}
        for node in nodes:
            ready = id(node) not in done and all(id(i) in done or id(i) not in ids for i in node.inputs)
            if ready and (node is not nodes[-1] or len(placed) == len(nodes) - 1):
                placed.append(node)
                extend()
                placed.pop()

    extend()
    return out


def _expected_backprop(Node: type, cases: list) -> list:
    """What `probe_backprop` gives for a right backprop: per case, every node's gradient."""
    return [_graph(Node, case)[2] for case in cases]


def check_backprop(Node: type, backprop: Callable, cases: tuple = FIRST) -> None:
    """Exercise 1b: backprop(root) fills every node's .grad, on each graph of `cases`."""
    got, want = probe_backprop(Node, backprop, list(cases)), _expected_backprop(Node, list(cases))
    for case, have, right in zip(cases, got, want, strict=True):
        if not agrees(have, right):
            raise AssertionError(f"backprop on {_WHAT[case]}: {_backprop_hint(Node, case, have)}.")
        print(f"✓ backprop is right on {_WHAT[case]}")


def probe_backprop(Node: type, backprop: Callable, cases: list) -> list:
    """For the grader: per case, every node's .grad after your backprop (in the order the nodes were made)."""

    def run(root, nodes):
        call_student(backprop, root, shown="backprop(root)")
        return [n.grad for n in nodes]

    return _per_case(Node, cases, run)


def _long_chain(Node: type, kind: str = "tanh") -> tuple[Any, Any]:
    """(x, the root) of a chain deeper than Python's recursion limit.

    "tanh": x followed by LONG − 1 tanh gates (LONG nodes); "mixed": x, then 3,000 gates that add
    0.001 and multiply by 0.999 by turns, each with its constant (6,001 nodes).
    """
    x = Node(0.5 if kind == "tanh" else 0.3)
    h = x
    for i in range(LONG - 1 if kind == "tanh" else 3000):
        h = h.tanh() if kind == "tanh" else (h * Node(0.999) if i % 2 else h + Node(0.001))
    return x, h


def _long_chain_grad(Node: type, kind: str = "tanh") -> float:
    """∂root/∂x along the chain: the product of the local gradients on the way down."""
    x, root = _long_chain(Node, kind)
    grad, node = 1.0, root
    while node is not x:
        grad *= node.local_grads[0]
        node = node.inputs[0]
    return grad


def _run_long_chain(Node: type, topological_order: Callable, backprop: Callable, kind: str) -> tuple[Any, Any, Any]:
    """(the root, your order, x's gradient after your backprop) on a long chain."""
    x, root = _long_chain(Node, kind)
    order = call_student(topological_order, root, shown="topological_order on a long chain")
    call_student(backprop, root, shown="backprop on a long chain")
    return root, order, x.grad


def probe_long_chain(Node: type, topological_order: Callable, backprop: Callable, kind: str = "tanh") -> list:
    """For the grader: [your order, the chain's edges (`_as_data`), x's gradient] on a long chain (or the error's text)."""
    try:
        root, order, grad = _run_long_chain(Node, topological_order, backprop, kind)
        return [*_as_data(order, _labels(engine.topological_order(root))), grad]
    except AssertionError as err:
        return [str(err)[:200]]


def _expected_long_chain(Node: type, kind: str = "tanh") -> list:
    """What `probe_long_chain` gives for right functions: [a valid order, the edges, x's gradient]."""
    _, root = _long_chain(Node, kind)
    return [*_as_data(engine.topological_order(root), _labels(engine.topological_order(root))), _long_chain_grad(Node, kind)]


def check_long_chain(Node: type, topological_order: Callable, backprop: Callable, kind: str = "tanh") -> None:
    """Exercise 1c: a chain of thousands of nodes (deeper than Python's recursion limit)."""
    got, want = probe_long_chain(Node, topological_order, backprop, kind), _expected_long_chain(Node, kind)
    size = len(want[0])
    if len(got) == 1 and isinstance(got[0], str):
        raise AssertionError(got[0])
    if not agrees([got[:2]], [want[:2]], compare="topological_order"):
        n = len(got[0]) if isinstance(got[0], list) else -1
        raise AssertionError(f"topological_order on a chain of {size} nodes: it returned {n} nodes, not a valid order of all.")
    if not agrees([got], [want], compare="topological_order"):
        raise AssertionError(f"backprop on a chain of {size} nodes: the first node's gradient is wrong.")
    print(f"✓ topological_order and backprop work on a chain of {size} nodes")


def probe_second_backward(
    Node: type, topological_order: Callable, backprop: Callable, zero_grad: Callable, case: str = "neuron"
) -> list:
    """For the grader: every node's .grad of a graph after backprop, zero_grad(order), backprop again."""
    root, nodes, _ = _graph(Node, case)
    try:
        call_student(backprop, root, shown="backprop(root)")
        zero_grad(call_student(topological_order, root, shown="topological_order(root)"))
        call_student(backprop, root, shown="backprop(root), the second time")
        return [n.grad for n in nodes]
    except (AssertionError, TypeError) as err:
        return [str(err)[:200]]


def check_second_backward(
    Node: type, topological_order: Callable, backprop: Callable, zero_grad: Callable, case: str = "neuron"
) -> None:
    """Exercise 1d: after zero_grad, a second backward pass gives the same gradients as the first."""
    got = probe_second_backward(Node, topological_order, backprop, zero_grad, case)
    if len(got) == 1 and isinstance(got[0], str):
        raise AssertionError(got[0])
    if not agrees(got, _expected_backprop(Node, [case])[0]):
        raise AssertionError(
            f"on {_WHAT[case]}: after zero_grad(topological_order(root)) and a second backprop(root), the gradients are "
            "not those of one backward pass: does backprop seed the root with 1 and add every contribution exactly once?"
        )
    print(f"✓ a second backward pass after zero_grad gives the same gradients on {_WHAT[case]}")


# ---------------------------------------------------------------------------
# Exercise 2: a gradient check of your own
# ---------------------------------------------------------------------------

_X0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])  # a fixed (2, 3) matrix for the "layer" function
FUNCTIONS = {  # each works on numpy arrays and on coursegrad Values alike
    "square": (lambda x: (x * x).sum(), [1.0, -2.0, 0.5]),
    "cubic": (lambda x: (x * x * x - 3.0 * x).sum(), [0.3, -1.1, 2.0, 0.0]),
    "layer": (lambda W: ((W @ _X0) * (W @ _X0)).sum(), [[0.2, -0.4], [1.0, 0.5]]),
}


NUMERICAL_TOLERANCE = {"rel": 1e-5, "abs": 1e-7}  # the item's tolerance: central differences agree to about 1e-10


def probe_numerical_gradient(numerical_gradient: Callable, names: list) -> list:
    """For the grader: per function, [your gradient (an array of x's shape) as nested lists, was x left unchanged]
    (or the error's text)."""
    out = []
    for name in names:
        f, x0 = FUNCTIONS[name]
        x = np.array(x0, dtype=float)
        try:
            got = call_student(numerical_gradient, f, x, 1e-5, shown=f"numerical_gradient(f, x, 1e-5) for f = {name}")
            if np.shape(got) != x.shape:
                raise AssertionError(f"numerical_gradient for f = {name}: the gradient should have x's shape {x.shape}.")
            grad = as_array(f"numerical_gradient's result for f = {name}", got, x.shape).tolist()
            out.append([grad, bool(np.array_equal(x, np.array(x0)))])
        except (AssertionError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


def _expected_numerical_gradient(names: list) -> list:
    """What `probe_numerical_gradient` gives for a right numerical_gradient: central differences, x unchanged."""
    return [[gradcheck(FUNCTIONS[n][0], np.array(FUNCTIONS[n][1], dtype=float)).checks[0].numeric.tolist(), True] for n in names]


def check_numerical_gradient(numerical_gradient: Callable, names: tuple = ("square", "cubic")) -> None:
    """Exercise 2a: numerical_gradient(f, x, h) agrees with coursegrad.gradcheck's central differences, x left unchanged."""
    got, want = probe_numerical_gradient(numerical_gradient, list(names)), _expected_numerical_gradient(list(names))
    for name, row, right in zip(names, got, want, strict=True):
        if isinstance(row, str):
            raise AssertionError(row)
        if not agrees(row, right, NUMERICAL_TOLERANCE["rel"], NUMERICAL_TOLERANCE["abs"]):
            why = (
                "x was changed; put every nudged element back"
                if not row[1]
                else "the values differ from central differences with the same h"
            )
            raise AssertionError(f"numerical_gradient for f = {name}: {why}.")
        print(f"✓ numerical_gradient agrees with gradcheck's central differences for f = {name}")


RELATIVE_CASES = [
    [[1.0, 2.0], [1.0, 2.0]],
    [[1.0], [1.01]],
    [[0.0, 3.0], [0.0, -3.0]],
    [[0.0], [1e-3]],
    [[[2.0, -4.0], [1e-9, 5.0]], [[2.0, -4.0], [2e-9, 5.0]]],
    [[1e6], [1e6 + 1.0]],
]
VERDICT_CASES = [
    (0.5, False),
    (0.0101, True),
    (1e-2, False),
    (5e-3, True),
    (1e-4, False),
    (1e-4, True),
    (3e-6, False),
    (3e-6, True),
    (1e-7, False),
    (1e-9, True),
    (0.0, False),
]  # (relative error, f has a kink there)


def probe_relative_error(relative_error: Callable) -> list:
    """For the grader: your relative_error on each pair of RELATIVE_CASES (or the error's text)."""
    out = []
    for a, b in RELATIVE_CASES:
        try:
            out.append(float(call_student(relative_error, np.array(a), np.array(b), shown="relative_error(a, b)")))
        except (AssertionError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


def _expected_relative_error() -> list:
    """What `probe_relative_error` gives for a right relative_error."""
    return [float(np.max(_relative(np.array(a), np.array(b)))) for a, b in RELATIVE_CASES]


def check_relative_error(relative_error: Callable) -> None:
    """Exercise 2b: relative_error(a, b) is the largest |a − b| / max(|a|, |b|) over the elements (0 where both are 0)."""
    for (a, b), got, want in zip(RELATIVE_CASES, probe_relative_error(relative_error), _expected_relative_error(), strict=True):
        if isinstance(got, str):
            raise AssertionError(got)
        if not agrees(got, want):
            hint = "where both are 0 the error is 0, not nan" if math.isnan(got) else "divide by the larger of |a| and |b|"
            raise AssertionError(f"relative_error({a}, {b}) is not right yet: {hint}, and return the largest over the elements.")
    print(f"✓ relative_error is right on {len(RELATIVE_CASES)} pairs")


def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from coursegrad.gradcheck import relative_error

    return relative_error(a, b)


def probe_verdict(verdict: Callable) -> list:
    """For the grader: your verdict on each (relative error, kink) of VERDICT_CASES (or the error's text)."""
    out = []
    for err, kink in VERDICT_CASES:
        try:
            out.append(call_student(verdict, err, kink, shown=f"verdict({err:g}, kink={kink})"))
        except AssertionError as e:
            out.append(str(e)[:200])
    return out


def _expected_verdict() -> list:
    """What `probe_verdict` gives for a right verdict: gradcheck's words."""
    from coursegrad.gradcheck import verdict as words

    return [words(err, kink) for err, kink in VERDICT_CASES]


def check_verdict(verdict: Callable) -> None:
    """Exercise 2c: verdict(err, kink) says what CS231n's bands say about a relative error, in gradcheck's words."""
    from coursegrad.gradcheck import verdict as words

    for (err, kink), got, want in zip(VERDICT_CASES, probe_verdict(verdict), _expected_verdict(), strict=True):
        if agrees(got, want):
            continue
        if isinstance(got, str) and got.strip() == words(err, not kink) and 1e-7 < err <= 1e-4:
            hint = "between 1e-7 and 1e-4 the answer depends on kink"
        elif err in (1e-2, 1e-4, 1e-7):
            hint = "at a threshold itself, the milder verdict applies (a threshold is the largest error with it)"
        else:
            hint = ""
        called = f"verdict({err:g}, kink={kink})"
        shown = (
            got if isinstance(got, str) and got.startswith(called) else f"{called} returned {got!r:.60}, not the right word yet."
        )
        raise AssertionError(f"{shown} {hint}".rstrip())
    print(f"✓ verdict is right on {len(VERDICT_CASES)} relative errors")


# ---------------------------------------------------------------------------
# Exercise 3: find a planted bug with your gradient check
# ---------------------------------------------------------------------------

GATE_POINTS = {"sigmoid": [0.3], "divide": [3.0, -2.0], "square": [1.5]}
FIX_POINTS = {
    "sigmoid": [[0.3], [-2.0], [1.7]],
    "divide": [[3.0, -2.0], [0.5, 4.0], [-1.5, 0.25]],
    "square": [[1.5], [-0.4], [2.0]],
}


def _central(gate: Callable, Node: type, xs: list, h: float = 1e-5) -> list[float]:
    """Central differences of the gate's output with respect to each input."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((gate(*[Node(x) for x in up]).data - gate(*[Node(x) for x in down]).data) / (2 * h))
    return out


def _gate_error(Node: type, gate: Callable, xs: list) -> float:
    """The largest relative error between the gate's local gradients and central differences."""
    analytic = np.array(gate(*[Node(x) for x in xs]).local_grads, dtype=float)
    return float(np.max(_relative(analytic, np.array(_central(gate, Node, xs)))))


GATE_TOLERANCE = {"rel": 1e-3, "abs": 1e-7}  # central differences with h = 1e-5: about 1e-10 off for a right gate


def hidden_gates(Node: type) -> dict:
    """Gates the worksheet does not show, for the grader's item (one with a planted bug whose relative error
    is not 2): a right answer must compute each one's error, not recall the visible ones'."""

    def cube(x):
        return Node(x.data**3, (x,), (2 * x.data**2,), "³")  # planted: the local gradient is 3x²

    def product(a, b):
        return Node(a.data * b.data, (a, b), (b.data, a.data), "*")

    def exp(x):
        e = math.exp(x.data)
        return Node(e, (x,), (e,), "exp")

    return {"cube": (cube, [1.2]), "product": (product, [0.7, -1.9]), "exp": (exp, [-0.4])}


def _visible_gates(gates: dict) -> dict:
    return {name: (gates[name], xs) for name, xs in GATE_POINTS.items()}


def probe_gate_relative_error(gate_relative_error: Callable, gates: dict) -> list:
    """For the grader: your gate_relative_error(gate, xs) for each (gate, xs) of `gates` (name -> (gate, xs)),
    as a number (or the error's text)."""
    out = []
    for name, (gate, xs) in gates.items():
        try:
            got = call_student(gate_relative_error, gate, list(xs), shown=f"gate_relative_error({name}, {xs})")
            if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.floating, np.integer)):
                raise AssertionError(f"gate_relative_error({name}, {xs}) should return one number, got {type(got).__name__}")
            out.append(float(got))
        except AssertionError as err:
            out.append(str(err)[:200])
    return out


def _expected_gate_relative_error(Node: type, gates: dict) -> list:
    """What `probe_gate_relative_error` gives for a right gate_relative_error (a private gradient check)."""
    return [_gate_error(Node, gate, xs) for gate, xs in gates.values()]


def check_gate_relative_error(gate_relative_error: Callable, Node: type, gates: dict) -> None:
    """Exercise 3a: gate_relative_error(gate, xs) on each provided gate, compared with a private gradient check.
    It never prints the errors it compares (a table of them must not earn the point)."""
    shown = _visible_gates(gates)
    got = probe_gate_relative_error(gate_relative_error, shown)
    for (name, (_, xs)), have, want in zip(shown.items(), got, _expected_gate_relative_error(Node, shown), strict=True):
        if isinstance(have, str):
            raise AssertionError(have)
        if not agrees(have, want, GATE_TOLERANCE["rel"], GATE_TOLERANCE["abs"]):
            raise AssertionError(
                f"gate_relative_error({name}, {xs}) is not right yet: compare backprop's gradients of the gate's inputs "
                "with numerical_gradient's, using your relative_error."
            )
        print(f"✓ gate_relative_error({name}, {xs}) is right")


def _buggy(Node: type, gates: dict) -> str:
    """The gate whose backward rule disagrees with central differences (the planted bug), found by a gradient check."""
    return next(name for name, xs in GATE_POINTS.items() if _gate_error(Node, gates[name], xs) > 1e-2)


def _fixed_problem(fixed_gate: Callable, Node: type, gates: dict, name: str) -> str | None:
    """What is wrong with your fixed gate, checked where the gradient check runs (None: nothing)."""
    for xs in FIX_POINTS[name]:
        out = call_student(fixed_gate, *[Node(x) for x in xs], shown=f"fixed_gate{tuple(xs)}")
        if not hasattr(out, "local_grads") or not close(out.data, gates[name](*[Node(x) for x in xs]).data):
            return f"it should compute the same output as {name} (only the backward rule was wrong)"
        got = list(out.local_grads)
        if len(got) != len(xs) or not close(got, _central(gates[name], Node, xs), rel=1e-6, abs_tol=1e-9):
            return "its local gradients still disagree with central differences: run your gradient check on it"
    return None


def check_fixed_gate(buggy_gate: Any, fixed_gate: Callable, Node: type, gates: dict) -> None:
    """Exercise 3b: the name of the provided gate with the planted bug, and your fixed version of it (fixed_gate)."""
    if type(buggy_gate) is not str or buggy_gate.strip() not in GATE_POINTS:
        raise AssertionError(f"buggy_gate should be one of the names {sorted(GATE_POINTS)} (a string).")
    got, want = [buggy_gate, probe_fixed_gate(fixed_gate, Node, buggy_gate)], _expected_fixed_gate(Node, gates)
    judged: dict[str, str | None] = {
        "buggy_gate": None if agrees(got[0], want[0]) else "buggy_gate: your gradient check says otherwise."
    }
    problem = None
    if not agrees(got[1], want[1]):
        problem = (
            _fixed_problem(fixed_gate, Node, gates, want[0]) if judged["buggy_gate"] is None else "fix the gate named buggy_gate"
        )
    judged["fixed_gate"] = (
        None if problem is None and judged["buggy_gate"] is None else f"fixed_gate: {problem or 'not right yet'}."
    )
    report(judged)


def _expected_fixed_gate(Node: type, gates: dict) -> list:
    """What the item [buggy_gate, probe_fixed_gate(...)] gives for right answers: the gate's name, then per point
    [its output, its right local gradients (central differences)]."""
    name = _buggy(Node, gates)
    return [name, [[gates[name](*[Node(x) for x in xs]).data, *_central(gates[name], Node, xs)] for xs in FIX_POINTS[name]]]


def probe_fixed_gate(fixed_gate: Callable, Node: type, name: Any) -> list:
    """For the grader: [data, local gradients...] of your fixed_gate at the points of the gate `name` (or the error's text)."""
    out = []
    for xs in FIX_POINTS.get(name.strip(), [[0.5]]) if isinstance(name, str) else [[0.5]]:
        try:
            node = call_student(fixed_gate, *[Node(x) for x in xs], shown="fixed_gate(...)")
            out.append([float(node.data), *[float(g) for g in node.local_grads]])
        except (AssertionError, AttributeError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


# ---------------------------------------------------------------------------
# Exercise 4: a two-layer net by hand, affine - tanh - affine - softmax cross-entropy, plus an L2 penalty
# ---------------------------------------------------------------------------

PARTS = {"loss": 1.0, "dW1": 1.0, "db1": 0.5, "dW2": 1.0, "db2": 0.5}  # points per part of the result


def _net_case(seed: int) -> tuple[Any, ...]:
    """A seeded batch and net of seeded sizes, and a penalty strength:
    X (N, D), y (N,), W1 (D, H), b1 (H,), W2 (H, C), b2 (C,), reg (a number in [0.05, 0.5))."""
    rng = np.random.default_rng(seed)
    N, D, H, C = (int(v) for v in rng.integers((2, 1, 2, 2), (7, 5, 6, 5)))
    X, y = rng.normal(size=(N, D)), rng.integers(0, C, size=N)
    W1, b1 = rng.normal(size=(D, H)), rng.normal(size=H) * 0.1
    W2, b2 = rng.normal(size=(H, C)), rng.normal(size=C) * 0.1
    return X, y, W1, b1, W2, b2, float(rng.uniform(0.05, 0.5))


def _net_reference(seed: int) -> dict[str, Any]:
    """The loss (mean softmax cross-entropy + reg/2 · (ΣW1² + ΣW2²)) and the four gradients by the engine's backprop."""
    X, y, *params, reg = _net_case(seed)
    W1, b1, W2, b2 = (Value(p) for p in params)
    loss = softmax_cross_entropy((X @ W1 + b1).tanh() @ W2 + b2, y) + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
    loss.backward()
    return {"loss": float(loss.data), "dW1": W1.grad, "db1": b1.grad, "dW2": W2.grad, "db2": b2.grad}


def _net_result(two_layer_backward: Callable, seed: int) -> dict[str, Any]:
    X, y, W1, b1, W2, b2, reg = _net_case(seed)
    args = (X.copy(), y.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy(), reg)
    result = call_student(two_layer_backward, *args, shown="two_layer_backward(X, y, W1, b1, W2, b2, reg)")
    if type(result) not in (tuple, list) or len(result) != 5:
        raise AssertionError("two_layer_backward should return five things: return loss, dW1, db1, dW2, db2")
    return dict(zip(PARTS, result, strict=True))


NET_TOLERANCE = {"rel": 1e-5, "abs": 1e-8}


def _part_data(name: str, got: Any, seed: int) -> Any:
    """One part of your result as plain data, read as the task asks: the loss one number, each gradient a numpy
    array of its parameter's shape (AssertionError saying what it is instead)."""
    if name == "loss":
        if np.ndim(got) != 0 or np.asarray(got).dtype.kind not in "iuf" or isinstance(got, (bool, np.bool_)):
            raise AssertionError("loss should be one number, the mean over the batch of −log softmax(scores)[y] plus the penalty")
        return float(np.asarray(got))
    shape = _net_reference(seed)[name].shape
    if type(got) is not np.ndarray or got.shape != shape:
        raise AssertionError(f"{name} should be a numpy array of {name[1:]}'s shape {shape}")
    return as_array(name, got, shape).tolist()


def probe_two_layer(two_layer_backward: Callable, seeds: list, part: str) -> list:
    """For the grader: one part (loss, dW1, db1, dW2 or db2) of your result for each seed, as nested lists
    (or the error's text)."""
    out = []
    for seed in seeds:
        try:
            _forbid_engine(two_layer_backward)
            out.append(_part_data(part, _net_result(two_layer_backward, seed)[part], seed))
        except (AssertionError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


def _expected_two_layer(seeds: list, part: str) -> list:
    """What `probe_two_layer` gives for a right two_layer_backward (the engine's backprop, privately)."""
    return [np.asarray(_net_reference(seed)[part], dtype=float).tolist() for seed in seeds]


ENGINE_FORBIDDEN = "two_layer_backward uses coursegrad: the task asks for numpy only (write the backward pass yourself)"


def _forbid_engine(fn: Callable, depth: int = 0, seen: set | None = None) -> None:
    """AssertionError if `fn`, or a function of the notebook it calls, refers to anything from coursegrad."""
    seen = seen if seen is not None else set()
    code = getattr(fn, "__code__", None)
    if code is None or id(code) in seen or depth > 20:
        return
    seen.add(id(code))
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names |= set(c.co_names)
        stack += [k for k in c.co_consts if hasattr(k, "co_names")]
    if "coursegrad" in names:  # imported inside the function
        raise AssertionError(ENGINE_FORBIDDEN)
    scope = getattr(fn, "__globals__", {})
    for name in names:
        value = scope.get(name)
        module = getattr(value, "__name__", "") if inspect.ismodule(value) else getattr(value, "__module__", "")
        if isinstance(module, str) and (module == "coursegrad" or module.startswith("coursegrad.")):
            raise AssertionError(ENGINE_FORBIDDEN)
        if inspect.isfunction(value):
            _forbid_engine(value, depth + 1, seen)


def score_two_layer(two_layer_backward: Callable, seeds: tuple = (0, 1), points: float = 4.0) -> float:
    """Exercise 4: the loss and each gradient, right on every seed's net, earns its share (PARTS); returns the points.

    If your function fails (raises, returns something else than five things, or uses coursegrad) on a net, every part fails.
    """
    judged: dict[str, str | None] = {}
    for name in PARTS:
        got, want = probe_two_layer(two_layer_backward, list(seeds), name), _expected_two_layer(list(seeds), name)
        if agrees(got, want, NET_TOLERANCE["rel"], NET_TOLERANCE["abs"]):
            judged[name] = None
            continue
        text = next((g for g in got if isinstance(g, str)), None)
        judged[name] = text or f"{name}: the shape is right, the values are not yet."
    said = set(judged.values())
    if len(said) == 1 and None not in said and not next(iter(said)).startswith(tuple(PARTS)):
        raise AssertionError(next(iter(said)))  # the function failed (or uses coursegrad): every part fails alike
    return partial_credit(judged, points, weights=dict(PARTS))
