"""The slider explorers, headless: set a slider in Python (observers fire at once) and check what is computed and shown.

Nothing here reads `Output.outputs` (only a browser fills it): the explorers put their numbers in
HTML readouts (<span class="coursegrad-number" data-name=... data-value=...>) and their pictures in
HTML boxes as SVG, which is what these tests read.
"""

import html
import math
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets", reason="the explorers need ipywidgets (pip install -e '.[course]')")

import ipywidgets  # noqa: E402

from coursegrad import Value, multiplication, nn, numerical_grad, vanishing, widgets  # noqa: E402
from coursegrad.control_names import ControlNames  # noqa: E402
from coursegrad.steps import backward_steps  # noqa: E402


def shown(box, name):
    """The number a readout shows under data-name=`name` (its exact value, from data-value)."""
    m = re.search(rf'data-name="{re.escape(name)}" data-value="([^"]+)">([^<]*)<', box.value)
    assert m, f"{name!r} is not shown in {box.value!r}"
    return float(m.group(1))


def shown_text(box, name):
    m = re.search(rf'data-name="{re.escape(name)}" data-value="[^"]+">([^<]*)<', box.value)
    return m.group(1)


def point(svg, name):
    """Position of the overlay point `name` in a plot's SVG."""
    m = re.search(rf'<(circle|rect|path) class="coursegrad-point" data-name="{name}"[^>]*>', svg)
    assert m, f"no point {name!r}"
    tag = m.group(0)
    if m.group(1) == "circle":
        return float(re.search(r'cx="([\d.]+)"', tag).group(1)), float(re.search(r'cy="([\d.]+)"', tag).group(1))
    if m.group(1) == "rect":  # its centre
        x, y, w, h = (float(re.search(rf' {a}="([\d.]+)"', tag).group(1)) for a in ("x", "y", "width", "height"))
        return x + w / 2, y + h / 2
    return tuple(map(float, re.search(r'd="M([\d.]+) ([\d.]+)', tag).groups()))


