"""The slider explorer of lecture 7 (reverse mode): checkpointing.

- `checkpoint_explorer()`  the segment length s of a checkpointed backward pass through a long
  chain against the memory it holds at its peak and the steps it evaluates.

It follows `coursegrad.widgets`: controls in `.sliders`, results in `.state`, numbers in a
`coursegrad-readout` box as `<span class="coursegrad-number" data-name=...>`, pictures as SVG.
Everything is computed once when the explorer is made, so a slider move only looks it up.
CSS classes: coursegrad-checkpoint-explorer (slider coursegrad-slider-segment).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coursegrad import memory, plots
from coursegrad.explorer import Explorer, make_slider, number, plot_box, readout_box, readout_lines
from coursegrad.figures import SvgFigure

__all__ = ["CheckpointExplorer", "checkpoint_explorer"]


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
