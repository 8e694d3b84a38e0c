"""Worksheet 2's checks: write backprop yourself. Each says *what* is wrong with a hint, never the answer.

The graphs the checks build use the worksheet's own `Node` class (passed in), so your
`topological_order` and `backprop` run on exactly the nodes the worksheet describes. The right
values are computed here, privately (functions starting with `_`): the graphs' gradients by
the chain rule written out for each graph, the gradient checks with `coursegrad.gradcheck`,
the two-layer net with the engine. Reading this file tells you how to compute them, which is
what the worksheet asks you to do yourself.

`probe_*` functions run *your* functions on fixed inputs and return what they compute, as
plain lists: the grader compares that with the instructor's solution outside the kernel.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from coursegrad.checking import call_student, close, partial_credit, report
from coursegrad.engine import Value
from coursegrad.gradcheck import gradcheck
from coursegrad.nn import softmax_cross_entropy

LONG = 5000  # nodes in the tanh chain: deeper than Python's recursion limit (1000)

# ---------------------------------------------------------------------------
# Exercise 1: topological order and the backward pass on the mini Node
# ---------------------------------------------------------------------------


def _graph(Node: type, case: str) -> tuple[Any, list]:
    """(root, its nodes in creation order) for one of the graphs below: a case's inputs, not its answer."""
    if case == "chain":  # v = 2·tanh(x) + 1
        x, two, one = Node(0.5), Node(2.0), Node(1.0)
        t = x.tanh()
        u = t * two
        v = u + one
        return v, [x, two, one, t, u, v]
    if case == "diamond":  # d = (2a)·tanh(a): a forks into both factors
        a, two = Node(1.5), Node(2.0)
        b, c = a * two, a.tanh()
        d = b * c
        return d, [a, two, b, c, d]
    if case == "twice":  # b = a + a
        a = Node(-1.2)
        b = a + a
        return b, [a, b]
    if case == "twice_twice":  # c = b + b with b = a + a
        a = Node(0.7)
        b = a + a
        c = b + b
        return c, [a, b, c]
    if case == "neuron":  # o = tanh(w0·x0 + w1·x1 + bias), then o·o (a fork at the output)
        w0, x0, w1, x1, bias = Node(-0.5), Node(1.5), Node(0.8), Node(-2.0), Node(0.3)
        n = w0 * x0 + w1 * x1 + bias
        o = n.tanh()
        s = o * o
        return s, [w0, x0, w1, x1, bias, n, o, s]
    raise ValueError(f"no graph named {case!r}")


def _wrong_gradients(case: str, data: list[float], got: list) -> list[bool]:
    """Per node of `_graph` (whose values were `data`): whether `got`, its .grad, differs from the chain rule's gradient."""
    if case == "chain":
        t = data[3]
        want = [2.0 * (1 - t * t), t, 1.0, 2.0, 1.0, 1.0]
    elif case == "diamond":
        a, b, c = data[0], data[2], data[3]
        want = [c * 2.0 + b * (1 - c * c), c * a, c, b, 1.0]
    elif case == "twice":
        want = [2.0, 1.0]
    elif case == "twice_twice":
        want = [4.0, 2.0, 1.0]
    else:  # the neuron: s = o·o, o = tanh(n)
        w0, x0, w1, x1, o = *data[:4], data[6]
        dn = 2 * o * (1 - o * o)
        want = [dn * x0, dn * w0, dn * x1, dn * w1, dn, dn, 2 * o, 1.0]
    if len(got) != len(want):
        return [True] * len(want)
    return [not close(g, w) for g, w in zip(got, want, strict=True)]


FIRST = ("chain", "diamond")
ALL = ("chain", "diamond", "twice", "twice_twice", "neuron")
_WHAT = {
    "chain": "a chain (no forks)",
    "diamond": "a diamond (a feeds two gates)",
    "twice": "b = a + a",
    "twice_twice": "c = b + b with b = a + a",
    "neuron": "a tanh neuron whose output is squared (o·o)",
}


