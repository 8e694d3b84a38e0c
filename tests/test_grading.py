"""End to end: grade a class of synthetic submissions made from the worksheet, check every gradebook row.

One module-scoped run grades all submissions (two worker processes, as the CLI does); each
test then checks the rows of one kind of submission: correct, blank, partly right, and every
kind of bad submission the grader must survive and explain.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import nbformat
import pytest

from coursegrad.grading import batch, report, sandbox
from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version
from coursegrad.grading.sandbox import NO_SANDBOX
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
NAME = SOURCE.name
AUTO = {
    "ex1_forward": 1,
    "ex1_backward_mul": 1,
    "ex1_backward_add_max": 1,
    "ex2_forward": 1,
    "ex2_fork": 2,
    "ex3_test": 2,
    "ex4_sigmoid_test": 2,
    "ex4_divide_test": 2,
    "ex5_test": 2,
    "ex6_test": 2,
    "ex7_shapes": 1,
    "ex7_square": 1,
    "ex7_backward": 2,
}
MANUAL = {"ex5_reasons": 1, "ex8a_answer": 2, "ex8b_answer": 2}
TIMEOUT = 3


# ---------------------------------------------------------------------------
# Building submissions from the worksheet
# ---------------------------------------------------------------------------


def _blank() -> nbformat.NotebookNode:
    return student_version(read(SOURCE))


def _correct() -> nbformat.NotebookNode:
    nb = solved(_blank(), read(SOURCE))
    for cell in nb.cells:  # a student writes their own words in the written answers
        if C.is_manual(cell):
            cell.source = "Because the sigmoid saturates and its local gradient is tiny."
    return nb


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if C.grade_id(c) == gid)


def _answer(nb, gid: str, source: str) -> nbformat.NotebookNode:
    _cell(nb, gid).source = source
    return nb


def _extra(nb, after: str, source: str) -> nbformat.NotebookNode:
    """Add a student's own code cell after the cell `after`."""
    i = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == after)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
    return nb


WRONG_EVERYWHERE = {
    "ex1_answer": "q_value = m_value = f_value = df_dq = df_dm = 1.0\ndf_da = df_db = df_dc = df_dd = df_de = 1.0",
    "ex2_answer": "a_value = b_value = g_value = dg_db = dg_da = 1.0\ndx_via_a, dx_direct = 1.0, 1.0\ndg_dx, dg_dy = 1.0, 1.0",
    "ex3_answer": "n_value = o_value = 1.0\ndo_dw0, do_dw1, do_db = 1.0, 1.0, 1.0",
    "ex4_sigmoid_gate": "def sigmoid_gate(x):\n    return Value.from_gate(0.5, (x,), (1.0,), 'sigmoid')",
    "ex4_divide_gate": "def divide_gate(a, b):\n    return Value.from_gate(1.0, (a, b), (1.0, 1.0), 'div')",
    "ex5_answer": "dw = dw_scaled = dx_scaled = [1.0, 1.0, 1.0]\nlr_same_step = lr_same_training = 1.0",
    "ex6_answer": "max_local_grad = max_at_x = bound_5_layers = layers_below_1e6 = 1.0",
    "ex7_shapes_answer": "shape_dY = shape_dW = shape_dX = shape_db = (1, 1)",
    "ex7_square_answer": "square_dX = square_dW = square_db = 'C'",
    "ex7_backward_answer": "def affine_backward(X, W, b, dY):\n    return W, X, b",
}


def _wrong() -> nbformat.NotebookNode:
    nb = _blank()
    for gid, src in WRONG_EVERYWHERE.items():
        _answer(nb, gid, src)
    return nb


