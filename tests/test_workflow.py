"""The instructor's workflow through the command line: several worksheets, late work, hand grades,
regrading and resuming, shards and merge, the copying signal, and clear errors for bad input.

One small course (two tiny worksheets, six students) is graded once per module; each test reads
what that run wrote or runs the command again on a copy.
"""

from __future__ import annotations

import csv
import json
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


def test_the_results_live_in_one_folder(course):
    out = course / "grades"
    results = out / "results"
    assert sorted(p.name for p in results.iterdir()) == ["01_tiny", "01_tiny.reference.json", "02_tiny", "02_tiny.reference.json"]
    students = ["ada", "bo", "cy", "dan", "eve", "fay"]
    for worksheet in ("01_tiny", "02_tiny"):
        assert sorted(p.name for p in (results / worksheet).iterdir()) == [f"{s}.json" for s in students]
    holding = sorted(str(p.relative_to(out)) for p in out.rglob("*.json") if "submission" in json.loads(p.read_text()))
    assert holding == [f"results/{w}/{s}.json" for w in ("01_tiny", "02_tiny") for s in students]  # no second copy
    assert not (out / "cache").exists()


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
    old = root / "grades" / "cache" / "01_tiny" / "bo.json"  # the second copy an earlier coursegrad kept
    old.parent.mkdir(parents=True)
    old.write_text('{"key": {}, "result": {}}')
    result = cli(*GRADE, "--extensions", "extensions.csv", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "0 graded now" in result.stdout and "1 hand grade(s) folded in" in result.stdout
    assert "grades/cache/ is a second copy of results from an earlier coursegrad, no longer read" in result.stdout
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
    merged, one = (sorted(p.relative_to(o).as_posix() for p in o.rglob("*")) for o in (root / "merged", course / "grades"))
    assert [f for f in merged if f.startswith("results")] == [f for f in one if f.startswith("results")]
    assert "results/01_tiny.reference.json" in merged  # the records, and the reference values with them


def test_similarity_lists_the_pair_with_the_same_wrong_numbers(course):
    rows = table(course / "grades" / "similarity.csv")
    assert [(r["worksheet"], r["student_a"], r["student_b"], r["shared"]) for r in rows] == [("01_tiny", "dan", "eve", "2")]
    assert rows[0]["questions"] == "q1_answer q2_answer"
    s = summary(course)
    assert s["01_tiny", "dan"]["total"] == s["01_tiny", "eve"]["total"] == "0"  # a signal, never a penalty by itself


def test_a_rerun_keeps_the_settings_and_says_which(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    before = _mtimes(root)
    result = cli("grade", "submissions", "-o", "grades", "-q", cwd=root)  # no --due, --late-penalty, --extensions, --timeout
    assert result.returncode == 0, result.stderr
    kept = next(line for line in result.stdout.splitlines() if line.startswith("settings kept from grades/settings.json"))
    for said in (
        "--due 2026-03-01T23:59:00+00:00",
        "--late-penalty 10%/day,max=50%",
        "--extensions cy: 2026-03-05",
        "--timeout 10",
    ):
        assert said in kept, kept
    assert "settings changed" not in result.stdout and "0 graded now" in result.stdout  # same timeout: nothing regraded
    assert _mtimes(root) == before
    s = summary(root)
    assert (s["01_tiny", "ada"]["penalty"], s["01_tiny", "ada"]["final"]) == ("0.6", "2.4")  # the penalty is still there
    assert (s["02_tiny", "cy"]["late"], s["02_tiny", "cy"]["final"]) == ("", "3")  # and the extension
    result = cli("grade", "submissions", "-o", "grades", "-q", "--late-penalty", "5%/day", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "settings changed in grades/settings.json: --late-penalty 5%/day (was 10%/day,max=50%)" in result.stdout
    assert summary(root)["01_tiny", "ada"]["final"] == "2.7"  # two started days at 5%
    assert json.loads((root / "grades" / "settings.json").read_text())["late_penalty"] == "5%/day"


def test_a_late_penalty_needs_a_due_date(course, tmp_path):
    result = cli("grade", "submissions", "-o", str(tmp_path / "new"), "--late-penalty", "10%/day", cwd=course)
    assert result.returncode != 0 and "--late-penalty 10%/day needs --due" in result.stderr, result.stderr
    assert not (tmp_path / "new").exists(), "a refused run writes nothing"
    root = tmp_path / "c"
    shutil.copytree(course, root)
    result = cli("grade", "submissions", "-o", "grades", "--due", "none", cwd=root)  # the stored penalty stays
    assert result.returncode != 0
    assert "--late-penalty 10%/day,max=50% (kept from grades/settings.json) needs --due" in result.stderr, result.stderr
    assert json.loads((root / "grades" / "settings.json").read_text())["due"] == "2026-03-01T23:59:00+00:00"


def test_an_extension_for_an_unknown_student_or_worksheet_is_named(course, tmp_path):
    (tmp_path / "ext.csv").write_text("student,due,worksheet\nzed,2026-03-05 23:59:00+00:00,\ncy,2026-03-05 23:59 UTC,03_nope\n")
    result = cli(*GRADE, "--extensions", str(tmp_path / "ext.csv"), "-o", str(tmp_path / "out"), cwd=course)
    assert result.returncode != 0 and "student 'zed' (no such student folder)" in result.stderr, result.stderr
    assert "worksheet '03_nope' of cy (no such worksheet)" in result.stderr


def test_a_changed_setting_with_only_is_refused(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    result = cli("grade", "submissions", "-o", "grades", "--only", "bo", "--timeout", "5", cwd=root)
    assert result.returncode != 0 and "must apply to every student" in result.stderr and "ada, cy, dan, eve, fay" in result.stderr


def test_extensions_and_hand_grades_saved_by_excel_are_read(course, tmp_path):
    excel = "\ufeffstudent;due;worksheet\r\ncy;2026-03-05 23:59:00+00:00;02_tiny.ipynb\r\n"  # byte-order mark, ';'
    (tmp_path / "ext.csv").write_text(excel, encoding="utf-8")
    assert late.read_extensions(tmp_path / "ext.csv") == [
        {"student": "cy", "worksheet": "02_tiny", "due": "2026-03-05T23:59:00+00:00"}
    ]
    root = tmp_path / "c"
    shutil.copytree(course, root)
    rows = table(root / "grades" / "manual.csv")
    for r in rows:
        if (r["worksheet"], r["student"]) == ("01_tiny", "bo"):
            r["points"], r["comment"] = "1,5", "Good; say why they multiply."  # a decimal comma, as Excel writes it there
    with open(root / "grades" / "manual.csv", "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    result = cli("merge", "grades", "-o", "grades", cwd=root)
    assert result.returncode == 0 and "1 hand grade(s) folded in" in result.stdout, result.stderr
    assert summary(root)["01_tiny", "bo"]["total"] == "4.5"
    text = (root / "grades" / "manual.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbfworksheet;student;"), "written back as Excel saved it"


def test_a_resubmitted_written_answer_is_flagged_for_regrading(course, tmp_path):
    root = tmp_path / "c"
    shutil.copytree(course, root)
    _fill(root, "grades", {("01_tiny", "bo"): ("1.5", "Say why they multiply.")})
    one = tiny_source("Worksheet one")
    write(root / "submissions", "bo", W1, solved_by(one, written="Local gradients multiply along each path: the chain rule."))
    os.utime(root / "submissions" / "bo" / W1, (_when("2026-03-01T10:00:00+00:00"),) * 2)
    result = cli("grade", "submissions", "-o", "grades", "-q", cwd=root)
    assert result.returncode == 0 and "1 graded now" in result.stdout and "0 hand grade(s)" in result.stdout, result.stdout
    row = next(r for r in table(root / "grades" / "manual.csv") if (r["worksheet"], r["student"]) == ("01_tiny", "bo"))
    assert "the answer changed after it was graded (it had 1.5 points)" in row["regrade"]
    assert row["answer"].startswith("Local gradients multiply") and (row["points"], row["comment"]) == (
        "1.5",
        "Say why they multiply.",
    )
    bo = summary(root)["01_tiny", "bo"]
    assert (bo["total"], bo["manual_pending"], bo["regrade"]) == ("3", "1", "q3_answer")  # the old points do not count
    graded = next(r for r in table(root / "grades" / "gradebook.csv") if (r["student"], r["question"]) == ("bo", "q3_answer"))
    assert (graded["points"], graded["status"]) == ("", "regrade") and "Say why" not in (
        root / "grades" / "feedback" / "bo.md"
    ).read_text()
    _fill(root, "grades", {("01_tiny", "bo"): ("2", "")})  # graded again...
    rows = table(root / "grades" / "manual.csv")
    assert next(r for r in rows if (r["worksheet"], r["student"]) == ("01_tiny", "bo"))["regrade"]  # ...but not yet cleared
    for r in rows:
        r["regrade"] = ""
    with open(root / "grades" / "manual.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert cli("merge", "grades", "-o", "grades", cwd=root).returncode == 0
    bo = summary(root)["01_tiny", "bo"]
    assert (bo["total"], bo["manual_pending"], bo["regrade"]) == ("5", "0", "")


def test_merge_refuses_conflicting_hand_grades_and_different_settings(course, tmp_path):
    for name in ("out1", "out2"):
        shutil.copytree(course / "grades", tmp_path / name)
    _fill(tmp_path, "out1", {("01_tiny", "ada"): ("1.5", ""), ("01_tiny", "bo"): ("2", "")})
    _fill(tmp_path, "out2", {("01_tiny", "ada"): ("2", ""), ("01_tiny", "bo"): ("2", "")})  # bo agrees
    result = cli("merge", "out1", "out2", "-o", "merged", cwd=tmp_path)
    assert result.returncode != 0 and "disagree on 1 hand grade(s)" in result.stderr, result.stderr
    assert "01_tiny/ada/q3_answer: 1.5 points, comment '' in out1; 2 points, comment '' in out2" in result.stderr
    _fill(tmp_path, "out2", {("01_tiny", "ada"): ("1.5", "")})
    stored = json.loads((tmp_path / "out2" / "settings.json").read_text())
    (tmp_path / "out2" / "settings.json").write_text(json.dumps(stored | {"late_penalty": "5%/day", "timeout": 20.0}))
    result = cli("merge", "out1", "out2", "-o", "merged", cwd=tmp_path)
    assert result.returncode != 0 and "graded with different settings" in result.stderr, result.stderr
    assert (
        "--late-penalty: 10%/day,max=50% in out1; 5%/day in out2" in result.stderr
        and "--timeout: 10 in out1; 20 in out2" in result.stderr
    )
    assert not (tmp_path / "merged").exists()
    (tmp_path / "out2" / "settings.json").write_text(json.dumps(stored))
    result = cli("merge", "out1", "out2", "-o", "merged", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "merged" / "settings.json").read_text()) == stored


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


ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,coursegrad,01_tiny (5678),02_tiny (5679),Quiz 1 (5680)
,,,,,,Manual Posting,,
    Points Possible,,,,,,5,5.00,10
"Lovelace, Ada",101,S101,ada,Sec 1,,,,7
"Bo, Bob",102,S102,bob7,Sec 1,bo,,,
"Cy, Cyril",103,S103,cy,Sec 2,,,,
"Dan, Daniel",104,S104,dan,Sec 2,,,,
"Eve, Evelyn",105,S105,eve,Sec 2,,,,
"Gus, Gustav",106,S106,gus,Sec 2,,,,
"""


def _canvas(course: Path, tmp_path: Path, roster: str):
    (tmp_path / "roster.csv").write_text(roster)
    out = tmp_path / "canvas.csv"
    out.unlink(missing_ok=True)
    result = cli("export", "canvas", str(course / "grades"), "--roster", str(tmp_path / "roster.csv"), "-o", str(out))
    if not out.is_file():
        return result, []
    with open(out, newline="") as f:
        return result, list(csv.reader(f))


def test_canvas_export_matches_the_roster_and_reports_the_unmatched(course, tmp_path):
    result, rows = _canvas(course, tmp_path, ROSTER)
    assert result.returncode == 1 and "not in the gradebook: fay" in result.stderr  # fay has no gradebook row
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_tiny (5678)", "02_tiny (5679)"]
    assert rows[1] == ["", "", "", "", "", "Manual Posting", ""]  # Canvas's rows above the students, as they were
    assert rows[2] == ["    Points Possible", "", "", "", "", "5", "5.00"]
    body = {r[0]: r[1:] for r in rows[3:]}
    assert body["Lovelace, Ada"] == ["101", "S101", "ada", "Sec 1", "2.4", "2.4"]  # final scores, after the late penalty
    assert body["Bo, Bob"][4:] == ["3", "0"]  # matched by the coursegrad column; worksheet 2 missing: 0
    assert body["Gus, Gustav"][4:] == ["", ""]  # in the roster, no grades: left empty, which Canvas ignores
    assert set(body) == {"Lovelace, Ada", "Bo, Bob", "Cy, Cyril", "Dan, Daniel", "Eve, Evelyn", "Gus, Gustav"}
    bad = cli("export", "canvas", str(course / "grades"), "--roster", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "x"))
    assert bad.returncode != 0 and "no gradebook (Canvas: Grades, Export) at" in bad.stderr


def test_canvas_export_refuses_assignments_that_do_not_match(course, tmp_path):
    without = ROSTER.replace("02_tiny (5679)", "02_tiny_old (5679)")  # a look-alike name is not the assignment
    result, rows = _canvas(course, tmp_path, without)
    assert result.returncode != 0 and rows == [], "a worksheet without its assignment must not become a new column"
    assert "02_tiny: no assignment column" in result.stderr and "01_tiny:" not in result.stderr
    worth_more = ROSTER.replace(",5,5.00,10", ",5,10,10")
    result, _ = _canvas(course, tmp_path, worth_more)
    assert result.returncode != 0 and "02_tiny: '02_tiny (5679)' is worth 10 points in Canvas, the worksheet 5" in result.stderr


def test_help_lists_the_workflow_commands_and_options():
    top = cli("--help")
    assert top.returncode == 0 and all(word in top.stdout for word in ("grade", "merge", "export"))
    grade = cli("grade", "--help").stdout
    for option in ("--due", "--late-penalty", "--extensions", "--only", "--force", "--shard", "--scheduler"):
        assert option in grade, option
    export = cli("export", "--help").stdout
    assert "gradescope" in export and "canvas" in export
    assert "--roster" in cli("export", "canvas", "--help").stdout