def _order_problem(order: Any, root: Any) -> str | None:
    """What is wrong with `order` as a topological order of the graph under `root` (None: nothing)."""
    nodes = _all_nodes(root)
    if type(order) is not list:
        return f"it should return a list of nodes, got {type(order).__name__}"
    ids = [id(n) for n in order]
    if len(set(ids)) != len(ids):
        return "a node appears more than once: remember which nodes you have visited"
    missing = [n for n in nodes if id(n) not in set(ids)]
    if missing:
        return f"{len(missing)} node(s) of the graph are missing"
    if len(order) != len(nodes) or not order or order[-1] is not root:
        return "the order should hold exactly the graph's nodes, with the root (the output) last"
    place = {id(n): i for i, n in enumerate(order)}
    if any(place[id(i)] > place[id(n)] for n in order for i in n.inputs):
        return "a node comes before one of its inputs: each node must come after everything it was computed from"
    return None


def check_topological_order(Node: type, topological_order: Callable, cases: tuple = FIRST) -> None:
    """Exercise 1a: topological_order(root) on each graph of `cases` (the visible ones by default)."""
    for case in cases:
        root, _ = _graph(Node, case)
        order = call_student(topological_order, root, shown="topological_order(root)")
        problem = _order_problem(order, root)
        if problem:
            raise AssertionError(f"topological_order on {_WHAT[case]}: {problem}.")
        print(f"✓ topological_order is right on {_WHAT[case]}")


def _per_case(Node: type, cases: list, run: Callable) -> list:
    """`run(root, nodes)` on a fresh graph of each case; a failure gives the text of its error instead."""
    out = []
    for case in cases:
        root, nodes = _graph(Node, case)
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
        return _as_data(order, _labels(_all_nodes(root)))  # every node, also those `_graph` does not name

    return _per_case(Node, cases, run)


def _backprop_problem(Node: type, backprop: Callable, case: str) -> str | None:
    """Run your backprop on a fresh graph; what is wrong with the gradients (None: nothing)."""
    root, nodes = _graph(Node, case)
    data = [n.data for n in nodes]
    call_student(backprop, root, shown="backprop(root)")
    got = [n.grad for n in nodes]
    if any(isinstance(g, bool) or not isinstance(g, (int, float)) for g in got):
        return "every .grad should be a number after backprop"
    if not close(root.grad, 1.0):
        return "the output's own gradient ∂root/∂root should be 1 (the seed)"
    wrong = sum(_wrong_gradients(case, data, got))
    if not wrong:
        return None
    forks = case != "chain"
    if forks and _overwritten(root):
        return "a node used twice gets only one path's gradient: its contributions must add up (+=), not overwrite (=)"
    return f"the gradients of {wrong} node(s) are wrong" + (" (this graph has a fork)" if forks else "")


def _overwritten(root: Any) -> bool:
    """True if, after your backprop, a node used more than once holds one path's contribution instead of their sum:
    what `=` instead of `+=` leaves, whatever the order the nodes were visited in."""
    every = _all_nodes(root)
    parts: dict[int, list[float]] = {}  # each node's contributions, from the gradients your backprop gave its users
    for n in every:
        for i, local in zip(n.inputs, n.local_grads, strict=True):
            parts.setdefault(id(i), []).append(local * n.grad)
    forked = [n for n in every if len(parts.get(id(n), [])) > 1]
    return any(not close(n.grad, sum(parts[id(n)])) and any(close(n.grad, p) for p in parts[id(n)]) for n in forked)


def _all_nodes(root: Any) -> list:
    """Every node `root` depends on, root first (in no particular order: not a topological order)."""
    found, todo = {id(root): root}, [root]
    while todo:
        for i in todo.pop().inputs:
            if id(i) not in found:
                found[id(i)] = i
                todo.append(i)
    return list(found.values())


def check_backprop(Node: type, backprop: Callable, cases: tuple = FIRST) -> None:
    """Exercise 1b: backprop(root) fills every node's .grad, on each graph of `cases`."""
    for case in cases:
        problem = _backprop_problem(Node, backprop, case)
        if problem:
            raise AssertionError(f"backprop on {_WHAT[case]}: {problem}.")
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
        return [*_as_data(order, _labels(_all_nodes(root))), grad]
    except AssertionError as err:
        return [str(err)[:200]]


