//! The settings that messages, receipts and saved states name: of a
//! balanced session, what the receivers learn and who receives it
//! (`protocol::psi` re-exports both); of an intersection-sum, who learns
//! the sums (`protocol::sum` re-exports it).

use crate::error::{Error, Result};

/// A setting whose values have names, as the bindings, the command and
/// receipts spell them.
pub trait Named: Copy + 'static {
    /// Every value, in the order the names are listed to a user.
    const ALL: &'static [Self];

    /// The value's name.
    fn name(self) -> &'static str;

    /// The value with this name, if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// Every name, each in `quote`s, joined with "or": for an error that
    /// lists the choices.
    fn choices(quote: char) -> String {
        let names: Vec<String> = Self::ALL
            .iter()
            .map(|v| format!("{quote}{}{quote}", v.name()))
            .collect();
        names.join(" or ")
    }
}

/// [`Named`] from the type's own `name()`.
macro_rules! named {
    ($t:ty: $($v:expr),+) => {
        impl $crate::wire::mode::Named for $t {
            const ALL: &'static [Self] = &[$($v),+];

            fn name(self) -> &'static str {
                <$t>::name(self)
            }
        }
    };
}
pub(crate) use named;

named!(Reveal: Reveal::Intersection, Reveal::Cardinality);
named!(Output: Output::Both, Output::Initiator);
named!(RevealSumTo: RevealSumTo::Both, RevealSumTo::Responder);

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

/// Who learns the sums. The initiator always learns the cardinality (it
/// does the matching); the responder learns it from the finish message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevealSumTo {
    /// Both parties learn the sums.
    Both,
    /// Only the value holder (the responder) learns them.
    Responder,
}

impl RevealSumTo {
    /// Returns the setting's name (`"both"`, `"responder"`), as the
    /// bindings spell it.
    pub const fn name(self) -> &'static str {
        match self {
            RevealSumTo::Both => "both",
            RevealSumTo::Responder => "responder",
        }
    }

    pub(crate) const fn code(self) -> u8 {
        match self {
            RevealSumTo::Both => 1,
            RevealSumTo::Responder => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Result<Self> {
        match code {
            1 => Ok(RevealSumTo::Both),
            2 => Ok(RevealSumTo::Responder),
            _ => Err(Error::Malformed),
        }
    }
}
