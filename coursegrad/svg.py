"""The SVG text of a graph drawing: shapes, wires and labels where `coursegrad.layout` placed them.

`render(placement, texts)` is a pure function from a `Placement` and the texts written on each node
(`NodeTexts`) to the SVG, every text written and every box taken (a `Canvas`). Accessibility text
(`<title>`, `<desc>`) belongs right after the opening tag, which `_open` writes.

Okabe–Ito hues, darkened to WCAG AA contrast on white, safe for common colour-vision deficiencies; colour is never the only cue:
values are upright and above the wire, gradients italic and below it. Every piece of text is also
recorded with its box (`Box`), so tests and widgets need not parse the SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

from coursegrad.layout import (
    BOX_H,
    GRAD_SIZE,
    MARGIN,
    ORDER_SIZE,
    SYMBOL_SIZE,
    VALUE_SIZE,
    Placement,
    R,
    display_size,
    symbol_size,
    text_width,
)

VALUE_COLOUR = "#000000"
GRAD_COLOUR = "#C04A00"  # vermilion, darkened to 5.0:1 on white (Okabe–Ito #D55E00 is 3.9:1)
LEAF_FILL = "#DCEEFB"  # a light tint of sky blue #56B4E9
GATE_FILL = "#FFFFFF"
CONST_COLOUR = "#6E6E6E"
HIGHLIGHT_FILL = "#F0E442"  # yellow
HIGHLIGHT_RING = "#A15A00"  # dark orange, 5.3:1 on white (a ring needs 3:1; Okabe–Ito #E69F00 is 2.2:1)
HIGHLIGHT_CLASS = "coursegrad-highlight"  # the CSS class of the highlighted node's ring (for tests and styling)
WIRE_COLOUR = "#4D4D4D"
ORDER_FILL = "#0072B2"  # blue: the tag numbering nodes in backward-pass order (draw(order=True))
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Box:
    """The rectangle (x0, y0)–(x1, y1) taken by a shape ("input", "constant", "gate"), a tag ("order") or a
    text ("text"; "inside" for the text written in a shape). Text widths are estimates (no font metrics)."""

    kind: str
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass
class Canvas:
    """SVG elements as they are written, with every text and every box taken."""

    out: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.out.append(element)

    def text(self, x, y, s, size, *, colour=VALUE_COLOUR, anchor="middle", italic=False, bold=False, halo=False, inside=False):
        self.texts.append(s)
        w = text_width(s, size) * (1.08 if bold else 1.0)
        x0 = x - w / 2 if anchor == "middle" else (x if anchor == "start" else x - w)
        self.boxes.append(Box("inside" if inside else "text", s, x0, y - 0.76 * size, x0 + w, y + 0.24 * size))
        style = ' font-style="italic"' if italic else ""
        style += ' font-weight="bold"' if bold else ""
        style += ' stroke="#FFFFFF" stroke-width="3" paint-order="stroke"' if halo else ""
        written = escape(s, quote=False)
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{style}>{written}</text>'
        )


@dataclass(frozen=True)
class NodeTexts:
    """What is written on one node: the `label` beside a gate (italic; "" for none), the `value` above its
    wire and the `grad` below ("" for a blank; nothing is written on a constant's wire), and whether it is
    `highlighted` or tagged with its backward-pass `order`."""

    label: str = ""
    value: str = ""
    grad: str = ""
    highlighted: bool = False
    order: int | None = None


def render(placement: Placement, texts: list[NodeTexts], show_grad: bool = True) -> tuple[str, Canvas]:
    """The SVG of a placed graph with its texts (one per node), and the canvas that holds every text and box.
    `show_grad=False`: the legend names values only."""
    canvas = Canvas()
    graph = placement.graph
    _open(canvas, placement)
    y_text = MARGIN + 12
    if graph.title:
        canvas.text(MARGIN, y_text, graph.title, 15, anchor="start", bold=True)
        y_text += 22
    if graph.message:
        canvas.text(MARGIN, y_text, graph.message, 12, anchor="start", colour=CONST_COLOUR)
    _wires(canvas, placement, texts)  # first: under the shapes
    for i in range(len(graph.nodes)):
        _node(canvas, placement, i, texts[i])
    _legend(canvas, placement, show_grad)
    canvas.add("</svg>")
    return "\n".join(canvas.out) + "\n", canvas


def _open(canvas: Canvas, placement: Placement) -> None:
    """The opening tag, at the size shown, and a white background (accessibility text would follow here)."""
    total_w, total_h = placement.width, placement.height
    shown_w, shown_h = display_size(total_w, total_h)
    canvas.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{shown_w}" height="{shown_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="{FONT}">'
    )
    canvas.add(f'<rect x="0" y="0" width="{total_w}" height="{total_h}" fill="#FFFFFF"/>')


def _wires(canvas: Canvas, placement: Placement, texts: list[NodeTexts]) -> None:
    """Every wire (bold into the highlighted node), and dashed stubs for inputs left out of a compact drawing."""
    graph = placement.graph
    for (_, v, _), pts in zip(graph.edges, placement.wires, strict=True):
        width = 2.6 if texts[v].highlighted else 1.4
        canvas.add(f'<path d="{path_d(pts)}" fill="none" stroke="{WIRE_COLOUR}" stroke-width="{width}"/>')
        canvas.add(arrowhead(pts[-1][0], pts[-1][1], WIRE_COLOUR))
    drawn = {(v, s) for _, v, s in graph.edges}
    for i, node in enumerate(graph.nodes):
        for s in [s for s in range(node.inputs) if (i, s) not in drawn]:
            px, py = placement.ports[(i, s)]
            canvas.add(
                f'<line x1="{px - 26:.1f}" y1="{py:.1f}" x2="{px:.1f}" y2="{py:.1f}" stroke="{WIRE_COLOUR}" '
                'stroke-width="1.2" stroke-dasharray="3 3"/>'
            )
            canvas.text(px - 30, py + 4, "⋯", 13, anchor="end", colour=CONST_COLOUR)


def _node(canvas: Canvas, placement: Placement, i: int, texts: NodeTexts) -> None:
    """Node i: its outgoing wire (the stem), its shape, its tag and the labels on its stem."""
    node = placement.graph.nodes[i]
    (cx, cy), w = placement.centre(i), placement.shape_width[i]
    _stem(canvas, placement, i)
    round_gate = node.kind == "gate" and w == 2 * R
    if texts.highlighted:
        _highlight(canvas, cx, cy, w, round_gate)
    half_h = R if round_gate else BOX_H / 2
    canvas.boxes.append(Box(node.kind, node.text, cx - w / 2, cy - half_h, cx + w / 2, cy + half_h))
    _shape(canvas, node.kind, node.text, texts.label, cx, cy, w, texts.highlighted)
    if texts.order is not None:  # draw(order=True): when the backward pass visits this node
        _order_tag(canvas, cx + w / 2, cy - half_h - 10, texts.order)
    if node.kind != "constant":
        canvas.text(placement.label_x(i), cy - 6, texts.value, VALUE_SIZE, halo=True)
        if texts.grad:
            canvas.text(placement.label_x(i), cy + 16, texts.grad, GRAD_SIZE, colour=GRAD_COLOUR, italic=True, halo=True)


def _stem(canvas: Canvas, placement: Placement, i: int) -> None:
    """The node's outgoing wire, which carries its labels: an arrow for the output, a dot at a fork."""
    consumers = placement.graph.consumers[i]
    cx, cy = placement.centre(i)
    right = cx + placement.shape_width[i] / 2
    stem_end = placement.stem_end(i)
    if not consumers:  # the output, or a node whose consumers were left out
        if i != placement.graph.output:
            canvas.text(stem_end + 14, cy + 4, "⋯", 13, anchor="start", colour=CONST_COLOUR)
        canvas.add(
            f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end - 6:.1f}" y2="{cy:.1f}" stroke="{WIRE_COLOUR}" '
            f'stroke-width="1.4"/>'
        )
        canvas.add(arrowhead(stem_end, cy, WIRE_COLOUR))
        return
    canvas.add(
        f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end:.1f}" y2="{cy:.1f}" stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
    )
    if len(consumers) > 1:
        canvas.add(f'<circle cx="{stem_end:.1f}" cy="{cy:.1f}" r="3.5" fill="{WIRE_COLOUR}"/>')


