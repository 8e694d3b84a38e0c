"""`coursegrad bundle`: what students receive holds no answer.

The bundle is built with the CLI; then every file in it is searched for every solution line and every hidden-test
line of `worksheets/source/*` and for every distinctive answer value (the numbers the solutions assign and their
items evaluate to, as a student would see them printed), and the bundled kit is imported, from the bundle alone,
and every public and private function of its checks is called with probing inputs (`test_checking.calls`): none
returns an answer.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import sys
from pathlib import Path

import pytest
from test_checking import MODULES, SOURCES, answers_of, answers_returned, public_functions, run_solutions
from workflow_helpers import ROOT, cli

from coursegrad.grading import cells as C
from coursegrad.grading.release import read, student_version


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "student-course"
    done = cli("bundle", "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def answers():
    numbers, strings, names = [], [], []
    for path in SOURCES:
        n, s = answers_of(path)
        numbers, strings = numbers + n, strings + s
        names += [k for k in run_solutions(path) if not k.startswith("_")]
    return numbers, strings, sorted(set(names))


def solution_lines() -> set[str]:
    """Every line of the sources' solutions and hidden tests a student does not already have (12 characters or more)."""
    lines: set[str] = set()
    for path in SOURCES:
        source = read(path)
        handed_out = "\n".join(cell.source for cell in student_version(source).cells)  # the task's own text
        for cell in source.cells:
            for begin, end in ((C.BEGIN_SOLUTION, C.END_SOLUTION), (C.BEGIN_HIDDEN, C.END_HIDDEN)):
                for part in cell.source.split(begin)[1:]:
                    found = {s.strip() for s in part.split(end)[0].splitlines()[1:-1]}
                    lines |= {s for s in found if len(s) >= 12 and s not in handed_out and not s.startswith("#")}
    return lines


def printed(numbers: list[float]) -> set[str]:
    """The answers' numbers that cannot turn up by chance (4 significant digits or more), as they would be printed
    (full, to 6 and to 4 digits; forms of 6 characters or more with a point or an exponent: '2026' is a year)."""
    out = set()
    for x in numbers:
        if x == round(x):  # whole numbers (node numbers, counts, 8000.0) turn up anywhere
            continue
        if len(f"{abs(x):.6g}".replace(".", "").replace("-", "").lstrip("0").split("e")[0].rstrip("0")) >= 4:
            out |= {form for form in (repr(x), f"{x:.6g}", f"{x:.4g}") if len(form) >= 6 and ("." in form or "e" in form)}
    return out


