"""The judge's items of both worksheets (metadata.coursegrad, see worksheets/README.md) mirror the cells' asserts.

Each test runs a version of a worksheet in a kernel, evaluates every item after its test cell, turns
the values into plain JSON data in the kernel, and judges them here by the protocol's rule against
the instructor's solution (same structure; numbers within max(abs, rel·|ref|); strings equal after
strip). The points per cell must equal what the cells themselves give under nbgrader's rule (the
grader today), for the solved and the unanswered versions and for typical partly wrong ones:

- worksheet 2 with `=` for `+=` in backprop loses the backprop and second-backward points, nothing else;
- worksheet 1 with two of the four fork values right gets half of exercise 2's fork points.
"""

from __future__ import annotations

import ast
import copy
import json
import math
from pathlib import Path

import nbformat
import pytest
from graded import grade_once

from coursegrad.grading import cells as C
from coursegrad.grading import judge as judge_rules
from coursegrad.grading.kernel import Kernel
from coursegrad.grading.release import read, student_version
from coursegrad.grading.validate import solved

ROOT = Path(__file__).resolve().parent.parent
WS1 = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"
WS2 = ROOT / "worksheets" / "source" / "02_write_backprop.ipynb"

PLAIN = """
def _cg_plain(x):
    import numpy as _np
    if isinstance(x, (bool, _np.bool_)) or x is None:
        return None if x is None else bool(x)
    if isinstance(x, (int, float, _np.integer, _np.floating)):
        return float(x)
    if isinstance(x, str):
        return x
    if isinstance(x, _np.ndarray):
        return _cg_plain(x.tolist())
    if isinstance(x, (list, tuple)):
        return [_cg_plain(v) for v in x]
    raise TypeError(f"not plain data: {type(x).__name__}")
"""


def item_values(nb: nbformat.NotebookNode, source: nbformat.NotebookNode, workdir: Path) -> dict[str, list]:
    """Run `nb` cell by cell (the instructor's test cells in place of the student's); after each test cell, its items' values."""
    tests = {C.grade_id(c): c for c in source.cells if C.is_test(c)}
    out = {}
    with Kernel(workdir, timeout=60) as kernel:
        kernel.run(PLAIN)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            gid = C.grade_id(cell)
            kernel.run(tests[gid].source if gid in tests else cell.source)
            if gid not in tests:
                continue
            spec = tests[gid].metadata["coursegrad"]
            if spec.get("setup"):
                kernel.run(spec["setup"])
            values = []
            for item in spec["items"]:
                ok, said = kernel.evaluate(f"__import__('json').dumps(_cg_plain({item['expr']}))", timeout=60)
                values.append(json.loads(ast.literal_eval(said)) if ok else f"error: {said[:200]}")
            out[gid] = values
    return out


def matches(got, ref, rel: float, abs_tol: float) -> bool:
    """The protocol's rule: same structure, numbers within max(abs, rel·|ref|), strings equal after strip."""
    if isinstance(ref, list):
        return (
            isinstance(got, list)
            and len(got) == len(ref)
            and all(matches(g, r, rel, abs_tol) for g, r in zip(got, ref, strict=False))
        )
    if isinstance(ref, bool) or ref is None:
        return got is ref
    if isinstance(ref, str):
        return isinstance(got, str) and got.strip() == ref.strip()
    if isinstance(got, bool) or not isinstance(got, float) or not math.isfinite(got):
        return False
    return abs(got - ref) <= max(abs_tol, rel * abs(ref))


def _ints(x):
    """Whole numbers back as ints (`_cg_plain` makes every number a float): node numbers of an order."""
    if isinstance(x, list):
        return [_ints(v) for v in x]
    return int(x) if type(x) is float and x.is_integer() else x


def same(item: dict, got, ref) -> bool:
    rel, abs_tol = item.get("rel", 1e-6), item.get("abs", 1e-9)
    if item.get("compare") == "topological_order":  # validity decided from the reference's edges
        return judge_rules.orders_match(_ints(got), _ints(ref), rel, abs_tol)
    return matches(got, ref, rel, abs_tol)


