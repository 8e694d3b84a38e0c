"""Nothing the grader starts outlives it, and nothing it writes to a temporary folder stays behind.

- `die_with_parent()`: on Linux, this process gets SIGKILL when the process that started it dies
  (`prctl(PR_SET_PDEATHSIG)`), so killing `coursegrad grade` also ends its workers and kernels.
- `scratch_dir()`: this process's own temporary folder, `$TMPDIR/coursegrad-<uid>/<pid>/`; kernels keep
  their notebook copy, keys and sockets in folders inside it. Removed when the process exits.
- `sweep()`: removes the scratch folders of grader processes that are gone (killed, so they could
  not clean up); the batch grader calls it when it starts.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send `sig` to this process when its parent dies; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if ok and os.getppid() == 1:  # the parent died before the request: act on it now
        os.kill(os.getpid(), sig)
    return ok


def scratch_root() -> Path:
    """`$TMPDIR/coursegrad-<uid>`, private to this user (a fresh folder if someone else owns that name)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"coursegrad-{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        st = root.lstat()
    except OSError:
        return Path(tempfile.mkdtemp(prefix="coursegrad-"))
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != uid) or st.st_mode & 0o077:
        return Path(tempfile.mkdtemp(prefix="coursegrad-"))
    return root


def scratch_dir() -> Path:
    """This process's scratch folder (created on first use, removed at exit)."""
    folder = scratch_root() / str(os.getpid())
    if not folder.is_dir():
        folder.mkdir(mode=0o700, exist_ok=True)
        atexit.register(shutil.rmtree, folder, True)
    return folder


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep() -> list[Path]:
    """Remove the scratch folders left by grader processes that no longer run; return them."""
    gone = []
    for folder in scratch_root().iterdir():
        if folder.name.isdigit() and int(folder.name) != os.getpid() and not alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
    return gone