def text_of(path: Path) -> str:
    """A file as a reader sees it: a notebook's cell sources and outputs; any other file's text."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return raw
    nb = json.loads(raw)
    parts = ["".join(c.get("source", "")) for c in nb["cells"]]
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            parts.append("".join(o.get("text", "")))
            parts += ["".join(v) if isinstance(v, list) else str(v) for v in o.get("data", {}).values()]
    return "\n".join(parts + [raw])


def test_the_bundle_holds_the_course_and_no_instructor_part(bundle):
    assert sorted(p.name for p in (bundle / "lectures").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "lectures").glob("*.ipynb")
    )
    assert sorted(p.name for p in (bundle / "worksheets").iterdir()) == sorted(p.name for p in SOURCES)
    for name in SOURCES:  # the student versions, byte for byte
        assert (bundle / "worksheets" / name.name).read_bytes() == (ROOT / "worksheets" / "release" / name.name).read_bytes()
    kit = bundle / "coursegrad"
    assert (kit / "engine.py").is_file() and (kit / "checks.py").is_file() and (kit / "exercises").is_dir()
    assert not (kit / "grading").exists() and not (kit / "export").exists() and not (kit / "cli.py").exists()
    assert not list(bundle.rglob("source")) and not list(bundle.rglob("__pycache__")) and not list(bundle.rglob("tests"))
    assert "[project.scripts]" not in (bundle / "pyproject.toml").read_text()
    readme = (bundle / "README.md").read_text()
    assert "python3 run.py lab" in readme and "worksheets/01_backprop_worksheet.ipynb" in readme


# What the course teaches: worksheet 2 asks students to write again what lectures 2 and 3 and the kit's engine,
# gradcheck and efficiency modules show them (a topological order by a stack, the backward loop, gradcheck's
# verdicts). Solution lines found in the lesson (the lectures, the kit's modules) are the lesson, not the key;
# the worksheets, the README and the exercise checks may hold none.
CHECKS = ("worksheets/", "README.md", "coursegrad/exercises/", "coursegrad/checks.py", "coursegrad/checking.py")


def test_no_file_in_the_bundle_holds_a_solution_line_or_an_answer_value(bundle, answers):
    lines, numbers = solution_lines(), printed(answers[0])
    assert len(lines) > 60 and len(numbers) > 30  # what is searched for: the test searches for something
    assert "order, seen, stack = [], set(), [(root, False)]" in lines and "0.6640367702678489" in numbers
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert len(files) > 30 and any(p.match("coursegrad/exercises/write_backprop.py") for p in files)
    lesson = [p for p in files if not p.relative_to(bundle).as_posix().startswith(CHECKS)]
    taught = "\n".join(text_of(p) for p in lesson)
    found = []
    for path in files:
        text, name = text_of(path), path.relative_to(bundle).as_posix()
        found += [f"{name}: {s}" for s in numbers if s in text and re.search(rf"(?<![\d.]){re.escape(s)}(?!\d)", text)]
        found += [f"{name}: {s}" for s in lines if s in text and name.startswith(CHECKS)]
    assert not found, found[:10]
    shown = sorted(s for s in lines if s in taught)
    assert len(shown) < len(lines) / 5, shown  # the lesson shows a few lines of the solutions, not the solutions


def test_the_search_would_find_a_leak(tmp_path, answers):
    """Control: the instructor source itself, and the old private helpers' file, are caught by the same search."""
    lines = solution_lines()
    for path in SOURCES:
        assert any(s in text_of(path) for s in lines)
    old = tmp_path / "old_backprop_by_hand.py"  # the order helper the kit had until this change: the solution's own lines
    old.write_text("def _reference_order(root):\n    order, seen, stack = [], set(), [(root, False)]\n")
    assert any(s in text_of(old) for s in lines)


@contextlib.contextmanager
def only_the_bundle(bundle: Path):
    """Import `coursegrad` from the bundle alone (put back as it was afterwards)."""
    saved = {k: v for k, v in sys.modules.items() if k == "coursegrad" or k.startswith("coursegrad.")}
    for k in saved:
        del sys.modules[k]
    finders = list(sys.meta_path)  # an editable install's finder would find coursegrad.grading in the repository
    sys.meta_path[:] = [f for f in finders if "editable" not in getattr(f, "__name__", type(f).__name__).lower()]
    sys.path.insert(0, str(bundle))
    try:
        yield importlib.import_module("coursegrad")
    finally:
        sys.path.remove(str(bundle))
        sys.meta_path[:] = finders
        for k in [k for k in sys.modules if k == "coursegrad" or k.startswith("coursegrad.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_nothing_importable_from_the_bundle_returns_an_answer(bundle, answers, capsys):
    Node = run_solutions(SOURCES[1])["Node"]
    with only_the_bundle(bundle) as kit:
        assert Path(kit.__file__).resolve().is_relative_to(bundle.resolve())
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("coursegrad.grading")
        functions = dict(public_functions(MODULES, private=True))
        assert all(Path(fn.__code__.co_filename).resolve().is_relative_to(bundle.resolve()) for fn in functions.values())
        assert len(functions) > 60 and any(name.rsplit(".", 1)[1].startswith("_") for name in functions)
        found = answers_returned(functions, answers, Node)
    assert not found, found[:5]
