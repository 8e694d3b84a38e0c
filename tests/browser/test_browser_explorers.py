"""Every slider explorer in the course, moved in the browser the way a student moves it.

For each coursegrad explorer a notebook displays (found by its stable CSS class, see
`coursegrad/widgets.py`), the test focuses a slider handle and presses an arrow key, then
checks what the student sees against numbers computed here, with coursegrad itself, for the
slider's new value:

- graph explorer: f and every ∂f/∂input in the readout (the engine's fresh backward pass of the
  notebook's own function, run in the kernel) and the redrawn graph showing the new values;
- backprop stepper: each step's description names the node the engine visits at that step,
  with its value and upstream gradient, and the highlight in the drawing moves; play advances;
- multiplication explorer: f = a × b, ∂f/∂a = b, ∂f/∂b = a; the weight gradient of the linear
  classifier for the new data scale (and its ratio to the unscaled one: the scale itself);
- sigmoid explorer: σ(x) and σ'(x) at the new x;
- deep sigmoid explorer: the gradient reaching the first and last layer for the new depth and
  for another activation.

Every redrawn picture must change, and the explorer must keep its size (no flicker).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from browser_course import course_notebooks, intended_errors, notebook_id

pytestmark = pytest.mark.browser

EXPLORER_CALLS = re.compile(
    r"\b(graph_explorer|backprop_stepper|multiplication_explorer|sigmoid_explorer|deep_sigmoid_explorer"
    r"|checkpoint_explorer)\s*\("
)
OTHER_SLIDERS = re.compile(r"\b(interact|interactive|interact_manual)\b|Slider\s*\(")
PROBE_SOURCE = (Path(__file__).parent / "kernel_probe.py").read_text()
SIZE_TOLERANCE_PX = 1.0


def _sources(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def notebooks_with_sliders() -> list[Path]:
    return [p for p in course_notebooks() if EXPLORER_CALLS.search(_sources(p)) or OTHER_SLIDERS.search(_sources(p))]


@pytest.mark.parametrize("path", notebooks_with_sliders(), ids=notebook_id)
def test_every_slider_changes_what_the_student_sees(lab, path):
    notebook = lab.executed(path)
    explorers = notebook.explorers()
    loose = notebook.other_sliders()
    called = sorted(set(EXPLORER_CALLS.findall(_sources(path))))
    assert explorers or not called, f"{notebook_id(path)} calls {called} but no explorer is displayed on the page"
    assert explorers or loose, f"{notebook_id(path)} uses sliders but none is displayed on the page"
    failures = []
    if explorers:
        notebook.kernel_eval("None", code=PROBE_SOURCE)
    for explorer in explorers:
        check = (CHECKS | _lecture6_checks()).get(explorer["kind"])
        where = f"{explorer['kind']} in cell {explorer['cell']}"
        if check is None:
            failures.append(f"{where}: no browser check for this kind of explorer (add one to {Path(__file__).name})")
            continue
        try:
            check(Explorer(notebook, explorer))
        except AssertionError as err:
            failures.append(f"{where}: {err}")
    for slider in loose:
        try:
            check_other_slider(notebook, slider)
        except AssertionError as err:
            failures.append(f"slider {slider['label']!r} in cell {slider['cell']}: {err}")
    failures += [f"the page logged an error: {line[:300]}" for line in notebook.console_errors(serious=True)]
    shots = notebook.screenshot("after-sliders")
    assert not failures, f"{notebook_id(path)} (screenshot: {shots[0]}):\n  " + "\n  ".join(failures)


def the_explorer(notebook, kind: str) -> Explorer:
    """The run notebook shows no problem and exactly one explorer of `kind`: that explorer, the kernel probe installed."""
    problems = notebook.problems(notebook.run_cells)
    assert not problems, f"{notebook.path.name} in JupyterLab (screenshot: {notebook.run_shots[0]}):\n  " + "\n  ".join(problems)
    found = [e for e in notebook.explorers() if e["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} on the page, found {notebook.explorers()}"
    notebook.kernel_eval("None", code=PROBE_SOURCE)
    return Explorer(notebook, found[0])


def check_other_slider(notebook, slider: dict) -> None:
    """A slider that is not an explorer's: moving it must change something else in its cell's output."""
    assert notebook.moving_changes_output(slider), "moving it changed nothing else in the cell's output"


def test_the_checks_catch_an_explorer_that_shows_a_wrong_gradient(lab, harness_notebook):
    """The harness notebook's sigmoid explorer shows 2·σ'(x): the check must say so."""
    notebook = lab.executed(harness_notebook)
    notebook.run_past_errors(intended_errors(harness_notebook))  # the explorer comes after an intended error
    (explorer,) = notebook.explorers()
    assert explorer["kind"] == "coursegrad-sigmoid-explorer"
    notebook.kernel_eval("None", code=PROBE_SOURCE)
    with pytest.raises(AssertionError, match="σ'.*the readout holds"):
        check_sigmoid_explorer(Explorer(notebook, explorer))


# ---------------------------------------------------------------------------
# Reading an explorer on the page
# ---------------------------------------------------------------------------


class Explorer:
    """One explorer on the page: its element, its controls, what the kernel says it holds."""

    def __init__(self, notebook, info: dict):
        self.notebook, self.info = notebook, info
        self.box = notebook.explorer(info)
        self.box.scroll_into_view_if_needed()

    def facts(self) -> dict:
        """What the kernel's explorer holds now, and the engine's fresh answers (see kernel_probe.py)."""
        described = self.notebook.kernel_eval(f"_coursegrad_browser_probe({self.info['modelId']!r})")
        return json.loads(described)[self.info["position"]]

    def slider(self, name: str):
        slider = self.box.locator(f".coursegrad-slider-{name}")
        assert slider.count() == 1, f"expected one slider with class coursegrad-slider-{name}, found {slider.count()}"
        return slider

    def move(self, name: str, facts: dict) -> tuple[str, float]:
        """Press an arrow key on slider `name` (the other way at the end of its range); return key, step sign."""
        control = facts["controls"][name]
        if control["type"] == "FloatLogSlider":
            exponent = math.log(control["value"], control["base"])
            at_top = exponent + control["step"] > control["max"] + 1e-9
        elif control["type"] == "SelectionSlider":  # a set of values: the last one is the top
            at_top = control["options"].index(control["value"]) == len(control["options"]) - 1
        else:
            at_top = control["value"] + control["step"] > control["max"] + 1e-9
        key, sign = ("ArrowLeft", -1.0) if at_top else ("ArrowRight", 1.0)
        self.notebook.press_on_slider(self.slider(name), key)
        return key, sign

    def html(self, css_class: str, index: int = 0) -> str:
        return self.box.locator(f".{css_class}").nth(index).inner_html()

    def wait_for_change(self, css_class: str, before: str, index: int = 0) -> None:
        self.notebook.wait_for_change(self.box.locator(f".{css_class}").nth(index), before)

    def numbers(self) -> dict[str, tuple[float, str]]:
        """Every number the explorer shows: data-name -> (exact value, the text the student reads)."""
        spans = self.box.locator(".coursegrad-readout .coursegrad-number").evaluate_all(
            "els => els.map(e => [e.dataset.name, e.dataset.value, e.innerText])"
        )
        return {name: (float(value), text) for name, value, text in spans}

    def height(self) -> float:
        return self.box.bounding_box()["height"]

    def point(self, name: str) -> tuple[float, float]:
        """Where the plot's moving point `name` is on the screen (centre, pixels; y grows downwards)."""
        point = self.box.locator(f".coursegrad-plot .coursegrad-point[data-name='{name}']")
        assert point.count() == 1, f"the plot shows {point.count()} points named {name!r}, expected 1"
        box = point.bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def curve_points(self, name: str) -> int:
        """How many points the plot's moving curve `name` has."""
        curve = self.box.locator(f".coursegrad-plot .coursegrad-curve[data-name='{name}']")
        assert curve.count() == 1, f"the plot shows {curve.count()} curves named {name!r}, expected 1"
        return len(curve.get_attribute("points").split())

    def svg_texts(self, css_class: str) -> list[str]:
        return self.box.locator(f".{css_class} svg text").evaluate_all("els => els.map(e => e.textContent.trim())")


