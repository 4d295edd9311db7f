"""Partitioned sessions through Dask and Spark on this machine, next to the
one-process protocol's limit report, with a projection to 10^8 and 10^9
items per side on 32 cores per party beside secretflow's published ECDH-PSI
figures.

    python benches/engines.py [--engine dask spark] [--log2 20 22 24]
                              [--part-log2 16] [--workers N] [--json FILE]

Run it with the Python that has ``blindmatch[dask,spark]`` installed (the
test command's virtualenv, target/venv). Both parties run on this machine,
one after the other, each step on all ``--workers`` cores (Dask: a
LocalCluster of that many single-threaded worker processes; Spark: local
mode with that many task slots). Keys are generated on the workers, half of
them shared, and every session checks that each side found exactly the
shared half.

Reported per engine and size:

* the time of each step (A request, B respond, A finish, B finish);
* items per side per second over the whole session (as ``limit_report``
  counts it: both parties' work on these cores), and the engine overhead:
  how much lower that is than the one-process protocol's rate from
  ``limit_report`` on the same cores, run at the start;
* per core per party: the items a party handles per second of its own
  steps per core (its cores are idle while the peer works);
* peak RSS per worker process (Dask: each worker's; Spark: the Python
  workers' and the one JVM's), and bytes in the exchange per item per side.

The projection scales the measured per-core, per-party rate linearly to
32 cores per party (the steps are independent per part, so they scale
with cores until the shuffles dominate; this is an estimate, not a
measurement) and gives the session's wall time for the parties' steps run
one after the other, and for the overlapped schedule that ``finish(timeout=)``
allows (the initiator finishes the elements while the responder reblinds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# secretflow's published ECDH-PSI (Curve25519, 32 cores per party).
SECRETFLOW = {10**8: 697.0, 10**9: 2.09 * 3600}
SECRETFLOW_CORES = 32


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                flags = Path("/proc/cpuinfo").read_text()
                return name + (" (AVX-512 IFMA)" if " avx512ifma" in flags else " (no AVX-512 IFMA)")
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def key(i: int) -> str:
    return f"suspect{i:09}@example.org"


def limit_report(log2: int, workers: int) -> float:
    """The one-process protocol's items per side per second on ``workers``
    threads, from limit_report (built and run in release mode)."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(workers))
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "--release", "-p", "blindmatch-benches", "--bin", "limit_report", "--", str(log2), "1"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    rates = re.findall(r"(\d+) thread\(s\), median of \d+: (\d+) items/s per side", out)
    by_threads = {int(t): int(r) for t, r in rates}
    return float(by_threads.get(workers, max(by_threads.values())))


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class DaskRun:
    name = "dask"

    def __init__(self, workers: int) -> None:
        import distributed

        self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0)
        self.client = distributed.Client(self.cluster)

    def frame(self, start: int, n: int, chunks: int):
        import dask.dataframe as dd
        import pandas as pd

        size = -(-n // chunks)
        bounds = [(start + s, min(start + n, start + s + size)) for s in range(0, n, size)]

        def make(bound):
            lo, hi = bound
            return pd.DataFrame({"key": [key(i) for i in range(lo, hi)], "row": range(lo, hi)})

        return dd.from_map(make, bounds, meta=pd.DataFrame({"key": pd.Series([], dtype=object), "row": pd.Series([], dtype="int64")}))

    def count(self, result) -> int:
        return int(len(result))

    def module(self):
        import blindmatch.dask as bmd

        return bmd

    def peak_rss(self) -> dict:
        def rss() -> int:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        per = self.client.run(rss)
        return {"worker_max": max(per.values()), "workers": sorted(per.values())}

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


class SparkRun:
    name = "spark"

    def __init__(self, workers: int) -> None:
        os.environ["PYSPARK_PYTHON"] = sys.executable
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master(f"local[{workers}]").appName("blindmatch-bench")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "8g")
            .config("spark.sql.shuffle.partitions", str(max(8, 4 * workers))).getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.workers = workers

    def frame(self, start: int, n: int, chunks: int):
        return self.spark.range(start, start + n, 1, chunks).selectExpr(
            "concat('suspect', lpad(cast(id as string), 9, '0'), '@example.org') as key", "id as row"
        )

    def count(self, result) -> int:
        return int(result.count())

    def module(self):
        import blindmatch.spark as bms

        return bms

    def peak_rss(self) -> dict:
        def rss(_):
            yield resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        python = self.spark.sparkContext.parallelize(range(self.workers * 4), self.workers * 4).mapPartitions(rss).collect()
        jvm_pid = self.spark.sparkContext._jvm.ProcessHandle.current().pid()
        status = Path(f"/proc/{jvm_pid}/status").read_text()
        jvm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        return {"worker_max": max(python), "jvm": jvm}

    def close(self) -> None:
        self.spark.stop()


