import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, hex, testing, unhex, vectors } from "./helpers.mjs";

const CASE = { caseRef: "NL-2026-0142", legalBasis: "MLAT art. 18" };

function session(options = {}) {
  const a = new bm.Initiator(["a", "b", "c"], { ...CASE, ...options });
  const b = new bm.Responder(["c", "d", "a"], { ...CASE, ...options });
  b.finish(a.finish(b.respond(a.request())));
  return [a, b];
}

test("both parties hold one transcript; a countersigned receipt verifies under both keys", () => {
  const [a, b] = session();
  assert.deepEqual(a.transcriptHash, b.transcriptHash);
  assert.equal(a.transcriptHash.length, 64);
  const ka = bm.SigningKey.generate();
  const kb = bm.SigningKey.generate();
  const r2 = bm.Receipt.countersign(a.receipt(ka), kb, b.sessionRecord);
  const fields = bm.Receipt.verify(r2, [ka.publicKey(), kb.publicKey()]);
  assert.equal(fields.case_ref, "NL-2026-0142");
  assert.equal(fields.cardinality, 2);
  assert.equal(fields.role, "initiator");
  assert.equal(fields.transcript_hash, hex(b.transcriptHash));
  assert.equal(fields.countersigner, hex(kb.publicKey()));
  assert.deepEqual(JSON.parse(bm.Receipt.toJson(r2, [ka.publicKey(), kb.publicKey()])), fields);
  assert.equal(bm.messageType(r2), "receipt");
  assert.ok(!String(ka).includes(hex(ka.toSecretBytes())));
});

test("a flipped byte, a wrong key or a receipt of another session is refused", () => {
  const [a, b] = session();
  const ka = bm.SigningKey.generate();
  const kb = bm.SigningKey.generate();
  const r2 = bm.Receipt.countersign(a.receipt(ka), kb, b.sessionRecord);
  const keys = [ka.publicKey(), kb.publicKey()];
  for (let i = 0; i < r2.length; i++) {
    const bad = r2.slice();
    bad[i] ^= 1;
    assert.throws(() => bm.Receipt.verify(bad, keys), bm.BlindmatchError, `byte ${i}`);
  }
  assert.throws(() => bm.Receipt.verify(r2, [ka.publicKey(), bm.SigningKey.generate().publicKey()]), bm.BadSignatureError);
  const [a2] = session();
  assert.throws(() => bm.Receipt.countersign(a2.receipt(ka), kb, b.sessionRecord), bm.ReceiptMismatchError);
  assert.throws(() => bm.Receipt.verify(r2, [new Uint8Array(3)]), bm.InvalidKeyError);
  assert.throws(() => new bm.Initiator(["a"]).receipt(ka), bm.StateError);
  assert.throws(() => new bm.Initiator(["a"], { caseRef: "x\ny" }), bm.InvalidConfigError);
});

test("the unbalanced server's budget has no default", () => {
  assert.throws(() => new bm.UnbalancedServer(["a"]), bm.ArgumentError);
  assert.throws(() => new bm.UnbalancedServer(["a"], { queryBudget: "lots" }), bm.ArgumentError);
  assert.throws(() => new bm.UnbalancedServer(["a"], { queryBudget: -1 }), bm.ArgumentError);
  assert.equal(new bm.UnbalancedServer(["a"], { queryBudget: 7 }).remainingBudget("x"), 7);
});

