//! Intersection-sum (DESIGN §7.5): the cardinality of the intersection
//! and, per value column, the sum of the value holder's values over it;
//! nothing about which items matched.
//!
//! The initiator (A) holds identifiers; the responder (B) holds
//! identifiers and one or more columns of non-negative integers, and an
//! exponential ElGamal key pair on ristretto255.
//!
//! ```text
//! A -> B  request   H(x)^a for A's items (shuffled)
//! B -> A  response  H(x)^ab as comparison values (shuffled again: A cannot
//!                   tell which of its items matched), B's public keys, and
//!                   for each of B's items (shuffled) H(y)^b with its values
//!                   encrypted: (r·G, m_1·G + r·P_1, …, m_k·G + r·P_k)
//! A -> B  finish    the cardinality, and (at or above the minimum) the
//!                   homomorphic sums of the matched items' ciphertexts,
//!                   re-randomized with a fresh s: (ΣC1 + s·G, ΣC2_j + s·P_j)
//! B -> A  result    (when A learns the sums) the sums, with B's decryption
//!                   shares and a Chaum–Pedersen proof for each that it
//!                   decrypted with its key; or noisy sums without proofs
//! ```
//!
//! Values are split into 16-bit limbs, each encrypted under its own key
//! `P_j` (one per column and limb), so one `r` per item serves every limb
//! (multi-recipient ElGamal with randomness reuse, secure under DDH with
//! independent keys). A limb's sum over `n` items is below `n · 2^16`,
//! which B recovers with a baby-step giant-step search bounded by the
//! cardinality; the column's sum is the limbs' sums recombined. Values of
//! up to 64 bits, 2^24 items and more: sums are exact `i128`s.
//!
//! Like cardinality-mode PSI, this is secure against **semi-honest**
//! peers only: A could, for example, sum a single matched item's
//! ciphertext and claim a cardinality at the minimum. SECURITY.md states
//! the leakage and the known attacks on intersection-sum outputs.

use std::collections::HashMap;
use std::sync::LazyLock;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand::seq::SliceRandom;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::group::{self, ELEMENT_LEN, random_nonzero_scalar};
use crate::crypto::rng::{self, Seed};
use crate::crypto::transcript::Transcript;
use crate::error::{Error, Result};
use crate::evidence::receipt::{Protocol, Role, SessionRecord};
use crate::protocol::compare::{CompareSet, compare_len, read_compare, write_compare};
use crate::protocol::distinct::Distinct;
use crate::protocol::psi::{
    Limits, MAX_ITEMS, Opening, SessionDst, SessionKey, blind, reblind_compare, shuffled,
};
use crate::wire::{self, MessageType, Profile, SessionId, Suite};

/// Most value columns in one session.
pub const MAX_COLUMNS: usize = 16;
/// Longest column name, in bytes (UTF-8).
pub const MAX_COLUMN_NAME: usize = 64;
/// Bits per limb: each limb of a value is encrypted on its own.
pub const LIMB_BITS: u32 = 16;
const LIMB_MAX: u64 = (1 << LIMB_BITS) - 1;
/// Largest cardinality whose sums can be decrypted: a limb's sum is then
/// below 2^48, found by a search of about 2^24 steps.
pub const MAX_SUMMED_ITEMS: u64 = 1 << 32;
/// Default bits of a value: values below 2^32.
pub const DEFAULT_VALUE_BITS: u8 = 32;
/// Default minimum cardinality for revealing sums: a total over fewer
/// items is too close to one item's value (set 0 to reveal any sum).
pub const DEFAULT_MIN_INTERSECTION: u64 = 5;

const TRANSCRIPT_PROTOCOL: &[u8] = b"blindmatch-SUM-v1";
const PROOF_DST: &[u8] = b"blindmatch-SUM-v1-ristretto255-SHA512-DecryptionProof";

pub use crate::wire::mode::RevealSumTo;

/// Discrete-Laplace noise added to each sum the initiator learns.
///
/// Each column's sum gets independent noise with
/// `P(x) ∝ exp(-ε·|x| / sensitivity)`: ε-differential privacy for one
/// item's presence, per column, when no item contributes more than
/// `sensitivity` (values above it are refused). Noisy sums come without a
/// decryption proof: a proof would reveal the exact sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// ε, between 2^-16 and 64; rounded to a multiple of 2^-16.
    pub epsilon: f64,
    /// The largest value one item (one distinct identifier) may have.
    pub sensitivity: u64,
}

/// The configuration of an intersection-sum session. Both parties must
/// choose the same `reveal_to` and `min_intersection`; `value_bits` and
/// `noise` are the value holder's (the initiator's are ignored).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SumConfig {
    /// Who learns the sums.
    pub reveal_to: RevealSumTo,
    /// Below this cardinality no sum is revealed to anyone (the initiator
    /// does not send them, the responder does not decrypt them).
    pub min_intersection: u64,
    /// How the items were canonicalized (checked like balanced PSI's).
    pub profile: Profile,
    /// Bounds on the peer's set.
    pub limits: Limits,
    /// Values are below 2^`value_bits` (16, 32, 48 or 64; default 32).
    pub value_bits: u8,
    /// Noise on the sums revealed to the initiator.
    pub noise: Option<Noise>,
    /// The initiator's: accept noisy sums, which come without a proof of
    /// decryption. Off by default: an initiator then requires proven sums
    /// and refuses a noisy result ([`Error::BadProof`]), so a value holder
    /// cannot hand it unproven numbers it did not ask for.
    pub accept_noisy: bool,
}

impl SumConfig {
    /// A configuration with defaults for the rest: sums revealed from
    /// [`DEFAULT_MIN_INTERSECTION`] shared items, raw profile, default
    /// limits, 32-bit values, no noise.
    pub fn new(reveal_to: RevealSumTo) -> Self {
        SumConfig {
            reveal_to,
            min_intersection: DEFAULT_MIN_INTERSECTION,
            profile: Profile::RAW,
            limits: Limits::default(),
            value_bits: DEFAULT_VALUE_BITS,
            noise: None,
            accept_noisy: false,
        }
    }

    setters! {
        /// Sets the minimum intersection size.
        with_min_intersection(min: u64) => min_intersection;

        /// Sets the canonicalization profile.
        with_profile(profile: Profile) => profile;
    }

    /// Refuses a peer with more distinct items.
    #[must_use]
    pub fn with_max_peer_items(mut self, max: usize) -> Self {
        self.limits.max_peer_items = max;
        self
    }

