"""Grade one submitted notebook against the instructor source.

`grade_notebook(source, path, student)` copies the submission into the kernel's own folder (the
original is only read; links and special files are refused), builds the run from the instructor
source (`match.plan`), starts a fresh kernel (in a bubblewrap sandbox where it works, `sandbox.py`),
and runs the cells in order within the submission's time budget. Before each instructor test the
guard puts the checking machinery back (`inkernel/guard.py`). A test is scored:

- when it has items (`metadata.coursegrad`, `judge.py`): outside the kernel — the kernel reports
  the items' values as JSON data, this process compares them with the instructor's values
  (`reference.py`); the check cell's own output is kept only as hints;
- otherwise by nbgrader's rule, in the kernel: an error or anything on stderr 0 points, a number
  as the cell's result that many points (partial credit), else full points.

Written answers are not scored here: they are "manual" (or "blank" if left unanswered).
Nothing a submission does stops the grader: every failure becomes a status and a reason.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import time
from pathlib import Path

import nbformat

from coursegrad.grading import cells as C
from coursegrad.grading import judge, match, scan
from coursegrad.grading.judge import items_of as judge_items
from coursegrad.grading.kernel import CellResult, Kernel
from coursegrad.grading.model import Question, Submission, questions_of, unreadable  # noqa: F401  (re-exported)
from coursegrad.grading.release import student_version
from coursegrad.grading.sandbox import KIT, resolve
from coursegrad.grading.source import Worksheet, worksheet

MAX_NOTEBOOK_BYTES = 50_000_000
DEFAULT_BUDGET = 120.0  # CPU seconds all the cells of one submission may use together (kernel.py: and 4x that in wall time)
_GUARD = "__import__('sys').modules['coursegrad.grading.inkernel.guard']"
INSTALL = "__import__('coursegrad.grading.inkernel.guard', fromlist=['install']).install(globals(), {memory})"
BEFORE_TEST = _GUARD + ".before_test(globals(), {nonce!r})"
AFTER_TEST = _GUARD + ".after_test(globals(), {nonce!r})"
PROBE = "__import__('coursegrad.grading.inkernel.probe', fromlist=['report']).report(globals(), {setup!r}, {exprs!r}, {limit})"


def read_submission(path: str | Path) -> bytes:
    """The bytes of a submitted file, or OSError/ValueError: symbolic links, hard links to the source,
    devices, pipes and files over the size limit are refused (never followed, never blocked on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file (a device, pipe or socket): refused")
        if st.st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"the file is {st.st_size / 1e6:.0f} MB, larger than the {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit")
        return f.read(MAX_NOTEBOOK_BYTES + 1)


def parse(data: bytes) -> tuple[nbformat.NotebookNode, list[str]]:
    """A submitted notebook from its bytes, upgraded to nbformat 4, and what was unusual; or ValueError saying why not."""
    text = data.decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"invalid JSON ({err})") from None
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not (isinstance(raw.get("cells"), list) or isinstance(raw.get("worksheets"), list)):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat's many reasons: say which
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {err})") from None
    for cell in nb.cells:
        if not isinstance(cell.get("source"), str) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError("not a readable notebook (a cell without a type or source)")
    notes = [f"an nbformat {version} notebook, upgraded to nbformat 4 to grade it"] if version != 4 else []
    return nb, notes


def load(path: str | Path) -> nbformat.NotebookNode:
    """Read a submitted notebook, or raise ValueError saying why it cannot be graded."""
    return parse(read_submission(path))[0]


