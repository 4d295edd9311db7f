//! RFC 9497 oblivious pseudorandom function, suite `ristretto255-SHA512`,
//! in mode `0x00` (OPRF) and mode `0x01` (VOPRF, [`Mode`]).
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
//!
//! In the VOPRF mode the server also proves, with one batched proof of
//! discrete-logarithm equality ([`crate::crypto::dleq`]), that it raised every
//! blinded element to the key of its public key; the client checks the
//! proof before it finalizes, so a server cannot answer one client under
//! another key (to tag it) or answer with garbage that matches nothing:
//!
//! ```
//! use blindmatch::oprf::{self, Mode, OprfKey};
//!
//! let key = OprfKey::derive_in(Mode::Voprf, &[7u8; 32], b"epoch 2026-11")?;
//! let public_key = key.public_key();                      // published
//! let (blind, blinded) = oprf::blind_in(Mode::Voprf, b"+442079460958")?;
//! let (evaluated, proof) = key.blind_evaluate_proven(&[blinded])?; // server
//! oprf::verify_proof(&public_key, &[blinded], &evaluated, &proof)?;
//! let output = oprf::finalize(b"+442079460958", &blind, &evaluated[0])?;
//! assert_eq!(output, key.evaluate_in(Mode::Voprf, b"+442079460958")?);
//! # Ok::<(), blindmatch::Error>(())
//! ```

use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::dleq::{self, Domain, Elements};
use crate::crypto::group::{self, ELEMENT_LEN, random_nonzero_scalar};
use crate::error::{Error, Result};

/// `contextString` of RFC 9497 §3.1 for mode `0x00` and `ristretto255-SHA512`.
pub const CONTEXT_STRING: &[u8] = b"OPRFV1-\x00-ristretto255-SHA512";

/// `contextString` of RFC 9497 §3.1 for mode `0x01` and `ristretto255-SHA512`.
pub const VOPRF_CONTEXT_STRING: &[u8] = b"OPRFV1-\x01-ristretto255-SHA512";

/// The RFC 9497 mode: it selects the `contextString`, hence the DSTs of
/// `HashToGroup` and `DeriveKeyPair`, so one key gives unrelated outputs in
/// the two modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// `0x00`: the client trusts the server to use its one key.
    Oprf,
    /// `0x01`: every answer carries a proof against the server's public
    /// key ([`OprfKey::blind_evaluate_proven`], [`verify_proof`]).
    Voprf,
}

impl Mode {
    /// The mode's identifier in RFC 9497.
    pub const fn code(self) -> u8 {
        match self {
            Mode::Oprf => 0x00,
            Mode::Voprf => 0x01,
        }
    }

    /// `contextString`: `"OPRFV1-" || I2OSP(mode, 1) || "-ristretto255-SHA512"`.
    pub const fn context_string(self) -> &'static [u8] {
        match self {
            Mode::Oprf => CONTEXT_STRING,
            Mode::Voprf => VOPRF_CONTEXT_STRING,
        }
    }

    /// `HashToGroup` DST: `"HashToGroup-" || contextString`.
    const fn hash_to_group_dst(self) -> &'static [u8] {
        match self {
            Mode::Oprf => b"HashToGroup-OPRFV1-\x00-ristretto255-SHA512",
            Mode::Voprf => b"HashToGroup-OPRFV1-\x01-ristretto255-SHA512",
        }
    }

    /// `DeriveKeyPair` DST: `"DeriveKeyPair" || contextString` (no dash,
    /// RFC 9497 §3.2.1).
    const fn derive_key_pair_dst(self) -> &'static [u8] {
        match self {
            Mode::Oprf => b"DeriveKeyPairOPRFV1-\x00-ristretto255-SHA512",
            Mode::Voprf => b"DeriveKeyPairOPRFV1-\x01-ristretto255-SHA512",
        }
    }
}

/// The domain of the VOPRF's proofs: the RFC's, nothing bound beyond it.
const VOPRF_PROOF: Domain<'static> = Domain {
    context: VOPRF_CONTEXT_STRING,
    binding: b"",
};

