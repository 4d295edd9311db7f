//! More than two agencies (DESIGN §7.6): which items are held by all `k`
//! agencies of a session, or by at least `t` of them, without any agency
//! or the hub seeing the others' lists.
//!
//! A hub (a regional centre) opens a [`Session`]: its id, the agencies in
//! ring order, the threshold. Each agency is a [`Member`] with a fresh
//! secret scalar `k_i` and a one-time blinding scalar `r_i`:
//!
//! ```text
//! start      agency o sends H(x)^r_o for its items (shuffled) to the next agency,
//!            and its commitment to the hub: K_o = k_o·G, its count, the hash of
//!            that first batch
//! roster     the hub publishes every commitment; each member checks its own
//! forward    agency j checks the incoming hop against the roster (the owner's
//!            count; at hop 1 its committed batch, later the previous agency's
//!            proof), raises another owner's values to k_j, proves it (a batched
//!            DLEQ proof, RFC 9497 §2.2, against K_j) and passes them on, in the
//!            same order (hop h of owner o is processed by agency o+h)
//! complete   after k-1 hops the values return to their owner, who raises them
//!            to k_o / r_o: T(x) = H(x)^(k_1···k_k), which no agency and not the
//!            hub can compute alone; the owner hashes each into a short tag
//! tags       each agency sends its tags (sorted) to the hub
//! result     the hub counts and publishes the tags held by >= t agencies
//! finish     each agency looks its own tags up: which of its items qualify
//! ```
//!
//! Every message names the session, its owner and its hop; a member
//! refuses a message of another session ([`Error::SessionMismatch`]), one
//! that is not its to process ([`Error::WrongHop`]), a count that is not
//! the owner's committed one ([`Error::CountMismatch`]) or above the
//! session's limit ([`Error::PeerSetTooLarge`]), values that are not the
//! owner's committed first batch or not what the previous agency proved
//! it raised ([`Error::BadProof`]), and a replay ([`Error::Replay`]): each
//! member raises each other owner's values **once**, and only the values
//! the owner committed to, raised by the agencies of the ring. So whoever
//! carries the messages (a relay, the hub) can neither add its own
//! guesses to a batch, nor drop or swap a value, and nobody can use a
//! member as an oracle for more values than one list. The hub refuses
//! tags of an agency that is not in the session ([`Error::UnknownAgency`]),
//! a number of tags that is not the committed count, and a second
//! submission ([`Error::Replay`]).
//!
//! ```
//! # #[cfg(feature = "os-rng")] {
//! use blindmatch::multiparty::{Hub, Member, Session};
//!
//! // Items held by at least 2 of the 3 agencies, with how many hold each.
//! let session = Session::new(&["NL", "DE", "FR"], 2)?.with_reveal_counts(true);
//! let lists: [&[&str]; 3] = [&["x", "y", "z"], &["y", "z", "w"], &["z", "v"]];
//! let mut members = Vec::new();
//! for (name, items) in session.agencies().iter().zip(lists) {
//!     members.push(Member::new(&session, name, items)?);
//! }
//! let mut hub = Hub::new(session.clone());
//! // Each agency blinds its items and commits to them at the hub.
//! let mut first = Vec::new();
//! for m in &mut members {
//!     first.push(m.start()?);
//!     hub.commit(m.name(), &m.commitment()?)?;
//! }
//! let roster = hub.roster()?; // the same bytes for every agency
//! for m in &mut members {
//!     m.accept_roster(&roster)?;
//! }
//! // Each agency's values travel once around the ring NL -> DE -> FR -> NL.
//! for (owner, mut msg) in first.into_iter().enumerate() {
//!     for hop in 1..3 {
//!         msg = members[(owner + hop) % 3].forward(&msg)?;
//!     }
//!     members[owner].complete(&msg)?;
//! }
//! for m in &members {
//!     hub.add(m.name(), &m.tags()?)?;
//! }
//! let result = hub.result()?; // the same bytes for every agency
//! let nl = members[0].finish(&result)?;
//! assert_eq!(nl.indices(), &[1, 2]); // "y" (NL, DE) and "z" (all three)
//! assert_eq!(nl.counts(), Some(&[2u8, 3][..]));
//! # }
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! Security is **semi-honest, with a non-colluding hub**: SECURITY.md
//! states what the hub, each member and each hop learn. Messages carry only
//! blinded values and pseudonymous tags; the hub learns, per tag, which
//! agencies hold it.

use core::fmt;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;

use crate::crypto::dleq::{self, Domain, Elements};
use crate::crypto::group::{self, ELEMENT_LEN, halve, random_nonzero_scalar};
use crate::crypto::rng::{self, Seed};
use crate::crypto::transcript::Transcript;
use crate::error::{Error, Result};
use crate::evidence::receipt::{Protocol, Role, SessionRecord};
use crate::protocol::compare::{CompareHasher, compare_len_u64, read_compare, write_compare};
use crate::protocol::distinct::Distinct;
use crate::protocol::psi::{SessionDst, SessionKey, blind, shuffled};
use crate::wire::{self, MessageType, SessionId, Suite};

pub use crate::wire::limits::{MAX_AGENCIES, MIN_AGENCIES};
/// Longest agency name, in bytes of UTF-8.
pub const MAX_AGENCY_NAME: usize = 64;
/// Default most distinct items one agency may bring.
pub const DEFAULT_MAX_ITEMS: usize = 1 << 24;

const TRANSCRIPT_PROTOCOL: &[u8] = b"blindmatch-MULTI-v2";
const TAG_LABEL: &[u8] = b"blindmatch-MULTI-v1-tag";
const BATCH_LABEL: &[u8] = b"blindmatch-MULTI-v2-first-batch";
const ROSTER_LABEL: &[u8] = b"blindmatch-MULTI-v2-roster";
/// The `contextString` of the hop proofs (RFC 9497 §2.2's form).
const PROOF_CONTEXT: &[u8] = b"blindmatch-MULTI-v2-ristretto255-SHA512-hop";

/// A multi-party session, as the hub opens it and every agency receives it
/// ([`Session::to_bytes`], [`Session::from_bytes`]): a random id, the
/// agencies in ring order, the threshold, whether the result states each
/// tag's count, and the most items one agency may bring.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    id: SessionId,
    agencies: Vec<String>,
    threshold: usize,
    reveal_counts: bool,
    max_items: usize,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("multiparty::Session")
            .field("id", &hex::encode(self.id))
            .field("agencies", &self.agencies)
            .field("threshold", &self.threshold)
            .field("reveal_counts", &self.reveal_counts)
            .field("max_items", &self.max_items)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct SessionMsg<'a> {
    suite: u8,
    session_id: SessionId,
    #[serde(borrow)]
    agencies: Vec<&'a str>,
    threshold: u8,
    reveal_counts: bool,
    max_items: u32,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct HopMsg<'a> {
    session_id: SessionId,
    /// The hash of the roster every agency of the ring checked.
    roster: [u8; 32],
    owner: u8,
    hop: u8,
    count: u32,
    /// The values the previous agency raised (empty at hop 1, where the
    /// roster's first-batch hash stands in for them).
    #[serde(borrow, with = "serde_bytes")]
    inputs: &'a [u8],
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
    /// The previous agency's proofs that `elements` are `inputs` raised to
    /// the key of its roster entry (empty at hop 1).
    proof: &'a [u8],
}