def grade_notebook(
    source: str | Path | Worksheet,
    path: str | Path,
    student: str,
    timeout: float = 30,
    max_output: int = 100_000,
    memory_mb: int | None = 4096,
    kernel: Kernel | None = None,
    sandbox: str = "auto",
    budget: float | None = DEFAULT_BUDGET,
    kit: str = KIT,
    judge: str = "items",
) -> Submission:
    """Grade the notebook at `path` (never modified) for `student` against the instructor `source`
    (a path, or a `Worksheet` the batch read once).

    `kernel`: a fresh, launched but unused `Kernel` to run it in (the batch grader starts the
    next one early); by default a new one. It is closed when grading ends. `sandbox`: "bwrap",
    "none" or "auto" (`sandbox.resolve`; then a note says when there is no sandbox). `budget`:
    CPU seconds all the submission's cells may use together (None: no limit; `kernel.py`). `kit`: the package
    folder the kernel imports coursegrad from. `judge`: "items" (tests with items are judged
    outside the kernel, against the instructor's values, which the `Worksheet` must carry:
    `reference.with_reference` computes them once, for the caller), "kernel" (every test judged in
    the kernel, as nbgrader does) or "collect" (the reference run: values recorded, tests scored in the kernel).
    """
    start = time.perf_counter()
    mode, unsandboxed = resolve(sandbox) if sandbox == "auto" else (sandbox, "")
    ws = worksheet(source)
    if judge == "items" and not ws.reference and any(judge_items(cell)[1] for cell in ws.notebook().cells):
        raise ValueError(
            f"{ws.name}: the instructor's reference values are missing: compute them once, before grading, with "
            "reference.with_reference(Worksheet.read(path)), and pass that Worksheet"
        )
    kernel = kernel or grading_kernel(timeout, max_output, memory_mb, mode, kit)
    try:
        source_nb = ws.notebook()
        try:
            data = read_submission(path)
            submission, notes = parse(data)
        except (ValueError, OSError) as err:
            return unreadable(source_nb, student, "invalid", f"cannot grade {Path(path).name}: {err}", str(path))
        run = match.plan(source_nb, student_version(source_nb), submission)
        notes = notes + list(run.problems)
        result = Submission(student, questions_of(source_nb), str(path), notes=notes, sandbox=unsandboxed)
        kernel.give(Path(path).name, data)  # student code may touch its copy only
        _run(run, result, kernel, budget, judge, ws.reference)
    finally:
        kernel.close()
    flags = scan.suspicious([s.source for s in run.steps if s.role in ("answer", "extra")])
    if flags:
        result.notes.append("for review: " + ", ".join(flags))
    result.seconds = time.perf_counter() - start
    return result


def grading_kernel(
    timeout: float = 30,
    max_output: int = 100_000,
    memory_mb: int | None = 4096,
    sandbox: str = "none",
    kit: str = KIT,
    user: int | None = None,
) -> Kernel:
    """A kernel (in a bubblewrap sandbox if `sandbox` is "bwrap"; as the unprivileged uid `user` if given, e.g.
    on Gradescope) that installs the guard as it boots, before any student code, with hard limits on its memory
    and the files it writes."""
    startup = INSTALL.format(memory=memory_mb or None)
    sandboxed = sandbox == "bwrap"
    return Kernel(
        timeout=timeout, max_output=max_output, startup=startup, sandboxed=sandboxed, memory_mb=memory_mb, kit=kit, user=user
    )


def _run(run: match.Plan, result: Submission, kernel: Kernel, budget: float | None, judge: str, reference: dict) -> None:
    by_id = {q.grade_id: q for q in result.questions}
    with kernel:
        ok, said = kernel.evaluate(f"{_GUARD}.installed()")
        if not ok:
            raise RuntimeError(f"the grading kernel could not set up coursegrad's guard ({said})")
        kernel.budget = budget  # CPU seconds of the kernel: a loaded machine does not use it up
        lost = ""  # why the kernel is gone (or may run no more), once it is
        answers = {step.grade_id: step.source for step in run.steps if step.role == "answer"}
        for step in run.steps:
            q = by_id.get(step.grade_id)
            if step.role == "written":
                q.points, q.status = (0.0, "blank") if _blank(step.source) else (None, "manual")
                result.written[step.grade_id] = step.source
                continue
            if step.role == "markdown":
                continue
            if lost:
                if q is not None:
                    q.status, q.messages = "not-run", [lost]
                continue
            if step.role == "test":
                _test(kernel, step, q, judge, reference.get(step.grade_id))
                _enforce(step, q, answers)
            else:
                _note(result, step, kernel.run(step.source), kernel.alive)
                if step.role == "answer" and unanswered(step.source, step.given):
                    result.notes.append(f"{_where(step)} is not answered")
            if not kernel.alive or kernel.over_budget:
                why = "the kernel stopped" if not kernel.alive else f"the time budget ({budget:g} s) was used up"
                lost = f"not run: {why} while running {_where(step)}"
                if q is not None and q.status in ("timeout", "failed"):
                    q.messages.append(lost)
                if kernel.alive:
                    result.notes.append(f"the submission used up its time budget of {budget:g} s in {_where(step)}")


