// The browser (ES module) entry point. Call `await init()` (or
// `initSync({ module })`) once before anything else. The export lists agree
// with the Node.js entries (tests/package.test.mjs).
import wbgInit, { initSync as wbgInitSync, __setErrorFactory } from "./blindmatch.js";
import { makeError } from "../errors.mjs";

export {
  Initiator, OprfKey, Receipt, RecordSet, Responder, SessionRecord, SetDigest, SigningKey,
  UnbalancedClient, UnbalancedServer, SumInitiator, SumResponder, MultiPartySession, MultiPartyMember,
  MultiPartyHub, PartySecret, requestPart, elementsPart, reblindPart,
  finishPart, mixPart, countPart, join, matchesPart, bundle, unbundle, partKind,
  RecordIndex, savePartySession, restorePartySession, seal, unseal, isSealed,
  errorCodes, kinds, messageType, protocolErrorCodes, version,
} from "./blindmatch.js";
export {
  BlindmatchError, ProtocolError, StateError, ArgumentError, InvalidElementError,
  IdentityElementError, InputTooLongError, DstTooLongError, EmptyDstError, ExpandTooLongError,
  DeriveKeyPairError, InvalidScalarError, BadMagicError, UnsupportedVersionError,
  WrongMessageTypeError, UnsupportedSuiteError, MalformedError, TrailingBytesError,
  CountMismatchError, SessionMismatchError, QueryMismatchError, ConfigMismatchError,
  ProfileMismatchError, PeerSetTooLargeError, PeerSetTooSmallError, TooManyItemsError,
  UnexpectedFinishError, InvalidConfigError, RngError, InvalidValueError, EpochMismatchError,
  BudgetExceededError, InvalidKeyError, BadSignatureError, ReceiptMismatchError,
  LedgerTamperedError, StorageError, MissingPartError, DuplicatePartError, PartMismatchError,
  BadStateError, WrongPassphraseError, BadProofError, SumOutOfRangeError, WrongHopError, ReplayError,
  UnknownAgencyError,
} from "../errors.mjs";

/** Loads the WebAssembly module (fetched next to this file unless given). */
export default async function init(moduleOrPath) {
  const out = await wbgInit(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  __setErrorFactory(makeError);
  return out;
}
export { init };

/** Instantiates the module synchronously from its bytes or a WebAssembly.Module. */
export function initSync(module) {
  const out = wbgInitSync({ module });
  __setErrorFactory(makeError);
  return out;
}