def all_children(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from all_children(child)


def classes(w):
    return set(w._dom_classes)


# ---------------------------------------------------------------------------
# 1. Graph explorer
# ---------------------------------------------------------------------------


def test_graph_explorer_shows_the_lecture_example():
    ex = widgets.graph_explorer(lambda x, y, z: (x + y) * z, x=-2.0, y=5.0, z=-4.0)
    assert ex.state["output"] == -12.0
    assert ex.state["grads"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert [shown(ex.readout, n) for n in ("f", "dx", "dy", "dz")] == [-12.0, -4.0, -4.0, 3.0]
    assert shown_text(ex.readout, "dz") == "3"
    texts = ex.drawing.texts
    for number in ("-12", "-4", "3", "x", "y", "z"):
        assert number in texts
    assert ex.graph.value.startswith("<svg")


def test_graph_explorer_reacts_to_a_slider_and_agrees_with_central_differences():
    def f(x, y, z):
        return (x + y) * z

    ex = widgets.graph_explorer(f, x=-2.0, y=5.0, z=-4.0)
    before = ex.graph.value
    ex.sliders["x"].value = 1.0
    assert ex.state["inputs"] == {"x": 1.0, "y": 5.0, "z": -4.0}
    assert ex.state["output"] == -24.0 == shown(ex.readout, "f")
    assert shown(ex.readout, "dz") == 6.0
    assert ex.graph.value != before and "-24" in ex.drawing.texts
    numeric = numerical_grad(f, 1.0, 5.0, -4.0)
    assert [ex.state["grads"][n] for n in "xyz"] == pytest.approx(numeric, rel=1e-7)


def test_graph_explorer_on_the_sigmoid_neuron_matches_central_differences():
    def neuron(w0, x0, w1, x1, w2):
        return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())

    ex = widgets.graph_explorer(neuron, w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
    assert ex.state["output"] == pytest.approx(0.7311, abs=1e-4)
    g = ex.state["grads"]
    assert [g["w0"], g["w1"], g["w2"]] == pytest.approx([-0.1966, -0.3932, 0.1966], abs=1e-4)
    assert [g["x0"], g["x1"]] == pytest.approx([0.3932, -0.5898], abs=1e-4)
    rng = np.random.default_rng(0)
    for _ in range(3):
        for s in ex.sliders.values():
            s.value = float(np.round(rng.uniform(-3, 3), 1))
        values = [ex.sliders[n].value for n in ("w0", "x0", "w1", "x1", "w2")]
        numeric = numerical_grad(lambda *a: 1 / (1 + math.exp(-(a[0] * a[1] + a[2] * a[3] + a[4]))), *values)
        assert [ex.state["grads"][n] for n in ("w0", "x0", "w1", "x1", "w2")] == pytest.approx(numeric, rel=1e-6, abs=1e-10)


def test_graph_explorer_shows_an_error_and_recovers():
    ex = widgets.graph_explorer(lambda x: x.log() * x, x=(2.0, -5.0, 5.0))
    ex.sliders["x"].value = -1.0
    assert ex.state["error"].startswith("ValueError: log is only defined for positive inputs")
    assert ex.state["output"] is None and ex.state["inputs"] == {"x": -1.0}
    assert 'class="coursegrad-error"' in ex.readout.value and ex.graph.value == ""
    ex.sliders["x"].value = 1.0
    assert ex.state["error"] is None
    assert ex.state["output"] == 0.0 and ex.state["grads"]["x"] == pytest.approx(1.0)  # d/dx x·ln x = ln x + 1


def test_graph_explorer_inputs_specs_and_defaults():
    custom = ipywidgets.FloatSlider(value=0.5, min=0, max=1, step=0.01)
    ex = widgets.graph_explorer(lambda a, b=2.0, c=3.0: a * b + c, a=custom, c=(1.0, 0.0, 10.0, 0.5))
    assert ex.sliders["a"] is custom and "coursegrad-slider-a" in classes(custom)
    assert (ex.sliders["b"].value, ex.sliders["b"].min, ex.sliders["b"].max) == (2.0, -5.0, 5.0)
    assert (ex.sliders["c"].value, ex.sliders["c"].min, ex.sliders["c"].max, ex.sliders["c"].step) == (1.0, 0.0, 10.0, 0.5)
    assert ex.state["output"] == 2.0 and ex.state["grads"] == {"a": 2.0, "b": 0.5, "c": 1.0}


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: widgets.graph_explorer(42), TypeError, "f must be a function of Values"),
        (lambda: widgets.graph_explorer(lambda x: x, y=1.0), TypeError, r"\['y'\] are not parameters of f"),
        (lambda: widgets.graph_explorer(lambda x: x, x=(9.0, 0.0, 1.0)), ValueError, "must lie between min 0 and max 1"),
        (lambda: widgets.graph_explorer(lambda x: x, x="big"), TypeError, "is not understood"),
        (lambda: widgets.graph_explorer(lambda *xs: xs[0]), TypeError, "named positional parameters"),
    ],
)
def test_graph_explorer_bad_input(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_graph_explorer_reports_a_function_that_returns_no_value():
    ex = widgets.graph_explorer(lambda x: 3.0, x=1.0)
    assert "must return a Value" in ex.state["error"]
    ex = widgets.graph_explorer(lambda x: Value(np.ones(3)) * x, x=1.0)
    assert "must return a single number" in ex.state["error"]


# ---------------------------------------------------------------------------
# 2. Backprop stepper
# ---------------------------------------------------------------------------


def _lecture_graph():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    return (x + y) * z, (x, y, z)


def test_stepper_walks_the_engines_steps():
    f, (x, y, z) = _lecture_graph()
    ex = widgets.backprop_stepper(f)
    reference = backward_steps(_lecture_graph()[0])
    slider = ex.sliders["step"]
    assert (slider.min, slider.max, slider.value) == (0, len(reference), 0) == (0, 2, 0)
    assert ex.state["description"] == reference.describe(0) and ex.state["highlight"] is None
    pictures = {0: ex.graph.value}
    for j in (1, 2):
        slider.value = j
        assert ex.state["step"] == j == shown(ex.readout, "step")
        assert ex.state["description"] == reference.describe(j)  # the trace and the stepper number steps alike
        visible = html.unescape(re.sub(r"<[^>]+>", "", ex.readout.value))  # the text the page shows
        assert visible.count(reference.describe(j)) == 1
        assert visible.count(f"step {j} of 2") == 1, f"the readout says the step number twice: {visible!r}"
        assert ex.state["highlight"] is ex.trace[j].node
        pictures[j] = ex.graph.value
    assert len(set(pictures.values())) == 3  # every step draws a different picture
    known = ex.state["known"]
    assert [known[v] for v in (x, y, z)] == [-4.0, -4.0, 3.0] == [x.grad, y.grad, z.grad]
    assert [known[v] for v in (x, y, z)] == pytest.approx(numerical_grad(lambda a, b, c: (a + b) * c, -2.0, 5.0, -4.0))
    slider.value = 1  # after the first step (at ×): z and x + y are known, x and y not yet
    assert ex.state["known"][z] == 3.0 and ex.state["known"][f.inputs[0]] == -4.0
    assert x not in ex.state["known"] and y not in ex.state["known"]


def test_stepper_play_button_drives_the_slider():
    ex = widgets.backprop_stepper(lambda x, y, z: (x + y) * z, x=-2, y=5, z=-4)
    assert isinstance(ex.play, ipywidgets.Play) and ex.sliders["play"] is ex.play
    assert ex.play.max == ex.sliders["step"].max
    ex.play.value = 2
    assert ex.sliders["step"].value == 2 and ex.state["step"] == 2
    ex.sliders["step"].value = 1
    assert ex.play.value == 1


def test_stepper_with_a_fork_matches_central_differences():
    def g(a, b):
        return (a * b + a).sigmoid() * a

    ex = widgets.backprop_stepper(g, a=0.7, b=-1.3)
    ex.sliders["step"].value = ex.sliders["step"].max
    leaves = {v.label: v for v in ex.state["known"] if v.label in ("a", "b")}
    numeric = numerical_grad(lambda a, b: a / (1 + math.exp(-(a * b + a))), 0.7, -1.3)
    assert [ex.state["known"][leaves[n]] for n in ("a", "b")] == pytest.approx(numeric, rel=1e-7)
    assert "used more than once" in " ".join(ex.trace.describe(k) for k in ex.trace.frames)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: widgets.backprop_stepper("f"), "expected a Value or a function"),
        (lambda: widgets.backprop_stepper(lambda x, y: x * y, x=1.0), r"give a value for \['y'\]"),
        (lambda: widgets.backprop_stepper(lambda x: x, x=1.0, q=2.0), r"\['q'\] are not parameters"),
        (lambda: widgets.backprop_stepper(Value(1.0) * 2, x=1.0), "only make sense with a function"),
    ],
)
def test_stepper_bad_input(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_stepper_needs_at_least_one_operation():
    with pytest.raises(ValueError, match="no operations"):
        widgets.backprop_stepper(Value(3.0, "x"))


# ---------------------------------------------------------------------------
# 3. Multiplication explorer
# ---------------------------------------------------------------------------


def test_multiplication_swaps_the_gradients():
    ex = widgets.multiplication_explorer(a=3.0, b=2.0)
    assert (ex.state["da"], ex.state["db"]) == (2.0, 3.0)
    assert (shown(ex.product, "da"), shown(ex.product, "db"), shown(ex.product, "f")) == (2.0, 3.0, 6.0)
    graph_before, plot_before = ex.graph.value, ex.plot.value
    ex.sliders["a"].value = 4.5
    ex.sliders["b"].value = 0.1
    assert (ex.state["da"], ex.state["db"]) == pytest.approx(numerical_grad(lambda a, b: a * b, 4.5, 0.1), rel=1e-9)
    assert shown(ex.product, "db") == 4.5 and shown(ex.product, "da") == pytest.approx(0.1)
    assert ex.graph.value != graph_before and "4.5" in ex.graph.value
    assert ex.plot.value == plot_before  # the classifier did not change, so the plot was not redrawn


def test_data_scale_multiplies_the_weight_gradient():
    ex = widgets.multiplication_explorer(loss="logistic")
    g1 = ex.state["grad_w"].copy()
    marker_before = point(ex.plot.value, "grad_norm")
    ex.sliders["scale"].value = 1000.0
    assert ex.state["scale"] == 1000.0
    np.testing.assert_allclose(ex.state["grad_w"], 1000.0 * g1, rtol=1e-6)
    assert ex.state["grad_norm"] / ex.state["grad_norm_unscaled"] == pytest.approx(1000.0, rel=1e-6)
    assert shown(ex.readout, "grad_ratio") == pytest.approx(1000.0, rel=1e-6)
    assert shown_text(ex.readout, "grad_ratio") == "1000"
    X, y = multiplication.linear_classifier_data()
    s = 2 * y - 1
    (numeric,) = numerical_grad(lambda w: float(np.mean(np.logaddexp(0, -s * (1000 * X @ w)))), np.zeros(2), h=1e-8)
    np.testing.assert_allclose(ex.state["grad_w"], numeric, rtol=1e-6)
    marker_after = point(ex.plot.value, "grad_norm")
    assert marker_after[0] > marker_before[0] and marker_after[1] < marker_before[1]  # right and up (SVG y points down)


def test_loss_curve_follows_learning_rate_and_scale():
    ex = widgets.multiplication_explorer(lr=0.1, loss="logistic")
    X, y = multiplication.linear_classifier_data()
    np.testing.assert_array_equal(ex.state["losses"], multiplication.train_linear_classifier(X, y, 0.1, 50))
    assert "it learns" in ex.readout.value
    ex.sliders["scale"].value = 1000.0
    assert ex.state["losses"].max() > 10 * ex.state["losses"][0]
    assert "does not learn" in ex.readout.value
    np.testing.assert_array_equal(ex.state["reference_losses"], multiplication.train_linear_classifier(X, y, 0.1, 50))
    ex.sliders["lr"].value = 1e-7  # 0.1 / 1000²: the compensating learning rate
    assert ex.state["lr"] == pytest.approx(1e-7)
    np.testing.assert_allclose(ex.state["losses"], multiplication.train_linear_classifier(X, y, 0.1, 50), rtol=1e-6)
    assert shown(ex.readout, "loss_end") == pytest.approx(ex.state["losses"][-1])
    assert 'data-name="losses"' in ex.plot.value and 'data-name="reference_losses"' in ex.plot.value


@pytest.mark.parametrize("loss", multiplication.LOSSES)
def test_the_explorers_numpy_runs_are_the_engines_bit_for_bit(loss):
    """The explorer trains with `linear_training_run_numpy`; on the sliders' values (every 3rd scale, every 4th
    learning rate, diverging runs included) it gives the engine's losses and weights exactly."""
    X, y = multiplication.linear_classifier_data()
    diverged = 0
    for scale in 10.0 ** (np.arange(0, 31, 3) / 10):
        for lr in 10.0 ** (np.arange(-80, 1, 4) / 10):
            engine = multiplication.linear_training_run(X * scale, y, lr, 50, loss)
            fast = multiplication.linear_training_run_numpy(X * scale, y, lr, 50, loss)
            np.testing.assert_array_equal(fast["losses"], engine["losses"], err_msg=f"{loss}, scale {scale}, lr {lr}")
            np.testing.assert_array_equal(fast["weights"], engine["weights"], err_msg=f"{loss}, scale {scale}, lr {lr}")
            diverged += bool(np.isnan(engine["losses"][-1]))
    assert diverged > 0 if loss == "mse" else diverged == 0  # the squared loss blows up at large scales and rates


def test_the_explorer_trains_a_new_setting_once_and_the_raw_run_once_per_loss(monkeypatch):
    ex = widgets.multiplication_explorer(graph=False)
    calls = []
    engine_run = multiplication.linear_training_run
    monkeypatch.setattr(multiplication, "linear_training_run", lambda *a, **k: calls.append(a[2]) or engine_run(*a, **k))
    ex.sliders["scale"].value = 10.0
    ex.sliders["lr"].value = 0.001
    ex.sliders["scale"].value = 1.0
    assert calls == []  # the raw run of this loss was trained when the explorer was built; the others are numpy's
    ex.sliders["loss"].value = "logistic"
    assert calls == [0.1]  # the logistic loss's raw run, once
    X, y = multiplication.linear_classifier_data()
    np.testing.assert_array_equal(ex.state["reference_losses"], engine_run(X, y, 0.1, 50, "logistic")["losses"])
    np.testing.assert_array_equal(ex.state["losses"], engine_run(X, y, 0.001, 50, "logistic")["losses"])


def test_mse_explorer_reports_a_blow_up():
    ex = widgets.multiplication_explorer(scale=1000.0, lr=0.1, loss="mse", graph=False)
    assert ex.graph is None
    assert "stopped after" in ex.readout.value and "blew up" in ex.readout.value
    with pytest.raises(ValueError, match="unknown loss"):
        widgets.multiplication_explorer(loss="hinge")


# ---------------------------------------------------------------------------
# 4. Sigmoid explorers
# ---------------------------------------------------------------------------


def test_sigmoid_explorer_at_zero_shows_a_quarter():
    ex = widgets.sigmoid_explorer()
    ex.sliders["x"].value = 0.0
    assert (ex.state["sigmoid"], ex.state["derivative"], ex.state["fraction"]) == (0.5, 0.25, 1.0)
    assert shown(ex.readout, "derivative") == 0.25 and shown_text(ex.readout, "derivative") == "0.25"
    assert shown(ex.readout, "percent") == 100.0


@pytest.mark.parametrize("x", [-6.0, -1.5, 2.0, 4.3])
def test_sigmoid_explorer_matches_central_differences_and_moves_the_points(x):
    ex = widgets.sigmoid_explorer(x=0.0)
    at_zero = point(ex.plot.value, "sigmoid"), point(ex.plot.value, "derivative")
    ex.sliders["x"].value = x
    (numeric,) = numerical_grad(lambda t: 1 / (1 + math.exp(-t)), x)
    assert ex.state["derivative"] == pytest.approx(numeric, rel=1e-7)
    assert ex.state["sigmoid"] == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-12)
    (sx, sy), (dx, dy) = point(ex.plot.value, "sigmoid"), point(ex.plot.value, "derivative")
    assert (sx > at_zero[0][0]) == (x > 0) and (sy < at_zero[0][1]) == (x > 0)  # σ rises with x (SVG y down)
    assert dx == pytest.approx(sx, abs=0.01)  # both points sit above the same x
    assert dy > at_zero[1][1]  # σ' is lower than its peak anywhere but 0