    /// Refuses a peer with fewer distinct items.
    #[must_use]
    pub fn with_min_peer_items(mut self, min: usize) -> Self {
        self.limits.min_peer_items = min;
        self
    }

    setters! {
        /// Sets the bits of a value (16, 32, 48 or 64).
        with_value_bits(bits: u8) => value_bits;
    }

    /// The initiator's: accepts the value holder's noisy (unproven) sums
    /// ([`SumConfig::accept_noisy`]).
    pub fn with_accept_noisy(mut self, accept: bool) -> Self {
        self.accept_noisy = accept;
        self
    }

    /// Adds noise to the sums the initiator learns.
    #[must_use]
    pub fn with_noise(mut self, noise: Noise) -> Self {
        self.noise = Some(noise);
        self
    }

    /// Adds noise when both parts are given (the bindings' two options):
    /// none for neither.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for one part without the other.
    pub fn with_noise_parts(self, epsilon: Option<f64>, sensitivity: Option<u64>) -> Result<Self> {
        match (epsilon, sensitivity) {
            (None, None) => Ok(self),
            (Some(epsilon), Some(sensitivity)) => Ok(self.with_noise(Noise {
                epsilon,
                sensitivity,
            })),
            _ => Err(Error::InvalidConfig(
                "noise needs both its epsilon and its sensitivity",
            )),
        }
    }

    fn validate(&self) -> Result<()> {
        if !matches!(self.value_bits, 16 | 32 | 48 | 64) {
            return Err(Error::InvalidConfig("value_bits must be 16, 32, 48 or 64"));
        }
        if self.limits.min_peer_items > self.limits.max_peer_items {
            return Err(Error::InvalidConfig(
                "min_peer_items exceeds max_peer_items",
            ));
        }
        if let Some(n) = &self.noise {
            if !(n.epsilon.is_finite() && (1.0 / 65536.0..=64.0).contains(&n.epsilon)) {
                return Err(Error::InvalidConfig(
                    "noise epsilon must be between 2^-16 and 64",
                ));
            }
            if n.sensitivity == 0 {
                return Err(Error::InvalidConfig("noise sensitivity must be at least 1"));
            }
            if self.reveal_to == RevealSumTo::Responder {
                return Err(Error::InvalidConfig(
                    "noise protects sums revealed to the initiator; with reveal_to = responder there are none",
                ));
            }
        }
        Ok(())
    }

    fn limbs(&self) -> usize {
        usize::from(self.value_bits) / LIMB_BITS as usize
    }
}

/// A value column of the responder: a name and one value per item given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name (1 to 64 bytes), as the initiator's result names it.
    pub name: String,
    /// One value per item, in the order of the items.
    pub values: Vec<u64>,
}

/// What a party learns from a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SumOutcome {
    /// Distinct items in the intersection.
    pub cardinality: u64,
    /// Per column, its name and the sum over the intersection; `None` when
    /// this party learns no sums (below the minimum, or revealed to the
    /// responder only). The responder's are exact; the initiator's carry
    /// the noise when noise is configured.
    pub sums: Option<Vec<(String, i128)>>,
    /// The sums the initiator learned were noisy (and not proven).
    pub noisy: bool,
    /// The initiator checked a proof of decryption for every sum.
    pub proven: bool,
    /// The party's record of the session, for a receipt and the ledger:
    /// the transcript hash, both set sizes (distinct items) and the
    /// cardinality; the peer's record states the same, seen from the
    /// other side.
    pub record: SessionRecord,
}

/// The record of a session that ended (`counts`: this party's distinct
/// items, then the peer's).
fn session_record(
    reveal_sum_to: RevealSumTo,
    role: Role,
    session_id: SessionId,
    (own_count, peer_count): (u64, u64),
    cardinality: u64,
    transcript: &Transcript,
) -> SessionRecord {
    SessionRecord {
        protocol: Protocol::Sum { reveal_sum_to },
        role,
        session_id,
        epoch: None,
        own_count,
        peer_count,
        cardinality: Some(cardinality),
        transcript: transcript.hash(),
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct RequestMsg<'a> {
    suite: u8,
    reveal_to: u8,
    min_intersection: u64,
    session_id: SessionId,
    profile: Profile,
    count: u32,
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ResponseMsg<'a> {
    session_id: SessionId,
    initiator_count: u32,
    responder_count: u32,
    compare_len: u8,
    value_bits: u8,
    #[serde(borrow)]
    columns: Vec<&'a str>,
    public_keys: &'a [u8],
    #[serde(borrow, with = "serde_bytes")]
    reblinded: &'a [u8],
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
    #[serde(borrow, with = "serde_bytes")]
    ciphertexts: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct FinishMsg<'a> {
    session_id: SessionId,
    cardinality: u64,
    sums: &'a [u8],
}

const BELOW_MINIMUM: u8 = 0;
const PROVEN: u8 = 1;
const NOISY: u8 = 2;

#[derive(Serialize, Deserialize)]
pub(crate) struct ResultMsg<'a> {
    session_id: SessionId,
    cardinality: u64,
    kind: u8,
    limb_sums: Vec<u64>,
    shares: &'a [u8],
    proofs: &'a [u8],
    noisy_sums: Vec<i128>,
}

fn encode_points(points: &[RistrettoPoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * ELEMENT_LEN);
    for p in points {
        out.extend_from_slice(p.compress().as_bytes());
    }
    out
}

fn decode_points(bytes: &[u8]) -> Result<Vec<RistrettoPoint>> {
    bytes
        .chunks_exact(ELEMENT_LEN)
        .map(group::decode_element)
        .collect()
}

fn check_columns(names: &[&str]) -> Result<()> {
    if names.is_empty() || names.len() > MAX_COLUMNS {
        return Err(Error::InvalidConfig("between 1 and 16 value columns"));
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || n.len() > MAX_COLUMN_NAME {
            return Err(Error::InvalidConfig("a column name has 1 to 64 bytes"));
        }
        if names[..i].contains(n) {
            return Err(Error::InvalidConfig("column names must differ"));
        }
    }
    Ok(())
}

/// The initiator (identifiers only), waiting for the response.
pub struct Initiator {
    config: SumConfig,
    key: SessionKey,
    session_id: SessionId,
    count: usize,
    seed: Seed,
    transcript: Transcript,
}

debug_public!(Initiator, "sum::Initiator", |s|
    config: s.config,
    distinct_items: s.count,
);

