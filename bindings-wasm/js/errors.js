// Error classes of blindmatch. The build writes this file twice into the
// package, as errors.mjs (ES module) and errors.cjs (CommonJS), with the
// matching export statement appended; keep it free of import/export.

/**
 * Base class of every error blindmatch throws; `code` is its stable code
 * (see `errorCodes()`). Messages never contain identifiers or key bytes.
 */
class BlindmatchError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "BlindmatchError";
    this.code = code;
  }
}

/** A message from the peer was rejected (malformed, hostile or from another session); abandon the session. */
class ProtocolError extends BlindmatchError {
  constructor(message, code) {
    super(message, code);
    this.name = "ProtocolError";
  }
}

/** A protocol object was used out of order (e.g. `finish` called twice, results read too early). */
class StateError extends BlindmatchError {
  constructor(message, code = "invalid_state") {
    super(message, code);
    this.name = "StateError";
  }
}

/** An argument has the wrong type, length or value (code `invalid_argument`). */
class ArgumentError extends BlindmatchError {
  constructor(message, code = "invalid_argument") {
    super(message, code);
    this.name = "ArgumentError";
  }
}

/** The class of each stable code (as in Python: one class per code). */
const CODE_CLASSES = new Map([
  ["invalid_state", StateError],
  ["invalid_argument", ArgumentError],
]);

/** Declares the class of one code, a subclass of `base`. */
function codeClass(name, code, base) {
  const cls = {
    [name]: class extends base {
      constructor(message, c = code) {
        super(message, c);
        this.name = name;
      }
    },
  }[name];
  CODE_CLASSES.set(code, cls);
  return cls;
}

// One line per code of the core's error table (core/src/error.rs); the
// tests check that every code errorCodes() lists has its class here.
const InvalidElementError = codeClass("InvalidElementError", "invalid_element", ProtocolError);
const IdentityElementError = codeClass("IdentityElementError", "identity_element", ProtocolError);
const InputTooLongError = codeClass("InputTooLongError", "input_too_long", BlindmatchError);
const DstTooLongError = codeClass("DstTooLongError", "dst_too_long", BlindmatchError);
const EmptyDstError = codeClass("EmptyDstError", "empty_dst", BlindmatchError);
const ExpandTooLongError = codeClass("ExpandTooLongError", "expand_too_long", BlindmatchError);
const DeriveKeyPairError = codeClass("DeriveKeyPairError", "derive_key_pair", BlindmatchError);
const InvalidScalarError = codeClass("InvalidScalarError", "invalid_scalar", BlindmatchError);
const BadMagicError = codeClass("BadMagicError", "bad_magic", ProtocolError);
const UnsupportedVersionError = codeClass("UnsupportedVersionError", "unsupported_version", ProtocolError);
const WrongMessageTypeError = codeClass("WrongMessageTypeError", "wrong_message_type", ProtocolError);
const UnsupportedSuiteError = codeClass("UnsupportedSuiteError", "unsupported_suite", ProtocolError);
const MalformedError = codeClass("MalformedError", "malformed", ProtocolError);
const TrailingBytesError = codeClass("TrailingBytesError", "trailing_bytes", ProtocolError);
const CountMismatchError = codeClass("CountMismatchError", "count_mismatch", ProtocolError);
const SessionMismatchError = codeClass("SessionMismatchError", "session_mismatch", ProtocolError);
const QueryMismatchError = codeClass("QueryMismatchError", "query_mismatch", ProtocolError);
const ConfigMismatchError = codeClass("ConfigMismatchError", "config_mismatch", ProtocolError);
const ProfileMismatchError = codeClass("ProfileMismatchError", "profile_mismatch", ProtocolError);
const PeerSetTooLargeError = codeClass("PeerSetTooLargeError", "peer_set_too_large", ProtocolError);
const PeerSetTooSmallError = codeClass("PeerSetTooSmallError", "peer_set_too_small", ProtocolError);
const TooManyItemsError = codeClass("TooManyItemsError", "too_many_items", BlindmatchError);
const UnexpectedFinishError = codeClass("UnexpectedFinishError", "unexpected_finish", ProtocolError);
const InvalidConfigError = codeClass("InvalidConfigError", "invalid_config", BlindmatchError);
const RngError = codeClass("RngError", "rng", BlindmatchError);
const InvalidValueError = codeClass("InvalidValueError", "invalid_value", BlindmatchError);
const EpochMismatchError = codeClass("EpochMismatchError", "epoch_mismatch", ProtocolError);
const BudgetExceededError = codeClass("BudgetExceededError", "budget_exceeded", ProtocolError);
const InvalidKeyError = codeClass("InvalidKeyError", "invalid_key", BlindmatchError);
const BadSignatureError = codeClass("BadSignatureError", "bad_signature", ProtocolError);
const ReceiptMismatchError = codeClass("ReceiptMismatchError", "receipt_mismatch", ProtocolError);
const LedgerTamperedError = codeClass("LedgerTamperedError", "ledger_tampered", BlindmatchError);
const StorageError = codeClass("StorageError", "storage", BlindmatchError);
const MissingPartError = codeClass("MissingPartError", "missing_part", ProtocolError);
const DuplicatePartError = codeClass("DuplicatePartError", "duplicate_part", ProtocolError);
const PartMismatchError = codeClass("PartMismatchError", "part_mismatch", ProtocolError);
const BadStateError = codeClass("BadStateError", "bad_state", BlindmatchError);
const WrongPassphraseError = codeClass("WrongPassphraseError", "wrong_passphrase", BlindmatchError);
const BadProofError = codeClass("BadProofError", "bad_proof", ProtocolError);
const SumOutOfRangeError = codeClass("SumOutOfRangeError", "sum_out_of_range", ProtocolError);
const WrongHopError = codeClass("WrongHopError", "wrong_hop", ProtocolError);
const ReplayError = codeClass("ReplayError", "replay", ProtocolError);
const UnknownAgencyError = codeClass("UnknownAgencyError", "unknown_agency", ProtocolError);

/** Called by the WebAssembly module to build the error it throws. */
function makeError(code, message, isProtocol) {
  const cls = CODE_CLASSES.get(code) ?? (isProtocol ? ProtocolError : BlindmatchError);
  return new cls(message, code);
}
