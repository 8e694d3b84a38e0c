"""Why backprop is efficient: the chain rule's sum over paths, which backprop factors, and what each way costs.

The chain rule writes ∂out/∂x as a sum over every path from x to out of the product of the local
gradients along it. In a layered graph the paths multiply layer by layer (width^depth of them), but
backprop visits each edge once: the upstream gradient it computes at a node is shared by every path
through that node. `count_paths` counts the paths, `sum_over_paths` adds them up one by one,
`count_edges` counts the products backprop makes, and `gradient_times` times backprop against
central differences (2P forward passes for P parameters) on a network.

    >>> x, out = layered_graph(width=3, depth=4)
    >>> count_paths(out, x), count_edges(out)
    (81, 85)
    >>> out.backward()
    >>> total, paths = sum_over_paths(out, x)
    >>> paths, bool(abs(total - x.grad) < 1e-12)
    (81, True)
"""

from __future__ import annotations

import math
import numbers
import timeit
from dataclasses import dataclass

import numpy as np

from coursegrad.engine import Value, topological_order

__all__ = ["layered_graph", "count_paths", "count_edges", "sum_over_paths", "GradientTimes", "gradient_times"]


def layered_graph(width: int, depth: int, seed: int = 0) -> tuple[Value, Value]:
    """(x, out): input x, then `depth` layers of `width` units tanh(Σ w·unit of the layer before), out = Σ last layer.

    The weights are fixed numbers (constants, not parameters), so the only input with a gradient is x.
    """
    for what, n in (("width", width), ("depth", depth)):
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"layered_graph: {what} must be a whole number >= 1, got {n!r}.")
    rng = np.random.default_rng(seed)
    x = Value(0.5, label="x")
    layer = [x]
    for _ in range(depth):
        weights = rng.standard_normal((width, len(layer))) / math.sqrt(len(layer))
        layer = [_weighted_sum(row, layer).tanh() for row in weights]
    return x, _weighted_sum(np.ones(width), layer)


def _weighted_sum(weights: np.ndarray, units: list[Value]) -> Value:
    total = float(weights[0]) * units[0]
    for w, unit in zip(weights[1:], units[1:], strict=True):
        total = total + float(w) * unit
    return total


def count_paths(root: Value, leaf: Value) -> int:
    """The number of paths from `leaf` to `root` in the graph (each node's count is the sum of its inputs')."""
    paths: dict[Value, int] = {}
    for node in topological_order(root):
        paths[node] = 1 if node is leaf else sum(paths[child] for child in node.inputs)
    return paths[root]


def count_edges(root: Value) -> int:
    """The edges backprop sends a gradient along: one per (node, input that is not a constant)."""
    return sum(not child.constant for node in topological_order(root) for child in node.inputs)


def sum_over_paths(root: Value, leaf: Value) -> tuple[float, int]:
    """(∂root/∂leaf, number of paths), adding up the product of the local gradients along every path, one by one.

    For graphs of numbers only. Its cost grows with the number of paths, which is the point:
    backprop gets the same sum in one visit per edge.
    """
    total, paths = 0.0, 0
    stack = [(root, 1.0)]
    while stack:
        node, product = stack.pop()
        if node is leaf:
            total, paths = total + product, paths + 1
            continue
        for child, local in zip(node.inputs, node.local_grads, strict=True):
            if child.constant:
                continue
            if not isinstance(local, numbers.Real):
                raise TypeError("sum_over_paths: only graphs of numbers (not arrays) are supported.")
            stack.append((child, product * float(local)))
    return total, paths


@dataclass
class GradientTimes:
    """What one gradient of a network's loss with respect to its P parameters costs, in seconds, both ways."""

    P: int
    forward: float  # one forward pass (the loss)
    backprop: float  # one forward and one backward pass

    @property
    def central_differences(self) -> float:
        """2P forward passes: one nudge up and one down for each parameter."""
        return 2 * self.P * self.forward

    @property
    def ratio(self) -> float:
        """How many times as long central differences take as backprop."""
        return self.central_differences / self.backprop

    @property
    def order_of_magnitude(self) -> int:
        """The ratio rounded to a power of ten: k for about 10^k."""
        return round(math.log10(self.ratio))


def gradient_times(model, X, y, loss, repeat: int = 51) -> GradientTimes:
    """Time one forward pass of `loss(model(X), y)`, and one forward plus backward pass: each the fastest of `repeat`.

    Single passes, alternated: on a busy machine most of them still run undisturbed, and the fastest
    is the cost of the computation itself. Central differences take 2P forward passes.
    """
    params = model.parameters()

    def forward():
        return loss(model(X), y)

    def backprop_once():
        model.zero_grad()
        forward().backward()

    backprop_once()  # the first call of anything is slower (caches, imports): not counted
    best_forward = best_backprop = math.inf
    for _ in range(repeat):
        best_forward = min(best_forward, timeit.timeit(forward, number=1))
        best_backprop = min(best_backprop, timeit.timeit(backprop_once, number=1))
    model.zero_grad()
    return GradientTimes(sum(p.data.size for p in params), best_forward, best_backprop)
