"""The lecture notebooks are stored the way nbval needs them: executed, in order, without errors.

nbval (run by the README's test command on lectures/) re-executes each notebook and compares
every output with the stored one; these tests make sure there is something to compare.
"""

import json

import nbformat
import pytest

from coursegrad.notebooks import LECTURES, lecture_notebooks, problems

NOTEBOOKS = lecture_notebooks()


def test_there_are_lectures_in_reading_order():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 4, names
    assert [n[:3] for n in names] == [f"{i:02d}_" for i in range(1, len(names) + 1)], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_without_errors(path):
    assert problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_widget_cells_skip_output_comparison(path):
    """`nbval-ignore-output` is for cells that display widgets, never for a number the lesson depends on."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "nbval-ignore-output" in tags or "nbval-skip" in tags:
            assert "nbval-skip" not in tags, f"{path.name}: a cell is skipped entirely by nbval"
            kinds = {k for o in cell.outputs for k in o.get("data", {})}
            assert "application/vnd.jupyter.widget-view+json" in kinds, (
                f"{path.name}: cell {cell.source[:60]!r} is excluded from nbval but displays no widget"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_learning_goals_and_ends_with_a_summary(path):
    nb = nbformat.read(path, as_version=4)
    text = [c.source.lower() for c in nb.cells if c.cell_type == "markdown"]
    assert "learning goals" in text[0] or "learning goals" in text[1]
    assert any("summary" in t for t in text[-3:])


def test_check_detects_a_stripped_notebook(tmp_path):
    """A notebook committed without outputs must fail the check (nbval alone would pass it)."""
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    stripped = tmp_path / "stripped.ipynb"
    stripped.write_text(json.dumps(nb))
    assert any("never executed" in p for p in problems(stripped))


def test_lectures_folder_is_where_the_readme_says():
    assert LECTURES.name == "lectures" and LECTURES.is_dir()