/// An agency's commitment, sent to the hub after [`Member::start`]: its
/// public key `K_i = k_i·G`, its count and the hash of its first batch.
#[derive(Serialize, Deserialize)]
pub(crate) struct CommitMsg {
    session_id: SessionId,
    agency: u8,
    count: u32,
    public_key: [u8; ELEMENT_LEN],
    first_batch: [u8; 32],
}

/// Every agency's commitment, in ring order, as the hub publishes them.
#[derive(Serialize, Deserialize)]
pub(crate) struct RosterMsg<'a> {
    session_id: SessionId,
    /// `k` counts (u32, little-endian).
    counts: &'a [u8],
    /// `k` public keys.
    public_keys: &'a [u8],
    /// `k` first-batch hashes.
    first_batches: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct TagsMsg<'a> {
    session_id: SessionId,
    agency: u8,
    count: u32,
    #[serde(borrow, with = "serde_bytes")]
    tags: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ResultMsg<'a> {
    session_id: SessionId,
    threshold: u8,
    count: u32,
    #[serde(borrow, with = "serde_bytes")]
    tags: &'a [u8],
    /// One byte per tag (how many agencies hold it) when the session
    /// reveals counts; empty otherwise.
    counts: &'a [u8],
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_AGENCY_NAME {
        return Err(Error::InvalidConfig("an agency name has 1 to 64 bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidConfig(
            "an agency name must not contain control characters",
        ));
    }
    Ok(())
}

impl Session {
    crate::crypto::rng::rng_constructors! {
        /// Opens a session of `agencies` (3 to 64 distinct names, in ring
        /// order) that reveals the items held by at least `threshold` of them
        /// (2 to `k`; `k` for the plain intersection). No counts in the
        /// result, at most [`DEFAULT_MAX_ITEMS`] items per agency. The id
        /// comes from the OS RNG.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`] for a bad agency list or threshold,
        /// [`Error::Rng`].
        pub fn new | new_with_rng [S: AsRef<str>,]
            (agencies: &[S], threshold: usize) -> Result<Self> = open;
    }

    fn open<S: AsRef<str>, R: CryptoRng + ?Sized>(
        agencies: &[S],
        threshold: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let mut id = SessionId::default();
        rng.fill_bytes(&mut id);
        let session = Session {
            id,
            agencies: agencies.iter().map(|a| a.as_ref().to_owned()).collect(),
            threshold,
            reveal_counts: false,
            max_items: DEFAULT_MAX_ITEMS,
        };
        session.validate()?;
        Ok(session)
    }

    /// Says whether the result states, for each qualifying tag, how many
    /// agencies hold it (every agency then learns the counts of its own
    /// qualifying items, and the counts of the others' qualifying tags).
    pub fn with_reveal_counts(mut self, reveal: bool) -> Self {
        self.reveal_counts = reveal;
        self
    }

    /// Sets the most distinct items one agency may bring (1 to 2^32 − 1).
    /// It bounds the work a message can ask of a member and the tag length.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] outside that range.
    pub fn with_max_items(mut self, max: usize) -> Result<Self> {
        self.max_items = max;
        self.validate()?;
        Ok(self)
    }

    fn validate(&self) -> Result<()> {
        let k = self.agencies.len();
        if !(MIN_AGENCIES..=MAX_AGENCIES).contains(&k) {
            return Err(Error::InvalidConfig(
                "a multi-party session has 3 to 64 agencies (two use balanced PSI)",
            ));
        }
        for (i, name) in self.agencies.iter().enumerate() {
            check_name(name)?;
            if self.agencies[..i].contains(name) {
                return Err(Error::InvalidConfig("agency names must differ"));
            }
        }
        if !(2..=k).contains(&self.threshold) {
            return Err(Error::InvalidConfig(
                "the threshold is between 2 and the number of agencies",
            ));
        }
        if self.max_items == 0 || self.max_items > u32::MAX as usize {
            return Err(Error::InvalidConfig(
                "the most items per agency is between 1 and 2^32 - 1",
            ));
        }
        Ok(())
    }

    /// Encodes the session for the agencies (message type `multi-session`).
    pub fn to_bytes(&self) -> Vec<u8> {
        wire::encode(
            MessageType::MultiSession,
            &SessionMsg {
                suite: Suite::Ristretto255Sha512.code(),
                session_id: self.id,
                agencies: self.agencies.iter().map(String::as_str).collect(),
                threshold: self.threshold as u8,
                reveal_counts: self.reveal_counts,
                max_items: self.max_items as u32,
            },
        )
    }

