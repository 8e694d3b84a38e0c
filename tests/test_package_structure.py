"""The package keeps the design rules a reader relies on (one module, one job; short functions)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "coursegrad"
LONGEST = 60  # lines, decorators and docstring included


def functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            yield node.name, start, node.end_lineno - start + 1


def test_no_function_in_the_package_is_longer_than_60_lines():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10 and any(p.parent.name == "grading" for p in files)  # the whole package, subpackages too
    too_long = [
        f"{path.relative_to(PACKAGE.parent)}:{line} {name}() is {length} lines"
        for path in files
        for name, line, length in functions(path)
        if length > LONGEST
    ]
    assert too_long == [], "split these functions (at most 60 lines each):\n" + "\n".join(too_long)


def test_the_length_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST))
    (tmp_path / "m.py").write_text(f"def short():\n    return 1\n\n\n@staticmethod\ndef long():\n{body}\n", encoding="utf-8")
    lengths = {name: length for name, _, length in functions(tmp_path / "m.py")}
    assert lengths == {"short": 2, "long": LONGEST + 2}


def test_engine_reads_top_down():
    """`class Value` within the first 60 lines of engine.py, and the backward loop on one screen (50 lines)."""
    source = (PACKAGE / "engine.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    value = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Value")
    backprop = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "backprop")
    assert value.lineno <= 60
    assert backprop.end_lineno - backprop.lineno + 1 <= 50
    assert backprop.lineno > value.end_lineno  # the node first, then the pass that walks the nodes


def imports_of(path: Path, package: str) -> set[str]:
    """The modules of `package` that the file at `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name == package or name.startswith(package + ".")}


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the modules under `root` it imports (function-level imports included)."""
    package = ".".join(root.relative_to(PACKAGE.parent).parts)
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return {m: (imports_of(p, package) & set(modules)) - {m, package} for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, as the modules on it (each cycle once, from its smallest module)."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.append(path)
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_the_grading_package_has_no_import_cycles():
    graph = import_graph(PACKAGE / "grading")
    assert {"coursegrad.grading.grade", "coursegrad.grading.inkernel.guard", "coursegrad.grading.model"} <= set(graph)
    assert "coursegrad.grading.model" in graph["coursegrad.grading.grade"]  # control: the graph sees imports
    assert cycles(graph) == [], "import cycles (function-level imports count too):\n" + "\n".join(map(" → ".join, cycles(graph)))


def test_the_cycle_check_sees_a_cycle_through_a_function_level_import(tmp_path):
    (tmp_path / "a.py").write_text("import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n", encoding="utf-8")
    assert imports_of(tmp_path / "b.py", "a") == {"a", "a.x"}
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_the_code_that_runs_inside_the_students_kernel_imports_no_grader_module():
    """inkernel/ is the trust boundary: it may not pull in the grader (kernels, files, the batch) with it."""
    graph = import_graph(PACKAGE / "grading")
    inside = {m: deps for m, deps in graph.items() if ".inkernel" in m}
    assert set(inside) == {
        "coursegrad.grading.inkernel",
        "coursegrad.grading.inkernel.guard",
        "coursegrad.grading.inkernel.probe",
    }
    assert all(
        dep.startswith("coursegrad.grading.inkernel") or dep == "coursegrad.grading.judge"
        for deps in inside.values()
        for dep in deps
    )


def test_the_topological_walk_is_written_once():
    """engine.topological_order is the one walk: the drawing and the worksheet checks call it."""
    walks = [
        f"{path.relative_to(PACKAGE.parent)}:{node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and all(w in ast.unparse(node) for w in ("stack.pop()", ".inputs", "seen"))
    ]  # a depth-first walk that places each node once (enumerating every path, as efficiency.py does, is not one)
    assert walks == ["coursegrad/engine.py:topological_order"]


def test_the_drawing_numbers_the_first_input_first():
    from coursegrad import Value, topological_order
    from coursegrad.drawing import drawing_order

    x, y, z = Value(1.0, "x"), Value(2.0, "y"), Value(3.0, "z")
    f = (x + y) * z
    assert [n.label or n.op for n in drawing_order(f)] == ["x", "y", "+", "z", "*"]
    assert [n.label or n.op for n in topological_order(f)] == ["z", "y", "x", "+", "*"]


# Fixed on the grading branch (issue 18: grading/worker.py); remove once it is merged.
def private_names_used_across_modules(root: Path) -> list[str]:
    """`from coursegrad.x import _y` and `x._y` (x an imported coursegrad module) in the files under root."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(root.parent).as_posix()
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coursegrad"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{where}: from {node.module} import {alias.name}")
                    modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("coursegrad")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if isinstance(node.value, ast.Name) and node.value.id in modules:
                    found.append(f"{where}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    used = private_names_used_across_modules(PACKAGE)
    assert used == [], "make these names public (or move the code that needs them):\n" + "\n".join(used)


def test_the_private_name_check_sees_both_forms(tmp_path):
    pkg = tmp_path / "coursegrad"
    pkg.mkdir()
    (pkg / "a.py").write_text("from coursegrad.b import _hidden, shown\nfrom coursegrad import b\nb._inner()\nb.public()\n")
    assert private_names_used_across_modules(pkg) == [
        "coursegrad/a.py: from coursegrad.b import _hidden",
        "coursegrad/a.py: b._inner",
    ]


def test_the_authoring_tools_are_outside_the_installed_package():
    """tools/notebooks.py (refresh/check) reads the repository's lectures/: students' installs neither hold nor need it."""
    root = PACKAGE.parent
    assert (root / "tools" / "notebooks.py").is_file() and not (PACKAGE / "notebooks.py").exists()
    assert 'include = ["coursegrad*"]' in (root / "pyproject.toml").read_text(encoding="utf-8")  # the wheel: the package only
    uses = [
        str(path.relative_to(root))
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any((getattr(node, "module", None) or a.name).split(".")[0] == "tools" for a in node.names)
    ]
    assert uses == []