def check_long_chain(Node: type, topological_order: Callable, backprop: Callable, kind: str = "tanh") -> None:
    """Exercise 1c: a chain of thousands of nodes (deeper than Python's recursion limit)."""
    root, order, grad = _run_long_chain(Node, topological_order, backprop, kind)
    size = len(_all_nodes(root))
    if _order_problem(order, root) is not None:
        n = len(order) if type(order) is list else -1
        raise AssertionError(f"topological_order on a chain of {size} nodes: it returned {n} nodes, not a valid order of all.")
    x, node = _long_chain(Node, kind)
    want = 1.0  # ∂root/∂x along the chain: the product of the local gradients on the way down
    while node is not x:
        want, node = want * node.local_grads[0], node.inputs[0]
    if isinstance(grad, bool) or not isinstance(grad, (int, float)) or not close(grad, want):
        raise AssertionError(f"backprop on a chain of {size} nodes: the first node's gradient is wrong.")
    print(f"✓ topological_order and backprop work on a chain of {size} nodes")


def probe_second_backward(
    Node: type, topological_order: Callable, backprop: Callable, zero_grad: Callable, case: str = "neuron"
) -> list:
    """For the grader: every node's .grad of a graph after backprop, zero_grad(order), backprop again."""
    root, nodes = _graph(Node, case)
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
    data = [n.data for n in _graph(Node, case)[1]]
    if len(got) == 1 and isinstance(got[0], str):
        raise AssertionError(got[0])
    if not all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in got) or any(_wrong_gradients(case, data, got)):
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


