import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, distinctCount, expectedIndices, hex, prng, seed, session, testing, unhex, vectors } from "./helpers.mjs";

const MODES = [
  { reveal: "intersection", output: "both" },
  { reveal: "intersection", output: "initiator" },
  { reveal: "cardinality", output: "both" },
  { reveal: "cardinality", output: "initiator" },
];

function randomSets(rand, n) {
  // Overlapping sets with duplicates, empty strings, non-ASCII and raw bytes;
  // "é" (U+00E9) and "e\u0301" are different items: no normalization here.
  const pool = Array.from({ length: 3 * n + 5 }, (_, i) =>
    i % 7 === 0 ? new Uint8Array([i & 0xff, (i >> 8) & 0xff, 0, 255]) : `item-${i}-${"é".repeat(i % 3)}`,
  );
  pool.push("", "e\u0301", "\u00e9", "李雷");
  const pick = (k) => Array.from({ length: k }, () => pool[Math.floor(rand() * pool.length)]);
  return [pick(Math.floor(rand() * n)), pick(Math.floor(rand() * n))];
}

for (const mode of MODES) {
  test(`${mode.reveal}/${mode.output} equals JavaScript's own set intersection`, () => {
    const rand = prng(mode.reveal.length * 10 + mode.output.length);
    for (let round = 0; round < 12; round++) {
      const [x, y] = randomSets(rand, round === 0 ? 1 : 60);
      const { a, b, finish } = session(x, y, mode);
      assert.equal(finish === undefined, mode.output === "initiator");
      const card = distinctCount(x, y);
      assert.equal(a.cardinality, card);
      assert.deepEqual(a.matches, mode.reveal === "intersection" ? expectedIndices(x, y) : []);
      if (mode.output === "both") {
        assert.equal(b.cardinality, card);
        assert.deepEqual(b.matches, mode.reveal === "intersection" ? expectedIndices(y, x) : []);
      } else {
        assert.throws(() => b.matches, { name: "StateError", code: "invalid_state" });
      }
    }
  });
}

test("empty sets on either side", () => {
  for (const [x, y] of [[[], []], [["a"], []], [[], ["a"]]]) {
    const { a, b } = session(x, y);
    assert.deepEqual(a.matches, []);
    assert.deepEqual(b.matches, []);
    assert.equal(a.cardinality, 0);
  }
});

test("a string and its UTF-8 bytes are the same item", () => {
  const { a, b } = session(["Zoë"], [new TextEncoder().encode("Zoë")]);
  assert.deepEqual(a.matches, [0]);
  assert.deepEqual(b.matches, [0]);
});

test("strings with unpaired surrogates are refused, not merged into U+FFFD", () => {
  // Both would become the bytes of "x\uFFFD" and falsely match each other.
  for (const bad of ["x\uD800", "x\uDC00", "\uDBFFy"]) {
    assert.throws(() => new bm.Initiator(["ok", bad]), (e) => {
      assert.ok(e instanceof bm.ArgumentError, String(e));
      assert.equal(e.code, "invalid_argument");
      assert.match(e.message, /items\[1\] has an unpaired surrogate/);
      assert.ok(!e.message.includes(bad), e.message);
      return true;
    });
  }
  assert.throws(() => new bm.RecordSet().add("r", { email: "a\uD800@example.org" }), bm.ArgumentError);
  assert.throws(() => new bm.RecordSet().add("r", { phone: { value: "\uDC00+44 20 7946 0958" } }), bm.ArgumentError);
  assert.throws(() => new bm.UnbalancedClient(["\uD83D"]), bm.ArgumentError);
  // A real U+FFFD and a well-formed pair (an emoji) are ordinary text.
  const { a } = session(["x\uFFFD", "\uD83D\uDE00"], [new TextEncoder().encode("x\uFFFD"), "\u{1F600}"]);
  assert.deepEqual(a.matches, [0, 1]);
});

test("golden vectors: same bytes as Rust and Python", () => {
  const g = vectors("golden_psi.json");
  for (const c of g.psi) {
    const opts = { reveal: c.reveal, output: c.output };
    const a = new testing.Initiator(g.initiator_items, { ...opts, rngSeed: unhex(c.initiator_rng_seed) });
    assert.equal(hex(a.request()), c.request, c.name);
    const b = new testing.Responder(g.responder_items, { ...opts, rngSeed: unhex(c.responder_rng_seed) });
    assert.equal(hex(b.respond(a.request())), c.response, c.name);
    const finish = a.finish(unhex(c.response));
    assert.equal(finish === undefined ? null : hex(finish), c.finish ?? null, c.name);
    b.finish(finish);
    assert.deepEqual(a.matches, c.initiator_matches, c.name);
    assert.equal(a.cardinality, c.initiator_cardinality, c.name);
    if (c.responder_matches !== null && c.responder_matches !== undefined) {
      assert.deepEqual(b.matches, c.responder_matches, c.name);
      assert.equal(b.cardinality, c.responder_cardinality, c.name);
    }
  }
});

test("seeded parties are reproducible, unseeded ones are not", () => {
  const one = new testing.Initiator(["a", "b"], { rngSeed: seed(3) }).request();
  const two = new testing.Initiator(["a", "b"], { rngSeed: seed(3) }).request();
  assert.deepEqual(one, two);
  const r1 = new bm.Initiator(["a", "b"]).request();
  const r2 = new bm.Initiator(["a", "b"]).request();
  assert.notDeepEqual(r1, r2);
});

test("messageType names every message of a session", () => {
  const a = new bm.Initiator(["a"]);
  const b = new bm.Responder(["a"]);
  const response = b.respond(a.request());
  assert.equal(bm.messageType(a.request()), "psi-request");
  assert.equal(bm.messageType(response), "psi-response");
  assert.equal(bm.messageType(a.finish(response)), "psi-finish");
});

test("a larger session (2,000 items per side) matches", () => {
  const x = Array.from({ length: 2000 }, (_, i) => `user${i}@example.org`);
  const y = Array.from({ length: 2000 }, (_, i) => `user${i * 3}@example.org`);
  const { a, b } = session(x, y);
  assert.deepEqual(a.matches, expectedIndices(x, y));
  assert.deepEqual(b.matches, expectedIndices(y, x));
});

test("deviating responder: one value raised with another key is bad_proof", () => {
  // Two responders answer one request; one value of the second (another
  // key) goes into the first's response. Offsets: header 6, session id 16,
  // two counts and the comparison length 3, public key 32, length 1.
  const a = new bm.Initiator(["a", "b", "c"]);
  const request = a.request();
  const honest = new bm.Responder(["b", "c", "d"]).respond(request);
  const other = new bm.Responder(["b", "c", "e"]).respond(request);
  const at = 6 + 16 + 3 + 32 + 1;
  assert.equal(honest[at - 1], 3 * 32);
  honest.set(other.subarray(at, at + 32), at);
  assert.throws(() => a.finish(honest), { name: "BadProofError", code: "bad_proof" });
});

test("proofs: 'trust_peer' on both sides matches; one side alone is refused", () => {
  const { a, b } = session(["a", "b", "c"], ["b", "c", "d"], { proofs: "trust_peer" });
  assert.deepEqual(a.matches, [1, 2]);
  assert.deepEqual(b.matches, [0, 1]);
  const lone = new bm.Initiator(["a"], { proofs: "trust_peer" });
  assert.throws(() => new bm.Responder(["a"]).respond(lone.request()), {
    name: "ConfigMismatchError",
    message: /proofs differ/,
  });
  assert.throws(() => new bm.Initiator(["a"], { proofs: "off" }), /trust_peer/);
});
