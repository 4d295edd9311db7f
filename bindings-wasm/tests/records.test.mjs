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
    { recordId: "A-1", kinds: ["email", "name", "name+date_of_birth", "phone"] },
    { recordId: "A-3", kinds: ["iban"] },
  ]);
  // In the order the records were added.
  assert.deepEqual(y.recordMatches, [
    { recordId: "B-9", kinds: ["email", "name", "name+date_of_birth", "phone"] },
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
  const y = new bm.Responder(["email\u0000a@example.org"], { reveal: "cardinality" });
  y.finish(x.finish(y.respond(x.request())));
  assert.equal(x.cardinality, 1);
  assert.deepEqual(x.recordMatches, []);
});
