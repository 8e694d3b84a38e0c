"""Regression tests for grades that were not fair (issue 18), graded as the CLI grades, with the default options.

One batch per worksheet, each submission the solved worksheet with one answer changed (the batch takes the
instructor's reference values computed once per session at the default options: `graded.prepared`, as
test_grading_corpus.py does; the hang keeps the default 30 s per cell: with less, its growing list is cut
by the time limit before it runs out of memory, and the feedback no longer names the function):
- a gate written with Value.from_gate(..., "σ") earns its points; x.sigmoid() does not (the task forbids it);
- functions that return lists where the task asks for arrays lose the points in the grader as in the check;
- an infinite loop in one function costs only the questions whose code calls it, and the feedback names it;
- an answer built on coursegrad where the task says numpy only gets no points, with a note saying why;
- a table of the relative errors of the visible gates earns nothing (the grader tries gates it never showed);
- the `=`-instead-of-`+=` hint appears whatever valid order the student's topological_order returns;
- "not answered" notes only on unanswered cells (function stubs included);
- a worksheet graded by name never grades the student's other worksheet in its place.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from graded import prepared

from coursegrad.grading import batch, report
from coursegrad.grading import cells as C
from coursegrad.grading.escape import md_inline
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
WS1 = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
WS2 = ROOT / "worksheets" / "source" / "02_write_backprop.ipynb"


def _solved(source: Path) -> nbformat.NotebookNode:
    return solved(student_version(read(source)), read(source))


def _with(source: Path, **answers: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(_solved(source))
    for cell in nb.cells:
        if C.grade_id(cell) in answers:
            cell.source = answers[C.grade_id(cell)]
    return nb


WS1_SUBMISSIONS = {
    "sigma_label": {
        "ex4_sigmoid_gate": "def sigmoid_gate(x):\n    s = 1.0 / (1.0 + math.exp(-x.data))\n"
        "    return Value.from_gate(s, (x,), (s * (1.0 - s),), 'σ')"
    },
    "builtin_sigmoid": {
        "ex4_sigmoid_gate": "def sigmoid_gate(x):\n    # not from_gate: the engine's own gate\n    return x.sigmoid()"
    },
    "lists": {
        "ex7_backward_answer": "def affine_backward(X, W, b, dY):\n"
        "    return (dY @ W.T).tolist(), (X.T @ dY).tolist(), dY.sum(axis=0).tolist()"
    },
}
HANG = "def topological_order(root):\n    order = []\n    while True:\n        order.append(root)\n"
WS2_SUBMISSIONS = {
    "hang": {"ex1_topo_answer": HANG},
    "engine": {
        "ex4_answer": "from coursegrad import Value\nfrom coursegrad.nn import softmax_cross_entropy\n\n\n"
        "def two_layer_backward(X, y, W1, b1, W2, b2, reg):\n"
        "    p = [Value(v) for v in (W1, b1, W2, b2)]\n"
        "    penalty = 0.5 * reg * ((p[0] * p[0]).sum() + (p[2] * p[2]).sum())\n"
        "    loss = softmax_cross_entropy((X @ p[0] + p[1]).tanh() @ p[2] + p[3], y) + penalty\n"
        "    loss.backward()\n"
        "    return float(loss.data), p[0].grad, p[1].grad, p[2].grad, p[3].grad"
    },
    "table": {
        "ex3_check_answer": "def gate_relative_error(gate, xs):\n"
        "    return {'sigmoid': 0.5, 'divide': 1e-11, 'square': 1e-11}.get(gate.__name__, 0.0)"
    },
    "overwrite": {  # inputs pushed in reverse: a valid order that is not the reference's, and `=` for `+=`
        "ex1_topo_answer": "def topological_order(root):\n    order, seen, stack = [], set(), [(root, False)]\n"
        "    while stack:\n        node, done = stack.pop()\n        if done:\n            order.append(node)\n"
        "        elif node not in seen:\n            seen.add(node)\n            stack.append((node, True))\n"
        "            stack.extend((i, False) for i in reversed(node.inputs) if i not in seen)\n    return order",
        "ex1_backprop_answer": "def backprop(root):\n    root.grad = 1.0\n    for node in reversed(topological_order(root)):\n"
        "        for child, local in zip(node.inputs, node.local_grads):\n            child.grad = local * node.grad",
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = {}
    for source, cases in ((WS1, WS1_SUBMISSIONS), (WS2, WS2_SUBMISSIONS)):
        folder = tmp_path_factory.mktemp(source.stem)
        for student, answers in cases.items():
            (folder / student).mkdir()
            nbformat.write(_with(source, **answers), str(folder / student / source.name))
        (folder / "Blank").mkdir()
        nbformat.write(student_version(read(source)), str(folder / "Blank" / source.name))
        (folder / "solved").mkdir()
        nbformat.write(_solved(source), str(folder / "solved" / source.name))
        ws = prepared(tmp_path_factory, source)  # the reference values at the default options, once per session
        out[source.stem] = {r.student: r for r in batch.grade_folder(ws, folder, jobs=2, progress=False)}
    return out


def points(result) -> dict[str, float]:
    return {q.grade_id: q.points for q in result.questions if q.kind == "auto"}


def messages(result, gid: str) -> str:
    return "\n".join(next(q for q in result.questions if q.grade_id == gid).messages)


def test_a_gate_labelled_sigma_earns_its_points_and_the_engine_gate_does_not(graded):
    ws = graded[WS1.stem]
    assert points(ws["sigma_label"]) == points(ws["solved"])
    assert "x.sigmoid()" not in messages(ws["sigma_label"], "ex4_sigmoid_test")
    assert points(ws["builtin_sigmoid"])["ex4_sigmoid_test"] == 0
    assert "from_gate" in messages(ws["builtin_sigmoid"], "ex4_sigmoid_test")


def test_lists_where_the_task_asks_for_arrays_lose_the_points_as_in_the_check(graded):
    ws = graded[WS1.stem]
    assert points(ws["lists"])["ex7_backward"] == 0
    assert "should be a numpy array, got list" in messages(ws["lists"], "ex7_backward")
    assert sum(points(ws["lists"]).values()) == sum(points(ws["solved"]).values()) - 2


def test_a_hang_costs_only_the_questions_that_run_the_hanging_function(graded):
    hang = graded[WS2.stem]["hang"]
    lost = {gid for gid, p in points(hang).items() if p == 0}
    assert lost == {"ex1_topo_test", "ex1_backprop_test", "ex1_long_chain", "ex1_second_backward", "ex3_check_test"}
    assert hang.total == 9  # numerical gradient 2, relative error 1, verdict 1, the fixed gate 1, the two-layer net 4
    assert "in topological_order()" in messages(hang, "ex1_topo_test")  # stuck (time) or out of memory (the list grows)


def test_an_answer_built_on_the_engine_where_the_task_says_numpy_gets_no_points(graded):
    engine = graded[WS2.stem]["engine"]
    assert points(engine)["ex4_test"] == 0
    said = messages(engine, "ex4_test")
    assert "numpy only" in said and "✓" not in said


def test_a_table_of_the_visible_relative_errors_earns_nothing(graded):
    """The check prints the shown gates' errors; the item also tries gates the worksheet never shows."""
    table = graded[WS2.stem]["table"]
    assert points(table)["ex3_check_test"] == 0 and points(graded[WS2.stem]["solved"])["ex3_check_test"] == 1
    assert "not right on a gate it was not shown" in messages(table, "ex3_check_test")


