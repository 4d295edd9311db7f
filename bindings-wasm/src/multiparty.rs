//! `MultiPartySession`, `MultiPartyMember` and `MultiPartyHub`: more than
//! two agencies through a counting hub (mirrors `blindmatch::multiparty`).
//! A member and a hub take many messages in turn; a refused message
//! (another session's, a replay, the wrong hop) throws and leaves them as
//! they were.

use std::sync::Arc;

use blindmatch::multiparty::{self as core, MultiOutcome};
use blindmatch::phase::Phase;
use blindmatch::receipt::Case;
use blindmatch::wire::MessageType;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::audit::{self, SigningKey};
use crate::errors::{self, IntoJs};
use crate::items::{self, index_array};
use crate::options::{Opts, js_options};
use crate::phase::{self, Machine};
use crate::records;
use crate::rng::Seed;
use crate::{ItemsArg, MultiPartyOptions, PartyCaseOptions};

js_options! {
    /// Options of a multi-party session (the hub's).
    MULTI_OPTIONS, MULTI_OPTIONS_TS: interface MultiPartyOptions {
        /// Agencies that must hold an item for it to be published: 2 to the number of agencies (default: all of them).
        threshold: "number",
        /// Whether the result states, per qualifying item, how many agencies hold it (default false).
        revealCounts: "boolean",
        /// The most distinct items one agency may bring (default 2^24).
        maxItems: "number",
    }
}

js_options! {
    /// The case a multi-party member or hub states in its receipts.
    CASE_OPTIONS, CASE_OPTIONS_TS: interface PartyCaseOptions {
        /// Case reference written into receipts (never sent to anyone).
        caseRef: "string",
        /// Legal basis written into receipts (never sent to anyone).
        legalBasis: "string",
    }
}

fn case(options: Option<&PartyCaseOptions>) -> Result<Case, JsValue> {
    audit::case(&Opts::new(
        options.map(AsRef::as_ref),
        "options",
        CASE_OPTIONS,
    )?)
}

/// A multi-party session, as the hub opens it: its id, the agencies in
/// ring order, the threshold. Send `toBytes()` to every agency.
///
/// ```js
/// const session = new MultiPartySession(["NL", "DE", "FR", "BE"], { threshold: 3 });
/// const bytes = session.toBytes();   // for every agency and the hub
/// ```
#[wasm_bindgen]
#[derive(Debug)]
pub struct MultiPartySession {
    inner: core::Session,
}

impl MultiPartySession {
    pub(crate) fn open(
        agencies: &Array,
        options: Option<&MultiPartyOptions>,
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let names = crate::options::strings(agencies.as_ref())
            .ok_or_else(|| errors::arg("agencies must be an array of strings"))?;
        let o = Opts::new(options.map(AsRef::as_ref), "session options", MULTI_OPTIONS)?;
        let threshold = o
            .uint("threshold", u64::from(u8::MAX))?
            .map_or(names.len(), |t| usize::try_from(t).unwrap_or(usize::MAX));
        let session =
            crate::seed_or_os!(seed, core::Session, new | new_with_rng(&names, threshold))
                .js()?
                .with_reveal_counts(o.bool("revealCounts")?.unwrap_or(false));
        let session = match o.uint("maxItems", u64::from(u32::MAX))? {
            Some(max) => session
                .with_max_items(usize::try_from(max).unwrap_or(usize::MAX))
                .js()?,
            None => session,
        };
        Ok(MultiPartySession { inner: session })
    }
}

#[wasm_bindgen]
impl MultiPartySession {
    /// Opens a session of `agencies` (3 to 64 distinct names, in ring order).
    #[wasm_bindgen(constructor)]
    pub fn new(
        agencies: &Array,
        options: Option<MultiPartyOptions>,
    ) -> Result<MultiPartySession, JsValue> {
        Self::open(agencies, options.as_ref(), None)
    }

