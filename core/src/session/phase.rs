//! Where a protocol object stands, for callers that cannot use the type
//! states.
//!
//! In Rust every step consumes its state (`psi::Initiator::finish`
//! takes `self`), so a step cannot run twice or out of order. A Python or
//! JavaScript object cannot be consumed; it holds a [`Phase`] instead, and
//! every binding's protocol class uses this one type:
//!
//! - [`Phase::Live`]: waiting for a step, with the core state it consumes;
//! - [`Phase::Busy`]: a step is running (in another thread);
//! - [`Phase::Done`]: finished, with the result;
//! - [`Phase::Failed`]: a step failed; every later call gets that error
//!   again, as a TLS connection keeps reporting the alert that ended it.
//!
//! ```
//! use blindmatch::phase::{Phase, PhaseError};
//! use blindmatch::psi::{Config, Initiator, Matches, Responder};
//!
//! let (initiator, request) = Initiator::new(Config::default(), &["a", "b"])?;
//! let mut phase: Phase<Initiator, Matches> = Phase::Live(initiator);
//! assert!(matches!(phase.done(), Err(PhaseError::Misuse(_))));
//!
//! let (_, response) = Responder::new(Config::default(), &["b"])?.respond(&request)?;
//! let live = phase.begin().expect("live");
//! let finish = phase.settle(live.finish(&response).map(|(f, m)| (Phase::Done(m), f)))?;
//! assert!(finish.is_some());
//! assert_eq!(phase.done().unwrap().indices(), &[1]);
//! assert!(matches!(phase.begin(), Err(PhaseError::Misuse(_)))); // no second finish
//! # Ok::<(), blindmatch::Error>(())
//! ```

use core::fmt;

use crate::error::Error;
use crate::evidence::receipt::SessionRecord;
use crate::session::party::{Concluded, Consumed, Party, Refused};
use crate::wire::MessageType;

/// The state of a protocol object held by a binding.
pub enum Phase<L, D> {
    /// Waiting for its next step, with the core state that step consumes.
    Live(L),
    /// A step is running.
    Busy,
    /// Finished, with the result.
    Done(D),
    /// A step failed; later calls repeat this error.
    Failed(Error),
}

/// Why a call on a [`Phase`] cannot proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseError {
    /// The call is out of order (the message says why); the object is
    /// unchanged. Bindings raise their state error (`invalid_state`).
    Misuse(&'static str),
    /// The object failed earlier with this error; bindings raise it again.
    Failed(Error),
}

impl fmt::Display for PhaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhaseError::Misuse(m) => f.write_str(m),
            PhaseError::Failed(e) => write!(f, "{e}"),
        }
    }
}

impl From<Error> for PhaseError {
    fn from(e: Error) -> Self {
        PhaseError::Failed(e)
    }
}

impl<L, D> Phase<L, D> {
    /// Starts a step: takes the live state out and leaves [`Phase::Busy`].
    ///
    /// # Errors
    ///
    /// [`PhaseError::Misuse`] while another step runs or after the object
    /// finished; [`PhaseError::Failed`] with the earlier error after a
    /// failure. The phase is unchanged then.
    pub fn begin(&mut self) -> Result<L, PhaseError> {
        self.begin_with(Ok, "")
    }

    /// [`Phase::begin`] for an object with several live states: `take`
    /// returns the state this step consumes, or gives the live state back,
    /// and then the call is [`PhaseError::Misuse`] with `wrong` as its
    /// message (e.g. "respond() must come first").
    ///
    /// # Errors
    ///
    /// As [`Phase::begin`].
    pub fn begin_with<S>(
        &mut self,
        take: impl FnOnce(L) -> Result<S, L>,
        wrong: &'static str,
    ) -> Result<S, PhaseError> {
        match core::mem::replace(self, Phase::Busy) {
            Phase::Live(live) => take(live).map_err(|live| {
                *self = Phase::Live(live);
                PhaseError::Misuse(wrong)
            }),
            other => {
                let e = other.refusal("the protocol has already finished");
                *self = other;
                Err(e)
            }
        }
    }

