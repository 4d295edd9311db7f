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
//! A refused message comes back as [`Refused`]: the error, and the party
//! when the refusal left it as it was. A message of a kind the party does
//! not expect now is refused before any step reads it, and so is anything
//! a role that serves several peers refuses (the multi-party member and
//! hub, the watch-list server): one peer's bad message never ends the
//! session for the others. An unreadable message, or a bad one of the
//! expected kind, ends a two-party session, as every failed step of a type
//! state does.

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::evidence::receipt::SessionRecord;
use crate::wire::{MessageType, message_type};

/// What a party learned when its session ended.
pub trait Concluded {
    /// The record of the session, for a receipt and the ledger; `None` for
    /// protocols that keep none.
    fn record(&self) -> Option<&SessionRecord>;

    /// Every record the session leaves for the ledger: [`Concluded::record`]
    /// for a two-party role; one per agency for the multi-party hub.
    fn records(&self) -> Vec<SessionRecord> {
        self.record().into_iter().cloned().collect()
    }
}

/// A message a party refused: why, and the party, unchanged, when the
/// refusal did not end its session.
pub struct Refused<P> {
    /// Why the message was refused.
    pub error: Error,
    /// The party as it was before the message, when it can go on.
    pub party: Option<P>,
}

impl<P> Refused<P> {
    /// A refusal that leaves `party` as it was.
    pub fn keep(error: Error, party: P) -> Self {
        Refused {
            error,
            party: Some(party),
        }
    }
}

/// A failed step ends the party's session.
impl<P> From<Error> for Refused<P> {
    fn from(error: Error) -> Self {
        Refused { error, party: None }
    }
}

impl<P> From<Refused<P>> for Error {
    fn from(r: Refused<P>) -> Self {
        r.error
    }
}

impl<P> core::fmt::Debug for Refused<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The party may hold secrets: only whether it goes on.
        f.debug_struct("Refused")
            .field("error", &self.error)
            .field("kept", &self.party.is_some())
            .finish()
    }
}

/// What [`Party::consume`] returns.
pub type Consumed<P> = core::result::Result<Step<P>, Refused<P>>;

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
    /// [`Refused`] with the protocol's error: with the party kept for a
    /// message of a kind it does not expect now and for a refusal of a role
    /// that serves several peers, without it when the step failed.
    fn consume(self, message: &[u8]) -> Consumed<Self>;

    /// [`Party::consume`] for a message whose sender the channel
    /// authenticated. Only a party that serves several peers (the
    /// watch-list server, the multi-party hub) needs the name; the others
    /// ignore it.
    ///
    /// # Errors
    ///
    /// As [`Party::consume`].
    fn consume_from(self, sender: &str, message: &[u8]) -> Consumed<Self> {
        let _ = sender;
        self.consume(message)
    }

    /// [`Party::consume_from`] when the channel named the `sender`,
    /// [`Party::consume`] when it did not: what a binding's
    /// `consume(message, sender)` calls.
    ///
    /// # Errors
    ///
    /// As [`Party::consume`].
    fn consume_sent(self, (message, sender): (&[u8], Option<&str>)) -> Consumed<Self> {
        match sender {
            Some(sender) => self.consume_from(sender, message),
            None => self.consume(message),
        }
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

/// The kind of `message`, when `party` expects it now; otherwise the
/// party back with [`Error::WrongMessageType`] naming the first kind it
/// expects, [`Error::InvalidState`] when it expects none, or the error
/// reading the message's header. No protocol step has read the message.
///
/// # Errors
///
/// As said.
pub fn check_expected<P: Party>(
    party: P,
    message: &[u8],
) -> core::result::Result<(P, MessageType), Refused<P>> {
    let found = match message_type(message) {
        Ok(found) => found,
        Err(e) => return Err(Refused::keep(e, party)),
    };
    let expected = party.expects();
    match expected.first() {
        None => Err(Refused::keep(
            Error::InvalidState("the party expects no message"),
            party,
        )),
        Some(_) if expected.contains(&found) => Ok((party, found)),
        Some(&first) => Err(Refused::keep(
            Error::WrongMessageType {
                expected: first.code(),
                found: found.code(),
            },
            party,
        )),
    }
}

/// [`check_expected`] for a party of a two-party session: a message whose
/// header cannot be read ends the session (the peer is broken or hostile,
/// as for any bad message of the expected kind); one of another kind is
/// handed back with the party.
///
/// # Errors
///
/// As said.
pub fn check_kind<P: Party>(
    party: P,
    message: &[u8],
) -> core::result::Result<(P, MessageType), Refused<P>> {
    message_type(message)?;
    check_expected(party, message)
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
        let step = live.consume(&message).map_err(|r| r.error)?;
        out.extend(step.send);
        party.0 = step.next;
        if step.outcome.is_some() {
            party.1 = step.outcome;
        }
    }
    Ok(())
}
