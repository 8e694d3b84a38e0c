"""Build Gradescope's autograder zip for one worksheet.

    autograder.zip
        setup.sh                    Gradescope runs it once to build the image: checks the Python version,
                                    pip installs the kit with only what grading needs (`coursegrad[grade]`,
                                    no JupyterLab) at its known-good versions, creates the unprivileged user
                                    the students' code runs as, and tries to install bubblewrap
        run_autograder              runs per submission: grades /autograder/submission/, writes
                                    /autograder/results/results.json (always, even when grading fails)
        kit/coursegrad-…whl         the kit, built from this package's source (`wheel.py`)
        constraints.txt             the known-good versions
        worksheet/<name>.ipynb      the instructor source (solutions and hidden tests: keep the zip private)
        reference.json              the instructor's value of every test item, computed once here
                                    (no submission recomputes them)
        settings.json               the worksheet's file name, the per-cell timeout, the user, each test's visibility

Each test's visibility (`visible`, `after_due_date`, `after_published` or `hidden`): the test cell's
`metadata.coursegrad.visibility` if set, else `--visibility GRADE_ID=VALUE`, else `after_due_date` for a cell
whose hidden tests try cases its visible check does not (anything beyond `expect_*` lines restating the
values), else `visible`: a hidden part that only restates the answer key hides nothing the visible check
does not already judge.

`setup.sh` uses `$COURSEGRAD_PYTHON` (default python3), passes `$COURSEGRAD_PIP_OPTIONS` to pip
(e.g. `--no-deps --no-index` in a test whose environment already has the dependencies) and names the
user `$COURSEGRAD_STUDENT_USER` (default coursegrad-student); `run_autograder` honours `$GRADESCOPE_ROOT`
in place of /autograder.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from pathlib import Path

from coursegrad.export import wheel
from coursegrad.grading import cells as C
from coursegrad.grading.release import read

STUDENT_USER = "coursegrad-student"
VISIBILITY = ("visible", "after_due_date", "after_published", "hidden")
_RESTATES = re.compile(r"^\s*(from coursegrad\.checks import [\w, ]+|expect_\w+\(.*\)|#.*|)\s*$")

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image: what grading needs, and nothing more.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${COURSEGRAD_PYTHON:-python3}"
STUDENT="${COURSEGRAD_STUDENT_USER:-coursegrad-student}"
apt() { [ -z "${COURSEGRAD_NO_APT:-}" ] && command -v apt-get >/dev/null && apt-get install -y -q "$@"; }
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  apt python3 python3-pip || true
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "coursegrad needs Python 3.10 or newer; $PYTHON is $("$PYTHON" --version 2>&1 || echo missing)." >&2
  echo "Choose a newer base image in Gradescope's autograder settings (Ubuntu 22.04 has 3.10)." >&2
  exit 1
fi
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt python3-pip
fi
KIT="$(ls "$HERE"/kit/*.whl)"
# shellcheck disable=SC2086
"$PYTHON" -m pip install -q ${COURSEGRAD_PIP_OPTIONS:-} -c "$HERE/constraints.txt" "$KIT[grade]" \\
  || "$PYTHON" -m pip install -q --break-system-packages ${COURSEGRAD_PIP_OPTIONS:-} -c "$HERE/constraints.txt" "$KIT[grade]"
"$PYTHON" -c "import coursegrad.export.autograder" && echo "coursegrad installed for $("$PYTHON" --version)"
# the unprivileged user the students' code runs as (no home, no login, no groups)
if [ "$(id -u)" != 0 ]; then
  echo "not root: no user created, so the students' code would run as $(id -un) (Gradescope runs this as root)"
elif ! id -u "$STUDENT" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$STUDENT"
fi
if id -u "$STUDENT" >/dev/null 2>&1; then echo "students' code runs as $STUDENT (uid $(id -u "$STUDENT"))"; fi
# bubblewrap isolates further where the container allows it; run_autograder checks whether it works
apt bubblewrap >/dev/null 2>&1 || echo "bubblewrap not installed: the unprivileged user alone isolates the students' code"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it, write results/results.json.
# Everything is in main(), which bash reads whole before running it (bash reads a script as it
# goes): whoever rewrote this file while it runs would change nothing.
main() {
  local ROOT="${GRADESCOPE_ROOT:-/autograder}"
  local PYTHON="${COURSEGRAD_PYTHON:-python3}"
  umask 077
  mkdir -p "$ROOT/results"
  rm -f "$ROOT/results/results.json"
  cd "$ROOT" || return 0
  "$PYTHON" -I -m coursegrad.export.autograder --root "$ROOT"
  if [ ! -s "$ROOT/results/results.json" ]; then
    local SAID="The autograder failed before grading; please tell your instructor."
    printf '{"score": 0, "execution_time": 0, "output": "%s", "tests": []}\\n' "$SAID" > "$ROOT/results/results.json"
  fi
  return 0
}
main "$@"; exit 0
"""


