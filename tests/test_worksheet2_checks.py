"""Worksheet 2's checks: the right values are right (central differences agree), and each typical mistake gets its hint."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursegrad import numerical_grad
from coursegrad.exercises import write_backprop as K
from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "02_write_backprop.ipynb"


@pytest.fixture(scope="module")
def ns():
    """The worksheet's solution: Node, zero_grad, the provided gates and every answer, run in one namespace."""
    source = read(SOURCE)
    namespace: dict = {}
    for cell in solved(student_version(source), source).cells:
        if cell.cell_type == "code" and not C.is_test(cell):
            exec(compile(cell.source, C.grade_id(cell), "exec"), namespace)
    return namespace


def hint(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as err:
        check(*args, **kwargs)
    return str(err.value)


def _forward(node, leaf_values: dict) -> float:
    """The value of `node` when the leaves in `leaf_values` (by id) take new values: the graph's forward pass again."""
    if id(node) in leaf_values or not node.inputs:  # a leaf, or a node given a new value
        return leaf_values.get(id(node), node.data)
    a = [_forward(i, leaf_values) for i in node.inputs]
    if node.op == "tanh":
        return math.tanh(a[0])
    return a[0] + a[1] if node.op == "+" else a[0] * a[1]


def test_the_checks_judge_the_graphs_by_central_differences(ns):
    """The gradients each check treats as right are central differences' (the checks keep them to themselves)."""
    Node = ns["Node"]
    for case in K.ALL:
        root, nodes = K._graph(Node, case)
        data = [n.data for n in nodes]
        numeric = []
        for node in nodes:  # ∂root/∂node: nudge the node's value and redo the forward pass above it
            numeric.append(numerical_grad(lambda v, n=node, root=root: _forward(root, {id(n): float(v)}), node.data)[0])
        assert not any(K._wrong_gradients(case, data, numeric)), case
        off = list(numeric)
        off[0] += 0.01
        assert K._wrong_gradients(case, data, off) == [True] + [False] * (len(nodes) - 1), case


def _sets_x_grad(value):
    """A 'backprop' that writes `value` into the first node of the chain (and 1 into the root)."""

    def backprop(root):
        root.grad, node = 1.0, root
        while node.inputs:
            node = node.inputs[0]
        node.grad = value

    return backprop


def test_the_long_chain_check_wants_central_differences(ns):
    Node, order = ns["Node"], ns["topological_order"]

    def f(x):
        for _ in range(K.LONG - 1):
            x = math.tanh(x)
        return x

    def mixed(x):
        for i in range(3000):
            x = x * 0.999 if i % 2 else x + 0.001
        return x

    for kind, fn, x0 in (("tanh", f, 0.5), ("mixed", mixed, 0.3)):
        numeric = numerical_grad(fn, x0)[0]
        K.check_long_chain(Node, order, _sets_x_grad(numeric), kind)
        assert "gradient is wrong" in hint(K.check_long_chain, Node, order, _sets_x_grad(numeric * 1.01), kind)
    assert len(K._all_nodes(K._long_chain(Node, "mixed")[1])) == 6001


def _central(f, *arrays, h=1e-5):
    """Central differences of f(*arrays) for each array, in numpy alone (the task forbids coursegrad in answers)."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + h
            up = f(*arrays)
            a[i] = old - h
            down = f(*arrays)
            a[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def test_the_two_layer_check_wants_central_differences(capsys):
    def by_central_differences(X, y, W1, b1, W2, b2, reg):
        def loss(W1, b1, W2, b2):
            S = np.tanh(X @ W1 + b1) @ W2 + b2
            S = S - S.max(axis=1, keepdims=True)
            penalty = 0.5 * reg * (np.sum(W1**2) + np.sum(W2**2))
            return float(np.mean(np.log(np.exp(S).sum(axis=1)) - S[np.arange(len(y)), y])) + penalty

        return (loss(W1, b1, W2, b2), *_central(loss, W1, b1, W2, b2))

    assert K.score_two_layer(by_central_differences, seeds=(0, 1, 2, 3)) == 4.0

    def off(*args):
        loss, dW1, db1, dW2, db2 = by_central_differences(*args)
        return loss, dW1 * 1.01, db1, dW2, db2

    assert K.score_two_layer(off, seeds=(3,)) == 3.0


def test_the_solution_passes_every_check(ns, capsys):
    Node, gates = ns["Node"], {g: ns[g] for g in ("sigmoid", "divide", "square")}
    K.check_topological_order(Node, ns["topological_order"], cases=K.ALL)
    K.check_backprop(Node, ns["backprop"], cases=K.ALL)
    for kind in ("tanh", "mixed"):
        K.check_long_chain(Node, ns["topological_order"], ns["backprop"], kind)
    for case in ("neuron", "diamond", "twice_twice"):
        K.check_second_backward(Node, ns["topological_order"], ns["backprop"], ns["zero_grad"], case)
    K.check_numerical_gradient(ns["numerical_gradient"], names=("square", "cubic", "layer"))
    K.check_relative_error(ns["relative_error"])
    K.check_verdict(ns["verdict"])
    K.check_gate_relative_error(ns["gate_relative_error"], Node, gates)
    K.check_fixed_gate(ns["buggy_gate"], ns["fixed_gate"], Node, gates)
    assert K.score_two_layer(ns["two_layer_backward"], seeds=(0, 1, 2, 3, 4, 5)) == 4.0
    assert "✗" not in capsys.readouterr().out


def test_backward_pass_mistakes_get_their_hints(ns):
    Node, topo = ns["Node"], ns["topological_order"]

    def overwrite(root):
        root.grad = 1.0
        for node in reversed(topo(root)):
            for child, local in zip(node.inputs, node.local_grads, strict=True):
                child.grad = local * node.grad

    def no_seed(root):
        for node in reversed(topo(root)):
            for child, local in zip(node.inputs, node.local_grads, strict=True):
                child.grad += local * node.grad

    def recursive(root, out=None):
        out = [] if out is None else out
        for i in root.inputs:
            recursive(i, out)
        if root not in out:
            out.append(root)
        return out

    assert "must add up (+=), not overwrite (=)" in hint(K.check_backprop, Node, overwrite)
    assert "(the seed)" in hint(K.check_backprop, Node, no_seed)
    assert "a node appears more than once" in hint(K.check_topological_order, Node, lambda r: [r, *r.inputs, r], cases=("chain",))
    assert "comes before one of its inputs" in hint(K.check_topological_order, Node, lambda r: [topo(r)[-2], *topo(r)[:-2], r])
    assert "recursion limit: use a loop" in hint(K.check_long_chain, Node, recursive, ns["backprop"])
    assert "add every contribution exactly once" in hint(K.check_second_backward, Node, topo, overwrite, ns["zero_grad"])


def test_gradient_check_mistakes_get_their_hints(ns):
    def moves_x(f, x, h=1e-5):
        g = ns["numerical_gradient"](f, x, h)
        x += 1.0
        return g

    def forward_difference(f, x, h=1e-5):
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old, f0 = x[i], f(x)
            x[i] = old + h
            g[i] = (f(x) - f0) / h
            x[i] = old
        return g

    assert "x was changed" in hint(K.check_numerical_gradient, moves_x)
    assert "differ from central differences" in hint(K.check_numerical_gradient, forward_difference)
    assert "x's shape" in hint(K.check_numerical_gradient, lambda f, x, h: np.zeros(7))
    with np.errstate(invalid="ignore"):  # 0 / 0 where both are 0: the slip this hint is about
        assert "not nan" in hint(K.check_relative_error, lambda a, b: float(np.max(np.abs(a - b) / np.maximum(abs(a), abs(b)))))
    assert "larger of |a| and |b|" in hint(K.check_relative_error, lambda a, b: float(np.max(np.abs(a - b) / (abs(a) + 1))))

    def strict_edges(e, kink=False):
        return "WRONG" if e >= 1e-2 else "uncomfortable" if e >= 1e-4 else "too high for a smooth f" if e >= 1e-7 else "excellent"

    assert "at a threshold itself" in hint(K.check_verdict, strict_edges)
    from coursegrad.gradcheck import verdict as words

    assert "depends on kink" in hint(K.check_verdict, lambda e, kink=False: words(e))  # kink ignored


def test_verdict_cases_quote_cs231n_in_both_kinds_of_function():
    """Exercise 2(c) asks CS231n's bands, kink or not, and the prose quotes them word for word."""
    from coursegrad.gradcheck import verdict as words

    said = {words(err, kink) for err, kink in K.VERDICT_CASES}
    assert said == {"WRONG", "uncomfortable", "okay at a kink", "too high for a smooth f", "excellent"}
    prose = "\n".join(c.source for c in nbformat.read(SOURCE, as_version=4).cells if c.cell_type == "markdown")
    for quoted in (
        "relative error > 1e-2 usually means the gradient is probably wrong",
        "1e-2 > relative error > 1e-4 should make you feel uncomfortable",
        "1e-4 > relative error is usually okay for objectives with kinks. But if there are no kinks",
        "then 1e-4 is too high.",
        "1e-7 and less you should be happy.",
    ):
        lines = [line.removeprefix("> ").replace("<br>", "") for line in prose.splitlines()]
        assert quoted in " ".join(" ".join(lines).split()), quoted


def test_debugging_mistakes_get_their_hints(ns):
    Node, gates = ns["Node"], {g: ns[g] for g in ("sigmoid", "divide", "square")}
    fixed = ns["fixed_gate"]
    assert "your gradient check says otherwise" in hint(K.check_fixed_gate, "divide", fixed, Node, gates)
    assert "one of the names" in hint(K.check_fixed_gate, "the sigmoid gate", fixed, Node, gates)
    assert "still disagree" in hint(K.check_fixed_gate, "sigmoid", gates["sigmoid"], Node, gates)  # not fixed
    assert "same output as sigmoid" in hint(K.check_fixed_gate, "sigmoid", lambda x: Node(x.data), Node, gates)
    always_zero = lambda gate, xs: 0.0
    assert "gate_relative_error(sigmoid" in hint(K.check_gate_relative_error, always_zero, Node, gates)


def test_the_planted_bug_is_one_reading_misses_and_a_gradient_check_finds(ns):
    """L23: the buggy gate's local gradient has the right sign and the right shape of formula (½(1 − t²) against
    the true ¼(1 − t²)): only the missing factor of the inner x/2. coursegrad.gradcheck fails it (relative error ½);
    the other two gates pass."""
    from coursegrad import Value, gradcheck

    Node, gates = ns["Node"], {g: ns[g] for g in ("sigmoid", "divide", "square")}
    sig = lambda t: 1 / (1 + math.exp(-t))
    fixed = lambda x: Node(sig(x.data), (x,), (sig(x.data) * (1 - sig(x.data)),), "σ")
    K.check_fixed_gate("sigmoid", fixed, Node, gates)  # the check's own (private) gradient check finds the sigmoid
    assert "says otherwise" in hint(K.check_fixed_gate, "divide", fixed, Node, gates)
    for (x,) in K.FIX_POINTS["sigmoid"]:
        (planted,) = gates["sigmoid"](Node(x)).local_grads
        true = math.exp(-x) / (1 + math.exp(-x)) ** 2
        assert planted > 0 and true > 0 and math.isclose(planted, 2 * true, rel_tol=1e-12)

    def as_value_gate(gate):
        return lambda *vs: Value.from_gate(
            gate(*[Node(v.data) for v in vs]).data, vs, gate(*[Node(v.data) for v in vs]).local_grads, "g"
        )

    report = gradcheck(as_value_gate(gates["sigmoid"]), 0.3)
    assert not report.passed and report["x0"].rel_error == pytest.approx(0.5, rel=1e-6)
    assert gradcheck(as_value_gate(gates["divide"]), 3.0, -2.0).passed
    assert gradcheck(as_value_gate(gates["square"]), 1.5).passed
    assert gradcheck(as_value_gate(ns["fixed_gate"]), 0.3).passed


def test_lecture_6s_lines_do_not_solve_exercise_4(capsys):
    """M12: lecture 6's backward (ReLU, no penalty), given the extra argument, earns nothing: the task is not a copy."""

    def lecture_lines(X, y, W1, b1, W2, b2, reg):
        N = len(y)
        z1 = X @ W1 + b1
        h = np.maximum(z1, 0.0)
        scores = h @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(N), y]).mean()
        dscores = p.copy()
        dscores[np.arange(N), y] -= 1.0
        dscores /= N
        dW2, db2 = h.T @ dscores, dscores.sum(axis=0)
        dz1 = (dscores @ W2.T) * (z1 > 0)
        return loss, X.T @ dz1, dz1.sum(axis=0), dW2, db2

    assert "no part is right yet" in hint(K.score_two_layer, lecture_lines, seeds=(0, 1, 2, 3, 4, 5))
    shown = capsys.readouterr().out
    assert all(f"{part}: " in shown for part in ("loss", "dW1", "db1", "dW2", "db2")), shown  # every part is wrong


def test_two_layer_partial_credit_per_part(ns, capsys):
    right = ns["two_layer_backward"]

    def b1_shape_wrong(*args):
        loss, dW1, db1, dW2, db2 = right(*args)
        return loss, dW1, db1[None, :], dW2, db2

    def w2_transposed_values(*args):
        loss, dW1, db1, dW2, db2 = right(*args)
        return loss, dW1, db1, 2 * dW2, db2

    assert K.score_two_layer(b1_shape_wrong) == 3.5
    assert "db1 should be a numpy array of b1's shape" in capsys.readouterr().out
    assert K.score_two_layer(w2_transposed_values) == 3.0
    assert "dW2: the shape is right, the values are not yet" in capsys.readouterr().out
    assert "return loss, dW1, db1, dW2, db2" in hint(K.score_two_layer, lambda *a: right(*a)[:4])
    assert "no part is right yet" in hint(K.score_two_layer, lambda *a: (0.0, *[np.zeros(1)] * 4))
