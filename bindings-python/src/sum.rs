//! `SumInitiator` and `SumResponder`: intersection-sum (mirrors
//! `blindmatch::sum`). Each object walks its core states behind the shared
//! phase machine: misuse is a `StateError`, a failed session raises its
//! error again.

use blindmatch::phase::Phase;
use blindmatch::registry::parties::{SumInitiator as Initiating, SumResponder as Holding};
use blindmatch::sum::{self as core, Column, RevealSumTo, SumConfig, SumOutcome};
use blindmatch::wire::MessageType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::audit::{Ledger, Provenance};
use crate::errors::{self, IntoPy};
use crate::items::{self, Items};
use crate::phase::Shared;
use crate::seed::Seed;
use crate::shell::{Machine, receipt_methods, session_class};

#[allow(clippy::too_many_arguments)]
pub(crate) fn config(
    reveal_sum_to: &str,
    min_intersection: u64,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
    value_bits: u8,
    noise_epsilon: Option<f64>,
    noise_sensitivity: Option<u64>,
) -> PyResult<SumConfig> {
    let reveal = crate::errors::choice::<RevealSumTo>("reveal_sum_to", reveal_sum_to)?;
    let mut c = SumConfig::new(reveal)
        .with_min_intersection(min_intersection)
        .with_min_peer_items(min_peer_items)
        .with_value_bits(value_bits);
    if let Some(max) = max_peer_items {
        c = c.with_max_peer_items(max);
    }
    c.with_noise_parts(noise_epsilon, noise_sensitivity)
        .map_err(|_| PyValueError::new_err("noise needs both noise_epsilon and noise_sensitivity"))
}

fn plain(items: &Bound<'_, PyAny>) -> PyResult<Items> {
    let items = items::extract(items)?;
    if items.records.is_some() {
        return Err(PyTypeError::new_err(
            "intersection-sum takes identifiers (str or bytes, one per value row), not a RecordSet: a record with several keys would count twice",
        ));
    }
    Ok(items)
}

/// The value columns from a mapping of name to an iterable of ints.
fn columns(values: &Bound<'_, PyAny>) -> PyResult<Vec<Column>> {
    let dict = values
        .cast::<PyDict>()
        .map_err(|_| PyTypeError::new_err("values must be a dict of column name to integers"))?;
    let mut out = Vec::with_capacity(dict.len());
    for (name, column) in dict.iter() {
        let name: String = name
            .extract()
            .map_err(|_| PyTypeError::new_err("column names must be str"))?;
        let mut values = Vec::new();
        for v in column.try_iter()? {
            let v = v?;
            let v: u64 = v.extract().map_err(|_| {
                PyValueError::new_err(format!(
                    "column {name:?}: values must be integers from 0 to 2**64 - 1"
                ))
            })?;
            values.push(v);
        }
        out.push(Column { name, values });
    }
    Ok(out)
}

fn sums_dict<'py>(py: Python<'py>, o: &SumOutcome) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(sums) = &o.sums else { return Ok(None) };
    let d = PyDict::new(py);
    for (name, value) in sums {
        d.set_item(name, *value)?;
    }
    Ok(Some(d))
}

/// The party with identifiers only, in an intersection-sum session.
///
/// It learns the cardinality of the intersection and (with
/// reveal_sum_to="both", at or above min_intersection) the sums of the
/// value holder's columns over it; never which items matched. Secure
/// against semi-honest peers only; see SECURITY.md. Its record (and the
/// receipt it signs) states both set sizes and the cardinality.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct SumInitiator {
    phase: Shared<Initiating, SumOutcome>,
    request: Vec<u8>,
    provenance: Provenance,
    /// The sums are revealed to the responder only: the session ends with
    /// finish(), and result() takes None.
    ends_at_finish: bool,
}

impl SumInitiator {
    pub(crate) fn start(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        (config, provenance): (SumConfig, Provenance),
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let items = plain(items)?;
        let values = items.values;
        let ends_at_finish = config.reveal_to == RevealSumTo::Responder;
        let (initiator, request) = py
            .detach(move || {
                crate::seed_or_os!(seed, core::Initiator, new | new_with_rng(config, &values))
            })
            .py_err(py)?;
        Ok(SumInitiator {
            phase: Shared::new(Initiating::from(initiator)),
            request,
            provenance,
            ends_at_finish,
        })
    }
}

/// The shell of a sum party: its step, whose outcome is its result, and
/// its receipts; the record of a finished session goes to its ledger.
macro_rules! sum_shell {
    ($class:ident, $name:literal) => {
        session_class!($class, $name, |_: &$class, o| o, provenance);
        receipt_methods!($class, |s, py| s
            .phase
            .with_done(py, |o| Ok(o.record.clone())));
    };
}
sum_shell!(SumInitiator, "SumInitiator");

