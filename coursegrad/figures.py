"""The figure machinery the lectures' plots and explorers share: colours, deterministic SVG, and `SvgFigure`.

`setup_notebook()` makes notebook figures display inline and re-run byte for byte; `figure_to_svg(fig)`
renders a figure to a deterministic SVG string; `SvgFigure` draws a figure once and its moving parts as
SVG on top (what an explorer redraws when a slider moves); the tick helpers write log axes by hand.
`coursegrad.plots` (the lectures' plots and experiments) and the explorers build on these.

matplotlib is imported here, never on `import coursegrad`.
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from coursegrad.describe import alt_metadata, describe_figure, image_html, with_text_alternative
from coursegrad.formatting import superscript

__all__ = [
    "COLORS",
    "DPI",
    "SVG_SALT",
    "setup_notebook",
    "figure_to_svg",
    "inline_svg",
    "responsive_svg",
    "power_of_ten",
    "plain_log_ticks",
    "decades",
    "SvgFigure",
    "log_axis_without_ticks",
]

# The Okabe–Ito hues, darkened where needed so that every colour has contrast >= 4.5:1 on white (WCAG AA for
# text, well above the 3:1 a line needs) and the colours of the plot cycle stay apart (CIELAB distance > 10)
# when simulated for protanopia, deuteranopia and tritanopia (tests/test_describe.py). Okabe–Ito's own orange,
# sky blue and pink are 2.2–3.1:1 on white. Curves also differ by line style or marker, so no distinction
# rests on colour alone.
COLORS = {
    "blue": "#0072B2",
    "orange": "#A15A00",
    "green": "#00805E",
    "vermillion": "#C04A00",
    "purple": "#9E3F7F",
    "sky": "#1F72A8",
    "black": "#000000",
    "grey": "#767676",
}
DPI = 100
SVG_SALT = "coursegrad"


# ---------------------------------------------------------------------------
# Deterministic output
# ---------------------------------------------------------------------------


def setup_notebook(figure_format: str = "png") -> None:
    """Make notebook figures display inline and come out the same on every run.

    Registers `figure_format` ("png" or "svg") as the inline display of a Figure,
    fixes the SVG id salt and drops the SVG date, so nbval (which compares SVG
    bytes and the text `<Figure size 640x360 with 1 Axes>`, not PNG pixels) sees
    identical output when the notebook is re-run.
    """
    if figure_format not in ("png", "svg"):
        raise ValueError(f"setup_notebook: figure_format must be 'png' or 'svg', got {figure_format!r}.")
    mpl.rcParams["svg.hashsalt"] = SVG_SALT
    mpl.rcParams["svg.fonttype"] = "path"
    mpl.rcParams["figure.dpi"] = DPI
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # no IPython: nothing to register
        return
    if get_ipython() is None:  # a plain Python script: figures are saved, not displayed
        return
    kwargs = {"metadata": {"Date": None}} if figure_format == "svg" else {}
    set_matplotlib_formats(figure_format, **kwargs)
    mime = "image/svg+xml" if figure_format == "svg" else "image/png"
    _describe_inline_figures(get_ipython().display_formatter, mime)


def _describe_inline_figures(display_formatter, mime: str) -> None:
    """Show every figure with its description (`coursegrad.describe`): the image (`mime`) with the description
    as its alt metadata, and the same image as a text/html `<img>` with that alt text, which JupyterLab shows
    (it gives image outputs no alt text). One mime bundle, so the figure is rendered once for both."""
    printer = display_formatter.formatters[mime].pop(Figure)  # matplotlib_inline's; a per-type printer would win

    def bundle(fig):
        data = printer(fig)
        if data is None:  # nothing drawn: matplotlib shows nothing either
            return None
        alt, raw = describe_figure(fig), data
        if isinstance(data, str):  # SVG text, or a PNG already base64-encoded (matplotlib_inline's printer)
            raw = base64.b64decode(data) if mime == "image/png" else data.encode("utf-8")
        return {mime: data, "text/html": image_html(raw, mime, alt)}, {mime: alt_metadata(alt)}

    display_formatter.mimebundle_formatter.for_type(Figure, bundle)


def figure_to_svg(fig: Figure) -> str:
    """The figure as an SVG string; the same figure always gives the same bytes (fixed ids, no date)."""
    buf = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


# ---------------------------------------------------------------------------
# SVG figures for slider explorers: the background drawn once, the moving parts as SVG on top
# ---------------------------------------------------------------------------


def inline_svg(svg: str) -> str:
    """An SVG document as an element for an HTML page (drops the XML declaration and doctype)."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("inline_svg: the string holds no <svg> element.")
    return svg[start:]


