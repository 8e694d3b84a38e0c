"""The written answers of a grade run, and saving one hand grade at a time into `manual.csv`.

    answers(grades/, sources)             ->  [Answer, ...]  every written answer, question by question
    save(grades/, answer, points, comment)    the one row of manual.csv, written at once

An `Answer` carries what a grader needs on one screen: the question (the instructor's Markdown above the
answer cell), the rubric and model answer (the instructor's answer cell), the student's whole answer (from
the result record) and the row of `manual.csv` as it stands. `save` takes the lock on `grades/.manual.lock`
(`manual.locked`, the one `manual.fold` takes when a grade run folds the sheet into the gradebook),
reads manual.csv again, changes only that row (points, comment; the `regrade` flag cleared: each grade run
sets the row's fingerprint to the answer handed in) and writes the sheet atomically (`sheets.write`): two graders
working at once (two JupyterLab sessions on the same folder) never lose each other's grades, and a kernel
that dies loses nothing that was saved. The lock is `fcntl.flock` where there is one (POSIX); elsewhere
the re-read just before the write narrows, but does not close, the window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from coursegrad.grading import manual, sheets


@dataclass
class Answer:
    worksheet: str
    student: str
    question: str
    max_points: float
    text: str  # the student's whole answer ("" when blank)
    prompt: str = ""  # the question, the instructor's Markdown
    rubric: str = ""
    model: str = ""  # the model answer
    points: str = ""  # as in manual.csv ("" not graded yet)
    comment: str = ""
    regrade: str = ""  # why it must be graded again ("" it need not)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.worksheet, self.student, self.question

    @property
    def graded(self) -> bool:
        return bool(self.points.strip()) and not self.regrade.strip()


def answers(out: str | Path, sources: list = (), by: str = "question") -> list[Answer]:
    """Every row of `out/manual.csv` as an Answer, ordered by question then student (`by="question"`,
    the default: it keeps grading consistent) or by student then question (`by="student"`)."""
    out = Path(out)
    texts = _instructor_texts(sources)
    found = []
    for key, row in manual.read(out / manual.NAME).items():
        ws, student, question = key
        prompt, rubric, model = texts.get((ws, question), ("", row.get("rubric", ""), ""))
        found.append(
            Answer(ws, student, question, float(row.get("max_points") or 0), _written(out, ws, student, question, row),
                   prompt, rubric, model, row.get("points", ""), row.get("comment", ""), row.get("regrade", ""))
        )  # fmt: skip
    order = {
        "question": lambda a: (a.worksheet, a.question, a.student),
        "student": lambda a: (a.student, a.worksheet, a.question),
    }
    return sorted(found, key=order[by])


def _written(out: Path, worksheet: str, student: str, question: str, row: dict) -> str:
    """The student's whole answer from the result record (manual.csv shows only its start)."""
    from coursegrad.grading.records import path_of

    try:
        data = json.loads(path_of(out, worksheet, student).read_text(encoding="utf-8"))
        return str(data["submission"]["written"].get(question, ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return (row.get("answer") or "").removeprefix("'")


def _instructor_texts(sources: list) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(worksheet, question) -> (the Markdown above the answer cell, rubric, model answer)."""
    import nbformat

    from coursegrad.grading import cells as C

    out = {}
    for source in sources:
        nb = nbformat.read(str(source), as_version=4)
        above = ""
        for cell in nb.cells:
            if C.is_manual(cell):
                text = cell.source
                rubric = text[text.index("**Rubric") :].split("**Model answer")[0].strip() if "**Rubric" in text else ""
                model = text[text.index("**Model answer") :].strip() if "**Model answer" in text else text.strip()
                out[(Path(source).stem, C.grade_id(cell))] = (above, rubric, model)
            elif cell.cell_type == "markdown":
                above = cell.source
    return out


def refresh(out: str | Path, found: list[Answer]) -> None:
    """Update the points, comment and regrade flag of `found` from `out/manual.csv` as it is on disk now."""
    rows = manual.read(Path(out) / manual.NAME)
    for a in found:
        row = rows.get(a.key)
        if row is not None:
            a.points, a.comment, a.regrade = row.get("points", ""), row.get("comment", ""), row.get("regrade", "")


def save(out: str | Path, answer: Answer, points: str, comment: str) -> Answer:
    """Write one hand grade into `out/manual.csv` under the lock, after reading the sheet again; every
    other row stays as it is on disk. ValueError (nothing written) for points that are not 0…max."""
    out = Path(out)
    points, comment = points.strip(), comment.strip()
    where = "/".join(answer.key)
    manual.points_of({"points": points}, answer.max_points, where)
    with manual.locked(out):
        path = out / manual.NAME
        listed, kind = sheets.read(path)[1:] if path.is_file() else ([], sheets.Kind())
        rows = {(r.get("worksheet"), r.get("student"), r.get("question")): r for r in listed}
        row = rows.get(answer.key)
        if row is None:
            raise ValueError(f"{where} is not in {out / manual.NAME} (run coursegrad grade first)")
        row.update(points=points, comment=comment, regrade="")  # the row already holds the answer now handed in
        ordered = sorted(rows.values(), key=lambda r: (r["worksheet"], r["student"], r["question"]))
        sheets.write(out / manual.NAME, manual.FIELDS, ordered, kind)
    answer.points, answer.comment, answer.regrade = points, comment, ""
    return answer
