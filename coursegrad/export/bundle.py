"""What students receive: the course without its answer key.

    coursegrad bundle -o student-course/

    student-course/
        README.md                   how to open the course (the student path)
        lectures/*.ipynb            the lectures, with their outputs
        worksheets/*.ipynb          the student versions (worksheets/release/): no solutions, no hidden tests
        coursegrad/                 the kit without the instructor's parts: no grading/, export/ or cli.py
        pyproject.toml, constraints.txt, requirements.txt, run.py, LICENSE
                                    to install it (`python3 run.py lab`, or Binder)

Not in it: `worksheets/source/` (solutions, hidden tests, rubrics), `worksheets/README.md` (the answers
in prose), the grader, the tests and benchmarks, and the `coursegrad` command. The kit's exercise checks
compute what they compare with from each task's own inputs and return no answer (`tests/test_bundle.py`
searches the bundle for every reference value and solution line, and calls every function of its checks).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from coursegrad.export.wheel import PACKAGE

COURSE = PACKAGE.parent
INSTRUCTOR_ONLY = ("grading", "export", "cli.py")  # inside coursegrad/
FILES = ("pyproject.toml", "constraints.txt", "requirements.txt", "run.py", "LICENSE")

README = """# {title}: the student's copy

This folder is the course as you receive it: the lectures, the worksheets to hand in, and the
`coursegrad` kit they use. Answers are not in it: each worksheet's checks tell you *what* is wrong
with an answer, never the answer.

## Open it

You need Python 3.10 or newer.

```bash
python3 run.py lab        # first run: creates .venv/ and installs the kit (a minute), then opens JupyterLab
```

Or by hand: `python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[course]'`, then
`.venv/bin/jupyter lab`.

## What to do

1. Work through the lectures in order: {lectures}.
2. Then the worksheets: {worksheets}. Run the setup cell, replace each `# YOUR CODE HERE` /
   `raise NotImplementedError()` with your answer and run the check cell below it.
3. Hand in each worksheet notebook under its original name, as your instructor says (e.g. on Gradescope).
"""


def _kit(out: Path) -> None:
    """The package without the instructor's parts and without caches."""
    shutil.copytree(PACKAGE, out / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in INSTRUCTOR_ONLY:
        path = out / PACKAGE.name / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _pyproject(text: str) -> str:
    """pyproject.toml without the `coursegrad` command (its module, cli.py, is the instructor's)."""
    return re.sub(r"\[project\.scripts\]\n(?:[^\[\n][^\n]*\n)*\n?", "", text)


def build(out: str | Path, course: str | Path = COURSE) -> Path:
    """Write the student's copy of the course into the folder `out` (which must not exist yet); returns it."""
    course, out = Path(course), Path(out)
    if out.exists():
        raise ValueError(f"{out} already exists: name a new folder")
    releases = sorted((course / "worksheets" / "release").glob("*.ipynb"))
    lectures = sorted((course / "lectures").glob("*.ipynb"))
    if not releases or not lectures:
        raise ValueError(f"no lectures/ or worksheets/release/ in {course}: run from the course folder (a source checkout)")
    (out / "lectures").mkdir(parents=True)
    (out / "worksheets").mkdir()
    for nb in lectures:
        shutil.copy2(nb, out / "lectures" / nb.name)
    for nb in releases:
        shutil.copy2(nb, out / "worksheets" / nb.name)
    _kit(out)
    for name in FILES:
        if (course / name).is_file():
            shutil.copy2(course / name, out / name)
    if (out / "pyproject.toml").is_file():
        (out / "pyproject.toml").write_text(_pyproject((out / "pyproject.toml").read_text(encoding="utf-8")), encoding="utf-8")
    names = {
        "lectures": ", ".join(f"`lectures/{p.name}`" for p in lectures),
        "worksheets": ", ".join(f"`worksheets/{p.name}`" for p in releases),
    }
    (out / "README.md").write_text(README.format(title="Backpropagation, step by step", **names), encoding="utf-8")
    return out
