//! `OprfKey`: the RFC 9497 (ristretto255-SHA512, mode OPRF) server key.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::errors::{self, IntoJs};

/// An RFC 9497 OPRF key (ristretto255-SHA512). The secret scalar is
/// zeroized when the key is freed and never appears in `toString()` or in
/// error messages.
#[wasm_bindgen]
#[derive(Debug)]
pub struct OprfKey(blindmatch::oprf::OprfKey);

impl OprfKey {
    pub(crate) fn inner(&self) -> &blindmatch::oprf::OprfKey {
        &self.0
    }

    pub(crate) fn from_core(key: blindmatch::oprf::OprfKey) -> Self {
        OprfKey(key)
    }
}

#[wasm_bindgen]
impl OprfKey {
    /// RFC 9497 DeriveKeyPair from a 32-byte seed and an info string.
    pub fn derive(seed: &[u8], info: &[u8]) -> Result<OprfKey, JsValue> {
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| errors::arg("seed must be exactly 32 bytes"))?;
        Ok(OprfKey(blindmatch::oprf::OprfKey::derive(seed, info).js()?))
    }

    /// A fresh random key (Web Crypto randomness).
    pub fn generate() -> Result<OprfKey, JsValue> {
        Ok(OprfKey(blindmatch::oprf::OprfKey::generate().js()?))
    }

    /// A key from its 32-byte secret scalar (as written by `toSecretBytes`).
    #[wasm_bindgen(js_name = fromSecretBytes)]
    pub fn from_secret_bytes(secret: &[u8]) -> Result<OprfKey, JsValue> {
        Ok(OprfKey(
            blindmatch::oprf::OprfKey::from_secret_bytes(secret).js()?,
        ))
    }

    /// The 32-byte secret scalar, to store the key. Handle it as a secret.
    #[wasm_bindgen(js_name = toSecretBytes)]
    pub fn to_secret_bytes(&self) -> Uint8Array {
        Uint8Array::from(&self.0.to_secret_bytes()[..])
    }

    /// The 32-byte public key (compressed ristretto255 element).
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.0.public_key()[..])
    }

    /// RFC 9497 Evaluate: the 64-byte PRF output for `input` (≤ 65,535 bytes).
    pub fn evaluate(&self, input: &[u8]) -> Result<Uint8Array, JsValue> {
        Ok(Uint8Array::from(&self.0.evaluate(input).js()?[..]))
    }

    /// `OprfKey(<redacted>)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "OprfKey(<redacted>)".to_owned()
    }
}
