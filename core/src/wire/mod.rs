//! The wire format: one versioned envelope around a compact body.
//!
//! ```text
//! "BMCH" (4 bytes) | format version (1 byte) | message type (1 byte) | body
//! ```
//!
//! The body is the `postcard` encoding of the message struct. Group elements
//! and digests travel as one byte string per list, so a decoder borrows them
//! from the input without allocating, checks the declared counts against the
//! receiver's limits, and only then decodes elements. Decoding rejects a bad
//! magic, another format version, another message type, malformed bodies and
//! trailing bytes, each with its own [`Error`].
//!
//! A byte string is a length and the bytes either way postcard is asked to
//! write it (`serde_bytes` or a plain `&[u8]`, a sequence of `u8`); the
//! lists that grow with the items (elements, tags, labels, ciphertexts)
//! take `serde_bytes`, which copies them at once instead of a byte at a
//! time (0.09 ms against 4.6 ms to decode and re-check an 8 MiB request),
//! and the short ones (proofs, per-part and per-agency lists) do not need
//! it.
//!
//! Decoding is **canonical**: a decoder accepts exactly the bytes the
//! encoder writes. postcard itself would also read, say, a count written as
//! a non-minimal varint (`0x80 0x00` for 0); such alternative spellings are
//! [`Error::Malformed`], so one message has one encoding and a hash over a
//! message's bytes (a transcript) identifies its content.
//!
//! The same bytes flow between Rust, Python and JavaScript, and can be
//! written to a file and carried over any channel.

use serde::{Deserialize, Serialize};

pub mod ids;
pub mod limits;
pub mod mode;

use crate::error::{Error, Result};
pub use ids::{EpochId, QueryId};
use mode::{Output, Reveal};

/// The four bytes every blindmatch message starts with.
pub const MAGIC: [u8; 4] = *b"BMCH";

/// The wire format version this build writes and reads.
///
/// Version 3 (this build): proofs where a party raises another's values
/// (DESIGN §8.1): the watch-list on the VOPRF (a public key in set digests,
/// a proof in answers), balanced PSI's proofs and public keys, and the
/// multi-party commitments, roster and hop proofs. Version 2 added
/// canonical decoding, a canonicalization profile in the first message of
/// each protocol, a query id in unbalanced queries and answers, and a
/// per-build salt in set digests. Older messages are refused with
/// [`Error::UnsupportedVersion`].
pub const FORMAT_VERSION: u8 = 3;

/// Length of the envelope header (magic, version, type).
pub const HEADER_LEN: usize = 6;

/// Length of a session identifier.
pub const SESSION_ID_LEN: usize = 16;

/// A session identifier: 16 random bytes chosen by the initiator and bound
/// into every hash of the session.
pub type SessionId = [u8; SESSION_ID_LEN];

/// Length of a canonicalization profile id.
pub const PROFILE_LEN: usize = 32;

/// Identifies how a party turned its data into PSI items: for records, a
/// hash of the canonicalization profile (composite keys, and every option
/// that changes a key's bytes; see `records::RecordSet::profile`).
///
/// It travels in the first message of each protocol, and the peer refuses a
/// different one ([`Error::ProfileMismatch`]) before any group operation:
/// keys canonicalized two different ways would silently never match.
/// [`Profile::RAW`] stands for items given as plain bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Profile([u8; PROFILE_LEN]);

impl Profile {
    /// Items are plain byte strings, canonicalized by the caller (all zeros).
    pub const RAW: Profile = Profile([0; PROFILE_LEN]);

    /// A profile from its id bytes.
    pub const fn from_bytes(bytes: [u8; PROFILE_LEN]) -> Self {
        Profile(bytes)
    }

    /// Returns the id bytes.
    pub const fn to_bytes(self) -> [u8; PROFILE_LEN] {
        self.0
    }

    /// Returns an error unless `peer` equals `self`.
    pub(crate) fn check_peer(self, peer: Profile) -> Result<()> {
        if peer != self {
            return Err(Error::ProfileMismatch);
        }
        Ok(())
    }
}

