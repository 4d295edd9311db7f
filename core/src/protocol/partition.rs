//! Partitioned balanced PSI: one party's work split into parts that its
//! own workers (cluster tasks, Web Workers, threads of one machine) process
//! independently, with the same leakage to the peer as [`crate::protocol::psi`]
//! (DESIGN §7.2).
//!
//! A party's coordinator creates a [`PartySecret`] (the session scalar, the
//! session id, the configuration and a party-local partition key) and hands
//! it to its own workers as bytes ([`PartySecret::to_secret_bytes`]); it is
//! never in a message. Items go to parts by a keyed hash
//! ([`PartySecret::part_of`]), so duplicates meet in one part and
//! de-duplicating each part de-duplicates the whole set. Every step is a
//! pure function of (secret, part index, part bytes) returning bytes:
//!
//! ```text
//! Initiator (P_I parts)                         Responder (P_R parts)
//!  request_part(i, items_i)  ── Request_i ──▶
//!  manifest(Request)         ── manifest ───▶   PartySecret::responder(manifest)
//!                                               elements_part(j, items_j)
//!                            ◀── Elements_j ──  manifest(Elements)
//!                            ◀── Reblinded_i ─  reblind_part(i, Request_i)
//!                                               [cardinality: mix_part(k, Reblinded_*)]
//!                                               manifest(Reblinded)
//!  accept(manifests)
//!  finish_part(j, Elements_j)
//!  [cardinality: mix_part(k, Finish_*)]
//!  manifest(Finish)          ── Finish_j ───▶   accept(manifest)   (output both)
//!  join(Reblinded_*, Finish_*)                  join(Finish_*, Reblinded_*)
//!  matches_part(i, items_i, flags_i)            matches_part(j, items_j, flags_j)
//! ```
//!
//! Each part message names the session, its kind, its index and the part
//! count; each step's manifest carries every part's count and hash. A
//! secret that accepted a manifest checks every part against it, so a
//! missing, duplicated, reordered or foreign part is a typed error
//! ([`Error::MissingPart`], [`Error::DuplicatePart`], [`Error::PartMismatch`]).
//!
//! **Leakage.** The peer learns the number of parts and each part's size:
//! parts are a keyed-random split, so sizes say nothing about which items
//! are where. In [`Reveal::Intersection`] mode the doubly blinded values
//! travel aligned with the peer's parts, as in one-process PSI (which
//! aligns them with the peer's request order). In [`Reveal::Cardinality`]
//! mode they must not: aligned, they would tell the initiator how many of
//! each of its parts matched. So the sender mixes them first
//! ([`mix_part`]): every value goes to the bucket its own value selects
//! and each bucket is sorted, which (the values being hash outputs the
//! receiver cannot compute) hides which part and position each came from.
//!
//! The comparison is a join on comparison values, which an engine runs
//! (a DataFrame join); [`join`] is a reference join for one machine whose
//! memory is bounded by the size of one bucket group, and [`count_part`]
//! counts the matches of one bucket in cardinality mode.
//!
//! **No proofs yet.** Partitioned sessions do not prove their re-blinding
//! (the one-process [`crate::protocol::psi`] does, [`psi::Proofs::Verify`]): each
//! party trusts its peer to raise its values with one key, and a peer that
//! keys some values apart makes the other party miss exactly those items,
//! undetected. A secret's configuration says so ([`psi::Proofs::TrustPeer`]
//! whatever it was given); SECURITY.md lists it.

use core::fmt;
use std::collections::HashMap;

use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto::group::{self, ELEMENT_LEN};
use crate::error::{Error, Result};
use crate::protocol::compare::{CompareSet, compare_len, read_compare, write_compare};
use crate::protocol::distinct::Distinct;
use crate::protocol::psi::{self, Config, Output, Reveal};
use crate::wire::{self, MessageType, Profile, SessionId, Suite};

/// Most parts one party may split its set into.
pub const MAX_PARTS: u32 = 1 << 16;

/// Most distinct items in one part (the wire carries part counts as `u32`).
pub const MAX_PART_ITEMS: usize = u32::MAX as usize;

const PARTITION_LABEL: &[u8] = b"blindmatch-PSI-v1-partition";
const PART_HASH_LABEL: &[u8] = b"blindmatch-PSI-v1-part";
const SECRET_VERSION: u8 = 1;

/// What a part carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PartKind {
    /// Initiator to responder: the initiator's blinded items of one part.
    Request,
    /// Responder to initiator: the responder's blinded items of one part.
    Elements,
    /// Responder to initiator: comparison values of the initiator's items
    /// (aligned with request part `i`, or a mixed bucket in cardinality mode).
    Reblinded,
    /// Initiator to responder: comparison values of the responder's items
    /// (aligned with elements part `j`, or a mixed bucket in cardinality mode).
    Finish,
}

impl PartKind {
    const fn code(self) -> u8 {
        match self {
            PartKind::Request => 1,
            PartKind::Elements => 2,
            PartKind::Reblinded => 3,
            PartKind::Finish => 4,
        }
    }

    fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            1 => PartKind::Request,
            2 => PartKind::Elements,
            3 => PartKind::Reblinded,
            4 => PartKind::Finish,
            _ => return Err(Error::Malformed),
        })
    }

    /// Looks a kind up by its [`PartKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [
            PartKind::Request,
            PartKind::Elements,
            PartKind::Reblinded,
            PartKind::Finish,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// Returns the kind's name (`"request"`, `"elements"`, `"reblinded"`, `"finish"`).
    pub const fn name(self) -> &'static str {
        match self {
            PartKind::Request => "request",
            PartKind::Elements => "elements",
            PartKind::Reblinded => "reblinded",
            PartKind::Finish => "finish",
        }
    }

    /// Which role produces parts of this kind.
    const fn producer(self) -> Role {
        match self {
            PartKind::Request | PartKind::Finish => Role::Initiator,
            PartKind::Elements | PartKind::Reblinded => Role::Responder,
        }
    }

    /// Whether parts of this kind carry group elements (else comparison values).
    const fn elements(self) -> bool {
        matches!(self, PartKind::Request | PartKind::Elements)
    }
}

/// Which side of the session a secret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Starts the session.
    Initiator,
    /// Answers it.
    Responder,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct PartMsg<'a> {
    session_id: SessionId,
    kind: u8,
    index: u32,
    parts: u32,
    count: u32,
    /// Bytes per comparison value (0 for parts of group elements).
    compare_len: u8,
    #[serde(borrow, with = "serde_bytes")]
    payload: &'a [u8],
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ManifestMsg<'a> {
    session_id: SessionId,
    kind: u8,
    suite: u8,
    reveal: u8,
    output: u8,
    profile: Profile,
    parts: u32,
    total: u64,
    compare_len: u8,
    /// `parts` little-endian `u32` counts.
    counts: &'a [u8],
    /// `parts` 32-byte part hashes.
    hashes: &'a [u8],
}

/// The count and hash of one part, as its producer read them back
/// ([`PartInfo::of`]) to build the step's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartInfo {
    /// The session the part belongs to.
    pub session_id: SessionId,
    /// What the part carries.
    pub kind: PartKind,
    /// The part's index.
    pub index: u32,
    /// Items (or comparison values) in it.
    pub count: u32,
    /// Hash of the part's bytes.
    pub hash: [u8; 32],
}

fn part_hash(bytes: &[u8]) -> [u8; 32] {
    let h = Sha512::new()
        .chain_update(PART_HASH_LABEL)
        .chain_update(bytes)
        .finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&h[..32]);
    out
}

impl PartInfo {
    /// Reads a part's index, count and hash.
    ///
    /// # Errors
    ///
    /// Decoding errors of the part.
    pub fn of(part: &[u8]) -> Result<PartInfo> {
        let m: PartMsg<'_> = wire::decode(part, MessageType::Part)?;
        Ok(PartInfo {
            session_id: m.session_id,
            kind: PartKind::from_code(m.kind)?,
            index: m.index,
            count: m.count,
            hash: part_hash(part),
        })
    }
}

/// A step's manifest, once accepted: what every part of it must be.
#[derive(Clone, PartialEq, Eq)]
struct Manifest {
    counts: Vec<u32>,
    hashes: Vec<[u8; 32]>,
    total: u64,
    compare_len: u8,
}

impl Manifest {
    fn parts(&self) -> u32 {
        self.counts.len() as u32
    }
}

#[derive(Serialize, Deserialize)]
struct ManifestRepr {
    kind: u8,
    counts: Vec<u32>,
    hashes: Vec<[u8; 32]>,
    total: u64,
    compare_len: u8,
}

/// The serialized secret; its key material is wiped on drop.
#[derive(Serialize, Deserialize)]
struct SecretRepr {
    version: u8,
    role: u8,
    half: [u8; 32],
    partition_key: [u8; 32],
    session_id: SessionId,
    reveal: u8,
    output: u8,
    max_peer_items: u64,
    min_peer_items: u64,
    profile: Profile,
    parts: u32,
    manifests: Vec<ManifestRepr>,
}

impl Drop for SecretRepr {
    fn drop(&mut self) {
        self.half.zeroize();
        self.partition_key.zeroize();
    }
}

/// A party's session secret: the session scalar, the session id, the
/// configuration, the partition key, and the manifests accepted so far.
/// Zeroized on drop; `Debug` shows no key material. Hand it to the party's
/// own workers only, as [`PartySecret::to_secret_bytes`].
pub struct PartySecret {
    role: Role,
    /// The session key `k`, kept as `k / 2` (see `psi::SessionKey`).
    half: Scalar,
    partition_key: Zeroizing<[u8; 32]>,
    session_id: SessionId,
    config: Config,
    parts: u32,
    manifests: HashMap<PartKind, Manifest>,
}

impl Drop for PartySecret {
    fn drop(&mut self) {
        self.half.zeroize();
    }
}

impl ZeroizeOnDrop for PartySecret {}

impl fmt::Debug for PartySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds: Vec<&str> = self.manifests.keys().map(|k| k.name()).collect();
        kinds.sort_unstable();
        f.debug_struct("PartySecret")
            .field("role", &self.role)
            .field("config", &self.config)
            .field("parts", &self.parts)
            .field("manifests", &kinds)
            .finish_non_exhaustive()
    }
}

impl PartySecret {
    /// The initiator's secret for a session split into `parts` parts, with
    /// randomness from the operating system.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 or more than [`MAX_PARTS`] parts or an
    /// inconsistent configuration; [`Error::Rng`].
    #[cfg(feature = "os-rng")]
    pub fn initiator(config: Config, parts: u32) -> Result<Self> {
        Self::new(
            Role::Initiator,
            config,
            parts,
            None,
            &mut crate::crypto::rng::os_seeded()?,
        )
    }

