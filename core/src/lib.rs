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
//! ## Modules
//!
//! - [`group`]: hash-to-group (RFC 9380) and validated element decoding (RFC 9496).
//! - [`oprf`]: the RFC 9497 OPRF, mode `0x00`, suite ristretto255-SHA512.
//! - [`psi`]: balanced PSI (per-session Diffie-Hellman).
//! - [`multiparty`]: more than two agencies: chained Diffie-Hellman around a ring and a counting hub (all of them, or at least t).
//! - [`partition`]: balanced PSI split into parts that a party's workers (a cluster, Web Workers) run independently.
//! - [`records`]: identifier kinds, canonicalization, record sets and record matches.
//! - [`unbalanced`]: reusable OPRF-based PSI against a large server set: digest, labels, epochs, budgets.
//! - [`wire`]: the versioned message envelope.
//! - [`transcript`], [`receipt`]: transcript hashes of every exchange and Ed25519-signed, countersigned receipts for the legal record.
//! - [`budget`]: query budgets of unbalanced PSI and the [`budget::BudgetStore`] trait a durable store (the `blindmatch-ledger` crate) implements.
//! - [`audit`]: the hash chain of an audit ledger and its signed checkpoints.
//! - [`phase`]: the state of a protocol object held by a binding (one state machine for Python and JavaScript).
//! - [`Error`] and [`ErrorCode`]: one error type with stable codes.
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

pub mod audit;
pub mod budget;
mod compare;
mod distinct;
pub mod dleq;
pub mod error;
mod gcs;
pub mod group;
pub mod multiparty;
pub mod oprf;
mod par;
pub mod partition;
pub mod phase;
pub mod psi;
pub mod receipt;
pub mod records;
mod rng;
pub mod state;
pub mod sum;
pub mod transcript;
pub mod unbalanced;
pub mod wire;

pub use error::{Error, ErrorCode, Result};

/// Entry points for the fuzz targets only, compiled with `--cfg fuzzing`
/// (which cargo fuzz sets): the message decoders without the protocol
/// state a step needs, so a target reaches them at full speed.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use crate::wire::{self, MessageType};

    /// Decodes any message by its type and encodes the result again.
    ///
    /// # Errors
    ///
    /// Any decoding error.
    pub fn reencode(bytes: &[u8]) -> crate::Result<Vec<u8>> {
        let ty = wire::message_type(bytes)?;
        match ty {
            MessageType::PsiRequest | MessageType::PsiResponse | MessageType::PsiFinish => {
                crate::psi::reencode(bytes, ty)
            }
            MessageType::Receipt => crate::receipt::reencode(bytes),
            MessageType::Checkpoint => crate::audit::reencode(bytes),
            MessageType::Part | MessageType::Manifest | MessageType::Bundle => {
                crate::partition::reencode(bytes, ty)
            }
            MessageType::SumRequest
            | MessageType::SumResponse
            | MessageType::SumFinish
            | MessageType::SumResult => crate::sum::reencode(bytes, ty),
            MessageType::MultiSession
            | MessageType::MultiHop
            | MessageType::MultiTags
            | MessageType::MultiResult
            | MessageType::MultiCommit
            | MessageType::MultiRoster => crate::multiparty::reencode(bytes, ty),
            _ => crate::unbalanced::reencode(bytes, ty),
        }
    }
}

// The README's Rust snippets run as doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

// Re-exported so that callers can name the RNG traits our functions take.
pub use rand_core;