    /// Ends a step: on success stores the next phase and returns the step's
    /// output; on failure the object becomes [`Phase::Failed`] with the error,
    /// which is returned.
    ///
    /// # Errors
    ///
    /// The step's error.
    pub fn settle<T>(&mut self, result: Result<(Self, T), Error>) -> Result<T, Error> {
        match result {
            Ok((next, out)) => {
                *self = next;
                Ok(out)
            }
            Err(e) => {
                *self = Phase::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Returns the result of a finished object.
    ///
    /// # Errors
    ///
    /// [`PhaseError::Misuse`] before the protocol finished or while a step
    /// runs, [`PhaseError::Failed`] after a failure.
    pub fn done(&self) -> Result<&D, PhaseError> {
        match self {
            Phase::Done(d) => Ok(d),
            other => Err(other.refusal("")),
        }
    }

    /// The party, waiting or finished, for a role whose finished party is
    /// part of its result (`party_of` finds it there: the multi-party
    /// member and hub, which still answer for what they sent).
    ///
    /// # Errors
    ///
    /// [`PhaseError::Misuse`] while a step runs; [`PhaseError::Failed`]
    /// with the error that ended the object.
    pub fn party(&self, party_of: impl FnOnce(&D) -> &L) -> Result<&L, PhaseError> {
        match self {
            Phase::Live(live) => Ok(live),
            Phase::Done(done) => Ok(party_of(done)),
            other => Err(other.refusal("")),
        }
    }

    /// Names the phase, for a binding's `repr`/`toString`.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Live(_) => "live",
            Phase::Busy => "busy",
            Phase::Done(_) => "finished",
            Phase::Failed(_) => "failed",
        }
    }

    /// Why a call that needs another phase cannot proceed.
    fn refusal(&self, when_done: &'static str) -> PhaseError {
        match self {
            Phase::Live(_) => PhaseError::Misuse("the protocol has not finished yet"),
            Phase::Busy => PhaseError::Misuse("another call on this object is still running"),
            Phase::Done(_) => PhaseError::Misuse(when_done),
            Phase::Failed(e) => PhaseError::Failed(e.clone()),
        }
    }
}

/// The `take` of [`Phase::begin_with`] for a step that gives a [`Party`] a
/// message of kind `kind`: it hands back a party that does not expect that
/// kind now, and the call is then a misuse.
pub fn expecting<P: Party>(kind: MessageType) -> impl FnOnce(P) -> Result<P, P> {
    move |party| {
        if party.expects().contains(&kind) {
            Ok(party)
        } else {
            Err(party)
        }
    }
}

impl<P: Party, D> Phase<P, D> {
    /// What a step of a [`Party`] leaves, for [`Phase::settle`]: the next
    /// phase (live with the party that goes on, done with `done` of its
    /// outcome, or live as it was after a refusal that kept it) and the
    /// step's own result, the messages to send and the records
    /// ([`Concluded::records`]) of a session that ended here, or the
    /// refusal's error. A refusal that ended the
    /// party is the `Err` that fails the phase.
    ///
    /// # Errors
    ///
    /// The error of a refusal that ended the party, or
    /// [`Error::InvalidState`] for a step that neither goes on nor ends.
    #[allow(clippy::type_complexity)]
    pub fn after(
        consumed: Consumed<P>,
        done: impl FnOnce(P::Outcome) -> D,
    ) -> Result<(Self, Result<(Vec<Vec<u8>>, Vec<SessionRecord>), Error>), Error> {
        let step = match consumed {
            Ok(step) => step,
            Err(Refused {
                error,
                party: Some(kept),
            }) => return Ok((Phase::Live(kept), Err(error))),
            Err(Refused { error, party: None }) => return Err(error),
        };
        let records = step
            .outcome
            .as_ref()
            .map(Concluded::records)
            .unwrap_or_default();
        let next = match (step.next, step.outcome) {
            (Some(party), _) => Phase::Live(party),
            (None, Some(outcome)) => Phase::Done(done(outcome)),
            (None, None) => {
                return Err(Error::InvalidState("the session ended without an outcome"));
            }
        };
        Ok((next, Ok((step.send, records))))
    }
}

impl<L, D> fmt::Debug for Phase<L, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The live state holds secrets: only the phase's name is shown.
        write!(f, "Phase({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_phase_repeats_its_error() {
        let mut p: Phase<u8, u8> = Phase::Live(1);
        let live = p.begin().unwrap();
        assert_eq!(live, 1);
        assert_eq!(p.name(), "busy");
        assert!(matches!(p.begin(), Err(PhaseError::Misuse(m)) if m.contains("running")));
        assert_eq!(p.settle::<()>(Err(Error::Malformed)), Err(Error::Malformed));
        for _ in 0..2 {
            assert_eq!(p.begin(), Err(PhaseError::Failed(Error::Malformed)));
            assert_eq!(p.done(), Err(PhaseError::Failed(Error::Malformed)));
        }
    }

    #[test]
    fn a_wrong_live_state_is_given_back() {
        let mut p: Phase<u8, u8> = Phase::Live(7);
        let r = p.begin_with(|l| if l == 8 { Ok(l) } else { Err(l) }, "respond() first");
        assert_eq!(r, Err(PhaseError::Misuse("respond() first")));
        assert_eq!(p.begin(), Ok(7));
        assert_eq!(p.settle(Ok((Phase::Done(9), "out"))), Ok("out"));
        assert_eq!(p.done(), Ok(&9));
        assert_eq!(
            p.begin(),
            Err(PhaseError::Misuse("the protocol has already finished"))
        );
        assert_eq!(format!("{p:?}"), "Phase(finished)");
    }
}
