"""The student version of a worksheet, made from the instructor source the way nbgrader makes it.

For every cell, in nbgrader's order (`nbgrader generate_assignment`):

1. lock it: answer cells cannot be deleted, test and read-only cells can be neither deleted nor edited;
2. replace each `### BEGIN SOLUTION` … `### END SOLUTION` region by the placeholder
   `# YOUR CODE HERE` / `raise NotImplementedError()` (a whole answer cell without markers too;
   written answers become `YOUR ANSWER HERE`);
3. clear outputs and execution counts;
4. delete `### BEGIN HIDDEN TESTS` … `### END HIDDEN TESTS` and `### BEGIN MARK SCHEME` … regions;
5. record a checksum of what the student receives (nbgrader uses it to spot unanswered cells).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C


def student_version(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A new notebook: the student version of the instructor notebook `source` (left unchanged)."""
    problems = C.format_problems(source)
    if problems:
        raise ValueError("the instructor source is not in nbgrader's format:\n  " + "\n  ".join(problems))
    nb = copy.deepcopy(source)
    for cell in nb.cells:
        _lock(cell)
        stub = C.CODE_STUB if cell.cell_type == "code" else C.TEXT_STUB
        cell.source, replaced = C.replace_region(cell.source, C.BEGIN_SOLUTION, C.END_SOLUTION, stub)
        if C.is_solution(cell) and not replaced:
            cell.source = stub
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            for field in ("collapsed", "scrolled"):
                cell.metadata.pop(field, None)
        cell.source, _ = C.replace_region(cell.source, C.BEGIN_HIDDEN, C.END_HIDDEN, None)
        cell.source, _ = C.replace_region(cell.source, C.BEGIN_MARK_SCHEME, C.END_MARK_SCHEME, None)
        if C.is_grade(cell) or C.is_solution(cell) or C.is_locked(cell):
            cell.metadata.nbgrader["checksum"] = C.compute_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    nb.metadata.pop("celltoolbar", None)
    return nb


def _lock(cell: nbformat.NotebookNode) -> None:
    """nbgrader's LockCells: what the student's Jupyter will refuse to delete or edit."""
    if C.is_solution(cell):
        cell.metadata["deletable"] = False
    elif C.is_grade(cell) or C.is_locked(cell):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def to_text(nb: nbformat.NotebookNode) -> str:
    """The notebook as nbformat writes it (1-space indent, sorted keys), with a final newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def release_path(source_path: str | Path) -> Path:
    """Where the student version of `worksheets/source/X.ipynb` lives: `worksheets/release/X.ipynb`."""
    source_path = Path(source_path)
    return source_path.parent.parent / "release" / source_path.name


def generate(source_path: str | Path, out_path: str | Path | None = None) -> Path:
    """Write the student version of the notebook at `source_path`; return where it was written."""
    out = Path(out_path) if out_path else release_path(source_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_text(student_version(read(source_path))), encoding="utf-8")
    return out


def is_current(source_path: str | Path, out_path: str | Path | None = None) -> bool:
    """True if the student version on disk is exactly what `generate` would write now."""
    out = Path(out_path) if out_path else release_path(source_path)
    return out.exists() and out.read_text(encoding="utf-8") == to_text(student_version(read(source_path)))


def solved(student: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version with the instructor's answers typed into the answer cells (markers removed)."""
    answers = {C.grade_id(c): c.source for c in source.cells if C.is_solution(c)}
    nb = copy.deepcopy(student)
    for cell in nb.cells:
        if C.is_solution(cell):
            lines = answers[C.grade_id(cell)].split("\n")
            cell.source = "\n".join(line for line in lines if C.BEGIN_SOLUTION not in line and C.END_SOLUTION not in line)
    return nb
