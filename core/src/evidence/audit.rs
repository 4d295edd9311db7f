//! The hash chain of an audit ledger and its signed checkpoints.
//!
//! A ledger (the `blindmatch-ledger` crate stores one in SQLite) is a list
//! of entries; each entry's hash covers its sequence number, time, kind,
//! data and the previous entry's hash. [`ChainVerifier`] walks the entries
//! in order and finds the first one that was edited, deleted, inserted or
//! moved. The chain alone cannot show that entries were cut off at the end,
//! or that an operator who controls the machine rewrote the whole chain:
//! a [`Checkpoint`] (the length and head hash, signed) handed to someone
//! else — the peer agency, a supervisor, a court — pins the chain up to
//! that point.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::error::{Error, Result};
use crate::evidence::receipt::{PublicKey, SigningKey};
use crate::wire::{self, MessageType};

/// Length of an entry hash.
pub const HASH_LEN: usize = 32;

/// An entry hash (SHA-512 truncated to 32 bytes).
pub type EntryHash = [u8; HASH_LEN];

/// The "previous hash" of the first entry.
pub const GENESIS: EntryHash = [0; HASH_LEN];

const ENTRY_LABEL: &[u8] = b"blindmatch-ledger-v1-entry";
const CHECKPOINT_LABEL: &[u8] = b"blindmatch-ledger-v1-checkpoint";

/// Hashes one entry. Sequence numbers start at 1.
pub fn entry_hash(prev: &EntryHash, seq: u64, time: u64, kind: &str, data: &[u8]) -> EntryHash {
    let mut h = Sha512::new();
    h.update(ENTRY_LABEL);
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(time.to_be_bytes());
    h.update((kind.len() as u64).to_be_bytes());
    h.update(kind.as_bytes());
    h.update((data.len() as u64).to_be_bytes());
    h.update(data);
    let full = h.finalize();
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(&full[..HASH_LEN]);
    out
}

/// One stored entry, as a store reads it back.
#[derive(Debug, Clone, Copy)]
pub struct StoredEntry<'a> {
    /// Sequence number (1, 2, ...).
    pub seq: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// What kind of entry (`"charge"`, `"session"`, `"receipt"` ...).
    pub kind: &'a str,
    /// The entry's data.
    pub data: &'a [u8],
    /// The previous entry's hash, as stored.
    pub prev: &'a [u8],
    /// This entry's hash, as stored.
    pub hash: &'a [u8],
}

/// Checks a chain entry by entry, in sequence order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    head: EntryHash,
    /// The time of the last entry: a chain's times never run backwards.
    time: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            head: GENESIS,
            time: 0,
        }
    }
}

impl ChainVerifier {
    /// A verifier at the start of a chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry.
    ///
    /// # Errors
    ///
    /// [`Error::LedgerTampered`] naming the entry: a sequence gap or repeat
    /// (deleted or inserted entry), a previous-hash mismatch (reordered,
    /// deleted or inserted), a hash that does not match the entry's
    /// contents (edited), or a time before the previous entry's (a store
    /// writes no entry dated before the last one).
    pub fn push(&mut self, entry: &StoredEntry<'_>) -> Result<EntryHash> {
        let tampered = |reason| Error::LedgerTampered {
            seq: entry.seq,
            reason,
        };
        if entry.seq != self.next_seq {
            return Err(Error::LedgerTampered {
                seq: self.next_seq,
                reason: "an entry is missing or out of sequence",
            });
        }
        if entry.prev != self.head {
            return Err(tampered("does not follow the previous entry"));
        }
        let hash = entry_hash(&self.head, entry.seq, entry.time, entry.kind, entry.data);
        if entry.hash != hash {
            return Err(tampered("contents do not match the entry's hash"));
        }
        if entry.time < self.time {
            return Err(tampered("dated before the previous entry"));
        }
        self.time = entry.time;
        self.head = hash;
        self.next_seq += 1;
        Ok(hash)
    }

    /// Number of entries checked so far.
    pub fn len(&self) -> u64 {
        self.next_seq - 1
    }

    /// Tells whether no entry was checked.
    pub fn is_empty(&self) -> bool {
        self.next_seq == 1
    }

    /// Hash of the last entry checked ([`GENESIS`] for none).
    pub fn head(&self) -> EntryHash {
        self.head
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct CheckpointMsg {
    ledger_id: [u8; 16],
    seq: u64,
    head: EntryHash,
    time: u64,
    signer: [u8; 32],
    #[serde(with = "serde_bytes")]
    signature: [u8; 64],
}

/// A signed statement "ledger `ledger_id` had `seq` entries ending in
/// `head` at `time`".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The ledger's random id (so a checkpoint of one ledger is never
    /// checked against another).
    pub ledger_id: [u8; 16],
    /// Entries in the chain at that point.
    pub seq: u64,
    /// Hash of entry `seq` ([`GENESIS`] when empty).
    pub head: EntryHash,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Who signed it.
    pub signer: PublicKey,
}

fn checkpoint_bytes(
    ledger_id: &[u8; 16],
    seq: u64,
    head: &EntryHash,
    time: u64,
    signer: &[u8; 32],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 8 + HASH_LEN + 8 + 32);
    m.extend_from_slice(ledger_id);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(head);
    m.extend_from_slice(&time.to_be_bytes());
    m.extend_from_slice(signer);
    m
}

