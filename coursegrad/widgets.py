"""Slider explorers: move a slider, watch values and gradients change.

Each function returns one widget for a notebook to display:

- `graph_explorer(f, x=..., y=...)`   sliders for the inputs of any function of `Value`s;
  redraws the computational graph with values and gradients.
- `backprop_stepper(f_or_root)`       a slider and a play button over the steps of the backward pass.
- `multiplication_explorer()`         f = a × b and its swapped gradients; the data scale and
  learning rate of a linear classifier against its weight gradient, its first step and its
  training loss (a menu picks the squared-error or the logistic loss).
- `sigmoid_explorer()`                σ(x) and σ'(x) as points on their curves.
- `deep_sigmoid_explorer()`           depth, weight scale, input scale and activation of a deep
  network against the gradient reaching each layer.

Every number shown is computed by the engine's backward pass. Pictures are SVG
strings inside `ipywidgets.HTML` (no `Output` widget), so nothing is printed from a
callback, the display keeps its size while sliders move, and a test can read what
the student sees. Each explorer keeps its controls in `.sliders` (a dict; the
activation dropdown and the play button are there too) and what it computed last in
`.state` (a dict); setting `explorer.sliders["a"].value = 3` updates both at once.

Stable CSS classes, for browser tests:

    coursegrad-explorer              the top-level box of every explorer, plus one of
    coursegrad-graph-explorer  coursegrad-backprop-stepper  coursegrad-multiplication-explorer
    coursegrad-sigmoid-explorer  coursegrad-deep-sigmoid-explorer
    coursegrad-slider-NAME           each slider; NAME is the input's name for graph_explorer,
                                     else a, b, scale, lr, x, depth, gain, input-scale, step
    coursegrad-dropdown-activation   the activation menu of deep_sigmoid_explorer
    coursegrad-dropdown-loss         the loss menu of multiplication_explorer
    coursegrad-play                  the play button of backprop_stepper
    coursegrad-readout               the HTML box with the numbers; each number is a
                                     <span class="coursegrad-number" data-name="NAME" data-value="repr">
    coursegrad-description           (in the stepper's readout) the text of the current step
    coursegrad-graph                 the HTML box holding a graph drawing (SVG)
    coursegrad-plot                  the HTML box holding a plot (SVG); inside it, the moving parts are
                                     <g class="coursegrad-overlay"> elements of class coursegrad-point /
                                     coursegrad-curve with data-name=... (e.g. "sigmoid", "derivative",
                                     "grad_norm", "losses", "norms", "layer3")
    coursegrad-error                 a message shown instead of numbers when the expression fails

Pictures have a fixed width (the largest drawing so far, for graphs) and shrink to fit a
narrower page. The numbers a readout shows use 4 significant digits with an ASCII minus
("-4", "0.25"); data-value holds the exact float.

In a notebook these cells re-run identically under nbval: an explorer's text form is a short
`repr` such as `SigmoidExplorer(x=2.0)`, and nothing is printed from its callbacks.

ipywidgets and matplotlib are imported here, never on `import coursegrad`.
"""

from __future__ import annotations

import html
import inspect
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np

from coursegrad import multiplication, nn, plots, vanishing
from coursegrad.engine import Value
from coursegrad.engine_checks import is_real_number
from coursegrad.explorer import Explorer, html_box, make_slider, number, plot_box, readout_box, readout_lines
from coursegrad.figures import SvgFigure, decades, inline_svg, log_axis_without_ticks, plain_log_ticks, responsive_svg
from coursegrad.formatting import fmt

__all__ = [
    "Explorer",
    "GraphExplorer",
    "BackpropStepper",
    "MultiplicationExplorer",
    "SigmoidExplorer",
    "DeepSigmoidExplorer",
    "graph_explorer",
    "backprop_stepper",
    "multiplication_explorer",
    "sigmoid_explorer",
    "deep_sigmoid_explorer",
]

# ---------------------------------------------------------------------------
# 1. Graph explorer
# ---------------------------------------------------------------------------