def test_the_overwrite_hint_appears_for_any_valid_order(graded):
    result = graded[WS2.stem]["overwrite"]
    assert points(result)["ex1_topo_test"] == 1 and points(result)["ex1_backprop_test"] == 0
    assert "must add up (+=), not overwrite (=)" in messages(result, "ex1_backprop_test")


def test_not_answered_notes_are_on_unanswered_cells_only(graded):
    for ws, stub in ((WS1.stem, "ex1_answer"), (WS2.stem, "ex1_topo_answer")):
        assert not [n for n in graded[ws]["solved"].notes if "not answered" in n]
        blank = [n for n in graded[ws]["Blank"].notes if "not answered" in n]
        assert f"cell {stub!r} is not answered" in blank
    answers = [C.grade_id(c) for c in read(WS2).cells if C.is_solution(c) and c.cell_type == "code"]
    assert len([n for n in graded[WS2.stem]["Blank"].notes if "is not answered" in n]) == len(answers)


def test_feedback_never_shows_right_and_wrong_for_one_item_nor_an_empty_error(graded):
    for results in graded.values():
        for result in results.values():
            for q in result.questions:
                right = {m[2:].split()[0].rstrip(":") for m in q.messages if m.startswith("✓ ")}
                wrong = {m[2:].split()[0].rstrip(":") for m in q.messages if m.startswith("✗ ")}
                assert not right & wrong, q.messages
                assert all(m.strip() and not m.rstrip().endswith(":") for m in q.messages), q.messages


def test_a_missing_worksheets_reason_is_said_once_and_the_feedback_is_named_readably(tmp_path):
    subs = tmp_path / "subs"
    (subs / "Alice").mkdir(parents=True)
    nbformat.write(_solved(WS2), str(subs / "Alice" / WS2.name))  # Alice handed in worksheet 2 only
    results = batch.grade_folder(WS1, subs, jobs=1, progress=False)
    assert [(r.student, r.status) for r in results] == [("Alice", "missing")]  # not worksheet 2 graded as worksheet 1
    report.write_all(results, tmp_path / "out", WS1.stem)
    text = (tmp_path / "out" / "feedback" / "Alice.md").read_text()
    assert text.count(md_inline(f"no {WS1.name}")) == 1
