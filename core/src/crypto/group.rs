//! The ristretto255 group: hashing to it (RFC 9380) and decoding its
//! elements with full validation (RFC 9496).
//!
//! Group arithmetic itself is `curve25519-dalek`'s, which is constant time
//! for every operation that involves a secret scalar. This module only adds
//! the glue the RFCs specify.

use std::sync::LazyLock;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use crate::crypto::par;
use crate::error::{Error, Result};

/// Length of a serialized group element (RFC 9496 §4.3.2), in bytes.
pub const ELEMENT_LEN: usize = 32;

/// Length of a serialized scalar (little-endian), in bytes.
pub const SCALAR_LEN: usize = 32;

/// Longest domain separation tag `expand_message_xmd` accepts (RFC 9380 §5.3.1).
pub const MAX_DST_LEN: usize = 255;

/// Longest output `expand_message_xmd` with SHA-512 can produce
/// (`255 * 64` bytes, RFC 9380 §5.3.1).
pub const MAX_EXPAND_LEN: usize = 255 * 64;

/// SHA-512 input block size (`s_in_bytes` in RFC 9380).
const SHA512_BLOCK: usize = 128;

/// SHA-512 after absorbing `Z_pad` (one block of zeros): the same for every
/// call, so each `b_0` starts from this state instead of compressing the
/// block again (one of the three compressions of a hash-to-group).
static Z_PAD_ABSORBED: LazyLock<Sha512> = LazyLock::new(|| {
    let mut h = Sha512::new();
    h.update([0u8; SHA512_BLOCK]);
    h
});

/// Elements per batched compression: large enough that its one field
/// inversion is noise, small enough to stay in cache and to spread over
/// threads.
pub(crate) const BATCH: usize = 256;

/// `s / 2`, for scalars kept halved: `double_and_compress_batch` of
/// `(s/2) · P` is the encoding of `s · P`, with one field inversion per batch instead of
/// an inverse square root per point.
pub(crate) fn halve(s: &Scalar) -> Zeroizing<Scalar> {
    static HALF: LazyLock<Scalar> = LazyLock::new(|| Scalar::from(2u8).invert());
    Zeroizing::new(s * *HALF)
}

