//! Batched proofs of discrete-logarithm equality (RFC 9497 §2.2,
//! `GenerateProof` / `VerifyProof`).
//!
//! A party that raises a peer's elements `C[i]` to its secret `k`, giving
//! `D[i] = k·C[i]`, and that committed to `B = k·A`, proves with one
//! 64-byte proof per batch that every `D[i]` used the same `k` as `B`. The
//! batch is folded into two composite elements with weights hashed from a
//! seed and each pair (`ComputeComposites`), so verification is two
//! multiscalar multiplications over the batch, not one check per pair.
//!
//! RFC 9497 encodes a pair's index in two bytes, so one proof covers at
//! most [`MAX_BATCH`] pairs. Longer batches are split into chunks of that
//! size with one proof each; chunk `j > 0` appends `"chunk" || I2OSP(j, 4)`
//! to the seed's domain, so no proof of one chunk is a proof of another.
//! A batch of at most [`MAX_BATCH`] pairs with no binding is exactly the
//! RFC's proof (the VOPRF of the `oprf` module).
//!
//! Every multiplication by the secret `k` or the proof's random scalar is
//! constant time (curve25519-dalek); the composites combine public values
//! only and use its variable-time multiscalar multiplication.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::crypto::group::{self, ELEMENT_LEN, random_nonzero_scalar};
use crate::error::{Error, Result};

/// Length of one serialized proof: the challenge `c` and the response `s`.
pub const PROOF_LEN: usize = 64;

/// Most pairs one proof covers (RFC 9497 encodes an index in two bytes).
pub const MAX_BATCH: usize = 1 << 16;

/// Pairs per task of the composites' hashing and multiscalar sums.
const TASK: usize = 4096;

/// Number of proofs a batch of `n` pairs carries (none for an empty one).
pub fn proof_count(n: usize) -> usize {
    n.div_ceil(MAX_BATCH)
}

/// Bytes of the proofs of a batch of `n` pairs.
pub fn proofs_len(n: usize) -> usize {
    proof_count(n) * PROOF_LEN
}

/// The domain of a proof: the RFC's `contextString` (its `HashToScalar`
/// DST is `"HashToScalar-" || context`), and what the seed binds beyond
/// the RFC's `"Seed-" || context` (a session, a hop: empty for the RFC).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Domain<'a> {
    /// `contextString` of RFC 9497 §3.1, or a protocol's own.
    pub(crate) context: &'a [u8],
    /// Appended to the seed's DST; empty for the RFC's proofs.
    pub(crate) binding: &'a [u8],
}

/// One side of a batch: the points and their consecutive encodings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Elements<'a> {
    pub(crate) points: &'a [RistrettoPoint],
    pub(crate) encoded: &'a [u8],
}

impl<'a> Elements<'a> {
    fn chunk(&self, range: core::ops::Range<usize>) -> Elements<'a> {
        Elements {
            points: &self.points[range.clone()],
            encoded: &self.encoded[range.start * ELEMENT_LEN..range.end * ELEMENT_LEN],
        }
    }
}

fn i2osp2(n: usize) -> [u8; 2] {
    // Every length and index hashed here is below 2^16 by construction.
    debug_assert!(n <= u16::MAX as usize);
    (n as u16).to_be_bytes()
}

struct Hasher {
    hash_dst: Vec<u8>,
}

impl Hasher {
    fn new(context: &[u8]) -> Result<Self> {
        let hash_dst = [b"HashToScalar-".as_slice(), context].concat();
        group::Dst::new(&hash_dst)?;
        Ok(Hasher { hash_dst })
    }

    fn scalar(&self, parts: &[&[u8]]) -> Result<Scalar> {
        group::hash_to_scalar_parts(parts, &self.hash_dst)
    }
}

/// The seed of `ComputeComposites` for chunk `chunk` of a batch.
fn seed(domain: &Domain<'_>, b_enc: &[u8; ELEMENT_LEN], chunk: usize) -> [u8; 64] {
    use sha2::{Digest, Sha512};
    let mut seed_dst = [b"Seed-".as_slice(), domain.context, domain.binding].concat();
    if chunk > 0 {
        seed_dst.extend_from_slice(b"chunk");
        seed_dst.extend_from_slice(&(chunk as u32).to_be_bytes());
    }
    let mut h = Sha512::new();
    h.update(i2osp2(ELEMENT_LEN));
    h.update(b_enc);
    h.update(i2osp2(seed_dst.len()));
    h.update(&seed_dst);
    h.finalize().into()
}

