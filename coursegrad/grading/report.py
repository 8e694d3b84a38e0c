"""Write what grading found: a gradebook CSV, a summary CSV, feedback for each student, written answers.

    out/gradebook.csv        one row per student, worksheet and graded cell: student, worksheet, question,
                             points, max_points, total, max_total, penalty, final, status, reason, notes
    out/summary.csv          one row per student and worksheet: student, worksheet, total, max_auto, max_total,
                             manual_pending, regrade, submitted, late, penalty, final, status, notes
    out/feedback/<student>.md   what each check said, for the student to read (a section per worksheet)
    out/written_answers.md   every student's written answers, question by question, for grading by hand
                             (each question under its rubric, when the instructor source has one)

`total` is the raw score (autograded plus hand-graded points), `penalty` the points taken off for
lateness and `final` what is left (`total − penalty`).

`points` is empty for a written answer still to be graded by hand (`status` "manual"), or to be
graded again because the student handed in a new answer after it was graded (`status` "regrade": the
summary's `regrade` column names those questions, see `manual.py`); `total` is the sum of the points so
far. `reason` says why a question lost points; `notes` lists what
was unusual about the submission as a whole (moved or deleted cells, errors, time-outs, ...).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from coursegrad.grading.escape import csv_cell, file_name, md_block, md_inline
from coursegrad.grading.model import Question, Submission
from coursegrad.grading.records import Graded

GRADEBOOK_FIELDS = ["student", "worksheet", "question", "points", "max_points", "total", "max_total", "penalty", "final"]
GRADEBOOK_FIELDS += ["status", "reason", "notes"]
SUMMARY_FIELDS = ["student", "worksheet", "total", "max_auto", "max_total", "manual_pending", "regrade", "submitted"]
SUMMARY_FIELDS += ["late", "penalty", "final", "status", "notes"]


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def reason(q: Question) -> str:
    """Why a question has the points it has, in one line ('' when it passed)."""
    if q.status == "passed":
        return ""
    if q.status == "manual":
        return "to be graded by hand"
    if q.status == "regrade":
        return "to be graded by hand again: the answer changed after it was graded"
    if q.status == "blank":
        return "not answered"
    lines = [m for m in q.messages if not m.startswith("✓")]
    return " / ".join(line.replace("\n", " / ") for line in lines)[:500]


def gradebook_rows(graded: list[Graded]) -> list[dict]:
    rows = []
    for g in graded:
        sub = g.submission
        each = {"worksheet": g.worksheet, "student": sub.student, "total": _num(sub.total), "max_total": _num(sub.max_total)}
        each.update(penalty=_num(sub.total - g.final), final=_num(g.final), notes="; ".join(sub.notes))
        for q in sub.questions:
            rows.append({**each, "question": q.grade_id, "points": _num(q.points), "max_points": _num(q.max_points)})
            rows[-1].update(status=q.status, reason=reason(q))
    return rows


def summary_rows(graded: list[Graded]) -> list[dict]:
    rows = []
    for g in graded:
        s = g.submission
        rows.append({"worksheet": g.worksheet, "student": s.student, "total": _num(s.total), "max_auto": _num(s.max_auto)})
        pending = [q for q in s.questions if q.status in PENDING]
        rows[-1].update(max_total=_num(s.max_total), manual_pending=len(pending))
        rows[-1].update(regrade=" ".join(q.grade_id for q in pending if q.status == "regrade"))
        rows[-1].update(submitted=g.submitted, late=g.late, penalty=_num(s.total - g.final), final=_num(g.final))
        rows[-1].update(status=s.status, notes="; ".join([s.sandbox] * bool(s.sandbox) + s.notes))
    return rows


def write_all(results: list[Submission], out_dir: str | Path, worksheet: str, rubrics: dict[str, str] | None = None) -> Path:
    """Write the gradebook, summary, feedback files and written answers (with `rubrics`, see `rubrics_of`) into `out_dir`."""
    return write_graded([Graded(worksheet, s) for s in results], out_dir, {worksheet: rubrics or {}})


def write_graded(graded: list[Graded], out_dir: str | Path, rubrics: dict[str, dict[str, str]] | None = None) -> Path:
    """Write the gradebook, summary, feedback and written answers of every worksheet into `out_dir`.

    `rubrics`: worksheet -> its `rubrics_of`, shown above each question's written answers."""
    out = Path(out_dir)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    _write_csv(out / "gradebook.csv", GRADEBOOK_FIELDS, gradebook_rows(graded))
    _write_csv(out / "summary.csv", SUMMARY_FIELDS, summary_rows(graded))
    by_student: dict[str, list[Graded]] = {}
    for g in graded:
        by_student.setdefault(g.student, []).append(g)
    names = feedback_names(list(by_student))
    for student, theirs in by_student.items():
        text = "\n".join(feedback(g.submission, g.worksheet, g) for g in theirs)
        (out / "feedback" / f"{names[student]}.md").write_text(text, encoding="utf-8")
    by_worksheet: dict[str, list[Submission]] = {}
    for g in graded:
        by_worksheet.setdefault(g.worksheet, []).append(g.submission)
    text = "\n".join(written_answers(subs, ws, (rubrics or {}).get(ws)) for ws, subs in by_worksheet.items())
    (out / "written_answers.md").write_text(text, encoding="utf-8")
    return out


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)


