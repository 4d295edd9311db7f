//! `Initiator` and `Responder`: balanced PSI (mirrors `blindmatch::psi`).
//!
//! The core states are consumed by each step; here they live in the shared
//! [`Phase`] (see `phase.rs`), so a second `finish`, a result read too early
//! or a call racing another thread raises `StateError`, and a failed session
//! raises its error again, instead of misbehaving.

use std::sync::Arc;

use blindmatch::psi::{self as core, Config, Matches, Output, Reveal};
use blindmatch::receipt::SessionRecord;
use blindmatch::records::RecordIndex;
use blindmatch::registry::parties::PsiResponder;
use blindmatch::state::{Waiting, WaitingRef};
use blindmatch::wire::MessageType;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::audit::{Ledger, Provenance};
use crate::errors::{self, IntoPy};
use crate::items::{self, Items};
use crate::phase::Shared;
use crate::seed::Seed;
use crate::shell::{Machine, receipt_methods, saved_methods, session_class};

pub(crate) fn config(
    reveal: &str,
    output: &str,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
) -> PyResult<Config> {
    let reveal = errors::choice::<Reveal>("reveal", reveal)?;
    let output = errors::choice::<Output>("output", output)?;
    let mut c = Config::new(reveal, output).with_min_peer_items(min_peer_items);
    if let Some(max) = max_peer_items {
        c = c.with_max_peer_items(max);
    }
    Ok(c)
}

/// Results shared by both roles.
struct Done {
    matches: Option<Matches>,
    records: Option<Arc<RecordIndex>>,
    record: SessionRecord,
}

impl Done {
    fn new(
        matches: Option<Matches>,
        record: SessionRecord,
        records: Option<Arc<RecordIndex>>,
    ) -> Self {
        Done {
            matches,
            records,
            record,
        }
    }

    fn get(&self, py: Python<'_>) -> PyResult<&Matches> {
        self.matches.as_ref().ok_or_else(|| {
            errors::state(
                py,
                "this party receives no output in this mode (output='initiator')",
            )
        })
    }

    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        crate::records::record_matches(py, self.records.as_ref(), self.get(py)?.indices())
    }
}

/// The initiator of a balanced PSI session.
///
/// reveal="cardinality" is secure against semi-honest peers only: a peer
/// that blinds each item with its own exponent learns which of its items
/// matched (n_I * n_R exponentiations). It is no defence against a peer you
/// do not trust; see SECURITY.md.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Initiator {
    phase: Shared<core::Initiator, Done>,
    /// None for an initiator restored from a saved state (it sent its
    /// request before it was saved).
    request: Option<Vec<u8>>,
    records: Option<Arc<RecordIndex>>,
    provenance: Provenance,
}

impl Initiator {
    /// Starts a session; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        config: Config,
        provenance: Provenance,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let config = config.with_profile(items.profile());
        let values = items.values;
        let (initiator, request) = py
            .detach(move || {
                crate::seed_or_os!(seed, core::Initiator, new | new_with_rng(config, &values))
            })
            .py_err(py)?;
        Ok(Initiator {
            phase: Shared::new(initiator),
            request: Some(request),
            records: items.records.map(|rs| Arc::new(rs.index())),
            provenance,
        })
    }
}

session_class!(
    Initiator,
    "Initiator",
    |this: &Initiator, o: core::InitiatorOutcome| {
        Done::new(Some(o.matches), o.record, this.records.clone())
    },
    provenance
);
saved_methods!(
    Initiator,
    "Initiator",
    "save() only while the session waits for the response",
    |live| Some(WaitingRef::Initiator(live)),
    |w| match w {
        Waiting::Initiator(s) => Ok(s),
        other => Err(other.name()),
    },
    |initiator, records, provenance| Initiator {
        phase: Shared::new(initiator),
        // It sent its request before it was saved.
        request: None,
        records,
        provenance,
    }
);
/// What both balanced roles share: the constructor (items, the mode both
/// choose, the case; different first steps) and the result getters.
macro_rules! balanced_shell {
    ($t:ident) => {
        #[pymethods]
        impl $t {
            #[new]
            #[pyo3(signature = (items, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0, *, proofs="verify", case_ref=None, legal_basis=None, ledger=None))]
            #[allow(clippy::too_many_arguments)]
            fn new(
                py: Python<'_>,
                items: &Bound<'_, PyAny>,
                reveal: &str,
                output: &str,
                max_peer_items: Option<usize>,
                min_peer_items: usize,
                proofs: &str,
                case_ref: Option<String>,
                legal_basis: Option<String>,
                ledger: Option<PyRef<'_, Ledger>>,
            ) -> PyResult<Self> {
                let config = config(reveal, output, max_peer_items, min_peer_items)?
                    .with_proofs(errors::choice("proofs", proofs)?);
                let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
                let seed = crate::seed::for_constructor();
                Self::start(py, items::extract(items)?, config, provenance, seed)
            }

            /// Sorted indices into items that are shared ([] in cardinality mode).
            #[getter]
            fn matches(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
                self.phase
                    .with_done(py, |d| Ok(d.get(py)?.indices().to_vec()))
            }

            /// The number of distinct shared items.
            #[getter]
            fn cardinality(&self, py: Python<'_>) -> PyResult<usize> {
                self.phase.with_done(py, |d| Ok(d.get(py)?.cardinality()))
            }

            /// [(record_id, [kinds that matched])] when items was a RecordSet.
            #[getter]
            fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
                self.phase.with_done(py, |d| d.record_matches(py))
            }
        }
    };
}
balanced_shell!(Initiator);
balanced_shell!(Responder);

