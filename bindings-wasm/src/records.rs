//! `RecordSet`: records with typed identifier fields, canonicalized into
//! keys by the core (mirrors `blindmatch::records`).
//!
//! A protocol constructor must read a `RecordSet` passed among other item
//! types without taking it over (wasm-bindgen's own conversion of an
//! exported class from a `JsValue` moves it out of the JS object). So the
//! data lives in a per-thread table keyed by a handle that the JS object
//! exposes through a hidden getter; `free()` (or the finalizer) drops the
//! entry. The protocol objects keep their own snapshot (`Arc`), so later
//! additions to the set do not change a session under way.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use blindmatch::records::{self as core, Field, Kind, Options};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::errors::{self, IntoJs};
use crate::options::{self, Opts, js_options};
use crate::{FieldsArg, RecordSetOptions};

thread_local! {
    static SETS: RefCell<HashMap<u32, Arc<core::RecordSet>>> = RefCell::new(HashMap::new());
    static NEXT: Cell<u32> = const { Cell::new(1) };
}

const HANDLE: &str = "__blindmatchHandle";

/// The snapshot of the record set behind `v`, if `v` is a live `RecordSet`.
pub(crate) fn lookup(v: &JsValue) -> Option<Arc<core::RecordSet>> {
    if !v.is_object() || Array::is_array(v) {
        return None;
    }
    let handle = Reflect::get(v, &JsValue::from_str(HANDLE)).ok()?;
    let handle = u32::try_from(options::to_uint(&handle, u64::from(u32::MAX))?).ok()?;
    SETS.with(|s| s.borrow().get(&handle).cloned())
}

/// Every kind of identifier, by its tag: `email`, `phone`, `iban`, `name`,
/// `date_of_birth`, `document`, `ip`, `crypto_address`, `text`.
#[wasm_bindgen]
pub fn kinds() -> Vec<String> {
    Kind::ALL.iter().map(|k| k.tag().to_owned()).collect()
}

fn parse_kind(tag: &str) -> Result<Kind, JsValue> {
    tag.parse::<Kind>().map_err(|_| {
        errors::arg(&format!(
            "unknown identifier kind {tag:?}; known: {}",
            kinds().join(", ")
        ))
    })
}

fn parse_kinds(tags: &[String]) -> Result<Vec<Kind>, JsValue> {
    tags.iter().map(|t| parse_kind(t)).collect()
}

/// Records of identifiers (e-mail, phone, IBAN, name, …), canonicalized into
/// match keys; pass it wherever items go, then read `recordMatches`.
///
/// ```js
/// const rs = new RecordSet({ defaultRegion: "GB", composites: [["name", "date_of_birth"]] });
/// rs.add("case-17", { email: "John.Doe@Example.com", phone: "020 7946 0958", name: "John Doe" });
/// rs.errors; // [{ recordId, field, message }] for values that could not be read
/// ```
#[wasm_bindgen]
#[derive(Debug)]
pub struct RecordSet {
    handle: u32,
}

impl Drop for RecordSet {
    fn drop(&mut self) {
        // Ignore a table already torn down at thread exit.
        let _ = SETS.try_with(|s| s.borrow_mut().remove(&self.handle));
    }
}

impl RecordSet {
    fn with<R>(&self, f: impl FnOnce(&core::RecordSet) -> R) -> Result<R, JsValue> {
        SETS.with(|s| {
            s.borrow()
                .get(&self.handle)
                .map(|rs| f(rs))
                .ok_or_else(|| errors::state("the record set was freed"))
        })
    }

    fn with_mut<R>(&self, f: impl FnOnce(&mut core::RecordSet) -> R) -> Result<R, JsValue> {
        SETS.with(|s| {
            s.borrow_mut()
                .get_mut(&self.handle)
                .map(|rs| f(Arc::make_mut(rs)))
                .ok_or_else(|| errors::state("the record set was freed"))
        })
    }
}

/// Pushes the values of one field: a string, `{value, region}`, or an
/// array of those; `null`/`undefined` are skipped (a missing value).
fn values_of(
    kind: Kind,
    value: &JsValue,
    out: &mut Vec<(Kind, String, Option<String>)>,
    nested: bool,
) -> Result<(), JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(());
    }
    if let Some(s) = convert::string(value, || format!("a {kind} value"))? {
        out.push((kind, s, None));
        return Ok(());
    }
    if Array::is_array(value) {
        if nested {
            return Err(errors::arg(&format!(
                "{kind}: nested arrays are not allowed"
            )));
        }
        for v in Array::from(value).iter() {
            values_of(kind, &v, out, true)?;
        }
        return Ok(());
    }
    if value.is_object() {
        let o = Opts::new(Some(value), "a field value", &["value", "region"])?;
        let v = o.string("value")?.ok_or_else(|| {
            errors::arg(&format!("{kind}: {{value, region}} needs a string value"))
        })?;
        out.push((kind, v, o.string("region")?));
        return Ok(());
    }
    Err(errors::arg(&format!(
        "{kind}: expected a string, {{value, region}} or an array of them, got a {}",
        value.js_typeof().as_string().unwrap_or_default()
    )))
}

