"""Lecture 2's two step-throughs, driven in JupyterLab the way a student drives them.

Lecture 2 shows `backprop_stepper` on the sigmoid neuron (8 gates, no forks) and on the staged
example f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = -4 (x feeds three gates, y two).
The test runs the notebook, finds each stepper by the function in its cell, presses the arrow
key on its slider and checks what the page shows against numbers computed here afresh:

- sigmoid neuron: at every step j the readout says "step j of 8" and names the upstream gradient of
  the j-th gate the engine visits; at the last step the drawing shows ∂f/∂x0 and ∂f/∂w0;
- staged example: x's running sum on the page is what x has received so far, computed here path by
  path with the other paths cut (1/den after the numerator; plus σ(x)'s share after σ(x); all of
  ∂f/∂x after x + y), and the drawing shows it on x's wire.

Screenshots of both steppers at those steps are saved with the other browser artifacts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from browser_course import REPO

pytestmark = pytest.mark.browser

LECTURE = REPO / "lectures" / "02_backpropagation.ipynb"
STEPPER = "coursegrad-backprop-stepper"


def _neuron(w0, x0, w1, x1, w2):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


NEURON_AT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def _staged(x, y):
    return (x + y.sigmoid()) / (x.sigmoid() + (x + y) ** 2)


class Stepper:
    """One stepper on the page: its box, its slider, and what it shows."""

    def __init__(self, notebook, info: dict, name: str):
        self.notebook, self.name = notebook, name
        self.box = notebook.explorer(info)
        self.box.scroll_into_view_if_needed()

    def step(self) -> int:
        value = self.box.locator(".coursegrad-readout [data-name='step']").get_attribute("data-value")
        return int(float(value))

    def description(self) -> str:
        return self.box.locator(".coursegrad-description").inner_text().strip()

    def drawing_texts(self) -> list[str]:
        return self.box.locator(".coursegrad-graph svg text").evaluate_all("els => els.map(e => e.textContent.trim())")

    def forward(self, presses: int = 1, key: str = "ArrowRight") -> None:
        """Press `key` on the step slider, waiting each time until the kernel has redrawn the readout."""
        slider = self.box.locator(".coursegrad-slider-step")
        for _ in range(presses):
            before = self.box.locator(".coursegrad-readout").inner_html()
            self.notebook.press_on_slider(slider, key)
            self.notebook.wait_for_change(self.box.locator(".coursegrad-readout"), before)

    def rewind(self) -> None:
        """Back to step 0 with one press of Home (another test may have moved this stepper on the shared page)."""
        if self.step():
            self.forward(key="Home")
        assert self.step() == 0, f"the {self.name} stepper did not go back to step 0"

    def go_to(self, j: int) -> None:
        assert self.step() <= j, f"the {self.name} stepper is already past step {j}"
        self.forward(j - self.step())
        assert self.step() == j, f"the {self.name} stepper shows step {self.step()} after moving to step {j}"

    def screenshot(self, label: str) -> None:
        folder = self.notebook.run_shots[0].parent  # where the browser tests keep their screenshots
        self.box.screenshot(path=str(folder / f"{self.notebook.name}--stepper-{self.name}-{label}.png"))


def _steppers(notebook) -> dict[str, Stepper]:
    """The lecture's steppers by what they step through, found by the source of their cells."""
    sources = {cell["index"]: cell["source"] for cell in notebook.cells()}
    found = {}
    for info in notebook.explorers():
        if info["kind"] != STEPPER:
            continue
        source = sources[info["cell"]]
        name = "neuron" if ".exp()" in source else "staged" if ".sigmoid()" in source and "x=3.0" in source else None
        if name:
            found[name] = Stepper(notebook, info, name)
    assert set(found) == {"neuron", "staged"}, f"lecture 2 should show the two steppers, found {sorted(found)}"
    return found