/// The weights `d[i]` of `ComputeComposites` for one chunk.
fn weights(hasher: &Hasher, seed: &[u8; 64], c: &[u8], d: &[u8]) -> Result<Vec<Scalar>> {
    let n = c.len() / ELEMENT_LEN;
    let parts = crate::crypto::par::map_ranges(n, TASK, |range| -> Result<Vec<Scalar>> {
        range
            .map(|i| {
                let at = i * ELEMENT_LEN..(i + 1) * ELEMENT_LEN;
                hasher.scalar(&[
                    &i2osp2(seed.len()),
                    seed,
                    &i2osp2(i),
                    &i2osp2(ELEMENT_LEN),
                    &c[at.clone()],
                    &i2osp2(ELEMENT_LEN),
                    &d[at],
                    b"Composite",
                ])
            })
            .collect()
    });
    let mut all = Vec::with_capacity(n);
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

/// `Σ weights[i] · points[i]` over public values, spread over threads.
fn composite(weights: &[Scalar], points: &[RistrettoPoint]) -> RistrettoPoint {
    crate::crypto::par::map_ranges(points.len(), TASK, |range| {
        RistrettoPoint::vartime_multiscalar_mul(&weights[range.clone()], &points[range])
    })
    .into_iter()
    .fold(RistrettoPoint::identity(), |acc, p| acc + p)
}

fn challenge(
    hasher: &Hasher,
    b_enc: &[u8; ELEMENT_LEN],
    m: &RistrettoPoint,
    z: &RistrettoPoint,
    t2: &RistrettoPoint,
    t3: &RistrettoPoint,
) -> Result<Scalar> {
    let [a0, a1, a2, a3] = [m, z, t2, t3].map(|p| p.compress().to_bytes());
    let len = i2osp2(ELEMENT_LEN);
    hasher.scalar(&[
        &len,
        b_enc,
        &len,
        &a0,
        &len,
        &a1,
        &len,
        &a2,
        &len,
        &a3,
        b"Challenge",
    ])
}

/// Proves that `d[i] = k·c[i]` for every pair, for the `k` with `b = k·a`
/// (`b_enc` is `b`'s encoding, `d` given by encodings only): the proofs
/// of every chunk, concatenated ([`proofs_len`] bytes).
///
/// # Errors
///
/// [`Error::CountMismatch`] when the two sides differ in length;
/// hashing errors for a context too long for a DST.
pub(crate) fn prove<R: CryptoRng + ?Sized>(
    domain: &Domain<'_>,
    k: &Scalar,
    a: &RistrettoPoint,
    b_enc: &[u8; ELEMENT_LEN],
    c: Elements<'_>,
    d_enc: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>> {
    prove_chunks(domain, k, a, b_enc, c, d_enc, || {
        Zeroizing::new(random_nonzero_scalar(rng))
    })
}

/// [`prove`] with each chunk's random scalar from `r`.
fn prove_chunks(
    domain: &Domain<'_>,
    k: &Scalar,
    a: &RistrettoPoint,
    b_enc: &[u8; ELEMENT_LEN],
    c: Elements<'_>,
    d_enc: &[u8],
    mut r: impl FnMut() -> Zeroizing<Scalar>,
) -> Result<Vec<u8>> {
    let n = c.points.len();
    check_sides(n, c.encoded, d_enc)?;
    let hasher = Hasher::new(domain.context)?;
    let mut proofs = Vec::with_capacity(proofs_len(n));
    for chunk in 0..proof_count(n) {
        let range = chunk * MAX_BATCH..((chunk + 1) * MAX_BATCH).min(n);
        let c = c.chunk(range.clone());
        let d = &d_enc[range.start * ELEMENT_LEN..range.end * ELEMENT_LEN];
        let seed = seed(domain, b_enc, chunk);
        let w = weights(&hasher, &seed, c.encoded, d)?;
        let m = composite(&w, c.points);
        proofs.extend_from_slice(&prove_composite(&hasher, k, a, b_enc, &m, &r())?);
    }
    Ok(proofs)
}

/// `GenerateProof` after `ComputeCompositesFast`, with the random scalar `r`.
fn prove_composite(
    hasher: &Hasher,
    k: &Scalar,
    a: &RistrettoPoint,
    b_enc: &[u8; ELEMENT_LEN],
    m: &RistrettoPoint,
    r: &Scalar,
) -> Result<[u8; PROOF_LEN]> {
    let z = m * k;
    let t2 = a * r;
    let t3 = m * r;
    let c = challenge(hasher, b_enc, m, &z, &t2, &t3)?;
    let s = Zeroizing::new(r - c * k);
    let mut proof = [0u8; PROOF_LEN];
    proof[..32].copy_from_slice(c.as_bytes());
    proof[32..].copy_from_slice(s.as_bytes());
    Ok(proof)
}

fn check_sides(n: usize, c: &[u8], d: &[u8]) -> Result<()> {
    if c.len() != n * ELEMENT_LEN || d.len() != c.len() {
        return Err(Error::CountMismatch {
            declared: n,
            actual: d.len() / ELEMENT_LEN,
        });
    }
    Ok(())
}

fn read_scalar(bytes: &[u8]) -> Result<Scalar> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::BadProof)?;
    Option::from(Scalar::from_canonical_bytes(arr)).ok_or(Error::BadProof)
}

