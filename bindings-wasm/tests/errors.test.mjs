import assert from "node:assert/strict";
import { test } from "node:test";
import fs from "node:fs";
import path from "node:path";
import { inspect } from "node:util";

import { bm, prng, repo, seed, testing, unhex, vectors } from "./helpers.mjs";

test("every code maps to its class; protocol codes to ProtocolError", () => {
  const codes = bm.errorCodes();
  const protocol = new Set(bm.protocolErrorCodes());
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.length >= 27 && codes.includes("invalid_state") && codes.includes("invalid_argument"));
  for (const p of protocol) assert.ok(codes.includes(p));
  for (const cls of [bm.ProtocolError, bm.StateError, bm.ArgumentError]) {
    assert.ok(cls.prototype instanceof bm.BlindmatchError);
  }
  assert.ok(bm.BlindmatchError.prototype instanceof Error);
});

test("one class per code, named as in Python", () => {
  // The Python package's classes (bindings-python/python/blindmatch/_errors.py).
  const py = fs.readFileSync(path.join(repo, "bindings-python", "python", "blindmatch", "_errors.py"), "utf8");
  const pyClass = new Map([...py.matchAll(/^class (\w+)\((\w+)\):\n(?:.*\n)*?\s+code = "(\w+)"/gm)].map((m) => [m[3], m[1]]));
  const protocol = new Set(bm.protocolErrorCodes());
  for (const code of bm.errorCodes()) {
    const name = code === "invalid_state" ? "StateError" : code === "invalid_argument" ? "ArgumentError"
      : `${code.split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join("")}Error`;
    const cls = bm[name];
    assert.equal(typeof cls, "function", `${code}: no class ${name}`);
    const e = new cls("m");
    assert.equal(e.code, code, name);
    assert.equal(e.name, name);
    assert.equal(e instanceof bm.ProtocolError, protocol.has(code), name);
    if (code !== "invalid_argument") assert.equal(pyClass.get(code), name, `${code}: Python names it ${pyClass.get(code)}`);
  }
  // Thrown errors are instances of their code's class.
  assert.throws(() => new bm.Responder(["a"]).respond(new Uint8Array(10)), bm.BadMagicError);
});

// A request, response and finish of one session, to mutate.
function messages() {
  const a = new testing.Initiator(["a", "b", "c"], { rngSeed: seed(1) });
  const b = new testing.Responder(["b", "c", "d"], { rngSeed: seed(2) });
  const request = a.request();
  const response = b.respond(request);
  const finish = a.finish(response);
  return { request, response, finish };
}

const fresh = {
  respond: (m) => new testing.Responder(["b", "c", "d"], { rngSeed: seed(2) }).respond(m),
  finish: (m) => new testing.Initiator(["a", "b", "c"], { rngSeed: seed(1) }).finish(m),
  respFinish: (m) => {
    const a = new testing.Initiator(["a", "b", "c"], { rngSeed: seed(1) });
    const b = new testing.Responder(["b", "c", "d"], { rngSeed: seed(2) });
    b.respond(a.request());
    return b.finish(m);
  },
};

const seen = new Set();

