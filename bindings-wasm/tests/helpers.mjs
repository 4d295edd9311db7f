// Shared by the Node tests: the built package (bindings-wasm/pkg, loaded by
// path with require, as a user would) and the repository's test vectors.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const pkgDir = path.resolve(here, "..", "pkg");
export const repo = path.resolve(here, "..", "..");

if (!fs.existsSync(path.join(pkgDir, "package.json"))) {
  throw new Error(`${pkgDir} is missing: run \`npm ci && npm run build\` in bindings-wasm/ first`);
}

export const bm = createRequire(import.meta.url)(pkgDir);
/** `blindmatch/testing`: seeded constructors (insecure; tests only). */
export const testing = createRequire(import.meta.url)(path.join(pkgDir, "testing.js"));

export function vectors(name) {
  return JSON.parse(fs.readFileSync(path.join(repo, "core", "tests", "vectors", name), "utf8"));
}

export const hex = (bytes) => Buffer.from(bytes).toString("hex");
export const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));

/** A small deterministic PRNG (mulberry32) for test data. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sorted indices of `mine` whose value is in `theirs` (JavaScript's own set intersection). */
export function expectedIndices(mine, theirs) {
  const key = (v) => (typeof v === "string" ? `s:${v}` : `b:${hex(v)}`);
  const set = new Set(theirs.map(key));
  return mine.flatMap((v, i) => (set.has(key(v)) ? [i] : []));
}

export function distinctCount(mine, theirs) {
  const key = (v) => (typeof v === "string" ? hex(Buffer.from(v, "utf8")) : hex(v));
  const set = new Set(theirs.map(key));
  return new Set(mine.map(key).filter((k) => set.has(k))).size;
}

export const seed = (byte) => new Uint8Array(32).fill(byte);

/** Runs a whole balanced session; returns both parties. */
export function session(itemsA, itemsB, options = {}) {
  const a = new bm.Initiator(itemsA, options);
  const b = new bm.Responder(itemsB, options);
  const finish = a.finish(b.respond(a.request()));
  b.finish(finish);
  return { a, b, finish };
}
