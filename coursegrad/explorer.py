"""The frame every slider explorer is built on, and its building blocks, for the lectures' explorers.

`Explorer` keeps its controls in `.sliders` and what it computed last in `.state`, and calls
`_recompute(changed)` once per slider move; a numeric error is shown in the readout instead of
crashing the callback. The blocks: `make_slider` (a float, log or integer slider with a stable CSS
class), `readout_box` and `readout_lines` (the numbers, one line each), `number` (one shown number,
findable by tests), `plot_box` (a box as wide as a figure's SVG), `html_box` and `error_html`. An
explorer's last child, a hidden `ControlNames`, names the sliders and Play buttons for a screen reader and makes the
readouts live regions (what ipywidgets 8.1 leaves out).
`coursegrad.widgets`, `classifier_explorer` and `reverse_mode_explorers` build their explorers from these.

ipywidgets is imported here, never on `import coursegrad`.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets

from coursegrad.control_names import ControlNames
from coursegrad.formatting import fmt

__all__ = [
    "NUMERIC_ERRORS",
    "Explorer",
    "number",
    "make_slider",
    "html_box",
    "readout_box",
    "readout_lines",
    "plot_box",
    "error_html",
]

NUMERIC_ERRORS = (ValueError, ZeroDivisionError, FloatingPointError, OverflowError)


def number(name: str, value: float) -> str:
    """An HTML span holding one shown number, findable by tests as [data-name=NAME]."""
    shown = fmt(value, digits=4)
    return f'<span class="coursegrad-number" data-name="{html.escape(name)}" data-value="{float(value)!r}">{shown}</span>'


def make_slider(
    key: str, description: str, value: float, lo: float, hi: float, step: float, *, log: bool = False, integer: bool = False
):
    """A slider with the CSS class coursegrad-slider-KEY: floats from lo to hi, or (log) 10**lo to 10**hi
    in powers of ten, or (integer) whole numbers; it updates while it is dragged."""
    common = {"description": description, "continuous_update": True, "style": {"description_width": "initial"}}
    common["layout"] = widgets.Layout(width="320px")
    if integer:
        s = widgets.IntSlider(value=int(value), min=int(lo), max=int(hi), step=int(step), **common)
    elif log:  # lo, hi and step are powers of ten
        s = widgets.FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step, readout_format=".3g", **common)
    else:
        s = widgets.FloatSlider(value=value, min=lo, max=hi, step=step, readout_format=".3g", **common)
    s.add_class(f"coursegrad-slider-{key}")
    return s


def html_box(css_class: str, width: int | None = None, height: int | None = None) -> widgets.HTML:
    """An HTML box of fixed size (width None: the cell's width), never wider than the cell."""
    layout = widgets.Layout(
        width=f"{width}px" if width else None, height=f"{height}px" if height else None, max_width="100%", overflow="auto"
    )
    box = widgets.HTML(layout=layout)
    box.add_class(css_class)
    return box


def readout_box(lines: int) -> widgets.HTML:
    """The box for the numbers: the cell's width, room for `lines` lines of text (a wrapped line included)."""
    return html_box("coursegrad-readout", height=22 * lines + 8)


def readout_lines(*lines: str) -> str:
    """Readout HTML: one <div> per line, compact line spacing."""
    return '<div style="line-height:1.5;padding-top:2px">' + "".join(f"<div>{line}</div>" for line in lines) + "</div>"


def plot_box(fig) -> widgets.HTML:
    """An HTML box as wide as the figure's SVG (narrower on a narrow page: the SVG then shrinks to fit)."""
    w, h = fig.get_size_inches() * 96  # CSS pixels: matplotlib's SVG is 72 pt per inch, 1 pt = 4/3 px
    return html_box("coursegrad-plot", math.ceil(w))


def error_html(err: Exception) -> str:
    return f'<div class="coursegrad-error" style="color:#C04A00"><b>{type(err).__name__}:</b> {html.escape(str(err))}</div>'


class Explorer(widgets.VBox):
    """The common frame: controls in `.sliders`, results in `.state`, one `update()` per change.

    Subclasses build their widgets, then call `_finish(kind, rows)`; `_recompute(changed)`
    does the work for a change of the control named `changed` (None: everything).
    """

    def _finish(self, kind: str, rows: list) -> None:
        super().__init__(children=[*rows, ControlNames(self._slider_names(), live=["coursegrad-readout"])])
        self.add_class("coursegrad-explorer")
        self.add_class(f"coursegrad-{kind}")
        for name, control in self.sliders.items():
            control.observe(lambda change, name=name: self.update(name), names="value")
        self.update(None)

    def _slider_names(self) -> dict[str, str]:
        """What a screen reader calls each slider: its CSS class → its description (`ControlNames`)."""
        names = {}
        for control in self.sliders.values():
            for cls in control._dom_classes:
                if cls.startswith("coursegrad-slider-"):
                    names[cls] = control.description
        return names

    shown_errors: tuple = NUMERIC_ERRORS  # what a change may raise and the explorer shows instead of crashing

    def update(self, changed: str | None = None) -> None:
        """Recompute and redraw after the control `changed` moved (None: everything)."""
        try:
            self._recompute(changed)
            self.state["error"] = None
        except self.shown_errors as err:  # e.g. log of a negative number: say so instead of crashing the callback
            self._show_error(err)

    def _show_error(self, err: Exception) -> None:
        self.state["error"] = f"{type(err).__name__}: {err}"
        self.readout.value = error_html(err)

    def _recompute(self, changed: str | None) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v.value!r}" for k, v in self.sliders.items() if not isinstance(v, widgets.Play))
        return f"{type(self).__name__}({settings})"
