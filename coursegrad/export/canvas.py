"""A CSV that Canvas's gradebook import accepts: the gradebook's identity columns, then one column per worksheet.

    Student, ID, SIS User ID, SIS Login ID, Section, 01_backprop_worksheet, 02_write_backprop
        Points Possible, , , , , 23, 30
    "Lovelace, Ada", 1234, ada01, ada, Section 1, 20.7, 30

The rows come from Canvas's own gradebook export (Grades → Export), the dependable way to get its identity
columns exactly as Canvas wants them back. Each student of the grades is found in it by who they are in the
LMS, no roster file needed, when they came from an LMS zip (`coursegrad grade submissions.zip`; the ids are in
`grades/lms/<zip>/students.csv`, `desk/lms.py`): a Canvas "Download Submissions" student by the Canvas user
id (the `ID` column), a Gradescope "Export Submissions" student by the `sid` (SIS User ID, else SIS Login ID),
else the e-mail (SIS Login ID). A column `column` of the gradebook (e.g. a column `coursegrad` you add)
holding a folder name matches that folder first; a folder not from an LMS zip is matched against SIS Login ID,
SIS User ID, ID, then Student (case-insensitively). Each worksheet's column is the gradebook's column for the
assignment named after it (Canvas names it `01_backprop_worksheet (5678)`), so the import updates that
assignment; a worksheet without one, or whose assignment is worth other points, is an error (never a new
assignment by accident). The rows Canvas puts above the students ("Manual Posting" for an assignment whose
grades are posted by hand, "    Points Possible") are kept as they are. The score is `final` (after late
penalties, with hand grades folded in). Students of the grades not in the gradebook are returned, each said
with the ids sought (the command names them and exits 1: their scores are not in the CSV); two folders
that land on one student's cell are an error (one score would hide the other); gradebook rows without grades
keep empty cells, which Canvas ignores.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FALLBACK_KEYS = ["SIS Login ID", "SIS User ID", "ID", "Student"]


def _read(path: str | Path, what: str) -> list[dict]:
    if not Path(path).is_file():
        raise ValueError(f"no {what} at {path}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _summary(grades: str | Path) -> list[dict]:
    path = Path(grades) / "summary.csv" if Path(grades).is_dir() else Path(grades)
    rows = _read(path, "summary.csv (the output of coursegrad grade)")
    if rows and not {"worksheet", "student", "final", "max_total"} <= set(rows[0]):
        raise ValueError(f"{path} has no worksheet/student/final columns: grade again with this version of coursegrad")
    return rows


def _index(roster: list[dict], key: str) -> dict[str, dict]:
    """The gradebook's rows by the value of column `key` (stripped, lower case); rows without one left out."""
    return {(row.get(key) or "").strip().lower(): row for row in roster if (row.get(key) or "").strip()}


def _matcher(roster: list[dict], column: str, identities: dict[str, dict]):
    """A function: folder name -> (gradebook row or None, who was sought: the folder, with its LMS ids)."""
    if not roster or "Student" not in roster[0]:
        raise ValueError("the gradebook needs Canvas's columns " + ", ".join(IDENTITY) + " (export it from Canvas)")
    by = {key: _index(roster, key) for key in [column, *FALLBACK_KEYS] if key in roster[0]}

    def match(folder: str) -> tuple[dict | None, str]:
        name = folder.strip().lower()
        if name in by.get(column, {}):
            return by[column][name], folder
        who = identities.get(folder)
        if who is None:  # not from an LMS zip: its folder name is all there is
            return next((by[k][name] for k in FALLBACK_KEYS if name in by.get(k, {})), None), folder
        sought = _lms_ids(who)
        for key, value in sought:
            if value.lower() in by.get(key, {}):
                return by[key][value.lower()], folder
        said = ", ".join(f"{key} {value}" for key, value in sought) or "no id"
        return None, f"{folder} ({who.get('name') or folder}, from {who.get('lms') or 'an LMS'} zip; sought as {said})"

    return match


def _lms_ids(who: dict) -> list[tuple[str, str]]:
    """(gradebook column, value) pairs that identify a student of an LMS zip, the surest first."""
    if who.get("lms") == "canvas":
        return [("ID", who["user_id"])] if who.get("user_id") else []
    sid, email = who.get("sid", ""), who.get("email", "")
    pairs = [("SIS User ID", sid), ("SIS Login ID", sid), ("SIS Login ID", email)]
    return [(key, value) for key, value in pairs if value]


