//! Waiting states that outlive the process (DESIGN §7.4).
//!
//! A legal channel may take days to carry the peer's reply back. The state
//! a party waits in (a balanced initiator waiting for the response, a
//! responder waiting for the finish message, an unbalanced client waiting
//! for the answer, a partitioned session's coordinator between two steps)
//! can be saved as bytes, kept on disk or downloaded from a
//! browser, and restored to finish the session later. The `blindmatch`
//! command, the Python package and the browser tool all write this format
//! (the browser tool's sessions are partitioned ones, which only it
//! finishes).
//!
//! ```
//! use blindmatch::psi::{Config, Initiator, Responder};
//! use blindmatch::state::{SavedSession, Waiting};
//!
//! let (initiator, request) = Initiator::new(Config::default(), &["a", "b"])?;
//! let saved = SavedSession::new(Waiting::Initiator(initiator), None).to_bytes();
//! // ... days later, in another process:
//! let (responder, response) = Responder::new(Config::default(), &["b", "c"])?.respond(&request)?;
//! let Waiting::Initiator(initiator) = SavedSession::from_bytes(&saved)?.waiting else {
//!     unreachable!()
//! };
//! let (finish, mine) = initiator.finish(&response)?;
//! assert_eq!(mine.indices(), &[1]);
//! # let _ = (responder, finish);
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! # What a saved state holds
//!
//! Secrets: the session key (balanced), the blinds and the party's own
//! items (unbalanced client, whose finish step hashes them again), the
//! party secret and its items (partitioned coordinator). Treat
//! the bytes as the secret they are: [`seal`] them under a passphrase, or
//! keep them where only the party can read them (the command writes them
//! 0600 and refuses them when others can read them). The bytes are
//! returned in a [`Zeroizing`] buffer and every secret in a restored state
//! is wiped when the state is dropped; `Debug` shows no content.
//!
//! A restored state is validated as a peer's message is: format version,
//! canonical non-zero scalars, counts and permutations that agree, a
//! record index that points inside itself. A damaged or edited state is
//! [`Error::BadState`], never a panic or a silently wrong result. A state
//! is no authorization: it can be finished once per copy, and a copy
//! finished twice yields the same result twice (the protocol's messages,
//! not the state, bind the session).
//!
//! # Sealing
//!
//! [`seal`] encrypts a state (or any secret file) under a key derived from
//! a passphrase with Argon2id (RFC 9106; 64 MiB, 3 passes, a fresh 16-byte
//! salt) and XChaCha20-Poly1305 with a fresh 24-byte nonce; the header
//! (format, parameters, salt, nonce) is authenticated with it. [`unseal`]
//! refuses parameters outside sane bounds before it allocates anything, and
//! says [`Error::WrongPassphrase`] for a wrong passphrase and for any
//! changed byte alike.

use core::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};
use crate::partition::{self, PartInfo, PartySecret};
use crate::psi::{self, Limits, Output, Reveal};
use crate::records::RecordIndex;
use crate::unbalanced;
use crate::wire::Profile;

/// First bytes of a saved state.
pub const STATE_MAGIC: &[u8; 4] = b"BMST";
/// First bytes of a sealed file.
pub const SEALED_MAGIC: &[u8; 4] = b"BMSE";
/// The saved-state format this build writes and reads.
pub const STATE_VERSION: u8 = 1;
/// The sealed-file format this build writes and reads.
const SEALED_VERSION: u8 = 1;

/// Argon2id memory cost of [`seal`], in KiB (64 MiB).
#[cfg(feature = "os-rng")]
const SEAL_M_KIB: u32 = 64 * 1024;
/// Argon2id passes of [`seal`].
#[cfg(feature = "os-rng")]
const SEAL_T: u32 = 3;
/// Bounds [`unseal`] accepts for a file's parameters (a crafted file must
/// not make it allocate gigabytes or spin for hours).
const MIN_M_KIB: u32 = 8 * 1024;
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 16;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
/// magic, version, m (u32), t (u32), p (u8), salt, nonce.
const SEALED_HEADER_LEN: usize = 4 + 1 + 4 + 4 + 1 + SALT_LEN + NONCE_LEN;

/// A 32-byte secret (scalar or seed) inside a saved state, wiped on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Secret32(pub(crate) [u8; 32]);

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

