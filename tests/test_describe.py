"""Text alternatives of drawings and figures, and the colours' contrast and colour-blind safety (issue 23)."""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from coursegrad import Value, draw, plots, svg  # noqa: E402
from coursegrad.describe import describe_figure, image_html, with_text_alternative  # noqa: E402
from coursegrad.steps import backward_steps  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"


def lecture_graph():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    return (x + y) * z


def svg_text_alternative(svg_text: str) -> tuple[str | None, str, str]:
    root = ET.fromstring(svg_text)
    return root.get("role"), root.find(f"{NS}title").text, root.find(f"{NS}desc").text


def test_a_drawing_says_its_nodes_gates_and_values_before_backprop():
    d = draw(lecture_graph())
    role, title, desc = svg_text_alternative(d.svg)
    assert role == "img" and title == "Computational graph" and desc == d.description
    assert "Inputs: x = -2, y = 5, z = -4." in desc
    assert "The + gate takes x and y and gives 3." in desc
    assert "The × gate takes the + gate and z and gives -12: the output." in desc
    assert "No gradients yet" in desc and "Gradients" not in desc.replace("No gradients", "")


def test_after_backprop_the_description_gives_each_wires_gradient():
    f = lecture_graph()
    f.backward()
    desc = draw(f).description
    assert "x: -4; y: -4; the + gate: -4; z: 3; the × gate: 1." in desc
    assert "No gradients yet" not in desc and "Not known yet" not in desc


def test_a_fork_is_said_as_a_sum_and_repeated_gates_are_numbered():
    a = Value(2.0, "a")
    g = a * a + a + 2
    g.backward()
    desc = draw(g).description
    assert "a: 2 + 2 + 1 = 5" in desc and "fork" in desc
    assert "the + gate number 1" in desc and "the constant 2" in desc


def test_a_stepper_frame_says_the_current_step_and_what_is_not_known_yet():
    trace = backward_steps(lecture_graph())
    frame = trace.draw(1)
    _, title, desc = svg_text_alternative(frame.svg)
    assert title == f"Computational graph: Backprop step 1 of {len(trace)}"
    assert "Current step: the × gate (highlighted)" in desc
    assert "the + gate: -4; z: 3; the × gate: 1." in desc and "Not known yet: x, y." in desc
    assert "Current step" not in trace.draw(0).description


def test_the_png_copy_carries_the_description_as_alt_text_and_the_picture_is_unchanged():
    d = draw(lecture_graph()).with_png(1.0)
    png, metadata = d._repr_png_()
    assert png[:4] == b"\x89PNG" and metadata["alt"] == d.description
    assert "<title>" not in " ".join(d.texts)  # the title/desc are not drawn text


def img_parts(markup: str) -> tuple[str, bytes, str]:
    """The mime type, the bytes and the alt text of one `<img src="data:…;base64,…" alt="…">`."""
    m = re.fullmatch(r'<img class="coursegrad-image" src="data:([^;]+);base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">', markup)
    assert m, markup[:120]
    return m.group(1), base64.b64decode(m.group(2)), html.unescape(m.group(3))


def test_jupyterlab_is_shown_the_drawing_as_an_img_with_its_description_as_alt_text():
    """JupyterLab prefers text/html to the image outputs (which it draws as an <img> without alt)."""
    d = draw(lecture_graph(), title="f = (x + y) · z")
    mime, data, alt = img_parts(d._repr_html_())
    assert (mime, data.decode("utf-8")) == ("image/svg+xml", d.svg)
    assert alt == f"Computational graph: f = (x + y) · z. {d.description}" == d.alt_text
    assert d.with_png(1.0)._repr_png_()[1] == {"alt": alt}  # the PNG copy says the same
    assert draw(lecture_graph()).alt_text == draw(lecture_graph()).description  # no title: the description alone


def test_image_html_escapes_the_alt_text():
    mime, data, alt = img_parts(image_html(b"\x89PNG", "image/png", 'a "b" < c & d'))
    assert (mime, data, alt) == ("image/png", b"\x89PNG", 'a "b" < c & d')