def _blank(text: str) -> bool:
    return text.strip() in ("", C.TEXT_STUB)


def _enforce(step: match.Step, q: Question, answers: dict[str, str]) -> None:
    """What the task forbids (the test's `forbid` rule, read outside the kernel): no points, and why."""
    why = judge.forbidden(step.forbid, answers) if step.forbid else None
    if why and q is not None:
        q.points, q.status = 0.0, "failed"
        q.messages = [f"✗ {why}"] + [m for m in q.messages if not m.startswith("✓")]


def unanswered(source: str, stub: str) -> bool:
    """True when an answer cell holds nothing but what was handed out: its stub, comments, docstrings,
    `pass`, `...` and `raise NotImplementedError` (a function stub counts as unanswered too)."""
    import ast

    if " ".join(source.split()) == " ".join(stub.split()):
        return True
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return all(_empty(node) for node in tree.body)


def _empty(node) -> bool:
    import ast

    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return True
    if isinstance(node, ast.Raise):
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return all(_empty(n) for n in node.body)
    return False


def _where(step: match.Step) -> str:
    return f"cell {step.grade_id!r}" if step.grade_id else "a cell you added"


def _note(result: Submission, step: match.Step, r: CellResult, alive: bool) -> None:
    """Record what went wrong in a cell that is not a test (an answer, setup or added cell)."""
    where = _where(step)
    if r.truncated:
        result.notes.append(f"output of {where} truncated (too long)")
    if r.status == "timeout":
        then = "was interrupted" if alive else "did not stop when interrupted: the kernel was killed"
        result.notes.append(f"{where} timed out (infinite loop?) and {then}")
    elif r.status == "dead":
        result.notes.append(f"the kernel died while running {where} (e.g. os._exit or a crash)")
    elif r.status == "error" and not (step.role == "answer" and unanswered(step.source, step.given)):
        result.notes.append(f"{where} raised {_error(r)}")


def _guard(kernel: Kernel, template: str) -> str | None:
    """Run a guard step (outside IPython's cell machinery); None if it ran, else what went wrong.

    The guard answers with a fresh random token, so a notebook that hijacks the kernel cannot
    pretend the guard ran without running it.
    """
    nonce = secrets.token_hex(8)
    ok, said = kernel.evaluate(template.format(nonce=nonce))
    return None if ok and said == repr(f"ok {nonce}") else (said if not ok else f"unexpected answer {said[:80]!r}")


def _test(kernel: Kernel, step: match.Step, q: Question, judge: str = "items", reference: list | None = None) -> None:
    """Run one instructor test between the guard's before/after steps and score it.

    A test with items is judged outside the kernel (`judge.py`) when `judge` is "items": the kernel
    reports the items' values as data, the grader compares them with the `reference` values, and the
    cell's own output is kept only as hints. Otherwise (`judge` "kernel", or no items) nbgrader's rule
    scores the cell's outcome in the kernel. "collect" records the values and scores in the kernel.
    """
    trouble = _guard(kernel, BEFORE_TEST)
    if trouble is not None:
        q.points, q.status = 0.0, "failed" if kernel.alive else "not-run"
        q.messages = [f"the grader could not restore a clean state before this test ({trouble})"]
        return
    outside = judge != "kernel" and bool(step.items)
    if outside:
        q.values = _probe(kernel, step)
        if judge == "collect" and any("expected" in item for item in step.items):
            q.expected = _probe(kernel, step, "expected")
    # judged outside, the cell runs only for its hints: its hidden tests (the answer key) never enter the kernel
    source = C.replace_region(step.source, C.BEGIN_HIDDEN, C.END_HIDDEN, None)[0] if judge == "items" and outside else step.source
    r = kernel.run(source) if kernel.alive else CellResult("dead", evalue="the kernel is not running")
    if kernel.alive:
        _guard(kernel, AFTER_TEST)
    if outside and judge == "items":
        _judged(q, step, reference, r)
    else:
        _in_kernel(q, r)


