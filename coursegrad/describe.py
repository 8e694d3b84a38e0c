r"""Text alternatives: a graph drawing or a figure said in words, for a screen reader and the HTML export.

A drawing is described from what was drawn (`DrawnNode`s and `DrawnWire`s), in the lecture's words:

    >>> from coursegrad import Value, draw
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> print(describe_drawing(draw(f)).replace(". ", ".\n"))
    Computational graph, inputs on the left, output on the right.
    Inputs: x = -2, y = 5, z = -4.
    The + gate takes x and y and gives 3.
    The × gate takes the + gate and z and gives -12: the output.
    No gradients yet (call .backward()).
    >>> f.backward()
    >>> print(describe_drawing(draw(f)).split(". ")[-1])
    Gradients ∂output/∂value, written below each wire: x: -4; y: -4; the + gate: -4; z: 3; the × gate: 1.

`with_text_alternative(svg, title, description)` makes an SVG say it: `role="img"`, a `<title>` (its name)
and a `<desc>` (its description), which the HTML export keeps; `alt_metadata` is the same text as an
image output's metadata (nbconvert writes it as the `<img>`'s alt text); `image_html` is the image as an
`<img>` with that alt text, the text/html output JupyterLab shows instead of the bare image.
"""

from __future__ import annotations

import base64
from collections import Counter
from html import escape  # (not xml.sax.saxutils: it imports urllib.request, http.client and ssl)

__all__ = [
    "describe_drawing",
    "describe_figure",
    "node_names",
    "with_text_alternative",
    "alt_metadata",
    "image_html",
    "drawing_title",
]


def node_names(nodes) -> list[str]:
    """What the description calls each drawn node: its label, "the constant 2", "the × gate" (numbered if repeated)."""
    symbols = Counter(n.text for n in nodes if n.kind == "gate" and not n.label)
    seen: Counter = Counter()
    names = []
    for n in nodes:
        if n.label and n.kind != "constant":
            names.append(n.label)
        elif n.kind == "constant":
            names.append(f"the constant {n.text}")
        elif n.kind == "gate":
            seen[n.text] += 1
            names.append(f"the {n.text} gate" + (f" number {seen[n.text]}" if symbols[n.text] > 1 else ""))
        else:
            names.append(n.text or "an input")
    return names


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_drawing(drawing, title: str | None = None) -> str:
    """The drawing in words: inputs with values, each gate's inputs and output value, the gradients on the wires
    (or that none are known yet), the highlighted node (the stepper's current step) and any compact-form message."""
    nodes, wires = drawing.nodes, drawing.wires
    names = node_names(nodes)
    inputs_of: dict[int, list[tuple[int, int]]] = {}
    for w in wires:
        inputs_of.setdefault(w.target, []).append((w.slot, w.source))
    has_consumer = {w.source for w in wires}
    sentences = [f"{title}." if title else "", "Computational graph, inputs on the left, output on the right."]
    if drawing.message:
        sentences.append(drawing.message.rstrip(".") + ".")
    leaves = [f"{names[n.index]} = {n.value_text}" for n in nodes if n.kind == "input"]
    if leaves:
        sentences.append("Inputs: " + ", ".join(leaves) + ".")
    for n in nodes:
        if n.kind != "gate":
            continue
        args = [names[s] for _, s in sorted(inputs_of.get(n.index, []))] or ["inputs left out of the drawing"]
        end = ": the output" if n.index not in has_consumer else ""
        name = names[n.index]
        sentences.append(f"{name[0].upper()}{name[1:]} takes {_and(args)} and gives {n.value_text}{end}.")
    sentences += _gradient_sentences(nodes, names)
    return " ".join(s for s in sentences if s)


def _gradient_sentences(nodes, names: list[str]) -> list[str]:
    known = [n for n in nodes if n.grad_text and n.kind != "constant"]
    if not known:
        return ["No gradients yet (call .backward())."]
    out = []
    current = [n for n in nodes if n.highlighted]
    if current:
        out.append(f"Current step: {names[current[0].index]} (highlighted) sends its gradient back to its inputs.")
    gradients = "; ".join(f"{names[n.index]}: {n.grad_text}" for n in known)
    out.append(f"Gradients ∂output/∂value, written below each wire: {gradients}.")
    blank = [names[n.index] for n in nodes if not n.grad_text and n.kind != "constant"]
    if blank:
        out.append("Not known yet: " + ", ".join(blank) + ".")
    if any(n.fork for n in known):
        out.append("Where a value feeds several gates (a fork), its gradient is the sum of what each branch sends back.")
    return out


