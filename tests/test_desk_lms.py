"""Canvas's and Gradescope's submission zips: unpacked into the folder layout, graded by `coursegrad grade`."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from workflow_helpers import answered, blank, cli, solved_by, tiny_source

from coursegrad.desk import lms

SOURCE = tiny_source()


def _nb(nb) -> str:
    return nbformat.writes(nb)


def canvas_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("annsmith_1001_5001_01_tiny.ipynb", (2026, 3, 1, 10, 0, 0)), _nb(solved_by(SOURCE)))
        z.writestr(zipfile.ZipInfo("bendoe_late_1002_5002_01_tiny.ipynb", (2026, 3, 2, 9, 0, 0)), _nb(blank(SOURCE)))
        resubmitted = zipfile.ZipInfo("bendoe_late_1002_5003_01_tiny-1.ipynb", (2026, 3, 3, 12, 0, 0))
        z.writestr(resubmitted, _nb(answered(SOURCE, q2_answer="z = 7.0")))
        z.writestr("../../catlee_1003_5004_01_tiny.ipynb", _nb(blank(SOURCE)))  # a hostile path: never followed
        z.writestr("readme.txt", "not a submission")
    return path


def gradescope_zip(path: Path) -> Path:
    meta = """
submission_0001:
  :submitters:
  - :name: Ann Smith
    :sid: s001
    :email: ann@example.edu
  :created_at: 2026-03-01 10:00:00.000000000 -08:00
  :score: 0.0
submission_0002:
  :submitters:
  - :name: Ben Doe
    :sid: s002
  - :name: Cat Lee
    :email: cat@example.edu
  :created_at: 2026-03-03 12:00:00.000000000 +00:00
