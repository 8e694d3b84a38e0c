"""Draw the computational graph behind a `Value`, the way the lecture's figures do.

    >>> from coursegrad import Value
    >>> from coursegrad import draw
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> picture = draw(f)          # shows itself in JupyterLab; picture.save("f.svg") writes a file
    >>> picture.node("x").grad_text
    '-4'

Inputs are on the left and the output on the right. Every operation is one gate
(a circle with its symbol: +, ×, exp, σ, ...), inputs are boxes with their label,
constants are dashed grey boxes with their number. Each wire carries two numbers:

* the forward **value** above the wire (upright, black), and
* the **gradient** ∂output/∂value below it (italic, vermilion).

Where a value feeds several gates (a *fork*) its wire splits at a dot, and the
gradient below it is written as the sum of what each branch sends back
(e.g. ``-4 + 3 = -1``): gradients add up at forks.

The picture is plain SVG made here, in Python, with no system program (`.save("f.png")`
draws a PNG copy with matplotlib). This module writes the texts on each node and wire; `layout.place`
places the graph (a pure function of kinds and texts, no Value) and `svg.render` writes it. The layout is a
small layered ("Sugiyama") layout: the column of a gate is the longest path from the inputs, inputs
sit in the first column (in graphs of more than 30 nodes each node sits just left of the gate that
uses it, which keeps wires short), nodes in a column are ordered to reduce crossings (barycenter sweeps), and the
same graph always gives the same bytes. Graphs larger than `max_nodes` are drawn in a compact
form: the part nearest the output (or the highlighted node), with a message saying so.

The package exports `draw` as `coursegrad.draw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coursegrad.describe import alt_metadata, describe_drawing, drawing_title, image_html, with_text_alternative
from coursegrad.engine import Value, topological_order, unbroadcast
from coursegrad.formatting import fmt, summary, superscript
from coursegrad.layout import COMMUTATIVE, GRAD_SIZE, MAX_WIDTH, Graph, LayoutNode, place, text_width
from coursegrad.rasterise import svg_to_png
from coursegrad.svg import HIGHLIGHT_CLASS, Box, NodeTexts, render

__all__ = ["draw", "GraphDrawing", "DrawnNode", "DrawnWire", "Box", "fmt", "summary", "gate_symbol"]
__all__ += ["HIGHLIGHT_CLASS", "MAX_WIDTH"]  # from svg and layout, for tests and widgets

# ---------------------------------------------------------------------------
# Text for numbers and gates
# ---------------------------------------------------------------------------


_SYMBOLS = {
    "+": "+",
    "*": "×",
    "-": "−",
    "neg": "−",
    "/": "÷",
    "@": "@",
    "sum": "Σ",
    "T": "ᵀ",
    "[]": "[ ]",
    "σ": "σ",
}


def gate_symbol(op: str) -> str:
    """The symbol drawn in a gate: '*' -> '×', '**2' -> 'x²', 'sum' -> 'Σ'; other names as they are."""
    if op in _SYMBOLS:
        return _SYMBOLS[op]
    if op.startswith("**"):
        n = op[2:]
        if n == "-1":
            return "1/x"
        if n == "0.5":
            return "√x"
        return "x" + superscript(n) if all(c in "0123456789-." for c in n) else "x^" + n
    return op if len(op) <= 8 else op[:7] + "…"


def _sum_text(terms: list, total: Any) -> str:
    """A fork's gradient as a sum, e.g. "3 + 3 + 1 = 7" or "0.5 - 0.2 = 0.3" ("?" for a term not known yet)."""
    text = "?" if terms[0] is None else fmt(terms[0])
    for t in terms[1:]:
        if t is None:
            text += " + ?"
        else:
            t = fmt(t)
            text += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return f"{text} = {fmt(total) if total is not None else '…'}"


def _is_zero(g: Any) -> bool:
    return not np.any(g)