    /// The responder's secret, from the initiator's request manifest: its
    /// session id, mode, profile and set size are checked against this
    /// party's configuration and limits before any group operation.
    ///
    /// # Errors
    ///
    /// As [`PartySecret::initiator`]; decoding errors of the manifest,
    /// [`Error::ConfigMismatch`], [`Error::ProfileMismatch`],
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`].
    #[cfg(feature = "os-rng")]
    pub fn responder(config: Config, parts: u32, request_manifest: &[u8]) -> Result<Self> {
        Self::new(
            Role::Responder,
            config,
            parts,
            Some(request_manifest),
            &mut crate::crypto::rng::os_seeded()?,
        )
    }

    /// **Insecure, for tests only**: [`PartySecret::initiator`] or
    /// [`PartySecret::responder`] (with `request_manifest`) driven by the
    /// caller's RNG.
    ///
    /// # Errors
    ///
    /// As those.
    #[cfg(feature = "insecure-test-rng")]
    pub fn new_with_rng<R: CryptoRng + ?Sized>(
        config: Config,
        parts: u32,
        request_manifest: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<Self> {
        let role = match request_manifest {
            None => Role::Initiator,
            Some(_) => Role::Responder,
        };
        Self::new(role, config, parts, request_manifest, rng)
    }

    fn new<R: CryptoRng + ?Sized>(
        role: Role,
        config: Config,
        parts: u32,
        request_manifest: Option<&[u8]>,
        rng: &mut R,
    ) -> Result<Self> {
        config.validate()?;
        if parts == 0 || parts > MAX_PARTS {
            return Err(Error::InvalidConfig("parts must be 1 to 65536"));
        }
        // Partitioned steps carry no proofs (module docs).
        let config = config.with_proofs(psi::Proofs::TrustPeer);
        let mut k = group::random_nonzero_scalar(rng);
        let half = *group::halve(&k);
        k.zeroize();
        let mut partition_key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut partition_key[..]);
        let mut session_id = SessionId::default();
        rng.fill_bytes(&mut session_id);
        let mut secret = PartySecret {
            role,
            half,
            partition_key,
            session_id,
            config,
            parts,
            manifests: HashMap::new(),
        };
        if let Some(m) = request_manifest {
            let msg: ManifestMsg<'_> = wire::decode(m, MessageType::Manifest)?;
            if PartKind::from_code(msg.kind)? != PartKind::Request {
                return Err(Error::PartMismatch("not a request manifest"));
            }
            Suite::from_code(msg.suite)?;
            if Reveal::from_code(msg.reveal)? != secret.config.reveal {
                return Err(Error::ConfigMismatch("reveal mode differs"));
            }
            if Output::from_code(msg.output)? != secret.config.output {
                return Err(Error::ConfigMismatch("output differs"));
            }
            secret.config.profile.check_peer(msg.profile)?;
            secret.session_id = msg.session_id;
            secret.accept_msg(&msg, PartKind::Request)?;
        }
        Ok(secret)
    }

    /// Serializes the secret for the party's own workers. Store and send it
    /// like a private key.
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut manifests: Vec<ManifestRepr> = self
            .manifests
            .iter()
            .map(|(k, m)| ManifestRepr {
                kind: k.code(),
                counts: m.counts.clone(),
                hashes: m.hashes.clone(),
                total: m.total,
                compare_len: m.compare_len,
            })
            .collect();
        manifests.sort_by_key(|m| m.kind);
        let repr = SecretRepr {
            version: SECRET_VERSION,
            role: match self.role {
                Role::Initiator => 1,
                Role::Responder => 2,
            },
            half: self.half.to_bytes(),
            partition_key: *self.partition_key,
            session_id: self.session_id,
            reveal: self.config.reveal.code(),
            output: self.config.output.code(),
            max_peer_items: self.config.limits.max_peer_items as u64,
            min_peer_items: self.config.limits.min_peer_items as u64,
            profile: self.config.profile,
            parts: self.parts,
            manifests,
        };
        // Room for everything up front, so that no reallocation leaves a
        // copy of the key behind in freed memory.
        let room = 256
            + repr
                .manifests
                .iter()
                .map(|m| 16 + 40 * m.counts.len())
                .sum::<usize>();
        match postcard::to_extend(&repr, Vec::with_capacity(room)) {
            Ok(v) => Zeroizing::new(v),
            Err(_) => unreachable!("postcard encoding of a party secret failed"),
        }
    }

    /// Loads a secret written by [`PartySecret::to_secret_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for bytes that are not a party secret;
    /// [`Error::UnsupportedVersion`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let repr: SecretRepr = postcard::from_bytes(bytes).map_err(|_| Error::Malformed)?;
        if repr.version != SECRET_VERSION {
            return Err(Error::UnsupportedVersion {
                found: repr.version,
                supported: SECRET_VERSION,
            });
        }
        let role = match repr.role {
            1 => Role::Initiator,
            2 => Role::Responder,
            _ => return Err(Error::Malformed),
        };
        let half = Option::<Scalar>::from(Scalar::from_canonical_bytes(repr.half))
            .filter(|s| *s != Scalar::ZERO)
            .ok_or(Error::InvalidScalar)?;
        if repr.parts == 0 || repr.parts > MAX_PARTS {
            return Err(Error::Malformed);
        }
        let mut config = Config::new(
            Reveal::from_code(repr.reveal)?,
            Output::from_code(repr.output)?,
        )
        .with_profile(repr.profile)
        .with_proofs(psi::Proofs::TrustPeer);
        config.limits.max_peer_items = usize::try_from(repr.max_peer_items).unwrap_or(usize::MAX);
        config.limits.min_peer_items = usize::try_from(repr.min_peer_items).unwrap_or(usize::MAX);
        config.validate()?;
        let mut manifests = HashMap::new();
        for m in &repr.manifests {
            if m.counts.len() != m.hashes.len() || m.counts.is_empty() {
                return Err(Error::Malformed);
            }
            manifests.insert(
                PartKind::from_code(m.kind)?,
                Manifest {
                    counts: m.counts.clone(),
                    hashes: m.hashes.clone(),
                    total: m.total,
                    compare_len: m.compare_len,
                },
            );
        }
        Ok(PartySecret {
            role,
            half,
            partition_key: Zeroizing::new(repr.partition_key),
            session_id: repr.session_id,
            config,
            parts: repr.parts,
            manifests,
        })
    }

    /// Returns the session id.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// Returns this party's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Returns this party's number of parts.
    pub fn parts(&self) -> u32 {
        self.parts
    }

    /// Returns this party's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The keyed hash of an item: its part (uniform in `0..parts`) and its
    /// position key within the part.
    fn place(&self, item: &[u8]) -> (u32, [u8; 16]) {
        let h = Sha512::new()
            .chain_update(PARTITION_LABEL)
            .chain_update(&self.partition_key[..])
            .chain_update(item)
            .finalize();
        let mut first = [0u8; 4];
        first.copy_from_slice(&h[..4]);
        let part = ((u64::from(u32::from_le_bytes(first)) * u64::from(self.parts)) >> 32) as u32;
        let mut order = [0u8; 16];
        order.copy_from_slice(&h[4..20]);
        (part, order)
    }

    /// Returns the part an item belongs to: a hash keyed with this party's
    /// partition key, so equal items always meet in one part and the
    /// split tells nobody else anything.
    pub fn part_of(&self, item: &[u8]) -> u32 {
        self.place(item).0
    }

    fn manifest_of(&self, kind: PartKind) -> Result<&Manifest> {
        self.manifests.get(&kind).ok_or(Error::InvalidConfig(
            "that step's manifest has not been built or accepted yet",
        ))
    }

    /// The comparison length, once both set sizes are known.
    fn compare_len(&self) -> Result<usize> {
        let i = self.manifest_of(PartKind::Request)?.total as usize;
        let r = self.manifest_of(PartKind::Elements)?.total as usize;
        Ok(compare_len(i, r))
    }

    /// How many buckets mixed parts have: the initiator's part count (also
    /// the number of aligned reblinded parts).
    fn mixed_parts(&self) -> Result<u32> {
        Ok(self.manifest_of(PartKind::Request)?.parts())
    }

    /// How many parts the step of `kind` has in this session: from its
    /// manifest once built or accepted, else (for this party's own steps)
    /// from the manifests it depends on. An engine sizes its per-part tasks
    /// with it, e.g. the responder's reblinding tasks from the request's.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a peer's step whose manifest has not
    /// been accepted, or an own step before the manifests it needs.
    pub fn part_count(&self, kind: PartKind) -> Result<u32> {
        if let Some(m) = self.manifests.get(&kind) {
            return Ok(m.parts());
        }
        if kind.producer() != self.role {
            return Err(Error::InvalidConfig(
                "the peer's manifest of that step has not been accepted yet",
            ));
        }
        self.expected_parts(kind)
    }

    /// Builds the manifest of one of this party's own steps from every
    /// part's [`PartInfo`], in index order, and keeps it, so that later
    /// steps check parts against it. Send it with the parts.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a kind this party does not produce, or
    /// a step before the one it needs; [`Error::MissingPart`] /
    /// [`Error::DuplicatePart`] for an incomplete list;
    /// [`Error::TooManyItems`] for a set larger than the wire carries.
    pub fn manifest(&mut self, kind: PartKind, parts: &[PartInfo]) -> Result<Vec<u8>> {
        if kind.producer() != self.role {
            return Err(Error::InvalidConfig("the peer produces parts of that kind"));
        }
        let expected = self.expected_parts(kind)?;
        let mut counts = vec![0u32; expected as usize];
        let mut hashes = vec![[0u8; 32]; expected as usize];
        let mut seen = vec![false; expected as usize];
        for p in parts {
            if p.session_id != self.session_id {
                return Err(Error::SessionMismatch);
            }
            if p.kind != kind {
                return Err(Error::PartMismatch("a part of another kind"));
            }
            let at = p.index as usize;
            if p.index >= expected {
                return Err(Error::PartMismatch("a part index beyond the part count"));
            }
            if seen[at] {
                return Err(Error::DuplicatePart { index: p.index });
            }
            seen[at] = true;
            counts[at] = p.count;
            hashes[at] = p.hash;
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(Error::MissingPart {
                index: missing as u32,
            });
        }
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if total > psi::MAX_ITEMS as u64 {
            return Err(Error::TooManyItems {
                count: total as usize,
                max: psi::MAX_ITEMS,
            });
        }
        let compare_len = if kind.elements() {
            0
        } else {
            self.compare_len()? as u8
        };
        let manifest = Manifest {
            counts,
            hashes,
            total,
            compare_len,
        };
        let bytes = self.encode_manifest(kind, &manifest);
        self.manifests.insert(kind, manifest);
        Ok(bytes)
    }

    /// Parts a step of `kind` has.
    fn expected_parts(&self, kind: PartKind) -> Result<u32> {
        Ok(match kind {
            // Only ever asked of the producer: one part per part of its items.
            PartKind::Request | PartKind::Elements => self.parts,
            // One per request part, aligned or (cardinality) mixed.
            PartKind::Reblinded => self.mixed_parts()?,
            PartKind::Finish if self.config.reveal == Reveal::Cardinality => self.mixed_parts()?,
            PartKind::Finish => self.manifest_of(PartKind::Elements)?.parts(),
        })
    }

    fn encode_manifest(&self, kind: PartKind, m: &Manifest) -> Vec<u8> {
        let counts: Vec<u8> = m.counts.iter().flat_map(|c| c.to_le_bytes()).collect();
        let hashes: Vec<u8> = m.hashes.concat();
        wire::encode(
            MessageType::Manifest,
            &ManifestMsg {
                session_id: self.session_id,
                kind: kind.code(),
                suite: Suite::Ristretto255Sha512.code(),
                reveal: self.config.reveal.code(),
                output: self.config.output.code(),
                profile: self.config.profile,
                parts: m.parts(),
                total: m.total,
                compare_len: m.compare_len,
                counts: &counts,
                hashes: &hashes,
            },
        )
    }

    /// Accepts a manifest of the peer's (the initiator: elements, then
    /// reblinded; the responder: finish), checking its session, mode,
    /// sizes against this party's limits (before any group operation) and
    /// comparison length; later steps check every part against it.
    ///
    /// # Errors
    ///
    /// Decoding errors; [`Error::SessionMismatch`], [`Error::ConfigMismatch`],
    /// [`Error::PeerSetTooLarge`] / [`Error::PeerSetTooSmall`],
    /// [`Error::UnexpectedFinish`] for a finish manifest when the output is
    /// the initiator's only, [`Error::InvalidConfig`] for a kind out of
    /// order, [`Error::Replay`] for a manifest of a step whose manifest was
    /// accepted already, unless it is byte for byte the same (an engine's
    /// retry: then nothing changes).
    pub fn accept(&mut self, manifest: &[u8]) -> Result<()> {
        let msg: ManifestMsg<'_> = wire::decode(manifest, MessageType::Manifest)?;
        if msg.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        if Reveal::from_code(msg.reveal)? != self.config.reveal
            || Output::from_code(msg.output)? != self.config.output
        {
            return Err(Error::ConfigMismatch("the manifest's mode differs"));
        }
        let kind = PartKind::from_code(msg.kind)?;
        if kind.producer() == self.role {
            return Err(Error::PartMismatch("a manifest of this party's own kind"));
        }
        if kind == PartKind::Finish && self.config.output == Output::Initiator {
            return Err(Error::UnexpectedFinish(
                "given, but the session's output is for the initiator only",
            ));
        }
        // Once only: a step that consumed the peer's manifest never runs
        // on another one (a responder would learn the initiator's matches
        // against as many lists as it sent). The same bytes again are an
        // engine's retry, and change nothing.
        if let Some(accepted) = self.manifests.get(&kind) {
            return if self.encode_manifest(kind, accepted) == manifest {
                Ok(())
            } else {
                Err(Error::Replay(
                    "another manifest of this step was accepted already",
                ))
            };
        }
        self.accept_msg(&msg, kind)
    }

    fn accept_msg(&mut self, msg: &ManifestMsg<'_>, kind: PartKind) -> Result<()> {
        let parts = msg.parts;
        if parts == 0 || parts > MAX_PARTS {
            return Err(Error::PartMismatch("a part count of 0 or above 65536"));
        }
        wire::check_len(msg.counts, parts as usize, 4)?;
        wire::check_len(msg.hashes, parts as usize, 32)?;
        let counts: Vec<u32> = msg
            .counts
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if total != msg.total {
            return Err(Error::CountMismatch {
                declared: msg.total as usize,
                actual: total as usize,
            });
        }
        let hashes: Vec<[u8; 32]> = msg
            .hashes
            .chunks_exact(32)
            .map(|h| {
                let mut a = [0u8; 32];
                a.copy_from_slice(h);
                a
            })
            .collect();
        match kind {
            PartKind::Request | PartKind::Elements => {
                self.config.limits.check_peer(total as usize)?;
                if msg.compare_len != 0 {
                    return Err(Error::Malformed);
                }
            }
            PartKind::Reblinded | PartKind::Finish => {
                // Order: the peer's elements first (the initiator), or our
                // own reblinded values first (the responder).
                let expected = self.expected_parts(kind)?;
                if parts != expected {
                    return Err(Error::PartMismatch("part count differs from the session's"));
                }
                if usize::from(msg.compare_len) != self.compare_len()? {
                    return Err(Error::ConfigMismatch(
                        "comparison length differs from the one the set sizes imply",
                    ));
                }
                let own_total = self.manifest_of(match kind {
                    PartKind::Reblinded => PartKind::Request,
                    _ => PartKind::Elements,
                })?;
                if total != own_total.total {
                    return Err(Error::CountMismatch {
                        declared: own_total.total as usize,
                        actual: total as usize,
                    });
                }
            }
        }
        self.manifests.insert(
            kind,
            Manifest {
                counts,
                hashes,
                total,
                compare_len: msg.compare_len,
            },
        );
        Ok(())
    }

    /// Decodes part `index` of `kind` and checks it against the manifest
    /// this secret holds for that step (built or accepted).
    fn open<'a>(&self, kind: PartKind, index: u32, bytes: &'a [u8]) -> Result<PartMsg<'a>> {
        let m: PartMsg<'a> = wire::decode(bytes, MessageType::Part)?;
        if m.session_id != self.session_id {
            return Err(Error::SessionMismatch);
        }
        if m.kind != kind.code() {
            return Err(Error::PartMismatch("a part of another kind"));
        }
        let manifest = self.manifest_of(kind)?;
        if m.parts != manifest.parts() || index >= manifest.parts() {
            return Err(Error::PartMismatch("a part of another split"));
        }
        if m.index != index {
            return Err(Error::PartMismatch("a part out of its place"));
        }
        if manifest.hashes[index as usize] != part_hash(bytes) {
            return Err(Error::PartMismatch("a part the manifest does not list"));
        }
        if m.count != manifest.counts[index as usize] {
            return Err(Error::CountMismatch {
                declared: manifest.counts[index as usize] as usize,
                actual: m.count as usize,
            });
        }
        // Parts of group elements carry no comparison length.
        let (len, size) = if kind.elements() {
            (0, ELEMENT_LEN)
        } else {
            (manifest.compare_len, usize::from(manifest.compare_len))
        };
        if m.compare_len != len {
            return Err(Error::Malformed);
        }
        wire::check_len(m.payload, m.count as usize, size)?;
        Ok(m)
    }

    fn part_message(
        &self,
        kind: PartKind,
        index: u32,
        parts: u32,
        count: usize,
        len: usize,
        payload: &[u8],
    ) -> Vec<u8> {
        wire::encode(
            MessageType::Part,
            &PartMsg {
                session_id: self.session_id,
                kind: kind.code(),
                index,
                parts,
                count: count as u32,
                compare_len: len as u8,
                payload,
            },
        )
    }

    /// The distinct items of part `index` in their keyed order.
    fn ordered<T: AsRef<[u8]>>(&self, index: u32, items: &[T]) -> Result<(Distinct, Vec<u32>)> {
        if index >= self.parts {
            return Err(Error::PartMismatch("a part index beyond the part count"));
        }
        let own = Distinct::new(items, MAX_PART_ITEMS)?;
        let mut keyed = Vec::with_capacity(own.len());
        for j in 0..own.len() {
            let (part, order) = self.place(own.get(j));
            if part != index {
                return Err(Error::PartMismatch("an item that belongs to another part"));
            }
            keyed.push((order, j as u32));
        }
        // Ties would need equal 128-bit keyed hashes of different items.
        keyed.sort_unstable();
        Ok((own, keyed.into_iter().map(|(_, j)| j).collect()))
    }

    fn blind_part<T: AsRef<[u8]>>(
        &self,
        kind: PartKind,
        index: u32,
        items: &[T],
    ) -> Result<Vec<u8>> {
        let (own, order) = self.ordered(index, items)?;
        let key = psi::SessionKey::from_half(self.half);
        let elements = psi::blind(&own, &order, &psi::SessionDst::new(&self.session_id), &key)?;
        Ok(self.part_message(kind, index, self.parts, order.len(), 0, &elements))
    }

    fn reblind(&self, from: PartKind, to: PartKind, index: u32, part: &[u8]) -> Result<Vec<u8>> {
        let m = self.open(from, index, part)?;
        let len = self.compare_len()?;
        let key = psi::SessionKey::from_half(self.half);
        let values = psi::reblind_compare(m.payload, &key, &self.session_id, len)?;
        Ok(self.part_message(
            to,
            index,
            m.parts,
            values.len(),
            len,
            &write_compare(&values, len),
        ))
    }
}

