"""What runs on Gradescope: grade the notebook in `submission/`, write `results/results.json`.

    python -m coursegrad.export.autograder [--root /autograder]     (run_autograder calls this)

The root is `/autograder`, or `$GRADESCOPE_ROOT` (for tests). `source/` holds what `coursegrad
export gradescope` zipped: the instructor notebook in `source/worksheet/` and `settings.json`.
One test per autograded question (`name`, `number`, `score`, `max_score`, `status`, `output`,
`visibility`); a question whose instructor cell holds hidden tests shows its details only after the
due date (`after_due_date`). Written answers are not in the tests: the output says they are graded by
hand. Grading runs in a separate process, so a submission that kills it still gets a results.json
(score 0, saying so); `run_autograder` writes one itself if even this module fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from coursegrad.grading import cells as C
from coursegrad.grading import reference
from coursegrad.grading.grade import grade_notebook
from coursegrad.grading.model import Submission, unreadable
from coursegrad.grading.release import read


def find_notebook(submission: Path, name: str) -> tuple[Path | None, str]:
    """The submitted notebook (by the worksheet's name, else the only notebook) and a note."""
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    exact = [p for p in notebooks if p.name == name]
    if exact:
        return exact[0], ""
    if len(notebooks) == 1:
        return notebooks[0], f"graded {notebooks[0].name} (the worksheet is called {name})"
    found = ", ".join(p.name for p in notebooks) or "no notebook"
    return None, f"no {name} in the submission ({found}): upload the worksheet notebook"


def _grade(source: str, path: str, timeout: float) -> Submission:
    ws = reference.prepare(source, timeout=timeout)  # the instructor's reference values, computed once here
    return grade_notebook(ws, path, "submission", timeout=timeout)


def grade(source: Path, path: Path, timeout: float) -> Submission:
    """Grade in a child process: student code that kills its grading process costs only its own score."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(_grade, str(source), str(path), timeout).result()
        except BrokenProcessPool:
            reason = "the grading process was killed while running this notebook"
            return unreadable(read(source), "submission", "grader-error", reason, str(path))


def results(source: Path, sub: Submission, seconds: float, note: str = "") -> dict:
    """Gradescope's results.json for a graded submission."""
    hidden = {C.grade_id(c) for c in read(source).cells if C.is_test(c) and C.BEGIN_HIDDEN in c.source}
    tests = []
    for i, q in enumerate(q for q in sub.questions if q.kind == "auto"):
        passed = q.points is not None and q.points >= q.max_points
        output = "\n".join(q.messages) or ("passed" if passed else q.status)
        tests.append({"name": f"{q.title}: {q.grade_id}" if q.title else q.grade_id, "number": str(i + 1)})
        tests[-1].update(score=q.points or 0.0, max_score=q.max_points, status="passed" if passed else "failed")
        tests[-1].update(output=output[:8000], visibility="after_due_date" if q.grade_id in hidden else "visible")
    manual = sum(q.max_points for q in sub.questions if q.kind == "manual")
    lines = [note] if note else []
    lines += list(sub.notes)
    if manual:
        lines.append(f"Written answers ({manual:g} points) are graded by hand; they are not in this score.")
    top = {"score": sum(t["score"] for t in tests), "execution_time": int(round(seconds)), "output": "\n".join(lines)}
    return {**top, "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def failure(message: str) -> dict:
    return {"score": 0, "execution_time": 0, "output": f"The autograder could not grade this submission: {message}", "tests": []}


def run(root: Path) -> dict:
    """Grade `root/submission/` against `root/source/`; the results.json data."""
    start = time.perf_counter()
    settings = json.loads((root / "source" / "settings.json").read_text(encoding="utf-8"))
    source = root / "source" / "worksheet" / settings["worksheet"]
    path, note = find_notebook(root / "submission", source.name)
    if path is None:
        sub = unreadable(read(source), "submission", "missing", note)
        return results(source, sub, time.perf_counter() - start)
    return results(source, grade(source, path, settings.get("timeout", 30)), time.perf_counter() - start, note)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Grade the Gradescope submission and write results/results.json.")
    default = os.environ.get("GRADESCOPE_ROOT", "/autograder")
    p.add_argument("--root", default=default, help="default $GRADESCOPE_ROOT or /autograder")
    root = Path(p.parse_args(argv).root)
    try:
        data = run(root)
    except Exception as err:  # always leave a results.json
        data = failure(f"{type(err).__name__}: {err}")
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    print(f"score {data['score']:g}; {len(data['tests'])} tests; wrote {root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
