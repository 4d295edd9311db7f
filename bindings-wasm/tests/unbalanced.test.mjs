import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, expectedIndices, prng } from "./helpers.mjs";

test("matches and labels equal JavaScript's own lookup", () => {
  const rand = prng(11);
  const server = Array.from({ length: 3000 }, (_, i) => `acct-${i}`);
  const labels = server.map((s, i) => (i % 2 ? `label of ${s}` : new Uint8Array([i & 255, 1, 2])));
  const s = new bm.UnbalancedServer(server, { labels });
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

test("a restored key gives the same epoch and digest", () => {
  const s = new bm.UnbalancedServer(["a", "b"], { fprBits: 20 });
  const again = bm.UnbalancedServer.withKey(bm.OprfKey.fromSecretBytes(s.key.toSecretBytes()), ["a", "b"], {
    fprBits: 20,
  });
  assert.deepEqual(again.epoch, s.epoch);
  assert.deepEqual(again.digest(), s.digest());
  assert.equal(s.epoch.length, 16);
});

test("budgets count accepted queries per client", () => {
  const s = new bm.UnbalancedServer(["a"], { queryBudget: 2 });
  assert.equal(s.remainingBudget("x"), 2);
  s.answer(new bm.UnbalancedClient(["a"]).query(), "x");
  assert.equal(s.remainingBudget("x"), 1);
  assert.throws(() => s.answer(new Uint8Array(5), "x"), { name: "ProtocolError" });
  assert.equal(s.remainingBudget("x"), 1);
  assert.equal(new bm.UnbalancedServer(["a"]).remainingBudget("x"), undefined);
});
