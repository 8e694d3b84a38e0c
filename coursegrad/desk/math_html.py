"""Markdown with TeX math as HTML that needs nothing from the network: `$…$` and `$$…$$` become MathML.

    markdown("It is the chain rule: $\\frac{\\partial L}{\\partial w} = a \\cdot b$.")
        ->  "<p>It is the chain rule: <math display=\"inline\">…<mfrac>…</mfrac>…</math>.</p>"

Markdown is rendered by mistune with HTML escaped (a student's `<script>` shows as text); math by latex2mathml
(pure Python, offline), into MathML, which Chromium (109 and later) lays out itself: no MathJax, no CDN, no
JavaScript in the page. latex2mathml's output is parsed again and kept only when it is MathML alone (elements
and attributes from the lists below, text escaped): a `\\text{<img …>}` or any other element it lets through is
refused, and the formula is shown as its TeX source in `<code>`. So is a formula it cannot read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

NS = "{http://www.w3.org/1998/Math/MathML}"
ELEMENTS = set(
    "math mrow mi mn mo mtext ms mspace mfrac msqrt mroot msub msup msubsup munder mover munderover mtable mtr mtd "
    "mstyle mpadded mphantom menclose merror semantics annotation".split()
)
ATTRIBUTES = set(
    "display mathvariant stretchy fence separator form lspace rspace largeop movablelimits accent accentunder "
    "linethickness minsize maxsize width height depth voffset linebreak columnalign columnlines columnspacing "
    "rowlines rowspacing displaystyle scriptlevel notation symmetric".split()
)
BARE_AMPERSAND = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")


def mathml(tex: str, display: bool = False) -> str:
    """`tex` as one `<math>` element (block when `display`), or its source in `<code>` when it is not safe MathML."""
    from latex2mathml.converter import convert

    try:
        tree = ET.fromstring(BARE_AMPERSAND.sub("&amp;", convert(tex.strip(), display="block" if display else "inline")))
    except Exception:  # latex2mathml raises many kinds of error on TeX it cannot read; any of them: show the source
        return _source(tex, display)
    if not all(_allowed(node) for node in tree.iter()):
        return _source(tex, display)
    return _serialise(tree)


def _allowed(node: ET.Element) -> bool:
    return node.tag.removeprefix(NS) in ELEMENTS and set(node.attrib) <= ATTRIBUTES


def _serialise(node: ET.Element) -> str:
    """The element as HTML5 MathML (no namespace prefixes), its text and attribute values escaped."""
    tag = node.tag.removeprefix(NS)
    attributes = "".join(f' {k}="{escape(v)}"' for k, v in sorted(node.attrib.items()))
    inner = escape(node.text or "", quote=False) + "".join(_serialise(child) for child in node)
    return f"<{tag}{attributes}>{inner}</{tag}>" + escape(node.tail or "", quote=False)


def _source(tex: str, display: bool) -> str:
    dollars = "$$" if display else "$"
    return f'<code class="tex">{escape(dollars + tex + dollars)}</code>'


def markdown(text: str) -> str:
    """`text` (Markdown with `$…$` inline and `$$…$$` display math) as HTML: HTML in it escaped, math as MathML."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["math"])
    render.renderer.register("inline_math", lambda _renderer, tex: mathml(tex))
    render.renderer.register("block_math", lambda _renderer, tex: f"<p>{mathml(tex, display=True)}</p>\n")
    return render(text)