impl Initiator {
    crate::crypto::rng::rng_constructors! {
        /// Starts a session: de-duplicates and blinds `items`; returns the state
        /// and the request for the value holder. Randomness from the OS.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`], [`Error::TooManyItems`], [`Error::Rng`].
        pub fn new | new_with_rng [T: AsRef<[u8]>,]
            (config: SumConfig, items: &[T]) -> Result<(Self, Vec<u8>)> = start;
    }

    fn start<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        config: SumConfig,
        items: &[T],
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>)> {
        config.validate()?;
        let Opening {
            key,
            session_id,
            seed,
            order,
            elements,
            ..
        } = Opening::new(items, rng)?;
        let request = wire::encode(
            MessageType::SumRequest,
            &RequestMsg {
                suite: Suite::Ristretto255Sha512.code(),
                reveal_to: config.reveal_to.code(),
                min_intersection: config.min_intersection,
                session_id,
                profile: config.profile,
                count: order.len() as u32,
                elements: &elements,
            },
        );
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(&request);
        Ok((
            Initiator {
                config,
                key,
                session_id,
                count: order.len(),
                seed,
                transcript,
            },
            request,
        ))
    }

    /// Returns the session id.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// Matches the response: returns the state waiting for the result (it
    /// knows the cardinality) and the finish message for the value holder,
    /// with the re-randomized encrypted sums when the cardinality reaches
    /// the minimum.
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::SessionMismatch`], [`Error::CountMismatch`],
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`],
    /// [`Error::ConfigMismatch`], [`Error::InvalidConfig`] for bad columns,
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`] for any bad
    /// element, key or ciphertext.
    pub fn finish(mut self, response: &[u8]) -> Result<(InitiatorAwaitingResult, Vec<u8>)> {
        let msg: ResponseMsg<'_> = wire::decode(response, MessageType::SumResponse)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        let mine = self.count;
        wire::check_echoed_count(msg.initiator_count, mine)?;
        let theirs = msg.responder_count as usize;
        self.config.limits.check_peer(theirs)?;
        let len = compare_len(mine, theirs);
        if msg.compare_len as usize != len {
            return Err(Error::ConfigMismatch(
                "comparison length differs from the one the set sizes imply",
            ));
        }
        if !matches!(msg.value_bits, 16 | 32 | 48 | 64) {
            return Err(Error::Malformed);
        }
        check_columns(&msg.columns).map_err(|_| Error::Malformed)?;
        let k = msg.columns.len() * usize::from(msg.value_bits) / LIMB_BITS as usize;
        wire::check_len(msg.public_keys, k, ELEMENT_LEN)?;
        wire::check_len(msg.reblinded, mine, len)?;
        wire::check_len(msg.elements, theirs, ELEMENT_LEN)?;
        let per_item = (1 + k) * ELEMENT_LEN;
        wire::check_len(msg.ciphertexts, theirs, per_item)?;
        let keys = decode_points(msg.public_keys)?;

        let their_values = reblind_compare(msg.elements, &self.key, &self.session_id, len)?;
        let mine_set: CompareSet = msg.reblinded.chunks_exact(len).map(read_compare).collect();
        // Distinct items give distinct values (but with probability 2^-40):
        // a value twice on either side is a value holder that repeated an
        // element (or an item of the initiator's) to pass the minimum with
        // a smaller intersection, and each of the initiator's items counts
        // once.
        if mine_set.len() != mine {
            return Err(Error::Malformed);
        }
        let mut seen = CompareSet::default();
        if !their_values.iter().all(|v| seen.insert(*v)) {
            return Err(Error::Malformed);
        }
        let matched: Vec<bool> = their_values.iter().map(|v| mine_set.contains(v)).collect();
        let cardinality = matched.iter().filter(|&&m| m).count() as u64;

        // Every ciphertext is validated; the matched ones are summed.
        let partial = crate::crypto::par::map_ranges(
            theirs,
            group::BATCH,
            |range| -> Result<Vec<RistrettoPoint>> {
                let mut acc = vec![RistrettoPoint::identity(); 1 + k];
                for i in range {
                    let at = i * per_item;
                    let points = decode_points(&msg.ciphertexts[at..at + per_item])?;
                    if matched[i] {
                        for (a, p) in acc.iter_mut().zip(points) {
                            *a += p;
                        }
                    }
                }
                Ok(acc)
            },
        );
        let mut sums = vec![RistrettoPoint::identity(); 1 + k];
        for part in partial {
            for (s, p) in sums.iter_mut().zip(part?) {
                *s += p;
            }
        }
        let reveal = cardinality >= self.config.min_intersection && cardinality > 0;
        let sent = if reveal {
            // A fresh s hides which ciphertexts were summed.
            let mut s = random_nonzero_scalar(&mut rng::from_seed(&self.seed));
            sums[0] += RistrettoPoint::mul_base(&s);
            for (c, p) in sums[1..].iter_mut().zip(&keys) {
                *c += p * s;
            }
            s.zeroize();
            Some(sums)
        } else {
            None
        };
        let sums_bytes = sent.as_deref().map(encode_points).unwrap_or_default();
        let finish = wire::encode(
            MessageType::SumFinish,
            &FinishMsg {
                session_id: self.session_id,
                cardinality,
                sums: &sums_bytes,
            },
        );
        self.transcript.absorb(response);
        self.transcript.absorb(&finish);
        Ok((
            InitiatorAwaitingResult {
                reveal_to: self.config.reveal_to,
                counts: (mine as u64, theirs as u64),
                // An initiator that configured noise itself asks for noise.
                accept_noisy: self.config.accept_noisy || self.config.noise.is_some(),
                session_id: self.session_id,
                cardinality,
                columns: msg.columns.iter().map(|c| (*c).to_owned()).collect(),
                limbs: usize::from(msg.value_bits) / LIMB_BITS as usize,
                keys,
                sent,
                transcript: self.transcript,
            },
            finish,
        ))
    }
}

/// The initiator after its finish message, waiting for the result.
pub struct InitiatorAwaitingResult {
    reveal_to: RevealSumTo,
    /// Distinct items: this party's, the responder's.
    counts: (u64, u64),
    accept_noisy: bool,
    session_id: SessionId,
    cardinality: u64,
    columns: Vec<String>,
    limbs: usize,
    keys: Vec<RistrettoPoint>,
    sent: Option<Vec<RistrettoPoint>>,
    transcript: Transcript,
}

debug_public!(InitiatorAwaitingResult, "sum::InitiatorAwaitingResult", |s|
    cardinality: s.cardinality,
    columns: s.columns,
);

impl InitiatorAwaitingResult {
    /// The cardinality of the intersection (known after matching).
    pub fn cardinality(&self) -> u64 {
        self.cardinality
    }

    /// Whether a result message is due (the sums are revealed to both);
    /// otherwise [`InitiatorAwaitingResult::result`] takes `None`.
    pub fn result_due(&self) -> bool {
        self.reveal_to == RevealSumTo::Both
    }

    /// Reads the value holder's result (`None` when the sums are revealed
    /// to the responder only) and checks its proofs of decryption.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedFinish`] for a result where none is due or none
    /// where one is, decoding errors, [`Error::SessionMismatch`],
    /// [`Error::CountMismatch`], [`Error::BadProof`] when a decryption
    /// proof fails, a sum does not decrypt what was sent, or the sums are
    /// noisy (unproven) and this initiator did not accept noisy sums
    /// ([`SumConfig::with_accept_noisy`]).
    pub fn result(mut self, result: Option<&[u8]>) -> Result<SumOutcome> {
        let result = match (self.reveal_to, result) {
            (RevealSumTo::Responder, None) => {
                return Ok(SumOutcome {
                    cardinality: self.cardinality,
                    sums: None,
                    noisy: false,
                    proven: false,
                    record: self.record(),
                });
            }
            (RevealSumTo::Both, Some(r)) => r,
            (RevealSumTo::Responder, Some(_)) => {
                return Err(Error::UnexpectedFinish(
                    "given: the sums are revealed to the responder only",
                ));
            }
            (RevealSumTo::Both, None) => {
                return Err(Error::UnexpectedFinish(
                    "missing: the responder's result carries the sums",
                ));
            }
        };
        let msg: ResultMsg<'_> = wire::decode(result, MessageType::SumResult)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        if msg.cardinality != self.cardinality {
            return Err(Error::CountMismatch {
                declared: msg.cardinality as usize,
                actual: self.cardinality as usize,
            });
        }
        self.transcript.absorb(result);
        let k = self.columns.len() * self.limbs;
        let (sums, noisy, proven) = match (&self.sent, msg.kind) {
            (None, BELOW_MINIMUM) => {
                if !msg.limb_sums.is_empty()
                    || !msg.shares.is_empty()
                    || !msg.proofs.is_empty()
                    || !msg.noisy_sums.is_empty()
                {
                    return Err(Error::Malformed);
                }
                (None, false, false)
            }
            (Some(sent), PROVEN) => {
                if msg.limb_sums.len() != k || !msg.noisy_sums.is_empty() {
                    return Err(Error::Malformed);
                }
                wire::check_len(msg.shares, k, ELEMENT_LEN)?;
                wire::check_len(msg.proofs, k, 2 * 32)?;
                let bound = self.cardinality.saturating_mul(LIMB_MAX);
                for j in 0..k {
                    let share =
                        group::decode_element(&msg.shares[j * ELEMENT_LEN..(j + 1) * ELEMENT_LEN])?;
                    let proof = &msg.proofs[j * 64..(j + 1) * 64];
                    verify_proof(&self.session_id, j, &self.keys[j], &sent[0], &share, proof)?;
                    let m = msg.limb_sums[j];
                    if m > bound
                        || sent[1 + j] - share != RistrettoPoint::mul_base(&Scalar::from(m))
                    {
                        return Err(Error::BadProof);
                    }
                }
                (
                    Some(recombine(&self.columns, self.limbs, &msg.limb_sums)),
                    false,
                    true,
                )
            }
            (Some(_), NOISY) if !self.accept_noisy => {
                // Noisy sums carry no proof: only an initiator that asked
                // for them takes them.
                return Err(Error::BadProof);
            }
            (Some(_), NOISY) => {
                if msg.noisy_sums.len() != self.columns.len()
                    || !msg.limb_sums.is_empty()
                    || !msg.shares.is_empty()
                    || !msg.proofs.is_empty()
                {
                    return Err(Error::Malformed);
                }
                let sums = self
                    .columns
                    .iter()
                    .cloned()
                    .zip(msg.noisy_sums.iter().copied())
                    .collect();
                (Some(sums), true, false)
            }
            _ => return Err(Error::Malformed),
        };
        Ok(SumOutcome {
            cardinality: self.cardinality,
            sums,
            noisy,
            proven,
            record: self.record(),
        })
    }

    fn record(&self) -> SessionRecord {
        session_record(
            self.reveal_to,
            Role::Initiator,
            self.session_id,
            self.counts,
            self.cardinality,
            &self.transcript,
        )
    }
}

