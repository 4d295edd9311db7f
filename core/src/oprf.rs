//! RFC 9497 oblivious pseudorandom function, mode `0x00` (OPRF), suite
//! `ristretto255-SHA512`.
//!
//! The server holds an [`OprfKey`]; a client [`blind`]s an input, the server
//! answers with [`OprfKey::blind_evaluate`], and the client calls
//! [`finalize`]. The result equals [`OprfKey::evaluate`] on the input, yet the
//! server never sees the input and the client never sees the key.
//!
//! ```
//! use blindmatch::oprf::{self, OprfKey};
//!
//! let key = OprfKey::derive(&[7u8; 32], b"epoch 2026-11")?;
//! let (blind, blinded) = oprf::blind(b"+442079460958")?;  // a fresh random blind
//! let evaluated = key.blind_evaluate(&blinded);          // server side
//! let output = oprf::finalize(b"+442079460958", &blind, &evaluated)?;
//! assert_eq!(output, key.evaluate(b"+442079460958")?);
//! # Ok::<(), blindmatch::Error>(())
//! ```

use core::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::group::{self, ELEMENT_LEN, random_nonzero_scalar};

/// `contextString` of RFC 9497 §3.1 for mode `0x00` and `ristretto255-SHA512`.
pub const CONTEXT_STRING: &[u8] = b"OPRFV1-\x00-ristretto255-SHA512";

/// `HashToGroup` DST: `"HashToGroup-" || contextString`.
const HASH_TO_GROUP_DST: &[u8] = b"HashToGroup-OPRFV1-\x00-ristretto255-SHA512";

/// `DeriveKeyPair` DST: `"DeriveKeyPair" || contextString` (no dash, RFC 9497 §3.2.1).
const DERIVE_KEY_PAIR_DST: &[u8] = b"DeriveKeyPairOPRFV1-\x00-ristretto255-SHA512";

/// Longest input RFC 9497 can finalize (its length is encoded in two bytes).
pub const MAX_INPUT_LEN: usize = u16::MAX as usize;

/// Length of an OPRF output (SHA-512), in bytes.
pub const OUTPUT_LEN: usize = 64;

/// Hashes an input to the group with the OPRF's DST (RFC 9497 `HashToGroup`).
///
/// # Errors
///
/// [`Error::IdentityElement`] in the negligible case that the input maps to
/// the identity (RFC 9497 `InvalidInputError`).
pub(crate) fn hash_input(input: &[u8]) -> Result<RistrettoPoint> {
    let p = group::hash_to_group(input, HASH_TO_GROUP_DST)?;
    if p.is_identity() {
        return Err(Error::IdentityElement);
    }
    Ok(p)
}

fn check_input_len(input: &[u8]) -> Result<()> {
    if input.len() > MAX_INPUT_LEN {
        return Err(Error::InputTooLong {
            len: input.len(),
            max: MAX_INPUT_LEN,
        });
    }
    Ok(())
}

/// RFC 9497 §3.3.1 `Finalize` hash over an unblinded element.
pub(crate) fn finalize_hash(input: &[u8], unblinded: &[u8; ELEMENT_LEN]) -> [u8; OUTPUT_LEN] {
    // Callers check the input length first; the cast is exact.
    debug_assert!(input.len() <= MAX_INPUT_LEN);
    let mut h = Sha512::new();
    h.update((input.len() as u16).to_be_bytes());
    h.update(input);
    h.update((ELEMENT_LEN as u16).to_be_bytes());
    h.update(unblinded);
    h.update(b"Finalize");
    h.finalize().into()
}

/// A server's OPRF private key (`skS` in RFC 9497).
///
/// Zeroized on drop; `Debug` prints no key material; it cannot be serialized
/// by serde.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OprfKey {
    sk: Scalar,
}

impl fmt::Debug for OprfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OprfKey")
            .field("sk", &"<redacted>")
            .finish()
    }
}

