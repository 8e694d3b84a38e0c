"""The scalar benchmark of `bench_engine.py`, engines side by side in one process: a load-independent A/B.

    python benchmarks/bench_engine_paired.py                          # coursegrad against micrograd
    python benchmarks/bench_engine_paired.py old/engine.py --rounds 100   # also an engine.py from elsewhere

Each round builds the scalar MLP's graph (13,858 nodes) and runs backward once per engine, the engines taking
turns (order reversed every other round, so a busy neighbour slows all of them alike), timed in CPU time of the
process (`time.process_time`: time spent descheduled does not count), with the cyclic garbage collector off.
Prints forward, backward and total medians, and each engine's time divided by micrograd's in the same round
(the paired median, with quartiles): the figure benchmarks/README.md quotes. An engine file given on the command
line (e.g. `git show main:coursegrad/engine.py > /tmp/old/engine.py`) is loaded as a module of its own.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import scalar_mlp, scalar_problem  # noqa: E402

from coursegrad import Value  # noqa: E402


def load_value_class(path: str, name: str) -> type:
    """`Value` from an engine.py anywhere (it imports the installed coursegrad's other modules)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.Value


def paired(runners: dict, rounds: int) -> dict:
    """CPU seconds of forward and backward per engine and round, the engines taking turns."""
    times = {name: {"forward": [], "backward": [], "total": []} for name in runners}
    names = list(runners)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            gc.collect()
            gc.disable()
            t0 = time.process_time()
            loss = runners[name]()
            t1 = time.process_time()
            loss.backward()
            t2 = time.process_time()
            gc.enable()
            for part, t in (("forward", t1 - t0), ("backward", t2 - t1), ("total", t2 - t0)):
                times[name][part].append(t)
            del loss
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="*", help="engine.py files to compare as well")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    from micrograd.engine import Value as MicroValue

    sys.setrecursionlimit(10_000)  # micrograd's backward is recursive (the graph is ~100 deep)
    problem = scalar_problem()
    classes = {"coursegrad": Value}
    classes.update({path: load_value_class(path, f"engine_{k}") for k, path in enumerate(args.engines)})
    classes["micrograd 0.1.0"] = MicroValue
    runners = {name: scalar_mlp(cls, problem)[1] for name, cls in classes.items()}
    times = paired(runners, args.rounds)
    base = times["micrograd 0.1.0"]["total"]
    print(f"{args.rounds} rounds, CPU time, collector off; load average {os.getloadavg()[0]:.1f} at the end")
    for name, t in times.items():
        ratios = [a / b for a, b in zip(t["total"], base, strict=True)]
        q1, q2, q3 = statistics.quantiles(ratios, n=4)
        f, b, total = (statistics.median(t[part]) * 1e3 for part in ("forward", "backward", "total"))
        print(
            f"{name[-40:]:40} forward {f:6.2f} + backward {b:6.2f} = {total:6.2f} ms (best {min(t['total']) * 1e3:6.2f}); "
            f"/ micrograd: paired median {q2:.3f} (quartiles {q1:.3f}–{q3:.3f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
