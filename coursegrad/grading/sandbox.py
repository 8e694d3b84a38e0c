"""A bubblewrap sandbox around each grading kernel (Linux), and the limits every kernel runs under.

`--sandbox bwrap` starts each kernel as `bwrap … -- python -m ipykernel_launcher …`. Inside, the kernel sees:

- the system read-only (`/usr`, `/etc`, `/bin`, `/lib*`, `/sbin`) and the Python installation it runs
  on (its prefix and site-packages) read-only;
- the kit's package folder (`coursegrad/`) read-only, and nothing else of the folder it lives in
  (not the instructor source, not the other submissions, not the output folder, not the repository);
- its own folder (read-write), holding its copy of the notebook, its connection file and the
  Unix sockets (ZMQ `ipc://`) through which the grader talks to it;
- a private, empty `/tmp` (at most `TMP_BYTES`), its own `/proc` and a minimal `/dev`.

It has no network (its own empty network namespace), its own PID namespace (every process it
starts, detached or not, dies with it; `--die-with-parent` ends it when the grader's worker dies),
its own session (it cannot type into a terminal), and, when the grader runs as root, it runs as an
unprivileged user of its own (no capabilities, no new privileges): `claim_user` hands each running
sandbox a uid/gid in `FIRST_UID … FIRST_UID + USERS - 1` that no other running sandbox on this
machine has (a lock file per uid, held while the kernel runs; no passwd entry is needed).

Every kernel, sandboxed or not, runs with hard limits (`limits`): address space (`memory_mb`), size
of a file it writes, no core dumps; sandboxed as root, at most `KERNEL_PROCESSES` processes and
threads. That limit counts the processes of a uid, so with a uid per sandbox a fork bomb uses up
its own limit, never a classmate's (with one shared uid it would stop every other kernel starting).
`--sandbox auto` uses bubblewrap where it works and otherwise runs the kernel as before (`resolve`
says why); macOS and Windows have no bubblewrap.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import coursegrad
from coursegrad.grading.lifetime import scratch_dir

MODES = ("auto", "bwrap", "none")
FIRST_UID = 2_100_000_000  # far above the uids of people, system users and usual subuid ranges
USERS = 4096  # sandboxes that can run at once on one machine
USER_LOCKS = Path("/run/lock/coursegrad-uids")
SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
TMP_BYTES = 256 * 1024 * 1024
FILE_BYTES = 256 * 1024 * 1024
KERNEL_PROCESSES = 1024
KIT = str(Path(coursegrad.__file__).resolve().parent)
NO_SANDBOX = "no sandbox: the student's code ran with the grader's privileges"


@functools.cache
def compile_kit(kit: str = KIT) -> bool:
    """Write the bytecode of the kit's modules where it is missing or stale, as pip does when it installs a
    package; once per process and kit. A sandboxed kernel sees the kit read-only and cannot write its own
    bytecode (nor can any kernel when PYTHONDONTWRITEBYTECODE is set), so without this every kernel compiled
    the checks' modules again as it booted. False if some could not be written (e.g. a read-only installation:
    the kernels then compile them, as before); Python checks each file against its source either way."""
    import compileall

    return bool(compileall.compile_dir(kit, quiet=2))


def drops_user() -> bool:
    """Whether the kernel runs as a user of its own: when the grader is root (then `setpriv` drops privileges)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


class KernelUser:
    """A uid (also the gid) that no other running sandbox on this machine has, until `release()`."""

    def __init__(self, uid: int, lock=None):
        self.uid, self._lock = uid, lock

    def release(self) -> None:
        """Give the uid back (call once the kernel and everything it started are gone)."""
        if self._lock is not None:
            self._lock.close()  # closing the file drops its lock
            self._lock = None


def claim_user() -> KernelUser:
    """A uid for one sandbox: the first of `USERS` whose lock file (in `USER_LOCKS`) this process can lock.

    The lock (`flock`) is held until `release()`, and the system drops it if the grader dies, so
    graders running side by side (workers, other batches) never hand out the same uid at once.
    Raises RuntimeError when all `USERS` are in use.
    """
    import fcntl

    USER_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    start = os.getpid() % USERS  # processes start their search at different places
    for step in range(USERS):
        uid = FIRST_UID + (start + step) % USERS
        lock = open(USER_LOCKS / str(uid), "a")  # noqa: SIM115 (held open while the kernel runs)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        return KernelUser(uid, lock)
    raise RuntimeError(f"all {USERS} sandbox users are in use: fewer kernels at once, please")


def resolve(mode: str) -> tuple[str, str]:
    """The mode to use for `mode` ("auto", "bwrap" or "none") and a note for every row ("" when sandboxed).

    Raises ValueError for "bwrap" where bubblewrap does not work, saying why.
    """
    if mode not in MODES:
        raise ValueError(f"--sandbox must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none":
        return "none", f"{NO_SANDBOX} (--sandbox none)"
    problem = probe()
    if problem is None:
        return "bwrap", ""
    if mode == "bwrap":
        raise ValueError(f"--sandbox bwrap: {problem}")
    return "none", f"{NO_SANDBOX} ({problem})"


def bwrap_program() -> str | None:
    """The bubblewrap program: `$COURSEGRAD_BWRAP` if set (tests set a missing path to grade as on a machine
    without it), else `bwrap` on the PATH; None where there is none."""
    return shutil.which(os.environ.get("COURSEGRAD_BWRAP") or "bwrap")


def probe() -> str | None:
    """None if bubblewrap can start a sandbox here, else why not."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap runs on Linux only, not on {sys.platform}"
    if bwrap_program() is None:
        return "bubblewrap (bwrap) is not installed; on Debian/Ubuntu: apt-get install bubblewrap"
    if drops_user() and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing, needed to run kernels as an unprivileged user"
    user = claim_user() if drops_user() else KernelUser(0)
    with tempfile.TemporaryDirectory(dir=scratch_dir()) as folder:
        give_to_kernel(folder, user.uid)
        argv = command([sys.executable, "-c", "import coursegrad, ipykernel"], folder, KIT, uid=user.uid)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=kernel_env(KIT))
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bubblewrap failed to start ({err})"
        finally:
            user.release()
    if done.returncode != 0:
        return f"bubblewrap failed here: {(done.stderr.strip().splitlines() or ['exit ' + str(done.returncode)])[-1][:200]}"
    return None


def _python_dirs() -> list[str]:
    """The folders of the Python installation: prefixes and site-packages (not the working folder)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages()}
    dirs |= {p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)}
    return _outermost(d for d in dirs if os.path.isdir(d) and not _within(d, SYSTEM))


