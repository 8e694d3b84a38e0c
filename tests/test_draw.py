"""Tests for coursegrad.drawing: the right nodes, labels and numbers; constants, arrays, forks; same bytes; large graphs."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import coursegrad
from coursegrad import Value, backprop, numerical_grad
from coursegrad.drawing import HIGHLIGHT_CLASS, GraphDrawing, draw, fmt, gate_symbol, summary

SVG = "{http://www.w3.org/2000/svg}"


def lecture_example():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f, (x, y, z)


def sigmoid_neuron(w=(2.0, -3.0, -3.0), x=(-1.0, -2.0)):
    """f(w, x) = 1 / (1 + exp(-(w0·x0 + w1·x1 + w2))) as primitive gates (the lecture's example)."""
    w0, w1, w2 = (Value(v, f"w{i}") for i, v in enumerate(w))
    x0, x1 = (Value(v, f"x{i}") for i, v in enumerate(x))
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    return f, (w0, w1, w2, x0, x1)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text")]


def test_fmt_is_compact_and_consistent():
    assert [fmt(v) for v in (-12.0, 0.7310585, -0.19661193, 1.2e-05, 3.0, -0.0, 12345.0)] == [
        "-12", "0.731", "-0.197", "1.2e-05", "3", "0", "1.23e+04",
    ]  # fmt: skip
    assert summary(np.array([2.0, -3.0])) == "[2, -3]"
    assert summary(np.ones((3, 4)) * 0.5) == "(3, 4) rms 0.5"
    rows_sum_to_zero = np.array([[0.3, -0.3], [-2.0, 2.0]])  # like a softmax gradient: mean 0, entries not
    assert summary(rows_sum_to_zero) == "(2, 2) rms 1.43"
    assert gate_symbol("*") == "×" and gate_symbol("**2") == "x²" and gate_symbol("sum") == "Σ"


def test_lecture_example_shows_values_gradients_and_labels():
    f, (x, y, z) = lecture_example()
    d = draw(f)
    assert isinstance(d, GraphDrawing)
    by_label = {n.label: n for n in d.nodes if n.label}
    assert set(by_label) == {"x", "y", "z"}
    assert (by_label["x"].value_text, by_label["x"].grad_text) == ("-2", "-4")
    assert (by_label["y"].value_text, by_label["y"].grad_text) == ("5", "-4")
    assert (by_label["z"].value_text, by_label["z"].grad_text) == ("-4", "3")
    out = d.nodes[-1]
    assert (out.text, out.value_text, out.grad_text) == ("×", "-12", "1")
    plus = d.node("+")
    assert (plus.kind, plus.value_text, plus.grad_text) == ("gate", "3", "-4")
    texts = svg_texts(d.svg)
    for t in ("x", "y", "z", "-12", "-4", "3", "+", "×"):
        assert t in texts, t
    assert texts.count("-4") == 4  # z's value and the gradients of x, y and x + y
    # The gradients are in the gradient style (italic), the values upright.
    root = ET.fromstring(d.svg)
    italic = [t.text for t in root.iter(f"{SVG}text") if t.get("font-style") == "italic"]
    upright = [t.text for t in root.iter(f"{SVG}text") if t.get("font-style") != "italic"]
    assert sorted(italic[:5]) == sorted(["-4", "-4", "3", "-4", "1"])
    assert "-12" in upright and "-12" not in italic
    assert "gradient" in italic and "value" in upright  # the legend shows both styles


def test_numbers_in_the_drawing_are_the_gradients_central_differences_give():
    f, (x, y, z) = lecture_example()
    d = draw(f)
    numeric = numerical_grad(lambda a, b, c: (a + b) * c, -2.0, 5.0, -4.0)
    for leaf, g in zip((x, y, z), numeric, strict=True):
        assert d.node(leaf.label).grad_text == fmt(g)


def test_sigmoid_neuron_drawing():
    f, (w0, w1, w2, x0, x1) = sigmoid_neuron()
    f.backward()
    d = draw(f, title="sigmoid neuron")
    assert d.nodes[-1].value_text == "0.731"
    assert "0.731" in svg_texts(d.svg) and "sigmoid neuron" in svg_texts(d.svg)
    numeric = numerical_grad(lambda a, b, c, p, q: 1 / (1 + np.exp(-(a * p + b * q + c))), 2.0, -3.0, -3.0, -1.0, -2.0)
    for leaf, g in zip((w0, w1, w2, x0, x1), numeric, strict=True):
        assert d.node(leaf.label).grad_text == fmt(g)
    assert [d.node(n).grad_text for n in ("w0", "w1", "w2", "x0", "x1")] == ["-0.197", "-0.393", "0.197", "0.393", "-0.59"]
    constants = [n for n in d.nodes if n.kind == "constant"]
    assert [c.text for c in constants] == ["1", "1"]
    assert all(c.value_text == "" and c.grad_text == "" for c in constants)  # the number is in the box
    assert ET.fromstring(d.svg).find(f".//{SVG}rect[@stroke-dasharray]") is not None  # dashed boxes
    gates = [n.text for n in d.nodes if n.kind == "gate"]
    assert sorted(gates) == sorted(["×", "×", "+", "+", "−", "exp", "+", "÷"])
    # Inputs are left of the gates, the output is rightmost.
    assert max(n.x for n in d.nodes if n.kind == "input") < min(n.x for n in d.nodes if n.kind == "gate")
    assert d.nodes[-1].x == max(n.x for n in d.nodes)


def test_array_nodes_drawn_with_shape_and_summary():
    rng = np.random.default_rng(0)
    W, X, b = Value(rng.normal(size=(3, 4)), "W"), Value(rng.normal(size=(4, 5)), "X"), Value(rng.normal(size=(3, 1)), "b")
    f = (W @ X + b).relu().sum()
    f.backward()
    d = draw(f)
    assert d.node("W").value_text == f"(3, 4) rms {fmt(np.sqrt(np.mean(W.data**2)))}"
    assert d.node("W").grad_text == f"rms {fmt(np.sqrt(np.mean(W.grad**2)))}"
    assert d.node("X").value_text.startswith("(4, 5)")
    assert d.node("@").value_text.startswith("(3, 5)")
    assert d.node("Σ").value_text == fmt(f.data)
    assert [n.text for n in d.nodes if n.kind == "gate"] == ["@", "+", "relu", "Σ"]
    texts = svg_texts(d.svg)
    assert any(t.startswith("(3, 4) rms") for t in texts)


def test_fork_is_visible_and_its_gradient_written_as_a_sum():
    x = Value(3.0, "x")
    f = x * x + x
    f.backward()
    d = draw(f)
    node = d.node("x")
    assert node.fork and not d.node("×").fork
    assert node.grad_text == "3 + 3 + 1 = 7" == f"3 + 3 + 1 = {fmt(x.grad)}"
    assert 'r="3.5"' in d.svg  # the dot where the wire splits
    assert sum(1 for w in d.wires if w.source == node.index) == 3


def test_same_graph_same_bytes_and_valid_xml():
    svgs = []
    for _ in range(2):
        f, _ = sigmoid_neuron()
        f.backward()
        svgs.append(draw(f, title="<neuron> & 'friends'").svg)
    assert svgs[0] == svgs[1]
    root = ET.fromstring(svgs[0])  # valid XML although the title needs escaping
    assert root.tag == f"{SVG}svg"
    assert "<neuron> & 'friends'" in svg_texts(svgs[0])
    assert int(root.get("width")) > 0 and int(root.get("height")) > 0


def test_labels_are_escaped():
    a = Value(1.0, "a<b&c")
    d = draw(a * 2)
    ET.fromstring(d.svg)
    assert "a<b&c" in svg_texts(d.svg)


def test_without_backward_gradients_are_blank_and_the_legend_says_why():
    x = Value(2.0, "x")
    d = draw(x * 3)
    assert all(n.grad_text == "" for n in d.nodes)
    assert any("backward()" in t for t in d.texts)
    d2 = draw(x * 3, show_grad=False)
    assert "gradient" not in svg_texts(d2.svg)


def test_known_overrides_grad_and_blanks_the_rest():
    f, (x, y, z) = lecture_example()
    d = draw(f, known={f: 1.0, z: 3.0})
    assert d.node("z").grad_text == "3"
    assert d.node("x").grad_text == "" and d.node("+").grad_text == ""


def test_highlight_marks_one_node_not_by_colour_alone():
    f, (x, y, z) = lecture_example()
    plain = draw(f)
    d = draw(f, highlight=z)
    assert [n.label for n in d.nodes if n.highlighted] == ["z"]
    assert 'stroke-width="3.5"' in d.svg and 'stroke-width="3.5"' not in plain.svg  # thick outline
    assert d.svg.count("<polygon") == plain.svg.count("<polygon") + 1  # the ▼ marker
    # one ring, which a stylesheet or a browser test finds by its class, not by its colour
    ring = [e for e in ET.fromstring(d.svg).iter() if e.get("class") == HIGHLIGHT_CLASS]
    assert len(ring) == 1 and HIGHLIGHT_CLASS not in plain.svg
    for node, shape in ((x, "rect"), (f, "circle")):  # an input is a box, a gate a circle
        svg = ET.fromstring(draw(f, highlight=node).svg)
        marked = [e.tag.split("}")[-1] for e in svg.iter() if e.get("class") == HIGHLIGHT_CLASS]
        assert marked == [shape]
    with pytest.raises(ValueError, match="highlight"):
        draw(f, highlight=Value(1.0))


def test_large_graph_is_drawn_compactly_with_a_message():
    xs = [Value(float(i), f"x{i}") for i in range(100)]
    f = xs[0]
    for v in xs[1:]:
        f = f + v * 0.5  # 100 leaves, 99 constants, 198 gates
    f.backward()
    d = draw(f)
    assert len(d.nodes) == 60
    assert "Large graph" in d.message and "397 nodes" in d.message
    assert d.message in d.texts
    assert "⋯" in svg_texts(d.svg)
    ET.fromstring(d.svg)
    assert d.width < 4000 and d.height < 2000
    assert len(draw(f, max_nodes=400).nodes) == 397


def test_deep_chain_does_not_recurse():
    x = Value(0.5, "x")
    f = x
    for _ in range(5000):
        f = f * 1.0
    f.backward()
    assert len(draw(f).nodes) == 60


def test_bad_input_gives_clear_errors():
    with pytest.raises(TypeError, match="needs a Value"):
        draw(3.0)
    with pytest.raises(ValueError, match="max_nodes"):
        draw(Value(1.0), max_nodes=0)


def test_save_and_repr(tmp_path):
    f, _ = lecture_example()
    d = draw(f)
    path = d.save(tmp_path / "f.svg")
    assert path.read_text(encoding="utf-8") == d.svg
    with pytest.raises(ValueError, match=".svg"):
        d.save(tmp_path / "f.pdf")
    assert d._repr_svg_() == d.svg
    assert repr(d).startswith("<GraphDrawing of 5 nodes (inputs: x, y, z)")


def test_reachable_as_coursegrad_draw():
    f, _ = lecture_example()
    assert coursegrad.draw is draw
    import coursegrad.drawing as module

    assert module.draw is draw and coursegrad.draw is draw  # importing the module changes nothing


def small_network():
    """A 2-3-1 tanh network on scalars with a squared error: 37 nodes."""
    x = [Value(1.0, "x0"), Value(-0.5, "x1")]
    weights = [(0.13, -0.13, 0.64), (0.1, -0.54, 0.36), (1.3, 0.95, -0.7)]
    hidden = []
    for j, (b, w0, w1) in enumerate(weights):
        s = Value(b, f"b{j}") + Value(w0, f"w{j}0") * x[0] + Value(w1, f"w{j}1") * x[1]
        hidden.append(s.tanh())
    out = hidden[0] * Value(0.5, "v0") + hidden[1] * Value(-1.0, "v1") + hidden[2] * Value(0.3, "v2")
    return (out - 1.0) ** 2


def overlapping(d: GraphDrawing) -> list:
    """Pairs of shapes / texts that overlap, and texts that stick out of their shape or the picture."""
    bad = []
    outside = [b for b in d.boxes if b.kind != "inside"]
    for i, a in enumerate(outside):
        bad += [(a.text, b.text) for b in outside[i + 1 :] if a.overlaps(b)]
    shapes = [b for b in d.boxes if b.kind in ("input", "constant", "gate", "order")]
    for b in d.boxes:
        if b.kind == "inside":
            mid = ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
            home = [s for s in shapes if s.x0 <= mid[0] <= s.x1 and s.y0 <= mid[1] <= s.y1]
            if len(home) != 1 or b.x0 < home[0].x0 or b.x1 > home[0].x1:
                bad.append(("not inside its shape", b.text))
        if b.x0 < 0 or b.y0 < 0 or b.x1 > d.width or b.y1 > d.height:
            bad.append(("outside the picture", b.text))
    return bad


def test_no_overlaps_up_to_forty_nodes():
    f, _ = lecture_example()
    neuron, _ = sigmoid_neuron()
    neuron.backward()
    net = small_network()
    net.backward()
    x = Value(3.0, "x")
    fork = x * x + x
    fork.backward()
    W, X = Value(np.arange(12.0).reshape(3, 4) / 10, "W"), Value(np.ones((4, 2)), "X")
    arrays = (W @ X + Value(np.array([[0.5], [-1.0], [2.0]]), "b")).relu().sum()
    arrays.backward()
    assert len(draw(net).nodes) == 37
    for g in (f, neuron, net, fork, arrays):
        for d in (draw(g), draw(g, title="a title", highlight=g), draw(g, show_grad=False), draw(g, order=True, highlight=g)):
            assert d.boxes and overlapping(d) == [], d


def test_layout_keeps_inputs_left_and_output_right():
    net = small_network()
    net.backward()
    d = draw(net)
    out = d.nodes[-1]
    assert out.x == max(n.x for n in d.nodes)
    for w in d.wires:  # every wire runs left to right
        assert d.nodes[w.source].x < d.nodes[w.target].x


def test_png_is_drawn_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib", reason="PNG output needs matplotlib (the course extra)")
    f, _ = lecture_example()
    d = draw(f)
    path = d.save(tmp_path / "f.png", scale=2)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (2 * d.width, 2 * d.height)
    png, metadata = d._repr_png_()  # shown in untrusted notebooks, where SVG is not
    assert png[:4] == b"\x89PNG" and metadata == {"alt": d.description}  # with its description as alt text
    assert d.with_png(None)._repr_png_() is None
    both = d.with_png(2.0)
    assert both._repr_svg_() == d.svg and both._repr_png_()[0][:4] == b"\x89PNG"


def test_same_bytes_in_fresh_interpreters():
    """What nbval does: re-run in a new process (other hash seeds, other object ids) and compare."""
    import hashlib
    import os
    import subprocess
    import sys

    code = (
        "import hashlib; from coursegrad import Value; from coursegrad.drawing import draw\n"
        "w0, w1, w2, x0, x1 = (Value(v, n) for v, n in [(2., 'w0'), (-3., 'w1'), (-3., 'w2'), (-1., 'x0'), (-2., 'x1')])\n"
        "f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()); f.backward()\n"
        "print(hashlib.sha256(draw(f, highlight=w2).svg.encode()).hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        digests.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    f, (w0, w1, w2, x0, x1) = sigmoid_neuron()
    f.backward()
    digests.add(hashlib.sha256(draw(f, highlight=w2).svg.encode()).hexdigest() + "\n")
    assert len(digests) == 1


def test_wide_graphs_are_shown_scaled_to_fit_a_notebook_column():
    from coursegrad.drawing import MAX_WIDTH

    neuron, _ = sigmoid_neuron()
    neuron.backward()
    d = draw(neuron)
    root = ET.fromstring(d.svg)
    assert d.width > MAX_WIDTH  # the layout is wider than a notebook column ...
    assert int(root.get("width")) == MAX_WIDTH  # ... so it is shown scaled down, keeping its proportions
    assert root.get("viewBox") == f"0 0 {d.width} {d.height}"
    assert abs(int(root.get("height")) - d.height * MAX_WIDTH / d.width) <= 1
    png = d.png()
    assert int.from_bytes(png[16:20], "big") == MAX_WIDTH


def test_order_numbers_every_gate_in_the_order_backprop_visits_it():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z + 1.0  # a constant: the backward pass sends it nothing, so it gets no number
    steps = []
    backprop(f, record=steps)
    d = draw(f, order=True)
    number = {n.label or n.text: n.order for n in d.nodes}
    assert number["+"] is not None and d.node("1").order is None
    assert [n.order for n in d.nodes if n.node is f] == [1]
    assert all(d.node(leaf).order is None for leaf in "xyz"), "leaves only receive: the pass never visits them"
    visited = sorted((n for n in d.nodes if n.order is not None), key=lambda n: n.order)
    assert [n.order for n in visited] == list(range(1, 4)) == list(range(1, len(steps) + 1))  # f (+1), ×, q
    gates = [n.node for n in visited if n.kind == "gate"]
    assert gates == [s.node for s in steps]  # the gates in exactly the order the engine took its steps
    for n in visited:  # a node is numbered only after every gate that uses it
        for w in d.wires:
            if w.source == n.index and d.nodes[w.target].order is not None:
                assert d.nodes[w.target].order < n.order
    for n in visited:  # the number is drawn, in a tag at the node
        assert 'class="coursegrad-order"' in d.svg and str(n.order) in d.texts
        tag = next(b for b in d.boxes if b.kind == "order" and b.text == str(n.order))
        assert abs(tag.x0 - n.x) < 40 and abs(tag.y0 - n.y) < 40
    assert "order of the backward pass" in " ".join(d.texts)
    assert 'class="coursegrad-order"' not in draw(f).svg and all(n.order is None for n in draw(f).nodes)


def test_an_array_gradient_is_summarised_by_its_size_not_its_mean():
    """Softmax's gradient rows sum to 0, so its mean is ~0 however large it is (review L5): the drawing shows the rms."""
    from coursegrad.nn import softmax_cross_entropy

    scores = Value(np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]]), "scores")
    loss = softmax_cross_entropy(scores, np.array([0, 2]))
    loss.backward()
    assert abs(scores.grad.mean()) < 1e-15
    text = draw(loss).node("scores").grad_text
    assert text == f"rms {fmt(np.sqrt(np.mean(scores.grad**2)))}" and float(text.split()[1]) > 0.1
