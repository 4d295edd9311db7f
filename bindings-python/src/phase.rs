//! The one state machine of every protocol class: the core's
//! [`Phase`](blindmatch::phase::Phase) behind a mutex, since a pyclass can be
//! shared between threads. A step takes the live state out (the object is
//! `busy` meanwhile), runs with the GIL released, and stores the next phase;
//! a failed object raises its error again on every later call.

use std::sync::{Mutex, MutexGuard};

use blindmatch::phase::{Phase, PhaseError, expecting};
use blindmatch::receipt::SessionRecord;
use blindmatch::session::party::Party;
use blindmatch::wire::{MessageType, message_type};
use pyo3::prelude::*;

use crate::errors;

/// A protocol object's phase, shared between Python threads.
pub(crate) struct Shared<L, D>(Mutex<Phase<L, D>>);

/// Converts a refused call: misuse is a `StateError`, an earlier failure
/// is raised again as itself.
pub(crate) fn refused(py: Python<'_>, e: PhaseError) -> PyErr {
    match e {
        PhaseError::Misuse(m) => errors::state(py, m),
        PhaseError::Failed(e) => errors::to_py(py, e),
    }
}

impl<L: Send, D: Send> Shared<L, D> {
    pub(crate) fn new(live: L) -> Self {
        Shared(Mutex::new(Phase::Live(live)))
    }

    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, Phase<L, D>>> {
        self.0
            .lock()
            .map_err(|_| errors::state(py, "the object was poisoned by a panic"))
    }

    /// Runs one step: `take` picks the live state the step consumes (or
    /// gives it back, and the call is a misuse with message `wrong`), `step`
    /// runs without the GIL and returns the next phase and the output.
    pub(crate) fn step<S, T, F>(
        &self,
        py: Python<'_>,
        take: impl FnOnce(L) -> Result<S, L>,
        wrong: &'static str,
        step: F,
    ) -> PyResult<T>
    where
        S: Send,
        T: Send,
        F: FnOnce(S) -> blindmatch::Result<(Phase<L, D>, T)> + Send,
    {
        let state = self
            .lock(py)?
            .begin_with(take, wrong)
            .map_err(|e| refused(py, e))?;
        let result = py.detach(move || step(state));
        self.lock(py)?
            .settle(result)
            .map_err(|e| errors::to_py(py, e))
    }

    /// Runs `f` on the live state in place, without the GIL: for a step
    /// that changes a party the session machine does not drive (a
    /// member's `start`, a hub's `roster`). The state stays live whatever
    /// `f` returns: a refused call leaves the object as it was.
    pub(crate) fn mutate<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut L) -> blindmatch::Result<R> + Send,
    ) -> PyResult<R> {
        let mut live = self.lock(py)?.begin().map_err(|e| refused(py, e))?;
        let (live, out) = py.detach(move || {
            let out = f(&mut live);
            (live, out)
        });
        *self.lock(py)? = Phase::Live(live);
        out.map_err(|e| errors::to_py(py, e))
    }

    /// Reads the party, waiting or finished ([`Phase::party`]: `party_of`
    /// finds it in the result).
    pub(crate) fn with_party<R>(
        &self,
        py: Python<'_>,
        party_of: impl FnOnce(&D) -> &L,
        f: impl FnOnce(&L) -> PyResult<R>,
    ) -> PyResult<R> {
        let g = self.lock(py)?;
        f(g.party(party_of).map_err(|e| refused(py, e))?)
    }

    /// Reads the result of a finished object.
    pub(crate) fn with_done<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&D) -> PyResult<R>,
    ) -> PyResult<R> {
        let g = self.lock(py)?;
        f(g.done().map_err(|e| refused(py, e))?)
    }

    /// Reads the live state of an object that waits for its next step.
    pub(crate) fn with_live<R>(
        &self,
        py: Python<'_>,
        wrong: &'static str,
        f: impl FnOnce(&L) -> PyResult<R>,
    ) -> PyResult<R> {
        let g = self.lock(py)?;
        match &*g {
            Phase::Live(live) => f(live),
            Phase::Failed(e) => Err(errors::to_py(py, e.clone())),
            Phase::Busy | Phase::Done(_) => Err(errors::state(py, wrong)),
        }
    }

    /// The phase's name, for `repr`.
    pub(crate) fn name(&self) -> &'static str {
        match self.0.lock() {
            Ok(g) => g.name(),
            Err(_) => "poisoned",
        }
    }
}

impl<P, D> Shared<P, D>
where
    P: Party + Send,
    P::Outcome: Send,
    D: Send,
{
    /// One message through the core's session machine: `kind` is the
    /// message the calling method takes (a misuse with message `wrong`,
    /// the object unchanged, while the party does not expect it; `None`
    /// reads it from the message); `sender` is the peer's name for a party
    /// that serves several ([`Party::consume_from`]); `done` turns the
    /// outcome into the object's result. Returns the messages to send and
    /// the records of a session that ended here.
    pub(crate) fn consume(
        &self,
        py: Python<'_>,
        (message, sender): (&[u8], Option<&str>),
        kind: Option<MessageType>,
        wrong: &'static str,
        done: impl FnOnce(P::Outcome) -> D + Send,
    ) -> PyResult<(Vec<Vec<u8>>, Vec<SessionRecord>)> {
        let kind = match kind {
            Some(k) => k,
            None => message_type(message).map_err(|e| errors::to_py(py, e))?,
        };
        let stepped = self.step(py, expecting(kind), wrong, |party| {
            Phase::after(party.consume_sent((message, sender)), done)
        })?;
        stepped.map_err(|e| errors::to_py(py, e))
    }

    /// The names of the messages the object takes now (none once it
    /// finished or failed).
    pub(crate) fn expects(&self) -> Vec<&'static str> {
        match self.0.lock().as_deref() {
            Ok(Phase::Live(party)) => party.expects().iter().map(|k| k.name()).collect(),
            _ => Vec::new(),
        }
    }
}