EXPECTED_SETUP = (
    "import coursegrad.exercises.backprop_by_hand as _b, coursegrad.exercises.write_backprop as _w\n"
    "globals().update({n: f for m in (_b, _w) for n, f in vars(m).items() if n.startswith('_expected_')})"
)  # private `_expected_*` helpers, by the names items' `expected` expressions use (the bundled checks have none: issue 19)


def _probe(kernel: Kernel, step: match.Step, key: str = "expr") -> list[dict]:
    """The values of the test's items (or, `key` "expected", of their `expected` expressions: what the
    check computes), as the kernel reports them (parsed and checked by `judge.parse`)."""
    exprs = [str(item.get(key, "None")) for item in step.items]
    setup = step.setup if key == "expr" else step.setup + "\n" + EXPECTED_SETUP
    code = PROBE.format(setup=setup, exprs=exprs, limit=judge.MAX_REPORT_CHARS // 2)
    r = kernel.run(code, store_history=False, max_output=judge.MAX_REPORT_CHARS)
    if r.status != "ok":
        why = {"timeout": "they took too long", "dead": "the kernel died"}.get(r.status, f"{r.ename}: {r.evalue[:200]}")
        return [{"error": f"the grader could not read this value ({why})"} for _ in exprs]
    text = next((o.get("data", {}).get("text/plain", "") for o in r.outputs if o.get("output_type") == "execute_result"), "")
    return judge.parse("".join(text) if isinstance(text, list) else text, len(exprs))


def _judged(q: Question, step: match.Step, reference: list | None, r: CellResult) -> None:
    """Points from the items (in this process); the check cell's output follows as hints, never as points."""
    points, lines = judge.score(step.items, reference, q.values)
    q.points = min(points, q.max_points)
    q.status = "passed" if q.points >= q.max_points else ("partial" if q.points > 0 else "failed")
    if q.points == 0 and r.status == "timeout":
        q.status = "timeout"
    said = q.hints = _messages(r)  # the check's own lines: by construction they agree with the judge's (one judgment)
    q.messages = lines + ([m for m in said if m.startswith("✓")] if q.status == "passed" else said)


def _in_kernel(q: Question, r: CellResult) -> None:
    """nbgrader's rule on the test cell's outcome: an error or stderr 0, a number as result partial credit."""
    q.messages = _messages(r)
    stderr = any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in r.outputs)
    if r.status in ("timeout", "dead"):
        q.points, q.status = 0.0, "timeout" if r.status == "timeout" else "failed"
        q.messages.append("the test timed out" if r.status == "timeout" else "the kernel died during this test")
    elif r.status == "error" or stderr:
        q.points, q.status = 0.0, "failed"
        if stderr and r.status != "error":
            q.messages.append("the test wrote to stderr (a warning?), which counts as a failure, as in nbgrader")
    else:
        q.points = _partial(r, q)
        q.status = "passed" if q.points == q.max_points else ("partial" if q.points > 0 else "failed")


def _partial(r: CellResult, q: Question) -> float:
    """nbgrader's partial credit: a number shown as the test's result is the points (within [0, max])."""
    for o in r.outputs:
        if o.get("output_type") == "execute_result":
            text = o.get("data", {}).get("text/plain", "")
            try:
                value = float("".join(text) if isinstance(text, list) else text)
            except ValueError:
                return q.max_points
            if value > q.max_points:
                q.messages.append(f"the test reported {value:g} points, more than {q.max_points:g}; capped")
            return q.max_points if value < 0 else min(value, q.max_points)  # negative: full points, as in nbgrader
    return q.max_points


def _error(r: CellResult) -> str:
    """'Name: message', never an empty message."""
    text = r.evalue.strip()[:200]
    return f"{r.ename}: {text}" if text else f"{r.ename or 'an error'} (with no message)"


def _messages(r: CellResult) -> list[str]:
    """What a student should read about a test: its printed lines and its error, without tracebacks."""
    out = [line for line in r.stdout.splitlines() if line.strip()][:40]
    if r.status == "error":
        message = _error(r)
        if r.ename == "NameError":
            message += " (did you answer, and run, the answer cell above it?)"
        out.append(message)
    return out
