"""Reporting a constant instead of answering: worksheet 2's topological order.

`probe_order` used to report, per graph, [number of nodes, is the order valid]: a student who replaced it
(from their own cell) by a function returning [n, True] earned the point without writing
`topological_order`. Now the kernel reports raw data (the order as node numbers, the graph's edges) and
the grader's process decides validity against the edges of the instructor's run (`judge.orders_match`).

Each submission here leaves `topological_order` unwritten and replaces the code of `probe_order`.
The control replaces it by one that runs the kit's own order (the data of a right answer): that gains
the point, so the patches do reach the grader; the guesses do not.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from graded import prepared
from test_worksheet_items import WS2

from coursegrad.grading import batch, judge
from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version

# The guard puts back replaced functions, so the cheat replaces the function's code; it then runs with
# the globals of coursegrad.exercises.write_backprop (`_per_case`, `_as_data`, `_labels`, `_all_nodes`); the kit has
# no function that returns a right order, so the control brings its own (`_right_order`, the worksheet's solution).
PATCH = """import coursegrad.checks
import coursegrad.exercises.write_backprop

{order}
coursegrad.exercises.write_backprop._right_order = _right_order
{code}
coursegrad.checks.probe_order.__code__ = _cheat.__code__
"""
ORDER = (
    "def _right_order(root):\n"
    "    order, done = [], set()\n"
    "    def visit(n):\n"
    "        if id(n) not in done:\n"
    "            done.add(id(n))\n"
    "            for i in n.inputs:\n"
    "                visit(i)\n"
    "            order.append(n)\n"
    "    visit(root)\n"
    "    return order\n"
)
RIGHT = "_per_case(Node, cases, lambda root, _: _as_data(_right_order(root), _labels(_all_nodes(root))))"
CHEATS = {
    # the old report's right values, without an order
    "old_constants": "def _cheat(Node, f, cases):\n"
    "    return [[{'chain': 6, 'diamond': 5, 'twice': 2, 'twice_twice': 3, 'neuron': 11}[c], True] for c in cases]",
    # node numbers 0…n−1 in turn (or reversed) with the real edges
    "identity": f"def _cheat(Node, f, cases):\n    return [[list(range(len(o))), e] for o, e in {RIGHT}]",
    "reversed": f"def _cheat(Node, f, cases):\n    return [[list(range(len(o)))[::-1], e] for o, e in {RIGHT}]",
    # the control: a right order's data (computed by the control's own function)
    "control": f"def _cheat(Node, f, cases):\n    return {RIGHT}",
}


def cheat(student: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(student)
    i = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == "ex1_topo_answer")
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(PATCH.format(order=ORDER, code=code)))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("items")
    student = student_version(read(WS2))
    for name, code in CHEATS.items():
        (tmp / name).mkdir()
        nbformat.write(cheat(student, code), str(tmp / name / WS2.name))
    ws = prepared(tmp_path_factory, WS2, timeout=60)  # the reference values, as this batch would compute them
    results = batch.grade_folder(ws, tmp, jobs=2, progress=False, timeout=60)
    return {r.student: {q.grade_id: q.points for q in r.questions} for r in results}


def test_the_control_patch_reaches_the_grader(graded):
    assert graded["control"]["ex1_topo_test"] == 1


@pytest.mark.parametrize("name", ["old_constants", "identity", "reversed"])
def test_a_guessed_report_earns_nothing(graded, name):
    assert graded[name]["ex1_topo_test"] == 0
    assert sum(graded[name].values()) == 0


def test_orders_are_judged_against_the_reference_edges():
    ref = [[[2, 0, 1], [[2, 0], [0, 1]]], [[1, 0], [[1, 0]]]]
    assert judge.orders_match(ref, ref)
    assert judge.orders_match([[[2, 0, 1], []], [[1, 0], "anything"]], ref)  # the student's edges are ignored
    for bad in ([[[0, 2, 1], []], ref[1]], [[[2, 1, 0], []], ref[1]], [[[2, 0, 0], []], ref[1]], [[[2, 0, 1, 1], []], ref[1]]):
        assert not judge.orders_match(bad, ref), bad
    assert not judge.orders_match([[[2.0, 0.0, 1.0], []], ref[1]], ref)  # node numbers are ints
    assert not judge.orders_match([[[True, 0, 1], []], ref[1]], ref) and not judge.orders_match([[3, True], [2, True]], ref)
    chain = [[[1, 0], [[1, 0]], 0.5]]  # more values after the edges are compared as numbers
    assert judge.orders_match([[[1, 0], [], 0.5]], chain) and not judge.orders_match([[[1, 0], [], 0.6]], chain)
    assert judge.score([{"name": "o", "points": 1, "compare": "topological_order"}], [{"value": ref}], [{"value": ref}])[0] == 1