def _visit_order(root):
    from coursegrad import topological_order

    return [node for node in reversed(topological_order(root)) if node.inputs]


def test_the_sigmoid_neuron_stepper_shows_each_gate_with_its_upstream_gradient(lab):
    from coursegrad import Value
    from coursegrad.drawing import summary

    notebook = lab.executed(LECTURE)
    stepper = _steppers(notebook)["neuron"]
    leaves = {name: Value(value, label=name) for name, value in NEURON_AT.items()}
    f = _neuron(**leaves)
    f.backward()
    visited = _visit_order(f)
    assert len(visited) == 8, "the neuron is 8 gates"
    stepper.rewind()
    assert "seed" in stepper.description()
    stepper.screenshot("step0")
    for j, node in enumerate(visited, start=1):
        stepper.forward()
        text = stepper.description()
        assert stepper.step() == j, f"after {j} presses the stepper shows step {stepper.step()}"
        for part in (f"step {j} of 8", f"(out = {summary(node.data)})", f"upstream gradient {summary(node.grad)}"):
            assert part in text, f"neuron, step {j}: the page says {text!r}, which does not say {part!r}"
    texts = stepper.drawing_texts()
    for name in ("x0", "w0"):
        shown = summary(leaves[name].grad)
        assert any(shown in t for t in texts), f"the last step's drawing does not show ∂f/∂{name} = {shown}: {texts}"
    stepper.screenshot("step8")


def test_the_staged_stepper_shows_x_collecting_its_gradient_gate_by_gate(lab):
    from coursegrad import Value
    from coursegrad.drawing import summary
    from coursegrad.predict import engine_gradients

    notebook = lab.executed(LECTURE)
    stepper = _steppers(notebook)["staged"]
    stepper.rewind()
    x, y = Value(3.0, label="x"), Value(-4.0, label="y")
    visited = _visit_order(_staged(x, y))
    x_steps = [j for j, node in enumerate(visited, start=1) if any(i is x for i in node.inputs)]
    assert len(x_steps) == 3, "x feeds three gates"
    sig3 = 1 / (1 + math.exp(-3.0))
    den = sig3 + 1.0  # σ(3) + (3 - 4)²
    # x's running sum once the gates at x_steps[0], [1], [2] have sent theirs: the other paths cut by constants
    expected = [
        engine_gradients(lambda x, y: (x + y.sigmoid()) / den, 3.0, -4.0)[0],
        engine_gradients(lambda x, y: (x + y.sigmoid()) / (x.sigmoid() + (3.0 + y) ** 2), 3.0, -4.0)[0],
        engine_gradients(_staged, 3.0, -4.0)[0],
    ]
    gate_of = {x_steps[0]: "x + σ(y)", x_steps[1]: "σ(x)", x_steps[2]: "x + y"}
    assert [visited[j - 1].op for j in x_steps] == ["+", "σ", "+"], f"x's gates in visiting order: {gate_of}"
    for j, running in zip(x_steps, expected, strict=True):
        stepper.go_to(j)
        text = stepper.description()
        said = f"x is used more than once, its gradients add up: {summary(running)} so far"
        assert said in text, f"staged, step {j} (at {gate_of[j]}): the page says {text!r}, expected {said!r}"
        received = [summary(abs(c)) for c in np.diff([0.0, *expected[: x_steps.index(j) + 1]])]
        labels = [t for t in stepper.drawing_texts() if all(term in t for term in received) and ("?" in t or "=" in t)]
        assert labels, f"step {j}: x's wire does not write its gradient as the sum of {received}"
        if j == x_steps[-1]:
            assert labels[0].endswith(f"= {summary(running)}"), f"the last step: x's wire shows {labels[0]!r}"
        stepper.screenshot(f"step{j}")
    assert expected[2] == pytest.approx(2.059570, abs=1e-6), "the staged example's ∂f/∂x is the lecture's 2.059570"
    notebook.screenshot("after-steppers")