    /// Decodes a session the hub sent.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<MultiPartySession, JsValue> {
        Ok(MultiPartySession {
            inner: core::Session::from_bytes(bytes).js()?,
        })
    }

    /// The session as bytes (message type `multi-session`).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.to_bytes()[..])
    }

    /// The session id (16 bytes).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.id()[..])
    }

    /// The agencies, in ring order.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn agencies(&self) -> Array {
        self.inner
            .agencies()
            .iter()
            .map(|a| JsValue::from_str(a))
            .collect()
    }

    /// Agencies that must hold an item for it to be published.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> usize {
        self.inner.threshold()
    }

    /// Whether the result states each qualifying item's count.
    #[wasm_bindgen(getter, js_name = revealCounts)]
    pub fn reveal_counts(&self) -> bool {
        self.inner.reveal_counts()
    }

    /// The most distinct items one agency may bring.
    #[wasm_bindgen(getter, js_name = maxItems)]
    pub fn max_items(&self) -> usize {
        self.inner.max_items()
    }

    /// The agency that must process a `multi-hop` message (its owner once
    /// the values went round: `complete`).
    pub fn route(&self, message: &[u8]) -> Result<String, JsValue> {
        Ok(self.inner.route(message).js()?.to_owned())
    }

    /// E.g. `MultiPartySession(NL,DE,FR,BE; threshold 3)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!(
            "MultiPartySession({}; threshold {})",
            self.inner.agencies().join(","),
            self.inner.threshold()
        )
    }
}

/// One agency of a multi-party session: the one class shell around the
/// core member ([`crate::phase::session_class!`]): `consume(message)` or
/// the named steps.
///
/// ```js
/// const m = new MultiPartyMember(items, sessionBytes, "NL");
/// send(m.nextAgency, m.start());            // this agency's values, round the ring
/// send(m.nextAgency, m.forward(msg));       // another agency's values passing through
/// m.complete(msg);                          // this agency's values, back
/// sendToHub(m.tags());
/// m.finish(result); m.matches; m.counts;    // items held by >= threshold agencies
/// ```
#[wasm_bindgen]
pub struct MultiPartyMember {
    /// Live until the result; done with the finished member (its
    /// commitment and tags stay readable) and what it learned.
    phase: Phase<core::Member, (core::Member, MultiOutcome)>,
    name: String,
    next: String,
    records: Option<Arc<blindmatch::records::RecordSet>>,
    case: Case,
}

impl std::fmt::Debug for MultiPartyMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MultiPartyMember({}, {})", self.name, self.phase.name())
    }
}

impl MultiPartyMember {
    pub(crate) fn join(
        items: &ItemsArg,
        session: &[u8],
        me: &str,
        options: Option<&PartyCaseOptions>,
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let session = core::Session::from_bytes(session).js()?;
        let items = items::extract(items.as_ref(), "items")?;
        let member = crate::seed_or_os!(
            seed,
            core::Member,
            new | new_with_rng(&session, me, &items.values)
        )
        .js()?;
        Ok(MultiPartyMember {
            name: member.name().to_owned(),
            next: member.next_agency().to_owned(),
            phase: Phase::Live(member),
            records: items.records,
            case: case(options)?,
        })
    }

    fn done(&self) -> Result<&MultiOutcome, JsValue> {
        Ok(&phase::done(&self.phase)?.1)
    }

    /// The member, waiting or finished.
    fn member(&self) -> Result<&core::Member, JsValue> {
        self.phase.party(|(m, _)| m).map_err(phase::refused)
    }
}

phase::session_class!(@machine MultiPartyMember, |_: &MultiPartyMember| |o| o);