/// Column sums from limb sums (limb `l` of column `c` at `c * limbs + l`).
fn recombine(columns: &[String], limbs: usize, limb_sums: &[u64]) -> Vec<(String, i128)> {
    columns
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let total: u128 = (0..limbs)
                .map(|l| u128::from(limb_sums[c * limbs + l]) << (LIMB_BITS as usize * l))
                .sum();
            // Below 2^64 · 2^32 < 2^127: fits.
            (name.clone(), total as i128)
        })
        .collect()
}

/// The value holder, before the request.
pub struct Responder {
    config: SumConfig,
    own: Distinct,
    columns: Vec<String>,
    /// Per distinct item, per column, its value (duplicates added up).
    values: Vec<u64>,
    seed: Seed,
}

debug_public!(Responder, "sum::Responder", |s|
    config: s.config,
    distinct_items: s.own.len(),
    columns: s.columns,
);

impl Drop for Responder {
    fn drop(&mut self) {
        self.values.zeroize();
    }
}

impl Responder {
    crate::crypto::rng::rng_constructors! {
        /// A value holder with `items` and one value per item in each column.
        /// Values of one identifier given more than once are added up.
        /// Randomness from the OS.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`] for bad columns, a column whose length is
        /// not the number of items, or a value (after adding duplicates) at or
        /// above 2^`value_bits` or above the noise sensitivity;
        /// [`Error::TooManyItems`], [`Error::Rng`].
        pub fn new | new_with_rng [T: AsRef<[u8]>,]
            (config: SumConfig, items: &[T], columns: &[Column]) -> Result<Self> = start;
    }

