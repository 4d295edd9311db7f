//! Unbalanced, reusable PSI over the RFC 9497 VOPRF (mode `0x01`, DESIGN
//! §3.2 and §8.1).
//!
//! A server holding a large list (a watch-list of millions of entries)
//! publishes once per key epoch a **set digest**: a Golomb-compressed set of
//! short tags of `OPRF(k, y)` for every item `y`, optionally with an
//! AEAD-encrypted **label** per item, stored in the order of the sorted
//! tags so that a client finds an item's label at its tag's position. Many clients with a few hundred or
//! thousand items each blind their items, have the server evaluate them
//! obliviously, finalize, and look the results up in the digest. A client's
//! online work depends on its own set only; the digest is downloaded (and
//! decoded) once per epoch.
//!
//! ```
//! use blindmatch::oprf::OprfKey;
//! use blindmatch::budget::Budget;
//! use blindmatch::unbalanced::{Client, Server, ServerConfig};
//!
//! let watch_list = ["+442079460958", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "anna@example.org"];
//! let labels = ["case 17", "case 18", "case 19"];
//! let config = ServerConfig::new(Budget::Limited(10_000));
//! let server = Server::new(OprfKey::generate()?, &watch_list, Some(&labels[..]), config)?;
//! let digest = server.digest().to_vec(); // published once per epoch
//!
//! let (client, query) = Client::new(&["bob@example.net", "anna@example.org"])?;
//! let answer = server.answer(&query, "agency-nl")?;
//! let result = client.finish(&answer, &digest)?;
//! assert_eq!(result.indices(), &[1]);
//! assert_eq!(result.label(1), Some(&b"case 19"[..]));
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! # Verified answers
//!
//! The digest carries the server's public key (its epoch is a fingerprint
//! of it), and every answer carries a batched proof (RFC 9497 §2.2) that
//! each element was raised to that key. [`Client::finish`] checks it
//! before it finalizes anything and refuses a failing answer
//! ([`Error::BadProof`]): a server cannot answer one client under another
//! key than the one of the digest everyone holds, so it can neither tag a
//! client (tell its later queries apart) nor feed it an answer that
//! silently matches nothing. Proving costs the server one multiscalar
//! multiplication over the query (its composite) and hashing a weight per
//! element; verifying costs the client two, and decoding its own elements.
//!
//! # What each party learns
//!
//! The client learns which of its items are in the server's set, their
//! labels, and the server's set size (the digest's length). The server
//! learns how many items a client queries, nothing about which. Labels of
//! items the client does not hold stay sealed: their keys derive from OPRF
//! outputs the client cannot compute without querying the item, and from a
//! random salt drawn for every digest build, so two builds of one list under
//! one key seal their labels under unrelated keys.
//!
//! Every query carries a random 16-byte query id that the answer echoes;
//! finishing a query with the answer to another one is
//! [`Error::QueryMismatch`], never a silently wrong result. A query also
//! carries the client's canonicalization [`Profile`]; a server built for
//! another profile refuses it ([`Error::ProfileMismatch`]) before any group
//! operation, and so does a client finishing against such a digest.
//!
//! # Query budget
//!
//! An OPRF server is an oracle: a client that may query without limit can
//! run every phone number of a country through it and read the watch-list
//! back from the digest. [`ServerConfig::query_budget`] caps how many
//! elements each client (by a caller-supplied id) may have evaluated per
//! epoch; rotating the key starts a new epoch and a new digest. The budget
//! has no default: [`ServerConfig::new`] takes a number or an explicit
//! [`Budget::Unlimited`].
//!
//! **Where budgets live decides whether they hold.** [`Server::answer`]
//! keeps them in the server object's memory: a restart, a rebuilt digest
//! or a second server process gives every client a fresh budget.
//! [`Server::answer_with`] charges a [`BudgetStore`] instead; the
//! `blindmatch-ledger` crate's SQLite ledger is one that survives restarts
//! and crashes and is shared by several processes, and records every
//! charge in a hash-chained audit log.

use core::fmt;
use std::collections::BTreeMap;

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::crypto::dleq;
use crate::crypto::gcs;
use crate::crypto::group::{self, ELEMENT_LEN};
use crate::crypto::oprf::{self, Blind, Mode, OprfKey};
use crate::crypto::par;
use crate::crypto::transcript::{TRANSCRIPT_LEN, Transcript};
use crate::error::{Error, Result};
use crate::evidence::budget::{Budget, BudgetStore, Charge, Hold, MemoryBudgets};
use crate::evidence::receipt::{Protocol, Role, SessionRecord};
use crate::protocol::distinct::{Distinct, SavedItems};
use crate::session::seal::Secret32;
use crate::wire::{self, MessageType, Profile};

pub use crate::wire::ids::{EpochId, QueryId};

/// A digest build's label salt: 16 random bytes drawn per build.
type Salt = [u8; 16];

/// Default false-positive rate, per client item: 2^-40.
pub const DEFAULT_FPR_BITS: u8 = 40;

/// Longest label, in bytes.
pub const MAX_LABEL_LEN: usize = 4096;

/// Largest server set a digest may describe.
pub const MAX_DIGEST_ITEMS: usize = 1 << 28;

