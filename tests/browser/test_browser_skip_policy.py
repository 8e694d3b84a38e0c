"""Without Chromium the browser tests skip locally, and fail in CI (CI=true): never a silent pass.

Runs pytest on the harness tests in a subprocess with `COURSEGRAD_CHROMIUM` pointing at a
browser that does not exist. Not marked `browser`: this must hold on machines without one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _run_without_browser(tmp_path, ci: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COURSEGRAD_CHROMIUM=str(tmp_path / "no-chromium"), CI=ci, COURSEGRAD_ARTIFACTS=str(tmp_path))
    command = [sys.executable, "-m", "pytest", str(HERE / "test_browser_harness.py"), "-q", "-rsfE", "-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=HERE.parents[1], env=env, capture_output=True, text=True, timeout=120)


def test_missing_browser_skips_with_the_reason_outside_ci(tmp_path):
    result = _run_without_browser(tmp_path, "")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout, result.stdout
    assert "Chromium not found at" in result.stdout and "apt-get install chromium" in result.stdout


def test_missing_browser_fails_in_ci(tmp_path):
    result = _run_without_browser(tmp_path, "true")
    assert result.returncode != 0, result.stdout
    assert "skipped" not in result.stdout, result.stdout
    assert "Chromium not found at" in result.stdout and "CI=true" in result.stdout
