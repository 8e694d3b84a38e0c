"""Names for a screen reader: what an explorer's controls and readouts say, where ipywidgets 8.1 says nothing.

ipywidgets 8.1 draws a slider with noUiSlider: the handle a keyboard moves (role="slider") is not tied to the
slider's description `<label>`, so a screen reader says "slider, -2" (a log slider's handle holds the
exponent); the Play widget's buttons are icons without a name; and an HTML box does not announce a change.
`ControlNames` is a hidden widget (an anywidget) that an explorer carries as its last child; its front end
names each handle by its slider's description (`names`: CSS class → name) and lets it say the slider's readout
(10⁻² is said "0.01"), names the Play buttons (Play / Pause, Stop, Repeat), and makes the boxes of `live`
(CSS classes) polite live regions, read in full when the kernel changes them.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import ipywidgets as widgets
import traitlets

__all__ = ["ControlNames"]


class ControlNames(anywidget.AnyWidget):
    """The accessible names of an explorer's sliders (`names`: CSS class → name) and its live readouts (`live`)."""

    _esm = Path(__file__).with_name("control_names.js").read_text(encoding="utf-8")  # the front end
    names = traitlets.Dict(value_trait=traitlets.Unicode()).tag(sync=True)
    live = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, names: dict[str, str], live: list[str]):
        super().__init__(names=dict(names), live=list(live), layout=widgets.Layout(display="none"))
        self.add_class("coursegrad-control-names")
