import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, prng } from "./helpers.mjs";

function split(secret, items) {
  const parts = Array.from({ length: secret.parts }, () => ({ ids: [], items: [] }));
  secret.partsOf(items).forEach((p, i) => {
    parts[p].ids.push(i);
    parts[p].items.push(items[i]);
  });
  return parts;
}

function onePart(secret, parts, step) {
  return parts.map((p, i) => step(secret, i, p.items));
}

function result(secret, own, reblinded, finish, cardinality) {
  if (cardinality) {
    return { matches: [], cardinality: reblinded.reduce((n, r, k) => n + bm.countPart(secret, k, r, finish[k]), 0) };
  }
  const flags = bm.join(secret, (kind, i) => (kind === "reblinded" ? reblinded : finish)[i], 2);
  const matches = [];
  const values = new Set();
  own.forEach((p, i) => {
    for (const at of bm.matchesPart(secret, i, p.items, flags[i])) {
      matches.push(p.ids[at]);
      values.add(p.items[at]);
    }
  });
  return { matches: matches.sort((x, y) => x - y), cardinality: values.size };
}

function partitioned(a, b, options, pI, pR) {
  const cardinality = options.reveal === "cardinality";
  const si = bm.PartySecret.initiator(pI, options);
  const worker = bm.PartySecret.fromBytes(si.toBytes());
  const aParts = split(worker, a);
  const request = onePart(worker, aParts, bm.requestPart);
  const requestManifest = si.manifest("request", request);
  const sr = bm.PartySecret.responder(requestManifest, pR, options);
  const bParts = split(sr, b);
  const elements = onePart(sr, bParts, bm.elementsPart);
  const elementsManifest = sr.manifest("elements", elements);
  let reblinded = request.map((p, i) => bm.reblindPart(sr, i, p));
  if (cardinality) reblinded = request.map((_, k) => bm.mixPart(sr, "reblinded", k, reblinded));
  const reblindedManifest = sr.manifest("reblinded", reblinded);
  si.accept(elementsManifest);
  si.accept(reblindedManifest);
  let finish = elements.map((p, j) => bm.finishPart(si, j, p));
  if (cardinality) finish = request.map((_, k) => bm.mixPart(si, "finish", k, finish));
  const finishManifest = si.manifest("finish", finish);
  const mine = result(si, aParts, reblinded, finish, cardinality);
  if (options.output === "initiator") return [mine, undefined];
  sr.accept(finishManifest);
  return [mine, result(sr, bParts, reblinded, finish, cardinality)];
}

function oneProcess(a, b, options) {
  const x = new bm.Initiator(a, options);
  const y = new bm.Responder(b, options);
  y.finish(x.finish(y.respond(x.request())));
  const mine = { matches: x.matches, cardinality: x.cardinality };
  return [mine, options.output === "initiator" ? undefined : { matches: y.matches, cardinality: y.cardinality }];
}

test("partitioned sessions give the one-process results in every mode and split", () => {
  const rand = prng(5);
  const a = Array.from({ length: 150 }, () => `+3161${String(Math.floor(rand() * 250)).padStart(6, "0")}`);
  const b = Array.from({ length: 120 }, () => `+3161${String(Math.floor(rand() * 250)).padStart(6, "0")}`);
  for (const reveal of ["intersection", "cardinality"]) {
    for (const output of ["both", "initiator"]) {
      const expected = oneProcess(a, b, { reveal, output });
      for (const [pI, pR] of [[1, 1], [2, 3], [7, 64]]) {
        assert.deepEqual(partitioned(a, b, { reveal, output }, pI, pR), expected, `${reveal}/${output} ${pI},${pR}`);
      }
    }
  }
});

test("parts out of place, foreign or missing are refused", () => {
  const si = bm.PartySecret.initiator(2);
  const parts = split(si, ["x", "y", "z"]);
  const request = onePart(si, parts, bm.requestPart);
  assert.equal(bm.messageType(request[0]), "part");
  const manifest = si.manifest("request", request);
  assert.equal(bm.messageType(manifest), "manifest");
  const sr = bm.PartySecret.responder(manifest, 1);
  sr.manifest("elements", [bm.elementsPart(sr, 0, ["y"])]);
  assert.throws(() => bm.reblindPart(sr, 1, request[0]), bm.PartMismatchError);
  assert.throws(() => bm.reblindPart(sr, 0, bm.requestPart(bm.PartySecret.initiator(2), 0, [])), bm.SessionMismatchError);
  assert.throws(() => si.manifest("request", [request[0]]), bm.MissingPartError);
  assert.throws(() => si.manifest("request", [request[0], request[0]]), bm.DuplicatePartError);
  assert.throws(() => bm.PartySecret.initiator(2).manifest("request", request), bm.SessionMismatchError);
  assert.throws(() => si.manifest("nonsense", request), bm.ArgumentError);
});

test("an error the part loader throws reaches the caller of join", () => {
  const si = bm.PartySecret.initiator(1);
  const request = [bm.requestPart(si, 0, ["a", "b"])];
  const sr = bm.PartySecret.responder(si.manifest("request", request), 1);
  const elements = [bm.elementsPart(sr, 0, ["b"])];
  si.accept(sr.manifest("elements", elements));
  si.accept(sr.manifest("reblinded", [bm.reblindPart(sr, 0, request[0])]));
  si.manifest("finish", [bm.finishPart(si, 0, elements[0])]);
  assert.throws(() => bm.join(si, () => { throw new RangeError("no such part"); }), RangeError);
  assert.throws(() => bm.join(si, () => "not bytes"), bm.ArgumentError);
});