    fn start<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        config: SumConfig,
        items: &[T],
        columns: &[Column],
        rng: &mut R,
    ) -> Result<Self> {
        config.validate()?;
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        check_columns(&names)?;
        if columns.iter().any(|c| c.values.len() != items.len()) {
            return Err(Error::InvalidConfig(
                "every column needs one value per item",
            ));
        }
        let own = Distinct::new(items, MAX_ITEMS)?;
        let cols = columns.len();
        let mut totals = vec![0u128; own.len() * cols];
        for (c, column) in columns.iter().enumerate() {
            for (i, &v) in column.values.iter().enumerate() {
                totals[own.unique_of(i) * cols + c] += u128::from(v);
            }
        }
        let bound = if config.value_bits == 64 {
            u128::from(u64::MAX)
        } else {
            (1u128 << config.value_bits) - 1
        };
        let limit = config
            .noise
            .map_or(bound, |n| bound.min(u128::from(n.sensitivity)));
        if totals.iter().any(|&t| t > limit) {
            totals.zeroize();
            return Err(Error::InvalidConfig(
                "a value (duplicates of an identifier added up) exceeds 2^value_bits - 1 or the noise sensitivity",
            ));
        }
        let values = totals.iter().map(|&t| t as u64).collect();
        totals.zeroize();
        Ok(Responder {
            config,
            own,
            columns: names.iter().map(|n| (*n).to_owned()).collect(),
            values,
            seed: rng::seed_from(rng),
        })
    }

    /// Answers the request: re-blinds the initiator's items (shuffled),
    /// blinds its own, and encrypts their values under fresh keys.
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::UnsupportedSuite`], [`Error::ConfigMismatch`]
    /// (another `reveal_to` or minimum), [`Error::ProfileMismatch`],
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`],
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`].
    pub fn respond(mut self, request: &[u8]) -> Result<(ResponderAwaitingFinish, Vec<u8>)> {
        let msg: RequestMsg<'_> = wire::decode(request, MessageType::SumRequest)?;
        Suite::from_code(msg.suite)?;
        if RevealSumTo::from_code(msg.reveal_to)? != self.config.reveal_to {
            return Err(Error::ConfigMismatch(
                "the parties reveal the sums to different parties",
            ));
        }
        if msg.min_intersection != self.config.min_intersection {
            return Err(Error::ConfigMismatch(
                "the parties set different minimum intersections",
            ));
        }
        self.config.profile.check_peer(msg.profile)?;
        let theirs = msg.count as usize;
        self.config.limits.check_peer(theirs)?;
        wire::check_len(msg.elements, theirs, ELEMENT_LEN)?;
        let mine = self.own.len();
        let len = compare_len(theirs, mine);
        let mut rng = rng::from_seed(&self.seed);
        let key = SessionKey::random(&mut rng);
        let session_id = msg.session_id;

        // The initiator's items, blinded again and shuffled: it learns the
        // cardinality, not which of its items matched.
        let mut reblinded = reblind_compare(msg.elements, &key, &session_id, len)?;
        reblinded.shuffle(&mut rng);
        let order = shuffled(mine, &mut rng);
        let elements = blind(&self.own, &order, &SessionDst::new(&session_id), &key)?;

        let cols = self.columns.len();
        let limbs = self.config.limbs();
        let k = cols * limbs;
        let secrets: Vec<Zeroizing<Scalar>> = (0..k)
            .map(|_| Zeroizing::new(random_nonzero_scalar(&mut rng)))
            .collect();
        let keys: Vec<RistrettoPoint> = secrets
            .iter()
            .map(|s| RistrettoPoint::mul_base(s))
            .collect();
        // One r per item (halved for batch compression), shared by its limbs.
        let r_half: Zeroizing<Vec<Scalar>> =
            Zeroizing::new((0..mine).map(|_| random_nonzero_scalar(&mut rng)).collect());
        let half = *group::halve(&Scalar::ONE);
        let values = &self.values;
        let ciphertexts = group::compress_doubled(
            mine * (1 + k),
            |p| {
                let (pos, slot) = (p / (1 + k), p % (1 + k));
                let r = &r_half[pos];
                if slot == 0 {
                    return Ok(r * RISTRETTO_BASEPOINT_TABLE);
                }
                let j = slot - 1;
                let (c, l) = (j / limbs, j % limbs);
                let value = values[order[pos] as usize * cols + c];
                let limb = (value >> (LIMB_BITS as usize * l)) & LIMB_MAX;
                // The key holder encrypts under its own key in one
                // fixed-base multiplication: m·G + r·P_j = (m + r·x_j)·G.
                let exponent = Zeroizing::new(Scalar::from(limb) * half + r * *secrets[j]);
                Ok(&*exponent * RISTRETTO_BASEPOINT_TABLE)
            },
            |_, encoded| *encoded,
        )?
        .into_flattened();
        self.own.drop_values();
        let public_keys = encode_points(&keys);
        let response = wire::encode(
            MessageType::SumResponse,
            &ResponseMsg {
                session_id,
                initiator_count: msg.count,
                responder_count: mine as u32,
                compare_len: len as u8,
                value_bits: self.config.value_bits,
                columns: self.columns.iter().map(String::as_str).collect(),
                public_keys: &public_keys,
                reblinded: &write_compare(&reblinded, len),
                elements: &elements,
                ciphertexts: &ciphertexts,
            },
        );
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(request);
        transcript.absorb(&response);
        Ok((
            ResponderAwaitingFinish {
                config: self.config.clone(),
                session_id,
                mine: mine as u64,
                theirs: theirs as u64,
                columns: self.columns.clone(),
                secrets,
                keys,
                seed: rng::seed_from(&mut rng),
                transcript,
            },
            response,
        ))
    }
}

/// The value holder after its response, waiting for the finish message.
pub struct ResponderAwaitingFinish {
    config: SumConfig,
    session_id: SessionId,
    mine: u64,
    theirs: u64,
    columns: Vec<String>,
    secrets: Vec<Zeroizing<Scalar>>,
    keys: Vec<RistrettoPoint>,
    seed: Seed,
    transcript: Transcript,
}

debug_public!(ResponderAwaitingFinish, "sum::ResponderAwaitingFinish", |s|
    config: s.config,
    columns: s.columns,
);

impl ResponderAwaitingFinish {
    /// Decrypts the sums (at or above the minimum), and returns the result
    /// message for the initiator (when it learns the sums) and this party's
    /// outcome (exact sums).
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::SessionMismatch`], [`Error::CountMismatch`]
    /// (a cardinality above either set), [`Error::Malformed`] for sums
    /// below the minimum or missing above it, [`Error::InvalidElement`] /
    /// [`Error::IdentityElement`], [`Error::SumOutOfRange`] when a sum
    /// does not decrypt to a value the cardinality allows.
    pub fn finish(mut self, finish: &[u8]) -> Result<(Option<Vec<u8>>, SumOutcome)> {
        let msg: FinishMsg<'_> = wire::decode(finish, MessageType::SumFinish)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        let most = self.mine.min(self.theirs);
        if msg.cardinality > most {
            return Err(Error::CountMismatch {
                declared: msg.cardinality as usize,
                actual: most as usize,
            });
        }
        self.transcript.absorb(finish);
        let cardinality = msg.cardinality;
        let reveal = cardinality >= self.config.min_intersection && cardinality > 0;
        let k = self.keys.len();
        let limbs = self.config.limbs();
        let mut rng = rng::from_seed(&self.seed);
        let (sums, result) = if !reveal {
            if !msg.sums.is_empty() {
                return Err(Error::Malformed);
            }
            let result = ResultMsg {
                session_id: self.session_id,
                cardinality,
                kind: BELOW_MINIMUM,
                limb_sums: Vec::new(),
                shares: &[],
                proofs: &[],
                noisy_sums: Vec::new(),
            };
            (None, wire::encode(MessageType::SumResult, &result))
        } else {
            if cardinality > MAX_SUMMED_ITEMS {
                return Err(Error::SumOutOfRange);
            }
            wire::check_len(msg.sums, 1 + k, ELEMENT_LEN)?;
            let points = decode_points(msg.sums)?;
            let c1 = points[0];
            let shares: Vec<RistrettoPoint> = self.secrets.iter().map(|s| c1 * **s).collect();
            let targets: Vec<RistrettoPoint> = points[1..]
                .iter()
                .zip(&shares)
                .map(|(c2, d)| c2 - d)
                .collect();
            let limb_sums = dlog_all(&targets, cardinality.saturating_mul(LIMB_MAX))?;
            let exact = recombine(&self.columns, limbs, &limb_sums);
            let result = match self.config.noise {
                Some(noise) => {
                    let noisy: Vec<i128> = exact
                        .iter()
                        .map(|(_, s)| s + discrete_laplace(noise, &mut rng))
                        .collect();
                    wire::encode(
                        MessageType::SumResult,
                        &ResultMsg {
                            session_id: self.session_id,
                            cardinality,
                            kind: NOISY,
                            limb_sums: Vec::new(),
                            shares: &[],
                            proofs: &[],
                            noisy_sums: noisy,
                        },
                    )
                }
                None => {
                    let mut proofs = Vec::with_capacity(k * 64);
                    let statements = self.secrets.iter().zip(&self.keys).zip(&shares);
                    for (j, ((x, key), share)) in statements.enumerate() {
                        let proof = prove(&self.session_id, j, x, key, &c1, share, &mut rng);
                        proofs.extend_from_slice(&proof);
                    }
                    wire::encode(
                        MessageType::SumResult,
                        &ResultMsg {
                            session_id: self.session_id,
                            cardinality,
                            kind: PROVEN,
                            limb_sums,
                            shares: &encode_points(&shares),
                            proofs: &proofs,
                            noisy_sums: Vec::new(),
                        },
                    )
                }
            };
            (Some(exact), result)
        };
        let result = match self.config.reveal_to {
            RevealSumTo::Both => {
                self.transcript.absorb(&result);
                Some(result)
            }
            RevealSumTo::Responder => None,
        };
        Ok((
            result,
            SumOutcome {
                cardinality,
                sums,
                noisy: false,
                proven: false,
                record: session_record(
                    self.config.reveal_to,
                    Role::Responder,
                    self.session_id,
                    (self.mine, self.theirs),
                    cardinality,
                    &self.transcript,
                ),
            },
        ))
    }
}

