// Saved sessions (savePartySession / restorePartySession) and sealing: a
// partitioned session saved between two steps, sealed, unsealed and
// restored, finishes as if it had stayed in memory; a damaged file, a
// wrong passphrase or a state of another kind throw typed errors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bm } from "./helpers.mjs";

function records(rows) {
  const rs = new bm.RecordSet({});
  for (const [id, email] of rows) rs.add(id, { email });
  return rs;
}

/** Both parties in one part each; the initiator is saved after its request. */
function session(saveAndRestore) {
  const a = records([["a1", "x@example.com"], ["a2", "y@example.com"], ["a3", "z@example.com"]]);
  const b = records([["b1", "Y@example.com"], ["b2", "w@example.com"]]);
  let si = bm.PartySecret.initiator(1, {});
  let itemsA = a.keys();
  const request = [bm.requestPart(si, 0, itemsA)];
  const requestManifest = si.manifest("request", request);
  let indexA = a;
  if (saveAndRestore) {
    const sealed = bm.seal(bm.savePartySession(si, itemsA, [], a), "correct horse");
    assert.ok(bm.isSealed(sealed));
    const back = bm.restorePartySession(bm.unseal(sealed, "correct horse"));
    si = back.secret;
    itemsA = back.items;
    indexA = back.records;
    assert.deepEqual(back.kept, []);
    assert.equal(indexA.length, 3);
  }
  const sr = bm.PartySecret.responder(requestManifest, 1, {});
  const elements = [bm.elementsPart(sr, 0, b.keys())];
  const elementsManifest = sr.manifest("elements", elements);
  const reblinded = [bm.reblindPart(sr, 0, request[0])];
  const reblindedManifest = sr.manifest("reblinded", reblinded);
  si.accept(elementsManifest);
  si.accept(reblindedManifest);
  const finish = [bm.finishPart(si, 0, elements[0])];
  si.manifest("finish", finish);
  const flags = bm.join(si, (kind, i) => (kind === "reblinded" ? reblinded : finish)[i]);
  const matched = bm.matchesPart(si, 0, itemsA, flags[0]);
  return indexA.recordMatchesAt(matched);
}

test("a saved, sealed and restored session finishes like one kept in memory", () => {
  const want = [{ recordId: "a2", kinds: ["email"] }];
  assert.deepEqual(session(false), want);
  assert.deepEqual(session(true), want);
});

test("a responder keeps its reblinded parts across a save", () => {
  const si = bm.PartySecret.initiator(1, {});
  const request = [bm.requestPart(si, 0, ["a", "b"])];
  const sr = bm.PartySecret.responder(si.manifest("request", request), 1, {});
  sr.manifest("elements", [bm.elementsPart(sr, 0, ["b", "c"])]);
  const reblinded = bm.reblindPart(sr, 0, request[0]);
  const back = bm.restorePartySession(bm.savePartySession(sr, ["b", "c"], [reblinded]));
  assert.deepEqual(back.kept, [reblinded]);
  assert.deepEqual(back.items.map((i) => Buffer.from(i).toString()), ["b", "c"]);
  assert.equal(back.records, undefined);
  assert.deepEqual(back.secret.toBytes(), sr.toBytes());
});

test("wrong passphrases, damaged files and other states throw typed errors", () => {
  const si = bm.PartySecret.initiator(1, {});
  const saved = bm.savePartySession(si, ["a"], []);
  const sealed = bm.seal(saved, "pw");
  assert.throws(() => bm.unseal(sealed, "not pw"), bm.WrongPassphraseError);
  const changed = sealed.slice();
  changed[changed.length - 1] ^= 1;
  assert.throws(() => bm.unseal(changed, "pw"), bm.WrongPassphraseError);
  assert.throws(() => bm.unseal(saved, "pw"), bm.BadStateError);
  assert.throws(() => bm.restorePartySession(sealed), bm.BadStateError);
  assert.throws(() => bm.restorePartySession(saved.slice(0, saved.length - 2)), bm.BadStateError);
  assert.throws(() => bm.restorePartySession(new Uint8Array([1, 2, 3])), bm.BadStateError);
  assert.throws(() => bm.seal(saved, ""), bm.InvalidConfigError);
  // A RecordSet whose keys are not the items is refused.
  assert.throws(() => bm.savePartySession(si, ["a", "b"], [], records([["r", "x@example.com"]])), bm.ArgumentError);
  assert.throws(() => bm.savePartySession(si, ["a"], [], {}), bm.ArgumentError);
});
