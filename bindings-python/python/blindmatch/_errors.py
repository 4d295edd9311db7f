"""Exception classes of blindmatch, one per stable error code.

Every error raised by blindmatch is a :class:`Error` (itself a ``ValueError``)
with a ``code`` attribute holding the stable code string. Errors caused by a
message from the peer (malformed, hostile, or from another session) are
:class:`ProtocolError`; misuse of a protocol object (finishing twice, reading
results too early) is :class:`StateError`. Messages never contain identifiers
or key material.
"""

from __future__ import annotations

from typing import Dict, Type


class Error(ValueError):
    """Base class of every blindmatch error; ``code`` is its stable code."""

    code: str = "error"

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ProtocolError(Error):
    """A message received from the peer was rejected; abandon the session."""

    code = "protocol"


class StateError(Error):
    """A protocol object was used out of order (e.g. finish called twice)."""

    code = "invalid_state"


class InvalidElementError(ProtocolError):
    """A group element is not a canonical ristretto255 encoding."""

    code = "invalid_element"

class IdentityElementError(ProtocolError):
    """A group element is the identity, which no honest peer sends."""

    code = "identity_element"

class InputTooLongError(Error):
    """An input is longer than the protocol can encode (65535 bytes for the OPRF)."""

    code = "input_too_long"

class DstTooLongError(Error):
    """A domain separation tag or key info string is too long."""

    code = "dst_too_long"

class EmptyDstError(Error):
    """A domain separation tag is empty (RFC 9380 requires a non-empty one)."""

    code = "empty_dst"

class ExpandTooLongError(Error):
    """expand_message_xmd was asked for more output than RFC 9380 allows."""

    code = "expand_too_long"

class DeriveKeyPairError(Error):
    """RFC 9497 DeriveKeyPair found no valid key (practically impossible)."""

    code = "derive_key_pair"

class InvalidScalarError(Error):
    """A scalar (secret key bytes) is not canonical or is zero."""

    code = "invalid_scalar"

class BadMagicError(ProtocolError):
    """The bytes are not a blindmatch message."""

    code = "bad_magic"

class UnsupportedVersionError(ProtocolError):
    """The message uses a wire format version this build does not speak."""

    code = "unsupported_version"

class WrongMessageTypeError(ProtocolError):
    """A message of another type than this step expects."""

    code = "wrong_message_type"

class UnsupportedSuiteError(ProtocolError):
    """The message names a ciphersuite this build does not implement."""

    code = "unsupported_suite"

class MalformedError(ProtocolError):
    """The message body is truncated or malformed."""

    code = "malformed"

class TrailingBytesError(ProtocolError):
    """The message has bytes after its end."""

    code = "trailing_bytes"

class CountMismatchError(ProtocolError):
    """A declared count disagrees with the payload."""

    code = "count_mismatch"

class SessionMismatchError(ProtocolError):
    """The message belongs to another session."""

    code = "session_mismatch"

class QueryMismatchError(ProtocolError):
    """An unbalanced answer belongs to another query than the one finished."""

    code = "query_mismatch"

class ProfileMismatchError(ProtocolError):
    """The peer canonicalized its records under another profile (composites or key-changing options)."""

    code = "profile_mismatch"

class ConfigMismatchError(ProtocolError):
    """The peer asked for another reveal mode or output than ours."""

    code = "config_mismatch"

class PeerSetTooLargeError(ProtocolError):
    """The peer's set is larger than max_peer_items."""

    code = "peer_set_too_large"

class PeerSetTooSmallError(ProtocolError):
    """The peer's set is smaller than min_peer_items."""

    code = "peer_set_too_small"

class TooManyItemsError(Error):
    """Our own set is larger than the wire format carries."""

    code = "too_many_items"

class UnexpectedFinishError(ProtocolError):
    """A finish message is missing, or was given where none is expected."""

    code = "unexpected_finish"

class InvalidConfigError(Error):
    """The configuration or a record is inconsistent (e.g. a duplicate record id)."""

    code = "invalid_config"

class RngError(Error):
    """The operating system's random number generator failed."""

    code = "rng"

class InvalidValueError(Error):
    """An identifier could not be canonicalized."""

    code = "invalid_value"


class EpochMismatchError(ProtocolError):
    """Messages of unbalanced PSI belong to different key epochs (mixed-up files)."""

    code = "epoch_mismatch"


class BudgetExceededError(ProtocolError):
    """A client asked for more evaluations than its budget for the epoch allows."""

    code = "budget_exceeded"


class InvalidKeyError(Error):
    """A signing or public key is not a valid Ed25519 key."""

    code = "invalid_key"


