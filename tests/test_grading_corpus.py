"""Realistic submissions of both worksheets: the check cells and the grader give each its deserved grade.

The submissions and the points each deserves are in `tests/grading_corpus.py`, written from the
worksheets' text. Each worksheet's submissions are graded once per test session, in one batch with
the grader's default options (`batch.grade_folder`, sandbox "auto"), except the ones that hang
(`Submission.hangs`), graded in a second batch with HANG_TIMEOUT seconds per cell instead of the
default 30 (the behaviour tested, the hanging cell interrupted and grading going on, is the same;
the default only spins the hang longer). Both batches take the instructor's reference values computed
once per session at the default options (`graded.prepared`, as test_grading_verdicts.py). Each
submission is also run once as a student runs it (every cell in order in a fresh kernel, a hanging
cell interrupted, errors shown and the run going on; a copy, cell for cell, runs as its original did,
so it is run once), reading every check cell's verdict from its output: an error is 0 points; a
"points: p / P" line is p; a cell that ran through is its full points; and in a cell of several items
an item whose answers all printed "✓ name is right" keeps its points. Both must equal the deserved
points, question by question (issue 18: a grade is a promise).
"""

from __future__ import annotations

import ast
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from graded import prepared
from grading_corpus import POINTS, SUBMISSIONS, WS1, WS2, Submission
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from coursegrad.grading import batch
from coursegrad.grading import cells as C
from coursegrad.grading.release import read
from coursegrad.grading.validate import solved
from coursegrad.kernels import ThisPythonKernel

ROOT = Path(__file__).resolve().parent.parent
SOURCE = {ws: ROOT / "worksheets" / "source" / ws for ws in (WS1, WS2)}
RELEASE = {ws: ROOT / "worksheets" / "release" / ws for ws in (WS1, WS2)}
STUDENT_TIMEOUT = 15  # seconds before the "student" interrupts a cell (a hang, never a slow right answer)
HANG_TIMEOUT = STUDENT_TIMEOUT  # the grader's seconds per cell for the submissions that hang (the default is 30)
WRITTEN = "The sigmoid saturates, so its local gradient is close to 0 and the gradients below it vanish."
POINTS_LINE = re.compile(r"^points: ([0-9.]+) / ([0-9.]+)\s*$", re.M)


def notebook_of(sub: Submission) -> nbformat.NotebookNode:
    """The release with the submission's answers typed into its answer cells."""
    release, source = read(RELEASE[sub.worksheet]), read(SOURCE[sub.worksheet])
    instructors = {C.grade_id(c): c.source for c in solved(release, source).cells}
    nb = solved(release, source) if sub.base == "solved" else release
    for cell in nb.cells:
        gid = C.grade_id(cell)
        if gid in sub.answers:
            cell.source = instructors[gid] if sub.answers[gid] is None else sub.answers[gid]
        elif C.is_manual(cell) and sub.written:
            cell.source = WRITTEN
    unknown = set(sub.answers) - {C.grade_id(c) for c in nb.cells if C.is_solution(c)}
    assert not unknown, f"{sub.name}: no answer cells {unknown}"
    return nb


