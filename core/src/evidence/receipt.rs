//! Signed receipts of an exchange, for the legal record (DESIGN §7.3).
//!
//! After a session, each party can sign a receipt: which protocol and mode
//! ran, its session (or query and key epoch), the signer's role, the case
//! reference and legal basis the operator gives, both set sizes, the
//! result's cardinality when the signer learned it, the transcript hash
//! ([`crate::crypto::transcript`]) and a timestamp. The peer checks the receipt
//! against its own view of the session ([`countersign`] with its own
//! [`SessionRecord`]) and countersigns it. Anyone holding the two public
//! keys can then [`verify`] it, and learns no identifier: a receipt holds
//! counts and hashes of blinded messages only.
//!
//! ```
//! # #[cfg(feature = "os-rng")] {
//! use blindmatch::psi::{Config, Initiator, Responder};
//! use blindmatch::receipt::{self, Case, SigningKey};
//!
//! let (a, request) = Initiator::new(Config::default(), &["x", "y"])?;
//! let (b, response) = Responder::new(Config::default(), &["y", "z"])?.respond(&request)?;
//! let a = a.conclude(&response)?;
//! let b = b.conclude(a.finish.as_deref())?;
//!
//! let (key_a, key_b) = (SigningKey::generate()?, SigningKey::generate()?);
//! let case = Case::new("NL-2026-0142", "MLAT art. 18")?;
//! let signed = receipt::sign(&a.record, &case, &key_a, 1_780_000_000)?;
//! // B checks A's receipt against its own record before it countersigns.
//! let both = receipt::countersign(&signed, &key_b, Some(&b.record), 1_780_000_060)?;
//! let fields = receipt::verify(&both, &[key_a.public_key(), key_b.public_key()])?;
//! assert_eq!(fields.record.cardinality, Some(1));
//! assert_eq!(fields.record.transcript, b.record.transcript);
//! # }
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! A receipt proves that the holders of the keys signed these facts; it
//! does not prove that either party used its real list, nor that the
//! cardinality the first signer states is true unless the countersigner
//! learned the output too and checked it (see [`countersign`]).

use core::fmt;

use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::transcript::{TRANSCRIPT_LEN, TranscriptHash};
use crate::error::{Error, Result};
use crate::wire::ids::EpochId;
use crate::wire::mode::{Output, Reveal, RevealSumTo};
use crate::wire::{self, MessageType, SessionId};

/// Version of the receipt body layout (separate from the wire format's).
pub const RECEIPT_VERSION: u8 = 1;

/// Longest case reference or legal basis, in bytes of UTF-8.
pub const MAX_CASE_TEXT: usize = 1024;

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

const SIGN_LABEL: &[u8] = b"blindmatch-receipt-v1-sign";
const COUNTERSIGN_LABEL: &[u8] = b"blindmatch-receipt-v1-countersign";

/// Which exchange a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Balanced PSI ([`crate::protocol::psi`]) in the given mode.
    Psi {
        /// What the receivers of the output learned.
        reveal: Reveal,
        /// Who learned it.
        output: Output,
    },
    /// One query and answer of unbalanced PSI ([`crate::protocol::unbalanced`]).
    Unbalanced,
    /// One agency's part in a multi-party session ([`crate::protocol::multiparty`]),
    /// between the agency and the hub.
    MultiParty {
        /// Number of agencies in the session.
        agencies: u8,
        /// Agencies that must hold an item for it to be published.
        threshold: u8,
    },
    /// An intersection-sum ([`crate::protocol::sum`]): the cardinality
    /// and, to whom the session reveals them, the sums.
    Sum {
        /// Who learned the sums.
        reveal_sum_to: RevealSumTo,
    },
}