class BadSignatureError(ProtocolError):
    """A receipt or checkpoint signature does not verify, or its signers are not the keys given."""

    code = "bad_signature"


class ReceiptMismatchError(ProtocolError):
    """A receipt states another exchange than our own record of it."""

    code = "receipt_mismatch"


class LedgerTamperedError(Error):
    """An audit ledger's hash chain is broken, or disagrees with a signed checkpoint."""

    code = "ledger_tampered"


class StorageError(Error):
    """The ledger's database failed (unreachable, locked too long, full, or readable by others)."""

    code = "storage"


class MissingPartError(ProtocolError):
    """A partitioned session lacks a part."""

    code = "missing_part"


class DuplicatePartError(ProtocolError):
    """A partitioned session got a part twice."""

    code = "duplicate_part"


class PartMismatchError(ProtocolError):
    """A part is not where its manifest says it belongs (another kind, split, index, or unlisted bytes)."""

    code = "part_mismatch"


class BadStateError(Error):
    """A saved waiting state is damaged, of another format version, or inconsistent."""

    code = "bad_state"


class WrongPassphraseError(Error):
    """A sealed state or key could not be opened: wrong passphrase, or a changed file."""

    code = "wrong_passphrase"


class BadProofError(ProtocolError):
    """The peer's proof of decryption (intersection-sum) does not verify, or a sum does not decrypt what was sent."""

    code = "bad_proof"


class SumOutOfRangeError(ProtocolError):
    """An encrypted sum does not decrypt to a value its cardinality allows."""

    code = "sum_out_of_range"


class WrongHopError(ProtocolError):
    """A multi-party message is not this agency's to process at this hop (another owner's values, or a hop out of order)."""

    code = "wrong_hop"


class ReplayError(ProtocolError):
    """A multi-party message that was processed already arrived again (a replay, or an agency sending its tags twice)."""

    code = "replay"


class UnknownAgencyError(ProtocolError):
    """A multi-party message or call names an agency that is not in the session, or not the one it came from."""

    code = "unknown_agency"


_BY_CODE: Dict[str, Type[Error]] = {
    cls.code: cls
    for cls in (StateError, InvalidElementError, IdentityElementError, InputTooLongError, DstTooLongError, EmptyDstError, ExpandTooLongError, DeriveKeyPairError, InvalidScalarError, BadMagicError, UnsupportedVersionError, WrongMessageTypeError, UnsupportedSuiteError, MalformedError, TrailingBytesError, CountMismatchError, SessionMismatchError, QueryMismatchError, ProfileMismatchError, ConfigMismatchError, PeerSetTooLargeError, PeerSetTooSmallError, TooManyItemsError, UnexpectedFinishError, InvalidConfigError, RngError, InvalidValueError, EpochMismatchError, BudgetExceededError, InvalidKeyError, BadSignatureError, ReceiptMismatchError, LedgerTamperedError, StorageError, MissingPartError, DuplicatePartError, PartMismatchError, BadStateError, WrongPassphraseError, BadProofError, SumOutOfRangeError, WrongHopError, ReplayError, UnknownAgencyError)
}


def error_class(code: str) -> Type[Error]:
    """Returns the exception class of a code (``Error`` for an unknown one)."""
    return _BY_CODE.get(code, Error)


def error_for(code: str, message: str) -> Error:
    """Builds the exception for ``code``; used by the native module."""
    return error_class(code)(message, code)


__all__ = ["Error", "ProtocolError", "StateError", "error_class", "error_for", "InvalidElementError", "IdentityElementError", "InputTooLongError", "DstTooLongError", "EmptyDstError", "ExpandTooLongError", "DeriveKeyPairError", "InvalidScalarError", "BadMagicError", "UnsupportedVersionError", "WrongMessageTypeError", "UnsupportedSuiteError", "MalformedError", "TrailingBytesError", "CountMismatchError", "SessionMismatchError", "QueryMismatchError", "ProfileMismatchError", "ConfigMismatchError", "PeerSetTooLargeError", "PeerSetTooSmallError", "TooManyItemsError", "UnexpectedFinishError", "InvalidConfigError", "RngError", "InvalidValueError", "EpochMismatchError", "BudgetExceededError", "InvalidKeyError", "BadSignatureError", "ReceiptMismatchError", "LedgerTamperedError", "StorageError", "MissingPartError", "DuplicatePartError", "PartMismatchError", "BadStateError", "WrongPassphraseError", "BadProofError", "SumOutOfRangeError", "WrongHopError", "ReplayError", "UnknownAgencyError"]
