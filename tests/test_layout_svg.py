"""layout.place and svg.render alone: a graph described by kinds and texts (no Value) placed and written."""

from __future__ import annotations

import dataclasses

import pytest

from coursegrad.layout import Graph, LayoutNode, Placement, R, place
from coursegrad.svg import NodeTexts, render


def lecture_graph(**picture) -> Graph:
    """x, y, z; q = x + y; f = q · z (the lecture's first graph), with its wires' texts."""
    x, y, z = (
        LayoutNode("input", t, value_text=v, grad_texts=(g,))
        for t, v, g in [("x", "-2", "-4"), ("y", "5", "-4"), ("z", "-4", "3")]
    )
    q = LayoutNode("gate", "+", inputs=2, commutative=True, value_text="3", grad_texts=("-4",))
    f = LayoutNode("gate", "×", inputs=2, commutative=True, value_text="-12", grad_texts=("1",))
    return Graph((x, y, q, z, f), ((0, 2, 0), (1, 2, 1), (2, 4, 0), (3, 4, 1)), output=4, **picture)


def test_columns_are_the_longest_path_from_the_inputs():
    p = place(lecture_graph())
    assert p.layer == (0, 0, 1, 0, 2)  # the inputs in the first column, as in the lecture's figures
    xs = [p.centre(i)[0] for i in range(5)]
    assert xs[0] == xs[1] == xs[3] < xs[2] < xs[4]


def test_nodes_of_a_column_do_not_overlap_and_wires_enter_their_ports():
    p = place(lecture_graph())
    ys = sorted(p.centre(i)[1] for i in (0, 1, 3))
    assert all(b - a >= 2 * R for a, b in zip(ys, ys[1:], strict=False))
    for (u, v, s), wire in zip(p.graph.edges, p.wires, strict=True):
        assert wire[0] == (p.stem_end(u), p.centre(u)[1])  # leaves the source's stem
        assert wire[-1] == (p.ports[(v, s)][0] - 7, p.ports[(v, s)][1])  # and ends at the arrowhead of its port
    assert p.width > 0 and p.height > 0 and p.legend_y < p.height


def test_inputs_of_a_commutative_gate_swap_ports_so_wires_do_not_cross():
    """c + a and a − c: − keeps its input 0 (a) on top, so a sits above c, and + takes a into its upper port."""
    a, c = LayoutNode("input", "a"), LayoutNode("input", "c")
    for commutative in (True, False):
        plus = LayoutNode("gate", "+", inputs=2, commutative=commutative)
        nodes = (a, c, plus, LayoutNode("gate", "−", inputs=2), LayoutNode("gate", "×", inputs=2))
        p = place(Graph(nodes, ((1, 2, 0), (0, 2, 1), (0, 3, 0), (1, 3, 1), (2, 4, 0), (3, 4, 1)), output=4))
        assert p.centre(0)[1] < p.centre(1)[1]  # a above c
        assert p.ports[(3, 0)][1] < p.ports[(3, 1)][1]  # −: input 0 on top
        a_on_top = p.ports[(2, 1)][1] < p.ports[(2, 0)][1]  # +: a is its input 1
        assert a_on_top is commutative  # swapped only where the order does not matter


def test_the_placement_is_frozen_and_deterministic():
    p = place(lecture_graph())
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.width = 1
    assert place(lecture_graph()) == p
    assert isinstance(p, Placement)


def test_a_title_and_a_message_make_room_above():
    plain, titled = place(lecture_graph()), place(lecture_graph(title="f = (x + y) · z"))
    assert titled.centre(0)[1] == plain.centre(0)[1] + 24


def test_a_compact_drawing_puts_each_node_next_to_its_gate():
    assert place(lecture_graph(message="Large graph")).layer == (0, 0, 1, 1, 2)  # z moves next to ×


def test_render_writes_each_text_where_the_layout_put_it():
    p = place(lecture_graph(legend="value above the wire"))
    texts = [NodeTexts(value=n.value_text, grad=n.grad_texts[0]) for n in p.graph.nodes]
    texts[2] = dataclasses.replace(texts[2], label="q", highlighted=True, order=2)
    svg, canvas = render(p, texts)
    assert svg.startswith("<svg ") and svg.endswith("</svg>\n")
    assert f'viewBox="0 0 {p.width} {p.height}"' in svg
    assert svg.count("<path ") == len(p.graph.edges)
    assert 'class="coursegrad-highlight"' in svg and 'class="coursegrad-order"' in svg
    for t in ["x", "+", "×", "-12", "3", "q", "value above the wire", "2"]:
        assert t in canvas.texts
    (box,) = [b for b in canvas.boxes if b.kind == "gate" and b.text == "+"]
    cx, cy = p.centre(2)
    assert (box.x0 + box.x1) / 2 == pytest.approx(cx) and (box.y0 + box.y1) / 2 == pytest.approx(cy)
    assert "gradient" not in render(p, texts, show_grad=False)[1].texts
