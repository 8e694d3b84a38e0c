"""Draw one of *our* SVG pictures as a PNG with matplotlib (no system program such as cairo or a browser).

It understands only what `coursegrad.drawing` writes: rect, circle, line, polygon, path with M/L/C
commands and text. One SVG pixel is 1/100 inch at 100 dpi.
"""

from __future__ import annotations

import io

__all__ = ["svg_to_png"]

PT = 0.72  # one SVG pixel in points, the unit of matplotlib's line widths and font sizes


def svg_to_png(svg: str, scale: float = 1.0) -> bytes:
    """PNG bytes of `svg` at `scale` × the size it is shown at."""
    import xml.etree.ElementTree as ET  # here, like matplotlib: `import coursegrad` (every grading kernel) needs neither

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    root = ET.fromstring(svg)
    shown_w = float(root.get("width"))
    _, _, width, height = (float(v) for v in root.get("viewBox").split())  # the drawing's own coordinates
    scale *= shown_w / width
    with matplotlib.rc_context({"lines.scale_dashes": False, "svg.fonttype": "none"}):
        fig = Figure(figsize=(width / 100, height / 100), dpi=100 * scale)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        for z, element in enumerate(root):
            _draw(ax, element.tag.rsplit("}", 1)[-1], element, z)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100 * scale)
    return buffer.getvalue()


def _style(get, z: int) -> dict:
    """matplotlib's edge, face, line width, dashes and z-order for an SVG element's attributes."""
    stroke = get("stroke", "none")
    style = {
        "edgecolor": stroke if stroke != "none" else "none",
        "facecolor": get("fill", "none"),
        "linewidth": float(get("stroke-width", "1")) * PT if stroke != "none" else 0.0,
        "zorder": z,
    }
    if get("stroke-dasharray"):
        on, off = (float(v) * PT for v in get("stroke-dasharray").split())
        style["linestyle"] = (0, (on, off))
    return style


def _draw(ax, tag: str, element, z: int) -> None:
    """Add one SVG element to the axes."""
    from matplotlib import patches

    get = element.get
    style = _style(get, z)
    if tag == "rect":
        x, y, w, h, rx = (float(get(k, "0")) for k in ("x", "y", "width", "height", "rx"))
        ax.add_patch(patches.FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={rx}", **style))
    elif tag == "circle":
        ax.add_patch(patches.Circle((float(get("cx")), float(get("cy"))), float(get("r")), **style))
    elif tag == "polygon":
        points = [tuple(map(float, p.split(","))) for p in get("points").split()]
        ax.add_patch(patches.Polygon(points, closed=True, **style))
    elif tag == "line":
        xs, ys = [float(get("x1")), float(get("x2"))], [float(get("y1")), float(get("y2"))]
        ax.plot(xs, ys, color=get("stroke"), linewidth=style["linewidth"], zorder=z,
                linestyle=style.get("linestyle", "-"), solid_capstyle="butt")  # fmt: skip
    elif tag == "path":
        style["facecolor"] = "none"
        ax.add_patch(patches.PathPatch(_path(get("d")), **style))
    elif tag == "text":
        _text(ax, element, z)


def _path(d: str):
    """A matplotlib Path for SVG path data made of M, L and C commands."""
    from matplotlib.path import Path as MPath

    codes_of = {"M": MPath.MOVETO, "L": MPath.LINETO, "C": MPath.CURVE4}
    numbers, codes, command = [], [], "M"
    for token in d.replace(",", " ").replace("M", " M ").replace("L", " L ").replace("C", " C ").split():
        if token in codes_of:
            command = token
            continue
        numbers.append(float(token))
        if len(numbers) % 2 == 0:
            codes.append(codes_of[command])
    return MPath(list(zip(numbers[::2], numbers[1::2], strict=True)), codes)


def _text(ax, element, z: int) -> None:
    from matplotlib import patheffects

    get = element.get
    halo = [patheffects.withStroke(linewidth=3 * PT, foreground="#FFFFFF")] if get("stroke") else []
    ax.text(float(get("x")), float(get("y")), element.text or "", fontsize=float(get("font-size")) * PT,
            family="DejaVu Sans", color=get("fill", "#000000"), va="baseline",
            ha={"start": "left", "middle": "center", "end": "right"}[get("text-anchor", "start")],
            style="italic" if get("font-style") == "italic" else "normal",
            weight="bold" if get("font-weight") == "bold" else "normal", path_effects=halo, zorder=z)  # fmt: skip
