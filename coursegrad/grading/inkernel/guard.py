"""Runs inside the grading kernel: undo what student code may have done to the checking machinery.

The grader has each fresh kernel call `install(globals())` as it boots, before any student code,
then `before_test(globals())` right before every instructor test cell and `after_test(globals())`
right after it (as `user_expressions` of empty requests, which no cell hook or AST
transformer sees). Before a test, everything a test relies on is put back as it was at install:

- the functions of `builtins`, `math`, `numpy`, `coursegrad`, its checks and the judge they share with the grader (a student who
  writes `coursegrad.checks.check_graph_forward = lambda *a: None` gains nothing);
- the classes `Value`, `Rule`, `GradcheckReport` (no `Value.__eq__ = ...`);
- IPython's machinery that could hide a failure: AST and input transformers, event
  callbacks, custom exception handlers, output formatters, methods replaced on the shell;
- names in the notebook that shadow builtins (`abs = lambda x: 0`) are hidden from the test.

After the test, the notebook's variables are restored to what they were before it, so a
test never changes what later student cells see.

This is damage control inside one process, not a sandbox: code that studies this module
can still defeat it (threads, audit hooks, editing this module's snapshot). The grader
therefore also scans student code for such tools and flags it for a human (see `scan.py`).
"""

from __future__ import annotations

import builtins
import sys

PROTECTED_MODULES = (
    "builtins",
    "math",
    "numbers",
    "operator",
    "numpy",
    "inspect",
    "importlib",
    "coursegrad",
    "coursegrad.engine",
    "coursegrad.gradcheck",
    "coursegrad.checks",
    "coursegrad.checking",
    "coursegrad.exercises.backprop_by_hand",
    "coursegrad.exercises.write_backprop",
    "coursegrad.grading.judge",
    "coursegrad.grading.inkernel.probe",
)
_MISSING = object()
_state: dict = {}


def install(user_ns: dict, memory_limit_mb: int | None = None) -> None:
    """Take the snapshot (call before any student code) and cap the kernel's memory."""
    if memory_limit_mb:
        _limit_memory(memory_limit_mb)
    import importlib
    import inspect
    import math
    import numbers
    import operator

    import numpy

    import coursegrad
    import coursegrad.checks
    import coursegrad.grading.inkernel.probe
    import coursegrad.grading.judge  # the check cells' verdict (`checking.agrees`)
    from coursegrad.engine import Rule, Value
    from coursegrad.gradcheck import GradcheckReport, InputCheck

    del importlib, inspect, math, numbers, operator, numpy, coursegrad
    _state["modules"] = {name: (sys.modules[name], dict(vars(sys.modules[name]))) for name in PROTECTED_MODULES}
    _state["classes"] = [(cls, dict(vars(cls))) for cls in (Value, Rule, GradcheckReport, InputCheck)]
    _state["sys"] = {k: getattr(sys, k) for k in ("stdout", "stderr", "displayhook", "excepthook")}
    _state["shell"] = _shell_snapshot()


def installed() -> None:
    """Raise unless `install` ran (the grader checks this before running any cell)."""
    if "modules" not in _state:
        raise RuntimeError("coursegrad's grading guard is not installed in this kernel")


def before_test(user_ns: dict, token: str = "") -> str:
    """Restore the checking machinery and hide builtin-shadowing names; remember the namespace.

    Returns "ok " + `token`, which the grader checks to know this really ran.
    """
    sys.settrace(None)
    sys.setprofile(None)
    for name, (module, saved) in _state["modules"].items():
        sys.modules[name] = module
        _restore_dict(module, saved)
    for cls, saved in _state["classes"]:
        for key in [k for k in vars(cls) if k not in saved]:
            delattr(cls, key)
        _restore_dict(cls, saved)
    for cls, saved in _state["shell"]["classes"] if _state["shell"] else ():
        _restore_dict(cls, saved)
    for key, value in _state["sys"].items():
        setattr(sys, key, value)
    _restore_shell(_state["shell"])
    _state["namespace"] = dict(user_ns)
    pristine = _state["modules"]["builtins"][1]
    for key in [k for k in user_ns if k in pristine and user_ns[k] is not pristine[k]]:
        del user_ns[key]
    user_ns["__builtins__"] = builtins
    return f"ok {token}"


def after_test(user_ns: dict, token: str = "") -> str:
    """Put the notebook's variables back as they were before the test."""
    saved = _state.pop("namespace", None)
    if saved is not None:
        user_ns.clear()
        user_ns.update(saved)
    return f"ok {token}"


def _restore_dict(obj: object, saved: dict) -> None:
    """Set back every attribute of `obj` that differs from `saved` (by identity)."""
    current = vars(obj)
    for key, value in saved.items():
        if current.get(key, _MISSING) is not value:
            try:
                setattr(obj, key, value)
            except (AttributeError, TypeError):  # read-only slots of C types: cannot have changed either
                pass


# ---------------------------------------------------------------------------
# IPython: what could turn a failing test into a passing one
# ---------------------------------------------------------------------------


def _shell_snapshot() -> dict | None:
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821  (defined in an IPython kernel)
    except NameError:
        return None
    fmt = ip.display_formatter.formatters["text/plain"]
    objects = [ip, getattr(ip, "kernel", None), ip.displayhook, ip.display_pub, ip.display_formatter, fmt, ip.events, ip.compile]
    objects.append(getattr(ip, "input_transformer_manager", None))
    lists = {
        "ast_transformers": ip.ast_transformers,
        "input_transformers_cleanup": ip.input_transformers_cleanup,
        "input_transformers_post": ip.input_transformers_post,
    }
    classes = {cls for o in objects if o is not None for cls in type(o).__mro__ if cls.__module__ != "builtins"}
    attrs = ("kernel", "displayhook", "display_pub", "display_formatter", "events", "compile", "input_transformer_manager")
    return {
        "ip": ip,
        "attrs": {name: getattr(ip, name) for name in attrs if hasattr(ip, name)},
        "classes": [(cls, dict(vars(cls))) for cls in sorted(classes, key=lambda c: c.__qualname__)],
        "lists": {name: (lst, list(lst)) for name, lst in lists.items()},
        "events": {name: list(cbs) for name, cbs in ip.events.callbacks.items()},
        "printers": [(d, dict(d)) for d in (fmt.type_printers, fmt.deferred_printers, fmt.singleton_printers)],
        "custom": (ip.custom_exceptions, ip.CustomTB),
        "instances": [(o, set(vars(o))) for o in objects if o is not None],
    }


def _restore_shell(snap: dict | None) -> None:
    if snap is None:
        return
    ip = snap["ip"]
    for name, obj in snap["attrs"].items():
        if getattr(ip, name, None) is not obj:
            setattr(ip, name, obj)
    for lst, saved in snap["lists"].values():
        lst[:] = saved
    for name, saved in snap["events"].items():
        ip.events.callbacks[name][:] = saved
    for d, saved in snap["printers"]:
        d.clear()
        d.update(saved)
    ip.custom_exceptions, ip.CustomTB = snap["custom"]
    for obj, keys in snap["instances"]:
        # a method replaced on the instance (`ip.run_cell = fake`) shadows the class's: remove it
        for key in [k for k in vars(obj) if k not in keys and callable(getattr(type(obj), k, None))]:
            delattr(obj, key)


def _limit_memory(megabytes: int) -> None:
    """Cap the kernel's address space (Linux/macOS); a student's huge array raises MemoryError."""
    try:
        import resource
    except ImportError:  # Windows: no limit
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
