//! Randomness: `crypto.getRandomValues` seeds a ChaCha20 generator per
//! protocol object (the core's RNG of choice), or a caller's 32-byte seed
//! does, for reproducible tests.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::errors;

#[wasm_bindgen]
extern "C" {
    // Web Crypto: a global in browsers, workers and Node.js >= 19.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// A generator seeded from `seed` (exactly 32 bytes) or from Web Crypto.
pub(crate) fn rng(seed: Option<Vec<u8>>) -> Result<ChaCha20Rng, JsValue> {
    let mut s = Zeroizing::new([0u8; 32]);
    match seed {
        Some(bytes) => {
            let bytes = Zeroizing::new(bytes);
            if bytes.len() != 32 {
                return Err(errors::arg("rngSeed must be exactly 32 bytes"));
            }
            s.copy_from_slice(&bytes);
        }
        None => {
            get_random_values(&mut s[..]).map_err(|_| errors::core(blindmatch::Error::Rng))?;
        }
    }
    Ok(ChaCha20Rng::from_seed(*s))
}
