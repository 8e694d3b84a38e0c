"""Where everything goes in a graph drawing: a small layered ("Sugiyama") layout, in pixels.

The column of a gate is the longest path from the inputs; inputs sit in the first column (in graphs of
more than SMALL_GRAPH nodes each node sits just left of the gate that uses it, which keeps wires short);
nodes in a column are ordered to reduce crossings (barycenter sweeps) and placed near the mean height
of their neighbours without overlapping (isotonic regression). The same graph always gives the same
numbers.

`place(graph)` is a pure function: from a `Graph` (each node's kind, text and the texts its wire can
carry, and the wires between nodes; no `Value`) to a `Placement` (every position, port and wire path).
`coursegrad.svg.render` writes the SVG of a placement; `coursegrad.drawing` makes the graph from Values.

    >>> x, y = LayoutNode("input", "x", value_text="1"), LayoutNode("input", "y", value_text="2")
    >>> plus = LayoutNode("gate", "+", inputs=2, commutative=True, value_text="3")
    >>> p = place(Graph((x, y, plus), ((0, 2, 0), (1, 2, 1))))
    >>> p.layer, p.centre(0)[0] < p.centre(2)[0]
    ((0, 0, 1), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

# Sizes in pixels. They fix the picture's size, so a notebook renders the same every time.
R = 18  # gate radius
BOX_H = 30  # height of input / constant boxes
VALUE_SIZE = 13
GRAD_SIZE = 12.5
SYMBOL_SIZE = 15
ORDER_SIZE = 10  # the numbers of draw(order=True)
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
MAX_WIDTH = 960  # px: a wider drawing is shown scaled down, so it fits a notebook column without scrolling

_WIDTHS = {c: 0.64 for c in "0123456789"}  # advance widths of DejaVu Sans, in em
_WIDTHS.update({c: 0.84 for c in "+=×÷<>~"})
_WIDTHS.update({c: 0.32 for c in " .,:;|!il'"})
_WIDTHS.update({c: 0.4 for c in "()[]-−"})
_WIDTHS.update({"…": 1.0, "?": 0.56})


def text_width(text: str, size: float) -> float:
    """An estimate of the width of `text` in a sans-serif font (no font metrics here: slightly generous)."""
    return size * sum(_WIDTHS.get(c, 0.7) for c in text)


def symbol_size(symbol: str) -> float:
    """Font size of a gate's symbol: large for one or two characters (+, ×, x²), smaller for names (exp)."""
    return SYMBOL_SIZE if len(symbol) <= 2 else SYMBOL_SIZE - 3


@dataclass(frozen=True)
class LayoutNode:
    """What the layout needs of one node: its kind ("input", "constant" or "gate"), the text in its shape,
    how many inputs it has (drawn or not), whether they may swap places (+ × max), and every text its
    wire can carry (the value above; below, each gradient text it can show in any step)."""

    kind: str
    text: str
    inputs: int = 0
    commutative: bool = False
    value_text: str = ""
    grad_texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Graph:
    """The nodes in drawing order (each after its inputs), the wires as
    (source, target, input number), and the picture's title, message and legend (their widths count).
    A `message` marks a compact drawing: every node then sits next to the gate that uses it."""

    nodes: tuple[LayoutNode, ...]
    edges: tuple[tuple[int, int, int], ...]
    title: str = ""
    message: str = ""
    legend: str = ""
    output: int | None = None  # the output's index (None: left out of a compact drawing, drawn around another node)
    consumers: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        consumers: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for u, v, s in self.edges:
            consumers[u].append((v, s))
        object.__setattr__(self, "consumers", tuple(tuple(c) for c in consumers))  # (consumer, input number) of each node


@dataclass(frozen=True)
class Placement:
    """Where everything of a `Graph` goes, in pixels: each item's column (`layer`; nodes first, then the
    bends of long wires) and y, each column's centre x, width and stem width, each node's shape width,
    each wire's points (one per edge), each input's port ((node, input number) -> (x, y)), the size of
    the picture and the y of its legend."""

    graph: Graph
    layer: tuple[int, ...]
    ys: tuple[float, ...]
    xs_col: tuple[float, ...]
    col_w: tuple[float, ...]
    stem_w: tuple[float, ...]
    shape_width: tuple[float, ...]
    wires: tuple[tuple[tuple[float, float], ...], ...]
    ports: dict[tuple[int, int], tuple[float, float]]
    width: int
    height: int
    legend_y: float

    def centre(self, i: int) -> tuple[float, float]:
        """The centre of node i's shape."""
        return self.xs_col[self.layer[i]], self.ys[i]

    def stem_end(self, i: int) -> float:
        """x where node i's outgoing wire (its stem, which carries its labels) ends."""
        return _stem_end(self.xs_col, self.col_w, self.stem_w, self.layer[i])

    def label_x(self, i: int) -> float:
        """x of the middle of node i's stem, where its value and gradient are written."""
        col = self.layer[i]
        return (self.xs_col[col] + self.col_w[col] / 2 + STEM_GAP + self.stem_end(i)) / 2


