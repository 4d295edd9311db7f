//! Balanced private set intersection by per-session Diffie-Hellman
//! ("DH-PSI", DESIGN §3.1).
//!
//! ```text
//! Initiator (items X, key a)                 Responder (items Y, key b)
//!  PsiRequest  = params, {H(x)^a}   ───────▶
//!                                    ◀───────  PsiResponse = {H(x)^ab} (truncated digests,
//!                                              in request order, or shuffled for
//!                                              cardinality), {H(y)^b} (shuffled)
//!  compares {H(y)^ab} with {H(x)^ab}
//!  PsiFinish   = {H(y)^ab} digests  ───────▶  (only when the responder learns the
//!                                              output too; shuffled for cardinality)
//! ```
//!
//! `H` is `hash_to_ristretto255` with a DST that contains the 16-byte random
//! session id, so values from one session are useless in another. Keys `a`
//! and `b` are fresh per session and zeroized when the state is dropped.
//!
//! Every step is sans-IO: it takes the peer's message as bytes and returns
//! the next message as bytes. States are consumed by each step, so a step
//! cannot be replayed or taken out of order:
//!
//! ```compile_fail
//! # use blindmatch::psi::{Config, Responder};
//! let responder = Responder::new(Config::default(), &["a"]).unwrap();
//! responder.finish(None); // no finish before respond: does not compile
//! ```
//!
//! # What each party learns
//!
//! Both learn the number of distinct items the other holds. Then, with
//! [`Reveal::Intersection`], the receivers of the output learn which of their
//! own items are shared; with [`Reveal::Cardinality`], only how many.
//! With [`Output::Initiator`] the responder learns nothing beyond the
//! initiator's set size.
//!
//! # Against a peer that cheats
//!
//! A peer that deviates from the protocol never learns the other's items
//! outside the intersection, nor the other's key. It can withhold or falsify
//! the finish message (so the other learns nothing, or a wrong result), and
//! it can choose its set freely (so it learns whether the other holds any
//! identifier it guesses, up to the agreed set size: see [`Limits`]).
//!
//! **[`Reveal::Cardinality`] is secure against semi-honest peers only.** A
//! peer that blinds each of its items with its own exponent instead of one
//! session key can tell, from the shuffled doubly blinded values, *which*
//! of its items matched, at a cost of n_I · n_R exponentiations (one per
//! pair of its own items and the other's): for sets of ten thousand items
//! each, 10^8 exponentiations, about 40 minutes on one core at 25 µs each.
//! Cardinality mode
//! then reveals what intersection mode reveals. Use it to limit what an
//! honest-but-curious peer sees, never as a defence against a dishonest
//! one, and do not rely on a "cardinality first" round to protect a list
//! from a peer you do not trust.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand::seq::SliceRandom;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto::dleq::{self, Domain, Elements};
use crate::crypto::group::{self, Dst, ELEMENT_LEN, random_nonzero_scalar};
use crate::crypto::rng::{self, Seed};
use crate::crypto::transcript::Transcript;
use crate::error::{Error, Result};
use crate::evidence::receipt::{Protocol, Role, SessionRecord};
use crate::protocol::compare::{CompareSet, compare_value, read_compare, write_compare};
pub use crate::protocol::compare::{FALSE_MATCH_BITS, compare_len};
use crate::protocol::distinct::{Distinct, SavedItems};
use crate::session::seal::Secret32;
use crate::wire::{self, MessageType, Profile, SessionId, Suite};

/// Largest set either party may hold (the wire carries counts as `u32`).
pub const MAX_ITEMS: usize = u32::MAX as usize;

/// Protocol name in balanced PSI transcripts.
const TRANSCRIPT_PROTOCOL: &[u8] = b"blindmatch-PSI-v1";

/// `contextString` of balanced PSI's proofs (their `HashToScalar` DST is
/// `"HashToScalar-"` followed by it).
const PROOF_CONTEXT: &[u8] = b"blindmatch-PSI-v1";

/// Label of the hedged RNG of a party's proofs.
const PROOF_RNG_LABEL: &[u8] = b"blindmatch-PSI-v1 proof";

/// The step a proof belongs to, bound into its seed with the session id:
/// the responder's re-blinding of the request, the initiator's of the
/// response.
const RESPONSE_STEP: &[u8] = b"response";
const FINISH_STEP: &[u8] = b"finish";

/// Prefix of the per-session hash-to-group DST; the session id follows.
const H2G_DST_PREFIX: &[u8] = b"blindmatch-PSI-v1-ristretto255-SHA512-HashToGroup-";

pub use crate::wire::mode::{Output, Reveal};

/// Whether the parties prove that they raised each other's values with the
/// keys they committed to (DESIGN §8.1).
///
/// With [`Proofs::Verify`] each party states `K = k·G` for its session key
/// in its first message, and every batch of the peer's values it raises
/// carries a batched DLEQ proof (RFC 9497 §2.2, 64 bytes per 2^16 values)
/// that each was raised to that same `k`. The raised values then travel as
/// whole elements (32 bytes each) instead of truncated comparison digests,
/// since the proof is over elements. Proofs apply in
/// [`Reveal::Intersection`] mode; in [`Reveal::Cardinality`] mode the
/// values are shuffled before they travel, so no per-value proof can be
/// checked and that mode stays secure against semi-honest peers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Proofs {
    /// Every raised value is proven and verified (intersection mode).
    #[default]
    Verify,
    /// No proofs: each party **trusts** the other to raise its values with
    /// one key. A peer that uses another key for some values makes the
    /// other party's result miss exactly the items it picks, undetected.
    TrustPeer,
}

crate::wire::mode::named!(Proofs: Proofs::Verify, Proofs::TrustPeer);

