//! The two settings of a balanced session that every message, receipt and
//! saved state names: what the receivers learn and who receives it.
//! The balanced protocol, `protocol::psi`, re-exports both.

use crate::error::{Error, Result};

/// What the receivers of the output learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reveal {
    /// Which of their own items are shared.
    #[default]
    Intersection,
    /// Only how many items are shared.
    Cardinality,
}

/// Who learns the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Output {
    /// Only the initiator; the responder learns the initiator's set size only.
    Initiator,
    /// Both parties (the initiator sends a finish message).
    #[default]
    Both,
}

impl Reveal {
    /// Returns the mode's name (`"intersection"`, `"cardinality"`), as the
    /// bindings and receipts spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Reveal::Intersection => "intersection",
            Reveal::Cardinality => "cardinality",
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Reveal::Intersection => 1,
            Reveal::Cardinality => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(Reveal::Intersection),
            2 => Ok(Reveal::Cardinality),
            _ => Err(Error::Malformed),
        }
    }
}

impl Output {
    /// Returns the output's name (`"initiator"`, `"both"`), as the bindings
    /// and receipts spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Output::Initiator => "initiator",
            Output::Both => "both",
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            Output::Initiator => 1,
            Output::Both => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(Output::Initiator),
            2 => Ok(Output::Both),
            _ => Err(Error::Malformed),
        }
    }
}
