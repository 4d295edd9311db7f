import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, hex, prng, testing, unhex, vectors } from "./helpers.mjs";

function run(x, y, values, options = {}) {
  const { revealSumTo, minIntersection } = options;
  const acceptNoisy = options.noiseEpsilon !== undefined;
  const a = new bm.SumInitiator(x, { revealSumTo, minIntersection, acceptNoisy });
  const b = new bm.SumResponder(y, values, options);
  const finish = a.finish(b.respond(a.request()));
  a.result(b.finish(finish));
  return [a, b];
}

function naive(x, y, values) {
  const mine = new Set(x);
  const shared = new Set(y.filter((v) => mine.has(v)));
  const sums = {};
  for (const [name, col] of Object.entries(values)) {
    sums[name] = y.reduce((acc, v, i) => (shared.has(v) ? acc + BigInt(col[i]) : acc), 0n);
  }
  return [shared.size, sums];
}

test("golden vectors: same bytes as Rust and Python", () => {
  const g = vectors("golden_sum.json");
  const rc = g.receipts;
  const [ka, kb] = [rc.signing_key_a, rc.signing_key_b].map((k) => bm.SigningKey.fromSecretBytes(unhex(k)));
  for (const s of g.sessions) {
    const opts = {
      revealSumTo: s.reveal_sum_to,
      minIntersection: s.min_intersection,
      caseRef: rc.case_ref,
      legalBasis: rc.legal_basis,
    };
    const noise = s.noise ? { noiseEpsilon: s.noise.epsilon, noiseSensitivity: s.noise.sensitivity } : {};
    const a = new testing.SumInitiator(g.initiator_items, { ...opts, acceptNoisy: !!s.noise, rngSeed: unhex(s.initiator_rng_seed) });
    assert.equal(hex(a.request()), s.request, s.name);
    const b = new testing.SumResponder(g.responder_items, g.columns, {
      ...opts,
      ...noise,
      rngSeed: unhex(s.responder_rng_seed),
    });
    const response = b.respond(a.request());
    assert.equal(hex(response), s.response, s.name);
    const finish = a.finish(response);
    assert.equal(hex(finish), s.finish, s.name);
    const result = b.finish(finish);
    assert.equal(result === undefined ? null : hex(result), s.result, s.name);
    a.result(result);
    for (const [party, expected] of [
      [a, s.initiator],
      [b, s.responder],
    ]) {
      assert.equal(party.cardinality, expected.cardinality, s.name);
      const sums = party.sums === undefined ? null : Object.fromEntries(Object.entries(party.sums).map(([k, v]) => [k, v.toString()]));
      assert.deepEqual(sums, expected.sums, s.name);
    }
    assert.equal(a.proven, s.initiator.proven);
    assert.equal(a.noisy, s.initiator.noisy);
    assert.deepEqual(a.transcriptHash, b.transcriptHash);
    assert.equal(hex(a.transcriptHash), s.transcript_hash, s.name);
    const signed = a.receipt(ka, rc.signed_at);
    assert.equal(hex(signed), s.initiator_receipt, s.name);
    const both = bm.Receipt.countersign(signed, kb, b.sessionRecord, rc.countersigned_at);
    assert.equal(hex(both), s.countersigned_receipt, s.name);
  }
});

test("sums equal JavaScript's own over random sets with duplicates", () => {
  const rand = prng(21);
  for (let round = 0; round < 8; round++) {
    const pick = (n) => Array.from({ length: n }, () => `acct${Math.floor(rand() * 70)}`);
    const x = pick(Math.floor(rand() * 50));
    const y = pick(1 + Math.floor(rand() * 50));
    const values = {
      cents: y.map(() => Math.floor(rand() * 2 ** 26)),
      transfers: y.map(() => BigInt(Math.floor(rand() * 9))),
    };
    const [cardinality, sums] = naive(x, y, values);
    const [a, b] = run(x, y, values);
    assert.equal(a.cardinality, cardinality);
    assert.equal(b.cardinality, cardinality);
    const revealed = cardinality >= 5; // the default minIntersection
    assert.deepEqual(a.sums, revealed ? sums : undefined);
    assert.deepEqual(b.sums, revealed ? sums : undefined);
  }
});

test("the default minimum hides a total over fewer than five items", () => {
  const items = Array.from({ length: 10 }, (_, k) => `acct${k}`);
  let [a, b] = run(items.slice(0, 4), items, { v: items.map(() => 1000) });
  assert.deepEqual([a.cardinality, a.sums, b.sums], [4, undefined, undefined]);
  [a, b] = run(items.slice(0, 5), items, { v: items.map(() => 1000) });
  assert.deepEqual(a.sums, { v: 5000n });
});

