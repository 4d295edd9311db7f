"""Cuts browser-sized samples out of the main job's data (examples/data/).

Agency A: its first 3,000 suspects. Agency B: every suspect of B that the
known answer pairs with one of those (110), then B's first others, up to
1,500. The known answer of the sample is the main job's known answer
restricted to the pairs whose A side is in the sample: the full answer
lists every pair, so no other pair can match inside the sample.

    python3 examples/browser/make_samples.py
"""

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
N_A, N_B = 3000, 1500


def rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        return next(reader), list(reader)


def write(name, header, body):
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)


def main():
    head_a, a = rows("agency_a.csv")
    head_b, b = rows("agency_b.csv")
    head_o, overlap = rows("expected_overlap.csv")
    a = a[:N_A]
    a_ids = {r[0] for r in a}
    pairs = [o for o in overlap if o[0] in a_ids]
    wanted_b = {o[1] for o in pairs}
    all_paired_b = {o[1] for o in overlap}
    b_sample = [r for r in b if r[0] in wanted_b]
    for r in b:
        if len(b_sample) >= N_B:
            break
        if r[0] not in all_paired_b:
            b_sample.append(r)
    b_order = {r[0]: i for i, r in enumerate(b)}
    b_sample.sort(key=lambda r: b_order[r[0]])
    write("agency_a_sample.csv", head_a, a)
    write("agency_b_sample.csv", head_b, b_sample)
    write("expected_overlap_sample.csv", head_o, pairs)
    print(f"A {len(a)} rows, B {len(b_sample)} rows, {len(pairs)} known pairs")


if __name__ == "__main__":
    main()