/// Verifies the proofs of [`prove`]: that `d[i] = k·c[i]` for every pair,
/// for the `k` with `b = k·a`.
///
/// # Errors
///
/// [`Error::BadProof`] when the proofs have the wrong length, a scalar is
/// not canonical, or any chunk's proof fails; [`Error::CountMismatch`]
/// when the two sides differ in length.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify(
    domain: &Domain<'_>,
    a: &RistrettoPoint,
    b: &RistrettoPoint,
    b_enc: &[u8; ELEMENT_LEN],
    c: Elements<'_>,
    d: Elements<'_>,
    proofs: &[u8],
) -> Result<()> {
    let n = c.points.len();
    check_sides(n, c.encoded, d.encoded)?;
    if d.points.len() != n {
        return Err(Error::CountMismatch {
            declared: n,
            actual: d.points.len(),
        });
    }
    if proofs.len() != proofs_len(n) {
        return Err(Error::BadProof);
    }
    let hasher = Hasher::new(domain.context)?;
    for (chunk, proof) in proofs.chunks_exact(PROOF_LEN).enumerate() {
        let range = chunk * MAX_BATCH..((chunk + 1) * MAX_BATCH).min(n);
        let (c, d) = (c.chunk(range.clone()), d.chunk(range));
        let seed = seed(domain, b_enc, chunk);
        let w = weights(&hasher, &seed, c.encoded, d.encoded)?;
        let m = composite(&w, c.points);
        let z = composite(&w, d.points);
        let ch = read_scalar(&proof[..32])?;
        let s = read_scalar(&proof[32..])?;
        let t2 = RistrettoPoint::vartime_multiscalar_mul([s, ch], [*a, *b]);
        let t3 = RistrettoPoint::vartime_multiscalar_mul([s, ch], [m, z]);
        if challenge(&hasher, b_enc, &m, &z, &t2, &t3)? != ch {
            return Err(Error::BadProof);
        }
    }
    Ok(())
}

/// Decodes `n` consecutive encodings (validated) for a proof's batch.
pub(crate) fn decode_all(bytes: &[u8]) -> Result<Vec<RistrettoPoint>> {
    crate::crypto::par::try_map_chunks(bytes, ELEMENT_LEN, group::decode_element)
}

