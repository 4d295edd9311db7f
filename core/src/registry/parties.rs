//! Every role of every protocol as a [`Party`]: the one session machine
//! the command and the bindings drive.
//!
//! | protocol | role | type | first message from | saved |
//! |---|---|---|---|---|
//! | `psi` | initiator | [`psi::Initiator`] | [`psi::Initiator::new`] | yes |
//! | `psi` | responder | [`PsiResponder`] | the initiator | after the request |
//! | `unbalanced` | client | [`WatchlistQuery`] | [`unbalanced::Client::new`] | yes |
//! | `unbalanced` | server | [`Served`] (a `&`[`unbalanced::Server`]) | the client | as its key and digest |
//! | `sum` | initiator | [`SumInitiator`] | [`sum::Initiator::new`] | not yet |
//! | `sum` | responder | [`SumResponder`] | the initiator | not yet |
//! | `multiparty` | member | [`multiparty::Member`] | [`multiparty::Member::start`] | not yet |
//! | `multiparty` | hub | [`multiparty::Hub`] | the members | not yet |
//!
//! A role with more than one waiting type state is an enum over them
//! ([`PsiResponder`], [`SumInitiator`], [`SumResponder`]; each boxed, so
//! that a party moves as a pointer from step to step); the type states
//! stay public for Rust callers who want the compiler to order the steps.
//! The partitioned coordinator ([`crate::protocol::partition`]) is driven
//! part by part by the engines and is not a [`Party`] yet.
//!
//! The watch-list server and the multi-party hub serve several peers:
//! they take messages through [`Party::consume_from`], with the sender's
//! name that the channel authenticated (a client certificate), never a name
//! read from the message.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::evidence::budget::BudgetStore;
use crate::evidence::receipt::SessionRecord;
use crate::protocol::unbalanced::{SetDigest, UnbalancedMatches};
use crate::protocol::{multiparty, psi, sum, unbalanced};
use crate::registry::saved::{WaitingRef, save};
use crate::session::party::{
    Concluded, Consumed, Party, Refused, Step, check_expected, check_kind,
};
use crate::wire::MessageType;
use crate::wire::mode::Output;

const NOT_SAVED: Error = Error::InvalidState("this role has no saved form yet");

impl Concluded for psi::InitiatorOutcome {
    fn record(&self) -> Option<&SessionRecord> {
        Some(&self.record)
    }
}

impl Concluded for psi::ResponderOutcome {
    fn record(&self) -> Option<&SessionRecord> {
        Some(&self.record)
    }
}

impl Concluded for UnbalancedMatches {
    fn record(&self) -> Option<&SessionRecord> {
        Some(UnbalancedMatches::record(self))
    }
}

impl Concluded for sum::SumOutcome {
    fn record(&self) -> Option<&SessionRecord> {
        Some(&self.record)
    }
}

impl Concluded for multiparty::MultiOutcome {
    fn record(&self) -> Option<&SessionRecord> {
        Some(&self.record)
    }
}

/// A member's outcome keeps the finished member beside what it learned.
impl Concluded for (multiparty::Member, multiparty::MultiOutcome) {
    fn record(&self) -> Option<&SessionRecord> {
        self.1.record()
    }
}

/// A finished hub keeps one record per agency ([`multiparty::Hub::record_for`]).
impl Concluded for multiparty::Hub {
    fn record(&self) -> Option<&SessionRecord> {
        None
    }

    fn records(&self) -> Vec<SessionRecord> {
        let agencies = self.session().agencies();
        agencies
            .iter()
            .filter_map(|a| self.record_for(a).ok())
            .collect()
    }
}

/// The watch-list server answers for ever: it has no outcome of its own.
impl Concluded for () {
    fn record(&self) -> Option<&SessionRecord> {
        None
    }
}

impl Party for psi::Initiator {
    type Outcome = psi::InitiatorOutcome;
    const PROTOCOL: &'static str = "psi";
    const ROLE: &'static str = "initiator";

