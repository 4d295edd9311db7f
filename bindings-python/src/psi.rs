//! `Initiator` and `Responder`: balanced PSI (mirrors `blindmatch::psi`).
//!
//! The core states are consumed by each step; here they live behind a
//! mutex, taken out for the step (with the GIL released) and replaced by
//! the next state, so a second `finish`, a result read too early or a call
//! racing another thread raises `StateError` instead of misbehaving.

use std::sync::{Arc, Mutex};

use blindmatch::psi::{self as core, Config, Matches, Output, Reveal};
use blindmatch::records::RecordSet;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{self, IntoPy};
use crate::items::{self, Items};
use crate::testing::Seed;

pub(crate) fn config(
    reveal: &str,
    output: &str,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
) -> PyResult<Config> {
    let reveal = match reveal {
        "intersection" => Reveal::Intersection,
        "cardinality" => Reveal::Cardinality,
        other => {
            return Err(PyValueError::new_err(format!(
                "reveal must be 'intersection' or 'cardinality', not {other:?}"
            )));
        }
    };
    let output = match output {
        "both" => Output::Both,
        "initiator" => Output::Initiator,
        other => {
            return Err(PyValueError::new_err(format!(
                "output must be 'both' or 'initiator', not {other:?}"
            )));
        }
    };
    let mut c = Config::new(reveal, output).with_min_peer_items(min_peer_items);
    if let Some(max) = max_peer_items {
        c = c.with_max_peer_items(max);
    }
    Ok(c)
}

/// Results shared by both roles.
struct Done {
    matches: Option<Matches>,
    records: Option<Arc<RecordSet>>,
}

impl Done {
    fn get(&self, py: Python<'_>) -> PyResult<&Matches> {
        self.matches.as_ref().ok_or_else(|| {
            errors::state(
                py,
                "this party receives no output in this mode (output='initiator')",
            )
        })
    }

    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        let m = self.get(py)?;
        let rs = self
            .records
            .as_ref()
            .ok_or_else(|| errors::state(py, "record_matches needs a RecordSet as items"))?;
        Ok(rs
            .record_matches(m)
            .into_iter()
            .map(|r| (r.record_id, r.kinds))
            .collect())
    }
}

enum InitState {
    Waiting(core::Initiator),
    Busy,
    Done(Done),
    Failed,
}

/// The initiator of a balanced PSI session.
///
/// reveal="cardinality" is secure against semi-honest peers only: a peer
/// that blinds each item with its own exponent learns which of its items
/// matched (n_I * n_R exponentiations). It is no defence against a peer you
/// do not trust; see SECURITY.md.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Initiator {
    state: Mutex<InitState>,
    request: Vec<u8>,
    records: Option<Arc<RecordSet>>,
}

fn not_done(py: Python<'_>, failed: bool) -> PyErr {
    errors::state(
        py,
        if failed {
            "the session failed; start a new one"
        } else {
            "the protocol has not finished yet"
        },
    )
}

macro_rules! results {
    ($t:ty, $state:path, $failed:path) => {
        impl $t {
            fn with_done<R>(
                &self,
                py: Python<'_>,
                f: impl FnOnce(&Done) -> PyResult<R>,
            ) -> PyResult<R> {
                let g = self
                    .state
                    .lock()
                    .map_err(|_| errors::state(py, "state poisoned"))?;
                match &*g {
                    $state(d) => f(d),
                    $failed => Err(not_done(py, true)),
                    _ => Err(not_done(py, false)),
                }
            }
        }
    };
}
results!(Initiator, InitState::Done, InitState::Failed);
results!(Responder, RespState::Done, RespState::Failed);

impl Initiator {
    /// Starts a session; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        config: Config,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let config = config.with_profile(items.profile());
        let values = items.values;
        let (initiator, request) = py
            .detach(move || match seed {
                Some(seed) => core::Initiator::new_with_rng(config, &values, &mut seed.rng()),
                None => core::Initiator::new(config, &values),
            })
            .py_err(py)?;
        Ok(Initiator {
            state: Mutex::new(InitState::Waiting(initiator)),
            request,
            records: items.records,
        })
    }
}

#[pymethods]
impl Initiator {
    #[new]
    #[pyo3(signature = (items, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0))]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        reveal: &str,
        output: &str,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
    ) -> PyResult<Self> {
        let config = config(reveal, output, max_peer_items, min_peer_items)?;
        Self::start(py, items::extract(items)?, config, None)
    }

    /// The request message for the responder.
    fn request<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.request)
    }

    /// Processes the response; returns the finish message for the responder,
    /// or None when only the initiator learns the output.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        response: &[u8],
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let initiator = {
            let mut g = self
                .state
                .lock()
                .map_err(|_| errors::state(py, "state poisoned"))?;
            match std::mem::replace(&mut *g, InitState::Busy) {
                InitState::Waiting(i) => i,
                other => {
                    let msg = match &other {
                        InitState::Busy => "finish is running in another thread",
                        InitState::Done(_) => "finish was already called",
                        _ => "the session failed; start a new one",
                    };
                    *g = other;
                    return Err(errors::state(py, msg));
                }
            }
        };
        let result = py.detach(|| initiator.finish(response));
        let mut g = self
            .state
            .lock()
            .map_err(|_| errors::state(py, "state poisoned"))?;
        match result {
            Ok((finish, matches)) => {
                *g = InitState::Done(Done {
                    matches: Some(matches),
                    records: self.records.clone(),
                });
                Ok(finish.map(|f| PyBytes::new(py, &f)))
            }
            Err(e) => {
                *g = InitState::Failed;
                Err(errors::to_py(py, e))
            }
        }
    }

    /// Sorted indices into items that are shared ([] in cardinality mode).
    #[getter]
    fn matches(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
        self.with_done(py, |d| Ok(d.get(py)?.indices().to_vec()))
    }

    /// The number of distinct shared items.
    #[getter]
    fn cardinality(&self, py: Python<'_>) -> PyResult<usize> {
        self.with_done(py, |d| Ok(d.get(py)?.cardinality()))
    }

    /// [(record_id, [kinds that matched])] when items was a RecordSet.
    #[getter]
    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        self.with_done(py, |d| d.record_matches(py))
    }

    fn __repr__(&self) -> String {
        let state = match self.state.lock().as_deref() {
            Ok(InitState::Waiting(_)) => "waiting for the response",
            Ok(InitState::Busy) => "busy",
            Ok(InitState::Done(_)) => "finished",
            _ => "failed",
        };
        format!("Initiator({state})")
    }
}

