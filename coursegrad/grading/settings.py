"""The grading settings of an output folder, `OUT/settings.json`: what a rerun keeps unless told otherwise.

    due, late_penalty, extensions                         late work (`late.py`)
    timeout, budget, max_output, memory_mb, sandbox       what each submission's kernel may do

The first run stores the settings it was given (the defaults for the rest). A rerun into the same folder
starts from the stored settings and changes only those given on its command line (`--due none` and
`--extensions none` remove a stored due date or extensions), and says which it kept and which it changed:
so a rerun that forgets `--due` keeps the late penalties instead of silently removing them. `merge`
refuses output folders graded with different settings (`differences`). Which students, how many
workers and where (`--only`, `--force`, `--shard`, `--jobs`, `--scheduler`) are not settings: they
change how a run goes, never a grade.
"""

from __future__ import annotations

import json
from pathlib import Path

from coursegrad.grading import records

NAME = "settings.json"
DEFAULTS: dict = {"due": None, "late_penalty": "none", "extensions": [], "timeout": 30.0, "budget": 120.0}
DEFAULTS |= {"max_output": 100_000, "memory_mb": 4096, "sandbox": "auto"}
LATE = ("due", "late_penalty", "extensions")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def describe(name: str, value) -> str:
    """A setting as the option that gives it: `--due 2026-03-01T23:59:00+00:00`, `--extensions cy: 2026-03-05…`."""
    if name == "extensions" and value:
        rows = [f"{r['student']}{'/' + r['worksheet'] if r['worksheet'] else ''}: {r['due']}" for r in value]
        return f"{flag(name)} " + ", ".join(rows[:3]) + (f" … ({len(rows)} rows)" if len(rows) > 3 else "")
    if name == "extensions":
        return f"{flag(name)} none"
    return f"{flag(name)} {'none' if value is None else f'{value:g}' if isinstance(value, float) else value}"


def load(out: str | Path) -> dict | None:
    """The settings stored in `out` (None if there are none); ValueError if the file is not ours."""
    path = Path(out) / NAME
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is damaged ({err}): delete it and give every setting on the command line") from None
    if not isinstance(stored, dict) or set(stored) - set(DEFAULTS):
        raise ValueError(f"{path} is not a coursegrad settings file: delete it and give every setting on the command line")
    return {**DEFAULTS, **stored}


def save(out: str | Path, values: dict) -> Path:
    """Write `values` to `out/settings.json` atomically."""
    return records.write_atomically(Path(out) / NAME, json.dumps({k: values[k] for k in DEFAULTS}, indent=1) + "\n")


def combine(given: dict, stored: dict | None) -> tuple[dict, list[str], list[str]]:
    """(this run's settings, what was kept from `stored`, what changed), the last two in words.

    `given`: the settings on the command line; kept are the stored ones not given that differ from the
    default (the others need no mention), changed the given ones that differ from the stored."""
    values = {**DEFAULTS, **(stored or {}), **given}
    if stored is None:
        return values, [], []
    kept = [describe(k, v) for k, v in stored.items() if k not in given and v != DEFAULTS[k]]
    changed = [f"{describe(k, given[k])} (was {describe(k, stored[k]).split(' ', 1)[1]})" for k in given if given[k] != stored[k]]
    return values, kept, changed


def differences(folders: list[Path]) -> list[str]:
    """One line per setting on which the output folders disagree ([] when they all agree)."""
    stored = {Path(f): load(f) for f in folders}
    lines = []
    for name in DEFAULTS:
        seen: dict[str, tuple[str, list[str]]] = {}
        for folder, values in stored.items():
            shown = "(no settings.json)" if values is None else describe(name, values[name]).split(" ", 1)[1]
            key = json.dumps(None if values is None else values[name], sort_keys=True)
            seen.setdefault(key, (shown, []))[1].append(str(folder))
        if len(seen) > 1:
            lines.append(f"{flag(name)}: " + "; ".join(f"{shown} in {', '.join(where)}" for shown, where in seen.values()))
    return lines
