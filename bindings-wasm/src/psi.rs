//! `Initiator` and `Responder`: balanced PSI (mirrors `blindmatch::psi`).
//!
//! The core states are consumed by each step; here they sit in the shared
//! [`Phase`] (see `phase.rs`), so a second `finish` or results read too
//! early throw a `StateError` (code `invalid_state`), and a failed session
//! throws its error again, instead of misbehaving.

use std::sync::Arc;

use blindmatch::phase::Phase;
use blindmatch::psi::{self as core, Config, Matches, Output, Proofs, Reveal};
use blindmatch::receipt::{Case, SessionRecord as CoreRecord};
use blindmatch::records::RecordSet;
use blindmatch::registry::parties::PsiResponder;
use blindmatch::wire::MessageType;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::audit;
use crate::errors::{self, IntoJs};
use crate::items::{self, Items, index_array};
use crate::options::{Opts, js_options};
use crate::phase::{self, Machine};
use crate::rng::Seed;
use crate::{ItemsArg, PsiOptions, records};

js_options! {
    /// Options of a balanced PSI party; both parties must agree on `reveal` and `output`.
    PSI_OPTIONS, PSI_OPTIONS_TS: interface PsiOptions {
        /// What the output reveals: the shared items (default) or only their
        /// number. "cardinality" holds against semi-honest peers only: a peer
        /// that blinds each item with its own exponent learns which of its
        /// items matched.
        reveal: r#""intersection" | "cardinality""#,
        /// Who learns it: both parties (default) or only the initiator.
        output: r#""both" | "initiator""#,
        /// "verify" (default): in intersection mode, check the proof that the
        /// peer raised each of our values with the key it stated, and prove
        /// ours. "trust_peer" drops the proofs: a peer that keys some values
        /// apart makes us miss exactly those items, undetected. Both parties
        /// must choose the same. Partitioned parties carry no proofs yet.
        proofs: r#""verify" | "trust_peer""#,
        /// Refuse a peer with more items than this (default 2^24).
        maxPeerItems: "number",
        /// Refuse a peer with fewer items than this (default 0).
        minPeerItems: "number",
        /// Case reference written into this party's receipts (free text, at most 1024 bytes).
        caseRef: "string",
        /// Legal basis written into this party's receipts (free text, at most 1024 bytes).
        legalBasis: "string",
    }
}

/// The configuration and case from a `PsiOptions` object.
pub(crate) fn config(options: Option<&PsiOptions>) -> Result<(Config, Case), JsValue> {
    let o = Opts::new(options.map(AsRef::as_ref), "PSI options", PSI_OPTIONS)?;
    let reveal = errors::choice(
        "reveal",
        o.string("reveal")?.as_deref(),
        Reveal::Intersection,
    )?;
    let output = errors::choice("output", o.string("output")?.as_deref(), Output::Both)?;
    let proofs = errors::choice("proofs", o.string("proofs")?.as_deref(), Proofs::Verify)?;
    let mut c = Config::new(reveal, output).with_proofs(proofs);
    if let Some(max) = o.uint("maxPeerItems", u64::from(u32::MAX))? {
        c = c.with_max_peer_items(usize::try_from(max).unwrap_or(usize::MAX));
    }
    if let Some(min) = o.uint("minPeerItems", u64::from(u32::MAX))? {
        c = c.with_min_peer_items(usize::try_from(min).unwrap_or(usize::MAX));
    }
    Ok((c, audit::case(&o)?))
}

/// The result of a finished party.
struct Done {
    matches: Option<Matches>,
    records: Option<Arc<RecordSet>>,
    record: CoreRecord,
}

impl Done {
    fn new(matches: Option<Matches>, record: CoreRecord, records: Option<Arc<RecordSet>>) -> Self {
        Done {
            matches,
            records,
            record,
        }
    }

    fn get(&self) -> Result<&Matches, JsValue> {
        self.matches.as_ref().ok_or_else(|| {
            errors::state("this party receives no output in this mode (output: \"initiator\")")
        })
    }

    fn record_matches(&self) -> Result<Array, JsValue> {
        records::record_matches_at(self.records.as_ref(), self.get()?.indices())
    }
}

/// The result getters and receipts of a party type with a `phase`.
macro_rules! party_results {
    ($t:ident) => {
        #[wasm_bindgen]
        impl $t {
            /// Sorted indices into the items that are shared (`[]` in cardinality mode).
            #[wasm_bindgen(getter, unchecked_return_type = "number[]")]
            pub fn matches(&self) -> Result<Array, JsValue> {
                Ok(index_array(phase::done(&self.phase)?.get()?.indices()))
            }

            /// The number of distinct shared items.
            #[wasm_bindgen(getter)]
            pub fn cardinality(&self) -> Result<usize, JsValue> {
                Ok(phase::done(&self.phase)?.get()?.cardinality())
            }

            /// `[{recordId, kinds}]` of my records that matched, when the items were a `RecordSet`.
            #[wasm_bindgen(getter = recordMatches, unchecked_return_type = "RecordMatch[]")]
            pub fn record_matches(&self) -> Result<Array, JsValue> {
                phase::done(&self.phase)?.record_matches()
            }
        }
    };
}

party_results!(Initiator);
party_results!(Responder);
audit::receipt_methods!(Initiator, |this: &Initiator| {
    Ok::<_, JsValue>(phase::done(&this.phase)?.record.clone())
});
audit::receipt_methods!(Responder, |this: &Responder| {
    Ok::<_, JsValue>(phase::done(&this.phase)?.record.clone())
});
phase::session_class!(Initiator, |this: &Initiator| {
    let records = this.records.clone();
    move |o: core::InitiatorOutcome| Done::new(Some(o.matches), o.record, records)
});
phase::session_class!(Responder, |this: &Responder| {
    let records = this.records.clone();
    move |o: core::ResponderOutcome| Done::new(o.matches, o.record, records)
});

