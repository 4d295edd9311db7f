//! # blindmatch
//!
//! Private set intersection (PSI) and privacy-preserving record matching
//! over hashed identifiers, on the ristretto255 group.
//!
//! Two agencies each hold a list of identifiers (phone numbers, e-mail
//! addresses, accounts, wallets). They want to learn which entries they
//! share, or only how many, without handing each other the rest. Plain
//! hashing does not do this: identifiers have so little entropy that anyone
//! holding `sha256(phone)` values can hash every phone number of a country
//! in minutes and read the list back. blindmatch compares values that depend
//! on secret keys the other side never sees.
//!
//! The crate does no I/O: every protocol step takes the peer's message as
//! bytes and returns the next message as bytes ([`wire`] describes the
//! format). Carry them over a socket, a portal, secure e-mail or a USB key.
//!
//! ## Balanced PSI in four steps
//!
//! ```
//! use blindmatch::psi::{Config, Initiator, Responder};
//!
//! let agency_a = ["+442079460958", "anna@example.org", "NL91ABNA0417164300"];
//! let agency_b = ["bob@example.net", "+442079460958", "NL91ABNA0417164300", "+33142685300"];
//!
//! let config = Config::default(); // reveal the intersection, to both parties
//! // Agency A starts a session and sends `request` to agency B.
//! let (initiator, request) = Initiator::new(config.clone(), &agency_a)?;
//! // Agency B answers.
//! let (responder, response) = Responder::new(config, &agency_b)?.respond(&request)?;
//! // Agency A learns its matches and sends `finish` back.
//! let (finish, mine) = initiator.finish(&response)?;
//! // Agency B learns its matches.
//! let theirs = responder.finish(finish.as_deref())?.expect("output goes to both");
//!
//! assert_eq!(mine.indices(), &[0, 2]);
//! assert_eq!(theirs.indices(), &[1, 2]);
//! assert_eq!(mine.cardinality(), 2);
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! ## Only the count, only to the initiator
//!
//! ```
//! use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
//!
//! let config = Config::new(Reveal::Cardinality, Output::Initiator);
//! let (initiator, request) = Initiator::new(config.clone(), &["a", "b", "c"])?;
//! let (responder, response) = Responder::new(config, &["c", "d", "a"])?.respond(&request)?;
//! let (finish, mine) = initiator.finish(&response)?;
//! assert!(finish.is_none());
//! assert_eq!(mine.cardinality(), 2);
//! assert!(mine.indices().is_empty()); // which ones stays hidden
//! assert!(responder.finish(None)?.is_none()); // the responder learns nothing
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! ## The RFC 9497 OPRF
//!
//! ```
//! use blindmatch::oprf::OprfKey;
//!
//! let key = OprfKey::derive(&[0xa3; 32], b"test key")?;
//! let out: [u8; 64] = key.evaluate(&[0x00])?;
//! assert_eq!(out[..4], [0x52, 0x77, 0x59, 0xc3]); // RFC 9497 A.1.1, vector 1
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! ## Layers
//!
//! Arrows point down only (`.ci/modules` checks that no module imports one
//! above it):
//!
//! - [`registry`]: the one place above every protocol: [`registry::inspect`]
//!   describes any message, [`registry::saved`] restores any waiting state.
//! - [`records`]: identifier kinds, canonicalization, record sets and record matches.
//! - [`protocol`]: [`psi`] (balanced, per-session Diffie-Hellman) with
//!   [`partition`] as its scale mode (parts that a cluster or Web Workers
//!   run independently); [`unbalanced`] (reusable OPRF-based PSI against a
//!   large server set: digest, labels, epochs, budgets); [`sum`]
//!   (intersection-sum); [`multiparty`] (more than two agencies: chained
//!   Diffie-Hellman around a ring and a counting hub).
//! - [`session`]: [`phase`], where a binding's protocol object stands, and
//!   [`session::seal`], the sealed envelope of a saved state.
//! - [`evidence`]: [`receipt`] (Ed25519-signed, countersigned receipts for
//!   the legal record), [`audit`] (the ledger's hash chain and signed
//!   checkpoints), [`budget`] (query budgets and the [`budget::BudgetStore`]
//!   trait the `blindmatch-ledger` crate implements).
//! - [`wire`]: the versioned message envelope, ids, modes and shared limits.
//! - [`crypto`]: [`group`] (hash-to-group, RFC 9380; validated decoding,
//!   RFC 9496), [`oprf`] (RFC 9497, modes `0x00` and `0x01`), [`dleq`]
//!   (its batched proofs), [`transcript`] (transcript hashes).
//! - [`Error`] and [`ErrorCode`]: one error type with stable codes.
//!
//! Each module is also reachable at the crate root (`blindmatch::psi`,
//! `blindmatch::receipt`, ...), where earlier releases had it.
//!
//! ## Features
//!
//! | feature    | default | what it does |
//! |------------|---------|--------------|
//! | `parallel` | yes     | blinds and evaluates large batches on all cores (rayon) |
//! | `os-rng`   | yes     | the protocols' constructors draw their randomness from the OS (getrandom; `crypto.getRandomValues` in WebAssembly, with getrandom's `wasm_js` feature) |
//! | `insecure-test-rng` | no | **tests only**: `new_with_rng` constructors, `Blind::from_bytes` … that take a caller's RNG, so a seed fixes keys and blinds (golden vectors). Never enable it in production |
//!
//! Without `os-rng` the crate offers the RFC 9497 primitives (`OprfKey::derive`,
//! `evaluate`) but no protocol constructor: production code never chooses
//! its own randomness.

#![forbid(unsafe_code)]
// Without a source of randomness the protocol constructors are compiled out,
// and the helpers only they use would warn.
#![cfg_attr(
    not(any(feature = "os-rng", feature = "insecure-test-rng")),
    allow(dead_code)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod macros;

pub mod crypto;
pub mod error;
pub mod evidence;
pub mod protocol;
pub mod records;
pub mod registry;
pub mod session;
pub mod wire;

pub use error::{Error, ErrorCode, Result};
pub use registry::inspect;

// The paths of earlier releases, kept for callers (CHANGELOG, 0.2.0): each
// module is reachable where it lived before the layers.
pub use crypto::{dleq, group, oprf, transcript};
pub use evidence::{audit, budget, receipt};
pub use protocol::{multiparty, partition, psi, sum, unbalanced};
pub use session::phase;

/// Saved waiting states and sealing, at their earlier path: the sealing
/// lives in [`session::seal`], the states of every protocol in
/// [`registry::saved`].
pub mod state {
    pub use crate::registry::saved::*;
    pub use crate::session::seal::*;
}

/// Entry points for the fuzz targets only, compiled with `--cfg fuzzing`
/// (which cargo fuzz sets): the message decoders without the protocol
/// state a step needs, so a target reaches them at full speed.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::registry::reencode;
}

// The README's Rust snippets run as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// The guide's Rust blocks too (`.ci/docs` checks that every page with one is
// listed here).
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/developers/rust.md")]
struct GuideRustDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/developers/layers.md")]
struct GuideLayersDoctests;

// Re-exported so that callers can name the RNG traits our functions take.
pub use rand_core;