def session(run, log2: int, part_log2: int, workers: int) -> dict:
    n = 1 << log2
    parts = max(1, n >> part_log2)
    chunks = max(workers * 2, parts // 4, 1)
    exchange = Path(tempfile.mkdtemp(prefix=f"bm-{run.name}-{log2}-"))
    m = run.module()
    a = m.Initiator(run.frame(0, n, chunks), "key", str(exchange), parts=parts)
    b = m.Responder(run.frame(n // 2, n, chunks), "key", str(exchange), parts=parts)
    steps = {}
    t = time.perf_counter()
    a.request()
    steps["A request"] = time.perf_counter() - t
    t = time.perf_counter()
    b.respond()
    steps["B respond"] = time.perf_counter() - t
    t = time.perf_counter()
    got_a = run.count(a.finish())
    steps["A finish"] = time.perf_counter() - t
    t = time.perf_counter()
    got_b = run.count(b.finish())
    steps["B finish"] = time.perf_counter() - t
    if not (got_a == got_b == a.cardinality == b.cardinality == n // 2):
        raise SystemExit(f"{run.name} 2^{log2}: matched {got_a} / {got_b}, expected {n // 2} on each side")
    exchanged = dir_bytes(exchange)
    shutil.rmtree(exchange, ignore_errors=True)
    total = sum(steps.values())
    busy_a = steps["A request"] + steps["A finish"]
    busy_b = steps["B respond"] + steps["B finish"]
    return {
        "engine": run.name, "log2": log2, "items_per_side": n, "parts": parts, "steps_s": steps, "total_s": total,
        "items_per_side_per_s": n / total,
        "per_core_per_party": {"A": n / (busy_a * workers), "B": n / (busy_b * workers)},
        "exchange_bytes_per_item_per_side": exchanged / (2 * n),
        "peak_rss": run.peak_rss(),
    }


def projection(result: dict, workers: int, cores: int = SECRETFLOW_CORES) -> list:
    """Wall time at 10^8 and 10^9 items per side on ``cores`` per party,
    scaling each measured step linearly in items and cores."""
    n = result["items_per_side"]
    s = result["steps_s"]
    rows = []
    for big, theirs in SECRETFLOW.items():
        scale = (big / n) * (workers / cores)
        step = {k: v * scale for k, v in s.items()}
        sequential = sum(step.values())
        # Overlapped: A finishes the elements while B reblinds (about half
        # of respond, by the group operations) -- a model, not a measurement.
        overlapped = step["A request"] + step["B respond"] / 2 + max(step["B respond"] / 2, step["A finish"]) + step["B finish"]
        rows.append({
            "items_per_side": big, "sequential_s": sequential, "overlapped_s": overlapped, "secretflow_s": theirs,
            "per_core_per_party_sequential": big / (sequential * cores),
            "per_core_per_party_secretflow": big / (theirs * cores),
        })
    return rows


def human(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", nargs="+", default=["dask", "spark"], choices=["dask", "spark"])
    ap.add_argument("--log2", nargs="+", type=int, default=[20, 22, 24])
    ap.add_argument("--part-log2", type=int, default=16, help="log2 of the rows per part (default 16)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--limit-log2", type=int, default=20, help="limit_report's size (default 2^20; 2^24 takes an hour)")
    ap.add_argument("--one-process", type=float, help="reuse a limit_report rate (items per side per second) measured earlier")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--rayon-threads", type=int, default=1, help="threads each worker's Rust code uses (default 1: the engine runs one task per core)")
    args = ap.parse_args()
    # The workers inherit it; the engine, not rayon, spreads parts over cores.
    os.environ["RAYON_NUM_THREADS"] = str(args.rayon_threads)

    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; {args.workers} workers per engine")
    if args.one_process:
        one = args.one_process
        print(f"one-process protocol (given): {one:,.0f} items per side per second")
    else:
        one = limit_report(args.limit_log2, args.workers)
        print(f"one-process protocol (limit_report {args.limit_log2} 1, {args.workers} threads): {one:,.0f} items per side per second")
    results = []
    for engine in args.engine:
        run = DaskRun(args.workers) if engine == "dask" else SparkRun(args.workers)
        try:
            # Warm-up (worker start, imports, the JVM's JIT): a small session, untimed.
            session(run, 12, 10, args.workers)
            for log2 in args.log2:
                r = session(run, log2, args.part_log2, args.workers)
                r["overhead"] = 1 - r["items_per_side_per_s"] / one
                r["projection"] = projection(r, args.workers)
                results.append(r)
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["steps_s"].items())
                rss = r["peak_rss"]
                print(
                    f"{engine} 2^{log2} ({r['parts']} parts): {steps}; total {r['total_s']:.1f} s = "
                    f"{r['items_per_side_per_s']:,.0f} items/side/s, overhead {100 * r['overhead']:.0f} % vs one process; "
                    f"per core per party A {r['per_core_per_party']['A']:,.0f}, B {r['per_core_per_party']['B']:,.0f} items/s; "
                    f"{r['exchange_bytes_per_item_per_side']:.1f} B exchanged per item per side; peak RSS per worker "
                    f"{rss['worker_max'] / 2**20:.0f} MiB" + (f", JVM {rss['jvm'] / 2**20:.0f} MiB" if "jvm" in rss else "")
                )
                for p in r["projection"]:
                    print(
                        f"   projected 10^{len(str(p['items_per_side'])) - 1} per side on {SECRETFLOW_CORES} cores per party: "
                        f"{human(p['sequential_s'])} one step after the other, {human(p['overlapped_s'])} overlapped; "
                        f"secretflow {human(p['secretflow_s'])} "
                        f"({p['per_core_per_party_sequential']:,.0f} vs {p['per_core_per_party_secretflow']:,.0f} items per core per party per s of the session)"
                    )
                sys.stdout.flush()
        finally:
            run.close()
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_name(), "one_process": one, "results": results}, indent=1))


if __name__ == "__main__":
    main()