test("golden receipts: same bytes as Rust and Python", () => {
  const g = vectors("golden_psi.json");
  const rc = g.receipts;
  const ka = bm.SigningKey.fromSecretBytes(unhex(rc.signing_key_a));
  const kb = bm.SigningKey.fromSecretBytes(unhex(rc.signing_key_b));
  assert.equal(hex(ka.publicKey()), rc.public_key_a);
  const c = { caseRef: rc.case_ref, legalBasis: rc.legal_basis };
  for (const s of g.psi) {
    const mode = { reveal: s.reveal, output: s.output, ...c };
    const a = new testing.Initiator(g.initiator_items, { rngSeed: unhex(s.initiator_rng_seed), ...mode });
    const b = new testing.Responder(g.responder_items, { rngSeed: unhex(s.responder_rng_seed), ...mode });
    b.finish(a.finish(b.respond(a.request())));
    assert.equal(hex(a.transcriptHash), s.transcript_hash);
    const signed = a.receipt(ka, rc.signed_at);
    assert.equal(hex(signed), s.initiator_receipt, s.name);
    assert.equal(hex(bm.Receipt.countersign(signed, kb, b.sessionRecord, rc.countersigned_at)), s.countersigned_receipt);
  }
  const u = g.unbalanced;
  const key = bm.OprfKey.derive(unhex(u.key_seed), unhex(u.key_info));
  const server = new testing.UnbalancedServer(u.server_items, {
    rngSeed: unhex(u.server_rng_seed), key, labels: u.labels, queryBudget: 100,
  });
  const client = new testing.UnbalancedClient(u.client_items, { rngSeed: unhex(u.client_rng_seed), ...c });
  client.finish(server.answer(client.query(), "golden"), server.digest());
  assert.equal(hex(client.transcriptHash), u.transcript_hash);
  assert.equal(hex(client.receipt(ka, rc.signed_at)), u.client_receipt);
});

test("a countersigner told of its case refuses a receipt of another case, or dated after it countersigns", () => {
  const [a, b] = session();
  const ka = bm.SigningKey.generate();
  const kb = bm.SigningKey.generate();
  const r = a.receipt(ka);
  assert.throws(() => bm.Receipt.countersign(r, kb, b.sessionRecord, undefined, "NL-2026-0999"), bm.ReceiptMismatchError);
  assert.throws(() => bm.Receipt.countersign(r, kb, b.sessionRecord, undefined, undefined, "another treaty"), bm.ReceiptMismatchError);
  assert.throws(() => bm.Receipt.countersign(r, kb, b.sessionRecord, 1), bm.ReceiptMismatchError);
  const both = bm.Receipt.countersign(r, kb, b.sessionRecord, undefined, "NL-2026-0142", "MLAT art. 18");
  assert.equal(bm.Receipt.verify(both, [ka.publicKey(), kb.publicKey()]).case_ref, "NL-2026-0142");
});

for (const revealSumTo of ["both", "responder"]) {
  test(`an intersection-sum (revealed to ${revealSumTo}) leaves a record both parties sign`, () => {
    const ids = Array.from({ length: 10 }, (_, i) => `acct${i}`);
    const options = { ...CASE, revealSumTo, minIntersection: 0 };
    const run = () => {
      const a = new bm.SumInitiator(ids.slice(0, 6), options);
      const b = new bm.SumResponder(ids.slice(3), { eur: [0, 1, 2, 3, 4, 5, 6] }, options);
      a.result(b.finish(a.finish(b.respond(a.request()))));
      return [a, b];
    };
    const [a, b] = run();
    assert.deepEqual(a.transcriptHash, b.transcriptHash);
    const [ka, kb] = [bm.SigningKey.generate(), bm.SigningKey.generate()];
    const both = bm.Receipt.countersign(a.receipt(ka), kb, b.sessionRecord);
    const fields = bm.Receipt.verify(both, [ka.publicKey(), kb.publicKey()]);
    assert.deepEqual(
      [fields.protocol, fields.output, fields.role, fields.own_count, fields.peer_count, fields.cardinality],
      ["sum", revealSumTo, "initiator", 6, 7, 3],
    );
    assert.equal(fields.case_ref, CASE.caseRef);
    // Another sum's record does not vouch for this receipt.
    const [, other] = run();
    assert.throws(() => bm.Receipt.countersign(a.receipt(ka), kb, other.sessionRecord), bm.ReceiptMismatchError);
  });
}