/// Label of the hedged RNG of a server's proofs.
const PROOF_RNG_LABEL: &[u8] = b"blindmatch-VOPRF-proof-rng";

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
pub(crate) fn hash_input(mode: Mode, input: &[u8]) -> Result<RistrettoPoint> {
    let p = group::hash_to_group(input, mode.hash_to_group_dst())?;
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
    /// (RFC 9497 §3.2.1 `DeriveKeyPair`, mode `0x00`).
    ///
    /// # Errors
    ///
    /// [`Error::DstTooLong`] if `info` exceeds 65535 bytes;
    /// [`Error::DeriveKeyPair`] if no non-zero scalar is found in 256
    /// attempts (probability about 2^-8000).
    pub fn derive(seed: &[u8; 32], info: &[u8]) -> Result<Self> {
        Self::derive_in(Mode::Oprf, seed, info)
    }

    /// [`OprfKey::derive`] in `mode`: the same seed gives another key in
    /// each mode, as RFC 9497's vectors have it.
    ///
    /// # Errors
    ///
    /// As [`OprfKey::derive`].
    pub fn derive_in(mode: Mode, seed: &[u8; 32], info: &[u8]) -> Result<Self> {
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
                mode.derive_key_pair_dst(),
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
        Ok(Self::generate_from(&mut crate::crypto::rng::os_seeded()?))
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
    /// The VOPRF's clients check every answer against it; mode `0x00` uses
    /// it only to identify the key, e.g. to tell key epochs apart.
    pub fn public_key(&self) -> [u8; ELEMENT_LEN] {
        RistrettoPoint::mul_base(&self.sk).compress().to_bytes()
    }

    /// Evaluates the PRF directly on an input (RFC 9497 §3.3.1 `Evaluate`,
    /// mode `0x00`).
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for inputs over 65535 bytes.
    pub fn evaluate(&self, input: &[u8]) -> Result<[u8; OUTPUT_LEN]> {
        self.evaluate_in(Mode::Oprf, input)
    }

    /// [`OprfKey::evaluate`] in `mode` (RFC 9497 §3.3.2 `Evaluate` for the
    /// VOPRF).
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for inputs over 65535 bytes.
    pub fn evaluate_in(&self, mode: Mode, input: &[u8]) -> Result<[u8; OUTPUT_LEN]> {
        check_input_len(input)?;
        let p = hash_input(mode, input)? * self.sk;
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
        self.evaluate_with(
            Mode::Oprf,
            inputs.len(),
            |j| inputs[j].as_ref(),
            |_, out| out,
        )
    }

    /// Evaluates the inputs `input(0..n)` in batches and maps each output
    /// with `f(j, output)`, so callers keep what they need of each 64-byte
    /// output instead of all of them.
    pub(crate) fn evaluate_with<'a, U: Send>(
        &self,
        mode: Mode,
        n: usize,
        input: impl InputAt<'a>,
        f: impl KeepOutput<U>,
    ) -> Result<Vec<U>> {
        let half = group::halve(&self.sk);
        group::compress_doubled(
            n,
            |j| {
                let x = input(j);
                check_input_len(x)?;
                Ok(hash_input(mode, x)? * *half)
            },
            |j, unblinded| f(j, finalize_hash(input(j), unblinded)),
        )
    }

    /// Evaluates a client's serialized blinded elements (consecutive
    /// 32-byte encodings) in the VOPRF mode: the evaluated elements in the
    /// same order, compressed in batches, and their proof
    /// ([`dleq::proofs_len`] bytes). Every element is validated before any
    /// is multiplied, so a bad one anywhere costs no multiplication by the
    /// key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidElement`] / [`Error::IdentityElement`] for a bad
    /// element; the length must be a multiple of 32 (checked by the caller).
    pub(crate) fn blind_evaluate_encoded(&self, elements: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        debug_assert_eq!(elements.len() % ELEMENT_LEN, 0);
        let points = dleq::decode_all(elements)?;
        let half = group::halve(&self.sk);
        let encoded = group::compress_doubled(points.len(), |j| Ok(points[j] * *half), |_, e| *e)?
            .into_flattened();
        let blinded = Elements {
            points: &points,
            encoded: elements,
        };
        let mut rng =
            crate::crypto::rng::hedged(PROOF_RNG_LABEL, &self.to_secret_bytes()[..], elements);
        let proof = dleq::prove(
            &VOPRF_PROOF,
            &self.sk,
            &RISTRETTO_BASEPOINT_POINT,
            &self.public_key(),
            blinded,
            &encoded,
            &mut rng,
        )?;
        Ok((encoded, proof))
    }

    /// Evaluates a client's blinded element (RFC 9497 §3.3.1 `BlindEvaluate`).
    pub fn blind_evaluate(&self, blinded: &BlindedElement) -> EvaluatedElement {
        EvaluatedElement(blinded.0 * self.sk)
    }

    /// Evaluates a batch of blinded elements, in parallel when the
    /// `parallel` feature is on.
    pub fn blind_evaluate_batch(&self, blinded: &[BlindedElement]) -> Vec<EvaluatedElement> {
        crate::crypto::par::map(blinded, |b| self.blind_evaluate(b))
    }

    /// The VOPRF's `BlindEvaluateBatch` (RFC 9497 §3.3.2): the evaluated
    /// elements and one proof per [`dleq::MAX_BATCH`] elements that each
    /// was raised to this key, for [`verify_proof`].
    ///
    /// The proof's random scalar is hedged: drawn from a stream keyed by
    /// this key and the blinded elements, so it needs no RNG and never
    /// repeats across different batches.
    ///
    /// # Errors
    ///
    /// None in practice: hashing errors cannot occur for this suite.
    pub fn blind_evaluate_proven(
        &self,
        blinded: &[BlindedElement],
    ) -> Result<(Vec<EvaluatedElement>, Vec<u8>)> {
        let encoded: Vec<u8> = blinded.iter().flat_map(BlindedElement::to_bytes).collect();
        let (evaluated, proof) = self.blind_evaluate_encoded(&encoded)?;
        let evaluated = evaluated
            .chunks_exact(ELEMENT_LEN)
            .map(EvaluatedElement::from_bytes)
            .collect::<Result<Vec<_>>>()?;
        Ok((evaluated, proof))
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
        Ok(Self::random_from(&mut crate::crypto::rng::os_seeded()?))
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
        self.blind_in(Mode::Oprf, input)
    }

    /// [`Blind::blind`] in `mode`.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLong`] for inputs over 65535 bytes.
    pub fn blind_in(&self, mode: Mode, input: &[u8]) -> Result<BlindedElement> {
        check_input_len(input)?;
        Ok(BlindedElement(hash_input(mode, input)? * self.0))
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
    blind_in(Mode::Oprf, input)
}

/// [`blind`] in `mode`.
///
/// # Errors
///
/// [`Error::InputTooLong`] for inputs over 65535 bytes, [`Error::Rng`].
#[cfg(feature = "os-rng")]
pub fn blind_in(mode: Mode, input: &[u8]) -> Result<(Blind, BlindedElement)> {
    let b = Blind::random()?;
    let blinded = b.blind_in(mode, input)?;
    Ok((b, blinded))
}

/// Verifies a VOPRF server's proof (RFC 9497 §3.3.2, the check of
/// `FinalizeBatch`): that every `evaluated[i]` is `blinded[i]` raised to
/// the key of `public_key`. Check it before [`finalize`]; an answer that
/// fails it must be discarded.
///
/// # Errors
///
/// [`Error::BadProof`] when the proof fails or has the wrong length;
/// [`Error::CountMismatch`] when the two lists differ in length;
/// [`Error::InvalidElement`] / [`Error::IdentityElement`] for a bad
/// public key.
pub fn verify_proof(
    public_key: &[u8; ELEMENT_LEN],
    blinded: &[BlindedElement],
    evaluated: &[EvaluatedElement],
    proof: &[u8],
) -> Result<()> {
    let c: Vec<RistrettoPoint> = blinded.iter().map(|b| b.0).collect();
    let d: Vec<RistrettoPoint> = evaluated.iter().map(|e| e.0).collect();
    let ce: Vec<u8> = blinded.iter().flat_map(BlindedElement::to_bytes).collect();
    let de: Vec<u8> = evaluated
        .iter()
        .flat_map(EvaluatedElement::to_bytes)
        .collect();
    verify_encoded(public_key, &c, &ce, &d, &de, proof)
}

/// [`verify_proof`] over points already decoded and their encodings.
pub(crate) fn verify_encoded(
    public_key: &[u8; ELEMENT_LEN],
    blinded: &[RistrettoPoint],
    blinded_enc: &[u8],
    evaluated: &[RistrettoPoint],
    evaluated_enc: &[u8],
    proof: &[u8],
) -> Result<()> {
    let b = group::decode_element(public_key)?;
    dleq::verify(
        &VOPRF_PROOF,
        &RISTRETTO_BASEPOINT_POINT,
        &b,
        public_key,
        Elements {
            points: blinded,
            encoded: blinded_enc,
        },
        Elements {
            points: evaluated,
            encoded: evaluated_enc,
        },
        proof,
    )
}

/// The `j`-th input of a parallel OPRF loop (inputs stay where they are).
pub(crate) trait InputAt<'a>: Fn(usize) -> &'a [u8] + Sync + Send {}
impl<'a, T: Fn(usize) -> &'a [u8] + Sync + Send> InputAt<'a> for T {}

/// What a parallel OPRF loop keeps of the `j`-th 64-byte output.
pub(crate) trait KeepOutput<U>: Fn(usize, [u8; OUTPUT_LEN]) -> U + Sync + Send {}
impl<U, T: Fn(usize, [u8; OUTPUT_LEN]) -> U + Sync + Send> KeepOutput<U> for T {}

/// Blinds `input(j)` with `blinds[j]` for every position and returns the
/// serialized blinded elements in order, compressed in batches.
///
/// # Errors
///
/// [`Error::InputTooLong`] for an input over 65535 bytes.
pub(crate) fn blind_encoded<'a>(
    mode: Mode,
    blinds: &[Blind],
    input: impl InputAt<'a>,
) -> Result<Vec<u8>> {
    let encoded = group::compress_doubled(
        blinds.len(),
        |j| {
            let x = input(j);
            check_input_len(x)?;
            Ok(hash_input(mode, x)? * *group::halve(&blinds[j].0))
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
pub(crate) fn finalize_points<'a, U: Send>(
    blinds: &[Blind],
    evaluated: &[RistrettoPoint],
    input: impl InputAt<'a>,
    f: impl KeepOutput<U>,
) -> Result<Vec<U>> {
    debug_assert_eq!(blinds.len(), evaluated.len());
    group::compress_doubled(
        blinds.len().min(evaluated.len()),
        |j| {
            check_input_len(input(j))?;
            let inverse = zeroize::Zeroizing::new(blinds[j].0.invert());
            Ok(evaluated[j] * *group::halve(&inverse))
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
            let blinded = blind_encoded(Mode::Oprf, &blinds, |j| &xs[j]).unwrap();
            let expected: Vec<u8> = blinds
                .iter()
                .zip(&xs)
                .flat_map(|(b, x)| b.blind(x).unwrap().to_bytes())
                .collect();
            assert_eq!(blinded, expected, "n = {n}");

            let (evaluated, proof) = key.blind_evaluate_encoded(&blinded).unwrap();
            assert_eq!(proof.len(), dleq::proofs_len(n));
            let expected: Vec<u8> = blinded
                .chunks_exact(ELEMENT_LEN)
                .flat_map(|c| {
                    key.blind_evaluate(&BlindedElement::from_bytes(c).unwrap())
                        .to_bytes()
                })
                .collect();
            assert_eq!(evaluated, expected, "n = {n}");

            let blinded_points = dleq::decode_all(&blinded).unwrap();
            let points = dleq::decode_all(&evaluated).unwrap();
            let pk = key.public_key();
            verify_encoded(&pk, &blinded_points, &blinded, &points, &evaluated, &proof).unwrap();
            let outputs = finalize_points(&blinds, &points, |j| &xs[j], |j, out| (j, out)).unwrap();
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
        assert_eq!(
            blind_encoded(Mode::Oprf, &blinds, |j| &xs[j]),
            Err(too_long)
        );

        // A bad element anywhere in the batch fails the whole evaluation.
        let good = blind_encoded(Mode::Oprf, &blinds[..3], |j| &xs[j]).unwrap();
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

    /// RFC 9497 A.1.2, the whole VOPRF flow: `DeriveKeyPair`, `Blind`,
    /// `BlindEvaluateBatch` with the vectors' `ProofRandomScalar`, the
    /// proof's verification and `Finalize`.
    #[test]
    fn rfc9497_voprf_vectors() {
        use crate::crypto::voprf_vectors::hex;
        let doc = crate::crypto::voprf_vectors::doc();
        assert_eq!(hex(&doc["contextString_hex"]), Mode::Voprf.context_string());
        let seed: [u8; 32] = hex(&doc["Seed"]).try_into().unwrap();
        let key = OprfKey::derive_in(Mode::Voprf, &seed, &hex(&doc["KeyInfo"])).unwrap();
        assert_eq!(key.to_secret_bytes()[..], hex(&doc["skSm"])[..]);
        let pk: [u8; 32] = hex(&doc["pkSm"]).try_into().unwrap();
        assert_eq!(key.public_key(), pk);
        // The same seed in mode 0x00 is another key.
        assert_ne!(
            OprfKey::derive(&seed, &hex(&doc["KeyInfo"]))
                .unwrap()
                .public_key(),
            pk
        );
        for v in doc["vectors"].as_array().unwrap() {
            let list =
                |k: &str| -> Vec<Vec<u8>> { v[k].as_array().unwrap().iter().map(&hex).collect() };
            let inputs = list("Input");
            let blinds: Vec<Blind> = list("Blind")
                .iter()
                .map(|b| Blind::from_secret(&b[..].try_into().unwrap()).unwrap())
                .collect();
            let blinded: Vec<BlindedElement> = blinds
                .iter()
                .zip(&inputs)
                .map(|(b, x)| b.blind_in(Mode::Voprf, x).unwrap())
                .collect();
            let blinded_enc: Vec<u8> = blinded.iter().flat_map(BlindedElement::to_bytes).collect();
            assert_eq!(blinded_enc, list("BlindedElement").concat());
            let (evaluated, _) = key.blind_evaluate_proven(&blinded).unwrap();
            let evaluated_enc: Vec<u8> = evaluated
                .iter()
                .flat_map(EvaluatedElement::to_bytes)
                .collect();
            assert_eq!(evaluated_enc, list("EvaluationElement").concat());
            let r = group::decode_nonzero_scalar(&hex(&v["ProofRandomScalar"])).unwrap();
            let points = dleq::decode_all(&blinded_enc).unwrap();
            let proof = dleq::prove_with_r(
                &VOPRF_PROOF,
                &key.sk,
                &RISTRETTO_BASEPOINT_POINT,
                &pk,
                Elements {
                    points: &points,
                    encoded: &blinded_enc,
                },
                &evaluated_enc,
                &r,
            )
            .unwrap();
            assert_eq!(proof, hex(&v["Proof"]));
            verify_proof(&pk, &blinded, &evaluated, &proof).unwrap();
            for (i, x) in inputs.iter().enumerate() {
                let out = finalize(x, &blinds[i], &evaluated[i]).unwrap();
                assert_eq!(out[..], list("Output")[i][..]);
                assert_eq!(key.evaluate_in(Mode::Voprf, x).unwrap(), out);
            }
        }
    }

    #[test]
    fn a_proof_fails_for_another_key_or_a_changed_element() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let key = OprfKey::generate_from(&mut rng);
        let other = OprfKey::generate_from(&mut rng);
        let blinded: Vec<BlindedElement> = (0..5u8)
            .map(|i| {
                Blind::random_from(&mut rng)
                    .blind_in(Mode::Voprf, &[i])
                    .unwrap()
            })
            .collect();
        let (evaluated, proof) = key.blind_evaluate_proven(&blinded).unwrap();
        verify_proof(&key.public_key(), &blinded, &evaluated, &proof).unwrap();
        assert_eq!(
            verify_proof(&other.public_key(), &blinded, &evaluated, &proof),
            Err(Error::BadProof)
        );
        // One element answered under another key.
        let mut mixed = evaluated.clone();
        mixed[3] = other.blind_evaluate(&blinded[3]);
        assert_eq!(
            verify_proof(&key.public_key(), &blinded, &mixed, &proof),
            Err(Error::BadProof)
        );
        // A truncated proof, and one for fewer elements.
        assert_eq!(
            verify_proof(&key.public_key(), &blinded, &evaluated, &proof[..32]),
            Err(Error::BadProof)
        );
        assert!(verify_proof(&key.public_key(), &blinded[..4], &evaluated[..4], &proof).is_err());
    }
}
