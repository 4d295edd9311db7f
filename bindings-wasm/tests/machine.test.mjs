// The one class shell: every protocol class takes any message it expects
// through consume() and says what it expects through expects(), so one loop
// drives every protocol; a message it does not expect now is refused and
// leaves the object as it was.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bm } from "./helpers.mjs";

/** Runs two parties with consume() only: each message goes to the other. */
function drive(a, request, b) {
  const queue = [[b, request]];
  while (queue.length > 0) {
    const [party, message] = queue.shift();
    const peer = party === b ? a : b;
    for (const out of party.consume(message)) queue.push([peer, out]);
  }
}

const ids = (prefix, from, to) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

for (const output of ["both", "initiator"]) {
  test(`balanced PSI (output ${output}) on one loop`, () => {
    const a = new bm.Initiator(ids("x", 0, 30), { output });
    const b = new bm.Responder(ids("x", 20, 50), { output });
    assert.deepEqual([a.expects(), b.expects()], [["psi-response"], ["psi-request"]]);
    drive(a, a.request(), b);
    assert.deepEqual([a.expects(), b.expects()], [[], []]);
    assert.deepEqual(a.matches, ids("", 20, 30).map(Number));
    assert.deepEqual(a.transcriptHash, b.transcriptHash);
    if (output === "both") {
      assert.deepEqual(b.matches, ids("", 0, 10).map(Number));
    } else {
      // Nothing can follow the response: it ended the responder's session
      // (the named steps wait for finish(undefined)).
      assert.throws(() => b.matches, { code: "invalid_state" });
    }
  });
}

for (const revealSumTo of ["both", "responder"]) {
  test(`intersection-sum (revealed to ${revealSumTo}) on one loop`, () => {
    const all = ids("acct", 0, 12);
    const a = new bm.SumInitiator(all.slice(0, 8), { revealSumTo, minIntersection: 0 });
    const b = new bm.SumResponder(all.slice(4), { v: [0, 1, 2, 3, 4, 5, 6, 7] }, { revealSumTo, minIntersection: 0 });
    assert.deepEqual([a.expects(), b.expects()], [["sum-response"], ["sum-request"]]);
    drive(a, a.request(), b);
    assert.deepEqual([a.expects(), b.expects()], [[], []]);
    assert.deepEqual(b.sums, { v: 6n });
    assert.deepEqual(a.sums, revealSumTo === "both" ? { v: 6n } : undefined);
    if (revealSumTo === "responder") a.result(undefined);
  });
}

test("a message not expected now leaves the object as it was", () => {
  const a = new bm.Initiator(["a", "b"]);
  const b = new bm.Responder(["b", "c"]);
  const [response] = b.consume(a.request());
  assert.throws(() => b.consume(a.request()), { code: "invalid_state" });
  assert.throws(() => b.consume(new Uint8Array([1, 2, 3])), (e) => e.code !== "invalid_state");
  assert.throws(() => a.consume(a.request()), { code: "invalid_state" });
  assert.equal(String(b), "Responder(live)");
  assert.deepEqual(b.expects(), ["psi-finish"]);
  const [finish] = a.consume(response);
  assert.deepEqual(b.consume(finish), []);
  assert.deepEqual([a.matches, b.matches], [[1], [0]]);
  assert.throws(() => b.consume(finish), { code: "invalid_state" });
});

test("a bad message of the expected kind fails the session", () => {
  const a = new bm.Initiator(["a"]);
  const b = new bm.Responder(["a"]);
  const response = b.respond(a.request());
  // Cut short: the envelope says psi-response, the body does not decode.
  assert.throws(() => a.consume(response.slice(0, -1)), (e) => e.code !== "invalid_state");
  assert.equal(String(a), "Initiator(failed)");
  assert.deepEqual(a.expects(), []);
});