impl Protocol {
    /// The protocol's name (`"psi"`, `"unbalanced"`, `"multiparty"`,
    /// `"sum"`) and, for balanced PSI, its reveal and output names (for a
    /// sum, who learned the sums as its output): how receipts and ledger
    /// entries spell them.
    pub const fn names(self) -> (&'static str, Option<&'static str>, Option<&'static str>) {
        match self {
            Protocol::Psi { reveal, output } => ("psi", Some(reveal.name()), Some(output.name())),
            Protocol::Unbalanced => ("unbalanced", None, None),
            Protocol::MultiParty { .. } => ("multiparty", None, None),
            Protocol::Sum { reveal_sum_to } => ("sum", None, Some(reveal_sum_to.name())),
        }
    }
}

/// The part a party played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Balanced PSI and intersection-sum: started the session.
    Initiator,
    /// Balanced PSI and intersection-sum: answered the request.
    Responder,
    /// Unbalanced PSI: sent a query.
    Client,
    /// Unbalanced PSI: answered it.
    Server,
    /// Multi-party: one of the agencies.
    Member,
    /// Multi-party: the counting hub.
    Hub,
}

impl Role {
    const fn code(self) -> u8 {
        match self {
            Role::Initiator => 1,
            Role::Responder => 2,
            Role::Client => 3,
            Role::Server => 4,
            Role::Member => 5,
            Role::Hub => 6,
        }
    }

    fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            1 => Role::Initiator,
            2 => Role::Responder,
            3 => Role::Client,
            4 => Role::Server,
            5 => Role::Member,
            6 => Role::Hub,
            _ => return Err(Error::Malformed),
        })
    }

    /// The role of the other party of the same exchange.
    pub const fn peer(self) -> Role {
        match self {
            Role::Initiator => Role::Responder,
            Role::Responder => Role::Initiator,
            Role::Client => Role::Server,
            Role::Server => Role::Client,
            Role::Member => Role::Hub,
            Role::Hub => Role::Member,
        }
    }

    /// Returns the role's name (`"initiator"`, `"responder"`, `"client"`, `"server"`).
    pub const fn name(self) -> &'static str {
        match self {
            Role::Initiator => "initiator",
            Role::Responder => "responder",
            Role::Client => "client",
            Role::Server => "server",
            Role::Member => "member",
            Role::Hub => "hub",
        }
    }
}

/// What one party knows about an exchange once it is over: everything a
/// receipt states except the case and the signature. Built by the
/// protocols ([`crate::protocol::psi::InitiatorOutcome`], [`crate::protocol::psi::ResponderOutcome`],
/// [`crate::protocol::unbalanced::UnbalancedMatches::record`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SessionRecord {
    /// Protocol and mode.
    pub protocol: Protocol,
    /// This party's role.
    pub role: Role,
    /// Balanced PSI: the session id. Unbalanced PSI: the query id.
    pub session_id: SessionId,
    /// Unbalanced PSI: the key epoch. `None` for balanced PSI.
    pub epoch: Option<EpochId>,
    /// Distinct items this party held (the server: items in its digest).
    pub own_count: u64,
    /// Distinct items the peer held, as its messages declared.
    pub peer_count: u64,
    /// Number of shared items, when this party learned it.
    pub cardinality: Option<u64>,
    /// Hash of every message of the exchange.
    pub transcript: TranscriptHash,
}

/// The case an exchange was made for: a reference and the legal basis,
/// free text of at most [`MAX_CASE_TEXT`] bytes each, written into every
/// receipt. Neither ever travels in a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Case {
    case_ref: String,
    legal_basis: String,
}

impl Case {
    /// Builds a case.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for a text over [`MAX_CASE_TEXT`] bytes;
    /// [`Error::InvalidConfig`] for a control character (a receipt is
    /// rendered for people; a line break or escape sequence in it could
    /// forge lines of the rendering).
    pub fn new(case_ref: impl Into<String>, legal_basis: impl Into<String>) -> Result<Self> {
        let case = Case {
            case_ref: case_ref.into(),
            legal_basis: legal_basis.into(),
        };
        check_text(&case.case_ref)?;
        check_text(&case.legal_basis)?;
        Ok(case)
    }

