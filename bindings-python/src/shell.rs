//! The one class shell: the methods every protocol class shares, written
//! once. A class keeps its constructor and its named steps (`respond`,
//! `finish`, ... as thin calls into the core's session machine); these
//! macros add the rest (pyo3's `multiple-pymethods` lets each add its own
//! `#[pymethods]` block):
//!
//! - [`session_class!`]: the class's [`Machine`] step, `expects()`,
//!   `consume(message, sender=None)` and `repr()` for a class whose
//!   `phase` is a [`crate::phase::Shared`] around a core
//!   [`blindmatch::session::party::Party`] (every role of every protocol
//!   but the watch-list server, which answers for ever and writes its own
//!   [`Machine`] for [`machine_methods!`]); `consume` takes any message
//!   the object expects now and returns the messages to send;
//! - [`receipt_methods!`]: `receipt()`, `transcript_hash` and the hidden
//!   `_finished()` that `countersign(expect=)` asks, for a class with a
//!   `provenance` and a record once it finished.

use blindmatch::receipt::SessionRecord;
use blindmatch::wire::MessageType;
use pyo3::prelude::*;

use crate::audit::Provenance;

/// A protocol class's step: one message through its `phase`, with the
/// kind the calling method takes (`None`: any it expects now, read from the
/// message; a misuse with message `wrong` otherwise) and, for a class that
/// serves several peers (the hub, the watch-list server), the sender's
/// name. `consume()` and the named steps all call it. Written by
/// [`session_class!`] for a class around a core party.
pub(crate) trait Machine {
    /// Takes one message (and its `sender`); returns the messages to send.
    fn step_from(
        &self,
        py: Python<'_>,
        message: (&[u8], Option<&str>),
        kind: Option<MessageType>,
        wrong: &'static str,
    ) -> PyResult<Vec<Vec<u8>>>;

    /// The names of the messages the object takes now.
    fn expects(&self) -> Vec<&'static str>;

    /// [`Machine::step_from`] a peer of a two-party session.
    fn step(
        &self,
        py: Python<'_>,
        message: &[u8],
        kind: Option<MessageType>,
        wrong: &'static str,
    ) -> PyResult<Vec<Vec<u8>>> {
        self.step_from(py, (message, None), kind, wrong)
    }

    /// A named step that takes a message of `kind` only and must send one
    /// message back (`what`, for the error of a step that sent none).
    fn answer<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        (kind, wrong): (MessageType, &'static str),
        what: &str,
    ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let sent = self.step(py, message, Some(kind), wrong)?;
        reply(py, &sent, what)
    }
}

/// The one message a step must send (`what`, named in the error of a
/// step that sent none).
pub(crate) fn reply<'py>(
    py: Python<'py>,
    sent: &[Vec<u8>],
    what: &str,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    match sent.first() {
        Some(m) => Ok(pyo3::types::PyBytes::new(py, m)),
        None => Err(crate::errors::state(
            py,
            &format!("the step sent no {what}"),
        )),
    }
}

/// Writes the records of a session that ended to `provenance`'s ledger.
pub(crate) fn recorded(
    py: Python<'_>,
    provenance: &Provenance,
    records: Vec<SessionRecord>,
) -> PyResult<()> {
    records
        .iter()
        .try_for_each(|record| provenance.record_session(py, record))
}

/// The shell of `$class` (shown as `$name`, with its phase): its
/// [`Machine`] step, where `$done(self, outcome)` makes the object's result
/// of the core outcome and, with `provenance`, the records of a finished
/// session go to the class's ledger; then [`machine_methods!`] and
/// `__repr__`. `@machine` writes the step and the methods only, for a
/// class with a repr of its own.
macro_rules! session_class {
    ($class:ident, $name:literal, $done:expr $(, $provenance:ident)?) => {
        $crate::shell::session_class!(@machine $class, $done $(, $provenance)?);

        #[pymethods]
        impl $class {
            fn __repr__(&self) -> String {
                format!(concat!($name, "({})"), self.phase.name())
            }
        }
    };
    (@machine $class:ident, $done:expr $(, $provenance:ident)?) => {
        impl $crate::shell::Machine for $class {
            fn step_from(
                &self,
                py: Python<'_>,
                message: (&[u8], Option<&str>),
                kind: Option<blindmatch::wire::MessageType>,
                wrong: &'static str,
            ) -> PyResult<Vec<Vec<u8>>> {
                let done = $done;
                let (sent, _records) = self
                    .phase
                    .consume(py, message, kind, wrong, |outcome| done(self, outcome))?;
                $($crate::shell::recorded(py, &self.$provenance, _records)?;)?
                Ok(sent)
            }

            fn expects(&self) -> Vec<&'static str> {
                self.phase.expects()
            }
        }

        $crate::shell::machine_methods!($class);
    };
}

