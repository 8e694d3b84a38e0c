"""A fresh Jupyter kernel for one submission: a timeout per cell, a cap on output, a private folder.

    with Kernel(workdir, timeout=30) as k:
        result = k.run("x = 1 / 0")      # CellResult(status="error", ename="ZeroDivisionError", ...)

The kernel is this Python (`sys.executable`, whatever kernelspecs are installed), started
in `workdir` with IPython's profile and the kernel's sockets in a private temporary folder
(no TCP port: IPC sockets where the OS has them), one BLAS thread, and its own stdout/stderr
discarded; it boots without what grading never uses (no debugger, no SQLite history) and imports the
kit from bytecode the grader compiled (`sandbox.compile_kit`): a start costs about half a CPU second.
A cell that runs past its timeout is interrupted; if the kernel does not come back the kernel is
killed and `alive` turns False. A kernel that dies (`os._exit`) is noticed
within a second. A submission's time `budget` counts the CPU seconds of the kernel and everything it
started (from /proc, where the kernel cannot fake it), so a loaded machine does not use it up; code
that only waits (sleeps) is stopped after `BUDGET_WALL_FACTOR` times as many seconds of wall time.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from coursegrad.grading import sandbox
from coursegrad.grading.lifetime import scratch_dir
from coursegrad.kernels import ThisPythonKernel

TIMEOUT_ENAME = "CellTimeoutError"
# ipykernel_launcher, but with no debugger: debugpy is not imported (a grading kernel offers no debugging)
LAUNCH = (
    "import sys; sys.path[:1] = [p for p in sys.path[:1] if p]; sys.modules['debugpy'] = None; "
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
)
BUDGET_WALL_FACTOR = 4.0  # a budget of B CPU seconds also ends after 4·B seconds of wall time (code that sleeps)
CPUS = os.cpu_count() or 1  # at most this many CPU seconds per second of wall time, whatever a kernel starts


@dataclass
class CellResult:
    """What running one cell gave: status is "ok", "error", "timeout" or "dead"."""

    status: str
    outputs: list = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    truncated: bool = False
    seconds: float = 0.0

    @property
    def stdout(self) -> str:
        return "".join(o.get("text", "") for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


class _GraderKernel(ThisPythonKernel):
    """The kernel in the grader's own Python, with short tracebacks, exiting if the grader dies;
    in a bubblewrap sandbox (`sandbox.command`) when `folder` is set."""

    folder: str | None = None  # the kernel's own folder, the only one it may write: sandboxed if set
    workdir: str | None = None  # where it starts, inside `folder`
    kit: str = sandbox.KIT
    uid: int = 0  # the sandbox's own user (when the grader is root)
    user: int | None = None  # not sandboxed, but run as this unprivileged user (setpriv; the grader is root)

    @property
    def kernel_args(self) -> list[str]:
        args = ["--InteractiveShell.xmode=Plain"]  # short tracebacks: faster, and only the error is reported
        args.append("--HistoryManager.enabled=False")  # no SQLite history written after every cell (nor its thread)
        if os.name != "nt" and not self.folder:  # the kernel exits by itself if the grader's process dies
            args.append(f"--IPKernelApp.parent_handle={os.getpid()}")  # (sandboxed: bwrap --die-with-parent)
        return args

    @property
    def kernel_spec(self) -> KernelSpec:
        spec = super().kernel_spec
        spec.argv = [sys.executable, "-c", LAUNCH, "-f", "{connection_file}", *self.kernel_args]
        if self.folder:  # the kernel is in its own session: interrupt it by a message, not a signal to a group
            spec = KernelSpec(
                argv=sandbox.command(spec.argv, self.folder, self.kit, self.workdir, self.uid),
                interrupt_mode="message",
                display_name=spec.display_name,
                language=spec.language,
            )
        elif self.user is not None:
            spec = KernelSpec(argv=sandbox.as_user(spec.argv, self.user), display_name=spec.display_name, language=spec.language)
        return spec

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.folder or self.user is not None:
            sandbox.give_to_kernel(self.connection_file, self.uid)


class _CappedClient(NotebookClient):
    """nbclient's client, keeping at most `max_output` characters of output per cell."""

    max_output = 100_000
    used = 0
    truncated = False

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg["msg_type"] == "error":  # always keep the error, but not a megabyte of traceback
            content["traceback"] = [line[:2000] for line in content.get("traceback", [])[-30:]]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            return super().output(outs, msg, display_id, cell_index)
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        if self.used + size > self.max_output:
            if not self.truncated:
                notice = f"\n[output truncated at {self.max_output} characters]\n"
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=notice))
            self.truncated = True
            return None
        self.used += size
        return super().output(outs, msg, display_id, cell_index)