const AEAD_TAG_LEN: usize = 16;
/// The RFC 9497 mode of the watch-list: every answer is proven.
const MODE: Mode = Mode::Voprf;
// v2: the VOPRF (mode 0x01); a v1 (mode 0x00) key epoch is another epoch.
const EPOCH_LABEL: &[u8] = b"blindmatch-UPSI-v2-epoch";
const TAG_LABEL: &[u8] = b"blindmatch-UPSI-v2-tag";
const LABEL_LABEL: &[u8] = b"blindmatch-UPSI-v2-label";
/// Protocol name in unbalanced PSI transcripts (query, answer, digest hash).
const TRANSCRIPT_PROTOCOL: &[u8] = b"blindmatch-UPSI-v2";

/// SHA-512 of a digest's bytes: what a transcript absorbs of the digest.
fn digest_hash(digest: &[u8]) -> [u8; TRANSCRIPT_LEN] {
    Sha512::digest(digest).into()
}

/// Returns the epoch of a key.
pub fn epoch_of(key: &OprfKey) -> EpochId {
    epoch_of_public_key(&key.public_key())
}

/// Returns the epoch of a public key (what a digest carries).
pub fn epoch_of_public_key(public_key: &[u8; ELEMENT_LEN]) -> EpochId {
    let h = Sha512::new()
        .chain_update(EPOCH_LABEL)
        .chain_update(public_key)
        .finalize();
    let mut e = EpochId::default();
    e.copy_from_slice(&h[..16]);
    e
}

/// A server's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The digest's false-positive rate per client item is 2^-`fpr_bits`
    /// (1 to 56; default 40).
    pub fpr_bits: u8,
    /// How many elements one client may have evaluated per epoch. No
    /// default: [`ServerConfig::new`] takes it.
    pub query_budget: Budget,
    /// Most elements in one query. Default 2^20.
    pub max_query_items: usize,
    /// How the server's items were canonicalized; queries under another
    /// profile are refused ([`Error::ProfileMismatch`]). Default
    /// [`Profile::RAW`].
    pub profile: Profile,
}

impl ServerConfig {
    /// A policy with `query_budget` per client and epoch, and defaults for
    /// the rest (2^-40 false positives, at most 2^20 elements per query,
    /// [`Profile::RAW`]). The budget has no default: a number, or an
    /// explicit [`Budget::Unlimited`].
    pub fn new(query_budget: Budget) -> Self {
        ServerConfig {
            fpr_bits: DEFAULT_FPR_BITS,
            query_budget,
            max_query_items: 1 << 20,
            profile: Profile::RAW,
        }
    }

    setters! {
        /// Sets the false-positive rate to 2^-`bits`.
        with_fpr_bits(bits: u8) => fpr_bits;

        /// Sets the elements each client may have evaluated per epoch.
        with_query_budget(budget: Budget) => query_budget;

        /// Sets the largest query accepted.
        with_max_query_items(max: usize) => max_query_items;

        /// Sets the canonicalization profile of the server's items.
        with_profile(profile: Profile) => profile;
    }
}

/// A client's settings for one query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Address the query to one key epoch: a server under another key
    /// refuses it, and finishing against a digest of another epoch fails
    /// ([`Error::EpochMismatch`]). `None` (default): any epoch.
    pub epoch: Option<EpochId>,
    /// How the client's items were canonicalized. Default [`Profile::RAW`].
    pub profile: Profile,
}

impl ClientConfig {
    /// Addresses the query to `epoch`.
    #[must_use]
    pub fn with_epoch(mut self, epoch: EpochId) -> Self {
        self.epoch = Some(epoch);
        self
    }

    setters! {
        /// Sets the canonicalization profile of the client's items.
        with_profile(profile: Profile) => profile;
    }
}

/// Tag and label key of one OPRF output.
struct Derived {
    tag: u64,
    key: Zeroizing<[u8; 32]>,
}

/// Derives an item's tag (from the epoch and its OPRF output) and its label
/// key (from those and the digest build's salt, so every build seals under
/// fresh keys and the all-zero nonce is never reused under a key).
fn derive(epoch: &EpochId, salt: &Salt, output: &[u8; oprf::OUTPUT_LEN], range: u64) -> Derived {
    let t = Sha512::new()
        .chain_update(TAG_LABEL)
        .chain_update(epoch)
        .chain_update(output)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&t[..8]);
    // Uniform in [0, range) by multiply-high (bias below 2^-64 · range).
    let tag = ((u64::from_le_bytes(first) as u128 * range as u128) >> 64) as u64;
    let mut l = Zeroizing::new([0u8; 64]);
    Sha512::new()
        .chain_update(LABEL_LABEL)
        .chain_update(epoch)
        .chain_update(salt)
        .chain_update(output)
        .finalize_into((&mut *l).into());
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&l[..32]);
    Derived { tag, key }
}

/// Tag range for `n` items at 2^-`bits` false positives: `n · 2^bits`.
fn tag_range(n: usize, bits: u8) -> Result<u64> {
    (n.max(1) as u64)
        .checked_mul(1u64 << bits)
        .ok_or(Error::InvalidConfig(
            "set too large for this false-positive rate",
        ))
}

