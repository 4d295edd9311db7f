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
//! the bytes as the secret they are: [`seal`](crate::session::seal::seal) them under a passphrase, or
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
//! Sealing (a passphrase over these bytes) lives in [`crate::session::seal`].

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::protocol::partition::{self, PartInfo, PartySecret};
use crate::protocol::psi;
use crate::protocol::unbalanced;
use crate::records::RecordIndex;
use crate::session::seal::{STATE_MAGIC, STATE_VERSION, is_sealed};

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
    /// The coordinator of a partitioned session ([`crate::protocol::partition`])
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
    /// one included: [`unseal`](crate::session::seal::unseal) it first), of another format version, or
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::psi::{Config, Initiator, Responder};
    use crate::session::seal::{seal, unseal};

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
