"""Lecture 4's multiplication explorer in JupyterLab: the loss menu and the two learning rates, as a student finds them.

The "Try it" of lecture 4 asks the student to set the data scale to 1000, then the learning rate to
0.1 / 1000² (the curve lies on the raw one: "the same loss ... at every step: yes") and 0.1 / 1000 (the
first step |Δw| is the raw one, yet the squared loss blows up), then to switch the loss to logistic and
repeat. This test does exactly that with the keyboard and the menu, and checks every number the readout
shows against `coursegrad.multiplication.scaled_training_data`, computed here for the kernel's slider values.
"""

from __future__ import annotations

import numpy as np
import pytest
from browser_course import REPO
from test_browser_explorers import Explorer, assert_same_size, assert_shows, the_explorer

from coursegrad import multiplication

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "lectures" / "04_multiplication_effect.ipynb"
KIND = "coursegrad-multiplication-explorer"
RAW_LR = 0.1  # the learning rate of the dotted raw-data curve (the notebook's starting learning rate)


def _check_readout(ex: Explorer, what: str) -> dict:
    """The readout's numbers for the kernel's scale, learning rate and loss; returns the run computed here."""
    facts = ex.facts()
    c = facts["controls"]
    scale, lr, loss = float(c["scale"]["value"]), float(c["lr"]["value"]), c["loss"]["value"]
    assert facts["loss"] == loss, f"the explorer trains with {facts['loss']!r} but its menu says {loss!r}"
    run = multiplication.scaled_training_data(scale, lr, loss, facts["steps"], RAW_LR)
    X, y = multiplication.linear_classifier_data()
    shown = ex.numbers()
    assert_shows(
        shown, "grad_norm", float(np.linalg.norm(multiplication.weight_gradient(X * scale, y, loss=loss))), f"|∂L/∂w| ({what})"
    )
    assert_shows(shown, "lr", lr, f"the learning rate ({what})")
    assert_shows(shown, "step", run["step"], f"the first step |Δw| ({what})")
    assert_shows(shown, "reference_step", run["reference_step"], f"the raw run's first step ({what})")
    assert_shows(shown, "loss_end", run["losses"][~np.isnan(run["losses"])][-1], f"the loss after training ({what})")
    readout = ex.box.locator(".coursegrad-readout").nth(1).inner_text()
    verdict = "at every step: yes" if run["same"] else "at every step: no"
    assert verdict in readout, f"{what}: the readout should say {verdict!r}; it says {readout!r}"
    assert ("logistic loss" if loss == "logistic" else "squared-error loss") in readout
    return run


def _press(ex: Explorer, name: str, key: str, presses: int, target: float) -> None:
    """Press `key` on slider `name` `presses` times, then wait until the readout shows the value it reached."""
    ex.notebook.press_on_slider(ex.slider(name), key, presses)
    ex.notebook.page.wait_for_function(
        "([el, name, target]) => { const s = el.querySelector(`[data-name='${name}']`);"
        " return s && Math.abs(Number(s.dataset.value) / target - 1) < 1e-6; }",
        arg=[ex.box.element_handle(), name, target],
        timeout=30_000,
    )


def test_lecture3_explorer_loss_menu_and_the_learning_rates_of_the_try_it(lab):
    # The Try it starts from the sliders as the notebook sets them, not as another test left them.
    notebook = lab.executed(NOTEBOOK, untouched=True)
    ex = the_explorer(notebook, KIND)
    height = ex.height()
    menu = ex.box.locator(".coursegrad-dropdown-loss select")
    assert menu.count() == 1, "the explorer shows no loss menu"
    assert menu.input_value() == "squared error", "the loss menu should start at the squared error, the loss the text uses"
    _check_readout(ex, "as displayed")

    # PageUp / PageDown move a slider 5 steps (noUiSlider's keyboard page): the same values, a fifth of the presses.
    _press(ex, "scale", "PageUp", 6, 1000.0)  # data scale 1 → 1000 in 30 steps of 10^0.1
    _press(ex, "lr", "PageDown", 12, RAW_LR / 1000**2)  # learning rate 0.1 → 1e-7 (60 steps)
    run = _check_readout(ex, "squared error, data ×1000, lr 0.1/1000²")
    assert run["same"], "at lr / 1000² the ×1000 run should be the raw run, step for step"
    assert_shows(ex.numbers(), "lr_power", 2.0, "the learning rate's divisor as a power of the scale")

    _press(ex, "lr", "PageUp", 6, RAW_LR / 1000)  # 1e-7 → 1e-4
    run = _check_readout(ex, "squared error, data ×1000, lr 0.1/1000")
    assert run["step"] == pytest.approx(run["reference_step"], rel=1e-9) and not run["same"]
    assert "blew up" in ex.box.locator(".coursegrad-readout").nth(1).inner_text()

    plot = ex.html("coursegrad-plot")
    menu.select_option(label="logistic")
    ex.wait_for_change("coursegrad-plot", plot)
    run = _check_readout(ex, "logistic, data ×1000, lr 0.1/1000")
    assert run["losses"][-1] < run["reference_losses"][-1], "with the logistic loss lr / 1000 learns, faster than the raw run"

    _press(ex, "lr", "PageDown", 6, RAW_LR / 1000**2)
    assert _check_readout(ex, "logistic, data ×1000, lr 0.1/1000²")["same"]
    assert_same_size(height, ex.height())
    notebook.screenshot("lecture4-explorer-logistic")