#[pymethods]
impl SumInitiator {
    #[new]
    #[pyo3(signature = (items, reveal_sum_to="both", min_intersection=5, max_peer_items=None, min_peer_items=0, *, accept_noisy=false, case_ref=None, legal_basis=None, ledger=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        reveal_sum_to: &str,
        min_intersection: u64,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
        accept_noisy: bool,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
        let c = config(
            reveal_sum_to,
            min_intersection,
            max_peer_items,
            min_peer_items,
            core::DEFAULT_VALUE_BITS,
            None,
            None,
        )?
        .with_accept_noisy(accept_noisy);
        Self::start(py, items, (c, provenance), crate::seed::for_constructor())
    }

    /// The request message for the value holder.
    fn request<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.request)
    }

    /// Matches the value holder's response; returns the finish message
    /// (the cardinality and the encrypted, re-randomized sums).
    fn finish<'py>(&self, py: Python<'py>, response: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        self.answer(
            py,
            response,
            (MessageType::SumResponse, "finish() was called already"),
            "finish message",
        )
    }

    /// Reads the value holder's result (None when the sums are revealed to
    /// the responder only: the session ended with finish()) and checks its
    /// proofs of decryption.
    #[pyo3(signature = (result))]
    fn result(&self, py: Python<'_>, result: Option<&[u8]>) -> PyResult<()> {
        let wrong = "result() comes once, after finish()";
        // Revealed to the responder only: finish() ended the session.
        if self.ends_at_finish && self.phase.with_done(py, |_| Ok(())).is_ok() {
            return match result {
                None => Ok(()),
                Some(_) => Err(errors::to_py(
                    py,
                    blindmatch::Error::UnexpectedFinish(
                        "given: the sums are revealed to the responder only",
                    ),
                )),
            };
        }
        match result {
            Some(bytes) => self
                .step(py, bytes, Some(MessageType::SumResult), wrong)
                .map(drop),
            // A result is due: its absence fails the session, as in core.
            None => self.phase.step(
                py,
                |live| match live {
                    Initiating::Result(w) => Ok(w),
                    other => Err(other),
                },
                wrong,
                |w| Ok((Phase::Done(w.result(None)?), ())),
            ),
        }
    }

    /// Distinct items in the intersection (known after finish()).
    #[getter]
    fn cardinality(&self, py: Python<'_>) -> PyResult<u64> {
        let live = self.phase.with_live(py, "", |live| match live {
            Initiating::Result(w) => Ok(Some(w.cardinality())),
            _ => Ok(None),
        });
        match live {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(errors::state(py, "the cardinality is known after finish()")),
            Err(_) => self.phase.with_done(py, |o| Ok(o.cardinality)),
        }
    }

    /// The sums by column name (after result()); None when this party
    /// learns none (below the minimum, or revealed to the responder only).
    #[getter]
    fn sums<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.phase.with_done(py, |o| sums_dict(py, o))
    }

    /// True when every sum came with a verified proof of decryption.
    #[getter]
    fn proven(&self, py: Python<'_>) -> PyResult<bool> {
        self.phase.with_done(py, |o| Ok(o.proven))
    }

    /// True when the sums carry the value holder's noise.
    #[getter]
    fn noisy(&self, py: Python<'_>) -> PyResult<bool> {
        self.phase.with_done(py, |o| Ok(o.noisy))
    }
}

/// The value holder in an intersection-sum session: identifiers and one
/// or more columns of non-negative integers (values of an identifier given
/// twice are added up).
///
/// It decrypts the sums and learns them exactly, with the cardinality;
/// with noise_epsilon and noise_sensitivity it adds discrete-Laplace noise
/// to the sums the initiator learns (which then carry no proof).
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct SumResponder {
    phase: Shared<Holding, SumOutcome>,
    provenance: Provenance,
}

impl SumResponder {
    pub(crate) fn start(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        (config, provenance): (SumConfig, Provenance),
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let items = plain(items)?;
        let columns = columns(values)?;
        let ids = items.values;
        let responder = py
            .detach(move || {
                crate::seed_or_os!(
                    seed,
                    core::Responder,
                    new | new_with_rng(config, &ids, &columns)
                )
            })
            .py_err(py)?;
        Ok(SumResponder {
            phase: Shared::new(Holding::from(responder)),
            provenance,
        })
    }
}

sum_shell!(SumResponder, "SumResponder");

#[pymethods]
impl SumResponder {
    #[new]
    #[pyo3(signature = (items, values, reveal_sum_to="both", min_intersection=5, max_peer_items=None, min_peer_items=0, value_bits=32, noise_epsilon=None, noise_sensitivity=None, *, case_ref=None, legal_basis=None, ledger=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        reveal_sum_to: &str,
        min_intersection: u64,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
        value_bits: u8,
        noise_epsilon: Option<f64>,
        noise_sensitivity: Option<u64>,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
        let c = config(
            reveal_sum_to,
            min_intersection,
            max_peer_items,
            min_peer_items,
            value_bits,
            noise_epsilon,
            noise_sensitivity,
        )?;
        Self::start(
            py,
            items,
            values,
            (c, provenance),
            crate::seed::for_constructor(),
        )
    }

    /// Answers the request: the initiator's items blinded again (shuffled),
    /// its own blinded items with their encrypted values.
    fn respond<'py>(&self, py: Python<'py>, request: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        self.answer(
            py,
            request,
            (MessageType::SumRequest, "respond() was called already"),
            "response",
        )
    }

    /// Decrypts the sums (at or above the minimum) and returns the result
    /// message for the initiator, or None when it learns no sums.
    fn finish<'py>(&self, py: Python<'py>, finish: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let sent = self.step(
            py,
            finish,
            Some(MessageType::SumFinish),
            "finish() comes once, after respond()",
        )?;
        Ok(sent.first().map(|r| PyBytes::new(py, r)))
    }

    /// Distinct items in the intersection (after finish()).
    #[getter]
    fn cardinality(&self, py: Python<'_>) -> PyResult<u64> {
        self.phase.with_done(py, |o| Ok(o.cardinality))
    }

    /// The exact sums by column name (after finish()); None below the minimum.
    #[getter]
    fn sums<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.phase.with_done(py, |o| sums_dict(py, o))
    }
}