/// The Fiat–Shamir challenge of a decryption proof: RFC 9380
/// hash_to_field over the statement and the commitments.
fn challenge(
    session_id: &SessionId,
    j: usize,
    key: &RistrettoPoint,
    c1: &RistrettoPoint,
    share: &RistrettoPoint,
    t1: &RistrettoPoint,
    t2: &RistrettoPoint,
) -> Result<Scalar> {
    let index = (j as u32).to_le_bytes();
    let points = [key, c1, share, t1, t2].map(|p| p.compress().to_bytes());
    group::hash_to_scalar_parts(
        &[
            session_id, &index, &points[0], &points[1], &points[2], &points[3], &points[4],
        ],
        PROOF_DST,
    )
}

/// A Chaum–Pedersen proof that `share = x·c1` for the `x` with `key = x·G`
/// (the same statement as RFC 9497's DLEQ proof, for one pair): `(c, s)`.
fn prove<R: CryptoRng + ?Sized>(
    session_id: &SessionId,
    j: usize,
    x: &Scalar,
    key: &RistrettoPoint,
    c1: &RistrettoPoint,
    share: &RistrettoPoint,
    rng: &mut R,
) -> [u8; 64] {
    let mut t = random_nonzero_scalar(rng);
    let t1 = RistrettoPoint::mul_base(&t);
    let t2 = c1 * t;
    // The inputs are fixed-size; hash_to_scalar cannot fail on them.
    let c = challenge(session_id, j, key, c1, share, &t1, &t2).unwrap_or(Scalar::ZERO);
    let s = t - c * x;
    t.zeroize();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(c.as_bytes());
    out[32..].copy_from_slice(s.as_bytes());
    out
}

fn verify_proof(
    session_id: &SessionId,
    j: usize,
    key: &RistrettoPoint,
    c1: &RistrettoPoint,
    share: &RistrettoPoint,
    proof: &[u8],
) -> Result<()> {
    let scalar = |b: &[u8]| -> Result<Scalar> {
        let bytes: [u8; 32] = b.try_into().map_err(|_| Error::BadProof)?;
        Option::from(Scalar::from_canonical_bytes(bytes)).ok_or(Error::BadProof)
    };
    let c = scalar(&proof[..32])?;
    let s = scalar(&proof[32..64])?;
    let t1 = RistrettoPoint::mul_base(&s) + key * c;
    let t2 = c1 * s + share * c;
    if challenge(session_id, j, key, c1, share, &t1, &t2)? != c {
        return Err(Error::BadProof);
    }
    Ok(())
}

/// `G / 2`, for batch compression of consecutive multiples of `G`.
static HALF_G: LazyLock<RistrettoPoint> =
    LazyLock::new(|| RistrettoPoint::mul_base(&group::halve(&Scalar::ONE)));

