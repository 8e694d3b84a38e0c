"""Every worksheet: nbgrader's format, a committed student version that is current and leaks nothing,
the judge's items and the rubrics, and validation (the solved worksheet passes every test, the
unanswered one fails each cleanly, in exactly the cells worksheets/README.md lists)."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
from graded import validated
from nbgrader import utils as nbgrader_utils
from nbgrader.nbgraderformat import MetadataValidator

from coursegrad.grading import cells as C
from coursegrad.grading import release
from coursegrad.grading.validate import item_problems, solved

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "worksheets" / "README.md"
# (autograded, by hand) points of each worksheet, as worksheets/README.md states them
POINTS = {"01_backprop_worksheet": (20, 5), "02_write_backprop": (15, 1)}
# what must not reach the students, per worksheet: solutions, hidden tests, rubrics
SECRETS = {
    "01_backprop_worksheet": ("db = np.sum(dY, axis=0)", "lr_same_training = 1 / 1000**2", "cases=((0,"),
    "02_write_backprop": (
        "stack.append((node, True))",
        "dH * (1 - H**2)",
        "dscores[np.arange(N), y] -= 1",
        "seeds=(0, 1, 2",
        "backprop, kind=",
    ),
}
# worksheet 2's checks whose graded cases are all visible (fixed tables of values, the provided gates): nothing to hide
VISIBLE_ONLY = {"ex2_relerr_test", "ex2_verdict_test", "ex3_check_test", "ex3_fix_test"}
SOURCES = sorted((ROOT / "worksheets" / "source").glob("*.ipynb"))


def test_every_worksheet_is_known():
    assert [p.stem for p in SOURCES] == sorted(POINTS)


@pytest.fixture(scope="module", params=SOURCES, ids=lambda p: p.stem)
def paths(request):
    return request.param, release.release_path(request.param)


@pytest.fixture(scope="module")
def source(paths):
    return release.read(paths[0])


@pytest.fixture(scope="module")
def student(paths):
    return release.read(paths[1])


def test_source_is_in_nbgraders_format(source, paths):
    assert C.format_problems(source) == []
    MetadataValidator().validate_nb(source)  # nbgrader's own validator (raises on a problem)
    for cell in source.cells:
        meta = C.meta(cell)
        assert meta["schema_version"] == 3
        assert {"grade", "grade_id", "locked", "solution"} <= set(meta)
        assert cell.id == meta["grade_id"]
    auto = sum(C.points(c) for c in source.cells if C.is_test(c))
    manual = sum(C.points(c) for c in source.cells if C.is_manual(c))
    assert (auto, manual) == POINTS[paths[0].stem]
    assert all(c.cell_type == "markdown" for c in source.cells if C.is_manual(c))
    title = source.cells[0].source
    assert f"{auto:g} for the autograded" in title and f"{manual:g} graded by hand" in title, "the intro states the points"


def test_every_autograded_cell_carries_the_judges_items(source):
    assert item_problems(source) == []
    for cell in source.cells:
        if C.is_test(cell):
            items = cell.metadata["coursegrad"]["items"]
            assert sum(i["points"] for i in items) == C.points(cell)
            assert all(set(i) <= {"name", "expr", "expected", "points", "rel", "abs", "compare"} for i in items)


def test_item_problems_are_found(source):
    broken = copy.deepcopy(source)
    tests = [c for c in broken.cells if C.is_test(c)]
    tests[0].metadata["coursegrad"]["items"][0]["points"] += 1
    del tests[1].metadata["coursegrad"]
    problems = item_problems(broken)
    assert len(problems) == 2 and "sum to" in problems[0] and "no metadata.coursegrad.items" in problems[1]
    tests[2].metadata["coursegrad"]["items"][0]["compare"] = "roughly"
    assert "compare should be one of values, topological_order" in item_problems(broken)[-1]


def rubric_points(text: str) -> tuple[float, list[float]]:
    """The points a rubric announces ('**Rubric (2 points).**') and the points of its criteria ('- 1 point: ...')."""
    total = float(re.search(r"\*\*Rubric \(([\d.]+) points?\)\.\*\*", text).group(1))
    return total, [float(p) for p in re.findall(r"^- ([\d.]+) points?:", text, re.M)]


def test_every_written_answer_has_a_rubric_with_points_per_criterion(source, paths):
    manual = [c for c in source.cells if C.is_manual(c)]
    assert manual
    for cell in manual:
        total, criteria = rubric_points(cell.source)
        assert total == C.points(cell) == sum(criteria) and len(criteria) >= 2, C.grade_id(cell)
        assert "**Model answer.**" in cell.source
    assert "Rubric" not in paths[1].read_text(encoding="utf-8")


def test_every_answer_has_a_check_and_every_check_has_hidden_or_partial_tests(source, paths):
    cells = source.cells
    for i, cell in enumerate(cells):
        if C.is_solution(cell) and cell.cell_type == "code":
            assert C.is_test(cells[i + 1]), f"{C.grade_id(cell)} is not followed by its check cell"
        if C.is_test(cell):
            hidden = "BEGIN HIDDEN TESTS" in cell.source or "score_" in cell.source
            visible_only = paths[0].stem == "02_write_backprop" and C.grade_id(cell) in VISIBLE_ONLY
            assert hidden or visible_only, C.grade_id(cell)
            assert re.search(r"^from coursegrad\.checks import", cell.source, re.M), "tests import their helpers afresh"


def test_the_committed_student_version_is_what_the_generator_makes(tmp_path, paths):
    src, rel = paths
    assert release.is_current(src, rel), "run `coursegrad generate` and commit worksheets/release/"
    out = release.generate(src, tmp_path / "student.ipynb")
    assert out.read_bytes() == rel.read_bytes()


def test_the_student_version_leaks_no_solution_or_hidden_test(source, student, paths):
    text = paths[1].read_text(encoding="utf-8")
    assert all(secret in paths[0].read_text(encoding="utf-8") for secret in SECRETS[paths[0].stem])
    for secret in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "expect_close", *SECRETS[paths[0].stem]):
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
    cells = source.cells
    readonly = next(i for i, c in enumerate(cells) if c.cell_type == "code" and C.is_locked(c) and not C.is_grade(c))
    answer = next(i for i, c in enumerate(cells) if C.is_solution(c) and "### END SOLUTION" in c.source)
    test = next(i for i, c in enumerate(cells) if C.is_test(c))

    def broken(edit):
        nb = copy.deepcopy(source)
        edit(nb)
        with pytest.raises(ValueError, match="not in nbgrader's format"):
            release.student_version(nb)

    def solution_in_readonly(nb):
        nb.cells[readonly].source += "\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"

    def unterminated(nb):
        nb.cells[answer].source = nb.cells[answer].source.replace("### END SOLUTION", "")

    def duplicate_id(nb):
        C.meta(nb.cells[test])["grade_id"] = C.grade_id(nb.cells[answer])

    def no_points(nb):
        del C.meta(nb.cells[test])["points"]

    def hidden_tests_outside_a_test(nb):
        nb.cells[answer].source += "\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS"

    for edit in (solution_in_readonly, unterminated, duplicate_id, no_points, hidden_tests_outside_a_test):
        broken(edit)


def test_solved_version_types_in_the_answers_without_markers(source, student):
    nb = solved(student, source)
    for mine, theirs in zip(source.cells, nb.cells, strict=True):
        if C.is_solution(mine) and mine.cell_type == "code":
            assert "SOLUTION" not in theirs.source and "NotImplementedError" not in theirs.source
            assert re.search(r"BEGIN SOLUTION\n(.*?)\n.*END SOLUTION", mine.source, re.S).group(1).strip() in theirs.source


def expected_errors_in_readme(name: str) -> list[tuple[int, str, str]]:
    text = README.read_text(encoding="utf-8")
    table = text.split(f"<!-- expected-errors:start {name} -->")[1].split("<!-- expected-errors:end -->")[0]
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (\w+) \|$", table, re.M)
    return [(int(i), gid, ename) for i, gid, ename in rows]


def test_the_browser_tests_open_every_student_version_and_expect_its_readme_table(paths):
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from browser_course import documented_errors, student_worksheets

    assert paths[1] in student_worksheets()
    assert documented_errors(paths[1]) == {i: {ename} for i, _, ename in expected_errors_in_readme(paths[0].stem)}


def test_validation_solved_passes_unanswered_fails_cleanly_and_readme_lists_the_raising_cells(paths, tmp_path_factory):
    # `coursegrad validate` (the default 30 s per cell: the long-chain check takes 10-15 s on a loaded 2-core
    # machine), run once per session for this file and test_grading_validate.py
    code, out, err = validated(tmp_path_factory, paths[0])
    assert code == 0 and "OK: " in out, out + err  # validation found no problem (else exit code 1, "FAILED: ")
    said = re.search(r"^  cells that raise in the unanswered student version \(index grade_id \(error\)\): (.*)$", out, re.M)
    expected_errors = [(int(i), gid, ename) for i, gid, ename in re.findall(r"(\d+) (\w+) \((\w+)\)", said.group(1))]
    raising = {gid for _, gid, _ in expected_errors}
    student = release.read(paths[1])
    assert {C.grade_id(c) for c in student.cells if C.is_test(c)} <= raising, "every check cell fails unanswered"
    assert all(C.is_test(c) or C.is_solution(c) for c in student.cells if C.grade_id(c) in raising)
    assert expected_errors == expected_errors_in_readme(paths[0].stem), "update the table in worksheets/README.md"