/// Initiator: blinds the items of part `index` (de-duplicated, in a keyed
/// order) into request part `index`.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a responder's secret;
/// [`Error::PartMismatch`] for an item that belongs to another part (the
/// engine split the items with another key); [`Error::InputTooLong`].
pub fn request_part<T: AsRef<[u8]>>(
    secret: &PartySecret,
    index: u32,
    items: &[T],
) -> Result<Vec<u8>> {
    if secret.role != Role::Initiator {
        return Err(Error::InvalidConfig("request parts are the initiator's"));
    }
    secret.blind_part(PartKind::Request, index, items)
}

/// Responder: blinds the items of its part `index` into elements part `index`.
///
/// # Errors
///
/// As [`request_part`], for a responder's secret.
pub fn elements_part<T: AsRef<[u8]>>(
    secret: &PartySecret,
    index: u32,
    items: &[T],
) -> Result<Vec<u8>> {
    if secret.role != Role::Responder {
        return Err(Error::InvalidConfig("elements parts are the responder's"));
    }
    secret.blind_part(PartKind::Elements, index, items)
}

/// Responder: raises the initiator's request part `index` to its key and
/// hashes each into a comparison value, in the request's order. In
/// cardinality mode these aligned values must not leave the responder:
/// send the [`mix_part`]s built from them.
///
/// # Errors
///
/// [`Error::PartMismatch`], [`Error::SessionMismatch`] or
/// [`Error::CountMismatch`] for a part the request manifest does not list
/// at that index; [`Error::InvalidElement`] / [`Error::IdentityElement`];
/// [`Error::InvalidConfig`] before the responder's elements manifest.
pub fn reblind_part(secret: &PartySecret, index: u32, request_part: &[u8]) -> Result<Vec<u8>> {
    if secret.role != Role::Responder {
        return Err(Error::InvalidConfig("reblinding is the responder's step"));
    }
    secret.reblind(PartKind::Request, PartKind::Reblinded, index, request_part)
}

