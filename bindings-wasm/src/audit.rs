//! `SigningKey`, `Receipt` and `SessionRecord` (mirror
//! `blindmatch::receipt`), and the case a party carries for its receipts.
//! The SQLite ledger is not part of the WebAssembly build: a browser has no
//! file a court could be shown; receipts are what it can sign and keep.

use blindmatch::receipt::{self, Case, PublicKey};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::errors::{self, IntoJs};
use crate::options::Opts;

/// Seconds since the Unix epoch, from the JavaScript clock.
fn now() -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = (js_sys::Date::now() / 1000.0) as u64;
    s
}

/// A timestamp argument: `undefined` for now, else whole seconds.
pub(crate) fn timestamp(t: Option<f64>) -> Result<u64, JsValue> {
    match t {
        None => Ok(now()),
        Some(t) => crate::options::to_uint(&JsValue::from_f64(t), u64::MAX)
            .ok_or_else(|| errors::arg("timestamp must be whole seconds since 1970, >= 0")),
    }
}

/// The case of a party, from its options' `caseRef` and `legalBasis`.
pub(crate) fn case(o: &Opts) -> Result<Case, JsValue> {
    Case::new(
        o.string("caseRef")?.unwrap_or_default(),
        o.string("legalBasis")?.unwrap_or_default(),
    )
    .js()
}

/// An Ed25519 key that signs receipts. Its secret never appears in
/// `toString()`; keep `toSecretBytes()` like any private key.
#[wasm_bindgen]
pub struct SigningKey {
    pub(crate) inner: receipt::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[wasm_bindgen]
impl SigningKey {
    /// A fresh key from `crypto.getRandomValues`.
    pub fn generate() -> Result<SigningKey, JsValue> {
        Ok(SigningKey {
            inner: receipt::SigningKey::generate().js()?,
        })
    }

    /// Loads a key from its 32-byte secret.
    #[wasm_bindgen(js_name = fromSecretBytes)]
    pub fn from_secret_bytes(secret: &[u8]) -> Result<SigningKey, JsValue> {
        Ok(SigningKey {
            inner: receipt::SigningKey::from_secret_bytes(secret).js()?,
        })
    }

    /// The 32-byte secret.
    #[wasm_bindgen(js_name = toSecretBytes)]
    pub fn to_secret_bytes(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.to_secret_bytes()[..])
    }

    /// The 32-byte public key, which verifies this key's signatures.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.public_key().to_bytes()[..])
    }

    /// `SigningKey(<public key in hex>)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("SigningKey({})", self.inner.public_key())
    }
}

/// A finished party's record of its session (from `party.sessionRecord`),
/// against which `Receipt.countersign` checks the peer's receipt.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub(crate) inner: receipt::SessionRecord,
    pub(crate) case: Case,
}

#[wasm_bindgen]
impl SessionRecord {
    /// SHA-512 over every message of the exchange (64 bytes).
    #[wasm_bindgen(getter, js_name = transcriptHash)]
    pub fn transcript_hash(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.transcript[..])
    }

    /// Signs a receipt of this record under the party's case, at
    /// `timestamp` (seconds; now when `undefined`).
    pub fn sign(&self, signer: &SigningKey, timestamp: Option<f64>) -> Result<Uint8Array, JsValue> {
        let signed = receipt::sign(
            &self.inner,
            &self.case,
            &signer.inner,
            self::timestamp(timestamp)?,
        )
        .js()?;
        Ok(Uint8Array::from(&signed[..]))
    }
}

fn public_keys(keys: &Array) -> Result<Vec<PublicKey>, JsValue> {
    keys.iter()
        .map(|k| {
            let bytes = k
                .dyn_ref::<Uint8Array>()
                .ok_or_else(|| errors::arg("keys must be an array of Uint8Array public keys"))?
                .to_vec();
            PublicKey::from_bytes(&bytes).js()
        })
        .collect()
}

/// Signed receipts of an exchange (static methods over receipt bytes).
/// A party's `receipt(signer)` signs one; the peer checks it against its
/// own record and countersigns it; anyone with both public keys verifies
/// it. A receipt holds counts and hashes, never an identifier.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Receipt;

#[wasm_bindgen]
impl Receipt {
    /// Countersigns the peer's receipt. With `expect` (your own
    /// `party.sessionRecord`), first checks that the receipt states the same
    /// exchange (transcript hash, session, roles, sizes, cardinality);
    /// without it you vouch for facts you did not check. `expectCaseRef`
    /// and `expectLegalBasis` (the case you were told this exchange is
    /// for) are checked against the receipt's when given. A
    /// countersignature is never dated before the signature. Throws
    /// `ReceiptMismatchError` or `BadSignatureError`.
    pub fn countersign(
        receipt: &[u8],
        signer: &SigningKey,
        expect: Option<SessionRecord>,
        timestamp: Option<f64>,
        expect_case_ref: Option<String>,
        expect_legal_basis: Option<String>,
    ) -> Result<Uint8Array, JsValue> {
        let signed = receipt::countersign_expecting(
            receipt,
            &signer.inner,
            expect.as_ref().map(|r| &r.inner),
            receipt::ExpectCase {
                case_ref: expect_case_ref.as_deref(),
                legal_basis: expect_legal_basis.as_deref(),
            },
            self::timestamp(timestamp)?,
        )
        .js()?;
        Ok(Uint8Array::from(&signed[..]))
    }

    /// Verifies a receipt: every key in `keys` signed it and nobody else
    /// did. Returns its fields (the keys of its JSON rendering); throws
    /// `BadSignatureError` or a decoding error on any change.
    pub fn verify(receipt: &[u8], keys: &Array) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&Self::to_json(receipt, keys)?)
    }

    /// Verifies a receipt as `verify` does and renders it as JSON for the record.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(receipt: &[u8], keys: &Array) -> Result<String, JsValue> {
        let keys = public_keys(keys)?;
        Ok(receipt::verify(receipt, &keys).js()?.to_json())
    }
}

/// The evidence getters of a class whose finished session has a core
/// record: `sessionRecord`, `transcriptHash` and `receipt(signer,
/// timestamp)`, signed with the `case` the object was made with.
/// `$record(&self)` returns the record (or the error of an unfinished
/// object).
macro_rules! receipt_methods {
    ($t:ident, $record:expr) => {
        #[wasm_bindgen]
        impl $t {
            /// This party's record of the finished session, for
            /// `Receipt.countersign(r, signer, record)`.
            #[wasm_bindgen(getter, js_name = sessionRecord)]
            pub fn session_record(&self) -> Result<$crate::audit::SessionRecord, JsValue> {
                Ok($crate::audit::SessionRecord {
                    inner: ($record)(self)?,
                    case: self.case.clone(),
                })
            }

            /// SHA-512 over the session's messages (64 bytes), as the record
            /// states it; the peer (the hub, the server) holds the same.
            #[wasm_bindgen(getter, js_name = transcriptHash)]
            pub fn transcript_hash(&self) -> Result<js_sys::Uint8Array, JsValue> {
                Ok(js_sys::Uint8Array::from(&($record)(self)?.transcript[..]))
            }

            /// Signs a receipt of the finished session with the `caseRef`
            /// and `legalBasis` given at construction, at `timestamp`
            /// (seconds since 1970; now when `undefined`). A multi-party
            /// member's receipt is for the hub to countersign.
            pub fn receipt(
                &self,
                signer: &$crate::audit::SigningKey,
                timestamp: Option<f64>,
            ) -> Result<js_sys::Uint8Array, JsValue> {
                self.session_record()?.sign(signer, timestamp)
            }
        }
    };
}
pub(crate) use receipt_methods;
