//! `SumInitiator` and `SumResponder`: intersection-sum (mirrors
//! `blindmatch::sum`), on the shared phase machine: misuse throws a
//! `StateError`, a failed session throws its error again.

use blindmatch::phase::Phase;
use blindmatch::receipt::Case;
use blindmatch::registry::parties::{SumInitiator as Initiating, SumResponder as Holding};
use blindmatch::sum::{self as core, Column, RevealSumTo, SumConfig, SumOutcome};
use blindmatch::wire::MessageType;
use js_sys::{Array, BigInt, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::audit;
use crate::errors::{self, IntoJs};
use crate::items::{self, Items};
use crate::options::{Opts, js_options, to_uint};
use crate::phase::{self, Machine};
use crate::rng::Seed;
use crate::{ItemsArg, SumOptions, SumValues};

js_options! {
    /// Options of an intersection-sum party; both must agree on `revealSumTo` and `minIntersection`.
    SUM_OPTIONS, SUM_OPTIONS_TS: interface SumOptions {
        /// Who learns the sums: both parties (default) or only the value holder.
        revealSumTo: r#""both" | "responder""#,
        /// Below this cardinality no sum is revealed (default 5; 0 reveals any sum).
        minIntersection: "number",
        /// Refuse a peer with more items than this (default 2^24).
        maxPeerItems: "number",
        /// Refuse a peer with fewer items than this (default 0).
        minPeerItems: "number",
        /// Value holder: values are below 2^valueBits (16, 32 (default), 48 or 64).
        valueBits: "number",
        /// Value holder: ε of the discrete-Laplace noise on the initiator's sums (with `noiseSensitivity`).
        noiseEpsilon: "number",
        /// Value holder: the largest value one item may have (the noise's sensitivity).
        noiseSensitivity: "number",
        /// Initiator: accept the value holder's noisy sums, which carry no
        /// proof of decryption (default false: a noisy result is refused
        /// with `BadProofError`).
        acceptNoisy: "boolean",
        /// Case reference written into this party's receipts (never sent to the peer).
        caseRef: "string",
        /// Legal basis written into this party's receipts (never sent to the peer).
        legalBasis: "string",
    }
}

/// The configuration and the receipts' case from a `SumOptions` object.
pub(crate) fn config(options: Option<&SumOptions>) -> Result<(SumConfig, Case), JsValue> {
    let o = Opts::new(options.map(AsRef::as_ref), "sum options", SUM_OPTIONS)?;
    Ok((settings(&o)?, audit::case(&o)?))
}

fn settings(o: &Opts) -> Result<SumConfig, JsValue> {
    let reveal = errors::choice(
        "revealSumTo",
        o.string("revealSumTo")?.as_deref(),
        RevealSumTo::Both,
    )?;
    let mut c = SumConfig::new(reveal);
    if let Some(min) = o.uint("minIntersection", u64::MAX)? {
        c = c.with_min_intersection(min);
    }
    if let Some(max) = o.uint("maxPeerItems", u64::from(u32::MAX))? {
        c = c.with_max_peer_items(usize::try_from(max).unwrap_or(usize::MAX));
    }
    if let Some(min) = o.uint("minPeerItems", u64::from(u32::MAX))? {
        c = c.with_min_peer_items(usize::try_from(min).unwrap_or(usize::MAX));
    }
    if let Some(bits) = o.uint("valueBits", 64)? {
        c = c.with_value_bits(u8::try_from(bits).unwrap_or(0));
    }
    if let Some(accept) = o.bool("acceptNoisy")? {
        c = c.with_accept_noisy(accept);
    }
    let epsilon = match o.get("noiseEpsilon")? {
        None => None,
        Some(e) => Some(
            e.as_f64()
                .ok_or_else(|| errors::arg("sum options: noiseEpsilon must be a number"))?,
        ),
    };
    c.with_noise_parts(epsilon, o.uint("noiseSensitivity", u64::MAX)?)
        .map_err(|_| errors::arg("sum options: noise needs both noiseEpsilon and noiseSensitivity"))
}

fn plain(items: Items) -> Result<Items, JsValue> {
    if items.records.is_some() {
        return Err(errors::arg(
            "intersection-sum takes identifiers (strings or bytes, one per value row), not a RecordSet: a record with several keys would count twice",
        ));
    }
    Ok(items)
}

/// One value: a safe integer number or a bigint, in 0..2^64.
fn value(v: &JsValue, column: &str) -> Result<u64, JsValue> {
    let bad = || {
        errors::arg(&format!(
            "values.{column}: values must be integers from 0 to 2^64 - 1 (numbers up to 2^53 - 1, or bigints)"
        ))
    };
    if v.is_bigint() {
        return u64::try_from(v.clone()).map_err(|_| bad());
    }
    to_uint(v, u64::MAX).ok_or_else(bad)
}

/// The columns of a `{name: values}` object (values: an array of numbers
/// or bigints, or a typed array).
fn columns(values: &JsValue) -> Result<Vec<Column>, JsValue> {
    let obj = values
        .dyn_ref::<Object>()
        .filter(|_| !Array::is_array(values))
        .ok_or_else(|| {
            errors::arg("values must be an object of column name to an array of integers")
        })?;
    let mut out = Vec::new();
    for entry in Object::entries(obj).iter() {
        let pair = Array::from(&entry);
        let name = pair.get(0).as_string().unwrap_or_default();
        let column = pair.get(1);
        let iter = js_sys::try_iter(&column)?.ok_or_else(|| {
            errors::arg(&format!(
                "values.{name} must be an array (or typed array) of integers"
            ))
        })?;
        let mut values = Vec::new();
        for v in iter {
            values.push(value(&v?, &name)?);
        }
        out.push(Column { name, values });
    }
    Ok(out)
}

fn sums_object(o: &SumOutcome) -> Result<JsValue, JsValue> {
    let Some(sums) = &o.sums else {
        return Ok(JsValue::UNDEFINED);
    };
    let obj = Object::new();
    for (name, v) in sums {
        Reflect::set(&obj, &JsValue::from_str(name), &BigInt::from(*v).into())?;
    }
    Ok(obj.into())
}

/// The party with identifiers only in an intersection-sum session: learns
/// the cardinality and (with `revealSumTo: "both"`, at or above
/// `minIntersection`) the sums of the value holder's columns over the
/// intersection; never which items matched. Secure against semi-honest
/// peers only; see SECURITY.md.
///
/// ```js
/// const a = new SumInitiator(accounts, { minIntersection: 10 });
/// const finish = a.finish(response);   // for the value holder
/// a.result(result);                    // the value holder's result message
/// a.cardinality; a.sums;               // number; { amount_eur: 1234567n, ... }
/// ```
#[wasm_bindgen]
pub struct SumInitiator {
    phase: Phase<Initiating, SumOutcome>,
    request: Vec<u8>,
    case: Case,
    /// The sums are revealed to the responder only: the session ends with
    /// `finish()`, and `result()` takes `undefined`.
    ends_at_finish: bool,
}

impl SumInitiator {
    pub(crate) fn start(
        items: Items,
        (config, case): (SumConfig, Case),
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let items = plain(items)?;
        let ends_at_finish = config.reveal_to == RevealSumTo::Responder;
        let (initiator, request) = crate::seed_or_os!(
            seed,
            core::Initiator,
            new | new_with_rng(config, &items.values)
        )
        .js()?;
        Ok(SumInitiator {
            phase: Phase::Live(Initiating::from(initiator)),
            request,
            case,
            ends_at_finish,
        })
    }
}

#[wasm_bindgen]
impl SumInitiator {
    /// Blinds the items and prepares the request.
    #[wasm_bindgen(constructor)]
    pub fn new(items: &ItemsArg, options: Option<SumOptions>) -> Result<SumInitiator, JsValue> {
        Self::start(
            items::extract(items.as_ref(), "items")?,
            config(options.as_ref())?,
            None,
        )
    }

    /// The request message for the value holder.
    pub fn request(&self) -> Uint8Array {
        Uint8Array::from(&self.request[..])
    }

    /// Matches the value holder's response; returns the finish message.
    pub fn finish(&mut self, response: &[u8]) -> Result<Uint8Array, JsValue> {
        self.answer(
            response,
            (MessageType::SumResponse, "finish() was already called"),
            "finish message",
        )
    }

    /// Reads the value holder's result (`undefined` when the sums are
    /// revealed to the responder only: the session ended with `finish()`)
    /// and checks its proofs of decryption.
    pub fn result(&mut self, result: Option<Vec<u8>>) -> Result<(), JsValue> {
        let wrong = "result() comes once, after finish()";
        if self.ends_at_finish && phase::done(&self.phase).is_ok() {
            return match result {
                None => Ok(()),
                Some(_) => Err(errors::core(blindmatch::Error::UnexpectedFinish(
                    "given: the sums are revealed to the responder only",
                ))),
            };
        }
        match result {
            Some(bytes) => self
                .step(&bytes, Some(MessageType::SumResult), wrong)
                .map(drop),
            // A result is due: its absence fails the session, as in core.
            None => {
                let take = |live| match live {
                    Initiating::Result(w) => Ok(w),
                    other => Err(other),
                };
                phase::step(&mut self.phase, take, wrong, |w| {
                    Ok((Phase::Done(w.result(None)?), ()))
                })
            }
        }
    }

    /// Distinct items in the intersection (known after `finish()`).
    #[wasm_bindgen(getter)]
    pub fn cardinality(&self) -> Result<f64, JsValue> {
        #[allow(clippy::cast_precision_loss)]
        match &self.phase {
            Phase::Live(Initiating::Result(w)) => Ok(w.cardinality() as f64),
            _ => Ok(phase::done(&self.phase)?.cardinality as f64),
        }
    }

    /// The sums by column name, as bigints (after `result()`); `undefined`
    /// when this party learns none.
    #[wasm_bindgen(getter, unchecked_return_type = "Record<string, bigint> | undefined")]
    pub fn sums(&self) -> Result<JsValue, JsValue> {
        sums_object(phase::done(&self.phase)?)
    }

    /// True when every sum came with a verified proof of decryption.
    #[wasm_bindgen(getter)]
    pub fn proven(&self) -> Result<bool, JsValue> {
        Ok(phase::done(&self.phase)?.proven)
    }

    /// True when the sums carry the value holder's noise.
    #[wasm_bindgen(getter)]
    pub fn noisy(&self) -> Result<bool, JsValue> {
        Ok(phase::done(&self.phase)?.noisy)
    }
}

/// The value holder in an intersection-sum session: identifiers and
/// columns of non-negative integers (an identifier given twice has its
/// values added up). It decrypts and learns the exact sums; with
/// `noiseEpsilon` and `noiseSensitivity` the initiator's sums carry
/// discrete-Laplace noise (and no proof).
///
/// ```js
/// const b = new SumResponder(accounts, { amount_eur: amounts }, { minIntersection: 10 });
/// const response = b.respond(request);
/// const result = b.finish(finish);     // for the initiator (undefined with revealSumTo: "responder")
/// b.sums;                               // { amount_eur: 1234567n }
/// ```
#[wasm_bindgen]
pub struct SumResponder {
    phase: Phase<Holding, SumOutcome>,
    case: Case,
}

impl SumResponder {
    pub(crate) fn start(
        items: Items,
        values: &JsValue,
        (config, case): (SumConfig, Case),
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let items = plain(items)?;
        let columns = columns(values)?;
        let responder = crate::seed_or_os!(
            seed,
            core::Responder,
            new | new_with_rng(config, &items.values, &columns)
        )
        .js()?;
        Ok(SumResponder {
            phase: Phase::Live(Holding::from(responder)),
            case,
        })
    }
}

#[wasm_bindgen]
impl SumResponder {
    /// Takes the items and their value columns (`{name: integers}`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        items: &ItemsArg,
        values: &SumValues,
        options: Option<SumOptions>,
    ) -> Result<SumResponder, JsValue> {
        Self::start(
            items::extract(items.as_ref(), "items")?,
            values.as_ref(),
            config(options.as_ref())?,
            None,
        )
    }

    /// Answers the request; returns the response message.
    pub fn respond(&mut self, request: &[u8]) -> Result<Uint8Array, JsValue> {
        self.answer(
            request,
            (MessageType::SumRequest, "respond() was already called"),
            "response",
        )
    }

    /// Decrypts the sums (at or above the minimum); returns the result
    /// message for the initiator, or `undefined` when it learns no sums.
    pub fn finish(&mut self, finish: &[u8]) -> Result<Option<Uint8Array>, JsValue> {
        let sent = self.step(
            finish,
            Some(MessageType::SumFinish),
            "finish() comes once, after respond()",
        )?;
        Ok(sent.first().map(|r| Uint8Array::from(&r[..])))
    }

    /// Distinct items in the intersection (after `finish()`).
    #[wasm_bindgen(getter)]
    pub fn cardinality(&self) -> Result<f64, JsValue> {
        #[allow(clippy::cast_precision_loss)]
        Ok(phase::done(&self.phase)?.cardinality as f64)
    }

    /// The exact sums by column name, as bigints; `undefined` below the minimum.
    #[wasm_bindgen(getter, unchecked_return_type = "Record<string, bigint> | undefined")]
    pub fn sums(&self) -> Result<JsValue, JsValue> {
        sums_object(phase::done(&self.phase)?)
    }
}

phase::session_class!(SumInitiator, |_: &SumInitiator| |o| o);
phase::session_class!(SumResponder, |_: &SumResponder| |o| o);
audit::receipt_methods!(SumInitiator, |this: &SumInitiator| {
    Ok::<_, JsValue>(phase::done(&this.phase)?.record.clone())
});
audit::receipt_methods!(SumResponder, |this: &SumResponder| {
    Ok::<_, JsValue>(phase::done(&this.phase)?.record.clone())
});