    /// Decodes a session the hub sent.
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::UnsupportedSuite`], [`Error::Malformed`]
    /// for a session that breaks the rules of [`Session::new`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let msg: SessionMsg<'_> = wire::decode(bytes, MessageType::MultiSession)?;
        Suite::from_code(msg.suite)?;
        if msg.agencies.len() > MAX_AGENCIES {
            return Err(Error::Malformed);
        }
        let session = Session {
            id: msg.session_id,
            agencies: msg.agencies.iter().map(|a| (*a).to_owned()).collect(),
            threshold: usize::from(msg.threshold),
            reveal_counts: msg.reveal_counts,
            max_items: msg.max_items as usize,
        };
        session.validate().map_err(|_| Error::Malformed)?;
        Ok(session)
    }

    /// Returns the session id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Returns the agencies, in ring order.
    pub fn agencies(&self) -> &[String] {
        &self.agencies
    }

    /// Returns the threshold.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Says whether the result states each qualifying tag's count.
    pub fn reveal_counts(&self) -> bool {
        self.reveal_counts
    }

    /// Returns the most distinct items one agency may bring.
    pub fn max_items(&self) -> usize {
        self.max_items
    }

    /// Returns the length of a tag in bytes: enough that two distinct
    /// items of the whole session share a tag with probability at most
    /// 2^-40 (at most 16).
    pub fn tag_len(&self) -> usize {
        // In u64: k · max_items passes 2^32 on a 32-bit (WebAssembly) build.
        let all = self.agencies.len() as u64 * self.max_items as u64;
        compare_len_u64(all, all)
    }

    /// Returns the position of an agency in the ring.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAgency`] for a name that is not in the session.
    pub fn position(&self, agency: &str) -> Result<usize> {
        self.agencies
            .iter()
            .position(|a| a == agency)
            .ok_or(Error::UnknownAgency(
                "no agency of that name in the session",
            ))
    }

    /// Returns the agency that must process a `multi-hop` message: the
    /// next one after the owner by the message's hop, which is the owner
    /// itself once the values went round ([`Member::complete`]).
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::SessionMismatch`], [`Error::UnknownAgency`]
    /// for an owner out of range, [`Error::WrongHop`] for a hop out of range.
    pub fn route(&self, hop_message: &[u8]) -> Result<&str> {
        let msg: HopMsg<'_> = wire::decode(hop_message, MessageType::MultiHop)?;
        if msg.session_id != self.id {
            return Err(Error::SessionMismatch);
        }
        let k = self.agencies.len();
        let owner = usize::from(msg.owner);
        if owner >= k {
            return Err(Error::UnknownAgency(
                "the message's owner is not in the session",
            ));
        }
        let hop = usize::from(msg.hop);
        if hop == 0 || hop > k {
            return Err(Error::WrongHop(
                "a hop is between 1 and the number of agencies",
            ));
        }
        Ok(&self.agencies[(owner + hop) % k])
    }

    /// The transcript one agency shares with the hub: the session, the
    /// agency's tags and the result.
    fn transcript(&self) -> Transcript {
        let mut t = Transcript::new(TRANSCRIPT_PROTOCOL);
        t.absorb(&self.to_bytes());
        t
    }

    fn protocol(&self) -> Protocol {
        Protocol::MultiParty {
            agencies: self.agencies.len() as u8,
            threshold: self.threshold as u8,
        }
    }
}

/// The tag of a fully blinded value `T(x)`: its hash with the session id,
/// truncated to `len` bytes.
fn tag_value(session_id: &SessionId, encoded: &[u8; ELEMENT_LEN], len: usize) -> u128 {
    let mut h = Sha512::new();
    h.update(TAG_LABEL);
    h.update(session_id);
    h.update(encoded);
    read_compare(&h.finalize()[..len])
}

/// Reads tags of `len` bytes that must be strictly increasing (sorted, no
/// duplicates), as [`Member::tags`] and [`Hub::result`] write them.
fn read_sorted_tags(bytes: &[u8], len: usize) -> Result<Vec<u128>> {
    let tags: Vec<u128> = bytes.chunks_exact(len).map(read_compare).collect();
    if tags.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::Malformed);
    }
    Ok(tags)
}

/// One agency of a multi-party session.
///
/// Its secret scalars are zeroized on drop and as soon as they are no
/// longer needed; `Debug` shows none of them.
pub struct Member {
    session: Session,
    me: usize,
    own: Distinct,
    /// `order[j]` is the distinct item at position `j` of this agency's values.
    order: Vec<u32>,
    /// `k_i`: raises the other owners' values.
    key: SessionKey,
    /// `r_i`: blinds this agency's own values for their trip (until `start`).
    blinding: Option<SessionKey>,
    /// `k_i / r_i`: turns the returned values into `T(x)` (until `complete`).
    unblinding: Option<SessionKey>,
    /// `K_i = k_i·G`, encoded: the key the roster binds this member's proofs to.
    public_key: [u8; ELEMENT_LEN],
    /// After `start`: the commitment for the hub.
    commitment: Option<Vec<u8>>,
    /// The roster, once accepted: every agency's key, count and first batch.
    roster: Option<Roster>,
    /// Hedges the random scalars of this member's proofs.
    proof_seed: Seed,
    forwarded: Vec<bool>,
    /// After `complete`: the tag of each position, and the message for the hub.
    tags: Option<(Vec<u128>, Vec<u8>)>,
    finished: bool,
    transcript: Transcript,
}

/// A roster as a member accepted it.
struct Roster {
    /// Its hash, bound into every hop's proof.
    hash: [u8; 32],
    counts: Vec<u32>,
    keys: Vec<(RistrettoPoint, [u8; ELEMENT_LEN])>,
    first_batches: Vec<[u8; 32]>,
}

/// SHA-512 of the parts, truncated to 32 bytes.
fn hash32(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize()[..32]);
    out
}

/// The hash of an agency's first batch (hop 1), as its commitment states it.
fn first_batch_hash(session_id: &SessionId, elements: &[u8]) -> [u8; 32] {
    hash32(&[BATCH_LABEL, session_id, elements])
}

fn roster_hash(roster: &[u8]) -> [u8; 32] {
    hash32(&[ROSTER_LABEL, roster])
}

/// What the proof of hop `hop` of `owner`'s values binds beyond its
/// context: the session, the roster, the owner and the hop.
fn hop_binding(session_id: &SessionId, roster: &[u8; 32], owner: usize, hop: usize) -> Vec<u8> {
    [&session_id[..], roster, &[owner as u8, hop as u8]].concat()
}

/// Decodes and checks a roster against the session: one entry per agency,
/// counts within the session's limit, valid keys.
fn read_roster(session: &Session, bytes: &[u8]) -> Result<Roster> {
    let msg: RosterMsg<'_> = wire::decode(bytes, MessageType::MultiRoster)?;
    if msg.session_id != session.id {
        return Err(Error::SessionMismatch);
    }
    let k = session.agencies.len();
    wire::check_len(msg.counts, k, 4)?;
    wire::check_len(msg.public_keys, k, ELEMENT_LEN)?;
    wire::check_len(msg.first_batches, k, 32)?;
    let counts: Vec<u32> = msg
        .counts
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if counts.iter().any(|&c| c as usize > session.max_items) {
        return Err(Error::Malformed);
    }
    let keys = msg
        .public_keys
        .chunks_exact(ELEMENT_LEN)
        .map(|c| {
            let mut enc = [0u8; ELEMENT_LEN];
            enc.copy_from_slice(c);
            Ok((group::decode_element(c)?, enc))
        })
        .collect::<Result<Vec<_>>>()?;
    let first_batches = msg
        .first_batches
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    Ok(Roster {
        hash: roster_hash(bytes),
        counts,
        keys,
        first_batches,
    })
}

debug_public!(Member, "multiparty::Member", |s|
    session: hex::encode(s.session.id),
    agency: s.session.agencies[s.me],
    distinct_items: s.order.len(),
    started: s.commitment.is_some(),
    roster: s.roster.is_some(),
    forwarded: s.forwarded.iter().filter(|&&f| f).count(),
    completed: s.tags.is_some(),
    finished: s.finished,
);

impl Member {
    crate::crypto::rng::rng_constructors! {
        /// Joins `session` as agency `me` with `items` (de-duplicated; at most
        /// the session's `max_items` distinct ones). Randomness from the OS.
        ///
        /// # Errors
        ///
        /// [`Error::UnknownAgency`] when `me` is not in the session,
        /// [`Error::TooManyItems`], [`Error::InputTooLong`], [`Error::Rng`].
        pub fn new | new_with_rng [T: AsRef<[u8]>,]
            (session: &Session, me: &str, items: &[T]) -> Result<Self> = join;
    }

    fn join<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        session: &Session,
        me: &str,
        items: &[T],
        rng: &mut R,
    ) -> Result<Self> {
        let me = session.position(me)?;
        let own = Distinct::new(items, usize::MAX)?;
        if own.len() > session.max_items {
            return Err(Error::TooManyItems {
                count: own.len(),
                max: session.max_items,
            });
        }
        let mut k = random_nonzero_scalar(rng);
        let mut r = random_nonzero_scalar(rng);
        let mut r_inverse = r.invert();
        let mut unblind = k * r_inverse;
        r_inverse.zeroize();
        let key = SessionKey::from_half(*halve(&k));
        let member = Member {
            order: shuffled(own.len(), rng),
            public_key: key.public().compress().to_bytes(),
            key,
            blinding: Some(SessionKey::from_half(*halve(&r))),
            unblinding: Some(SessionKey::from_half(*halve(&unblind))),
            session: session.clone(),
            me,
            own,
            commitment: None,
            roster: None,
            proof_seed: rng::seed_from(rng),
            forwarded: vec![false; session.agencies.len()],
            tags: None,
            finished: false,
            transcript: session.transcript(),
        };
        k.zeroize();
        r.zeroize();
        unblind.zeroize();
        Ok(member)
    }

    /// Returns this agency's name.
    pub fn name(&self) -> &str {
        &self.session.agencies[self.me]
    }

    /// Returns the session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Returns the agency every message of this member goes to (the next
    /// in the ring): its [`Member::start`] and [`Member::forward`] output.
    pub fn next_agency(&self) -> &str {
        &self.session.agencies[(self.me + 1) % self.session.agencies.len()]
    }

    /// Returns the number of distinct items this agency brings.
    pub fn distinct_items(&self) -> usize {
        self.order.len()
    }

    /// Says whether every other owner's values went through this member.
    pub fn forwarded_all(&self) -> bool {
        self.forwarded
            .iter()
            .enumerate()
            .all(|(o, &f)| f || o == self.me)
    }

    /// The kinds of message this member takes now (for
    /// [`crate::session::party::Party::expects`]): nothing before
    /// [`Member::start`] or after [`Member::finish`], the roster first, then
    /// hops, and the result once its own values came back.
    pub(crate) fn expects(&self) -> &'static [MessageType] {
        if self.commitment.is_none() || self.finished {
            &[]
        } else if self.roster.is_none() {
            &[MessageType::MultiRoster]
        } else if self.tags.is_none() {
            &[MessageType::MultiHop]
        } else {
            &[MessageType::MultiHop, MessageType::MultiResult]
        }
    }

    /// Whether a hop message carries this member's own values (back from
    /// the ring: [`Member::complete`]) rather than another owner's
    /// ([`Member::forward`]).
    ///
    /// # Errors
    ///
    /// Decoding errors of the message.
    pub(crate) fn owns(&self, message: &[u8]) -> Result<bool> {
        let msg: HopMsg<'_> = wire::decode(message, MessageType::MultiHop)?;
        Ok(usize::from(msg.owner) == self.me)
    }

    /// Blinds this agency's items for their trip round the ring: the
    /// message (hop 1) for [`Member::next_agency`]. It also makes this
    /// agency's commitment for the hub ([`Member::commitment`]), which the
    /// next agency checks the message against (through the roster) before
    /// it raises anything.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] when called twice.
    pub fn start(&mut self) -> Result<Vec<u8>> {
        let blinding = self
            .blinding
            .take()
            .ok_or(Error::InvalidState("start was called already"))?;
        let dst = SessionDst::new(&self.session.id);
        let elements = blind(&self.own, &self.order, &dst, &blinding)?;
        drop(blinding);
        self.own.drop_values();
        let count = self.order.len() as u32;
        self.commitment = Some(wire::encode(
            MessageType::MultiCommit,
            &CommitMsg {
                session_id: self.session.id,
                agency: self.me as u8,
                count,
                public_key: self.public_key,
                first_batch: first_batch_hash(&self.session.id, &elements),
            },
        ));
        Ok(wire::encode(
            MessageType::MultiHop,
            &HopMsg {
                session_id: self.session.id,
                roster: [0; 32],
                owner: self.me as u8,
                hop: 1,
                count,
                inputs: &[],
                elements: &elements,
                proof: &[],
            },
        ))
    }

    /// Returns this agency's commitment for the hub (after
    /// [`Member::start`]): its public key, its count and the hash of its
    /// first batch. The hub publishes every agency's in the roster.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] before [`Member::start`].
    pub fn commitment(&self) -> Result<Vec<u8>> {
        self.commitment
            .clone()
            .ok_or(Error::InvalidState("commitment before start"))
    }

    /// Accepts the hub's roster, after checking that it states this
    /// agency's own commitment exactly. Every hop this member raises is
    /// then checked against it: the owner's count, its first batch, and
    /// the proofs of every agency's key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] before [`Member::start`]; [`Error::Replay`]
    /// for a second roster that differs from the first; decoding errors,
    /// [`Error::SessionMismatch`], [`Error::Malformed`],
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`] for a bad
    /// key, [`Error::ConfigMismatch`] when the roster misstates this
    /// agency's commitment.
    pub fn accept_roster(&mut self, roster: &[u8]) -> Result<()> {
        let Some(commitment) = &self.commitment else {
            return Err(Error::InvalidState("the roster before start"));
        };
        let read = read_roster(&self.session, roster)?;
        if let Some(accepted) = &self.roster {
            return if accepted.hash == read.hash {
                Ok(())
            } else {
                Err(Error::Replay("another roster was accepted already"))
            };
        }
        let mine: CommitMsg = wire::decode(commitment, MessageType::MultiCommit)?;
        let me = self.me;
        if read.counts[me] != mine.count
            || read.keys[me].1 != mine.public_key
            || read.first_batches[me] != mine.first_batch
        {
            return Err(Error::ConfigMismatch(
                "the roster misstates this agency's commitment",
            ));
        }
        self.transcript.absorb(roster);
        self.roster = Some(read);
        Ok(())
    }

    /// Checks an incoming hop of `owner`'s values against the roster: the
    /// owner's count, then at hop 1 its committed first batch, later the
    /// previous agency's proofs over the values it raised (and at hop 2
    /// that those are the first batch). Returns the values, decoded, and
    /// the roster's hash.
    fn check_batch(
        &self,
        msg: &HopMsg<'_>,
        owner: usize,
    ) -> Result<(Vec<RistrettoPoint>, [u8; 32])> {
        let roster = self
            .roster
            .as_ref()
            .ok_or(Error::InvalidState("a hop before the roster"))?;
        let count = roster.counts[owner] as usize;
        wire::check_echoed_count(msg.count, count)?;
        wire::check_len(msg.elements, count, ELEMENT_LEN)?;
        let id = &self.session.id;
        let hop = usize::from(msg.hop);
        if hop == 1 {
            if msg.roster != [0; 32] || !msg.inputs.is_empty() || !msg.proof.is_empty() {
                return Err(Error::Malformed);
            }
            if first_batch_hash(id, msg.elements) != roster.first_batches[owner] {
                return Err(Error::BadProof);
            }
            return Ok((dleq::decode_all(msg.elements)?, roster.hash));
        }
        if msg.roster != roster.hash {
            return Err(Error::ConfigMismatch(
                "the values were raised under another roster",
            ));
        }
        wire::check_len(msg.inputs, count, ELEMENT_LEN)?;
        if hop == 2 && first_batch_hash(id, msg.inputs) != roster.first_batches[owner] {
            return Err(Error::BadProof);
        }
        let inputs = dleq::decode_all(msg.inputs)?;
        let elements = dleq::decode_all(msg.elements)?;
        let prover = (owner + hop - 1) % self.session.agencies.len();
        let (key, key_enc) = &roster.keys[prover];
        let binding = hop_binding(id, &roster.hash, owner, hop - 1);
        dleq::verify(
            &Domain {
                context: PROOF_CONTEXT,
                binding: &binding,
            },
            &RISTRETTO_BASEPOINT_POINT,
            key,
            key_enc,
            Elements {
                points: &inputs,
                encoded: msg.inputs,
            },
            Elements {
                points: &elements,
                encoded: msg.elements,
            },
            msg.proof,
        )?;
        Ok((elements, roster.hash))
    }

    /// Raises another agency's values, which this member must process at
    /// this hop, to its secret, in the same order: the message for
    /// [`Member::next_agency`] (which is the owner when this was the last
    /// hop).
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::SessionMismatch`]; [`Error::UnknownAgency`]
    /// for an owner out of range; [`Error::WrongHop`] for this member's own
    /// values (use [`Member::complete`]) or a hop that is not this
    /// member's; [`Error::Replay`] when this owner's values went through
    /// already; [`Error::PeerSetTooLarge`], [`Error::CountMismatch`];
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`].
    pub fn forward(&mut self, message: &[u8]) -> Result<Vec<u8>> {
        let msg: HopMsg<'_> = wire::decode(message, MessageType::MultiHop)?;
        if self.finished {
            return Err(Error::InvalidState("the session is over"));
        }
        let owner = self.check_hop(&msg)?;
        if owner == self.me {
            return Err(Error::WrongHop(
                "this agency's own values, back from the ring: use complete",
            ));
        }
        if self.forwarded[owner] {
            return Err(Error::Replay(
                "this owner's values went through this agency already",
            ));
        }
        let count = msg.count as usize;
        if count > self.session.max_items {
            return Err(Error::PeerSetTooLarge {
                count,
                max: self.session.max_items,
            });
        }
        let (points, roster_hash) = self.check_batch(&msg, owner)?;
        let half = self.key.half();
        let raised = group::compress_doubled(points.len(), |j| Ok(points[j] * half), |_, e| *e)?
            .into_flattened();
        let binding = hop_binding(&self.session.id, &roster_hash, owner, usize::from(msg.hop));
        let proof = dleq::prove(
            &Domain {
                context: PROOF_CONTEXT,
                binding: &binding,
            },
            &self.key.full(),
            &RISTRETTO_BASEPOINT_POINT,
            &self.public_key,
            Elements {
                points: &points,
                encoded: msg.elements,
            },
            &raised,
            &mut self.proof_rng(message),
        )?;
        self.forwarded[owner] = true;
        Ok(wire::encode(
            MessageType::MultiHop,
            &HopMsg {
                session_id: self.session.id,
                roster: roster_hash,
                owner: msg.owner,
                hop: msg.hop + 1,
                count: msg.count,
                inputs: msg.elements,
                elements: &raised,
                proof: &proof,
            },
        ))
    }

    /// The RNG of one proof: hedged, from this member's secret seed and the
    /// message it answers, so no two proofs of other statements share a
    /// random scalar even if a state were run twice.
    fn proof_rng(&self, message: &[u8]) -> rand::rngs::ChaCha20Rng {
        rng::hedged(
            b"blindmatch-MULTI-v2-proof-rng",
            &self.proof_seed[..],
            message,
        )
    }

    /// Checks a hop message's session, owner and hop against this member:
    /// returns the owner.
    fn check_hop(&self, msg: &HopMsg<'_>) -> Result<usize> {
        if msg.session_id != self.session.id {
            return Err(Error::SessionMismatch);
        }
        let k = self.session.agencies.len();
        let owner = usize::from(msg.owner);
        if owner >= k {
            return Err(Error::UnknownAgency(
                "the message's owner is not in the session",
            ));
        }
        // Hop h of owner o is processed by agency o + h (the owner at h = k).
        let expected = (self.me + k - owner) % k;
        let expected = if expected == 0 { k } else { expected };
        if usize::from(msg.hop) != expected {
            return Err(Error::WrongHop(
                "this hop of that owner is another agency's",
            ));
        }
        Ok(owner)
    }

    /// Takes this agency's values back after their trip round the ring and
    /// turns them into tags.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] before [`Member::start`]; decoding errors,
    /// [`Error::SessionMismatch`], [`Error::UnknownAgency`]; [`Error::WrongHop`]
    /// for another owner's values (use [`Member::forward`]) or values that
    /// did not go all the way round; [`Error::Replay`] when they came back
    /// already; [`Error::CountMismatch`] when their number is not what
    /// this agency sent; [`Error::InvalidElement`] / [`Error::IdentityElement`].
    pub fn complete(&mut self, message: &[u8]) -> Result<()> {
        let msg: HopMsg<'_> = wire::decode(message, MessageType::MultiHop)?;
        let owner = self.check_hop(&msg)?;
        if owner != self.me {
            return Err(Error::WrongHop(
                "another agency's values: use forward (or this hop is not this agency's)",
            ));
        }
        if self.commitment.is_none() {
            return Err(Error::InvalidState("complete before start"));
        }
        if self.tags.is_some() {
            return Err(Error::Replay("this agency's values came back already"));
        }
        wire::check_echoed_count(msg.count, self.order.len())?;
        let (points, _) = self.check_batch(&msg, owner)?;
        let unblinding = self
            .unblinding
            .as_ref()
            .ok_or(Error::InvalidState("complete before start"))?;
        let (id, len) = (self.session.id, self.session.tag_len());
        let tags = group::compress_doubled(
            points.len(),
            |j| Ok(points[j] * unblinding.half()),
            |_, encoded| tag_value(&id, encoded, len),
        )?;
        let mut sorted = tags.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            // Two distinct items with one tag: probability 2^-40 by the
            // tag length, or a ring that did not raise every value.
            return Err(Error::Malformed);
        }
        self.unblinding = None;
        let message = wire::encode(
            MessageType::MultiTags,
            &TagsMsg {
                session_id: self.session.id,
                agency: self.me as u8,
                count: sorted.len() as u32,
                tags: &write_compare(&sorted, len),
            },
        );
        self.transcript.absorb(&message);
        self.tags = Some((tags, message));
        Ok(())
    }

    /// Returns the message for the hub: this agency's tags, sorted (the
    /// same bytes each time).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] before [`Member::complete`].
    pub fn tags(&self) -> Result<Vec<u8>> {
        self.tags
            .as_ref()
            .map(|(_, message)| message.clone())
            .ok_or(Error::InvalidState(
                "tags before this agency's values came back",
            ))
    }

    /// Reads the hub's result: which of this agency's items are held by at
    /// least the threshold of agencies. Once: the member's secrets are gone
    /// afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] before [`Member::complete`]; [`Error::Replay`]
    /// for a second result; decoding errors, [`Error::SessionMismatch`],
    /// [`Error::ConfigMismatch`] for another threshold or counts the
    /// session does not reveal, [`Error::CountMismatch`],
    /// [`Error::Malformed`] for unsorted tags or impossible counts.
    pub fn finish(&mut self, result: &[u8]) -> Result<MultiOutcome> {
        let Some((tags, _)) = self.tags.as_ref() else {
            return Err(Error::InvalidState(
                "finish before this agency's values came back",
            ));
        };
        if self.finished {
            return Err(Error::Replay("the result was read already"));
        }
        let published = read_result(&self.session, result)?;
        let by_tag: HashMap<u128, u8, BuildHasherDefault<CompareHasher>> =
            published.iter().copied().collect();
        let mut count_of = vec![0u8; self.order.len()];
        for (j, tag) in tags.iter().enumerate() {
            if let Some(&c) = by_tag.get(tag) {
                count_of[self.order[j] as usize] = c;
            }
        }
        let flagged: Vec<bool> = count_of.iter().map(|&c| c > 0).collect();
        let indices = self.own.indices_where(&flagged);
        let counts = self.session.reveal_counts.then(|| {
            indices
                .iter()
                .map(|&i| count_of[self.own.unique_of(i)])
                .collect()
        });
        let cardinality = flagged.iter().filter(|&&f| f).count() as u64;
        self.transcript.absorb(result);
        self.finished = true;
        self.key.zeroize();
        Ok(MultiOutcome {
            indices,
            counts,
            record: SessionRecord {
                protocol: self.session.protocol(),
                role: Role::Member,
                session_id: self.session.id,
                epoch: None,
                own_count: self.order.len() as u64,
                peer_count: published.len() as u64,
                cardinality: Some(cardinality),
                transcript: self.transcript.hash(),
            },
        })
    }
}

