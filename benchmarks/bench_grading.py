"""How long grading a class takes: N submissions of worksheet 1, by the process pool and by a Dask cluster.

    python benchmarks/bench_grading.py                    # 100 submissions, process pool, 2 workers (target: <= 60 s)
    python benchmarks/bench_grading.py -n 1000 --engine both   # 1,000 through the pool AND a local Dask cluster
    python benchmarks/bench_grading.py -n 20 --jobs 1
    python benchmarks/bench_grading.py --quick            # 10 submissions (a smoke test)
    python benchmarks/bench_grading.py --rerun            # then a rerun with nothing changed (target: < 2 s)

The submissions are made from the worksheet: a third solved, a third unanswered, a third half
solved, so the tests both pass and fail. `--engine dask` starts a local cluster (`dask scheduler`
and `--jobs` one-thread `dask worker` processes on 127.0.0.1, as separate processes, killed at the
end) and grades through it with `coursegrad grade --scheduler`'s code path. Prints the wall time,
the throughput, the time per submission and checks that every solved one got full points and that
both engines agree; with both engines, also the estimate for 10,000 submissions on N machines.
Also the CPU seconds it took: of this process and the processes it reaped (the pool's workers and the
kernels they reaped: not kernels in bubblewrap, which die with their sandbox and are reaped outside this
tree, so neither this figure nor `/usr/bin/time` counts them), and of the whole machine (/proc/stat, Linux:
every process, the sandboxed kernels included; on a quiet machine, what the batch cost). On a shared machine
the wall time depends on the others' load; compare CPU seconds, and give the load average with every figure.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "worksheets" / "source" / "01_backprop_worksheet.ipynb"


def make_class(folder: Path, n: int) -> None:
    from coursegrad.grading import cells as C
    from coursegrad.grading.release import read, student_version
    from coursegrad.grading.validate import solved

    source = read(SOURCE)
    blank = student_version(source)
    full = solved(blank, source)
    half = nbformat.from_dict(nbformat.from_dict(full))
    answers = [c for c in half.cells if C.is_solution(c) and c.cell_type == "code"]
    for cell in answers[len(answers) // 2 :]:
        cell.source = C.CODE_STUB
    for i in range(n):
        nb = (full, blank, half)[i % 3]
        (folder / f"student{i:04d}").mkdir()
        nbformat.write(nb, str(folder / f"student{i:04d}" / SOURCE.name))


@contextmanager
def local_cluster(workers: int):
    """`dask scheduler` and `workers` one-thread `dask worker` processes on 127.0.0.1; yields the address."""
    from distributed import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            **quiet,
        )
    ]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"]
    procs += [subprocess.Popen([*worker, "--name", f"w{i}"], **quiet) for i in range(workers)]
    try:
        for _ in range(240):
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(workers, timeout=120)
                break
            except OSError:
                time.sleep(0.5)
        yield address
    finally:
        for p in procs:
            p.kill()
            p.wait()


def run(engine: str, folder: str, jobs: int, sandbox: str = "auto", stored: str | None = None) -> tuple[float, tuple, list]:
    """Grade `folder` with `engine` ("pool" or "dask") and `sandbox` (as coursegrad grade), the records stored in
    the output folder `stored` if given (a rerun resumes from there); (wall seconds, CPU seconds (`_timed`), results)."""
    from coursegrad.grading.batch import Course, grade_folder

    if engine == "pool":
        return _timed(lambda: grade_folder(SOURCE, folder, jobs=jobs, progress=True, out=stored, timeout=30, sandbox=sandbox))
    with local_cluster(jobs) as address:
        on_cluster = Course(scheduler=address)
        return _timed(
            lambda: grade_folder(SOURCE, folder, jobs=jobs, progress=True, course=on_cluster, timeout=30, sandbox=sandbox)
        )


def _timed(work) -> tuple[float, tuple[float, float], list]:
    """(wall seconds, (CPU seconds of this tree, of the machine), what `work()` returned); see the module's docstring
    (a Dask cluster's workers are not this process's children: only the machine's figure counts them)."""
    start, tree, machine = time.perf_counter(), _tree_cpu(), _machine_cpu()
    results = work()
    return time.perf_counter() - start, (_tree_cpu() - tree, _machine_cpu() - machine), results


def _tree_cpu() -> float:
    """CPU seconds (user + system) of this process and of the processes it reaped."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    own, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def _machine_cpu() -> float:
    """CPU seconds every CPU of the machine spent busy since it booted (/proc/stat; NaN without it)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "–"


def check(results: list) -> None:
    full = [r for i, r in enumerate(results) if i % 3 == 0]
    assert all(r.total == r.max_auto for r in full), "a solved submission lost points"
    assert all(r.status == "graded" for r in results), "a submission was not graded"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=100, help="number of submissions (default 100)")
    p.add_argument("--jobs", type=int, default=2, help="pool processes / Dask workers (default 2)")
    p.add_argument("--engine", choices=["pool", "dask", "both"], default="pool", help="how to grade (default pool)")
    p.add_argument("--quick", action="store_true", help="10 submissions only")
    p.add_argument("--sandbox", default="auto", choices=["auto", "bwrap", "none"], help="as coursegrad grade (default auto)")
    p.add_argument("--rerun", action="store_true", help="store the results, then time a rerun with nothing changed (pool)")
    args = p.parse_args(argv)
    if args.quick:
        args.n = 10
    engines = ["pool", "dask"] if args.engine == "both" else [args.engine]
    rows, totals, rerun = [], {}, 0.0
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as keep:
        make_class(Path(tmp), args.n)
        for engine in engines:
            stored = str(Path(keep) / engine) if args.rerun and engine == "pool" else None
            before = _load()
            wall, cpu, results = run(engine, tmp, args.jobs, args.sandbox, stored)
            unsandboxed = any(r.sandbox for r in results)
            label = engine + (" (no sandbox)" if unsandboxed else " (sandbox)")
            check(results)
            totals[engine] = [(r.student, r.total, [q.status for q in r.questions]) for r in results]
            inside = sum(r.seconds for r in results) / len(results)
            rows.append(
                f"| {label} | {args.n} | {args.jobs} | {wall:.1f} s | {args.n / wall:.2f} /s | {wall / args.n:.3f} s "
                f"| {inside:.2f} s | {cpu[0]:.1f} s | {cpu[1]:.1f} s ({cpu[1] / args.n:.2f} s each) | {before} → {_load()} |"
            )
            if stored:
                rerun, _, again = run(engine, tmp, args.jobs, args.sandbox, stored)
                assert [r.total for r in again] == [r.total for r in results], "the rerun's results differ"
    if args.rerun:
        print(f"a rerun with nothing changed (every result kept, no kernel): {rerun:.2f} s")
    if len(totals) == 2:
        assert totals["pool"] == totals["dask"], "the cluster's results differ from the process pool's"
    print(
        "\n| engine | submissions | workers | wall time | throughput | per submission | each inside a worker "
        "| CPU: this tree | CPU: the machine | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