    /// Returns the case reference.
    pub fn case_ref(&self) -> &str {
        &self.case_ref
    }

    /// Returns the legal basis.
    pub fn legal_basis(&self) -> &str {
        &self.legal_basis
    }
}

fn check_text(text: &str) -> Result<()> {
    if text.len() > MAX_CASE_TEXT {
        return Err(Error::InputTooLong {
            len: text.len(),
            max: MAX_CASE_TEXT,
        });
    }
    if text.chars().any(char::is_control) {
        return Err(Error::InvalidConfig(
            "case reference and legal basis must not contain control characters",
        ));
    }
    Ok(())
}

/// An Ed25519 key that signs receipts and ledger checkpoints. Zeroized on
/// drop; `Debug` shows only the public key.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Generates a key from the operating system's RNG.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`].
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut seed[..]).map_err(|_| Error::Rng)?;
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// Loads a key from its 32-byte secret (as [`SigningKey::to_secret_bytes`] wrote it).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for another length.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .try_into()
                .map_err(|_| Error::InvalidKey("an Ed25519 secret key is 32 bytes"))?,
        );
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// Returns the 32-byte secret. Store it like any private key.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// Returns the public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, label: &[u8], message: &[u8]) -> [u8; 64] {
        let mut m = Vec::with_capacity(label.len() + message.len());
        m.extend_from_slice(label);
        m.extend_from_slice(message);
        self.0.sign(&m).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key: verifies receipts and checkpoints. `Display`
/// prints it in hex, the form receipts' JSON uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Loads a 32-byte public key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] for another length, a non-canonical point
    /// or a weak (small-order) key, which would verify forged signatures.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: [u8; PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::InvalidKey("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| Error::InvalidKey("not an Ed25519 public key"))?;
        if key.is_weak() || key.to_bytes() != bytes {
            return Err(Error::InvalidKey(
                "a weak or non-canonical Ed25519 public key",
            ));
        }
        Ok(PublicKey(key))
    }

    /// Returns the 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    pub(crate) fn verify(&self, label: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
        let signature = Signature::from_slice(signature)
            .map_err(|_| Error::BadSignature("a signature does not verify"))?;
        let mut m = Vec::with_capacity(label.len() + message.len());
        m.extend_from_slice(label);
        m.extend_from_slice(message);
        self.0
            .verify_strict(&m, &signature)
            .map_err(|_| Error::BadSignature("a signature does not verify"))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.to_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct Body<'a> {
    version: u8,
    /// 1: balanced PSI, 2: unbalanced PSI, 3: multi-party.
    protocol: u8,
    /// Balanced PSI's reveal and output codes; 0 for unbalanced PSI; the
    /// number of agencies and the threshold for multi-party.
    reveal: u8,
    output: u8,
    role: u8,
    session_id: SessionId,
    epoch: Option<EpochId>,
    signer: [u8; PUBLIC_KEY_LEN],
    case_ref: &'a str,
    legal_basis: &'a str,
    own_count: u64,
    peer_count: u64,
    cardinality: Option<u64>,
    #[serde(with = "serde_bytes")]
    transcript: &'a [u8],
    timestamp: u64,
}

#[derive(Serialize, Deserialize)]
struct Countersignature<'a> {
    signer: [u8; PUBLIC_KEY_LEN],
    timestamp: u64,
    #[serde(with = "serde_bytes")]
    signature: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ReceiptMsg<'a> {
    #[serde(borrow)]
    body: Body<'a>,
    #[serde(with = "serde_bytes")]
    signature: &'a [u8],
    #[serde(borrow)]
    countersignature: Option<Countersignature<'a>>,
}

fn body_bytes(body: &Body<'_>) -> Vec<u8> {
    match postcard::to_allocvec(body) {
        Ok(b) => b,
        Err(_) => unreachable!("postcard encoding of a receipt body failed"),
    }
}