function throwsCode(fn, code) {
  seen.add(code);
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `expected ${code}, nothing was thrown`);
  assert.ok(caught instanceof bm.BlindmatchError, `not a BlindmatchError: ${caught}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught instanceof bm.ProtocolError, bm.protocolErrorCodes().includes(code), code);
  return caught;
}

test("each protocol error code is thrown by the message that causes it", () => {
  const { request, response, finish } = messages();
  const with_ = (m, i, v) => {
    const c = Uint8Array.from(m);
    c[i] = v;
    return c;
  };
  const last32 = (m, bytes) => {
    const c = Uint8Array.from(m);
    c.set(bytes, c.length - 32);
    return c;
  };
  throwsCode(() => fresh.respond(with_(request, 0, 0x41)), "bad_magic");
  throwsCode(() => fresh.respond(with_(request, 4, 9)), "unsupported_version");
  throwsCode(() => fresh.respond(with_(request, 6, 7)), "unsupported_suite");
  throwsCode(() => fresh.respond(response), "wrong_message_type");
  throwsCode(() => fresh.finish(request), "wrong_message_type");
  throwsCode(() => fresh.respond(request.subarray(0, request.length - 1)), "malformed");
  throwsCode(() => fresh.respond(Uint8Array.from([...request, 0])), "trailing_bytes");
  throwsCode(() => fresh.respond(last32(request, new Uint8Array(32))), "identity_element");
  for (const enc of Object.values(vectors("ristretto255.json").invalid_encodings.by_category).flat()) {
    throwsCode(() => fresh.respond(last32(request, unhex(enc))), "invalid_element");
  }
  // Another session's response: its session id differs.
  const other = new testing.Responder(["b"], { rngSeed: seed(9) }).respond(
    new testing.Initiator(["z"], { rngSeed: seed(8) }).request(),
  );
  throwsCode(() => fresh.finish(other), "session_mismatch");
  // Modes must agree.
  throwsCode(() => new bm.Responder(["b"], { reveal: "cardinality" }).respond(request), "config_mismatch");
  // Set-size policy, checked before any group operation.
  throwsCode(() => new bm.Responder(["b"], { maxPeerItems: 2 }).respond(request), "peer_set_too_large");
  throwsCode(() => new bm.Responder(["b"], { minPeerItems: 4 }).respond(request), "peer_set_too_small");
  // A finish message where none is expected, and none where one is.
  const onlyA = new bm.Initiator(["a"], { output: "initiator" });
  const onlyB = new bm.Responder(["a"], { output: "initiator" });
  onlyA.finish(onlyB.respond(onlyA.request()));
  throwsCode(() => onlyB.finish(finish), "unexpected_finish");
  throwsCode(() => fresh.respFinish(undefined), "unexpected_finish");
  throwsCode(() => fresh.respFinish(finish.subarray(0, 20)), "malformed");
  throwsCode(() => bm.messageType(new Uint8Array([1, 2])), "malformed");
});

test("a header claiming 2^32 - 1 elements is rejected before anything is allocated", () => {
  const { request } = messages();
  // Header (6) + suite, reveal, output (3) + session id (16) + profile (32)
  // + proofs flag (1) + public key (32), then the count varint.
  const at = 6 + 3 + 16 + 32 + 1 + 32;
  assert.equal(request[at], 3);
  const forged = Uint8Array.from([...request.subarray(0, at), 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  const before = process.memoryUsage().rss;
  const e = throwsCode(() => fresh.respond(forged), "peer_set_too_large");
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, "no large allocation");
  // The count that disagrees with the payload.
  const lying = Uint8Array.from(request);
  lying[at] = 2;
  throwsCode(() => fresh.respond(lying), "count_mismatch");
  assert.ok(e.message.length < 200);
});

test("unbalanced errors: epoch mismatch and budget", () => {
  const s1 = new bm.UnbalancedServer(["a", "b"], { queryBudget: 1 });
  const s2 = new bm.UnbalancedServer(["a", "b"], { queryBudget: "unlimited" });
  const c = new bm.UnbalancedClient(["a"]);
  const answer = s1.answer(c.query(), "x");
  throwsCode(() => c.finish(answer, s2.digest()), "epoch_mismatch");
  throwsCode(() => s1.answer(new bm.UnbalancedClient(["a"]).query(), "x"), "budget_exceeded");
  // A query addressed to one epoch: refused by a server of another, and its
  // answer refused with another epoch's digest.
  throwsCode(() => s2.answer(new bm.UnbalancedClient(["a"], { epoch: s1.epoch }).query(), "y"), "epoch_mismatch");
  const addressed = new bm.UnbalancedClient(["a"], { epoch: s1.epoch });
  const reply = new bm.UnbalancedServer(["a"], { queryBudget: 5 });
  throwsCode(() => reply.answer(addressed.query(), "y"), "epoch_mismatch");
  const small = new bm.UnbalancedServer(["a"], { maxQueryItems: 1, queryBudget: "unlimited" });
  throwsCode(() => small.answer(new bm.UnbalancedClient(["a", "b"]).query()), "peer_set_too_large");
  throwsCode(() => new bm.UnbalancedServer(["a"], { fprBits: 0, queryBudget: "unlimited" }), "invalid_config");
  throwsCode(() => new bm.UnbalancedServer(["a", "b"], { labels: ["x"], queryBudget: "unlimited" }), "invalid_config");
});

test("local input errors", () => {
  throwsCode(() => new bm.UnbalancedClient([new Uint8Array(65536)]), "input_too_long");
  throwsCode(() => new bm.RecordSet({ defaultRegion: "XX" }), "invalid_value");
  throwsCode(() => bm.OprfKey.fromSecretBytes(new Uint8Array(3)), "invalid_scalar");
  throwsCode(() => bm.OprfKey.derive(new Uint8Array(32), new Uint8Array(65536)), "dst_too_long");
});

test("random garbage and mutations never escape as anything but BlindmatchError", () => {
  const { request, response, finish } = messages();
  const rand = prng(7);
  const byte = () => Math.floor(rand() * 256);
  for (const [base, step] of [[request, "respond"], [response, "finish"], [finish, "respFinish"]]) {
    for (let i = 0; i < 200; i++) {
      let m = Uint8Array.from(base);
      const op = i % 4;
      if (op === 0) m = m.subarray(0, Math.floor(rand() * m.length));
      else if (op === 1) m = Uint8Array.from([...m, ...Array.from({ length: 1 + (i % 8) }, byte)]);
      else if (op === 2) m[Math.floor(rand() * 6)] ^= 1 + Math.floor(rand() * 255);
      else m = Uint8Array.from({ length: Math.floor(rand() * 80) }, byte);
      assert.throws(() => fresh[step](m), (e) => e instanceof bm.BlindmatchError && typeof e.code === "string");
    }
  }
});

test("error messages name no identifiers", () => {
  const secret = "alice.secret@example.org";
  const a = new bm.Initiator([secret, `${secret}2`]);
  const e = throwsCode(() => new bm.Responder(["x"], { maxPeerItems: 1 }).respond(a.request()), "peer_set_too_large");
  assert.ok(!e.message.includes("alice") && !inspect(e).includes("alice"));
  const rs = new bm.RecordSet();
  rs.add("case-1", { email: "alice.secret@@example.org", phone: "+44 12" });
  for (const fe of rs.errors) assert.ok(!fe.message.includes("alice") && !fe.message.includes("+44"), fe.message);
});

test("bad arguments throw ArgumentError with a clear message", () => {
  const bad = [
    () => new bm.Initiator("abc"),
    () => new bm.Initiator([1, 2]),
    () => new bm.Initiator(["a"], { reveal: "everything" }),
    () => new bm.Initiator(["a"], { output: "responder" }),
    () => new bm.Initiator(["a"], { rngSeed: new Uint8Array(32) }), // no seed in production
    () => new testing.Initiator(["a"], { rngSeed: new Uint8Array(31) }),
    () => new testing.Initiator(["a"], {}),
    () => new bm.Initiator(["a"], { maxPeerItems: -1 }),
    () => new bm.Initiator(["a"], { maxPeerItems: 1.5 }),
    () => new bm.Initiator(["a"], { revael: "cardinality" }),
    () => new bm.Initiator(["a"], []),
    () => new bm.Responder(null),
    () => new bm.RecordSet({ singleKeys: ["date_of_birth"] }),
    () => new bm.RecordSet({ composites: [["name", "shoe_size"]] }),
    () => new bm.RecordSet().add("r", { shoe_size: "42" }),
    () => new bm.RecordSet().add("r", { email: 42 }),
    () => new bm.RecordSet().add("r", { email: [["a@b.c"]] }),
    () => new bm.RecordSet().add("r", "a@b.c"),
    () => new bm.UnbalancedServer(["a"], { labels: "x", queryBudget: "unlimited" }),
    () => new bm.UnbalancedClient(["a"], { epoch: new Uint8Array(15) }),
  ];
  for (const fn of bad) {
    const e = throwsCode(fn, "invalid_argument");
    assert.ok(e instanceof bm.ArgumentError && e.message.length > 10, e.message);
  }
});

test("answers are bound to their query, profiles to their peer, bytes to one encoding", () => {
  const server = new bm.UnbalancedServer(["a", "b"], { queryBudget: "unlimited" });
  const c1 = new bm.UnbalancedClient(["a", "x"]);
  const c2 = new bm.UnbalancedClient(["a", "x"]);
  const a1 = server.answer(c1.query());
  server.answer(c2.query());
  throwsCode(() => c2.finish(a1, server.digest()), "query_mismatch");
  const rs = new bm.RecordSet();
  rs.add("r", { email: "a@example.org" });
  throwsCode(() => new bm.Responder(["x"]).respond(new bm.Initiator(rs).request()), "profile_mismatch");
  // A count written as a non-minimal varint (0x83 0x00 for 3) is malformed.
  const request = new bm.Initiator(["a", "b", "c"]).request();
  const at = 6 + 3 + 16 + 32 + 1 + 32; // header, modes, session id, profile, proofs flag, key
  assert.equal(request[at], 3);
  const bad = Uint8Array.from([...request.subarray(0, at), 0x83, 0x00, ...request.subarray(at + 1)]);
  throwsCode(() => new bm.Responder(["a"]).respond(bad), "malformed");
  // Two builds under one key never repeat a label ciphertext.
  const key = bm.OprfKey.generate();
  const labels = ["case 0", "case 1"];
  const d1 = bm.UnbalancedServer.withKey(key, ["a", "b"], { labels, queryBudget: "unlimited" }).digest();
  const d2 = bm.UnbalancedServer.withKey(key, ["a", "b"], { labels, queryBudget: "unlimited" }).digest();
  const size = 2 + 6 + 16;
  for (let i = 1; i <= 2; i++) {
    assert.notDeepEqual(d1.subarray(d1.length - i * size, d1.length - (i - 1) * size), d2.subarray(d2.length - i * size, d2.length - (i - 1) * size));
  }
});

test("receipts: a bad key, a bad signature, a receipt of another session", () => {
  throwsCode(() => bm.SigningKey.fromSecretBytes(new Uint8Array(31)), "invalid_key");
  const run = () => {
    const a = new bm.Initiator(["a", "b"]);
    const b = new bm.Responder(["b"]);
    b.finish(a.finish(b.respond(a.request())));
    return [a, b];
  };
  const [a, b] = run();
  const [a2] = run();
  const k = bm.SigningKey.generate();
  throwsCode(() => bm.Receipt.verify(a.receipt(k), [bm.SigningKey.generate().publicKey()]), "bad_signature");
  throwsCode(() => bm.Receipt.countersign(a2.receipt(k), k, b.sessionRecord), "receipt_mismatch");
});

test("every error code is covered above, or cannot be reached from JavaScript", () => {
  // Thrown by the bindings' own objects in misuse.test.mjs.
  seen.add("invalid_state");
  // Thrown and checked by class in partition.test.mjs.
  for (const code of ["missing_part", "duplicate_part", "part_mismatch"]) seen.add(code);
  // Thrown and checked by class in state.test.mjs.
  for (const code of ["bad_state", "wrong_passphrase"]) seen.add(code);
  // Thrown and checked by class in sum.test.mjs.
  for (const code of ["bad_proof", "sum_out_of_range"]) seen.add(code);
  // Thrown and checked by class in multiparty.test.mjs.
  for (const code of ["wrong_hop", "replay", "unknown_agency"]) seen.add(code);
  const unreachable = {
    expand_too_long: "internal: every expand_message_xmd call asks for a fixed 64 bytes",
    empty_dst: "internal: every domain separation tag of the protocols is a fixed, non-empty string",
    derive_key_pair: "DeriveKeyPair fails with probability about 2^-8000",
    rng: "only if crypto.getRandomValues is missing or throws",
    too_many_items: "more than 2^32 - 1 items of one's own",
    ledger_tampered: "the SQLite ledger is not part of the WebAssembly build",
    storage: "the SQLite ledger is not part of the WebAssembly build",
  };
  for (const code of bm.errorCodes()) {
    assert.ok(seen.has(code) !== (code in unreachable), `${code}: neither tested nor explained`);
  }
});