js_options! {
    /// How a RecordSet reads its values.
    RECORD_SET_OPTIONS, RECORD_SET_OPTIONS_TS: interface RecordSetOptions {
        /// ISO 3166 region for phone numbers and documents written without one, e.g. "GB".
        defaultRegion: "string",
        /// strftime-style format of dates of birth (default "%Y-%m-%d"); it needs a four-digit year.
        dateFormat: "string",
        /// Drop "+tag" from the local part of e-mail addresses (default false).
        emailDropPlusTag: "boolean",
        /// Composite keys, e.g. [["name", "date_of_birth"]]; the order of kinds does not matter.
        composites: "string[][]",
        /// Kinds that are keys on their own (default: every standalone kind but "name").
        singleKeys: "string[]",
        /// Apply Gmail's rules (dots, +tags, googlemail.com) to e-mail addresses (default false).
        emailProviderRules: "boolean",
        /// The years a date of birth may lie in, [first, last] (default [1900, 2100]).
        birthYears: "[number, number]",
    }
}

#[wasm_bindgen]
impl RecordSet {
    /// An empty record set. Throws `invalid_argument` for unknown options or
    /// kinds, `invalid_value` for an unknown region.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<RecordSetOptions>) -> Result<RecordSet, JsValue> {
        let o = Opts::new(
            options.as_ref().map(AsRef::as_ref),
            "RecordSet options",
            RECORD_SET_OPTIONS,
        )?;
        let mut opts = Options::default()
            .with_email_drop_plus_tag(o.bool("emailDropPlusTag")?.unwrap_or(false))
            .with_email_provider_rules(o.bool("emailProviderRules")?.unwrap_or(false));
        if let Some(f) = o.string("dateFormat")? {
            opts = opts.with_date_format(&f).js()?;
        }
        if let Some(years) = o.get("birthYears")? {
            let pair: Option<Vec<u64>> = Array::is_array(&years)
                .then(|| {
                    Array::from(&years)
                        .iter()
                        .map(|y| options::to_uint(&y, 9999))
                        .collect()
                })
                .flatten();
            let Some([first, last]) = pair
                .as_deref()
                .map(<[u64]>::to_vec)
                .and_then(|v| <[u64; 2]>::try_from(v).ok())
            else {
                return Err(errors::arg(
                    "RecordSet options: birthYears must be [first, last], two years",
                ));
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            {
                opts = opts.with_birth_years(first as i32, last as i32).js()?;
            }
        }
        if let Some(r) = o.string("defaultRegion")? {
            opts = opts.with_default_region(&r).js()?;
        }
        if let Some(keys) = o.strings("singleKeys")? {
            let wanted = parse_kinds(&keys)?;
            if let Some(k) = wanted.iter().find(|k| !k.is_standalone()) {
                return Err(errors::arg(&format!("{k} cannot be a key on its own")));
            }
            for k in Kind::ALL {
                opts = if wanted.contains(&k) {
                    opts.with_single_key(k).js()?
                } else {
                    opts.without_single_key(k)
                };
            }
        }
        let mut rs = core::RecordSet::new(opts);
        if let Some(c) = o.get("composites")? {
            let bad =
                || errors::arg("RecordSet options: composites must be an array of arrays of kinds");
            if !Array::is_array(&c) {
                return Err(bad());
            }
            for kinds in Array::from(&c).iter() {
                let kinds = options::strings(&kinds).ok_or_else(bad)?;
                rs.add_composite(&parse_kinds(&kinds)?).js()?;
            }
        }
        let handle = NEXT.with(|n| {
            let h = n.get();
            n.set(h.wrapping_add(1).max(1));
            h
        });
        SETS.with(|s| s.borrow_mut().insert(handle, Arc::new(rs)));
        Ok(RecordSet { handle })
    }

    /// Adds a composite key over `kinds` (e.g. `["name", "date_of_birth"]`),
    /// built for records added afterwards.
    #[wasm_bindgen(js_name = addComposite)]
    pub fn add_composite(&self, kinds: Vec<String>) -> Result<(), JsValue> {
        let kinds = parse_kinds(&kinds)?;
        self.with_mut(|rs| rs.add_composite(&kinds))?.js()
    }