/// The countersigner signs the body, the first signature, its key and time.
fn countersigned_bytes(
    body: &[u8],
    signature: &[u8],
    signer: &[u8; 32],
    timestamp: u64,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 64 + 32 + 8);
    m.extend_from_slice(body);
    m.extend_from_slice(signature);
    m.extend_from_slice(signer);
    m.extend_from_slice(&timestamp.to_be_bytes());
    m
}

/// Signs a receipt of `record` for `case` at `timestamp` (seconds since
/// the Unix epoch, from the caller's clock: the crate does no I/O).
///
/// # Errors
///
/// None today; the `Result` leaves room for checks of future fields.
pub fn sign(
    record: &SessionRecord,
    case: &Case,
    key: &SigningKey,
    timestamp: u64,
) -> Result<Vec<u8>> {
    let (protocol, reveal, output) = match record.protocol {
        Protocol::Psi { reveal, output } => (1, reveal.code(), output.code()),
        Protocol::Unbalanced => (2, 0, 0),
        Protocol::MultiParty {
            agencies,
            threshold,
        } => (3, agencies, threshold),
        Protocol::Sum { reveal_sum_to } => (4, 0, reveal_sum_to.code()),
    };
    let body = Body {
        version: RECEIPT_VERSION,
        protocol,
        reveal,
        output,
        role: record.role.code(),
        session_id: record.session_id,
        epoch: record.epoch,
        signer: key.public_key().to_bytes(),
        case_ref: &case.case_ref,
        legal_basis: &case.legal_basis,
        own_count: record.own_count,
        peer_count: record.peer_count,
        cardinality: record.cardinality,
        transcript: &record.transcript,
        timestamp,
    };
    let signature = key.sign(SIGN_LABEL, &body_bytes(&body));
    Ok(wire::encode(
        MessageType::Receipt,
        &ReceiptMsg {
            body,
            signature: &signature,
            countersignature: None,
        },
    ))
}

/// Checks that a receipt describes the same exchange as `own`, seen from
/// the other side: same protocol, session, epoch and transcript, the peer's
/// role, the set sizes swapped, and the same cardinality when both learned it.
fn check_against(fields: &ReceiptFields, own: &SessionRecord) -> Result<()> {
    let theirs = &fields.record;
    if theirs.transcript != own.transcript {
        return Err(Error::ReceiptMismatch("transcript hash differs from ours"));
    }
    if theirs.session_id != own.session_id || theirs.epoch != own.epoch {
        return Err(Error::ReceiptMismatch("another session"));
    }
    if theirs.protocol != own.protocol || theirs.role != own.role.peer() {
        return Err(Error::ReceiptMismatch("another protocol, mode or role"));
    }
    if theirs.own_count != own.peer_count || theirs.peer_count != own.own_count {
        return Err(Error::ReceiptMismatch("set sizes differ from ours"));
    }
    if let (Some(a), Some(b)) = (theirs.cardinality, own.cardinality) {
        if a != b {
            return Err(Error::ReceiptMismatch("cardinality differs from ours"));
        }
    }
    Ok(())
}

/// What a countersigner expects a receipt to state of its case: the case
/// reference and the legal basis it was told of, each checked when given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectCase<'a> {
    /// The case reference the receipt must state.
    pub case_ref: Option<&'a str>,
    /// The legal basis the receipt must state.
    pub legal_basis: Option<&'a str>,
}

impl ExpectCase<'_> {
    fn check(&self, case: &Case) -> Result<()> {
        if self.case_ref.is_some_and(|c| c != case.case_ref) {
            return Err(Error::ReceiptMismatch(
                "the receipt names another case reference",
            ));
        }
        if self.legal_basis.is_some_and(|l| l != case.legal_basis) {
            return Err(Error::ReceiptMismatch(
                "the receipt names another legal basis",
            ));
        }
        Ok(())
    }
}

