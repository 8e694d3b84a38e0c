"""The judge's items of a test cell, derived from its code (`coursegrad generate`): read with `ast`, never run.

An instructor writes a test cell as plain Python, and this module works out what the grader must
evaluate in the student's kernel (`metadata.coursegrad.items`, see worksheets/README.md). A test cell
may hold, besides imports, `print(...)` calls and bare strings:

- `expect_close("name", value, right, rel=…, abs_tol=…)`, `expect_shape("name", value, (n, m))`,
  `expect_choice("name", value, "A", "ABCD")` (the toolkit, `from coursegrad.checks import …`);
- `assert value == right` (exact) and `assert abs(value - right) <= tol` (`<` too): the left side is the answer;
- a check of `coursegrad.checks` that its module describes in its `JUDGED` table (below).

Every answer is one value the judge compares (the expression `value`); an answer checked twice (a visible
check and a hidden `expect_close`) is one value, with the stricter of the tolerances (stricter in both rel
and abs; two of which neither is are a problem); a constant answer is refused. A cell is all-or-nothing
unless it calls a partial-credit check (`"answers": "each"`): then every answer is an item of its own. In
an all-or-nothing cell the answers are grouped by tolerance, one item per group. A function check gives
one item (or one per part), computed by its probe. The cell's points are shared among its items by weight
(1 each; a part its own weight).

`JUDGED` (in `coursegrad.exercises.*`, merged in `coursegrad.checks`) maps a check's name to how it is judged:

    {"answers": "all" | "each", "shape": bool, "rel": r, "abs": a}   answers given as keywords (q_value=q_value)
    {"probe": "probe_x({fn}, {cases})", "name": n, "cases": "cases", "parts": {part: weight},
     "rel": r, "abs": a, "compare": c,                                a function, run by a probe on fixed inputs
     "forbid": {"answer": "fn", "modules": [...], "why": "..."}}      what the answer defining {fn} may not use

A probe's template names the check's parameters in braces, filled with the call's argument text; the
`cases` parameter's literal values of every call of the check in the cell (its default when a call
leaves it out) are joined in order, so a visible check on two cases and a hidden one on five give one
item on all five. A list parameter is written as a list, a single case (kind="tanh") as a tuple to
loop over. `{part}` is each part's name. The probe is imported in the item's `setup`.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from coursegrad.checking import ABS, REL
from coursegrad.grading import cells as C

TOOLKIT = {"coursegrad.checks", "coursegrad.checking"}
INSTEAD = (
    "write the test as checks generate can read: a check of coursegrad.checks (check_…(answer=answer)), "
    'expect_close("name", answer, right, rel=…), `assert answer == right` or `assert abs(answer - right) <= tol`'
)


@dataclass
class Answer:
    """One value the judge compares: its expression in the kernel, its label and tolerance."""

    expr: str
    label: str
    rel: float = REL
    abs: float = ABS


@dataclass
class Probe:
    """The calls of one function check with the same arguments: its spec, arguments and joined cases."""

    spec: dict
    args: dict[str, str]
    cases: list = field(default_factory=list)
    single: bool = False  # the cases parameter takes one case (kind="tanh"): the item loops over them


@dataclass
class Derived:
    """What `derive_cell` made of one test cell: its `metadata.coursegrad` items and setup, or why not."""

    grade_id: str
    spec: dict | None
    problems: list[str] = field(default_factory=list)


@dataclass
class _Reading:
    """What the statements of a cell said so far."""

    answers: dict[str, Answer] = field(default_factory=dict)
    each: bool = False  # a partial-credit check: every answer is an item of its own
    probes: dict[tuple, Probe] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def judged() -> dict[str, dict]:
    """The `JUDGED` table of every check the worksheets can call (`coursegrad.checks.JUDGED`)."""
    from coursegrad import checks

    return checks.JUDGED


def _imports(tree: ast.AST) -> dict[str, str]:
    """The names a cell imports, each as the qualified name it refers to ("coursegrad.checks.expect_close")."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out |= {(a.asname or a.name): f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {(a.asname or a.name.split(".")[0]): a.name for a in node.names}
    return out


def _where(node: ast.AST, source: str) -> str:
    text = (ast.get_source_segment(source, node) or ast.unparse(node)).split("\n")[0]
    return f"line {node.lineno}: `{text[:80]}`"