def responsive_svg(svg: str) -> str:
    """An inline SVG element that shrinks (keeping its proportions) when the notebook is narrower than the picture."""
    svg = inline_svg(svg)
    return svg.replace("<svg", '<svg style="width:100%;height:auto;display:block"', 1)


def power_of_ten(value: float, _pos=None) -> str:
    """Tick label 10⁻³ in plain text (matplotlib's math-text labels take far longer to lay out)."""
    if value <= 0:
        return ""
    e = math.log10(value)
    return "10" + superscript(round(e)) if abs(e - round(e)) < 1e-9 else ""


def plain_log_ticks(ax) -> None:
    """Log axes ticked at powers of ten, labelled 10ⁿ in plain text."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_locator(LogLocator(base=10, numticks=8))
            axis.set_major_formatter(FuncFormatter(power_of_ten))
            axis.set_minor_locator(NullLocator())


def decades(values: np.ndarray, step: int = 2, pad: float = 0.3) -> tuple[float, float]:
    """Log-axis limits around the positive values, snapped to `step` decades (so the axis does not jitter)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1e-2, 1e2
    lo = step * math.floor((math.log10(v.min()) - pad) / step)
    hi = step * math.ceil((math.log10(v.max()) + pad) / step)
    return 10.0**lo, 10.0**hi


