"""Run every benchmark script in this folder (`bench_*.py`) one after the other and print their tables.

    python benchmarks/run_all.py                    # all of them (a few minutes)
    python benchmarks/run_all.py --quick            # passes --quick to the scripts that accept it
    python benchmarks/run_all.py --only engine draw # bench_engine.py and bench_draw.py only
    python benchmarks/run_all.py --output results.md

The scripts run one at a time, each in its own Python process (the one running this
script), from the repository root, so their timings do not disturb each other. Each
script's output is shown as it comes, under a heading with the script's name and how long
it took. The exit status is 1 if any script failed; the failures are listed at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def scripts(only: list[str] | None = None) -> list[Path]:
    """The bench_*.py files here, sorted by name; `only` keeps those whose name (without bench_) is listed."""
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
        unknown = wanted - {p.stem.removeprefix("bench_") for p in found}
        if unknown:
            known = ", ".join(p.stem.removeprefix("bench_") for p in found)
            raise SystemExit(f"run_all: no benchmark named {', '.join(sorted(unknown))}; there are: {known}")
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def accepts_quick(script: Path) -> bool:
    return "--quick" in script.read_text(encoding="utf-8")


def run(script: Path, quick: bool) -> tuple[int, str, float]:
    """Run one script, echoing its output line by line; return (exit status, output, seconds)."""
    args = [sys.executable, str(script)] + (["--quick"] if quick and accepts_quick(script) else [])
    start = time.perf_counter()
    lines = []
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    return proc.returncode, "".join(lines), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to the scripts that accept it (a smoke test)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (e.g. engine draw)")
    parser.add_argument("--output", type=Path, help="also write everything printed to this file (markdown)")
    args = parser.parse_args(argv)

    report = [f"# coursegrad benchmarks ({time.strftime('%Y-%m-%d %H:%M')}, {sys.executable})\n"]
    print(report[0])
    failed = []
    for script in scripts(args.only):
        heading = f"\n## {script.name}\n"
        print(heading, flush=True)
        status, output, seconds = run(script, args.quick)
        footer = f"\n({script.name}: {seconds:.1f} s{'' if status == 0 else f', FAILED with exit status {status}'})\n"
        print(footer, flush=True)
        report += [heading, output, footer]
        if status != 0:
            failed.append(script.name)
    summary = f"\n{'FAILED: ' + ', '.join(failed) if failed else 'all benchmarks ran'}\n"
    print(summary)
    report.append(summary)
    if args.output:
        args.output.write_text("".join(report), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
