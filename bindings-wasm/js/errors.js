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

/** Called by the WebAssembly module to build the error it throws. */
function makeError(code, message, isProtocol) {
  if (isProtocol) return new ProtocolError(message, code);
  if (code === "invalid_state") return new StateError(message, code);
  if (code === "invalid_argument") return new ArgumentError(message, code);
  return new BlindmatchError(message, code);
}
