import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, expectedIndices, hex, prng, testing, unhex, vectors } from "./helpers.mjs";

test("matches and labels equal JavaScript's own lookup", () => {
  const rand = prng(11);
  const server = Array.from({ length: 3000 }, (_, i) => `acct-${i}`);
  const labels = server.map((s, i) => (i % 2 ? `label of ${s}` : new Uint8Array([i & 255, 1, 2])));
  const s = new bm.UnbalancedServer(server, { labels, queryBudget: "unlimited" });
  const digest = s.digest();
  assert.equal(bm.messageType(digest), "set-digest");
  for (let round = 0; round < 3; round++) {
    const mine = Array.from({ length: 200 }, () => `acct-${Math.floor(rand() * 6000)}`);
    const c = new bm.UnbalancedClient(mine, round === 2 ? { epoch: s.epoch } : undefined);
    assert.equal(bm.messageType(c.query()), "unbalanced-query");
    const answer = s.answer(c.query(), `client-${round}`);
    assert.equal(bm.messageType(answer), "unbalanced-answer");
    c.finish(answer, digest);
    const want = expectedIndices(mine, server);
    assert.deepEqual(c.matches, want);
    assert.deepEqual([...c.labels.keys()], want);
    for (const i of want) {
      const l = labels[Number(mine[i].slice(5))];
      assert.deepEqual(c.labels.get(i), typeof l === "string" ? new TextEncoder().encode(l) : l);
    }
  }
});

test("a restored key keeps the epoch, and the old digest stays valid", () => {
  const s = new bm.UnbalancedServer(["a", "b"], { fprBits: 20, labels: ["1", "2"], queryBudget: "unlimited" });
  const again = bm.UnbalancedServer.withKey(bm.OprfKey.fromSecretBytes(s.key.toSecretBytes()), ["a", "b"], {
    fprBits: 20,
    labels: ["1", "2"],
    queryBudget: "unlimited",
  });
  assert.deepEqual(again.epoch, s.epoch);
  assert.equal(s.epoch.length, 16);
  // A rebuild seals its labels under a fresh salt: other bytes, same answers.
  assert.notDeepEqual(again.digest(), s.digest());
  const c = new bm.UnbalancedClient(["b"]);
  c.finish(again.answer(c.query()), s.digest());
  assert.deepEqual(c.matches, [0]);
  assert.equal(new TextDecoder().decode(c.labels.get(0)), "2");
});

test("budgets count accepted queries per client", () => {
  const s = new bm.UnbalancedServer(["a"], { queryBudget: 2 });
  assert.equal(s.remainingBudget("x"), 2);
  s.answer(new bm.UnbalancedClient(["a"]).query(), "x");
  assert.equal(s.remainingBudget("x"), 1);
  assert.throws(() => s.answer(new Uint8Array(5), "x"), bm.ProtocolError);
  assert.equal(s.remainingBudget("x"), 1);
  assert.equal(new bm.UnbalancedServer(["a"], { queryBudget: "unlimited" }).remainingBudget("x"), undefined);
});

test("a SetDigest decoded once serves many clients with the same results", () => {
  const rand = prng(23);
  const server = Array.from({ length: 2000 }, (_, i) => `wallet-${i}`);
  const s = new bm.UnbalancedServer(server, { labels: server.map((w) => `ref ${w}`), fprBits: 32, queryBudget: "unlimited" });
  const decoded = new bm.SetDigest(s.digest());
  assert.equal(decoded.length, 2000);
  assert.equal(decoded.fprBits, 32);
  assert.equal(decoded.hasLabels, true);
  assert.deepEqual(decoded.epoch, s.epoch);
  assert.equal(String(decoded), "SetDigest(2000 items, 2^-32 false positives, labeled)");
  for (let round = 0; round < 4; round++) {
    const mine = Array.from({ length: 100 }, () => `wallet-${Math.floor(rand() * 4000)}`);
    const seed = new Uint8Array(32).fill(round);
    const byObject = new testing.UnbalancedClient(mine, { rngSeed: seed });
    const byBytes = new testing.UnbalancedClient(mine, { rngSeed: seed });
    byObject.finishWith(s.answer(byObject.query()), decoded);
    byBytes.finish(s.answer(byBytes.query()), s.digest());
    const want = expectedIndices(mine, server);
    assert.deepEqual(byObject.matches, want);
    assert.deepEqual(byBytes.matches, want);
    assert.deepEqual(byObject.labels, byBytes.labels);
  }
  const plain = new bm.SetDigest(new bm.UnbalancedServer(["a"], { queryBudget: "unlimited" }).digest());
  assert.equal(plain.hasLabels, false);
  assert.equal(plain.fprBits, 40);
});

