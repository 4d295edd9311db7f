//! `UnbalancedServer` and `UnbalancedClient`: labeled, reusable PSI over
//! RFC 9497 (mirrors `blindmatch::unbalanced`).

use std::sync::Arc;

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey as CoreKey;
use blindmatch::phase::Phase;
use blindmatch::receipt::Case;
use blindmatch::records::RecordSet;
use blindmatch::registry::parties::{Served, WatchlistQuery};
use blindmatch::session::party::Party;
use blindmatch::unbalanced::{self as core, ClientConfig, ServerConfig, UnbalancedMatches};
use blindmatch::wire::MessageType;
use js_sys::{Array, Map, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::audit;
use crate::errors::{self, IntoJs};
use crate::items::{self, Items, index_array};
use crate::oprf::OprfKey;
use crate::options::{Opts, js_options};
use crate::phase::{self, Machine};
use crate::rng::Seed;
use crate::{ClientOptions, ItemsArg, ServerOptions, records};

js_options! {
    /// Options of an unbalanced PSI server.
    SERVER_OPTIONS, SERVER_OPTIONS_TS: interface ServerOptions {
        /// A label per item (same length as the items), revealed for matched items only.
        labels: "ReadonlyArray<string | Uint8Array>",
        /// False-positive rate 2^-fprBits of the set digest (default 40).
        fprBits: "number",
        /// Required, no default: elements each client id may have evaluated
        /// per key epoch, or "unlimited". Budgets live in this object's
        /// memory only (a rebuilt server starts every client afresh); the
        /// durable ledger is in the Python package and the `blindmatch` command.
        queryBudget: r#"number | "unlimited""#,
        /// Largest query accepted (default 2^20 items).
        maxQueryItems: "number",
    }
}

js_options! {
    /// Options of an unbalanced PSI client.
    CLIENT_OPTIONS, CLIENT_OPTIONS_TS: interface ClientOptions {
        /// Address the query to this 16-byte key epoch (from the server's digest).
        epoch: "Uint8Array",
        /// Case reference written into this client's receipts.
        caseRef: "string",
        /// Legal basis written into this client's receipts.
        legalBasis: "string",
    }
}

/// The server of unbalanced PSI: holds the large set, publishes its digest
/// once per key epoch and answers each client's query.
///
/// ```js
/// const server = new UnbalancedServer(items, { labels, queryBudget: 10000 });
/// const digest = server.digest();             // reusable by every client of this key
/// const answer = server.answer(client.query(), "agency-b");
/// const [same] = server.consume(query, "agency-b");   // the one class shell
/// ```
#[wasm_bindgen]
#[derive(Debug)]
pub struct UnbalancedServer {
    inner: core::Server,
}

#[wasm_bindgen]
impl UnbalancedServer {
    /// Evaluates the OPRF on every item under a fresh random key and builds
    /// the set digest. Throws `invalid_argument` for bad options and
    /// `invalid_value` for labels that do not fit the items.
    #[wasm_bindgen(constructor)]
    pub fn new(
        items: &ItemsArg,
        options: Option<ServerOptions>,
    ) -> Result<UnbalancedServer, JsValue> {
        Self::build(CoreKey::generate().js()?, items, options.as_ref(), None)
    }

    /// Like the constructor, under an existing key (e.g. one restored with
    /// `OprfKey.fromSecretBytes`): the same key gives the same epoch, so a
    /// digest published before a restart stays valid (a rebuilt digest
    /// seals its labels under a fresh salt, so its bytes differ).
    #[wasm_bindgen(js_name = withKey)]
    pub fn with_key(
        key: &OprfKey,
        items: &ItemsArg,
        options: Option<ServerOptions>,
    ) -> Result<UnbalancedServer, JsValue> {
        Self::build(key.inner().clone(), items, options.as_ref(), None)
    }
}

impl UnbalancedServer {
    /// Builds the server; `seed` (for the label salt) only from
    /// `blindmatch/testing`.
    pub(crate) fn build(
        key: CoreKey,
        items: &ItemsArg,
        options: Option<&ServerOptions>,
        seed: Option<Seed>,
    ) -> Result<UnbalancedServer, JsValue> {
        let o = Opts::new(options.map(AsRef::as_ref), "server options", SERVER_OPTIONS)?;
        let items = items::extract(items.as_ref(), "items")?;
        let labels = o
            .get("labels")?
            .map(|l| items::values(&l, "labels"))
            .transpose()?;
        let budget = match o.get("queryBudget")? {
            None => {
                return Err(errors::arg(
                    "server options: queryBudget is required (a number of elements per client, or \"unlimited\")",
                ));
            }
            Some(v) if v.as_string().as_deref() == Some("unlimited") => Budget::Unlimited,
            Some(_) => Budget::Limited(
                o.uint("queryBudget", u64::MAX)
                    .map_err(|_| errors::arg("server options: queryBudget must be a non-negative integer or \"unlimited\""))?
                    .unwrap_or(0),
            ),
        };
        let mut config = ServerConfig::new(budget).with_profile(items.profile());
        if let Some(bits) = o.uint("fprBits", u64::from(u8::MAX))? {
            config = config.with_fpr_bits(u8::try_from(bits).unwrap_or(u8::MAX));
        }
        if let Some(max) = o.uint("maxQueryItems", u64::from(u32::MAX))? {
            config = config.with_max_query_items(usize::try_from(max).unwrap_or(usize::MAX));
        }
        let values = items.values;
        let inner = crate::seed_or_os!(
            seed,
            core::Server,
            new | new_with_rng(key, &values, labels.as_deref(), config)
        )
        .js()?;
        Ok(UnbalancedServer { inner })
    }
}

#[wasm_bindgen]
impl UnbalancedServer {
    /// The set digest (message type `set-digest`) that clients need to finish.
    pub fn digest(&self) -> Uint8Array {
        Uint8Array::from(self.inner.digest())
    }

    /// The 16-byte key epoch id.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.epoch()[..])
    }

    /// The OPRF key (a copy), to store with `toSecretBytes` for a restart.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> OprfKey {
        OprfKey::from_core(self.inner.key().clone())
    }

    /// Answers a client's query, counting it against `clientId`'s budget
    /// (default `"default"`). Throws `budget_exceeded`, `epoch_mismatch` or
    /// another `ProtocolError` for a bad query.
    pub fn answer(
        &mut self,
        query: &[u8],
        client_id: Option<String>,
    ) -> Result<Uint8Array, JsValue> {
        let sent = self.step_from(
            (query, client_id.as_deref()),
            Some(MessageType::UnbalancedQuery),
            "not a query",
        )?;
        phase::reply(&sent, "answer")
    }

    /// Elements `clientId` may still have evaluated in this epoch (`undefined`: unlimited).
    #[wasm_bindgen(js_name = remainingBudget)]
    pub fn remaining_budget(&self, client_id: &str) -> Result<Option<f64>, JsValue> {
        #[allow(clippy::cast_precision_loss)]
        Ok(self
            .inner
            .remaining_budget(client_id)
            .js()?
            .map(|b| b as f64))
    }
}