LECTURES = sorted((Path(__file__).resolve().parent.parent / "lectures").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_every_stored_image_reaches_jupyterlab_with_its_alt_text(path):
    """Each stored figure or drawing carries the <img> JupyterLab shows, with the same alt text as its PNG."""
    images = 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            images += 1
            alt = out["metadata"]["image/png"]["alt"]
            mime, shown, said = img_parts("".join(data["text/html"]))
            assert said == alt and alt and not alt.startswith("A figure with no axes"), (path.name, alt)
            expected = "".join(data["image/svg+xml"]).encode() if mime == "image/svg+xml" else base64.b64decode(data["image/png"])
            assert shown == expected, (path.name, mime)
    assert images, f"{path.name} shows no image"


def test_text_alternative_escapes_and_is_added_once():
    out = with_text_alternative('<svg width="1">x</svg>', "a < b", "c & d")
    assert "<title>a &lt; b</title>" in out and "<desc>c &amp; d</desc>" in out
    assert with_text_alternative(out, "again", "again") == out


def test_a_figure_is_described_by_its_axes_and_curves():
    fig = plots.plot_sigmoid()
    text = describe_figure(fig)
    assert "σ(x) = 1 / (1 + e⁻ˣ)" in text and "σ′(x)" in text
    ax = fig.axes[0]
    assert f"from {ax.get_xlim()[0]:.3g} to {ax.get_xlim()[1]:.3g}" in text


def test_explorer_figures_carry_their_description():
    fig = plots.plot_sigmoid()
    out = plots.SvgFigure(fig).render([])
    assert 'role="img"' in out[: out.index(">")] and f"<desc>{describe_figure(fig)}" in out.replace("&lt;", "<")


# ---------------------------------------------------------------------------
# Colours: WCAG AA contrast and colour-vision deficiencies
# ---------------------------------------------------------------------------


def linear_rgb(colour: str) -> np.ndarray:
    c = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05) of relative luminances."""
    la, lb = sorted(float(linear_rgb(c) @ [0.2126, 0.7152, 0.0722]) for c in (a, b))
    return (lb + 0.05) / (la + 0.05)


def test_contrast_formula_matches_wcag_examples():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)  # the well-known AA grey


WHITE = "#FFFFFF"
# (text colour, the background it is written on) in the drawings: values, gradients, constants, labels,
# the legend, the order tag, text in a highlighted or input shape.
TEXT_PAIRS = [
    (svg.VALUE_COLOUR, WHITE),
    (svg.GRAD_COLOUR, WHITE),
    (svg.CONST_COLOUR, WHITE),
    ("#444444", "#F2F2F2"),
    ("#333333", WHITE),
    ("#FFFFFF", svg.ORDER_FILL),
    (svg.VALUE_COLOUR, svg.HIGHLIGHT_FILL),
    (svg.VALUE_COLOUR, svg.LEAF_FILL),
]


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_drawing_text_passes_wcag_aa(fg, bg):
    assert contrast(fg, bg) >= 4.5, f"{fg} on {bg}: {contrast(fg, bg):.2f}:1"


def test_every_colour_the_drawing_writes_is_checked():
    f = lecture_graph()
    f.backward()
    used = {c.upper() for c in re.findall(r'fill="(#[0-9A-Fa-f]{6})"', draw(f, order=True).svg)}
    checked = {c.upper() for pair in TEXT_PAIRS for c in pair} | {svg.WIRE_COLOUR.upper(), svg.GATE_FILL.upper()}
    assert used <= checked, used - checked


@pytest.mark.parametrize("colour", [svg.WIRE_COLOUR, svg.HIGHLIGHT_RING, svg.ORDER_FILL, *plots.COLORS.values()])
def test_lines_and_marks_pass_the_non_text_contrast_of_aa(colour):
    assert contrast(colour, WHITE) >= 3.0, f"{colour}: {contrast(colour, WHITE):.2f}:1"


@pytest.mark.parametrize("colour", plots.COLORS.values())
def test_plot_colours_are_readable_as_text(colour):  # they colour tick labels and annotations too
    assert contrast(colour, WHITE) >= 4.5


# Machado, Oliveira & Fernandes (2009) simulation matrices at severity 1.0, on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear-RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def min_distance(colours, matrix) -> float:
    points = [lab(np.array(matrix) @ linear_rgb(c)) for c in colours]
    return min(float(np.linalg.norm(p - q)) for p, q in itertools.combinations(points, 2))


@pytest.mark.parametrize("deficiency", CVD)
def test_plot_cycle_stays_distinguishable_under_colour_vision_deficiencies(deficiency):
    assert min_distance(plots._CYCLE, CVD[deficiency]) > 10  # CIELAB ΔE; ~2.3 is just noticeable
    assert min_distance([c for c, _ in plots.CLASS_STYLES], CVD[deficiency]) > 10


@pytest.mark.parametrize("deficiency", CVD)
def test_value_and_gradient_colours_stay_apart_under_colour_vision_deficiencies(deficiency):
    assert min_distance([svg.VALUE_COLOUR, svg.GRAD_COLOUR, svg.CONST_COLOUR], CVD[deficiency]) > 10


def test_the_simulation_sees_the_classic_confusion():  # the matrices do what they claim: red/green merge
    assert min_distance(["#D00000", "#008A00"], CVD["deuteranopia"]) < min_distance(["#D00000", "#008A00"], np.eye(3)) / 3


def test_plot_lines_never_differ_by_colour_alone():
    styles = [plots._line_style(i) for i in range(len(plots._CYCLE))]
    assert len({(s["linestyle"], s["marker"]) for s in styles}) == len(styles)