impl From<&psi::Config> for SavedConfig {
    fn from(c: &psi::Config) -> Self {
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

impl TryFrom<SavedConfig> for psi::Config {
    type Error = Error;

    fn try_from(s: SavedConfig) -> Result<Self> {
        let bad = |_| Error::BadState("configuration out of range");
        let limits = Limits {
            max_peer_items: usize::try_from(s.max_peer_items).map_err(bad)?,
            min_peer_items: usize::try_from(s.min_peer_items).map_err(bad)?,
        };
        let config = psi::Config {
            reveal: Reveal::from_code(s.reveal)
                .map_err(|_| Error::BadState("unknown reveal mode"))?,
            output: Output::from_code(s.output).map_err(|_| Error::BadState("unknown output"))?,
            limits,
            profile: s.profile,
            proofs: psi::Proofs::from_code(s.proofs)
                .map_err(|_| Error::BadState("unknown proofs setting"))?,
        };
        config
            .validate()
            .map_err(|_| Error::BadState("inconsistent limits"))?;
        Ok(config)
    }
}

/// Checks that `order` is a permutation of `0..n`.
pub(crate) fn check_permutation(order: &[u32], n: usize) -> Result<()> {
    if order.len() != n {
        return Err(Error::BadState("order has the wrong length"));
    }
    let mut seen = vec![false; n];
    for &i in order {
        match seen.get_mut(i as usize) {
            Some(s) if !*s => *s = true,
            _ => return Err(Error::BadState("order is not a permutation")),
        }
    }
    Ok(())
}

/// A party's state between two steps of a session.
#[derive(Debug)]
#[non_exhaustive]
pub enum Waiting {
    /// A balanced PSI initiator waiting for the response.
    Initiator(psi::Initiator),
    /// A balanced PSI responder waiting for the finish message.
    Responder(psi::ResponderAwaitingFinish),
    /// An unbalanced PSI client waiting for the server's answer.
    Client(unbalanced::Client),
    /// The coordinator of a partitioned session ([`crate::partition`])
    /// between two steps.
    Partitioned(PartitionedParty),
}

/// A partitioned session's coordinator between two steps: what it needs
/// to take the next one after a restart.
#[non_exhaustive]
pub struct PartitionedParty {
    /// The party's secret, with the manifests it accepted and wrote.
    pub secret: PartySecret,
    /// The party's own items, in the order its results refer to (its last
    /// step maps matched positions back through them). Identifiers: they
    /// are wiped when this is dropped.
    pub items: Vec<Vec<u8>>,
    /// Parts the party keeps for its last step and sends nowhere (a
    /// responder's reblinded parts when only it joins them).
    pub kept: Vec<Vec<u8>>,
}

impl PartitionedParty {
    /// A coordinator's state.
    pub fn new(secret: PartySecret, items: Vec<Vec<u8>>, kept: Vec<Vec<u8>>) -> Self {
        PartitionedParty {
            secret,
            items,
            kept,
        }
    }
}

impl Drop for PartitionedParty {
    fn drop(&mut self) {
        self.items.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl fmt::Debug for PartitionedParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartitionedParty")
            .field("secret", &self.secret)
            .field("items", &self.items.len())
            .field("kept", &self.kept.len())
            .finish()
    }
}

/// A [`PartitionedParty`] in a saved state.
#[derive(Serialize, Deserialize)]
struct SavedPartitioned {
    #[serde(with = "serde_bytes")]
    secret: Vec<u8>,
    items: Vec<serde_bytes::ByteBuf>,
    kept: Vec<serde_bytes::ByteBuf>,
}

impl Drop for SavedPartitioned {
    fn drop(&mut self) {
        self.secret.zeroize();
        self.items
            .iter_mut()
            .for_each(|i| i.as_mut_slice().zeroize());
    }
}

impl SavedPartitioned {
    fn of(p: &PartitionedParty) -> Self {
        SavedPartitioned {
            secret: p.secret.to_secret_bytes().to_vec(),
            items: p
                .items
                .iter()
                .map(|i| serde_bytes::ByteBuf::from(i.clone()))
                .collect(),
            kept: p
                .kept
                .iter()
                .map(|k| serde_bytes::ByteBuf::from(k.clone()))
                .collect(),
        }
    }

    fn restore(mut self) -> Result<PartitionedParty> {
        let secret = PartySecret::from_secret_bytes(&self.secret)
            .map_err(|_| Error::BadState("the party secret does not load"))?;
        if self.items.len() > u32::MAX as usize {
            return Err(Error::BadState("too many items"));
        }
        if self.kept.len() > partition::MAX_PARTS as usize {
            return Err(Error::BadState("more kept parts than a session has"));
        }
        for part in &self.kept {
            let info =
                PartInfo::of(part).map_err(|_| Error::BadState("a kept part does not decode"))?;
            if info.session_id != secret.session_id() {
                return Err(Error::BadState("a kept part belongs to another session"));
            }
        }
        let items = core::mem::take(&mut self.items)
            .into_iter()
            .map(serde_bytes::ByteBuf::into_vec)
            .collect();
        let kept = core::mem::take(&mut self.kept)
            .into_iter()
            .map(serde_bytes::ByteBuf::into_vec)
            .collect();
        Ok(PartitionedParty {
            secret,
            items,
            kept,
        })
    }
}

impl Waiting {
    /// A short name of the state: `"psi-initiator"`, `"psi-responder"` or
    /// `"watchlist-client"`.
    pub fn name(&self) -> &'static str {
        match self {
            Waiting::Initiator(_) => "psi-initiator",
            Waiting::Responder(_) => "psi-responder",
            Waiting::Client(_) => "watchlist-client",
            Waiting::Partitioned(p) => match p.secret.role() {
                partition::Role::Initiator => "partitioned-initiator",
                partition::Role::Responder => "partitioned-responder",
            },
        }
    }

    /// Number of items the party gave (duplicates included): what the
    /// indices of its result refer to.
    pub fn items(&self) -> usize {
        match self {
            Waiting::Initiator(s) => s.items_given(),
            Waiting::Responder(s) => s.items_given(),
            Waiting::Client(s) => s.items_given(),
            Waiting::Partitioned(p) => p.items.len(),
        }
    }
}

#[derive(Serialize, Deserialize)]
enum Body {
    Initiator(psi::SavedInitiator),
    Responder(psi::SavedResponder),
    Client(unbalanced::SavedClient),
    Partitioned(SavedPartitioned),
}

#[derive(Deserialize)]
struct Envelope {
    body: Body,
    records: Option<RecordIndex>,
}

/// [`Envelope`] as written: the same bytes, from borrowed parts.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    body: Body,
    records: Option<&'a RecordIndex>,
}

