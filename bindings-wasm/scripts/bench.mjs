// Throughput of the WASM build in Node.js, next to @openmined/psi.js (npm)
// on the same items and next to the native build on one thread, in one run.
//
//   npm run bench [-- --sizes 10,12,14 --reps 5]     (after npm run build)
//
// Both libraries reveal the intersection to one party (blindmatch:
// output "initiator"; psi.js: revealIntersection = true), with a 2^-40
// false-positive rate where psi.js can carry it (see FPR_BITS), both parties in this process, items
// `suspect%08d@example.org` with half of each side shared (the same items as
// benches/peer_harness.py and the native limit_report). "items/s per side"
// is n divided by the whole protocol's time. The native figure comes from
// `cargo run --release -p blindmatch-benches --bin limit_report` (median of
// 3 sessions, one thread). Medians of --reps runs; the machine is shared,
// so read ratios, not absolutes.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const crateDir = path.resolve(here, "..");
const require = createRequire(import.meta.url);
const bm = require(path.join(crateDir, "pkg"));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const sizes = opt("--sizes", "10,12,14").split(",").map(Number);
const reps = Number(opt("--reps", "5"));
// psi.js's JavaScript protobuf cannot serialize a GCS setup whose hash range
// passes 2^53 (an assertion at 2^-40 from 2^12 items on); it then gets the
// largest rate it can carry, printed in the table. blindmatch stays at 2^-40.
const FPR_BITS = 40;

function psiJsFprBits(psi, n) {
  for (let bits = FPR_BITS; bits >= 20; bits -= 2) {
    const server = psi.server.createWithNewKey(true);
    const probe = Array.from({ length: n }, (_, i) => `probe${i}`);
    try {
      const setup = server.createSetupMessage(2 ** -bits, n, probe, psi.dataStructure.GCS);
      setup.serializeBinary();
      setup.delete?.();
      return bits;
    } catch {
      // too large for psi.js; try a higher rate
    } finally {
      server.delete?.();
    }
  }
  throw new Error("psi.js cannot serialize a setup message at any rate tried");
}

const items = (n, offset) =>
  Array.from({ length: n }, (_, i) => `suspect${String(offset + i).padStart(8, "0")}@example.org`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => performance.now() / 1000;

function runBlindmatch(a, b) {
  const t = {};
  let s = now();
  const ini = new bm.Initiator(a, { output: "initiator" });
  const request = ini.request();
  t.request = now() - s;
  s = now();
  const res = new bm.Responder(b, { output: "initiator" });
  const response = res.respond(request);
  t.respond = now() - s;
  s = now();
  const finish = ini.finish(response);
  t.finish = now() - s;
  if (finish !== undefined || ini.cardinality !== a.length / 2) throw new Error("blindmatch: wrong result");
  t.bytes = request.length + response.length;
  ini.free();
  res.free();
  return t;
}

function runPsiJs(psi, a, b, bits) {
  const t = {};
  const client = psi.client.createWithNewKey(true);
  const server = psi.server.createWithNewKey(true);
  let s = now();
  const setup = server.createSetupMessage(2 ** -bits, a.length, b, psi.dataStructure.GCS);
  t.setup = now() - s;
  s = now();
  const request = client.createRequest(a);
  t.request = now() - s;
  s = now();
  const response = server.processRequest(request);
  t.respond = now() - s;
  s = now();
  const found = client.getIntersection(setup, response);
  t.finish = now() - s;
  if (found.length !== a.length / 2) throw new Error("psi.js: wrong result");
  t.bytes = [setup, request, response].reduce((n, m) => n + m.serializeBinary().length, 0);
  for (const o of [client, server, setup, request, response]) o.delete?.();
  return t;
}

function nativeOneThread(log2) {
  const out = execFileSync(
    "cargo",
    ["run", "--quiet", "--release", "--locked", "-p", "blindmatch-benches", "--bin", "limit_report", "--", String(log2)],
    { cwd: path.resolve(crateDir, ".."), encoding: "utf8" },
  );
  // "balanced PSI, 2^16 items per side, 1 thread(s), median of 3: 6776 items/s per side = ..."
  const m = out.match(/1 thread\(s\), median of \d+: (\d+) items\/s per side/);
  if (!m) throw new Error(`unexpected limit_report output:\n${out}`);
  return Number(m[1]);
}

function summarize(runs) {
  const total = median(runs.map((r) => Object.entries(r).filter(([k]) => k !== "bytes").reduce((s, [, v]) => s + v, 0)));
  const phases = Object.keys(runs[0]).filter((k) => k !== "bytes");
  return { total, phases: Object.fromEntries(phases.map((p) => [p, median(runs.map((r) => r[p]))])), bytes: runs[0].bytes };
}

const PSI = require("@openmined/psi.js");
const psi = await PSI();
console.log(`blindmatch ${bm.version()} (WASM, Node ${process.version}) vs @openmined/psi.js 2.0.6; median of ${reps} runs`);
console.log("| n per side | library | phases (s, median) | items/s per side | bytes/item | ratio |");
console.log("|---|---|---|---|---|---|");
for (const log2 of sizes) {
  const n = 2 ** log2;
  const a = items(n, 0);
  const b = items(n, n / 2);
  runBlindmatch(items(64, 0), items(64, 32)); // warm-up (compiles the module's hot paths)
  const ours = summarize(Array.from({ length: reps }, () => runBlindmatch(a, b)));
  const bits = psiJsFprBits(psi, n);
  const theirs = summarize(Array.from({ length: reps }, () => runPsiJs(psi, a, b, bits)));
  const native = nativeOneThread(log2);
  const rate = (s) => n / s.total;
  const fmt = (s) => Object.entries(s.phases).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ");
  const row = (lib, s, ratio) =>
    console.log(`| 2^${log2} | ${lib} | ${fmt(s)} | ${rate(s).toFixed(0)} | ${(s.bytes / n).toFixed(1)} | ${ratio} |`);
  row(`@openmined/psi.js (fpr 2^-${bits})`, theirs, "1.00");
  row(`blindmatch WASM (fpr 2^-${FPR_BITS})`, ours, `${(rate(ours) / rate(theirs)).toFixed(2)}× psi.js`);
  console.log(`| 2^${log2} | blindmatch native, 1 thread | (limit_report) | ${native} | | WASM is ${(native / rate(ours)).toFixed(2)}× slower |`);
}