def derive_cell(cell: Any, known: dict[str, str] | None = None) -> Derived:
    """The items of the test cell `cell`; `known`: names imported by the notebook's read-only cells before it."""
    gid, source = C.grade_id(cell) or "(no grade_id)", cell.source
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return Derived(gid, None, [f"line {err.lineno}: the cell is not valid Python ({err.msg})"])
    names = {**(known or {}), **_imports(tree)}
    reading = _Reading()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Assert):
            _read_assert(stmt, source, reading)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _read_call(stmt.value, source, names, reading)
        else:
            kind = type(stmt).__name__.lower()
            reading.problems.append(f"{_where(stmt, source)}: generate cannot derive items from a statement ({kind}); {INSTEAD}")
    if not reading.problems and not reading.answers and not reading.probes:
        reading.problems.append(f"no check found; {INSTEAD}")
    if reading.problems:
        return Derived(gid, None, reading.problems)
    return Derived(gid, _spec(reading, C.points(cell)))


def _read_assert(stmt: ast.Assert, source: str, reading: _Reading) -> None:
    """`assert answer == right` (exact) or `assert abs(answer - right) <= tol` (or `<`)."""
    test = stmt.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            _add(reading, Answer(ast.unparse(test.left), ast.unparse(test.left), 0.0, 0.0))
            return
        left = test.left
        is_abs = isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "abs"
        if isinstance(op, (ast.Lt, ast.LtE)) and is_abs and len(left.args) == 1 and isinstance(left.args[0], ast.BinOp):
            diff, tol = left.args[0], _literal(right)
            if isinstance(diff.op, ast.Sub) and isinstance(tol, (int, float)) and not isinstance(tol, bool):
                _add(reading, Answer(ast.unparse(diff.left), ast.unparse(diff.left), 0.0, float(tol)))
                return
    reading.problems.append(
        f"{_where(stmt, source)}: generate reads only `assert answer == right` and `assert abs(answer - right) <= tol` "
        '(a number); for anything else write a check, e.g. expect_close("name", answer, right, rel=…)'
    )