def run_as_a_student(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Every cell in order in a fresh kernel; a cell running over STUDENT_TIMEOUT is interrupted; errors don't stop the run."""
    client = NotebookClient(
        nb,
        timeout=STUDENT_TIMEOUT,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        km=ThisPythonKernel(kernel_name="python3"),
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    finally:
        run_sync(client.km.shutdown_kernel)(now=True)  # nbclient leaves running a kernel it did not start
    return nb


def _names(expr: str) -> set[str] | None:
    """The variables an item's expression lists (`[a, b]` or `a`); None when it calls anything (a probe)."""
    tree = ast.parse(expr, mode="eval").body
    elts = tree.elts if isinstance(tree, ast.List) else [tree]
    return {e.id for e in elts} if all(isinstance(e, ast.Name) for e in elts) else None


def check_cell_points(cell: nbformat.NotebookNode, test: nbformat.NotebookNode, max_points: float) -> float:
    """What the student reads off a check cell's output, as points (see the module's docstring)."""
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
    failed = any(o.output_type == "error" for o in cell.outputs)
    if found := POINTS_LINE.findall(text):
        return 0.0 if failed else float(found[-1][0])
    if not failed:
        return float(max_points)
    right = set(re.findall(r"^✓ (\w+) is right$", text, re.M))
    items = test.metadata.get("coursegrad", {}).get("items", [])
    return float(sum(i["points"] for i in items if len(items) > 1 and (n := _names(i["expr"])) and n <= right))


class Corpus:
    """Each worksheet's submissions, run as a student would and graded, once per session (on first use)."""

    def __init__(self, tmp_path_factory):
        self.factory = tmp_path_factory
        self.folder = tmp_path_factory.mktemp("corpus")
        self.done: dict[str, dict] = {}

    def of(self, ws: str) -> dict:
        if ws not in self.done:
            self.done[ws] = self._run(ws)
        return self.done[ws]

    def _run(self, ws: str) -> dict:
        """Write every submission, grade the folders (see the module's docstring) while running each as a student in a thread."""
        subs = [s for s in SUBMISSIONS if s.worksheet == ws]
        root = self.folder / Path(ws).stem
        for sub in subs:
            folder = root / ("hangs" if sub.hangs else "submissions") / sub.name
            folder.mkdir(parents=True)
            nbformat.write(notebook_of(sub), folder / ws)
        source = prepared(self.factory, SOURCE[ws])  # the reference values, as a batch with the default options computes them
        seconds: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=1) as pool:
            student = pool.submit(self._as_students, ws, subs, root / "scratch", seconds)
            start = time.perf_counter()
            results = batch.grade_folder(source, root / "submissions", jobs=2, progress=False)  # the default options
            results += batch.grade_folder(source, root / "hangs", jobs=2, progress=False, timeout=HANG_TIMEOUT)
            seconds["graded"] = time.perf_counter() - start
            checks, outputs = student.result()
        graded = {r.student: {q.grade_id: q for q in r.questions} for r in results}
        print(f"\n{ws}: {len(subs)} submissions graded in {seconds['graded']:.0f} s, run as students in {seconds['run']:.0f} s")
        return {"checks": checks, "outputs": outputs, "graded": graded}

    @staticmethod
    def _as_students(ws: str, subs: list[Submission], scratch: Path, seconds: dict) -> tuple[dict, dict]:
        """Each submission run as its student runs it: the points its check cells show, and their cells."""
        tests = {C.grade_id(c): c for c in read(SOURCE[ws]).cells if C.is_test(c)}
        checks, outputs, start = {}, {}, time.perf_counter()
        runs: dict[str, tuple[dict, dict]] = {}  # the notebook's text -> what its run showed
        for sub in subs:
            nb = notebook_of(sub)
            text = nbformat.writes(nb)
            if text not in runs:  # a copy of another submission, cell for cell, shows what the original showed
                (scratch / sub.name).mkdir(parents=True)
                ran = run_as_a_student(nb, scratch / sub.name)
                cells = {C.grade_id(c): c for c in ran.cells if C.grade_id(c) in POINTS[ws]}
                runs[text] = ({q: check_cell_points(cells[q], tests[q], p) for q, p in POINTS[ws].items()}, cells)
            checks[sub.name], outputs[sub.name] = runs[text]
        seconds["run"] = time.perf_counter() - start
        return checks, outputs


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory)


def _cases(side: str) -> list:
    return [
        pytest.param(
            s, id=s.name, marks=[pytest.mark.xfail(strict=True, reason=f"issue 18: {s.known[side]}")] if side in s.known else []
        )
        for s in SUBMISSIONS
    ]


def _differences(sub: Submission, got: dict[str, float]) -> list[str]:
    want = sub.points()
    return [
        f"{q}: {got.get(q)} instead of {p:g} ({sub.deserved.get(q, (p, 'right'))[1]})" for q, p in want.items() if got.get(q) != p
    ]


def test_the_corpus_is_well_formed():
    names = [s.name for s in SUBMISSIONS]
    assert len(names) == len(set(names))
    for sub in SUBMISSIONS:
        assert set(sub.deserved) <= set(POINTS[sub.worksheet]), sub.name
        for q, (points, why) in sub.deserved.items():
            assert 0 <= points <= POINTS[sub.worksheet][q] and why, f"{sub.name}/{q}"
        assert set(sub.known) <= {"check", "grader"}, sub.name
    totals = {ws: sum(POINTS[ws].values()) for ws in POINTS}
    assert totals == {WS1: 20, WS2: 15}  # the worksheets' own "Points:" lines
    for ws, points in POINTS.items():  # and the same questions and points as the instructor's test cells
        assert points == {C.grade_id(c): c.metadata.nbgrader.points for c in read(SOURCE[ws]).cells if C.is_test(c)}
    assert {s.total for s in SUBMISSIONS} >= {0.0, 20.0, 15.0}


@pytest.mark.parametrize("sub", _cases("check"))
def test_check_cells_give_the_deserved_points(sub: Submission, corpus: Corpus):
    got = corpus.of(sub.worksheet)["checks"][sub.name]
    assert not _differences(sub, got), f"{sub.name} ({sub.what}): the check cells say " + "; ".join(_differences(sub, got))


@pytest.mark.parametrize("sub", _cases("grader"))
def test_grader_gives_the_deserved_points(sub: Submission, corpus: Corpus):
    questions = corpus.of(sub.worksheet)["graded"][sub.name]
    got = {q: questions[q].points for q in POINTS[sub.worksheet]}
    assert not _differences(sub, got), f"{sub.name} ({sub.what}): the grader gives " + "; ".join(
        f"{d} [{'; '.join(questions[d.split(':')[0]].messages)[:300]}]" for d in _differences(sub, got)
    )


@pytest.mark.parametrize(
    "name",
    [
        "w2_overwrite",
        "w2_overwrite_kahn",  # the check reads the slip from the gradients the student's backprop left, in any order
    ],
)
def test_the_overwrite_hint_shows_for_every_valid_order(name: str, corpus: Corpus):
    """= instead of += in backprop: the check names the slip, whatever valid topological order the student's is."""
    cell = corpus.of(WS2)["outputs"][name]["ex1_backprop_test"]
    said = "".join(o.get("evalue", "") + o.get("text", "") for o in cell.outputs)
    assert "+=" in said, said