test("a SetDigest keeps the digest's checks", () => {
  const s1 = new bm.UnbalancedServer(["a", "b"], { queryBudget: "unlimited" });
  const s2 = new bm.UnbalancedServer(["a", "b"], { queryBudget: "unlimited" });
  assert.throws(() => new bm.SetDigest(s1.digest().slice(0, -1)), { name: "MalformedError", code: "malformed" });
  const c = new bm.UnbalancedClient(["a"]);
  assert.throws(() => new bm.SetDigest(c.query()), { name: "WrongMessageTypeError", code: "wrong_message_type" });
  assert.throws(() => c.finishWith(s2.answer(c.query()), new bm.SetDigest(s1.digest())), {
    name: "EpochMismatchError",
    code: "epoch_mismatch",
  });
  // The failed client repeats its error.
  assert.throws(() => c.finishWith(s1.answer(c.query()), new bm.SetDigest(s1.digest())), {
    name: "EpochMismatchError",
    code: "epoch_mismatch",
  });
  // Bytes where a SetDigest belongs are refused before the client is touched.
  const c2 = new bm.UnbalancedClient(["a"]);
  assert.throws(() => c2.finishWith(s1.answer(c2.query()), s1.digest()), /expected instance of SetDigest/);
  c2.finishWith(s1.answer(c2.query()), new bm.SetDigest(s1.digest()));
  assert.deepEqual(c2.matches, [0]);
  const freed = new bm.SetDigest(s1.digest());
  freed.free();
  assert.throws(() => new bm.UnbalancedClient(["a"]).finishWith(new Uint8Array(0), freed));
});

test("golden unbalanced messages: same bytes as Rust and Python", () => {
  const g = vectors("golden_psi.json").unbalanced;
  const key = bm.OprfKey.derive(unhex(g.key_seed), unhex(g.key_info));
  const server = new testing.UnbalancedServer(g.server_items, {
    rngSeed: unhex(g.server_rng_seed),
    key,
    labels: g.labels,
    queryBudget: 100,
  });
  assert.equal(hex(server.digest()), g.digest);
  const client = new testing.UnbalancedClient(g.client_items, { rngSeed: unhex(g.client_rng_seed) });
  assert.equal(hex(client.query()), g.query);
  const answer = server.answer(client.query(), "golden");
  assert.equal(hex(answer), g.answer);
  client.finish(answer, server.digest());
  assert.deepEqual(client.matches, g.matches);
  assert.deepEqual(client.matches.map((i) => new TextDecoder().decode(client.labels.get(i))), g.matched_labels);
});

test("deviating server: an answer under another key than the digest's is bad_proof", () => {
  const honest = new bm.UnbalancedServer(["a", "b", "c"], { queryBudget: "unlimited" });
  const other = new bm.UnbalancedServer(["a", "b", "c"], { queryBudget: "unlimited" });
  const digest = new bm.SetDigest(honest.digest());
  assert.deepEqual(digest.publicKey, honest.key.publicKey());
  const c = new bm.UnbalancedClient(["a", "z"]);
  const answer = Uint8Array.from(other.answer(c.query()));
  answer.set(honest.epoch, 22); // dressed up as the digest's epoch
  assert.throws(() => c.finishWith(answer, digest), (e) => e.code === "bad_proof");
});
