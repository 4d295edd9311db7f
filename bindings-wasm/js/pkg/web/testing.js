// blindmatch/testing for browsers (ES module): the protocol classes built
// from a 32-byte `rngSeed` option. Call the package's init() first.
// INSECURE: whoever knows the seed knows the session key.
import * as bm from "./index.js";
import {
  __testingInitiator,
  __testingResponder,
  __testingUnbalancedClient,
  __testingUnbalancedServer,
  __testingSumInitiator,
  __testingSumResponder,
  __testingMultiPartySession,
  __testingMultiPartyMember,
} from "./blindmatch.js";

function seeded(options, what) {
  const { rngSeed, ...rest } = options ?? {};
  if (!(rngSeed instanceof Uint8Array)) {
    throw new bm.ArgumentError(`${what}: options.rngSeed must be a Uint8Array of 32 bytes`, "invalid_argument");
  }
  return [rngSeed, rest];
}

export function Initiator(items, options) {
  const [seed, rest] = seeded(options, "testing.Initiator");
  return __testingInitiator(items, seed, rest);
}
export function Responder(items, options) {
  const [seed, rest] = seeded(options, "testing.Responder");
  return __testingResponder(items, seed, rest);
}
export function UnbalancedClient(items, options) {
  const [seed, rest] = seeded(options, "testing.UnbalancedClient");
  return __testingUnbalancedClient(items, seed, rest);
}
export function UnbalancedServer(items, options) {
  const [seed, rest] = seeded(options, "testing.UnbalancedServer");
  const { key, ...serverOptions } = rest;
  return __testingUnbalancedServer(items, seed, serverOptions, key ?? bm.OprfKey.generate());
}
export function SumInitiator(items, options) {
  const [seed, rest] = seeded(options, "testing.SumInitiator");
  return __testingSumInitiator(items, seed, rest);
}
export function SumResponder(items, values, options) {
  const [seed, rest] = seeded(options, "testing.SumResponder");
  return __testingSumResponder(items, values, seed, rest);
}
export function MultiPartySession(agencies, options) {
  const [seed, rest] = seeded(options, "testing.MultiPartySession");
  return __testingMultiPartySession(agencies, seed, rest);
}
export function MultiPartyMember(items, session, me, options) {
  const [seed, rest] = seeded(options, "testing.MultiPartyMember");
  return __testingMultiPartyMember(items, session, me, seed, rest);
}
Initiator.prototype = bm.Initiator.prototype;
Responder.prototype = bm.Responder.prototype;
UnbalancedClient.prototype = bm.UnbalancedClient.prototype;
UnbalancedServer.prototype = bm.UnbalancedServer.prototype;
SumInitiator.prototype = bm.SumInitiator.prototype;
SumResponder.prototype = bm.SumResponder.prototype;
MultiPartySession.prototype = bm.MultiPartySession.prototype;
MultiPartyMember.prototype = bm.MultiPartyMember.prototype;
