/** Base class of every error blindmatch throws; `code` is its stable code (see `errorCodes()`). */
export class BlindmatchError extends Error {
  constructor(message: string, code: string);
  /** The stable error code, e.g. "invalid_element" or "invalid_state". */
  readonly code: string;
}
/** A message from the peer was rejected (malformed, hostile or from another session); abandon the session. */
export class ProtocolError extends BlindmatchError {}
/** A protocol object was used out of order (code "invalid_state"). */
export class StateError extends BlindmatchError {}
/** An argument has the wrong type, length or value (code "invalid_argument"). */
export class ArgumentError extends BlindmatchError {}

/** Code "invalid_element". */
export class InvalidElementError extends ProtocolError {}
/** Code "identity_element". */
export class IdentityElementError extends ProtocolError {}
/** Code "input_too_long". */
export class InputTooLongError extends BlindmatchError {}
/** Code "dst_too_long". */
export class DstTooLongError extends BlindmatchError {}
/** Code "empty_dst". */
export class EmptyDstError extends BlindmatchError {}
/** Code "expand_too_long". */
export class ExpandTooLongError extends BlindmatchError {}
/** Code "derive_key_pair". */
export class DeriveKeyPairError extends BlindmatchError {}
/** Code "invalid_scalar". */
export class InvalidScalarError extends BlindmatchError {}
/** Code "bad_magic". */
export class BadMagicError extends ProtocolError {}
/** Code "unsupported_version". */
export class UnsupportedVersionError extends ProtocolError {}
/** Code "wrong_message_type". */
export class WrongMessageTypeError extends ProtocolError {}
/** Code "unsupported_suite". */
export class UnsupportedSuiteError extends ProtocolError {}
/** Code "malformed". */
export class MalformedError extends ProtocolError {}
/** Code "trailing_bytes". */
export class TrailingBytesError extends ProtocolError {}
/** Code "count_mismatch". */
export class CountMismatchError extends ProtocolError {}
/** Code "session_mismatch". */
export class SessionMismatchError extends ProtocolError {}
/** Code "query_mismatch". */
export class QueryMismatchError extends ProtocolError {}
/** Code "config_mismatch". */
export class ConfigMismatchError extends ProtocolError {}
/** Code "profile_mismatch". */
export class ProfileMismatchError extends ProtocolError {}
/** Code "peer_set_too_large". */
export class PeerSetTooLargeError extends ProtocolError {}
/** Code "peer_set_too_small". */
export class PeerSetTooSmallError extends ProtocolError {}
/** Code "too_many_items". */
export class TooManyItemsError extends BlindmatchError {}
/** Code "unexpected_finish". */
export class UnexpectedFinishError extends ProtocolError {}
/** Code "invalid_config". */
export class InvalidConfigError extends BlindmatchError {}
/** Code "rng". */
export class RngError extends BlindmatchError {}
/** Code "invalid_value". */
export class InvalidValueError extends BlindmatchError {}
/** Code "epoch_mismatch". */
export class EpochMismatchError extends ProtocolError {}
/** Code "budget_exceeded". */
export class BudgetExceededError extends ProtocolError {}
/** Code "invalid_key". */
export class InvalidKeyError extends BlindmatchError {}
/** Code "bad_signature". */
export class BadSignatureError extends ProtocolError {}
/** Code "receipt_mismatch". */
export class ReceiptMismatchError extends ProtocolError {}
/** Code "ledger_tampered". */
export class LedgerTamperedError extends BlindmatchError {}
/** Code "storage". */
export class StorageError extends BlindmatchError {}
/** Code "missing_part". */
export class MissingPartError extends ProtocolError {}
/** Code "duplicate_part". */
export class DuplicatePartError extends ProtocolError {}
/** Code "part_mismatch". */
export class PartMismatchError extends ProtocolError {}
/** Code "bad_state". */
export class BadStateError extends BlindmatchError {}
/** Code "wrong_passphrase". */
export class WrongPassphraseError extends BlindmatchError {}
/** Code "bad_proof". */
export class BadProofError extends ProtocolError {}
/** Code "sum_out_of_range". */
export class SumOutOfRangeError extends ProtocolError {}
/** Code "wrong_hop": a multi-party message is not this agency's to process at this hop. */
export class WrongHopError extends ProtocolError {}
/** Code "replay": a multi-party message processed already arrived again (or an agency sent its tags twice). */
export class ReplayError extends ProtocolError {}
/** Code "unknown_agency": a multi-party message or call names an agency not in the session, or not the sender. */
export class UnknownAgencyError extends ProtocolError {}
