//! Randomness: the operating system's RNG for convenience constructors, and
//! a ChaCha20 stream for protocol states that need randomness in later steps.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// A 32-byte seed from which a protocol state derives its later randomness
/// (shuffles), so that a state needs no RNG parameter after construction.
pub(crate) type Seed = Zeroizing<[u8; 32]>;

/// Draws a fresh seed from `rng`.
pub(crate) fn seed_from<R: CryptoRng + ?Sized>(rng: &mut R) -> Seed {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut seed[..]);
    seed
}

/// Expands a seed into a cryptographically secure RNG.
pub(crate) fn from_seed(seed: &Seed) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(**seed)
}

/// A hedged RNG for one proof: ChaCha20 keyed by SHA-512 over a label, a
/// secret seed and the message the proof answers. No two proofs of
/// different statements share a random scalar, even if a state runs twice
/// or the operating system's RNG is unavailable (RFC 6979's idea; the
/// proof's verifier sees no difference from a fresh random scalar).
pub(crate) fn hedged(label: &[u8], secret: &[u8], message: &[u8]) -> ChaCha20Rng {
    use sha2::{Digest, Sha512};
    let mut h = Sha512::new();
    h.update(label);
    h.update((secret.len() as u64).to_be_bytes());
    h.update(secret);
    h.update(message);
    let wide = Zeroizing::new(<[u8; 64]>::from(h.finalize()));
    let mut seed = Seed::default();
    seed.copy_from_slice(&wide[..32]);
    from_seed(&seed)
}

/// Returns a ChaCha20 RNG seeded from the operating system (`getrandom`;
/// `crypto.getRandomValues` in browsers).
///
/// # Errors
///
/// [`crate::Error::Rng`] if the operating system cannot supply randomness.
#[cfg(feature = "os-rng")]
pub(crate) fn os_seeded() -> crate::Result<ChaCha20Rng> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|_| crate::Error::Rng)?;
    Ok(from_seed(&seed))
}

/// A party's two public constructors: `$new`, which draws from the
/// operating system (feature `os-rng`), and `$seeded`, for tests only, which
/// draws from the caller's RNG (feature `insecure-test-rng`). Both call the
/// private `$start` with the RNG as its last argument. The doc comment given
/// is `$new`'s; the generics, when any, end with a comma.
macro_rules! rng_constructors {
    (
        $(#[$doc:meta])*
        pub fn $new:ident | $seeded:ident [$($generics:tt)*]
            ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $start:ident;
    ) => {
        $(#[$doc])*
        #[cfg(feature = "os-rng")]
        pub fn $new<$($generics)*>($($arg: $ty),*) -> $ret {
            Self::$start($($arg,)* &mut $crate::crypto::rng::os_seeded()?)
        }

        #[doc = concat!(
            "**Insecure, for tests only**: [`", stringify!($new), "`](Self::",
            stringify!($new), ") driven by the caller's RNG, so that a seeded RNG \
            fixes every random choice (golden vectors). Production code has no \
            way to do this."
        )]
        ///
        /// # Errors
        ///
        #[doc = concat!("As [`", stringify!($new), "`](Self::", stringify!($new), ")")]
        /// but never [`Error::Rng`](crate::Error::Rng).
        #[cfg(feature = "insecure-test-rng")]
        pub fn $seeded<$($generics)* R: ::rand_core::CryptoRng + ?Sized>(
            $($arg: $ty,)*
            rng: &mut R,
        ) -> $ret {
            Self::$start($($arg,)* rng)
        }
    };
}
pub(crate) use rng_constructors;
