"""The one result store (`records.Store`): a graded result lives only as its record in
`OUT/results/<worksheet>/<student>.json`, the reference values beside that folder; a rerun keeps what is
unchanged and starts no kernel, a changed file or option is graded again, an interrupted run resumes.

Grades a tiny worksheet (three students) in this process (`jobs=1`), so every kernel the grader starts
goes through `Kernel.launch`, which the tests count. Paths are relative to the course folder, as the
command line's are, so a copy of the course is the same course.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from workflow_helpers import answered, blank, solved_by, tiny_source, write

from coursegrad.grading import course, kernel, records, worker

SHEET = "01_tiny.ipynb"
SOURCE = Path("source") / SHEET
STUDENTS = ["ada", "bo", "cy"]


def settings(**options) -> course.Settings:
    return course.Settings(jobs=1, progress=False, options={"timeout": 10, **options})


def grade(out: str = "grades", **options) -> tuple[list, int]:
    """`coursegrad grade` of the course in the current folder (the batch in this process)."""
    return course.grade([SOURCE], Path("submissions"), Path(out), settings(**options))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course graded once: ada solved it, bo left it blank, cy got x and z wrong."""
    root = tmp_path_factory.mktemp("store")
    source = tiny_source("Worksheet one")
    write(root, "source", SHEET, source)
    write(root / "submissions", "ada", SHEET, solved_by(source))
    write(root / "submissions", "bo", SHEET, blank(source))
    write(root / "submissions", "cy", SHEET, answered(source, q1_answer="x = 3.0\ny = -1.0", q2_answer="z = 8.0"))
    here = os.getcwd()
    os.chdir(root)
    try:
        found, fresh = grade()
    finally:
        os.chdir(here)
    assert fresh == 3 and [g.submission.total for g in found] == [3.0, 0.0, 1.0]
    return root


