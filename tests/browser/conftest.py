"""End-to-end tests: the course the way a student sees it, in JupyterLab in Chromium.

nbval proves that the notebooks re-run; only a browser proves that a student sees working
sliders, because widgets live in the browser. These fixtures start one JupyterLab server
and one headless Chromium for the whole test session:

* `jupyter_lab`: JupyterLab on 127.0.0.1 with a free port and a random token, root dir =
  the repository, settings/workspaces/runtime/config in a temporary folder (no news pop-up,
  no autosave, no windowing, no stale state), and a `python3` kernelspec that runs the test
  environment's own interpreter (`sys.executable`). Stopped by its PID at the end.
* `browser`: Debian's Chromium (`/usr/bin/chromium`, or `$COURSEGRAD_CHROMIUM`) driven by
  PyPI's playwright through `executable_path` -- never `playwright install`.
* `lab`: opens notebooks (one page each), runs them, finds errors, takes screenshots.

Without Chromium or playwright the tests skip with the reason; with `CI=true` that is a
failure instead. Screenshots go to `$COURSEGRAD_ARTIFACTS` (else `test-artifacts/`); the
path is printed in the terminal summary.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest
from browser_course import (
    FIXTURE_NOTEBOOKS,
    HARNESS_CELLS,
    REPO,
    VIEWPORT,
    intended_errors,
    notebook_of,
    student_worksheets,
    xdist_group,
)

CHROMIUM = Path(os.environ.get("COURSEGRAD_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # CI containers often have a tiny /dev/shm
]

# Bounded waits (milliseconds for playwright, seconds for the server).
SERVER_START_TIMEOUT = 60
KERNEL_READY_MS = 60_000
RUN_ALL_MS = 120_000  # a lecture notebook runs in < 20 s under nbval; the browser adds little
WIDGET_UPDATE_MS = 15_000

# Console errors that mean a student sees something broken (see NotebookPage.console_errors).
SERIOUS_CONSOLE = re.compile(r"widget|Error displaying|render|model not found|Uncaught", re.IGNORECASE)

# What JupyterLab shows for widgets that failed (jupyterlab_widgets 3) and a renderer crash.
WIDGET_ERRORS = ("Error displaying widget", "model not found", "Error rendering output item")


# ---------------------------------------------------------------------------
# pytest hooks: the marker and where the artifacts are
# ---------------------------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: end-to-end test in JupyterLab + headless Chromium (deselect with -m 'not browser')"
    )
    config.addinivalue_line("markers", "notebook(path): the notebook (inside the repository) a browser test opens")


# Per notebook: the harness checks itself first, then the notebook runs, then lecture 4's Try it (from the
# sliders as Run All left them), then its sliders move, then the other modules' tests.
MODULE_ORDER = ("test_browser_harness", "test_browser_notebooks", "test_browser_lectures_4_5", "test_browser_explorers")


def pytest_collection_modifyitems(config, items):
    """The browser tests in the order they run: by xdist group, then by notebook (its tests one after the other,
    so it is opened and run once), then by module (MODULE_ORDER); parametrized order is kept."""
    slots = [i for i, item in enumerate(items) if item.get_closest_marker("browser")]

    def rank(item):
        name = item.path.stem
        notebook = notebook_of(item)
        first = 0 if notebook == FIXTURE_NOTEBOOKS["harness_notebook"].relative_to(REPO).as_posix() else 1
        module = MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)
        return xdist_group(item), notebook is None, first, notebook or "", module

    ordered = sorted((items[i] for i in slots), key=rank)  # stable: parametrized order is kept
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item


def pytest_collection_finish(session):
    session.config._coursegrad_browser_tests = sum(1 for item in session.items if item.get_closest_marker("browser"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if getattr(config, "_coursegrad_browser_tests", 0) and not config.option.collectonly:
        terminalreporter.write_sep("-", "browser test artifacts")
        folder = artifacts_dir()
        shots = len(list(folder.glob("*.png")))
        what = f"{shots} screenshots of the notebooks as a student sees them" if shots else "no screenshots were taken"
        terminalreporter.write_line(f"{what}: {folder}")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("COURSEGRAD_ARTIFACTS") or REPO / "test-artifacts").resolve() / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str):
    """Locally a missing browser skips the test; in CI (CI=true) it is a failure."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI; .ci/run installs chromium)", pytrace=False)
    pytest.skip(reason)


def browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium) to run browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the `playwright` Python package is missing: `pip install -e '.[test]'` (do not run `playwright install`)"
    return None


# ---------------------------------------------------------------------------
# JupyterLab server
# ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


class LabServer:
    """A JupyterLab process on 127.0.0.1 with everything it writes kept in `home`."""

    def __init__(self, home: Path, root: Path = REPO):
        self.home, self.root = home, root
        self.token = secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log_path = home / "jupyterlab.log"
        settings = home / "settings"
        # No "Jupyter news?" pop-up (it appears late and steals clicks), no update check.
        _write_json(
            settings / "@jupyterlab/apputils-extension/notification.jupyterlab-settings",
            {"fetchNews": "false", "checkForUpdates": False},
        )
        # Never write a course notebook back to disk while a test runs it.
        _write_json(settings / "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings", {"autosave": False})
        # Every cell in the DOM (no virtual scrolling), so selectors see the whole notebook.
        _write_json(settings / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings", {"windowingMode": "none"})
        # Only what a student's JupyterLab has (the `course` extra): the test extra's nbgrader
        # stays off.
        off = [
            "nbgrader.server_extensions.formgrader",
            "nbgrader.server_extensions.validate_assignment",
            "nbgrader.server_extensions.assignment_list",
            "nbgrader.server_extensions.course_list",
        ]
        _write_json(home / "config/jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": dict.fromkeys(off, False)}})
        _write_json(home / "config/labconfig/page_config.json", {"disabledExtensions": {"@jupyter/nbgrader": True}})
        # The kernel is this test environment's own Python, whatever the user's kernelspecs say.
        _write_json(
            home / "data/kernels/python3/kernel.json",
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "metadata": {"debugger": False},
            },
        )
        self.env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTER_PATH=str(home / "data"),
            IPYTHONDIR=str(home / "ipython"),
            PYTHONHASHSEED="0",
        )
        self.env.pop("JUPYTER_TOKEN", None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def start(self) -> None:
        last_error = ""
        for _attempt in range(3):  # another process may grab the free port before the server binds it
            self.port = _free_port()
            command = [
                sys.executable, "-m", "jupyter", "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
                f"--LabApp.user_settings_dir={self.home / 'settings'}",
                "--LabApp.expose_app_in_browser=True",
                # JupyterLab checkpoints every notebook it opens: keep them out of the repository.
                f"--FileCheckpoints.checkpoint_dir={self.home / 'checkpoints'}",
            ]  # fmt: skip
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--allow-root")  # CI containers run as root
            log = open(self.log_path, "ab")  # noqa: SIM115 - closed by the process ending
            self.proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.home)
            log.close()
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                with suppress(OSError, urllib.error.URLError, ValueError):
                    self.api("/api/status")
                    return
                time.sleep(0.2)
            last_error = self.log_tail()
            self.stop()
        raise RuntimeError(f"JupyterLab did not answer /api/status; its log ends with:\n{last_error}")

    def log_tail(self, lines: int = 40) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def shutdown_kernel(self, kernel_id: str) -> None:
        with suppress(OSError, urllib.error.URLError):
            self.api(f"/api/kernels/{kernel_id}", method="DELETE")

    def stop(self) -> None:
        """Shut the kernels down, then terminate the server by its PID (kill if it hangs)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with suppress(OSError, urllib.error.URLError, ValueError):
                for kernel in self.api("/api/kernels") or []:
                    self.shutdown_kernel(kernel["id"])
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory):
    reason = browser_missing_reason()
    if reason:
        skip_or_fail(reason)
    if "PYTEST_XDIST_WORKER" not in os.environ:  # (with xdist, workers share the folder: keep it)
        for stale in artifacts_dir().glob("*"):  # screenshots of an earlier run would mislead a reviewer
            if stale.is_file() and stale.suffix in (".png", ".log"):
                stale.unlink()
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    server.start()
    yield server
    server.stop()
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # (each xdist worker of the two browser groups has its own)
    shutil.copy(server.log_path, artifacts_dir() / (f"jupyterlab-{worker}.log" if worker else "jupyterlab.log"))


# ---------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(jupyter_lab):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        except PlaywrightError as err:
            skip_or_fail(f"Chromium at {CHROMIUM} did not start: {str(err).splitlines()[0]}")
        yield chromium
        chromium.close()


# ---------------------------------------------------------------------------
# Driving a notebook
# ---------------------------------------------------------------------------

# The state of every cell, read from JupyterLab's own models (the app is exposed in the page
# by --LabApp.expose_app_in_browser) and from what each output area displays. Error outputs
# are rendered with the stderr mime type, like warnings, so errors are read from the model.
CELLS_JS = """
(widgetErrors) => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.widgets) return null;
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const info = {index, type: model.type, source: model.sharedModel.getSource(), executionCount: null,
                  errors: [], stderr: [], widgetErrors: [], loading: 0, tooWide: []};
    if (model.type !== 'code') return info;
    info.executionCount = model.executionCount;
    for (let i = 0; i < model.outputs.length; i++) {
      const out = model.outputs.get(i).toJSON();
      if (out.output_type === 'error') info.errors.push({ename: out.ename, evalue: out.evalue});
      if (out.output_type === 'stream' && out.name === 'stderr') info.stderr.push(String(out.text).slice(0, 300));
    }
    const text = cell.outputArea ? cell.outputArea.node.innerText : '';
    info.widgetErrors = widgetErrors.filter(marker => text.includes(marker));
    info.loading = (text.match(/Loading widget\\.\\.\\./g) || []).length;
    // Outputs wider than the notebook column: the student has to scroll sideways.
    info.tooWide = cell.outputArea ? [...cell.outputArea.node.querySelectorAll('.jp-OutputArea-output')]
      .filter(o => o.scrollWidth > o.clientWidth + 2).map(o => [o.scrollWidth, o.clientWidth]) : [];
    return info;
  });
}
"""

# What Run All left in each cell's model (no page layout: cheap to read after every run): index, type,
# source, executionCount and errors, as in CELLS_JS.
RUN_STATE_JS = """
() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell, index) => {
  const model = cell.model;
  const info = {index, type: model.type, source: model.sharedModel.getSource(), executionCount: null, errors: []};
  if (model.type !== 'code') return info;
  info.executionCount = model.executionCount;
  for (let i = 0; i < model.outputs.length; i++) {
    const out = model.outputs.get(i).toJSON();
    if (out.output_type === 'error') info.errors.push({ename: out.ename, evalue: out.evalue});
  }
  return info;
})
"""

# Before a run: watch the first code cell that will run (the first non-empty one at or after
# `start`) for the moment JupyterLab queues or executes it, so a run is never taken for done
# before it began (a late status message of an earlier run must not fool the wait).
ARM_JS = """
(start) => {
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  const first = cells.slice(start).find(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  if (!first) return false;
  const model = first.model;
  if (!model.__coursegradWatched) {
    model.__coursegradWatched = true;
    model.stateChanged.connect((m, change) => {
      if (change.name === 'executionCount' || change.name === 'executionState') m.__coursegradTouched = true;
    });
  }
  model.__coursegradTouched = false;
  window.__coursegradFirst = model;
  return true;
}
"""

# Done when the watched cell was queued or run since the run started, the kernel is idle, and
# no code cell is queued or running ([*]).
RUN_DONE_JS = """
() => {
  if (!window.__coursegradFirst || !window.__coursegradFirst.__coursegradTouched) return false;
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
  if (indicator && indicator.getAttribute('data-status') !== 'idle') return false;
  return !panel.content.widgets.some(c => c.model.type === 'code' && c.promptNode &&
                                          c.promptNode.textContent.includes('*'));
}
"""


def _first_unrun_after_error(cells: list[dict]) -> tuple[int, int] | None:
    """(the cell whose error stopped Run All, the first non-empty code cell after it that never ran)."""
    last_error = None
    for cell in cells:
        if cell["type"] != "code":
            continue
        if cell["errors"]:
            last_error = cell["index"]
        elif cell["source"].strip() and cell["executionCount"] is None and last_error is not None:
            return last_error, cell["index"]
    return None


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return (lines[0][:60] + ("..." if len(lines[0]) > 60 else "")) if lines else ""


# Every explorer shown in the notebook, found by its stable CSS class (see coursegrad/widgets.py),
# with the model id of the widget output it is displayed in and its position inside it. Each
# explorer element gets a `data-coursegrad-test-id` attribute so a locator can find it again.
EXPLORERS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const found = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code' || !cell.outputArea) return;
    const outputs = cell.model.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const view = (outputs.get(i).data || {})['application/vnd.jupyter.widget-view+json'];
      const child = cell.outputArea.widgets[i];
      if (!view || !child) continue;
      child.node.querySelectorAll('.coursegrad-explorer').forEach((el, position) => {
        const id = view.model_id + '/' + position;
        el.setAttribute('data-coursegrad-test-id', id);
        const kind = [...el.classList].find(k => k.startsWith('coursegrad-') && k !== 'coursegrad-explorer');
        found.push({cell: index, modelId: view.model_id, position, id, kind: kind || ''});
      });
    }
  });
  return found;
}
"""

# Runs code in the notebook's kernel without touching any cell (silent, no history) and
# returns the repr of one expression, the way the Jupyter protocol's user_expressions do.
KERNEL_EVAL_JS = """
async ([code, expression]) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: true, store_history: false, allow_stdin: false,
                                        stop_on_error: false, user_expressions: {result: expression}});
  const reply = (await future.done).content;
  if (reply.status !== 'ok') return {error: reply.ename + ': ' + reply.evalue};
  const result = reply.user_expressions.result;
  if (result.status !== 'ok') return {error: result.ename + ': ' + result.evalue};
  return {value: result.data['text/plain']};
}
"""


# The height of the notebook's content: down to the last cell, without the blank space that
# JupyterLab adds below it so the last cell can be scrolled to the top.
CONTENT_HEIGHT_JS = """
(scroller) => {
  const outer = document.querySelector(scroller);
  const cells = outer.querySelectorAll('.jp-Cell');
  if (!cells.length) return outer.scrollHeight;
  const bottom = cells[cells.length - 1].getBoundingClientRect().bottom;
  return Math.ceil(bottom - outer.getBoundingClientRect().top + outer.scrollTop + 24);
}
"""


# Sliders outside coursegrad explorers (e.g. ipywidgets.interact): tagged for locators.
LOOSE_SLIDERS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const found = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code' || !cell.outputArea) return;
    cell.outputArea.node.querySelectorAll('.widget-hslider').forEach(el => {
      if (el.closest('.coursegrad-explorer')) return;
      const id = 'loose-' + found.length;
      el.setAttribute('data-coursegrad-test-id', id);
      const label = el.querySelector('.widget-label');
      found.push({cell: index, id, label: label ? label.innerText.trim() : ''});
    });
  });
  return found;
}
"""

# What a cell's output shows apart from its sliders (which change by themselves when moved).
OUTPUT_WITHOUT_SLIDERS_JS = """
(area) => { const copy = area.cloneNode(true); copy.querySelectorAll('.widget-slider').forEach(s => s.remove());
            return copy.innerHTML; }
