"""Side-by-side: blindmatch (Python bindings) vs OpenMined PSI (openmined-psi).

Same items, both revealing the intersection to one party, the same
false-positive rate (2^-40 for the whole session); each library (and thread
count) runs both sides of its sessions in a fresh child process of one run. Prints time per
phase, items per second per side, bytes on the wire per item, and the ratio.

Run it through peer_harness.sh, which builds its own virtualenv. Options:
  --sizes 12,14,16     log2 of items per side (add 18 if you have time)
  --reps 3             repetitions per size (the median is reported)
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import time

FPR = 2.0**-40


def items(n: int, offset: int) -> list[str]:
    return [f"suspect{i:08d}@example.org" for i in range(offset, offset + n)]


def run_blindmatch(a: list[str], b: list[str]) -> dict:
    import blindmatch as bm

    t = {}
    s = time.perf_counter()
    ini = bm.Initiator(a, reveal="intersection", output="initiator")
    request = ini.request()
    t["request"] = time.perf_counter() - s
    s = time.perf_counter()
    res = bm.Responder(b, reveal="intersection", output="initiator")
    response = res.respond(request)
    t["respond"] = time.perf_counter() - s
    s = time.perf_counter()
    finish = ini.finish(response)
    t["finish"] = time.perf_counter() - s
    assert finish is None and ini.cardinality == len(set(a) & set(b))
    t["bytes"] = len(request) + len(response)
    return t


def run_openmined(a: list[str], b: list[str]) -> dict:
    import private_set_intersection.python as psi

    t = {}
    client = psi.client.CreateWithNewKey(True)
    server = psi.server.CreateWithNewKey(True)
    s = time.perf_counter()
    setup = server.CreateSetupMessage(FPR, len(a), b, psi.DataStructure.GCS)
    t["setup"] = time.perf_counter() - s
    s = time.perf_counter()
    request = client.CreateRequest(a)
    t["request"] = time.perf_counter() - s
    s = time.perf_counter()
    response = server.ProcessRequest(request)
    t["respond"] = time.perf_counter() - s
    s = time.perf_counter()
    found = client.GetIntersection(setup, response)
    t["finish"] = time.perf_counter() - s
    assert len(found) == len(set(a) & set(b))
    t["bytes"] = sum(len(m.SerializeToString()) for m in (setup, request, response))
    return t


def measure(lib: str, log2: int, reps: int) -> dict:
    n = 1 << log2
    a, b = items(n, 0), items(n, n // 2)
    runs = [(run_blindmatch if lib == "blindmatch" else run_openmined)(a, b) for _ in range(reps)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    med["total"] = sum(v for k, v in med.items() if k != "bytes")
    return med


def child(lib: str, log2: int, reps: int) -> None:
    print(repr(measure(lib, log2, reps)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="12,14,16")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--child", nargs=3)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0
    cores = os.cpu_count() or 1
    rows = []
    for log2 in [int(x) for x in args.sizes.split(",")]:
        for lib, threads in (("openmined-psi", 1), ("blindmatch", 1), ("blindmatch", cores)):
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
            out = subprocess.run(
                [sys.executable, __file__, "--child", "blindmatch" if lib == "blindmatch" else "openmined", str(log2), str(args.reps)],
                env=env, check=True, capture_output=True, text=True,
            ).stdout
            rows.append((log2, lib, threads, ast.literal_eval(out.strip().splitlines()[-1])))
    print(f"{'n/side':>8} {'library':<14} {'thr':>3} {'setup s':>8} {'request s':>9} {'respond s':>9} {'finish s':>8} "
          f"{'total s':>8} {'items/s':>9} {'B/item':>7} {'ratio':>6}")
    base = {}
    for log2, lib, threads, m in rows:
        n = 1 << log2
        rate = n / m["total"]
        if lib == "openmined-psi":
            base[log2] = rate
        print(f"{'2^%d' % log2:>8} {lib:<14} {threads:>3} {m.get('setup', 0.0):>8.3f} {m['request']:>9.3f} "
              f"{m['respond']:>9.3f} {m['finish']:>8.3f} {m['total']:>8.3f} {rate:>9.0f} {m['bytes'] / (2 * n):>7.1f} "
              f"{rate / base[log2]:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
