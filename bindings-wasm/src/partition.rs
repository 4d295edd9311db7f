//! Partitioned sessions (mirrors `blindmatch::partition`): the secret and
//! the part-level steps, for Web Workers (the browser tool's pool) and
//! Node.js worker threads. Every step is a pure function of (secret, part
//! index, part bytes); hand `secret.toBytes()` to your own workers only.

use blindmatch::partition::{self as core, PartInfo, PartKind};
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::errors::{self, IntoJs};
use crate::items::{self, index_array};
use crate::{ItemsArg, PsiOptions, psi};

fn kind(name: &str) -> Result<PartKind, JsValue> {
    PartKind::from_name(name).ok_or_else(|| {
        errors::arg(&format!(
            "kind must be \"request\", \"elements\", \"reblinded\" or \"finish\", not {name:?}"
        ))
    })
}

fn byte_arrays(value: &Array, what: &str) -> Result<Vec<Vec<u8>>, JsValue> {
    value
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.dyn_ref::<Uint8Array>()
                .map(Uint8Array::to_vec)
                .ok_or_else(|| errors::arg(&format!("{what}[{i}] must be a Uint8Array")))
        })
        .collect()
}

fn bytes(v: &[u8]) -> Uint8Array {
    Uint8Array::from(v)
}

/// A party's secret for a partitioned session: create it once, hand
/// `toBytes()` to your own workers only (never to the peer), rebuild it
/// there with `PartySecret.fromBytes`.
#[wasm_bindgen]
pub struct PartySecret {
    pub(crate) inner: core::PartySecret,
}

impl std::fmt::Debug for PartySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[wasm_bindgen]
impl PartySecret {
    /// The initiator's secret, for its items split into `parts` parts
    /// (options as a balanced PSI party's: `reveal`, `output`, limits).
    pub fn initiator(parts: u32, options: Option<PsiOptions>) -> Result<PartySecret, JsValue> {
        let (config, _) = psi::config(options.as_ref())?;
        Ok(PartySecret {
            inner: core::PartySecret::initiator(config, parts).js()?,
        })
    }

    /// The responder's secret, from the initiator's request manifest
    /// (checked against this party's mode and limits first).
    pub fn responder(
        request_manifest: &[u8],
        parts: u32,
        options: Option<PsiOptions>,
    ) -> Result<PartySecret, JsValue> {
        let (config, _) = psi::config(options.as_ref())?;
        Ok(PartySecret {
            inner: core::PartySecret::responder(config, parts, request_manifest).js()?,
        })
    }

    /// Rebuilds a secret from `toBytes()` (in a worker).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(secret: &[u8]) -> Result<PartySecret, JsValue> {
        Ok(PartySecret {
            inner: core::PartySecret::from_secret_bytes(secret).js()?,
        })
    }

    /// The secret as bytes, for this party's own workers. Treat it as a private key.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Uint8Array {
        bytes(&self.inner.to_secret_bytes())
    }

    /// The part of each item (numbers in `0..parts`), by this party's keyed hash.
    #[wasm_bindgen(js_name = partsOf, unchecked_return_type = "number[]")]
    pub fn parts_of(&self, items: &ItemsArg) -> Result<Array, JsValue> {
        let values = items::values(items.as_ref(), "items")?;
        Ok(values
            .iter()
            .map(|v| JsValue::from_f64(f64::from(self.inner.part_of(v))))
            .collect())
    }

    /// Builds (and keeps) the manifest of one of this party's steps from all its parts.
    pub fn manifest(&mut self, kind: &str, parts: &Array) -> Result<Uint8Array, JsValue> {
        let kind = self::kind(kind)?;
        let infos = byte_arrays(parts, "parts")?
            .iter()
            .map(|p| PartInfo::of(p))
            .collect::<Result<Vec<_>, _>>()
            .js()?;
        Ok(bytes(&self.inner.manifest(kind, &infos).js()?))
    }

    /// Accepts the peer's manifest (initiator: elements, then reblinded; responder: finish).
    pub fn accept(&mut self, manifest: &[u8]) -> Result<(), JsValue> {
        self.inner.accept(manifest).js()
    }

    /// How many parts the step of `kind` has (once the manifests it depends on are known).
    #[wasm_bindgen(js_name = partCount)]
    pub fn part_count(&self, kind: &str) -> Result<u32, JsValue> {
        self.inner.part_count(self::kind(kind)?).js()
    }

    /// The 16-byte session id.
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> Uint8Array {
        bytes(&self.inner.session_id())
    }

    /// This party's number of parts.
    #[wasm_bindgen(getter)]
    pub fn parts(&self) -> u32 {
        self.inner.parts()
    }

    /// `"initiator"` or `"responder"`.
    #[wasm_bindgen(getter)]
    pub fn role(&self) -> String {
        match self.inner.role() {
            core::Role::Initiator => "initiator",
            core::Role::Responder => "responder",
        }
        .to_owned()
    }

    /// The session's reveal mode: `"intersection"` or `"cardinality"`.
    #[wasm_bindgen(getter)]
    pub fn reveal(&self) -> String {
        self.inner.config().reveal.name().to_owned()
    }

    /// Who learns the result: `"both"` or `"initiator"`.
    #[wasm_bindgen(getter)]
    pub fn output(&self) -> String {
        self.inner.config().output.name().to_owned()
    }
}

/// A part-level step over a part's items (`request_part`, `elements_part`).
type ItemsStep = fn(&core::PartySecret, u32, &[Vec<u8>]) -> blindmatch::Result<Vec<u8>>;