impl Proofs {
    /// Returns the setting's name (`"verify"`, `"trust_peer"`), as the
    /// bindings spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Proofs::Verify => "verify",
            Proofs::TrustPeer => "trust_peer",
        }
    }

    /// Parses a name as [`Proofs::name`] spells it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "verify" => Ok(Proofs::Verify),
            "trust_peer" => Ok(Proofs::TrustPeer),
            _ => Err(Error::InvalidConfig(
                "proofs must be \"verify\" or \"trust_peer\"",
            )),
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Proofs::Verify => 1,
            Proofs::TrustPeer => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(Proofs::Verify),
            2 => Ok(Proofs::TrustPeer),
            _ => Err(Error::Malformed),
        }
    }
}

/// A party's policy on the peer's set size, enforced before any group
/// operation is spent on the peer's message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest number of distinct items the peer may hold. Bounds the work
    /// and memory a peer can make us spend. Default 2^24.
    pub max_peer_items: usize,
    /// Smallest number of distinct items the peer may hold. A tiny peer set
    /// is a probe ("is this one phone number in your list?"); a floor makes
    /// such probing visible and costly, though a determined peer can pad
    /// its set with random items. Default 0.
    pub min_peer_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_peer_items: 1 << 24,
            min_peer_items: 0,
        }
    }
}

impl Limits {
    pub(crate) fn check_peer(&self, count: usize) -> Result<()> {
        if count > self.max_peer_items {
            return Err(Error::PeerSetTooLarge {
                count,
                max: self.max_peer_items,
            });
        }
        if count < self.min_peer_items {
            return Err(Error::PeerSetTooSmall {
                count,
                min: self.min_peer_items,
            });
        }
        Ok(())
    }
}

/// Session parameters of one party. The initiator's `reveal` and `output`
/// travel in the request; the responder refuses a request whose parameters
/// differ from its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Config {
    /// What the receivers of the output learn.
    pub reveal: Reveal,
    /// Who learns the output.
    pub output: Output,
    /// Policy on the peer's set size.
    pub limits: Limits,
    /// How this party's items were canonicalized ([`Profile::RAW`] for
    /// plain items; a record set's [`crate::records::RecordSet::profile`]).
    /// The initiator's travels in the request; the responder refuses a
    /// different one with [`Error::ProfileMismatch`].
    pub profile: Profile,
    /// Whether raised values are proven ([`Proofs::Verify`] by default).
    /// Both parties must agree; the responder refuses a request that
    /// differs with [`Error::ConfigMismatch`].
    pub proofs: Proofs,
}

impl Config {
    /// Returns a configuration with the given mode and default limits.
    pub fn new(reveal: Reveal, output: Output) -> Self {
        Config {
            reveal,
            output,
            limits: Limits::default(),
            profile: Profile::RAW,
            proofs: Proofs::Verify,
        }
    }

    setters! {
        /// Sets whether raised values are proven. [`Proofs::TrustPeer`] gives
        /// up the check that the peer raised this party's values with one key.
        with_proofs(proofs: Proofs) => proofs;
    }

    /// Whether this session carries proofs: [`Proofs::Verify`] in
    /// intersection mode (cardinality mode shuffles what it would prove).
    pub fn proven(&self) -> bool {
        self.proofs == Proofs::Verify && self.reveal == Reveal::Intersection
    }

    setters! {
        /// Sets the canonicalization profile of this party's items.
        with_profile(profile: Profile) => profile;

        /// Sets what the receivers of the output learn.
        with_reveal(reveal: Reveal) => reveal;

        /// Sets who learns the output.
        with_output(output: Output) => output;
    }

    /// Sets the largest peer set this party accepts.
    #[must_use]
    pub fn with_max_peer_items(mut self, max: usize) -> Self {
        self.limits.max_peer_items = max;
        self
    }

    /// Sets the smallest peer set this party accepts.
    #[must_use]
    pub fn with_min_peer_items(mut self, min: usize) -> Self {
        self.limits.min_peer_items = min;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.limits.min_peer_items > self.limits.max_peer_items {
            return Err(Error::InvalidConfig(
                "min_peer_items exceeds max_peer_items",
            ));
        }
        Ok(())
    }
}

/// The result of a session for one party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches {
    reveal: Reveal,
    cardinality: usize,
    indices: Vec<usize>,
}

impl Matches {
    /// Returns the sorted indices into this party's `items` whose value is
    /// shared. An item given several times appears at each of its indices.
    /// Always empty with [`Reveal::Cardinality`].
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Consumes the result and returns [`Matches::indices`].
    pub fn into_indices(self) -> Vec<usize> {
        self.indices
    }

    /// Returns the number of distinct shared values.
    pub fn cardinality(&self) -> usize {
        self.cardinality
    }

    /// Returns which mode produced this result.
    pub fn reveal(&self) -> Reveal {
        self.reveal
    }
}

/// A per-session secret exponent `k`, zeroized on drop.
///
/// It is kept as `k / 2`: every product `k · P` the protocol sends is
/// compressed by `double_and_compress_batch`, which returns the encoding of
/// `2 · (k / 2) · P` with one field inversion per batch instead of one per
/// point.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SessionKey {
    half: Scalar,
}

impl SessionKey {
    /// A key from its half (partitioned sessions keep the half in their secret).
    pub(crate) fn from_half(half: Scalar) -> Self {
        SessionKey { half }
    }

    /// `k / 2`, the factor `compress_doubled`'s points are multiplied by.
    pub(crate) fn half(&self) -> curve25519_dalek::scalar::Scalar {
        self.half
    }

    /// `k` itself, for a proof that values were raised to it.
    pub(crate) fn full(&self) -> zeroize::Zeroizing<Scalar> {
        zeroize::Zeroizing::new(self.half + self.half)
    }

