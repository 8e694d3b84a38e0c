"""The instructor's workflow through the command line: several worksheets, late work, hand grades,
regrading and resuming, shards and merge, the copying signal, and clear errors for bad input.

One small course (two tiny worksheets, six students) is graded once per module; each test reads
what that run wrote or runs the command again on a copy.
"""

from __future__ import annotations

import csv
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from workflow_helpers import RUBRIC, answered, blank, cli, solved_by, tiny_source, write

from coursegrad.grading import late

W1, W2 = "01_tiny.ipynb", "02_tiny.ipynb"
DUE = "2026-03-01 23:59:00+00:00"
COPIED = {"q1_answer": "x = 3.0\ny = 1.0", "q2_answer": "z = 8.0"}


def _when(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def make_course(root: Path) -> Path:
    """worksheets/source/{01,02}_tiny.ipynb and submissions/ of six students; returns the course folder."""
    src = root / "worksheets" / "source"
    src.mkdir(parents=True)
    one, two = tiny_source("Worksheet one"), tiny_source("Worksheet two")
    nbformat.write(one, str(src / W1))
    nbformat.write(two, str(src / W2))
    subs = root / "submissions"
    write(subs, "ada", W1, solved_by(one))
    write(subs, "ada", W2, solved_by(two))
    (subs / "ada" / "timestamp.txt").write_text("2026-03-03 12:00:00.000000 UTC")  # 1.5 days late
    write(subs, "bo", W1, solved_by(one))  # no worksheet 2; handed in on time (file time)
    os.utime(subs / "bo" / W1, (_when("2026-03-01T10:00:00+00:00"),) * 2)
    write(subs, "cy", W1, blank(one))
    write(subs, "cy", W2, solved_by(two))
    (subs / "cy" / "timestamp.txt").write_text("2026-03-02 12:00:00.000000 UTC")  # late, but has an extension
    for copier in ("dan", "eve"):
        write(subs, copier, W1, answered(one, **COPIED))
    write(subs, "fay", W1, answered(one, q1_answer="x = 2.0\ny = 5.0", q2_answer="z = 1.0"))
    for student in ("dan", "eve", "fay"):
        os.utime(subs / student / W1, (_when("2026-03-01T10:00:00+00:00"),) * 2)
    (root / "extensions.csv").write_text("student,due\ncy,2026-03-05 23:59:00+00:00\n")
    return root


GRADE = ("grade", "submissions", "-o", "grades", "--timeout", "10", "-q", "--due", DUE, "--late-penalty", "10%/day,max=50%")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("course"))
    result = cli(*GRADE, "--extensions", "extensions.csv", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "12 graded now" in result.stdout, result.stdout
    return root


def table(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def summary(root: Path, out: str = "grades") -> dict[tuple[str, str], dict]:
    return {(r["worksheet"], r["student"]): r for r in table(root / out / "summary.csv")}


def test_every_worksheet_is_graded_by_file_name(course):
    s = summary(course)
    students = ("ada", "bo", "cy", "dan", "eve", "fay")
    assert set(s) == {(w, st) for w in ("01_tiny", "02_tiny") for st in students}
    assert (s["01_tiny", "ada"]["total"], s["02_tiny", "ada"]["total"]) == ("3", "3")
    assert (s["01_tiny", "cy"]["total"], s["02_tiny", "cy"]["total"]) == ("0", "3")
    assert s["02_tiny", "bo"]["status"] == "missing"  # handed in only worksheet 1: the other is not "renamed"
    assert "no 02_tiny.ipynb" in s["02_tiny", "bo"]["notes"]
    rows = table(course / "grades" / "gradebook.csv")
    assert {(r["worksheet"], r["question"]) for r in rows if r["student"] == "ada"} == {
        (w, q) for w in ("01_tiny", "02_tiny") for q in ("q1_test", "q2_test", "q3_answer")
    }
    feedback = (course / "grades" / "feedback" / "ada.md").read_text()
    assert "# Feedback on 01\\_tiny: ada" in feedback and "# Feedback on 02\\_tiny: ada" in feedback
    written = (course / "grades" / "written_answers.md").read_text()
    assert "# Written answers: 01\\_tiny" in written and "# Written answers: 02\\_tiny" in written


def test_late_work_shows_raw_score_penalty_and_final(course):
    s = summary(course)
    ada = s["01_tiny", "ada"]  # 1.5 days late by timestamp.txt: two started days, 20%
    assert (ada["total"], ada["penalty"], ada["final"]) == ("3", "0.6", "2.4")
    assert "1.5 days late (by timestamp.txt)" in ada["late"] and "−20%" in ada["late"]
    assert ada["submitted"] == "2026-03-03T12:00:00+00:00"
    bo = s["01_tiny", "bo"]  # on time by the file's modification time, which is noted
    assert (bo["late"], bo["penalty"], bo["final"]) == ("", "0", "3")
    assert bo["submitted"] == "2026-03-01T10:00:00+00:00 (file modification time)"
    cy = s["02_tiny", "cy"]  # late against the due date, on time with the extension
    assert (cy["late"], cy["final"]) == ("", "3")
    rows = [r for r in table(course / "grades" / "gradebook.csv") if (r["worksheet"], r["student"]) == ("01_tiny", "ada")]
    assert {(r["total"], r["penalty"], r["final"]) for r in rows} == {("3", "0.6", "2.4")}
    assert "After the late penalty: 2.4 points" in (course / "grades" / "feedback" / "ada.md").read_text()


def test_late_policy_grammar():
    policy = late.parse_policy("10%/day,max=50%")
    assert [policy.fraction(h * 3600) for h in (0, 1, 24, 25, 24 * 9)] == [0, 0.1, 0.1, 0.2, 0.5]
    assert late.parse_policy("zero").fraction(1) == 1.0 and late.parse_policy("none").fraction(1e9) == 0
    assert late.parse_policy("5%/hour").fraction(3 * 3600 + 1) == pytest.approx(0.2)
    when = late.parse_time("2026-03-01 23:59:00.5 UTC")
    assert when == datetime(2026, 3, 1, 23, 59, 0, 500000, tzinfo=timezone.utc)
    assert late.parse_time("2026-03-01T23:59+01:00").utcoffset().total_seconds() == 3600
    for bad in ("10%", "10%/week", "150%/day", "ten"):
        with pytest.raises(ValueError, match="late-penalty"):
            late.parse_policy(bad)


def test_hand_in_time_from_timestamp_txt_else_the_file(tmp_path):
    nb = tmp_path / "ada" / W1
    nb.parent.mkdir()
    nb.write_text("{}")
    os.utime(nb, (_when("2026-03-01T10:00:00+00:00"),) * 2)
    assert late.submitted_at(nb) == (datetime(2026, 3, 1, 10, tzinfo=timezone.utc), "file modification time")
    (tmp_path / "ada" / "timestamp.txt").write_text("2026-03-02 08:30:00.000000 UTC\n")
    assert late.submitted_at(nb) == (datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc), "timestamp.txt")
    (tmp_path / "ada" / "timestamp.txt").write_text("yesterday")
    assert late.submitted_at(nb)[1] == "file modification time, timestamp.txt unreadable"
    (tmp_path / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")  # one level up (the class folder): not this student's
    (tmp_path / "ada" / "timestamp.txt").unlink()
    assert late.submitted_at(nb)[1] == "file modification time"


def test_manual_csv_lists_written_answers_with_the_rubric(course):
    rows = {(r["worksheet"], r["student"]): r for r in table(course / "grades" / "manual.csv")}
    ada = rows["01_tiny", "ada"]
    assert (ada["question"], ada["max_points"], ada["points"]) == ("q3_answer", "2", "")
    assert ada["rubric"] == RUBRIC
    assert RUBRIC in (course / "grades" / "written_answers.md").read_text()
    assert ada["answer"] == "Because of the chain rule."
    assert rows["01_tiny", "cy"]["answer"] == "(blank)"  # left blank: the sheet says so


def _fill(root: Path, out: str, points: dict) -> None:
    path = root / out / "manual.csv"
    rows = table(path)
    for r in rows:
        if (r["worksheet"], r["student"]) in points:
            r["points"], r["comment"] = points[r["worksheet"], r["student"]]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _mtimes(root: Path, out: str = "grades") -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted((root / out / "results").glob("*/*.json"))}


def test_hand_grades_fold_in_and_rerun_resumes_without_regrading(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    before = _mtimes(root)
    _fill(root, "grades", {("01_tiny", "bo"): ("1.5", "Good: the chain rule. Say why they multiply.")})
    result = cli(*GRADE, "--extensions", "extensions.csv", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "0 graded now" in result.stdout and "1 hand grade(s) folded in" in result.stdout
    assert _mtimes(root) == before, "an unchanged submission was graded again"
    bo = summary(root)["01_tiny", "bo"]
    assert (bo["total"], bo["final"], bo["manual_pending"]) == ("4.5", "4.5", "0")
    feedback = (root / "grades" / "feedback" / "bo.md").read_text()
    assert "Points: 4.5 / 5" in feedback and "Say why they multiply." in feedback
    row = next(r for r in table(root / "grades" / "gradebook.csv") if (r["student"], r["question"]) == ("bo", "q3_answer"))
    assert (row["points"], row["status"]) == ("1.5", "hand-graded")
    # a rerun keeps the filled row, also when everything is regraded
    assert cli(*GRADE, "--force", "--only", "bo", cwd=root).returncode == 0
    kept = [r for r in table(root / "grades" / "manual.csv") if r["student"] == "bo" and r["worksheet"] == "01_tiny"]
    assert kept[0]["points"] == "1.5" and "Say why" in kept[0]["comment"]


def test_only_and_changed_submissions_are_regraded(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    before = _mtimes(root)
    write(root / "submissions", "fay", W1, solved_by(tiny_source("Worksheet one")))  # fay hands in again
    result = cli(*GRADE, "--only", "bo", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "1 graded now" in result.stdout  # bo's worksheet 1 (worksheet 2 is still missing); fay is left for later
    changed = {k for k, v in _mtimes(root).items() if before.get(k) != v}
    assert changed == {"grades/results/01_tiny/bo.json"}
    result = cli(*GRADE, cwd=root)
    assert "1 graded now" in result.stdout  # only fay's changed notebook
    assert summary(root)["01_tiny", "fay"]["total"] == "3"
    assert "3 graded now" in cli(*GRADE, "--force", "--shard", "1/3", cwd=root).stdout  # ada (2) and dan (1; 2 is missing)


def test_shards_merged_equal_the_one_machine_run(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("grades"))
    for k in (1, 2):
        result = cli(*GRADE, "--extensions", "extensions.csv", "--shard", f"{k}/2", "-o", f"out{k}", cwd=root)
        assert result.returncode == 0, result.stderr
    one = {r["student"] for r in table(root / "out1" / "summary.csv")}
    two = {r["student"] for r in table(root / "out2" / "summary.csv")}
    assert one and two and not one & two and one | two == {"ada", "bo", "cy", "dan", "eve", "fay"}
    result = cli("merge", "out1", "out2", "-o", "merged", cwd=root)
    assert result.returncode == 0, result.stderr
    for name in ("gradebook.csv", "summary.csv", "similarity.csv"):
        assert (root / "merged" / name).read_text() == (course / "grades" / name).read_text(), name


def test_similarity_lists_the_pair_with_the_same_wrong_numbers(course):
    rows = table(course / "grades" / "similarity.csv")
    assert [(r["worksheet"], r["student_a"], r["student_b"], r["shared"]) for r in rows] == [("01_tiny", "dan", "eve", "2")]
    assert rows[0]["questions"] == "q1_answer q2_answer"
    s = summary(course)
    assert s["01_tiny", "dan"]["total"] == s["01_tiny", "eve"]["total"] == "0"  # a signal, never a penalty by itself


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--late-penalty", "10%/week"), "write none, zero, or e.g. 10%/day"),
        (("--due", "next friday"), "--due 'next friday' is not a date and time"),
        (("--shard", "3/2"), "k must be between 1 and N"),
        (("--only", "zed"), "--only: no folder for zed"),
        (("--extensions", "nope.csv"), "--extensions: no file nope.csv"),
    ],
)
def test_bad_options_say_what_is_wrong(course, args, message):
    result = cli(*GRADE, *args, "-o", "elsewhere", cwd=course)
    assert result.returncode != 0 and message in result.stderr, result.stderr


def test_a_bad_hand_grade_is_reported(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    _fill(root, "grades", {("01_tiny", "ada"): ("3", "")})
    result = cli("merge", "grades", "-o", "grades", cwd=root)
    assert result.returncode != 0 and "01_tiny/ada/q3_answer: points 3 outside 0…2" in result.stderr
    _fill(root, "grades", {("01_tiny", "ada"): ("two", "")})
    assert "points 'two' is not a number" in cli("merge", "grades", "-o", "grades", cwd=root).stderr


ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,coursegrad,01_tiny (5678)
    Points Possible,,,,,,5
"Lovelace, Ada",101,S101,ada,Sec 1,,
"Bo, Bob",102,S102,bob7,Sec 1,bo,
"Cy, Cyril",103,S103,cy,Sec 2,,
"Dan, Daniel",104,S104,dan,Sec 2,,
"Eve, Evelyn",105,S105,eve,Sec 2,,
"Gus, Gustav",106,S106,gus,Sec 2,,
"""


def test_canvas_export_matches_the_roster_and_reports_the_unmatched(course, tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    out = tmp_path / "canvas.csv"
    result = cli("export", "canvas", str(course / "grades"), "--roster", str(tmp_path / "roster.csv"), "-o", str(out))
    assert result.returncode == 1 and "not in the roster: fay" in result.stderr  # fay has no roster row
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_tiny (5678)", "02_tiny"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "5", "5"]
    body = {r[0]: r[1:] for r in rows[2:]}
    assert body["Lovelace, Ada"] == ["101", "S101", "ada", "Sec 1", "2.4", "2.4"]  # final scores, after the late penalty
    assert body["Bo, Bob"][4:] == ["3", "0"]  # matched by the coursegrad column; worksheet 2 missing: 0
    assert body["Gus, Gustav"][4:] == ["", ""]  # in the roster, no grades: left empty, which Canvas ignores
    bad = cli("export", "canvas", str(course / "grades"), "--roster", str(tmp_path / "nope.csv"), "-o", str(out))
    assert bad.returncode != 0 and "no roster at" in bad.stderr


def test_help_lists_the_workflow_commands_and_options():
    top = cli("--help")
    assert top.returncode == 0 and all(word in top.stdout for word in ("grade", "merge", "export"))
    grade = cli("grade", "--help").stdout
    for option in ("--due", "--late-penalty", "--extensions", "--only", "--force", "--shard", "--scheduler"):
        assert option in grade, option
    export = cli("export", "--help").stdout
    assert "gradescope" in export and "canvas" in export
    assert "--roster" in cli("export", "canvas", "--help").stdout