/// Initiator: raises the responder's elements part `index` to its key and
/// hashes each into a comparison value, in the part's order: the values
/// the initiator compares against, and (output both) sends as the finish.
/// In cardinality mode, send the [`mix_part`]s built from them.
///
/// # Errors
///
/// As [`reblind_part`], against the accepted elements manifest.
pub fn finish_part(secret: &PartySecret, index: u32, elements_part: &[u8]) -> Result<Vec<u8>> {
    if secret.role != Role::Initiator {
        return Err(Error::InvalidConfig("finishing is the initiator's step"));
    }
    secret.reblind(PartKind::Elements, PartKind::Finish, index, elements_part)
}

/// The bucket (`0..buckets`) of a comparison value: what [`mix_part`] and
/// [`join`] group values by. An engine that joins with its own shuffle can
/// use it to co-partition both sides.
pub fn bucket_of(value: u128, buckets: u32) -> u32 {
    ((u64::from(value as u32) * u64::from(buckets)) >> 32) as u32
}

/// Cardinality mode: builds mixed part `bucket` of `kind` (reblinded for
/// the responder, finish for the initiator) from *all* of this party's
/// aligned parts of that kind: the values whose bucket is `bucket`, sorted.
/// What the peer receives then says nothing about which of its parts or
/// positions each value came from. `aligned` holds every aligned part, in
/// index order.
///
/// # Errors
///
/// [`Error::InvalidConfig`] in intersection mode or for the peer's kind;
/// [`Error::MissingPart`] / part errors for an incomplete or foreign list.
pub fn mix_part(
    secret: &PartySecret,
    kind: PartKind,
    bucket: u32,
    aligned: &[&[u8]],
) -> Result<Vec<u8>> {
    if secret.config.reveal != Reveal::Cardinality {
        return Err(Error::InvalidConfig(
            "only cardinality mode mixes its values",
        ));
    }
    if kind.producer() != secret.role || kind.elements() {
        return Err(Error::InvalidConfig(
            "mix this party's reblinded or finish values",
        ));
    }
    let buckets = secret.mixed_parts()?;
    if bucket >= buckets {
        return Err(Error::PartMismatch("a bucket beyond the part count"));
    }
    let source = match kind {
        PartKind::Reblinded => PartKind::Request,
        _ => PartKind::Elements,
    };
    let sources = secret.manifest_of(source)?.parts();
    if aligned.len() != sources as usize {
        return Err(Error::MissingPart {
            index: aligned.len().min(sources as usize) as u32,
        });
    }
    let len = secret.compare_len()?;
    let mut values = Vec::new();
    for (i, part) in aligned.iter().enumerate() {
        let m: PartMsg<'_> = wire::decode(part, MessageType::Part)?;
        if m.session_id != secret.session_id || m.kind != kind.code() || m.index != i as u32 {
            return Err(Error::PartMismatch("an aligned part out of its place"));
        }
        if usize::from(m.compare_len) != len {
            return Err(Error::Malformed);
        }
        wire::check_len(m.payload, m.count as usize, len)?;
        values.extend(
            m.payload
                .chunks_exact(len)
                .map(read_compare)
                .filter(|&v| bucket_of(v, buckets) == bucket),
        );
    }
    values.sort_unstable();
    Ok(secret.part_message(
        kind,
        bucket,
        buckets,
        values.len(),
        len,
        &write_compare(&values, len),
    ))
}