/// Countersigns the peer's receipt. With `own` (this party's record of the
/// same exchange), first checks that the receipt states this exchange:
/// transcript hash, session, roles, sizes and (when both learned it) the
/// cardinality. Without it, the countersigner vouches for facts it has not
/// checked; do that only when the record is unavailable and say so. A
/// countersignature is never dated before the signature.
/// [`countersign_expecting`] also checks the case the receipt names.
///
/// # Errors
///
/// Decoding errors, [`Error::BadSignature`] when the first signature does
/// not verify, [`Error::ReceiptMismatch`] when the receipt states another
/// exchange or is dated after `timestamp`, [`Error::InvalidConfig`] when
/// it is countersigned already.
pub fn countersign(
    receipt: &[u8],
    key: &SigningKey,
    own: Option<&SessionRecord>,
    timestamp: u64,
) -> Result<Vec<u8>> {
    countersign_expecting(receipt, key, own, ExpectCase::default(), timestamp)
}

/// [`countersign`], after checking that the receipt names the case
/// reference and legal basis this party was told of (`expect`), so one
/// exchange is not countersigned under a case it was not for.
///
/// # Errors
///
/// As [`countersign`]; [`Error::ReceiptMismatch`] for another case
/// reference or legal basis than expected.
pub fn countersign_expecting(
    receipt: &[u8],
    key: &SigningKey,
    own: Option<&SessionRecord>,
    expect: ExpectCase<'_>,
    timestamp: u64,
) -> Result<Vec<u8>> {
    let msg: ReceiptMsg<'_> = wire::decode(receipt, MessageType::Receipt)?;
    if msg.countersignature.is_some() {
        return Err(Error::InvalidConfig("the receipt is countersigned already"));
    }
    let fields = open(&msg)?;
    if let Some(own) = own {
        check_against(&fields, own)?;
    }
    expect.check(&fields.case)?;
    if timestamp < fields.timestamp {
        return Err(Error::ReceiptMismatch(
            "a countersignature cannot be dated before the signature",
        ));
    }
    let signer = key.public_key().to_bytes();
    let body = body_bytes(&msg.body);
    let signature = key.sign(
        COUNTERSIGN_LABEL,
        &countersigned_bytes(&body, msg.signature, &signer, timestamp),
    );
    Ok(wire::encode(
        MessageType::Receipt,
        &ReceiptMsg {
            body: msg.body,
            signature: msg.signature,
            countersignature: Some(Countersignature {
                signer,
                timestamp,
                signature: &signature,
            }),
        },
    ))
}

/// Verifies a receipt against the parties' public keys and returns what it
/// states. Every key in `keys` must have signed it (the signer and, for a
/// countersigned receipt, the countersigner), and nobody else may have: a
/// receipt signed by another key, a missing countersignature when two keys
/// are given, or any changed byte fails.
///
/// # Errors
///
/// Decoding errors ([`Error::Malformed`] ...), [`Error::BadSignature`].
pub fn verify(receipt: &[u8], keys: &[PublicKey]) -> Result<ReceiptFields> {
    let msg: ReceiptMsg<'_> = wire::decode(receipt, MessageType::Receipt)?;
    let fields = open(&msg)?;
    let mut signers = vec![fields.signer];
    signers.extend(fields.countersigner);
    for signer in &signers {
        if !keys.contains(signer) {
            return Err(Error::BadSignature("signed by a key that was not given"));
        }
    }
    for key in keys {
        if !signers.contains(key) {
            return Err(Error::BadSignature("a given key did not sign the receipt"));
        }
    }
    Ok(fields)
}

/// Decodes a receipt and checks that its signatures are valid for the keys
/// it names, without checking whose keys those are: for a ledger or a
/// viewer that records or shows a receipt. To rely on a receipt, use
/// [`verify`] with the parties' keys.
///
/// # Errors
///
/// Decoding errors, [`Error::BadSignature`].
pub fn read(receipt: &[u8]) -> Result<ReceiptFields> {
    open(&wire::decode(receipt, MessageType::Receipt)?)
}

