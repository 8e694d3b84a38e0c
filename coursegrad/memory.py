"""What a graph keeps in memory until backward, and checkpointing: recompute instead of store.

To run backward, every node must still hold what its local gradients need: its data and
the arrays of its local gradients (tanh keeps 1 − tanh², a product keeps its inputs).
`graph_bytes(root)` adds up those arrays, each counted once, for every node `root` depends
on: the memory the graph keeps alive as long as `root` is referenced.

A long chain x₀ → x₁ → … → x_L therefore holds L steps' worth of arrays. Checkpointing
keeps only every s-th x (a *checkpoint*) and, during backward, rebuilds one segment of s
steps at a time from its checkpoint, backpropagates through it and drops it:

    memory     ≈ (L/s checkpoints) + (the graph of one segment of s steps)
    evaluations = L (forward) + L − s_last (every segment but the last is computed twice)

`chain_backward(step, x0, params, segment)` runs either way and reports the gradients (the
same both ways), the bytes held at the peak and the number of step evaluations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coursegrad.engine import Value, topological_order

__all__ = ["graph_bytes", "ChainRun", "chain_backward", "sqrt_segment", "tanh_chain", "tanh_step"]

FLOAT_BYTES = 8  # a Python float holds one float64 number


def graph_bytes(root: Value) -> int:
    """Bytes of numbers the graph of `root` keeps for backward: Σ .nbytes over the distinct arrays
    (and 8 per float) held as node data or local gradients by every node `root` depends on.

    An array shared by several nodes (a product keeps its inputs' data) is counted once.
    Gradients are not counted (they exist only after backward) and neither are Python objects'
    own overhead: this counts the numbers, not the bookkeeping.
    """
    if not isinstance(root, Value):
        raise TypeError(f"graph_bytes needs a Value (the output of a computation), got {type(root).__name__}.")
    seen: set[int] = set()
    total = 0
    for node in topological_order(root):
        for held in (node.data, *node.local_grads):
            if isinstance(held, np.ndarray):
                if id(held) not in seen:
                    seen.add(id(held))
                    total += held.nbytes
            elif isinstance(held, float):
                total += FLOAT_BYTES
    return total


@dataclass
class ChainRun:
    """What one backward pass through a chain cost and gave.

    `param_grads[k]` = ∂loss/∂params[k], `x0_grad` = ∂loss/∂x₀, `peak_bytes` the most held at once
    (`graph_bytes` of what is alive plus stored checkpoints), `evaluations` how often `step` ran.
    """

    loss: float
    x0_grad: Any
    param_grads: list
    peak_bytes: int
    evaluations: int
    segment: int
    checkpoints: int = 0
    segment_bytes: list = field(default_factory=list)


def _segments(n_steps: int, segment: int) -> list[range]:
    return [range(start, min(start + segment, n_steps)) for start in range(0, n_steps, segment)]


def _run_segment(step: Callable, x: Value, params: Sequence[Value], steps: range) -> Value:
    for k in steps:
        x = step(x, params[k])
    return x


def _check_chain(x0: Any, params: Sequence[Value], segment: int | None) -> int:
    if not params:
        raise ValueError("chain_backward needs at least one step: params holds one parameter Value per step.")
    if not all(isinstance(p, Value) for p in params):
        raise TypeError("chain_backward: params must be Values (one per step), so their gradients can be read.")
    n = len(params)
    s = n if segment is None else segment
    if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= n:
        raise ValueError(f"chain_backward: segment must be an integer from 1 to {n} (the number of steps), got {segment!r}.")
    return s


def chain_backward(
    step: Callable[[Value, Value], Value],
    x0: Any,
    params: Sequence[Value],
    segment: int | None = None,
    loss: Callable[[Value], Value] = lambda x: x.sum(),
) -> ChainRun:
    """Backprop through x_{k+1} = step(x_k, params[k]), k < L, then loss(x_L), storing a checkpoint every `segment` steps.

    segment None (or L): the plain backward pass, the whole graph is kept. Otherwise the forward
    pass keeps only each segment's input; backward rebuilds each segment (last first) from its
    checkpoint and backpropagates through it with the gradient that arrived at its output.
    Parameter gradients accumulate into `params` (zero them first); the result holds their values.
    """
    s = _check_chain(x0, params, segment)
    for p in params:
        p.zero_grad()
    parts = _segments(len(params), s)
    evaluations = len(params)
    checkpoints, x = [], Value(x0, "x0")
    for part in parts[:-1]:  # forward: keep each segment's input, drop its graph
        checkpoints.append(x.data)
        x = Value(_run_segment(step, x, params, part).data)
    start = x  # a leaf: the input of the last segment, whose graph is kept from the forward pass
    out = loss(_run_segment(step, start, params, parts[-1]))
    stored = sum(c.nbytes if isinstance(c, np.ndarray) else FLOAT_BYTES for c in checkpoints)
    held, value = [graph_bytes(out)], float(out.data)
    out.backward()
    del out  # the last segment's graph is dropped once backward has been through it
    upstream = start.grad
    for part, saved in zip(reversed(parts[:-1]), reversed(checkpoints), strict=True):
        x_in = Value(saved)
        x_out = _run_segment(step, x_in, params, part)  # recompute this segment, then backprop through it
        evaluations += len(part)
        held.append(graph_bytes(x_out))
        x_out.backward(upstream)
        upstream = x_in.grad
        del x_out  # and drop its graph before the next segment is rebuilt
    return ChainRun(
        loss=value, x0_grad=upstream, param_grads=[np.copy(p.grad) if isinstance(p.grad, np.ndarray) else p.grad for p in params],
        peak_bytes=stored + max(held),
        evaluations=evaluations, segment=s, checkpoints=len(checkpoints), segment_bytes=held,
    )  # fmt: skip


def sqrt_segment(n_steps: int) -> int:
    """The segment length near √L that checkpointing theory suggests (memory ∝ L/s + s is least at s = √L)."""
    return max(1, round(math.sqrt(n_steps)))


def tanh_step(x: Value, w: Value) -> Value:
    """One step of the lecture's chain: x → tanh(w · x)."""
    return (x * w).tanh()


def tanh_chain(n_steps: int = 64, width: int = 1000, seed: int = 0) -> tuple[Callable, np.ndarray, list[Value]]:
    """A long chain x_{k+1} = tanh(w_k · x_k): the step, a seeded x₀ of `width` numbers, one weight w_k ≈ 1 per step."""
    if n_steps < 1 or width < 1:
        raise ValueError(f"tanh_chain needs at least one step and one number, got n_steps={n_steps}, width={width}.")
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(width)
    params = [Value(1.0 + 0.1 * rng.standard_normal(), f"w{k}") for k in range(n_steps)]
    return tanh_step, x0, params