/// **Tests only**: [`prove`] of a batch of one chunk with a given random
/// scalar, to reproduce the RFC's vectors (`ProofRandomScalar`).
#[cfg(test)]
pub(crate) fn prove_with_r(
    domain: &Domain<'_>,
    k: &Scalar,
    a: &RistrettoPoint,
    b_enc: &[u8; ELEMENT_LEN],
    c: Elements<'_>,
    d_enc: &[u8],
    r: &Scalar,
) -> Result<Vec<u8>> {
    prove_chunks(domain, k, a, b_enc, c, d_enc, || Zeroizing::new(*r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    const DOMAIN: Domain<'static> = Domain {
        context: b"blindmatch-test",
        binding: b"session",
    };

    /// A batch `d[i] = k·c[i]`: the points and their encodings.
    struct Batch {
        c: Vec<RistrettoPoint>,
        ce: Vec<u8>,
        d: Vec<RistrettoPoint>,
        de: Vec<u8>,
    }

    impl Batch {
        fn new(n: usize, k: &Scalar, rng: &mut ChaCha20Rng) -> Self {
            let c: Vec<RistrettoPoint> = (0..n)
                .map(|_| RistrettoPoint::mul_base(&random_nonzero_scalar(rng)))
                .collect();
            let d: Vec<RistrettoPoint> = c.iter().map(|p| p * k).collect();
            Batch {
                ce: encode(&c),
                de: encode(&d),
                c,
                d,
            }
        }

        fn cs(&self) -> Elements<'_> {
            Elements {
                points: &self.c,
                encoded: &self.ce,
            }
        }

        fn ds(&self) -> Elements<'_> {
            Elements {
                points: &self.d,
                encoded: &self.de,
            }
        }
    }

    fn encode(v: &[RistrettoPoint]) -> Vec<u8> {
        v.iter().flat_map(|p| p.compress().to_bytes()).collect()
    }

    #[test]
    fn a_proof_verifies_and_binds_every_pair_key_and_domain() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let k = random_nonzero_scalar(&mut rng);
        let b = G * k;
        let b_enc = b.compress().to_bytes();
        for n in [1, 2, 17] {
            let batch = Batch::new(n, &k, &mut rng);
            let (cs, ds) = (batch.cs(), batch.ds());
            let proof = prove(&DOMAIN, &k, &G, &b_enc, cs, &batch.de, &mut rng).unwrap();
            assert_eq!(proof.len(), PROOF_LEN);
            verify(&DOMAIN, &G, &b, &b_enc, cs, ds, &proof).unwrap();
            // Another binding, another key, one pair changed, a bit flipped, a proof cut.
            let other = Domain {
                binding: b"other",
                ..DOMAIN
            };
            let refused =
                |domain: &Domain<'_>, b: &RistrettoPoint, ds: Elements<'_>, proof: &[u8]| {
                    verify(domain, &G, b, &b.compress().to_bytes(), cs, ds, proof)
                };
            assert_eq!(refused(&other, &b, ds, &proof), Err(Error::BadProof));
            assert_eq!(refused(&DOMAIN, &(b + G), ds, &proof), Err(Error::BadProof));
            let mut d2 = batch.d.clone();
            d2[n - 1] += G;
            let de2 = encode(&d2);
            let ds2 = Elements {
                points: &d2,
                encoded: &de2,
            };
            assert_eq!(refused(&DOMAIN, &b, ds2, &proof), Err(Error::BadProof));
            let mut bad = proof.clone();
            bad[40] ^= 1;
            assert_eq!(refused(&DOMAIN, &b, ds, &bad), Err(Error::BadProof));
            assert_eq!(refused(&DOMAIN, &b, ds, &proof[..63]), Err(Error::BadProof));
        }
    }

    #[test]
    fn a_batch_of_no_pairs_has_no_proof() {
        let k = Scalar::from(7u8);
        let b = G * k;
        let empty = Elements {
            points: &[],
            encoded: &[],
        };
        let p = prove(
            &DOMAIN,
            &k,
            &G,
            &b.compress().to_bytes(),
            empty,
            &[],
            &mut ChaCha20Rng::seed_from_u64(2),
        )
        .unwrap();
        assert!(p.is_empty());
        verify(&DOMAIN, &G, &b, &b.compress().to_bytes(), empty, empty, &p).unwrap();
    }

    #[test]
    fn long_batches_get_one_proof_per_chunk() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let k = random_nonzero_scalar(&mut rng);
        let b = G * k;
        let b_enc = b.compress().to_bytes();
        let batch = Batch::new(MAX_BATCH + 3, &k, &mut rng);
        let (cs, ds) = (batch.cs(), batch.ds());
        let proofs = prove(&DOMAIN, &k, &G, &b_enc, cs, &batch.de, &mut rng).unwrap();
        assert_eq!(proofs.len(), 2 * PROOF_LEN);
        verify(&DOMAIN, &G, &b, &b_enc, cs, ds, &proofs).unwrap();
        // The chunks' proofs are not interchangeable.
        let swapped = [&proofs[PROOF_LEN..], &proofs[..PROOF_LEN]].concat();
        assert_eq!(
            verify(&DOMAIN, &G, &b, &b_enc, cs, ds, &swapped),
            Err(Error::BadProof)
        );
    }
    /// RFC 9497 A.1.2: the VOPRF's proofs, reproduced from the vectors'
    /// key, elements and `ProofRandomScalar`, and verified.
    #[test]
    fn rfc9497_voprf_proof_vectors() {
        use crate::crypto::voprf_vectors::hex;
        let doc = crate::crypto::voprf_vectors::doc();
        let context = hex(&doc["contextString_hex"]);
        assert_eq!(context, b"OPRFV1-\x01-ristretto255-SHA512");
        let domain = Domain {
            context: &context,
            binding: b"",
        };
        let k = group::decode_nonzero_scalar(&hex(&doc["skSm"])).unwrap();
        let b_enc: [u8; 32] = hex(&doc["pkSm"]).try_into().unwrap();
        assert_eq!(RistrettoPoint::mul_base(&k).compress().to_bytes(), b_enc);
        let b = group::decode_element(&b_enc).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 3);
        for v in vectors {
            let cat = |key: &str| -> Vec<u8> {
                v[key].as_array().unwrap().iter().flat_map(&hex).collect()
            };
            let (ce, de) = (cat("BlindedElement"), cat("EvaluationElement"));
            let (c, d) = (decode_all(&ce).unwrap(), decode_all(&de).unwrap());
            let cs = Elements {
                points: &c,
                encoded: &ce,
            };
            let ds = Elements {
                points: &d,
                encoded: &de,
            };
            let r = group::decode_nonzero_scalar(&hex(&v["ProofRandomScalar"])).unwrap();
            let proof = prove_with_r(&domain, &k, &G, &b_enc, cs, &de, &r).unwrap();
            assert_eq!(proof, hex(&v["Proof"]));
            verify(&domain, &G, &b, &b_enc, cs, ds, &proof).unwrap();
        }
    }
}
