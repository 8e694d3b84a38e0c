"""The worksheet: nbgrader's format, a committed student version that is current and leaks nothing,
and validation (the solved worksheet passes every test, the unanswered one fails each cleanly)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from nbgrader import utils as nbgrader_utils
from nbgrader.nbgraderformat import MetadataValidator

from coursegrad.grading import cells as C
from coursegrad.grading import release
from coursegrad.grading.validate import solved, validate

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
RELEASE = ROOT / "worksheets" / "release" / "01_backprop_worksheet.ipynb"
README = ROOT / "worksheets" / "README.md"


@pytest.fixture(scope="module")
def source():
    return release.read(SOURCE)


@pytest.fixture(scope="module")
def student():
    return release.read(RELEASE)


def test_source_is_in_nbgraders_format(source):
    assert C.format_problems(source) == []
    MetadataValidator().validate_nb(source)  # nbgrader's own validator (raises on a problem)
    for cell in source.cells:
        meta = C.meta(cell)
        assert meta["schema_version"] == 3
        assert {"grade", "grade_id", "locked", "solution"} <= set(meta)
        assert cell.id == meta["grade_id"]
    auto = sum(C.points(c) for c in source.cells if C.is_test(c))
    manual = sum(C.points(c) for c in source.cells if C.is_manual(c))
    assert (auto, manual) == (19, 4)
    assert all(c.cell_type == "markdown" for c in source.cells if C.is_manual(c))


def test_every_answer_has_a_check_and_every_check_has_hidden_or_partial_tests(source):
    cells = source.cells
    for i, cell in enumerate(cells):
        if C.is_solution(cell) and cell.cell_type == "code":
            assert C.is_test(cells[i + 1]), f"{C.grade_id(cell)} is not followed by its check cell"
        if C.is_test(cell):
            assert "BEGIN HIDDEN TESTS" in cell.source or "score_" in cell.source, C.grade_id(cell)
            assert re.search(r"^from coursegrad\.checks import", cell.source, re.M), "tests import their helpers afresh"


def test_the_committed_student_version_is_what_the_generator_makes(tmp_path):
    assert release.is_current(SOURCE, RELEASE), "run `coursegrad generate` and commit worksheets/release/"
    out = release.generate(SOURCE, tmp_path / "student.ipynb")
    assert out.read_bytes() == RELEASE.read_bytes()


def test_the_student_version_leaks_no_solution_or_hidden_test(source, student):
    text = RELEASE.read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "expect_close", "default_rng(838)", "dD @ X.T"):
        assert secret not in text
    assert [C.grade_id(c) for c in student.cells] == [C.grade_id(c) for c in source.cells]
    for mine, theirs in zip(source.cells, student.cells, strict=True):
        if C.is_solution(mine) and mine.cell_type == "code":
            assert re.search(r"# YOUR CODE HERE\n\s*raise NotImplementedError\(\)", theirs.source)
            hidden = re.search(r"BEGIN SOLUTION\n(.*?)\n.*END SOLUTION", mine.source, re.S).group(1)
            for line in filter(str.strip, hidden.splitlines()):
                assert line.strip() not in theirs.source
        elif C.is_manual(mine):
            assert theirs.source == C.TEXT_STUB
        elif C.is_test(mine):
            assert theirs.source == mine.source.split("### BEGIN HIDDEN TESTS")[0].rstrip("\n")
        else:
            assert theirs.source == mine.source
        if theirs.cell_type == "code":
            assert theirs.outputs == [] and theirs.execution_count is None


def test_student_version_is_locked_and_checksummed_like_nbgraders(student):
    for cell in student.cells:
        meta = C.meta(cell)
        assert meta["checksum"] == nbgrader_utils.compute_checksum(cell)  # nbgrader's own function
        assert meta["cell_type"] == cell.cell_type
        assert cell.metadata["deletable"] is False
        assert cell.metadata.get("editable", True) is (C.is_solution(cell))


def test_generator_rejects_malformed_sources(source):
    def broken(edit):
        nb = copy.deepcopy(source)
        edit(nb)
        with pytest.raises(ValueError, match="not in nbgrader's format"):
            release.student_version(nb)

    def solution_in_readonly(nb):
        nb.cells[1].source += "\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"

    def unterminated(nb):
        nb.cells[3].source = nb.cells[3].source.replace("### END SOLUTION", "")

    def duplicate_id(nb):
        C.meta(nb.cells[4])["grade_id"] = "ex1_answer"

    def no_points(nb):
        del C.meta(nb.cells[4])["points"]

    def hidden_tests_outside_a_test(nb):
        nb.cells[3].source += "\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS"

    for edit in (solution_in_readonly, unterminated, duplicate_id, no_points, hidden_tests_outside_a_test):
        broken(edit)


def test_solved_version_types_in_the_answers_without_markers(source, student):
    nb = solved(student, source)
    answer = next(c for c in nb.cells if C.grade_id(c) == "ex1_answer").source
    assert "f_value = -6.0" in answer and "SOLUTION" not in answer and "NotImplementedError" not in answer


def expected_errors_in_readme() -> list[tuple[int, str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- expected-errors:start -->")[1].split("<!-- expected-errors:end -->")[0]
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (\w+) \|$", table, re.M)
    return [(int(i), gid, ename) for i, gid, ename in rows]


def test_validation_solved_passes_unanswered_fails_cleanly_and_readme_lists_the_raising_cells():
    report = validate(SOURCE, RELEASE, timeout=10)
    assert report.ok, report.problems
    raising = {gid for _, gid, _ in report.expected_errors}
    student = release.read(RELEASE)
    assert {C.grade_id(c) for c in student.cells if C.is_test(c)} <= raising, "every check cell fails unanswered"
    assert all(C.is_test(c) or C.is_solution(c) for c in student.cells if C.grade_id(c) in raising)
    assert report.expected_errors == expected_errors_in_readme(), "update the table in worksheets/README.md"
