//! The RNG seed of the test-only constructors (`blindmatch.testing`). The
//! production classes take `Option<Seed>` and draw from the OS RNG on `None`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use zeroize::Zeroizing;

/// A 32-byte RNG seed from Python, wiped when dropped.
pub(crate) struct Seed(Zeroizing<[u8; 32]>);

impl Seed {
    pub(crate) fn from_py(bytes: &[u8]) -> PyResult<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(PyValueError::new_err("rng_seed must be exactly 32 bytes"));
        }
        seed.copy_from_slice(bytes);
        Ok(Seed(seed))
    }

    /// The seeded generator (its state is wiped on drop too).
    pub(crate) fn rng(&self) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(*self.0)
    }
}
