#!/usr/bin/env python3
"""One entry point for the course kit; needs nothing but Python 3.10+ (with pip and venv).

    python3 run.py lab        open the course in JupyterLab
    python3 run.py test       run every test (unit, notebooks with nbval, worksheets, grader, browser)
    python3 run.py test --quick   the quick tier: unit, doctests, nbval, one end-to-end grade
    python3 run.py refresh    re-execute every lecture notebook in place (authors; or only the ones named)
    python3 run.py bench      run the benchmarks in benchmarks/
    python3 run.py site       build the course as a static, accessible web site in site/ (from the stored notebooks)

The first call creates a virtual environment in .venv/ and installs the kit into
it with the known-good versions of constraints.txt; later calls reuse it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSEGRAD_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".coursegrad-installed"


def ensure_env(extras: str) -> None:
    """Create .venv and install the kit with the given extras, unless that was already done."""
    wanted = f"{extras}\n{(ROOT / 'pyproject.toml').stat().st_mtime_ns}\n{(ROOT / 'constraints.txt').stat().st_mtime_ns}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"installing coursegrad[{extras}] (first run only) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[{extras}]"], check=True)
    STAMP.write_text(wanted)


def run(*args: str) -> int:
    # As if the environment were activated: tools the tests call by name (jupyter, alembic) come from .venv.
    env = dict(os.environ, PYTHONHASHSEED="0", VIRTUAL_ENV=str(VENV), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env).returncode


def test_arguments(rest: list[str]) -> list[str]:
    """pytest's arguments: all cores (tests that share state stay together: conftest.py) unless the caller
    chose; `--quick` selects the quick tier. Says which tier runs and what will skip on this machine."""
    quick = "--quick" in rest
    rest = [a for a in rest if a != "--quick"]
    tier = ["-m", "not slow and not browser"] if quick else []
    chosen = any(a.startswith(("-n", "--numprocesses")) for a in rest)
    workers = [] if chosen else ["-n", "auto", "--dist", "loadgroup"]
    paths = [a for a in rest if not a.startswith("-") and Path(a.split("::")[0]).exists()]
    scope = "the files given" if paths else "the full suite"
    print(f"running {'the quick tier (no slow or browser tests) of ' if quick else ''}{scope}", flush=True)
    for what, found, how in (
        ("browser tests", Path(os.environ.get("COURSEGRAD_CHROMIUM", "/usr/bin/chromium")).exists(), "apt-get install chromium"),
        ("sandbox tests", shutil.which(os.environ.get("COURSEGRAD_BWRAP") or "bwrap") is not None, "apt-get install bubblewrap"),
    ):
        if not found and not quick:
            print(f"  {what} will skip on this machine (CI=true makes that a failure); to run them: {how}", flush=True)
    return [*workers, *tier, *rest]


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "lab":
        ensure_env("course")
        as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # e.g. in a container
        folder = f"--ServerApp.root_dir={ROOT}"  # the whole course in the file browser, lecture 1 open
        return run("-m", "jupyter", "lab", folder, "lectures/01_computational_graphs.ipynb", *as_root, *rest)
    if command == "test":
        ensure_env("course,test")
        return run("-m", "pytest", *test_arguments(rest))
    if command == "refresh":
        ensure_env("course,test")
        return run("-m", "tools.notebooks", "refresh", *rest)
    if command == "site":
        ensure_env("course,test")  # nbconvert comes with the test tools (nbgrader, nbval)
        return run("-m", "coursegrad.site", *rest)
    if command == "bench":
        ensure_env("course,test,bench")
        return run("benchmarks/run_all.py", *rest)
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