impl core::fmt::Debug for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if *self == Profile::RAW {
            return f.write_str("Profile(raw)");
        }
        f.write_str("Profile(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

/// The ciphersuites this build implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// ristretto255 with SHA-512 (RFC 9496, RFC 9380, RFC 9497).
    Ristretto255Sha512,
}

impl Suite {
    /// Returns the suite's code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            Suite::Ristretto255Sha512 => 1,
        }
    }

    /// Looks a wire code up.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedSuite`] for a code this build does not implement.
    pub const fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(Suite::Ristretto255Sha512),
            found => Err(Error::UnsupportedSuite { found }),
        }
    }
}

/// The type of a message, the sixth byte of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// Balanced PSI, initiator to responder: session parameters and the
    /// initiator's blinded items.
    PsiRequest,
    /// Balanced PSI, responder to initiator: the initiator's items blinded
    /// again, and the responder's blinded items.
    PsiResponse,
    /// Balanced PSI, initiator to responder: the responder's items, doubly
    /// blinded, when the responder also learns the output.
    PsiFinish,
    /// Unbalanced PSI, server to everyone: the set digest of a key epoch.
    SetDigest,
    /// Unbalanced PSI, client to server: blinded items.
    UnbalancedQuery,
    /// Unbalanced PSI, server to client: evaluated items.
    UnbalancedAnswer,
    /// A signed (and possibly countersigned) receipt of an exchange.
    Receipt,
    /// A signed checkpoint of an audit ledger: its length and head hash.
    Checkpoint,
    /// One part of a partitioned session's step.
    Part,
    /// The manifest of a partitioned session's step: every part's count and hash.
    Manifest,
    /// Manifests and parts of a partitioned session in one file, for a
    /// channel that carries one file per step (the browser tool).
    Bundle,
    /// Intersection-sum, initiator to value holder: blinded identifiers.
    SumRequest,
    /// Intersection-sum, value holder to initiator: the initiator's
    /// identifiers blinded again (shuffled), its own blinded identifiers
    /// with their encrypted values, and its public keys.
    SumResponse,
    /// Intersection-sum, initiator to value holder: the cardinality and the
    /// re-randomized encrypted sums.
    SumFinish,
    /// Intersection-sum, value holder to initiator: the sums, with proofs
    /// of decryption (or noisy sums).
    SumResult,
    /// Multi-party, hub to members: the session (its id, the agencies in
    /// ring order, the threshold).
    MultiSession,
    /// Multi-party, agency to the next agency of the ring: one owner's
    /// values at one hop.
    MultiHop,
    /// Multi-party, agency to hub: the agency's tags.
    MultiTags,
    /// Multi-party, hub to members: the tags held by at least the
    /// threshold of agencies.
    MultiResult,
    /// Multi-party, agency to hub: the agency's public key, its count and
    /// the hash of its first batch, before any value is raised.
    MultiCommit,
    /// Multi-party, hub to members: every agency's commitment, which each
    /// member checks before it raises anything.
    MultiRoster,
}