"""

# What each code cell shows of its outputs: JupyterLab 4 replaces the output area of a cell whose
# outputs are collapsed (stored `jupyter.outputs_hidden`, or the collapser clicked) by a
# `.jp-OutputPlaceholder` whose `.jp-PlaceholderText` is the first line of the first output.
OUTPUTS_SHOWN_JS = """
() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell, index) => {
  if (cell.model.type !== 'code') return {index, type: cell.model.type};
  const placeholder = cell.node.querySelector('.jp-Cell-outputWrapper .jp-OutputPlaceholder .jp-PlaceholderText');
  return {index, type: 'code', outputs: cell.model.outputs.length, collapsed: cell.outputHidden === true,
          shown: !!cell.outputArea && cell.node.contains(cell.outputArea.node),
          placeholder: placeholder ? placeholder.textContent : null,
          text: cell.outputArea && cell.node.contains(cell.outputArea.node) ? cell.outputArea.node.innerText : ''};
})
"""


class LabApp:
    """One JupyterLab page, loaded once, in which notebooks open one after the other (the way a student opens
    them from the file browser): loading JupyterLab's app costs ~8 s of CPU, a notebook in it ~1 s.

    One notebook is open at a time, so every selector and `shell.currentWidget` mean that notebook; what the
    page logs goes to the console of the notebook open at that moment."""

    def __init__(self, server: LabServer, context):
        self.server = server
        self.page = context.new_page()
        self.loaded = False
        self.current: NotebookPage | None = None
        self.page.on("console", lambda m: self._log(f"[{m.type}] {m.text}"))
        self.page.on("pageerror", lambda e: self._log(f"[pageerror] {e}"))

    def _log(self, line: str) -> None:
        if self.current is not None:
            self.current.console.append(line)

    def show(self, notebook: NotebookPage) -> None:
        """Open `notebook` in the app: the first by its URL (a fresh workspace), the next ones by JupyterLab's
        own open command, after the one open before was closed."""
        if self.current is not None and self.current is not notebook:
            self.current.close()
        self.current = notebook
        if not self.loaded:
            notebook.load_page()
            self.loaded = True
            return
        opened = self.page.evaluate(OPEN_IN_APP_JS, notebook.rel)
        assert opened, f"JupyterLab did not open {notebook.rel}"

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        with suppress(Exception):
            self.page.close()


# Opens a notebook in the running app (as a double click in the file browser does) and makes it the current tab.
OPEN_IN_APP_JS = """
async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  if (!widget) return false;
  await widget.context.ready;
  app.shell.activateById(widget.id);
  return app.shell.currentWidget === widget;
}
"""

# Closes the current notebook tab without the "save your changes?" dialog (running cells makes it dirty; the
# file on disk must stay as it is) and returns its kernel's id, for the server to shut it down.
CLOSE_IN_APP_JS = """
() => {
  const widget = window.jupyterapp.shell.currentWidget;
  if (!widget || !widget.context) return null;
  const session = widget.sessionContext && widget.sessionContext.session;
  const kernel = session && session.kernel ? session.kernel.id : null;
  widget.context.model.dirty = false;
  widget.dispose();
  return kernel;
}
"""


class NotebookPage:
    """One notebook open in JupyterLab with its own kernel: in its own page (own workspace), or in the `app`
    page that the session's notebooks share (one after the other)."""

    def __init__(self, server: LabServer, context, path: Path, app: LabApp | None = None):
        self.server, self.context, self.path, self.app = server, context, path, app
        self.rel = path.resolve().relative_to(server.root).as_posix()
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.rel.removesuffix(".ipynb"))
        self.console: list[str] = []
        if app is None:
            self.page = context.new_page()
            self.page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
            self.page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))
        else:
            self.page = app.page
        self.shots: list[Path] = []
        self.run_shots: list[Path] = []
        self.run_cells: list[dict] = []
        self.opened_outputs: list[dict] = []
        self.moved = False  # a slider was moved: the explorers no longer show what Run All left
        self.closed = False

    # -- opening and running ----------------------------------------------------------
    def load_page(self) -> None:
        """Load JupyterLab in this page with the notebook open (a fresh workspace: no tabs restored from another test)."""
        from urllib.parse import quote

        workspace = f"test-{secrets.token_hex(4)}"
        url = f"{self.server.url}/lab/workspaces/{workspace}/tree/{quote(self.rel)}?reset&token={self.server.token}"
        self.page.goto(url, wait_until="domcontentloaded")

    def open(self) -> None:
        if self.app is None:
            self.load_page()
        else:
            self.app.show(self)
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=KERNEL_READY_MS)
        self.page.wait_for_function(
            """() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                       return p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel &&
                              p.sessionContext.session.kernel.status === 'idle'; }""",
            timeout=KERNEL_READY_MS,
        )
        self.page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=KERNEL_READY_MS)
        self.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook gets the width
        self.dismiss_dialogs()

    def dismiss_dialogs(self) -> None:
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            text = dialog.first.inner_text()
            raise AssertionError(f"JupyterLab shows a dialog a student would have to answer: {text!r}")

    def kernel_id(self) -> str | None:
        return self.page.evaluate(
            "() => { const p = window.jupyterapp.shell.currentWidget;"
            " const k = p && p.sessionContext.session && p.sessionContext.session.kernel; return k ? k.id : null; }"
        )

    def run_all(self) -> None:
        """Run all cells the way a student does: menu Run -> Run All Cells."""
        assert self.page.evaluate(ARM_JS, 0), "the notebook has no code to run"
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator("li[data-command='runmenu:run-all']").click()
        self.wait_until_done()

    def run_from(self, index: int) -> None:
        """Select cell `index` and run it and every cell below (the command of Run -> Run Selected Cell and All Below)."""
        self.page.evaluate(
            "(i) => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = i; nb.deselectAll(); }",
            index,
        )
        assert self.page.evaluate(ARM_JS, index), f"no code to run from cell {index}"
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-below')")
        self.wait_until_done()

    def console_errors(self, serious: bool | None = None) -> list[str]:
        """Errors in the browser console: uncaught exceptions and widget errors are `serious`
        (a student sees something broken); other console errors (e.g. a missing resource) are not."""
        errors = [line for line in self.console if line.startswith(("[error]", "[pageerror]"))]
        if serious is None:
            return errors
        return [line for line in errors if bool(line.startswith("[pageerror]") or SERIOUS_CONSOLE.search(line)) == serious]

    def run_past_errors(self, allowed: dict[int, set[str]]) -> None:
        """After Run All stopped at an allowed error, go on from the next cell, until every cell ran.

        Stops at the first error that is not in `allowed` (cell index -> error names)."""
        for _ in range(len(allowed) + 1):
            cells = self.page.evaluate(RUN_STATE_JS)
            stopped = _first_unrun_after_error(cells)
            if stopped is None:
                return
            error_cell, next_cell = stopped
            if not all(e["ename"] in allowed.get(error_cell, set()) for e in cells[error_cell]["errors"]):
                return
            self.run_from(next_cell)

    def wait_until_done(self) -> None:
        self.page.wait_for_function(RUN_DONE_JS, timeout=RUN_ALL_MS, polling=100)
        # Widgets render asynchronously after the kernel is idle.
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea')]"
            ".some(area => area.innerText.includes('Loading widget...'))",
            timeout=WIDGET_UPDATE_MS,
            polling=100,  # (innerText lays the page out: not on every animation frame)
        )

    def cells(self) -> list[dict]:
        return self.page.evaluate(CELLS_JS, list(WIDGET_ERRORS))

    def outputs_shown(self) -> list[dict]:
        """Per cell: {index, type, and for code: outputs, collapsed, shown, placeholder, text} (OUTPUTS_SHOWN_JS)."""
        return self.page.evaluate(OUTPUTS_SHOWN_JS)

    def problems(self, cells: list[dict] | None = None, allowed: dict[int, set[str]] | None = None) -> list[str]:
        """What a student would see go wrong: errors (except `allowed[cell] = {ename, ...}`),
        broken or never-loaded widgets, cells that did not run, a dialog."""
        allowed = allowed or {}
        found = []
        for cell in cells if cells is not None else self.cells():
            if cell["type"] != "code":
                continue
            where = f"cell {cell['index']} ({_first_line(cell['source'])!r})"
            if cell["source"].strip() and cell["executionCount"] is None:
                found.append(f"{where} did not run")
            for error in cell["errors"]:
                if error["ename"] not in allowed.get(cell["index"], set()):
                    found.append(f"{where} shows {error['ename']}: {error['evalue']}")
            for marker in cell["widgetErrors"]:
                found.append(f"{where} shows {marker!r}")
            if cell["loading"]:
                found.append(f"{where} still shows 'Loading widget...'")
        found += [f"the page logged an error: {line[:300]}" for line in self.console_errors(serious=True)]
        if self.page.locator(".jp-Dialog").count():
            found.append(f"a dialog is open: {self.page.locator('.jp-Dialog').first.inner_text()!r}")
        return found

    # -- explorers and the kernel --------------------------------------------------------
    def explorers(self) -> list[dict]:
        """Every coursegrad explorer displayed in the notebook: {cell, modelId, position, id, kind}."""
        return self.page.evaluate(EXPLORERS_JS)

    def explorer(self, explorer: dict):
        return self.page.locator(f"[data-coursegrad-test-id='{explorer['id']}']")

    def kernel_eval(self, expression: str, code: str = ""):
        """The value of a Python expression (its repr parsed back) in the notebook's kernel.

        Runs silently: no cell, no output, no execution count changes."""
        reply = self.page.evaluate(KERNEL_EVAL_JS, [code, expression])
        if "error" in reply:
            raise AssertionError(f"the kernel could not evaluate {expression!r}: {reply['error']}")
        return ast.literal_eval(reply["value"])

    def other_sliders(self) -> list[dict]:
        """Sliders outside coursegrad explorers (e.g. from ipywidgets.interact): {cell, id, label}."""
        return self.page.evaluate(LOOSE_SLIDERS_JS)

    def moving_changes_output(self, slider: dict, key: str = "ArrowRight") -> bool:
        """Press `key` on one of `other_sliders()`; True once its cell's output (sliders aside) changed."""
        area = self.page.locator(".jp-NotebookPanel .jp-Cell").nth(slider["cell"]).locator(".jp-OutputArea").first
        before = area.evaluate(OUTPUT_WITHOUT_SLIDERS_JS)
        self.press_on_slider(self.page.locator(f"[data-coursegrad-test-id='{slider['id']}']"), key)
        try:
            self.page.wait_for_function(
                f"([area, before]) => ({OUTPUT_WITHOUT_SLIDERS_JS.strip()})(area) !== before",
                arg=[area.element_handle(), before],
                timeout=WIDGET_UPDATE_MS,
                polling=50,  # (a copy of the output each time: not on every animation frame)
            )
        except Exception:
            return False
        return True

    # -- sliders ----------------------------------------------------------------------
    def press_on_slider(self, slider, key: str = "ArrowRight", presses: int = 1) -> tuple[str, str]:
        """Focus the slider's handle and press `key`, waiting after each press until its readout changes.

        `slider` is a locator of one `.widget-hslider`; returns the readout text before and after."""
        self.moved = True
        readout = slider.locator(".widget-readout")
        first = readout.inner_text().strip()
        handle = slider.locator(".noUi-handle")
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(presses):
            before = readout.inner_text().strip()
            handle.press(key)
            try:
                self.page.wait_for_function(
                    "([el, before]) => el.innerText.trim() !== before",
                    arg=[readout.element_handle(), before],
                    timeout=WIDGET_UPDATE_MS,
                    polling=50,
                )
            except Exception as err:
                raise AssertionError(f"pressing {key} on a slider at {before!r} did not change its readout") from err
        return first, readout.inner_text().strip()

    def wait_for_change(self, locator, before: str, what: str = "innerHTML") -> str:
        """Wait until the element's innerHTML (or innerText) differs from `before` (the kernel answered)."""
        element = locator.element_handle()
        self.page.wait_for_function(
            f"([el, before]) => el.{what} !== before", arg=[element, before], timeout=WIDGET_UPDATE_MS, polling=50
        )
        return locator.evaluate(f"el => el.{what}")

    # -- screenshots ------------------------------------------------------------------
    def screenshot(self, label: str) -> list[Path]:
        """The whole notebook, top to bottom, in as few images as Chromium allows."""
        self.page.wait_for_timeout(150)  # let the last repaint land
        scroller = ".jp-NotebookPanel .jp-WindowedPanel-outer"
        height = self.page.evaluate(CONTENT_HEIGHT_JS, scroller)
        chrome = VIEWPORT["height"] - self.page.evaluate(f"() => document.querySelector('{scroller}').clientHeight")
        part_height = 12_000
        paths = []
        try:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": min(height, part_height) + chrome})
            parts = max(1, -(-height // part_height))
            for part in range(parts):
                self.page.evaluate(f"(y) => document.querySelector('{scroller}').scrollTop = y", part * part_height)
                self.page.wait_for_timeout(100)
                suffix = f"-part{part + 1}" if parts > 1 else ""
                path = artifacts_dir() / f"{self.name}--{label}{suffix}.png"
                self.page.screenshot(path=str(path))
                paths.append(path)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        self.shots.extend(paths)
        return paths

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        log = artifacts_dir() / f"{self.name}--console.log"
        log.write_text("\n".join(self.console) + "\n")
        kernel = None
        if self.app is None:
            with suppress(Exception):
                kernel = self.kernel_id()
            with suppress(Exception):
                self.page.close()
        else:
            with suppress(Exception):
                kernel = self.page.evaluate(CLOSE_IN_APP_JS)
            if self.app.current is self:
                self.app.current = None
        if kernel:
            self.server.shutdown_kernel(kernel)


@pytest.fixture(scope="session")
def browser_context(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def lab(jupyter_lab, browser_context):
    """Opens and runs each notebook in the session's one JupyterLab page; the tests of one notebook follow each
    other (see `pytest_collection_modifyitems`), so each notebook is opened and run once per session and the
    slider tests reuse the executed page."""
    app = LabApp(jupyter_lab, browser_context)
    opened: dict[Path, NotebookPage] = {}

    class Lab:
        server = jupyter_lab

        @staticmethod
        def executed(path: Path, untouched: bool = False) -> NotebookPage:
            """The notebook opened and run (a student worksheet: run on past its intended errors).

            With `untouched`, run afresh if a slider was moved on it since (its explorers as Run All left them)."""
            path = path.resolve()
            notebook = opened.get(path)
            if notebook is not None and (notebook.closed or (untouched and notebook.moved)):
                notebook.close()
                notebook = None
            if notebook is None:
                notebook = NotebookPage(jupyter_lab, browser_context, path, app=app)
                opened[path] = notebook
                notebook.open()
                notebook.opened_outputs = notebook.outputs_shown()  # what a student sees before running anything
                notebook.run_all()
                if path in student_worksheets():
                    notebook.run_past_errors(intended_errors(path))
                notebook.run_cells = notebook.cells()  # what the student sees before any slider moves
                notebook.run_shots = notebook.screenshot("after-run-all")
            return notebook

        @staticmethod
        def open(path: Path) -> NotebookPage:
            """The notebook opened in the session's JupyterLab page with a new kernel, not run."""
            notebook = NotebookPage(jupyter_lab, browser_context, path.resolve(), app=app)
            notebook.open()
            return notebook

    yield Lab
    app.close()


@pytest.fixture(scope="session")
def harness_notebook():
    """A small notebook with known errors, sliders and a broken explorer, for the harness self-checks."""
    path = FIXTURE_NOTEBOOKS["harness_notebook"]
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [
        {"cell_type": kind, "metadata": meta, "source": source}
        | ({"outputs": [], "execution_count": None} if kind == "code" else {})
        for kind, source, meta in HARNESS_CELLS
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.fixture(scope="session")
def graded_desk_class(tmp_path_factory):
    """`workflow_helpers.desk_class` graded once per run (`coursegrad grade` with DESK_GRADE, shared with the desk
    tests) for the report and review tests: each copies it (`copy_of_graded_desk_class`) and works on its copy."""
    sys.path.insert(0, str(REPO / "tests"))  # tests/: the generated class
    from workflow_helpers import desk_graded

    return desk_graded(tmp_path_factory)  # graded once per test run, shared with test_desk_*.py


@pytest.fixture(scope="module")
def copy_of_graded_desk_class(graded_desk_class):
    """A copy of the graded class of this module's own (the review test grades and merges in it), inside the
    JupyterLab server's root (in git-ignored test-artifacts/), removed after the module."""
    import tempfile

    folder = REPO / "test-artifacts" / "browser-desk"
    folder.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(dir=folder)) / "course"  # (no word the review test looks for on the page)
    shutil.copytree(graded_desk_class, copy, symlinks=True)
    yield copy
    shutil.rmtree(copy.parent, ignore_errors=True)