    /// The public element `K = k·G` a party commits to before it raises
    /// a peer's values, so that a proof can bind them to `k`.
    pub(crate) fn public(&self) -> RistrettoPoint {
        RistrettoPoint::mul_base(&self.full())
    }

    pub(crate) fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut k = random_nonzero_scalar(rng);
        let key = SessionKey {
            half: *group::halve(&k),
        };
        k.zeroize();
        key
    }
}

/// Hash-to-group DST of one session.
pub(crate) struct SessionDst([u8; H2G_DST_PREFIX.len() + wire::SESSION_ID_LEN]);

impl SessionDst {
    pub(crate) fn new(session_id: &SessionId) -> Self {
        let mut d = [0u8; H2G_DST_PREFIX.len() + wire::SESSION_ID_LEN];
        d[..H2G_DST_PREFIX.len()].copy_from_slice(H2G_DST_PREFIX);
        d[H2G_DST_PREFIX.len()..].copy_from_slice(session_id);
        SessionDst(d)
    }

    fn hash(&self, item: &[u8]) -> RistrettoPoint {
        // 66 bytes, well under the 255-byte limit: this cannot fail.
        const _: () = assert!(H2G_DST_PREFIX.len() + wire::SESSION_ID_LEN <= group::MAX_DST_LEN);
        match Dst::new(&self.0) {
            Ok(dst) => dst.hash_to_group(&[item]),
            Err(_) => unreachable!("session DST length is checked at compile time"),
        }
    }
}

/// Decodes the peer's elements, raises each to `key` and hashes it into a
/// comparison value. Every element is validated.
pub(crate) fn reblind_compare(
    bytes: &[u8],
    key: &SessionKey,
    session_id: &SessionId,
    len: usize,
) -> Result<Vec<u128>> {
    group::compress_doubled(
        bytes.len() / ELEMENT_LEN,
        |j| {
            let at = j * ELEMENT_LEN;
            Ok(group::decode_element(&bytes[at..at + ELEMENT_LEN])? * key.half)
        },
        |_, encoded| compare_value(session_id, encoded, len),
    )
}

/// What a proof's seed binds beyond the prover's key: the step and the session.
fn proof_binding(step: &[u8], session_id: &SessionId) -> Vec<u8> {
    [step, session_id.as_slice()].concat()
}

/// Hashes whole doubly blinded elements into comparison values.
fn compare_values(raised: &[u8], session_id: &SessionId, len: usize) -> Vec<u128> {
    raised
        .chunks_exact(ELEMENT_LEN)
        .map(|e| {
            let mut element = [0u8; ELEMENT_LEN];
            element.copy_from_slice(e);
            compare_value(session_id, &element, len)
        })
        .collect()
}

/// Decodes the peer's elements and raises each to `key`, returning the
/// results' whole encodings and the proofs (RFC 9497 §2.2, one per
/// [`dleq::MAX_BATCH`]) that each was raised to the `k` of `K = k·G`.
/// The proof's random scalar is hedged over the key, the step, the session
/// and the peer's elements.
fn reblind_proven(
    bytes: &[u8],
    key: &SessionKey,
    session_id: &SessionId,
    step: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let points = dleq::decode_all(bytes)?;
    let raised = group::compress_doubled(
        points.len(),
        |j| Ok(points[j] * key.half),
        |_, encoded| *encoded,
    )?
    .into_flattened();
    let k = key.full();
    let public = key.public().compress().to_bytes();
    let binding = proof_binding(step, session_id);
    // The seed covers the key, the step and session, and the peer's
    // elements: a second proof by one key never reuses a random scalar.
    let secret = Zeroizing::new([k.as_bytes().as_slice(), &binding].concat());
    let mut rng = rng::hedged(PROOF_RNG_LABEL, &secret, bytes);
    let proof = dleq::prove(
        &Domain {
            context: PROOF_CONTEXT,
            binding: &binding,
        },
        &k,
        &curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        &public,
        Elements {
            points: &points,
            encoded: bytes,
        },
        &raised,
        &mut rng,
    )?;
    Ok((raised, proof))
}

/// What a proven message's raised values are checked against: the peer's
/// public key, the elements this party sent it, and the step.
struct Statement<'a> {
    peer_key: &'a [u8; ELEMENT_LEN],
    sent: &'a [u8],
    step: &'static [u8],
}

/// A message's raised values as comparison values: checked against the
/// peer's proofs when `statement` is given ([`Error::BadProof`] if they
/// fail), read as `len`-byte digests otherwise. Lengths are checked first.
fn raised_values(
    raised: &[u8],
    proof: &[u8],
    count: usize,
    len: usize,
    statement: Option<Statement<'_>>,
    session_id: &SessionId,
) -> Result<Vec<u128>> {
    check_raised(raised, proof, count, len, statement.is_some())?;
    match statement {
        Some(s) => verify_raised(&s, raised, proof, session_id, len),
        None => Ok(raised.chunks_exact(len).map(read_compare).collect()),
    }
}

/// Checks the peer's proofs that `raised` is `sent` raised to the key of
/// its public element `peer_key` ([`Error::BadProof`] if not), then hashes
/// each raised element into a comparison value.
fn verify_raised(
    s: &Statement<'_>,
    raised: &[u8],
    proof: &[u8],
    session_id: &SessionId,
    len: usize,
) -> Result<Vec<u128>> {
    let peer_key = s.peer_key;
    let b = group::decode_element(peer_key)?;
    let c = dleq::decode_all(s.sent)?;
    let d = dleq::decode_all(raised)?;
    let binding = proof_binding(s.step, session_id);
    dleq::verify(
        &Domain {
            context: PROOF_CONTEXT,
            binding: &binding,
        },
        &curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        &b,
        peer_key,
        Elements {
            points: &c,
            encoded: s.sent,
        },
        Elements {
            points: &d,
            encoded: raised,
        },
        proof,
    )?;
    Ok(compare_values(raised, session_id, len))
}

