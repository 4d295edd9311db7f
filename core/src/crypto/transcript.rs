//! Transcript hashes: what both parties of one exchange can attest to.
//!
//! A transcript is SHA-512 over a domain label, the protocol's name and the
//! canonical bytes of every message of the exchange, in order, each prefixed
//! with its length. The decoders accept only the bytes the encoders write
//! (the `wire` envelope), so two honest parties that saw the same exchange hold
//! the same hash, and a party that saw other bytes holds another one. A
//! transcript hash says nothing about any identifier: the messages hold
//! only blinded values.

use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::{Digest, Sha512};

/// Length of a transcript hash in bytes.
pub const TRANSCRIPT_LEN: usize = 64;

/// A transcript hash.
pub type TranscriptHash = [u8; TRANSCRIPT_LEN];

const LABEL: &[u8] = b"blindmatch-transcript-v1";

/// The running hash of one exchange.
#[derive(Clone)]
pub(crate) struct Transcript(Sha512);

impl Transcript {
    /// Starts the transcript of an exchange of `protocol`.
    pub(crate) fn new(protocol: &[u8]) -> Self {
        let mut t = Transcript(Sha512::new());
        t.absorb(LABEL);
        t.absorb(protocol);
        t
    }

    /// Adds the next message.
    pub(crate) fn absorb(&mut self, message: &[u8]) {
        self.0.update((message.len() as u64).to_be_bytes());
        self.0.update(message);
    }

    /// Returns the hash of everything absorbed so far.
    pub(crate) fn hash(&self) -> TranscriptHash {
        self.0.clone().finalize().into()
    }
}

impl Transcript {
    /// The running hash state, for a saved waiting state ([`crate::registry::saved`]).
    /// It holds only what the public messages absorbed so far determine.
    pub(crate) fn to_saved(&self) -> Vec<u8> {
        SerializableState::serialize(&self.0).to_vec()
    }

    /// Restores a state written by [`Transcript::to_saved`].
    pub(crate) fn from_saved(bytes: &[u8]) -> crate::Result<Self> {
        let state = SerializedState::<Sha512>::try_from(bytes)
            .map_err(|_| crate::Error::BadState("transcript state of the wrong length"))?;
        Sha512::deserialize(&state)
            .map(Transcript)
            .map_err(|_| crate::Error::BadState("transcript state is invalid"))
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Transcript(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_boundaries_and_order_change_the_hash() {
        let hash = |protocol: &[u8], messages: &[&[u8]]| {
            let mut t = Transcript::new(protocol);
            for m in messages {
                t.absorb(m);
            }
            t.hash()
        };
        let base = hash(b"p", &[b"ab", b"c"]);
        assert_eq!(base, hash(b"p", &[b"ab", b"c"]));
        assert_ne!(base, hash(b"p", &[b"a", b"bc"]));
        assert_ne!(base, hash(b"p", &[b"c", b"ab"]));
        assert_ne!(base, hash(b"q", &[b"ab", b"c"]));
        assert_ne!(base, hash(b"p", &[b"ab"]));
    }
}
