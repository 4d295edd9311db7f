//! Workloads shared by the criterion benches and the limit report: item
//! sets, the group operations that bound the protocol, and one full
//! balanced session.

use std::hint::black_box;
use std::time::{Duration, Instant};

use blindmatch::group::hash_to_group;
use blindmatch::psi::{Config, Initiator, Responder};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// `n` distinct e-mail-like items; `offset` shifts the range, so two sets
/// made with offsets 0 and n/2 share half their items.
pub fn items(n: usize, offset: usize) -> Vec<String> {
    (offset..offset + n)
        .map(|i| format!("suspect{i:08}@example.org"))
        .collect()
}

/// A seeded RNG for workloads.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Inputs for the group-operation measurements: messages, points, their
/// encodings, and a scalar.
#[derive(Debug)]
pub struct GroupInputs {
    /// Messages to hash.
    pub messages: Vec<String>,
    /// Random points.
    pub points: Vec<RistrettoPoint>,
    /// Their encodings.
    pub encodings: Vec<CompressedRistretto>,
    /// A random secret scalar.
    pub scalar: Scalar,
}

impl GroupInputs {
    /// Inputs of `n` elements each.
    pub fn new(n: usize) -> Self {
        let mut r = rng(1);
        let points: Vec<RistrettoPoint> = (0..n).map(|_| RistrettoPoint::random(&mut r)).collect();
        let encodings = points.iter().map(RistrettoPoint::compress).collect();
        GroupInputs {
            messages: items(n, 0),
            points,
            encodings,
            scalar: Scalar::random(&mut r),
        }
    }
}

/// The group operations whose cost bounds the protocol.
pub mod ops {
    use super::*;

    /// hash_to_ristretto255 of every message.
    pub fn hash_to_group_all(g: &GroupInputs) {
        for m in &g.messages {
            black_box(hash_to_group(m.as_bytes(), b"blindmatch-bench").ok());
        }
    }

    /// A variable-base scalar multiplication of every point.
    pub fn scalar_mul_all(g: &GroupInputs) {
        for p in &g.points {
            black_box(p * g.scalar);
        }
    }

    /// Decompression (with validation) of every encoding.
    pub fn decompress_all(g: &GroupInputs) {
        for e in &g.encodings {
            black_box(e.decompress());
        }
    }

    /// Compression of every point, one by one (one inversion each).
    pub fn compress_each(g: &GroupInputs) {
        for p in &g.points {
            black_box(p.compress());
        }
    }

    /// Batched compression (one inversion for the batch), of 2·P.
    pub fn compress_batch(g: &GroupInputs) {
        black_box(RistrettoPoint::double_and_compress_batch(&g.points));
    }
}

/// Runs `f` `reps` times and returns the median duration.
pub fn median_time(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// One full balanced session (both parties, output to both) between two
/// sets of `n` items sharing half; returns the shared count.
pub fn balanced_session(a: &[String], b: &[String], seed: u64) -> usize {
    let mut r = rng(seed);
    let config = Config::default();
    let mut run = || -> blindmatch::Result<usize> {
        let (initiator, request) = Initiator::new_with_rng(config.clone(), a, &mut r)?;
        let (responder, response) =
            Responder::new_with_rng(config.clone(), b, &mut r)?.respond(&request)?;
        let (finish, mine) = initiator.finish(&response)?;
        responder.finish(finish.as_deref())?;
        Ok(mine.cardinality())
    };
    match run() {
        Ok(c) => c,
        Err(e) => unreachable!("benchmark session failed: {e}"),
    }
}

/// What `f` returned, and how long it took.
///
/// # Errors
///
/// `f`'s.
pub fn timed<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<(T, std::time::Duration), E> {
    let t = std::time::Instant::now();
    let out = f()?;
    Ok((out, t.elapsed()))
}
