"""Tools for the course's own notebooks: execute them in place, and check they are stored executed.

    python -m tools.notebooks refresh [NOTEBOOK ...]   re-run lectures in place (authors)
    python -m tools.notebooks check   [NOTEBOOK ...]   fail if a notebook is stored unexecuted

nbval validates a notebook by re-running it and comparing with the stored outputs,
but it silently skips cells that were never executed: a stripped notebook would
pass without being checked. `check` catches that.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from coursegrad.kernels import ThisPythonKernel

ROOT = Path(__file__).resolve().parent.parent
LECTURES = ROOT / "lectures"


def lecture_notebooks(folder: Path = LECTURES) -> list[Path]:
    """The lecture notebooks in reading order (they are numbered: 01_..., 02_...)."""
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("_"))


def prose_words(path: Path) -> int:
    """The number of words in a notebook's markdown cells, display math ($$ … $$) left out: the prose a student reads."""
    import re

    import nbformat

    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return len(re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S).split())


def execute(path: Path, timeout: int = 120, store: bool = True):
    """Run a notebook top to bottom in a fresh kernel, in its own folder; write it back if `store`.

    A lecture's closing `predictions.summary()` is stored with its outputs collapsed: run unanswered,
    it lists every answer.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        km=ThisPythonKernel(kernel_name="python3"),
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    for cell in nb.cells:  # one stream output per cell, however the kernel happened to flush it
        if cell.cell_type == "code":
            if cell.source.strip() == "predictions.summary()":
                cell.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
            cell.outputs = _merge_streams(cell.outputs)
            _mirror_collapsed(cell)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    if store:
        nbformat.write(nb, path)
    return nb


def _mirror_collapsed(cell) -> None:
    """Store a collapsed output as JupyterLab itself saves it: `jupyter.outputs_hidden` and nbformat's
    older `collapsed` agree (JupyterLab 4 syncs the two; the classic Notebook reads only `collapsed`)."""
    hidden = cell.metadata.get("jupyter", {}).get("outputs_hidden")
    if hidden is not None:
        cell.metadata["collapsed"] = hidden


def _merge_streams(outputs: list) -> list:
    merged: list = []
    for out in outputs:
        if merged and out.output_type == "stream" and merged[-1].output_type == "stream" and merged[-1].name == out.name:
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def problems(path: Path) -> list[str]:
    """What is wrong with how a notebook is stored: unexecuted code cells, error outputs."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    found = []
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    if unrun:
        found.append(f"{path.name}: {len(unrun)} of {len(code)} code cells were never executed (nbval would skip them)")
    counts = [c.execution_count for c in code if c.get("execution_count") is not None]
    if counts and counts != list(range(1, len(counts) + 1)):
        found.append(f"{path.name}: cells were not executed top to bottom in one fresh run (counts {counts[:8]}...)")
    errors = [i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.get("outputs", []))]
    if errors:
        found.append(f"{path.name}: code cells {errors} store an error output")
    return found


def predict_cells(nb) -> list[int]:
    """Indices of a notebook's prediction cells: code cells tagged `predict`."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "predict" in c.get("metadata", {}).get("tags", [])]


def reveal_cell(nb, predict: int) -> int | None:
    """The cell that reveals prediction cell `predict`'s answer: the first code cell after it with outputs,
    before the next prediction cell (None if there is none). It is stored with its outputs collapsed."""
    later = [i for i in predict_cells(nb) if i > predict]
    stop = later[0] if later else len(nb.cells)
    return next((i for i in range(predict + 1, stop) if nb.cells[i].cell_type == "code" and nb.cells[i].get("outputs")), None)


# The output kinds JupyterLab 4 looks for, in this order, to label a collapsed output.
PLACEHOLDER_KINDS = ("text/html", "image/svg+xml", "application/pdf", "text/markdown", "text/plain")


def collapsed_placeholder_text(cell) -> str:
    """What JupyterLab 4 shows in place of a cell's collapsed outputs: the first non-empty line of its
    first output (`CodeCell.getOutputPlaceholderText` in @jupyterlab/cells), "" if there is none."""
    if not cell.get("outputs"):
        return ""
    first = cell.outputs[0]
    if first.output_type == "stream":
        text = first.get("text", "")
    else:
        data = first.get("data", {})
        text = next((data[k] for k in PLACEHOLDER_KINDS if isinstance(data.get(k), str)), "")
    return next((line for line in text.split("\n") if line), "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["refresh", "check"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in lectures/")
    args = parser.parse_args(argv)
    paths = args.notebooks or lecture_notebooks()
    if args.command == "refresh":
        for path in paths:
            start = time.perf_counter()
            execute(path)
            print(f"executed {path.name} in {time.perf_counter() - start:.1f} s")
        return 0
    found = [p for path in paths for p in problems(path)]
    print("\n".join(found) or f"{len(paths)} notebooks are stored executed, without errors")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