impl OprfKey {
    /// Derives a key deterministically from a seed and an info string
    /// (RFC 9497 §3.2.1 `DeriveKeyPair`).
    ///
    /// # Errors
    ///
    /// [`Error::DstTooLong`] if `info` exceeds 65535 bytes;
    /// [`Error::DeriveKeyPair`] if no non-zero scalar is found in 256
    /// attempts (probability about 2^-8000).
    pub fn derive(seed: &[u8; 32], info: &[u8]) -> Result<Self> {
        if info.len() > u16::MAX as usize {
            return Err(Error::DstTooLong {
                len: info.len(),
                max: u16::MAX as usize,
            });
        }
        let info_len = (info.len() as u16).to_be_bytes();
        for counter in 0u8..=255 {
            let sk = group::hash_to_scalar_parts(
                &[seed, &info_len, info, &[counter]],
                DERIVE_KEY_PAIR_DST,
            )?;
            if sk != Scalar::ZERO {
                return Ok(OprfKey { sk });
            }
        }
        Err(Error::DeriveKeyPair)
    }

    /// Generates a fresh random key (RFC 9497 §3.2 `GenerateKeyPair`) from
    /// the operating system's RNG.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`] if the operating system cannot supply randomness.
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Result<Self> {
        Ok(Self::generate_from(&mut crate::rng::os_seeded()?))
    }

    /// **Insecure, for tests only**: [`OprfKey::generate`] driven by the
    /// caller's RNG, so a seeded RNG gives a fixed key.
    #[cfg(feature = "insecure-test-rng")]
    pub fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::generate_from(rng)
    }

    fn generate_from<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        OprfKey {
            sk: random_nonzero_scalar(rng),
        }
    }

    /// Returns the public key `pkS = skS · G` (RFC 9497 §3.2), serialized.
    ///
    /// Mode `0x00` does not use it; it identifies the key, e.g. to tell
    /// key epochs apart.
    pub fn public_key(&self) -> [u8; ELEMENT_LEN] {
        RistrettoPoint::mul_base(&self.sk).compress().to_bytes()
    }

    /// Evaluates the PRF directly on an input (RFC 9497 §3.3.1 `Evaluate`).
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for inputs over 65535 bytes.
    pub fn evaluate(&self, input: &[u8]) -> Result<[u8; OUTPUT_LEN]> {
        check_input_len(input)?;
        let p = hash_input(input)? * self.sk;
        Ok(finalize_hash(input, &p.compress().to_bytes()))
    }

    /// [`OprfKey::evaluate`] of every input, in order: the same outputs,
    /// computed with one field inversion per batch of points instead of an
    /// inverse square root per point, and spread over threads with the
    /// `parallel` feature.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] if any input is over 65535 bytes.
    pub fn evaluate_batch<T: AsRef<[u8]> + Sync>(
        &self,
        inputs: &[T],
    ) -> Result<Vec<[u8; OUTPUT_LEN]>> {
        self.evaluate_with(inputs.len(), |j| inputs[j].as_ref(), |_, out| out)
    }

    /// Evaluates the inputs `input(0..n)` in batches and maps each output
    /// with `f(j, output)`, so callers keep what they need of each 64-byte
    /// output instead of all of them.
    pub(crate) fn evaluate_with<'a, U, I, F>(&self, n: usize, input: I, f: F) -> Result<Vec<U>>
    where
        U: Send,
        I: Fn(usize) -> &'a [u8] + Sync + Send,
        F: Fn(usize, [u8; OUTPUT_LEN]) -> U + Sync + Send,
    {
        let half = group::halve(&self.sk);
        group::compress_doubled(
            n,
            |j| {
                let x = input(j);
                check_input_len(x)?;
                Ok(hash_input(x)? * *half)
            },
            |j, unblinded| f(j, finalize_hash(input(j), unblinded)),
        )
    }

    /// Evaluates a client's serialized blinded elements (consecutive
    /// 32-byte encodings) and returns the evaluated elements in the same
    /// order, compressed in batches. Every element is validated before any
    /// is multiplied, so a bad one anywhere costs no multiplication by the
    /// key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`] for a bad
    /// element; the length must be a multiple of 32 (checked by the caller).
    pub(crate) fn blind_evaluate_encoded(&self, elements: &[u8]) -> Result<Vec<u8>> {
        debug_assert_eq!(elements.len() % ELEMENT_LEN, 0);
        let points: Vec<RistrettoPoint> =
            crate::par::try_map_chunks(elements, ELEMENT_LEN, group::decode_element)?;
        let half = group::halve(&self.sk);
        let encoded = group::compress_doubled(points.len(), |j| Ok(points[j] * *half), |_, e| *e)?;
        Ok(encoded.into_flattened())
    }

    /// Evaluates a client's blinded element (RFC 9497 §3.3.1 `BlindEvaluate`).
    pub fn blind_evaluate(&self, blinded: &BlindedElement) -> EvaluatedElement {
        EvaluatedElement(blinded.0 * self.sk)
    }

    /// Evaluates a batch of blinded elements, in parallel when the
    /// `parallel` feature is on.
    pub fn blind_evaluate_batch(&self, blinded: &[BlindedElement]) -> Vec<EvaluatedElement> {
        crate::par::map(blinded, |b| self.blind_evaluate(b))
    }

    /// Exports the secret scalar, for servers that must persist their key.
    ///
    /// The caller is responsible for keeping (and zeroizing) these bytes.
    pub fn to_secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.sk.to_bytes())
    }

    /// Imports a key exported by [`OprfKey::to_secret_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidScalar`] unless the bytes are a canonical non-zero scalar.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(OprfKey {
            sk: group::decode_nonzero_scalar(bytes)?,
        })
    }
}