/// Checks a receipt message's signatures and returns its fields.
fn open(msg: &ReceiptMsg<'_>) -> Result<ReceiptFields> {
    let b = &msg.body;
    if b.version != RECEIPT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: b.version,
            supported: RECEIPT_VERSION,
        });
    }
    let protocol = match (b.protocol, b.reveal, b.output) {
        (1, r, o) => Protocol::Psi {
            reveal: Reveal::from_code(r)?,
            output: Output::from_code(o)?,
        },
        (2, 0, 0) => Protocol::Unbalanced,
        (3, k, t)
            if (crate::wire::limits::MIN_AGENCIES..=crate::wire::limits::MAX_AGENCIES)
                .contains(&usize::from(k))
                && (2..=k).contains(&t) =>
        {
            Protocol::MultiParty {
                agencies: k,
                threshold: t,
            }
        }
        (4, 0, o) => Protocol::Sum {
            reveal_sum_to: RevealSumTo::from_code(o)?,
        },
        _ => return Err(Error::Malformed),
    };
    let transcript: TranscriptHash = b.transcript.try_into().map_err(|_| Error::Malformed)?;
    let _: &[u8; TRANSCRIPT_LEN] = &transcript;
    check_text(b.case_ref).map_err(|_| Error::Malformed)?;
    check_text(b.legal_basis).map_err(|_| Error::Malformed)?;
    let signer = PublicKey::from_bytes(&b.signer)
        .map_err(|_| Error::BadSignature("the signer's key is not a valid key"))?;
    let body = body_bytes(b);
    signer.verify(SIGN_LABEL, &body, msg.signature)?;
    let (countersigner, countersigned_at) = match &msg.countersignature {
        None => (None, None),
        Some(c) => {
            let key = PublicKey::from_bytes(&c.signer)
                .map_err(|_| Error::BadSignature("the countersigner's key is not a valid key"))?;
            if key == signer {
                return Err(Error::BadSignature("countersigned by the signer itself"));
            }
            if c.timestamp < b.timestamp {
                return Err(Error::BadSignature("countersigned before it was signed"));
            }
            key.verify(
                COUNTERSIGN_LABEL,
                &countersigned_bytes(&body, msg.signature, &c.signer, c.timestamp),
                c.signature,
            )?;
            (Some(key), Some(c.timestamp))
        }
    };
    Ok(ReceiptFields {
        record: SessionRecord {
            protocol,
            role: Role::from_code(b.role)?,
            session_id: b.session_id,
            epoch: b.epoch,
            own_count: b.own_count,
            peer_count: b.peer_count,
            cardinality: b.cardinality,
            transcript,
        },
        case: Case {
            case_ref: b.case_ref.to_owned(),
            legal_basis: b.legal_basis.to_owned(),
        },
        signer,
        timestamp: b.timestamp,
        countersigner,
        countersigned_at,
    })
}

/// The JSON rendering's fields, in the order people read them.
#[derive(Serialize)]
struct JsonView<'a> {
    format: u8,
    protocol: &'static str,
    reveal: Option<&'static str>,
    output: Option<&'static str>,
    /// Multi-party only: the number of agencies and the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    agencies: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<u8>,
    role: &'static str,
    session_id: String,
    epoch: Option<String>,
    case_ref: &'a str,
    legal_basis: &'a str,
    own_count: u64,
    peer_count: u64,
    cardinality: Option<u64>,
    transcript_hash: String,
    signer: String,
    signed_at: u64,
    countersigner: Option<String>,
    countersigned_at: Option<u64>,
}