/// The server answers every client for ever, through the core's session
/// machine: a query from `sender` ("default" when none is named, as for
/// `answer()`), charged to its budget, and the answer back; it never
/// finishes.
impl Machine for UnbalancedServer {
    fn step_from(
        &mut self,
        (query, sender): (&[u8], Option<&str>),
        _kind: Option<MessageType>,
        _wrong: &'static str,
    ) -> Result<Vec<Vec<u8>>, JsValue> {
        match Served::from(&self.inner).consume_from(sender.unwrap_or("default"), query) {
            Ok(step) => Ok(step.send),
            Err(refused) => Err(errors::core(refused.error)),
        }
    }

    fn expects(&self) -> Array {
        std::iter::once(JsValue::from_str(MessageType::UnbalancedQuery.name())).collect()
    }
}

phase::machine_methods!(UnbalancedServer);

/// A set digest decoded and validated once. A client that finishes many
/// queries against one epoch passes it to `finishWith`, which skips the
/// decoding, so each query's work no longer grows with the server's set.
///
/// ```js
/// const decoded = new SetDigest(server.digest());   // once per epoch
/// client.finishWith(answer, decoded);
/// ```
#[wasm_bindgen]
#[derive(Debug)]
pub struct SetDigest {
    inner: Arc<core::SetDigest>,
}

#[wasm_bindgen]
impl SetDigest {
    /// Decodes and validates a digest (from `UnbalancedServer.digest()`).
    /// Throws a `ProtocolError` (`malformed`, `wrong_message_type`, …) for
    /// bytes that are not a valid digest.
    #[wasm_bindgen(constructor)]
    pub fn new(digest: &[u8]) -> Result<SetDigest, JsValue> {
        let inner = Arc::new(core::SetDigest::from_bytes(digest).js()?);
        Ok(SetDigest { inner })
    }

    /// The number of items in the server's set.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// The 16-byte key epoch id.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.epoch()[..])
    }

    /// The server's 32-byte VOPRF public key: every answer's proof is
    /// checked against it before the client finishes.
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Uint8Array {
        Uint8Array::from(&self.inner.public_key()[..])
    }

    /// The false-positive rate exponent: 2^-fprBits per client item.
    #[wasm_bindgen(getter, js_name = fprBits)]
    pub fn fpr_bits(&self) -> u8 {
        self.inner.fpr_bits()
    }

    /// Whether the server attached a label to each item.
    #[wasm_bindgen(getter, js_name = hasLabels)]
    pub fn has_labels(&self) -> bool {
        self.inner.has_labels()
    }

    /// `SetDigest(<items> items, 2^-<bits> false positives[, labeled])`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.inner.to_string()
    }
}