"""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("assignment_123_export/submission_metadata.yml", meta)
        z.writestr("assignment_123_export/submission_0001/01_tiny.ipynb", _nb(solved_by(SOURCE)))
        z.writestr("assignment_123_export/submission_0002/my work.ipynb", _nb(blank(SOURCE)))
    return path


def test_a_canvas_zip_gives_a_folder_per_canvas_user_id(tmp_path):
    zipped = canvas_zip(tmp_path / "submissions.zip")
    assert lms.kind(zipped) == "canvas"
    dest = lms.unpack(zipped, ["01_tiny"], tmp_path / "out")
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == ["1001", "1002", "1003"]
    ben = nbformat.read(str(dest / "1002" / "01_tiny.ipynb"), as_version=4)
    assert any(c.source == "z = 7.0" for c in ben.cells), "the resubmission (-1) counts, not the first file"
    assert (dest / "1002" / "timestamp.txt").read_text().startswith("2026-03-03 12:00:00")
    assert not (tmp_path.parent / "catlee_1003_5004_01_tiny.ipynb").exists()
    who = lms.students(tmp_path)  # out/lms/<zip>/students.csv, as `coursegrad grade` unpacks it
    assert who == {} and (dest / "students.csv").is_file()  # dest is not under lms/ here: read it as a grade run would
    (tmp_path / "lms").mkdir()
    dest.rename(tmp_path / "lms" / "submissions")
    who = lms.students(tmp_path)
    assert [(f, r["name"], r["lms"], r["user_id"], r["submission"]) for f, r in sorted(who.items())] == [
        ("1001", "annsmith", "canvas", "1001", "5001"), ("1002", "bendoe", "canvas", "1002", "5003"),
        ("1003", "catlee", "canvas", "1003", "5004")]  # fmt: skip


def test_a_gradescope_zip_gives_a_folder_per_submitter(tmp_path):
    zipped = gradescope_zip(tmp_path / "export.zip")
    assert lms.kind(zipped) == "gradescope"
    dest = lms.unpack(zipped, ["01_tiny"], tmp_path / "out")
    folders = sorted(p.name for p in dest.iterdir() if p.is_dir())
    assert len(folders) == 3 and {"s001", "s002"} <= set(folders)  # a group submission goes to each member
    assert any(f.startswith("cat_example_edu-") for f in folders), folders  # no sid: the e-mail, as a safe file name
    assert (dest / "s001" / "timestamp.txt").read_text().startswith("2026-03-01 18:00:00")  # -08:00 in UTC
    assert (dest / "s002" / "01_tiny.ipynb").is_file(), "the only notebook of a one-worksheet run, whatever its name"
    with open(dest / "students.csv", newline="", encoding="utf-8") as f:
        ids = {r["folder"]: (r["lms"], r["name"], r["sid"], r["email"]) for r in csv.DictReader(f)}
    assert ids["s001"] == ("gradescope", "Ann Smith", "s001", "ann@example.edu")
    assert ids["s002"] == ("gradescope", "Ben Doe", "s002", "")
    assert [v for k, v in ids.items() if k.startswith("cat_")] == [("gradescope", "Cat Lee", "", "cat@example.edu")]


def test_a_zip_that_is_neither_says_what_to_do(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("alice/01_tiny.ipynb", "{}")
    with pytest.raises(ValueError, match="neither a Canvas"):
        lms.kind(path)


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory) -> Path:
    """A course graded from the Canvas zip above (`coursegrad grade submissions.zip`)."""
    root = tmp_path_factory.mktemp("canvas")
    src = root / "worksheets" / "source"
    src.mkdir(parents=True)
    nbformat.write(SOURCE, str(src / "01_tiny.ipynb"))
    canvas_zip(root / "submissions.zip")
    result = cli("grade", "submissions.zip", "-o", "grades", "--timeout", "10", "-q", "--due", "2026-03-02 00:00+00:00", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


def test_coursegrad_grade_takes_the_canvas_zip(canvas_class):
    with open(canvas_class / "grades" / "summary.csv", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert sorted(rows) == ["1001", "1002", "1003"]
    assert rows["1001"]["total"] == "3" and not rows["1001"]["late"]
    assert rows["1002"]["total"] == "1" and rows["1002"]["late"].startswith("1.5 days late")
    feedback = (canvas_class / "grades" / "feedback" / "1002.html").read_text(encoding="utf-8")
    assert feedback.startswith("<!DOCTYPE html>") and "<h1>Feedback on" in feedback and "src=" not in feedback
    back = cli("feedback", "grades", "-o", "back.zip", cwd=canvas_class)
    assert back.returncode == 0, back.stderr
    with zipfile.ZipFile(canvas_class / "back.zip") as z:
        names = sorted(z.namelist())
        assert names == ["annsmith_1001_5001_feedback.html", "bendoe_1002_5003_feedback.html", "catlee_1003_5004_feedback.html"]
        assert z.read("bendoe_1002_5003_feedback.html").decode() == feedback


# Canvas's gradebook export (Grades, Export) as it comes: the points row, the score columns it computes, the
# test student; no column added by hand. Dee's SIS Login ID is a student number that happens to be Ben's Canvas
# user id (1002): matched by folder name, Ben's score would land in Dee's row. Cat (1003) dropped the course.
GRADEBOOK = """Student,ID,SIS User ID,SIS Login ID,Section,01_tiny (73015),Quiz 1 (73016),Current Score,Final Score
    Points Possible,,,,,5.00,10.00,(read only),(read only)