class SvgFigure:
    """A matplotlib figure drawn once to SVG, with the moving parts written on top as SVG shapes.

    matplotlib takes 50–300 ms to draw a figure, too slow for a slider. The axes, labels
    and fixed curves do not change when a slider moves, so they are rendered once; what
    moves is placed with the axes' own transforms and added as <circle>, <rect>, <path>,
    <polyline> and <text> elements (class "coursegrad-point" / "coursegrad-curve", with
    data-name=..., so a browser test can find them). A log y-axis whose range follows the
    data is drawn without ticks in the background and gets its ticks here (`log_yticks`).
    """

    def __init__(self, fig):
        self.fig = fig
        self._background: str | None = None

    def xy(self, ax, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Data coordinates → SVG coordinates (pt, y downwards) of the figure's SVG."""
        pts = ax.transData.transform(np.column_stack([np.ravel(x), np.ravel(y)]).astype(np.float64))
        k = 72.0 / self.fig.dpi
        return pts[:, 0] * k, self.fig.get_figheight() * 72.0 - pts[:, 1] * k

    def box(self, ax) -> tuple[float, float, float, float]:
        """The axes' rectangle in SVG coordinates: left, top, right, bottom."""
        (x0, y0), (x1, y1) = ax.bbox.get_points() * (72.0 / self.fig.dpi)
        height = self.fig.get_figheight() * 72.0
        return x0, height - y1, x1, height - y0

    def _clip(self, ax) -> tuple[str, str]:
        left, top, right, bottom = self.box(ax)
        cid = f"coursegrad-clip-{left:.0f}-{top:.0f}-{right:.0f}-{bottom:.0f}"
        rect = f'<rect x="{left:.2f}" y="{top:.2f}" width="{right - left:.2f}" height="{bottom - top:.2f}"/>'
        return cid, f'<clipPath id="{cid}">{rect}</clipPath>'

    def marker(self, ax, x: float, y: float, name: str, color: str, shape: str = "circle", size: float = 4.5) -> str:
        """One point at (x, y); nothing if it lies outside the axes or is not finite."""
        if not (np.isfinite(x) and np.isfinite(y)) or (ax.get_yscale() == "log" and y <= 0):
            return ""
        x0, x1 = sorted(ax.get_xlim())
        y0, y1 = sorted(ax.get_ylim())
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return ""
        (px,), (py,) = self.xy(ax, [x], [y])
        common = f'class="coursegrad-point" data-name="{name}" fill="{color}" stroke="#ffffff" stroke-width="1.2"'
        if shape == "square":
            return f'<rect {common} x="{px - size:.2f}" y="{py - size:.2f}" width="{2 * size:.2f}" height="{2 * size:.2f}"/>'
        if shape == "diamond":
            r = size * 1.3
            return (
                f'<path {common} d="M{px:.2f} {py - r:.2f}L{px + r:.2f} {py:.2f}L{px:.2f} {py + r:.2f}L{px - r:.2f} {py:.2f}Z"/>'
            )
        return f'<circle {common} cx="{px:.2f}" cy="{py:.2f}" r="{size:.2f}"/>'

    def curve(self, ax, x, y, name: str, color: str, width: float = 2.0, dash: str | None = None) -> str:
        """A polyline through the finite points (positive ones on a log axis), clipped to the axes."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        keep = np.isfinite(x) & np.isfinite(y) & ((y > 0) if ax.get_yscale() == "log" else True)
        if keep.sum() < 1:
            return ""
        px, py = self.xy(ax, x[keep], y[keep])
        points = " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(px, py, strict=True))
        cid, clip = self._clip(ax)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'{clip}<polyline class="coursegrad-curve" data-name="{name}" clip-path="url(#{cid})" points="{points}" '
            f'fill="none" stroke="{color}" stroke-width="{width}"{dashes} stroke-linejoin="round"/>'
        )

    def vline(self, ax, x: float, name: str, color: str = "#000000") -> str:
        """A vertical line across the axes at x."""
        px, py = self.xy(ax, [x, x], list(ax.get_ylim()))
        return (
            f'<line class="coursegrad-curve" data-name="{name}" x1="{px[0]:.2f}" x2="{px[1]:.2f}" '
            f'y1="{py[0]:.2f}" y2="{py[1]:.2f}" stroke="{color}" stroke-width="0.8"/>'
        )

    def log_yticks(self, ax, most: int = 8) -> str:
        """Ticks, grid lines and 10ⁿ labels for the current limits of a log y-axis drawn without ticks."""
        lo, hi = sorted(math.log10(v) for v in ax.get_ylim())
        powers = list(range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1))
        step = max(1, math.ceil(len(powers) / most))
        left, _, right, _ = self.box(ax)
        parts = []
        for e in powers[::step]:
            _, (py,) = self.xy(ax, [ax.get_xlim()[0]], [10.0**e])
            label = "10" + superscript(e)
            parts.append(
                f'<line x1="{left:.2f}" x2="{right:.2f}" y1="{py:.2f}" y2="{py:.2f}" stroke="#b0b0b0" stroke-width="0.4"/>'
                f'<line x1="{left - 3.5:.2f}" x2="{left:.2f}" y1="{py:.2f}" y2="{py:.2f}" stroke="#000000" stroke-width="0.8"/>'
                f'<text x="{left - 5.5:.2f}" y="{py + 3.6:.2f}" text-anchor="end" font-size="10" '
                f'font-family="DejaVu Sans, Bitstream Vera Sans, sans-serif">{label}</text>'
            )
        return '<g class="coursegrad-yticks">' + "".join(parts) + "</g>"

    def render(self, shapes: list[str]) -> str:
        """The background (drawn on the first call) with `shapes` on top, as one SVG element."""
        if self._background is None:
            svg = responsive_svg(figure_to_svg(self.fig))
            svg = with_text_alternative(svg, "Figure", describe_figure(self.fig))  # role="img", <title>, <desc>
            # matplotlib's stylesheet says `*{...}`, which inside an HTML page would restyle the whole page
            self._background = svg.replace("*{stroke-linejoin", ".coursegrad-plot svg *{stroke-linejoin", 1)
        end = self._background.rindex("</svg>")
        return self._background[:end] + '<g class="coursegrad-overlay">' + "".join(shapes) + "</g>\n" + self._background[end:]


def log_axis_without_ticks(ax) -> None:
    """A log y-axis whose ticks `SvgFigure.log_yticks` draws, so its range can change without a redraw."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    ax.yaxis.set_label_coords(-40 / width_pt, 0.5)  # leave room for the labels log_yticks writes
