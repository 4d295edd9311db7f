//! Waiting sessions saved to a file and resumed later (mirrors
//! `blindmatch::state`): what the browser tool's "Save session" and
//! "Resume session" use. The format is the core's, the one the
//! `blindmatch` command writes.

use blindmatch::records::RecordIndex as CoreIndex;
use blindmatch::state::{self as core, PartitionedParty, SavedSession, Waiting};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::errors::{self, IntoJs};
use crate::partition::PartySecret;
use crate::{items, records};

fn arrays(values: &[Vec<u8>]) -> Array {
    values
        .iter()
        .map(|v| JsValue::from(Uint8Array::from(&v[..])))
        .collect()
}

/// Which record and kind each saved item came from: names the matched
/// records after a resumed session (`recordMatchesAt`, as a RecordSet's).
#[wasm_bindgen]
#[derive(Debug)]
pub struct RecordIndex {
    inner: CoreIndex,
}

#[wasm_bindgen]
impl RecordIndex {
    /// `[{recordId, kinds}]` of the records whose items at `indices` matched.
    #[wasm_bindgen(js_name = recordMatchesAt, unchecked_return_type = "RecordMatch[]")]
    pub fn record_matches_at(&self, indices: Vec<u32>) -> Result<Array, JsValue> {
        let mut idx: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        if idx.iter().any(|&i| i >= self.inner.len()) {
            return Err(errors::arg(
                "recordMatchesAt: an index beyond the saved items",
            ));
        }
        idx.sort_unstable();
        idx.dedup();
        Ok(records::to_js(self.inner.record_matches_at(&idx)))
    }

    /// The ids of the records, in the order they were added.
    #[wasm_bindgen(getter, js_name = recordIds)]
    pub fn record_ids(&self) -> Vec<String> {
        self.inner.record_ids().to_vec()
    }

    /// The number of items it maps.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }
}

/// Saves a partitioned session's coordinator between two steps: its
/// secret, its own items, the parts it keeps for its last step, and (with
/// `records`, the RecordSet the items came from) what names the matched
/// records. The bytes hold secrets: `seal` them before they leave memory.
#[wasm_bindgen(js_name = savePartySession)]
pub fn save_party_session(
    secret: &PartySecret,
    #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<string | Uint8Array>")] items: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "ReadonlyArray<Uint8Array>")] kept: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "RecordSet | undefined")] records: &JsValue,
) -> Result<Uint8Array, JsValue> {
    let items = items::values(items, "items")?;
    let kept = items::values(kept, "kept")?;
    let index = if records.is_undefined() || records.is_null() {
        None
    } else {
        Some(
            records::lookup(records)
                .ok_or_else(|| errors::arg("records must be a RecordSet or undefined"))?
                .index(),
        )
    };
    if let Some(index) = &index
        && index.len() != items.len()
    {
        return Err(errors::arg("records: a RecordSet whose keys are the items"));
    }
    let secret =
        blindmatch::partition::PartySecret::from_secret_bytes(&secret.inner.to_secret_bytes())
            .js()?;
    let saved = SavedSession::new(
        Waiting::Partitioned(PartitionedParty::new(secret, items, kept)),
        index,
    );
    Ok(Uint8Array::from(&saved.to_bytes()[..]))
}

/// Restores what `savePartySession` saved: `{secret, items, kept,
/// records}` (`records` is a RecordIndex, or undefined). Throws a
/// `BadStateError` for a damaged state or one of another kind.
#[wasm_bindgen(js_name = restorePartySession, unchecked_return_type = "SavedPartySession")]
pub fn restore_party_session(bytes: &[u8]) -> Result<Object, JsValue> {
    let saved = SavedSession::from_bytes(bytes).js()?;
    let Waiting::Partitioned(party) = saved.waiting else {
        return Err(errors::core(blindmatch::Error::BadState(
            "not a browser tool session (saved by the blindmatch command?)",
        )));
    };
    let o = Object::new();
    let secret =
        blindmatch::partition::PartySecret::from_secret_bytes(&party.secret.to_secret_bytes())
            .js()?;
    let _ = Reflect::set(
        &o,
        &"secret".into(),
        &JsValue::from(PartySecret { inner: secret }),
    );
    let _ = Reflect::set(&o, &"items".into(), &arrays(&party.items));
    let _ = Reflect::set(&o, &"kept".into(), &arrays(&party.kept));
    let records = saved.records.map_or(JsValue::UNDEFINED, |inner| {
        JsValue::from(RecordIndex { inner })
    });
    let _ = Reflect::set(&o, &"records".into(), &records);
    Ok(o)
}

/// Encrypts `bytes` (a saved session) under `passphrase`: Argon2id (64 MiB,
/// 3 passes) and XChaCha20-Poly1305, fresh salt and nonce.
#[wasm_bindgen]
pub fn seal(bytes: &[u8], passphrase: &str) -> Result<Uint8Array, JsValue> {
    Ok(Uint8Array::from(
        &core::seal(bytes, passphrase.as_bytes()).js()?[..],
    ))
}

/// Decrypts what `seal` wrote. Throws a `WrongPassphraseError` for a wrong
/// passphrase or a changed file, a `BadStateError` for a file that is not
/// sealed.
#[wasm_bindgen]
pub fn unseal(bytes: &[u8], passphrase: &str) -> Result<Uint8Array, JsValue> {
    Ok(Uint8Array::from(
        &core::unseal(bytes, passphrase.as_bytes()).js()?[..],
    ))
}

/// Whether `bytes` start like a sealed file.
#[wasm_bindgen(js_name = isSealed)]
pub fn is_sealed(bytes: &[u8]) -> bool {
    core::is_sealed(bytes)
}