/// Decodes and checks a result against the session: the published tags
/// with their counts (the threshold when the session hides them).
fn read_result(session: &Session, result: &[u8]) -> Result<Vec<(u128, u8)>> {
    let msg: ResultMsg<'_> = wire::decode(result, MessageType::MultiResult)?;
    if msg.session_id != session.id {
        return Err(Error::SessionMismatch);
    }
    if usize::from(msg.threshold) != session.threshold {
        return Err(Error::ConfigMismatch(
            "the result's threshold is not the session's",
        ));
    }
    let count = msg.count as usize;
    // Each published tag is held by `threshold` agencies at least.
    let most = session.agencies.len().saturating_mul(session.max_items) / session.threshold;
    if count > most {
        return Err(Error::PeerSetTooLarge { count, max: most });
    }
    let len = session.tag_len();
    wire::check_len(msg.tags, count, len)?;
    let tags = read_sorted_tags(msg.tags, len)?;
    let counts: Vec<u8> = if session.reveal_counts {
        wire::check_len(msg.counts, count, 1)?;
        let k = session.agencies.len();
        if msg
            .counts
            .iter()
            .any(|&c| usize::from(c) < session.threshold || usize::from(c) > k)
        {
            return Err(Error::Malformed);
        }
        msg.counts.to_vec()
    } else {
        if !msg.counts.is_empty() {
            return Err(Error::ConfigMismatch(
                "the result states counts the session hides",
            ));
        }
        vec![session.threshold as u8; count]
    };
    Ok(tags.into_iter().zip(counts).collect())
}

