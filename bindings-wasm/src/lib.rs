//! WebAssembly bindings of blindmatch: the npm package `blindmatch`.
//!
//! Thin by design (DESIGN §5): every class converts JavaScript values to the
//! core's types and back, and maps the core's errors to `Error` subclasses
//! with a stable `code`. Protocol logic lives in the `blindmatch` crate.
//!
//! Differences from the native library, all forced by the platform:
//! - no threads (the core is built without its `parallel` feature); the
//!   browser tool runs the work in a Web Worker instead;
//! - randomness comes from `crypto.getRandomValues` (Web Crypto, also a
//!   global in Node.js ≥ 19) through getrandom's `wasm_js` backend. Seeded
//!   objects, for tests only, come from `blindmatch/testing`.
//!
//! The JavaScript entry points (`pkg/web/index.js`, `pkg/node/index.cjs`)
//! install the error classes with the hidden `__setErrorFactory` before any
//! other call; see `js/errors.js`.

/// A core party made by `$new(args)`, which draws from the OS RNG, or, with
/// a seed (only from the testing entry points), by `$seeded(args, rng)`.
macro_rules! seed_or_os {
    ($seed:expr, $ty:ty, $new:ident | $seeded:ident($($arg:expr),* $(,)?)) => {
        match $seed {
            Some(seed) => <$ty>::$seeded($($arg,)* &mut seed.rng()),
            None => <$ty>::$new($($arg),*),
        }
    };
}
pub(crate) use seed_or_os;

mod audit;
mod convert;
mod errors;
mod items;
mod multiparty;
mod oprf;
mod options;
mod partition;
mod phase;
mod psi;
mod records;
mod rng;
mod state;
#[doc(hidden)]
mod sum;
pub mod testing;
mod unbalanced;

use wasm_bindgen::prelude::*;

pub use audit::{Receipt, SessionRecord, SigningKey};
pub use errors::{error_codes, protocol_error_codes, set_error_factory};
pub use multiparty::{MultiPartyHub, MultiPartyMember, MultiPartySession};
pub use oprf::OprfKey;
pub use partition::{
    PartySecret, bundle, count_part, elements_part, finish_part, join, matches_part, mix_part,
    part_kind, reblind_part, request_part, unbundle,
};
pub use psi::{Initiator, Responder};
pub use records::{RecordSet, kinds};
pub use state::{RecordIndex, is_sealed, restore_party_session, save_party_session, seal, unseal};
pub use sum::{SumInitiator, SumResponder};
pub use unbalanced::{SetDigest, UnbalancedClient, UnbalancedServer};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Items to match: strings (matched by their UTF-8 bytes), raw bytes, or a RecordSet. */
export type Items = ReadonlyArray<string | Uint8Array> | RecordSet;

/** A value holder's columns: name to one integer per item (numbers up to 2^53 - 1, or bigints below 2^64). */
export type SumValues = { [column: string]: ReadonlyArray<number | bigint> | BigUint64Array | Uint32Array | Uint16Array | Uint8Array };


/** One of my records that matched, and through which kinds of identifier. */
export interface RecordMatch {
  recordId: string;
  kinds: string[];
}

/** A partitioned session restored by `restorePartySession`. */
export interface SavedPartySession {
  secret: PartySecret;
  items: Uint8Array[];
  kept: Uint8Array[];
  records: RecordIndex | undefined;
}

/** A value that could not be canonicalized; `field` is "*" for a record without identifiers. */
export interface FieldError {
  recordId: string;
  field: string;
  message: string;
}

/** A field value: a string, a string with its own region, or a list of them. */
export type FieldValue =
  | string
  | { value: string; region?: string }
  | null
  | undefined
  | ReadonlyArray<string | { value: string; region?: string }>;

/** Fields of one record, keyed by kind: email, phone, iban, name, date_of_birth, document, ip, crypto_address, text. */
export type Fields = { [kind: string]: FieldValue };



"#;

#[wasm_bindgen]
extern "C" {
    /// TypeScript: `Items`.
    #[wasm_bindgen(typescript_type = "Items")]
    pub type ItemsArg;
    /// TypeScript: `PsiOptions`.
    #[wasm_bindgen(typescript_type = "PsiOptions")]
    pub type PsiOptions;
    /// TypeScript: `RecordSetOptions`.
    #[wasm_bindgen(typescript_type = "RecordSetOptions")]
    pub type RecordSetOptions;
    /// TypeScript: `Fields`.
    #[wasm_bindgen(typescript_type = "Fields")]
    pub type FieldsArg;
    /// TypeScript: `ServerOptions`.
    #[wasm_bindgen(typescript_type = "ServerOptions")]
    pub type ServerOptions;
    /// TypeScript: `ClientOptions`.
    #[wasm_bindgen(typescript_type = "ClientOptions")]
    pub type ClientOptions;
    /// TypeScript: `SumOptions`.
    #[wasm_bindgen(typescript_type = "SumOptions")]
    pub type SumOptions;
    /// TypeScript: `SumValues`.
    #[wasm_bindgen(typescript_type = "SumValues")]
    pub type SumValues;
    /// TypeScript: `MultiPartyOptions`.
    #[wasm_bindgen(typescript_type = "MultiPartyOptions")]
    pub type MultiPartyOptions;
    /// TypeScript: `PartyCaseOptions`.
    #[wasm_bindgen(typescript_type = "PartyCaseOptions")]
    pub type PartyCaseOptions;
}

/// The type of a message, read from its envelope: `"psi-request"`,
/// `"psi-response"`, `"psi-finish"`, `"set-digest"`, `"unbalanced-query"`,
/// `"unbalanced-answer"`, `"receipt"` or `"checkpoint"`. Throws a `ProtocolError` for bytes that are not a
/// blindmatch message of a supported version.
#[wasm_bindgen(js_name = messageType)]
pub fn message_type(message: &[u8]) -> Result<String, JsValue> {
    blindmatch::wire::message_type(message)
        .map(|t| t.name().to_owned())
        .map_err(errors::core)
}

/// The version of this package (the crate's version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
