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
draws a PNG copy with matplotlib). The layout is a small layered ("Sugiyama") layout: the
column of a gate is the longest path from the inputs, inputs sit in the first column (in
graphs of more than 30 nodes each node sits just left of the gate that uses it, which keeps
wires short), nodes in a column are ordered to reduce crossings (barycenter sweeps), and the
same graph always gives the same bytes. Graphs larger than `max_nodes` are drawn in a compact
form: the part nearest the output (or the highlighted node), with a message saying so.

The package exports `draw` as `coursegrad.draw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from coursegrad.engine import Value, topological_order, unbroadcast

__all__ = ["draw", "GraphDrawing", "DrawnNode", "DrawnWire", "Box", "fmt", "summary", "gate_symbol"]

# Okabe–Ito colours (safe for the common colour-vision deficiencies). Colour is never the only cue:
# values are upright and above the wire, gradients italic and below it.
VALUE_COLOUR = "#000000"
GRAD_COLOUR = "#D55E00"  # vermilion
LEAF_FILL = "#DCEEFB"  # a light tint of sky blue #56B4E9
GATE_FILL = "#FFFFFF"
CONST_COLOUR = "#6E6E6E"
HIGHLIGHT_FILL = "#F0E442"  # yellow
HIGHLIGHT_RING = "#E69F00"  # orange
HIGHLIGHT_CLASS = "coursegrad-highlight"  # the CSS class of the highlighted node's ring (for tests and styling)
WIRE_COLOUR = "#4D4D4D"
ORDER_FILL = "#0072B2"  # blue: the tag numbering nodes in backward-pass order (draw(order=True))
ORDER_SIZE = 10
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

# Sizes in pixels. They fix the picture's size, so a notebook renders the same every time.
R = 18  # gate radius
BOX_H = 30  # height of input / constant boxes
VALUE_SIZE = 13
GRAD_SIZE = 12.5
SYMBOL_SIZE = 15
NODE_ABOVE = 36  # room above a node's centre: its gate label, the highlight marker, the value on its wire
NODE_BELOW = 26  # room below: the gradient on its wire
DUMMY_HALF = 5  # room around a long wire passing through a column
PAD = 10  # space between neighbours in a column
BEND = 56  # horizontal room in which wires bend from one column to the next
STEM_GAP = 7  # space between a node's column and the labels on its wire (room for the highlight ring)
LEAD = 10  # straight piece of wire before a gate's input (holds the arrowhead)
MARGIN = 16
COMMUTATIVE = ("+", "*", "max")  # gates whose inputs may be drawn in either order
SMALL_GRAPH = 30  # up to this many nodes, all inputs are drawn in the leftmost column


# ---------------------------------------------------------------------------
# Text for numbers and gates
# ---------------------------------------------------------------------------


def fmt(x: Any) -> str:
    """A number in at most 3 significant digits: -12, 0.731, -0.196, 1.2e-05."""
    x = float(x)
    if x == 0:
        return "0"  # also turns -0.0 into 0
    return f"{x:.3g}"


def summary(x: Any, shape: bool = True) -> str:
    """Short text for a value or gradient: a number, a short list, or shape and mean for larger arrays."""
    if isinstance(x, np.ndarray):
        if x.ndim == 1 and x.size <= 3:
            return "[" + ", ".join(fmt(v) for v in x) + "]"
        if x.size == 1:
            return fmt(x.reshape(()))
        return (f"{tuple(x.shape)} " if shape else "") + f"mean {fmt(x.mean())}"
    return fmt(x)


_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")
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
        return "x" + n.translate(_SUPERSCRIPT) if all(c in "0123456789-." for c in n) else "x^" + n
    return op if len(op) <= 8 else op[:7] + "…"


_WIDTHS = {c: 0.64 for c in "0123456789"}  # advance widths of DejaVu Sans, in em
_WIDTHS.update({c: 0.84 for c in "+=×÷<>~"})
_WIDTHS.update({c: 0.32 for c in " .,:;|!il'"})
_WIDTHS.update({c: 0.4 for c in "()[]-−"})
_WIDTHS.update({"…": 1.0, "?": 0.56})


def _text_width(text: str, size: float) -> float:
    """An estimate of the width of `text` in a sans-serif font (no font metrics here: slightly generous)."""
    return size * sum(_WIDTHS.get(c, 0.7) for c in text)


def _symbol_size(symbol: str) -> float:
    """Font size of a gate's symbol: large for one or two characters (+, ×, x²), smaller for names (exp)."""
    return SYMBOL_SIZE if len(symbol) <= 2 else SYMBOL_SIZE - 3


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


@dataclass(frozen=True)
class Box:
    """The rectangle (x0, y0)–(x1, y1) taken by a shape ("input", "constant", "gate") or by a text
    ("text"; "inside" for the text written in a shape). Text widths are estimates (no font metrics)."""

    kind: str
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


class GraphDrawing:
    """A drawn computational graph: `.svg` text, `.nodes` (DrawnNode list), `.wires`, `.boxes`, `.message`.

    Displays itself in Jupyter (`_repr_svg_`); `.save("f.svg")` writes the file.
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
    ):
        self.svg = svg
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

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_png_(self) -> bytes | None:
        return self.png(self._png_scale) if self._png_scale else None

    def with_png(self, scale: float = 1.0) -> GraphDrawing:
        """The same drawing, displayed with a PNG copy of `scale` × the size beside the SVG (None: SVG only).

        JupyterLab shows SVG only in trusted notebooks; a notebook opened from a file someone else ran
        shows "Cannot display an untrusted SVG" until its cells are re-run, but shows a PNG. Drawing the
        PNG takes matplotlib about 0.3 s; slider explorers use `.svg` directly and never pay for it.
        """
        copy = GraphDrawing(self.svg, self.nodes, self.wires, self.width, self.height, self.message, self._texts, self.boxes)
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
    - `order=True` writes on every node, in a small dark tag at its top right, the order in which the
      backward pass visits it: 1 is the output, then each node once every gate that uses it has sent
      its gradient back. Constants get no number (backprop sends them nothing).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value (the output of an expression), got {type(root).__name__}.")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}.")
    if known is not None and not isinstance(known, dict):
        raise TypeError(f"known must be a dict mapping nodes to gradients, got {type(known).__name__}.")
    nodes, message = _select(root, max_nodes, highlight)
    if highlight is not None and not any(n is highlight for n in nodes):
        raise ValueError("highlight must be a node of the drawn graph (a Value that the output depends on).")
    picture = _Picture(root, nodes, title, highlight, known, show_grad, sent, message)
    if order:
        picture.visits = backward_visit_order(root)
    return picture.render()


def backward_visit_order(root: Value) -> dict[Value, int]:
    """node -> when the backward pass visits it: 1 for the output, then in the order `backprop` walks.

    Constants are left out: the backward pass sends them no gradient.
    """
    visited = [node for node in reversed(topological_order(root)) if not node.constant]
    return {node: k for k, node in enumerate(visited, start=1)}


def drawing_order(root: Value) -> list[Value]:
    """Every node behind `root`, each after its inputs, first inputs first: x, y, x + y, z, (x + y)·z.

    (The engine's depth-first walk, `topological_order`, on the mirror image of the graph: with each
    node's inputs reversed it walks the first input first. The numbering depends only on the graph.)
    """
    order: list[Value] = []
    seen = set()
    stack = [(root, False)]  # (node, are its inputs placed?)
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            for child in reversed(node.inputs):  # the first input pushed last: walked first
                if child not in seen:
                    stack.append((child, False))
    return order


def _select(root: Value, max_nodes: int, focus: Value | None = None) -> tuple[list[Value], str]:
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
    """Layout and SVG for one drawing. Every list is in a fixed order, so the bytes are deterministic."""

    def __init__(self, root, nodes, title, highlight, known, show_grad, sent, message):
        self.root = root
        self.nodes = nodes
        self.title = title
        self.highlight = highlight
        self.known = known
        self.show_grad = show_grad
        self.sent = sent
        self.message = message
        self.index = {n: i for i, n in enumerate(nodes)}  # Values hash by identity
        self.edges = [(self.index[u], i, s) for i, v in enumerate(nodes) for s, u in enumerate(v.inputs) if u in self.index]
        self.consumers: list[list[tuple[int, int]]] = [[] for _ in nodes]
        for u, v, s in self.edges:
            self.consumers[u].append((v, s))
        self.grads_on = show_grad and (known is not None or not _is_zero(root.grad))
        self.slot_pos: dict[tuple[int, int], int] = {}  # (node, input number) -> position of its port, top first
        self.visits: dict[Value, int] = {}  # node -> its number in the backward pass (draw(order=True))

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
            return a if _text_width(a, GRAD_SIZE) >= _text_width(b, GRAD_SIZE) else b

        known = _sum_text(terms, self.nodes[i].grad).split(" = ")[0]
        pieces = [wider(fmt(terms[0]), "?")]
        for t in terms[1:]:
            t = fmt(t)
            pieces.append(wider(f" - {t[1:]}" if t.startswith("-") else f" + {t}", " + ?"))
        total = wider(fmt(self.nodes[i].grad), "…")
        return wider("".join(pieces), known) + " = " + total

    def value_text(self, v: Value) -> str:
        return summary(v.data)

    # -- layout -------------------------------------------------------------

    def layers(self) -> list[int]:
        """Column of each node.

        Gates: the longest path from the inputs. Constants sit just left of their gate. Inputs sit in
        column 0, as in the lecture's figures, unless the graph is large (more than SMALL_GRAPH nodes
        or a compact drawing): then every node is as far right as it can be, next to the gate that
        uses it, which keeps wires short in long chains.
        """
        n = len(self.nodes)
        layer = [0] * n
        for u, v, _ in sorted(self.edges, key=lambda e: e[1]):  # sorted by consumer: inputs-first order
            layer[v] = max(layer[v], layer[u] + 1)
        if n > SMALL_GRAPH or self.message:
            to_root = [0] * n  # longest path to the output
            for u, v, _ in sorted(self.edges, key=lambda e: -e[1]):  # consumers before their inputs
                to_root[u] = max(to_root[u], to_root[v] + 1)
            top = max(to_root)
            return [top - d for d in to_root]
        for i, v in enumerate(self.nodes):
            if v.constant and not v.inputs and self.consumers[i]:
                layer[i] = min(layer[c] for c, _ in self.consumers[i]) - 1
        return layer

    def render(self) -> GraphDrawing:
        n = len(self.nodes)
        layer = self.layers()
        depth = max(layer) + 1
        # Items per column: real nodes, then "dummies" where a long wire passes through a column.
        items: list[dict] = []
        for i in range(n):
            items.append({"node": i, "layer": layer[i]})
        chains: list[list[int]] = []  # per edge: the items it passes, source first, target last
        for u, v, _ in self.edges:
            path = [u]
            for col in range(layer[u] + 1, layer[v]):
                items.append({"node": None, "layer": col})
                path.append(len(items) - 1)
            path.append(v)
            chains.append(path)
        succ: list[list[tuple[int, float]]] = [[] for _ in items]  # (next item, port offset in slots)
        pred: list[list[tuple[int, float]]] = [[] for _ in items]
        for (_, v, s), path in zip(self.edges, chains, strict=True):
            k = len(self.nodes[v].inputs)
            off = s - (k - 1) / 2
            for a, b in pairwise(path):
                port = off if b == v else 0.0
                succ[a].append((b, port))
                pred[b].append((a, port))
        columns: list[list[int]] = [[] for _ in range(depth)]
        for it, item in enumerate(items):
            columns[item["layer"]].append(it)
        columns = self.order_columns(columns, succ, pred)
        # Sizes of every item.
        width = [0.0] * len(items)
        above = [DUMMY_HALF] * len(items)
        below = [DUMMY_HALF] * len(items)
        for i, v in enumerate(self.nodes):
            width[i] = self.shape_width(v)
            above[i], below[i] = NODE_ABOVE, NODE_BELOW
        ys = self.place_vertically(columns, succ, pred, above, below)
        # Inputs of + × max can swap ports (the order does not matter), so their wires never cross there;
        # other gates keep input 0 on top (a - b, a / b, A @ B).
        feeding: dict[tuple[int, int], float] = {(v, s): ys[path[-2]] for (_, v, s), path in zip(self.edges, chains, strict=True)}
        for i, v in enumerate(self.nodes):
            if v.op in COMMUTATIVE and all((i, s) in feeding for s in range(len(v.inputs))):
                ranked = sorted(range(len(v.inputs)), key=lambda s, i=i: (feeding[(i, s)], s))
                self.slot_pos.update({(i, s): p for p, s in enumerate(ranked)})
        # Horizontal: each column holds its widest node, then a "stem" wide enough for the widest wire label.
        col_w = [max([width[it] for it in col] + [2 * R]) for col in columns]
        stem_w = []
        for col in columns:
            texts = [2 * R]
            for it in col:
                if it < n and not self.nodes[it].constant:
                    v = self.nodes[it]
                    texts.append(_text_width(self.value_text(v), VALUE_SIZE) + 14)
                    if self.show_grad:
                        for t in (self.grad_text(it), self.grad_text(it, final=True), self.widest_fork_text(it)):
                            texts.append(_text_width(t, GRAD_SIZE) + 20)
            stem_w.append(STEM_GAP + max(texts))
        xs_col = []
        x = MARGIN + 28  # room for "⋯" stubs of a compact drawing
        for c in range(depth):
            x += LEAD
            xs_col.append(x + col_w[c] / 2)
            x += col_w[c] + stem_w[c] + (BEND if c < depth - 1 else 30)
        top = MARGIN + (24 if self.title else 0) + (18 if self.message else 0)
        shift = top - min(ys[it] - above[it] for it in range(len(items)))
        ys = [y + shift for y in ys]
        bottom = max(ys[it] + below[it] for it in range(len(items)))
        total_w = int(math.ceil(x + MARGIN))
        legend_y = bottom + 22
        total_h = int(math.ceil(legend_y + 14 + MARGIN))
        total_w = max(total_w, int(MARGIN * 2 + 60 + _text_width(self.legend_note(), 11)))
        if self.title:
            total_w = max(total_w, int(MARGIN * 2 + _text_width(self.title, 15)))
        if self.message:
            total_w = max(total_w, int(MARGIN * 2 + _text_width(self.message, 12)))
        geo = _Geometry(xs_col, col_w, stem_w, ys, layer, items)
        svg, drawn, texts, boxes = self.svg(geo, chains, width, total_w, total_h, legend_y)
        wires = [DrawnWire(u, v, s) for u, v, s in self.edges]
        return GraphDrawing(svg, drawn, wires, total_w, total_h, self.message, texts, boxes)

    def shape_width(self, v: Value) -> float:
        kind = self.kind(v)
        text = self.box_text(v)
        if kind == "gate":
            return 2 * R if _text_width(text, _symbol_size(text)) <= 2 * R - 8 else _text_width(text, SYMBOL_SIZE - 2) + 18
        return max(36.0, _text_width(text, SYMBOL_SIZE - 1) + 18)

    def order_columns(self, columns, succ, pred):
        """Barycenter sweeps: sort each column by the mean position of its neighbours; keep the best order."""

        def crossings(cols):
            total = 0
            for c in range(len(cols) - 1):
                pos = {it: p for p, it in enumerate(cols[c + 1])}
                ends = [(p, pos[b] + 0.01 * port) for p, a in enumerate(cols[c]) for b, port in succ[a]]
                ends.sort()
                for i in range(len(ends)):
                    for j in range(i + 1, len(ends)):
                        if ends[i][0] != ends[j][0] and ends[j][1] < ends[i][1]:
                            total += 1
            return total

        best = [list(col) for col in columns]
        best_x = crossings(best)
        cols = [list(col) for col in columns]
        for sweep in range(8):
            down = sweep % 2 == 0
            rng = range(1, len(cols)) if down else range(len(cols) - 2, -1, -1)
            for c in rng:
                ref = cols[c - 1] if down else cols[c + 1]
                pos = {it: p for p, it in enumerate(ref)}
                keys = {}
                for p, it in enumerate(cols[c]):
                    nbrs = pred[it] if down else succ[it]
                    if down:
                        vals = [pos[a] - 0.1 * port for a, port in nbrs if a in pos]
                    else:
                        vals = [pos[b] + 0.1 * port for b, port in nbrs if b in pos]
                    keys[it] = sum(vals) / len(vals) if vals else p
                cols[c] = sorted(cols[c], key=lambda it: keys[it])  # stable: ties keep their order
            x = crossings(cols)
            if x < best_x:
                best, best_x = [list(col) for col in cols], x
        return best

    def place_vertically(self, columns, succ, pred, above, below):
        """y of every item: near the mean of its neighbours (straight wires), columns never overlapping."""
        ys = [0.0] * len(above)
        for col in columns:
            y = 0.0
            for p, it in enumerate(col):
                if p:
                    y += below[col[p - 1]] + PAD + above[it]
                ys[it] = y
        port_px = self.port_spacing

        for sweep in range(12):
            order = range(len(columns)) if sweep % 2 == 0 else range(len(columns) - 1, -1, -1)
            for c in order:
                col = columns[c]
                want = []
                for it in col:
                    vals = [ys[a] - port * port_px(b_) for a, port, b_ in ((a, port, it) for a, port in pred[it])]
                    vals += [ys[b] + port * port_px(b) for b, port in succ[it]]
                    want.append(sum(vals) / len(vals) if vals else ys[it])
                gaps = [below[col[p - 1]] + PAD + above[col[p]] for p in range(1, len(col))]
                for it, y in zip(col, _spread(want, gaps), strict=True):
                    ys[it] = y
        return ys

    def port_spacing(self, item: int) -> float:
        """Vertical distance between neighbouring inputs of a gate."""
        if item >= len(self.nodes):
            return 0.0
        k = len(self.nodes[item].inputs)
        return 14.0 if k <= 3 else 28.0 / (k - 1)

    # -- SVG ----------------------------------------------------------------

    def svg(self, geo, chains, width, total_w, total_h, legend_y):
        out: list[str] = []
        texts: list[str] = []
        nodes = self.nodes

        boxes: list[Box] = []

        def text(x, y, s, size, *, colour=VALUE_COLOUR, anchor="middle", italic=False, bold=False, halo=False, inside=False):
            texts.append(s)
            w = _text_width(s, size) * (1.08 if bold else 1.0)
            x0 = x - w / 2 if anchor == "middle" else (x if anchor == "start" else x - w)
            boxes.append(Box("inside" if inside else "text", s, x0, y - 0.76 * size, x0 + w, y + 0.24 * size))
            style = ' font-style="italic"' if italic else ""
            style += ' font-weight="bold"' if bold else ""
            style += ' stroke="#FFFFFF" stroke-width="3" paint-order="stroke"' if halo else ""
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{style}>'
                f"{escape(s)}</text>"
            )

        shown_w, shown_h = display_size(total_w, total_h)
        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{shown_w}" height="{shown_h}" '
            f'viewBox="0 0 {total_w} {total_h}" font-family="{FONT}">'
        )
        out.append(f'<rect x="0" y="0" width="{total_w}" height="{total_h}" fill="#FFFFFF"/>')
        y_text = MARGIN + 12
        if self.title:
            text(MARGIN, y_text, self.title, 15, anchor="start", bold=True)
            y_text += 22
        if self.message:
            text(MARGIN, y_text, self.message, 12, anchor="start", colour=CONST_COLOUR)

        hl = self.index.get(self.highlight) if self.highlight is not None else None
        # Wires first (under the shapes).
        for (u, v, s), path in zip(self.edges, chains, strict=True):
            bold = hl is not None and v == hl
            pts = self.wire_points(geo, path, u, v, s, width)
            out.append(
                f'<path d="{_path_d(pts)}" fill="none" stroke="{WIRE_COLOUR}" stroke-width="{2.6 if bold else 1.4}"/>'
            )
            out.append(_arrowhead(pts[-1][0], pts[-1][1], WIRE_COLOUR))
        for i, v in enumerate(nodes):
            cut = [s for s, u in enumerate(v.inputs) if u not in self.index]
            for s in cut:  # inputs left out of a compact drawing
                px, py = self.port(geo, i, s, width)
                out.append(
                    f'<line x1="{px - 26:.1f}" y1="{py:.1f}" x2="{px:.1f}" y2="{py:.1f}" stroke="{WIRE_COLOUR}" '
                    'stroke-width="1.2" stroke-dasharray="3 3"/>'
                )
                text(px - 30, py + 4, "⋯", 13, anchor="end", colour=CONST_COLOUR)

        drawn: list[DrawnNode] = []
        for i, v in enumerate(nodes):
            cx, cy = geo.xs_col[geo.layer[i]], geo.ys[i]
            kind = self.kind(v)
            body = self.box_text(v)
            is_hl = i == hl
            w = width[i]
            right = cx + w / 2
            stem_end = geo.stem_end(geo.layer[i])
            fork = len(self.consumers[i]) > 1
            # The stem: the node's outgoing wire, which carries its labels.
            if v is self.root or not self.consumers[i]:  # the output, or a node whose consumers were left out
                if v is not self.root:
                    text(stem_end + 14, cy + 4, "⋯", 13, anchor="start", colour=CONST_COLOUR)
                out.append(
                    f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end - 6:.1f}" y2="{cy:.1f}" '
                    f'stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
                )
                out.append(_arrowhead(stem_end, cy, WIRE_COLOUR))
            else:
                out.append(
                    f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end:.1f}" y2="{cy:.1f}" '
                    f'stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
                )
                if fork:
                    out.append(f'<circle cx="{stem_end:.1f}" cy="{cy:.1f}" r="3.5" fill="{WIRE_COLOUR}"/>')
            # The shape.
            if is_hl:
                ring = (R + 5) if kind == "gate" and w == 2 * R else None
                if ring:
                    out.append(
                        f'<circle class="{HIGHLIGHT_CLASS}" cx="{cx:.1f}" cy="{cy:.1f}" r="{ring}" fill="none" '
                        f'stroke="{HIGHLIGHT_RING}" stroke-width="3" stroke-dasharray="5 3"/>'
                    )
                else:
                    out.append(
                        f'<rect class="{HIGHLIGHT_CLASS}" x="{cx - w / 2 - 5:.1f}" y="{cy - BOX_H / 2 - 5:.1f}" '
                        f'width="{w + 10:.1f}" height="{BOX_H + 10}" rx="8" fill="none" stroke="{HIGHLIGHT_RING}" '
                        'stroke-width="3" stroke-dasharray="5 3"/>'
                    )
                top = cy - (R + 7 if ring else BOX_H / 2 + 7)
                out.append(
                    f'<polygon points="{cx - 7:.1f},{top - 10:.1f} {cx + 7:.1f},{top - 10:.1f} {cx:.1f},{top:.1f}" '
                    f'fill="{VALUE_COLOUR}"/>'
                )
            stroke_w = 3.5 if is_hl else 1.5
            fill = HIGHLIGHT_FILL if is_hl else None
            half_h = R if (kind == "gate" and w == 2 * R) else BOX_H / 2
            boxes.append(Box(kind, body, cx - w / 2, cy - half_h, cx + w / 2, cy + half_h))
            if kind == "gate":
                f = fill or GATE_FILL
                if w == 2 * R:
                    out.append(
                        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{R}" fill="{f}" stroke="#000000" stroke-width="{stroke_w}"/>'
                    )
                else:
                    out.append(
                        f'<rect x="{cx - w / 2:.1f}" y="{cy - BOX_H / 2:.1f}" width="{w:.1f}" height="{BOX_H}" '
                        f'rx="{BOX_H / 2}" fill="{f}" stroke="#000000" stroke-width="{stroke_w}"/>'
                    )
                size = _symbol_size(body) if w == 2 * R else SYMBOL_SIZE - 2
                text(cx, cy + size * 0.36, body, size, inside=True)
                if v.label:
                    text(cx - R - 2, cy - R - 1, v.label, 12, anchor="end", italic=True, colour="#333333")
            elif kind == "constant":
                f = fill or "#F2F2F2"
                out.append(
                    f'<rect x="{cx - w / 2:.1f}" y="{cy - BOX_H / 2:.1f}" width="{w:.1f}" height="{BOX_H}" rx="3" '
                    f'fill="{f}" stroke="{CONST_COLOUR}" stroke-width="{stroke_w}" stroke-dasharray="4 3"/>'
                )
                text(cx, cy + 5, body, SYMBOL_SIZE - 1, colour="#444444", inside=True)
            else:
                f = fill or LEAF_FILL
                out.append(
                    f'<rect x="{cx - w / 2:.1f}" y="{cy - BOX_H / 2:.1f}" width="{w:.1f}" height="{BOX_H}" rx="3" '
                    f'fill="{f}" stroke="#000000" stroke-width="{stroke_w}"/>'
                )
                text(cx, cy + 5, body, SYMBOL_SIZE - 1, bold=True, inside=True)
            if v in self.visits:  # draw(order=True): when the backward pass visits this node
                self.order_tag(out, text, boxes, cx + w / 2, cy - half_h - 10, self.visits[v])
            # Labels on the stem: value above, gradient below.
            vt = gt = ""
            if kind != "constant":
                mid = (geo.xs_col[geo.layer[i]] + geo.col_w[geo.layer[i]] / 2 + STEM_GAP + stem_end) / 2
                vt = self.value_text(v)
                text(mid, cy - 6, vt, VALUE_SIZE, halo=True)
                if self.show_grad:
                    gt = self.grad_text(i)
                    if gt:
                        text(mid, cy + 16, gt, GRAD_SIZE, colour=GRAD_COLOUR, italic=True, halo=True)
            visit = self.visits.get(v)
            drawn.append(DrawnNode(i, kind, body, v.label, vt, gt, fork, is_hl, round(cx, 1), round(cy, 1), v, visit))

        # Legend: the two styles, shown rather than only named.
        lx = MARGIN
        out.append(
            f'<line x1="{lx:.1f}" y1="{legend_y:.1f}" x2="{lx + 46:.1f}" y2="{legend_y:.1f}" '
            f'stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
        )
        text(lx + 23, legend_y - 5, "value", 11)
        if self.show_grad:
            text(lx + 23, legend_y + 12, "gradient", 11, colour=GRAD_COLOUR, italic=True)
        note = self.legend_note()
        text(lx + 60, legend_y + 4, note, 11, anchor="start", colour="#333333")  # the picture is made wide enough
        out.append("</svg>")
        svg = "\n".join(out) + "\n"
        return svg, drawn, texts, boxes

    def order_tag(self, out, text, boxes, x, y, number):
        """A dark rounded tag centred at (x, y) holding `number` in white: the node's backward-pass order."""
        label = str(number)
        w = max(16.0, _text_width(label, ORDER_SIZE) * 1.08 + 6)
        boxes.append(Box("order", label, x - w / 2, y - 8, x + w / 2, y + 8))
        out.append(
            f'<rect class="coursegrad-order" x="{x - w / 2:.1f}" y="{y - 8:.1f}" width="{w:.1f}" height="16" rx="8" '
            f'fill="{ORDER_FILL}" stroke="{ORDER_FILL}" stroke-width="1"/>'
        )
        text(x, y + ORDER_SIZE * 0.36, label, ORDER_SIZE, colour="#FFFFFF", bold=True, inside=True)

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

    def port(self, geo, i, s, width):
        """Where input number s enters node i."""
        v = self.nodes[i]
        cx, cy = geo.xs_col[geo.layer[i]], geo.ys[i]
        k = len(v.inputs)
        dy = (self.slot_pos.get((i, s), s) - (k - 1) / 2) * self.port_spacing(i)
        if width[i] == 2 * R:
            return cx - math.sqrt(R * R - dy * dy), cy + dy
        return cx - width[i] / 2, cy + dy

    def wire_points(self, geo, path, u, v, s, width):
        """Points of a wire: from the source's stem end, through each column it crosses, into the port."""
        pts = [(geo.stem_end(geo.layer[u]), geo.ys[u], "start")]
        for it in path[1:-1]:
            col = geo.items[it]["layer"]
            pts.append((geo.col_left(col), geo.ys[it], "bend"))
            pts.append((geo.stem_end(col), geo.ys[it], "line"))
        px, py = self.port(geo, v, s, width)
        pts.append((geo.col_left(geo.layer[v]), py, "bend"))
        pts.append((px - 7, py, "line"))
        return [(x, y) for x, y, _ in pts]


@dataclass
class _Geometry:
    xs_col: list[float]
    col_w: list[float]
    stem_w: list[float]
    ys: list[float]
    layer: list[int]
    items: list[dict]

    def stem_end(self, col: int) -> float:
        return self.xs_col[col] + self.col_w[col] / 2 + self.stem_w[col]

    def col_left(self, col: int) -> float:
        return self.xs_col[col] - self.col_w[col] / 2 - LEAD


def _path_d(pts: list[tuple[float, float]]) -> str:
    """Horizontal runs joined by smooth S-bends (cubic curves with horizontal tangents)."""
    d = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in pairwise(pts):
        if abs(y1 - y0) < 0.05:
            d.append(f"L{x1:.1f},{y1:.1f}")
        else:
            xm = (x0 + x1) / 2
            d.append(f"C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
    return " ".join(d)


def _arrowhead(x: float, y: float, colour: str) -> str:
    """A small triangle pointing right whose tip is 7 px right of (x, y)."""
    return f'<polygon points="{x - 1:.1f},{y - 4.5:.1f} {x + 7:.1f},{y:.1f} {x - 1:.1f},{y + 4.5:.1f}" fill="{colour}"/>'


def _spread(want: list[float], gaps: list[float]) -> list[float]:
    """Positions as close as possible (least squares) to `want`, in order, at least `gaps` apart.

    With offsets c_p = sum of the gaps before p, z_p = y_p - c_p must be non-decreasing: that is
    isotonic regression, solved exactly by pooling adjacent violators.
    """
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    blocks: list[list[float]] = []  # [mean, count]
    for w, c in zip(want, offsets, strict=True):
        blocks.append([w - c, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, n2 = blocks.pop()
            m1, n1 = blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    z = [m for m, k in blocks for _ in range(int(k))]
    return [zi + c for zi, c in zip(z, offsets, strict=True)]


MAX_WIDTH = 960  # px: a wider drawing is shown scaled down, so it fits a notebook column without scrolling


def display_size(width: int, height: int) -> tuple[int, int]:
    """The size a drawing is shown at: its own size, or scaled down to MAX_WIDTH wide."""
    if width <= MAX_WIDTH:
        return width, height
    return MAX_WIDTH, int(round(height * MAX_WIDTH / width))


def svg_to_png(svg: str, scale: float = 1.0) -> bytes:
    """Draw one of *our* SVG pictures with matplotlib and return PNG bytes.

    It understands only what `draw` writes (rect, circle, line, polygon, path with M/L/C, text),
    which is enough to give the same picture without a system program such as cairo or a browser.
    """
    import io
    import xml.etree.ElementTree as ET

    import matplotlib
    from matplotlib import patches, patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.path import Path as MPath

    pt = 0.72  # one SVG pixel (1/100 inch at 100 dpi) in points, the unit of line widths and font sizes
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))  # the size shown
    _, _, view_w, view_h = (float(v) for v in root.get("viewBox").split())  # the drawing's own coordinates
    scale *= width / view_w
    width, height = view_w, view_h
    with matplotlib.rc_context({"lines.scale_dashes": False, "svg.fonttype": "none"}):
        fig = Figure(figsize=(width / 100, height / 100), dpi=100 * scale)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        for z, el in enumerate(root):
            tag = el.tag.rsplit("}", 1)[-1]
            get = el.get
            stroke = get("stroke", "none")
            style = {
                "edgecolor": stroke if stroke != "none" else "none",
                "facecolor": get("fill", "none"),
                "linewidth": float(get("stroke-width", "1")) * pt if stroke != "none" else 0.0,
                "zorder": z,
            }
            if get("stroke-dasharray"):
                on, off = (float(v) * pt for v in get("stroke-dasharray").split())
                style["linestyle"] = (0, (on, off))
            if tag == "rect":
                x, y, w, h, rx = (float(get(k, "0")) for k in ("x", "y", "width", "height", "rx"))
                ax.add_patch(patches.FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={rx}", **style))
            elif tag == "circle":
                ax.add_patch(patches.Circle((float(get("cx")), float(get("cy"))), float(get("r")), **style))
            elif tag == "polygon":
                pts = [tuple(map(float, p.split(","))) for p in get("points").split()]
                ax.add_patch(patches.Polygon(pts, closed=True, **style))
            elif tag == "line":
                xs = [float(get("x1")), float(get("x2"))]
                ys = [float(get("y1")), float(get("y2"))]
                ax.plot(xs, ys, color=stroke, linewidth=style["linewidth"], zorder=z,
                        linestyle=style.get("linestyle", "-"), solid_capstyle="butt")  # fmt: skip
            elif tag == "path":
                verts, codes = [], []
                for token in get("d").replace(",", " ").replace("M", " M ").replace("L", " L ").replace("C", " C ").split():
                    if token in "MLC":
                        command = token
                        continue
                    verts.append(float(token))
                    if len(verts) % 2 == 0:
                        codes.append({"M": MPath.MOVETO, "L": MPath.LINETO, "C": MPath.CURVE4}[command])
                points = list(zip(verts[::2], verts[1::2], strict=True))
                style["facecolor"] = "none"
                ax.add_patch(patches.PathPatch(MPath(points, codes), **style))
            elif tag == "text":
                effects = [patheffects.withStroke(linewidth=3 * pt, foreground="#FFFFFF")] if get("stroke") else []
                ax.text(float(get("x")), float(get("y")), el.text or "", fontsize=float(get("font-size")) * pt,
                        family="DejaVu Sans", color=get("fill", "#000000"), va="baseline",
                        ha={"start": "left", "middle": "center", "end": "right"}[get("text-anchor", "start")],
                        style="italic" if get("font-style") == "italic" else "normal",
                        weight="bold" if get("font-weight") == "bold" else "normal",
                        path_effects=effects, zorder=z)  # fmt: skip
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100 * scale)
    return buffer.getvalue()
