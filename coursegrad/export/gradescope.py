"""Build Gradescope's autograder zip for one worksheet.

    autograder.zip
        setup.sh                    Gradescope runs it once to build the image: pip installs the kit
                                    with its known-good versions (constraints.txt)
        run_autograder              runs per submission: grades /autograder/submission/, writes
                                    /autograder/results/results.json (always, even when grading fails)
        kit/coursegrad-…whl         the kit, built from this package's source (`wheel.py`)
        constraints.txt             the known-good versions
        worksheet/<name>.ipynb      the instructor source (solutions and hidden tests: keep the zip private)
        settings.json               the worksheet's file name and the per-cell timeout

`setup.sh` uses `$COURSEGRAD_PYTHON` (default python3) and passes `$COURSEGRAD_PIP_OPTIONS` to pip
(e.g. `--no-deps --no-index` in a test whose environment already has the dependencies);
`run_autograder` honours `$GRADESCOPE_ROOT` in place of /autograder.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from coursegrad.export import wheel
from coursegrad.grading import cells as C
from coursegrad.grading.release import read

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image: install the kit and its known-good versions.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${COURSEGRAD_PYTHON:-python3}"
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get update -q && apt-get install -y -q python3-pip
fi
KIT="$(ls "$HERE"/kit/*.whl)"
# shellcheck disable=SC2086
"$PYTHON" -m pip install -q ${COURSEGRAD_PIP_OPTIONS:-} -c "$HERE/constraints.txt" "$KIT[course]" \\
  || "$PYTHON" -m pip install -q --break-system-packages ${COURSEGRAD_PIP_OPTIONS:-} -c "$HERE/constraints.txt" "$KIT[course]"
"$PYTHON" -c "import coursegrad.export.autograder" && echo "coursegrad installed for $PYTHON"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it, write results/results.json.
ROOT="${GRADESCOPE_ROOT:-/autograder}"
PYTHON="${COURSEGRAD_PYTHON:-python3}"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT/source" || exit 0
"$PYTHON" -m coursegrad.export.autograder --root "$ROOT"
if [ ! -s "$ROOT/results/results.json" ]; then
  echo '{"score": 0, "execution_time": 0, "output": "The autograder failed before grading; please tell your instructor.", \
"tests": []}' > "$ROOT/results/results.json"
fi
exit 0
"""


def _executable(z: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # -rwxr-xr-x: Gradescope runs both scripts directly
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def build(source: str | Path, out: str | Path, timeout: float = 30) -> Path:
    """Write the autograder zip for the instructor notebook `source`; returns `out`."""
    source = Path(source)
    problems = C.format_problems(read(source))
    if problems:
        raise ValueError(f"{source} is not in nbgrader's format: " + "; ".join(problems[:3]))
    constraints = wheel.PACKAGE.parent / "constraints.txt"
    if not constraints.is_file():
        raise ValueError(f"no constraints.txt next to {wheel.PACKAGE}: build from the course folder (a source checkout)")
    settings = {"worksheet": source.name, "timeout": timeout}
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        kit = wheel.build(tmp)
        _executable(z, "setup.sh", SETUP)
        _executable(z, "run_autograder", RUN)
        z.write(kit, f"kit/{kit.name}")
        z.write(constraints, "constraints.txt")
        z.write(source, f"worksheet/{source.name}")
        z.writestr("settings.json", json.dumps(settings, indent=1))
    return Path(out)