/// Discrete logarithms of `targets` (each `m·G` with `0 <= m <= bound`) by
/// baby-step giant-step: one table of `⌈√(bound+1)⌉` baby steps, then at
/// most as many giant steps per target. The table keys are the first 8
/// bytes of each encoding; a hit is confirmed by recomputing `m·G`.
fn dlog_all(targets: &[RistrettoPoint], bound: u64) -> Result<Vec<u64>> {
    let n = u128::from(bound) + 1;
    let mut m = (n as f64).sqrt().ceil() as u64;
    while u128::from(m) * u128::from(m) < n {
        m += 1;
    }
    let m = m.max(1);
    let key = |c: &[u8; 32]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    // Baby steps j·G for j < m, in parallel chunks of consecutive j.
    let chunk = 4096;
    let parts = crate::crypto::par::map_ranges(m as usize, chunk, |range| {
        let mut p = *HALF_G * Scalar::from(range.start as u64);
        let mut points = Vec::with_capacity(range.len());
        for _ in range.clone() {
            points.push(p);
            p += *HALF_G;
        }
        RistrettoPoint::double_and_compress_batch(&points)
            .iter()
            .zip(range)
            .map(|(c, j)| (key(c.as_bytes()), j as u32))
            .collect::<Vec<_>>()
    });
    let mut table: HashMap<u64, u32> = HashMap::with_capacity(m as usize);
    for part in parts {
        table.extend(part);
    }
    let step_half = *HALF_G * Scalar::from(m);
    targets
        .iter()
        .map(|target| {
            let target_half = target * *group::halve(&Scalar::ONE);
            let found = crate::crypto::par::map_ranges(m as usize + 1, chunk, |range| {
                let mut q = target_half - step_half * Scalar::from(range.start as u64);
                let mut points = Vec::with_capacity(range.len());
                for _ in range.clone() {
                    points.push(q);
                    q -= step_half;
                }
                let encoded = RistrettoPoint::double_and_compress_batch(&points);
                for (c, i) in encoded.iter().zip(range) {
                    if let Some(&j) = table.get(&key(c.as_bytes())) {
                        let x = (i as u64)
                            .checked_mul(m)
                            .and_then(|v| v.checked_add(u64::from(j)));
                        if let Some(x) = x.filter(|&x| x <= bound) {
                            if RistrettoPoint::mul_base(&Scalar::from(x)) == *target {
                                return Some(x);
                            }
                        }
                    }
                }
                None
            });
            found
                .into_iter()
                .flatten()
                .next()
                .ok_or(Error::SumOutOfRange)
        })
        .collect()
}

/// One draw of discrete-Laplace noise `P(x) ∝ exp(-ε|x|/Δ)` (Canonne,
/// Kamath, Steinke 2020, Algorithm 2, exact in integer arithmetic), with
/// ε rounded to a multiple of 2^-16.
fn discrete_laplace<R: CryptoRng + ?Sized>(noise: Noise, rng: &mut R) -> i128 {
    // Scale Δ/ε = t/s with s = round(ε·2^16), t = Δ·2^16.
    let s = ((noise.epsilon * 65536.0).round() as u128).max(1);
    let t = u128::from(noise.sensitivity) << 16;
    loop {
        let u = uniform(t, rng);
        if !bernoulli_exp(u, t, rng) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(1, 1, rng) {
            v += 1;
        }
        let x = u + t * v;
        let y = x / s;
        let negative = rng.next_u32() & 1 == 1;
        if negative && y == 0 {
            continue;
        }
        let y = y as i128;
        return if negative { -y } else { y };
    }
}

/// Uniform in `0..n` (n > 0), by rejection.
fn uniform<R: CryptoRng + ?Sized>(n: u128, rng: &mut R) -> u128 {
    let bits = 128 - (n - 1).leading_zeros();
    loop {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        let v = if bits == 0 {
            0
        } else {
            u128::from_le_bytes(bytes) >> (128 - bits)
        };
        if v < n {
            return v;
        }
    }
}

/// Bernoulli(exp(-num/den)), exactly (CKS20 Algorithm 1).
fn bernoulli_exp<R: CryptoRng + ?Sized>(mut num: u128, den: u128, rng: &mut R) -> bool {
    while num > den {
        if !bernoulli_exp(1, 1, rng) {
            return false;
        }
        num -= den;
    }
    // γ = num/den in [0, 1]: K is the first k with Bernoulli(γ/k) false.
    let mut k: u128 = 1;
    loop {
        if uniform(den * k, rng) >= num {
            return k % 2 == 1;
        }
        k += 1;
    }
}

