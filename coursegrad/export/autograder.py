"""What runs on Gradescope: grade the notebook in `submission/`, write `results/results.json`.

    python -I -m coursegrad.export.autograder [--root /autograder]     (run_autograder calls this)

The root is `/autograder`, or `$GRADESCOPE_ROOT` (for tests). `source/` holds what `coursegrad export
gradescope` zipped: the instructor notebook, `reference.json` (the instructor's item values, computed
when the zip was built) and `settings.json`.

Who can do what. This process runs as root (Gradescope runs the autograder as root). Before any
student code runs it makes `source/`, `results/`, `submission/` and `submission_metadata.json` root's
alone (`harden`). The student's kernel runs as the unprivileged user `setup.sh` created (no groups, no
capabilities, no new privileges), inside bubblewrap as well where bubblewrap works in the container
(`sandbox.resolve`: detected, never assumed). The hidden tests never enter the kernel; the kernel only
reports the items' values, which this process judges against the reference. Once the kernel is done,
this process kills every process of that user (`sandbox.kill_user`), and only then writes
`results.json`, from the judge's data alone.

What students see. One test per autograded question (`name`, `number`, `score`, `max_score`, `status`,
`output`, `visibility`), shown at once when the question's visibility is `visible`. A question whose
hidden tests try cases of their own is `after_due_date` (per test: `settings.json`), and a 0-point
visible test beside it shows at once what the checks in the student's notebook say. Written answers
are not in the tests: the output says they are graded by hand. Gradescope applies no late penalty.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from coursegrad.grading import sandbox
from coursegrad.grading.grade import grade_notebook, grading_kernel
from coursegrad.grading.model import Submission, unreadable
from coursegrad.grading.source import Worksheet

MAX_OUTPUT = 8000  # characters of one test's output


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


def harden(root: Path) -> None:
    """Make what the student's code must not read or write root's alone: the source (notebook, reference,
    settings, kit wheel), the results, the submission and Gradescope's metadata; nothing in the root writable."""
    for path in (root / "source", root / "results", root / "submission", root / "submission_metadata.json"):
        if path.exists() and not path.is_symlink():
            if os.geteuid() == 0:
                os.chown(path, 0, 0)
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
    for path in (root, root / "run_autograder"):
        if path.exists() and not path.is_symlink():
            os.chmod(path, path.stat().st_mode & ~0o022)


def student_uid(name: str) -> tuple[int | None, str]:
    """The uid the student's code runs as, and a note for the instructor (stdout) when it cannot be dropped."""
    if os.geteuid() != 0:
        return None, "not root: the student's code runs as this user (no isolation); Gradescope runs the autograder as root"
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        raise RuntimeError(f"no user {name!r}: setup.sh creates it (rebuild the autograder image)") from None
    if uid == 0:
        raise RuntimeError(f"user {name!r} is root: the student's code must run as an unprivileged user")
    return uid, ""


def _grade(text: str, reference: dict, path: str, timeout: float, mode: str, uid: int | None) -> Submission:
    ws = Worksheet("worksheet/" + Path(path).name, text, "", reference)
    kernel = grading_kernel(timeout=timeout, sandbox=mode, user=uid)
    return grade_notebook(ws, path, "submission", timeout=timeout, kernel=kernel, sandbox=mode)