receipt_methods!(Initiator, |s, py| s
    .phase
    .with_done(py, |d| Ok(d.record.clone())));

#[pymethods]
impl Initiator {
    /// The request message for the responder.
    fn request<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.request
            .as_deref()
            .map(|r| PyBytes::new(py, r))
            .ok_or_else(|| {
                errors::state(
                    py,
                    "a restored initiator has no request: it was sent before the session was saved",
                )
            })
    }

    /// Processes the response; returns the finish message for the responder,
    /// or None when only the initiator learns the output.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        response: &[u8],
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let sent = self.step(py, response, Some(MessageType::PsiResponse), "")?;
        Ok(sent.first().map(|f| PyBytes::new(py, f)))
    }
}

/// The responder of a balanced PSI session.
///
/// reveal="cardinality" is secure against semi-honest peers only: a peer
/// that blinds each item with its own exponent learns which of its items
/// matched (n_I * n_R exponentiations). It is no defence against a peer you
/// do not trust; see SECURITY.md.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Responder {
    phase: Shared<PsiResponder, Done>,
    records: Option<Arc<RecordIndex>>,
    provenance: Provenance,
}

impl Responder {
    /// Prepares a responder; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        config: Config,
        provenance: Provenance,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let config = config.with_profile(items.profile());
        let values = items.values;
        let responder = py
            .detach(move || {
                crate::seed_or_os!(seed, core::Responder, new | new_with_rng(config, &values))
            })
            .py_err(py)?;
        Ok(Responder {
            phase: Shared::new(PsiResponder::from(responder)),
            records: items.records.map(|rs| Arc::new(rs.index())),
            provenance,
        })
    }
}

session_class!(
    Responder,
    "Responder",
    |this: &Responder, o: core::ResponderOutcome| {
        Done::new(o.matches, o.record, this.records.clone())
    },
    provenance
);
/// A responder's saved form: after its response only.
fn saved_responder(live: &PsiResponder) -> Option<WaitingRef<'_>> {
    match live {
        PsiResponder::Finish(w) => Some(WaitingRef::Responder(w)),
        PsiResponder::Request(_) => None,
    }
}

saved_methods!(
    Responder,
    "Responder",
    "save() only while the session waits for the finish message: nothing to save before respond()",
    saved_responder,
    |w| match w {
        Waiting::Responder(s) => Ok(s),
        other => Err(other.name()),
    },
    |waiting, records, provenance| Responder {
        phase: Shared::new(PsiResponder::Finish(Box::new(waiting))),
        records,
        provenance,
    }
);
receipt_methods!(Responder, |s, py| s
    .phase
    .with_done(py, |d| Ok(d.record.clone())));

#[pymethods]
impl Responder {
    /// Answers the initiator's request; returns the response message. The
    /// responder then waits for the finish message, or for ``finish(None)``
    /// when only the initiator learns the output (it can be saved until then).
    fn respond<'py>(&self, py: Python<'py>, request: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let take = |live| match live {
            PsiResponder::Request(r) => Ok(r),
            other => Err(other),
        };
        let response = self
            .phase
            .step(py, take, "respond() was already called", |responder| {
                let (next, response) = responder.respond(request)?;
                let next = PsiResponder::Finish(Box::new(next));
                Ok((blindmatch::phase::Phase::Live(next), response))
            })?;
        Ok(PyBytes::new(py, &response))
    }

    /// Processes the initiator's finish message (None when only the initiator learns the output).
    #[pyo3(signature = (finish))]
    fn finish(&self, py: Python<'_>, finish: Option<&[u8]>) -> PyResult<()> {
        let wrong = "respond() must come first";
        if let Some(bytes) = finish {
            return self
                .step(py, bytes, Some(MessageType::PsiFinish), wrong)
                .map(drop);
        }
        // No finish message: the session ends here when only the initiator
        // learns the output, and fails (as in core) when one was due.
        let records = self.records.clone();
        let take = |live| match live {
            PsiResponder::Finish(w) => Ok(w),
            other => Err(other),
        };
        let record = self.phase.step(py, take, wrong, |w| {
            let o = w.conclude(None)?;
            let done = Done::new(o.matches, o.record.clone(), records);
            Ok((blindmatch::phase::Phase::Done(done), o.record))
        })?;
        self.provenance.record_session(py, &record)
    }
}

/// The type of a message ('psi-request', 'psi-response', 'psi-finish'), read from its envelope.
#[pyfunction]
pub(crate) fn message_type(py: Python<'_>, message: &[u8]) -> PyResult<&'static str> {
    Ok(blindmatch::wire::message_type(message).py_err(py)?.name())
}
