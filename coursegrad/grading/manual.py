"""Hand grades: `OUT/manual.csv`, a sheet to fill for the written answers, folded into the totals.

Grading writes one row per written answer:

    worksheet, student, question, max_points, points, comment, rubric, answer

Fill `points` (a number from 0 to max_points) and, if you like, a `comment` for the student, then
rerun `coursegrad grade` (unchanged submissions are not regraded) or `coursegrad merge`: the points
count in the totals, the summary and the feedback (status `hand-graded`), the comment goes into the
feedback. Rows already filled are never lost: a rerun keeps
every filled row (including rows of students no longer in the gradebook) and only adds new ones.
`rubric` is the question's rubric in the instructor source (`report.rubrics_of`: the answer cell's
`**Rubric` paragraph), so a grader has it beside the answer.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from coursegrad.grading.escape import csv_cell
from coursegrad.grading.records import Graded

FIELDS = ["worksheet", "student", "question", "max_points", "points", "comment", "rubric", "answer"]
NAME = "manual.csv"


def read(path: str | Path) -> dict[tuple[str, str, str], dict]:
    """The rows of a manual.csv by (worksheet, student, question); {} when there is none."""
    if not Path(path).is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"worksheet", "student", "question", "points"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}; expected {', '.join(FIELDS)}")
        return {(r["worksheet"], r["student"], r["question"]): r for r in reader}


def points_of(row: dict, max_points: float, where: str) -> float | None:
    """The filled points of a row (None if blank); ValueError if not a number in [0, max_points]."""
    text = (row.get("points") or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: points {text!r} is not a number (write e.g. 1.5, or leave it empty)") from None
    if not 0 <= value <= max_points:
        raise ValueError(f"{where}: points {value:g} outside 0…{max_points:g}")
    return value


def fold(out: str | Path, graded: list[Graded], rubric: dict[str, dict[str, str]], extra: list[dict] = ()) -> int:
    """Apply filled rows of `out/manual.csv` (and `extra` rows, e.g. from merged folders) to `graded`,
    then rewrite manual.csv with every row, filled ones kept. Returns how many hand grades were applied."""
    path = Path(out) / NAME
    rows = {**{(r["worksheet"], r["student"], r["question"]): r for r in extra}, **filled(read(path))}
    applied = 0
    for g in graded:
        for q in g.submission.questions:
            if q.kind != "manual":
                continue
            key = (g.worksheet, g.student, q.grade_id)
            text = " ".join(rubric.get(g.worksheet, {}).get(q.grade_id, "").split())[:1000]
            row = rows.get(key) or _new_row(g, q, text)
            rows[key] = row
            value = points_of(row, q.max_points, f"{path}: {g.worksheet}/{g.student}/{q.grade_id}")
            if value is not None and g.submission.status == "graded":
                q.points, q.status, applied = value, "hand-graded", applied + 1
                q.messages = [m for m in [(row.get("comment") or "").strip()] if m]
    _write(path, sorted(rows.values(), key=lambda r: (r["worksheet"], r["student"], r["question"])))
    return applied


def filled(rows: dict) -> dict:
    """The rows someone has filled in (points or a comment)."""
    return {k: r for k, r in rows.items() if (r.get("points") or "").strip() or (r.get("comment") or "").strip()}


def _new_row(g: Graded, q, rubric: str) -> dict:
    answer = "" if q.status == "blank" else " ".join(g.submission.written.get(q.grade_id, "").split())[:300]
    row = {"worksheet": g.worksheet, "student": g.student, "question": q.grade_id, "max_points": f"{q.max_points:g}"}
    return {**row, "points": "", "comment": "", "rubric": rubric, "answer": answer or f"({q.status})"}


def _write(path: Path, rows: list[dict]) -> None:
    """Write atomically, so an interrupted run never leaves a half-written sheet of hand grades."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)  # no formulas from student text
    os.replace(tmp, path)
