//! The RNG seed of the test-only constructors (`blindmatch.testing`). The
//! classes' constructors take no seed: each asks [`for_constructor`], which
//! is `None` (draw from the OS RNG) unless `_testing.seeded` is calling that
//! very constructor.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use zeroize::Zeroizing;

std::thread_local! {
    /// The seed `_testing.seeded` holds for the constructor it calls on
    /// this thread; taken (and so cleared) by the first constructor that
    /// asks, and cleared by `seeded` whatever happens.
    static FOR_CONSTRUCTOR: std::cell::RefCell<Option<Seed>> =
        const { std::cell::RefCell::new(None) };
}

/// The seed of the constructor running now: `None` (the OS RNG) outside
/// `blindmatch.testing`.
pub(crate) fn for_constructor() -> Option<Seed> {
    FOR_CONSTRUCTOR.with(|s| s.borrow_mut().take())
}

/// Runs `construct` with `seed` as the seed [`for_constructor`] hands out;
/// fails when the constructor never asked for it (an object that draws no
/// randomness, or a wrong class).
pub(crate) fn with_seed<T>(seed: Seed, construct: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    FOR_CONSTRUCTOR.with(|s| *s.borrow_mut() = Some(seed));
    let made = construct();
    let unused = for_constructor().is_some();
    let made = made?;
    if unused {
        return Err(PyValueError::new_err(
            "rng_seed: this constructor draws no randomness to seed",
        ));
    }
    Ok(made)
}

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
