"""The drawing's bytes stay as they were: the lectures store SVG, so a change here would need every lecture re-run.

Each case draws a graph that exercises one part of the layout or the SVG (forks, port swaps, long wires,
constants, arrays, pills, compact drawings, highlights, partial gradients, the backward order tags), and
its SVG, texts and boxes are compared with digests taken before layout and SVG were cut into pure functions.
A deliberate change to the picture updates DIGESTS (run this file as a script: it prints them) and
re-runs the lectures (`python3 run.py refresh`).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from coursegrad import Value, draw


def _neuron():
    x1, x2, w1, w2, b = (Value(v, n) for v, n in [(2.0, "x1"), (0.0, "x2"), (-3.0, "w1"), (1.0, "w2"), (6.8813735870195432, "b")])
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "n": n}


def _fork():
    a = Value(3.0, "a")
    b = a * a + a.exp() - a / 2.0
    return b, {"a": a}


def _chain(n):
    x = Value(0.5, "x")
    y = x
    for i in range(n):
        y = (y * 1.01 + 0.1).tanh() if i % 2 else y.sigmoid() * 2.0
    return y, {"x": x}


def _arrays():
    X = Value(np.arange(6.0).reshape(2, 3) / 10, "X")
    W = Value(np.ones((3, 2)) * 0.5, "W")
    b = Value(np.array([0.1, -0.2]), "b")
    out = ((X @ W + b).relu() ** 2).sum()
    return out, {"W": W}


def _lecture():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    return f, {"x": x, "q": q}


def _drawings():
    f, n = _lecture()
    yield "lecture, no backward", draw(f)
    f.backward()
    yield "lecture", draw(f, title="f = (x + y) · z")
    yield "lecture, order", draw(f, order=True)
    yield "lecture, known q", draw(f, known={f: 1.0, n["q"]: -4.0}, highlight=n["q"])
    yield "lecture, values only", draw(f, show_grad=False)
    o, n = _neuron()
    o.backward()
    yield "neuron, highlight", draw(o, highlight=n["n"], order=True)
    b, n = _fork()
    b.backward()
    yield "fork", draw(b)
    yield "fork, sent", draw(b, known={b: 1.0}, sent={})
    y, n = _chain(40)
    y.backward()
    yield "long chain, compact", draw(y, max_nodes=25)
    yield "long chain, compact, focus", draw(y, max_nodes=12, highlight=n["x"])
    yield "long chain, all", draw(y, max_nodes=200)
    out, n = _arrays()
    out.backward()
    yield "arrays", draw(out, order=True)
    p = Value(1.5, "p")
    q = (p.log() + p.softplus() - (p * 2.0).relu()).maximum(p) / 3.0
    q.backward()
    yield "pills and constants", draw(q)


def _digest(d) -> str:
    h = hashlib.sha256(d.svg.encode())
    h.update(repr(d.texts).encode())
    h.update(repr([(b.kind, b.text, round(b.x0, 3), round(b.y0, 3), round(b.x1, 3), round(b.y1, 3)) for b in d.boxes]).encode())
    h.update(
        repr(
            [(n.index, n.kind, n.text, n.value_text, n.grad_text, n.fork, n.highlighted, n.x, n.y, n.order) for n in d.nodes]
        ).encode()
    )
    return h.hexdigest()[:20]


DIGESTS = {  # after the accessible title and description (issue 23); before that, taken before the layout/SVG cut
    "lecture, no backward": "635725778688a7158429",
    "lecture": "5ae40a52ed4e5f367d56",
    "lecture, order": "4640783992c2155f6589",
    "lecture, known q": "3e0a193dd3aa71416c84",
    "lecture, values only": "f4e8e4a37addb774dc4a",
    "neuron, highlight": "7da29c4c99ea36430e2a",
    "fork": "bd354c147a35b52b8a8d",
    "fork, sent": "7317ffd3f50e5882334e",
    "long chain, compact": "3784d47994a4450acb1c",
    "long chain, compact, focus": "c72f6ce456d3692d06bb",
    "long chain, all": "62029698dbb37f212dfd",
    "arrays": "5752b7283b6eef42def8",
    "pills and constants": "a21af3cd9c174ed55e0f",
}


def test_there_are_cases():
    assert len(DIGESTS) == len(list(_drawings())) >= 13


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_the_drawing_is_byte_identical(name):
    drawings = dict(_drawings())
    assert _digest(drawings[name]) == DIGESTS[name], f"the drawing {name!r} changed"


if __name__ == "__main__":  # print the digests of the drawings as they are now
    for name, d in _drawings():
        print(f"    {name!r}: {_digest(d)!r},")