impl UnbalancedClient {
    /// Blinds the items; `seed` only from `blindmatch/testing`.
    pub(crate) fn start(
        items: Items,
        options: Option<&ClientOptions>,
        seed: Option<Seed>,
    ) -> Result<Self, JsValue> {
        let o = Opts::new(options.map(AsRef::as_ref), "client options", CLIENT_OPTIONS)?;
        let mut config = ClientConfig::default().with_profile(items.profile());
        if let Some(e) = o.bytes("epoch")? {
            let e = <[u8; 16]>::try_from(e.as_slice())
                .map_err(|_| errors::arg("epoch must be exactly 16 bytes"))?;
            config = config.with_epoch(e);
        }
        let case = audit::case(&o)?;
        let (client, query) = crate::seed_or_os!(
            seed,
            core::Client,
            with_config | new_with_rng(config, &items.values)
        )
        .js()?;
        Ok(UnbalancedClient {
            phase: Phase::Live(WatchlistQuery::from(client)),
            query,
            records: items.records,
            case,
        })
    }
}

/// The client of unbalanced PSI: sends a query of its (small) set, then
/// finishes with the server's answer and digest.
///
/// ```js
/// const client = new UnbalancedClient(myItems);
/// const query = client.query();
/// client.finish(answer, digest);
/// client.matches;   // sorted indices into myItems
/// client.labels;    // Map<index, Uint8Array> for matched items
/// ```
#[wasm_bindgen]
pub struct UnbalancedClient {
    phase: Phase<WatchlistQuery, UnbalancedMatches>,
    query: Vec<u8>,
    records: Option<Arc<RecordSet>>,
    case: Case,
}

phase::session_class!(UnbalancedClient, |_: &UnbalancedClient| |m| m);

impl UnbalancedClient {
    /// Addresses the query to `digest` (decoded by `decode`: a digest that
    /// does not decode ends the session, as a bad answer does), then takes
    /// the answer.
    fn conclude(
        &mut self,
        answer: &[u8],
        decode: impl FnOnce() -> blindmatch::Result<Arc<core::SetDigest>>,
    ) -> Result<(), JsValue> {
        let wrong = "the client has finished";
        phase::step(&mut self.phase, Ok, wrong, |mut q| {
            q.address(decode()?);
            Ok((Phase::Live(q), ()))
        })?;
        self.step(answer, Some(MessageType::UnbalancedAnswer), wrong)?;
        Ok(())
    }
}

#[wasm_bindgen]
impl UnbalancedClient {
    /// Blinds the items and prepares the query.
    #[wasm_bindgen(constructor)]
    pub fn new(
        items: &ItemsArg,
        options: Option<ClientOptions>,
    ) -> Result<UnbalancedClient, JsValue> {
        Self::start(
            items::extract(items.as_ref(), "items")?,
            options.as_ref(),
            None,
        )
    }

    /// The query message for the server.
    pub fn query(&self) -> Uint8Array {
        Uint8Array::from(&self.query[..])
    }

    /// Unblinds the server's answer and looks the results up in its digest
    /// (decoded on each call; see `finishWith`).
    pub fn finish(&mut self, answer: &[u8], digest: &[u8]) -> Result<(), JsValue> {
        self.conclude(answer, || {
            Ok(Arc::new(core::SetDigest::from_bytes(digest)?))
        })
    }

    /// `finish` with a digest decoded once (`new SetDigest(bytes)`) and
    /// reused for many queries.
    #[wasm_bindgen(js_name = finishWith)]
    pub fn finish_with(&mut self, answer: &[u8], digest: &SetDigest) -> Result<(), JsValue> {
        self.conclude(answer, || Ok(Arc::clone(&digest.inner)))
    }

    /// Maps the matches back to records: `[{recordId, kinds}]` for the
    /// records of mine that the server holds (items must be a RecordSet).
    #[wasm_bindgen(getter = recordMatches, unchecked_return_type = "RecordMatch[]")]
    pub fn record_matches(&self) -> Result<Array, JsValue> {
        records::record_matches_at(self.records.as_ref(), phase::done(&self.phase)?.indices())
    }

    /// Sorted indices into the items that the server holds.
    #[wasm_bindgen(getter, unchecked_return_type = "number[]")]
    pub fn matches(&self) -> Result<Array, JsValue> {
        Ok(index_array(phase::done(&self.phase)?.indices()))
    }

    /// The labels of matched items, by index (empty when the server has no labels).
    #[wasm_bindgen(getter, unchecked_return_type = "Map<number, Uint8Array>")]
    pub fn labels(&self) -> Result<Map, JsValue> {
        let map = Map::new();
        for (i, l) in phase::done(&self.phase)?.labels() {
            #[allow(clippy::cast_precision_loss)]
            map.set(&JsValue::from_f64(*i as f64), &Uint8Array::from(&l[..]));
        }
        Ok(map)
    }
}

audit::receipt_methods!(UnbalancedClient, |this: &UnbalancedClient| {
    Ok::<_, JsValue>(phase::done(&this.phase)?.record().clone())
});