    /// Adds one record: `fields` maps kinds to values (`null`/`undefined`
    /// for a missing value). Returns the number of keys the record gave;
    /// values that could not be read are listed in `errors`, never dropped
    /// silently.
    pub fn add(&self, record_id: &str, fields: &FieldsArg) -> Result<usize, JsValue> {
        let fields: &JsValue = fields.as_ref();
        if !fields.is_object() || Array::is_array(fields) {
            return Err(errors::arg(
                "fields must be an object mapping kinds to values",
            ));
        }
        let obj: &Object = fields.unchecked_ref();
        let mut values = Vec::new();
        for entry in Object::entries(obj).iter() {
            let entry = Array::from(&entry);
            let kind = parse_kind(&entry.get(0).as_string().unwrap_or_default())?;
            values_of(kind, &entry.get(1), &mut values, false)?;
        }
        let fields: Vec<Field<'_>> = values.iter().map(Field::from).collect();
        self.with_mut(|rs| rs.add(record_id, &fields))
    }

    /// Values that could not be canonicalized, in the order they were added.
    #[wasm_bindgen(getter, unchecked_return_type = "FieldError[]")]
    pub fn errors(&self) -> Result<Array, JsValue> {
        self.with(|rs| {
            rs.errors()
                .iter()
                .map(|e| {
                    let o = Object::new();
                    let _ = Reflect::set(&o, &"recordId".into(), &e.record_id.as_str().into());
                    let _ = Reflect::set(&o, &"field".into(), &e.field.as_str().into());
                    let _ = Reflect::set(&o, &"message".into(), &e.error.to_string().into());
                    JsValue::from(o)
                })
                .collect()
        })
    }

    /// The ids of the records, in the order they were added.
    #[wasm_bindgen(getter = recordIds)]
    pub fn record_ids(&self) -> Result<Vec<String>, JsValue> {
        self.with(|rs| rs.record_ids().to_vec())
    }

    /// The canonicalization profile (32 bytes): a hash of the composites and
    /// of every option that changes a key's bytes. It travels in the first
    /// message; a peer whose profile differs is refused (`profile_mismatch`).
    #[wasm_bindgen(getter)]
    pub fn profile(&self) -> Result<Uint8Array, JsValue> {
        self.with(|rs| Uint8Array::from(&rs.profile().to_bytes()[..]))
    }

    /// The number of distinct keys the records gave.
    #[wasm_bindgen(getter = keyCount)]
    pub fn key_count(&self) -> Result<usize, JsValue> {
        self.with(|rs| rs.keys().len())
    }

    /// The distinct canonical keys the records gave, in the order protocol
    /// indices refer to: for the part-level steps of a partitioned session,
    /// which take keys rather than a RecordSet. They are your own data;
    /// keep them as you keep the records.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn keys(&self) -> Result<Array, JsValue> {
        self.with(|rs| {
            rs.keys()
                .iter()
                .map(|k| JsValue::from(Uint8Array::from(&k[..])))
                .collect()
        })
    }

    /// `[{recordId, kinds}]` of the records whose keys at `indices` (into
    /// `keys()`) matched: how a partitioned session maps its results back.
    #[wasm_bindgen(js_name = recordMatchesAt, unchecked_return_type = "RecordMatch[]")]
    pub fn record_matches_at_js(&self, indices: Vec<u32>) -> Result<Array, JsValue> {
        let n = self.with(|rs| rs.keys().len())?;
        let mut idx: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        if idx.iter().any(|&i| i >= n) {
            return Err(errors::arg("recordMatchesAt: an index beyond keys()"));
        }
        idx.sort_unstable();
        idx.dedup();
        self.with(|rs| to_js(rs.record_matches_at(&idx)))
    }

    /// The number of records.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<usize, JsValue> {
        self.with(core::RecordSet::len)
    }

    #[doc(hidden)]
    #[wasm_bindgen(getter = __blindmatchHandle, skip_typescript)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// `RecordSet(N records, N keys, N errors)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> Result<String, JsValue> {
        self.with(|rs| {
            format!(
                "RecordSet({} records, {} keys, {} errors)",
                rs.len(),
                rs.keys().len(),
                rs.errors().len()
            )
        })
    }
}

/// `[{recordId, kinds}]` for matched key indices of any protocol; a state
/// error when the items were not a RecordSet.
pub(crate) fn record_matches_at(
    records: Option<&std::sync::Arc<core::RecordSet>>,
    indices: &[usize],
) -> Result<Array, wasm_bindgen::JsValue> {
    let rs =
        records.ok_or_else(|| crate::errors::state("recordMatches needs a RecordSet as items"))?;
    Ok(to_js(rs.record_matches_at(indices)))
}

/// `[{recordId, kinds}]` of matched records.
pub(crate) fn to_js(matches: Vec<core::RecordMatch>) -> Array {
    matches
        .into_iter()
        .map(|r| {
            let o = Object::new();
            let _ = Reflect::set(&o, &"recordId".into(), &r.record_id.into());
            let kinds: Array = r.kinds.iter().map(|k| JsValue::from_str(k)).collect();
            let _ = Reflect::set(&o, &"kinds".into(), &kinds);
            JsValue::from(o)
        })
        .collect()
}
