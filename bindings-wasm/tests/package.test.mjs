import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { bm, pkgDir } from "./helpers.mjs";

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