@pytest.fixture
def course_copy(graded, tmp_path, monkeypatch):
    """A copy of the graded course, as the current folder."""
    root = tmp_path / "course"
    shutil.copytree(graded, root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def started(monkeypatch):
    """Every kernel started (`Kernel.launch`) and every submission graded (`worker.grade_one`), by student."""
    seen = {"kernels": 0, "graded": []}
    launch, grade_one = kernel.Kernel.launch, worker.grade_one

    def counting_launch(self):
        seen["kernels"] += 1
        return launch(self)

    monkeypatch.setattr(kernel.Kernel, "launch", counting_launch)
    monkeypatch.setattr(worker, "grade_one", lambda ws, student, *a: seen["graded"].append(student) or grade_one(ws, student, *a))
    yield seen
    worker.close_spare()


def stamps(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_result_is_kept_once_as_its_record_with_the_reference_beside(graded):
    out = graded / "grades"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "results",
        "results/01_tiny",
        "results/01_tiny.reference.json",
        "results/01_tiny/ada.json",
        "results/01_tiny/bo.json",
        "results/01_tiny/cy.json",
    ]  # one folder of results: no second copy (an older coursegrad also kept grades/cache/)
    for student in STUDENTS:
        g = records.load(records.path_of(out, "01_tiny", student))
        sha = records.checksum(graded / "submissions" / student / SHEET)
        assert g.checksums == {"submission": sha, "source": records.checksum(graded / SOURCE)}
        assert g.options["timeout"] == 10 and g.options["sandbox"] in ("bwrap", "none")  # the sandbox as decided
    reference = json.loads((out / "results" / "01_tiny.reference.json").read_text())
    assert reference["reference"]["q2_test"] == [{"value": 7.0}]  # the instructor's z
    assert [g.student for g in records.load_all(out)] == STUDENTS  # the reference is no student


def test_a_rerun_with_nothing_changed_starts_no_kernel(course_copy, started):
    out = course_copy / "grades"
    before = stamps(out)
    found, fresh = grade()
    assert (started["kernels"], started["graded"], fresh) == (0, [], 0)
    assert stamps(out) == before, "a rerun with nothing changed wrote a file"
    assert [g.submission.total for g in found] == [3.0, 0.0, 1.0]
    # control: the count sees kernels. A changed file is graded again, alone, against the stored reference
    write(course_copy / "submissions", "bo", SHEET, solved_by(tiny_source("Worksheet one")))
    found, fresh = grade()
    assert started["graded"] == ["bo"] and started["kernels"] >= 1 and fresh == 1
    assert [g.submission.total for g in found] == [3.0, 3.0, 1.0]
    changed = {k for k, v in stamps(out).items() if before.get(k) != v}
    assert changed == {"results/01_tiny/bo.json"}


def test_a_changed_option_grades_everyone_again(course_copy, started):
    found, fresh = grade(timeout=11)  # the kernels' limits changed: every result and the reference are stale
    assert started["graded"] == STUDENTS and fresh == 3
    assert all(g.options["timeout"] == 11 for g in found)
    reference = json.loads((course_copy / "grades" / "results" / "01_tiny.reference.json").read_text())
    assert reference["key"]["options"]["timeout"] == 11


def test_a_record_is_kept_only_for_the_same_source_submission_and_options(graded):
    out, ada = graded / "grades", graded / "submissions" / "ada" / SHEET
    stored = records.load(records.path_of(out, "01_tiny", "ada"))
    source, options = stored.checksums["source"], stored.options
    assert records.Store(out, "01_tiny", source, options).kept("ada", ada) == stored  # control: all three the same
    assert records.Store(out, "01_tiny", "another source", options).kept("ada", ada) is None
    assert records.Store(out, "01_tiny", source, {**options, "timeout": 11}).kept("ada", ada) is None
    assert records.Store(out, "01_tiny", source, options).kept("ada", graded / "submissions" / "bo" / SHEET) is None


def test_an_interrupted_run_resumes_where_it_stopped(course_copy, started, monkeypatch):
    grade_one = worker.grade_one

    def interrupted(ws, student, *a):
        if student == "bo":
            raise KeyboardInterrupt  # the instructor's Ctrl-C, or the machine going down, while bo is graded
        return grade_one(ws, student, *a)

    monkeypatch.setattr(worker, "grade_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade("fresh")
    worker.close_spare()
    results = course_copy / "fresh" / "results"
    assert sorted(p.name for p in (results / "01_tiny").iterdir()) == ["ada.json"]  # written as ada finished, whole
    assert records.load(results / "01_tiny" / "ada.json").submission.total == 3.0
    assert (results / "01_tiny.reference.json").is_file()
    monkeypatch.setattr(worker, "grade_one", grade_one)  # the counting one
    started["graded"].clear()
    (results / "01_tiny" / ".tmp-half.tmp").write_text('{"worksheet": "01_')  # what a kill while writing leaves
    with monkeypatch.context() as m:
        m.setattr(course.batch, "with_reference", lambda *a, **k: pytest.fail("the stored reference should be used"))
        found, fresh = grade("fresh")
    assert started["graded"] == ["bo", "cy"] and fresh == 2  # ada was kept
    assert [g.submission.total for g in found] == [3.0, 0.0, 1.0]
    assert records.load(results / "01_tiny" / "ada.json").submission.seconds == found[0].submission.seconds


def test_an_old_cache_folder_is_not_read_and_the_grader_says_it_can_go(course_copy, started):
    out = course_copy / "grades"
    assert course.old_cache(out) == ""
    old = out / "cache" / "01_tiny" / "ada.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"key": {"student": "ada"}, "result": {"student": "ada", "questions": []}}))
    assert "grades/cache/ is a second copy of results from an earlier coursegrad" in course.old_cache(Path("grades"))
    found, fresh = grade()
    assert (started["kernels"], fresh) == (0, 0) and [g.submission.total for g in found] == [3.0, 0.0, 1.0]
    assert old.is_file()  # nothing of the instructor's is deleted behind their back