def assert_shows(numbers: dict, name: str, expected: float, what: str) -> None:
    """The readout number `name` is `expected`, exactly in its data and to its 4 shown digits on screen."""
    assert name in numbers, f"the readout shows no number named {name!r} ({what}); it shows {sorted(numbers)}"
    value, text = numbers[name]
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-12), (
        f"{what}: the readout holds {value!r}, coursegrad gives {expected!r}"
    )
    shown = float(text.replace("−", "-").replace("\u2009", "").strip())
    assert shown == pytest.approx(expected, rel=1e-3, abs=1e-12), (
        f"{what}: the student reads {text!r}, coursegrad gives {expected!r}"
    )


def assert_same_size(before: float, after: float) -> None:
    assert abs(after - before) <= SIZE_TOLERANCE_PX, f"the explorer changed height from {before:.0f}px to {after:.0f}px (flicker)"


def new_value(before: dict, after: dict, name: str, sign: float) -> float:
    """The slider's value after one key press, checked against its value before and its step."""
    old, new, step = before["controls"][name]["value"], after["controls"][name]["value"], before["controls"][name].get("step")
    if before["controls"][name]["type"] == "SelectionSlider":  # one step: the next or the previous value of its set
        options = before["controls"][name]["options"]
        expected = options[options.index(old) + int(sign)]
    elif before["controls"][name]["type"] == "FloatLogSlider":
        base = before["controls"][name]["base"]
        expected = base ** (math.log(old, base) + sign * step)
    else:
        expected = old + sign * step
    assert new == pytest.approx(expected, rel=1e-6, abs=1e-9), (
        f"slider {name!r} went from {old} to {new}, expected one step: {expected}"
    )
    return float(new)


