// blindmatch/testing: the protocol classes built from a 32-byte `rngSeed`
// option instead of Web Crypto, for golden vectors and reproducible tests.
// INSECURE: whoever knows the seed knows the session key.
//
//   const a = new testing.Initiator(items, { rngSeed, reveal: "cardinality" });
//   a instanceof Initiator;   // true: the real class
//
// scripts/build.mjs writes this file as node/testing.cjs (CommonJS) and
// web/testing.js (an ES module; call the package's init() first), with the
// imports of `bm` (the package's entry, which installs the error classes
// first) and `wasm` (the module) above it and the exports below.

/** Splits `rngSeed` off an options object; the rest goes to the class as usual. */
function seeded(options, what) {
  const { rngSeed, ...rest } = options ?? {};
  if (!(rngSeed instanceof Uint8Array)) {
    throw new bm.ArgumentError(`${what}: options.rngSeed must be a Uint8Array of 32 bytes`, "invalid_argument");
  }
  return [rngSeed, rest];
}

function Initiator(items, options) {
  const [seed, rest] = seeded(options, "testing.Initiator");
  return wasm.__testingInitiator(items, seed, rest);
}
function Responder(items, options) {
  const [seed, rest] = seeded(options, "testing.Responder");
  return wasm.__testingResponder(items, seed, rest);
}
function UnbalancedClient(items, options) {
  const [seed, rest] = seeded(options, "testing.UnbalancedClient");
  return wasm.__testingUnbalancedClient(items, seed, rest);
}
function UnbalancedServer(items, options) {
  const [seed, rest] = seeded(options, "testing.UnbalancedServer");
  const { key, ...serverOptions } = rest;
  return wasm.__testingUnbalancedServer(items, seed, serverOptions, key ?? bm.OprfKey.generate());
}
function SumInitiator(items, options) {
  const [seed, rest] = seeded(options, "testing.SumInitiator");
  return wasm.__testingSumInitiator(items, seed, rest);
}
function SumResponder(items, values, options) {
  const [seed, rest] = seeded(options, "testing.SumResponder");
  return wasm.__testingSumResponder(items, values, seed, rest);
}
function MultiPartySession(agencies, options) {
  const [seed, rest] = seeded(options, "testing.MultiPartySession");
  return wasm.__testingMultiPartySession(agencies, seed, rest);
}
function MultiPartyMember(items, session, me, options) {
  const [seed, rest] = seeded(options, "testing.MultiPartyMember");
  return wasm.__testingMultiPartyMember(items, session, me, seed, rest);
}
// `new testing.X(...)` returns the object built; `instanceof` sees the real class.
Initiator.prototype = bm.Initiator.prototype;
Responder.prototype = bm.Responder.prototype;
UnbalancedClient.prototype = bm.UnbalancedClient.prototype;
UnbalancedServer.prototype = bm.UnbalancedServer.prototype;
SumInitiator.prototype = bm.SumInitiator.prototype;
SumResponder.prototype = bm.SumResponder.prototype;
MultiPartySession.prototype = bm.MultiPartySession.prototype;
MultiPartyMember.prototype = bm.MultiPartyMember.prototype;