/// Checks the length of a message's raised values and proofs: whole
/// elements and [`dleq::proofs_len`] bytes of proof when the session is
/// proven, `len`-byte digests and no proof otherwise.
fn check_raised(raised: &[u8], proof: &[u8], count: usize, len: usize, proven: bool) -> Result<()> {
    if proven {
        wire::check_len(raised, count, ELEMENT_LEN)?;
        if proof.len() != dleq::proofs_len(count) {
            return Err(Error::BadProof);
        }
    } else {
        wire::check_len(raised, count, len)?;
        if !proof.is_empty() {
            return Err(Error::Malformed);
        }
    }
    Ok(())
}

/// Blinds the distinct values in the order given by `order`:
/// `H(item)^key` for each, serialized.
pub(crate) fn blind(
    own: &Distinct,
    order: &[u32],
    dst: &SessionDst,
    key: &SessionKey,
) -> Result<Vec<u8>> {
    let encoded = group::compress_doubled(
        order.len(),
        |i| Ok(dst.hash(own.get(order[i] as usize)) * key.half),
        |_, encoded| *encoded,
    )?;
    Ok(encoded.into_flattened())
}

/// Builds a party's result from a flag per distinct value.
fn matches(own: &Distinct, reveal: Reveal, matched: &[bool]) -> Matches {
    let cardinality = matched.iter().filter(|&&m| m).count();
    let indices = match reveal {
        Reveal::Intersection => own.indices_where(matched),
        Reveal::Cardinality => Vec::new(),
    };
    Matches {
        reveal,
        cardinality,
        indices,
    }
}

/// The first half of every DH-PSI initiator (balanced PSI, intersection-sum):
/// its items de-duplicated, a fresh session key, id and seed, and the items
/// blinded in a random order.
pub(crate) struct Opening {
    /// The distinct items, values already wiped: only the mapping back to
    /// indices is needed from here on.
    pub(crate) own: Distinct,
    pub(crate) key: SessionKey,
    pub(crate) session_id: SessionId,
    pub(crate) seed: Seed,
    /// `order[j]` is the distinct item blinded at position `j`.
    pub(crate) order: Vec<u32>,
    /// `H(item)^key` in that order, serialized.
    pub(crate) elements: Vec<u8>,
}

impl Opening {
    pub(crate) fn new<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        items: &[T],
        rng: &mut R,
    ) -> Result<Self> {
        let mut own = Distinct::new(items, MAX_ITEMS)?;
        let key = SessionKey::random(rng);
        let mut session_id = SessionId::default();
        rng.fill_bytes(&mut session_id);
        let seed = rng::seed_from(rng);
        // The request order is random, so nothing about the caller's order
        // of items reaches the responder.
        let order = shuffled(own.len(), rng);
        let elements = blind(&own, &order, &SessionDst::new(&session_id), &key)?;
        own.drop_values();
        Ok(Opening {
            own,
            key,
            session_id,
            seed,
            order,
            elements,
        })
    }
}

/// A random permutation of `0..n`.
pub(crate) fn shuffled<R: CryptoRng + ?Sized>(n: usize, rng: &mut R) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n as u32).collect();
    v.shuffle(rng);
    v
}

#[derive(Serialize, Deserialize)]
pub(crate) struct RequestMsg<'a> {
    suite: u8,
    reveal: u8,
    output: u8,
    session_id: SessionId,
    profile: Profile,
    /// 1 when every raised value is proven ([`Config::proven`]), else 0.
    proofs: u8,
    /// `K_I = a·G` for the initiator's session key `a`.
    public_key: [u8; ELEMENT_LEN],
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
    /// `K_R = b·G` for the responder's session key `b`.
    public_key: [u8; ELEMENT_LEN],
    /// The request's elements raised to `b`: whole elements when the
    /// session is proven, `compare_len`-byte digests otherwise.
    #[serde(borrow, with = "serde_bytes")]
    reblinded: &'a [u8],
    /// The proofs of `reblinded` (empty when the session is not proven).
    proof: &'a [u8],
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct FinishMsg<'a> {
    session_id: SessionId,
    count: u32,
    /// The response's elements raised to `a`, as in [`ResponseMsg`].
    #[serde(borrow, with = "serde_bytes")]
    reblinded: &'a [u8],
    proof: &'a [u8],
}

/// The initiator of a balanced PSI session, waiting for the response.
pub struct Initiator {
    config: Config,
    key: SessionKey,
    session_id: SessionId,
    own: Distinct,
    /// Request position -> distinct value.
    order: Vec<u32>,
    /// The request's elements, which the response's proofs are over (empty
    /// when the session is not proven).
    sent: Vec<u8>,
    seed: Seed,
    transcript: Transcript,
}

debug_public!(Initiator, "Initiator", |s|
    config: s.config,
    distinct_items: s.own.len(),
);

impl Initiator {
    crate::crypto::rng::rng_constructors! {
        /// Starts a session: de-duplicates and blinds `items` with a fresh key
        /// and returns the state and the request message for the responder.
        /// Randomness comes from the operating system.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`], [`Error::TooManyItems`], [`Error::Rng`].
        pub fn new | new_with_rng [T: AsRef<[u8]>,]
            (config: Config, items: &[T]) -> Result<(Self, Vec<u8>)> = start;
    }