/// A waiting state borrowed, to save one that stays in use (a binding's
/// object that may still take its next step after saving).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum WaitingRef<'a> {
    /// As [`Waiting::Initiator`].
    Initiator(&'a psi::Initiator),
    /// As [`Waiting::Responder`].
    Responder(&'a psi::ResponderAwaitingFinish),
    /// As [`Waiting::Client`].
    Client(&'a unbalanced::Client),
    /// As [`Waiting::Partitioned`].
    Partitioned(&'a PartitionedParty),
}

impl Waiting {
    /// Borrows the state, for [`save`].
    pub fn as_ref(&self) -> WaitingRef<'_> {
        match self {
            Waiting::Initiator(s) => WaitingRef::Initiator(s),
            Waiting::Responder(s) => WaitingRef::Responder(s),
            Waiting::Client(s) => WaitingRef::Client(s),
            Waiting::Partitioned(p) => WaitingRef::Partitioned(p),
        }
    }
}

/// Serializes a borrowed waiting state as [`SavedSession::to_bytes`] does
/// (the same bytes; [`SavedSession::from_bytes`] restores them).
pub fn save(waiting: WaitingRef<'_>, records: Option<&RecordIndex>) -> Zeroizing<Vec<u8>> {
    let body = match waiting {
        WaitingRef::Initiator(s) => Body::Initiator(s.saved()),
        WaitingRef::Responder(s) => Body::Responder(s.saved()),
        WaitingRef::Client(s) => Body::Client(s.saved()),
        WaitingRef::Partitioned(p) => Body::Partitioned(SavedPartitioned::of(p)),
    };
    let envelope = EnvelopeOut { body, records };
    // Sized first, written once: a growing buffer would leave copies of
    // the secrets behind in memory it freed.
    let len = match postcard::experimental::serialized_size(&envelope) {
        Ok(len) => len,
        Err(_) => unreachable!("postcard sizes any in-memory state"),
    };
    let mut out = Zeroizing::new(vec![0u8; 5 + len]);
    out[..4].copy_from_slice(STATE_MAGIC);
    out[4] = STATE_VERSION;
    if postcard::to_slice(&envelope, &mut out[5..]).is_err() {
        unreachable!("the buffer has the serialized size");
    }
    out
}

/// A waiting state, with the [`RecordIndex`] that names the records its
/// items came from (when they came from a [`crate::records::RecordSet`]).
#[non_exhaustive]
pub struct SavedSession {
    /// The state.
    pub waiting: Waiting,
    /// Which record and kind each item came from.
    pub records: Option<RecordIndex>,
}

impl fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedSession")
            .field("waiting", &self.waiting.name())
            .field("items", &self.waiting.items())
            .field(
                "records",
                &self.records.as_ref().map(|r| r.record_ids().len()),
            )
            .finish()
    }
}