# ---------------------------------------------------------------------------
# What was drawn (for tests and widgets: no need to parse the SVG)
# ---------------------------------------------------------------------------


@dataclass
class DrawnNode:
    """One drawn node: `kind` is "input", "constant" or "gate"; `text` is what is written in its shape.

    `value_text` / `grad_text` are the labels on its outgoing wire ("" when blank);
    `index` is its position in topological order (inputs first). `node` is the Value itself.
    `order` is the number on its tag with `draw(order=True)`: when the backward pass visits it.
    """

    index: int
    kind: str
    text: str
    label: str
    value_text: str
    grad_text: str
    fork: bool
    highlighted: bool
    x: float
    y: float
    node: Value = field(repr=False, compare=False)
    order: int | None = None  # draw(order=True): when the backward pass visits this node (1 = the output)


@dataclass
class DrawnWire:
    """A wire from node `source` into input number `slot` of node `target` (both are DrawnNode indices)."""

    source: int
    target: int
    slot: int


class GraphDrawing:
    """A drawn computational graph: `.svg` text, `.nodes` (DrawnNode list), `.wires`, `.boxes`, `.message`.

    Displays itself in Jupyter (SVG, a PNG copy, and for JupyterLab an HTML `<img>` with the description as
    its alt text); `.save("f.svg")` writes the file.
    """

    def __init__(
        self,
        svg: str,
        nodes: list[DrawnNode],
        wires: list[DrawnWire],
        width: int,
        height: int,
        message: str = "",
        texts: list[str] | None = None,
        boxes: list[Box] | None = None,
        title: str | None = None,
    ):
        self._texts = list(texts or [])
        self.boxes = list(boxes or [])
        # Jupyter shows SVG only in trusted notebooks; a notebook someone else ran (like the lectures
        # as downloaded) is untrusted until re-run, so the inline display carries a PNG copy too.
        self._png_scale: float | None = 1.0
        self.nodes = nodes
        self.wires = wires
        self.width = width
        self.height = height
        self.message = message
        self.title = title
        # What the picture shows, in words (coursegrad.describe): the SVG's <title>/<desc>, the PNG's alt text.
        self.description = describe_drawing(self)
        self.svg = with_text_alternative(svg, drawing_title(title), self.description)

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_png_(self) -> tuple[bytes, dict] | None:
        return (self.png(self._png_scale), alt_metadata(self.alt_text)) if self._png_scale else None

    def _repr_html_(self) -> str:
        """What JupyterLab shows (it prefers HTML): the SVG as an `<img>` whose alt text says the graph."""
        return image_html(self.svg.encode("utf-8"), "image/svg+xml", self.alt_text)

    @property
    def alt_text(self) -> str:
        """The drawing's title (if any) and description: the alt text of its displayed images."""
        return f"{drawing_title(self.title)}. {self.description}" if self.title else self.description

    def with_png(self, scale: float = 1.0) -> GraphDrawing:
        """The same drawing, displayed with a PNG copy of `scale` × the size beside the SVG (None: SVG only).

        JupyterLab shows SVG only in trusted notebooks; a notebook opened from a file someone else ran
        shows "Cannot display an untrusted SVG" until its cells are re-run, but shows a PNG. Drawing the
        PNG takes matplotlib about 0.3 s; slider explorers use `.svg` directly and never pay for it.
        """
        copy = GraphDrawing(self.svg, self.nodes, self.wires, self.width, self.height, self.message, self._texts, self.boxes)
        copy.title = self.title
        copy._png_scale = scale
        return copy

    def save(self, path: str | Path, scale: float = 2.0) -> Path:
        """Write the picture to `path`: an .svg file, or a .png (drawn with matplotlib, `scale` × the size)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.svg, encoding="utf-8")
        elif suffix == ".png":
            path.write_bytes(self.png(scale))
        else:
            raise ValueError(f"save() writes .svg or .png files; got {path.name!r}. Use a name ending in .svg or .png.")
        return path

    def png(self, scale: float = 1.0) -> bytes:
        """The picture as PNG bytes, drawn with matplotlib (no system program needed)."""
        return svg_to_png(self.svg, scale)

    def node(self, text: str) -> DrawnNode:
        """The drawn node whose label or gate text is `text` (e.g. "x" or "×"); the first one if several."""
        for n in self.nodes:
            if text in (n.label, n.text):
                return n
        raise KeyError(f"no drawn node is labelled {text!r}; drawn: {[n.label or n.text for n in self.nodes]}")

    @property
    def texts(self) -> list[str]:
        """Every piece of text in the picture (node texts, labels, wire labels, messages), in drawing order."""
        return list(self._texts)

    def __repr__(self) -> str:
        names = [n.label or n.text for n in self.nodes if n.kind == "input"]
        shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
        extra = f"; {self.message}" if self.message else ""
        return f"<GraphDrawing of {len(self.nodes)} nodes (inputs: {shown}), {self.width}×{self.height} px{extra}>"


# ---------------------------------------------------------------------------
# draw()
# ---------------------------------------------------------------------------


def draw(
    root: Value,
    *,
    title: str | None = None,
    highlight: Value | None = None,
    known: dict | None = None,
    show_grad: bool = True,
    max_nodes: int = 60,
    sent: dict | None = None,
    order: bool = False,
) -> GraphDrawing:
    """Draw the graph behind `root` with each wire's value (above) and gradient (below).

    - `title`: a line of text above the graph.
    - `highlight`: a node to mark (thick outline, a ring and a ▼ marker), e.g. the current step of backprop.
    - `known`: a dict node -> gradient to show instead of `node.grad`; nodes missing from it get a blank
      gradient. Without it the drawing shows `.grad` (blank everywhere if `root.backward()` was not called).
    - `show_grad=False` draws values only.
    - `max_nodes`: a larger graph is drawn in a compact form: the `max_nodes` nodes nearest the output,
      with "⋯" where inputs were left out, and a message saying so.
    - `sent`: dict (consumer node, input number) -> the gradient that consumer sent into that input, used
      to write a fork's gradient as a sum (the stepper passes what the engine recorded).
    - `order=True` writes on every gate, in a small dark tag at its top right, the order in which the
      backward pass visits it: 1 is the output, then each gate once every gate that uses it has sent
      its gradient back. Leaves and constants get no number (the pass visits gates; leaves only receive).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value (the output of an expression), got {type(root).__name__}.")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}.")
    if known is not None and not isinstance(known, dict):
        raise TypeError(f"known must be a dict mapping nodes to gradients, got {type(known).__name__}.")
    nodes, message = select_nodes(root, max_nodes, highlight)
    if highlight is not None and not any(n is highlight for n in nodes):
        raise ValueError("highlight must be a node of the drawn graph (a Value that the output depends on).")
    visits = backward_visit_order(root) if order else {}
    return _Picture(root, nodes, title, highlight, known, show_grad, sent, message, visits).render()