/// A client's blinding scalar for one input (`blind` in RFC 9497).
///
/// Keep it until the server's answer arrives, then pass it to [`finalize`].
/// Zeroized on drop; `Debug` prints no key material.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Blind(Scalar);

impl fmt::Debug for Blind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Blind(<redacted>)")
    }
}

impl Blind {
    /// **Insecure, for tests only**: builds a blind from its canonical
    /// scalar encoding, to reproduce test vectors. A blind must be fresh
    /// and random for every input, or the server can link queries.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidScalar`] unless the bytes are a canonical non-zero scalar.
    #[cfg(feature = "insecure-test-rng")]
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Blind(group::decode_nonzero_scalar(bytes)?))
    }

    /// Draws a fresh random blind from the operating system's RNG.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`] if the operating system cannot supply randomness.
    #[cfg(feature = "os-rng")]
    pub fn random() -> Result<Self> {
        Ok(Self::random_from(&mut crate::rng::os_seeded()?))
    }

    /// **Insecure, for tests only**: [`Blind::random`] driven by the
    /// caller's RNG.
    #[cfg(feature = "insecure-test-rng")]
    pub fn random_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::random_from(rng)
    }

    /// The scalar's encoding, for a saved client state.
    pub(crate) fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// A blind from a saved client state.
    pub(crate) fn from_secret(bytes: &[u8; 32]) -> Result<Self> {
        Ok(Blind(group::decode_nonzero_scalar(bytes)?))
    }

    pub(crate) fn random_from<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Blind(random_nonzero_scalar(rng))
    }

    /// Blinds an input with this blind (the deterministic half of RFC 9497
    /// `Blind`).
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for inputs over 65535 bytes.
    pub fn blind(&self, input: &[u8]) -> Result<BlindedElement> {
        check_input_len(input)?;
        Ok(BlindedElement(hash_input(input)? * self.0))
    }
}

/// A blinded input, sent from client to server (`blindedElement`).
///
/// A value of this type is always a valid non-identity group element.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlindedElement(RistrettoPoint);

/// The server's answer to one blinded input (`evaluatedElement`).
///
/// A value of this type is always a valid non-identity group element.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EvaluatedElement(RistrettoPoint);

macro_rules! element_codec {
    ($t:ident) => {
        impl $t {
            /// Decodes an element received from the peer, with full validation.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidElement`] for a non-canonical encoding or a
            /// wrong length, [`Error::IdentityElement`] for the identity.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                Ok($t(group::decode_element(bytes)?))
            }

            /// Serializes the element (RFC 9496 §4.3.2).
            pub fn to_bytes(&self) -> [u8; ELEMENT_LEN] {
                self.0.compress().to_bytes()
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Public values: printing the encoding is safe and useful.
                write!(f, concat!(stringify!($t), "("))?;
                for b in self.to_bytes() {
                    write!(f, "{b:02x}")?;
                }
                f.write_str(")")
            }
        }
    };
}
element_codec!(BlindedElement);
element_codec!(EvaluatedElement);

