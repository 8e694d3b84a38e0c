"""`coursegrad generate` derives the judge's items from a test cell's code (coursegrad/grading/derive.py).

The worksheets' stored items are exactly what it derives; each form it reads gives the item it should
(tolerances, grouping, partial credit, a probe's cases joined from visible and hidden calls); what it
cannot read is named with its line and what to write instead; writing the items back keeps everything
else in the notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from coursegrad import cli
from coursegrad.grading import cells as C
from coursegrad.grading import derive, records, release
from coursegrad.grading.validate import derivation_problems

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "worksheets" / "source").glob("*.ipynb"))


def make_test_cell(source: str, points: float = 2, gid: str = "t") -> nbformat.NotebookNode:
    meta = {"grade": True, "grade_id": gid, "locked": True, "points": points, "schema_version": 3, "solution": False}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def items(source: str, points: float = 2) -> list[dict]:
    derived = derive.derive_cell(make_test_cell(source, points))
    assert derived.problems == [], derived.problems
    return derived.spec["items"]


def problems(source: str) -> list[str]:
    derived = derive.derive_cell(make_test_cell(source))
    assert derived.spec is None
    return derived.problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_the_worksheets_items_are_what_generate_derives(path):
    nb = release.read(path)
    cells = {C.grade_id(c): c for c in nb.cells}
    derived = derive.derive(nb)
    assert len(derived) == sum(C.is_test(c) for c in nb.cells) >= 10
    for d in derived:
        assert d.problems == [], (d.grade_id, d.problems)
        assert derive.is_current(cells[d.grade_id], d.spec), d.grade_id
        assert derive.stored(cells[d.grade_id]) == {k: v for k, v in d.spec.items() if k != "forbid"}
    assert derive.update(nb) == ([], [])


def test_what_a_check_forbids_is_derived_with_the_answer_cell_that_defines_the_function():
    nb = release.read(SOURCES[1])
    (ex4,) = [d for d in derive.derive(nb) if d.grade_id == "ex4_test"]
    assert ex4.spec["forbid"] == {
        "answers": ["ex4_answer"],
        "modules": ["coursegrad"],
        "why": "the task asks for numpy only: an answer that uses coursegrad (its engine) earns no points here",
    }
    answer = next(c for c in nb.cells if C.grade_id(c) == "ex4_answer")
    answer.source = answer.source.replace("def two_layer_backward(", "def two_layer(")
    (ex4,) = [d for d in derive.derive(nb) if d.grade_id == "ex4_test"]
    assert ex4.spec is None and "no answer cell defines two_layer_backward" in ex4.problems[0]


def test_a_visible_check_and_hidden_expect_close_are_one_item_with_the_stricter_tolerance():
    source = """from coursegrad.checks import check_scaling, expect_close

check_scaling(dw=dw, lr_same_step=lr_same_step)
### BEGIN HIDDEN TESTS
expect_close("dw", dw, [8.0, 2.0, -4.0])
expect_close("lr_same_step", lr_same_step, 1e-3, abs_tol=1e-12)
### END HIDDEN TESTS"""
    assert items(source) == [
        {"name": "dw", "expr": "dw", "points": 1},
        {"name": "lr_same_step", "expr": "lr_same_step", "points": 1, "abs": 1e-12},
    ]


def test_plain_asserts_are_exact_or_within_their_bound_and_all_or_nothing():
    source = "assert square(3) == 9\nassert abs(slope - 0.25) <= 1e-3, 'not yet'\nassert square(-2) == 4"
    assert items(source, 3) == [
        {"name": "square(3), square(-2)", "expr": "[square(3), square(-2)]", "points": 1.5, "rel": 0.0, "abs": 0.0},
        {"name": "slope", "expr": "slope", "points": 1.5, "rel": 0.0, "abs": 1e-3},
    ]


def test_a_partial_credit_check_gives_each_answer_its_share():
    source = "from coursegrad.checks import score_fork_backward\nscore_fork_backward(points=3.0, dg_dx=dg_dx, dg_dy=dg_dy, dd=d)"
    got = items(source, 3)
    assert [(i["name"], i["expr"], i["points"]) for i in got] == [
        ("dg_dx", "dg_dx", 1),
        ("dg_dy", "dg_dy", 1),
        ("dd", "d", 1),
    ]


