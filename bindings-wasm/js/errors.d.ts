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