    fn start<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        config: Config,
        items: &[T],
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>)> {
        config.validate()?;
        let Opening {
            own,
            key,
            session_id,
            seed,
            order,
            elements,
        } = Opening::new(items, rng)?;
        let request = wire::encode(
            MessageType::PsiRequest,
            &RequestMsg {
                suite: Suite::Ristretto255Sha512.code(),
                reveal: config.reveal.code(),
                output: config.output.code(),
                session_id,
                profile: config.profile,
                proofs: u8::from(config.proven()),
                public_key: key.public().compress().to_bytes(),
                count: order.len() as u32, // <= MAX_ITEMS, checked in Distinct::new
                elements: &elements,
            },
        );
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(&request);
        let sent = if config.proven() {
            elements
        } else {
            Vec::new()
        };
        Ok((
            Initiator {
                config,
                key,
                session_id,
                own,
                order,
                sent,
                seed,
                transcript,
            },
            request,
        ))
    }

    /// Returns the session id, which every message of the session carries.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// Returns this party's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Processes the responder's response: computes the initiator's result
    /// and, when the responder learns the output too, the finish message.
    /// [`Initiator::conclude`] returns the session's record as well.
    ///
    /// # Errors
    ///
    /// As [`Initiator::conclude`].
    pub fn finish(self, response: &[u8]) -> Result<(Option<Vec<u8>>, Matches)> {
        let outcome = self.conclude(response)?;
        Ok((outcome.finish, outcome.matches))
    }

    /// [`Initiator::finish`], returning the finish message, the result and
    /// the record of the session (for a [`crate::evidence::receipt`]) by name.
    ///
    /// # Errors
    ///
    /// Any decoding error of the response ([`Error::BadMagic`],
    /// [`Error::WrongMessageType`], [`Error::Malformed`], ...),
    /// [`Error::SessionMismatch`], [`Error::CountMismatch`],
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`] (checked
    /// before any group operation), [`Error::InvalidElement`] /
    /// [`Error::IdentityElement`] for a bad element, [`Error::BadProof`]
    /// when a proven session's response is not what the responder's key
    /// gives (checked before anything is compared).
    pub fn conclude(mut self, response: &[u8]) -> Result<InitiatorOutcome> {
        let msg: ResponseMsg<'_> = wire::decode(response, MessageType::PsiResponse)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        let mine = self.order.len();
        wire::check_echoed_count(msg.initiator_count, mine)?;
        let theirs = msg.responder_count as usize;
        self.config.limits.check_peer(theirs)?;
        let len = compare_len(mine, theirs);
        if msg.compare_len as usize != len {
            return Err(Error::ConfigMismatch(
                "comparison length differs from the one the set sizes imply",
            ));
        }
        let proven = self.config.proven();
        wire::check_len(msg.elements, theirs, ELEMENT_LEN)?;
        group::decode_element(&msg.public_key)?;

        // H(x)^ab for our items, in request order (or shuffled).
        let statement = proven.then_some(Statement {
            peer_key: &msg.public_key,
            sent: &self.sent,
            step: RESPONSE_STEP,
        });
        let ours = raised_values(
            msg.reblinded,
            msg.proof,
            mine,
            len,
            statement,
            &self.session_id,
        )?;

        // H(y)^ab for the responder's items, in the responder's order;
        // whole and proven when they go back in a proven finish.
        let (their_values, proven_finish) = if proven && self.config.output == Output::Both {
            let (raised, proof) =
                reblind_proven(msg.elements, &self.key, &self.session_id, FINISH_STEP)?;
            (
                compare_values(&raised, &self.session_id, len),
                Some((raised, proof)),
            )
        } else {
            let values = reblind_compare(msg.elements, &self.key, &self.session_id, len)?;
            (values, None)
        };
        let their_set: CompareSet = their_values.iter().copied().collect();

        let mut matched = vec![false; self.own.len()];
        for (pos, value) in ours.iter().enumerate() {
            if their_set.contains(value) {
                // In cardinality mode the responder shuffled these values,
                // so `pos` says nothing; only the count is used below.
                matched[self.order[pos] as usize] = true;
            }
        }
        let matches = matches(&self.own, self.config.reveal, &matched);

        let finish = match self.config.output {
            Output::Initiator => None,
            Output::Both => {
                let count = their_values.len() as u32;
                let (reblinded, proof) = match proven_finish {
                    Some(payload) => payload,
                    None => {
                        let mut values = their_values;
                        if self.config.reveal == Reveal::Cardinality {
                            values.shuffle(&mut rng::from_seed(&self.seed));
                        }
                        (write_compare(&values, len), Vec::new())
                    }
                };
                Some(wire::encode(
                    MessageType::PsiFinish,
                    &FinishMsg {
                        session_id: self.session_id,
                        count,
                        reblinded: &reblinded,
                        proof: &proof,
                    },
                ))
            }
        };
        self.transcript.absorb(response);
        if let Some(f) = &finish {
            self.transcript.absorb(f);
        }
        let record = SessionRecord {
            protocol: Protocol::Psi {
                reveal: self.config.reveal,
                output: self.config.output,
            },
            role: Role::Initiator,
            session_id: self.session_id,
            epoch: None,
            own_count: mine as u64,
            peer_count: theirs as u64,
            cardinality: Some(matches.cardinality as u64),
            transcript: self.transcript.hash(),
        };
        Ok(InitiatorOutcome {
            finish,
            matches,
            record,
        })
    }
}

/// What the initiator's last step returns ([`Initiator::conclude`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InitiatorOutcome {
    /// The finish message for the responder, when it learns the output too.
    pub finish: Option<Vec<u8>>,
    /// The initiator's result.
    pub matches: Matches,
    /// The record of the session, for a receipt.
    pub record: SessionRecord,
}

/// What the responder's last step returns ([`ResponderAwaitingFinish::conclude`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponderOutcome {
    /// The responder's result; `None` when the output is for the initiator only.
    pub matches: Option<Matches>,
    /// The record of the session, for a receipt.
    pub record: SessionRecord,
}

/// The responder of a balanced PSI session, waiting for a request.
pub struct Responder {
    config: Config,
    key: SessionKey,
    own: Distinct,
    seed: Seed,
}

debug_public!(Responder, "Responder", |s|
    config: s.config,
    distinct_items: s.own.len(),
);

impl Responder {
    crate::crypto::rng::rng_constructors! {
        /// Prepares a responder over `items` with a fresh key from the
        /// operating system's RNG. Nothing is hashed until the request arrives,
        /// since every hash depends on the session id.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`], [`Error::TooManyItems`], [`Error::Rng`].
        pub fn new | new_with_rng [T: AsRef<[u8]>,]
            (config: Config, items: &[T]) -> Result<Self> = start;
    }

    fn start<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        config: Config,
        items: &[T],
        rng: &mut R,
    ) -> Result<Self> {
        config.validate()?;
        let own = Distinct::new(items, MAX_ITEMS)?;
        let key = SessionKey::random(rng);
        Ok(Responder {
            config,
            key,
            own,
            seed: rng::seed_from(rng),
        })
    }

    /// Returns this party's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Answers the initiator's request: checks its parameters against this
    /// party's configuration and limits (before any group operation), blinds
    /// the request's elements again and its own items once.
    ///
    /// # Errors
    ///
    /// Any decoding error of the request, [`Error::UnsupportedSuite`],
    /// [`Error::ConfigMismatch`] when the request asks for another mode,
    /// [`Error::ProfileMismatch`] when the initiator's items were
    /// canonicalized under another profile,
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`],
    /// [`Error::CountMismatch`], [`Error::InvalidElement`] /
    /// [`Error::IdentityElement`]. [`Error::ConfigMismatch`] too when one
    /// party proves raised values ([`Proofs::Verify`]) and the other does not.
    pub fn respond(self, request: &[u8]) -> Result<(ResponderAwaitingFinish, Vec<u8>)> {
        let Responder {
            config,
            key,
            mut own,
            seed,
        } = self;
        let msg: RequestMsg<'_> = wire::decode(request, MessageType::PsiRequest)?;
        Suite::from_code(msg.suite)?;
        if Reveal::from_code(msg.reveal)? != config.reveal {
            return Err(Error::ConfigMismatch("reveal mode differs"));
        }
        if Output::from_code(msg.output)? != config.output {
            return Err(Error::ConfigMismatch("output differs"));
        }
        config.profile.check_peer(msg.profile)?;
        let proven = match msg.proofs {
            0 => false,
            1 => true,
            _ => return Err(Error::Malformed),
        };
        if proven != config.proven() {
            return Err(Error::ConfigMismatch(
                "proofs differ: one party verifies raised values, the other trusts its peer",
            ));
        }
        let theirs = msg.count as usize;
        config.limits.check_peer(theirs)?;
        wire::check_len(msg.elements, theirs, ELEMENT_LEN)?;
        group::decode_element(&msg.public_key)?;

        let session_id = msg.session_id;
        let mine = own.len();
        let len = compare_len(theirs, mine);
        let mut rng = rng::from_seed(&seed);

        // H(x)^ab for the initiator's items, in request order: whole
        // elements with their proofs, or digests (shuffled for cardinality).
        let (their_values, reblinded, proof) = if proven {
            let (raised, proof) = reblind_proven(msg.elements, &key, &session_id, RESPONSE_STEP)?;
            (compare_values(&raised, &session_id, len), raised, proof)
        } else {
            let mut values = reblind_compare(msg.elements, &key, &session_id, len)?;
            if config.reveal == Reveal::Cardinality {
                values.shuffle(&mut rng);
            }
            let digests = write_compare(&values, len);
            (values, digests, Vec::new())
        };

        // H(y)^b for our own items, in a random order.
        let order = shuffled(mine, &mut rng);
        let elements = blind(&own, &order, &SessionDst::new(&session_id), &key)?;

        let response = wire::encode(
            MessageType::PsiResponse,
            &ResponseMsg {
                session_id,
                initiator_count: msg.count,
                responder_count: mine as u32, // <= MAX_ITEMS
                compare_len: len as u8,       // <= 16
                public_key: key.public().compress().to_bytes(),
                reblinded: &reblinded,
                proof: &proof,
                elements: &elements,
            },
        );
        // Only the mapping back to indices is needed from here on.
        own.drop_values();
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(request);
        transcript.absorb(&response);
        let (their_set, sent) = match config.output {
            Output::Both => (
                their_values.into_iter().collect(),
                if proven { elements } else { Vec::new() },
            ),
            Output::Initiator => (CompareSet::default(), Vec::new()),
        };
        let next = ResponderAwaitingFinish {
            config,
            session_id,
            compare_len: len,
            own,
            order,
            their_set,
            initiator_count: theirs,
            peer_key: msg.public_key,
            sent,
            transcript,
        };
        Ok((next, response))
    }
}

/// The responder after its response, waiting for the finish message.
pub struct ResponderAwaitingFinish {
    config: Config,
    session_id: SessionId,
    compare_len: usize,
    own: Distinct,
    /// Response position -> distinct value.
    order: Vec<u32>,
    /// The initiator's doubly blinded values (empty unless output is `Both`).
    their_set: CompareSet,
    initiator_count: usize,
    /// The initiator's `K_I`, which the finish's proofs are against.
    peer_key: [u8; ELEMENT_LEN],
    /// The response's elements, which the finish's proofs are over (empty
    /// unless the session is proven and its output is `Both`).
    sent: Vec<u8>,
    transcript: Transcript,
}

debug_public!(ResponderAwaitingFinish, "ResponderAwaitingFinish", |s|
    config: s.config,
    distinct_items: s.order.len(),
);

impl ResponderAwaitingFinish {
    /// Returns the session id of the request this party answered.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// Returns this party's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Processes the initiator's finish message and returns the responder's
    /// result, or `None` when the configuration gives the responder no
    /// output ([`Output::Initiator`]; then `finish` must be `None` too).
    ///
    /// # Errors
    ///
    /// As [`ResponderAwaitingFinish::conclude`].
    pub fn finish(self, finish: Option<&[u8]>) -> Result<Option<Matches>> {
        Ok(self.conclude(finish)?.matches)
    }

    /// [`ResponderAwaitingFinish::finish`], returning the result and the
    /// record of the session (for a [`crate::evidence::receipt`]) by name.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedFinish`] when a finish message is missing or was
    /// not expected, any decoding error of the message,
    /// [`Error::SessionMismatch`], [`Error::CountMismatch`],
    /// [`Error::BadProof`] when a proven session's finish is not what the
    /// initiator's key gives.
    pub fn conclude(mut self, finish: Option<&[u8]>) -> Result<ResponderOutcome> {
        let bytes = match (self.config.output, finish) {
            (Output::Initiator, None) => {
                return Ok(ResponderOutcome {
                    record: self.record(None),
                    matches: None,
                });
            }
            (Output::Initiator, Some(_)) => {
                return Err(Error::UnexpectedFinish(
                    "given, but the session's output is for the initiator only",
                ));
            }
            (Output::Both, None) => return Err(Error::UnexpectedFinish("missing")),
            (Output::Both, Some(bytes)) => bytes,
        };
        let msg: FinishMsg<'_> = wire::decode(bytes, MessageType::PsiFinish)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        let mine = self.order.len();
        wire::check_echoed_count(msg.count, mine)?;
        let len = self.compare_len;
        let statement = self.config.proven().then_some(Statement {
            peer_key: &self.peer_key,
            sent: &self.sent,
            step: FINISH_STEP,
        });
        let values = raised_values(
            msg.reblinded,
            msg.proof,
            mine,
            len,
            statement,
            &self.session_id,
        )?;
        let mut matched = vec![false; mine];
        for (pos, value) in values.iter().enumerate() {
            if self.their_set.contains(value) {
                matched[self.order[pos] as usize] = true;
            }
        }
        let result = matches(&self.own, self.config.reveal, &matched);
        self.transcript.absorb(bytes);
        Ok(ResponderOutcome {
            record: self.record(Some(result.cardinality as u64)),
            matches: Some(result),
        })
    }

    fn record(&self, cardinality: Option<u64>) -> SessionRecord {
        SessionRecord {
            protocol: Protocol::Psi {
                reveal: self.config.reveal,
                output: self.config.output,
            },
            role: Role::Responder,
            session_id: self.session_id,
            epoch: None,
            own_count: self.order.len() as u64,
            peer_count: self.initiator_count as u64,
            cardinality,
            transcript: self.transcript.hash(),
        }
    }
}

