#!/usr/bin/env python3
"""What the `blindmatch` command adds to the library, on the main job's data.

Runs the main job (examples/data: 40,000 and 25,000 suspects) through the
library (`two_agencies`, which times each protocol step) and through the
four `psi` commands (each prints its wall time, and the time it spent
reading and canonicalizing the CSV, with --json), --reps times, and prints
the medians and the command's overhead beyond CSV parsing:

    overhead = (sum of the command's step times - their CSV reading)
               / (sum of the library's step times) - 1

It covers starting the process, loading and saving the state files, and
reading and writing the message and result files. Build first:

    cargo build --release -p blindmatch-cli -p blindmatch-examples
    python3 benches/cli_overhead.py --reps 5

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import statistics
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data"
FIELDS = ["--id", "suspect_id", "--field", "email=email", "--field", "phone=phone",
          "--field", "full_name=name", "--field", "date_of_birth=date_of_birth",
          "--composite", "name,date_of_birth"]
B_FORMAT = ["--region", "GB", "--date-format", "%d/%m/%Y"]


STEPS = ["request", "respond", "finish", "result"]


def library(release: pathlib.Path) -> list[float]:
    """The library's time of each protocol step (two_agencies' time line)."""
    out = subprocess.run([str(release / "two_agencies")], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^time: [\d.]+ s \(A request ([\d.]+), B respond ([\d.]+), A finish ([\d.]+), B finish ([\d.]+)\)", out, re.M)
    if not m:
        raise SystemExit("two_agencies printed no time line")
    return [float(x) for x in m.groups()]


def command(release: pathlib.Path) -> list[tuple[float, float]]:
    """Each step's (wall time, CSV reading time) in one exchange."""
    bm = str(release / "blindmatch")
    with tempfile.TemporaryDirectory() as d:
        steps = [
            ["psi", "request", "--records", str(DATA / "agency_a.csv"), *FIELDS,
             "--state", "a.state", "--out", "request.bm"],
            ["psi", "respond", "--records", str(DATA / "agency_b.csv"), *FIELDS, *B_FORMAT,
             "--state", "b.state", "--request", "request.bm", "--out", "response.bm"],
            ["psi", "finish", "--state", "a.state", "--response", "response.bm",
             "--out", "finish.bm", "--matches", "a.csv"],
            ["psi", "result", "--state", "b.state", "--finish", "finish.bm", "--matches", "b.csv"],
        ]
        times = []
        for args in steps:
            out = subprocess.run([bm, "--json", *args], cwd=d, capture_output=True, text=True, check=True).stdout
            summary = json.loads(out)
            times.append((summary["seconds"], summary.get("seconds_records", 0.0)))
        with open(pathlib.Path(d) / "a.csv") as f:
            matched = sum(1 for _ in f) - 1
        if matched != 1500:
            raise SystemExit(f"the command found {matched} matched records, not 1500")
        return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--release-dir", type=pathlib.Path, default=ROOT / "target" / "release")
    a = p.parse_args()
    lib: list[list[float]] = []
    cli: list[list[tuple[float, float]]] = []
    for _ in range(a.reps):
        lib.append(library(a.release_dir))
        cli.append(command(a.release_dir))
    med = statistics.median
    print(f"{'step':<10} {'library':>9} {'command':>9} {'its CSV':>9} {'beyond CSV':>11}")
    totals = [0.0, 0.0, 0.0]
    for k, name in enumerate(STEPS):
        m_lib = med(r[k] for r in lib)
        m_cli = med(r[k][0] for r in cli)
        m_csv = med(r[k][1] for r in cli)
        totals = [totals[0] + m_lib, totals[1] + m_cli, totals[2] + m_csv]
        print(f"{name:<10} {m_lib:>8.2f}s {m_cli:>8.2f}s {m_csv:>8.2f}s {m_cli - m_csv:>10.2f}s")
    beyond = totals[1] - totals[2]
    print(f"{'total':<10} {totals[0]:>8.2f}s {totals[1]:>8.2f}s {totals[2]:>8.2f}s {beyond:>10.2f}s")
    print(f"the command beyond CSV reading: {100 * (beyond / totals[0] - 1):+.1f} % against the library "
          f"(medians of {a.reps} runs per step)")


if __name__ == "__main__":
    main()