def drawing_title(title: str | None) -> str:
    """The short name of a drawing: its title, or "Computational graph"."""
    return f"Computational graph: {title}" if title else "Computational graph"


def with_text_alternative(svg: str, title: str, description: str) -> str:
    """`svg` with role="img", a <title> (its accessible name) and a <desc> (its description) as first children,
    the description also as `aria-description` (Chromium does not read an inline SVG's <desc>)."""
    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        raise ValueError("with_text_alternative: the string holds no <svg> element.")
    head = svg[:end]
    if 'role="img"' in head:  # already says what it shows
        return svg
    # <desc> is the SVG way; Chromium computes an inline SVG's description from aria-description (ARIA 1.3) only
    described = f' role="img" aria-description="{_attribute(description)}"'
    texts = f"<title>{escape(title, quote=False)}</title>\n<desc>{escape(description, quote=False)}</desc>"
    return f"{head}{described}>\n{texts}{svg[end + 1 :]}"


def alt_metadata(description: str) -> dict:
    """An image output's metadata carrying its alt text (nbconvert's templates write it as the <img alt>)."""
    return {"alt": description}


def image_html(data: bytes, mime: str, alt: str) -> str:
    """An HTML `<img>` of the image bytes (a data URI) with `alt` as its text alternative.

    JupyterLab draws an image/png or image/svg+xml output as an `<img>` without alt text (it ignores the
    output's alt metadata), but prefers a text/html output of the same display: the kit's figures and
    drawings carry this one too, so a screen reader says what they show (`<img>` keeps an SVG's scripts
    off and is shown in an untrusted notebook as well)."""
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img class="coursegrad-image" src="data:{mime};base64,{encoded}" alt="{_attribute(alt)}">'


def describe_figure(fig) -> str:
    """A matplotlib figure in one sentence per panel: its title, what is plotted against what (with the
    axes' ranges and log scales), the names of its curves (their legend labels) and its annotations."""
    panels = [ax for ax in fig.get_axes() if ax.get_visible() and ax.axison]
    if not panels:
        return "A figure with no axes."
    sentences = [f"A figure of {len(panels)} panels." if len(panels) > 1 else ""]
    for ax in panels:
        sentences.append(_describe_axes(ax))
    return " ".join(s for s in sentences if s)


def _axis_words(ax, which: str) -> str:
    label = (ax.get_xlabel() if which == "x" else ax.get_ylabel()) or f"{which}"
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    logarithmic = (ax.get_xscale() if which == "x" else ax.get_yscale()) == "log"
    scale = " (log scale)" if logarithmic and "log" not in label.replace("logistic", "") else ""
    return f"{label}{scale} from {lo:.3g} to {hi:.3g}"


def _describe_axes(ax) -> str:
    title = ax.get_title() or ax.get_title("left")
    _, labels = ax.get_legend_handles_labels()
    labels = [lab for lab in labels if not lab.startswith("_")]
    what = f"{_and(labels)}" if labels else f"{len(ax.lines)} curves" if len(ax.lines) != 1 else "a curve"
    if not ax.lines and ax.collections:
        what = labels and _and(labels) or "points and regions"
    head = f"{title}: " if title else "A plot: "
    notes = list(dict.fromkeys(" ".join(t.get_text().split()) for t in ax.texts if t.get_visible() and t.get_text().strip()))[:3]
    marked = f" Marked: {'; '.join(notes)}." if notes else ""  # the annotations: the key values
    return f"{head}{what}, {_axis_words(ax, 'y')} against {_axis_words(ax, 'x')}.{marked}"


def _attribute(text: str) -> str:
    """`text` for a double-quoted XML/HTML attribute: &, <, > and " escaped (apostrophes kept as written)."""
    return escape(text, quote=False).replace('"', "&quot;")