/// The comparison values of part `index` of `kind` (reblinded or finish),
/// in the part's order, after checking the part against its manifest: the
/// column an engine joins on. Equal values mean equal items (up to the
/// session's 2^-40 false-match rate).
///
/// # Errors
///
/// Part errors; [`Error::InvalidConfig`] for a kind of group elements or
/// before its manifest.
pub fn part_values(
    secret: &PartySecret,
    kind: PartKind,
    index: u32,
    part: &[u8],
) -> Result<Vec<u128>> {
    if kind.elements() {
        return Err(Error::InvalidConfig(
            "parts of group elements hold no comparison values",
        ));
    }
    let m = secret.open(kind, index, part)?;
    let len = usize::from(m.compare_len);
    Ok(m.payload.chunks_exact(len).map(read_compare).collect())
}

/// Which of this party's values to probe, and which to build the lookup
/// from: the initiator probes the reblinded parts (its items) against the
/// finish parts; the responder probes the finish parts (its items) against
/// the reblinded parts.
fn sides(secret: &PartySecret) -> (PartKind, PartKind) {
    match secret.role {
        Role::Initiator => (PartKind::Reblinded, PartKind::Finish),
        Role::Responder => (PartKind::Finish, PartKind::Reblinded),
    }
}

/// Intersection mode, reference join for one machine: for every value of
/// this party's own items (the initiator: the reblinded parts; the
/// responder: the finish parts), whether the other side's values hold it.
/// `part(kind, index)` loads a part's bytes (from memory, a file or object
/// storage) and is called once per part per group: the lookup is built and
/// probed in `groups` passes, each over the values whose bucket falls in
/// that group, so memory stays at about one group's share of the values.
/// Returns one flag vector per part of this party's own items, for
/// [`matches_part`].
///
/// # Errors
///
/// Part errors (checked against the manifests), [`Error::InvalidConfig`]
/// in cardinality mode (use [`count_part`]) or before the manifests, and
/// any error `part` returns.
pub fn join<F>(secret: &PartySecret, groups: u32, mut part: F) -> Result<Vec<Vec<bool>>>
where
    F: FnMut(PartKind, u32) -> Result<Vec<u8>>,
{
    if secret.config.reveal != Reveal::Intersection {
        return Err(Error::InvalidConfig(
            "cardinality mode counts per bucket: count_part",
        ));
    }
    let (probe, build) = sides(secret);
    let probe_parts = secret.manifest_of(probe)?.parts();
    let build_parts = secret.manifest_of(build)?.parts();
    let groups = groups.max(1);
    let mut flags: Vec<Vec<bool>> = secret
        .manifest_of(probe)?
        .counts
        .iter()
        .map(|&c| vec![false; c as usize])
        .collect();
    for g in 0..groups {
        let mut set = CompareSet::default();
        for j in 0..build_parts {
            let values = part_values(secret, build, j, &part(build, j)?)?;
            set.extend(values.into_iter().filter(|&v| bucket_of(v, groups) == g));
        }
        for i in 0..probe_parts {
            let values = part_values(secret, probe, i, &part(probe, i)?)?;
            for (p, v) in values.into_iter().enumerate() {
                if bucket_of(v, groups) == g && set.contains(&v) {
                    flags[i as usize][p] = true;
                }
            }
        }
    }
    Ok(flags)
}

