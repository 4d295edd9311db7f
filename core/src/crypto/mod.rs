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

/// RFC 9497 A.1.2's VOPRF vectors, for the unit tests of the OPRF and of
/// its proofs.
#[cfg(test)]
pub(crate) mod voprf_vectors {
    /// The vectors file, as JSON.
    pub(crate) fn doc() -> serde_json::Value {
        serde_json::from_str(include_str!(
            "../../tests/vectors/voprf_ristretto255_sha512.json"
        ))
        .unwrap()
    }

    /// A hex string of the vectors, as bytes.
    pub(crate) fn hex(v: &serde_json::Value) -> Vec<u8> {
        hex::decode(v.as_str().unwrap()).unwrap()
    }
}
