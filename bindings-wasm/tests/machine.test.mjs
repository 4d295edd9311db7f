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

/**
 * Members and hub driven by consume() only: a hop goes where the session
 * routes it, a commitment or tags to the hub under the sender's name, the
 * roster and the result to every member; a message its party does not
 * expect yet (a hop before the roster) waits its turn.
 */
function multiPartyOnOneLoop(session, lists) {
  const bytes = session.toBytes();
  const members = new Map(session.agencies.map((me, i) => [me, new bm.MultiPartyMember(lists[i], bytes, me)]));
  const hub = new bm.MultiPartyHub(bytes);
  const queue = []; // [party, message, sender]
  for (const [me, m] of members) {
    const hop = m.start();
    queue.push([members.get(session.route(hop)), hop, undefined], [hub, m.commitment(), me]);
  }
  while (queue.length > 0) {
    const [party, message, sender] = queue.shift();
    if (!party.expects().includes(bm.messageType(message))) {
      queue.push([party, message, sender]);
      continue;
    }
    for (const out of party.consume(message, sender)) {
      const kind = bm.messageType(out);
      if (kind === "multi-hop") queue.push([members.get(session.route(out)), out, undefined]);
      else if (kind === "multi-tags") queue.push([hub, out, party.name]);
      else {
        assert.ok(party === hub && ["multi-roster", "multi-result"].includes(kind));
        for (const m of members.values()) queue.push([m, out, undefined]);
      }
    }
  }
  return { members, hub };
}

test("a multi-party session on one loop", () => {
  const lists = [0, 5, 10, 12].map((j) => ids("s", j, j + 20));
  const session = new bm.MultiPartySession(["NL", "DE", "FR", "BE"], { threshold: 3 });
  assert.deepEqual(new bm.MultiPartyHub(session.toBytes()).expects(), ["multi-commit"]);
  const { members, hub } = multiPartyOnOneLoop(session, lists);
  assert.deepEqual([hub.expects(), hub.missing], [[], []]);
  const held = (x) => lists.filter((l) => l.includes(x)).length;
  [...members.values()].forEach((m, i) => {
    assert.deepEqual(m.expects(), []);
    assert.equal(String(m), `MultiPartyMember(${m.name}, finished)`);
    assert.deepEqual(m.matches, lists[i].flatMap((x, j) => (held(x) >= 3 ? [j] : [])));
    assert.equal(bm.messageType(m.tags()), "multi-tags"); // what it sent, still readable
  });
  const [nl, hubKey] = [bm.SigningKey.generate(), bm.SigningKey.generate()];
  const signed = hub.countersign(members.get("NL").receipt(nl), hubKey);
  assert.ok(bm.Receipt.verify(signed, [nl.publicKey(), hubKey.publicKey()]));
});

test("the hub takes a message only with its sender", () => {
  const session = new bm.MultiPartySession(["NL", "DE", "FR"]);
  const hub = new bm.MultiPartyHub(session.toBytes());
  const nl = new bm.MultiPartyMember(["a"], session.toBytes(), "NL");
  nl.start();
  assert.throws(() => hub.consume(nl.commitment()), { code: "invalid_state", message: /name/ });
  // Under another agency's name: refused, and the hub still waits for all.
  assert.throws(() => hub.consume(nl.commitment(), "DE"), bm.BlindmatchError);
  assert.deepEqual([hub.expects(), hub.missing], [["multi-commit"], ["NL", "DE", "FR"]]);
  assert.deepEqual(hub.consume(nl.commitment(), "NL"), []);
  assert.deepEqual(hub.missing, ["DE", "FR"]);
});

test("a watch list on one loop", () => {
  const server = new bm.UnbalancedServer(ids("w", 0, 50), { queryBudget: 10 });
  const client = new bm.UnbalancedClient(["w3", "w7", "x"], { epoch: server.epoch });
  assert.deepEqual([server.expects(), client.expects()], [["unbalanced-query"], ["unbalanced-answer"]]);
  const [answer] = server.consume(client.query(), "c1");
  // The budget is the sender's: c1 spent 3 of 10, nobody else anything.
  assert.deepEqual([server.remainingBudget("c1"), server.remainingBudget("c2")], [7, 10]);
  // The client needs the server's digest before an answer means anything.
  assert.throws(() => client.consume(answer), { code: "invalid_state", message: /digest/ });
  assert.deepEqual(client.expects(), ["unbalanced-answer"]);
  client.finish(answer, server.digest());
  assert.deepEqual([client.matches, client.expects()], [[0, 1], []]);
});