impl MessageType {
    /// Returns the type's code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            MessageType::PsiRequest => 1,
            MessageType::PsiResponse => 2,
            MessageType::PsiFinish => 3,
            MessageType::SetDigest => 4,
            MessageType::UnbalancedQuery => 5,
            MessageType::UnbalancedAnswer => 6,
            MessageType::Receipt => 7,
            MessageType::Checkpoint => 8,
            MessageType::Part => 9,
            MessageType::Manifest => 10,
            MessageType::Bundle => 11,
            MessageType::SumRequest => 12,
            MessageType::SumResponse => 13,
            MessageType::SumFinish => 14,
            MessageType::SumResult => 15,
            MessageType::MultiSession => 16,
            MessageType::MultiHop => 17,
            MessageType::MultiTags => 18,
            MessageType::MultiResult => 19,
            MessageType::MultiCommit => 20,
            MessageType::MultiRoster => 21,
        }
    }

    /// Looks a wire code up.
    ///
    /// # Errors
    ///
    /// [`Error::WrongMessageType`] (with `expected` 0) for an unknown code.
    pub const fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(MessageType::PsiRequest),
            2 => Ok(MessageType::PsiResponse),
            3 => Ok(MessageType::PsiFinish),
            4 => Ok(MessageType::SetDigest),
            5 => Ok(MessageType::UnbalancedQuery),
            6 => Ok(MessageType::UnbalancedAnswer),
            7 => Ok(MessageType::Receipt),
            8 => Ok(MessageType::Checkpoint),
            9 => Ok(MessageType::Part),
            10 => Ok(MessageType::Manifest),
            11 => Ok(MessageType::Bundle),
            12 => Ok(MessageType::SumRequest),
            13 => Ok(MessageType::SumResponse),
            14 => Ok(MessageType::SumFinish),
            15 => Ok(MessageType::SumResult),
            16 => Ok(MessageType::MultiSession),
            17 => Ok(MessageType::MultiHop),
            18 => Ok(MessageType::MultiTags),
            19 => Ok(MessageType::MultiResult),
            20 => Ok(MessageType::MultiCommit),
            21 => Ok(MessageType::MultiRoster),
            found => Err(Error::WrongMessageType { expected: 0, found }),
        }
    }

    /// Returns a short human-readable name, e.g. for a file name.
    pub const fn name(self) -> &'static str {
        match self {
            MessageType::PsiRequest => "psi-request",
            MessageType::PsiResponse => "psi-response",
            MessageType::PsiFinish => "psi-finish",
            MessageType::SetDigest => "set-digest",
            MessageType::UnbalancedQuery => "unbalanced-query",
            MessageType::UnbalancedAnswer => "unbalanced-answer",
            MessageType::Receipt => "receipt",
            MessageType::Checkpoint => "checkpoint",
            MessageType::Part => "part",
            MessageType::Manifest => "manifest",
            MessageType::Bundle => "bundle",
            MessageType::SumRequest => "sum-request",
            MessageType::SumResponse => "sum-response",
            MessageType::SumFinish => "sum-finish",
            MessageType::SumResult => "sum-result",
            MessageType::MultiSession => "multi-session",
            MessageType::MultiHop => "multi-hop",
            MessageType::MultiTags => "multi-tags",
            MessageType::MultiResult => "multi-result",
            MessageType::MultiCommit => "multi-commit",
            MessageType::MultiRoster => "multi-roster",
        }
    }
}

/// What `registry::inspect` shows of a message: its type, size, session (or
/// query) id, key epoch and counts; never an element, tag or label.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// The message type.
    pub message_type: MessageType,
    /// Size in bytes.
    pub len: usize,
    /// The balanced session id, or the unbalanced query id.
    pub session_id: Option<SessionId>,
    /// The key epoch of an unbalanced message.
    pub epoch: Option<[u8; 16]>,
    /// A balanced request's mode.
    pub mode: Option<(Reveal, Output)>,
    /// Named counts (`initiator_items`, `server_items`, ...).
    pub counts: Vec<(&'static str, u64)>,
}

/// Reads the envelope of a message and returns its type, without decoding
/// the body; useful to route a file that arrived from a peer.
///
/// # Errors
///
/// [`Error::Malformed`] if the message is shorter than the header,
/// [`Error::BadMagic`], [`Error::UnsupportedVersion`], or
/// [`Error::WrongMessageType`] for an unknown type code.
pub fn message_type(bytes: &[u8]) -> Result<MessageType> {
    let (ty, _) = split_header(bytes)?;
    MessageType::from_code(ty)
}

fn split_header(bytes: &[u8]) -> Result<(u8, &[u8])> {
    if bytes.len() < HEADER_LEN {
        return Err(if bytes.len() >= 4 && bytes[..4] != MAGIC {
            Error::BadMagic
        } else {
            Error::Malformed
        });
    }
    if bytes[..4] != MAGIC {
        return Err(Error::BadMagic);
    }
    if bytes[4] != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: bytes[4],
            supported: FORMAT_VERSION,
        });
    }
    Ok((bytes[5], &bytes[HEADER_LEN..]))
}

