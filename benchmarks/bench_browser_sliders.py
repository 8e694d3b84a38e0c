"""Time the slider explorers in JupyterLab and headless Chromium: a key press on a slider until the plot changes.

    python benchmarks/bench_browser_sliders.py             # every lecture with an explorer
    python benchmarks/bench_browser_sliders.py 06 --presses 8

It reuses the browser tests' harness (`tests/browser/conftest.py`: one JupyterLab server, one Chromium): each
lecture is opened and run, then on every slider of every explorer the arrow key is pressed `--presses` times
(towards the far end of its range: every position new to the kernel). The time of one move is measured in the
page, from the key press (a `keydown` listener) to the first change of the explorer's plot (a MutationObserver;
the readout if it has no plot): what a student waits for. Prints median and worst per slider; the budget is 100 ms.
Needs Chromium at /usr/bin/chromium (or $COURSEGRAD_CHROMIUM) and the test extra (playwright).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))  # the harness imports its helpers by plain name
_spec = importlib.util.spec_from_file_location("browser_harness", REPO / "tests" / "browser" / "conftest.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
jupyter_lab, browser, browser_context, lab = harness.jupyter_lab, harness.browser, harness.browser_context, harness.lab

BUDGET_MS = 100.0
ARM_JS = """([handle, target]) => {
  window.__coursegradMove = new Promise(resolve => {
    let start = null;
    handle.addEventListener('keydown', () => { start = performance.now(); }, {capture: true, once: true});
    const seen = new MutationObserver(() => {
      if (start !== null) { seen.disconnect(); resolve(performance.now() - start); }
    });
    seen.observe(target, {childList: true, subtree: true, characterData: true, attributes: true});
    setTimeout(() => { seen.disconnect(); resolve(-1); }, 5000);  // no change seen in 5 s: reported as such, not timed
  });
}"""


def time_slider(page, box, name: str, presses: int) -> list[float] | None:
    """Milliseconds from each key press on slider `name` to the first change of the explorer's plot."""
    slider = box.locator(f".coursegrad-slider-{name}")
    if slider.locator(".noUi-handle").count() != 1:
        return None  # a menu or a button, not a slider
    target = box.locator(".coursegrad-plot") if box.locator(".coursegrad-plot").count() else box.locator(".coursegrad-readout")
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    now, low, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    key = "ArrowRight" if high - now >= now - low else "ArrowLeft"
    times = []
    for _ in range(presses):
        page.evaluate(ARM_JS, [handle.element_handle(), target.first.element_handle()])
        handle.focus()
        handle.press(key)
        took = page.evaluate("() => window.__coursegradMove")
        if took >= 0:
            times.append(took)
        page.wait_for_timeout(150)  # let the kernel settle: one move at a time, as a student makes them
    return times


def test_slider_times(lab, notebook_path, presses, results):
    notebook = lab.executed(notebook_path)
    for info in notebook.explorers():
        box = notebook.explorer(info)
        names = [c.split("coursegrad-slider-", 1)[1] for c in box.evaluate(SLIDER_CLASSES_JS)]
        for name in names:
            results.append((f"{notebook_path.stem[:2]} {info['kind'].removeprefix('coursegrad-')}", name,
                            time_slider(notebook.page, box, name, presses)))  # fmt: skip
    notebook.close()  # one notebook open at a time in the session's page


SLIDER_CLASSES_JS = """el => [...new Set([...el.querySelectorAll('[class*="coursegrad-slider-"]')]
  .flatMap(e => [...e.classList]).filter(c => c.startsWith('coursegrad-slider-')))]"""


class Options:
    """The plugin that hands the test its notebooks and press count, and collects (explorer, slider, times)."""

    def __init__(self, notebooks: list[Path], presses: int):
        self.notebooks, self.presses = notebooks, presses
        self.collected: list[tuple[str, str, list[float]]] = []

    @pytest.fixture
    def results(self) -> list:
        return self.collected

    def pytest_generate_tests(self, metafunc):
        if "notebook_path" in metafunc.fixturenames:
            metafunc.parametrize("notebook_path", self.notebooks, ids=[p.stem for p in self.notebooks])
            metafunc.parametrize("presses", [self.presses])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("match", nargs="*", help="lectures whose file name contains one of these (default: all)")
    parser.add_argument("--presses", type=int, default=6, help="key presses per slider (default 6)")
    args = parser.parse_args(argv)
    lectures = sorted((REPO / "lectures").glob("[0-9]*.ipynb"))
    options = Options([p for p in lectures if not args.match or any(m in p.name for m in args.match)], args.presses)
    code = pytest.main([__file__, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-s"], plugins=[options])
    print(f"\nload average {os.getloadavg()[0]:.1f}; ms from key press to the plot's change (budget {BUDGET_MS:g} ms)")
    print(f"{'explorer':44} {'slider':10} {'moves':>5} {'median':>8} {'worst':>8}")
    for explorer, name, times in options.collected:
        if times:
            print(f"{explorer:44} {name:10} {len(times):>5} {statistics.median(times):>8.0f} {max(times):>8.0f}")
        if unseen := options.presses - len(times) if times is not None else 0:
            print(f"{explorer:44} {name:10} {unseen} moves: no change of its plot or readout seen within 5 s")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
