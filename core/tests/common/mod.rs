//! What several of core's test files share (each uses a part of it).

#![allow(dead_code)]

use std::path::PathBuf;

use blindmatch::receipt::{self, Case, SessionRecord, SigningKey};
use serde_json::{Value, json};

/// The stored golden vectors `tests/vectors/<name>`, which must equal
/// `fresh`, the ones this build generates. `BLINDMATCH_BLESS=1` stores
/// `fresh` first: only for an intended wire change, since the Python and
/// JavaScript tests replay the file byte for byte.
pub(crate) fn golden(name: &str, fresh: &Value) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    if std::env::var_os("BLINDMATCH_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(fresh).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        &stored == fresh,
        "{name} differs from what this build writes: a wire change? bless it deliberately"
    );
    stored
}

/// The keys, times and case of the golden receipts (key a signs, key b
/// countersigns), shared by every golden file that holds receipts.
const SIGNING_KEY_A: [u8; 32] = [0x61; 32];
const SIGNING_KEY_B: [u8; 32] = [0x62; 32];
pub(crate) const SIGNED_AT: u64 = 1_780_000_000;
const COUNTERSIGNED_AT: u64 = 1_780_000_060;
const CASE_REF: &str = "NL-2026-0142";
const LEGAL_BASIS: &str = "MLAT art. 18";

/// Key a, key b and the case of the golden receipts.
pub(crate) fn receipt_keys() -> (SigningKey, SigningKey, Case) {
    (
        SigningKey::from_secret_bytes(&SIGNING_KEY_A).unwrap(),
        SigningKey::from_secret_bytes(&SIGNING_KEY_B).unwrap(),
        Case::new(CASE_REF, LEGAL_BASIS).unwrap(),
    )
}

/// The initiator's receipt of `a` (key a, at `SIGNED_AT`) and the same
/// countersigned by the responder (key b) after checking it against `b`.
pub(crate) fn golden_receipts(a: &SessionRecord, b: &SessionRecord) -> (Vec<u8>, Vec<u8>) {
    let (key_a, key_b, case) = receipt_keys();
    let signed = receipt::sign(a, &case, &key_a, SIGNED_AT).unwrap();
    let countersigned = receipt::countersign(&signed, &key_b, Some(b), COUNTERSIGNED_AT).unwrap();
    (signed, countersigned)
}

/// The "receipts" block of a golden file: the keys, times and case.
pub(crate) fn receipts_block(description: &str) -> Value {
    let (key_a, key_b, _) = receipt_keys();
    json!({
        "description": description,
        "signing_key_a": hex::encode(SIGNING_KEY_A),
        "signing_key_b": hex::encode(SIGNING_KEY_B),
        "public_key_a": key_a.public_key().to_string(),
        "public_key_b": key_b.public_key().to_string(),
        "signed_at": SIGNED_AT,
        "countersigned_at": COUNTERSIGNED_AT,
        "case_ref": CASE_REF,
        "legal_basis": LEGAL_BASIS,
    })
}
