//! The one session machine: every role of every protocol, driven message
//! by message through the same four questions.
//!
//! - [`Party::expects`]: which kinds of message may come next;
//! - [`Party::consume`]: take one, and get a [`Step`]: the messages to send,
//!   the outcome when the session ended for this party, and the party that
//!   waits for the next message (`None` once it is finished);
//! - [`Concluded::record`]: the record of a finished session, for a receipt
//!   and the ledger;
//! - [`Party::save`]: the waiting state as bytes, to finish in another
//!   process (the registry's `saved` module restores it).
//!
//! Each protocol keeps its own constructor (its options and its first
//! message), and its type states stay available to Rust callers who want
//! the compiler to order the steps. The parties themselves are listed above
//! the protocols, in the registry's `parties` module. A tool that drives this
//! trait (the command, a binding's class, [`exchange`]) serves every
//! protocol with one loop:
//!
//! ```
//! use blindmatch::psi::{Config, Initiator, Responder};
//! use blindmatch::registry::parties::PsiResponder;
//! use blindmatch::session::party::{exchange, Concluded};
//!
//! let (initiator, request) = Initiator::new(Config::default(), &["a", "b", "c"])?;
//! let responder = PsiResponder::from(Responder::new(Config::default(), &["b", "c", "d"])?);
//! let (mine, theirs) = exchange(initiator, request, responder)?;
//! assert_eq!(mine.matches.indices(), &[1, 2]);
//! assert_eq!(mine.record().unwrap().transcript, theirs.record().unwrap().transcript);
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! A message the party does not expect now ends it with the protocol's
//! error, as every step of a type state does: look at [`Party::expects`]
//! first when messages may arrive out of order (a multi-party hop before
//! the roster), and hold them back.

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::evidence::receipt::SessionRecord;
use crate::wire::{MessageType, message_type};

/// What a party learned when its session ended.
pub trait Concluded {
    /// The record of the session, for a receipt and the ledger; `None` for
    /// protocols that keep none.
    fn record(&self) -> Option<&SessionRecord>;
}

/// One role of one protocol, between two messages.
pub trait Party: Sized {
    /// What the party learns at the end.
    type Outcome: Concluded;

    /// The protocol's name, as receipts and the command spell it
    /// (`"psi"`, `"unbalanced"`, `"sum"`, `"multiparty"`).
    const PROTOCOL: &'static str;
    /// The part this party plays (`"initiator"`, `"responder"`, `"client"`,
    /// `"server"`, `"member"`, `"hub"`).
    const ROLE: &'static str;

    /// The kinds of message the party can take now.
    fn expects(&self) -> &'static [MessageType];

    /// Takes one message from the peer.
    ///
    /// # Errors
    ///
    /// The protocol's error for a bad or unexpected message; the party is
    /// gone then, as after any failed step.
    fn consume(self, message: &[u8]) -> Result<Step<Self>>;

    /// [`Party::consume`] for a message whose sender the channel
    /// authenticated. Only a party that serves several peers (the
    /// watch-list server, the multi-party hub) needs the name; the others
    /// ignore it.
    ///
    /// # Errors
    ///
    /// As [`Party::consume`].
    fn consume_from(self, sender: &str, message: &[u8]) -> Result<Step<Self>> {
        let _ = sender;
        self.consume(message)
    }

    /// The waiting state as bytes (they hold secrets: seal them, see
    /// [`crate::session::seal`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidState`] for a role or a point of the session that has
    /// no saved form.
    fn save(&self) -> Result<Zeroizing<Vec<u8>>>;
}

/// What one message did to a party.
#[must_use = "a step carries messages to send and the party that goes on"]
pub struct Step<P: Party> {
    /// Messages to send, in order (each names its kind, and a multi-party
    /// message its recipient through the session's `route`).
    pub send: Vec<Vec<u8>>,
    /// The outcome, when the session ended for this party.
    pub outcome: Option<P::Outcome>,
    /// The party waiting for its next message; `None` once it finished.
    pub next: Option<P>,
}

impl<P: Party> core::fmt::Debug for Step<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The party and its outcome may hold secrets: only their presence.
        f.debug_struct("Step")
            .field("send", &self.send.len())
            .field("outcome", &self.outcome.is_some())
            .field("next", &self.next.is_some())
            .finish()
    }
}

impl<P: Party> Step<P> {
    /// A step that sends `send` and waits for the next message.
    pub fn wait(next: P, send: Vec<Vec<u8>>) -> Self {
        Step {
            send,
            outcome: None,
            next: Some(next),
        }
    }

    /// A step that sends `send` and ends the session with `outcome`.
    pub fn end(outcome: P::Outcome, send: Vec<Vec<u8>>) -> Self {
        Step {
            send,
            outcome: Some(outcome),
            next: None,
        }
    }
}

/// Refuses a message whose kind `party` does not expect now, before any
/// protocol step reads it: [`Error::WrongMessageType`] naming the first kind
/// it expects, or [`Error::InvalidState`] when it expects none.
///
/// # Errors
///
/// As said, and any error reading the message's header.
pub fn check_expected<P: Party>(party: &P, message: &[u8]) -> Result<MessageType> {
    let found = message_type(message)?;
    let expected = party.expects();
    match expected.first() {
        None => Err(Error::InvalidState("the party expects no message")),
        Some(_) if expected.contains(&found) => Ok(found),
        Some(&first) => Err(Error::WrongMessageType {
            expected: first.code(),
            found: found.code(),
        }),
    }
}

/// Runs a two-party session in memory: `request` (the first party's first
/// message) goes to `second`, and every message goes back and forth until
/// both finished. For tests, examples and one-process tools; parties in
/// two places drive [`Party::consume`] over their own channel.
///
/// # Errors
///
/// The first error of either party, or [`Error::InvalidState`] when one
/// waits for a message the other never sends.
pub fn exchange<A: Party, B: Party>(
    first: A,
    request: Vec<u8>,
    second: B,
) -> Result<(A::Outcome, B::Outcome)> {
    let mut a = (Some(first), None);
    let mut b = (Some(second), None);
    let mut to_b = vec![request];
    let mut to_a = Vec::new();
    while !(to_a.is_empty() && to_b.is_empty()) {
        deliver(&mut b, core::mem::take(&mut to_b), &mut to_a)?;
        deliver(&mut a, core::mem::take(&mut to_a), &mut to_b)?;
    }
    match (a.1, b.1) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(Error::InvalidState(
            "a party waits for a message its peer does not send",
        )),
    }
}

fn deliver<P: Party>(
    party: &mut (Option<P>, Option<P::Outcome>),
    messages: Vec<Vec<u8>>,
    out: &mut Vec<Vec<u8>>,
) -> Result<()> {
    for message in messages {
        let Some(live) = party.0.take() else {
            return Err(Error::InvalidState("a message for a finished party"));
        };
        let step = live.consume(&message)?;
        out.extend(step.send);
        party.0 = step.next;
        if step.outcome.is_some() {
            party.1 = step.outcome;
        }
    }
    Ok(())
}