def _input_slider(name: str, spec: Any) -> widgets.ValueWidget:
    """A slider for one input: spec is a number (start value), (value, min, max[, step]), or a slider."""
    if isinstance(spec, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider)):
        spec.add_class(f"coursegrad-slider-{name}")
        return spec
    if is_real_number(spec):
        value = float(spec)
        r = max(5.0, 2 * abs(value))
        lo, hi, step = -r, r, r / 100
    elif isinstance(spec, (tuple, list)) and len(spec) in (3, 4) and all(isinstance(v, numbers.Real) for v in spec):
        value, lo, hi = map(float, spec[:3])
        step = float(spec[3]) if len(spec) == 4 else (hi - lo) / 200
        if not lo <= value <= hi:
            raise ValueError(
                f"graph_explorer: {name}={spec!r}: the start value {value:g} must lie between min {lo:g} and max {hi:g}."
            )
    else:
        raise TypeError(
            f"graph_explorer: {name}={spec!r} is not understood. Give a start value (x=-2.0), "
            f"a tuple (value, min, max) or (value, min, max, step), or an ipywidgets slider."
        )
    return make_slider(name, name, value, lo, hi, step)


class _GraphView:
    """An HTML box (`.box`) showing graph drawings, all at the size of the largest drawn so far.

    A smaller drawing is padded to that size, so the picture never jumps when a slider
    changes a number's width; on a narrow page it shrinks to fit, keeping its proportions.
    """

    def __init__(self):
        self.box = html_box("coursegrad-graph")
        self.width = self.height = 0

    def fit(self, drawing) -> None:
        self.width, self.height = max(self.width, math.ceil(drawing.width)), max(self.height, math.ceil(drawing.height))
        self.box.layout.width = f"{self.width}px"

    def show(self, drawing) -> None:
        self.fit(drawing)
        svg = inline_svg(drawing.svg)
        end = svg.index(">")
        head = re.sub(r'\bwidth="[^"]*"', f'width="{self.width}"', svg[:end], count=1)
        head = re.sub(r'\bheight="[^"]*"', f'height="{self.height}"', head, count=1)
        head = re.sub(r'\bviewBox="[^"]*"', f'viewBox="0 0 {self.width} {self.height}"', head, count=1)
        self.box.value = responsive_svg(head + svg[end:])


class GraphExplorer(Explorer):
    """Sliders for the inputs of `f`; the graph of f at those inputs, with values and gradients.

    `.state`: {"inputs": {name: value}, "output": f, "grads": {name: ∂f/∂name}, "error": None or text}.
    `.drawing` is the last `GraphDrawing`.
    """

    def __init__(self, f: Callable[..., Value], inputs: dict[str, Any], title: str | None = None, **draw_options):
        if not callable(f):
            raise TypeError(f"graph_explorer: f must be a function of Values, e.g. lambda x, y: x * y; got {type(f).__name__}.")
        self.f = f
        self.title = title
        self.draw_options = draw_options
        names = _parameter_names(f)
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            raise TypeError(f"graph_explorer: {unknown} are not parameters of f; its parameters are {names}.")
        defaults = _parameter_defaults(f)
        self.sliders = {n: _input_slider(n, inputs.get(n, defaults.get(n, 1.0))) for n in names}
        self.state = {"inputs": {}, "output": None, "grads": {}, "error": None}
        self.drawing = None
        self.readout = readout_box(2)
        self._view = _GraphView()
        self.graph = self._view.box
        self._prefit()
        sliders = list(self.sliders.values())
        rows = [widgets.HBox(sliders[i : i + 2]) for i in range(0, len(sliders), 2)]
        self._finish("graph-explorer", [*rows, self.readout, self.graph])

    def _prefit(self) -> None:
        """Size the picture for the drawings at each slider's ends too, so it rarely has to grow later."""
        from coursegrad.drawing import draw

        start = {n: float(s.value) for n, s in self.sliders.items()}
        for name, slider in self.sliders.items():
            for end in (slider.min, slider.max):
                try:
                    out, _ = self._evaluate({**start, name: float(end)})
                    self._view.fit(draw(out, title=self.title, **self.draw_options))
                except Exception:  # noqa: BLE001 - f may fail at an end (log of a negative): that end just isn't measured
                    continue

    shown_errors = (Exception,)  # f is the student's code: show whatever went wrong, keep the sliders alive

    def _show_error(self, err: Exception) -> None:
        super()._show_error(err)
        self.state.update(output=None, grads={})
        self.graph.value = ""

    def _evaluate(self, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
        """f at these input values, after its backward pass; and the input nodes."""
        xs = {n: Value(v, label=n) for n, v in values.items()}
        out = self.f(*xs.values())
        if not isinstance(out, Value):
            raise TypeError(f"graph_explorer: f must return a Value built from its inputs, got {type(out).__name__}.")
        if np.size(out.data) != 1:
            raise ValueError(f"graph_explorer: f must return a single number, got shape {out.shape}; reduce it with .sum().")
        out.backward()
        return out, xs

    def _recompute(self, changed: str | None) -> None:
        from coursegrad.drawing import draw

        self.state["inputs"] = {n: float(s.value) for n, s in self.sliders.items()}
        out, xs = self._evaluate(self.state["inputs"])
        name = out.label or "f"
        self.state["output"] = out.item()
        self.state["grads"] = {n: float(np.reshape(v.grad, ())) for n, v in xs.items()}
        parts = [f"<b>{html.escape(name)}</b> = {number(name, out.item())}"]
        parts += [f"∂{html.escape(name)}/∂{html.escape(n)} = {number('d' + n, g)}" for n, g in self.state["grads"].items()]
        self.readout.value = readout_lines(" &nbsp;&nbsp; ".join(parts))
        self.drawing = draw(out, title=self.title, **self.draw_options)
        self._view.show(self.drawing)


def _parameter_names(f: Callable) -> list[str]:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        raise TypeError("cannot read the parameters of f; pass a def or lambda with named parameters.") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in params if p.kind in kinds]
    if not names or any(p.kind not in kinds for p in params if p.default is inspect.Parameter.empty):
        raise TypeError("f needs named positional parameters, one per input, e.g. lambda x, y, z: (x + y) * z.")
    return names


