"""Write what grading found: a gradebook CSV, a summary CSV, feedback for each student, written answers.

    out/gradebook.csv        one row per student and graded cell:
                             student, question, points, max_points, total, max_total, status, reason, notes
    out/summary.csv          one row per student: student, total, max_auto, max_total, manual_pending, status, notes
    out/feedback/<student>.md   what each check said, for the student to read
    out/written_answers.md   every student's written answers, question by question, for grading by hand
                             (each question under its rubric, when the instructor source has one)

`points` is empty for a written answer still to be graded by hand (`status` "manual"); `total`
is the sum of the points so far. `reason` says why a question lost points; `notes` lists what
was unusual about the submission as a whole (moved or deleted cells, errors, time-outs, ...).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from coursegrad.grading.escape import csv_cell, file_name, md_block, md_inline
from coursegrad.grading.grade import Question, Submission

GRADEBOOK_FIELDS = ["student", "question", "points", "max_points", "total", "max_total", "status", "reason", "notes"]
SUMMARY_FIELDS = ["student", "total", "max_auto", "max_total", "manual_pending", "status", "notes"]


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def reason(q: Question) -> str:
    """Why a question has the points it has, in one line ('' when it passed)."""
    if q.status == "passed":
        return ""
    if q.status == "manual":
        return "to be graded by hand"
    if q.status == "blank":
        return "not answered"
    lines = [m for m in q.messages if not m.startswith("✓")]
    return " / ".join(line.replace("\n", " / ") for line in lines)[:500]


def gradebook_rows(results: list[Submission]) -> list[dict]:
    rows = []
    for sub in results:
        notes = "; ".join(sub.notes)
        for q in sub.questions:
            rows.append(
                {
                    "student": sub.student,
                    "question": q.grade_id,
                    "points": _num(q.points),
                    "max_points": _num(q.max_points),
                    "total": _num(sub.total),
                    "max_total": _num(sub.max_total),
                    "status": q.status,
                    "reason": reason(q),
                    "notes": notes,
                }
            )
    return rows


def write_all(results: list[Submission], out_dir: str | Path, worksheet: str, rubrics: dict[str, str] | None = None) -> Path:
    """Write the gradebook, summary, feedback files and written answers (with `rubrics`, see `rubrics_of`) into `out_dir`."""
    out = Path(out_dir)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    _write_csv(out / "gradebook.csv", GRADEBOOK_FIELDS, gradebook_rows(results))
    summary = [
        {
            "student": s.student,
            "total": _num(s.total),
            "max_auto": _num(s.max_auto),
            "max_total": _num(s.max_total),
            "manual_pending": sum(q.status == "manual" for q in s.questions),
            "status": s.status,
            "notes": "; ".join(s.notes),
        }
        for s in results
    ]
    _write_csv(out / "summary.csv", SUMMARY_FIELDS, summary)
    for s in results:
        (out / "feedback" / f"{safe_name(s.student)}.md").write_text(feedback(s, worksheet), encoding="utf-8")
    (out / "written_answers.md").write_text(written_answers(results, worksheet, rubrics), encoding="utf-8")
    return out


def _write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)


def safe_name(student: str) -> str:
    """The file name (without .md) of a student's feedback: unique per student (`escape.file_name`)."""
    return file_name(student)


_MARK = {"passed": "✓", "partial": "◐", "manual": "✎", "blank": "✗"}


def feedback(s: Submission, worksheet: str) -> str:
    """The feedback a student reads: points per question and what each check said.

    Everything a student's code printed, and every name that comes from the submission, is
    escaped (`escape.md_inline`, `escape.md_block`): it cannot close a block, make a heading or
    inject HTML.
    """
    lines = [f"# Feedback on {md_inline(worksheet)}: {md_inline(s.student)}", ""]
    pending = [q for q in s.questions if q.status == "manual"]
    lines.append(f"**Autograded: {s.total:g} / {s.max_auto:g} points.**")
    if pending:
        lines.append(f"Written answers ({sum(q.max_points for q in pending):g} points) are graded by hand.")
    if s.notes:
        lines += ["", "About your submission:", ""] + [f"- {md_inline(n)}" for n in s.notes]
    title = None
    for q in s.questions:
        if q.title != title:
            title = q.title
            lines += ["", f"## {title}", ""]  # the instructor's own heading
        points = "to be graded" if q.points is None else f"{q.points:g} / {q.max_points:g}"
        lines.append(f"- {_MARK.get(q.status, '✗')} `{q.grade_id}`: {points} ({q.status})")
        said = [m.removeprefix("AssertionError: ") for m in q.messages]
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
    lines.append("Enter the points in gradebook.csv (rows with status 'manual').")
    for gid in ids:
        lines += ["", f"## {gid}", ""]  # grade_ids are letters, digits, _ and -
        if rubrics and gid in rubrics:
            lines += [rubrics[gid], ""]  # the instructor's own text
        for s in results:
            text = s.written.get(gid)
            shown = "(not answered)" if text is None or not text.strip() or s.status != "graded" else text.strip()
            lines += [f"### {md_inline(s.student)}", "", *md_block(shown), ""]
    return "\n".join(lines) + "\n"