/// Serializes `body` into an envelope of type `ty`.
pub(crate) fn encode<T: Serialize>(ty: MessageType, body: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 64);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(ty.code());
    // postcard cannot fail on our message structs (no maps of unknown
    // length, no custom serializers that error); an error here is a bug.
    match postcard::to_extend(body, out) {
        Ok(out) => out,
        Err(_) => unreachable!("postcard encoding of a blindmatch message failed"),
    }
}

/// Decodes `bytes` as a `T` message of type `ty` and encodes it again: the
/// round trip of the canonical-decoding tests and the `decode` fuzz target
/// (the result must be the input).
///
/// # Errors
///
/// Any decoding error.
#[cfg(any(test, fuzzing))]
pub(crate) fn reencode_as<'a, T: Deserialize<'a> + Serialize>(
    bytes: &'a [u8],
    ty: MessageType,
) -> Result<Vec<u8>> {
    Ok(encode(ty, &decode::<T>(bytes, ty)?))
}

/// Decodes an envelope of type `expected` into its body, borrowing byte
/// strings from `bytes`, and checks that the body is exactly what
/// [`encode`] writes for the decoded value.
pub(crate) fn decode<'a, T: Deserialize<'a> + Serialize>(
    bytes: &'a [u8],
    expected: MessageType,
) -> Result<T> {
    let (ty, body) = split_header(bytes)?;
    if ty != expected.code() {
        return Err(Error::WrongMessageType {
            expected: expected.code(),
            found: ty,
        });
    }
    let (value, rest) = postcard::take_from_bytes::<T>(body).map_err(|_| Error::Malformed)?;
    if !rest.is_empty() {
        return Err(Error::TrailingBytes { count: rest.len() });
    }
    // Re-encoding compares byte by byte as it goes, without allocating.
    let same = postcard::serialize_with_flavor(
        &value,
        Compare {
            expected: body, // no trailing bytes: the value used all of it
            at: 0,
        },
    );
    if same != Ok(true) {
        return Err(Error::Malformed);
    }
    Ok(value)
}

/// A postcard output that compares what the encoder writes with the bytes
/// a message arrived as: `finalize` is `true` when they are equal.
struct Compare<'a> {
    expected: &'a [u8],
    at: usize,
}

impl postcard::ser_flavors::Flavor for Compare<'_> {
    type Output = bool;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.try_extend(&[byte])
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        let end = self.at + data.len();
        if self.expected.get(self.at..end) != Some(data) {
            return Err(postcard::Error::SerializeBufferFull);
        }
        self.at = end;
        Ok(())
    }

    fn finalize(self) -> postcard::Result<bool> {
        Ok(self.at == self.expected.len())
    }
}

/// Checks that a count the peer echoes back (our own set size, as the peer
/// received it) is the one we sent.
pub(crate) fn check_echoed_count(found: u32, ours: usize) -> Result<()> {
    if found as usize != ours {
        return Err(Error::CountMismatch {
            declared: ours,
            actual: found as usize,
        });
    }
    Ok(())
}

/// Checks that a byte string holds exactly `count` items of `size` bytes.
pub(crate) fn check_len(bytes: &[u8], count: usize, size: usize) -> Result<()> {
    let expected = count.checked_mul(size).ok_or(Error::Malformed)?;
    if bytes.len() != expected {
        return Err(Error::CountMismatch {
            declared: count,
            actual: bytes.len() / size.max(1),
        });
    }
    Ok(())
}

