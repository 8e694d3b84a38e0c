"""The instructor's values of every test item, computed once per batch from the instructor source.

The grader never takes reference values from a submission's run. It types the instructor's
solutions into the student version (`release.solved`), runs that notebook once, as a student
would, in a kernel of its own (sandboxed like the students'), and keeps what the kernel reported
for each item. Every submission of the batch is then judged against these values (`judge.score`).

The same run checks the source: every check cell must pass (hidden tests included), and every
item's value must agree (by the judge's own rule) with what its check computes privately (the
item's `expected` expression, see worksheets/README.md). `coursegrad validate` fails on any of these
problems; the batch grader warns about them.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import nbformat

from coursegrad.grading import judge
from coursegrad.grading.lifetime import scratch_dir
from coursegrad.grading.release import solved, student_version
from coursegrad.grading.source import Worksheet


def prepare(source: str | Path | Worksheet, **options) -> Worksheet:
    """The instructor worksheet read once and carrying its reference values, ready for `grade_notebook`:
    what a caller computes once per batch (or once per Gradescope image) and hands to every grading."""
    ws = source if isinstance(source, Worksheet) else Worksheet.read(source)
    return with_reference(ws, **options)[0]


def with_reference(ws: Worksheet, **options) -> tuple[Worksheet, list[str]]:
    """`ws` carrying its reference values, and the problems found (see the module's docstring).
    `options` go to `grade_notebook` (timeout, max_output, memory_mb, sandbox, kit)."""
    ws, problems, _ = reference_run(ws, **options)
    return ws, problems


def reference_run(ws: Worksheet, **options):
    """(`ws` with its reference values, the problems found, the solved worksheet's graded run)."""
    from coursegrad.grading.grade import grade_notebook

    source = ws.notebook()
    if ws.reference or not any(judge.items_of(cell)[1] for cell in source.cells):
        return ws, [], None
    with tempfile.TemporaryDirectory(prefix="reference-", dir=scratch_dir()) as tmp:
        path = Path(tmp) / ws.name
        nbformat.write(solved(student_version(source), source), str(path))
        result = grade_notebook(ws, path, "(instructor source)", budget=None, judge="collect", **options)
    reference = {q.grade_id: q.values for q in result.questions if q.values is not None}
    return dataclasses.replace(ws, reference=reference), source_problems(source, result), result


def source_problems(source: nbformat.NotebookNode, result) -> list[str]:
    """What is wrong with the instructor source, from its solved run: items it cannot compute, check cells
    that fail, and items whose value disagrees with what their check computes (`expected`)."""
    problems = []
    items = {gid: its for gid, its in ((_gid(c), judge.items_of(c)[1]) for c in source.cells) if its}
    for q in result.questions:
        if q.kind != "auto":
            continue
        if q.status != "passed":
            problems.append(
                f"the source's check cell {q.grade_id} fails when run as a student would: {' / '.join(q.messages)[:300]}"
            )
        for i, value in enumerate(q.values or []):
            if "error" in value:
                problems.append(f"the instructor source cannot compute item {i} of {q.grade_id}: {value['error']}")
        for item, value, want in zip(items.get(q.grade_id, []), q.values or [], q.expected or [], strict=False):
            if "expected" not in item or "error" in value:
                continue
            if "error" in want or judge.score([item], [want], [value])[0] < float(item.get("points", 0)):
                why = want.get("error", "its reference value disagrees with the value its check computes")
                problems.append(f"{q.grade_id}: item {item.get('name')!r}: {why}")
    return problems


def _gid(cell) -> str | None:
    from coursegrad.grading.cells import grade_id

    return grade_id(cell)
