"""Two agencies, each on its own cluster, matching through an exchange
directory: the walkthrough of blindmatch.dask and blindmatch.spark.

    python examples/engines/two_clusters.py dask  [--log2 16] [--exchange URL] [--out DIR]
    python examples/engines/two_clusters.py spark [--log2 16] [--exchange URL] [--out DIR]

Needs ``pip install 'blindmatch[dask]'`` or ``'blindmatch[spark]'`` (Spark
also needs Java 17 or later). Each agency runs in its own process with its
own cluster (Dask: a LocalCluster of two worker processes; Spark: a local
Spark application) and generates its records there, on the fly: agency A
2^log2 phone numbers with case numbers, agency B as many with account
numbers, a quarter of them shared. The two processes share nothing but the
exchange directory (a temporary one unless ``--exchange`` names an fsspec
URL): A writes its request, B waits for it and responds, A finishes, B
reads A's finish parts. Each agency writes its matched rows to
``DIR/agency-a.csv`` or ``agency-b.csv`` and checks them against the known
answer. The exit status is 0 when both found exactly the shared numbers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WAIT = 3600.0  # seconds an agency waits for the other's next step


def phone(i: int) -> str:
    return f"+4479{i:08}"


def shared_range(n: int) -> range:
    """The numbers both agencies hold: the last quarter of A's, the first of B's."""
    return range(n - n // 4, n)


def dask_frame(party: str, n: int):
    import dask.dataframe as dd
    import pandas as pd

    start = 0 if party == "A" else n - n // 4
    chunks = max(2, n >> 14)
    size = -(-n // chunks)
    bounds = [(start + s, min(start + n, start + s + size)) for s in range(0, n, size)]
    extra, prefix = ("case", "CASE-") if party == "A" else ("account", "ACCT-")

    def make(bound):
        lo, hi = bound
        return pd.DataFrame({"phone": [phone(i) for i in range(lo, hi)], extra: [f"{prefix}{i}" for i in range(lo, hi)]})

    meta = pd.DataFrame({"phone": pd.Series([], dtype=object), extra: pd.Series([], dtype=object)})
    return dd.from_map(make, bounds, meta=meta)


def spark_frame(spark, party: str, n: int):
    start = 0 if party == "A" else n - n // 4
    extra, prefix = ("case", "CASE-") if party == "A" else ("account", "ACCT-")
    return spark.range(start, start + n, 1, max(2, n >> 14)).selectExpr(
        "concat('+4479', lpad(cast(id as string), 8, '0')) as phone", f"concat('{prefix}', cast(id as string)) as {extra}"
    )


def agency(engine: str, party: str, log2: int, exchange: str, out: Path) -> int:
    n = 1 << log2
    parts = max(1, n >> 14)  # 2^14 rows per part
    started = time.perf_counter()
    if engine == "dask":
        import distributed

        import blindmatch.dask as bmd

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        frame = dask_frame(party, n)
        to_pandas = lambda result: result.compute()  # noqa: E731
        module = bmd
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        import blindmatch.spark as bms

        spark = (
            SparkSession.builder.master("local[2]").appName(f"agency-{party}")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        frame = spark_frame(spark, party, n)
        to_pandas = lambda result: result.toPandas()  # noqa: E731
        module = bms

    if party == "A":
        a = module.Initiator(frame, "phone", exchange, parts=parts)
        a.request()
        print(f"agency A: request written ({parts} parts of {n:,} numbers)", flush=True)
        matched, count = to_pandas(a.finish(timeout=WAIT)), a.cardinality
    else:
        b = module.Responder(frame, "phone", exchange, parts=parts)
        b.respond(timeout=WAIT)
        print(f"agency B: response written ({parts} parts of {n:,} numbers)", flush=True)
        matched, count = to_pandas(b.finish(timeout=WAIT)), b.cardinality

    name = f"agency-{party.lower()}.csv"
    matched.sort_values("phone").to_csv(out / name, index=False)
    expected = {phone(i) for i in shared_range(n)}
    ok = set(matched["phone"]) == expected and len(matched) == count == len(expected)
    print(
        f"agency {party}: {len(matched):,} of its {n:,} rows are shared ({count:,} distinct numbers) -> {out / name}; "
        f"{'matches the known answer' if ok else 'DIFFERS from the known answer'}; {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    print(matched.sort_values("phone").head(3).to_string(index=False), flush=True)
    if engine == "dask":
        client.close()
        cluster.close()
    else:
        spark.stop()
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("engine", choices=["dask", "spark"])
    ap.add_argument("--log2", type=int, default=16, help="log2 of each agency's row count (default 16)")
    ap.add_argument("--exchange", help="the exchange directory's fsspec URL (default: a temporary directory)")
    ap.add_argument("--out", type=Path, help="where each agency writes its matched rows (default: a temporary directory)")
    ap.add_argument("--party", choices=["A", "B"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not 2 <= args.log2 <= 26:
        ap.error("--log2 must be between 2 and 26")
    exchange = args.exchange or tempfile.mkdtemp(prefix="blindmatch-exchange-")
    out = args.out or Path(tempfile.mkdtemp(prefix="blindmatch-matches-"))
    out.mkdir(parents=True, exist_ok=True)
    if args.party:
        return agency(args.engine, args.party, args.log2, exchange, out)
    print(f"two agencies on {args.engine}, {1 << args.log2:,} rows each; exchange: {exchange}", flush=True)
    # One process per agency: they share nothing but the exchange directory.
    cmd = [sys.executable, __file__, args.engine, "--log2", str(args.log2), "--exchange", exchange, "--out", str(out)]
    procs = [subprocess.Popen(cmd + ["--party", p]) for p in ("A", "B")]
    codes = [p.wait() for p in procs]
    return 0 if codes == [0, 0] else 1


if __name__ == "__main__":
    sys.exit(main())