/// Mutation test of canonical decoding (for each message module's tests):
/// every mutation of `message` that [`decode`] accepts must be exactly what
/// [`encode`] writes for the decoded value. Mutations: every single varint
/// written non-minimally (a byte `b < 0x80` as `b | 0x80, 0x00`), every byte
/// flipped, inserted or deleted. Returns how many mutations decoded.
#[cfg(test)]
pub(crate) fn assert_canonical<'a, T: Deserialize<'a> + Serialize>(
    message: &[u8],
    ty: MessageType,
    storage: &'a mut Vec<Vec<u8>>,
) -> usize {
    let mut mutants: Vec<Vec<u8>> = Vec::new();
    for i in HEADER_LEN..message.len() {
        if message[i] < 0x80 {
            let mut m = message[..i].to_vec();
            m.extend_from_slice(&[message[i] | 0x80, 0x00]);
            m.extend_from_slice(&message[i + 1..]);
            mutants.push(m);
        }
        for flip in [0x01u8, 0x80, 0xff] {
            let mut m = message.to_vec();
            m[i] ^= flip;
            mutants.push(m);
        }
        let mut m = message.to_vec();
        m.insert(i, 0x00);
        mutants.push(m);
        let mut m = message.to_vec();
        m.remove(i);
        mutants.push(m);
    }
    *storage = mutants;
    let mut accepted = 0;
    for m in storage.iter() {
        if let Ok(value) = decode::<T>(m, ty) {
            assert_eq!(&encode(ty, &value), m, "a mutation decoded non-canonically");
            accepted += 1;
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Body<'a> {
        n: u32,
        blob: &'a [u8],
    }

    #[test]
    fn round_trip_and_rejections() {
        let body = Body { n: 3, blob: b"abc" };
        let bytes = encode(MessageType::PsiFinish, &body);
        assert_eq!(&bytes[..6], b"BMCH\x03\x03");
        assert_eq!(
            decode::<Body<'_>>(&bytes, MessageType::PsiFinish).unwrap(),
            body
        );
        assert_eq!(message_type(&bytes).unwrap(), MessageType::PsiFinish);
        assert_eq!(
            decode::<Body<'_>>(&bytes, MessageType::PsiRequest),
            Err(Error::WrongMessageType {
                expected: 1,
                found: 3
            })
        );
        // The finish message with one edit: the decoder's error.
        let edited = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut v = bytes.clone();
            edit(&mut v);
            decode::<Body<'_>>(&v, MessageType::PsiFinish).map(|_| ())
        };
        let version = Error::UnsupportedVersion {
            found: 9,
            supported: 3,
        };
        assert_eq!(edited(&|v| v[4] = 9), Err(version));
        assert_eq!(edited(&|v| v[0] = b'X'), Err(Error::BadMagic));
        assert_eq!(
            edited(&|v| v.push(0)),
            Err(Error::TrailingBytes { count: 1 })
        );
        assert_eq!(edited(&|v| v.truncate(v.len() - 1)), Err(Error::Malformed));
        assert_eq!(message_type(b"BMC"), Err(Error::Malformed));
        assert_eq!(message_type(b"XXXXXXXX"), Err(Error::BadMagic));
    }

    #[test]
    fn only_the_encoders_bytes_decode() {
        let body = Body { n: 3, blob: b"abc" };
        let bytes = encode(MessageType::PsiFinish, &body);
        // n = 3 as the two-byte varint 0x83 0x00: postcard reads it, we refuse it.
        let mut v = bytes[..6].to_vec();
        v.extend_from_slice(&[0x83, 0x00]);
        v.extend_from_slice(&bytes[7..]);
        assert_eq!(
            decode::<Body<'_>>(&v, MessageType::PsiFinish),
            Err(Error::Malformed)
        );
        // The blob's length (3) as 0x83 0x80 0x00.
        let mut v = bytes[..7].to_vec();
        v.extend_from_slice(&[0x83, 0x80, 0x00]);
        v.extend_from_slice(b"abc");
        assert_eq!(
            decode::<Body<'_>>(&v, MessageType::PsiFinish),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn huge_declared_blob_is_rejected_without_allocation() {
        // Header + n=1 + a blob length varint claiming 2^32 bytes, no data.
        let mut v = b"BMCH\x03\x03".to_vec();
        v.extend_from_slice(&[1, 0x80, 0x80, 0x80, 0x80, 0x10]);
        assert_eq!(
            decode::<Body<'_>>(&v, MessageType::PsiFinish),
            Err(Error::Malformed)
        );
    }
}