def test_overlay_points_land_where_matplotlib_draws_them():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3), dpi=100)
    ax = fig.add_subplot()
    ax.set_yscale("log")
    ax.set_xlim(0, 10)
    ax.set_ylim(1e-3, 1e3)
    ax.plot([3.0], [2.0], "o")
    canvas = widgets.SvgFigure(fig)
    svg = canvas.render([canvas.marker(ax, 3.0, 2.0, "p", "#000000")])
    mx, my = map(float, re.findall(r'<use xlink:href="#m[0-9a-f]+" x="([\d.]+)" y="([\d.]+)"', svg)[-1])
    assert point(svg, "p") == pytest.approx((mx, my), abs=0.01)
    assert canvas.marker(ax, 11.0, 2.0, "outside", "#000000") == ""  # off the axes: not drawn


def test_deep_explorer_gradients_vanish_for_sigmoid_not_for_relu():
    ex = widgets.deep_sigmoid_explorer(depth=8)
    assert len(ex.state["norms"]) == 9 and ex.state["ratio"] < 1e-3
    np.testing.assert_array_equal(ex.state["norms"], vanishing.deep_gradient_norms("sigmoid", 8, 1.0))
    assert shown(ex.readout, "first") == ex.state["norms"][0]
    assert len(re.findall(r'data-name="layer\d+"', ex.plot.value)) == 8
    ex.sliders["activation"].value = "relu"
    ex.sliders["gain"].value = 10**0.15  # ≈ √2, He initialisation
    assert ex.state["activation"] == "relu" and ex.state["ratio"] > 0.1
    np.testing.assert_array_equal(ex.state["norms"], vanishing.deep_gradient_norms("relu", 8, 10**0.15))
    ex.sliders["depth"].value = 3
    assert len(ex.state["norms"]) == 4 and len(re.findall(r'data-name="layer\d+"', ex.plot.value)) == 3