/// What a verified receipt states.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiptFields {
    /// The exchange, as the signer saw it (`role` and the counts are the signer's).
    pub record: SessionRecord,
    /// The case the signer gave.
    pub case: Case,
    /// Who signed first.
    pub signer: PublicKey,
    /// When the signer signed (seconds since the Unix epoch).
    pub timestamp: u64,
    /// Who countersigned, if anyone.
    pub countersigner: Option<PublicKey>,
    /// When the countersigner signed.
    pub countersigned_at: Option<u64>,
}

impl ReceiptFields {
    /// Renders the receipt for people and records: a JSON object whose
    /// keys are fixed (`format`, `protocol`, `reveal`, `output`, `role`,
    /// `session_id`, `epoch`, `case_ref`, `legal_basis`, `own_count`,
    /// `peer_count`, `cardinality`, `transcript_hash`, `signer`,
    /// `signed_at`, `countersigner`, `countersigned_at`); bytes in hex,
    /// times in seconds since the Unix epoch, absent values `null`.
    pub fn to_json(&self) -> String {
        let r = &self.record;
        let (protocol, reveal, output) = r.protocol.names();
        let (agencies, threshold) = match r.protocol {
            Protocol::MultiParty {
                agencies,
                threshold,
            } => (Some(agencies), Some(threshold)),
            _ => (None, None),
        };
        let view = JsonView {
            format: RECEIPT_VERSION,
            protocol,
            reveal,
            output,
            agencies,
            threshold,
            role: r.role.name(),
            session_id: hex::encode(r.session_id),
            epoch: r.epoch.map(hex::encode),
            case_ref: &self.case.case_ref,
            legal_basis: &self.case.legal_basis,
            own_count: r.own_count,
            peer_count: r.peer_count,
            cardinality: r.cardinality,
            transcript_hash: hex::encode(r.transcript),
            signer: self.signer.to_string(),
            signed_at: self.timestamp,
            countersigner: self.countersigner.map(|k| k.to_string()),
            countersigned_at: self.countersigned_at,
        };
        match serde_json::to_string_pretty(&view) {
            Ok(s) => s,
            Err(_) => unreachable!("strings and integers always serialize"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A countersignature dated before the signature, correctly signed (as
    /// a countersigner that bypasses [`countersign`] would make it), fails
    /// verification.
    #[test]
    fn deviating_countersigner_backdates_its_countersignature() {
        let (ka, kb) = (
            SigningKey::from_secret_bytes(&[1; 32]).unwrap(),
            SigningKey::from_secret_bytes(&[2; 32]).unwrap(),
        );
        let record = SessionRecord {
            protocol: Protocol::Unbalanced,
            role: Role::Client,
            session_id: [7; 16],
            epoch: Some([9; 16]),
            own_count: 3,
            peer_count: 10,
            cardinality: Some(1),
            transcript: [5; TRANSCRIPT_LEN],
        };
        let case = Case::new("NL-2026-0142", "MLAT art. 18").unwrap();
        let signed = sign(&record, &case, &ka, 5000).unwrap();
        let msg: ReceiptMsg<'_> = wire::decode(&signed, MessageType::Receipt).unwrap();
        let signer = kb.public_key().to_bytes();
        let body = body_bytes(&msg.body);
        let backdated = |timestamp: u64| {
            let signature = kb.sign(
                COUNTERSIGN_LABEL,
                &countersigned_bytes(&body, msg.signature, &signer, timestamp),
            );
            wire::encode(
                MessageType::Receipt,
                &ReceiptMsg {
                    body: msg.body.clone(),
                    signature: msg.signature,
                    countersignature: Some(Countersignature {
                        signer,
                        timestamp,
                        signature: &signature,
                    }),
                },
            )
        };
        let keys = [ka.public_key(), kb.public_key()];
        assert!(verify(&backdated(5000), &keys).is_ok());
        assert_eq!(
            verify(&backdated(4999), &keys).unwrap_err().code(),
            crate::ErrorCode::BadSignature
        );
    }
}
