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

mod convert;
mod errors;
mod items;
mod oprf;
mod options;
mod phase;
mod psi;
mod records;
mod rng;
#[doc(hidden)]
pub mod testing;
mod unbalanced;

use wasm_bindgen::prelude::*;

pub use errors::{error_codes, protocol_error_codes, set_error_factory};
pub use oprf::OprfKey;
pub use psi::{Initiator, Responder};
pub use records::{RecordSet, kinds};
pub use unbalanced::{SetDigest, UnbalancedClient, UnbalancedServer};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Items to match: strings (matched by their UTF-8 bytes), raw bytes, or a RecordSet. */
export type Items = ReadonlyArray<string | Uint8Array> | RecordSet;

/** Options of a balanced PSI party; both parties must agree on `reveal` and `output`. */
export interface PsiOptions {
  /**
   * What the output reveals: the shared items (default) or only their number.
   * "cardinality" holds against semi-honest peers only: a peer that blinds each
   * item with its own exponent learns which of its items matched.
   */
  reveal?: "intersection" | "cardinality";
  /** Who learns it: both parties (default) or only the initiator. */
  output?: "both" | "initiator";
  /** Refuse a peer with more items than this (default 2^24). */
  maxPeerItems?: number;
  /** Refuse a peer with fewer items than this (default 0). */
  minPeerItems?: number;
}

/** One of my records that matched, and through which kinds of identifier. */
export interface RecordMatch {
  recordId: string;
  kinds: string[];
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

/** How a RecordSet reads its values. */
export interface RecordSetOptions {
  /** ISO 3166 region for phone numbers and documents written without one, e.g. "GB". */
  defaultRegion?: string;
  /** strftime-style format of dates of birth (default "%Y-%m-%d"). */
  dateFormat?: string;
  /** Drop "+tag" from the local part of e-mail addresses (default false). */
  emailDropPlusTag?: boolean;
  /** Composite keys, e.g. [["name", "date_of_birth"]]; the order of kinds does not matter. */
  composites?: string[][];
  /** Kinds that are keys on their own (default: every standalone kind but "name"). */
  singleKeys?: string[];
  /** Apply Gmail's rules (dots, +tags, googlemail.com) to e-mail addresses (default false). */
  emailProviderRules?: boolean;
  /** The years a date of birth may lie in, [first, last] (default [1900, 2100]). */
  birthYears?: [number, number];
}

/** Options of an unbalanced PSI server. */
export interface ServerOptions {
  /** A label per item (same length as the items), revealed for matched items only. */
  labels?: ReadonlyArray<string | Uint8Array>;
  /** False-positive rate 2^-fprBits of the set digest (default 40). */
  fprBits?: number;
  /** Queries per client id per key epoch (default: unlimited). */
  queryBudget?: number;
  /** Largest query accepted (default 2^20 items). */
  maxQueryItems?: number;
}

/** Options of an unbalanced PSI client. */
export interface ClientOptions {
  /** Address the query to this 16-byte key epoch (from the server's digest). */
  epoch?: Uint8Array;
}
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
}

/// The type of a message, read from its envelope: `"psi-request"`,
/// `"psi-response"`, `"psi-finish"`, `"set-digest"`, `"unbalanced-query"` or
/// `"unbalanced-answer"`. Throws a `ProtocolError` for bytes that are not a
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
