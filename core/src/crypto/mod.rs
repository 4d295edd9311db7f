//! The primitives every protocol stands on, with no protocol knowledge:
//! the ristretto255 group (hash-to-group, validated decoding), the RFC 9497
//! OPRF and its batched DLEQ proofs, Golomb-coded sets, transcript hashes,
//! the randomness source and batch parallelism.

pub mod dleq;
pub(crate) mod gcs;
pub mod group;
pub mod oprf;
pub(crate) mod par;
pub(crate) mod rng;
pub mod transcript;
