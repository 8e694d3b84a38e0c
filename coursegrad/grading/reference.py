"""The instructor's values of every test item, computed once per batch from the instructor source.

The grader never takes reference values from a submission's run. It types the instructor's
solutions into the student version (`validate.solved`), grades that notebook once, in a kernel of
its own (sandboxed like the students'), and keeps what the kernel reported for each item. Every
submission of the batch is then judged against these values (`judge.score`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import nbformat

from coursegrad.grading.judge import items_of
from coursegrad.grading.lifetime import scratch_dir
from coursegrad.grading.release import student_version
from coursegrad.grading.source import Worksheet


def with_reference(ws: Worksheet, **options) -> tuple[Worksheet, list[str]]:
    """`ws` carrying its reference values, and the problems found (items the source itself cannot
    compute). `options` go to `grade_notebook` (timeout, max_output, memory_mb, sandbox, kit)."""
    from coursegrad.grading.grade import grade_notebook
    from coursegrad.grading.validate import solved

    source = ws.notebook()
    if ws.reference or not any(items_of(cell)[1] for cell in source.cells):
        return ws, []
    with tempfile.TemporaryDirectory(prefix="reference-", dir=scratch_dir()) as tmp:
        path = Path(tmp) / ws.name
        nbformat.write(solved(student_version(source), source), str(path))
        result = grade_notebook(ws, path, "(instructor source)", budget=None, judge="collect", **options)
    reference = {q.grade_id: q.values for q in result.questions if q.values is not None}
    problems = [
        f"the instructor source cannot compute item {i} of {gid}: {value['error']}"
        for gid, values in reference.items()
        for i, value in enumerate(values)
        if "error" in value
    ]
    return dataclasses.replace(ws, reference=reference), problems
