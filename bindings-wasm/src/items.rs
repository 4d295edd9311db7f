//! Items from JavaScript: an array of strings (matched by their UTF-8
//! bytes) or `Uint8Array`s, or a `RecordSet`.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::errors;
use crate::records;

pub(crate) use blindmatch::records::Items;

/// Reads `items`; `what` names the argument in error messages.
pub(crate) fn extract(items: &JsValue, what: &str) -> Result<Items, JsValue> {
    if let Some(rs) = records::lookup(items) {
        return Ok(Items {
            values: rs.keys().to_vec(),
            records: Some(rs),
        });
    }
    Ok(Items {
        values: values(items, what)?,
        records: None,
    })
}

/// An array of strings or `Uint8Array`s as bytes.
pub(crate) fn values(items: &JsValue, what: &str) -> Result<Vec<Vec<u8>>, JsValue> {
    if !Array::is_array(items) {
        return Err(errors::arg(&format!(
            "{what} must be an array of strings or Uint8Arrays (or a RecordSet)"
        )));
    }
    let array = Array::from(items);
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, v) in array.iter().enumerate() {
        if let Some(s) = convert::string(&v, || format!("{what}[{i}]"))? {
            out.push(s.into_bytes());
        } else if let Some(b) = v.dyn_ref::<Uint8Array>() {
            out.push(b.to_vec());
        } else {
            let t = v.js_typeof().as_string().unwrap_or_default();
            return Err(errors::arg(&format!(
                "{what}[{i}] is a {t}, expected a string or a Uint8Array"
            )));
        }
    }
    Ok(out)
}

/// A JavaScript array of the numbers in `indices`.
pub(crate) fn index_array(indices: &[usize]) -> Array {
    indices
        .iter()
        .map(|&i| {
            #[allow(clippy::cast_precision_loss)]
            JsValue::from_f64(i as f64)
        })
        .collect()
}