def backward_visit_order(root: Value) -> dict[Value, int]:
    """gate -> when the backward pass visits it: 1 for the output, then in the order `backprop` walks.

    Only gates (nodes made by an operation) are visited: leaves only receive gradients, and
    constants not even that, so neither gets a number.
    """
    visited = [node for node in reversed(topological_order(root)) if node.inputs]
    return {node: k for k, node in enumerate(visited, start=1)}


def drawing_order(root: Value) -> list[Value]:
    """Every node behind `root`, each after its inputs, first inputs first: x, y, x + y, z, (x + y)·z.

    (The engine's depth-first walk, `topological_order`, on the mirror image of the graph: with each
    node's inputs reversed it walks the first input first. The numbering depends only on the graph.)
    """
    return topological_order(root, first_input_first=True)


def select_nodes(root: Value, max_nodes: int, focus: Value | None = None) -> tuple[list[Value], str]:
    """The nodes to draw, inputs first: all of them, or for a large graph the `max_nodes` nearest the
    output (or, if the highlighted node `focus` is not among those, the ones nearest `focus`)."""
    order = drawing_order(root)
    if len(order) <= max_nodes:
        return order, ""
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for child in node.inputs:
            consumers.setdefault(child, []).append(node)
    chosen = _nearest(root, max_nodes, lambda node: node.inputs)
    where = "the output"
    if focus is not None and focus not in chosen and focus in consumers:
        chosen = _nearest(focus, max_nodes, lambda node: node.inputs + tuple(consumers.get(node, ())))
        where = "the highlighted node"
    message = (
        f"Large graph: {len(order)} nodes. Showing the {len(chosen)} nearest {where}; "
        "⋯ marks wires to nodes left out (draw a smaller expression or pass max_nodes=…)."
    )
    return [n for n in order if n in chosen], message