# ---------------------------------------------------------------------------
# One check per kind of explorer
# ---------------------------------------------------------------------------


def check_graph_explorer(ex: Explorer) -> None:
    before = ex.facts()
    name = next(iter(before["controls"]))
    height, graph = ex.height(), ex.html("coursegrad-graph")
    _, sign = ex.move(name, before)
    ex.wait_for_change("coursegrad-graph", graph)
    after = ex.facts()
    new_value(before, after, name, sign)
    shown = ex.numbers()
    label = after["output_label"]
    assert_shows(shown, label, after["output"], f"{label} at the new {name}")
    for input_name, grad in after["grads"].items():
        assert_shows(shown, f"d{input_name}", grad, f"∂{label}/∂{input_name} at the new {name}")
    texts = ex.svg_texts("coursegrad-graph")
    missing = [s for s in after["summaries"] if s not in texts]
    assert not missing, f"the redrawn graph does not show the new values {missing}"
    assert_same_size(height, ex.height())


def _highlight(ex: Explorer) -> list[dict]:
    from coursegrad.drawing import HIGHLIGHT_CLASS

    return ex.box.locator(f".coursegrad-graph svg .{HIGHLIGHT_CLASS}").evaluate_all(
        "els => els.map(e => { const b = e.getBBox(); return {x: b.x, y: b.y}; })"
    )


def _step(ex: Explorer) -> int:
    return int(ex.numbers()["step"][0])


def _step_once(ex: Explorer) -> None:
    """Move the stepper one step; check the description and the highlighted node of the new step."""
    before = ex.facts()
    j, steps = before["step"], before["visited_steps"]
    assert _step(ex) == j
    description, graph, ring = ex.html("coursegrad-readout"), ex.html("coursegrad-graph"), _highlight(ex)
    _, sign = ex.move("step", before)
    ex.wait_for_change("coursegrad-readout", description)
    ex.wait_for_change("coursegrad-graph", graph)
    after = ex.facts()
    j2 = int(new_value(before, after, "step", sign))
    assert _step(ex) == j2
    text = ex.box.locator(".coursegrad-description").inner_text().strip()
    assert text == after["description"], f"step {j2}: the page says {text!r}, the kernel's trace says {after['description']!r}"
    moved = _highlight(ex)
    if j2 == 0:
        assert "seed" in text and not moved, "step 0 should show the seed gradient with no node highlighted"
        return
    for part in (f"step {j2} of {steps}", f"(out = {after['node_value']})", f"upstream gradient {after['node_upstream']}"):
        assert part in text, f"step {j2}: the description {text!r} does not say {part!r} (the engine's step {j2})"
    assert len(moved) == 1, f"step {j2}: expected one highlighted node in the drawing, found {len(moved)}"
    assert moved != ring, f"the highlighted node did not move from step {j} to step {j2}"