    fn expects(&self) -> &'static [MessageType] {
        &[MessageType::PsiResponse]
    }

    fn consume(self, response: &[u8]) -> Consumed<Self> {
        let (this, _) = check_kind(self, response)?;
        let mut outcome = this.conclude(response)?;
        let send = outcome.finish.take().into_iter().collect();
        Ok(Step::end(outcome, send))
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Ok(save(WaitingRef::Initiator(self), None))
    }
}

/// The responder of balanced PSI: waiting for the request, then (when it
/// learns the output too) for the finish message.
#[derive(Debug)]
pub enum PsiResponder {
    /// Waiting for the request.
    Request(Box<psi::Responder>),
    /// Waiting for the finish message.
    Finish(Box<psi::ResponderAwaitingFinish>),
}

impl From<psi::Responder> for PsiResponder {
    fn from(r: psi::Responder) -> Self {
        PsiResponder::Request(Box::new(r))
    }
}

impl Party for PsiResponder {
    type Outcome = psi::ResponderOutcome;
    const PROTOCOL: &'static str = "psi";
    const ROLE: &'static str = "responder";

    fn expects(&self) -> &'static [MessageType] {
        match self {
            PsiResponder::Request(_) => &[MessageType::PsiRequest],
            PsiResponder::Finish(_) => &[MessageType::PsiFinish],
        }
    }

    fn consume(self, message: &[u8]) -> Consumed<Self> {
        match check_kind(self, message)?.0 {
            PsiResponder::Request(r) => {
                let (waiting, response) = r.respond(message)?;
                if waiting.config().output == Output::Initiator {
                    Ok(Step::end(waiting.conclude(None)?, vec![response]))
                } else {
                    Ok(Step::wait(
                        PsiResponder::Finish(Box::new(waiting)),
                        vec![response],
                    ))
                }
            }
            PsiResponder::Finish(w) => Ok(Step::end(w.conclude(Some(message))?, Vec::new())),
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        match self {
            PsiResponder::Request(_) => Err(Error::InvalidState(
                "a responder is saved after the request (until then it holds only its items)",
            )),
            PsiResponder::Finish(w) => Ok(save(WaitingRef::Responder(w), None)),
        }
    }
}

/// A watch-list client's query, with the digest it is answered against.
///
/// The command knows the digest when it finishes; a binding's client may
/// learn it only with the answer (`finish(answer, digest)`): it waits
/// without one ([`WatchlistQuery::from`] a client) and is given it then
/// ([`WatchlistQuery::address`]).
#[derive(Debug)]
pub struct WatchlistQuery {
    /// The client, which sent its query.
    pub client: unbalanced::Client,
    /// The digest of the epoch the query was addressed to, once known.
    pub digest: Option<Arc<SetDigest>>,
}

impl WatchlistQuery {
    /// A query answered against `digest`.
    pub fn new(client: unbalanced::Client, digest: impl Into<Arc<SetDigest>>) -> Self {
        WatchlistQuery {
            client,
            digest: Some(digest.into()),
        }
    }

    /// Names the digest the answer is looked up in (replacing one given
    /// before: the answer is checked against the digest's key either way).
    pub fn address(&mut self, digest: Arc<SetDigest>) {
        self.digest = Some(digest);
    }
}

/// A query whose digest comes with the answer.
impl From<unbalanced::Client> for WatchlistQuery {
    fn from(client: unbalanced::Client) -> Self {
        WatchlistQuery {
            client,
            digest: None,
        }
    }
}

impl Party for WatchlistQuery {
    type Outcome = UnbalancedMatches;
    const PROTOCOL: &'static str = "unbalanced";
    const ROLE: &'static str = "client";

    fn expects(&self) -> &'static [MessageType] {
        &[MessageType::UnbalancedAnswer]
    }

    /// Without a digest, the answer is refused and the query kept.
    fn consume(self, answer: &[u8]) -> Consumed<Self> {
        let (this, _) = check_kind(self, answer)?;
        let Some(digest) = this.digest.clone() else {
            let why = "the answer is looked up in the server's digest: give it first";
            return Err(Refused::keep(Error::InvalidState(why), this));
        };
        let matches = this.client.finish_with(answer, &digest)?;
        Ok(Step::end(matches, Vec::new()))
    }

    /// Saves the client (its digest is public: keep it beside the state).
    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Ok(save(WaitingRef::Client(&self.client), None))
    }
}