def _executable(z: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # -rwxr-xr-x: Gradescope runs both scripts directly
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def hides_cases(cell) -> bool:
    """True if the cell's hidden tests do more than restate the answer key with `expect_*` lines."""
    hidden = cell.source.split(C.BEGIN_HIDDEN, 1)[1].split(C.END_HIDDEN, 1)[0] if C.BEGIN_HIDDEN in cell.source else ""
    lines = hidden.splitlines()[1:]  # the first is the rest of the marker's line
    return any(not _RESTATES.match(line) for line in lines)


def visibilities(source, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Each autograded test's Gradescope visibility (see the module docstring); ValueError for an unknown one."""
    overrides = dict(overrides or {})
    tests = {C.grade_id(c): c for c in source.cells if C.is_test(c)}
    unknown = sorted(set(overrides) - set(tests))
    if unknown:
        raise ValueError(f"--visibility names no test cell: {', '.join(unknown)} (test cells: {', '.join(tests)})")
    out = {}
    for gid, cell in tests.items():
        given = (cell.metadata.get("coursegrad") or {}).get("visibility") or overrides.get(gid)
        out[gid] = given or ("after_due_date" if hides_cases(cell) else "visible")
        if out[gid] not in VISIBILITY:
            raise ValueError(f"visibility of {gid} must be one of {', '.join(VISIBILITY)}, not {out[gid]!r}")
    return out


def reference_values(source: Path, timeout: float) -> dict:
    """The instructor's value of every item, computed once now (in the sandbox where it works); ValueError if it cannot."""
    from coursegrad.grading.reference import with_reference
    from coursegrad.grading.sandbox import resolve
    from coursegrad.grading.source import Worksheet

    ws, problems = with_reference(Worksheet.read(source), timeout=timeout, sandbox=resolve("auto")[0])
    if problems:
        raise ValueError("; ".join(problems[:3]))
    return ws.reference


def build(source: str | Path, out: str | Path, timeout: float = 30, visibility: dict[str, str] | None = None) -> Path:
    """Write the autograder zip for the instructor notebook `source`; returns `out`."""
    source = Path(source)
    nb = read(source)
    problems = C.format_problems(nb)
    if problems:
        raise ValueError(f"{source} is not in nbgrader's format: " + "; ".join(problems[:3]))
    constraints = wheel.PACKAGE.parent / "constraints.txt"
    if not constraints.is_file():
        raise ValueError(f"no constraints.txt next to {wheel.PACKAGE}: build from the course folder (a source checkout)")
    settings = {"worksheet": source.name, "timeout": timeout, "user": STUDENT_USER, "visibility": visibilities(nb, visibility)}
    reference = reference_values(source, timeout)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        kit = wheel.build(tmp)
        _executable(z, "setup.sh", SETUP)
        _executable(z, "run_autograder", RUN)
        z.write(kit, f"kit/{kit.name}")
        z.write(constraints, "constraints.txt")
        z.write(source, f"worksheet/{source.name}")
        z.writestr("reference.json", json.dumps(reference))
        z.writestr("settings.json", json.dumps(settings, indent=1))
    return Path(out)