/// What `registry::inspect` shows of a balanced PSI message.
pub(crate) fn describe(bytes: &[u8], ty: MessageType, info: &mut wire::MessageInfo) -> Result<()> {
    match ty {
        MessageType::PsiRequest => {
            let m: RequestMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.mode = Some((Reveal::from_code(m.reveal)?, Output::from_code(m.output)?));
            info.counts.push(("initiator_items", u64::from(m.count)));
        }
        MessageType::PsiResponse => {
            let m: ResponseMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts
                .push(("initiator_items", u64::from(m.initiator_count)));
            info.counts
                .push(("responder_items", u64::from(m.responder_count)));
        }
        _ => {
            let m: FinishMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("responder_items", u64::from(m.count)));
        }
    }
    Ok(())
}

/// A party's configuration inside a saved state.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedConfig {
    reveal: u8,
    output: u8,
    max_peer_items: u64,
    min_peer_items: u64,
    profile: Profile,
    proofs: u8,
}

impl From<&Config> for SavedConfig {
    fn from(c: &Config) -> Self {
        SavedConfig {
            reveal: c.reveal.code(),
            output: c.output.code(),
            max_peer_items: c.limits.max_peer_items as u64,
            min_peer_items: c.limits.min_peer_items as u64,
            profile: c.profile,
            proofs: c.proofs.code(),
        }
    }
}