#[derive(Serialize, Deserialize)]
pub(crate) struct DigestMsg<'a> {
    /// The server's VOPRF public key; the epoch is its fingerprint.
    public_key: [u8; ELEMENT_LEN],
    profile: Profile,
    salt: Salt,
    count: u32,
    fpr_bits: u8,
    #[serde(borrow, with = "serde_bytes")]
    tags: &'a [u8],
    /// Length of each padded label plaintext (0: no labels).
    label_len: u16,
    #[serde(borrow, with = "serde_bytes")]
    labels: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct QueryMsg<'a> {
    query_id: QueryId,
    epoch: Option<EpochId>,
    profile: Profile,
    count: u32,
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct AnswerMsg<'a> {
    query_id: QueryId,
    epoch: EpochId,
    count: u32,
    #[serde(borrow, with = "serde_bytes")]
    elements: &'a [u8],
    /// The VOPRF's proofs: one per [`dleq::MAX_BATCH`] elements.
    proof: &'a [u8],
}

/// The server of unbalanced PSI for one key epoch.
///
/// Budgets: [`Server::answer`] keeps them in this object's memory
/// ([`MemoryBudgets`]), so they last only as long as the object: a restart,
/// a rebuilt digest or a second process starts every client afresh.
/// [`Server::answer_with`] keeps them in a durable [`BudgetStore`] (the
/// ledger), where they survive all three.
pub struct Server {
    key: OprfKey,
    epoch: EpochId,
    config: ServerConfig,
    digest: Vec<u8>,
    digest_hash: [u8; TRANSCRIPT_LEN],
    items: usize,
    budgets: MemoryBudgets,
}

debug_public!(Server, "Server", |s|
    epoch: s.epoch,
    items: s.items,
    config: s.config,
);

impl Server {
    crate::crypto::rng::rng_constructors! {
        /// Builds the server's set digest for `key`'s epoch: evaluates the OPRF
        /// on every distinct item (in parallel), and seals each label under a
        /// key derived from its item's OPRF output. Labels are padded to the
        /// longest one, so their lengths reveal nothing. An item given twice
        /// keeps its first label.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidConfig`] for a label list of another length than the
        /// items, a false-positive rate outside 1..=56 bits, or too many items;
        /// [`Error::InputTooLong`] for an item over 65535 bytes or a label over
        /// [`MAX_LABEL_LEN`]; [`Error::Rng`] when the operating system cannot
        /// supply the build's label salt.
        pub fn new | new_with_rng [T: AsRef<[u8]> + Sync, L: AsRef<[u8]> + Sync,] (
            key: OprfKey,
            items: &[T],
            labels: Option<&[L]>,
            config: ServerConfig,
        ) -> Result<Self> = build;
    }

    fn build<T: AsRef<[u8]> + Sync, L: AsRef<[u8]> + Sync, R: CryptoRng + ?Sized>(
        key: OprfKey,
        items: &[T],
        labels: Option<&[L]>,
        config: ServerConfig,
        rng: &mut R,
    ) -> Result<Self> {
        if !(1..=56).contains(&config.fpr_bits) {
            return Err(Error::InvalidConfig("fpr_bits must be 1 to 56"));
        }
        if let Some(l) = labels {
            if l.len() != items.len() {
                return Err(Error::InvalidConfig("labels must be as many as items"));
            }
            if let Some(long) = l.iter().find(|l| l.as_ref().len() > MAX_LABEL_LEN) {
                return Err(Error::InputTooLong {
                    len: long.as_ref().len(),
                    max: MAX_LABEL_LEN,
                });
            }
        }
        let own = Distinct::new(items, u32::MAX as usize)?;
        if own.len() > MAX_DIGEST_ITEMS {
            return Err(Error::TooManyItems {
                count: own.len(),
                max: MAX_DIGEST_ITEMS,
            });
        }
        // An item given twice keeps its first label.
        let first = own.first_indices();
        let epoch = epoch_of(&key);
        let mut salt = Salt::default();
        rng.fill_bytes(&mut salt);
        let range = tag_range(own.len(), config.fpr_bits)?;
        let derived: Vec<Derived> = key.evaluate_with(
            MODE,
            own.len(),
            |j| own.get(j),
            |_, output| derive(&epoch, &salt, &output, range),
        )?;

        // Labels sit in the order of the sorted tags, so a client finds an
        // item's label at its tag's position: no per-label locator needed.
        let mut order: Vec<usize> = (0..derived.len()).collect();
        order.sort_unstable_by_key(|&j| derived[j].tag);
        let sorted: Vec<u64> = order.iter().map(|&j| derived[j].tag).collect();
        let tags = gcs::encode(&sorted, config.fpr_bits);

        let (label_len, sealed) = match labels {
            None => (0usize, Vec::new()),
            Some(labels) => {
                let longest = first
                    .iter()
                    .map(|&i| labels[i].as_ref().len())
                    .max()
                    .unwrap_or(0);
                let padded = longest + 2;
                let entries: Vec<Vec<u8>> = par::map(&order, |&j| {
                    let label = labels[first[j]].as_ref();
                    let mut plain = Vec::with_capacity(padded);
                    plain.extend_from_slice(&(label.len() as u16).to_be_bytes());
                    plain.extend_from_slice(label);
                    plain.resize(padded, 0);
                    seal(&derived[j].key, &plain)
                });
                (padded, entries.concat())
            }
        };
        let digest = wire::encode(
            MessageType::SetDigest,
            &DigestMsg {
                public_key: key.public_key(),
                profile: config.profile,
                salt,
                count: own.len() as u32,
                fpr_bits: config.fpr_bits,
                tags: &tags,
                label_len: label_len as u16,
                labels: &sealed,
            },
        );
        Ok(Server {
            key,
            epoch,
            config,
            digest_hash: digest_hash(&digest),
            digest,
            items: own.len(),
            budgets: MemoryBudgets::new(),
        })
    }

