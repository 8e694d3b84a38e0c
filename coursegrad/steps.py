"""The backward pass one step at a time, as the engine takes it.

    >>> from coursegrad import Value
    >>> from coursegrad.steps import backward_steps
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> q = x + y
    >>> f = q * z
    >>> trace = backward_steps(f)
    >>> len(trace)
    2
    >>> print(trace.describe(0))
    before step 1: the output ((x + y) × z) (= -12) gets the seed gradient 1
    >>> print(trace.describe(1))  # doctest: +ELLIPSIS
    step 1 of 2 at ((x + y) × z) (out = -12): upstream gradient 1; local gradients ∂out/∂(x + y) = -4, ∂out/∂z = 3; ...
    >>> print(trace.describe(2))
    step 2 of 2 at (x + y) (out = 3): upstream gradient -4; local gradients ∂out/∂x = 1, ∂out/∂y = 1; sends -4 to x, -4 to y

Steps are numbered as the stepper shows them: 0 is the seed (before any step), step j the
engine's j-th node, up to `len(trace)`; `trace.frames` is that range.

At each step the engine is at one node. Its upstream gradient ∂output/∂node is
complete (every consumer of the node came earlier), and for each input it adds

    contribution = local gradient × upstream gradient

into that input's gradient. A node used by several gates (a *fork*) receives one
contribution from each, and its gradient is their sum.

`backward_steps` runs the engine's own `backprop(root, gradient, record=...)`: the
numbers here are what the engine computed, not a second implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coursegrad.engine import Step, Value, backprop, topological_order
from coursegrad.formatting import summary

__all__ = ["backward_steps", "BackwardTrace"]


class BackwardTrace:
    """The steps of one backward pass: the engine's own `Step` records, numbered as the engine numbers them.

    Step j (1 ≤ j ≤ len(trace)) is the engine at one node, output first; `trace[j]` is its `Step`
    (the engine's record, where it is entry j - 1) and `for step in trace` walks them in order. Frame 0 is the moment before
    step 1, when only the output's seed gradient (1 for a single number) is known. `known_after`,
    `sent_until`, `describe` and `draw` take a frame j in `trace.frames`, which is `range(0, len(trace) + 1)`.
    `trace.totals(j)[i]` is input i's gradient after step j (the running sum of this pass);
    `trace.is_fork(node)` says whether a node is used more than once.
    """

    def __init__(self, root: Value, seed: Any, steps: list[Step]):
        self.root = root
        self.seed = seed
        self._steps = steps
        self.uses: dict[Value, int] = {}
        for node in topological_order(root):
            for child in node.inputs:
                self.uses[child] = self.uses.get(child, 0) + 1
        self._totals = self._running_totals()

    def _running_totals(self) -> list[tuple]:
        """For each step, each input's gradient right after it: the sum of what this pass sent so far."""
        running: dict[Value, Any] = {self.root: self.seed}
        after = []
        for step in self._steps:
            totals = []
            for child, contribution in zip(step.inputs, step.contributions, strict=True):
                if contribution is not None:  # None: a constant, which the engine sends no gradient
                    running[child] = running[child] + contribution if child in running else contribution
                totals.append(running.get(child) if contribution is not None else None)
            after.append(tuple(totals))
        return after

    def totals(self, j: int) -> tuple:
        """Each input's gradient of step j right after that step (None for a constant)."""
        self[j]  # checks j
        return self._totals[j - 1]

    def is_fork(self, node: Value) -> bool:
        """True if `node` is used more than once in the graph (its gradient is a sum of contributions)."""
        return self.uses.get(node, 0) > 1

    # -- a sequence of steps -------------------------------------------------

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, j: int) -> Step:
        """Step j, 1 ≤ j ≤ len(trace) (frame 0, the seed, is no step of the engine)."""
        if not isinstance(j, (int, np.integer)) or isinstance(j, bool) or not 1 <= j <= len(self._steps):
            raise IndexError(
                f"step {j!r} is out of range: steps are numbered 1 to {len(self._steps)} (0 is the seed, not a step)."
            )
        return self._steps[j - 1]

    def __iter__(self):
        return iter(self._steps)

    @property
    def frames(self) -> range:
        """`range(0, len(trace) + 1)`: 0 is "before the first step" (the seed), then every step."""
        return range(0, len(self._steps) + 1)

    def _check(self, j: int) -> None:
        if not isinstance(j, (int, np.integer)) or isinstance(j, bool) or not 0 <= j <= len(self._steps):
            raise IndexError(
                f"step {j!r} is out of range: use 0 (the seed, before the first step) up to {len(self._steps)} (the last step)."
            )

    # -- what is known when ----------------------------------------------------

    def known_after(self, j: int) -> dict:
        """The gradient of every node that has one after steps 1..j (j = 0: only the output's seed).

        Values are the sums of the contributions of this pass (a leaf shows this pass only,
        not what earlier backward calls accumulated into its `.grad`).
        """
        self._check(j)
        known: dict[Value, Any] = {self.root: self.seed}
        for step, totals in zip(self._steps[:j], self._totals, strict=False):
            for child, total in zip(step.inputs, totals, strict=True):
                if total is not None:
                    known[child] = total
        return known

    def sent_until(self, j: int) -> dict:
        """(consumer node, input number) -> the gradient it sent into that input, in steps 1..j."""
        self._check(j)
        return {(step.node, i): c for step in self._steps[:j] for i, c in enumerate(step.contributions) if c is not None}

    # -- for people ------------------------------------------------------------

    def describe(self, j: int) -> str:
        """One line saying what happens at step j (j = 0: the seed)."""
        self._check(j)
        if j == 0:
            root = self.root
            seed = summary(self.seed)
            return f"before step 1: the output {_name(root)} (= {summary(root.data)}) gets the seed gradient {seed}"
        step = self[j]
        names = [_name(child) for child in step.inputs]
        locals_ = ", ".join(f"∂out/∂{n} = {_local_text(g)}" for n, g in zip(names, step.local_grads, strict=True))
        sends = ", ".join(f"{summary(c)} to {n}" for n, c in zip(names, step.contributions, strict=True) if c is not None)
        text = (
            f"step {j} of {len(self)} at {_name(step.node)} (out = {summary(step.node.data)}): "
            f"upstream gradient {summary(step.upstream)}; local gradients {locals_}; sends {sends}"
        )
        known = self.known_after(j)
        for child, n in dict(zip(step.inputs, names, strict=True)).items():  # each input once
            if self.is_fork(child) and known.get(child) is not None:
                text += f"; {n} is used more than once, its gradients add up: {summary(known[child])} so far"
        return text

    def draw(self, j: int, **options):
        """The graph at step j: the current node highlighted, gradients known so far shown, the rest blank.

        j = 0 draws the graph before the first step (only the output's seed is known).
        Other keyword options go to `coursegrad.drawing.draw` (e.g. `title=`, `max_nodes=`).
        """
        from coursegrad.drawing import draw

        self._check(j)
        highlight = self[j].node if j else None
        if "title" not in options:  # titles of nearly equal length: the picture keeps its size from step to step
            options["title"] = f"Backprop step {j} of {len(self)}" if j else f"Backprop: before step 1 of {len(self)}"
        return draw(self.root, highlight=highlight, known=self.known_after(j), sent=self.sent_until(j), **options)

    def __repr__(self) -> str:
        return f"<BackwardTrace of {len(self)} steps from {_name(self.root)}>"


