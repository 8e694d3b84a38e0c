"""The slider explorers of lecture 7 (reverse mode): checkpointing, and forward vs reverse mode.

- `checkpoint_explorer()`  the segment length s of a checkpointed backward pass through a long
  chain against the memory it holds at its peak and the steps it evaluates.
- `mode_explorer()`        the number of inputs n and outputs m of a function against the passes
  forward mode (n) and reverse mode (m) need for the whole Jacobian.

Both follow `coursegrad.widgets`: controls in `.sliders`, results in `.state`, numbers in a
`coursegrad-readout` box as `<span class="coursegrad-number" data-name=...>`, pictures as SVG.
Everything is computed once when the explorer is made, so a slider move only looks it up.
CSS classes: coursegrad-checkpoint-explorer (slider coursegrad-slider-segment) and
coursegrad-mode-explorer (sliders coursegrad-slider-inputs, coursegrad-slider-outputs).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np

from coursegrad import memory, plots
from coursegrad.explorer import Explorer, make_slider, number, plot_box, readout_box, readout_lines
from coursegrad.plots import SvgFigure

__all__ = ["CheckpointExplorer", "ModeExplorer", "checkpoint_explorer", "mode_explorer"]


class CheckpointExplorer(Explorer):
    """A slider for the segment length s of a checkpointed backward pass through `memory.tanh_chain`.

    `.state`: segment, checkpoints, peak_bytes, evaluations (of the checkpointed run), plain_bytes and
    plain_evaluations (the plain backward), same_gradients (every gradient equal to the plain one).
    """

    def __init__(self, segment: int = 8, n_steps: int = 64, width: int = 1000):
        self.n_steps, self.steps, self.width = n_steps, n_steps, width  # steps, width: read by the browser tests' probe
        step, x0, params = memory.tanh_chain(n_steps, width)
        plain = memory.chain_backward(step, x0, params)
        self.plain = plain
        self.runs = {s: memory.chain_backward(step, x0, params, s) for s in range(1, n_steps + 1)}
        self.same = {
            s: bool(np.array_equal(r.x0_grad, plain.x0_grad) and r.param_grads == plain.param_grads) for s, r in self.runs.items()
        }
        self.sliders = {"segment": make_slider("segment", "segment length s (steps)", segment, 1, n_steps, 1, integer=True)}
        self.state: dict[str, Any] = {"error": None}
        self.readout = readout_box(3)
        self._build_figure()
        self.plot = plot_box(self.fig)
        self._finish("checkpoint-explorer", [self.sliders["segment"], self.readout, self.plot])

    def _build_figure(self) -> None:
        from matplotlib.figure import Figure

        s = np.arange(1, self.n_steps + 1)
        self.fig = Figure(figsize=(9.0, 3.2), dpi=plots.DPI)
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.3)
        self.ax_mem, self.ax_eval = self.fig.subplots(1, 2)
        kb = [self.runs[k].peak_bytes / 1000 for k in s]
        self.ax_mem.plot(s, kb, color=plots.COLORS["blue"], linewidth=2)
        self.ax_mem.axhline(self.plain.peak_bytes / 1000, color=plots.COLORS["black"], linestyle=":", label="plain backward")
        self.ax_mem.set_ylim(0, self.plain.peak_bytes / 1000 * 1.1)
        self.ax_mem.set(xlabel="segment length s", ylabel="kB held at the peak", title="Memory")
        self.ax_mem.legend(loc="lower right", fontsize=9)
        self.ax_eval.plot(s, [self.runs[k].evaluations for k in s], color=plots.COLORS["vermillion"], linewidth=2)
        self.ax_eval.set_ylim(0, 2.1 * self.n_steps)
        self.ax_eval.set(xlabel="segment length s", ylabel="step evaluations", title="Computation")
        for ax in (self.ax_mem, self.ax_eval):
            ax.title.set_fontsize(10)
            ax.grid(True, linewidth=0.4, alpha=0.5)
        self.canvas = SvgFigure(self.fig)

    def _recompute(self, changed: str | None) -> None:
        s = int(self.sliders["segment"].value)
        run, plain = self.runs[s], self.plain
        self.state.update(
            segment=s, checkpoints=run.checkpoints, peak_bytes=run.peak_bytes, evaluations=run.evaluations,
            plain_bytes=plain.peak_bytes, plain_evaluations=plain.evaluations, same_gradients=self.same[s],
        )  # fmt: skip
        self.readout.value = readout_lines(
            f"a checkpoint every {number('segment', s)} steps of {self.n_steps}: {number('checkpoints', run.checkpoints)} "
            f"stored inputs, peak {number('peak_kb', run.peak_bytes / 1000)} kB "
            f"(plain backward: {number('plain_kb', plain.peak_bytes / 1000)} kB)",
            f"{number('evaluations', run.evaluations)} step evaluations "
            f"(plain: {number('plain_evaluations', plain.evaluations)}); "
            f"gradients equal to the plain backward's: {self.same[s]}",
        )
        shapes = [
            self.canvas.vline(self.ax_mem, s, "segment_memory"),
            self.canvas.marker(self.ax_mem, s, run.peak_bytes / 1000, "memory", plots.COLORS["blue"], "circle", 5.5),
            self.canvas.vline(self.ax_eval, s, "segment_evaluations"),
            self.canvas.marker(self.ax_eval, s, run.evaluations, "evaluations", plots.COLORS["vermillion"], "square", 5),
        ]
        self.plot.value = self.canvas.render(shapes)


def checkpoint_explorer(segment: int = 8, n_steps: int = 64, width: int = 1000) -> CheckpointExplorer:
    """A slider for the segment length s of checkpointing on a chain of `n_steps` steps of `width` numbers.

    Memory ≈ (stored checkpoints, L/s) + (one segment's graph, s steps): least near s = √L.
    Step evaluations = L + L − s_last: every segment but the last is computed twice.
    """
    return CheckpointExplorer(segment, n_steps, width)


def mode_passes(n_inputs: int, n_outputs: int) -> dict[str, int]:
    """Passes for the whole m × n Jacobian: forward mode n (one column each), reverse mode m (one row each)."""
    return {"forward": n_inputs, "reverse": n_outputs}


class ModeExplorer(Explorer):
    """Sliders for the inputs n and outputs m of f: Rⁿ → Rᵐ; the passes each mode needs for the whole Jacobian.

    `.state`: inputs, outputs, forward (= n passes), reverse (= m passes), winner ("forward",
    "reverse" or "tie").
    """

    def __init__(self, inputs: int = 100, outputs: int = 1):
        self.sliders = {
            "inputs": make_slider("inputs", "inputs n", inputs, 1, 1000, 1, integer=True),
            "outputs": make_slider("outputs", "outputs m", outputs, 1, 1000, 1, integer=True),
        }
        self.state: dict[str, Any] = {"error": None}
        self.readout = readout_box(3)
        self.bars = widgets.HTML(layout=widgets.Layout(width="620px", max_width="100%"))
        self.bars.add_class("coursegrad-plot")
        s = self.sliders
        self._finish("mode-explorer", [widgets.HBox([s["inputs"], s["outputs"]]), self.readout, self.bars])

    def _recompute(self, changed: str | None) -> None:
        n, m = int(self.sliders["inputs"].value), int(self.sliders["outputs"].value)
        passes = mode_passes(n, m)
        winner = "tie" if n == m else ("forward" if n < m else "reverse")
        self.state.update(inputs=n, outputs=m, winner=winner, **passes)
        self.readout.value = readout_lines(
            f"f: R<sup>{n}</sup> → R<sup>{m}</sup>, Jacobian {m} × {n}: forward mode {number('forward', passes['forward'])} "
            f"passes (one column each), reverse mode {number('reverse', passes['reverse'])} passes (one row each)",
            (
                "both modes need the same number of passes (<b class='coursegrad-winner'>tie</b>)"
                if winner == "tie"
                else f"fewer passes: <b class='coursegrad-winner'>{winner}</b> mode "
                f"({number('ratio', max(n, m) / min(n, m))} × fewer)"
            ),
        )
        self.bars.value = _bars({"forward": passes["forward"], "reverse": passes["reverse"]}, 1000)


def _bars(counts: dict[str, int], most: int) -> str:
    """Two horizontal bars as SVG, each as long as its count (of at most `most`)."""
    colors = {"forward": plots.COLORS["blue"], "reverse": plots.COLORS["vermillion"]}
    rows = []
    for i, (name, count) in enumerate(counts.items()):
        y, width = 8 + 30 * i, 440 * count / most
        rows.append(
            f'<text x="0" y="{y + 15}" font-size="13">{name}</text>'
            f'<rect class="coursegrad-point" data-name="{name}" x="70" y="{y}" width="{width:.1f}" height="20" '
            f'fill="{colors[name]}"/>'
            f'<text x="{76 + width:.1f}" y="{y + 15}" font-size="13">{count} passes</text>'
        )
    return f'<svg width="620" height="70" font-family="DejaVu Sans, sans-serif">{"".join(rows)}</svg>'


def mode_explorer(inputs: int = 100, outputs: int = 1) -> ModeExplorer:
    """Sliders for the number of inputs n and outputs m: forward mode needs n passes, reverse mode m."""
    return ModeExplorer(inputs, outputs)
