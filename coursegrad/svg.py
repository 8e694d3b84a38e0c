"""The SVG text of a graph drawing: shapes, wires and labels where `coursegrad.layout` placed them.

Okabe–Ito hues, darkened to WCAG AA contrast on white, safe for common colour-vision deficiencies; colour is never the only cue:
values are upright and above the wire, gradients italic and below it. Every piece of text is also
recorded with its box (`Box`), so tests and widgets need not parse the SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from xml.sax.saxutils import escape

from coursegrad.layout import (
    BOX_H,
    GRAD_SIZE,
    MARGIN,
    ORDER_SIZE,
    STEM_GAP,
    SYMBOL_SIZE,
    VALUE_SIZE,
    Geometry,
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
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{style}>{escape(s)}</text>'
        )


class SvgWriter:
    """The SVG half of a drawing (see `Layout` for what it needs); `draw_nodes` returns the DrawnNode facts."""

    def svg(self, geo: Geometry, chains, total_w: int, total_h: int, legend_y: float) -> tuple[str, list, Canvas]:
        canvas = Canvas()
        shown_w, shown_h = display_size(total_w, total_h)
        canvas.add(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{shown_w}" height="{shown_h}" '
            f'viewBox="0 0 {total_w} {total_h}" font-family="{FONT}">'
        )
        canvas.add(f'<rect x="0" y="0" width="{total_w}" height="{total_h}" fill="#FFFFFF"/>')
        y_text = MARGIN + 12
        if self.title:
            canvas.text(MARGIN, y_text, self.title, 15, anchor="start", bold=True)
            y_text += 22
        if self.message:
            canvas.text(MARGIN, y_text, self.message, 12, anchor="start", colour=CONST_COLOUR)
        self.svg_wires(canvas, geo, chains)  # first: under the shapes
        drawn = [self.svg_node(canvas, geo, i) for i in range(len(self.nodes))]
        self.svg_legend(canvas, legend_y)
        canvas.add("</svg>")
        return "\n".join(canvas.out) + "\n", drawn, canvas

    def svg_wires(self, canvas: Canvas, geo: Geometry, chains) -> None:
        """Every wire (bold into the highlighted node), and dashed stubs for inputs left out of a compact drawing."""
        hl = self.index.get(self.highlight) if self.highlight is not None else None
        for (u, v, s), path in zip(self.edges, chains, strict=True):
            pts = self.wire_points(geo, path, u, v, s)
            canvas.add(f'<path d="{path_d(pts)}" fill="none" stroke="{WIRE_COLOUR}" stroke-width="{2.6 if v == hl else 1.4}"/>')
            canvas.add(arrowhead(pts[-1][0], pts[-1][1], WIRE_COLOUR))
        for i, v in enumerate(self.nodes):
            for s in [s for s, u in enumerate(v.inputs) if u not in self.index]:
                px, py = self.port(geo, i, s)
                canvas.add(
                    f'<line x1="{px - 26:.1f}" y1="{py:.1f}" x2="{px:.1f}" y2="{py:.1f}" stroke="{WIRE_COLOUR}" '
                    'stroke-width="1.2" stroke-dasharray="3 3"/>'
                )
                canvas.text(px - 30, py + 4, "⋯", 13, anchor="end", colour=CONST_COLOUR)

    def svg_node(self, canvas: Canvas, geo: Geometry, i: int) -> dict:
        """Node i: its outgoing wire (the stem), its shape, its tag and the labels on its stem."""
        v = self.nodes[i]
        cx, cy, w = geo.xs_col[geo.layer[i]], geo.ys[i], geo.width[i]
        kind, body = self.kind(v), self.box_text(v)
        is_hl = self.highlight is not None and v is self.highlight
        self.svg_stem(canvas, geo, i)
        round_gate = kind == "gate" and w == 2 * R
        if is_hl:
            self.svg_highlight(canvas, cx, cy, w, round_gate)
        half_h = R if round_gate else BOX_H / 2
        canvas.boxes.append(Box(kind, body, cx - w / 2, cy - half_h, cx + w / 2, cy + half_h))
        self.svg_shape(canvas, v, kind, body, cx, cy, w, is_hl)
        if v in self.visits:  # draw(order=True): when the backward pass visits this node
            self.order_tag(canvas, cx + w / 2, cy - half_h - 10, self.visits[v])
        vt, gt = self.svg_labels(canvas, geo, i) if kind != "constant" else ("", "")
        return {"kind": kind, "text": body, "value_text": vt, "grad_text": gt, "fork": len(self.consumers[i]) > 1,
                "highlighted": is_hl, "x": round(cx, 1), "y": round(cy, 1), "order": self.visits.get(v)}  # fmt: skip

    def svg_stem(self, canvas: Canvas, geo: Geometry, i: int) -> None:
        """The node's outgoing wire, which carries its labels: an arrow for the output, a dot at a fork."""
        v, cy = self.nodes[i], geo.ys[i]
        right = geo.xs_col[geo.layer[i]] + geo.width[i] / 2
        stem_end = geo.stem_end(geo.layer[i])
        if v is self.root or not self.consumers[i]:  # the output, or a node whose consumers were left out
            if v is not self.root:
                canvas.text(stem_end + 14, cy + 4, "⋯", 13, anchor="start", colour=CONST_COLOUR)
            canvas.add(
                f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end - 6:.1f}" y2="{cy:.1f}" stroke="{WIRE_COLOUR}" '
                f'stroke-width="1.4"/>'
            )
            canvas.add(arrowhead(stem_end, cy, WIRE_COLOUR))
            return
        canvas.add(
            f'<line x1="{right:.1f}" y1="{cy:.1f}" x2="{stem_end:.1f}" y2="{cy:.1f}" stroke="{WIRE_COLOUR}" '
            f'stroke-width="1.4"/>'
        )
        if len(self.consumers[i]) > 1:
            canvas.add(f'<circle cx="{stem_end:.1f}" cy="{cy:.1f}" r="3.5" fill="{WIRE_COLOUR}"/>')

    def svg_highlight(self, canvas: Canvas, cx: float, cy: float, w: float, round_gate: bool) -> None:
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
            f'<polygon points="{cx - 7:.1f},{top - 10:.1f} {cx + 7:.1f},{top - 10:.1f} {cx:.1f},{top:.1f}" '
            f'fill="{VALUE_COLOUR}"/>'
        )

    def svg_shape(self, canvas: Canvas, v, kind: str, body: str, cx: float, cy: float, w: float, is_hl: bool) -> None:
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
        if v.label:
            canvas.text(cx - R - 2, cy - R - 1, v.label, 12, anchor="end", italic=True, colour="#333333")

    def svg_labels(self, canvas: Canvas, geo: Geometry, i: int) -> tuple[str, str]:
        """The value above the node's stem and (if shown) its gradient below; returns both texts."""
        col, cy = geo.layer[i], geo.ys[i]
        mid = (geo.xs_col[col] + geo.col_w[col] / 2 + STEM_GAP + geo.stem_end(col)) / 2
        vt = self.value_text(self.nodes[i])
        canvas.text(mid, cy - 6, vt, VALUE_SIZE, halo=True)
        gt = self.grad_text(i) if self.show_grad else ""
        if gt:
            canvas.text(mid, cy + 16, gt, GRAD_SIZE, colour=GRAD_COLOUR, italic=True, halo=True)
        return vt, gt

    def order_tag(self, canvas: Canvas, x: float, y: float, number: int) -> None:
        """A dark rounded tag centred at (x, y) holding `number` in white: the node's backward-pass order."""
        label = str(number)
        w = max(16.0, text_width(label, ORDER_SIZE) * 1.08 + 6)
        canvas.boxes.append(Box("order", label, x - w / 2, y - 8, x + w / 2, y + 8))
        canvas.add(
            f'<rect class="coursegrad-order" x="{x - w / 2:.1f}" y="{y - 8:.1f}" width="{w:.1f}" height="16" rx="8" '
            f'fill="{ORDER_FILL}" stroke="{ORDER_FILL}" stroke-width="1"/>'
        )
        canvas.text(x, y + ORDER_SIZE * 0.36, label, ORDER_SIZE, colour="#FFFFFF", bold=True, inside=True)

    def svg_legend(self, canvas: Canvas, legend_y: float) -> None:
        """The two styles, shown rather than only named, and what else the picture uses."""
        canvas.add(
            f'<line x1="{MARGIN:.1f}" y1="{legend_y:.1f}" x2="{MARGIN + 46:.1f}" y2="{legend_y:.1f}" '
            f'stroke="{WIRE_COLOUR}" stroke-width="1.4"/>'
        )
        canvas.text(MARGIN + 23, legend_y - 5, "value", 11)
        if self.show_grad:
            canvas.text(MARGIN + 23, legend_y + 12, "gradient", 11, colour=GRAD_COLOUR, italic=True)
        canvas.text(MARGIN + 60, legend_y + 4, self.legend_note(), 11, anchor="start", colour="#333333")


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