def _within(path: str, folders) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _outermost(paths) -> list[str]:
    """`paths` without those inside another of them."""
    paths = sorted({os.path.abspath(p) for p in paths})
    return [p for p in paths if not _within(p, [q for q in paths if q != p])]


def _parents(paths: list[str]) -> list[str]:
    """The folders above `paths` (not `/`), outermost first: created world-readable in the sandbox so
    that the kernel's user can reach what is bound below them (bubblewrap would make them root-only)."""
    above = {str(parent) for p in paths for parent in Path(p).parents if str(parent) != "/"}
    return sorted((a for a in above if not _within(a, SYSTEM)), key=lambda a: a.count("/"))


def command(argv: list[str], folder: str, kit: str = KIT, cwd: str | None = None, uid: int = 0) -> list[str]:
    """`argv` wrapped in bubblewrap: it sees the system, Python, `kit` (read-only) and `folder` (read-write),
    and starts in `cwd` (a folder inside `folder`; default `folder`); as `uid` (also its gid) if the grader is root."""
    args = [bwrap_program() or "bwrap"]
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    readable = _outermost([*_python_dirs(), kit])
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in _parents([*readable, folder]):
        args += ["--perms", "0755", "--dir", path]
    for path in readable:
        args += ["--ro-bind", path, path]
    args += ["--bind", folder, folder, "--chdir", cwd or folder, "--unsetenv", "JPY_PARENT_PID"]  # its parent is bwrap's
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not drops_user():
        args.append("--unshare-user")  # an unprivileged grader needs a user namespace for the others
    args += ["--die-with-parent", "--new-session", "--"]
    if drops_user():
        if uid <= 0:
            raise ValueError("a sandbox started by root needs a uid of its own (sandbox.claim_user())")
        args += as_user([], uid)
    return args + argv


def as_user(argv: list[str], uid: int, gid: int | None = None) -> list[str]:
    """`argv` run as the unprivileged user `uid` (group `gid`, default `uid`) by `setpriv`: no other groups,
    no capabilities, no new privileges (setuid programs cannot raise them again). Root only."""
    ids = [f"--reuid={uid}", f"--regid={uid if gid is None else gid}", "--clear-groups", "--inh-caps=-all"]
    return [shutil.which("setpriv") or "setpriv", *ids, "--bounding-set=-all", "--no-new-privs", "--", *argv]


def processes_of(uid: int) -> list[int]:
    """The live processes (not zombies) whose real or effective uid is `uid`, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()[:2]
        if str(uid) in uids and not fields.get("State", "").strip().startswith("Z"):
            found.append(int(entry.name))
    return found


def kill_user(uid: int, gid: int | None = None, rounds: int = 20) -> None:
    """SIGKILL every process of the unprivileged user `uid` (root only), until /proc shows none.

    A process running as that user calls kill(-1, SIGKILL): Linux signals every process the user may
    signal, at once and while no new process can start, so a process that forks in a loop cannot
    outrun it. Raises RuntimeError if processes remain after `rounds` tries.
    """
    if uid <= 0:
        raise ValueError("kill_user is for an unprivileged user, not root")
    killer = [sys.executable, "-S", "-c", "import os, signal; os.kill(-1, signal.SIGKILL)"]
    for _ in range(rounds):
        if not processes_of(uid):
            return
        subprocess.run(as_user(killer, uid, gid), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        time.sleep(0.05)
    if processes_of(uid):
        raise RuntimeError(f"processes of uid {uid} survived {rounds} rounds of SIGKILL: {processes_of(uid)[:10]}")


def kernel_env(kit: str = KIT) -> dict[str, str]:
    """The environment of a sandboxed kernel: no variables of the grader's (tokens, paths), the kit first on the path."""
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "LC_CTYPE", "TZ")}
    return dict(keep, PATH="/usr/bin:/bin", HOME="/tmp", PYTHONPATH=str(Path(kit).parent), MPLCONFIGDIR="/tmp/matplotlib")


def give_to_kernel(path: str | Path, uid: int) -> None:
    """Let the kernel (user `uid`, when the grader is root) write in its folder and read its connection file."""
    if drops_user():
        os.chown(path, uid, uid)


def limits(memory_mb: int | None, sandboxed: bool = False):
    """A function for `Popen(preexec_fn=…)` setting the kernel's hard limits (student code cannot raise them)."""

    def apply() -> None:
        import resource

        caps = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, FILE_BYTES)]
        if sandboxed and drops_user():  # processes of the sandbox's own user: no fork bomb
            caps.append((resource.RLIMIT_NPROC, KERNEL_PROCESSES))
        if memory_mb:
            caps.append((resource.RLIMIT_AS, memory_mb * 1024 * 1024))
        for which, value in caps:
            _, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):  # a limit this OS does not let a process set (macOS and RLIMIT_AS)
                pass

    return apply if os.name == "posix" else None