def _highlight(canvas: Canvas, cx: float, cy: float, w: float, round_gate: bool) -> None:
    """A dashed ring around the highlighted node and a ▼ above it (not colour alone)."""
    if round_gate:
        canvas.add(
            f'<circle class="{HIGHLIGHT_CLASS}" cx="{cx:.1f}" cy="{cy:.1f}" r="{R + 5}" fill="none" '
            f'stroke="{HIGHLIGHT_RING}" stroke-width="3" stroke-dasharray="5 3"/>'
        )
    else:
        canvas.add(
            f'<rect class="{HIGHLIGHT_CLASS}" x="{cx - w / 2 - 5:.1f}" y="{cy - BOX_H / 2 - 5:.1f}" '
            f'width="{w + 10:.1f}" height="{BOX_H + 10}" rx="8" fill="none" stroke="{HIGHLIGHT_RING}" '
            'stroke-width="3" stroke-dasharray="5 3"/>'
        )
    top = cy - (R + 7 if round_gate else BOX_H / 2 + 7)
    canvas.add(
        f'<polygon points="{cx - 7:.1f},{top - 10:.1f} {cx + 7:.1f},{top - 10:.1f} {cx:.1f},{top:.1f}" fill="{VALUE_COLOUR}"/>'
    )


def _shape(canvas: Canvas, kind: str, body: str, label: str, cx: float, cy: float, w: float, is_hl: bool) -> None:
    """A gate: a circle (or a pill for a long name) with its symbol; an input: a box with its label;
    a constant: a dashed grey box with its number."""
    stroke_w = 3.5 if is_hl else 1.5
    fill = HIGHLIGHT_FILL if is_hl else {"gate": GATE_FILL, "constant": "#F2F2F2"}.get(kind, LEAF_FILL)
    x, y = f"{cx - w / 2:.1f}", f"{cy - BOX_H / 2:.1f}"
    if kind == "gate" and w == 2 * R:
        canvas.add(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{R}" fill="{fill}" stroke="#000000" stroke-width="{stroke_w}"/>')
        size = symbol_size(body)
    elif kind == "gate":
        canvas.add(
            f'<rect x="{x}" y="{y}" width="{w:.1f}" height="{BOX_H}" rx="{BOX_H / 2}" fill="{fill}" '
            f'stroke="#000000" stroke-width="{stroke_w}"/>'
        )
        size = SYMBOL_SIZE - 2
    elif kind == "constant":
        canvas.add(
            f'<rect x="{x}" y="{y}" width="{w:.1f}" height="{BOX_H}" rx="3" fill="{fill}" stroke="{CONST_COLOUR}" '
            f'stroke-width="{stroke_w}" stroke-dasharray="4 3"/>'
        )
        canvas.text(cx, cy + 5, body, SYMBOL_SIZE - 1, colour="#444444", inside=True)
        return
    else:
        canvas.add(
            f'<rect x="{x}" y="{y}" width="{w:.1f}" height="{BOX_H}" rx="3" fill="{fill}" stroke="#000000" '
            f'stroke-width="{stroke_w}"/>'
        )
        canvas.text(cx, cy + 5, body, SYMBOL_SIZE - 1, bold=True, inside=True)
        return
    canvas.text(cx, cy + size * 0.36, body, size, inside=True)
    if label:
        canvas.text(cx - R - 2, cy - R - 1, label, 12, anchor="end", italic=True, colour="#333333")


def _order_tag(canvas: Canvas, x: float, y: float, number: int) -> None:
    """A dark rounded tag centred at (x, y) holding `number` in white: the node's backward-pass order."""
    label = str(number)
    w = max(16.0, text_width(label, ORDER_SIZE) * 1.08 + 6)
    canvas.boxes.append(Box("order", label, x - w / 2, y - 8, x + w / 2, y + 8))
    canvas.add(
        f'<rect class="coursegrad-order" x="{x - w / 2:.1f}" y="{y - 8:.1f}" width="{w:.1f}" height="16" rx="8" '
        f'fill="{ORDER_FILL}" stroke="{ORDER_FILL}" stroke-width="1"/>'
    )
    canvas.text(x, y + ORDER_SIZE * 0.36, label, ORDER_SIZE, colour="#FFFFFF", bold=True, inside=True)


def _legend(canvas: Canvas, placement: Placement, show_grad: bool) -> None:
    """The two styles, shown rather than only named, and what else the picture uses."""
    legend_y = placement.legend_y
    canvas.add(
        f'<line x1="{MARGIN:.1f}" y1="{legend_y:.1f}" x2="{MARGIN + 46:.1f}" y2="{legend_y:.1f}" '
        f'stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
    )
    canvas.text(MARGIN + 23, legend_y - 5, "value", 11)
    if show_grad:
        canvas.text(MARGIN + 23, legend_y + 12, "gradient", 11, colour=GRAD_COLOUR, italic=True)
    canvas.text(MARGIN + 60, legend_y + 4, placement.graph.legend, 11, anchor="start", colour="#333333")


def path_d(pts: list[tuple[float, float]]) -> str:
    """Horizontal runs joined by smooth S-bends (cubic curves with horizontal tangents)."""
    d = [f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in pairwise(pts):
        if abs(y1 - y0) < 0.05:
            d.append(f"L{x1:.1f},{y1:.1f}")
        else:
            xm = (x0 + x1) / 2
            d.append(f"C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
    return " ".join(d)


def arrowhead(x: float, y: float, colour: str) -> str:
    """A small triangle pointing right whose tip is 7 px right of (x, y)."""
    return f'<polygon points="{x - 1:.1f},{y - 4.5:.1f} {x + 7:.1f},{y:.1f} {x - 1:.1f},{y + 4.5:.1f}" fill="{colour}"/>'
