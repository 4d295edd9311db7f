import assert from "node:assert/strict";
import { test } from "node:test";

import { bm, hex, prng, testing, unhex, vectors } from "./helpers.mjs";

/** Every member starts and commits at the hub, and takes its roster. */
function opened(session, members) {
  const hub = new bm.MultiPartyHub(session.toBytes());
  const first = new Map(members.map((m) => [m.name, m.start()]));
  for (const m of members) hub.commit(m.name, m.commitment());
  const roster = hub.roster();
  for (const m of members) m.acceptRoster(roster);
  return { first, hub };
}

/** Every agency's values round the ring, tags to the hub, the result back. */
function run(session, lists, members) {
  const names = session.agencies;
  members ??= names.map((me, i) => new bm.MultiPartyMember(lists[i], session.toBytes(), me));
  const byName = new Map(members.map((m) => [m.name, m]));
  const { first: flight, hub } = opened(session, members);
  for (let hop = 1; hop < names.length; hop++) {
    for (const [owner, msg] of flight) flight.set(owner, byName.get(session.route(msg)).forward(msg));
  }
  for (const [owner, msg] of flight) {
    assert.equal(session.route(msg), owner);
    byName.get(owner).complete(msg);
  }
  for (const m of members) hub.add(m.name, m.tags());
  const result = hub.result();
  for (const m of members) m.finish(result);
  return { members, hub, result };
}

function naive(lists, threshold) {
  const sets = lists.map((l) => new Set(l));
  return lists.map((l) => {
    const held = l.map((x) => sets.filter((s) => s.has(x)).length);
    const idx = held.flatMap((h, i) => (h >= threshold ? [i] : []));
    return [idx, idx.map((i) => held[i])];
  });
}

test("golden vectors: same bytes as Rust and Python", () => {
  const g = vectors("golden_multiparty.json");
  for (const s of g.sessions) {
    const names = s.agencies;
    const session = new testing.MultiPartySession(names, {
      threshold: s.threshold,
      revealCounts: s.reveal_counts,
      rngSeed: unhex(s.hub_rng_seed),
    });
    assert.equal(hex(session.toBytes()), s.session, s.name);
    const members = names.map(
      (me, i) => new testing.MultiPartyMember(g.lists[i], unhex(s.session), me, { rngSeed: unhex(s.member_rng_seeds[i]) }),
    );
    const k = names.length;
    const hub = new bm.MultiPartyHub(session.toBytes());
    const starts = members.map((m) => m.start());
    members.forEach((m, i) => {
      assert.equal(hex(m.commitment()), s.commitments[i]);
      hub.commit(m.name, m.commitment());
    });
    assert.equal(hex(hub.roster()), s.roster);
    for (const m of members) m.acceptRoster(hub.roster());
    s.hops.forEach((hops, owner) => {
      let msg = starts[owner];
      assert.equal(hex(msg), hops[0]);
      for (let hop = 1; hop < k; hop++) {
        msg = members[(owner + hop) % k].forward(msg);
        assert.equal(hex(msg), hops[hop], `${s.name} owner ${owner} hop ${hop}`);
      }
      members[owner].complete(msg);
    });
    members.forEach((m, i) => {
      assert.equal(hex(m.tags()), s.tags[i]);
      hub.add(m.name, m.tags());
    });
    assert.equal(hex(hub.result()), s.result);
    members.forEach((m, i) => {
      m.finish(unhex(s.result));
      assert.deepEqual(m.matches, s.outcomes[i].indices);
      assert.deepEqual(m.counts ?? null, s.outcomes[i].counts);
      assert.equal(hex(m.transcriptHash), s.outcomes[i].transcript);
    });
  }
});

test("results equal naive counting (3 to 8 agencies, duplicates, empty lists)", () => {
  const rand = prng(22);
  for (let round = 0; round < 10; round++) {
    const k = 3 + Math.floor(rand() * 6);
    const threshold = 2 + Math.floor(rand() * (k - 1));
    const revealCounts = rand() < 0.5;
    const lists = Array.from({ length: k }, () =>
      Array.from({ length: Math.floor(rand() * 16) }, () => `id-${Math.floor(rand() * 20)}`),
    );
    const names = lists.map((_, i) => `agency-${i}`);
    const session = new bm.MultiPartySession(names, { threshold, revealCounts });
    const { members } = run(session, lists);
    naive(lists, threshold).forEach(([idx, held], i) => {
      assert.deepEqual(members[i].matches, idx);
      assert.deepEqual(members[i].counts, revealCounts ? held : undefined);
    });
  }
});