CHEAT_CHECKS = """
import builtins, coursegrad, coursegrad.checks
def check_graph_forward(*a, **k): print("✓ all right")
def expect_close(*a, **k): pass
coursegrad.checks.check_graph_backward = lambda *a, **k: None
coursegrad.checks.expect_close = lambda *a, **k: None
coursegrad.checks.check_fork_forward = lambda *a, **k: None
coursegrad.checks.score_fork_backward = lambda *a, **k: 2.0
coursegrad.checks.check_sigmoid_gate = lambda *a, **k: None
coursegrad.gradcheck = lambda *a, **k: type("R", (), {"passed": True})()
coursegrad.engine.Value.__eq__ = lambda self, other: True
builtins.abs = lambda x: 0.0
abs = lambda x: 0.0
class Anything(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
    def __rsub__(self, other): return 0.0
    def __abs__(self): return 0.0
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __float__(self): return 6.0
f_value = df_da = df_db = df_dc = df_dd = df_de = Anything(1.0)
"""

CHEAT_IPYTHON = """
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Expr(self, node): return ast.Pass()
    def visit_Assert(self, node): return ast.Pass()
ip.ast_transformers.append(NoAsserts())
ip.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))
ip.display_formatter.formatters["text/plain"].for_type(float, lambda obj, p, cycle: p.text("2.0"))
ip.showtraceback = lambda *a, **k: None
"""


