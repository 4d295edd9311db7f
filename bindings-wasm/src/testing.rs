//! Hidden exports behind `blindmatch/testing`: the protocol classes built
//! from a 32-byte seed instead of Web Crypto, for golden vectors and
//! reproducible tests. **Insecure**: whoever knows the seed knows the
//! session key. The package's main entry points leave these out (their
//! names start with `__`), and they have no TypeScript declarations of
//! their own; `testing.d.ts` types the public wrappers.

use wasm_bindgen::prelude::*;

use crate::items;
use crate::psi::{self, Initiator, Responder};
use crate::rng::Seed;
use crate::unbalanced::{UnbalancedClient, UnbalancedServer};
use crate::{ClientOptions, ItemsArg, PsiOptions, ServerOptions, SumOptions, SumValues};

/// `new testing.Initiator(items, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingInitiator, skip_typescript)]
pub fn initiator(
    items: &ItemsArg,
    seed: &[u8],
    options: Option<PsiOptions>,
) -> Result<Initiator, JsValue> {
    let config = psi::config(options.as_ref())?;
    let seed = Seed::from_js(seed)?;
    Initiator::start(items::extract(items.as_ref(), "items")?, config, Some(seed))
}

/// `new testing.Responder(items, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingResponder, skip_typescript)]
pub fn responder(
    items: &ItemsArg,
    seed: &[u8],
    options: Option<PsiOptions>,
) -> Result<Responder, JsValue> {
    let config = psi::config(options.as_ref())?;
    let seed = Seed::from_js(seed)?;
    Responder::start(items::extract(items.as_ref(), "items")?, config, Some(seed))
}

/// `new testing.SumInitiator(items, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingSumInitiator, skip_typescript)]
pub fn sum_initiator(
    items: &ItemsArg,
    seed: &[u8],
    options: Option<SumOptions>,
) -> Result<crate::sum::SumInitiator, JsValue> {
    let config = crate::sum::config(options.as_ref())?;
    let seed = Seed::from_js(seed)?;
    crate::sum::SumInitiator::start(items::extract(items.as_ref(), "items")?, config, Some(seed))
}

/// `new testing.SumResponder(items, values, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingSumResponder, skip_typescript)]
pub fn sum_responder(
    items: &ItemsArg,
    values: &SumValues,
    seed: &[u8],
    options: Option<SumOptions>,
) -> Result<crate::sum::SumResponder, JsValue> {
    let config = crate::sum::config(options.as_ref())?;
    let seed = Seed::from_js(seed)?;
    crate::sum::SumResponder::start(
        items::extract(items.as_ref(), "items")?,
        values.as_ref(),
        config,
        Some(seed),
    )
}

/// `new testing.UnbalancedClient(items, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingUnbalancedClient, skip_typescript)]
pub fn unbalanced_client(
    items: &ItemsArg,
    seed: &[u8],
    options: Option<ClientOptions>,
) -> Result<UnbalancedClient, JsValue> {
    let seed = Seed::from_js(seed)?;
    UnbalancedClient::start(
        items::extract(items.as_ref(), "items")?,
        options.as_ref(),
        Some(seed),
    )
}

/// `testing.UnbalancedServer(items, {rngSeed, key, ...})`: the label salt
/// comes from the seed (the JavaScript wrapper generates a key when none is
/// given; borrowed here, so the caller's key object stays usable).
#[wasm_bindgen(js_name = __testingUnbalancedServer, skip_typescript)]
pub fn unbalanced_server(
    items: &ItemsArg,
    seed: &[u8],
    options: Option<ServerOptions>,
    key: &crate::oprf::OprfKey,
) -> Result<UnbalancedServer, JsValue> {
    let seed = Seed::from_js(seed)?;
    UnbalancedServer::build(key.inner().clone(), items, options.as_ref(), Some(seed))
}

/// `testing.multiPartySession(agencies, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingMultiPartySession, skip_typescript)]
pub fn multiparty_session(
    agencies: &js_sys::Array,
    seed: &[u8],
    options: Option<crate::MultiPartyOptions>,
) -> Result<crate::multiparty::MultiPartySession, JsValue> {
    let seed = Seed::from_js(seed)?;
    crate::multiparty::MultiPartySession::open(agencies, options.as_ref(), Some(seed))
}

/// `new testing.MultiPartyMember(items, session, me, {rngSeed, ...})`.
#[wasm_bindgen(js_name = __testingMultiPartyMember, skip_typescript)]
pub fn multiparty_member(
    items: &ItemsArg,
    session: &[u8],
    me: &str,
    seed: &[u8],
    options: Option<crate::PartyCaseOptions>,
) -> Result<crate::multiparty::MultiPartyMember, JsValue> {
    let seed = Seed::from_js(seed)?;
    crate::multiparty::MultiPartyMember::join(items, session, me, options.as_ref(), Some(seed))
}
