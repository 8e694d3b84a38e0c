"""Hand grades: `OUT/manual.csv`, a sheet to fill for the written answers, folded into the totals.

Grading writes one row per written answer:

    worksheet, student, question, max_points, points, comment, regrade, rubric, answer, answer_sha

Fill `points` (a number from 0 to max_points; `1,5` is read as 1.5) and, if you like, a `comment` for
the student, then rerun `coursegrad grade` (unchanged submissions are not regraded) or `coursegrad merge`:
the points count in the totals, the summary and the feedback (status `hand-graded`), the comment goes
into the feedback. Rows already filled are never lost: a rerun keeps every filled row (including rows of
students no longer in the gradebook) and only adds new ones. The sheet may be saved by Excel or
LibreOffice (`sheets.read`: a byte-order mark, `;` between cells); it is written back the same way.
`rubric` is the question's rubric in the instructor source (`report.rubrics_of`: the answer cell's
`**Rubric` paragraph), so a grader has it beside the answer.

A grade belongs to an answer: `answer_sha` is a fingerprint of the whole answer the row was written for.
When a student hands in a different answer after its row was filled, the row is flagged: `regrade` says
so and what it had, `answer` shows the new answer, and its points do not count (status `regrade`, in the
summary's `regrade` column) until someone grades it again and clears the `regrade` cell.

Whoever rewrites manual.csv holds `locked(out)` (an exclusive lock on `OUT/.manual.lock`) from reading it to
writing it: `fold` here, and the review screen's `hand_grades.save`. A fold during grading never reads a
sheet a save is writing, nor writes back a sheet from before a save (which would lose that grade).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

from coursegrad.grading import sheets
from coursegrad.grading.records import Graded

FIELDS = ["worksheet", "student", "question", "max_points", "points", "comment", "regrade", "rubric", "answer"]
FIELDS += ["answer_sha"]
NAME = "manual.csv"
LOCK = ".manual.lock"


@contextmanager
def locked(out: str | Path):
    """Hold an exclusive lock on `out/.manual.lock` while rewriting manual.csv (POSIX flock; where there is
    none, e.g. Windows, no lock: the re-read just before each write narrows, but does not close, the window)."""
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / LOCK, "a+") as f:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def read(path: str | Path) -> dict[tuple[str, str, str], dict]:
    """The rows of a manual.csv by (worksheet, student, question); {} when there is none."""
    return _read(path)[0]


def _read(path: str | Path) -> tuple[dict[tuple[str, str, str], dict], sheets.Kind]:
    if not Path(path).is_file():
        return {}, sheets.Kind()
    names, rows, kind = sheets.read(path)
    missing = {"worksheet", "student", "question", "points"} - set(names)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}; expected {', '.join(FIELDS)}")
    return {(r["worksheet"], r["student"], r["question"]): r for r in rows}, kind


def points_of(row: dict, max_points: float, where: str) -> float | None:
    """The filled points of a row (None if blank); ValueError if not a number in [0, max_points]."""
    text = (row.get("points") or "").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        raise ValueError(f"{where}: points {text!r} is not a number (write e.g. 1.5, or leave it empty)") from None
    if not 0 <= value <= max_points:
        raise ValueError(f"{where}: points {value:g} outside 0…{max_points:g}")
    return value


def fold(out: str | Path, graded: list[Graded], rubric: dict[str, dict[str, str]], extra: list[dict] = ()) -> int:
    """Apply filled rows of `out/manual.csv` (and `extra` rows, e.g. from merged folders) to `graded`,
    then rewrite manual.csv with every row, filled ones kept. Returns how many hand grades were applied.

    Under `locked(out)` from reading the sheet to writing it: a hand grade saved meanwhile is never lost."""
    with locked(out):
        return _fold(Path(out) / NAME, graded, rubric, extra)


def _fold(path: Path, graded: list[Graded], rubric: dict[str, dict[str, str]], extra: list[dict]) -> int:
    mine, kind = _read(path)
    rows = {**{(r["worksheet"], r["student"], r["question"]): r for r in extra}, **filled(mine)}
    applied = 0
    for g in graded:
        for q in g.submission.questions:
            if q.kind != "manual":
                continue
            key = (g.worksheet, g.student, q.grade_id)
            text = " ".join(rubric.get(g.worksheet, {}).get(q.grade_id, "").split())[:1000]
            fresh = _new_row(g, q, text)
            row = rows.get(key) or fresh
            if row is not fresh and g.submission.status == "graded":
                _follow_the_answer(row, fresh)
            rows[key] = row
            value = points_of(row, q.max_points, f"{path}: {g.worksheet}/{g.student}/{q.grade_id}")
            if g.submission.status != "graded" or value is None:
                continue
            if (row.get("regrade") or "").strip():
                q.points, q.status, q.messages = None, "regrade", []
            else:
                q.points, q.status, applied = value, "hand-graded", applied + 1
                q.messages = [m for m in [(row.get("comment") or "").strip()] if m]
    sheets.write(path, FIELDS, sorted(rows.values(), key=lambda r: (r["worksheet"], r["student"], r["question"])), kind)
    return applied


def _follow_the_answer(row: dict, fresh: dict) -> None:
    """Flag a filled row whose answer is not the one handed in now; show the new answer in it."""
    if row.get("answer_sha"):
        changed = row["answer_sha"] != fresh["answer_sha"]
    else:  # a sheet from before answer_sha: compare the start of the answer it shows
        changed = " ".join((row.get("answer") or "").removeprefix("'").split()) != fresh["answer"]
    if changed and not (row.get("regrade") or "").strip():
        had = f"{row['points'].strip()} points" if (row.get("points") or "").strip() else "a comment"
        row["regrade"] = f"the answer changed after it was graded (it had {had}): grade it again, then clear this cell"
    if changed or not row.get("answer_sha"):
        row.update(answer=fresh["answer"], answer_sha=fresh["answer_sha"])


def filled(rows: dict) -> dict:
    """The rows someone has filled in (points or a comment)."""
    return {k: r for k, r in rows.items() if (r.get("points") or "").strip() or (r.get("comment") or "").strip()}


def answer_sha(text: str) -> str:
    """A fingerprint of a written answer, `sha256:` and 16 hex digits of the hash of its words (a changed layout
    is not a new answer; the prefix keeps a spreadsheet from reading digits like 12e34… as a number)."""
    return "sha256:" + hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def _new_row(g: Graded, q, rubric: str) -> dict:
    written = "" if q.status == "blank" else g.submission.written.get(q.grade_id, "")
    answer = " ".join(written.split())[:300]
    row = {"worksheet": g.worksheet, "student": g.student, "question": q.grade_id, "max_points": f"{q.max_points:g}"}
    row |= {"points": "", "comment": "", "regrade": "", "rubric": rubric, "answer": answer or f"({q.status})"}
    return row | {"answer_sha": answer_sha(written)}