def judge(source, values: dict, reference: dict) -> dict[str, float]:
    points = {}
    for cell in source.cells:
        if C.is_test(cell):
            gid = C.grade_id(cell)
            items = cell.metadata["coursegrad"]["items"]
            points[gid] = sum(
                i["points"] for i, got, ref in zip(items, values[gid], reference[gid], strict=True) if same(i, got, ref)
            )
    return points


def graded_points(tmp_path_factory, source_path: Path, nb, name: str) -> dict[str, float]:
    """`nb` graded with 60 s per cell, once per session (`graded.grade_once`: test_nbgrader_compat.py grades some too)."""
    result = grade_once(tmp_path_factory, source_path, nb, timeout=60)
    if name == "blank":  # the unanswered version: every check says what is missing, in one clean line
        for q in result.questions:
            said = [m for m in q.messages if not m.startswith("✗")]  # a partial-credit cell lists its parts first
            clean = ("is not written yet (it raises NotImplementedError)", "is not defined (did you answer")
            assert q.kind != "auto" or (len(said) == 1 and any(c in said[0] for c in clean)), (q.grade_id, q.messages)
    return {q.grade_id: q.points for q in result.questions if q.kind == "auto"}


def _answer(nb, gid: str, edit) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cell = next(c for c in nb.cells if C.grade_id(c) == gid)
    cell.source = edit(cell.source)
    return nb


RECURSIVE = """
def topological_order(root):
    out = []

    def visit(n):
        if n not in out:
            for i in n.inputs:
                visit(i)
            out.append(n)

    visit(root)
    return out
"""
VARIANTS = {
    WS2: {
        "overwrite": ("ex1_backprop_answer", lambda s: s.replace("child.grad += local", "child.grad = local")),
        "recursive": (
            "ex1_topo_answer",
            lambda s: RECURSIVE,
        ),
        "two_layer_no_mean": ("ex4_answer", lambda s: s.replace("    dscores /= N\n", "")),
    },
    WS1: {
        "partial_fork": ("ex2_answer", lambda s: s.replace("dg_dx, dg_dy = 6.0, -18.0", "dg_dx, dg_dy = 12.0, 18.0")),
        "square_case_wrong": ("ex7_square_answer", lambda s: s.replace('square_dX = "A"', 'square_dX = "B"')),
    },
}


@pytest.fixture(scope="module", params=[WS1, WS2], ids=lambda p: p.stem)
def worksheet(request, tmp_path_factory):
    path = request.param
    source = read(path)
    student = student_version(source)
    tmp = tmp_path_factory.mktemp(path.stem)
    versions = {"solved": solved(student, source), "blank": student}
    for name, (gid, edit) in VARIANTS[path].items():
        versions[name] = _answer(versions["solved"], gid, edit)
    reference = item_values(versions["solved"], source, tmp / "reference")  # also the solved version's values
    results = {}
    for name, nb in versions.items():
        values = reference if name == "solved" else item_values(nb, source, tmp / f"items-{name}")
        results[name] = (judge(source, values, reference), graded_points(tmp_path_factory, path, nb, name))
    return path, source, results


def test_the_items_give_the_same_points_as_the_cells(worksheet):
    _, _, results = worksheet
    for name, (judged, graded) in results.items():
        assert judged == graded, name


def test_the_source_gets_full_marks_and_the_student_version_zero(worksheet):
    _, source, results = worksheet
    full = {C.grade_id(c): C.points(c) for c in source.cells if C.is_test(c)}
    assert results["solved"][0] == full
    assert set(results["blank"][0].values()) == {0}


def test_typical_mistakes_lose_exactly_their_points(worksheet):
    path, source, results = worksheet
    full = {C.grade_id(c): C.points(c) for c in source.cells if C.is_test(c)}
    lost = {name: {g: full[g] - p for g, p in judged.items() if p != full[g]} for name, (judged, _) in results.items()}
    if path == WS2:
        assert lost["overwrite"] == {"ex1_backprop_test": 2, "ex1_second_backward": 1}  # = instead of +=
        assert lost["recursive"] == {"ex1_long_chain": 1}  # recursion cannot go 5,000 deep
        assert lost["two_layer_no_mean"] == {"ex4_test": 3}  # every gradient N times too large; the loss still right
    else:
        assert lost["partial_fork"] == {"ex2_fork": 1.0}
        assert lost["square_case_wrong"] == {"ex7_square": 1}
