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


def library(release: pathlib.Path) -> float:
    out = subprocess.run([str(release / "two_agencies")], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^time: ([\d.]+) s", out, re.M)
    if not m:
        raise SystemExit("two_agencies printed no time line")
    return float(m.group(1))


def command(release: pathlib.Path) -> tuple[float, float]:
    """Returns (sum of step times, sum of CSV reading times) of one exchange."""
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
        total = reading = 0.0
        for args in steps:
            out = subprocess.run([bm, "--json", *args], cwd=d, capture_output=True, text=True, check=True).stdout
            summary = json.loads(out)
            total += summary["seconds"]
            reading += summary.get("seconds_records", 0.0)
        matched = sum(1 for _ in open(pathlib.Path(d) / "a.csv")) - 1
        if matched != 1500:
            raise SystemExit(f"the command found {matched} matched records, not 1500")
        return total, reading


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--release-dir", type=pathlib.Path, default=ROOT / "target" / "release")
    a = p.parse_args()
    lib, cli, csv = [], [], []
    for _ in range(a.reps):
        lib.append(library(a.release_dir))
        total, reading = command(a.release_dir)
        cli.append(total)
        csv.append(reading)
    m_lib, m_cli, m_csv = (statistics.median(x) for x in (lib, cli, csv))
    beyond = m_cli - m_csv
    print(f"library, protocol steps:        median {m_lib:.2f} s  ({', '.join(f'{x:.2f}' for x in lib)})")
    print(f"command, four steps:            median {m_cli:.2f} s  ({', '.join(f'{x:.2f}' for x in cli)})")
    print(f"command, reading the two CSVs:  median {m_csv:.2f} s")
    print(f"command beyond CSV reading:     {beyond:.2f} s, {100 * (beyond / m_lib - 1):+.1f} % against the library")


if __name__ == "__main__":
    main()