def _stem_end(xs_col, col_w, stem_w, col: int) -> float:
    return xs_col[col] + col_w[col] / 2 + stem_w[col]


def _col_left(xs_col, col_w, col: int) -> float:
    return xs_col[col] - col_w[col] / 2 - LEAD


def place(graph: Graph) -> Placement:
    """The layout of a graph: columns by longest path, rows by barycenter sweeps and least squares."""
    layer = layers(graph)
    items, chains, succ, pred = _items_and_chains(graph, layer)
    columns: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    for it, col in enumerate(items):
        columns[col].append(it)
    columns = order_columns(columns, succ, pred)
    n = len(graph.nodes)
    width = [shape_width(v) for v in graph.nodes] + [0.0] * (len(items) - n)
    above = [NODE_ABOVE] * n + [DUMMY_HALF] * (len(items) - n)
    below = [NODE_BELOW] * n + [DUMMY_HALF] * (len(items) - n)
    spacing = [port_spacing(graph, it) for it in range(len(items))]
    ys = place_vertically(columns, succ, pred, above, below, spacing)
    slot_pos = _choose_ports(graph, ys, chains)
    col_w = [max([width[it] for it in col] + [2 * R]) for col in columns]
    stem_w = [STEM_GAP + max(_stem_texts(graph, col)) for col in columns]
    xs_col, right = _column_positions(col_w, stem_w)
    top = MARGIN + (24 if graph.title else 0) + (18 if graph.message else 0)
    shift = top - min(ys[it] - above[it] for it in range(len(items)))
    ys = [y + shift for y in ys]
    legend_y = max(ys[it] + below[it] for it in range(len(items))) + 22
    ports = {
        (i, s): _port(xs_col[layer[i]], ys[i], width[i], v.inputs, slot_pos.get((i, s), s), spacing[i])
        for i, v in enumerate(graph.nodes)
        for s in range(v.inputs)
    }
    wires = tuple(
        _wire_points(xs_col, col_w, stem_w, items, ys, path, ports[(v, s)], u, v)
        for (u, v, s), path in zip(graph.edges, chains, strict=True)
    )
    return Placement(
        graph, tuple(items[:n]), tuple(ys), tuple(xs_col), tuple(col_w), tuple(stem_w), tuple(width[:n]), wires, ports,
        _picture_width(graph, right), int(math.ceil(legend_y + 14 + MARGIN)), legend_y,
    )  # fmt: skip


def _items_and_chains(graph: Graph, layer: list[int]):
    """Items per column (their columns): the nodes, then "dummies" where a long wire passes through a
    column; each edge's chain of items (source first, target last); each item's successors and
    predecessors with the offset of the port they enter (in slots)."""
    items = list(layer)
    chains: list[list[int]] = []
    for u, v, _ in graph.edges:
        path = [u]
        for col in range(layer[u] + 1, layer[v]):
            items.append(col)
            path.append(len(items) - 1)
        path.append(v)
        chains.append(path)
    succ: list[list[tuple[int, float]]] = [[] for _ in items]
    pred: list[list[tuple[int, float]]] = [[] for _ in items]
    for (_, v, s), path in zip(graph.edges, chains, strict=True):
        off = s - (graph.nodes[v].inputs - 1) / 2
        for a, b in pairwise(path):
            port = off if b == v else 0.0
            succ[a].append((b, port))
            pred[b].append((a, port))
    return items, chains, succ, pred


def _choose_ports(graph: Graph, ys: list[float], chains: list[list[int]]) -> dict[tuple[int, int], int]:
    """(node, input number) -> position of its port, top first. Inputs of + × max can swap ports (the
    order does not matter), so their wires never cross there; other gates keep input 0 on top (a - b)."""
    slot_pos: dict[tuple[int, int], int] = {}
    feeding = {(v, s): ys[path[-2]] for (_, v, s), path in zip(graph.edges, chains, strict=True)}
    for i, v in enumerate(graph.nodes):
        if v.commutative and all((i, s) in feeding for s in range(v.inputs)):
            ranked = sorted(range(v.inputs), key=lambda s, i=i: (feeding[(i, s)], s))
            slot_pos.update({(i, s): p for p, s in enumerate(ranked)})
    return slot_pos


def _stem_texts(graph: Graph, column: list[int]) -> list[float]:
    """Widths the stems of a column must hold: every label its nodes' wires can show, in any step."""
    widths = [2 * R]
    for it in column:
        if it < len(graph.nodes) and graph.nodes[it].kind != "constant":
            widths.append(text_width(graph.nodes[it].value_text, VALUE_SIZE) + 14)
            for t in graph.nodes[it].grad_texts:
                widths.append(text_width(t, GRAD_SIZE) + 20)
    return widths


def _column_positions(col_w: list[float], stem_w: list[float]) -> tuple[list[float], float]:
    """x of each column's centre: each column holds its widest node, then its stems; and the right edge."""
    xs_col = []
    x = MARGIN + 28  # room for "⋯" stubs of a compact drawing
    for c in range(len(col_w)):
        x += LEAD
        xs_col.append(x + col_w[c] / 2)
        x += col_w[c] + stem_w[c] + (BEND if c < len(col_w) - 1 else 30)
    return xs_col, x