#[wasm_bindgen]
impl MultiPartyMember {
    /// Joins the session (its bytes) as agency `me` with `items`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        items: &ItemsArg,
        session: &[u8],
        me: &str,
        options: Option<PartyCaseOptions>,
    ) -> Result<MultiPartyMember, JsValue> {
        Self::join(items, session, me, options.as_ref(), None)
    }

    /// This agency's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The agency every message of this member goes to (the next in the ring).
    #[wasm_bindgen(getter, js_name = nextAgency)]
    pub fn next_agency(&self) -> String {
        self.next.clone()
    }

    /// Whether every other agency's values went through this member.
    #[wasm_bindgen(getter, js_name = forwardedAll)]
    pub fn forwarded_all(&self) -> Result<bool, JsValue> {
        Ok(self.member()?.forwarded_all())
    }

    /// This agency's blinded items (hop 1), for `nextAgency`.
    pub fn start(&mut self) -> Result<Uint8Array, JsValue> {
        let hop = phase::mutate(&mut self.phase, core::Member::start)?;
        Ok(Uint8Array::from(&hop[..]))
    }

    /// This agency's commitment for the hub (after `start`): its public
    /// key, its count and the hash of its first batch.
    pub fn commitment(&self) -> Result<Uint8Array, JsValue> {
        Ok(Uint8Array::from(&self.member()?.commitment().js()?[..]))
    }

    /// Takes the hub's roster after checking that it states this agency's
    /// commitment; every hop is then checked against it.
    #[wasm_bindgen(js_name = acceptRoster)]
    pub fn accept_roster(&mut self, roster: &[u8]) -> Result<(), JsValue> {
        phase::mutate(&mut self.phase, |m| m.accept_roster(roster))
    }

    /// Checks another agency's values that pass through this member
    /// against the roster and the previous agency's proof, raises them and
    /// proves it; returns the message for `nextAgency`.
    pub fn forward(&mut self, message: &[u8]) -> Result<Uint8Array, JsValue> {
        let hop = phase::mutate(&mut self.phase, |m| m.forward(message))?;
        Ok(Uint8Array::from(&hop[..]))
    }

    /// Takes this agency's own values back after their trip round the ring.
    pub fn complete(&mut self, message: &[u8]) -> Result<(), JsValue> {
        phase::mutate(&mut self.phase, |m| m.complete(message))
    }

    /// The message for the hub: this agency's tags.
    pub fn tags(&self) -> Result<Uint8Array, JsValue> {
        Ok(Uint8Array::from(&self.member()?.tags().js()?[..]))
    }

    /// Reads the hub's result.
    pub fn finish(&mut self, result: &[u8]) -> Result<(), JsValue> {
        let wrong = "the result comes after this agency's tags: complete() first";
        self.step(result, Some(MessageType::MultiResult), wrong)?;
        Ok(())
    }

    /// Sorted indices into the items of those held by at least the threshold.
    #[wasm_bindgen(getter, unchecked_return_type = "number[]")]
    pub fn matches(&self) -> Result<Array, JsValue> {
        Ok(index_array(self.done()?.indices()))
    }

    /// For each of `matches`, how many agencies hold it (`undefined` unless
    /// the session reveals counts).
    #[wasm_bindgen(getter, unchecked_return_type = "number[] | undefined")]
    pub fn counts(&self) -> Result<JsValue, JsValue> {
        Ok(self.done()?.counts().map_or(JsValue::UNDEFINED, |c| {
            c.iter()
                .map(|&n| JsValue::from(n))
                .collect::<Array>()
                .into()
        }))
    }

    /// Number of distinct items of this agency that qualify.
    #[wasm_bindgen(getter)]
    pub fn cardinality(&self) -> Result<f64, JsValue> {
        #[allow(clippy::cast_precision_loss)]
        Ok(self.done()?.cardinality() as f64)
    }

    /// With a RecordSet as items: the records with a qualifying key.
    #[wasm_bindgen(getter = recordMatches, unchecked_return_type = "RecordMatch[]")]
    pub fn record_matches(&self) -> Result<Array, JsValue> {
        records::record_matches_at(self.records.as_ref(), self.done()?.indices())
    }

    /// E.g. `MultiPartyMember(NL, finished)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("{self:?}")
    }
}

audit::receipt_methods!(MultiPartyMember, |this: &MultiPartyMember| {
    Ok::<_, JsValue>(this.done()?.record.clone())
});

/// The counting hub of a multi-party session; it holds no secret. The one
/// class shell around the core hub: `consume(message, agency)` takes a
/// commitment or tags and returns the roster or the result once due.
///
/// ```js
/// const hub = new MultiPartyHub(sessionBytes);
/// hub.add("NL", tagsFromNL);     // and every other agency
/// const result = hub.result();   // the same bytes for every agency
/// ```
#[wasm_bindgen]
pub struct MultiPartyHub {
    /// Live while messages are due; done with the hub that published.
    phase: Phase<core::Hub, core::Hub>,
}

