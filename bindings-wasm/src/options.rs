//! Reading JavaScript option objects strictly: unknown keys and values of
//! the wrong type throw `invalid_argument` instead of being ignored, so a
//! typo such as `{revael: "cardinality"}` cannot silently change a mode.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::errors;

/// Declares a JavaScript options object once: the keys `Opts::new` accepts
/// (a `&[&str]` constant) and the TypeScript interface in the package's
/// declarations, each key with its type and documentation, so that the
/// parser and the types cannot disagree.
macro_rules! js_options {
    (
        $(#[doc = $idoc:literal])*
        $keys:ident, $section:ident: interface $name:ident {
            $( $(#[doc = $doc:literal])+ $key:ident : $ts:literal, )*
        }
    ) => {
        pub(crate) const $keys: &[&str] = &[$(stringify!($key)),*];

        #[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
        const $section: &'static str = concat!(
            "\n/**", $($idoc,)* " */\nexport interface ", stringify!($name), " {\n",
            $( "  /**", $($doc,)+ " */\n  ", stringify!($key), "?: ", $ts, ";\n", )*
            "}\n"
        );
    };
}
pub(crate) use js_options;

/// An options object (or `undefined`/`null`: every option at its default).
pub(crate) struct Opts {
    obj: Option<Object>,
    what: &'static str,
}

impl Opts {
    /// Checks that `value` is a plain object whose keys are all in `known`.
    pub(crate) fn new(
        value: Option<&JsValue>,
        what: &'static str,
        known: &[&str],
    ) -> Result<Self, JsValue> {
        let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
            return Ok(Opts { obj: None, what });
        };
        if !value.is_object() || Array::is_array(value) {
            return Err(errors::arg(&format!("{what} must be an object")));
        }
        let obj: Object = value.clone().unchecked_into();
        for key in Object::keys(&obj).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(errors::arg(&format!(
                    "{what}: unknown option {key:?}; known: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(Opts {
            obj: Some(obj),
            what,
        })
    }

    /// The value of `key`, `None` when absent, `undefined` or `null`.
    pub(crate) fn get(&self, key: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(obj) = &self.obj else {
            return Ok(None);
        };
        let v = Reflect::get(obj, &JsValue::from_str(key))?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    fn bad(&self, key: &str, expected: &str) -> JsValue {
        errors::arg(&format!("{}: {key} must be {expected}", self.what))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        match self.get(key)? {
            None => Ok(None),
            Some(v) => convert::string(&v, || format!("{}: {key}", self.what))?
                .map(Some)
                .ok_or_else(|| self.bad(key, "a string")),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, JsValue> {
        self.get(key)?
            .map(|v| v.as_bool().ok_or_else(|| self.bad(key, "a boolean")))
            .transpose()
    }

    /// A non-negative safe integer no larger than `max`.
    pub(crate) fn uint(&self, key: &str, max: u64) -> Result<Option<u64>, JsValue> {
        self.get(key)?
            .map(|v| {
                to_uint(&v, max).ok_or_else(|| self.bad(key, &format!("an integer in 0..={max}")))
            })
            .transpose()
    }

    pub(crate) fn bytes(&self, key: &str) -> Result<Option<Vec<u8>>, JsValue> {
        self.get(key)?
            .map(|v| {
                v.dyn_ref::<Uint8Array>()
                    .map(Uint8Array::to_vec)
                    .ok_or_else(|| self.bad(key, "a Uint8Array"))
            })
            .transpose()
    }

    /// An array of strings.
    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, JsValue> {
        self.get(key)?
            .map(|v| strings(&v).ok_or_else(|| self.bad(key, "an array of strings")))
            .transpose()
    }
}

/// A non-negative integer `<= max` (and a safe integer), from a number.
pub(crate) fn to_uint(v: &JsValue, max: u64) -> Option<u64> {
    let f = v.as_f64()?;
    // 2^53 - 1: beyond it a JS number is not an exact integer.
    let max = max.min((1u64 << 53) - 1);
    #[allow(clippy::cast_precision_loss)]
    let max_f = max as f64;
    if f.fract() != 0.0 || !(0.0..=max_f).contains(&f) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(f as u64)
}

/// An array of strings, or `None` if `v` is anything else.
pub(crate) fn strings(v: &JsValue) -> Option<Vec<String>> {
    if !Array::is_array(v) {
        return None;
    }
    Array::from(v).iter().map(|s| s.as_string()).collect()
}