def grade(ws: Worksheet, path: Path, timeout: float, mode: str, uid: int | None) -> Submission:
    """Grade in a child process: student code that kills its grading process costs only its own score."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(_grade, ws.text, ws.reference, str(path), timeout, mode, uid).result()
        except BrokenProcessPool:
            reason = "the grading process was killed while running this notebook"
            return unreadable(ws.notebook(), "submission", "grader-error", reason, str(path))


def _test(name: str, number: str, score: float, max_score: float, passed: bool, output: str, visibility: str) -> dict:
    status = "passed" if passed else "failed"
    out = {"name": name, "number": number, "score": score, "max_score": max_score, "status": status}
    return {**out, "output": output[:MAX_OUTPUT], "output_format": "text", "visibility": visibility}


def results(ws: Worksheet, sub: Submission, seconds: float, visibility: dict[str, str], note: str = "") -> dict:
    """Gradescope's results.json for a graded submission, from the judge's data only."""
    tests = []
    for i, q in enumerate((q for q in sub.questions if q.kind == "auto"), start=1):
        name = f"{q.title}: {q.grade_id}" if q.title else q.grade_id
        passed = q.points is not None and q.points >= q.max_points
        output = "\n".join(q.messages) or ("passed" if passed else q.status)
        shown = visibility.get(q.grade_id, "visible")
        if shown != "visible":  # what the notebook's own checks say, at once; the points after the due date
            said = "\n".join(q.hints) or ("\n".join(q.messages) if q.status in ("not-run", "missing", "invalid") else "")
            ok = q.status not in ("not-run", "timeout", "missing", "invalid", "grader-error") and not _raised(q.hints)
            tests.append(_test(f"{name} (the checks in your notebook)", f"{i}.1", 0.0, 0.0, ok, said or "no output", "visible"))
        tests.append(_test(name, str(i), q.points or 0.0, q.max_points, passed, output, shown))
    manual = sum(q.max_points for q in sub.questions if q.kind == "manual")
    lines = [note] if note else []
    lines += list(sub.notes)
    if manual:
        lines.append(f"Written answers ({manual:g} points) are graded by hand; they are not in this score.")
    if any(t["visibility"] != "visible" for t in tests):
        lines.append("Some tests try cases of their own: their points show after the due date.")
    top = {"score": sum(t["score"] for t in tests), "execution_time": int(round(seconds)), "output": "\n".join(lines)}
    return {**top, "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def _raised(lines: list[str]) -> bool:
    """True if the check's output ends with an error ('AssertionError: …', as `grade._messages` writes it)."""
    return bool(lines) and re.match(r"^[A-Za-z_]\w*(Error|Exception)\b", lines[-1]) is not None


def failure(message: str) -> dict:
    return {"score": 0, "execution_time": 0, "output": f"The autograder could not grade this submission: {message}", "tests": []}


def run(root: Path) -> dict:
    """Grade `root/submission/` against `root/source/`; the results.json data."""
    start = time.perf_counter()
    harden(root)
    settings = json.loads((root / "source" / "settings.json").read_text(encoding="utf-8"))
    reference = json.loads((root / "source" / "reference.json").read_text(encoding="utf-8"))
    ws = Worksheet.read(root / "source" / "worksheet" / settings["worksheet"])
    ws = Worksheet(ws.path, ws.text, ws.sha256, reference)
    shown = settings.get("visibility", {})
    path, note = find_notebook(root / "submission", ws.name)
    if path is None:
        return results(ws, unreadable(ws.notebook(), "submission", "missing", note), time.perf_counter() - start, shown)
    uid, warning = student_uid(os.environ.get("COURSEGRAD_STUDENT_USER") or settings.get("user", "coursegrad-student"))
    mode, why = sandbox.resolve("auto")
    print(f"isolation: {'bubblewrap and ' if mode == 'bwrap' else ''}uid {uid}" if uid else warning)
    if why and uid:
        print(f"no bubblewrap ({why.split('(', 1)[-1].rstrip(')')}): the unprivileged user alone isolates the code")
    try:
        sub = grade(ws, path, settings.get("timeout", 30), mode, uid)
    finally:
        if uid:
            sandbox.kill_user(uid)  # whatever the student's code left running, before results.json exists
    return results(ws, sub, time.perf_counter() - start, shown, note)


def write(root: Path, data: dict) -> Path:
    """results/results.json, written whole (a temporary file renamed), in root's own folder."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    tmp = folder / ".results.json.tmp"
    tmp.unlink(missing_ok=True)
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, folder / "results.json")
    return folder / "results.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Grade the Gradescope submission and write results/results.json.")
    default = os.environ.get("GRADESCOPE_ROOT", "/autograder")
    p.add_argument("--root", default=default, help="default $GRADESCOPE_ROOT or /autograder")
    root = Path(p.parse_args(argv).root)
    try:
        data = run(root)
    except Exception as err:  # always leave a results.json
        print(f"grading failed: {type(err).__name__}: {err}")  # stdout: the instructor's, hidden from students
        data = failure("an error in the autograder; your instructor can see it")
    out = write(root, data)
    print(f"score {data['score']:g}; {len(data['tests'])} tests; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
