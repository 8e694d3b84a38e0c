"""The course as a static, self-contained web site: `python3 run.py site` (or `python -m coursegrad.site OUT`).

Built with nbconvert from the stored notebooks (nothing is re-run): a contents page, one page per lecture and
student worksheet, links to the previous/next page and back to the contents on each. Pages load nothing from
the network: images are embedded, no JavaScript (so no MathJax: formulas stay as written, e.g. `$\\sigma'$`).

nbconvert's default page fails WCAG 2.1 AA (prompts #b0b0b0 on white, some syntax colours, links told apart by
colour only; every image's alt text "No description has been provided for this image"). The template in
`coursegrad/site_template/` restyles those (AA contrast, underlined links) and uses each figure's stored
description (`coursegrad.describe`). A widget has no kernel on a static page: it is shown with its stored
state (the picture and readout it last had; each slider and its value) and a note that it moves in JupyterLab.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = Path(__file__).resolve().parent / "site_template"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MOVES_NOTE = "An interactive explorer, shown as it was stored; its sliders and buttons move it in JupyterLab."

__all__ = ["course_pages", "build_site", "static_widget_html"]


def course_pages(root: Path = ROOT) -> list[Path]:
    """The notebooks the site shows, in reading order: the lectures, then the student worksheets."""
    lectures = sorted(p for p in (root / "lectures").glob("*.ipynb") if not p.name.startswith("_"))
    return lectures + sorted((root / "worksheets" / "release").glob("*.ipynb"))


def _title(nb, path: Path) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("*", "").replace("`", "")
    return path.stem.replace("_", " ")


def static_widget_html(model_id: str, state: dict) -> str:
    """A widget's stored state as plain HTML: its HTML boxes' contents, each control's label and value."""
    parts: list[str] = []
    _collect(model_id, state, parts, set())
    body = "\n".join(parts) or "<p>(no stored state)</p>"
    return f'<div class="coursegrad-static-widget"><p class="coursegrad-widget-note"><em>{MOVES_NOTE}</em></p>\n{body}</div>'


def _collect(model_id: str, state: dict, parts: list[str], seen: set) -> None:
    model = state.get(model_id)
    if model is None or model_id in seen:
        return
    seen.add(model_id)
    name, s = model.get("model_name", ""), model.get("state", {})
    if name == "HTMLModel":
        parts.append(f"<div>{s.get('value', '')}</div>")
    elif name.endswith(("SliderModel", "PlayModel", "DropdownModel", "CheckboxModel", "ToggleButtonsModel")):
        label = s.get("description") or name.removesuffix("Model")
        value = s.get("value", s.get("index", ""))
        parts.append(f"<p>{html.escape(str(label))}: {html.escape(str(value))}</p>")
    elif name == "ButtonModel":
        parts.append(f"<p>button: {html.escape(str(s.get('description', '')))}</p>")
    for child in s.get("children", []):
        _collect(str(child).removeprefix("IPY_MODEL_"), state, parts, seen)


def _images_drawn_by_the_template(nb) -> None:
    """Drop the `<img>` copy a figure or drawing carries for JupyterLab (`describe.image_html`): the site's
    template draws the image itself (an SVG drawing inline, with its role="img", <title> and <desc>)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            images = {"image/svg+xml", "image/png"} & set(data)
            if images and data.get("text/html", "").startswith('<img class="coursegrad-image"'):
                data.pop("text/html")


def _static_widgets(nb) -> None:
    """Replace each widget view output by its stored state as HTML (a static page runs no widget code)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                model_id = data[WIDGET_VIEW].get("model_id", "")
                data.pop(WIDGET_VIEW)
                data["text/html"] = static_widget_html(model_id, state)
                data.pop("text/plain", None)
    nb.metadata.pop("widgets", None)


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", extra_template_paths=[str(TEMPLATE_DIR)], template_file="coursegrad.html.j2")
    exporter.embed_images = True
    exporter.exclude_input_prompt = False
    return exporter


def build_site(out: Path, root: Path = ROOT) -> list[Path]:
    """Write the site into `out` (index.html and one page per notebook); returns the pages written."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    pages = course_pages(root)
    books = [nbformat.read(p, as_version=4) for p in pages]
    titles = [_title(nb, p) for nb, p in zip(books, pages, strict=True)]
    names = [p.stem + ".html" for p in pages]
    exporter = _exporter()
    written = []
    for k, (nb, path) in enumerate(zip(books, pages, strict=True)):
        _static_widgets(nb)
        _images_drawn_by_the_template(nb)
        nav = {
            "contents": "index.html",
            "prev": (names[k - 1], titles[k - 1]) if k else None,
            "next": (names[k + 1], titles[k + 1]) if k + 1 < len(pages) else None,
        }
        resources = {"metadata": {"name": titles[k], "path": str(path.parent)}, "nav": nav}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        (out / names[k]).write_text(body, encoding="utf-8")
        written.append(out / names[k])
    (out / "index.html").write_text(_contents(pages, titles, names), encoding="utf-8")
    return [out / "index.html", *written]


def _contents(pages: list[Path], titles: list[str], names: list[str]) -> str:
    css = (TEMPLATE_DIR / "coursegrad.html.j2").read_text(encoding="utf-8").split("/*site*/")[1]
    items = "\n".join(
        f'<li><a href="{n}">{html.escape(t)}</a> <span class="coursegrad-file">({p.parent.name}/{p.name})</span></li>'
        for p, t, n in zip(pages, titles, names, strict=True)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>coursegrad: backpropagation, a course</title><style>{css}</style></head>
<body><main class="coursegrad-site"><h1>coursegrad: backpropagation, a course</h1>
<p>The lectures and student worksheets as stored, with their outputs. Every figure has a text description;
explorers are shown as stored (they move when the notebook runs in JupyterLab: <code>python3 run.py lab</code>).</p>
<nav aria-label="Course contents"><ol>
{items}
</ol></nav></main></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the course's static HTML site from the stored notebooks.")
    parser.add_argument("out", nargs="?", default=str(ROOT / "site"), help="folder to write (default: site/)")
    args = parser.parse_args(argv)
    pages = build_site(Path(args.out))
    print(f"wrote {len(pages)} pages to {args.out}; open {Path(args.out) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
