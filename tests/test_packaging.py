"""The wheel `python -m build` makes installs and imports in a fresh virtual environment, without the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("build", reason="the test extra installs `build`")


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_the_wheel_installs_and_imports_without_the_repository(tmp_path):
    source = tmp_path / "source"  # a copy of what the build reads: the checkout stays untouched
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "coursegrad", source / "coursegrad", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        check=True, capture_output=True, env=_clean_env(), timeout=120,
    )  # fmt: skip
    (wheel,) = dist.glob("coursegrad-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "coursegrad/engine.py" in names and "coursegrad/grading/kernel.py" in names
    assert "coursegrad/control_names.js" in names  # the explorers' front end for screen readers (package data)
    assert not any(n.startswith(("lectures/", "worksheets/", "tests/")) for n in names)  # those stay in the repository

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # pip of this environment installs into it (--python): no download
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True, capture_output=True, env=_clean_env(), timeout=120,
    )  # fmt: skip
    numpy_only = tmp_path / "numpy_only"  # the one dependency, lent from this environment (and nothing else)
    numpy_only.mkdir()
    site = Path(np.__file__).parent.parent
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            (numpy_only / name).symlink_to(site / name)
    (site_new,) = (env_dir / "lib").glob("python*/site-packages")
    (site_new / "numpy_only.pth").write_text(str(numpy_only) + "\n")
    script = (
        "import sys, coursegrad\n"
        "from coursegrad import Value\n"
        "x, y, z = Value(-2.0, 'x'), Value(5.0, 'y'), Value(-4.0, 'z')\n"
        "f = (x + y) * z\n"
        "f.backward()\n"
        "print(coursegrad.__file__)\n"
        "print(f.data, x.grad, y.grad, z.grad, 'matplotlib' in sys.modules, 'ipywidgets' in sys.modules)\n"
    )
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=60)
    assert run.returncode == 0, run.stderr
    where, numbers = run.stdout.splitlines()
    assert Path(where).is_relative_to(env_dir) and not Path(where).is_relative_to(ROOT)  # the installed copy
    assert numbers == "-12.0 -4.0 -4.0 3.0 False False"  # needs numpy only


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith(("#", ".", "-")):
            pins[line] = line.split("==")[0].lower()
    return pins


def test_requirements_for_binder_install_the_course_extra_with_the_known_good_pins():
    text = (ROOT / "requirements.txt").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert ".[course]" in lines and not any(line.startswith("-") for line in lines)  # the repo itself; no -c or -r
    constraints = set((ROOT / "constraints.txt").read_text().splitlines())
    pins = _pins(ROOT / "requirements.txt")
    assert set(pins) <= constraints  # every pin is one of constraints.txt's, markers and all
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is Python 3.11+; the kit supports 3.10)
    course = re.search(r"^course = \[(.*?)^\]", pyproject, re.S | re.M).group(1)
    wanted = {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in re.findall(r'"([^"]+)"', course)} | {"numpy"}
    assert set(pins.values()) == wanted  # each direct dependency of the course is pinned


def test_reading_a_notebook_builds_no_grammar_at_import():
    """Every CLI run, grading worker and Jupyter server imports nbformat, hence jsonschema. jsonschema 4.25+
    imports rfc3987-syntax, which compiles a Lark grammar at import (1.4 s of CPU per process: minutes over the
    suite); constraints.txt pins 4.24.1, which does not. A new pin that brings it back fails here."""
    pinned = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("jsonschema=="))
    script = "import sys, nbformat; print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'rfc3987_syntax')))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "[]", f"import nbformat compiles a grammar ({pinned} in constraints.txt; run.py reinstalls)"
