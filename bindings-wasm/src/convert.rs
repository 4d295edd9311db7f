//! Reading JavaScript values that every other module needs: the leaf of the
//! crate's module graph (it uses only `errors`), so that items, options and
//! records depend on it and not on each other in a cycle.

use js_sys::JsString;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::errors;

/// The string `v` holds, if it holds one; `what` names it in the error.
///
/// A JavaScript string with an unpaired surrogate has no UTF-8 form: the
/// conversion would turn every such surrogate into U+FFFD and make
/// different strings equal (a false match), so it is refused. Only strings
/// whose conversion shows a U+FFFD pay for the check.
pub(crate) fn string(
    v: &JsValue,
    what: impl FnOnce() -> String,
) -> Result<Option<String>, JsValue> {
    let Some(s) = v.as_string() else {
        return Ok(None);
    };
    if s.contains('\u{FFFD}') && !v.unchecked_ref::<JsString>().is_valid_utf16() {
        return Err(errors::arg(&format!(
            "{} has an unpaired surrogate, so it is not Unicode text; pass a Uint8Array for arbitrary bytes",
            what()
        )));
    }
    Ok(Some(s))
}