def test_deep_explorer_counts_saturated_sigmoids():
    ex = widgets.deep_sigmoid_explorer(depth=4)
    calm = ex.state["saturated"]
    ex.sliders["input_scale"].value = 100.0
    ex.sliders["gain"].value = 10.0
    assert ex.state["saturated"] > calm + 0.3
    model = vanishing.deep_network("sigmoid", 4, 10.0)
    X, y = nn.toy_dataset(64, "blobs", noise=0.1, seed=0)
    model(X * 100.0)
    pre = np.concatenate([np.ravel(layer.pre_activation.data) for layer in model.layers[:-1]])
    assert ex.state["saturated"] == np.mean(np.abs(pre) > 4.0)
    assert shown(ex.readout, "saturated") == pytest.approx(100 * ex.state["saturated"])


def test_deep_explorer_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be"):
        widgets.deep_sigmoid_explorer(activation="softmax")


# ---------------------------------------------------------------------------
# Every explorer: classes for browser tests, no Output widgets, short deterministic repr
# ---------------------------------------------------------------------------

EXPLORERS = {
    "graph-explorer": lambda: widgets.graph_explorer(lambda x, y: x * y, x=1.0, y=2.0),
    "backprop-stepper": lambda: widgets.backprop_stepper(lambda x, y: x * y + x, x=1.0, y=2.0),
    "multiplication-explorer": widgets.multiplication_explorer,
    "sigmoid-explorer": widgets.sigmoid_explorer,
    "deep-sigmoid-explorer": widgets.deep_sigmoid_explorer,
}


