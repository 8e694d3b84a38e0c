"""Which notebooks the browser tests open, found on disk when the tests are collected.

New notebooks in `lectures/` or new student worksheets in `worksheets/` are covered
without editing the tests.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}  # a common laptop window; screenshots are this wide

# Markers that only an instructor's source notebook (nbgrader format) contains.
INSTRUCTOR_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_sources(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]]


def lecture_notebooks() -> list[Path]:
    """Every lecture a student opens (names starting with `_` are drafts, as for nbval)."""
    return sorted(p for p in (REPO / "lectures").glob("*.ipynb") if not p.name.startswith("_"))


def is_student_version(path: Path) -> bool:
    """A worksheet notebook a student receives: nbgrader cells, but no solutions or hidden tests."""
    nb = _load(path)
    if any(marker in source for source in _code_sources(nb) for marker in INSTRUCTOR_MARKERS):
        return False
    return any("nbgrader" in cell.get("metadata", {}) for cell in nb["cells"]) or "student" in path.as_posix().lower()


def student_worksheets() -> list[Path]:
    folder = REPO / "worksheets"
    found = [p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(p for p in found if is_student_version(p))


def extra_notebooks() -> list[Path]:
    """Notebooks named in $COURSEGRAD_BROWSER_EXTRA (paths inside the repository, separated by
    os.pathsep), e.g. a draft an author wants to see in the browser before it joins lectures/."""
    names = os.environ.get("COURSEGRAD_BROWSER_EXTRA", "").split(os.pathsep)
    return [(REPO / name).resolve() for name in names if name.strip()]


def course_notebooks() -> list[Path]:
    return lecture_notebooks() + student_worksheets() + extra_notebooks()


def notebook_id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def documented_errors(path: Path) -> dict[int, set[str]] | None:
    """The errors worksheets/README.md says the unanswered student version shows, by cell index.

    Read from its expected-errors table (cell | grade_id | raises), the one marked with the
    notebook's name (`<!-- expected-errors:start NAME -->`, or an unnamed one); used for this
    notebook only if every row's grade_id sits at that cell index in it. None if there is no such table.
    """
    readme = REPO / "worksheets" / "README.md"
    if not readme.exists():
        return None
    text = readme.read_text(encoding="utf-8")
    tables = re.findall(r"<!-- expected-errors:start ?([\w.-]*) -->(.*?)<!-- expected-errors:end -->", text, re.S)
    table = next((body for name, body in tables if name in ("", path.stem)), None)
    if table is None:
        return None
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|", table, re.MULTILINE)
    cells = _load(path)["cells"]
    at = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(cells)}
    if not rows or any(at.get(grade_id) != int(index) for index, grade_id, _ in rows):
        return None
    return {int(index): {ename} for index, _, ename in rows}


def intended_errors(path: Path) -> dict[int, set[str]]:
    """The errors an unanswered student version is meant to show, by cell index.

    What worksheets/README.md documents for it, if it does; otherwise nbgrader's roles:
    answer cells (`solution`) raise NotImplementedError; autograded check cells (`grade`) fail
    with AssertionError, with the NameError of an answer that was never assigned, or with the
    NotImplementedError of an unanswered function they call. Any other error, or an error
    anywhere else, is a bug.
    """
    documented = documented_errors(path)
    if documented is not None:
        return documented
    allowed: dict[int, set[str]] = {}
    for index, cell in enumerate(_load(path)["cells"]):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta:
            continue
        if meta.get("solution"):
            allowed[index] = {"NotImplementedError"}
        elif meta.get("grade"):
            allowed[index] = {"AssertionError", "NameError", "NotImplementedError"}
    return allowed


# Where the browser tests' own notebooks are written (git-ignored, inside the JupyterLab server's root).
HARNESS_FOLDER = REPO / "test-artifacts" / "browser-harness"

# The session fixtures that write a notebook of the tests' own, and where they write it.
FIXTURE_NOTEBOOKS = {
    "harness_notebook": HARNESS_FOLDER / "harness.ipynb",
    "collapsed_notebook": HARNESS_FOLDER / "collapsed.ipynb",
}

# The browser tests run in two pytest-xdist groups (one JupyterLab and one Chromium each, on two workers):
# the tests of these notebooks and modules in the second, all others in the first. A notebook's tests stay
# in one group (its page is run once per worker). Balanced by measured time (benchmarks/README.md).
SECOND_GROUP = (
    "lectures/04_", "lectures/05_", "lectures/06_", "lectures/07_", "test-artifacts/browser-harness/collapsed",
    "test_browser_report", "test_browser_review",
)  # fmt: skip


def notebook_of(item) -> str | None:
    """The notebook (path inside the repository) that a browser test opens in the session's JupyterLab, or None.

    Read from its `path` parameter, its `notebook` marker, its module's NOTEBOOK or LECTURE, or the fixture
    that writes the notebook it opens."""
    callspec = getattr(item, "callspec", None)
    path = callspec.params.get("path") if callspec else None
    marker = item.get_closest_marker("notebook")
    if path is None and marker:
        path = REPO / marker.args[0]
    if path is None and "lab" in getattr(item, "fixturenames", ()):
        path = getattr(item.module, "NOTEBOOK", None) or getattr(item.module, "LECTURE", None)
    for fixture, written in FIXTURE_NOTEBOOKS.items():
        if fixture in getattr(item, "fixturenames", ()):
            path = written
    return Path(path).resolve().relative_to(REPO).as_posix() if isinstance(path, (str, Path)) else None


def xdist_group(item) -> str:
    """The pytest-xdist group of a browser test: `browser-1` or `browser-2` (see SECOND_GROUP)."""
    key = notebook_of(item) or Path(str(item.fspath)).stem
    return "browser-2" if key.startswith(SECOND_GROUP) else "browser-1"


# The harness notebook: the browser tests' check of themselves (see test_browser_harness.py).
HARNESS_CELLS = [
    ("markdown", "# Harness check", {}),
    ("code", "import ipywidgets as widgets", {}),
    # An unanswered answer cell of a student worksheet: an intended error.
    ("code", "def answer():\n    raise NotImplementedError()\n\nanswer()", {"nbgrader": {"solution": True, "grade": False}}),
    ("code", "print('this ran after the intended error')", {}),
    (
        "code",
        "slider = widgets.IntSlider(value=3, min=0, max=10, description='x')\n"
        "picture = widgets.HTML()\n"
        "def redraw(change=None):\n"
        '    picture.value = f\'<svg width="120" height="24"><text x="4" y="18">x*x = {slider.value ** 2}</text></svg>\'\n'
        "redraw()\n"
        "slider.observe(redraw, 'value')\n"
        "explorer = widgets.VBox([slider, picture])\n"
        "explorer.add_class('harness-explorer')\n"
        "explorer",
        {},
    ),
    # A broken explorer: it shows 2·σ'(x) as σ'(x). The explorer checks must catch it.
    (
        "code",
        "from coursegrad.widgets import SigmoidExplorer\n"
        "class SigmoidShowingTwiceTheGradient(SigmoidExplorer):\n"
        "    def _recompute(self, changed):\n"
        "        super()._recompute(changed)\n"
        "        d = self.state['derivative']\n"
        "        self.readout.value = self.readout.value.replace(f'data-value=\"{d!r}\"', f'data-value=\"{2 * d!r}\"')\n"
        "SigmoidShowingTwiceTheGradient(x=1.0)",
        {},
    ),
    ("code", "1 / 0", {}),
    ("code", "print('never reached')", {}),
]