enum RespState {
    Ready(core::Responder),
    Busy,
    Responded(core::ResponderAwaitingFinish),
    Done(Done),
    Failed,
}

/// The responder of a balanced PSI session.
///
/// reveal="cardinality" is secure against semi-honest peers only: a peer
/// that blinds each item with its own exponent learns which of its items
/// matched (n_I * n_R exponentiations). It is no defence against a peer you
/// do not trust; see SECURITY.md.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Responder {
    state: Mutex<RespState>,
    records: Option<Arc<RecordSet>>,
}

impl Responder {
    fn take(&self, py: Python<'_>) -> PyResult<RespState> {
        let mut g = self
            .state
            .lock()
            .map_err(|_| errors::state(py, "state poisoned"))?;
        Ok(std::mem::replace(&mut *g, RespState::Busy))
    }

    fn put(&self, py: Python<'_>, s: RespState) -> PyResult<()> {
        *self
            .state
            .lock()
            .map_err(|_| errors::state(py, "state poisoned"))? = s;
        Ok(())
    }

    fn misuse(&self, py: Python<'_>, other: RespState, step: &str) -> PyErr {
        let msg = match &other {
            RespState::Busy => format!("{step}: the responder is in use by another thread"),
            RespState::Ready(_) => format!("{step}: respond() must come first"),
            RespState::Responded(_) => format!("{step}: respond() was already called"),
            RespState::Done(_) => format!("{step}: the session is finished"),
            RespState::Failed => format!("{step}: the session failed; start a new one"),
        };
        if let Err(e) = self.put(py, other) {
            return e;
        }
        errors::state(py, &msg)
    }
}

impl Responder {
    /// Prepares a responder; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        config: Config,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let config = config.with_profile(items.profile());
        let values = items.values;
        let responder = py
            .detach(move || match seed {
                Some(seed) => core::Responder::new_with_rng(config, &values, &mut seed.rng()),
                None => core::Responder::new(config, &values),
            })
            .py_err(py)?;
        Ok(Responder {
            state: Mutex::new(RespState::Ready(responder)),
            records: items.records,
        })
    }
}

#[pymethods]
impl Responder {
    #[new]
    #[pyo3(signature = (items, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0))]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        reveal: &str,
        output: &str,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
    ) -> PyResult<Self> {
        let config = config(reveal, output, max_peer_items, min_peer_items)?;
        Self::start(py, items::extract(items)?, config, None)
    }

    /// Answers the initiator's request; returns the response message.
    fn respond<'py>(&self, py: Python<'py>, request: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let responder = match self.take(py)? {
            RespState::Ready(r) => r,
            other => return Err(self.misuse(py, other, "respond")),
        };
        match py.detach(|| responder.respond(request)) {
            Ok((next, response)) => {
                self.put(py, RespState::Responded(next))?;
                Ok(PyBytes::new(py, &response))
            }
            Err(e) => {
                self.put(py, RespState::Failed)?;
                Err(errors::to_py(py, e))
            }
        }
    }

    /// Processes the initiator's finish message (None when only the initiator learns the output).
    #[pyo3(signature = (finish))]
    fn finish(&self, py: Python<'_>, finish: Option<&[u8]>) -> PyResult<()> {
        let waiting = match self.take(py)? {
            RespState::Responded(w) => w,
            other => return Err(self.misuse(py, other, "finish")),
        };
        match py.detach(|| waiting.finish(finish)) {
            Ok(matches) => self.put(
                py,
                RespState::Done(Done {
                    matches,
                    records: self.records.clone(),
                }),
            ),
            Err(e) => {
                self.put(py, RespState::Failed)?;
                Err(errors::to_py(py, e))
            }
        }
    }

    /// Sorted indices into items that are shared ([] in cardinality mode).
    #[getter]
    fn matches(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
        self.with_done(py, |d| Ok(d.get(py)?.indices().to_vec()))
    }

    /// The number of distinct shared items.
    #[getter]
    fn cardinality(&self, py: Python<'_>) -> PyResult<usize> {
        self.with_done(py, |d| Ok(d.get(py)?.cardinality()))
    }

    /// [(record_id, [kinds that matched])] when items was a RecordSet.
    #[getter]
    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        self.with_done(py, |d| d.record_matches(py))
    }

    fn __repr__(&self) -> String {
        let state = match self.state.lock().as_deref() {
            Ok(RespState::Ready(_)) => "waiting for the request",
            Ok(RespState::Busy) => "busy",
            Ok(RespState::Responded(_)) => "waiting for the finish message",
            Ok(RespState::Done(_)) => "finished",
            _ => "failed",
        };
        format!("Responder({state})")
    }
}

/// The type of a message ('psi-request', 'psi-response', 'psi-finish'), read from its envelope.
#[pyfunction]
pub(crate) fn message_type(py: Python<'_>, message: &[u8]) -> PyResult<&'static str> {
    Ok(blindmatch::wire::message_type(message).py_err(py)?.name())
}