@pytest.mark.parametrize("kind", EXPLORERS)
def test_explorer_has_stable_css_classes_and_no_output_widget(kind):
    ex = EXPLORERS[kind]()
    assert isinstance(ex, ipywidgets.VBox)
    assert {"coursegrad-explorer", f"coursegrad-{kind}"} <= classes(ex)
    everything = list(all_children(ex))
    assert not any(isinstance(w, ipywidgets.Output) for w in everything)
    for name, control in ex.sliders.items():
        assert control in everything
        menus = {"activation": "coursegrad-dropdown-activation", "loss": "coursegrad-dropdown-loss", "play": "coursegrad-play"}
        expected = menus.get(name, f"coursegrad-slider-{name.replace('_', '-')}")
        assert expected in classes(control)
    assert any("coursegrad-readout" in classes(w) for w in everything)
    assert any(classes(w) & {"coursegrad-graph", "coursegrad-plot"} for w in everything)
    # the screen reader's names: each slider by its description, the readouts live (browser tests check the front end)
    names = ex.children[-1]
    assert isinstance(names, ControlNames) and names.layout.display == "none" and names.live == ["coursegrad-readout"]
    kinds = (ipywidgets.IntSlider, ipywidgets.FloatSlider, ipywidgets.FloatLogSlider)
    sliders = {k: c for k, c in ex.sliders.items() if isinstance(c, kinds)}
    assert sliders
    assert names.names == {f"coursegrad-slider-{k.replace('_', '-')}": c.description for k, c in sliders.items()}
    boxes = [w for w in everything if classes(w) & {"coursegrad-graph", "coursegrad-plot"}]
    # fixed width; the height follows from the SVG's fixed proportions (it shrinks to fit a narrow page)
    assert all(w.layout.width.endswith("px") and w.layout.max_width == "100%" for w in boxes)
    assert all('<svg style="width:100%;height:auto' in w.value for w in boxes)