def test_shapes_are_compared_as_lists_and_a_third_of_the_points_keeps_the_sum():
    source = (
        "from coursegrad.checks import check_shapes, expect_shape\n\ncheck_shapes(shape_dY=shape_dY)\nexpect_shape('s', s, (1,))"
    )
    assert items(source, 1) == [{"name": "shape_dY, s", "expr": "[list(shape_dY), list(s)]", "points": 1}]
    thirds = items("from coursegrad.checks import score_fork_backward\n\nscore_fork_backward(points=1, a=a, b=b, c=c)", 1)
    assert [i["points"] for i in thirds] == [0.333333] * 3


def test_a_function_checks_visible_and_hidden_cases_are_joined_into_one_probe():
    source = """from coursegrad.checks import check_long_chain, check_sigmoid_gate, score_two_layer

check_sigmoid_gate(my_gate)
check_long_chain(Node, topo, bp)
### BEGIN HIDDEN TESTS
check_sigmoid_gate(my_gate, points=(-5.0, 0.7))
check_long_chain(Node, topo, bp, kind="mixed")
score_two_layer(net, seeds=(1, 2))
### END HIDDEN TESTS"""
    got = {i["name"]: i for i in items(source, 6)}
    assert got["gate"] == {"name": "gate", "expr": "probe_gate(my_gate, [0.7, -2.0, 0.0, 3.5, -5.0])", "points": 1, "rel": 1e-7}
    assert got["long_chains"]["expr"] == "[probe_long_chain(Node, topo, bp, kind) for kind in ('tanh', 'mixed')]"
    assert got["long_chains"]["compare"] == "topological_order"
    assert got["dW1"]["expr"] == "probe_two_layer(net, [1, 2], 'dW1')" and got["db2"]["points"] == 0.5
    assert sum(i["points"] for i in got.values()) == 6
    spec = derive.derive_cell(make_test_cell(source, 6)).spec
    assert spec["setup"].split("\n") == [
        f"from coursegrad.checks import {p}" for p in ("probe_gate", "probe_long_chain", "probe_two_layer")
    ]


@pytest.mark.parametrize(
    "source, said",
    [
        (
            "for x in (1, 2):\n    assert f(x) == x",
            "line 1: `for x in (1, 2):`: generate cannot derive items from a statement (for)",
        ),
        ("_y = f(2)\nassert _y == 4", "line 1: `_y = f(2)`: generate cannot derive items from a statement (assign)"),
        ("assert isinstance(x, float)", "generate reads only `assert answer == right`"),
        ("expect_close('x', x, 1.0)", "expect_close is not imported here: import it from coursegrad.checks"),
        (
            "from mychecks import check_x\ncheck_x(x)",
            "check_x comes from mychecks: generate reads only the checks of coursegrad.checks",
        ),
        ("from coursegrad.checks import as_number\nas_number('x', x)", "as_number is not a check generate can read"),
        ("from coursegrad.checks import check_backprop\ncheck_backprop(Node, bp, cases=CASES)", "write cases=… out as a literal"),
        ("from coursegrad.checks import check_backprop\ncheck_backprop(Node)", "missing a required argument"),
        ("from coursegrad.checks import check_shapes\ncheck_shapes(shape_dY)", "check_shapes takes the answers as keywords"),
        (
            "from coursegrad.checks import expect_close as e\ne('x', x, 1, rel=R)",
            "write the tolerances rel=… and abs_tol=… as numbers",
        ),
        (
            "from coursegrad.checks import expect_close\nassert abs(x - 1) < 0.1\nexpect_close('x', x, 1)",
            "neither is the stricter",
        ),
        ("import math", "no check found"),
        ("assert 9 == square(3)", "the answer 9 is a constant, so every student would earn it"),
        ("from coursegrad.checks import check_graph_forward\ncheck_graph_forward(q_value=-2.0)", "the answer -2.0 is a constant"),
        ("assert x ==", "the cell is not valid Python"),
    ],
)
def test_what_generate_cannot_read_is_named_with_what_to_write_instead(source, said):
    found = problems(source)
    assert any(said in p for p in found), found
    assert all("write" in p or "valid Python" in p or "import it" in p for p in found), found


def test_a_setup_cells_imports_count_and_print_is_ignored():
    setup = nbformat.v4.new_code_cell("from coursegrad.checks import expect_close", metadata={"nbgrader": {"locked": True}})
    nb = nbformat.v4.new_notebook(cells=[setup, make_test_cell("print('checking')\nexpect_close('x', x, 2.0, rel=1e-3)")])
    (derived,) = derive.derive(nb)
    assert derived.spec == {"items": [{"name": "x", "expr": "x", "points": 2, "rel": 1e-3}]}


