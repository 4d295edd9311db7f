// The Node.js ES module entry point: the CommonJS entry's API as named
// exports (tests/package.test.mjs checks that the lists agree).
import m from "./index.cjs";

export const {
  Initiator, OprfKey, Receipt, RecordSet, Responder, SessionRecord, SetDigest, SigningKey,
  UnbalancedClient, UnbalancedServer, SumInitiator, SumResponder, MultiPartySession, MultiPartyMember,
  MultiPartyHub, PartySecret, requestPart, elementsPart, reblindPart,
  finishPart, mixPart, countPart, join, matchesPart, bundle, unbundle, partKind,
  RecordIndex, savePartySession, restorePartySession, seal, unseal, isSealed,
  errorCodes, kinds, messageType, protocolErrorCodes, version,
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
  init,
  initSync,
} = m;
export default m.init;