def _picture_width(graph: Graph, right: float) -> int:
    """Wide enough for the graph, the legend, the title and the message."""
    total_w = max(int(math.ceil(right + MARGIN)), int(MARGIN * 2 + 60 + text_width(graph.legend, 11)))
    if graph.title:
        total_w = max(total_w, int(MARGIN * 2 + text_width(graph.title, 15)))
    if graph.message:
        total_w = max(total_w, int(MARGIN * 2 + text_width(graph.message, 12)))
    return total_w


def layers(graph: Graph) -> list[int]:
    """Column of each node.

    Gates: the longest path from the inputs. Constants sit just left of their gate. Inputs sit in
    column 0, as in the lecture's figures, unless the graph is large (more than SMALL_GRAPH nodes
    or a compact drawing): then every node is as far right as it can be, next to the gate that
    uses it, which keeps wires short in long chains.
    """
    n = len(graph.nodes)
    layer = [0] * n
    for u, v, _ in sorted(graph.edges, key=lambda e: e[1]):  # sorted by consumer: inputs-first order
        layer[v] = max(layer[v], layer[u] + 1)
    if n > SMALL_GRAPH or graph.message:
        to_root = [0] * n  # longest path to the output
        for u, v, _ in sorted(graph.edges, key=lambda e: -e[1]):  # consumers before their inputs
            to_root[u] = max(to_root[u], to_root[v] + 1)
        top = max(to_root)
        return [top - d for d in to_root]
    for i, v in enumerate(graph.nodes):
        if v.kind == "constant" and graph.consumers[i]:
            layer[i] = min(layer[c] for c, _ in graph.consumers[i]) - 1
    return layer


def shape_width(v: LayoutNode) -> float:
    """A gate is a circle, or a pill for a long name; an input or a constant a box around its text."""
    if v.kind == "gate":
        return 2 * R if text_width(v.text, symbol_size(v.text)) <= 2 * R - 8 else text_width(v.text, SYMBOL_SIZE - 2) + 18
    return max(36.0, text_width(v.text, SYMBOL_SIZE - 1) + 18)


def order_columns(columns, succ, pred):
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


def place_vertically(columns, succ, pred, above, below, spacing):
    """y of every item: near the mean of its neighbours (straight wires), columns never overlapping."""
    ys = [0.0] * len(above)
    for col in columns:
        y = 0.0
        for p, it in enumerate(col):
            if p:
                y += below[col[p - 1]] + PAD + above[it]
            ys[it] = y
    for sweep in range(12):
        order = range(len(columns)) if sweep % 2 == 0 else range(len(columns) - 1, -1, -1)
        for c in order:
            col = columns[c]
            want = []
            for it in col:
                vals = [ys[a] - port * spacing[it] for a, port in pred[it]]
                vals += [ys[b] + port * spacing[b] for b, port in succ[it]]
                want.append(sum(vals) / len(vals) if vals else ys[it])
            gaps = [below[col[p - 1]] + PAD + above[col[p]] for p in range(1, len(col))]
            for it, y in zip(col, _spread(want, gaps), strict=True):
                ys[it] = y
    return ys


def port_spacing(graph: Graph, item: int) -> float:
    """Vertical distance between neighbouring inputs of a gate (0 for the bend of a long wire)."""
    if item >= len(graph.nodes):
        return 0.0
    k = graph.nodes[item].inputs
    return 14.0 if k <= 3 else 28.0 / (k - 1)


def _port(cx: float, cy: float, w: float, k: int, pos: int, spacing: float) -> tuple[float, float]:
    """Where the input in port position `pos` (of k, top first) enters a node centred at (cx, cy), w wide."""
    dy = (pos - (k - 1) / 2) * spacing
    if w == 2 * R:
        return cx - math.sqrt(R * R - dy * dy), cy + dy
    return cx - w / 2, cy + dy


def _wire_points(xs_col, col_w, stem_w, items, ys, path, port, u: int, v: int) -> tuple[tuple[float, float], ...]:
    """Points of a wire: from the source's stem end, through each column it crosses, into the port."""
    pts = [(_stem_end(xs_col, col_w, stem_w, items[u]), ys[u])]
    for it in path[1:-1]:
        pts.append((_col_left(xs_col, col_w, items[it]), ys[it]))
        pts.append((_stem_end(xs_col, col_w, stem_w, items[it]), ys[it]))
    px, py = port
    pts.append((_col_left(xs_col, col_w, items[v]), py))
    pts.append((px - 7, py))
    return tuple(pts)


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


def display_size(width: int, height: int) -> tuple[int, int]:
    """The size a drawing is shown at: its own size, or scaled down to MAX_WIDTH wide."""
    if width <= MAX_WIDTH:
        return width, height
    return MAX_WIDTH, int(round(height * MAX_WIDTH / width))