/// Cardinality mode: the number of matches in bucket `bucket`, from the
/// mixed reblinded and finish parts of that bucket (the peer's and this
/// party's own). The session's cardinality is the sum over all buckets.
///
/// # Errors
///
/// Part errors; [`Error::InvalidConfig`] in intersection mode.
pub fn count_part(
    secret: &PartySecret,
    bucket: u32,
    reblinded: &[u8],
    finish: &[u8],
) -> Result<u64> {
    if secret.config.reveal != Reveal::Cardinality {
        return Err(Error::InvalidConfig("intersection mode joins: join"));
    }
    let a = part_values(secret, PartKind::Reblinded, bucket, reblinded)?;
    let b: CompareSet = part_values(secret, PartKind::Finish, bucket, finish)?
        .into_iter()
        .collect();
    Ok(a.iter().filter(|v| b.contains(v)).count() as u64)
}

/// Intersection mode: maps the flags of this party's part `index` (from
/// [`join`]) back to `items`, the same items the part was built from, in
/// any order: returns the sorted positions in `items` whose value is
/// shared (every position of a repeated value).
///
/// # Errors
///
/// [`Error::PartMismatch`] for items that are not the part's;
/// [`Error::CountMismatch`] for flags of another length.
pub fn matches_part<T: AsRef<[u8]>>(
    secret: &PartySecret,
    index: u32,
    items: &[T],
    flags: &[bool],
) -> Result<Vec<usize>> {
    let (own, order) = secret.ordered(index, items)?;
    if flags.len() != order.len() {
        return Err(Error::CountMismatch {
            declared: order.len(),
            actual: flags.len(),
        });
    }
    let own_kind = match secret.role {
        Role::Initiator => PartKind::Request,
        Role::Responder => PartKind::Elements,
    };
    if secret.manifest_of(own_kind)?.counts.get(index as usize) != Some(&(order.len() as u32)) {
        return Err(Error::PartMismatch("items that are not the part's"));
    }
    let mut matched = vec![false; own.len()];
    for (pos, &f) in flags.iter().enumerate() {
        if f {
            matched[order[pos] as usize] = true;
        }
    }
    Ok(own.indices_where(&matched))
}

