//! What several of core's test files share.

use std::path::PathBuf;

use serde_json::Value;

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