impl TryFrom<SavedConfig> for Config {
    type Error = Error;

    fn try_from(s: SavedConfig) -> Result<Self> {
        let bad = |_| Error::BadState("configuration out of range");
        let limits = Limits {
            max_peer_items: usize::try_from(s.max_peer_items).map_err(bad)?,
            min_peer_items: usize::try_from(s.min_peer_items).map_err(bad)?,
        };
        let config = Config {
            reveal: Reveal::from_code(s.reveal)
                .map_err(|_| Error::BadState("unknown reveal mode"))?,
            output: Output::from_code(s.output).map_err(|_| Error::BadState("unknown output"))?,
            limits,
            profile: s.profile,
            proofs: Proofs::from_code(s.proofs)
                .map_err(|_| Error::BadState("unknown proofs setting"))?,
        };
        config
            .validate()
            .map_err(|_| Error::BadState("inconsistent limits"))?;
        Ok(config)
    }
}

/// An [`Initiator`] in a saved state ([`crate::registry::saved`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedInitiator {
    config: SavedConfig,
    key: Secret32,
    session_id: SessionId,
    own: SavedItems,
    order: Vec<u32>,
    #[serde(with = "serde_bytes")]
    sent: Vec<u8>,
    seed: Secret32,
    #[serde(with = "serde_bytes")]
    transcript: Vec<u8>,
}