/// The kind of a part or a manifest, read from its header (to route a file
/// or a bundle's contents before any check).
///
/// # Errors
///
/// Decoding errors; [`Error::WrongMessageType`] for another message.
pub fn kind_of(message: &[u8]) -> Result<PartKind> {
    match wire::message_type(message)? {
        MessageType::Part => {
            PartKind::from_code(wire::decode::<PartMsg<'_>>(message, MessageType::Part)?.kind)
        }
        MessageType::Manifest => PartKind::from_code(
            wire::decode::<ManifestMsg<'_>>(message, MessageType::Manifest)?.kind,
        ),
        other => Err(Error::WrongMessageType {
            expected: MessageType::Manifest.code(),
            found: other.code(),
        }),
    }
}

/// Most messages in one bundle: two steps of at most [`MAX_PARTS`] parts
/// and their manifests.
pub const MAX_BUNDLE_MESSAGES: usize = 2 * (MAX_PARTS as usize + 1);

#[derive(Serialize, Deserialize)]
pub(crate) struct BundleMsg<'a> {
    #[serde(borrow)]
    messages: Vec<&'a [u8]>,
}

/// Packs manifests and parts, in order, into one message (for a channel
/// that carries one file per step; engines exchange a directory of part
/// files instead). Each must be a part or a manifest.
///
/// # Errors
///
/// [`Error::WrongMessageType`] for another message; [`Error::InvalidConfig`]
/// for more than [`MAX_BUNDLE_MESSAGES`].
pub fn bundle(messages: &[&[u8]]) -> Result<Vec<u8>> {
    if messages.len() > MAX_BUNDLE_MESSAGES {
        return Err(Error::InvalidConfig("too many messages for one bundle"));
    }
    for m in messages {
        check_bundled(m)?;
    }
    Ok(wire::encode(
        MessageType::Bundle,
        &BundleMsg {
            messages: messages.to_vec(),
        },
    ))
}

fn check_bundled(m: &[u8]) -> Result<()> {
    match wire::message_type(m)? {
        MessageType::Part | MessageType::Manifest => Ok(()),
        other => Err(Error::WrongMessageType {
            expected: MessageType::Part.code(),
            found: other.code(),
        }),
    }
}

/// Unpacks a [`bundle`]: its manifests and parts, in order, each still to
/// be checked by the steps that use it.
///
/// # Errors
///
/// Decoding errors; [`Error::PeerSetTooLarge`] for more than
/// [`MAX_BUNDLE_MESSAGES`]; [`Error::WrongMessageType`] for a message that
/// is neither a part nor a manifest.
pub fn unbundle(bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let msg: BundleMsg<'_> = wire::decode(bytes, MessageType::Bundle)?;
    if msg.messages.len() > MAX_BUNDLE_MESSAGES {
        return Err(Error::PeerSetTooLarge {
            count: msg.messages.len(),
            max: MAX_BUNDLE_MESSAGES,
        });
    }
    for m in &msg.messages {
        check_bundled(m)?;
    }
    Ok(msg.messages)
}