/// One part-level step over a part's items.
fn items_step(
    secret: &PartySecret,
    index: u32,
    items: &ItemsArg,
    step: ItemsStep,
) -> Result<Uint8Array, JsValue> {
    let values = items::values(items.as_ref(), "items")?;
    Ok(bytes(&step(&secret.inner, index, &values).js()?))
}

/// One part's step over bytes the peer sent.
fn part_step(
    secret: &PartySecret,
    index: u32,
    part: &[u8],
    step: fn(&core::PartySecret, u32, &[u8]) -> blindmatch::Result<Vec<u8>>,
) -> Result<Uint8Array, JsValue> {
    Ok(bytes(&step(&secret.inner, index, part).js()?))
}

/// The four steps of one part (the party's own items, or the peer's part
/// of the same index), each an exported function.
macro_rules! part_functions {
    ($($(#[$doc:meta])* $name:ident = $js:ident($arg:ident: $ty:ty) => $helper:ident($core:expr);)+) => {$(
        $(#[$doc])*
        #[wasm_bindgen(js_name = $js)]
        pub fn $name(secret: &PartySecret, index: u32, $arg: $ty) -> Result<Uint8Array, JsValue> {
            $helper(secret, index, $arg, $core)
        }
    )+};
}

part_functions! {
    /// Initiator: request part `index` from that part's items.
    request_part = requestPart(items: &ItemsArg) => items_step(core::request_part::<Vec<u8>>);
    /// Responder: elements part `index` from that part's items.
    elements_part = elementsPart(items: &ItemsArg) => items_step(core::elements_part::<Vec<u8>>);
    /// Responder: reblinded part `index` from the initiator's request part `index`.
    reblind_part = reblindPart(request_part: &[u8]) => part_step(core::reblind_part);
    /// Initiator: finish part `index` from the responder's elements part `index`.
    finish_part = finishPart(elements_part: &[u8]) => part_step(core::finish_part);
}

/// Cardinality mode: mixed part `bucket` of `kind` from all aligned parts of that kind.
#[wasm_bindgen(js_name = mixPart)]
pub fn mix_part(
    secret: &PartySecret,
    kind: &str,
    bucket: u32,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] aligned: &Array,
) -> Result<Uint8Array, JsValue> {
    let aligned = byte_arrays(aligned, "aligned")?;
    let refs: Vec<&[u8]> = aligned.iter().map(Vec::as_slice).collect();
    Ok(bytes(
        &core::mix_part(&secret.inner, self::kind(kind)?, bucket, &refs).js()?,
    ))
}

/// Cardinality mode: matches in one bucket, from its reblinded and finish parts.
#[wasm_bindgen(js_name = countPart)]
pub fn count_part(
    secret: &PartySecret,
    bucket: u32,
    reblinded: &[u8],
    finish: &[u8],
) -> Result<f64, JsValue> {
    #[allow(clippy::cast_precision_loss)]
    Ok(core::count_part(&secret.inner, bucket, reblinded, finish).js()? as f64)
}

/// Intersection mode, reference join: `load(kind, index)` returns a part's
/// bytes; returns per part of this party's own items an array of flags for
/// `matchesPart`.
#[wasm_bindgen(unchecked_return_type = "boolean[][]")]
pub fn join(
    secret: &PartySecret,
    #[wasm_bindgen(unchecked_param_type = "(kind: string, index: number) => Uint8Array")]
    load: &Function,
    groups: Option<u32>,
) -> Result<Array, JsValue> {
    let mut failure: Option<JsValue> = None;
    let result = core::join(&secret.inner, groups.unwrap_or(1), |kind, index| {
        let got = load
            .call2(
                &JsValue::NULL,
                &JsValue::from_str(kind.name()),
                &JsValue::from_f64(f64::from(index)),
            )
            .and_then(|v| {
                v.dyn_into::<Uint8Array>()
                    .map(|b| b.to_vec())
                    .map_err(|_| errors::arg("load must return a Uint8Array"))
            });
        got.map_err(|e| {
            failure = Some(e);
            blindmatch::Error::Storage("load threw".to_owned())
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(result
        .js()?
        .into_iter()
        .map(|flags| flags.into_iter().map(JsValue::from_bool).collect::<Array>())
        .collect())
}

/// Intersection mode: positions in `items` (the part's items, any order) that matched.
#[wasm_bindgen(js_name = matchesPart, unchecked_return_type = "number[]")]
pub fn matches_part(
    secret: &PartySecret,
    index: u32,
    items: &ItemsArg,
    #[wasm_bindgen(unchecked_param_type = "boolean[]")] flags: &Array,
) -> Result<Array, JsValue> {
    let values = items::values(items.as_ref(), "items")?;
    let flags: Vec<bool> = flags.iter().map(|f| f.is_truthy()).collect();
    Ok(index_array(
        &core::matches_part(&secret.inner, index, &values, &flags).js()?,
    ))
}

/// Packs manifests and parts, in order, into one message (one file per
/// step for the browser tool; engines exchange a directory instead).
#[wasm_bindgen]
pub fn bundle(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] messages: &Array,
) -> Result<Uint8Array, JsValue> {
    let messages = byte_arrays(messages, "messages")?;
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    Ok(bytes(&core::bundle(&refs).js()?))
}

/// Unpacks a bundle: its manifests and parts, in order.
#[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
pub fn unbundle(bundle: &[u8]) -> Result<Array, JsValue> {
    Ok(core::unbundle(bundle)
        .js()?
        .into_iter()
        .map(|m| JsValue::from(bytes(m)))
        .collect())
}

/// The kind of a part or manifest (`"request"`, `"elements"`, `"reblinded"`, `"finish"`).
#[wasm_bindgen(js_name = partKind)]
pub fn part_kind(message: &[u8]) -> Result<String, JsValue> {
    Ok(core::kind_of(message).js()?.name().to_owned())
}