impl Initiator {
    pub(crate) fn saved(&self) -> SavedInitiator {
        SavedInitiator {
            config: (&self.config).into(),
            key: Secret32(self.key.half.to_bytes()),
            session_id: self.session_id,
            // The values were blinded into the request; the response needs
            // only the mapping back to indices.
            own: self.own.saved(false),
            order: self.order.clone(),
            sent: self.sent.clone(),
            seed: Secret32(*self.seed),
            transcript: self.transcript.to_saved(),
        }
    }

    pub(crate) fn from_saved(s: SavedInitiator) -> Result<Self> {
        let half = group::decode_nonzero_scalar(&s.key.0)
            .map_err(|_| Error::BadState("session key is not a canonical non-zero scalar"))?;
        let own = Distinct::from_saved(s.own, false)?;
        crate::session::seal::check_permutation(&s.order, own.len())?;
        let config: Config = s.config.try_into()?;
        let expected = if config.proven() { own.len() } else { 0 };
        if s.sent.len() != expected * ELEMENT_LEN {
            return Err(Error::BadState(
                "the request's elements disagree with the count",
            ));
        }
        Ok(Initiator {
            config,
            key: SessionKey::from_half(half),
            session_id: s.session_id,
            own,
            order: s.order,
            sent: s.sent,
            seed: Zeroizing::new(s.seed.0),
            transcript: Transcript::from_saved(&s.transcript)?,
        })
    }

    pub(crate) fn items_given(&self) -> usize {
        self.own.given()
    }
}

/// A [`ResponderAwaitingFinish`] in a saved state ([`crate::registry::saved`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedResponder {
    config: SavedConfig,
    session_id: SessionId,
    compare_len: u8,
    own: SavedItems,
    order: Vec<u32>,
    their_values: Vec<u128>,
    initiator_count: u32,
    peer_key: [u8; ELEMENT_LEN],
    #[serde(with = "serde_bytes")]
    sent: Vec<u8>,
    #[serde(with = "serde_bytes")]
    transcript: Vec<u8>,
}

impl ResponderAwaitingFinish {
    pub(crate) fn saved(&self) -> SavedResponder {
        SavedResponder {
            config: (&self.config).into(),
            session_id: self.session_id,
            compare_len: self.compare_len as u8, // <= 16
            own: self.own.saved(false),
            order: self.order.clone(),
            // Sorted: the same state always saves to the same bytes.
            their_values: {
                let mut v: Vec<u128> = self.their_set.iter().copied().collect();
                v.sort_unstable();
                v
            },
            initiator_count: self.initiator_count as u32, // from a u32 count
            peer_key: self.peer_key,
            sent: self.sent.clone(),
            transcript: self.transcript.to_saved(),
        }
    }

    pub(crate) fn from_saved(s: SavedResponder) -> Result<Self> {
        let config: Config = s.config.try_into()?;
        let own = Distinct::from_saved(s.own, false)?;
        crate::session::seal::check_permutation(&s.order, own.len())?;
        let theirs = s.initiator_count as usize;
        if s.compare_len as usize != compare_len(theirs, own.len()) {
            return Err(Error::BadState(
                "comparison length disagrees with the set sizes",
            ));
        }
        // Distinct values, at most one per initiator item; none when the
        // output is for the initiator only.
        let their_set: CompareSet = s.their_values.iter().copied().collect();
        let expected_max = match config.output {
            Output::Both => theirs,
            Output::Initiator => 0,
        };
        if their_set.len() != s.their_values.len() || s.their_values.len() > expected_max {
            return Err(Error::BadState(
                "the initiator's values disagree with its count",
            ));
        }
        group::decode_element(&s.peer_key)
            .map_err(|_| Error::BadState("the initiator's key is not a valid element"))?;
        let expected_sent = match config.output {
            Output::Both if config.proven() => own.len(),
            _ => 0,
        };
        if s.sent.len() != expected_sent * ELEMENT_LEN {
            return Err(Error::BadState(
                "the response's elements disagree with the count",
            ));
        }
        Ok(ResponderAwaitingFinish {
            config,
            session_id: s.session_id,
            compare_len: s.compare_len as usize,
            own,
            order: s.order,
            their_set,
            initiator_count: theirs,
            peer_key: s.peer_key,
            sent: s.sent,
            transcript: Transcript::from_saved(&s.transcript)?,
        })
    }

    pub(crate) fn items_given(&self) -> usize {
        self.own.given()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_message_decodes_only_from_its_canonical_bytes() {
        for config in [
            Config::default(),
            Config::new(Reveal::Cardinality, Output::Both),
        ] {
            let items: Vec<String> = (0..140).map(|i| format!("item {i}")).collect();
            let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(7);
            let (i, request) = Initiator::start(config.clone(), &items, &mut rng).unwrap();
            let r = Responder::start(config, &items[70..], &mut rng).unwrap();
            let (r, response) = r.respond(&request).unwrap();
            let (finish, _) = i.finish(&response).unwrap();
            let finish = finish.unwrap();
            let mut s = Vec::new();
            // Flipping bytes of elements and digests gives other valid
            // messages, so some mutations decode; each must be canonical.
            assert!(
                wire::assert_canonical::<RequestMsg<'_>>(&request, MessageType::PsiRequest, &mut s)
                    > 0
            );
            let mut s = Vec::new();
            assert!(
                wire::assert_canonical::<ResponseMsg<'_>>(
                    &response,
                    MessageType::PsiResponse,
                    &mut s
                ) > 0
            );
            let mut s = Vec::new();
            assert!(
                wire::assert_canonical::<FinishMsg<'_>>(&finish, MessageType::PsiFinish, &mut s)
                    > 0
            );
            assert!(r.finish(Some(&finish)).unwrap().is_some());
        }
    }
}