/// The watch-list server answering through the session machine, with the
/// budgets in its own memory ([`Served::from`] a `&Server`) or in a store
/// of the caller's that processes share, a ledger
/// ([`Served::with_budgets`]): what the bindings, the command and the
/// service answer a query with.
#[derive(Clone, Copy)]
pub struct Served<'a> {
    server: &'a unbalanced::Server,
    budgets: Option<&'a dyn BudgetStore>,
}

impl<'a> Served<'a> {
    /// `server`, charging every query to `budgets`.
    pub fn with_budgets(server: &'a unbalanced::Server, budgets: &'a dyn BudgetStore) -> Self {
        Served {
            server,
            budgets: Some(budgets),
        }
    }
}

impl<'a> From<&'a unbalanced::Server> for Served<'a> {
    fn from(server: &'a unbalanced::Server) -> Self {
        Served {
            server,
            budgets: None,
        }
    }
}

impl core::fmt::Debug for Served<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Served")
            .field("server", self.server)
            .field("own_budgets", &self.budgets.is_none())
            .finish()
    }
}

impl Party for Served<'_> {
    type Outcome = ();
    const PROTOCOL: &'static str = "unbalanced";
    const ROLE: &'static str = "server";

    fn expects(&self) -> &'static [MessageType] {
        &[MessageType::UnbalancedQuery]
    }

    fn consume(self, _: &[u8]) -> Consumed<Self> {
        let why = "a server charges a client's budget: give the client's name (consume_from)";
        Err(Refused::keep(Error::InvalidState(why), self))
    }

    /// A refused query leaves the server as it was, for every client.
    fn consume_from(self, client: &str, query: &[u8]) -> Consumed<Self> {
        let (this, _) = check_expected(self, query)?;
        let answered = match this.budgets {
            Some(store) => this.server.answer_with(query, client, store),
            None => this.server.answer(query, client),
        };
        match answered {
            Ok(answer) => Ok(Step::wait(this, vec![answer])),
            Err(e) => Err(Refused::keep(e, this)),
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Err(Error::InvalidState(
            "a server is kept as its key and digest, not as a session",
        ))
    }
}

/// The initiator of an intersection-sum: waiting for the response, then
/// (when the sums are revealed to both) for the result.
#[derive(Debug)]
pub enum SumInitiator {
    /// Waiting for the response.
    Response(Box<sum::Initiator>),
    /// Waiting for the result.
    Result(Box<sum::InitiatorAwaitingResult>),
}

impl From<sum::Initiator> for SumInitiator {
    fn from(i: sum::Initiator) -> Self {
        SumInitiator::Response(Box::new(i))
    }
}

impl Party for SumInitiator {
    type Outcome = sum::SumOutcome;
    const PROTOCOL: &'static str = "sum";
    const ROLE: &'static str = "initiator";

    fn expects(&self) -> &'static [MessageType] {
        match self {
            SumInitiator::Response(_) => &[MessageType::SumResponse],
            SumInitiator::Result(_) => &[MessageType::SumResult],
        }
    }

    fn consume(self, message: &[u8]) -> Consumed<Self> {
        match check_kind(self, message)?.0 {
            SumInitiator::Response(i) => {
                let (waiting, finish) = i.finish(message)?;
                if waiting.result_due() {
                    Ok(Step::wait(
                        SumInitiator::Result(Box::new(waiting)),
                        vec![finish],
                    ))
                } else {
                    Ok(Step::end(waiting.result(None)?, vec![finish]))
                }
            }
            SumInitiator::Result(w) => Ok(Step::end(w.result(Some(message))?, Vec::new())),
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Err(NOT_SAVED)
    }
}

/// The value holder of an intersection-sum: waiting for the request, then
/// for the finish message.
#[derive(Debug)]
pub enum SumResponder {
    /// Waiting for the request.
    Request(Box<sum::Responder>),
    /// Waiting for the finish message.
    Finish(Box<sum::ResponderAwaitingFinish>),
}

impl From<sum::Responder> for SumResponder {
    fn from(r: sum::Responder) -> Self {
        SumResponder::Request(Box::new(r))
    }
}

