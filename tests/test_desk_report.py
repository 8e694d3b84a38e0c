"""grades/report.html: written by every grade run, self-contained, its numbers those of gradebook.csv.

The browser test (tests/browser/test_browser_report.py) opens the page in Chromium and runs axe-core.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from workflow_helpers import desk_graded

from coursegrad.desk import class_stats
from coursegrad.desk.report_html import render

pytest.importorskip("matplotlib")


class Tables(HTMLParser):
    """The text of every table cell, by table id; and every src/href of the page."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.links += [a[k] for k in ("src", "href") if k in a]
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None


def parsed(path: Path) -> Tables:
    t = Tables()
    t.feed(path.read_text(encoding="utf-8"))
    return t


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return desk_graded(tmp_path_factory) / "grades"


def gradebook(out: Path) -> list[dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_grade_run_writes_a_self_contained_report(graded):
    page = parsed(graded / "report.html")
    assert page.links, "the page has its figures and links"
    outside = [link for link in page.links if not (link.startswith("data:image/png;base64,") or link.startswith("#"))]
    assert outside == [], "the report loads nothing from outside the file"
    assert sum(link.startswith("data:image/png") for link in page.links) >= 3  # scores, shares, times


def test_question_table_matches_the_gradebook(graded):
    rows = [r for r in gradebook(graded) if r["status"] != "missing"]
    table = parsed(graded / "report.html").tables["ws-01-tiny-questions"]
    assert table[0][:3] == ["Question", "Max points", "Mean points"]
    shown = {r[0]: r for r in table[1:]}
    assert sorted(shown) == sorted({r["question"] for r in rows})
    for question, cells in shown.items():
        points = [float(r["points"]) for r in rows if r["question"] == question and r["points"]]
        mean = f"{sum(points) / len(points):.2f}" if points else ""
        assert cells[2] == mean, question
        full = sum(p == float(cells[1]) for p in points)
        assert cells[3].startswith(f"{full} ("), (question, cells)
    # ann, ben: full marks on q1 and q2; cat, dov, eli lost x and z; fin blank
    assert shown["q2_test"][3:6] == ["2 (33%)", "0 (0%)", "4 (67%)"]
    assert shown["q1_test"][3:6] == ["2 (33%)", "3 (50%)", "1 (17%)"]
    assert shown["q3_answer"][6] == "5"  # five written answers to grade, fin's is blank (0 points)


def test_the_most_common_wrong_values_are_counted(graded):
    table = parsed(graded / "report.html").tables["ws-01-tiny-wrong"]
    rows = {(r[0], r[1], r[2]): r[3] for r in table[1:]}
    assert rows[("q1_test", "x", "3")] == "3"  # cat, dov and eli
    assert rows[("q2_test", "z", "8")] == "3"
    assert not any(item == "y" and value == "-1" for _, item, value in rows), "a right value is not listed as wrong"
    assert any(value.startswith("error: ") and n == "1" for (_, _, value), n in rows.items()), "fin's unanswered x"


def test_late_work_time_and_copying_pairs_are_listed(graded):
    tables = parsed(graded / "report.html").tables
    late = tables["ws-01-tiny-late"]
    assert [r[0] for r in late[1:]] == ["ben"]
    summary = {r["student"]: r for r in csv.DictReader(open(graded / "summary.csv", encoding="utf-8"))}
    assert late[1][4] == summary["ben"]["final"] and float(summary["ben"]["penalty"]) > 0
    assert len(tables["ws-01-tiny-time"]) - 1 == 6
    pairs = {(r[0], r[1]) for r in tables["ws-01-tiny-pairs"][1:]}
    assert pairs == {("cat", "dov"), ("cat", "eli"), ("dov", "eli")}


def test_names_and_values_from_submissions_are_escaped():
    q = class_stats.QuestionStats("q1", 1.0, 1, 0.0, 0, 0, 1, wrong={"x": [("'<script>alert(1)</script>'", 1)]})
    ws = class_stats.WorksheetStats("w<b>", 1.0, {"<img src=x onerror=alert(1)>": 0.0}, [], [q], [], {}, [])
    page = render([ws])
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page


def test_missing_students_are_not_counted_as_zeros(tmp_path):
    (tmp_path / "summary.csv").write_text(
        "student,worksheet,total,max_auto,max_total,manual_pending,regrade,submitted,late,penalty,final,status,notes\n"
        "a,w,3,3,5,0,,,,0,3,graded,\nb,w,0,3,5,0,,,,0,0,missing,\n"
    )
    (tmp_path / "gradebook.csv").write_text(
        "student,worksheet,question,points,max_points,total,max_total,penalty,final,status,reason,notes\n"
        "a,w,q,3,3,3,5,0,3,passed,,\nb,w,q,0,3,0,5,0,0,missing,,\n"
    )
    [ws] = class_stats.read(tmp_path)
    assert ws.missing == ["b"] and ws.finals == {"a": 3.0}
    assert ws.questions[0].mean == 3.0 and ws.questions[0].count == 1
    assert re.search(r"1 submissions, 1 missing", render([ws]))


def test_shown_values_are_short_and_rounded():
    assert class_stats.shown({"value": 0.123456789}) == "0.1235"
    assert class_stats.shown({"value": [1.0, 2.5]}) == "[1, 2.5]"
    assert class_stats.shown({"error": "NameError: x"}) == "error: NameError: x"
    assert len(class_stats.shown({"value": "a" * 500})) == class_stats.SHOWN_CHARS
