import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { createRequire } from "node:module";

import { bm, pkgDir } from "./helpers.mjs";

const require = createRequire(import.meta.url);

test("the package loads by path with require and with import, with the same API", async () => {
  const esm = await import(pathToFileURL(path.join(pkgDir, "index.mjs")).href);
  const names = ["Initiator", "Responder", "RecordSet", "OprfKey", "UnbalancedServer", "UnbalancedClient",
    "SetDigest", "messageType", "errorCodes", "kinds", "BlindmatchError", "ProtocolError", "StateError", "ArgumentError"];
  for (const n of names) {
    assert.equal(typeof bm[n], "function", n);
    assert.equal(esm[n], bm[n], n);
  }
  await esm.default();
  assert.equal(esm.version(), JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version);
  // An error thrown through the ESM entry is an instance of the ESM entry's class.
  assert.throws(() => new esm.Initiator("x"), esm.ArgumentError);
});

test("every entry exports the same API: the module's public names and the error classes", async () => {
  const wasm = require(path.join(pkgDir, "node", "blindmatch.js"));
  const errors = require(path.join(pkgDir, "errors.cjs"));
  const expected = [
    ...Object.keys(wasm).filter((n) => !n.startsWith("__")),
    ...Object.keys(errors).filter((n) => n !== "makeError"),
    "init",
    "initSync",
  ].sort();
  const esm = await import(pathToFileURL(path.join(pkgDir, "node", "index.mjs")).href);
  // The browser entry: imported only for its names (nothing runs before init()).
  const web = await import(pathToFileURL(path.join(pkgDir, "web", "index.js")).href);
  assert.deepEqual(Object.keys(bm).filter((n) => n !== "default").sort(), expected);
  assert.deepEqual(Object.keys(esm).filter((n) => n !== "default").sort(), expected);
  assert.deepEqual(Object.keys(web).filter((n) => n !== "default").sort(), expected);
});

test("seeded constructors live only in blindmatch/testing", async () => {
  for (const n of Object.keys(bm)) assert.ok(!n.startsWith("__testing"), n);
  const cjs = require(path.join(pkgDir, "testing.js"));
  const esm = await import(pathToFileURL(path.join(pkgDir, "node", "testing.mjs")).href);
  for (const n of ["Initiator", "Responder", "UnbalancedClient", "UnbalancedServer"]) {
    assert.equal(typeof cjs[n], "function", n);
    assert.equal(esm[n], cjs[n], n);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  assert.ok(manifest.exports["./testing"]);
  for (const f of ["web/testing.js", "web/testing.d.ts", "node/testing.d.mts", "testing.d.ts"]) {
    assert.ok(fs.existsSync(path.join(pkgDir, f)), f);
  }
  // A seeded initiator is an ordinary Initiator of the main entry.
  const a = new cjs.Initiator(["a"], { rngSeed: new Uint8Array(32), reveal: "cardinality" });
  assert.ok(a instanceof bm.Initiator && a instanceof cjs.Initiator);
  assert.deepEqual(a.request(), new esm.Initiator(["a"], { rngSeed: new Uint8Array(32), reveal: "cardinality" }).request());
  assert.throws(() => new bm.Initiator(["a"], { rngSeed: new Uint8Array(32) }), bm.ArgumentError);
});

test("the browser build is an ES module with its own wasm and declarations", () => {
  for (const f of ["web/index.js", "web/blindmatch.js", "web/blindmatch_bg.wasm", "web/index.d.ts", "index.d.ts"]) {
    assert.ok(fs.existsSync(path.join(pkgDir, f)), f);
  }
  const dts = fs.readFileSync(path.join(pkgDir, "node", "blindmatch.d.ts"), "utf8");
  // TSDoc from the Rust doc comments reaches the declarations.
  assert.match(dts, /Sorted indices into the items that are shared/);
  assert.match(dts, /export class Initiator/);
  assert.doesNotMatch(dts, /__setErrorFactory|__blindmatchHandle/);
});

test("the declarations type-check a strict TypeScript program", () => {
  const tsc = path.resolve(pkgDir, "..", "node_modules", ".bin", "tsc");
  const usage = path.resolve(pkgDir, "..", "tests", "types", "usage.mts");
  execFileSync(tsc, ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
    "--target", "es2022", usage], { stdio: "pipe" });
});
