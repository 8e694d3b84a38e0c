"""coursegrad.efficiency: the sum over paths that backprop factors, and what the two ways of getting a gradient cost."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursegrad import Value, topological_order
from coursegrad.efficiency import count_edges, count_paths, gradient_times, layered_graph, sum_over_paths
from coursegrad.nn import MLP, logistic_loss, toy_dataset


@given(width=st.integers(1, 4), depth=st.integers(1, 5), seed=st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_a_layered_graph_has_width_to_the_depth_paths_and_backprop_gets_their_sum(width, depth, seed):
    x, out = layered_graph(width, depth, seed)
    assert count_paths(out, x) == width**depth  # one unit chosen in every layer
    out.backward()
    total, paths = sum_over_paths(out, x)
    assert paths == width**depth
    assert total == pytest.approx(x.grad, rel=1e-9, abs=1e-12)
    h = 1e-6  # and both are the derivative: central differences on the same graph, x nudged
    up, down = layered_graph(width, depth, seed), layered_graph(width, depth, seed)
    up[0].data, down[0].data = 0.5 + h, 0.5 - h
    assert _value(up[1]) - _value(down[1]) == pytest.approx(2 * h * total, rel=1e-4, abs=1e-10)


def _value(out: Value) -> float:
    """Re-evaluate a graph of numbers from its leaves (the graph stores values computed when it was built)."""
    values = {}
    for node in topological_order(out):
        if not node.inputs:
            values[node] = node.data
        else:
            values[node] = _apply(node, [values[i] for i in node.inputs])
    return values[out]


def _apply(node, args):
    ops = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "tanh": math.tanh}
    return ops[node.op](*args)


def test_the_edges_grow_linearly_with_depth_while_the_paths_multiply():
    edges = [count_edges(layered_graph(3, depth)[1]) for depth in (2, 4, 8, 16)]
    steps = np.diff(edges) / np.diff([2, 4, 8, 16])
    assert len(set(steps.tolist())) == 1, f"edges per extra layer should be constant: {edges}"
    paths = [count_paths(out, x) for x, out in (layered_graph(3, d) for d in (2, 4, 8, 16))]
    assert paths == [3**2, 3**4, 3**8, 3**16]


def test_count_paths_counts_every_wire_of_a_fork_and_skips_constants():
    a = Value(2.0, "a")
    b = a * a + a  # a reaches the output along three wires
    assert count_paths(b, a) == 3
    assert count_edges(b) == 4  # two into ×, two into +
    c = a * 2.0  # the constant 2 is an input, but no gradient goes there
    assert count_edges(c) == 1 and count_paths(c, a) == 1
    assert count_paths(c, Value(1.0)) == 0  # a leaf the output does not depend on


def test_sum_over_paths_refuses_array_graphs():
    W = Value(np.ones((2, 2)))
    with pytest.raises(TypeError, match="graphs of numbers"):
        sum_over_paths((W @ W).sum(), W)


@pytest.mark.parametrize("width, depth", [(0, 2), (2, 0), (2.5, 2), (True, 2), (-1, 3)])
def test_layered_graph_says_what_sizes_it_needs(width, depth):
    with pytest.raises(ValueError, match="whole number >= 1"):
        layered_graph(width, depth)


def test_backprop_beats_central_differences_by_a_factor_that_grows_with_P():
    """Robust thresholds only (speed is measured in benchmarks/): the lecture prints the orders of magnitude."""
    X, y = toy_dataset(32, "moons", seed=0)

    def loss(scores, labels):
        return logistic_loss(scores.reshape(-1), labels)

    small = gradient_times(MLP([2, 4, 4, 1], seed=0), X, y, loss, repeat=15)
    large = gradient_times(MLP([2, 30, 30, 1], seed=0), X, y, loss, repeat=15)
    assert (small.P, large.P) == (37, 1051)
    assert large.backprop < 20 * large.forward, "one backward pass costs a small multiple of a forward pass"
    assert large.ratio > large.P / 10 and large.ratio > 5 * small.ratio
    assert large.central_differences == 2 * large.P * large.forward
    assert large.order_of_magnitude == round(math.log10(large.ratio))


def test_gradient_times_leaves_the_model_as_it_was():
    X, y = toy_dataset(8, "moons", seed=0)
    model = MLP([2, 3, 1], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    gradient_times(model, X, y, lambda s, t: logistic_loss(s.reshape(-1), t), repeat=2)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))
    assert all(not np.any(p.grad) for p in model.parameters())