impl SavedSession {
    /// A state to save, with the record index of its items.
    pub fn new(waiting: Waiting, records: Option<RecordIndex>) -> Self {
        SavedSession { waiting, records }
    }

    /// Serializes the state: `BMST`, the format version, then the body.
    /// The bytes hold secrets (see the [module docs](self)).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        save(self.waiting.as_ref(), self.records.as_ref())
    }

    /// Restores and validates a state written by [`SavedSession::to_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::BadState`] for bytes that are not a saved state (a sealed
    /// one included: [`unseal`] it first), of another format version, or
    /// that fail validation.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if is_sealed(bytes) {
            return Err(Error::BadState(
                "the state is sealed: unseal it with its passphrase",
            ));
        }
        if bytes.len() < 5 || &bytes[..4] != STATE_MAGIC {
            return Err(Error::BadState("not a blindmatch saved state"));
        }
        if bytes[4] != STATE_VERSION {
            return Err(Error::BadState(
                "saved by a build with another state format",
            ));
        }
        let (envelope, rest): (Envelope, &[u8]) = postcard::take_from_bytes(&bytes[5..])
            .map_err(|_| Error::BadState("truncated or malformed"))?;
        if !rest.is_empty() {
            return Err(Error::BadState("trailing bytes"));
        }
        let waiting = match envelope.body {
            Body::Initiator(s) => Waiting::Initiator(psi::Initiator::from_saved(s)?),
            Body::Responder(s) => Waiting::Responder(psi::ResponderAwaitingFinish::from_saved(s)?),
            Body::Client(s) => Waiting::Client(unbalanced::Client::from_saved(s)?),
            Body::Partitioned(s) => Waiting::Partitioned(s.restore()?),
        };
        if let Some(records) = &envelope.records {
            records.validate(waiting.items())?;
        }
        Ok(SavedSession {
            waiting,
            records: envelope.records,
        })
    }
}

/// Tells whether `bytes` start like a file written by [`seal`].
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(SEALED_MAGIC)
}

/// Tells whether `bytes` start like an unsealed saved state.
pub fn is_state(bytes: &[u8]) -> bool {
    bytes.starts_with(STATE_MAGIC)
}

fn cipher(passphrase: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> Result<XChaCha20Poly1305> {
    let params = Params::new(m, t, p, Some(32)).map_err(|_| Error::WrongPassphrase)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, key.as_mut())
        .map_err(|_| Error::WrongPassphrase)?;
    Ok(XChaCha20Poly1305::new(&(*key).into()))
}

fn nonce_of(bytes: &[u8]) -> Result<XNonce> {
    XNonce::try_from(bytes).map_err(|_| Error::BadState("nonce of the wrong length"))
}