/// What one agency learns: which of its items are held by at least the
/// threshold of agencies, and the record for its ledger and receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultiOutcome {
    indices: Vec<usize>,
    counts: Option<Vec<u8>>,
    /// The agency's record of the session, checked against the hub's
    /// ([`Hub::record_for`]) when the hub countersigns its receipt. Its
    /// `peer_count` is the number of tags the hub published,
    /// `cardinality` the number of this agency's distinct items among them.
    pub record: SessionRecord,
}

impl MultiOutcome {
    /// Sorted indices (into the items given) of the qualifying items,
    /// every copy of a duplicate.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// How many agencies hold each item of [`MultiOutcome::indices`], when
    /// the session reveals counts.
    pub fn counts(&self) -> Option<&[u8]> {
        self.counts.as_deref()
    }

    /// Number of this agency's distinct items that qualify.
    pub fn cardinality(&self) -> u64 {
        self.record.cardinality.unwrap_or(0)
    }
}

/// The counting hub of a multi-party session. It holds no secret: it sees
/// the tags, counts them and publishes those held by at least the
/// threshold of agencies.
pub struct Hub {
    session: Session,
    /// Each agency's commitment, as it arrived.
    commitments: Vec<Option<CommitMsg>>,
    /// The roster, once every commitment arrived and it was published.
    roster: Option<Vec<u8>>,
    received: Vec<Option<Vec<u128>>>,
    transcripts: Vec<Option<Transcript>>,
    result: Option<Vec<u8>>,
    /// Tags published, and how many of each agency's.
    published: u64,
    result_counts: Vec<u64>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let received: Vec<&str> = self
            .session
            .agencies
            .iter()
            .zip(&self.received)
            .filter(|(_, r)| r.is_some())
            .map(|(a, _)| a.as_str())
            .collect();
        f.debug_struct("multiparty::Hub")
            .field("session", &self.session)
            .field("received", &received)
            .field("published", &self.result.is_some())
            .finish()
    }
}