def check_backprop_stepper(ex: Explorer) -> None:
    height = ex.height()
    _step_once(ex)
    _step_once(ex)  # two moves: from the seed (no highlight) to a node, then on to the next node
    assert_same_size(height, ex.height())
    _check_play(ex)


def _check_play(ex: Explorer) -> None:
    """The play button advances the step by itself; pressing it again pauses."""
    facts = ex.facts()
    if facts["step"] >= facts["visited_steps"]:  # at the end: step back first, so play has somewhere to go
        ex.notebook.press_on_slider(ex.slider("step"), "ArrowLeft")
        facts = ex.facts()
    j = facts["step"]
    play = ex.box.locator(".coursegrad-play button").first
    play.click()
    ex.notebook.page.wait_for_function(
        "([el, j]) => { const s = el.querySelector(\"[data-name='step']\"); return s && Number(s.dataset.value) > j; }",
        arg=[ex.box.element_handle(), j],
        timeout=15_000,
    )
    play.click()  # the same button pauses


def check_multiplication_explorer(ex: Explorer) -> None:
    from coursegrad import Value
    from coursegrad.multiplication import linear_classifier_data, train_linear_classifier, weight_gradient

    before = ex.facts()
    height, product = ex.height(), ex.html("coursegrad-readout", 0)
    _, sign = ex.move("a", before)
    ex.wait_for_change("coursegrad-readout", product, 0)
    after = ex.facts()
    a, b = Value(new_value(before, after, "a", sign), "a"), Value(float(after["controls"]["b"]["value"]), "b")
    f = a * b
    f.backward()
    shown = ex.numbers()
    assert_shows(shown, "f", f.data, "f = a × b")
    assert_shows(shown, "da", a.grad, "∂f/∂a (= b)")
    assert_shows(shown, "db", b.grad, "∂f/∂b (= a)")

    before, plot = after, ex.html("coursegrad-plot")
    diamond = ex.point("grad_norm")
    _, sign = ex.move("scale", before)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    scale = new_value(before, after, "scale", sign)
    X, y = linear_classifier_data()
    loss = after.get("loss", "logistic")
    grad = float(np.linalg.norm(weight_gradient(X * scale, y, loss=loss)))
    unscaled = float(np.linalg.norm(weight_gradient(X, y, loss=loss)))
    shown = ex.numbers()
    assert_shows(shown, "scale", scale, "the data scale")
    assert_shows(shown, "grad_norm", grad, f"|∂loss/∂w| with the data × {scale:.4g}")
    assert_shows(shown, "grad_ratio", grad / unscaled, "the gradient's growth")
    assert grad / unscaled == pytest.approx(scale, rel=1e-9), "the weight gradient is not proportional to the data scale"
    moved = ex.point("grad_norm")
    assert sign * (moved[0] - diamond[0]) > 0 and sign * (diamond[1] - moved[1]) > 0, (
        "the marked point did not move along the slope-1 line (right and up for a larger scale)"
    )

    before, plot = after, ex.html("coursegrad-plot")
    _, sign = ex.move("lr", before)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    lr = new_value(before, after, "lr", sign)
    losses = train_linear_classifier(X * scale, y, lr, after.get("steps", 50), loss)
    shown = ex.numbers()
    assert_shows(shown, "lr", lr, "the learning rate")
    assert_shows(shown, "loss_start", losses[0], "the loss before training")
    assert_shows(shown, "loss_end", losses[~np.isnan(losses)][-1], f"the loss after training at learning rate {lr:.3g}")
    assert_same_size(height, ex.height())


