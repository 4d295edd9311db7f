//! Sealing secrets at rest, and the envelope of a saved state.
//!
//! Every protocol saves the state it waits in as bytes that start with
//! [`STATE_MAGIC`]; the states themselves are listed in
//! `registry::saved`, above the protocols.
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

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

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
}