    /// A server that answers for a digest built earlier under `key` (by
    /// [`Server::new`], in another process): what a process that only
    /// answers queries needs, without the list itself. The digest's profile
    /// and false-positive rate replace `config`'s.
    ///
    /// # Errors
    ///
    /// Any decoding error of the digest; [`Error::EpochMismatch`] when the
    /// digest was built under another key.
    pub fn from_digest(key: OprfKey, digest: &[u8], config: ServerConfig) -> Result<Self> {
        let decoded = SetDigest::from_bytes(digest)?;
        let epoch = epoch_of(&key);
        if decoded.epoch != epoch {
            return Err(Error::EpochMismatch);
        }
        let config = config
            .with_profile(decoded.profile)
            .with_fpr_bits(decoded.fpr_bits);
        Ok(Server {
            key,
            epoch,
            config,
            digest: digest.to_vec(),
            digest_hash: decoded.hash,
            items: decoded.len(),
            budgets: MemoryBudgets::new(),
        })
    }

    /// Returns the set digest of this epoch: the same bytes for every client.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// Returns this server's epoch.
    pub fn epoch(&self) -> EpochId {
        self.epoch
    }

    /// Returns the OPRF key, e.g. to export it with
    /// [`OprfKey::to_secret_bytes`] before a restart.
    pub fn key(&self) -> &OprfKey {
        &self.key
    }

    /// Returns this server's policy.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Returns how many more elements `client_id` may have evaluated this
    /// epoch under the in-memory budgets of [`Server::answer`] (`None`
    /// when unlimited).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] only if a thread panicked while charging.
    pub fn remaining_budget(&self, client_id: &str) -> Result<Option<u64>> {
        self.remaining_budget_with(client_id, &self.budgets)
    }

    /// Returns how many more elements `client_id` may have evaluated this
    /// epoch according to `store`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store cannot be read.
    pub fn remaining_budget_with(
        &self,
        client_id: &str,
        store: &dyn BudgetStore,
    ) -> Result<Option<u64>> {
        Ok(self
            .config
            .query_budget
            .remaining(store.spent(&self.epoch, client_id)?))
    }

    /// Evaluates a client's query (RFC 9497 VOPRF `BlindEvaluateBatch`: each
    /// element, and the proof),
    /// charging it to `client_id`'s budget in this object's memory. The
    /// budget lasts only as long as this object; see [`Server::answer_with`].
    ///
    /// # Errors
    ///
    /// As [`Server::answer_with`].
    pub fn answer(&self, query: &[u8], client_id: &str) -> Result<Vec<u8>> {
        self.answer_with(query, client_id, &self.budgets)
    }