/// What `registry::inspect` shows of an intersection-sum message.
pub(crate) fn describe(bytes: &[u8], ty: MessageType, info: &mut wire::MessageInfo) -> Result<()> {
    match ty {
        MessageType::SumRequest => {
            let m: RequestMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("initiator_items", u64::from(m.count)));
            info.counts.push(("min_intersection", m.min_intersection));
        }
        MessageType::SumResponse => {
            let m: ResponseMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts
                .push(("initiator_items", u64::from(m.initiator_count)));
            info.counts
                .push(("responder_items", u64::from(m.responder_count)));
            info.counts.push(("value_columns", m.columns.len() as u64));
        }
        MessageType::SumFinish => {
            let m: FinishMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("cardinality", m.cardinality));
        }
        _ => {
            let m: ResultMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("cardinality", m.cardinality));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    fn run(
        a_items: &[String],
        b_items: &[String],
        columns: &[Column],
        config: SumConfig,
        seed: u64,
    ) -> Result<(SumOutcome, SumOutcome)> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (a, request) = Initiator::new_with_rng(config.clone(), a_items, &mut rng)?;
        let b = Responder::new_with_rng(config, b_items, columns, &mut rng)?;
        let (b, response) = b.respond(&request)?;
        let (a, finish) = a.finish(&response)?;
        let (result, b_out) = b.finish(&finish)?;
        let a_out = a.result(result.as_deref())?;
        Ok((a_out, b_out))
    }

    fn ids(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("acct-{i}")).collect()
    }

    /// The one column `v`.
    fn column_v(values: Vec<u64>) -> [Column; 1] {
        [Column {
            name: "v".into(),
            values,
        }]
    }

    /// Every message of a session both learn from, over `n` shared items
    /// worth `0..n`, and the initiator waiting for the last.
    fn messages(n: u32, seed: u64) -> (InitiatorAwaitingResult, [Vec<u8>; 4]) {
        let a = ids(0..n);
        let columns = column_v((0..u64::from(n)).collect());
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let config = SumConfig::new(RevealSumTo::Both);
        let (ia, request) = Initiator::new_with_rng(config.clone(), &a, &mut rng).unwrap();
        let (rb, response) = Responder::new_with_rng(config, &a, &columns, &mut rng)
            .unwrap()
            .respond(&request)
            .unwrap();
        let (ia, finish) = ia.finish(&response).unwrap();
        let (result, _) = rb.finish(&finish).unwrap();
        (ia, [request, response, finish, result.unwrap()])
    }

    #[test]
    fn sums_and_cardinality_equal_the_naive_ones() {
        let a = ids(0..60);
        let b = ids(40..100);
        let amounts: Vec<u64> = (40u64..100).map(|i| i * 1_000_003).collect();
        let counts: Vec<u64> = (40u64..100).map(|i| i % 7).collect();
        let columns = [
            Column {
                name: "amount".into(),
                values: amounts.clone(),
            },
            Column {
                name: "count".into(),
                values: counts.clone(),
            },
        ];
        let (a_out, b_out) = run(&a, &b, &columns, SumConfig::new(RevealSumTo::Both), 1).unwrap();
        let expect_amount: i128 = (40..60).map(|i| i128::from(i) * 1_000_003).sum();
        let expect_count: i128 = (40..60).map(|i| i128::from(i % 7)).sum();
        let expected = Some(vec![
            ("amount".to_owned(), expect_amount),
            ("count".to_owned(), expect_count),
        ]);
        assert_eq!(a_out.cardinality, 20);
        assert_eq!(a_out.sums, expected);
        assert!(a_out.proven);
        assert_eq!(b_out.sums, expected);
        assert_eq!(a_out.record.transcript, b_out.record.transcript);
    }

    #[test]
    fn the_bounds_decrypt() {
        // A limb sum at its largest for a cardinality: every limb 2^16 - 1.
        let targets = [
            RistrettoPoint::mul_base(&Scalar::from(3 * LIMB_MAX)),
            RistrettoPoint::identity(),
        ];
        assert_eq!(
            dlog_all(&targets, 3 * LIMB_MAX).unwrap(),
            vec![3 * LIMB_MAX, 0]
        );
        assert_eq!(
            dlog_all(&targets[..1], 3 * LIMB_MAX - 1),
            Err(Error::SumOutOfRange)
        );
        // 64-bit values at the largest.
        let a = ids(0..3);
        let columns = column_v(vec![u64::MAX; 3]);
        let (a_out, _) = run(
            &a,
            &a,
            &columns,
            SumConfig::new(RevealSumTo::Both)
                .with_value_bits(64)
                .with_min_intersection(0),
            2,
        )
        .unwrap();
        assert_eq!(
            a_out.sums,
            Some(vec![("v".to_owned(), 3 * i128::from(u64::MAX))])
        );
        let too_big = column_v(vec![1 << 32; 3]);
        assert!(matches!(
            Responder::new_with_rng(
                SumConfig::new(RevealSumTo::Both),
                &a,
                &too_big,
                &mut ChaCha20Rng::seed_from_u64(3)
            ),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn a_limb_sum_over_2_to_the_24_items_decrypts() {
        // The documented bound: 2^24 shared items, every limb at 2^16 - 1,
        // found by a search of 2^20 baby and giant steps.
        let bound = (1u64 << 24) * LIMB_MAX;
        let target = RistrettoPoint::mul_base(&Scalar::from(bound));
        let almost = RistrettoPoint::mul_base(&Scalar::from(bound - 12_345));
        assert_eq!(
            dlog_all(&[target, almost], bound).unwrap(),
            vec![bound, bound - 12_345]
        );
    }

    #[test]
    fn below_the_minimum_no_sum_is_revealed() {
        let a = ids(0..10);
        let b = ids(5..20);
        let columns = column_v(vec![7; 15]);
        let config = SumConfig::new(RevealSumTo::Both).with_min_intersection(6);
        let (a_out, b_out) = run(&a, &b, &columns, config, 4).unwrap();
        assert_eq!((a_out.cardinality, a_out.sums, b_out.sums), (5, None, None));
    }

    #[test]
    fn a_tampered_result_fails_its_proof() {
        let (ia, [.., result]) = messages(10, 5);
        let msg: ResultMsg<'_> = wire::decode(&result, MessageType::SumResult).unwrap();
        let mut limb_sums = msg.limb_sums.clone();
        limb_sums[0] += 1;
        let forged = wire::encode(MessageType::SumResult, &ResultMsg { limb_sums, ..msg });
        assert_eq!(ia.result(Some(&forged)).unwrap_err(), Error::BadProof);
    }

    #[test]
    fn noise_is_added_to_the_initiators_sums_only() {
        let a = ids(0..50);
        let columns = column_v(vec![10; 50]);
        let config = SumConfig::new(RevealSumTo::Both).with_noise(Noise {
            epsilon: 0.5,
            sensitivity: 10,
        });
        let (a_out, b_out) = run(&a, &a, &columns, config, 6).unwrap();
        assert_eq!(b_out.sums, Some(vec![("v".to_owned(), 500)]));
        assert!(a_out.noisy && !a_out.proven);
        let noisy = a_out.sums.unwrap()[0].1;
        // Scale 20: beyond ±2000 has probability below e^-100.
        assert!((noisy - 500).abs() < 2000, "{noisy}");
    }

    #[test]
    fn discrete_laplace_has_the_stated_spread() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let noise = Noise {
            epsilon: 1.0,
            sensitivity: 4,
        };
        let draws: Vec<i128> = (0..4000)
            .map(|_| discrete_laplace(noise, &mut rng))
            .collect();
        let mean = draws.iter().sum::<i128>() as f64 / 4000.0;
        let mean_abs = draws.iter().map(|d| d.abs()).sum::<i128>() as f64 / 4000.0;
        // Scale b = 4: E|X| = 2e^{-1/b}/(1-e^{-2/b}) ≈ 3.92 for the discrete law.
        assert!(mean.abs() < 0.5, "{mean}");
        assert!((mean_abs - 3.92).abs() < 0.4, "{mean_abs}");
    }

    #[test]
    fn every_message_decodes_only_from_its_canonical_bytes() {
        let (_, [request, response, finish, result]) = messages(8, 8);
        for (bytes, ty) in [
            (request, MessageType::SumRequest),
            (response, MessageType::SumResponse),
            (finish, MessageType::SumFinish),
            (result, MessageType::SumResult),
        ] {
            assert_eq!(crate::registry::reencode(&bytes).unwrap(), bytes);
            assert_eq!(crate::registry::inspect(&bytes).unwrap().message_type, ty);
        }
    }
}