def _nearest(start: Value, count: int, neighbours) -> dict:
    """Breadth first from `start`: the first `count` nodes reached (a dict keeps their order)."""
    chosen = {start: None}
    frontier = [start]
    while frontier and len(chosen) < count:
        nxt = []
        for node in frontier:
            for other in neighbours(node):
                if other not in chosen and len(chosen) < count:
                    chosen[other] = None
                    nxt.append(other)
        frontier = nxt
    return chosen


class _Picture:
    """What is written on each node and wire of one drawing: `render` hands the graph to `layout.place`
    and the placement with these texts to `svg.render`. Every list is in a fixed order (same bytes)."""

    def __init__(self, root, nodes, title, highlight, known, show_grad, sent, message, visits):
        self.root = root
        self.nodes = nodes
        self.title = title
        self.highlight = highlight
        self.known = known
        self.show_grad = show_grad
        self.sent = sent
        self.message = message
        self.visits: dict[Value, int] = visits  # node -> its number in the backward pass (draw(order=True))
        self.index = {n: i for i, n in enumerate(nodes)}  # Values hash by identity
        self.edges = [(self.index[u], i, s) for i, v in enumerate(nodes) for s, u in enumerate(v.inputs) if u in self.index]
        self.consumers: list[list[tuple[int, int]]] = [[] for _ in nodes]
        for u, v, s in self.edges:
            self.consumers[u].append((v, s))
        self.grads_on = show_grad and (known is not None or not _is_zero(root.grad))

    def graph(self) -> Graph:
        """The graph as the layout sees it: kinds, texts and wires, no Values."""
        nodes = []
        for i, v in enumerate(self.nodes):
            wire = self.kind(v) != "constant"  # a constant's wire carries no labels
            grads = (
                (self.grad_text(i), self.grad_text(i, final=True), self.widest_fork_text(i)) if wire and self.show_grad else ()
            )
            nodes.append(LayoutNode(self.kind(v), self.box_text(v), len(v.inputs), v.op in COMMUTATIVE,
                                    self.value_text(v) if wire else "", grads))  # fmt: skip
        return Graph(
            tuple(nodes), tuple(self.edges), self.title or "", self.message, self.legend_note(), self.index.get(self.root)
        )

    def texts(self) -> list[NodeTexts]:
        """What is written on each node: its label, the value and gradient on its wire, highlight and order."""
        out = []
        for i, v in enumerate(self.nodes):
            wire = self.kind(v) != "constant"
            grad = self.grad_text(i) if wire and self.show_grad else ""
            label = v.label if self.kind(v) == "gate" else ""
            out.append(NodeTexts(label, self.value_text(v) if wire else "", grad, v is self.highlight, self.visits.get(v)))
        return out

    def render(self) -> GraphDrawing:
        placement = place(self.graph())
        texts = self.texts()
        svg, canvas = render(placement, texts, self.show_grad)
        drawn = [
            DrawnNode(i, kind=n.kind, text=n.text, label=v.label, value_text=t.value, grad_text=t.grad,
                      fork=len(placement.graph.consumers[i]) > 1, highlighted=t.highlighted,
                      x=round(placement.centre(i)[0], 1), y=round(placement.centre(i)[1], 1), node=v, order=t.order)
            for i, (v, n, t) in enumerate(zip(self.nodes, placement.graph.nodes, texts, strict=True))
        ]  # fmt: skip
        wires = [DrawnWire(u, v, s) for u, v, s in self.edges]
        size = (placement.width, placement.height)
        return GraphDrawing(svg, drawn, wires, *size, self.message, canvas.texts, canvas.boxes, self.title)

    # -- text on wires ----------------------------------------------------

    def kind(self, v: Value) -> str:
        if v.inputs:
            return "gate"
        return "constant" if v.constant else "input"

    def box_text(self, v: Value) -> str:
        k = self.kind(v)
        if k == "gate":
            return gate_symbol(v.op)
        if k == "constant":
            return summary(v.data) if np.size(v.data) <= 3 else f"{tuple(np.shape(v.data))}"
        return v.label or "input"

    def grad_of(self, v: Value, final: bool = False) -> Any:
        """The gradient to show for v, or None for a blank."""
        if not self.grads_on and not final:
            return None
        if self.known is not None and not final:
            return self.known.get(v)
        return v.grad

    def fork_terms(self, i: int, final: bool = False) -> list | None:
        """What each consumer sends back into fork node i (None where not known yet), or None if not a scalar fork."""
        v = self.nodes[i]
        if len(self.consumers[i]) < 2 or not isinstance(v.data, float):
            return None
        terms = []
        for c, s in self.consumers[i]:
            consumer = self.nodes[c]
            if self.sent is not None and not final:
                terms.append(self.sent.get((consumer, s)))
            else:  # what the engine's chain rule sends from the consumer's gradient of the latest pass
                terms.append(unbroadcast(consumer.local_grads[s] * consumer.grad, ()))  # local × upstream
        return terms

    def grad_text(self, i: int, final: bool = False) -> str:
        v = self.nodes[i]
        g = self.grad_of(v, final)
        if g is None:
            return ""
        terms = self.fork_terms(i, final)
        if terms is not None and not any(t is None for t in terms) and math.isclose(sum(terms), float(g), abs_tol=1e-12):
            return _sum_text(terms, g)
        if terms is not None and any(t is not None for t in terms) and self.sent is not None and not final:
            return _sum_text(terms, None)
        return summary(g, shape=False)  # an array's gradient has the shape of its value, written above

    def widest_fork_text(self, i: int) -> str:
        """The longest text a fork's gradient can take in any step (so the layout never moves between steps)."""
        terms = self.fork_terms(i, final=True)
        if terms is None:
            return ""

        def wider(a: str, b: str) -> str:
            return a if text_width(a, GRAD_SIZE) >= text_width(b, GRAD_SIZE) else b

        known = _sum_text(terms, self.nodes[i].grad).split(" = ")[0]
        pieces = [wider(fmt(terms[0]), "?")]
        for t in terms[1:]:
            t = fmt(t)
            pieces.append(wider(f" - {t[1:]}" if t.startswith("-") else f" + {t}", " + ?"))
        total = wider(fmt(self.nodes[i].grad), "…")
        return wider("".join(pieces), known) + " = " + total

    def value_text(self, v: Value) -> str:
        return summary(v.data)

    def legend_note(self) -> str:
        if not self.show_grad:
            return "value above the wire"
        note = "value above the wire · gradient ∂out/∂value below (italic)"
        if self.known is not None:
            note += " · blank: not known yet"
        elif not self.grads_on:
            note += " · call .backward() to see gradients"
        if any(len(c) > 1 for c in self.consumers):
            note += " · ● fork: gradients add up"
        if self.visits:
            note += " · tag: order of the backward pass"
        return note