def _parameter_defaults(f: Callable) -> dict[str, float]:
    params = inspect.signature(f).parameters.values()
    return {p.name: p.default for p in params if is_real_number(p.default)}


def graph_explorer(f: Callable[..., Value], *, title: str | None = None, **inputs: Any) -> GraphExplorer:
    """Sliders for the inputs of `f`, the graph of f with values and gradients, redrawn as they move.

        graph_explorer(lambda x, y, z: (x + y) * z, x=-2.0, y=5.0, z=(-4.0, -10, 10))

    Each input is a start value (the slider spans ±max(5, 2|value|)), a tuple
    (value, min, max) or (value, min, max, step), or an ipywidgets slider. Inputs not
    given start at f's default or 1.0. The sliders are `.sliders[name]`; the numbers
    shown are in `.state`. If f fails at some input (say log of a negative number) the
    message is shown instead of the graph.
    """
    return GraphExplorer(f, inputs, title=title)


# ---------------------------------------------------------------------------
# 2. Backprop stepper
# ---------------------------------------------------------------------------


class BackpropStepper(Explorer):
    """A slider (with a play button) over the backward pass: step 0 is the seed, step j the engine's j-th node.

    Step j shows `trace.draw(j)` (the node being processed highlighted, the gradients
    known so far written, the rest blank) and `trace.describe(j)`: the trace numbers steps the same way.
    `.state`: {"step": j, "steps": n, "description": text, "known": {node: gradient}, "highlight": node or None}.
    """

    def __init__(self, root: Value, gradient: Any = None, interval_ms: int = 1200):
        from coursegrad.steps import backward_steps

        if not isinstance(root, Value):
            raise TypeError(f"backprop_stepper: expected a Value (an output) or a function of Values, got {type(root).__name__}.")
        self.trace = backward_steps(root, gradient)
        n = len(self.trace)
        if n == 0:
            raise ValueError("backprop_stepper: the output is an input itself (no operations), so backprop takes no steps.")
        self._frames: dict[int, Any] = {}  # step → GraphDrawing, drawn on first visit
        slider = make_slider("step", "step", 0, 0, n, 1, integer=True)
        self.play = widgets.Play(value=0, min=0, max=n, step=1, interval=interval_ms, description="play")
        self.play.add_class("coursegrad-play")
        widgets.link((self.play, "value"), (slider, "value"))  # kernel side, so a test moving either sees the other follow
        self.sliders = {"step": slider, "play": self.play}
        self.state = {"step": None, "steps": n, "description": "", "known": None, "highlight": None, "error": None}
        self.readout = readout_box(4)
        self._view = _GraphView()
        self.graph = self._view.box
        for j in (0, n):  # the first and last pictures are the widest (blank / all gradients)
            self._view.fit(self._drawing(j))
        self._finish("backprop-stepper", [widgets.HBox([self.play, slider]), self.readout, self.graph])

    def _drawing(self, j: int):
        if j not in self._frames:
            self._frames[j] = self.trace.draw(j)
        return self._frames[j]

    def _recompute(self, changed: str | None) -> None:
        if changed == "play":  # the link has moved the step slider, whose own update does the work
            return
        j = int(self.sliders["step"].value)
        text = self.trace.describe(j)
        self.state.update(step=j, description=text, known=self.trace.known_after(j), highlight=self.trace[j].node if j else None)
        self.readout.value = readout_lines(*_step_lines(text, j, len(self.trace)))
        self._view.show(self._drawing(j))


