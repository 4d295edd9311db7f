//! Seeds for `blindmatch/testing`: the production classes take none (the
//! core draws from `crypto.getRandomValues` through getrandom), and a
//! seeded object exists only through the hidden `__testing*` exports.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use zeroize::Zeroizing;

use crate::errors;

/// A 32-byte RNG seed from JavaScript, wiped when dropped.
pub(crate) struct Seed(Zeroizing<[u8; 32]>);

impl Seed {
    /// Copies exactly 32 bytes; anything else is `invalid_argument`.
    pub(crate) fn from_js(bytes: &[u8]) -> Result<Self, wasm_bindgen::JsValue> {
        if bytes.len() != 32 {
            return Err(errors::arg("rngSeed must be exactly 32 bytes"));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(bytes);
        Ok(Seed(seed))
    }

    /// The seeded generator (its state is wiped on drop too).
    pub(crate) fn rng(&self) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(*self.0)
    }
}
