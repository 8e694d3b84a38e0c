"""The backward pass itself: forks, deep graphs, accumulation, seeds, and the record of its steps."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from coursegrad import Rule, Step, Value, backprop, draw, topological_order
from coursegrad.engine import unbroadcast

# ---------------------------------------------------------------------------
# forks: gradients add up where a node is used more than once
# ---------------------------------------------------------------------------


def test_x_times_x():
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    assert x.grad == 6.0  # two contributions of x each: 3 + 3


def test_x_plus_x():
    x = Value(3.0, "x")
    (x + x).backward()
    assert x.grad == 2.0


def test_x_used_three_times():
    x = Value(2.0, "x")
    y = x * x * x + x
    y.backward()
    assert x.grad == 3 * 2.0**2 + 1


def test_diamond():
    """x feeds a and b, which meet again in c: dc/dx = (da/dx)·b + a·(db/dx)."""
    x = Value(0.7, "x")
    a, b = x.tanh(), x.exp()
    c = a * b
    c.backward()
    t, e = math.tanh(0.7), math.exp(0.7)
    assert x.grad == pytest.approx((1 - t * t) * e + t * e, rel=1e-14)
    assert a.grad == pytest.approx(e) and b.grad == pytest.approx(t)


def test_stacked_diamonds():
    """Ten diamonds in a row double the number of paths each time: dy/dx = 2¹⁰."""
    x = Value(1.0, "x")
    y = x
    for _ in range(10):
        y = y * 1.0 + y * 1.0
    y.backward()
    assert x.grad == 2.0**10


def test_array_fork_through_broadcasting():
    """A (3,) vector added to a (2, 3) matrix is used twice per column: its gradient sums over rows."""
    v = Value(np.array([1.0, 2.0, 3.0]))
    M = Value(np.ones((2, 3)))
    (M + v).sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(M.grad, np.ones((2, 3)))


def test_same_input_twice_in_one_gate_records_both_contributions():
    x = Value(3.0, "x")
    y = x * x
    steps: list[Step] = []
    backprop(y, record=steps)
    (step,) = steps
    assert step.inputs == (x, x)
    assert step.contributions == (3.0, 3.0)


# ---------------------------------------------------------------------------
# deep graphs: no recursion
# ---------------------------------------------------------------------------


def test_100000_node_chain_backward_works_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y + x  # a chain of 100,000 "+" nodes, each also using the leaf x
    y.backward()
    assert x.grad == 100_001.0
    assert y.data == pytest.approx(0.5 * 100_001)
    assert len(topological_order(y)) == 100_001
    assert sys.getrecursionlimit() == limit  # nobody raised the limit behind our back


def test_deep_chain_of_unary_ops():
    x = Value(0.3, "x")
    y = x
    for _ in range(20_000):
        y = y.tanh()
    y.backward()
    # d tanh^n(x)/dx = Π (1 - tanh²(y_k)): recompute it independently
    g, v = 1.0, 0.3
    for _ in range(20_000):
        v = math.tanh(v)
        g *= 1 - v * v
    assert x.grad == pytest.approx(g, rel=1e-9)


def test_topological_order_puts_inputs_first_and_each_node_once():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    a = x * y
    b = a + x
    c = b * a
    order = topological_order(c)
    assert len(order) == len({id(n) for n in order}) == 5  # x, y, a, b, c: each once, though x and a are forks
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is c


# ---------------------------------------------------------------------------
# accumulation, reset, zero_grad, +=
# ---------------------------------------------------------------------------


def test_leaves_accumulate_across_backward_calls():
    x, y = Value(2.0, "x"), Value(-3.0, "y")
    f = x * y
    f.backward()
    f.backward()
    assert (x.grad, y.grad) == (-6.0, 4.0)


def test_leaves_shared_by_two_outputs_accumulate_both():
    x = Value(2.0, "x")
    (x * 3.0).backward()
    (x * 5.0).backward()
    assert x.grad == 8.0


def test_interior_nodes_show_only_the_latest_pass():
    x = Value(2.0, "x")
    g = x * 3.0
    h = g * 4.0
    h.backward()
    h.backward()
    assert g.grad == 4.0  # not 8: interior gradients are reset each pass
    assert h.grad == 1.0
    assert x.grad == 24.0  # the leaf accumulated 12 + 12


def test_backward_from_an_interior_node():
    x = Value(2.0, "x")
    g = x * 3.0
    h = g.tanh()
    h.backward()
    x.zero_grad()
    g.backward()
    assert g.grad == 1.0 and x.grad == 3.0


def test_zero_grad_resets_scalars_and_arrays():
    x = Value(2.0, "x")
    w = Value(np.array([[1.0, 2.0]]), "w")
    (x * w).sum().backward()
    assert x.grad != 0.0 and np.any(w.grad != 0)
    x.zero_grad()
    w.zero_grad()
    assert x.grad == 0.0 and isinstance(x.grad, float)
    assert w.grad.shape == (1, 2) and not np.any(w.grad)
    (x * w).sum().backward()
    assert x.grad == 3.0  # a fresh start after zero_grad


def test_a_leaf_as_the_output():
    x = Value(2.0, "x")
    x.backward()
    x.backward()
    assert x.grad == 2.0  # ∂x/∂x = 1, accumulated twice like any leaf


def test_grad_has_the_shape_of_data_before_and_after_backward():
    x = Value(np.ones((2, 3)))
    y = (x * 2.0).sum(axis=0)
    assert x.grad.shape == (2, 3) and y.grad.shape == (3,) and not np.any(y.grad)
    assert not np.shares_memory(x.grad, x.data)  # the gradient is not the data
    y.backward(np.ones(3))
    assert x.grad.shape == (2, 3) and y.grad.shape == (3,)
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_plus_equals_builds_a_new_node():
    x = Value(1.0, "x")
    original = x
    y = Value(2.0, "y")
    x += y
    assert x is not original
    assert original.data == 1.0 and original.op == ""
    assert x.op == "+" and x.inputs == (original, y)
    x.backward()
    assert original.grad == 1.0 and y.grad == 1.0


def test_plus_equals_on_arrays_does_not_mutate_data():
    a = Value(np.array([1.0, 2.0]), "a")
    before = a
    data_before = a.data
    a += 1.0
    a *= 2.0
    np.testing.assert_array_equal(data_before, [1.0, 2.0])
    np.testing.assert_array_equal(before.data, [1.0, 2.0])
    np.testing.assert_array_equal(a.data, [4.0, 6.0])


# ---------------------------------------------------------------------------
# seeds: scalars, single-element arrays, explicit gradients
# ---------------------------------------------------------------------------


def test_backward_of_a_non_scalar_without_a_gradient_raises():
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(ValueError, match=r"shape \(3,\) needs an upstream gradient") as err:
        y.backward()
    assert "out.sum()" in str(err.value)  # says what to do


def test_backward_with_an_explicit_gradient():
    x = Value(np.array([1.0, 2.0, 3.0]))
    y = x * x
    y.backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0, 600.0])  # = Jᵀ g with J = diag(2x)


def test_backward_gradient_may_be_a_list():
    x = Value(np.array([1.0, 2.0]))
    (x * 3.0).backward([1.0, -1.0])
    np.testing.assert_array_equal(x.grad, [3.0, -3.0])


def test_explicit_gradient_for_a_scalar_scales_everything():
    x = Value(2.0)
    (x * x).backward(0.5)
    assert x.grad == 2.0


def test_single_element_array_output_is_seeded_with_one():
    x = Value(np.array([2.0]))
    y = x * 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0])
    np.testing.assert_array_equal(y.grad, [1.0])


def test_wrong_gradient_shape_raises():
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\) but the output has shape \(3,\)"):
        y.backward(np.ones(2))
    with pytest.raises(ValueError, match=r"gradient has shape \(\) but the output has shape \(3,\)"):
        y.backward(1.0)


def test_non_finite_gradient_seed_raises():
    y = Value(np.ones(2)) * 2.0
    with pytest.raises(FloatingPointError, match="not finite"):
        y.backward(np.array([1.0, np.nan]))


# ---------------------------------------------------------------------------
# the record of steps
# ---------------------------------------------------------------------------


def sigmoid_neuron():
    """The lecture's neuron: f = σ(w0·x0 + w1·x1 + w2), as primitive gates."""
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in [(2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")])
    dot = w0 * x0 + w1 * x1 + w2
    f = 1.0 / (1.0 + (-dot).exp())
    return f, (w0, x0, w1, x1, w2)


def test_the_lecture_neuron():
    f, (w0, x0, w1, x1, w2) = sigmoid_neuron()
    f.backward()
    assert f.data == pytest.approx(0.73, abs=0.005)
    assert [round(v.grad, 2) for v in (w0, w1, w2)] == [-0.20, -0.39, 0.20]
    assert [round(v.grad, 2) for v in (x0, x1)] == [0.39, -0.59]


def recorded(root, gradient=None):
    steps: list[Step] = []
    backprop(root, gradient, record=steps)
    return steps


def all_nodes(root):
    return topological_order(root)


def check_record_matches_grads(root, steps, gradient=None):
    nodes = all_nodes(root)
    interior = [n for n in nodes if n.inputs]
    assert [s.index for s in steps] == list(range(len(interior)))
    assert {id(s.node) for s in steps} == {id(n) for n in interior}  # one step per interior node
    # each step's upstream is the node's final gradient (complete when the step is taken)
    for s in steps:
        np.testing.assert_array_equal(s.upstream, s.node.grad)
        assert s.local_grads is s.node.local_grads
        assert s.inputs == s.node.inputs
        for child, local, contribution in zip(s.inputs, s.local_grads, s.contributions, strict=True):
            if child.constant:  # constants get no gradient
                assert contribution is None
                continue
            np.testing.assert_allclose(contribution, unbroadcast(local * s.upstream, child.shape))  # local × upstream
            assert np.shape(contribution) == child.shape
    # every node's gradient is the sum of what the steps sent it (plus the seed at the root)
    received = {id(n): 0.0 for n in nodes}
    for s in steps:
        for child, contribution in zip(s.inputs, s.contributions, strict=True):
            if contribution is not None:
                received[id(child)] = received[id(child)] + contribution
    seed = 1.0 if gradient is None else gradient
    received[id(root)] = received[id(root)] + seed
    for n in nodes:
        np.testing.assert_allclose(received[id(n)], n.grad, rtol=1e-12, atol=1e-15)
    # outputs before inputs: a node's step comes after the steps of every node that uses it
    when = {id(s.node): s.index for s in steps}
    for s in steps:
        for child in s.inputs:
            if child.inputs:
                assert when[id(child)] > s.index


def test_record_of_the_lecture_example():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    steps = recorded(f)
    assert [s.node for s in steps] == [f, q]
    assert steps[0].upstream == 1.0 and steps[0].contributions == (-4.0, 3.0)
    assert steps[1].upstream == -4.0 and steps[1].contributions == (-4.0, -4.0)
    check_record_matches_grads(f, steps)


def test_record_of_the_neuron_matches_the_grads():
    f, _ = sigmoid_neuron()
    check_record_matches_grads(f, recorded(f))


def test_record_with_arrays_broadcasting_and_a_gradient():
    rng = np.random.default_rng(0)
    X, W, b = Value(rng.normal(size=(4, 3)), "X"), Value(rng.normal(size=(3, 2)), "W"), Value(np.zeros(2), "b")
    H = (X @ W + b).tanh()
    out = H * H + H.sum(axis=0)
    G = rng.normal(size=(4, 2))
    steps = recorded(out, G)
    check_record_matches_grads(out, steps, G)


def test_constants_get_no_gradient():
    x = Value(3.0, "x")
    data = np.array([1.0, -2.0])
    f = (x * data).sum() + 2.0
    steps = recorded(f)
    constants = [c for s in steps for c in s.inputs if c.constant]
    assert len(constants) == 2 and not any(np.any(c.grad) for c in constants)
    assert x.grad == -1.0  # the variable still gets its gradient: sum of the data
    data_node = next(c for c in constants if c.shape == (2,))
    step = next(s for s in steps if any(c is data_node for c in s.inputs))
    assert step.contributions[[c is data_node for c in step.inputs].index(True)] is None


def test_record_is_optional_and_is_appended_to():
    x = Value(1.0)
    y = x * 2.0
    steps = [Step(-1, y, 0.0, (), ())]  # something already in the list stays
    backprop(y, record=steps)
    assert len(steps) == 2 and steps[1].index == 1
    backprop(y)  # no record: fine
    assert x.grad == 4.0


# ---------------------------------------------------------------------------
# details of the pass
# ---------------------------------------------------------------------------


def test_no_negative_zero_gradients():
    """relu passes 0 × (negative upstream) = -0.0. Numbers and leaves start at +0, so they show 0, not -0."""
    a = Value(-1.0, "a")
    h = a * 2.0
    z = -h.relu()
    z.backward()
    assert math.copysign(1.0, h.grad) == 1.0 and math.copysign(1.0, a.grad) == 1.0
    A = Value(np.array([-1.0, 2.0]), "A")
    H = A * 2.0
    out = (-(H.relu())).sum()
    out.backward()
    assert "-0" not in repr(A.grad)  # a leaf's gradient: what students print and train with
    # an interior array keeps the -0.0 it was sent (no copy, as in numpy and PyTorch); the displays show 0
    assert np.signbit(H.grad[0]) and H.grad[0] == 0
    assert "-0" not in repr(H) and "[0, -2]" in draw(out).svg


def test_no_array_is_changed_in_place_by_backward():
    """What a user can observe: the gradient arrays and upstream gradient they hold are never changed by a later
    pass or by a fork adding up, the data and the `gradient` passed in stay as they were, and the step-through
    shows 1 as the local gradient of + (the upstream gradient is passed on unchanged)."""
    x = Value(np.array([1.0, -2.0, 3.0]), "x")
    h = x * 2.0
    a, b = h * 1.0, h * 3.0
    s = a + b
    z = s + s  # a fork right after a +: s is sent z's gradient twice
    G = np.array([0.5, -1.0, 2.0])
    given = G.copy()
    trace = []
    backprop(z, G, record=trace)
    np.testing.assert_array_equal(G, given)  # the gradient passed in is unchanged
    plus = next(step for step in trace if step.node is s)
    assert [float(np.mean(g)) for g in plus.local_grads] == [1.0, 1.0]
    np.testing.assert_array_equal(plus.contributions[0], plus.upstream)  # 1 × G = G
    np.testing.assert_array_equal(z.grad, G)
    np.testing.assert_array_equal(s.grad, 2 * G)
    np.testing.assert_array_equal(h.grad, 8 * G)
    np.testing.assert_array_equal(x.grad, 16 * G)
    first = {node: node.grad for node in (x, h, a, b, s, z)}
    copies = {node: g.copy() for node, g in first.items()}
    data = {node: node.data.copy() for node in first}
    z.backward(G)
    for node, g in first.items():
        np.testing.assert_array_equal(g, copies[node])  # the first pass's arrays are untouched
        np.testing.assert_array_equal(node.data, data[node])
    np.testing.assert_array_equal(x.grad, 32 * G)  # the leaf accumulated; interior nodes show the latest pass
    np.testing.assert_array_equal(h.grad, 8 * G)


def test_a_gate_whose_rule_raises_leaves_usable_nodes():
    x = Value(np.array([1.0, 2.0]), "x")
    h = x * 3.0
    broken = Value.from_gate(1.0, (h,), (Rule(lambda G: G @ np.ones((3, 3)), "oops"),), "broken")
    y = broken * 2.0
    with pytest.raises(ValueError):
        y.backward()
    repr(h), repr(x), repr(y)  # every node still prints
    assert isinstance(h.grad, np.ndarray) and h.grad.shape == (2,) and not h.grad.any()  # not reached: zeros
    with pytest.raises(ValueError):  # a new pass starts cleanly and stops at the same gate
        y.backward()
    assert not h.grad.any() and y.grad == 1.0


def test_a_number_as_local_gradient_of_an_array_input_means_every_element():
    x = Value(np.array([1.0, 2.0, 3.0]), "x")
    h = x * 2.0  # an interior array node
    total = Value.from_gate(float(np.sum(h.data)), (h,), (1.0,), "Σ")
    (total * 5.0).backward()
    np.testing.assert_array_equal(h.grad, [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(x.grad, [10.0, 10.0, 10.0])