@pytest.mark.parametrize("kind", EXPLORERS)
def test_explorer_text_repr_is_short_and_the_same_every_time(kind):
    a, b = EXPLORERS[kind](), EXPLORERS[kind]()
    assert repr(a) == repr(b) and len(repr(a)) < 110
    assert a._repr_mimebundle_()["text/plain"] == repr(a)


@pytest.mark.parametrize("kind", ["multiplication-explorer", "sigmoid-explorer", "deep-sigmoid-explorer"])
def test_explorer_pictures_are_deterministic(kind):
    a, b = EXPLORERS[kind](), EXPLORERS[kind]()
    assert a.plot.value == b.plot.value
    assert a.plot.value.startswith("<svg") and a.plot.value.rstrip().endswith("</svg>")


def test_log_axis_ticks_follow_the_data_without_redrawing_the_background():
    ex = widgets.deep_sigmoid_explorer(depth=2)

    def powers(svg):
        labels = re.findall(r'<g class="coursegrad-yticks">(.*?)</g>', svg)[0]
        sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
        return [int(t.translate(sup)) for t in re.findall(r">10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)</text>", labels)]

    background = ex.plot.value.split('<g class="coursegrad-overlay">')[0]
    shallow = powers(ex.plot.value)
    ex.sliders["depth"].value = 16
    deep = powers(ex.plot.value)
    assert ex.plot.value.split('<g class="coursegrad-overlay">')[0] == background
    norms = ex.state["norms"]
    assert min(deep) <= math.log10(norms.min()) and max(deep) >= math.log10(norms.max()) - 1
    assert min(deep) < min(shallow)  # deeper sigmoid network: smaller gradients, the axis reaches further down