/// Encrypts `plain` (a saved state, a key) under `passphrase`.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for an empty passphrase, [`Error::Rng`] when
/// the operating system cannot supply the salt and nonce.
#[cfg(feature = "os-rng")]
pub fn seal(plain: &[u8], passphrase: &[u8]) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(Error::InvalidConfig("empty passphrase"));
    }
    let mut random = [0u8; SALT_LEN + NONCE_LEN];
    getrandom::fill(&mut random).map_err(|_| Error::Rng)?;
    let mut out = Vec::with_capacity(SEALED_HEADER_LEN + plain.len() + 16);
    out.extend_from_slice(SEALED_MAGIC);
    out.push(SEALED_VERSION);
    out.extend_from_slice(&SEAL_M_KIB.to_be_bytes());
    out.extend_from_slice(&SEAL_T.to_be_bytes());
    out.push(1);
    out.extend_from_slice(&random);
    let (salt, nonce) = random.split_at(SALT_LEN);
    let sealed = cipher(passphrase, salt, SEAL_M_KIB, SEAL_T, 1)?
        .encrypt(
            &nonce_of(nonce)?,
            Payload {
                msg: plain,
                aad: &out,
            },
        )
        .map_err(|_| Error::InvalidConfig("too large to seal"))?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts a file written by [`seal`].
///
/// # Errors
///
/// [`Error::BadState`] for bytes that are not a sealed file or name
/// parameters outside the accepted bounds; [`Error::WrongPassphrase`] for
/// a wrong passphrase or any changed byte.
pub fn unseal(sealed: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if !is_sealed(sealed) || sealed.len() < SEALED_HEADER_LEN + 16 {
        return Err(Error::BadState("not a sealed blindmatch file"));
    }
    if sealed[4] != SEALED_VERSION {
        return Err(Error::BadState("sealed by a build with another format"));
    }
    let word = |at: usize| {
        u32::from_be_bytes([sealed[at], sealed[at + 1], sealed[at + 2], sealed[at + 3]])
    };
    let (m, t, p) = (word(5), word(9), u32::from(sealed[13]));
    if !(MIN_M_KIB..=MAX_M_KIB).contains(&m) || !(1..=MAX_T).contains(&t) || !(1..=8).contains(&p) {
        return Err(Error::BadState("sealing parameters out of bounds"));
    }
    let (header, body) = sealed.split_at(SEALED_HEADER_LEN);
    let salt = &header[14..14 + SALT_LEN];
    let nonce = &header[14 + SALT_LEN..];
    let plain = cipher(passphrase, salt, m, t, p)?
        .decrypt(
            &nonce_of(nonce)?,
            Payload {
                msg: body,
                aad: header,
            },
        )
        .map_err(|_| Error::WrongPassphrase)?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::psi::{Config, Initiator, Responder};

    #[test]
    fn sealing_round_trips_and_refuses_any_change() {
        let sealed = seal(b"secret state", b"correct horse").unwrap();
        assert!(is_sealed(&sealed));
        assert_eq!(
            &*unseal(&sealed, b"correct horse").unwrap(),
            b"secret state"
        );
        assert_eq!(unseal(&sealed, b"wrong horse"), Err(Error::WrongPassphrase));
        // Any byte of the body, and the authenticated header's salt.
        for at in [SEALED_HEADER_LEN + 1, 20] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert_eq!(unseal(&bad, b"correct horse"), Err(Error::WrongPassphrase));
        }
        // Parameters out of bounds are refused before any work.
        let mut big = sealed.clone();
        big[5..9].copy_from_slice(&(4 * MAX_M_KIB).to_be_bytes());
        assert!(matches!(
            unseal(&big, b"correct horse"),
            Err(Error::BadState(_))
        ));
        assert!(matches!(
            unseal(&sealed[..20], b"x"),
            Err(Error::BadState(_))
        ));
        assert!(seal(b"x", b"").is_err());
        // Two seals of one state differ (fresh salt and nonce).
        assert_ne!(seal(b"x", b"p").unwrap(), seal(b"x", b"p").unwrap());
    }

    #[test]
    fn a_sealed_state_is_not_read_as_plain() {
        let (a, _) = Initiator::new(Config::default(), &["a"]).unwrap();
        let bytes = SavedSession::new(Waiting::Initiator(a), None).to_bytes();
        let sealed = seal(&bytes, b"pw").unwrap();
        assert!(matches!(
            SavedSession::from_bytes(&sealed),
            Err(Error::BadState(_))
        ));
        let opened = unseal(&sealed, b"pw").unwrap();
        assert!(SavedSession::from_bytes(&opened).is_ok());
        let _ = Responder::new(Config::default(), &["a"]).unwrap();
    }
}