def safe_name(student: str) -> str:
    """The file name (without .md) of a student's stored record: unique per student on any file system (`escape.file_name`)."""
    return file_name(student)


_READABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$")


def feedback_names(students: list[str]) -> dict[str, str]:
    """student -> the file name (without .md) of their feedback: the folder's own name when it is letters,
    digits, `_` and `-` (capitals included) and no other student's name differs from it only in case;
    else `escape.file_name` (readable part and hash), so two students never share a file on any file system."""
    folded: dict[str, int] = {}
    for s in students:
        folded[s.lower()] = folded.get(s.lower(), 0) + 1
    plain = {s: bool(_READABLE.match(s)) and len(s) <= 80 and folded[s.lower()] == 1 for s in students}
    names = {s: s if plain[s] else file_name(s) for s in students}
    taken = {n.lower() for s, n in names.items() if plain[s]}
    return {s: n if plain[s] or n.lower() not in taken else file_name(s + "\0") for s, n in names.items()}


_MARK = {"passed": "✓", "partial": "◐", "manual": "✎", "regrade": "✎", "hand-graded": "✎", "blank": "✗"}
PENDING = ("manual", "regrade")  # written answers whose points are still to be given by hand


def feedback(s: Submission, worksheet: str, g: Graded | None = None) -> str:
    """The feedback a student reads: points per question and what each check said.

    Everything a student's code printed, and every name that comes from the submission, is
    escaped (`escape.md_inline`, `escape.md_block`): it cannot close a block, make a heading or
    inject HTML.
    """
    lines = [f"# Feedback on {md_inline(worksheet)}: {md_inline(s.student)}", ""]
    pending = [q for q in s.questions if q.status in PENDING]
    if any(q.status == "hand-graded" for q in s.questions):
        lines.append(f"**Points: {s.total:g} / {s.max_total:g}** (written answers graded by hand included).")
    else:
        lines.append(f"**Autograded: {s.total:g} / {s.max_auto:g} points.**")
    if pending:
        lines.append(f"Written answers ({sum(q.max_points for q in pending):g} points) are graded by hand.")
    if g is not None and g.late:
        lines.append(f"Late: {md_inline(g.late)}. **After the late penalty: {g.final:g} points.**")
    if s.notes:
        lines += ["", "About your submission:", ""] + [f"- {md_inline(n)}" for n in s.notes]
    title = None
    for q in s.questions:
        if q.title != title:
            title = q.title
            lines += ["", f"## {title}", ""]  # the instructor's own heading
        points = "to be graded" if q.points is None else f"{q.points:g} / {q.max_points:g}"
        lines.append(f"- {_MARK.get(q.status, '✗')} `{q.grade_id}`: {points} ({q.status})")
        said = [m.removeprefix("AssertionError: ") for m in q.messages if s.status == "graded" or m not in s.notes]
        if said:
            lines += ["", *md_block("\n".join(said), "    "), ""]
    return "\n".join(lines) + "\n"


def rubrics_of(source: Any) -> dict[str, str]:
    """grade_id -> rubric of each written answer in the instructor notebook `source` (a path or notebook).

    A rubric is the part of the instructor's answer cell from its `**Rubric` line up to its
    `**Model answer` line (see worksheets/README.md); cells without one are left out.
    """
    from coursegrad.grading import cells as C
    from coursegrad.grading.release import read

    nb = read(source) if isinstance(source, (str, Path)) else source
    out = {}
    for cell in nb.cells:
        text = cell.source
        if C.is_manual(cell) and "**Rubric" in text:
            out[C.grade_id(cell)] = text[text.index("**Rubric") :].split("**Model answer")[0].strip()
    return out


def written_answers(results: list[Submission], worksheet: str, rubrics: dict[str, str] | None = None) -> str:
    """Every student's written answers, grouped by question, for grading by hand (shown verbatim, inert).

    Each question starts with its rubric from the instructor source (`rubrics`, see `rubrics_of`), if it has one.
    """
    ids = [q.grade_id for q in results[0].questions if q.kind == "manual"] if results else []
    lines = [f"# Written answers: {md_inline(worksheet)}", ""]
    lines.append("Enter the points in manual.csv, then run coursegrad grade (or merge) again.")
    for gid in ids:
        lines += ["", f"## {gid}", ""]  # grade_ids are letters, digits, _ and -
        if rubrics and gid in rubrics:
            lines += [rubrics[gid], ""]  # the instructor's own text
        for s in results:
            text = s.written.get(gid)
            shown = "(not answered)" if text is None or not text.strip() or s.status != "graded" else text.strip()
            lines += [f"### {md_inline(s.student)}", "", *md_block(shown), ""]
    return "\n".join(lines) + "\n"