def submissions() -> dict[str, tuple[bytes | None, str]]:
    """student -> (file content, file name); None content: the student folder is empty."""
    nbs = {}
    nbs["correct"] = _correct()
    nbs["blank"] = _blank()
    nbs["partial_sign"] = _answer(
        _correct(),
        "ex1_answer",
        "q_value, m_value, f_value = -2.0, 3.0, -6.0\ndf_dq, df_dm = 3.0, -2.0\n"
        "df_da, df_db, df_dc, df_dd, df_de = -6.0, 9.0, 3.0, 0.0, -2.0",
    )
    nbs["partial_fork"] = _answer(
        _correct(),
        "ex2_answer",
        "a_value, b_value, g_value = -6.0, -3.0, 9.0\ndg_db, dg_da = -6.0, -6.0\n"
        "dx_via_a, dx_direct = 12.0, -6.0\ndg_dx, dg_dy = 12.0, 18.0",
    )
    nb = _correct()
    nb.cells = [c for c in nb.cells if C.grade_id(c) not in ("ex3_answer", "ex1_forward")]
    nbs["deleted"] = nb
    nb = _correct()
    i = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == "ex5_answer")
    copied = copy.deepcopy(nb.cells[i])  # Jupyter's copy & paste: same metadata, a new cell id
    copied.id, copied.source = "pasted-copy", "dw = dw_scaled = dx_scaled = [0.0] * 3\nlr_same_step = lr_same_training = 0"
    nb.cells.insert(i + 1, copied)
    nbs["duplicated"] = nb
    nb = _correct()
    moved = [c for c in nb.cells if C.grade_id(c) in ("ex6_text", "ex6_answer", "ex6_test")]
    nb.cells = [c for c in nb.cells if c not in moved] + moved[::-1]  # at the end, test before answer
    nbs["reordered"] = nb
    nb = _correct()
    _cell(nb, "ex1_forward").metadata.nbgrader.update(points=100, grade=False)
    as_markdown = _cell(nb, "ex2_answer")
    as_markdown.cell_type = "markdown"
    del as_markdown["outputs"], as_markdown["execution_count"]
    nbs["metadata"] = nb
    nb = _answer(
        _correct(),
        "ex1_answer",
        "q_value, m_value, f_value = -2.0, 3.0, 1.0\ndf_dq, df_dm = 3.0, -2.0\n"
        "df_da, df_db, df_dc, df_dd, df_de = 6.0, -9.0, 3.0, 0.0, -2.0",
    )
    _cell(nb, "ex1_forward").source = "print('all good')"
    nbs["edited_test"] = nb
    nbs["exception"] = _answer(_correct(), "ex3_answer", "o_value = 1 / 0")
    nbs["infinite_loop"] = _answer(_correct(), "ex6_answer", "while True:\n    pass")
    nbs["endless_loop"] = _answer(
        _correct(), "ex6_answer", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    )
    nbs["kernel_dies"] = _answer(_correct(), "ex5_answer", "import os\nos._exit(1)")
    nbs["huge_output"] = _extra(
        _correct(), "ex2_fork", f"print('x' * 20_000_000)\nopen({NAME!r}, 'w').write('overwritten by the student')"
    )
    nbs["memory_hog"] = _extra(_correct(), "setup", "hog = np.zeros(6 * 1024**3, dtype=np.uint8)  # 6 GiB, over the 4 GiB limit")
    nbs["cheat_checks"] = _extra(_wrong(), "ex1_answer", CHEAT_CHECKS)
    nbs["cheat_ipython"] = _extra(_wrong(), "setup", CHEAT_IPYTHON)
    nbs["kills_grader"] = _extra(_correct(), "ex3_test", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    out = {name: (nbformat.writes(nb).encode(), NAME) for name, nb in nbs.items()}
    out["renamed"] = (nbformat.writes(_correct()).encode(), "my worksheet.ipynb")
    out["invalid_json"] = (b'{"cells": [ {"cell_type": "code", ', NAME)
    out["not_a_notebook"] = (json.dumps({"hello": "world"}).encode(), NAME)
    out["missing"] = (None, NAME)
    return out


# ---------------------------------------------------------------------------
# One grading run for the whole module
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    stamps = {}
    for student, (content, name) in submissions().items():
        (folder / student).mkdir()
        if content is not None:
            path = folder / student / name
            path.write_bytes(content)
            stamps[path] = (content, path.stat().st_mtime_ns)
    results = batch.grade_folder(SOURCE, folder, jobs=2, progress=False, timeout=TIMEOUT, max_output=10_000)
    out = report.write_all(results, tmp_path_factory.mktemp("grades"), SOURCE.stem)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = {(r["student"], r["question"]): r for r in rows}
    return {"rows": rows, "table": table, "results": {r.student: r for r in results}, "out": out, "stamps": stamps}


def rows_of(graded, student: str) -> dict[str, dict]:
    return {q: r for (s, q), r in graded["table"].items() if s == student}


def expect(graded, student: str, base: str, changes: dict | None = None, notes: tuple[str, ...] = ()) -> None:
    """Every row of `student`: `base` ("passed" = full points, "failed" = 0) except `changes`."""
    rows = rows_of(graded, student)
    assert set(rows) == set(AUTO) | set(MANUAL), f"{student}: one row per graded cell"
    changes = changes or {}
    for q, max_points in AUTO.items():
        want_points, want_status = changes.get(q, (max_points, "passed") if base == "passed" else (0, base))
        row = rows[q]
        assert (float(row["points"]), row["status"]) == (want_points, want_status), f"{student}/{q}: {row}"
        assert float(row["max_points"]) == max_points
    total = sum(float(r["points"] or 0) for r in rows.values())
    assert all(float(r["total"]) == total for r in rows.values())
    assert all(float(r["max_total"]) == 25 for r in rows.values())
    for note in notes:
        assert note in rows["ex1_forward"]["notes"], f"{student}: {note!r} not in {rows['ex1_forward']['notes']!r}"


def test_correct_submission_gets_every_point(graded):
    expect(graded, "correct", "passed")
    rows = rows_of(graded, "correct")
    assert rows["ex8a_answer"]["points"] == "" and rows["ex8a_answer"]["status"] == "manual"
    assert rows["ex1_forward"]["notes"] == ""  # the sandbox's absence is the instructor's note (summary), not the student's
    assert float(rows["ex1_forward"]["total"]) == 20


def test_blank_submission_fails_every_test_cleanly(graded):
    expect(graded, "blank", "failed")
    rows = rows_of(graded, "blank")
    assert "NameError: name 'q_value' is not defined" in rows["ex1_forward"]["reason"]
    assert "not written yet" in rows["ex4_sigmoid_test"]["reason"]
    assert (rows["ex8a_answer"]["points"], rows["ex8a_answer"]["status"]) == ("0", "blank")


def test_partial_credit_per_test(graded):
    expect(graded, "partial_sign", "passed", {"ex1_forward": (1, "passed"), "ex1_backward_mul": (0, "failed")})
    reason = rows_of(graded, "partial_sign")["ex1_backward_mul"]["reason"]
    assert "sign is wrong" in reason and "df_da" in reason and "df_db" in reason


def test_partial_credit_within_a_test(graded):
    # dx_via_a and dx_direct right, dg_dx (one path only) and dg_dy (sign) wrong: 2 of 4 -> 1 of 2 points
    expect(graded, "partial_fork", "passed", {"ex2_fork": (1, "partial")})
    assert "x is used twice" in rows_of(graded, "partial_fork")["ex2_fork"]["reason"]


def test_deleted_cells(graded):
    expect(
        graded,
        "deleted",
        "passed",
        {"ex3_test": (0, "failed")},
        notes=("deleted answer cell 'ex3_answer'", "deleted cell 'ex1_forward'"),
    )


def test_duplicated_cell_uses_the_first_copy(graded):
    expect(graded, "duplicated", "passed", notes=("duplicated cell 'ex5_answer' (2 copies; the first was used)",))


def test_reordered_cells_are_graded_in_the_worksheets_order(graded):
    expect(graded, "reordered", "passed", notes=("cells were moved",))


def test_changed_metadata_is_ignored_and_reported(graded):
    expect(graded, "metadata", "passed", notes=("changed metadata of 'ex1_forward' (grade, points)", "'ex2_answer' (cell type)"))


def test_edited_test_cell_is_replaced_by_the_instructors(graded):
    expect(graded, "edited_test", "passed", {"ex1_forward": (0, "failed")}, notes=("edited read-only cell 'ex1_forward'",))


def test_exception_in_an_answer(graded):
    expect(graded, "exception", "passed", {"ex3_test": (0, "failed")}, notes=("'ex3_answer' raised ZeroDivisionError",))


def test_infinite_loop_is_interrupted_and_grading_goes_on(graded):
    expect(graded, "infinite_loop", "passed", {"ex6_test": (0, "failed")}, notes=("'ex6_answer' timed out",))


def test_loop_that_ignores_interrupts_loses_only_what_follows(graded):
    lost = {q: (0, "not-run") for q in ("ex6_test", "ex7_shapes", "ex7_square", "ex7_backward")}
    expect(graded, "endless_loop", "passed", lost, notes=("'ex6_answer' timed out",))
    assert "the kernel stopped while running cell 'ex6_answer'" in rows_of(graded, "endless_loop")["ex7_backward"]["reason"]


def test_kernel_that_dies(graded):
    lost = {q: (0, "not-run") for q in ("ex5_test", "ex6_test", "ex7_shapes", "ex7_square", "ex7_backward")}
    expect(graded, "kernel_dies", "passed", lost, notes=("the kernel died while running cell 'ex5_answer'",))


def test_huge_output_is_capped_and_the_submission_file_untouched(graded):
    expect(graded, "huge_output", "passed", notes=("output of a cell you added truncated",))
    feedback = (graded["out"] / "feedback" / "huge_output.md").read_text()
    assert len(feedback) < 20_000


def test_memory_limit(graded):
    expect(graded, "memory_hog", "passed", notes=("a cell you added raised", "MemoryError: Unable to allocate 6.00 GiB"))


def test_submissions_are_never_modified(graded):
    assert graded["stamps"], "no submission files?"
    for path, (content, mtime) in graded["stamps"].items():
        assert path.read_bytes() == content, path
        assert path.stat().st_mtime_ns == mtime, path


def test_redefining_or_monkeypatching_the_checks_gains_nothing(graded):
    expect(
        graded, "cheat_checks", "failed", notes=("for review:", "assigns to coursegrad", "defines a function named like a check")
    )


def test_tampering_with_ipython_gains_nothing(graded):
    expect(graded, "cheat_ipython", "failed", notes=("for review:", "touches IPython"))


def test_killing_the_grader_process_marks_only_that_submission(graded):
    rows = rows_of(graded, "kills_grader")
    if sandbox.probe() is None:  # in the sandbox the grader's process is out of reach (PID namespace, user nobody)
        expect(graded, "kills_grader", "passed", notes=("a cell you added raised",))
        return
    assert {r["status"] for r in rows.values()} == {"grader-error"}
    assert all(r["points"] == "0" for r in rows.values())
    assert "grading process was killed" in rows["ex1_forward"]["reason"]
    expect(graded, "correct", "passed")  # graded alongside it, unharmed


def test_renamed_notebook_is_graded_and_reported(graded):
    expect(graded, "renamed", "passed", notes=("renamed: graded my worksheet.ipynb",))


@pytest.mark.parametrize(
    ("student", "status", "reason"),
    [
        ("invalid_json", "invalid", "invalid JSON"),
        ("not_a_notebook", "invalid", "not a Jupyter notebook"),
        ("missing", "missing", f"missing: no {NAME}"),
    ],
)
def test_unreadable_or_missing_submissions(graded, student, status, reason):
    rows = rows_of(graded, student)
    assert set(rows) == set(AUTO) | set(MANUAL)
    for row in rows.values():
        assert (row["points"], row["status"]) == ("0", status)
        assert reason in row["reason"] and row["total"] == "0"


def test_every_student_has_a_feedback_file_and_a_summary_row(graded):
    out = graded["out"]
    students = set(submissions())
    assert {p.stem for p in (out / "feedback").glob("*.md")} == students
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        summary = {r["student"]: r for r in csv.DictReader(f)}
    assert set(summary) == students
    assert (summary["correct"]["total"], summary["correct"]["max_auto"], summary["correct"]["manual_pending"]) == (
        "20",
        "20",
        "3",
    )


def test_a_missing_sandbox_is_told_to_the_instructor_never_in_the_students_feedback(graded):
    """Where bubblewrap runs, no row says "no sandbox"; where it does not, summary.csv says so for every
    student, and no feedback file or gradebook row (which students may be shown) does."""
    out, unsandboxed = graded["out"], sandbox.resolve("auto")[1]
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        summary = list(csv.DictReader(f))
    assert all((NO_SANDBOX in r["notes"]) == bool(unsandboxed) for r in summary), summary
    assert all(NO_SANDBOX not in p.read_text() for p in (out / "feedback").glob("*.md"))
    assert all(NO_SANDBOX not in r["notes"] for r in graded["rows"])


def test_feedback_says_what_passed_and_what_failed_without_answers(graded):
    text = (graded["out"] / "feedback" / "partial_sign.md").read_text()
    assert "Autograded: 19 / 20 points." in text
    assert "✓ f_value is right" in text
    assert "df_da: the size is right but the sign is wrong" in text
    assert "graded by hand" in text
    written = (graded["out"] / "written_answers.md").read_text()
    assert "## ex8a_answer" in written and "\nBecause the sigmoid saturates" in written


def test_the_cheats_would_work_without_the_guard(monkeypatch, tmp_path):
    """Not a hollow test: with the guard switched off, the two cheating notebooks do get points."""
    from coursegrad.grading import grade

    monkeypatch.setattr(grade, "_guard", lambda kernel, template: None)
    for student, content in (
        ("cheat_checks", _extra(_wrong(), "ex1_answer", CHEAT_CHECKS)),
        ("cheat_ipython", _extra(_wrong(), "setup", CHEAT_IPYTHON)),
    ):
        path = tmp_path / student / NAME
        path.parent.mkdir()
        nbformat.write(content, str(path))
        result = grade.grade_notebook(SOURCE, path, student, timeout=TIMEOUT, judge="kernel")
        cheated = {q.grade_id for q in result.questions if q.points}
        assert cheated, f"{student}: the cheats did nothing even without the guard"
        if student == "cheat_checks":
            assert {"ex1_backward_mul", "ex2_fork", "ex4_sigmoid_test"} <= cheated
        else:
            assert {"ex1_forward", "ex5_test", "ex7_backward"} <= cheated
