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


DIGESTS = {  # taken on main before the cut (the same on main and on this branch)
    "lecture, no backward": "da8a68999d02bb5e89e7",
    "lecture": "f1491bd7e7bc52966313",
    "lecture, order": "fd1627c5ca3ad5dde43f",
    "lecture, known q": "3f35b103023cf3bacd81",
    "lecture, values only": "c3a0855137edae4b18ca",
    "neuron, highlight": "1d949ca89406608c46d2",
    "fork": "c854b21f12d8c0f09678",
    "fork, sent": "464538a4a86787ba8b17",
    "long chain, compact": "8a3047ba965c9841eb95",
    "long chain, compact, focus": "d1d37bae7919964b037d",
    "long chain, all": "fa74502028afadaacc4f",
    "arrays": "1b95df4c65b8441d045b",
    "pills and constants": "17a2fcac6ba194209163",
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