phase::session_class!(@machine MultiPartyHub, |_: &MultiPartyHub| |hub| hub);

impl MultiPartyHub {
    /// The hub, waiting or done.
    fn hub(&self) -> Result<&core::Hub, JsValue> {
        self.phase.party(|hub| hub).map_err(phase::refused)
    }

    /// One agency's message of `kind` (a misuse saying `wrong` when the
    /// hub does not take that kind now).
    fn take(
        &mut self,
        agency: &str,
        message: &[u8],
        (kind, wrong): (MessageType, &'static str),
    ) -> Result<(), JsValue> {
        self.step_from((message, Some(agency)), Some(kind), wrong)?;
        Ok(())
    }

    /// What the hub sent (`sent`), or the core's error for a message not
    /// due yet (`make`).
    fn sent(
        &mut self,
        sent: impl FnOnce(&core::Hub) -> Option<&[u8]>,
        make: impl FnOnce(&mut core::Hub) -> blindmatch::Result<Vec<u8>>,
    ) -> Result<Uint8Array, JsValue> {
        if let Some(message) = sent(self.hub()?) {
            return Ok(Uint8Array::from(message));
        }
        Ok(Uint8Array::from(&phase::mutate(&mut self.phase, make)?[..]))
    }
}

#[wasm_bindgen]
impl MultiPartyHub {
    /// A hub for the session (its bytes).
    #[wasm_bindgen(constructor)]
    pub fn new(session: &[u8]) -> Result<MultiPartyHub, JsValue> {
        let hub = core::Hub::new(core::Session::from_bytes(session).js()?);
        Ok(MultiPartyHub {
            phase: Phase::Live(hub),
        })
    }

    /// Agencies whose commitments (before the roster) or tags (after it)
    /// have not arrived yet.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn missing(&self) -> Result<Array, JsValue> {
        Ok(self
            .hub()?
            .missing()
            .into_iter()
            .map(JsValue::from_str)
            .collect())
    }

    /// Takes the commitment `agency` sent (the name of the channel it came through).
    pub fn commit(&mut self, agency: &str, commitment: &[u8]) -> Result<(), JsValue> {
        let wrong = "every commitment arrived: the roster is out";
        self.take(agency, commitment, (MessageType::MultiCommit, wrong))
    }

    /// The roster of every agency's commitment (the same bytes for all),
    /// once every commitment arrived.
    pub fn roster(&mut self) -> Result<Uint8Array, JsValue> {
        self.sent(core::Hub::sent_roster, core::Hub::roster)
    }

    /// Takes the tags `agency` sent (the name of the channel they came through).
    pub fn add(&mut self, agency: &str, tags: &[u8]) -> Result<(), JsValue> {
        let wrong = "tags come after the roster: every commitment first";
        self.take(agency, tags, (MessageType::MultiTags, wrong))
    }

    /// The result for every agency: the tags held by at least the threshold.
    pub fn result(&mut self) -> Result<Uint8Array, JsValue> {
        self.sent(core::Hub::sent_result, core::Hub::result)
    }

    /// Countersigns an agency's receipt after checking it against the
    /// hub's record of that agency.
    pub fn countersign(
        &self,
        receipt: &[u8],
        signer: &SigningKey,
        timestamp: Option<f64>,
    ) -> Result<Uint8Array, JsValue> {
        let signed = self
            .hub()?
            .countersign(receipt, &signer.inner, audit::timestamp(timestamp)?)
            .js()?;
        Ok(Uint8Array::from(&signed[..]))
    }

    /// E.g. `MultiPartyHub(missing 2)`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("{self:?}")
    }
}

impl std::fmt::Debug for MultiPartyHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.hub() {
            Ok(hub) => write!(f, "MultiPartyHub(missing {})", hub.missing().len()),
            Err(_) => write!(f, "MultiPartyHub({})", self.phase.name()),
        }
    }
}