def _step_lines(text: str, j: int, n: int) -> list[str]:
    """The stepper's readout: the description, its "step j of n" holding the step number (said once, not twice)."""
    counter = f"step {j} of {n}"
    style = 'class="coursegrad-description" style="font-family:monospace"'
    if j and text.startswith(counter):  # the description names the step itself: the number goes there
        rest = html.escape(text[len(counter) :])
        return [f"<span {style}>step {number('step', j)} of {n}{rest}</span>"]
    return [f"step {number('step', j)} of {n}", f"<span {style}>{html.escape(text)}</span>"]


def backprop_stepper(f_or_root: Value | Callable[..., Value], *, gradient: Any = None, **inputs: float) -> BackpropStepper:
    """Step through the backward pass of an output `Value`, or of `f` at the given inputs.

        backprop_stepper(f)                                          # f = (x + y) * z already built
        backprop_stepper(lambda x, y, z: (x + y) * z, x=-2, y=5, z=-4)

    Move the slider (`.sliders["step"]`) or press play: step 0 shows the seed gradient
    at the output, step j the j-th node the engine visits, highlighted, with the gradients
    known so far. This runs the engine's backward pass (leaves' `.grad` accumulate as usual).
    """
    if isinstance(f_or_root, Value):
        if inputs:
            raise TypeError("backprop_stepper: input values only make sense with a function; you passed a Value.")
        return BackpropStepper(f_or_root, gradient)
    if not callable(f_or_root):
        raise TypeError(f"backprop_stepper: expected a Value or a function of Values, got {type(f_or_root).__name__}.")
    names = _parameter_names(f_or_root)
    defaults = _parameter_defaults(f_or_root)
    unknown = sorted(set(inputs) - set(names))
    if unknown:
        raise TypeError(f"backprop_stepper: {unknown} are not parameters of f; its parameters are {names}.")
    missing = [n for n in names if n not in inputs and n not in defaults]
    if missing:
        raise TypeError(f"backprop_stepper: give a value for {missing}, e.g. backprop_stepper(f, {missing[0]}=1.0).")
    root = f_or_root(*(Value(float(inputs.get(n, defaults.get(n))), label=n) for n in names))
    if not isinstance(root, Value):
        raise TypeError(f"backprop_stepper: f must return a Value built from its inputs, got {type(root).__name__}.")
    return BackpropStepper(root, gradient)


# ---------------------------------------------------------------------------
# 3. The multiplication effect
# ---------------------------------------------------------------------------