test("members and hub refuse foreign, misrouted and replayed messages", () => {
  const session = new bm.MultiPartySession(["NL", "DE", "FR", "BE"], { threshold: 3 });
  const other = new bm.MultiPartySession(["NL", "DE", "FR", "BE"], { threshold: 3 });
  const bytes = session.toBytes();
  const ring = session.agencies.map((me) => new bm.MultiPartyMember(["a", "b"], bytes, me));
  const [nl, de, fr, be] = ring;
  const strangers = other.agencies.map((me) => new bm.MultiPartyMember(["a"], other.toBytes(), me));
  const stray = opened(other, strangers).first.get("NL");
  const { first } = opened(session, ring);
  assert.throws(() => de.forward(stray), bm.SessionMismatchError);
  const m1 = first.get("NL");
  // A relay that grows NL's batch at hop 1 by a value (and the count to match).
  const at = 6 + 16 + 32 + 2; // the count, after the session, roster, owner and hop
  assert.equal(m1[at], 2);
  const last = m1.subarray(m1.length - 33, m1.length - 1);
  const grown = new Uint8Array([...m1.subarray(0, m1.length - 1), ...last, 0]);
  grown[at] = 3;
  grown[at + 2] = 96; // the elements' length, after the empty inputs
  assert.throws(() => de.forward(grown), bm.CountMismatchError);
  assert.equal(bm.messageType(m1), "multi-hop");
  assert.equal(nl.nextAgency, "DE");
  assert.throws(() => fr.forward(m1), bm.WrongHopError);
  assert.throws(() => nl.complete(m1), bm.WrongHopError);
  assert.throws(() => nl.start(), bm.StateError);
  const m2 = de.forward(m1);
  assert.throws(() => de.forward(m1), bm.ReplayError);
  const back = be.forward(fr.forward(m2));
  assert.throws(() => nl.tags(), bm.StateError);
  nl.complete(back);
  assert.throws(() => nl.complete(back), bm.ReplayError);
  assert.throws(() => nl.matches, bm.StateError);
  assert.throws(() => de.forward(m1.subarray(0, 40)), bm.ProtocolError);
  assert.throws(() => new bm.MultiPartyMember(["a"], bytes, "SE"), bm.UnknownAgencyError);
  assert.throws(() => new bm.MultiPartySession(["NL", "DE"]), bm.InvalidConfigError);
  assert.throws(() => new bm.MultiPartySession(["NL", "DE", "FR"], { treshold: 2 }), bm.ArgumentError);
  assert.throws(() => new bm.MultiPartySession("NL,DE,FR"), bm.ArgumentError);

  const small = new bm.MultiPartySession(["NL", "DE", "FR"], { threshold: 2 });
  const { members } = run(small, [["a", "b"], ["b", "c"], ["c", "a"]]);
  const hub = new bm.MultiPartyHub(small.toBytes());
  assert.throws(() => hub.result(), bm.StateError);
  assert.throws(() => hub.add("NL", members[0].tags()), bm.StateError); // before the roster
  for (const m of members) hub.commit(m.name, m.commitment());
  hub.roster();
  assert.throws(() => hub.add("SE", members[0].tags()), bm.UnknownAgencyError);
  assert.throws(() => hub.add("DE", members[0].tags()), bm.UnknownAgencyError);
  hub.add("NL", members[0].tags());
  assert.throws(() => hub.add("NL", members[0].tags()), bm.ReplayError);
  assert.deepEqual(hub.missing, ["DE", "FR"]);
});

test("a member's receipt is countersigned by the hub; record matches", () => {
  const session = new bm.MultiPartySession(["NL", "DE", "FR"], { threshold: 2, revealCounts: true });
  const rs = new bm.RecordSet();
  rs.add("case-1", { email: "Anna@Example.org" });
  rs.add("case-2", { phone: "+31 6 12345678" });
  const nl = new bm.MultiPartyMember(rs, session.toBytes(), "NL", { caseRef: "EMPACT-2026-17", legalBasis: "Council Decision 2009/371/JHA" });
  const others = [new bm.RecordSet(), new bm.RecordSet()];
  others[0].add("x", { email: "anna@example.org" });
  others[1].add("y", { email: "bob@example.org" });
  const members = [nl, new bm.MultiPartyMember(others[0], session.toBytes(), "DE"), new bm.MultiPartyMember(others[1], session.toBytes(), "FR")];
  const { hub } = run(session, null, members);
  assert.deepEqual(nl.recordMatches, [{ recordId: "case-1", kinds: ["email"] }]);
  assert.deepEqual(nl.counts, [2]);
  const kNl = bm.SigningKey.generate();
  const kHub = bm.SigningKey.generate();
  const both = hub.countersign(nl.receipt(kNl), kHub);
  const fields = bm.Receipt.verify(both, [kNl.publicKey(), kHub.publicKey()]);
  assert.equal(fields.protocol, "multiparty");
  assert.equal(fields.role, "member");
  assert.equal(fields.agencies, 3);
  assert.equal(fields.threshold, 2);
  assert.equal(fields.cardinality, 1);
  assert.equal(fields.case_ref, "EMPACT-2026-17");
  assert.equal(String(session), "MultiPartySession(NL,DE,FR; threshold 2)");
});
