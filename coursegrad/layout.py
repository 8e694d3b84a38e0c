"""Where everything goes in a graph drawing: a small layered ("Sugiyama") layout, in pixels.

The column of a gate is the longest path from the inputs; inputs sit in the first column (in graphs of
more than SMALL_GRAPH nodes each node sits just left of the gate that uses it, which keeps wires short);
nodes in a column are ordered to reduce crossings (barycenter sweeps) and placed near the mean height
of their neighbours without overlapping (isotonic regression). The same graph always gives the same
numbers. `Layout` is the layout half of the drawing's `_Picture`; `coursegrad.svg` writes what it places.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from coursegrad.engine import Value, topological_order

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


@dataclass
class Geometry:
    """Where the columns and items are: x of each column's centre, its width and the width of its stems,
    y of every item (nodes first, then the bends of long wires), each node's column, and the items."""

    xs_col: list[float]
    col_w: list[float]
    stem_w: list[float]
    ys: list[float]
    layer: list[int]
    items: list[dict]
    width: list[float]  # of every item's shape

    def stem_end(self, col: int) -> float:
        return self.xs_col[col] + self.col_w[col] / 2 + self.stem_w[col]

    def col_left(self, col: int) -> float:
        return self.xs_col[col] - self.col_w[col] / 2 - LEAD