def worksheet(tmp_path: Path) -> Path:
    """A copy of worksheet 1's source whose first test cell lost its items and second has hand-written ones it cannot derive."""
    nb = release.read(SOURCES[0])
    tests = [c for c in nb.cells if C.is_test(c)]
    del tests[0].metadata["coursegrad"]
    tests[1].source = "for k in (1, 2):\n    assert k > 0"
    tests[1].metadata["coursegrad"]["note"] = "kept"
    tests[2].outputs = [nbformat.v4.new_output("stream", text="✓ kept\n")]
    path = tmp_path / "source" / "ws.ipynb"
    path.parent.mkdir()
    path.write_text(release.to_text(nb), encoding="utf-8")
    return path


def test_generate_writes_the_items_back_keeping_everything_else(tmp_path, capsys):
    path = worksheet(tmp_path)
    before = release.read(path)
    assert cli.main(["generate", "--check", str(path)]) == 1
    assert "OUT OF DATE: ex1_forward: the items of" in capsys.readouterr().out
    assert cli.main(["generate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "wrote the items of 1 test cell(s)" in out and "ex1_forward" in out
    assert "could not derive the items of ex1_backward_mul (kept its hand-written items)" in out
    after = release.read(path)
    for old, new in zip(before.cells, after.cells, strict=True):
        if C.grade_id(new) != "ex1_forward":
            assert new == old
    forward = next(c for c in after.cells if C.grade_id(c) == "ex1_forward")
    assert forward.metadata.coursegrad == {
        "items": [{"name": "q_value, m_value, f_value", "expr": "[q_value, m_value, f_value]", "points": 1}]
    }
    assert (tmp_path / "release" / "ws.ipynb").exists() and list(path.parent.iterdir()) == [path]  # no temporary left
    assert cli.main(["generate", "--check", str(path)]) == 0
    problems, notes = derivation_problems(after)
    assert problems == [] and notes[0].startswith("ex1_backward_mul: hand-written items kept; generate could not derive")


def test_a_cell_left_without_items_fails_generate_and_validate_says_why(tmp_path, capsys):
    path = worksheet(tmp_path)
    nb = release.read(path)
    cell = next(c for c in nb.cells if C.grade_id(c) == "ex1_backward_mul")
    del cell.metadata["coursegrad"]
    stale = next(c for c in nb.cells if C.grade_id(c) == "ex5_test")
    stale.metadata.coursegrad["items"][0]["points"] = 0.5
    path.write_text(release.to_text(nb), encoding="utf-8")
    problems, _ = derivation_problems(nb)
    assert any(
        p.startswith("ex1_backward_mul: generate could not derive its items: line 1: `for k in (1, 2):`") for p in problems
    )
    assert "ex5_test: its items are not what `coursegrad generate` derives from its code: run it" in problems
    assert cli.main(["validate", str(path)]) == 1  # fails before running any kernel, naming the cell and the line
    said = capsys.readouterr().out
    assert "FAILED" in said and "- ex1_backward_mul: generate could not derive its items: line 1: `for k in (1, 2):`" in said
    assert cli.main(["generate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "could not derive the items of ex1_backward_mul (it has none)" in captured.out
    assert "1 test cell(s) have no items" in captured.err
    assert json.loads(path.read_text())  # still a whole notebook


def test_an_expected_expression_added_by_hand_to_a_derived_item_is_kept():
    nb = release.read(SOURCES[0])
    cell = next(c for c in nb.cells if C.grade_id(c) == "ex1_forward")
    cell.metadata.coursegrad["items"][0]["expected"] = "[-2.0, 3.0, -6.0]"
    (derived,) = [d for d in derive.derive(nb) if d.grade_id == "ex1_forward"]
    assert "expected" not in derived.spec["items"][0] and derive.is_current(cell, derived.spec)
    cell.metadata.coursegrad["items"][0]["points"] = 0.5
    assert derive.update(nb)[0] == ["ex1_forward"]
    assert cell.metadata.coursegrad["items"][0] | {"points": 1} == cell.metadata.coursegrad["items"][0]
    assert cell.metadata.coursegrad["items"][0]["expected"] == "[-2.0, 3.0, -6.0]"


def test_write_atomically_keeps_the_files_mode(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text("old")
    path.chmod(0o640)
    records.write_atomically(path, "new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o640