    /// Evaluates a client's query, charging it to `client_id`'s budget in
    /// `store`.
    ///
    /// Everything that can refuse a query is checked before the key touches
    /// any element: epoch, profile, size, the budget (reserved atomically,
    /// [`BudgetStore::reserve`], so two queries of one client in flight at
    /// once cannot both pass and both cost multiplications), and the
    /// validity of every element. A refused or malformed query costs no
    /// scalar multiplication and no budget. The answer is then charged
    /// ([`BudgetStore::charge`]: checked again and recorded atomically, so
    /// concurrent servers on one store never exceed a budget together) and
    /// returned only once the charge succeeded: no answer ever leaves
    /// uncharged. A crash between the charge and the caller's use of the
    /// answer costs the client budget it did not get to use, never the
    /// other way round.
    ///
    /// # Errors
    ///
    /// Decoding errors of the query, [`Error::EpochMismatch`] for a query
    /// addressed to another epoch, [`Error::ProfileMismatch`],
    /// [`Error::PeerSetTooLarge`] above `max_query_items`,
    /// [`Error::BudgetExceeded`] (counting what the client's other queries
    /// in flight hold), [`Error::Replay`] when the same query is already in
    /// flight, [`Error::CountMismatch`],
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`],
    /// [`Error::Storage`] when the store fails (no answer is returned).
    pub fn answer_with(
        &self,
        query: &[u8],
        client_id: &str,
        store: &dyn BudgetStore,
    ) -> Result<Vec<u8>> {
        let msg: QueryMsg<'_> = wire::decode(query, MessageType::UnbalancedQuery)?;
        if msg.epoch.is_some_and(|e| e != self.epoch) {
            return Err(Error::EpochMismatch);
        }
        self.config.profile.check_peer(msg.profile)?;
        let count = msg.count as usize;
        if count > self.config.max_query_items {
            return Err(Error::PeerSetTooLarge {
                count,
                max: self.config.max_query_items,
            });
        }
        let budget = self.config.query_budget;
        wire::check_len(msg.elements, count, ELEMENT_LEN)?;
        // Held before the key touches an element: a second query of this
        // client in flight sees the hold and is refused without work.
        let hold = Hold::new(self.epoch, client_id, count as u64, budget, msg.query_id);
        if budget != Budget::Unlimited {
            store.reserve(&hold)?;
        }
        // Validates every element before it evaluates any.
        let (evaluated, proof) = match self.key.blind_evaluate_encoded(msg.elements) {
            Ok(done) => done,
            Err(e) => {
                // The query costs nothing; a store that cannot release the
                // hold drops it later (BudgetStore::reserve).
                let _ = store.release(&hold);
                return Err(e);
            }
        };
        let answer = wire::encode(
            MessageType::UnbalancedAnswer,
            &AnswerMsg {
                query_id: msg.query_id,
                epoch: self.epoch,
                count: msg.count,
                elements: &evaluated,
                proof: &proof,
            },
        );
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(query);
        transcript.absorb(&answer);
        transcript.absorb(&self.digest_hash);
        store
            .charge(&Charge {
                epoch: self.epoch,
                client_id,
                count: count as u64,
                budget,
                query_id: msg.query_id,
                transcript: transcript.hash(),
            })
            .inspect_err(|_| {
                let _ = store.release(&hold);
            })?;
        Ok(answer)
    }
}

fn seal(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
    // Each key seals exactly one label (it derives from one item's OPRF
    // output), so the all-zero nonce is never reused under a key.
    let cipher = ChaCha20Poly1305::new(&(*key).into());
    match cipher.encrypt(&Nonce::default(), plain) {
        Ok(c) => c,
        Err(_) => unreachable!("ChaCha20-Poly1305 encrypts any label up to MAX_LABEL_LEN"),
    }
}

fn open(key: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    let plain = ChaCha20Poly1305::new(&(*key).into())
        .decrypt(&Nonce::default(), sealed)
        .ok()?;
    let len = u16::from_be_bytes([*plain.first()?, *plain.get(1)?]) as usize;
    plain.get(2..2 + len).map(<[u8]>::to_vec)
}

/// A decoded, validated set digest.
///
/// Decode it once per epoch and pass it to [`Client::finish_with`]: a
/// client's lookup then costs the same whatever the size of the server's
/// set. `Display` and `Debug` summarize it (size, false-positive rate,
/// labels) rather than print its tags.
#[derive(Clone)]
pub struct SetDigest {
    epoch: EpochId,
    public_key: [u8; ELEMENT_LEN],
    profile: Profile,
    salt: Salt,
    fpr_bits: u8,
    range: u64,
    tags: Vec<u64>,
    label_len: usize,
    labels: Vec<u8>,
    hash: [u8; TRANSCRIPT_LEN],
}

impl SetDigest {
    /// Decodes and validates a digest.
    ///
    /// # Errors
    ///
    /// Any decoding error; [`Error::InvalidElement`] /
    /// [`Error::IdentityElement`] for a bad public key; [`Error::Malformed`]
    /// for an inconsistent compressed set or label table.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let msg: DigestMsg<'_> = wire::decode(bytes, MessageType::SetDigest)?;
        group::decode_element(&msg.public_key)?;
        let n = msg.count as usize;
        if n > MAX_DIGEST_ITEMS {
            return Err(Error::PeerSetTooLarge {
                count: n,
                max: MAX_DIGEST_ITEMS,
            });
        }
        if !(1..=56).contains(&msg.fpr_bits) {
            return Err(Error::Malformed);
        }
        let range = tag_range(n, msg.fpr_bits).map_err(|_| Error::Malformed)?;
        let tags = gcs::decode(msg.tags, n, msg.fpr_bits, range)?;
        let label_len = msg.label_len as usize;
        let entry = if label_len == 0 {
            0
        } else {
            label_len + AEAD_TAG_LEN
        };
        wire::check_len(msg.labels, if label_len == 0 { 0 } else { n }, entry.max(1))?;
        Ok(SetDigest {
            epoch: epoch_of_public_key(&msg.public_key),
            public_key: msg.public_key,
            profile: msg.profile,
            salt: msg.salt,
            fpr_bits: msg.fpr_bits,
            range,
            tags,
            label_len,
            labels: msg.labels.to_vec(),
            hash: digest_hash(bytes),
        })
    }

    /// Returns the epoch the digest belongs to.
    pub fn epoch(&self) -> EpochId {
        self.epoch
    }

    /// Returns the server's VOPRF public key, against which every answer
    /// of this epoch is verified.
    pub fn public_key(&self) -> [u8; ELEMENT_LEN] {
        self.public_key
    }

    /// Returns the canonicalization profile of the server's items.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Returns the number of items in the server's set.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Tells whether the server's set is empty.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Tells whether the digest carries labels.
    pub fn has_labels(&self) -> bool {
        self.label_len > 0
    }

    /// Returns the false-positive rate exponent (2^-bits per client item).
    pub fn fpr_bits(&self) -> u8 {
        self.fpr_bits
    }

    /// Positions of `tag` in the sorted tags (usually none or one).
    fn positions(&self, tag: u64) -> core::ops::Range<usize> {
        self.tags.partition_point(|&t| t < tag)..self.tags.partition_point(|&t| t <= tag)
    }

    /// The sealed label at a tag position.
    fn sealed(&self, position: usize) -> &[u8] {
        let size = self.label_len + AEAD_TAG_LEN;
        &self.labels[position * size..(position + 1) * size]
    }
}

impl fmt::Display for SetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SetDigest({} items, 2^-{} false positives{})",
            self.len(),
            self.fpr_bits,
            if self.has_labels() { ", labeled" } else { "" }
        )
    }
}

debug_public!(SetDigest, "SetDigest", |s|
    epoch: s.epoch,
    profile: s.profile,
    items: s.len(),
    fpr_bits: s.fpr_bits,
    label_len: s.label_len,
);

/// The result of an unbalanced query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnbalancedMatches {
    indices: Vec<usize>,
    labels: BTreeMap<usize, Vec<u8>>,
    record: SessionRecord,
}

impl UnbalancedMatches {
    /// Returns the sorted indices into the client's items that are in the
    /// server's set.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Returns the label of matched item `index`, when the server has labels.
    pub fn label(&self, index: usize) -> Option<&[u8]> {
        self.labels.get(&index).map(Vec::as_slice)
    }

    /// Returns every opened label by item index.
    pub fn labels(&self) -> &BTreeMap<usize, Vec<u8>> {
        &self.labels
    }

    /// Returns the record of the exchange (query id, epoch, sizes, number
    /// of distinct matched items, transcript hash), for a
    /// [`crate::evidence::receipt`]. Its transcript hash is the one the server's
    /// ledger recorded with the charge for this answer.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }
}

/// A client of unbalanced PSI, waiting for the server's answer.
pub struct Client {
    config: ClientConfig,
    query_id: QueryId,
    own: Distinct,
    blinds: Vec<Blind>,
    /// The query's blinded elements, the statement the answer's proof is about.
    blinded: Vec<u8>,
    transcript: Transcript,
}

debug_public!(Client, "Client", |s|
    config: s.config,
    distinct_items: s.own.len(),
);

impl Client {
    /// Blinds `items` (de-duplicated) with fresh blinds from the operating
    /// system's RNG and returns the state and the query message.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for an item over 65535 bytes, [`Error::Rng`].
    #[cfg(feature = "os-rng")]
    pub fn new<T: AsRef<[u8]>>(items: &[T]) -> Result<(Self, Vec<u8>)> {
        Self::with_config(ClientConfig::default(), items)
    }

    crate::crypto::rng::rng_constructors! {
        /// [`Client::new`] with settings: the epoch the query is addressed to
        /// and the canonicalization profile of the items.
        ///
        /// # Errors
        ///
        /// [`Error::InputTooLong`], [`Error::TooManyItems`], [`Error::Rng`].
        pub fn with_config | new_with_rng [T: AsRef<[u8]>,]
            (config: ClientConfig, items: &[T]) -> Result<(Self, Vec<u8>)> = start;
    }

    fn start<T: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        config: ClientConfig,
        items: &[T],
        rng: &mut R,
    ) -> Result<(Self, Vec<u8>)> {
        let own = Distinct::new(items, u32::MAX as usize)?;
        let blinds: Vec<Blind> = (0..own.len()).map(|_| Blind::random_from(rng)).collect();
        let mut query_id = QueryId::default();
        rng.fill_bytes(&mut query_id);
        // Rejects values over 65535 bytes (RFC 9497).
        let elements = oprf::blind_encoded(MODE, &blinds, |j| own.get(j))?;
        let query = wire::encode(
            MessageType::UnbalancedQuery,
            &QueryMsg {
                query_id,
                epoch: config.epoch,
                profile: config.profile,
                count: own.len() as u32, // <= u32::MAX, checked in Distinct::new
                elements: &elements,
            },
        );
        let mut transcript = Transcript::new(TRANSCRIPT_PROTOCOL);
        transcript.absorb(&query);
        Ok((
            Client {
                config,
                query_id,
                own,
                blinds,
                blinded: elements,
                transcript,
            },
            query,
        ))
    }

    /// Returns the id of this client's query, which the answer must echo.
    pub fn query_id(&self) -> QueryId {
        self.query_id
    }

    /// Verifies the server's answer against the digest's public key,
    /// finalizes it and looks the results up in the digest.
    ///
    /// # Errors
    ///
    /// Decoding errors of either message, [`Error::BadProof`] when the
    /// answer's proof fails (the server did not answer under the digest's
    /// key: nothing is finalized), [`Error::QueryMismatch`] for the
    /// answer to another query, [`Error::EpochMismatch`] when the answer and
    /// the digest belong to different keys (a mixed-up file never yields a
    /// silently empty result) or not to the epoch the query was addressed
    /// to, [`Error::ProfileMismatch`] for a digest of items canonicalized
    /// under another profile, [`Error::CountMismatch`],
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`].
    pub fn finish(self, answer: &[u8], digest: &[u8]) -> Result<UnbalancedMatches> {
        let digest = SetDigest::from_bytes(digest)?;
        self.finish_with(answer, &digest)
    }

    /// [`Client::finish`] with a digest decoded once and reused.
    ///
    /// # Errors
    ///
    /// As [`Client::finish`].
    pub fn finish_with(self, answer: &[u8], digest: &SetDigest) -> Result<UnbalancedMatches> {
        let msg: AnswerMsg<'_> = wire::decode(answer, MessageType::UnbalancedAnswer)?;
        if msg.query_id != self.query_id {
            return Err(Error::QueryMismatch);
        }
        if msg.epoch != digest.epoch || self.config.epoch.is_some_and(|e| e != digest.epoch) {
            return Err(Error::EpochMismatch);
        }
        self.config.profile.check_peer(digest.profile)?;
        let n = self.own.len();
        wire::check_echoed_count(msg.count, n)?;
        wire::check_len(msg.elements, n, ELEMENT_LEN)?;
        if msg.proof.len() != dleq::proofs_len(n) {
            return Err(Error::BadProof);
        }
        let evaluated = dleq::decode_all(msg.elements)?;
        let blinded = dleq::decode_all(&self.blinded)?;
        oprf::verify_encoded(
            &digest.public_key,
            &blinded,
            &self.blinded,
            &evaluated,
            msg.elements,
            msg.proof,
        )?;
        let outputs = oprf::finalize_points(
            &self.blinds,
            &evaluated,
            |j| self.own.get(j),
            |_, out| derive(&digest.epoch, &digest.salt, &out, digest.range),
        )?;
        let found: Vec<Option<Option<Vec<u8>>>> = par::map(&outputs, |d| {
            let mut at = digest.positions(d.tag);
            if at.is_empty() {
                return None;
            }
            if !digest.has_labels() {
                return Some(None);
            }
            // With labels, the sealed label confirms the match: a tag
            // collision (probability 2^-fpr_bits) has no label to open.
            at.find_map(|p| open(&d.key, digest.sealed(p))).map(Some)
        });
        let hit: Vec<bool> = found.iter().map(Option::is_some).collect();
        let indices = self.own.indices_where(&hit);
        let labels = indices
            .iter()
            .filter_map(|&i| match &found[self.own.unique_of(i)] {
                Some(Some(label)) => Some((i, label.clone())),
                _ => None,
            })
            .collect();
        let mut transcript = self.transcript;
        transcript.absorb(answer);
        transcript.absorb(&digest.hash);
        let record = SessionRecord {
            protocol: Protocol::Unbalanced,
            role: Role::Client,
            session_id: self.query_id,
            epoch: Some(digest.epoch),
            own_count: n as u64,
            peer_count: digest.len() as u64,
            cardinality: Some(hit.iter().filter(|&&h| h).count() as u64),
            transcript: transcript.hash(),
        };
        Ok(UnbalancedMatches {
            indices,
            labels,
            record,
        })
    }
}