/// Draws a uniformly random non-zero scalar.
pub(crate) fn random_nonzero_scalar<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    loop {
        let s = Scalar::random(rng);
        // Zero has probability 2^-252; the loop is not a timing channel on
        // any value that is kept.
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// Computes `point(j)` for every position `j < n` in batches of
/// [`BATCH`], encodes the doubles of each batch at once (one field
/// inversion per batch) and maps each encoding with `out(j, encoding)`.
///
/// So `point(j)` must be `(s / 2) · P` for a wanted `s · P` (see [`halve`]).
/// The first error of a batch stops it; the first failed batch is returned.
pub(crate) fn compress_doubled<U, P, O>(n: usize, point: P, out: O) -> Result<Vec<U>>
where
    U: Send,
    P: Fn(usize) -> Result<RistrettoPoint> + Sync + Send,
    O: Fn(usize, &[u8; ELEMENT_LEN]) -> U + Sync + Send,
{
    let parts = par::map_ranges(n, BATCH, |range| -> Result<Vec<U>> {
        let start = range.start;
        let points = range.map(&point).collect::<Result<Vec<RistrettoPoint>>>()?;
        Ok(RistrettoPoint::double_and_compress_batch(&points)
            .iter()
            .enumerate()
            .map(|(i, c)| out(start + i, c.as_bytes()))
            .collect())
    });
    let mut all = Vec::with_capacity(n);
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

/// Expands `msg` into `out.len()` uniformly random bytes
/// (RFC 9380 §5.3.1, `expand_message_xmd` with SHA-512).
///
/// # Errors
///
/// [`Error::EmptyDst`] for an empty `dst` (RFC 9380 §3.1),
/// [`Error::DstTooLong`] if `dst` exceeds 255 bytes, [`Error::ExpandTooLong`]
/// if more than 255 · 64 bytes are requested.
pub fn expand_message_xmd(msg: &[u8], dst: &[u8], out: &mut [u8]) -> Result<()> {
    expand_message_xmd_parts(&[msg], dst, out)
}

/// [`expand_message_xmd`] over a message given as consecutive parts, so that
/// callers can hash `a || b || c` without concatenating first.
pub(crate) fn expand_message_xmd_parts(parts: &[&[u8]], dst: &[u8], out: &mut [u8]) -> Result<()> {
    let dst = Dst::new(dst)?;
    if out.len() > MAX_EXPAND_LEN {
        return Err(Error::ExpandTooLong {
            len: out.len(),
            max: MAX_EXPAND_LEN,
        });
    }
    expand_checked(parts, dst.0, out);
    Ok(())
}

/// The body of `expand_message_xmd`, for a `dst` of 1 to 255 bytes and an
/// output of at most 255 · 64 bytes (checked by the callers).
///
/// The message can be secret (`DeriveKeyPair` hashes its seed), so every
/// intermediate block is zeroized, and SHA-512's own state is wiped when
/// the hasher drops (sha2's `zeroize` feature).
fn expand_checked(parts: &[&[u8]], dst: &[u8], out: &mut [u8]) {
    let len = out.len();
    debug_assert!(dst.len() <= MAX_DST_LEN && len <= MAX_EXPAND_LEN);
    // Both bounded as above, so these conversions are exact.
    let dst_len = [dst.len() as u8];
    let len_bytes = (len as u16).to_be_bytes();

    // b_0 = H(Z_pad || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime)
    let mut h = Z_PAD_ABSORBED.clone();
    for part in parts {
        h.update(part);
    }
    h.update(len_bytes);
    h.update([0u8]);
    h.update(dst);
    h.update(dst_len);
    let b0 = Zeroizing::new(<[u8; 64]>::from(h.finalize()));

    // b_1 = H(b_0 || I2OSP(1, 1) || DST_prime)
    // b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime)
    let mut prev = Zeroizing::new([0u8; 64]);
    let mut input = Zeroizing::new([0u8; 64]);
    for (i, chunk) in out.chunks_mut(64).enumerate() {
        *input = *b0;
        if i > 0 {
            for (x, p) in input.iter_mut().zip(prev.iter()) {
                *x ^= p;
            }
        }
        let mut h = Sha512::new();
        h.update(&input[..]);
        h.update([(i + 1) as u8]); // i + 1 <= ell <= 255
        h.update(dst);
        h.update(dst_len);
        h.finalize_into((&mut *prev).into());
        chunk.copy_from_slice(&prev[..chunk.len()]);
    }
}

/// Hashes `msg` to a ristretto255 element (RFC 9380 Appendix B,
/// `hash_to_ristretto255`): 64 bytes from `expand_message_xmd` with SHA-512,
/// then the ristretto255 one-way map (RFC 9496 §4.3.4).
///
/// # Errors
///
/// [`Error::EmptyDst`] for an empty `dst`, [`Error::DstTooLong`] if `dst`
/// exceeds 255 bytes.
pub fn hash_to_group(msg: &[u8], dst: &[u8]) -> Result<RistrettoPoint> {
    hash_to_group_parts(&[msg], dst)
}

/// [`hash_to_group`] over a message given as consecutive parts.
pub(crate) fn hash_to_group_parts(parts: &[&[u8]], dst: &[u8]) -> Result<RistrettoPoint> {
    Ok(Dst::new(dst)?.hash_to_group(parts))
}

/// A domain separation tag known to be non-empty and short enough for
/// `expand_message_xmd`, so hashing with it cannot fail.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dst<'a>(&'a [u8]);

impl<'a> Dst<'a> {
    /// Checks the length of a DST.
    pub(crate) fn new(dst: &'a [u8]) -> Result<Self> {
        if dst.is_empty() {
            return Err(Error::EmptyDst);
        }
        if dst.len() > MAX_DST_LEN {
            return Err(Error::DstTooLong {
                len: dst.len(),
                max: MAX_DST_LEN,
            });
        }
        Ok(Dst(dst))
    }

    /// `hash_to_ristretto255` of the concatenated parts under this DST.
    pub(crate) fn hash_to_group(&self, parts: &[&[u8]]) -> RistrettoPoint {
        let mut uniform = Zeroizing::new([0u8; 64]);
        expand_checked(parts, self.0, &mut uniform[..]);
        RistrettoPoint::from_uniform_bytes(&uniform)
    }
}

/// Hashes `msg` to a scalar (RFC 9497 §4.1 `HashToScalar` for
/// ristretto255): 64 bytes from `expand_message_xmd`, read little-endian
/// and reduced modulo the group order.
///
/// # Errors
///
/// [`Error::EmptyDst`] for an empty `dst`, [`Error::DstTooLong`] if `dst`
/// exceeds 255 bytes.
pub fn hash_to_scalar(msg: &[u8], dst: &[u8]) -> Result<Scalar> {
    hash_to_scalar_parts(&[msg], dst)
}

/// [`hash_to_scalar`] over a message given as consecutive parts.
pub(crate) fn hash_to_scalar_parts(parts: &[&[u8]], dst: &[u8]) -> Result<Scalar> {
    let mut uniform = Zeroizing::new([0u8; 64]);
    expand_message_xmd_parts(parts, dst, &mut uniform[..])?;
    Ok(Scalar::from_bytes_mod_order_wide(&uniform))
}

/// Decodes a group element received from a peer (RFC 9496 §4.3.1), with the
/// checks RFC 9497 §2.1 requires of `DeserializeElement`.
///
/// # Errors
///
/// [`Error::InvalidElement`] for a wrong length or a non-canonical encoding,
/// [`Error::IdentityElement`] for the identity.
pub fn decode_element(bytes: &[u8]) -> Result<RistrettoPoint> {
    let compressed = CompressedRistretto::from_slice(bytes).map_err(|_| Error::InvalidElement)?;
    let point = compressed.decompress().ok_or(Error::InvalidElement)?;
    if point.is_identity() {
        return Err(Error::IdentityElement);
    }
    Ok(point)
}

/// Decodes a scalar in its canonical 32-byte little-endian form, rejecting
/// zero (RFC 9497 §2.1 `DeserializeScalar` plus the non-zero rule for keys
/// and blinds).
///
/// # Errors
///
/// [`Error::InvalidScalar`] for a wrong length, a non-canonical encoding or zero.
pub fn decode_nonzero_scalar(bytes: &[u8]) -> Result<Scalar> {
    let arr: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| Error::InvalidScalar)?;
    let s: Option<Scalar> = Scalar::from_canonical_bytes(arr).into();
    match s {
        Some(s) if s != Scalar::ZERO => Ok(s),
        _ => Err(Error::InvalidScalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;

    #[test]
    fn identity_is_rejected() {
        assert_eq!(decode_element(&[0u8; 32]), Err(Error::IdentityElement));
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        let g = RISTRETTO_BASEPOINT_POINT.compress().to_bytes();
        assert_eq!(decode_element(&g[..31]), Err(Error::InvalidElement));
        let mut long = g.to_vec();
        long.push(0);
        assert_eq!(decode_element(&long), Err(Error::InvalidElement));
        assert!(decode_element(&g).is_ok());
    }

    #[test]
    fn zero_scalar_is_rejected() {
        assert_eq!(decode_nonzero_scalar(&[0u8; 32]), Err(Error::InvalidScalar));
        assert_eq!(
            decode_nonzero_scalar(&[0xffu8; 32]),
            Err(Error::InvalidScalar)
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(decode_nonzero_scalar(&one), Ok(Scalar::ONE));
    }

    #[test]
    fn expand_limits() {
        let mut out = vec![0u8; MAX_EXPAND_LEN + 1];
        assert!(matches!(
            expand_message_xmd(b"", b"d", &mut out),
            Err(Error::ExpandTooLong { .. })
        ));
        let mut out = [0u8; 32];
        assert_eq!(expand_message_xmd(b"", b"", &mut out), Err(Error::EmptyDst));
        assert_eq!(hash_to_group(b"x", b"").err(), Some(Error::EmptyDst));
        assert_eq!(hash_to_scalar(b"x", b"").err(), Some(Error::EmptyDst));
        let dst = [b'x'; 256];
        assert!(matches!(
            expand_message_xmd(b"", &dst, &mut out),
            Err(Error::DstTooLong { .. })
        ));
    }
}