def _literal(node: ast.AST | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _add(reading: _Reading, answer: Answer) -> None:
    """Record an answer. One checked again keeps its first label and the stricter tolerance; two tolerances of
    which neither is stricter in both rel and abs cannot be one judgment (a problem)."""
    old = reading.answers.get(answer.expr)
    if _literal(ast.parse(answer.expr, mode="eval").body) is not _NOT_LITERAL:
        reading.problems.append(
            f"the answer {answer.expr} is a constant, so every student would earn it: write the student's name or call "
            "as the answer (on the left of an assert: `assert answer == right`)"
        )
    elif old is None:
        reading.answers[answer.expr] = answer
    elif (answer.rel <= old.rel and answer.abs <= old.abs) or (old.rel <= answer.rel and old.abs <= answer.abs):
        old.rel, old.abs = min(old.rel, answer.rel), min(old.abs, answer.abs)
    else:
        reading.problems.append(
            f"{answer.expr} is checked with tolerances of which neither is the stricter (rel {old.rel:g}, abs {old.abs:g} "
            f"and rel {answer.rel:g}, abs {answer.abs:g}): the grader takes one; write one tolerance for it"
        )


def _read_call(call: ast.Call, source: str, names: dict[str, str], reading: _Reading) -> None:
    """A call of a check: the toolkit's expect_*, or a check in the `JUDGED` table."""
    where = _where(call, source)
    if not isinstance(call.func, ast.Name):
        reading.problems.append(f"{where}: generate reads calls of checks imported by name; {INSTEAD}")
        return
    if call.func.id == "print":
        return
    module, _, name = names.get(call.func.id, "").rpartition(".")
    if not module:
        why = f"{call.func.id} is not imported here: import it from coursegrad.checks, or {INSTEAD}"
    elif module not in TOOLKIT:
        why = f"{call.func.id} comes from {module}: generate reads only the checks of coursegrad.checks; {INSTEAD}"
    elif name not in ("expect_close", "expect_shape", "expect_choice") and name not in judged():
        why = f"{name} is not a check generate can read (coursegrad.checks.JUDGED lists those); {INSTEAD}"
    elif any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        why = "write the arguments out (no * or **), so that generate can read them"
    else:
        why = _read_check(name, call, reading)
    if why:
        reading.problems.append(f"{where}: {why}")


def _signature(name: str) -> inspect.Signature:
    from coursegrad import checks

    signature = inspect.signature(getattr(checks, name))
    plain = [p.replace(annotation=p.empty) for p in signature.parameters.values()]
    return signature.replace(parameters=plain, return_annotation=inspect.Signature.empty)


def _read_check(name: str, call: ast.Call, reading: _Reading) -> str | None:
    """Record what one check call says; the reason it cannot be read, or None."""
    signature, spec = _signature(name), judged().get(name, {})
    if "answers" in spec and call.args:
        return f"{name} takes the answers as keywords: write {name}(answer=answer, …)"
    try:
        args = dict(signature.bind(*call.args, **{k.arg: k.value for k in call.keywords}).arguments)
    except TypeError as err:
        return f"{err}: write the call as {name}{signature}"
    if name.startswith("expect_"):
        return _read_expect(name, args, reading)
    if "answers" in spec:
        kinds = {p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD}
        given = next((v for k, v in args.items() if k in kinds), {})
        for label, node in given.items():
            expr = f"list({ast.unparse(node)})" if spec.get("shape") else ast.unparse(node)
            _add(reading, Answer(expr, label, spec.get("rel", REL), spec.get("abs", ABS)))
        reading.each = reading.each or spec["answers"] == "each"
        return None
    return _read_probe(name, spec, signature, args, reading)


def _read_expect(name: str, args: dict[str, ast.AST], reading: _Reading) -> str | None:
    expr = ast.unparse(args["got"])
    label = _literal(args["name"])
    tolerance = [_literal(args.get(key)) for key in ("rel", "abs_tol")]
    if any(t is _NOT_LITERAL or isinstance(t, bool) or not isinstance(t, (int, float, type(None))) for t in tolerance):
        return "write the tolerances rel=… and abs_tol=… as numbers"
    rel, abs_tol = (float(t) if t is not None else d for t, d in zip(tolerance, (REL, ABS), strict=True))
    label = label if isinstance(label, str) else expr
    _add(reading, Answer(f"list({expr})" if name == "expect_shape" else expr, label, rel, abs_tol))
    return None


def _read_probe(name: str, spec: dict, signature: inspect.Signature, args: dict, reading: _Reading) -> str | None:
    """A function check: its arguments' text; calls with the same arguments share one probe, their cases joined."""
    text = {k: ast.unparse(v) for k, v in args.items()}
    param, cases, single = spec.get("cases"), [], False
    if param:
        default = signature.parameters[param].default
        single = not isinstance(default, (list, tuple))
        value = _literal(args[param]) if param in args else default
        if value is _NOT_LITERAL:
            return f"write {param}=… out as a literal (numbers, strings, tuples), so that generate can read the cases"
        cases = [value] if single else list(value)
        text.pop(param, None)
    for p in signature.parameters.values():
        if p.name not in text and p.name != param and p.default is not p.empty:
            text[p.name] = repr(p.default)
    probe = reading.probes.setdefault((name, tuple(sorted(text.items()))), Probe(spec, text, [], single))
    for case in map(_as_lists, cases):
        if case not in probe.cases:
            probe.cases.append(case)
    return None


def _as_lists(value: Any) -> Any:
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def _spec(reading: _Reading, points: float) -> dict:
    """The cell's `metadata.coursegrad` items (points shared by weight) and setup."""
    weighted: list[tuple[float, dict]] = []
    if reading.each:
        weighted += [(1.0, _item([a])) for a in reading.answers.values()]
    else:
        groups: dict[tuple[float, float], list[Answer]] = {}
        for answer in reading.answers.values():
            groups.setdefault((answer.rel, answer.abs), []).append(answer)
        weighted += [(1.0, _item(group)) for group in groups.values()]
    setup: list[str] = []
    for probe in reading.probes.values():
        weighted += _probe_items(probe)
        setup += [f"from coursegrad.checks import {n}" for n in re.findall(r"\b(probe_\w+)\(", probe.spec["probe"])]
    total, seen = sum(w for w, _ in weighted), set()
    for weight, item in weighted:
        share = round(points * weight / total, 6)
        item["points"] = int(share) if share == int(share) else share
        while item["name"] in seen:
            item["name"] += "'"
        seen.add(item["name"])
    spec: dict = {"items": [item for _, item in weighted]}
    if setup:
        spec["setup"] = "\n".join(dict.fromkeys(setup))
    forbids = [(p.spec["forbid"], p.args[p.spec["forbid"]["answer"]]) for p in reading.probes.values() if "forbid" in p.spec]
    if forbids:  # the answer cells are found by the notebook (`derive`): here, the names of the functions
        (rule, _), names = forbids[0], [name for _, name in forbids]
        spec["forbid"] = {"answers": names, "modules": list(rule["modules"]), "why": rule["why"]}
    return spec


def _item(group: list[Answer]) -> dict:
    """One item for answers judged together (all right, or no points)."""
    exprs = [a.expr for a in group]
    item = {"name": ", ".join(a.label for a in group), "expr": exprs[0] if len(exprs) == 1 else f"[{', '.join(exprs)}]"}
    return _tolerance(item, {"rel": group[0].rel, "abs": group[0].abs})


def _tolerance(item: dict, spec: dict) -> dict:
    """The item with its tolerances where they are not the judge's defaults."""
    for key, default in (("rel", REL), ("abs", ABS)):
        if spec.get(key, default) != default:
            item[key] = spec[key]
    if spec.get("compare", "values") != "values":
        item["compare"] = spec["compare"]
    return item


def _probe_items(probe: Probe) -> list[tuple[float, dict]]:
    """A function check's item (one per part): the probe's template filled in, with the check's weight."""
    spec, fill = probe.spec, dict(probe.args)
    if spec.get("cases"):
        fill[spec["cases"]] = repr(tuple(probe.cases)) if probe.single else repr(probe.cases)
    out = []
    for part, weight in (spec.get("parts") or {None: 1.0}).items():
        expr = spec["probe"].format(**fill, part=repr(part))
        out.append((float(weight), _tolerance({"name": part or spec["name"], "expr": expr}, spec)))
    return out


def derive(nb: Any) -> list[Derived]:
    """Every test cell of the instructor notebook `nb`, derived (in order)."""
    known: dict[str, str] = {}
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if C.is_test(cell):
            out.append(_answer_cells(derive_cell(cell, known), nb))
        elif not C.is_solution(cell):  # read-only code (the setup cell): its imports are there when the tests run
            try:
                known |= _imports(ast.parse(cell.source))
            except SyntaxError:
                pass
    return out


def _answer_cells(derived: Derived, nb: Any) -> Derived:
    """A derived `forbid` rule with the grade_ids of the answer cells that define its functions (`def name` or
    `name = …`), in place of the names; a function no answer cell defines is a problem."""
    forbid = (derived.spec or {}).get("forbid")
    if not forbid:
        return derived
    defines = {}
    for cell in nb.cells:
        if C.is_solution(cell) and cell.cell_type == "code":
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                targets = [node] if isinstance(node, ast.FunctionDef) else getattr(node, "targets", [])
                defines |= {getattr(t, "name", getattr(t, "id", None)): C.grade_id(cell) for t in targets}
    missing = [name for name in forbid["answers"] if name not in defines]
    if missing:
        why = f"no answer cell defines {', '.join(missing)}, whose use of modules the check forbids: write its `def` in one"
        return Derived(derived.grade_id, None, [why])
    forbid["answers"] = list(dict.fromkeys(defines[name] for name in forbid["answers"]))
    return derived


def stored(cell: Any, keys: tuple[str, ...] = ("items", "setup")) -> dict:
    """The items and setup (and other `keys`) a test cell carries now, in the shape `derive_cell` makes them."""
    spec = cell.get("metadata", {}).get("coursegrad") or {}
    spec = spec if isinstance(spec, dict) else {}
    return {k: spec[k] for k in keys if spec.get(k)}


KEPT = ("expected",)  # what an instructor may add to a derived item (worksheets/README.md): generate keeps it


def kept(cell: Any, spec: dict) -> dict:
    """`spec` with what the cell's stored items add to the derived ones by hand (`KEPT`), matched by expression."""
    old = {i.get("expr"): i for i in stored(cell).get("items", []) if isinstance(i, dict)}
    items = [item | {k: old[item["expr"]][k] for k in KEPT if k in old.get(item["expr"], {})} for item in spec["items"]]
    return spec | {"items": items}


def is_current(cell: Any, spec: dict) -> bool:
    """Whether the cell's `metadata.coursegrad` holds `spec`: its items (with what `kept` keeps) and setup, and
    its forbid rule if it derives one."""
    return stored(cell, ("items", "setup", *(("forbid",) if "forbid" in spec else ()))) == kept(cell, spec)


def update(nb: Any) -> tuple[list[str], list[Derived]]:
    """Write the derived items into `nb`'s test cells (in place); (the grade_ids that changed, the cells not derived).

    A cell generate cannot read keeps the items it has (hand-written); `forbid` is written when a check
    declares one, and every other key of `metadata.coursegrad` is left as it is."""
    cells = {C.grade_id(c): c for c in nb.cells if C.is_test(c)}
    changed, failed = [], []
    for derived in derive(nb):
        if derived.spec is None:
            failed.append(derived)
            continue
        cell = cells[derived.grade_id]
        if not is_current(cell, derived.spec):
            spec = {k: v for k, v in (cell.metadata.get("coursegrad") or {}).items() if k not in ("items", "setup")}
            cell.metadata["coursegrad"] = spec | kept(cell, derived.spec)
            changed.append(derived.grade_id)
    return changed, failed
