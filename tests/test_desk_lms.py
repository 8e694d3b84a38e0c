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
    with open(dest / "students.csv", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["folder", "name", "submission"], ["1001", "annsmith", "5001"], ["1002", "bendoe", "5003"], ["1003", "catlee", "5004"]
        ]  # fmt: skip


def test_a_gradescope_zip_gives_a_folder_per_submitter(tmp_path):
    zipped = gradescope_zip(tmp_path / "export.zip")
    assert lms.kind(zipped) == "gradescope"
    dest = lms.unpack(zipped, ["01_tiny"], tmp_path / "out")
    folders = sorted(p.name for p in dest.iterdir() if p.is_dir())
    assert len(folders) == 3 and {"s001", "s002"} <= set(folders)  # a group submission goes to each member
    assert any(f.startswith("cat_example_edu-") for f in folders), folders  # no sid: the e-mail, as a safe file name
    assert (dest / "s001" / "timestamp.txt").read_text().startswith("2026-03-01 18:00:00")  # -08:00 in UTC
    assert (dest / "s002" / "01_tiny.ipynb").is_file(), "the only notebook of a one-worksheet run, whatever its name"


def test_a_zip_that_is_neither_says_what_to_do(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("alice/01_tiny.ipynb", "{}")
    with pytest.raises(ValueError, match="neither a Canvas"):
        lms.kind(path)


def test_coursegrad_grade_takes_the_canvas_zip(tmp_path):
    src = tmp_path / "worksheets" / "source"
    src.mkdir(parents=True)
    nbformat.write(SOURCE, str(src / "01_tiny.ipynb"))
    canvas_zip(tmp_path / "submissions.zip")
    result = cli(
        "grade", "submissions.zip", "-o", "grades", "--timeout", "10", "-q", "--due", "2026-03-02 00:00+00:00", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "grades" / "summary.csv", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert sorted(rows) == ["1001", "1002", "1003"]
    assert rows["1001"]["total"] == "3" and not rows["1001"]["late"]
    assert rows["1002"]["total"] == "1" and rows["1002"]["late"].startswith("1.5 days late")
    feedback = (tmp_path / "grades" / "feedback" / "1002.html").read_text(encoding="utf-8")
    assert feedback.startswith("<!DOCTYPE html>") and "<h1>Feedback on" in feedback and "src=" not in feedback
    back = cli("feedback", "grades", "-o", "back.zip", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    with zipfile.ZipFile(tmp_path / "back.zip") as z:
        names = sorted(z.namelist())
        assert names == ["annsmith_1001_5001_feedback.html", "bendoe_1002_5003_feedback.html", "catlee_1003_5004_feedback.html"]
        assert z.read("bendoe_1002_5003_feedback.html").decode() == feedback


def test_feedback_html_shows_what_a_student_printed_as_text():
    from coursegrad.desk.feedback_out import page

    text = "# Feedback\n\n- `q1`: 0 / 1\n\n    ```text\n    <script>alert(1)</script>\n    ```\n\n<img src=x onerror=alert(1)>"
    html = page(text, "t")
    assert "<script>" not in html and "<img" not in html and "&lt;img" in html
