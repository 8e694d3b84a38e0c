"""The grader's parts without a kernel: matching cells, reading submissions, scoring rules, the scan."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from coursegrad.grading import cells as C
from coursegrad.grading import grade, match, scan
from coursegrad.grading.kernel import CellResult
from coursegrad.grading.release import read, student_version

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"


@pytest.fixture(scope="module")
def source():
    return read(SOURCE)


@pytest.fixture(scope="module")
def handed_out(source):
    return student_version(source)


def roles(plan: match.Plan) -> list[tuple[str, str | None]]:
    return [(s.role, s.grade_id) for s in plan.steps]


def test_an_untouched_student_version_runs_the_sources_cells_in_order(source, handed_out):
    plan = match.plan(source, handed_out, handed_out)
    assert plan.problems == []
    assert [gid for _, gid in roles(plan)] == [C.grade_id(c) for c in source.cells]
    tests = [s for s in plan.steps if s.role == "test"]
    assert all("BEGIN HIDDEN TESTS" in s.source or "score_" in s.source for s in tests), "hidden tests come from the source"


def test_added_cells_run_after_the_cell_they_follow(source, handed_out):
    nb = copy.deepcopy(handed_out)
    nb.cells.insert(0, nbformat.v4.new_code_cell("first = 1"))
    after = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == "ex1_answer") + 1
    nb.cells.insert(after, nbformat.v4.new_code_cell("helper = 2"))
    nb.cells.insert(after + 1, nbformat.v4.new_markdown_cell("my notes"))  # not run
    plan = match.plan(source, handed_out, nb)
    order = roles(plan)
    assert order[0] == ("extra", None)
    assert order[order.index(("answer", "ex1_answer")) + 1] == ("extra", None)
    assert sum(role == "extra" for role, _ in order) == 2 and plan.problems == []


def test_a_notebook_rebuilt_without_metadata_still_runs_the_students_code(source, handed_out):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("f_value = -6.0")])
    plan = match.plan(source, handed_out, nb)
    assert roles(plan)[0] == ("extra", None)
    answer = next(s for s in plan.steps if s.grade_id == "ex1_answer")
    assert answer.source == ""  # a deleted answer runs nothing
    assert "deleted answer cell 'ex1_answer'" in plan.problems
    assert "deleted cell 'ex1_forward' (the original was used)" in plan.problems


def test_unknown_grade_ids_and_ordinary_source_cells(source, handed_out):
    nb = copy.deepcopy(handed_out)
    C.meta(nb.cells[3])["grade_id"] = "my_answer"  # renamed the answer cell's id
    plan = match.plan(source, handed_out, nb)
    assert "unknown cell id 'my_answer' (renamed or copied in?); run as an added cell" in plan.problems
    assert "deleted answer cell 'ex1_answer'" in plan.problems
    src = copy.deepcopy(source)
    src.cells.insert(1, nbformat.v4.new_code_cell("scratch = 0"))  # an ordinary cell: the student's copy counts
    assert ("extra", None) not in roles(match.plan(src, student_version(src), handed_out))


def test_load_says_why_a_file_cannot_be_graded(tmp_path):
    cases = {"empty": b"", "json": b"[1, 2", "list": b"[1, 2]", "cells": b'{"cells": [{"source": 1}]}'}
    for name, content in cases.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(content)
        with pytest.raises(ValueError, match="invalid JSON|not a Jupyter notebook|not a readable notebook"):
            grade.load(path)


def score(outputs: list, status: str = "ok", max_points: float = 2.0) -> tuple[float, str]:
    """Score a test cell's outputs with the grader's (nbgrader's) rule, without a kernel."""
    q = grade.Question("t", "", "auto", max_points)

    class FakeKernel:
        alive = True

        def evaluate(self, expression, timeout=10):
            nonce = expression.split("'")[-2]
            return True, repr(f"ok {nonce}")

        def run(self, source):
            return CellResult(status, outputs, ename="AssertionError" if status == "error" else "")

    grade._test(FakeKernel(), match.Step("test", "", "t", max_points), q)
    return q.points, q.status


def out(kind: str, **kw) -> dict:
    if kind == "result":
        return {"output_type": "execute_result", "data": {"text/plain": kw["text"]}}
    return {"output_type": "stream", "name": kind, "text": kw.get("text", "x\n")}


def test_scoring_follows_nbgraders_rule():
    assert score([]) == (2.0, "passed")
    assert score([out("stdout")]) == (2.0, "passed")
    assert score([], status="error") == (0.0, "failed")
    assert score([out("stderr")]) == (0.0, "failed")  # a warning on stderr fails a test, as in nbgrader
    assert score([out("result", text="1.5")]) == (1.5, "partial")
    assert score([out("result", text="0.0")]) == (0.0, "failed")
    assert score([out("result", text="2.0")]) == (2.0, "passed")
    assert score([out("result", text="'some text'")]) == (2.0, "passed")
    assert score([out("result", text="7")]) == (2.0, "passed")  # capped at the cell's points
    assert score([], status="timeout") == (0.0, "timeout")


def test_the_scan_flags_tampering_but_not_ordinary_answers():
    ordinary = [
        "f_value = -6.0",
        "def sigmoid_gate(x):\n    s = 1 / (1 + math.exp(-x.data))\n    return Value.from_gate(s, (x,), (s * (1 - s),), 's')",
    ]
    assert scan.suspicious(ordinary) == []
    flagged = scan.suspicious(
        [
            "import coursegrad.checks\ncoursegrad.checks.expect_close = print",
            "def check_graph_forward(*a): pass",
            "import builtins",
            "class Fake(float):\n    def __eq__(self, o): return True",
            "get_ipython().ast_transformers.append(1)",
            "import os\nos.kill(os.getppid(), 9)",
        ]
    )
    assert flagged == [
        "assigns to coursegrad",
        "defines a function named like a check",
        "touches builtins",
        "touches IPython",
        "uses processes/threads/signals",
        "subclasses a number type",
        "overrides comparison/number methods",
    ]


def test_coursegrad_bwrap_hides_bubblewrap_so_the_suite_can_run_as_on_a_machine_without_it(monkeypatch):
    from coursegrad.grading import sandbox

    monkeypatch.setenv("COURSEGRAD_BWRAP", "/nonexistent/bwrap")
    assert sandbox.bwrap_program() is None
    assert "not installed" in sandbox.probe()
    mode, note = sandbox.resolve("auto")
    assert mode == "none" and note.startswith(sandbox.NO_SANDBOX)


def test_the_kernels_cpu_seconds_count_computing_not_waiting():
    """The budget's clock: the CPU time of the kernel's processes, read from /proc, so a loaded machine
    (whose wall clock runs on while the kernel waits for a core) does not use up a submission's budget."""
    from coursegrad.grading.kernel import Kernel

    with Kernel(timeout=30) as kernel:
        start = kernel.cpu_seconds()
        if start is None:
            pytest.skip("no /proc here: the budget is wall time")
        kernel.run("import time\ntime.sleep(1.0)")
        slept = kernel.cpu_seconds()
        kernel.run("import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0:\n    pass")
        computed = kernel.cpu_seconds()
        kernel.budget = 0.5
        assert not kernel.over_budget
        kernel.run("t = time.process_time()\nwhile time.process_time() - t < 0.6:\n    pass")
        assert kernel.over_budget
    assert slept - start < 0.5 and computed - slept >= 0.95


def test_the_budget_reads_proc_only_once_it_could_be_used_up():
    """Reading every process's /proc stat costs milliseconds, so the budget's clock is read only once the
    kernel could have used the budget: in t seconds it can use at most t CPU seconds per CPU."""
    import time

    from coursegrad.grading.kernel import CPUS, Kernel

    kernel = Kernel(timeout=30)  # never launched: its clock is replaced
    try:
        clock = iter([0.0, 5.0, 5.1, 10.0])
        reads = []
        kernel.cpu_seconds = lambda: reads.append(1) or next(clock)
        kernel.budget = 1000.0  # read once, at the start
        assert not kernel.over_budget and not kernel.over_budget
        assert len(reads) == 1
        kernel.budget = 0.5  # from 5.0 s; its wall-time backstop is 2 s away
        time.sleep(0.5 / CPUS + 0.02)  # now the kernel could have used it: the clock is read at every question
        assert not kernel.over_budget  # 0.1 s used
        assert kernel.over_budget  # 5 s used
        assert len(reads) == 4
    finally:
        kernel.close()


def test_a_grading_kernel_boots_without_what_grading_never_uses():
    """No debugger (debugpy is not imported), no SQLite history, and the checks' modules imported from the
    bytecode the grader compiled (a sandboxed kernel cannot write its own): benchmarks/README.md, "Grading"."""
    import importlib.util

    from coursegrad.grading.grade import grading_kernel
    from coursegrad.grading.sandbox import KIT, compile_kit

    compile_kit.cache_clear()  # as in a fresh grader process
    with grading_kernel() as kernel:
        ok, said = kernel.evaluate("(__import__('sys').modules.get('debugpy'), get_ipython().history_manager.enabled)")
        checks = kernel.run("import coursegrad.checks")
    assert ok and said == "(None, False)", said
    assert checks.status == "ok"
    assert Path(importlib.util.cache_from_source(str(Path(KIT) / "checks.py"))).is_file()