/// What `registry::inspect` shows of an unbalanced PSI message.
pub(crate) fn describe(bytes: &[u8], ty: MessageType, info: &mut wire::MessageInfo) -> Result<()> {
    match ty {
        MessageType::SetDigest => {
            let d = SetDigest::from_bytes(bytes)?;
            info.epoch = Some(d.epoch);
            info.counts.push(("server_items", d.len() as u64));
            info.counts.push(("fpr_bits", u64::from(d.fpr_bits)));
            info.counts.push(("labels", u64::from(d.has_labels())));
        }
        MessageType::UnbalancedQuery => {
            let m: QueryMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.query_id);
            info.epoch = m.epoch;
            info.counts.push(("client_items", u64::from(m.count)));
        }
        _ => {
            let m: AnswerMsg<'_> = wire::decode(bytes, ty)?;
            info.session_id = Some(m.query_id);
            info.epoch = Some(m.epoch);
            info.counts.push(("client_items", u64::from(m.count)));
        }
    }
    Ok(())
}

/// A [`Client`] in a saved state ([`crate::registry::saved`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedClient {
    epoch: Option<EpochId>,
    profile: Profile,
    query_id: QueryId,
    /// The items themselves: finishing hashes them again (RFC 9497 Finalize).
    own: SavedItems,
    blinds: Vec<Secret32>,
    #[serde(with = "serde_bytes")]
    blinded: Vec<u8>,
    #[serde(with = "serde_bytes")]
    transcript: Vec<u8>,
}