def _svg_size(svg):
    head = svg[: svg.index(">")]
    return re.search(r'width="([\d.]+)', head).group(1), re.search(r'height="([\d.]+)', head).group(1)


def test_graph_never_shrinks_or_jumps_back_while_numbers_change():
    # Drawings of one graph differ in width with their numbers (860 to 1079 px here); the explorer pads
    # each to the largest seen (measured at the sliders' ends at the start), so the picture only ever
    # grows, and not at all on a second pass.
    ex = widgets.graph_explorer(lambda x, y: (x * y + 1.0).tanh() * x, x=-0.5, y=2.0)
    values = (-0.5, 1.0, -4.77, 0.001, 4.99, -0.12)
    first = []
    for v in values:
        ex.sliders["x"].value = v
        assert ex.state["inputs"]["x"] == v
        w, h = map(float, _svg_size(ex.graph.value))
        assert ex.graph.layout.width == f"{w:g}px" and w >= ex.drawing.width and h >= ex.drawing.height
        first.append((w, h))
    assert first == sorted(first)  # it may grow, never shrinks
    for v in values:
        ex.sliders["x"].value = v
        assert tuple(map(float, _svg_size(ex.graph.value))) == first[-1]
    stepper = widgets.backprop_stepper(lambda x, y: (x * y + 1.0).tanh() * x, x=1.0, y=2.0)
    seen = set()
    for j in range(stepper.sliders["step"].max + 1):
        stepper.sliders["step"].value = j
        seen.add(_svg_size(stepper.graph.value))
    assert len(seen) == 1
