import assert from "node:assert/strict";
import { test } from "node:test";

import { bm } from "./helpers.mjs";

const STATE = { name: "StateError", code: "invalid_state" };

test("initiator: results before finish, finish twice, use after a failed finish", () => {
  const a = new bm.Initiator(["a", "b"]);
  assert.throws(() => a.matches, STATE);
  assert.throws(() => a.cardinality, STATE);
  const b = new bm.Responder(["a"]);
  const response = b.respond(a.request());
  a.finish(response);
  assert.match(String(a), /finished/);
  assert.throws(() => a.finish(response), { ...STATE, message: /already/ });
  assert.deepEqual(a.matches, [0]);
  assert.throws(() => a.recordMatches, { ...STATE, message: /RecordSet/ });

  // A failed session throws the error that ended it again, as itself.
  const failed = new bm.Initiator(["a"]);
  const first = { name: "MalformedError", code: "malformed" };
  assert.throws(() => failed.finish(new Uint8Array([1, 2, 3])), first);
  assert.throws(() => failed.finish(response), first);
  assert.throws(() => failed.matches, first);
  assert.equal(String(failed), "Initiator(failed)");
});

test("responder: steps out of order and twice", () => {
  const a = new bm.Initiator(["a"]);
  const b = new bm.Responder(["a"]);
  assert.throws(() => b.finish(new Uint8Array(8)), { ...STATE, message: /respond\(\) must come first/ });
  assert.throws(() => b.matches, STATE);
  const response = b.respond(a.request());
  assert.throws(() => b.respond(a.request()), { ...STATE, message: /already/ });
  b.finish(a.finish(response));
  assert.throws(() => b.finish(new Uint8Array(8)), { ...STATE, message: /finished/ });
  assert.deepEqual(b.matches, [0]);
});

test("a responder that rejects a message stays failed", () => {
  const b = new bm.Responder(["a"]);
  assert.throws(() => b.respond(new Uint8Array(10)), bm.ProtocolError);
  assert.throws(() => b.respond(new bm.Initiator(["a"]).request()), { name: "BadMagicError", code: "bad_magic" });
});

test("only the initiator learns the output when output is 'initiator'", () => {
  const a = new bm.Initiator(["a", "b"], { output: "initiator" });
  const b = new bm.Responder(["b"], { output: "initiator" });
  assert.equal(a.finish(b.respond(a.request())), undefined);
  b.finish(undefined);
  assert.deepEqual(a.matches, [1]);
  assert.throws(() => b.cardinality, { ...STATE, message: /no output/ });
});

test("unbalanced client: results before finish, finish twice", () => {
  const s = new bm.UnbalancedServer(["a"], { queryBudget: "unlimited" });
  const c = new bm.UnbalancedClient(["a", "z"]);
  assert.throws(() => c.matches, STATE);
  const answer = s.answer(c.query());
  c.finish(answer, s.digest());
  assert.throws(() => c.finish(answer, s.digest()), { ...STATE, message: /already/ });
  assert.deepEqual(c.matches, [0]);
});

test("a freed object is unusable, and a freed RecordSet is not taken for items", () => {
  const a = new bm.Initiator(["a"]);
  a.free();
  assert.throws(() => a.request());
  const rs = new bm.RecordSet();
  rs.add("r", { email: "a@example.org" });
  rs.free();
  assert.throws(() => new bm.Initiator(rs), { name: "ArgumentError" });
});

test("a session keeps the RecordSet as it was when the party was created", () => {
  const rs = new bm.RecordSet();
  rs.add("r1", { email: "a@example.org" });
  const a = new bm.Initiator(rs);
  rs.add("r2", { email: "b@example.org" });
  const theirs = new bm.RecordSet();
  theirs.add("x", { email: "b@example.org" });
  theirs.add("y", { email: "a@example.org" });
  const b = new bm.Responder(theirs);
  a.finish(b.respond(a.request()));
  assert.deepEqual(a.recordMatches, [{ recordId: "r1", kinds: ["email"] }]);
  assert.equal(rs.length, 2);
});
