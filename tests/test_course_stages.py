"""The course stages after grading, without a kernel: shards, late penalties, records, hand grades (and their
regrade flag), the copying signal, the stored settings and the sheets an instructor edits in a spreadsheet."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from coursegrad.grading import late, manual, records, settings, shard, sheets, similarity
from coursegrad.grading.grade import Question, Submission
from coursegrad.grading.records import Graded

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)


def written(student: str, answer: str, status: str = "graded") -> Graded:
    """A record with one autograded question (2 of 3 points) and one written answer (2 points)."""
    qs = [
        Question("q1_test", "Question 1", "auto", 3.0, 2.0, "partial"),
        Question("q3_answer", "Question 3", "manual", 2.0, None, "manual"),
    ]
    return Graded("01_tiny", Submission(student, qs, status=status, written={"q3_answer": answer}))


def test_shards_are_disjoint_and_cover_the_class():
    students = ["eve", "ada", "cy", "bo", "dan", "fay", "gus"]
    shares = [shard.select(students, k, 3) for k in (1, 2, 3)]
    assert shares == [["ada", "dan", "gus"], ["bo", "eve"], ["cy", "fay"]]  # every third, in sorted order
    assert shard.parse("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "1-3"):
        with pytest.raises(ValueError, match="--shard"):
            shard.parse(bad)


def test_late_assessment_counts_started_units_from_the_due_date():
    policy = late.parse_policy("10%/day,max=50%")
    assert late.assess(None, policy, DUE + timedelta(days=3), "timestamp.txt") == ("", 0.0)  # no due date: never late
    assert late.assess(DUE, policy, DUE, "timestamp.txt") == ("", 0.0)  # on the minute: on time
    text, fraction = late.assess(DUE, policy, DUE + timedelta(hours=25), "file modification time")
    assert fraction == pytest.approx(0.2) and text == "1.0 days late (by file modification time): −20% (10%/day,max=50%)"
    assert late.assess(DUE, policy, DUE + timedelta(days=30), "timestamp.txt")[1] == pytest.approx(0.5)
    assert late.assess(DUE, late.parse_policy("zero"), DUE + timedelta(minutes=1), "timestamp.txt")[1] == 1.0


def test_extensions_are_read_checked_and_turned_into_dates(tmp_path):
    path = tmp_path / "ext.csv"
    path.write_text("student,due,worksheet\nbo,2026-03-05 23:59 UTC,\n,,\ncy,2026-03-04T12:00+01:00,02_tiny.ipynb\n")
    rows = late.read_extensions(path)  # the empty line is skipped; .ipynb dropped
    assert rows == [
        {"student": "bo", "worksheet": "", "due": "2026-03-05T23:59:00+00:00"},
        {"student": "cy", "worksheet": "02_tiny", "due": "2026-03-04T12:00:00+01:00"},
    ]
    assert late.extension_dates(rows)[("02_tiny", "cy")] == datetime(2026, 3, 4, 11, tzinfo=timezone.utc)
    assert late.unknown_in_extensions(rows, {"bo", "cy"}, {"01_tiny", "02_tiny"}) == []
    assert late.unknown_in_extensions(rows, {"cy"}, {"01_tiny"}) == [
        "student 'bo' (no such student folder)",
        "worksheet '02_tiny' of cy (no such worksheet)",
    ]
    path.write_text("student,due\nbo,2026-03-05 23:59 UTC\nbo,2026-03-06 23:59 UTC\n")
    with pytest.raises(ValueError, match="line 3: a second row for bo"):
        late.read_extensions(path)
    path.write_text("student,due\n,2026-03-06 23:59 UTC\n")
    with pytest.raises(ValueError, match="line 2: no student"):
        late.read_extensions(path)
    path.write_text("student,due\nbo,tomorrow\n")
    with pytest.raises(ValueError, match="line 2: due 'tomorrow' is not a date"):
        late.read_extensions(path)


def test_a_record_reads_back_as_it_was_written(tmp_path):
    g = written("Ada Lovelace", "The chain rule.")
    g.checksums, g.submitted, g.late, g.penalty = {"submission": "ab", "source": "cd"}, "2026-03-02T00:00:00+00:00", "late", 0.1
    g.answers = {"q1_answer": {"lost": True, "values": {"x": 3.0}}}
    path = records.save(tmp_path, g)
    assert path == records.path_of(tmp_path, "01_tiny", "Ada Lovelace") and records.load(path) == g
    records.save(tmp_path, written("bo", ""))
    assert [r.student for r in records.load_all(tmp_path)] == ["Ada Lovelace", "bo"]
    assert records.load(path).final == pytest.approx(2.0 * 0.9)
    path.write_text(json.dumps({"worksheet": "01_tiny"}))
    with pytest.raises(ValueError, match="not a coursegrad result record"):
        records.load(path)


def test_hand_grades_fold_in_and_a_changed_answer_is_flagged(tmp_path):
    manual.fold(tmp_path, [written("ada", "The chain rule.")], {})
    rows = manual.read(tmp_path / manual.NAME)
    rows["01_tiny", "ada", "q3_answer"]["points"] = "1.5"
    sheets.write(tmp_path / manual.NAME, manual.FIELDS, list(rows.values()))
    g = written("ada", "The   chain\nrule.")  # the same words: the same answer
    assert manual.fold(tmp_path, [g], {}) == 1 and (g.submission.total, g.submission.questions[1].status) == (3.5, "hand-graded")
    g = written("ada", "Local gradients multiply.")  # handed in again, with another answer
    assert manual.fold(tmp_path, [g], {}) == 0
    q = g.submission.questions[1]
    assert (q.points, q.status, g.submission.total) == (None, "regrade", 2.0)
    row = manual.read(tmp_path / manual.NAME)["01_tiny", "ada", "q3_answer"]
    assert row["regrade"].startswith("the answer changed after it was graded (it had 1.5 points)")
    assert (row["points"], row["answer"], row["answer_sha"]) == (
        "1.5",
        "Local gradients multiply.",
        manual.answer_sha("Local gradients multiply."),
    )
    assert manual.fold(tmp_path, [written("ada", "Local gradients multiply.")], {}) == 0  # stays flagged until cleared
    row["regrade"] = ""
    sheets.write(tmp_path / manual.NAME, manual.FIELDS, [row])
    g = written("ada", "Local gradients multiply.")
    assert manual.fold(tmp_path, [g], {}) == 1 and g.submission.total == 3.5


def test_a_sheet_from_before_answer_sha_is_compared_by_its_answer(tmp_path):
    old = ["worksheet", "student", "question", "max_points", "points", "comment", "rubric", "answer"]
    row = {"worksheet": "01_tiny", "student": "ada", "question": "q3_answer", "max_points": "2", "points": "2"}
    sheets.write(tmp_path / manual.NAME, old, [row | {"comment": "", "rubric": "", "answer": "The chain rule."}])
    assert manual.fold(tmp_path, [written("ada", "The chain rule.")], {}) == 1  # the same answer: applied, fingerprinted
    assert manual.read(tmp_path / manual.NAME)["01_tiny", "ada", "q3_answer"]["answer_sha"] == manual.answer_sha(
        "The chain rule."
    )
    sheets.write(tmp_path / manual.NAME, old, [row | {"comment": "", "rubric": "", "answer": "Something else."}])
    g = written("ada", "The chain rule.")
    assert manual.fold(tmp_path, [g], {}) == 0 and g.submission.questions[1].status == "regrade"


def test_a_missing_notebook_keeps_its_hand_grade_unflagged(tmp_path):
    manual.fold(tmp_path, [written("ada", "The chain rule.")], {})
    rows = manual.read(tmp_path / manual.NAME)
    rows["01_tiny", "ada", "q3_answer"]["points"] = "2"
    sheets.write(tmp_path / manual.NAME, manual.FIELDS, list(rows.values()))
    assert manual.fold(tmp_path, [written("ada", "", status="missing")], {}) == 0  # nothing to compare: kept as it is
    assert manual.read(tmp_path / manual.NAME)["01_tiny", "ada", "q3_answer"]["regrade"] == ""


def test_similarity_pairs_same_wrong_numbers_but_not_common_mistakes():
    def answers(q1: float, q2: float, lost: bool = True) -> dict:
        return {"q1_answer": {"lost": lost, "values": {"x": q1}}, "q2_answer": {"lost": lost, "values": {"z": q2}}}

    class_ = {"dan": answers(3.0, 8.0), "eve": answers(3.0, 8.0), "fay": answers(2.0, 1.0), "ada": answers(2.5, 7.0, lost=False)}
    class_ |= {"gus": answers(2.5, 7.0, lost=False)}  # right answers are shared by design: never a pair
    assert similarity.pairs(class_) == [("dan", "eve", ["q1_answer", "q2_answer"])]
    everyone = {f"s{i}": answers(3.0, 8.0) for i in range(8)}  # a mistake the whole class makes says nothing
    assert similarity.pairs(everyone) == []


def test_settings_kept_changed_and_compared(tmp_path):
    given = {"due": "2026-03-01T23:59:00+00:00", "late_penalty": "10%/day", "timeout": 10.0}
    values, kept, changed = settings.combine(given, None)
    assert (values["timeout"], values["memory_mb"], kept, changed) == (10.0, 4096, [], [])
    settings.save(tmp_path / "a", values)
    stored = settings.load(tmp_path / "a")
    values, kept, changed = settings.combine({"late_penalty": "5%/day", "timeout": 10.0}, stored)
    assert kept == ["--due 2026-03-01T23:59:00+00:00"]  # the timeout was given again, unchanged: neither
    assert changed == ["--late-penalty 5%/day (was 10%/day)"] and values["due"] == stored["due"]
    settings.save(tmp_path / "b", values)
    (tmp_path / "c").mkdir()
    assert settings.differences([tmp_path / "a", tmp_path / "a"]) == []
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert settings.differences([a, b]) == [f"--late-penalty: 10%/day in {a}; 5%/day in {b}"]
    with_c = settings.differences([a, b, c])  # c has no settings.json: every setting differs
    assert len(with_c) == len(settings.DEFAULTS) and f"--timeout: 10 in {a}, {b}; (no settings.json) in {c}" in with_c
    (tmp_path / "a" / settings.NAME).write_text('{"colour": "red"}')
    with pytest.raises(ValueError, match="not a coursegrad settings file"):
        settings.load(tmp_path / "a")


def test_sheets_are_read_as_spreadsheets_save_them(tmp_path):
    path = tmp_path / "s.csv"
    for text, delimiter in (("a;b\r\n1,5;x\r\n", ";"), ("a\tb\n1.5\tx\n", "\t"), ("a,b\n1.5,x\n", ",")):
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        names, rows, kind = sheets.read(path)
        assert (names, rows[0]["b"], kind) == (["a", "b"], "x", sheets.Kind(delimiter, True))
    path.write_bytes("student,due\nJosé,2026\n".encode("cp1252"))
    with pytest.raises(ValueError, match="not UTF-8 text: save it as 'CSV UTF-8'"):
        sheets.read(path)
    sheets.write(path, ["a", "b"], [{"a": "=1+1", "b": "x"}], sheets.Kind(";", True))
    assert path.read_bytes() == b"\xef\xbb\xbfa;b\r\n'=1+1;x\r\n"  # no formula runs in the spreadsheet
