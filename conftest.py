"""How the whole suite is split: tiers (`slow`, `browser`) and pytest-xdist groups, in one place.

`python3 run.py test` runs everything on all cores (`-n auto --dist loadgroup`); `python3 run.py test
--quick` runs the quick tier (`-m "not slow and not browser"`): unit, property and doctests, nbval of
every lecture, the worksheet checks called in this process, and exactly one end-to-end grade through
the CLI (`test_cli.py`: a solved, a blank and a missing submission of worksheet 1). Every other file
that starts kernels or the grader (the SLOW set below) runs in the full suite and CI only.
Under xdist, tests that
share expensive state stay on one worker: each test module as a whole (its module fixtures are computed
once), each notebook's nbval cells (they run in order in one kernel), the browser tests in two groups (one
JupyterLab and one Chromium per group; a notebook's tests in one) and the sandbox tests (they count
processes and time budgets).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

# Modules that start many kernels or processes (the grader end to end, validation, the desk, nbgrader,
# Dask, packaging, the bundle): the full run and CI take them, the quick tier does not.
SLOW = {
    "test_bundle.py",
    "test_cluster.py",
    "test_desk_lms.py",
    "test_desk_report.py",
    "test_desk_review.py",
    "test_gradescope.py",
    "test_grading.py",
    "test_grading_corpus.py",
    "test_grading_store.py",
    "test_grading_validate.py",
    "test_grading_verdicts.py",
    "test_hostile_batch.py",
    "test_hostile_items.py",
    "test_hostile_judge.py",
    "test_hostile_sandbox.py",
    "test_nbgrader_compat.py",
    "test_new_worksheet.py",
    "test_packaging.py",
    "test_workflow.py",
    "test_worksheet.py",
    "test_worksheet_items.py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: starts many kernels or processes (left out by `run.py test --quick`)")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath)).resolve()
        try:
            parts = path.relative_to(ROOT).parts
        except ValueError:
            parts = path.parts
        if path.name in SLOW:
            item.add_marker(pytest.mark.slow)
        group = _browser_group(item) if parts[:2] == ("tests", "browser") else "_".join(parts).replace(".", "_")
        item.add_marker(pytest.mark.xdist_group(group))
        if getattr(config.option, "loadgroup", False) and "@" not in item.nodeid:  # set on xdist workers
            _put_in_group(item, group)


def _browser_group(item: pytest.Item) -> str:
    """The browser tests' two groups, by the notebook each opens (tests/browser/browser_course.py says which)."""
    from browser_course import xdist_group  # tests/browser/ is on sys.path once its conftest.py is loaded

    return xdist_group(item)


def _put_in_group(item: pytest.Item, group: str) -> None:
    """Name `item` `<id>@<group>`, the way `--dist loadgroup` tells groups apart. pytest-xdist 3.8 does this by
    writing `item._nodeid`, which pytest 9.2 no longer reads (the id lives in `item._id`), so without this every
    test would be scheduled alone: nbval cells split from their notebook's kernel, module fixtures run twice."""
    from _pytest.nodeid import coerce_node_id  # pytest 9.2's own parser of node ids

    item._id = coerce_node_id(f"{item.nodeid}@{group}")