class Layout:
    """The layout half of a drawing. Needs `nodes`, `edges` (source, target, input number), `consumers`,
    `message`, `title`, `show_grad`, `slot_pos` and the texts (`value_text`, `grad_text`, ...)."""

    def layout(self) -> tuple[Geometry, list[list[int]], int, int, float]:
        """The geometry, each edge's chain of items, the picture's width and height, and the legend's y."""
        layer = self.layers()
        items, chains, succ, pred = self.items_and_chains(layer)
        columns: list[list[int]] = [[] for _ in range(max(layer) + 1)]
        for it, item in enumerate(items):
            columns[item["layer"]].append(it)
        columns = self.order_columns(columns, succ, pred)
        n = len(self.nodes)
        width = [self.shape_width(v) for v in self.nodes] + [0.0] * (len(items) - n)
        above = [NODE_ABOVE] * n + [DUMMY_HALF] * (len(items) - n)
        below = [NODE_BELOW] * n + [DUMMY_HALF] * (len(items) - n)
        ys = self.place_vertically(columns, succ, pred, above, below)
        self.choose_ports(ys, chains)
        col_w = [max([width[it] for it in col] + [2 * R]) for col in columns]
        stem_w = [STEM_GAP + max(self.stem_texts(col)) for col in columns]
        xs_col, right = self.column_positions(col_w, stem_w)
        top = MARGIN + (24 if self.title else 0) + (18 if self.message else 0)
        shift = top - min(ys[it] - above[it] for it in range(len(items)))
        ys = [y + shift for y in ys]
        legend_y = max(ys[it] + below[it] for it in range(len(items))) + 22
        total_h = int(math.ceil(legend_y + 14 + MARGIN))
        geo = Geometry(xs_col, col_w, stem_w, ys, layer, items, width)
        return geo, chains, self.picture_width(right), total_h, legend_y

    def items_and_chains(self, layer: list[int]):
        """Items per column: the nodes, then "dummies" where a long wire passes through a column;
        each edge's chain of items (source first, target last); each item's successors and predecessors
        with the offset of the port they enter (in slots)."""
        items: list[dict] = [{"node": i, "layer": layer[i]} for i in range(len(self.nodes))]
        chains: list[list[int]] = []
        for u, v, _ in self.edges:
            path = [u]
            for col in range(layer[u] + 1, layer[v]):
                items.append({"node": None, "layer": col})
                path.append(len(items) - 1)
            path.append(v)
            chains.append(path)
        succ: list[list[tuple[int, float]]] = [[] for _ in items]
        pred: list[list[tuple[int, float]]] = [[] for _ in items]
        for (_, v, s), path in zip(self.edges, chains, strict=True):
            off = s - (len(self.nodes[v].inputs) - 1) / 2
            for a, b in pairwise(path):
                port = off if b == v else 0.0
                succ[a].append((b, port))
                pred[b].append((a, port))
        return items, chains, succ, pred

    def choose_ports(self, ys: list[float], chains: list[list[int]]) -> None:
        """Inputs of + × max can swap ports (the order does not matter), so their wires never cross there;
        other gates keep input 0 on top (a - b, a / b, A @ B)."""
        feeding = {(v, s): ys[path[-2]] for (_, v, s), path in zip(self.edges, chains, strict=True)}
        for i, v in enumerate(self.nodes):
            if v.op in COMMUTATIVE and all((i, s) in feeding for s in range(len(v.inputs))):
                ranked = sorted(range(len(v.inputs)), key=lambda s, i=i: (feeding[(i, s)], s))
                self.slot_pos.update({(i, s): p for p, s in enumerate(ranked)})

    def stem_texts(self, column: list[int]) -> list[float]:
        """Widths the stems of a column must hold: every label its nodes' wires can show, in any step."""
        widths = [2 * R]
        for it in column:
            if it < len(self.nodes) and not self.nodes[it].constant:
                widths.append(text_width(self.value_text(self.nodes[it]), VALUE_SIZE) + 14)
                if self.show_grad:
                    for t in (self.grad_text(it), self.grad_text(it, final=True), self.widest_fork_text(it)):
                        widths.append(text_width(t, GRAD_SIZE) + 20)
        return widths

    def column_positions(self, col_w: list[float], stem_w: list[float]) -> tuple[list[float], float]:
        """x of each column's centre: each column holds its widest node, then its stems; and the right edge."""
        xs_col = []
        x = MARGIN + 28  # room for "⋯" stubs of a compact drawing
        for c in range(len(col_w)):
            x += LEAD
            xs_col.append(x + col_w[c] / 2)
            x += col_w[c] + stem_w[c] + (BEND if c < len(col_w) - 1 else 30)
        return xs_col, x

    def picture_width(self, right: float) -> int:
        """Wide enough for the graph, the legend, the title and the message."""
        total_w = max(int(math.ceil(right + MARGIN)), int(MARGIN * 2 + 60 + text_width(self.legend_note(), 11)))
        if self.title:
            total_w = max(total_w, int(MARGIN * 2 + text_width(self.title, 15)))
        if self.message:
            total_w = max(total_w, int(MARGIN * 2 + text_width(self.message, 12)))
        return total_w


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

    def shape_width(self, v: Value) -> float:
        kind = self.kind(v)
        text = self.box_text(v)
        if kind == "gate":
            return 2 * R if text_width(text, symbol_size(text)) <= 2 * R - 8 else text_width(text, SYMBOL_SIZE - 2) + 18
        return max(36.0, text_width(text, SYMBOL_SIZE - 1) + 18)

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

    def port(self, geo: Geometry, i: int, s: int) -> tuple[float, float]:
        """Where input number s enters node i."""
        v = self.nodes[i]
        cx, cy = geo.xs_col[geo.layer[i]], geo.ys[i]
        k = len(v.inputs)
        dy = (self.slot_pos.get((i, s), s) - (k - 1) / 2) * self.port_spacing(i)
        if geo.width[i] == 2 * R:
            return cx - math.sqrt(R * R - dy * dy), cy + dy
        return cx - geo.width[i] / 2, cy + dy

    def wire_points(self, geo: Geometry, path: list[int], u: int, v: int, s: int) -> list[tuple[float, float]]:
        """Points of a wire: from the source's stem end, through each column it crosses, into the port."""
        pts = [(geo.stem_end(geo.layer[u]), geo.ys[u], "start")]
        for it in path[1:-1]:
            col = geo.items[it]["layer"]
            pts.append((geo.col_left(col), geo.ys[it], "bend"))
            pts.append((geo.stem_end(col), geo.ys[it], "line"))
        px, py = self.port(geo, v, s)
        pts.append((geo.col_left(geo.layer[v]), py, "bend"))
        pts.append((px - 7, py, "line"))
        return [(x, y) for x, y, _ in pts]


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