impl Checkpoint {
    /// Signs a checkpoint.
    pub fn sign(
        ledger_id: [u8; 16],
        seq: u64,
        head: EntryHash,
        time: u64,
        key: &SigningKey,
    ) -> Vec<u8> {
        let signer = key.public_key().to_bytes();
        let signature = key.sign(
            CHECKPOINT_LABEL,
            &checkpoint_bytes(&ledger_id, seq, &head, time, &signer),
        );
        wire::encode(
            MessageType::Checkpoint,
            &CheckpointMsg {
                ledger_id,
                seq,
                head,
                time,
                signer,
                signature,
            },
        )
    }

    /// Decodes a checkpoint and verifies its signature; with `keys`, the
    /// signer must be one of them.
    ///
    /// # Errors
    ///
    /// Decoding errors, [`Error::BadSignature`].
    pub fn verify(bytes: &[u8], keys: Option<&[PublicKey]>) -> Result<Checkpoint> {
        let m: CheckpointMsg = wire::decode(bytes, MessageType::Checkpoint)?;
        let signer = PublicKey::from_bytes(&m.signer)
            .map_err(|_| Error::BadSignature("the signer's key is not a valid key"))?;
        if keys.is_some_and(|k| !k.contains(&signer)) {
            return Err(Error::BadSignature("signed by a key that was not given"));
        }
        signer.verify(
            CHECKPOINT_LABEL,
            &checkpoint_bytes(&m.ledger_id, m.seq, &m.head, m.time, &m.signer),
            &m.signature,
        )?;
        Ok(Checkpoint {
            ledger_id: m.ledger_id,
            seq: m.seq,
            head: m.head,
            time: m.time,
            signer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (seq, time, kind, data, prev, hash)
    type Row = (u64, u64, String, Vec<u8>, EntryHash, EntryHash);

    fn chain(n: u64) -> Vec<Row> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let data = format!("entry {seq}").into_bytes();
                let hash = entry_hash(&prev, seq, 1000 + seq, "note", &data);
                let e = (seq, 1000 + seq, "note".to_owned(), data, prev, hash);
                prev = hash;
                e
            })
            .collect()
    }

    fn check(entries: &[Row]) -> Result<u64> {
        let mut v = ChainVerifier::new();
        for (seq, time, kind, data, prev, hash) in entries {
            v.push(&StoredEntry {
                seq: *seq,
                time: *time,
                kind,
                data,
                prev,
                hash,
            })?;
        }
        Ok(v.len())
    }

    /// A chain whose hashes are right but whose times run backwards (a
    /// rewritten chain, or a store that dated an entry before the last).
    #[test]
    fn deviating_store_dates_an_entry_before_the_previous_one() {
        let mut prev = GENESIS;
        let rows: Vec<Row> = [(1u64, 2000u64), (2, 2000), (3, 1999)]
            .iter()
            .map(|&(seq, time)| {
                let data = format!("entry {seq}").into_bytes();
                let hash = entry_hash(&prev, seq, time, "note", &data);
                let row = (seq, time, "note".to_owned(), data, prev, hash);
                prev = hash;
                row
            })
            .collect();
        assert_eq!(check(&rows[..2]), Ok(2));
        assert!(matches!(
            check(&rows),
            Err(Error::LedgerTampered { seq: 3, reason }) if reason.contains("before")
        ));
    }

    #[test]
    fn a_chain_verifies_and_every_change_is_found() {
        let c = chain(5);
        assert_eq!(check(&c), Ok(5));

        let mut edited = c.clone();
        edited[2].3 = b"entry X".to_vec();
        assert!(matches!(
            check(&edited),
            Err(Error::LedgerTampered { seq: 3, .. })
        ));

        let mut deleted = c.clone();
        deleted.remove(1);
        assert!(matches!(
            check(&deleted),
            Err(Error::LedgerTampered { seq: 2, .. })
        ));

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            check(&swapped),
            Err(Error::LedgerTampered { seq: 2, .. })
        ));

        // Renumbered after a deletion: the previous-hash link breaks.
        let mut renumbered = c.clone();
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.0 = i as u64 + 1;
        }
        assert!(matches!(
            check(&renumbered),
            Err(Error::LedgerTampered { seq: 2, .. })
        ));
    }

    #[test]
    fn checkpoints_verify_only_unchanged_and_under_the_given_key() {
        let key = SigningKey::from_secret_bytes(&[7; 32]).unwrap();
        let other = SigningKey::from_secret_bytes(&[8; 32]).unwrap();
        let cp = Checkpoint::sign([1; 16], 5, [2; 32], 1234, &key);
        let ok = Checkpoint::verify(&cp, Some(&[key.public_key()])).unwrap();
        assert_eq!((ok.seq, ok.head, ok.time), (5, [2; 32], 1234));
        assert!(matches!(
            Checkpoint::verify(&cp, Some(&[other.public_key()])),
            Err(Error::BadSignature(_))
        ));
        for i in crate::wire::HEADER_LEN..cp.len() {
            let mut bad = cp.clone();
            bad[i] ^= 1;
            assert!(Checkpoint::verify(&bad, None).is_err(), "byte {i}");
        }
    }
}