class Kernel:
    """A fresh kernel in `workdir` (see the module docstring); use as a context manager."""

    def __init__(
        self,
        workdir: str | Path | None = None,
        timeout: float = 30,
        max_output: int = 100_000,
        startup_timeout: float = 60,
        startup: str | None = None,
        sandboxed: bool = False,
        memory_mb: int | None = None,
        kit: str = sandbox.KIT,
        user: int | None = None,
    ):
        if (sandboxed or user is not None) and workdir:
            raise ValueError("a sandboxed kernel, or one run as another user, works in a folder of its own: give no workdir")
        # run as `user` without a sandbox, its folder cannot be in the grader's private scratch folder
        where = scratch_dir() if user is None or sandboxed else None
        self._private = tempfile.TemporaryDirectory(prefix="kernel-", dir=where, ignore_cleanup_errors=True)
        self.user = user  # an unprivileged uid of its own for this kernel (e.g. Gradescope's); all its processes die with it
        self.workdir = str(workdir) if workdir else str(Path(self._private.name) / "work")
        Path(self.workdir).mkdir(exist_ok=True)
        self.sandboxed, self.memory_mb, self.kit = sandboxed, memory_mb, kit
        self.deadline: float | None = None  # time.monotonic() after which no cell may run (the budget's wall-time backstop)
        self._budget: tuple[float, float | None, float] | None = None  # (CPU seconds it may use, those used at its start, when)
        self.timeout = timeout
        self.max_output = max_output
        self.startup_timeout = startup_timeout
        self.startup = startup  # one line of Python the kernel runs as it boots, before any cell
        self.alive = False
        self._client: _CappedClient | None = None
        self._reply: dict | None = None
        self._user: sandbox.KernelUser | None = None  # sandboxed as root: a uid no other running kernel has

    def launch(self) -> Kernel:
        """Start the kernel process (it boots in the background); `with kernel:` then waits for it.

        Without a `workdir`, the kernel works in a fresh folder of its own (`self.workdir`):
        a kernel launched early can then be handed the next submission when it arrives.
        """
        if self._client is not None:
            return self
        sandbox.compile_kit(self.kit)  # once per process: the kernel imports the checks from bytecode
        private = Path(self._private.name)
        km = _GraderKernel(kernel_name="coursegrad-grader", connection_file=str(private / "kernel.json"))
        if os.name != "nt":
            km.transport, km.ip = "ipc", str(private / "ipc")
        if self.sandboxed:
            km.folder, km.workdir, km.kit, km.uid = str(private), self.workdir, self.kit, self.uid
        elif self.user is not None:
            km.user, km.uid = self.uid, self.uid
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
        self._client = _CappedClient(
            nb,
            km=km,
            timeout=int(max(1, round(self.timeout))),
            startup_timeout=int(self.startup_timeout),
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
            allow_errors=True,
            iopub_timeout=2,
            shell_timeout_interval=1,  # seconds between checks in evaluate(): its timeout is this precise
            shutdown_kernel="immediate",
            on_cell_executed=self._keep_reply,
            extra_arguments=[f"--IPKernelApp.exec_lines={[self.startup]!r}"] if self.startup else [],
        )
        self._client.max_output = self.max_output
        env = dict(
            self._base_env(),
            PYTHONHASHSEED="0",
            MPLBACKEND="Agg",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            IPYTHONDIR=str(private / "ipython"),
            JUPYTER_RUNTIME_DIR=str(private / "runtime"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        for folder in (private, Path(self.workdir), private / "ipython", private / "runtime"):
            folder.mkdir(exist_ok=True)
            if self.sandboxed or self.user is not None:
                sandbox.give_to_kernel(folder, self.uid)
        if self.user is not None and not self.sandboxed:
            env.update(HOME=self.workdir, MPLCONFIGDIR=str(Path(self.workdir) / ".matplotlib"))
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        limited = self.sandboxed or self.user is not None  # a user of its own: a limit on its processes too
        self._client.start_new_kernel(cwd=self.workdir, env=env, preexec_fn=sandbox.limits(self.memory_mb, limited), **quiet)
        return self

    @property
    def uid(self) -> int:
        """The sandbox's own user when the grader is root (claimed on first use, released by `close`); else 0."""
        if self._user is None and self.user is not None:
            self._user = sandbox.KernelUser(self.user)
        if self._user is None:
            self._user = sandbox.claim_user() if self.sandboxed and sandbox.drops_user() else sandbox.KernelUser(0)
        return self._user.uid

    def _base_env(self) -> dict[str, str]:
        """Sandboxed or as another user: a minimal environment (`sandbox.kernel_env`); else the grader's, with the kit first."""
        if self.sandboxed or self.user is not None:
            return sandbox.kernel_env(self.kit)
        path = os.pathsep.join(p for p in (str(Path(self.kit).parent), os.environ.get("PYTHONPATH")) if p)
        return dict(os.environ, PYTHONPATH=path)

    def give(self, name: str, data: bytes) -> Path:
        """Write `data` as the file `name` in the kernel's folder (the kernel may read and change it)."""
        path = Path(self.workdir) / name
        path.write_bytes(data)
        if self.sandboxed or self.user is not None:
            sandbox.give_to_kernel(path, self.uid)
        return path

    def __enter__(self) -> Kernel:
        self.launch()
        self._client.start_new_kernel_client()
        self.alive = True
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the kernel (kill it if need be) and delete the private folder."""
        if self._client is not None and self._client.km is not None:
            try:
                self._client._cleanup_kernel()
            except Exception:  # a kernel that is already gone
                pass
        self._client, self.alive = None, False
        if self.user is not None and not self.sandboxed and sandbox.drops_user():
            sandbox.kill_user(self.user)  # no PID namespace: whatever the kernel started, detached or not
        self._private.cleanup()
        if self._user is not None:  # the kernel's PID namespace is gone: nothing runs as its uid any more
            self._user.release()
            self._user = None

    def _keep_reply(self, cell, cell_index, execute_reply) -> None:
        self._reply = execute_reply

    def run(
        self, source: str, timeout: float | None = None, store_history: bool = True, max_output: int | None = None
    ) -> CellResult:
        """Run `source` as one cell. Never raises for what the code does; see `CellResult.status`.

        `store_history=False` runs it without an execution count (for the grader's own code);
        `max_output` replaces the kernel's cap on output for this cell.
        """
        if not self.alive:
            return CellResult("dead", evalue="the kernel is not running")
        limit = timeout if timeout is not None else self.timeout
        if self.deadline is not None:
            if self.over_budget:
                return CellResult("timeout", ename=TIMEOUT_ENAME, evalue="the time budget is used up")
            limit = min(limit, self.deadline - time.monotonic())
        client = self._client
        client.timeout = int(max(1, round(limit)))
        client.used, client.truncated, self._reply = 0, False, None
        client.max_output = max_output or self.max_output
        # built as data: nbformat's new_code_cell validates every cell against its schema (0.3 ms a cell)
        cell = nbformat.from_dict({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source})
        start = time.perf_counter()
        try:
            client.execute_cell(cell, 0, store_history=store_history)
        except DeadKernelError:
            self._kill()
            outputs = list(cell.get("outputs", []))
            return CellResult("dead", outputs, evalue="the kernel died", seconds=time.perf_counter() - start)
        except (CellTimeoutError, asyncio.TimeoutError, TimeoutError):
            self._kill()
            return CellResult("timeout", list(cell.get("outputs", [])), ename=TIMEOUT_ENAME, seconds=time.perf_counter() - start)
        result = CellResult("ok", list(cell.outputs), truncated=client.truncated, seconds=time.perf_counter() - start)
        content = (self._reply or {}).get("content", {})
        if content.get("status") == "error" or any(o.get("output_type") == "error" for o in cell.outputs):
            error = next((o for o in cell.outputs if o.get("output_type") == "error"), content)
            result.status, result.ename, result.evalue = "error", error.get("ename", "Error"), str(error.get("evalue", ""))
        if result.ename == TIMEOUT_ENAME or content.get("ename") == TIMEOUT_ENAME:
            result.status, result.ename = "timeout", TIMEOUT_ENAME
            if not self.evaluate("1", timeout=min(5.0, max(1.0, self.timeout)))[0]:
                self._kill()  # the interrupt did not stop it (e.g. SIGINT ignored): the kernel is lost
        return result

    @property
    def budget(self) -> float | None:
        """The CPU seconds the cells may use from now on, together (None: no limit); setting it starts counting."""
        return None if self._budget is None else self._budget[0]

    @budget.setter
    def budget(self, seconds: float | None) -> None:
        since = time.monotonic()
        start = self.cpu_seconds() if seconds is not None else None
        self._budget = None if seconds is None else (seconds, start, since)
        factor = 1.0 if start is None else BUDGET_WALL_FACTOR  # no CPU clock to read: the budget is wall time
        self.deadline = None if seconds is None else time.monotonic() + factor * seconds

    @property
    def over_budget(self) -> bool:
        """True once the cells used up the budget: its CPU seconds, or its wall-time backstop.

        /proc is read only once the budget could be used up: in `t` seconds of wall time the kernel's
        processes can use at most `t` CPU seconds per CPU of the machine (reading the stat of every
        process on the machine takes 2-5 ms, and a submission asks before and after about 30 cells)."""
        now = time.monotonic()
        if self._budget is None or self.deadline is None or now >= self.deadline:
            return self.deadline is not None and now >= self.deadline
        seconds, start, since = self._budget
        if start is None or (now - since) * CPUS < seconds:
            return False
        used = self.cpu_seconds()
        return used is not None and used - start >= seconds

    def cpu_seconds(self) -> float | None:
        """CPU seconds (user + system) the kernel and every process it started used so far; None without /proc."""
        pid = getattr(getattr(getattr(self._client, "km", None), "provisioner", None), "pid", None)
        return None if pid is None else tree_cpu_seconds(pid)

    def evaluate(self, expression: str, timeout: float = 10) -> tuple[bool, str]:
        """Evaluate one Python expression in the notebook's namespace, outside IPython's cell machinery.

        It is sent as a `user_expression` of an empty, silent execute request, so no cell
        hooks, AST or input transformers a notebook may have installed get to see it.
        Returns (True, the value's repr) or (False, what went wrong).
        """
        if not self.alive:
            return False, "the kernel is not running"
        client = self._client
        client.timeout = int(max(1, round(timeout)))
        try:
            msg_id = client.kc.execute("", silent=True, store_history=False, user_expressions={"value": expression})
            reply = client.wait_for_reply(msg_id)
        except DeadKernelError:
            self._kill()
            return False, "the kernel died"
        if reply is None:
            return False, "no reply (timeout)"
        value = reply["content"].get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            return False, f"{value.get('ename', 'no result')}: {value.get('evalue', '')}"
        return True, value.get("data", {}).get("text/plain", "")

    def _kill(self) -> None:
        """Stop the kernel for good (shutdown_kernel="immediate" kills the process)."""
        if self._client is not None and self._client.km is not None:
            try:
                self._client._cleanup_kernel()
            except Exception:  # already dead
                pass
        self.alive = False


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds used by process `pid` and its descendants (with the children they reaped), from
    /proc/*/stat (Linux); None where there is no /proc. Processes that ended unreaped are not counted."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    children: dict[int, list[int]] = {}
    used: dict[int, int] = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            fields = (proc / entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # it ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        used[int(entry)] = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime (clock ticks)
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += used.get(p, 0)
        todo.extend(children.get(p, []))
    return total / os.sysconf("SC_CLK_TCK")
