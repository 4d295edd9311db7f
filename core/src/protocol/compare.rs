//! Comparison values of balanced PSI: a doubly blinded element hashed with
//! the session id into a digest truncated to what the set sizes need
//! ([`compare_len`]), the wire form of lists of them, and the hash set that
//! looks them up.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections::HashSet;

use sha2::{Digest, Sha512};

use crate::crypto::group::ELEMENT_LEN;
use crate::wire::SessionId;

/// Bits of security against a false match: the chance that any two distinct
/// items of a session compare equal is at most 2^-40.
pub const FALSE_MATCH_BITS: u32 = 40;

/// Prefix of the hash that turns a doubly blinded element into a comparison value.
const COMPARE_LABEL: &[u8] = b"blindmatch-PSI-v1-compare";

/// Returns how many bytes of each doubly blinded value the parties exchange
/// for sets of `initiator_items` and `responder_items` distinct items: enough
/// that a false match anywhere in the session has probability at most
/// 2^-[`FALSE_MATCH_BITS`].
pub fn compare_len(initiator_items: usize, responder_items: usize) -> usize {
    compare_len_u64(initiator_items as u64, responder_items as u64)
}

/// [`compare_len`] of counts that may pass `usize` on a 32-bit target
/// (WebAssembly), e.g. every item of a k-party session.
pub(crate) fn compare_len_u64(initiator_items: u64, responder_items: u64) -> usize {
    fn ceil_log2(n: u64) -> u32 {
        let n = n.max(1);
        u64::BITS - (n - 1).leading_zeros()
    }
    let bits = FALSE_MATCH_BITS + ceil_log2(initiator_items) + ceil_log2(responder_items);
    // At most (40 + 64 + 64) / 8 = 21 bytes in theory; u32 counts keep it at 13.
    (bits as usize).div_ceil(8).min(COMPARE_MAX)
}

/// Width of the in-memory comparison value (`u128`).
const COMPARE_MAX: usize = 16;

/// Hasher of the lookup sets of comparison values.
///
/// Every value a party puts into its set is the truncated SHA-512 digest of
/// an element it raised to its own secret key: uniformly distributed and
/// unpredictable to the peer, who only chooses the values looked up. So no
/// keyed hash (SipHash) is needed against collision flooding; one multiply
/// spreads the value's bits over the high bits the table probes with.
#[derive(Default, Clone, Copy)]
pub(crate) struct CompareHasher(u64);

impl CompareHasher {
    /// Fibonacci hashing's multiplier, 2^64 / golden ratio (odd).
    const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::MUL);
    }
}

impl Hasher for CompareHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used; this keeps any other use correct.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.mix(v as u64 ^ (v >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A set of comparison values.
pub(crate) type CompareSet = HashSet<u128, BuildHasherDefault<CompareHasher>>;

/// Hashes a doubly blinded element into the first `len` bytes of a
/// comparison value.
pub(crate) fn compare_value(
    session_id: &SessionId,
    encoded: &[u8; ELEMENT_LEN],
    len: usize,
) -> u128 {
    let mut h = Sha512::new();
    h.update(COMPARE_LABEL);
    h.update(session_id);
    h.update(encoded);
    let digest = h.finalize();
    let mut v = [0u8; COMPARE_MAX];
    v[..len].copy_from_slice(&digest[..len]);
    u128::from_le_bytes(v)
}

/// Reads a comparison value of `len` bytes from the wire.
pub(crate) fn read_compare(bytes: &[u8]) -> u128 {
    let mut v = [0u8; COMPARE_MAX];
    v[..bytes.len()].copy_from_slice(bytes);
    u128::from_le_bytes(v)
}

/// Writes comparison values of `len` bytes each.
pub(crate) fn write_compare(values: &[u128], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * len);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..len]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_len_meets_the_false_match_bound() {
        assert_eq!(compare_len(0, 0), 5);
        assert_eq!(compare_len(1, 1), 5);
        assert_eq!(compare_len(1 << 16, 1 << 16), 9);
        assert_eq!(compare_len((1 << 16) + 1, 1 << 16), 10);
        assert_eq!(compare_len(u32::MAX as usize, u32::MAX as usize), 13);
        for (a, b) in [(3usize, 1000usize), (1 << 20, 1 << 20), (70_000, 12)] {
            let bits = (8 * compare_len(a, b)) as f64;
            // pairs compared / 2^bits <= 2^-40
            assert!((a as f64).log2() + (b as f64).log2() - bits <= -40.0);
        }
    }
}
