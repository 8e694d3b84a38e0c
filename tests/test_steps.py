"""Tests for coursegrad.steps: the step-through of the backward pass is the engine's own record."""

import numpy as np
import pytest

from coursegrad import Value, backprop, numerical_grad
from coursegrad.drawing import fmt
from coursegrad.engine import Step
from coursegrad.steps import BackwardTrace, backward_steps


def lecture_example():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    return q * z, (x, y, z, q)


def sigmoid_neuron():
    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), (w0, w1, w2, x0, x1)


def staged():
    """A staged computation with forks: a is used three times, b twice."""
    a, b = Value(0.7, "a"), Value(-1.3, "b")
    s = (a * b).tanh()
    return s * a + (a - b).sigmoid() * b, (a, b)


def sums_of_contributions(trace: BackwardTrace) -> dict:
    total = {}
    for step in trace:
        for child, c in zip(step.inputs, step.contributions, strict=True):
            if c is not None:  # None: a constant, which gets no gradient
                total[child] = total.get(child, 0.0) + c
    return total


def test_lecture_example_steps():
    f, (x, y, z, q) = lecture_example()
    trace = backward_steps(f)
    assert len(trace) == 2 and list(trace.frames) == [0, 1, 2]
    first, second = trace[1], trace[2]
    assert isinstance(first, Step) and (first.index, second.index) == (0, 1) and trace.totals(1) == (-4.0, 3.0)
    assert list(trace) == [first, second]
    for bad in (0, 3, -1):  # frame 0 is the seed, not a step
        with pytest.raises(IndexError, match="out of range"):
            trace[bad]
    assert first.node is f and first.upstream == 1.0 and first.local_grads == (-4.0, 3.0)
    assert first.contributions == (-4.0, 3.0) and first.inputs == (q, z)
    assert second.node is q and second.upstream == -4.0 and second.contributions == (-4.0, -4.0)
    assert trace.known_after(0) == {f: 1.0}
    assert trace.known_after(1) == {f: 1.0, q: -4.0, z: 3.0}
    assert trace.known_after(2) == {f: 1.0, q: -4.0, z: 3.0, x: -4.0, y: -4.0}
    text = trace.describe(1)
    assert "-12" in text and "upstream gradient 1" in text and "∂out/∂q = -4" in text and "∂out/∂z = 3" in text
    assert "-4 to q" in text and "3 to z" in text
    assert "seed" in trace.describe(0) and trace.describe(2).startswith("step 2 of 2")


def test_backward_steps_is_backward_and_matches_a_fresh_graph():
    for build in (lecture_example, sigmoid_neuron, staged):
        f, leaves = build()
        trace = backward_steps(f)
        g, fresh = build()
        g.backward()
        sums = sums_of_contributions(trace)
        for leaf, twin in zip(leaves, fresh, strict=True):
            assert leaf.grad == pytest.approx(twin.grad, rel=1e-12)  # backward_steps filled .grad like backward()
            assert sums[leaf] == pytest.approx(twin.grad, rel=1e-12)
        final = trace.known_after(len(trace))
        for node, grad in final.items():
            assert grad == pytest.approx(node.grad, rel=1e-12)
        assert final[f] == 1.0


def test_the_steps_follow_the_engine_record_exactly():
    f, _ = sigmoid_neuron()
    record = []
    backprop(f, record=record)
    g, _ = sigmoid_neuron()
    trace = backward_steps(g)
    assert len(trace) == len(record) == 8
    for mine, theirs in zip(trace, record, strict=True):
        assert mine.node.op == theirs.node.op
        assert mine.upstream == pytest.approx(theirs.upstream)
        assert mine.contributions == pytest.approx(theirs.contributions)
    assert [s.index for s in trace] == list(range(8))  # the engine's record, in order


def test_forks_are_flagged_and_running_totals_add_up():
    x = Value(3.0, "x")
    f = x * x + x
    trace = backward_steps(f)
    plus, times = trace[1], trace[2]
    assert [trace.is_fork(c) for c in plus.inputs] == [False, True] and trace.totals(1)[1] == 1.0
    assert [trace.is_fork(c) for c in times.inputs] == [True, True] and trace.totals(2) == (4.0, 7.0)
    assert trace.known_after(1)[x] == 1.0 and trace.known_after(2)[x] == 7.0 == x.grad
    assert "x is used more than once" in trace.describe(2) and "7 so far" in trace.describe(2)
    assert trace.describe(2).count("used more than once") == 1
    d = trace.draw(1)
    assert d.node("x").grad_text == "? + ? + 1 = …"
    assert trace.draw(2).node("x").grad_text == "3 + 3 + 1 = 7"