def check_sigmoid_explorer(ex: Explorer) -> None:
    from coursegrad import Value

    before = ex.facts()
    height, plot, readout = ex.height(), ex.html("coursegrad-plot"), ex.html("coursegrad-readout")
    on_curve, on_derivative = ex.point("sigmoid"), ex.point("derivative")
    _, sign = ex.move("x", before)
    ex.wait_for_change("coursegrad-plot", plot)
    ex.wait_for_change("coursegrad-readout", readout)
    after = ex.facts()
    x = Value(new_value(before, after, "x", sign), "x")
    s = x.sigmoid()
    s.backward()
    shown = ex.numbers()
    assert_shows(shown, "x", x.data, "x")
    assert_shows(shown, "sigmoid", s.data, f"σ({x.data:.3g})")
    assert_shows(shown, "derivative", x.grad, f"σ'({x.data:.3g})")
    assert_shows(shown, "passed", x.grad, "the gradient that passes the sigmoid")
    assert_shows(shown, "percent", 100 * x.grad / 0.25, "the share of the largest sigmoid gradient")
    # The points follow x along the curves: σ rises with x (up the screen), σ' falls away from 0.
    moved, moved_d = ex.point("sigmoid"), ex.point("derivative")
    assert sign * (moved[0] - on_curve[0]) > 0 and sign * (moved_d[0] - on_derivative[0]) > 0, "the points did not move with x"
    assert sign * (on_curve[1] - moved[1]) > 0, "the point on σ did not move up the curve as x grew (or down as it fell)"
    d_old = before["controls"]["x"]["value"]
    if abs(x.data) > abs(d_old) + 1e-12:  # moving away from 0: σ' gets smaller, its point lower on the screen
        assert moved_d[1] > on_derivative[1], "the point on σ' did not drop as |x| grew"
    assert_same_size(height, ex.height())


def _deep_expected(facts: dict) -> dict:
    """The same network, built and backpropagated here, headless, for the kernel's settings."""
    from coursegrad.widgets import DeepSigmoidExplorer

    c = facts["controls"]
    fresh = DeepSigmoidExplorer(
        c["activation"]["value"], int(c["depth"]["value"]), float(c["gain"]["value"]), float(c["input_scale"]["value"]),
        width=facts.get("width", 32),
    )  # fmt: skip
    return fresh.state


def _check_deep_numbers(ex: Explorer, facts: dict, what: str) -> None:
    state = _deep_expected(facts)
    shown = ex.numbers()
    assert_shows(shown, "first", state["norms"][0], f"the gradient reaching layer 1 ({what})")
    assert_shows(shown, "last", state["norms"][-2], f"the gradient reaching the last hidden layer ({what})")
    assert_shows(shown, "ratio", state["ratio"], f"layer 1's share ({what})")
    assert_shows(shown, "saturated", 100 * state["saturated"], f"the saturated units ({what})")


def check_deep_sigmoid_explorer(ex: Explorer) -> None:
    before = ex.facts()
    height, plot = ex.height(), ex.html("coursegrad-plot")
    _, sign = ex.move("depth", before)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    depth = int(new_value(before, after, "depth", sign))
    _check_deep_numbers(ex, after, f"{depth} hidden layers")
    positive = int(np.count_nonzero(_deep_expected(after)["norms"] > 0))
    assert ex.curve_points("norms") == positive, f"the curve should have one point per layer ({positive}) for depth {depth}"

    activation = after["controls"]["activation"]
    other = next(o for o in activation["options"] if o != activation["value"])
    plot = ex.html("coursegrad-plot")
    ex.box.locator(".coursegrad-dropdown-activation select").select_option(other)
    ex.wait_for_change("coursegrad-plot", plot)
    after = ex.facts()
    assert after["controls"]["activation"]["value"] == other
    _check_deep_numbers(ex, after, f"{other}, {depth} hidden layers")
    assert_same_size(height, ex.height())


CHECKS = {
    "coursegrad-graph-explorer": check_graph_explorer,
    "coursegrad-backprop-stepper": check_backprop_stepper,
    "coursegrad-multiplication-explorer": check_multiplication_explorer,
    "coursegrad-sigmoid-explorer": check_sigmoid_explorer,
    "coursegrad-deep-sigmoid-explorer": check_deep_sigmoid_explorer,
}


def _lecture6_checks() -> dict:
    """Lecture 7's explorer is checked in test_browser_lecture7.py (imported when needed: it imports this module)."""
    from test_browser_lecture7 import check_checkpoint_explorer

    return {"coursegrad-checkpoint-explorer": check_checkpoint_explorer}