impl Client {
    pub(crate) fn saved(&self) -> SavedClient {
        SavedClient {
            epoch: self.config.epoch,
            profile: self.config.profile,
            query_id: self.query_id,
            own: self.own.saved(true),
            blinds: self.blinds.iter().map(|b| Secret32(b.to_bytes())).collect(),
            blinded: self.blinded.clone(),
            transcript: self.transcript.to_saved(),
        }
    }

    pub(crate) fn from_saved(s: SavedClient) -> Result<Self> {
        let own = Distinct::from_saved(s.own, true)?;
        if s.blinds.len() != own.len() {
            return Err(Error::BadState("one blind per distinct item expected"));
        }
        if s.blinded.len() != own.len() * ELEMENT_LEN {
            return Err(Error::BadState(
                "one blinded element per distinct item expected",
            ));
        }
        if (0..own.len()).any(|j| own.get(j).len() > oprf::MAX_INPUT_LEN) {
            return Err(Error::BadState(
                "an item is longer than the protocol allows",
            ));
        }
        let blinds = s
            .blinds
            .iter()
            .map(|b| Blind::from_secret(&b.0))
            .collect::<Result<Vec<_>>>()
            .map_err(|_| Error::BadState("a blind is not a canonical non-zero scalar"))?;
        Ok(Client {
            config: ClientConfig {
                epoch: s.epoch,
                profile: s.profile,
            },
            query_id: s.query_id,
            own,
            blinds,
            blinded: s.blinded,
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
        let key = OprfKey::derive(&[3; 32], b"t").unwrap();
        let items: Vec<String> = (0..150).map(|i| format!("item {i}")).collect();
        let labels: Vec<String> = (0..150).map(|i| format!("label {i}")).collect();
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(9);
        let config = ServerConfig::new(Budget::Unlimited).with_fpr_bits(12);
        let server = Server::build(key, &items, Some(&labels[..]), config, &mut rng).unwrap();
        let client_config = ClientConfig::default().with_epoch(server.epoch());
        let (_, query) = Client::start(client_config, &items[100..140], &mut rng).unwrap();
        let answer = server.answer(&query, "c").unwrap();
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<DigestMsg<'_>>(
                server.digest(),
                MessageType::SetDigest,
                &mut s
            ) > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<QueryMsg<'_>>(&query, MessageType::UnbalancedQuery, &mut s)
                > 0
        );
        let mut s = Vec::new();
        assert!(
            wire::assert_canonical::<AnswerMsg<'_>>(&answer, MessageType::UnbalancedAnswer, &mut s)
                > 0
        );
    }