/// The initiator of a balanced PSI session: sends the request, receives the
/// response, and (unless only it learns the output) sends the finish message.
///
/// `reveal: "cardinality"` is secure against semi-honest peers only: a peer
/// that blinds each item with its own exponent learns which of its items
/// matched (n_I · n_R exponentiations). It is no defence against a peer you
/// do not trust; see SECURITY.md.
///
/// ```js
/// const a = new Initiator(["alice@example.com", "+441632960001"], { reveal: "intersection", output: "both" });
/// const request = a.request();          // Uint8Array for the responder
/// const finish = a.finish(response);    // Uint8Array, or undefined with output: "initiator"
/// a.matches;                            // sorted indices into the items
/// ```
#[wasm_bindgen]
pub struct Initiator {
    phase: Phase<core::Initiator, Done>,
    request: Vec<u8>,
    records: Option<Arc<RecordSet>>,
    case: Case,
}

impl Initiator {
    /// Starts a session; `seed` only from `blindmatch/testing`.
    pub(crate) fn start(
        items: Items,
        (config, case): (Config, Case),
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let config = config.with_profile(items.profile());
        let (initiator, request) = crate::seed_or_os!(
            seed,
            core::Initiator,
            new | new_with_rng(config, &items.values)
        )
        .js()?;
        Ok(Initiator {
            phase: Phase::Live(initiator),
            request,
            records: items.records,
            case,
        })
    }
}

#[wasm_bindgen]
impl Initiator {
    /// Blinds the items and prepares the request. Throws `invalid_argument`
    /// for bad items or options, `input_too_long` for an item over 65,535 bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(items: &ItemsArg, options: Option<PsiOptions>) -> Result<Initiator, JsValue> {
        let config = config(options.as_ref())?;
        Self::start(items::extract(items.as_ref(), "items")?, config, None)
    }

    /// The request message for the responder.
    pub fn request(&self) -> Uint8Array {
        Uint8Array::from(&self.request[..])
    }

    /// Processes the responder's response; returns the finish message for
    /// the responder, or `undefined` when only the initiator learns the
    /// output. Throws a `ProtocolError` for a bad response (the session is
    /// then failed) and a `StateError` when called twice.
    pub fn finish(&mut self, response: &[u8]) -> Result<Option<Uint8Array>, JsValue> {
        let sent = self.step(response, Some(MessageType::PsiResponse), "")?;
        Ok(sent.first().map(|f| Uint8Array::from(&f[..])))
    }
}

/// The responder of a balanced PSI session: answers the request, then
/// processes the initiator's finish message.
///
/// ```js
/// const b = new Responder(itemsB, { reveal: "intersection", output: "both" });
/// const response = b.respond(request);
/// b.finish(finish);                     // finish is undefined with output: "initiator"
/// b.matches;
/// ```
#[wasm_bindgen]
pub struct Responder {
    phase: Phase<PsiResponder, Done>,
    records: Option<Arc<RecordSet>>,
    case: Case,
}

impl Responder {
    /// Prepares a responder; `seed` only from `blindmatch/testing`.
    pub(crate) fn start(
        items: Items,
        (config, case): (Config, Case),
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let config = config.with_profile(items.profile());
        let responder = crate::seed_or_os!(
            seed,
            core::Responder,
            new | new_with_rng(config, &items.values)
        )
        .js()?;
        Ok(Responder {
            phase: Phase::Live(PsiResponder::from(responder)),
            records: items.records,
            case,
        })
    }
}

#[wasm_bindgen]
impl Responder {
    /// Blinds the items. Throws `invalid_argument` for bad items or options.
    #[wasm_bindgen(constructor)]
    pub fn new(items: &ItemsArg, options: Option<PsiOptions>) -> Result<Responder, JsValue> {
        let config = config(options.as_ref())?;
        Self::start(items::extract(items.as_ref(), "items")?, config, None)
    }

    /// Answers the initiator's request; returns the response message. The
    /// responder then waits for the finish message, or for `finish(undefined)`
    /// when only the initiator learns the output.
    pub fn respond(&mut self, request: &[u8]) -> Result<Uint8Array, JsValue> {
        let take = |live| match live {
            PsiResponder::Request(r) => Ok(r),
            other => Err(other),
        };
        let response = phase::step(&mut self.phase, take, "respond() was already called", |r| {
            let (next, response) = r.respond(request)?;
            Ok((Phase::Live(PsiResponder::Finish(Box::new(next))), response))
        })?;
        Ok(Uint8Array::from(&response[..]))
    }

    /// Processes the initiator's finish message (`undefined` or `null` when
    /// only the initiator learns the output).
    pub fn finish(&mut self, finish: Option<Vec<u8>>) -> Result<(), JsValue> {
        let wrong = "respond() must come first";
        if let Some(bytes) = finish {
            return self
                .step(&bytes, Some(MessageType::PsiFinish), wrong)
                .map(drop);
        }
        // No finish message: the session ends here when only the initiator
        // learns the output, and fails (as in core) when one was due.
        let records = self.records.clone();
        let take = |live| match live {
            PsiResponder::Finish(w) => Ok(w),
            other => Err(other),
        };
        phase::step(&mut self.phase, take, wrong, |w| {
            let o = w.conclude(None)?;
            Ok((Phase::Done(Done::new(o.matches, o.record, records)), ()))
        })
    }
}