class MultiplicationExplorer(Explorer):
    """f = a × b with its gradients, and a linear classifier wᵀx whose data is scaled.

    `.state`: a, b, f, da, db (from backprop), scale, grad_w (the vector ∂loss/∂w at w = 0),
    grad_norm = |∂loss/∂w|, grad_norm_unscaled (data ×1), lr, loss, and the numbers of
    `multiplication.scaled_training_data` (losses, reference_losses: the raw data at the starting
    learning rate `raw_lr`; step, reference_step: |Δw| of the first step; divisor; same).
    """

    LOSS_NAMES = {"mse": "squared-error", "logistic": "logistic"}

    def __init__(
        self,
        a: float = 1000.0,
        b: float = 0.001,
        scale: float = 1.0,
        lr: float = 0.1,
        steps: int = 50,
        loss: str = "mse",
        graph: bool = True,
    ):
        if loss not in multiplication.LOSSES:
            raise ValueError(f"multiplication_explorer: unknown loss {loss!r}; choose one of {multiplication.LOSSES}.")
        for name, v in (("a", a), ("b", b)):
            if not (isinstance(v, (int, float)) and 1e-3 <= v <= 1e3):
                raise ValueError(
                    f"multiplication_explorer: {name} must be a number from 0.001 to 1000 (its slider is logarithmic), got {v!r}."
                )
        self.steps, self.raw_lr = steps, float(lr)
        self.X, self.y = multiplication.linear_classifier_data()
        self._runs: dict[tuple, dict] = {}  # (lr, scale, loss) → scaled_training_data's numbers; (raw_lr, None, loss): raw run
        choice = widgets.Dropdown(
            options=[("squared error", "mse"), ("logistic", "logistic")], value=loss, description="loss",
            layout=widgets.Layout(width="220px"),
        )  # fmt: skip
        choice.add_class("coursegrad-dropdown-loss")
        self.sliders = {
            "a": make_slider("a", "a", a, -3, 3, 0.1, log=True),  # 10⁻³ … 10³: room for 1000 × 0.001
            "b": make_slider("b", "b", b, -3, 3, 0.1, log=True),
            "loss": choice,
            "scale": make_slider("scale", "data scale c (x → c·x)", scale, 0, 3, 0.1, log=True),
            "lr": make_slider("lr", "learning rate", lr, -8, 0, 0.1, log=True),
        }
        self.state: dict[str, Any] = {"error": None}
        self.product = readout_box(2)
        self.readout = readout_box(5)
        self._figure_loss = None
        self._build_figure()
        self.plot = plot_box(self.fig)
        self._view = _GraphView() if graph else None
        self.graph = self._view.box if graph else None
        rows = [
            widgets.HBox([self.sliders["a"], self.sliders["b"]]),
            self.product,
            *([self.graph] if graph else []),
            choice,
            widgets.HBox([self.sliders["scale"], self.sliders["lr"]]),
            self.readout,
            self.plot,
        ]
        self._finish("multiplication-explorer", rows)

    @property
    def loss(self) -> str:
        """The loss chosen in the menu: "mse" (squared error) or "logistic"."""
        return self.sliders["loss"].value

    def _build_figure(self) -> None:
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        self._figure_loss = self.loss
        self.fig = Figure(figsize=(9.0, 3.4), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.28)
        self.ax_grad, self.ax_loss = self.fig.subplots(1, 2)
        data = multiplication.gradient_vs_scale_data(np.logspace(0, 3, 13), loss=self.loss)
        self.grad_unscaled = float(data["grad_norms"][0])
        plots.plot_gradient_vs_scale(ax=self.ax_grad, scales=data["scales"], loss=self.loss)
        self.ax_grad.set_title("Weight gradient ∝ data scale (slope 1)", fontsize=10)
        log_axis_without_ticks(self.ax_loss)
        self.ax_loss.set_xlim(0, self.steps)
        self.ax_loss.set_xlabel("training step")
        self.ax_loss.set_ylabel(f"{self.LOSS_NAMES[self.loss]} loss (log scale)")
        self.ax_loss.set_title("Training wᵀx at the chosen learning rate", fontsize=10)
        self.ax_loss.grid(True, which="major", linewidth=0.4, alpha=0.5)
        handles = [
            Line2D([], [], color=plots.COLORS["black"], linestyle=":", linewidth=1.5, label=f"data ×1, lr {self.raw_lr:g}"),
            Line2D([], [], color=plots.COLORS["vermillion"], linewidth=2, label="data ×c, your lr"),
        ]
        self.ax_loss.legend(handles=handles, loc="upper right", fontsize=9)
        plain_log_ticks(self.ax_grad)
        self.canvas = SvgFigure(self.fig)

    def _run(self, lr: float, scale: float) -> dict:
        """`multiplication.scaled_training_data` for these sliders: the raw run trained once per loss, the run on
        data ×scale by `multiplication.linear_training_run_numpy` (the engine's numbers, ~1 ms), then kept."""
        key = (lr, scale, self.loss)
        if key not in self._runs:
            raw_key = (self.raw_lr, None, self.loss)
            if raw_key not in self._runs:
                self._runs[raw_key] = multiplication.linear_training_run(self.X, self.y, self.raw_lr, self.steps, self.loss)
            run = multiplication.linear_training_run_numpy(self.X * scale, self.y, lr, self.steps, self.loss)
            self._runs[key] = multiplication.compare_runs(run, self._runs[raw_key], scale, lr, self.raw_lr)
        return self._runs[key]

    def _recompute(self, changed: str | None) -> None:
        if changed in (None, "a", "b"):
            self._product()
        if changed == "loss" and self._figure_loss != self.loss:
            self._build_figure()
        if changed in (None, "scale", "lr", "loss"):
            self._classifier()

    def _product(self) -> None:
        a, b = Value(float(self.sliders["a"].value), "a"), Value(float(self.sliders["b"].value), "b")
        f = a * b
        f.label = "f"
        f.backward()
        self.state.update(a=a.data, b=b.data, f=f.data, da=a.grad, db=b.grad)
        self.product.value = readout_lines(
            f"f = a × b = {number('f', f.data)} &nbsp;&nbsp; "
            f"∂f/∂a = b = {number('da', a.grad)} &nbsp;&nbsp; ∂f/∂b = a = {number('db', b.grad)}",
            "Multiply swaps: each input's gradient is the <i>other</i> input.",
        )
        if self.graph is not None:
            from coursegrad.drawing import draw

            self._view.show(draw(f))

    def _classifier(self) -> None:
        scale, lr = float(self.sliders["scale"].value), float(self.sliders["lr"].value)
        grad_w = multiplication.weight_gradient(self.X * scale, self.y, loss=self.loss)
        norm = float(np.linalg.norm(grad_w))
        run = self._run(lr, scale)
        self.state.update(scale=scale, lr=lr, loss=self.loss, grad_w=grad_w, grad_norm=norm, **run)
        self.state["grad_norm_unscaled"] = self.grad_unscaled
        self.readout.value = readout_lines(
            f"data ×{number('scale', scale)}: |∂loss/∂w| at w = 0 is {number('grad_norm', norm)}, "
            f"{number('grad_ratio', norm / self.grad_unscaled)} × the unscaled "
            f"{number('grad_norm_unscaled', self.grad_unscaled)}",
            self._step_line(scale, lr, run),
            self._loss_line(run),
        )
        self.ax_loss.set_ylim(*decades(np.concatenate([run["losses"], run["reference_losses"]])))
        steps, black = np.arange(self.steps + 1), plots.COLORS["black"]
        shapes = [
            self.canvas.log_yticks(self.ax_loss),
            self.canvas.marker(self.ax_grad, scale, norm, "grad_norm", plots.COLORS["vermillion"], "diamond", 6),
            self.canvas.curve(self.ax_loss, steps, run["reference_losses"], "reference_losses", black, 1.5, "1.5,2.5"),
            self.canvas.curve(self.ax_loss, steps, run["losses"], "losses", plots.COLORS["vermillion"], 2.0),
        ]
        self.plot.value = self.canvas.render(shapes)

    def _step_line(self, scale: float, lr: float, run: dict) -> str:
        """The learning rate as raw_lr / divisor (and the divisor as a power of c), and the first step's size."""
        power = ""
        if scale > 1.0001:
            power = f" (= {self.raw_lr:g} / c<sup>{number('lr_power', math.log(run['divisor']) / math.log(scale))}</sup>)"
        return (
            f"learning rate {number('lr', lr)} = {self.raw_lr:g} / {number('divisor', run['divisor'])}{power}: "
            f"first step |Δw| = {number('step', run['step'])} (data ×1 at lr {self.raw_lr:g}: "
            f"{number('reference_step', run['reference_step'])})"
        )

    def _loss_line(self, run: dict) -> str:
        """The loss before and after training, against the raw run; whether it is the raw run step for step."""
        losses, reference = run["losses"], run["reference_losses"]
        ran = int(np.count_nonzero(~np.isnan(losses))) - 1
        final = float(losses[ran])
        verdict = "it learns" if final < losses[0] else "it does not learn: the loss went up"
        stopped = "" if ran == self.steps else f" (stopped after {ran} steps: the loss blew up)"
        same = "<b>yes</b>" if run["same"] else "no"
        return (
            f"{self.LOSS_NAMES[self.loss]} loss {number('loss_start', losses[0])} → {number('loss_end', final)}{stopped}, "
            f"{verdict} (data ×1: → {number('loss_end_unscaled', reference[-1])})."
            f"<br>The same loss as on data ×1 at every step: {same}"
        )