/// Blinds an input with a fresh random blind from the operating system's
/// RNG (RFC 9497 §3.3.1 `Blind`).
///
/// # Errors
///
/// [`Error::InputTooLong`] for inputs over 65535 bytes, [`Error::Rng`].
#[cfg(feature = "os-rng")]
pub fn blind(input: &[u8]) -> Result<(Blind, BlindedElement)> {
    let b = Blind::random()?;
    let blinded = b.blind(input)?;
    Ok((b, blinded))
}

/// Blinds `input(j)` with `blinds[j]` for every position and returns the
/// serialized blinded elements in order, compressed in batches.
///
/// # Errors
///
/// [`Error::InputTooLong`] for an input over 65535 bytes.
pub(crate) fn blind_encoded<'a, I>(blinds: &[Blind], input: I) -> Result<Vec<u8>>
where
    I: Fn(usize) -> &'a [u8] + Sync + Send,
{
    let encoded = group::compress_doubled(
        blinds.len(),
        |j| {
            let x = input(j);
            check_input_len(x)?;
            Ok(hash_input(x)? * *group::halve(&blinds[j].0))
        },
        |_, e| *e,
    )?;
    Ok(encoded.into_flattened())
}

/// [`finalize`] for every position `j`: unblinds `evaluated[j]` with
/// `blinds[j]`, hashes it with `input(j)` into the output and maps it with
/// `f(j, output)`; compressions are batched.
///
/// # Errors
///
/// [`Error::InputTooLong`] for an input over 65535 bytes.
pub(crate) fn finalize_with<'a, U, I, F>(
    blinds: &[Blind],
    evaluated: &[EvaluatedElement],
    input: I,
    f: F,
) -> Result<Vec<U>>
where
    U: Send,
    I: Fn(usize) -> &'a [u8] + Sync + Send,
    F: Fn(usize, [u8; OUTPUT_LEN]) -> U + Sync + Send,
{
    debug_assert_eq!(blinds.len(), evaluated.len());
    group::compress_doubled(
        blinds.len().min(evaluated.len()),
        |j| {
            check_input_len(input(j))?;
            let inverse = zeroize::Zeroizing::new(blinds[j].0.invert());
            Ok(evaluated[j].0 * *group::halve(&inverse))
        },
        |j, unblinded| f(j, finalize_hash(input(j), unblinded)),
    )
}

