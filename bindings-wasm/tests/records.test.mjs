import assert from "node:assert/strict";
import { test } from "node:test";

import { bm } from "./helpers.mjs";

test("spellings of the same identifiers match through the protocol", () => {
  const a = new bm.RecordSet({ composites: [["name", "date_of_birth"]] });
  a.add("A-1", { email: "john.doe@example.com", phone: "+442079460958", name: "John Doe", date_of_birth: "1980-02-01" });
  a.add("A-2", { email: "someone@example.org" });
  a.add("A-3", { iban: "DE89 3704 0044 0532 0130 00" });
  const b = new bm.RecordSet({ defaultRegion: "GB", dateFormat: "%d/%m/%Y", composites: [["name", "date_of_birth"]] });
  b.add("B-9", { email: " John.Doe@EXAMPLE.com ", phone: "020 7946 0958", name: "DOE, John", date_of_birth: "01/02/1980" });
  b.add("B-8", { iban: "de89370400440532013000", phone: [{ value: "06 12 34 56 78", region: "FR" }] });
  b.add("B-7", { email: "not an e-mail" });
  const x = new bm.Initiator(a);
  const y = new bm.Responder(b);
  y.finish(x.finish(y.respond(x.request())));
  assert.deepEqual(x.recordMatches, [
    { recordId: "A-1", kinds: ["email", "name+date_of_birth", "phone"] },
    { recordId: "A-3", kinds: ["iban"] },
  ]);
  // In the order the records were added.
  assert.deepEqual(y.recordMatches, [
    { recordId: "B-9", kinds: ["email", "name+date_of_birth", "phone"] },
    { recordId: "B-8", kinds: ["iban"] },
  ]);
  assert.deepEqual(b.errors, [
    { recordId: "B-7", field: "email", message: b.errors[0].message },
    { recordId: "B-7", field: "*", message: b.errors[1].message },
  ]);
  assert.match(b.errors[0].message, /email/);
});

test("record set accessors", () => {
  const rs = new bm.RecordSet({ defaultRegion: "GB", singleKeys: ["email"] });
  rs.addComposite(["name", "date_of_birth"]);
  assert.equal(rs.add("r1", { email: "a@example.org", phone: "020 7946 0958", name: null }), 1);
  assert.equal(rs.add("r2", { email: ["b@example.org", "c@example.org"], ip: undefined }), 2);
  assert.throws(() => rs.addComposite(["email", "phone"]), { code: "invalid_config" });
  assert.equal(rs.add("r3", { name: "Ann Lee", date_of_birth: "1990-01-01" }), 1);
  assert.deepEqual(rs.recordIds, ["r1", "r2", "r3"]);
  assert.equal(rs.length, 3);
  assert.equal(rs.keyCount, 4);
  assert.equal(String(rs), "RecordSet(3 records, 4 keys, 0 errors)");
  assert.deepEqual(bm.kinds(), ["email", "phone", "iban", "name", "date_of_birth", "document", "ip", "crypto_address", "text"]);
});

test("cardinality mode gives no record matches", () => {
  const a = new bm.RecordSet();
  a.add("r", { email: "a@example.org" });
  const x = new bm.Initiator(a, { reveal: "cardinality" });
  const b = new bm.RecordSet();
  b.add("s", { email: "a@example.org" });
  const y = new bm.Responder(b, { reveal: "cardinality" });
  y.finish(x.finish(y.respond(x.request())));
  assert.equal(x.cardinality, 1);
  assert.deepEqual(x.recordMatches, []);
});

test("records never match falsely or drop values silently", () => {
  const rs = new bm.RecordSet({ defaultRegion: "GB", dateFormat: "%d/%m/%Y", composites: [["date_of_birth", "name"]] });
  assert.equal(rs.add("name-only", { name: "Anna Berg" }), 0); // names are keys only in composites
  assert.equal(rs.add("short-year", { name: "Anna Berg", date_of_birth: "03/04/80" }), 0);
  assert.equal(rs.add("ext", { phone: "020 7946 0958 ext. 12" }), 0);
  assert.equal(rs.add("doc", { document: { value: "Ä-12", region: "DE" } }), 1);
  const fields = rs.errors.map((e) => `${e.recordId}/${e.field}`);
  assert.ok(fields.includes("short-year/date_of_birth") && fields.includes("ext/phone"), fields.join());
  assert.throws(() => new bm.RecordSet({ dateFormat: "%d/%m/%y" }), { code: "invalid_config" });
  assert.throws(() => new bm.RecordSet({ birthYears: [2000] }), { code: "invalid_argument" });
  assert.throws(() => new bm.RecordSet({ birthYears: [2000, 1900] }), { code: "invalid_config" });
  const wide = new bm.RecordSet({ birthYears: [1800, 2100], composites: [["name", "date_of_birth"]] });
  assert.equal(wide.add("old", { name: "Anna Berg", date_of_birth: "1850-01-02" }), 1);
  const named = new bm.RecordSet({ singleKeys: ["name"] });
  assert.equal(named.add("n", { name: "Anna Berg" }), 1);
  // Composite kinds are sorted: one profile whichever order they are declared in.
  const other = new bm.RecordSet({ composites: [["name", "date_of_birth"]] });
  assert.deepEqual(other.profile, rs.profile);
  assert.equal(rs.profile.length, 32);
  assert.notDeepEqual(named.profile, rs.profile); // no composite declared
  assert.deepEqual(new bm.RecordSet({ singleKeys: ["email"] }).profile, named.profile);
});

test("profiles are checked in both protocols", () => {
  const ours = new bm.RecordSet({ composites: [["name", "date_of_birth"]] });
  ours.add("r", { email: "a@example.org" });
  const theirs = new bm.RecordSet({ emailProviderRules: true });
  theirs.add("s", { email: "a@example.org" });
  assert.throws(() => new bm.Responder(theirs).respond(new bm.Initiator(ours).request()), {
    code: "profile_mismatch",
  });
  assert.throws(() => new bm.Responder(["email\u0000a@example.org"]).respond(new bm.Initiator(ours).request()), {
    code: "profile_mismatch",
  });
  const server = new bm.UnbalancedServer(theirs, { queryBudget: 10 });
  assert.throws(() => server.answer(new bm.UnbalancedClient(ours).query(), "c"), { code: "profile_mismatch" });
  assert.equal(server.remainingBudget("c"), 10);
  // Same profile: unbalanced results map back to records too.
  const mine = new bm.RecordSet({ emailProviderRules: true });
  mine.add("case-1", { email: "A@example.org" });
  mine.add("case-2", { email: "b@example.org" });
  const client = new bm.UnbalancedClient(mine);
  client.finish(server.answer(client.query(), "c"), server.digest());
  assert.deepEqual(client.recordMatches, [{ recordId: "case-1", kinds: ["email"] }]);
});
