#!/usr/bin/env python3
"""Load on `blindmatch serve`: queries per second and latency.

Builds a watch-list of --list keys (e-mail addresses) with `watchlist build`,
serves it with `blindmatch serve` (mutual TLS, a ledger, an unlimited
budget: every answer is still charged and recorded in a committed SQLite
transaction), and sends --query-keys-key queries from 1, 8 and 64
concurrent clients (each its own certificate and keep-alive connection)
for --seconds each. Queries are made beforehand by `watchlist query` (file
mode), so the clients cost the server's machine only TLS and HTTP.

Prints, per concurrency: queries per second, keys evaluated per second,
p50 and p99 latency (request sent to answer read), and the digest size and
the server's resident memory (VmRSS now, VmHWM peak). Build first:

    cargo build --release -p blindmatch-cli
    python3 benches/serve_load.py --list 1048576 --query-keys 1024

Needs openssl (certificates). Standard library otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import platform
import ssl
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BM = ROOT / "target" / "release" / "blindmatch"


def run(*args: str, cwd: pathlib.Path) -> str:
    return subprocess.run([str(a) for a in args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def openssl(cwd: pathlib.Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def certificates(d: pathlib.Path, clients: int) -> None:
    """A CA, a server certificate for localhost, and `clients` client certificates."""
    os.umask(0o077)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=bench CA", "-days", "2")
    (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ext in [("server", "server.ext")] + [(f"c{i}", "client.ext") for i in range(clients)]:
        cn = "localhost" if name == "server" else f"agency-{name}"
        openssl(d, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", ext)


def email(i: int) -> str:
    return f"person{i}@example.org"


def rss(pid: int) -> dict[str, int]:
    out = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def client_loop(d: pathlib.Path, port: int, name: str, queries: list[bytes], stop: float,
                latencies: list[float], errors: list[str]) -> None:
    ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
    ctx.load_cert_chain(str(d / f"{name}.crt"), str(d / f"{name}.key"))
    conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=120)
    i = 0
    while time.perf_counter() < stop:
        body = queries[i % len(queries)]
        i += 1
        t = time.perf_counter()
        conn.request("POST", "/v1/query", body, {"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            errors.append(f"{r.status} {data[:200]!r}")
            return
        latencies.append(time.perf_counter() - t)
    conn.close()


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", type=int, default=1 << 20, help="keys on the watch-list")
    ap.add_argument("--query-keys", type=int, default=1024, help="keys per query")
    ap.add_argument("--clients", default="1,8,64", help="concurrencies to measure")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time per concurrency")
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    a = ap.parse_args()
    if not BM.exists():
        raise SystemExit("build first: cargo build --release -p blindmatch-cli")
    levels = [int(c) for c in a.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        certificates(d, max(levels))
        with open(d / "list.csv", "w") as f:
            f.write("id,email\n")
            for i in range(a.list):
                f.write(f"L{i},{email(i)}\n")
        t = time.perf_counter()
        run(BM, "--json", "watchlist", "build", "--records", "list.csv", "--id", "id", "--field", "email",
            "--key", "wl.key", "--out", "digest.bm", cwd=d)
        build_s = time.perf_counter() - t
        digest_bytes = (d / "digest.bm").stat().st_size
        # 16 distinct queries, each half on the list.
        queries = []
        for q in range(16):
            with open(d / f"q{q}.csv", "w") as f:
                f.write("ref,email\n")
                for j in range(a.query_keys):
                    i = (q * a.query_keys + j) * 7919 % a.list if j % 2 == 0 else a.list + q * a.query_keys + j
                    f.write(f"R{j},{email(i)}\n")
            run(BM, "watchlist", "query", "--records", f"q{q}.csv", "--id", "ref", "--field", "email",
                "--digest", "digest.bm", "--state", f"q{q}.state", "--out", f"q{q}.bm", cwd=d)
            queries.append((d / f"q{q}.bm").read_bytes())
        (d / "server.toml").write_text(f"""listen = "127.0.0.1:0"
ledger = "wl.sqlite"
max_query_items = {max(4096, a.query_keys)}
log = "warn"
[tls]
cert = "server.crt"
key = "server.key"
client_ca = "ca.crt"
[budget]
per_client = "unlimited"
[watchlist]
key = "wl.key"
digest = "digest.bm"
""")
        server = subprocess.Popen([str(BM), "--json", "serve", "--config", "server.toml"], cwd=d,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            port = int(json.loads(server.stdout.readline())["listening"].rsplit(":", 1)[1])
            memory = {"after_load": rss(server.pid)}
            results = []
            for c in levels:
                latencies: list[float] = []
                errors: list[str] = []
                start = time.perf_counter()
                stop = start + a.seconds
                threads = [threading.Thread(target=client_loop,
                                            args=(d, port, f"c{i}", queries[i % 16:] + queries[:i % 16], stop,
                                                  latencies, errors))
                           for i in range(c)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                elapsed = time.perf_counter() - start
                if errors:
                    raise SystemExit(f"{c} clients: {errors[0]}")
                results.append({
                    "clients": c,
                    "queries": len(latencies),
                    "qps": len(latencies) / elapsed,
                    "keys_per_s": len(latencies) * a.query_keys / elapsed,
                    "p50_ms": 1000 * statistics.median(latencies),
                    "p99_ms": 1000 * percentile(latencies, 99),
                })
            memory["after_load_test"] = rss(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    flags = open("/proc/cpuinfo").read()
    ifma = "avx512ifma" in flags
    report = {
        "cpu": cpu, "cores": os.cpu_count(), "avx512ifma": ifma,
        "list_keys": a.list, "query_keys": a.query_keys, "seconds_per_level": a.seconds,
        "build_seconds": build_s, "digest_bytes": digest_bytes, "server_mib": memory, "levels": results,
    }
    print(f"CPU: {cpu} ({os.cpu_count()} cores, AVX-512 IFMA: {'yes' if ifma else 'no'})")
    print(f"watch-list {a.list} keys: built in {build_s:.1f} s; digest {digest_bytes} bytes "
          f"({digest_bytes / a.list:.2f} bytes per key)")
    print(f"server memory (MiB): {memory}")
    print(f"\n{a.query_keys}-key queries, {a.seconds:.0f} s per level:\n")
    print("| clients | queries | queries/s | keys/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['clients']} | {r['queries']} | {r['qps']:.1f} | {r['keys_per_s']:.0f} | "
              f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
