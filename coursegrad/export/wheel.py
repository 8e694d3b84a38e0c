"""The kit as a wheel, built from the package folder and pyproject.toml with the standard library.

A wheel is a zip: the package's files, plus `<name>-<version>.dist-info/` with METADATA (name,
version, dependencies and extras from pyproject.toml), WHEEL (pure Python, any platform),
entry_points.txt (the `coursegrad` command) and RECORD (each file's sha256 and size). pip installs
it without a build backend or network, which is what Gradescope's `setup.sh` needs.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import coursegrad

PACKAGE = Path(coursegrad.__file__).resolve().parent


def project() -> dict:
    """The [project] table of the kit's pyproject.toml (next to the package folder)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = PACKAGE.parent / "pyproject.toml"
    if not path.is_file():
        raise ValueError(f"no pyproject.toml next to {PACKAGE}: build the autograder from the course folder (a source checkout)")
    return tomllib.loads(path.read_text(encoding="utf-8"))["project"]


def metadata(p: dict) -> str:
    """METADATA (core metadata 2.1): name, version, Python, dependencies, extras."""
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}", f"Summary: {p.get('description', '')}"]
    lines.append(f"Requires-Python: {p.get('requires-python', '>=3')}")
    lines += [f"Requires-Dist: {d}" for d in p.get("dependencies", [])]
    for extra, deps in p.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {d}; extra == "{extra}"' for d in deps]
    return "\n".join(lines) + "\n"


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(folder: str | Path) -> Path:
    """Write `<name>-<version>-py3-none-any.whl` into `folder`; returns its path."""
    p = project()
    name, version = p["name"], p["version"]
    info = f"{name}-{version}.dist-info"
    files = {f"{PACKAGE.name}/{f.relative_to(PACKAGE).as_posix()}": f.read_bytes() for f in sorted(PACKAGE.rglob("*.py"))}
    scripts = "".join(f"{k} = {v}\n" for k, v in p.get("scripts", {}).items())
    files[f"{info}/METADATA"] = metadata(p).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: coursegrad.export.wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = f"[console_scripts]\n{scripts}".encode()
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in files.items()) + f"{info}/RECORD,,\n"
    out = Path(folder) / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
        z.writestr(f"{info}/RECORD", record)
    return out