def multiplication_explorer(
    a: float = 1000.0, b: float = 0.001, scale: float = 1.0, lr: float = 0.1, loss: str = "mse", graph: bool = True
) -> MultiplicationExplorer:
    """Sliders for a and b of f = a × b (∂f/∂a = b, ∂f/∂b = a), and for the data scale and learning rate of a linear classifier.

    The a and b sliders are logarithmic, from 10⁻³ to 10³, so that a = 1000 against b = 0.001 fits.

    Scaling the inputs x of wᵀx by c scales the weight gradient by c: the plot on the
    left marks where you are on that slope-1 line; the plot on the right trains the
    classifier from w = 0 at the chosen learning rate (dotted: data ×1 at the starting
    learning rate `lr`). The readout gives the first step's size |Δw| (the same as on
    data ×1 at lr / c) and says whether the run is the data ×1 run step for step (it is at
    lr / c², for either loss). `loss` ("mse", the squared error, or "logistic") starts the
    loss menu; `graph=True` also draws the graph of f = a × b.
    """
    return MultiplicationExplorer(a, b, scale, lr, loss=loss, graph=graph)


# ---------------------------------------------------------------------------
# 4. The sigmoid and vanishing gradients
# ---------------------------------------------------------------------------


class SigmoidExplorer(Explorer):
    """A slider for x; σ(x) and σ'(x) marked on their curves.

    `.state`: x, sigmoid = σ(x), derivative = σ'(x) (the gradient backprop gives x), fraction = σ'(x)/0.25.
    """

    def __init__(self, x: float = 2.0):
        from matplotlib.figure import Figure

        self.sliders = {"x": make_slider("x", "x", x, -10, 10, 0.1)}
        self.state: dict[str, Any] = {"error": None}
        self.readout = readout_box(3)
        self.fig = Figure(figsize=(6.4, 3.6), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.11, right=0.97, bottom=0.14, top=0.91)
        self.ax = self.fig.add_subplot()
        plots.plot_sigmoid(ax=self.ax)
        self.canvas = SvgFigure(self.fig)
        self.plot = plot_box(self.fig)
        self._finish("sigmoid-explorer", [self.sliders["x"], self.readout, self.plot])

    def _recompute(self, changed: str | None) -> None:
        x = Value(float(self.sliders["x"].value), "x")
        s = x.sigmoid()
        s.backward()
        frac = x.grad / 0.25
        self.state.update(x=x.data, sigmoid=s.data, derivative=x.grad, fraction=frac)
        self.readout.value = readout_lines(
            f"σ({number('x', x.data)}) = {number('sigmoid', s.data)} &nbsp;&nbsp; "
            f"σ′(x) = σ(x)(1 − σ(x)) = {number('derivative', x.grad)}",
            f"A gradient of 1 arriving here leaves as {number('passed', x.grad)}: "
            f"{number('percent', 100 * frac)} % of the most that can pass (0.25, at x = 0).",
        )
        shapes = [
            self.canvas.vline(self.ax, x.data, "x"),
            self.canvas.marker(self.ax, x.data, s.data, "sigmoid", plots.COLORS["blue"], "circle", 5.5),
            self.canvas.marker(self.ax, x.data, x.grad, "derivative", plots.COLORS["vermillion"], "square", 5),
        ]
        self.plot.value = self.canvas.render(shapes)