"Smith, Ann",1001,A0001,asmith,Backprop 101,,8.00,80.00,80.00
"Doe, Ben",1002,A0002,bdoe,Backprop 101,,,,
"Park, Dee",1004,A0004,1002,Backprop 101,,,,
"Student, Test",1099,,,Backprop 101,,,,
"""


def _export(root: Path, gradebook: str, grades: str = "grades") -> tuple[object, dict[str, list[str]]]:
    (root / "gradebook.csv").write_text(gradebook, encoding="utf-8")
    (root / "canvas.csv").unlink(missing_ok=True)
    result = cli("export", "canvas", grades, "--gradebook", "gradebook.csv", "-o", "canvas.csv", cwd=root)
    if not (root / "canvas.csv").is_file():
        return result, {}
    with open(root / "canvas.csv", newline="", encoding="utf-8") as f:
        return result, {row[0]: row[1:] for row in csv.reader(f)}


def test_export_canvas_finds_canvas_students_by_their_user_id_without_a_roster(canvas_class):
    result, rows = _export(canvas_class, GRADEBOOK)
    assert rows["Student"] == ["ID", "SIS User ID", "SIS Login ID", "Section", "01_tiny (73015)"]
    assert rows["Smith, Ann"][4:] == ["3"] and rows["Doe, Ben"][4:] == ["1"]
    assert rows["Park, Dee"][4:] == [""], "Dee's SIS Login ID is not Ben's Canvas user id"
    assert rows["Student, Test"][4:] == [""]
    assert result.returncode == 1, "a student left out is an error"
    assert "not in the gradebook: 1003 (catlee, from canvas zip; sought as ID 1003)" in result.stderr
    assert "1 student(s) of the grades are not in gradebook.csv, so their scores are not in canvas.csv" in result.stderr
    every = GRADEBOOK.replace('"Student, Test"', '"Lee, Cat",1003,A0003,clee,Backprop 101,,,,\n"Student, Test"')
    result, rows = _export(canvas_class, every)
    assert result.returncode == 0, result.stderr
    assert rows["Lee, Cat"][4:] == ["0"] and rows["Doe, Ben"][4:] == ["1"]  # Cat handed in a blank notebook


def _graded_folder(root: Path, scores: dict[str, str]) -> Path:
    """An output folder with only what export canvas reads: summary.csv (01_tiny, 5 points)."""
    out = root / "grades"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["worksheet", "student", "final", "max_total"])
        writer.writeheader()
        writer.writerows({"worksheet": "01_tiny", "student": s, "final": v, "max_total": "5"} for s, v in scores.items())
    return out


def test_export_canvas_finds_gradescope_students_by_sid_or_email(tmp_path):
    dest = lms.unpack(gradescope_zip(tmp_path / "export.zip"), ["01_tiny"], tmp_path / "grades" / "lms" / "export")
    cat = next(p.name for p in dest.iterdir() if p.name.startswith("cat_"))  # no sid: named after her e-mail
    _graded_folder(tmp_path, {"s001": "2", "s002": "3", cat: "1"})
    book = GRADEBOOK.replace("1001,A0001,asmith", "1001,s001,asmith").replace("1003,A0003,clee", "")
    book = book.replace('"Student, Test"', '"Lee, Cat",1003,A0003,CAT@example.edu,Backprop 101,,,,\n"Student, Test"')
    result, rows = _export(tmp_path, book)
    assert rows["Smith, Ann"][4:] == ["2"]  # sid s001 = SIS User ID
    assert rows["Lee, Cat"][4:] == ["1"]  # no sid: her e-mail = SIS Login ID (any case)
    assert result.returncode == 1 and "not in the gradebook: s002 (Ben Doe, from gradescope zip; sought as SIS User ID s002" in (
        result.stderr
    )  # his sid is A0002 in Canvas: named, never silently dropped
    assert rows["Doe, Ben"][4:] == [""]


def test_merged_shards_keep_the_lms_ids(tmp_path):
    header = "folder,name,submission,lms,user_id,sid,email\n"
    for shard, row in (("out1", "1001,annsmith,5001,canvas,1001,,\n"), ("out2", "1002,bendoe,5003,canvas,1002,,\n")):
        (tmp_path / shard / "lms" / "submissions").mkdir(parents=True)
        (tmp_path / shard / "lms" / "submissions" / "students.csv").write_text(header + row, encoding="utf-8")
    lms.carry([tmp_path / "out1", tmp_path / "out2"], tmp_path / "grades")
    who = lms.students(tmp_path / "grades")
    assert {f: (r["name"], r["user_id"], r["submission"]) for f, r in who.items()} == {
        "1001": ("annsmith", "1001", "5001"), "1002": ("bendoe", "1002", "5003")}  # fmt: skip


def test_two_folders_on_one_gradebook_row_are_an_error(tmp_path):
    out = _graded_folder(tmp_path, {"1002": "1", "bdoe": "3"})  # Ben from a Canvas zip, and a folder named by login
    (out / "lms" / "z").mkdir(parents=True)
    ben = "folder,name,submission,lms,user_id,sid,email\n1002,bendoe,5003,canvas,1002,,\n"
    (out / "lms" / "z" / "students.csv").write_text(ben, encoding="utf-8")
    result, rows = _export(tmp_path, GRADEBOOK)
    assert result.returncode != 0 and rows == {}
    assert "1002 and bdoe are both 'Doe, Ben' for 01_tiny" in result.stderr


def test_feedback_html_shows_what_a_student_printed_as_text():
    from coursegrad.desk.feedback_out import page

    text = "# Feedback\n\n- `q1`: 0 / 1\n\n    ```text\n    <script>alert(1)</script>\n    ```\n\n<img src=x onerror=alert(1)>"
    html = page(text, "t")
    assert "<script>" not in html and "<img" not in html and "&lt;img" in html
