"""`coursegrad validate` runs the source as a student would: it fails on a wrong answer key, a failing check
cell and an item whose reference value disagrees with what its check computes, and it prints the point totals."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from graded import validated

from coursegrad.grading import cells as C
from coursegrad.grading import judge
from coursegrad.grading.release import generate, read
from coursegrad.grading.validate import item_notes, validate

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"


def _changed(tmp_path: Path, edit) -> Path:
    """A copy of worksheet 1's source changed by `edit(cells by grade_id)`, with its student version generated."""
    nb = copy.deepcopy(read(SOURCE))
    edit({C.grade_id(c): c for c in nb.cells if C.grade_id(c)})
    path = tmp_path / "source" / SOURCE.name
    path.parent.mkdir()
    nbformat.write(nb, str(path))
    generate(path, tmp_path / "release" / SOURCE.name)
    return path


def test_the_worksheets_validate_and_say_their_point_totals(tmp_path_factory):
    code, out, err = validated(tmp_path_factory, SOURCE)  # `coursegrad validate`, once per session (test_worksheet.py too)
    assert code == 0, out + err
    assert "OK: " in out
    assert "points: the solved worksheet 20 / 20 autograded, the unanswered one 0; 5 more graded by hand" in out


def test_a_wrong_answer_key_fails_validation(tmp_path):
    def wrong_key(cells):
        cells["ex1_answer"].source = cells["ex1_answer"].source.replace(
            "q_value, m_value, f_value = -2.0,", "q_value, m_value, f_value = -3.0,"
        )
        assert "-3.0," in cells["ex1_answer"].source

    report = validate(_changed(tmp_path, wrong_key), tmp_path / "release" / SOURCE.name)
    assert not report.ok
    assert any("check cell ex1_forward fails" in p for p in report.problems), report.problems


def test_a_failing_source_check_cell_fails_validation(tmp_path):
    def broken_check(cells):
        cells["ex6_test"].source += '\nassert False, "this check cell is broken"\n'

    report = validate(_changed(tmp_path, broken_check), tmp_path / "release" / SOURCE.name)
    assert any("check cell ex6_test fails" in p and "broken" in p for p in report.problems), report.problems


def test_an_item_whose_reference_disagrees_with_its_check_fails_validation(tmp_path):
    def other_item(cells):
        items = cells["ex1_forward"].metadata["coursegrad"]["items"]
        items[0]["expected"] = "[q_value, m_value, f_value + 1]"  # a second computation that disagrees (generate keeps it)

    report = validate(_changed(tmp_path, other_item), tmp_path / "release" / SOURCE.name)
    assert [p for p in report.problems if "ex1_forward" in p] == [
        "ex1_forward: item 'q_value, m_value, f_value': its reference value disagrees with the value its check computes"
    ], report.problems
    assert report.points["solved"] == report.points["max_auto"] == 20  # graded against itself it still gets full points


@pytest.mark.parametrize("name", ["01_backprop_worksheet.ipynb", "02_write_backprop.ipynb"])
def test_every_item_without_an_expected_value_is_named_in_validates_notes(name):
    """The bundled checks return no answer (issue 19), so the worksheets' items carry no `expected` expression
    (one would have to call a function students hold); validate says so for each, instead of passing silently."""
    source = read(ROOT / "worksheets" / "source" / name)
    bare = [(C.grade_id(c), i["name"]) for c in source.cells for i in judge.items_of(c)[1] if "expected" not in i]
    notes = item_notes(source)
    assert len(bare) >= 8 and len(notes) == len(bare)
    for (gid, item), note in zip(bare, notes, strict=True):
        assert note.startswith(f"{gid}: item {item!r}: no `expected` expression"), note