def test_gradients_shown_match_central_differences():
    cases = [
        (lecture_example, lambda x, y, z: (x + y) * z, (-2.0, 5.0, -4.0)),
        (sigmoid_neuron, lambda a, b, c, p, q: 1 / (1 + np.exp(-(a * p + b * q + c))), (2.0, -3.0, -3.0, -1.0, -2.0)),
        (staged, lambda a, b: np.tanh(a * b) * a + b / (1 + np.exp(-(a - b))), (0.7, -1.3)),
    ]
    for build, f_plain, point in cases:
        f, leaves = build()
        trace = backward_steps(f)
        numeric = numerical_grad(f_plain, *point)
        final = trace.known_after(len(trace))
        last = trace.draw(len(trace))
        for leaf, g in zip(leaves[: len(point)], numeric, strict=True):
            assert final[leaf] == pytest.approx(g, rel=1e-6, abs=1e-9)
            shown = last.node(leaf.label).grad_text.split("= ")[-1]
            assert shown == fmt(g)


def test_leaves_show_only_this_pass():
    f, (x, y, z, q) = lecture_example()
    f.backward()
    f.backward()
    assert x.grad == -8.0  # accumulated, as in PyTorch
    trace = backward_steps(f)
    assert x.grad == -12.0  # backward_steps is one more backward pass
    assert trace.known_after(2)[x] == -4.0  # but the trace shows this pass only
    assert trace.draw(2).node("x").grad_text == "-4"


def test_draw_highlights_the_step_node_and_blanks_what_is_not_known():
    f, (x, y, z, q) = lecture_example()
    trace = backward_steps(f)
    before = trace.draw(0)
    assert not any(n.highlighted for n in before.nodes)
    assert [n.grad_text for n in before.nodes if n.kind == "input"] == ["", "", ""]
    assert before.nodes[-1].grad_text == "1"
    d1 = trace.draw(1)
    assert [n.text for n in d1.nodes if n.highlighted] == ["×"]
    assert d1.node("z").grad_text == "3" and d1.node("q").grad_text == "-4" and d1.node("x").grad_text == ""
    d2 = trace.draw(2)
    assert [n.label for n in d2.nodes if n.highlighted] == ["q"]
    assert d2.node("x").grad_text == "-4" and d2.node("y").grad_text == "-4"
    sizes = {(trace.draw(k).width, trace.draw(k).height) for k in trace.frames}
    assert len(sizes) == 1  # the picture keeps its size from step to step
    assert trace.draw(2).svg == backward_steps(lecture_example()[0]).draw(2).svg


def test_array_graph_steps():
    rng = np.random.default_rng(1)
    W, X = Value(rng.normal(size=(2, 3)), "W"), Value(rng.normal(size=(3, 4)), "X")
    f = (W @ X).relu().sum()
    trace = backward_steps(f)
    assert [s.node.op for s in trace] == ["sum", "relu", "@"]
    assert "[G @ Bᵀ]" in trace.describe(3)
    np.testing.assert_allclose(trace.known_after(3)[W], W.grad)
    (numeric_W,) = numerical_grad(lambda w: np.maximum(w @ X.data, 0).sum(), W.data)
    np.testing.assert_allclose(trace.known_after(3)[W], numeric_W, rtol=1e-6, atol=1e-8)
    assert trace.draw(3).node("W").grad_text == f"rms {fmt(np.sqrt(np.mean(W.grad**2)))}"


def test_bad_input():
    f, _ = lecture_example()
    trace = backward_steps(f)
    for k in (3, -1, 1.0, "0", True):
        with pytest.raises(IndexError, match="out of range"):
            trace.known_after(k)
    with pytest.raises(TypeError, match="needs a Value"):
        backward_steps(1.0)
    with pytest.raises(ValueError, match="upstream gradient"):
        backward_steps(Value(np.ones(3)) * 2)


def test_leaf_root_and_explicit_gradient():
    x = Value(2.0, "x")
    trace = backward_steps(x, 3.0)
    assert len(trace) == 0 and trace.known_after(0) == {x: 3.0} and list(trace.frames) == [0]
    v = Value(np.array([1.0, 2.0]), "v")
    trace = backward_steps(v * 2.0, np.array([1.0, -1.0]))
    np.testing.assert_allclose(trace.known_after(1)[v], [2.0, -2.0])


def test_stepper_on_a_large_graph_shows_the_current_node():
    f = Value(0.0, "x0")
    for i in range(1, 134):
        f = f + Value(float(i), f"x{i}") * 0.5  # 533 nodes
    trace = backward_steps(f)
    assert len(trace) == 266
    for k in (1, 134, 266):
        d = trace.draw(k, max_nodes=30)
        assert len(d.nodes) == 30 and "Large graph: 533 nodes" in d.message
        (current,) = [n for n in d.nodes if n.highlighted]
        assert current.node is trace[k].node
    assert "nearest the highlighted node" in trace.draw(134, max_nodes=30).message
    assert "nearest the output" in trace.draw(1, max_nodes=30).message
