import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";

import { bm, hex, unhex, vectors } from "./helpers.mjs";

test("RFC 9497 A.1.1 (ristretto255-SHA512, OPRF mode): key and every output", () => {
  const v = vectors("oprf_ristretto255_sha512.json");
  const key = bm.OprfKey.derive(unhex(v.Seed), unhex(v.KeyInfo));
  assert.equal(hex(key.toSecretBytes()), v.skSm);
  assert.ok(v.vectors.length >= 2);
  for (const t of v.vectors) {
    assert.equal(hex(key.evaluate(unhex(t.Input))), t.Output);
  }
});

test("golden OPRF outputs (shared with Rust and Python)", () => {
  const g = vectors("golden_psi.json").oprf;
  const key = bm.OprfKey.derive(unhex(g.seed), unhex(g.info));
  g.inputs.forEach((input, i) => {
    assert.equal(hex(key.evaluate(new TextEncoder().encode(input))), g.outputs[i]);
  });
});

test("keys round-trip through their secret bytes and never print them", () => {
  const key = bm.OprfKey.generate();
  const secret = key.toSecretBytes();
  assert.equal(secret.length, 32);
  const back = bm.OprfKey.fromSecretBytes(secret);
  assert.deepEqual(back.publicKey(), key.publicKey());
  assert.deepEqual(back.evaluate(new Uint8Array([1])), key.evaluate(new Uint8Array([1])));
  assert.equal(String(key), "OprfKey(<redacted>)");
  const shown = `${String(key)} ${JSON.stringify(key)} ${inspect(key)}`;
  assert.ok(!shown.includes(hex(secret)));
  assert.notDeepEqual(bm.OprfKey.generate().publicKey(), key.publicKey());
});

test("bad keys and inputs throw typed errors", () => {
  assert.throws(() => bm.OprfKey.derive(new Uint8Array(31), new Uint8Array()), {
    name: "ArgumentError",
    code: "invalid_argument",
  });
  assert.throws(() => bm.OprfKey.fromSecretBytes(new Uint8Array(32)), { code: "invalid_scalar" });
  assert.throws(() => bm.OprfKey.fromSecretBytes(new Uint8Array(32).fill(255)), { code: "invalid_scalar" });
  const key = bm.OprfKey.derive(new Uint8Array(32), new Uint8Array());
  assert.throws(() => key.evaluate(new Uint8Array(65536)), { name: "InputTooLongError", code: "input_too_long" });
  assert.equal(key.evaluate(new Uint8Array(65535)).length, 64);
  assert.throws(() => bm.OprfKey.derive(new Uint8Array(32), new Uint8Array(65536)), { code: "dst_too_long" });
});