def sigmoid_explorer(x: float = 2.0) -> SigmoidExplorer:
    """A slider for x showing σ(x) and σ'(x) = σ(x)(1 − σ(x)) as points on their curves.

    σ'(x) is at most 0.25 (at x = 0) and nearly 0 once |x| > 4: the gradient that flows
    back through a sigmoid is at most a quarter of what arrives, and nothing when it saturates.
    """
    return SigmoidExplorer(x)


class DeepSigmoidExplorer(Explorer):
    """Depth, weight scale (gain), input scale and activation of a deep network; the gradient reaching each layer.

    `.state`: activation, depth, gain, input_scale, norms (RMS of ∂loss/∂W per layer, first
    layer first, the last one being the linear output layer), ratio = norms[0] / norms[-2]
    (layer 1 against the last hidden layer, as lecture 5 measures it; 1 at depth 1), saturated =
    the fraction of hidden units with |pre-activation| > 4.
    """

    MAX_DEPTH = 20

    def __init__(self, activation: str = "sigmoid", depth: int = 8, gain: float = 1.0, input_scale: float = 1.0, width: int = 32):
        from matplotlib.figure import Figure

        if activation not in ("sigmoid", "tanh", "relu"):
            raise ValueError(f"deep_sigmoid_explorer: activation must be 'sigmoid', 'tanh' or 'relu', got {activation!r}.")
        self.width = width
        self.X, self.y = nn.toy_dataset(64, "blobs", noise=0.1, seed=0)
        self._cache: dict[tuple, tuple[np.ndarray, float]] = {}
        dropdown = widgets.Dropdown(
            options=["sigmoid", "tanh", "relu"], value=activation, description="activation", layout=widgets.Layout(width="220px")
        )
        dropdown.add_class("coursegrad-dropdown-activation")
        self.sliders = {
            "activation": dropdown,
            "depth": make_slider("depth", "hidden layers", depth, 1, self.MAX_DEPTH, 1, integer=True),
            "gain": make_slider("gain", "weight scale (× 1/√n)", gain, -1, 1, 0.05, log=True),
            "input_scale": make_slider("input-scale", "input scale", input_scale, -1, 2, 0.1, log=True),
        }
        self.state: dict[str, Any] = {"error": None}
        self.readout = readout_box(3)
        self.fig = Figure(figsize=(6.8, 3.4), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        self.ax = self.fig.add_subplot()
        log_axis_without_ticks(self.ax)
        self.ax.set_xlim(0.5, self.MAX_DEPTH + 1.5)
        self.ax.set_xticks(np.arange(1, self.MAX_DEPTH + 2))
        self.ax.set_xlabel("layer   (1 = next to the input; the last point is the output layer)")
        self.ax.set_ylabel("RMS of ∂loss/∂W")
        self.ax.set_title("Gradient reaching each layer's weights", fontsize=10)
        self.ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
        self.canvas = SvgFigure(self.fig)
        self.plot = plot_box(self.fig)
        s = self.sliders
        rows = [widgets.HBox([s["activation"], s["depth"]]), widgets.HBox([s["gain"], s["input_scale"]]), self.readout, self.plot]
        self._finish("deep-sigmoid-explorer", rows)

    def _norms(self, activation: str, depth: int, gain: float, input_scale: float) -> tuple[np.ndarray, float]:
        key = (activation, depth, gain, input_scale)
        if key not in self._cache:
            data = vanishing.deep_gradient_data(activation, depth, gain, self.width, input_scale, n=len(self.X))
            self._cache[key] = (data["norms"], data["saturated"])
        return self._cache[key]

    @staticmethod
    def _saturation_note(activation: str) -> str:
        """What |x| > 4 means for this activation: its local gradient there (ReLU has none to lose for x > 0)."""
        if activation == "relu":
            return " (ReLU does not saturate there: its local gradient is 1 for x &gt; 0)"
        edge = vanishing.local_gradient_data(activation, [vanishing.SATURATION])["derivative"][0]
        return f" (saturated: {activation}′ &lt; {fmt(edge)})"

    def _recompute(self, changed: str | None) -> None:
        s = self.sliders
        act, depth = s["activation"].value, int(s["depth"].value)
        gain, input_scale = float(s["gain"].value), float(s["input_scale"].value)
        norms, saturated = self._norms(act, depth, gain, input_scale)
        ratio = norms[0] / norms[-2] if norms[-2] > 0 else float("nan")
        self.state.update(
            activation=act, depth=depth, gain=gain, input_scale=input_scale, norms=norms, ratio=ratio, saturated=saturated
        )
        self.readout.value = readout_lines(
            f"{act}, {depth} hidden layers: gradient at layer 1 {number('first', norms[0])}, "
            f"at the last hidden layer {number('last', norms[-2])}; layer 1 gets {number('ratio', ratio)} of it.",
            f"{number('saturated', 100 * saturated)} % of hidden units have |pre-activation| &gt; {vanishing.SATURATION:g}"
            f"{self._saturation_note(act)}.",
        )
        self.ax.set_ylim(*decades(norms, step=2))
        layers = np.arange(1, depth + 2)
        color = {"sigmoid": plots.COLORS["blue"], "tanh": plots.COLORS["vermillion"], "relu": plots.COLORS["green"]}[act]
        shapes = [self.canvas.log_yticks(self.ax), self.canvas.curve(self.ax, layers, norms, "norms", color, 2.0)]
        shapes += [
            self.canvas.marker(self.ax, i, g, f"layer{i}", color, "circle", 4.5)
            for i, g in zip(layers[:-1], norms[:-1], strict=True)
        ]
        shapes.append(self.canvas.marker(self.ax, layers[-1], norms[-1], "output_layer", color, "square", 5))
        self.plot.value = self.canvas.render(shapes)


def deep_sigmoid_explorer(
    activation: str = "sigmoid", depth: int = 8, gain: float = 1.0, input_scale: float = 1.0
) -> DeepSigmoidExplorer:
    """Sliders for depth, weight scale and input scale, and a menu for the activation, of a deep network.

    The plot shows the RMS gradient reaching each layer's weights after one backward pass
    (log scale). Weights are gain · N(0, 1)/√n_in; each sigmoid multiplies the gradient by
    σ' ≤ 0.25 on the way back, so with sigmoids it shrinks layer by layer towards the input.
    Large weights or unnormalised inputs push the sigmoids into saturation, where σ' ≈ 0.
    """
    return DeepSigmoidExplorer(activation, depth, gain, input_scale)