def export(grades: str | Path, roster_path: str | Path, out: str | Path, column: str = "coursegrad") -> list[str]:
    """Write the Canvas CSV to `out`; returns the students of the grades who are not in the gradebook.

    ValueError when a worksheet has no assignment column in the gradebook, or one worth other points, or when
    two students of the grades land on one gradebook row for the same worksheet."""
    from coursegrad.desk import lms

    summary = _summary(grades)
    rows = _read(roster_path, "gradebook (Canvas: Grades, Export)")
    special = [r for r in rows if _special(r)]  # Canvas's "Manual Posting" and "Points Possible" rows
    roster = [r for r in rows if not _special(r)]
    folder = Path(grades) if Path(grades).is_dir() else Path(grades).parent
    match = _matcher(roster, column, lms.students(folder))
    possible = {r["worksheet"]: r["max_total"] for r in summary}
    header = _columns(list(rows[0]), possible, next((r for r in special if _kind(r) == "Points Possible"), None))
    worksheets = sorted(possible)
    scores, unmatched = _scores(summary, match, header)
    if not any(_kind(r) == "Points Possible" for r in special):  # a gradebook written by hand: Canvas's row, ours
        special.append({"Student": "    Points Possible", **{header[ws]: possible[ws] for ws in worksheets}})
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(IDENTITY + [header[ws] for ws in worksheets])
        for row in special:  # kept as they are, in Canvas's order, before the students
            writer.writerow([row.get(k) or "" for k in IDENTITY] + [row.get(header[ws]) or "" for ws in worksheets])
        for row in roster:
            given = scores.get(id(row), {})
            writer.writerow([row.get(k, "") for k in IDENTITY] + [given.get(header[ws], ("", ""))[1] for ws in worksheets])
    return sorted(set(unmatched))


def _scores(summary: list[dict], match, header: dict[str, str]) -> tuple[dict, list[str]]:
    """(id(gradebook row) -> {assignment column: (folder, final score)}, the students found in no row);
    ValueError naming the folders that land on one row for one worksheet."""
    scores: dict[int, dict[str, tuple[str, str]]] = {}
    unmatched, clashes = [], []
    for r in summary:
        row, who = match(r["student"])
        if row is None:
            unmatched.append(who)
            continue
        cells = scores.setdefault(id(row), {})
        before = cells.get(header[r["worksheet"]])
        if before is not None and before[0] != r["student"]:
            clashes.append(f"{before[0]} and {r['student']} are both {row.get('Student')!r} for {r['worksheet']}")
        cells[header[r["worksheet"]]] = (r["student"], r["final"])
    if clashes:
        listed = "\n  ".join(clashes)
        raise ValueError(f"two students of the grades match one gradebook row:\n  {listed}\nkeep one folder per student")
    return scores, unmatched


def _kind(row: dict) -> str:
    """ "Points Possible" or "Manual Posting" for those rows of Canvas's export, "" for a student."""
    if (row.get("Student") or "").strip() == "Points Possible":
        return "Points Possible"
    identity = any((row.get(k) or "").strip() for k in IDENTITY)
    return "Manual Posting" if not identity and any("Manual Posting" in (v or "") for v in row.values()) else ""


def _special(row: dict) -> bool:
    return _kind(row) != ""


def _columns(names: list[str], possible: dict[str, str], points_row: dict | None) -> dict[str, str]:
    """worksheet -> its assignment column in the roster: named as the worksheet, or that and Canvas's
    ` (id)`; ValueError listing the worksheets without one, or whose assignment has other points."""
    header, problems = {}, []
    for ws, points in sorted(possible.items()):
        found = [h for h in names if h == ws or re.fullmatch(re.escape(ws) + r" \(\d+\)", h)]
        if len(found) != 1:
            problems.append(f"{ws}: {'no assignment column' if not found else 'several columns: ' + ', '.join(found)}")
            continue
        header[ws] = found[0]
        stated = ((points_row or {}).get(found[0]) or "").strip()
        if stated and _number(stated) != _number(points):
            problems.append(f"{ws}: {found[0]!r} is worth {stated} points in Canvas, the worksheet {points}")
    if problems:
        listed = "\n  ".join(problems)
        raise ValueError(
            f"the gradebook's assignments do not match the worksheets:\n  {listed}\nin Canvas, give each worksheet an "
            "assignment named after it (e.g. 01_backprop_worksheet) worth the worksheet's points, export the gradebook again"
        )
    return header


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