/// `expects()` and `consume(message, sender=None)` of a [`Machine`].
macro_rules! machine_methods {
    ($class:ident) => {
        #[pymethods]
        impl $class {
            /// The kinds of message ('psi-response', ...) the object takes
            /// now; [] once it finished or failed.
            fn expects(&self) -> Vec<&'static str> {
                $crate::shell::Machine::expects(self)
            }

            /// Takes any message the object expects now and returns the
            /// messages to send (possibly none): the named steps, chosen
            /// by the message's kind, for code that drives every protocol
            /// with one loop. ``sender`` names the peer a message came
            /// from, as the channel authenticated it, for the objects that
            /// serve several (``MultiPartyHub``, ``UnbalancedServer``).
            #[pyo3(signature = (message, sender=None))]
            fn consume<'py>(
                &self,
                py: Python<'py>,
                message: &[u8],
                sender: Option<&str>,
            ) -> PyResult<Vec<Bound<'py, pyo3::types::PyBytes>>> {
                let wrong = "not a message this object expects now";
                let sent =
                    $crate::shell::Machine::step_from(self, py, (message, sender), None, wrong)?;
                Ok(sent
                    .iter()
                    .map(|m| pyo3::types::PyBytes::new(py, m))
                    .collect())
            }
        }
    };
}

/// Receipts for `$class`, whose record `$record(self, py)` returns once
/// the session finished (a `StateError` before).
macro_rules! receipt_methods {
    ($class:ident, $record:expr) => {
        #[pymethods]
        impl $class {
            /// Signs a receipt of the finished session (bytes) with the case
            /// given to the constructor; recorded in the ledger when there
            /// is one.
            #[pyo3(signature = (signer, timestamp=None))]
            fn receipt<'py>(
                &self,
                py: Python<'py>,
                signer: &$crate::audit::SigningKey,
                timestamp: Option<u64>,
            ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
                $crate::audit::Party::sign_receipt(self, py, signer, timestamp)
            }

            /// For `SigningKey.countersign(expect=self)`: this party's case,
            /// ledger and record.
            fn _finished(&self, py: Python<'_>) -> PyResult<$crate::audit::Finished> {
                $crate::audit::Party::finished(self, py)
            }

            /// SHA-512 over every message of the session (64 bytes); the
            /// peer holds the same.
            #[getter]
            fn transcript_hash<'py>(
                &self,
                py: Python<'py>,
            ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
                $crate::audit::Party::transcript_hash_bytes(self, py)
            }
        }

        impl $crate::audit::Party for $class {
            fn provenance(&self) -> &$crate::audit::Provenance {
                &self.provenance
            }

            fn record(&self, py: Python<'_>) -> PyResult<blindmatch::receipt::SessionRecord> {
                let record: fn(&Self, Python<'_>) -> PyResult<blindmatch::receipt::SessionRecord> =
                    $record;
                record(self, py)
            }
        }
    };
}

/// `save(passphrase=None)` and the static `restore(...)` of `$class` (shown
/// as `$name`), whose party can wait for a peer's message in another
/// process: `$saved(live)` is the saved form of its live state (`None`, and
/// a misuse saying `$when`, when there is nothing to save now),
/// `$restored(waiting)` takes a restored state of its kind (or names the
/// kind it got), and `$rebuild(state, records, provenance)` makes the object.
macro_rules! saved_methods {
    ($class:ident, $name:literal, $when:literal, $saved:expr, $restored:expr, $rebuild:expr) => {
        #[pymethods]
        impl $class {
            /// The waiting session as bytes (sealed under ``passphrase`` when
            /// one is given), to finish later, in another process, with
            /// ``restore``. The bytes hold the session's secrets (its key,
            /// blinds or items): keep them private, or seal them.
            #[pyo3(signature = (passphrase=None))]
            fn save<'py>(
                &self,
                py: Python<'py>,
                passphrase: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
                self.phase.with_live(py, $when, |live| match ($saved)(live) {
                    Some(waiting) => {
                        $crate::state::save(py, waiting, self.records.as_deref(), passphrase)
                    }
                    None => Err($crate::errors::state(py, $when)),
                })
            }

            /// The object waiting where ``save()`` left it, from its bytes
            /// (and its passphrase when sealed). The case and ledger are not
            /// part of a saved state: give them again.
            #[staticmethod]
            #[pyo3(signature = (state, passphrase=None, *, case_ref=None, legal_basis=None, ledger=None))]
            fn restore(
                py: Python<'_>,
                state: &[u8],
                passphrase: Option<&Bound<'_, PyAny>>,
                case_ref: Option<String>,
                legal_basis: Option<String>,
                ledger: Option<PyRef<'_, $crate::audit::Ledger>>,
            ) -> PyResult<Self> {
                let (waiting, records, provenance) = $crate::state::restore_as(
                    py,
                    state,
                    passphrase,
                    case_ref,
                    legal_basis,
                    ledger.as_deref(),
                    $name,
                    $restored,
                )?;
                Ok(($rebuild)(waiting, records, provenance))
            }
        }
    };
}

pub(crate) use {machine_methods, receipt_methods, saved_methods, session_class};