impl Hub {
    /// A hub for `session` (the one it opened and sent the agencies).
    pub fn new(session: Session) -> Self {
        let k = session.agencies.len();
        Hub {
            session,
            commitments: (0..k).map(|_| None).collect(),
            roster: None,
            received: vec![None; k],
            transcripts: (0..k).map(|_| None).collect(),
            result: None,
            published: 0,
            result_counts: vec![0; k],
        }
    }

    /// Returns the session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The kinds of message the hub takes now: commitments until the
    /// roster, tags until the result, then none.
    pub(crate) fn expects(&self) -> &'static [MessageType] {
        if self.roster.is_none() {
            &[MessageType::MultiCommit]
        } else if self.result.is_none() {
            &[MessageType::MultiTags]
        } else {
            &[]
        }
    }

    /// Returns the agencies whose commitment (before the roster) or tags
    /// (after it) have not arrived yet.
    pub fn missing(&self) -> Vec<&str> {
        let names = self.session.agencies.iter().map(String::as_str);
        if self.roster.is_none() {
            names
                .zip(&self.commitments)
                .filter(|(_, c)| c.is_none())
                .map(|(a, _)| a)
                .collect()
        } else {
            names
                .zip(&self.received)
                .filter(|(_, r)| r.is_none())
                .map(|(a, _)| a)
                .collect()
        }
    }

    /// Takes the commitment `agency` sent ([`Member::commitment`]).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAgency`] for an agency that is not in the session or
    /// a commitment naming another; [`Error::Replay`] for a second one that
    /// differs; [`Error::InvalidState`] after the roster; decoding errors,
    /// [`Error::SessionMismatch`], [`Error::PeerSetTooLarge`],
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`] for a bad key.
    pub fn commit(&mut self, agency: &str, commitment: &[u8]) -> Result<()> {
        let at = self.session.position(agency)?;
        let msg: CommitMsg = wire::decode(commitment, MessageType::MultiCommit)?;
        if msg.session_id != self.session.id {
            return Err(Error::SessionMismatch);
        }
        if usize::from(msg.agency) != at {
            return Err(Error::UnknownAgency(
                "the commitment names another agency than its sender",
            ));
        }
        if let Some(c) = &self.commitments[at] {
            return if wire::encode(MessageType::MultiCommit, c) == commitment {
                Ok(())
            } else {
                Err(Error::Replay("this agency sent another commitment already"))
            };
        }
        if self.roster.is_some() {
            return Err(Error::InvalidState("the roster is published already"));
        }
        let count = msg.count as usize;
        if count > self.session.max_items {
            return Err(Error::PeerSetTooLarge {
                count,
                max: self.session.max_items,
            });
        }
        group::decode_element(&msg.public_key)?;
        self.commitments[at] = Some(msg);
        Ok(())
    }

    /// Publishes the roster (the same bytes for every agency and every
    /// call): each agency's public key, count and first-batch hash. Every
    /// member checks its own entry, and every hop against the others.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] while a commitment is missing
    /// ([`Hub::missing`] names the agencies).
    pub fn roster(&mut self) -> Result<Vec<u8>> {
        if let Some(r) = &self.roster {
            return Ok(r.clone());
        }
        let all: Vec<&CommitMsg> = self.commitments.iter().flatten().collect();
        if all.len() != self.session.agencies.len() {
            return Err(Error::InvalidState("an agency's commitment is missing"));
        }
        let counts: Vec<u8> = all.iter().flat_map(|c| c.count.to_le_bytes()).collect();
        let keys: Vec<u8> = all.iter().flat_map(|c| c.public_key).collect();
        let firsts: Vec<u8> = all.iter().flat_map(|c| c.first_batch).collect();
        let roster = wire::encode(
            MessageType::MultiRoster,
            &RosterMsg {
                session_id: self.session.id,
                counts: &counts,
                public_keys: &keys,
                first_batches: &firsts,
            },
        );
        self.roster = Some(roster.clone());
        Ok(roster)
    }

    /// Takes the tags `agency` sent (the name of the channel they came
    /// through: the message must name the same agency).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAgency`] for an agency that is not in the session or
    /// tags that name another; [`Error::Replay`] for a second submission;
    /// [`Error::InvalidState`] before the roster or after the result;
    /// decoding errors, [`Error::SessionMismatch`], [`Error::CountMismatch`]
    /// for a number of tags that is not the agency's committed count,
    /// [`Error::Malformed`] for tags that are not strictly increasing.
    pub fn add(&mut self, agency: &str, tags: &[u8]) -> Result<()> {
        let at = self.session.position(agency)?;
        if self.result.is_some() {
            return Err(Error::InvalidState("the result is published already"));
        }
        let Some(roster) = &self.roster else {
            return Err(Error::InvalidState("tags before the roster"));
        };
        let msg: TagsMsg<'_> = wire::decode(tags, MessageType::MultiTags)?;
        if msg.session_id != self.session.id {
            return Err(Error::SessionMismatch);
        }
        if usize::from(msg.agency) != at {
            return Err(Error::UnknownAgency(
                "the tags name another agency than their sender",
            ));
        }
        if self.received[at].is_some() {
            return Err(Error::Replay("this agency sent its tags already"));
        }
        let committed = self.commitments[at]
            .as_ref()
            .map_or(0, |c| c.count as usize);
        wire::check_echoed_count(msg.count, committed)?;
        let len = self.session.tag_len();
        wire::check_len(msg.tags, committed, len)?;
        let values = read_sorted_tags(msg.tags, len)?;
        let mut transcript = self.session.transcript();
        transcript.absorb(roster);
        transcript.absorb(tags);
        self.received[at] = Some(values);
        self.transcripts[at] = Some(transcript);
        Ok(())
    }

    /// The result, once every agency's tags arrived and [`Hub::result`]
    /// made it (a hub driven as a [`crate::session::party::Party`] makes
    /// it with the last tags).
    pub fn sent_result(&self) -> Option<&[u8]> {
        self.result.as_deref()
    }

    /// The roster, once every commitment arrived and [`Hub::roster`] made
    /// it (with the last commitment, for a hub driven as a party).
    pub fn sent_roster(&self) -> Option<&[u8]> {
        self.roster.as_deref()
    }

    /// Counts the tags and returns the result for every agency (the same
    /// bytes each call): the tags held by at least the threshold, sorted,
    /// with their counts when the session reveals them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] while an agency's tags are missing
    /// ([`Hub::missing`] names them).
    pub fn result(&mut self) -> Result<Vec<u8>> {
        if let Some(result) = &self.result {
            return Ok(result.clone());
        }
        if self.received.iter().any(Option::is_none) {
            return Err(Error::InvalidState("tags of an agency are missing"));
        }
        let lists: Vec<&[u128]> = self.received.iter().flatten().map(Vec::as_slice).collect();
        // A k-way merge of the sorted lists: one pass, no second copy.
        let mut heads: BinaryHeap<Reverse<(u128, usize)>> = lists
            .iter()
            .enumerate()
            .filter_map(|(a, l)| l.first().map(|&t| Reverse((t, a))))
            .collect();
        let mut at = vec![0usize; lists.len()];
        let (mut tags, mut counts) = (Vec::new(), Vec::new());
        let mut holders = Vec::with_capacity(lists.len());
        while let Some(Reverse((tag, _))) = heads.peek().copied() {
            holders.clear();
            while let Some(&Reverse((t, a))) = heads.peek() {
                if t != tag {
                    break;
                }
                heads.pop();
                holders.push(a);
                at[a] += 1;
                if let Some(&next) = lists[a].get(at[a]) {
                    heads.push(Reverse((next, a)));
                }
            }
            if holders.len() >= self.session.threshold {
                tags.push(tag);
                counts.push(holders.len() as u8);
                for &a in &holders {
                    self.result_counts[a] += 1;
                }
            }
        }
        let result = wire::encode(
            MessageType::MultiResult,
            &ResultMsg {
                session_id: self.session.id,
                threshold: self.session.threshold as u8,
                count: tags.len() as u32,
                tags: &write_compare(&tags, self.session.tag_len()),
                counts: if self.session.reveal_counts {
                    &counts
                } else {
                    &[]
                },
            },
        );
        self.published = tags.len() as u64;
        for t in self.transcripts.iter_mut().flatten() {
            t.absorb(&result);
        }
        self.result = Some(result.clone());
        Ok(result)
    }

    /// The hub's record of its exchange with `agency`, after the result:
    /// what the agency's own record ([`MultiOutcome::record`]) must state,
    /// seen from the hub, so the hub can countersign its receipt. Its
    /// `own_count` is the number of published tags, `peer_count` the
    /// agency's tags, `cardinality` how many of them were published.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAgency`], [`Error::InvalidState`] before the result.
    pub fn record_for(&self, agency: &str) -> Result<SessionRecord> {
        let at = self.session.position(agency)?;
        let (Some(_), Some(tags), Some(transcript)) =
            (&self.result, &self.received[at], &self.transcripts[at])
        else {
            return Err(Error::InvalidState("no result yet"));
        };
        Ok(SessionRecord {
            protocol: self.session.protocol(),
            role: Role::Hub,
            session_id: self.session.id,
            epoch: None,
            own_count: self.published,
            peer_count: tags.len() as u64,
            cardinality: Some(self.result_counts[at]),
            transcript: transcript.hash(),
        })
    }

    /// Countersigns an agency's receipt of this session after checking it
    /// against the hub's own record of that agency ([`Hub::record_for`]):
    /// the agency is the one whose transcript the receipt states.
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::BadSignature`], [`Error::InvalidState`]
    /// before the result, [`Error::ReceiptMismatch`] when the receipt
    /// states no agency's exchange with this hub (or wrong sizes, role or
    /// cardinality), [`Error::InvalidConfig`] when it is countersigned
    /// already.
    pub fn countersign(
        &self,
        signed: &[u8],
        key: &crate::evidence::receipt::SigningKey,
        timestamp: u64,
    ) -> Result<Vec<u8>> {
        if self.result.is_none() {
            return Err(Error::InvalidState("no result yet"));
        }
        let fields = crate::evidence::receipt::read(signed)?;
        let agency = self
            .transcripts
            .iter()
            .position(|t| t.as_ref().map(Transcript::hash) == Some(fields.record.transcript))
            .ok_or(Error::ReceiptMismatch(
                "the receipt states no agency's exchange with this hub",
            ))?;
        let own = self.record_for(&self.session.agencies[agency])?;
        crate::evidence::receipt::countersign(signed, key, Some(&own), timestamp)
    }
}

/// What `registry::inspect` shows of a multi-party message.
pub(crate) fn describe(bytes: &[u8], ty: MessageType, info: &mut wire::MessageInfo) -> Result<()> {
    match ty {
        MessageType::MultiSession => {
            let s = Session::from_bytes(bytes)?;
            info.session_id = Some(s.id);
            info.counts.push(("agencies", s.agencies.len() as u64));
            info.counts.push(("threshold", s.threshold as u64));
            info.counts.push(("max_items", s.max_items as u64));
        }
        MessageType::MultiHop => {
            let m: HopMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("owner", u64::from(m.owner)));
            info.counts.push(("hop", u64::from(m.hop)));
            info.counts.push(("items", u64::from(m.count)));
        }
        MessageType::MultiTags => {
            let m: TagsMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("agency", u64::from(m.agency)));
            info.counts.push(("tags", u64::from(m.count)));
        }
        MessageType::MultiCommit => {
            let m: CommitMsg = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("agency", u64::from(m.agency)));
            info.counts.push(("items", u64::from(m.count)));
        }
        MessageType::MultiRoster => {
            let m: RosterMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("agencies", (m.counts.len() / 4) as u64));
        }
        _ => {
            let m: ResultMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.session_id);
            info.counts.push(("threshold", u64::from(m.threshold)));
            info.counts.push(("tags", u64::from(m.count)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn every_message_decodes_only_from_its_canonical_bytes() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let session = Session::new_with_rng(&["NL", "DE", "FR"], 2, &mut rng)
            .unwrap()
            .with_reveal_counts(true);
        let lists = [&["x", "y"][..], &["y", "z"], &["y"]];
        let mut ms: Vec<Member> = session
            .agencies()
            .iter()
            .zip(lists)
            .map(|(n, l)| Member::new_with_rng(&session, n, l, &mut rng).unwrap())
            .collect();
        let mut flight: Vec<Vec<u8>> = ms.iter_mut().map(|m| m.start().unwrap()).collect();
        let mut hub = Hub::new(session.clone());
        for m in &ms {
            hub.commit(m.name(), &m.commitment().unwrap()).unwrap();
        }
        let commitment = ms[0].commitment().unwrap();
        let roster = hub.roster().unwrap();
        for m in &mut ms {
            m.accept_roster(&roster).unwrap();
        }
        let first_hop = flight[0].clone();
        let mut second_hop = Vec::new();
        for hop in 1..3 {
            for (owner, msg) in flight.iter_mut().enumerate() {
                *msg = ms[(owner + hop) % 3].forward(msg).unwrap();
            }
            if hop == 1 {
                second_hop = flight[0].clone();
            }
        }
        for (m, msg) in ms.iter_mut().zip(&flight) {
            m.complete(msg).unwrap();
            hub.add(m.name(), &m.tags().unwrap()).unwrap();
        }
        let result = hub.result().unwrap();
        let tags = ms[0].tags().unwrap();
        let session_bytes = session.to_bytes();
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<SessionMsg<'_>>(
                &session_bytes,
                MessageType::MultiSession,
                &mut s
            ) > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<HopMsg<'_>>(&first_hop, MessageType::MultiHop, &mut s) > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<HopMsg<'_>>(&second_hop, MessageType::MultiHop, &mut s) > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<CommitMsg>(&commitment, MessageType::MultiCommit, &mut s) > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<RosterMsg<'_>>(&roster, MessageType::MultiRoster, &mut s) > 0
        );
        let mut s = Vec::new();
        assert!(wire::assert_canonical::<TagsMsg<'_>>(&tags, MessageType::MultiTags, &mut s) > 0);
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<ResultMsg<'_>>(&result, MessageType::MultiResult, &mut s) > 0
        );
        for (bytes, ty) in [
            (&session_bytes, MessageType::MultiSession),
            (&first_hop, MessageType::MultiHop),
            (&second_hop, MessageType::MultiHop),
            (&commitment, MessageType::MultiCommit),
            (&roster, MessageType::MultiRoster),
            (&tags, MessageType::MultiTags),
            (&result, MessageType::MultiResult),
        ] {
            assert_eq!(&crate::registry::reencode(bytes).unwrap(), bytes);
            assert_eq!(crate::registry::inspect(bytes).unwrap().message_type, ty);
        }
        // The member's Debug shows no secret and no item.
        let shown = format!("{:?}", ms[0]);
        assert!(shown.contains("NL") && !shown.contains("half"), "{shown}");
    }
}