/// Unblinds the server's answer and hashes it into the PRF output
/// (RFC 9497 §3.3.1 `Finalize`).
///
/// # Errors
///
/// [`Error::InputTooLong`] for inputs over 65535 bytes.
pub fn finalize(
    input: &[u8],
    blind: &Blind,
    evaluated: &EvaluatedElement,
) -> Result<[u8; OUTPUT_LEN]> {
    check_input_len(input)?;
    let inverse = zeroize::Zeroizing::new(blind.0.invert());
    let n = evaluated.0 * *inverse;
    Ok(finalize_hash(input, &n.compress().to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn debug_redacts_secrets() {
        let key = OprfKey::derive(&[1u8; 32], b"info").unwrap();
        let secret = hex_lower(&key.to_secret_bytes()[..]);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&secret[..16]), "{shown}");
        assert!(shown.contains("redacted"));
        let (b, _) = seeded_blind(b"x", &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        assert_eq!(format!("{b:?}"), "Blind(<redacted>)");
    }

    fn seeded_blind<R: CryptoRng + ?Sized>(
        input: &[u8],
        rng: &mut R,
    ) -> Result<(Blind, BlindedElement)> {
        let b = Blind::random_from(rng);
        let blinded = b.blind(input)?;
        Ok((b, blinded))
    }

    fn hex_lower(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn evaluate_rejects_long_input() {
        let key = OprfKey::derive(&[1u8; 32], b"").unwrap();
        let input = vec![0u8; MAX_INPUT_LEN + 1];
        assert_eq!(
            key.evaluate(&input),
            Err(Error::InputTooLong {
                len: MAX_INPUT_LEN + 1,
                max: MAX_INPUT_LEN
            })
        );
        assert!(key.evaluate(&input[..MAX_INPUT_LEN]).is_ok());
    }

    #[test]
    fn secret_bytes_round_trip() {
        let key = OprfKey::generate_from(&mut ChaCha20Rng::seed_from_u64(9));
        let back = OprfKey::from_secret_bytes(&key.to_secret_bytes()[..]).unwrap();
        assert_eq!(key.evaluate(b"a").unwrap(), back.evaluate(b"a").unwrap());
    }

    /// Inputs of varied lengths, as many as `n`.
    fn inputs(n: usize, rng: &mut ChaCha20Rng) -> Vec<Vec<u8>> {
        use rand::Rng;
        (0..n)
            .map(|i| {
                let mut x = vec![0u8; i % 70];
                rng.fill_bytes(&mut x);
                x
            })
            .collect()
    }

    #[test]
    fn batched_steps_equal_the_single_ones() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let key = OprfKey::generate_from(&mut rng);
        // Empty, one, and sizes around the batch boundaries.
        let b = group::BATCH;
        for n in [0, 1, 2, b - 1, b, b + 1, 2 * b + 3] {
            let xs = inputs(n, &mut rng);
            let singles: Vec<[u8; OUTPUT_LEN]> =
                xs.iter().map(|x| key.evaluate(x).unwrap()).collect();
            assert_eq!(key.evaluate_batch(&xs).unwrap(), singles, "n = {n}");

            let blinds: Vec<Blind> = (0..n).map(|_| Blind::random_from(&mut rng)).collect();
            let blinded = blind_encoded(&blinds, |j| &xs[j]).unwrap();
            let expected: Vec<u8> = blinds
                .iter()
                .zip(&xs)
                .flat_map(|(b, x)| b.blind(x).unwrap().to_bytes())
                .collect();
            assert_eq!(blinded, expected, "n = {n}");

            let evaluated = key.blind_evaluate_encoded(&blinded).unwrap();
            let expected: Vec<u8> = blinded
                .chunks_exact(ELEMENT_LEN)
                .flat_map(|c| {
                    key.blind_evaluate(&BlindedElement::from_bytes(c).unwrap())
                        .to_bytes()
                })
                .collect();
            assert_eq!(evaluated, expected, "n = {n}");

            let evaluated: Vec<EvaluatedElement> = evaluated
                .chunks_exact(ELEMENT_LEN)
                .map(|c| EvaluatedElement::from_bytes(c).unwrap())
                .collect();
            let outputs =
                finalize_with(&blinds, &evaluated, |j| &xs[j], |j, out| (j, out)).unwrap();
            let expected: Vec<(usize, [u8; OUTPUT_LEN])> =
                singles.into_iter().enumerate().collect();
            assert_eq!(outputs, expected, "n = {n}");
        }
    }

    #[test]
    fn batched_steps_reject_bad_input() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let key = OprfKey::generate_from(&mut rng);
        let mut xs = inputs(300, &mut rng);
        xs[280] = vec![0u8; MAX_INPUT_LEN + 1];
        let too_long = Error::InputTooLong {
            len: MAX_INPUT_LEN + 1,
            max: MAX_INPUT_LEN,
        };
        assert_eq!(key.evaluate_batch(&xs), Err(too_long.clone()));
        let blinds: Vec<Blind> = (0..xs.len())
            .map(|_| Blind::random_from(&mut rng))
            .collect();
        assert_eq!(blind_encoded(&blinds, |j| &xs[j]), Err(too_long));

        // A bad element anywhere in the batch fails the whole evaluation.
        let good = blind_encoded(&blinds[..3], |j| &xs[j]).unwrap();
        let mut identity = good.clone();
        identity[32..64].fill(0);
        assert_eq!(
            key.blind_evaluate_encoded(&identity),
            Err(Error::IdentityElement)
        );
        let mut invalid = good;
        invalid[64..96].fill(0xff);
        assert_eq!(
            key.blind_evaluate_encoded(&invalid),
            Err(Error::InvalidElement)
        );
    }

    #[test]
    fn oblivious_flow_equals_evaluate() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let key = OprfKey::generate_from(&mut rng);
        for input in [&b""[..], b"a", "zoë@exämple.org".as_bytes()] {
            let (b, blinded) = seeded_blind(input, &mut rng).unwrap();
            let out = finalize(input, &b, &key.blind_evaluate(&blinded)).unwrap();
            assert_eq!(out, key.evaluate(input).unwrap());
        }
    }
}