impl Party for SumResponder {
    type Outcome = sum::SumOutcome;
    const PROTOCOL: &'static str = "sum";
    const ROLE: &'static str = "responder";

    fn expects(&self) -> &'static [MessageType] {
        match self {
            SumResponder::Request(_) => &[MessageType::SumRequest],
            SumResponder::Finish(_) => &[MessageType::SumFinish],
        }
    }

    fn consume(self, message: &[u8]) -> Consumed<Self> {
        match check_kind(self, message)?.0 {
            SumResponder::Request(r) => {
                let (waiting, response) = r.respond(message)?;
                Ok(Step::wait(
                    SumResponder::Finish(Box::new(waiting)),
                    vec![response],
                ))
            }
            SumResponder::Finish(w) => {
                let (result, outcome) = w.finish(message)?;
                Ok(Step::end(outcome, result.into_iter().collect()))
            }
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Err(NOT_SAVED)
    }
}

/// A member after [`multiparty::Member::start`] (whose hop and commitment
/// it sent): the roster, then hops (forwarded, or its own values back:
/// its tags go to the hub), then the result. The outcome is the finished
/// member (its commitment and tags stay readable, its secrets are gone)
/// and what it learned.
impl Party for multiparty::Member {
    type Outcome = (multiparty::Member, multiparty::MultiOutcome);
    const PROTOCOL: &'static str = "multiparty";
    const ROLE: &'static str = "member";

    fn expects(&self) -> &'static [MessageType] {
        multiparty::Member::expects(self)
    }

    /// A refused message (another session's, the wrong hop, a batch a
    /// relay changed, a replay) leaves the member as it was.
    fn consume(self, message: &[u8]) -> Consumed<Self> {
        let (mut this, kind) = check_expected(self, message)?;
        let sent = match kind {
            MessageType::MultiRoster => this.accept_roster(message).map(|()| Vec::new()),
            MessageType::MultiHop => match this.owns(message) {
                Ok(true) => this
                    .complete(message)
                    .and_then(|()| this.tags())
                    .map(|t| vec![t]),
                Ok(false) => this.forward(message).map(|hop| vec![hop]),
                Err(e) => Err(e),
            },
            _ => match this.finish(message) {
                Ok(outcome) => return Ok(Step::end((this, outcome), Vec::new())),
                Err(e) => Err(e),
            },
        };
        match sent {
            Ok(sent) => Ok(Step::wait(this, sent)),
            Err(e) => Err(Refused::keep(e, this)),
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Err(NOT_SAVED)
    }
}

/// The hub: every agency's commitment (then it sends the roster), then
/// every agency's tags (then it sends the result and is done: the finished
/// hub is the outcome, which countersigns the members' receipts).
impl Party for multiparty::Hub {
    type Outcome = multiparty::Hub;
    const PROTOCOL: &'static str = "multiparty";
    const ROLE: &'static str = "hub";

    fn expects(&self) -> &'static [MessageType] {
        multiparty::Hub::expects(self)
    }

    fn consume(self, _: &[u8]) -> Consumed<Self> {
        let why = "the hub takes an agency's message with its name (consume_from)";
        Err(Refused::keep(Error::InvalidState(why), self))
    }

    /// A refused message (an unknown agency, tags naming another, a
    /// replay) leaves the hub as it was, for every other agency.
    fn consume_from(self, agency: &str, message: &[u8]) -> Consumed<Self> {
        let (mut this, kind) = check_expected(self, message)?;
        let commit = kind == MessageType::MultiCommit;
        let taken = if commit {
            this.commit(agency, message)
        } else {
            this.add(agency, message)
        };
        if let Err(e) = taken {
            return Err(Refused::keep(e, this));
        }
        if !this.missing().is_empty() {
            Ok(Step::wait(this, Vec::new()))
        } else if commit {
            let roster = this.roster()?;
            Ok(Step::wait(this, vec![roster]))
        } else {
            let result = this.result()?;
            Ok(Step::end(this, vec![result]))
        }
    }

    fn save(&self) -> Result<Zeroizing<Vec<u8>>> {
        Err(NOT_SAVED)
    }
}