    #[test]
    fn a_server_without_budget_keeps_no_client_entries() {
        let key = OprfKey::derive(&[4; 32], b"t").unwrap();
        let server = Server::new(
            key,
            &["a", "b"],
            None::<&[&str]>,
            ServerConfig::new(Budget::Unlimited),
        )
        .unwrap();
        for client in ["agency-a", "agency-b", "agency-c"] {
            let (_, query) = Client::new(&["a", "z"]).unwrap();
            server.answer(&query, client).unwrap();
        }
        assert_eq!(
            format!("{:?}", server.budgets),
            "MemoryBudgets { spent: Mutex { data: {}, poisoned: false, .. } }"
        );
        assert_eq!(server.remaining_budget("agency-a"), Ok(None));
    }

    #[test]
    fn a_digest_shows_a_summary_not_its_tags() {
        let key = OprfKey::derive(&[2; 32], b"t").unwrap();
        let items: Vec<String> = (0..500).map(|i| format!("item {i}")).collect();
        let config = ServerConfig::new(Budget::Unlimited).with_fpr_bits(20);
        let plain = Server::new(key.clone(), &items, None::<&[&str]>, config.clone()).unwrap();
        let digest = SetDigest::from_bytes(plain.digest()).unwrap();
        assert_eq!(
            digest.to_string(),
            "SetDigest(500 items, 2^-20 false positives)"
        );
        let debug = format!("{digest:?}");
        assert!(debug.contains("items: 500") && debug.len() < 200, "{debug}");
        let labels: Vec<String> = (0..500).map(|i| format!("case {i}")).collect();
        let labeled = Server::new(key, &items, Some(&labels[..]), config).unwrap();
        let digest = SetDigest::from_bytes(labeled.digest()).unwrap();
        assert_eq!(
            digest.to_string(),
            "SetDigest(500 items, 2^-20 false positives, labeled)"
        );
    }

    #[test]
    fn a_label_opens_only_with_its_items_output() {
        let key = OprfKey::derive(&[1; 32], b"t").unwrap();
        let items = ["held", "not held 1", "not held 2"];
        let server = Server::new(
            key.clone(),
            &items,
            Some(&["A", "B", "C"][..]),
            ServerConfig::new(Budget::Unlimited),
        )
        .unwrap();
        let digest = SetDigest::from_bytes(server.digest()).unwrap();
        let size = digest.label_len + AEAD_TAG_LEN;
        let entries: Vec<&[u8]> = digest.labels.chunks(size).collect();
        // The keys a client holding only "held" (and guessing others) can derive.
        for (guess, opens) in [("held", 1), ("someone else", 0), ("not held", 0)] {
            let d = derive(
                &digest.epoch,
                &digest.salt,
                &key.evaluate_in(MODE, guess.as_bytes()).unwrap(),
                digest.range,
            );
            let opened = entries.iter().filter(|e| open(&d.key, e).is_some()).count();
            assert_eq!(opened, opens, "{guess}");
        }
    }

    #[test]
    fn labels_seal_and_open() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"\x00\x03abc\x00\x00");
        assert_eq!(open(&key, &sealed).unwrap(), b"abc");
        assert!(open(&[8u8; 32], &sealed).is_none());
    }
}
