//! The one error type of the crate and its stable codes.
//!
//! Every fallible function returns [`Error`]. Bindings map errors by
//! [`ErrorCode`], never by message, so each code string is part of the
//! public contract and never changes meaning. Messages never contain an
//! identifier, an item or key material: they are safe to log.

use core::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in blindmatch.
///
/// Variants that concern a message received from the peer are protocol
/// errors ([`Error::is_protocol_error`]): the session must be abandoned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A group element is not the canonical encoding of a ristretto255 point.
    #[error("invalid group element: not a canonical ristretto255 encoding")]
    InvalidElement,
    /// A group element is the identity, which no honest peer ever sends.
    #[error("invalid group element: the identity element")]
    IdentityElement,
    /// An input is longer than the protocol can encode.
    #[error("input of {len} bytes exceeds the maximum of {max} bytes")]
    InputTooLong {
        /// Length of the rejected input.
        len: usize,
        /// Largest accepted length.
        max: usize,
    },
    /// A domain separation tag or key info string is longer than allowed.
    #[error("domain separation tag or key info of {len} bytes exceeds {max} bytes")]
    DstTooLong {
        /// Length of the rejected string.
        len: usize,
        /// Largest accepted length.
        max: usize,
    },
    /// A domain separation tag is empty (RFC 9380 §3.1 requires a non-empty one).
    #[error("domain separation tag is empty")]
    EmptyDst,
    /// `expand_message_xmd` was asked for more output than RFC 9380 allows.
    #[error("requested {len} uniform bytes; RFC 9380 allows at most {max}")]
    ExpandTooLong {
        /// Requested length.
        len: usize,
        /// Largest accepted length.
        max: usize,
    },
    /// RFC 9497 `DeriveKeyPair` found no non-zero scalar in 256 attempts.
    #[error("key derivation failed")]
    DeriveKeyPair,
    /// A scalar encoding is not canonical or is zero.
    #[error("invalid scalar: not a canonical non-zero scalar")]
    InvalidScalar,
    /// A message does not start with the `BMCH` magic.
    #[error("not a blindmatch message (bad magic)")]
    BadMagic,
    /// A message uses a wire format version this build does not speak.
    #[error("unsupported wire format version {found} (this build speaks version {supported})")]
    UnsupportedVersion {
        /// Version found in the message.
        found: u8,
        /// Version this build speaks.
        supported: u8,
    },
    /// A message of another type arrived than the protocol step expects.
    #[error("unexpected message type {found}, expected {expected}")]
    WrongMessageType {
        /// Type code the step expects.
        expected: u8,
        /// Type code found in the message.
        found: u8,
    },
    /// A message names a ciphersuite this build does not implement.
    #[error("unsupported ciphersuite {found}")]
    UnsupportedSuite {
        /// Ciphersuite code found in the message.
        found: u8,
    },
    /// A message body could not be decoded (truncated or malformed).
    #[error("malformed message body")]
    Malformed,
    /// A message has bytes after its end.
    #[error("{count} trailing bytes after the message")]
    TrailingBytes {
        /// Number of unexpected bytes.
        count: usize,
    },
    /// A declared count disagrees with the payload it describes.
    #[error("message declares {declared} elements but carries {actual}")]
    CountMismatch {
        /// Count the message declares or the protocol requires.
        declared: usize,
        /// Count the payload actually holds.
        actual: usize,
    },
    /// A message belongs to another session.
    #[error("message belongs to another session")]
    SessionMismatch,
    /// An unbalanced answer belongs to another query than the one it is
    /// finished with (its echoed query id differs).
    #[error("answer belongs to another query")]
    QueryMismatch,
    /// The peer canonicalized its records under another profile (composite
    /// keys or options that change a key's bytes): its keys could never
    /// match ours, so the session stops before any group operation.
    #[error("peer's canonicalization profile differs from ours")]
    ProfileMismatch,
    /// The peer asked for a mode (reveal or output) this party's configuration does not allow.
    #[error("peer's session parameters differ from ours: {0}")]
    ConfigMismatch(&'static str),
    /// The peer's set is larger than this party's policy allows.
    #[error("peer set of {count} items exceeds the limit of {max}")]
    PeerSetTooLarge {
        /// Size the peer declared.
        count: usize,
        /// Largest size the policy accepts.
        max: usize,
    },
    /// The peer's set is smaller than this party's policy allows.
    #[error("peer set of {count} items is below the minimum of {min}")]
    PeerSetTooSmall {
        /// Size the peer declared.
        count: usize,
        /// Smallest size the policy accepts.
        min: usize,
    },
    /// This party's own set exceeds what the wire format can carry.
    #[error("own set of {count} distinct items exceeds the limit of {max}")]
    TooManyItems {
        /// Number of distinct items.
        count: usize,
        /// Largest number the format or configuration accepts.
        max: usize,
    },
    /// A finish message was expected but none was given, or one was given
    /// where the configuration says there is none.
    #[error("finish message {0}")]
    UnexpectedFinish(&'static str),
    /// The configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Rng,
    /// Messages of unbalanced PSI belong to different key epochs (e.g. an
    /// answer and a digest from different keys, or a query for another key).
    #[error("messages belong to different key epochs")]
    EpochMismatch,
    /// A client asked for more evaluations than its budget for the epoch allows.
    #[error("query of {requested} elements exceeds the remaining budget of {remaining}")]
    BudgetExceeded {
        /// Elements the query asks for.
        requested: u64,
        /// Elements the client may still have evaluated this epoch.
        remaining: u64,
    },
    /// A signing or public key is not a valid Ed25519 key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A receipt or checkpoint signature does not verify, or the signers
    /// are not the keys given.
    #[error("bad signature: {0}")]
    BadSignature(&'static str),
    /// A receipt states another exchange than this party's own record of it.
    #[error("receipt does not match our record of the session: {0}")]
    ReceiptMismatch(&'static str),
    /// An audit ledger's hash chain is broken: an entry was edited, deleted,
    /// inserted or reordered, or a checkpoint does not match the chain.
    #[error("ledger tampered with at entry {seq}: {reason}")]
    LedgerTampered {
        /// Sequence number of the first entry that fails.
        seq: u64,
        /// What failed.
        reason: &'static str,
    },
    /// A budget store or ledger failed (the database is unreachable, locked
    /// for too long, or full). The message comes from the store and names
    /// no identifier.
    #[error("storage failed: {0}")]
    Storage(String),
    /// A partitioned session lacks a part (index given).
    #[error("part {index} is missing")]
    MissingPart {
        /// The first missing index.
        index: u32,
    },
    /// A partitioned session got a part twice.
    #[error("part {index} was given twice")]
    DuplicatePart {
        /// The repeated index.
        index: u32,
    },
    /// A part is not where the manifest says it belongs: another kind,
    /// another split, another index, or bytes the manifest does not list.
    #[error("part does not match the manifest: {0}")]
    PartMismatch(&'static str),
    /// A saved waiting state ([`crate::registry::saved`]) is damaged, of another
    /// format version, or inconsistent.
    #[error("bad saved state: {0}")]
    BadState(&'static str),
    /// A sealed state or key could not be opened: the passphrase is wrong,
    /// or the file was changed.
    #[error("cannot open the sealed file: wrong passphrase, or the file was changed")]
    WrongPassphrase,
    /// A proof of decryption (intersection-sum) does not verify, or a sum
    /// does not decrypt what was sent.
    #[error("the peer's proof of decryption does not verify")]
    BadProof,
    /// An encrypted sum does not decrypt to a value the cardinality allows.
    #[error("an encrypted sum is out of the range its cardinality allows")]
    SumOutOfRange,
    /// A multi-party message arrived at the wrong agency or at the wrong
    /// hop of its ring (another owner's values, or a hop out of order).
    #[error("multi-party message at the wrong hop: {0}")]
    WrongHop(&'static str),
    /// A message that was processed already arrived again (a replay, or an
    /// agency sending twice).
    #[error("message already processed: {0}")]
    Replay(&'static str),
    /// A multi-party message or call names an agency that is not in the
    /// session, or not the one it came from.
    #[error("agency is not in the session, or not the sender: {0}")]
    UnknownAgency(&'static str),
    /// A step was called out of order (a multi-party member's tags before
    /// its values came back, a hub's result before every agency's tags).
    #[error("step called out of order: {0}")]
    InvalidState(&'static str),
    /// An identifier could not be canonicalized (records). The message
    /// names the kind and the reason, never the value.
    #[error("invalid {kind}: {reason}")]
    InvalidValue {
        /// Tag of the identifier kind (`"email"`, `"phone"`, ...).
        kind: &'static str,
        /// Why the value was rejected.
        reason: &'static str,
    },
}

/// Declares [`ErrorCode`] once: the enum, [`ErrorCode::ALL`], the stable
/// strings and the protocol flag come from one table, so a new code cannot
/// be half-added.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $code:ident = $s:literal, $protocol:literal;)*) => {
        /// Stable, machine-readable identifier of an [`Error`] variant.
        ///
        /// Bindings expose these strings (Python `err.code`, JavaScript `err.code`);
        /// they never change meaning once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $code,)*
        }

        impl ErrorCode {
            /// Every code, for exhaustive mapping tests in the bindings.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)*];

            /// Returns the stable snake_case string of this code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$code => $s,)*
                }
            }

            /// Tells whether errors of this code concern a message from the peer
            /// (malformed, hostile or from another session) rather than local input.
            pub const fn is_protocol(self) -> bool {
                match self {
                    $(ErrorCode::$code => $protocol,)*
                }
            }
        }
    };
}

error_codes! {
    /// [`Error::InvalidElement`]
    InvalidElement = "invalid_element", true;
    /// [`Error::IdentityElement`]
    IdentityElement = "identity_element", true;
    /// [`Error::InputTooLong`]
    InputTooLong = "input_too_long", false;
    /// [`Error::DstTooLong`]
    DstTooLong = "dst_too_long", false;
    /// [`Error::EmptyDst`]
    EmptyDst = "empty_dst", false;
    /// [`Error::ExpandTooLong`]
    ExpandTooLong = "expand_too_long", false;
    /// [`Error::DeriveKeyPair`]
    DeriveKeyPair = "derive_key_pair", false;
    /// [`Error::InvalidScalar`]
    InvalidScalar = "invalid_scalar", false;
    /// [`Error::BadMagic`]
    BadMagic = "bad_magic", true;
    /// [`Error::UnsupportedVersion`]
    UnsupportedVersion = "unsupported_version", true;
    /// [`Error::WrongMessageType`]
    WrongMessageType = "wrong_message_type", true;
    /// [`Error::UnsupportedSuite`]
    UnsupportedSuite = "unsupported_suite", true;
    /// [`Error::Malformed`]
    Malformed = "malformed", true;
    /// [`Error::TrailingBytes`]
    TrailingBytes = "trailing_bytes", true;
    /// [`Error::CountMismatch`]
    CountMismatch = "count_mismatch", true;
    /// [`Error::SessionMismatch`]
    SessionMismatch = "session_mismatch", true;
    /// [`Error::QueryMismatch`]
    QueryMismatch = "query_mismatch", true;
    /// [`Error::ConfigMismatch`]
    ConfigMismatch = "config_mismatch", true;
    /// [`Error::ProfileMismatch`]
    ProfileMismatch = "profile_mismatch", true;
    /// [`Error::PeerSetTooLarge`]
    PeerSetTooLarge = "peer_set_too_large", true;
    /// [`Error::PeerSetTooSmall`]
    PeerSetTooSmall = "peer_set_too_small", true;
    /// [`Error::TooManyItems`]
    TooManyItems = "too_many_items", false;
    /// [`Error::UnexpectedFinish`]
    UnexpectedFinish = "unexpected_finish", true;
    /// [`Error::InvalidConfig`]
    InvalidConfig = "invalid_config", false;
    /// [`Error::Rng`]
    Rng = "rng", false;
    /// [`Error::InvalidValue`]
    InvalidValue = "invalid_value", false;
    /// [`Error::EpochMismatch`]
    EpochMismatch = "epoch_mismatch", true;
    /// [`Error::BudgetExceeded`]
    BudgetExceeded = "budget_exceeded", true;
    /// [`Error::InvalidKey`]
    InvalidKey = "invalid_key", false;
    /// [`Error::BadSignature`]
    BadSignature = "bad_signature", true;
    /// [`Error::ReceiptMismatch`]
    ReceiptMismatch = "receipt_mismatch", true;
    /// [`Error::LedgerTampered`]
    LedgerTampered = "ledger_tampered", false;
    /// [`Error::Storage`]
    Storage = "storage", false;
    /// [`Error::MissingPart`]
    MissingPart = "missing_part", true;
    /// [`Error::DuplicatePart`]
    DuplicatePart = "duplicate_part", true;
    /// [`Error::PartMismatch`]
    PartMismatch = "part_mismatch", true;
    /// [`Error::BadState`]
    BadState = "bad_state", false;
    /// [`Error::WrongPassphrase`]
    WrongPassphrase = "wrong_passphrase", false;
    /// [`Error::BadProof`]
    BadProof = "bad_proof", true;
    /// [`Error::SumOutOfRange`]
    SumOutOfRange = "sum_out_of_range", true;
    /// [`Error::WrongHop`]
    WrongHop = "wrong_hop", true;
    /// [`Error::Replay`]
    Replay = "replay", true;
    /// [`Error::UnknownAgency`]
    UnknownAgency = "unknown_agency", true;
    /// [`Error::InvalidState`]
    InvalidState = "invalid_state", false;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// Returns the stable code of this error.
    pub const fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidElement => ErrorCode::InvalidElement,
            Error::IdentityElement => ErrorCode::IdentityElement,
            Error::InputTooLong { .. } => ErrorCode::InputTooLong,
            Error::DstTooLong { .. } => ErrorCode::DstTooLong,
            Error::EmptyDst => ErrorCode::EmptyDst,
            Error::ExpandTooLong { .. } => ErrorCode::ExpandTooLong,
            Error::DeriveKeyPair => ErrorCode::DeriveKeyPair,
            Error::InvalidScalar => ErrorCode::InvalidScalar,
            Error::BadMagic => ErrorCode::BadMagic,
            Error::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            Error::WrongMessageType { .. } => ErrorCode::WrongMessageType,
            Error::UnsupportedSuite { .. } => ErrorCode::UnsupportedSuite,
            Error::Malformed => ErrorCode::Malformed,
            Error::TrailingBytes { .. } => ErrorCode::TrailingBytes,
            Error::CountMismatch { .. } => ErrorCode::CountMismatch,
            Error::SessionMismatch => ErrorCode::SessionMismatch,
            Error::QueryMismatch => ErrorCode::QueryMismatch,
            Error::ProfileMismatch => ErrorCode::ProfileMismatch,
            Error::ConfigMismatch(_) => ErrorCode::ConfigMismatch,
            Error::PeerSetTooLarge { .. } => ErrorCode::PeerSetTooLarge,
            Error::PeerSetTooSmall { .. } => ErrorCode::PeerSetTooSmall,
            Error::TooManyItems { .. } => ErrorCode::TooManyItems,
            Error::UnexpectedFinish(_) => ErrorCode::UnexpectedFinish,
            Error::InvalidConfig(_) => ErrorCode::InvalidConfig,
            Error::Rng => ErrorCode::Rng,
            Error::InvalidValue { .. } => ErrorCode::InvalidValue,
            Error::EpochMismatch => ErrorCode::EpochMismatch,
            Error::BudgetExceeded { .. } => ErrorCode::BudgetExceeded,
            Error::InvalidKey(_) => ErrorCode::InvalidKey,
            Error::BadSignature(_) => ErrorCode::BadSignature,
            Error::ReceiptMismatch(_) => ErrorCode::ReceiptMismatch,
            Error::LedgerTampered { .. } => ErrorCode::LedgerTampered,
            Error::Storage(_) => ErrorCode::Storage,
            Error::MissingPart { .. } => ErrorCode::MissingPart,
            Error::DuplicatePart { .. } => ErrorCode::DuplicatePart,
            Error::PartMismatch(_) => ErrorCode::PartMismatch,
            Error::BadState(_) => ErrorCode::BadState,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::BadProof => ErrorCode::BadProof,
            Error::SumOutOfRange => ErrorCode::SumOutOfRange,
            Error::WrongHop(_) => ErrorCode::WrongHop,
            Error::Replay(_) => ErrorCode::Replay,
            Error::UnknownAgency(_) => ErrorCode::UnknownAgency,
            Error::InvalidState(_) => ErrorCode::InvalidState,
        }
    }

    /// Tells whether this error concerns a message received from the peer.
    pub const fn is_protocol_error(&self) -> bool {
        self.code().is_protocol()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let strings: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(strings.len(), ErrorCode::ALL.len());
        for s in strings {
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
        }
    }
}