def backward_steps(root: Value, gradient: Any = None) -> BackwardTrace:
    """Run the backward pass from `root` and return its steps (a `BackwardTrace`).

    This *is* `root.backward(gradient)`: the engine fills `.grad` of every node, and
    leaves accumulate as always (call `zero_grad()` on them first to start from 0).
    The trace's own numbers are this pass's only: they come from the engine's record.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value (the output of an expression), got {type(root).__name__}.")
    steps: list[Step] = []
    old = root.grad
    backprop(root, gradient, record=steps)
    seed = steps[0].upstream if steps else root.grad - old  # a lone leaf: what this pass added
    return BackwardTrace(root, seed, steps)


_INFIX = {"+": "+", "*": "×", "-": "−", "/": "/", "@": "@"}


def _name(node: Value | None, depth: int = 3) -> str:
    """A short name for a node: its label, its number (constants), or its expression, e.g. "(x + y)"."""
    from coursegrad.drawing import gate_symbol

    if node is None:
        return ""
    if node.label:
        return node.label
    if not node.inputs:
        return summary(node.data) if node.constant else "input"
    symbol = gate_symbol(node.op)
    if depth > 0:
        parts = [_name(child, depth - 1) for child in node.inputs]
        if node.op in _INFIX and len(parts) == 2:
            text = f"({parts[0]} {_INFIX[node.op]} {parts[1]})"
        elif node.op == "neg":
            text = f"(−{parts[0]})"
        elif node.op.startswith("**"):
            text = f"{parts[0]}{symbol[1:]}" if symbol.startswith("x") else f"{symbol}({parts[0]})"
        else:
            text = f"{symbol}({', '.join(parts)})"
        if len(text) <= 24 and "[" not in text:
            return text
    return f"[{symbol}]"


def _local_text(g: Any) -> str:
    formula = getattr(g, "formula", None)
    return f"[{formula}]" if formula is not None else summary(g)