test("the minimum, the responder-only setting, noise and 64-bit values", () => {
  let [a, b] = run(["x", "y", "z"], ["y", "z", "w"], { v: [1, 2, 3] }, { minIntersection: 3 });
  assert.deepEqual([a.cardinality, a.sums, b.sums], [2, undefined, undefined]);
  const i = new bm.SumInitiator(["x", "y"], { revealSumTo: "responder", minIntersection: 0 });
  const r = new bm.SumResponder(["y"], { v: [9] }, { revealSumTo: "responder", minIntersection: 0 });
  assert.equal(r.finish(i.finish(r.respond(i.request()))), undefined);
  i.result(undefined);
  assert.deepEqual([i.cardinality, i.sums, r.sums], [1, undefined, { v: 9n }]);
  const items = Array.from({ length: 30 }, (_, k) => `a${k}`);
  [a, b] = run(items, items, { v: items.map(() => 4) }, { noiseEpsilon: 1, noiseSensitivity: 4 });
  assert.deepEqual(b.sums, { v: 120n });
  assert.ok(a.noisy && !a.proven);
  // Unproven sums an initiator did not ask for are refused.
  const wary = new bm.SumInitiator(items);
  const noisy = new bm.SumResponder(items, { v: items.map(() => 4) }, { noiseEpsilon: 1, noiseSensitivity: 4 });
  const unproven = noisy.finish(wary.finish(noisy.respond(wary.request())));
  assert.throws(() => wary.result(unproven), bm.BadProofError);
  [a] = run(["k"], ["k", "k"], { v: new BigUint64Array([2n ** 62n, 2n ** 62n]) }, { valueBits: 64, minIntersection: 0 });
  assert.deepEqual(a.sums, { v: 2n ** 63n });
});

test("misuse, bad values and a forged result are refused", () => {
  const a = new bm.SumInitiator(["x", "y"], { minIntersection: 0 });
  assert.throws(() => a.cardinality, bm.StateError);
  assert.throws(() => a.result(undefined), bm.StateError);
  const b = new bm.SumResponder(["x", "y"], { v: [3, 4] }, { minIntersection: 0 });
  const finish = a.finish(b.respond(a.request()));
  assert.throws(() => b.respond(a.request()), bm.StateError);
  assert.equal(a.cardinality, 2);
  const result = b.finish(finish);
  const forged = result.slice();
  const at = 6 + 16 + 1 + 1 + 1; // the first limb sum: after session id, cardinality, kind, count
  assert.equal(forged[at], 7);
  forged[at] = 8;
  assert.throws(() => a.result(forged), bm.BadProofError);
  assert.throws(() => a.result(result), bm.BadProofError); // a failed party repeats its error
  assert.throws(() => new bm.SumResponder(["x"], { v: [-1] }), bm.ArgumentError);
  assert.throws(() => new bm.SumResponder(["x"], { v: [2 ** 53] }), bm.ArgumentError);
  assert.throws(() => new bm.SumResponder(["x"], { v: [2 ** 32] }), bm.InvalidConfigError);
  assert.throws(() => new bm.SumResponder(["x"], [[1]]), bm.ArgumentError);
  assert.throws(() => new bm.SumInitiator(["x"], { revealSumTo: "initiator" }), bm.ArgumentError);
  assert.throws(() => new bm.SumInitiator(["x"], { minIntersecton: 3 }), bm.ArgumentError);
  assert.throws(() => new bm.SumResponder(["x"], { v: [1] }, { noiseEpsilon: 1 }), bm.ArgumentError);
  const rs = new bm.RecordSet();
  assert.throws(() => new bm.SumInitiator(rs), bm.ArgumentError);
});

test("a sum that cannot decrypt is sum_out_of_range", () => {
  // The initiator claims a cardinality of 1 over two matched items' sums
  // of large values: the limb sum exceeds what one item allows.
  const a = new testing.SumInitiator(["x", "y"], { minIntersection: 0, rngSeed: new Uint8Array(32) });
  const b = new testing.SumResponder(["x", "y"], { v: [65535, 65535] }, { minIntersection: 0, rngSeed: new Uint8Array(32).fill(1) });
  const finish = a.finish(b.respond(a.request()));
  const claimed = finish.slice();
  assert.equal(claimed[6 + 16], 2);
  claimed[6 + 16] = 1;
  assert.throws(() => b.finish(claimed), bm.SumOutOfRangeError);
});