def probe_numerical_gradient(numerical_gradient: Callable, names: list) -> list:
    """For the grader: per function, [your gradient as nested lists, was x left unchanged] (or the error's text)."""
    out = []
    for name in names:
        f, x0 = FUNCTIONS[name]
        x = np.array(x0, dtype=float)
        try:
            got = call_student(numerical_gradient, f, x, 1e-5, shown=f"numerical_gradient(f, x, 1e-5) for f = {name}")
            out.append([np.asarray(got, dtype=float).tolist(), bool(np.array_equal(x, np.array(x0)))])
        except (AssertionError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


def check_numerical_gradient(numerical_gradient: Callable, names: tuple = ("square", "cubic")) -> None:
    """Exercise 2a: numerical_gradient(f, x, h) agrees with coursegrad.gradcheck's central differences, x left unchanged."""
    for name, row in zip(names, probe_numerical_gradient(numerical_gradient, list(names)), strict=True):
        if isinstance(row, str):
            raise AssertionError(row)
        got, unchanged = row
        f, x0 = FUNCTIONS[name]
        numeric = gradcheck(f, np.array(x0, dtype=float)).checks[0].numeric
        if np.shape(got) != np.shape(numeric):
            raise AssertionError(f"numerical_gradient for f = {name}: the gradient should have x's shape {np.shape(x0)}.")
        if not unchanged:
            raise AssertionError(f"numerical_gradient for f = {name}: x was changed; put every nudged element back.")
        if not close(got, numeric, rel=1e-5, abs_tol=1e-7):
            raise AssertionError(
                f"numerical_gradient for f = {name}: the values differ from central differences with the same h."
            )
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


def check_relative_error(relative_error: Callable) -> None:
    """Exercise 2b: relative_error(a, b) is the largest |a − b| / max(|a|, |b|) over the elements (0 where both are 0)."""
    for (a, b), got in zip(RELATIVE_CASES, probe_relative_error(relative_error), strict=True):
        if isinstance(got, str):
            raise AssertionError(got)
        want = float(np.max(_relative(np.array(a), np.array(b))))
        if not close(got, want):
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


def check_verdict(verdict: Callable) -> None:
    """Exercise 2c: verdict(err, kink) says what CS231n's bands say about a relative error, in gradcheck's words."""
    from coursegrad.gradcheck import verdict as words

    for err, kink in VERDICT_CASES:
        got = call_student(verdict, err, kink, shown=f"verdict({err:g}, kink={kink})")
        if not isinstance(got, str) or got.strip() != words(err, kink):
            if isinstance(got, str) and got.strip() == words(err, not kink) and 1e-7 < err <= 1e-4:
                hint = "between 1e-7 and 1e-4 the answer depends on kink"
            elif err in (1e-2, 1e-4, 1e-7):
                hint = "at a threshold itself, the milder verdict applies (a threshold is the largest error with it)"
            else:
                hint = ""
            raise AssertionError(f"verdict({err:g}, kink={kink}) returned {got!r:.60}, not the right word yet. {hint}".rstrip())
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


def _versus_central(gate: Callable, Node: type, xs: list, grads: list, error: Any = None) -> bool:
    """Compare `grads` (gradients of the gate's output at `xs`) with central differences, which stay in here.

    With `error` None: whether they agree (to 1e-6); else whether `error` is the largest relative error between them.
    """
    h, numeric = 1e-5, []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        numeric.append((gate(*[Node(x) for x in up]).data - gate(*[Node(x) for x in down]).data) / (2 * h))
    if len(grads) != len(numeric):
        return False
    if error is None:
        return close(list(grads), numeric, rel=1e-6, abs_tol=1e-9)
    number = not isinstance(error, bool) and isinstance(error, (int, float, np.floating))
    want = float(np.max(_relative(np.array(grads, dtype=float), np.array(numeric))))
    return number and close(error, want, rel=1e-3, abs_tol=1e-7)


def unseen_gates(Node: type) -> list[tuple[Callable, list[float]]]:
    """Gates the worksheet never shows, each with a point: a right cube, a tanh whose local gradient is
    1 − t (not 1 − t²) and a product with its local gradients swapped. gate_relative_error must work on
    any gate, so the check and the grader's item try these too: a table of the shown gates' errors fails."""

    def cube(x):
        return Node(x.data**3, (x,), (3 * x.data**2,), "³")

    def tanh_with_a_slip(x):
        t = math.tanh(x.data)
        return Node(t, (x,), (1 - t,), "tanh")

    def swapped_product(a, b):
        return Node(a.data * b.data, (a, b), (a.data, b.data), "*")

    return [(cube, [0.83]), (tanh_with_a_slip, [0.37]), (swapped_product, [1.3, -0.55])]  # no answer shares these points


def check_gate_relative_error(gate_relative_error: Callable, Node: type, gates: dict) -> None:
    """Exercise 3a: gate_relative_error(gate, xs) on each provided gate, and on gates it was never shown
    (`unseen_gates`), compared with a private gradient check."""
    for name, xs in GATE_POINTS.items():
        got = call_student(gate_relative_error, gates[name], list(xs), shown=f"gate_relative_error({name}, {xs})")
        if not _versus_central(gates[name], Node, xs, list(gates[name](*[Node(x) for x in xs]).local_grads), error=got):
            raise AssertionError(
                f"gate_relative_error({name}, {xs}) is not right yet: compare backprop's gradients of the gate's inputs "
                "with numerical_gradient's, using your relative_error."
            )
        print(f"✓ gate_relative_error({name}, {xs}) = {float(got):.2g}")
    for gate, xs in unseen_gates(Node):  # their errors are never printed: the grader compares them
        got = call_student(gate_relative_error, gate, list(xs), shown=f"gate_relative_error on an unseen gate at {xs}")
        if not _versus_central(gate, Node, xs, list(gate(*[Node(x) for x in xs]).local_grads), error=got):
            raise AssertionError(
                "gate_relative_error is not right on a gate it was not shown: it must compute the error of the gate "
                "it is given (backprop through it, numerical_gradient of it, your relative_error), for any gate."
            )
    print("✓ gate_relative_error is right on gates it was not shown")


def probe_gate_relative_error(gate_relative_error: Callable, Node: type, gates: dict) -> list:
    """For the grader: your gate_relative_error(gate, xs) on each provided gate at its GATE_POINTS, then on
    each of `unseen_gates` (whose errors are never printed), each value or the error's text."""
    calls = [(gates[name], xs, f"gate_relative_error({name}, {xs})") for name, xs in GATE_POINTS.items()]
    calls += [(gate, xs, f"gate_relative_error on an unseen gate at {xs}") for gate, xs in unseen_gates(Node)]
    out = []
    for gate, xs, shown in calls:
        try:
            out.append(call_student(gate_relative_error, gate, list(xs), shown=shown))
        except AssertionError as err:
            out.append(str(err)[:200])
    return out


def _fixed_problem(fixed_gate: Callable, Node: type, gates: dict, name: str) -> str | None:
    """What is wrong with your fixed gate, checked where the gradient check runs (None: nothing)."""
    for xs in FIX_POINTS[name]:
        out = call_student(fixed_gate, *[Node(x) for x in xs], shown=f"fixed_gate{tuple(xs)}")
        if not hasattr(out, "local_grads") or not close(out.data, gates[name](*[Node(x) for x in xs]).data):
            return f"it should compute the same output as {name} (only the backward rule was wrong)"
        if not _versus_central(gates[name], Node, xs, list(out.local_grads)):
            return "its local gradients still disagree with central differences: run your gradient check on it"
    return None


def check_fixed_gate(buggy_gate: Any, fixed_gate: Callable, Node: type, gates: dict) -> None:
    """Exercise 3b: the name of the provided gate with the planted bug, and your fixed version of it (fixed_gate)."""
    if type(buggy_gate) is not str or buggy_gate.strip() not in GATE_POINTS:
        raise AssertionError(f"buggy_gate should be one of the names {sorted(GATE_POINTS)} (a string).")
    # the planted bug: the gate whose backward rule disagrees with central differences (a gradient check)
    name = next(
        n
        for n, xs in GATE_POINTS.items()
        if not _versus_central(gates[n], Node, xs, list(gates[n](*[Node(x) for x in xs]).local_grads))
    )
    right = buggy_gate.strip() == name
    judged: dict[str, str | None] = {"buggy_gate": None if right else "buggy_gate: your gradient check says otherwise."}
    problem = _fixed_problem(fixed_gate, Node, gates, name)
    judged["fixed_gate"] = None if problem is None else f"fixed_gate: {problem}."
    report(judged)


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


ENGINE_FORBIDDEN = "two_layer_backward uses coursegrad: the task asks for numpy only (write the backward pass yourself)"


def _forbid_engine(fn: Callable, depth: int = 0, seen: set | None = None) -> None:
    """AssertionError if `fn`, or a function of the notebook it calls, refers to anything from coursegrad."""
    seen = seen if seen is not None else set()
    code = getattr(fn, "__code__", None)
    if code is None or id(code) in seen or depth > 20:
        return
    seen.add(id(code))
    names, codes = set(), [code]
    for c in codes:  # the function's code and every code object nested in it
        names |= set(c.co_names)
        codes += [k for k in c.co_consts if hasattr(k, "co_names")]
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


def _net_result(two_layer_backward: Callable, seed: int) -> dict[str, Any]:
    _forbid_engine(two_layer_backward)  # the task asks for numpy only (metadata.coursegrad.forbid, for the grader)
    X, y, W1, b1, W2, b2, reg = _net_case(seed)
    args = (X.copy(), y.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy(), reg)
    result = call_student(two_layer_backward, *args, shown="two_layer_backward(X, y, W1, b1, W2, b2, reg)")
    if type(result) not in (tuple, list) or len(result) != 5:
        raise AssertionError("two_layer_backward should return five things: return loss, dW1, db1, dW2, db2")
    return dict(zip(PARTS, result, strict=True))


def probe_two_layer(two_layer_backward: Callable, seeds: list, part: str) -> list:
    """For the grader: one part (loss, dW1, db1, dW2 or db2) of your result for each seed, as nested lists."""
    out = []
    for seed in seeds:
        try:
            out.append(np.asarray(_net_result(two_layer_backward, seed)[part], dtype=float).tolist())
        except (AssertionError, TypeError, ValueError) as err:
            out.append(str(err)[:200])
    return out


def _part_problem(name: str, got: Any, want: Any) -> str | None:
    if name == "loss":
        number = np.asarray(got).ndim == 0 and np.asarray(got).dtype.kind in "iuf"
        ok = number and close(got, want, rel=1e-5, abs_tol=1e-8)
        return (
            None
            if ok
            else "loss: not right yet: one number, the mean over the batch of −log softmax(scores)[y] plus the penalty."
        )
    if type(got) is not np.ndarray or got.shape != want.shape:
        return f"{name} should be a numpy array of {name[1:]}'s shape {want.shape}."
    if not close(got, want, rel=1e-5, abs_tol=1e-8):
        return f"{name}: the shape is right, the values are not yet."
    return None


def score_two_layer(two_layer_backward: Callable, seeds: tuple = (0, 1), points: float = 4.0) -> float:
    """Exercise 4: the loss and each gradient, right on every seed's net, earns its share (PARTS); returns the points.

    If your function fails (raises, or returns something else than five things) on any net, every part fails.
    """
    judged: dict[str, str | None] = dict.fromkeys(PARTS)
    for seed in seeds:
        got = _net_result(two_layer_backward, seed)  # a failure fails every part
        X, y, *params, reg = _net_case(seed)
        W1, b1, W2, b2 = (Value(p) for p in params)  # the engine's loss (+ reg/2 · (ΣW1² + ΣW2²)) and gradients
        scores = (X @ W1 + b1).tanh() @ W2 + b2
        loss = softmax_cross_entropy(scores, y) + 0.5 * reg * ((W1 * W1).sum() + (W2 * W2).sum())
        loss.backward()
        want = {"loss": float(loss.data), "dW1": W1.grad, "db1": b1.grad, "dW2": W2.grad, "db2": b2.grad}
        for name in PARTS:
            judged[name] = judged[name] or _part_problem(name, got[name], want[name])
    return partial_credit(judged, points, weights=dict(PARTS))


# ---------------------------------------------------------------------------
# How the grader judges each check outside the kernel (`coursegrad generate` reads this: coursegrad/grading/derive.py)
# ---------------------------------------------------------------------------

_ORDERS = "topological_order"  # judged against the graph's edges (judge.orders_match), not as values
JUDGED = {
    "check_topological_order": {
        "probe": "probe_order({Node}, {topological_order}, {cases})",
        "name": "orders",
        "cases": "cases",
        "compare": _ORDERS,
    },
    "check_backprop": {"probe": "probe_backprop({Node}, {backprop}, {cases})", "name": "gradients", "cases": "cases"},
    "check_long_chain": {
        "probe": "[probe_long_chain({Node}, {topological_order}, {backprop}, kind) for kind in {kind}]",
        "name": "long_chains",
        "cases": "kind",
        "compare": _ORDERS,
    },
    "check_second_backward": {
        "probe": "[probe_second_backward({Node}, {topological_order}, {backprop}, {zero_grad}, case) for case in {case}]",
        "name": "second_pass",
        "cases": "case",
    },
    "check_numerical_gradient": {
        "probe": "probe_numerical_gradient({numerical_gradient}, {names})",
        "name": "numerical",
        "cases": "names",
        "rel": 1e-5,
        "abs": 1e-7,
    },
    "check_relative_error": {"probe": "probe_relative_error({relative_error})", "name": "relative_errors"},
    "check_verdict": {"probe": "probe_verdict({verdict})", "name": "verdicts"},
    "check_gate_relative_error": {
        "probe": "probe_gate_relative_error({gate_relative_error}, {Node}, {gates})",
        "name": "gate_errors",
        "rel": 1e-3,
        "abs": 1e-7,
    },
    "check_fixed_gate": {"probe": "[{buggy_gate}, probe_fixed_gate({fixed_gate}, {Node}, {buggy_gate})]", "name": "fix"},
    "score_two_layer": {
        "probe": "probe_two_layer({two_layer_backward}, {seeds}, {part})",
        "cases": "seeds",
        "parts": PARTS,
        "rel": 1e-5,
        "abs": 1e-8,
        "forbid": {  # what the check refuses in the kernel (`_forbid_engine`), the grader refuses outside it
            "answer": "two_layer_backward",
            "modules": ["coursegrad"],
            "why": "the task asks for numpy only: an answer that uses coursegrad (its engine) earns no points here",
        },
    },
}
