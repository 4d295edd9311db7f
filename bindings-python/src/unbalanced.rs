//! `UnbalancedServer` and `UnbalancedClient`: reusable OPRF-based PSI
//! (mirrors `blindmatch::unbalanced`).

use std::collections::BTreeMap;
use std::sync::Arc;

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey as CoreKey;
use blindmatch::phase::Phase;
use blindmatch::records::RecordIndex;
use blindmatch::registry::parties::{Served, WatchlistQuery};
use blindmatch::session::party::Party;
use blindmatch::state::{Waiting, WaitingRef};
use blindmatch::unbalanced::{self as core, ClientConfig, ServerConfig, UnbalancedMatches};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::audit::{Ledger, Provenance};
use crate::errors::{self, IntoPy};
use crate::items::{self, Items};
use crate::oprf::OprfKey;
use crate::phase::Shared;
use crate::seed::Seed;
use crate::shell::{Machine, machine_methods, receipt_methods, saved_methods, session_class};
use blindmatch::wire::MessageType;

/// The server's policy from the constructor's arguments. `query_budget`
/// has no default: an int, or the string "unlimited".
pub(crate) fn server_config(
    query_budget: &Bound<'_, PyAny>,
    fpr_bits: u8,
    max_query_items: usize,
) -> PyResult<ServerConfig> {
    let budget = if let Ok(s) = query_budget.extract::<String>() {
        if s != "unlimited" {
            return Err(PyValueError::new_err(format!(
                "query_budget must be a number of elements or 'unlimited', not {s:?}"
            )));
        }
        Budget::Unlimited
    } else if let Ok(n) = query_budget.extract::<u64>() {
        Budget::Limited(n)
    } else {
        return Err(PyTypeError::new_err(format!(
            "query_budget must be a non-negative int or 'unlimited', not {}",
            query_budget.get_type().name()?
        )));
    };
    Ok(ServerConfig::new(budget)
        .with_fpr_bits(fpr_bits)
        .with_max_query_items(max_query_items))
}

/// An epoch argument: exactly 16 bytes.
pub(crate) fn epoch_arg(epoch: Option<&[u8]>) -> PyResult<Option<[u8; 16]>> {
    epoch
        .map(|e| {
            e.try_into()
                .map_err(|_| PyValueError::new_err("epoch must be exactly 16 bytes"))
        })
        .transpose()
}

/// The server of unbalanced PSI for one key epoch.
///
/// ``query_budget`` (required: a number of elements per client and epoch,
/// or ``"unlimited"``) lives in ``ledger`` when one is given: charged and
/// committed before each answer is returned, it survives restarts and
/// crashes and holds across processes sharing the file. Without a ledger,
/// budgets live in this object's memory only and reset when it is rebuilt.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct UnbalancedServer {
    inner: core::Server,
    ledger: Option<Arc<blindmatch_ledger::Ledger>>,
}

impl UnbalancedServer {
    /// Builds the server; `seed` (for the label salt) only from
    /// `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        labels: Option<&Bound<'_, PyAny>>,
        key: Option<&OprfKey>,
        config: ServerConfig,
        ledger: Option<&Ledger>,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let labels = labels
            .map(|l| items::extract(l).map(|x| x.values))
            .transpose()?;
        let key = match key {
            Some(k) => k.inner().clone(),
            None => CoreKey::generate().py_err(py)?,
        };
        let config = config.with_profile(items.profile());
        let values = items.values;
        let server = py
            .detach(|| {
                crate::seed_or_os!(
                    seed,
                    core::Server,
                    new | new_with_rng(key, &values, labels.as_deref(), config)
                )
            })
            .py_err(py)?;
        Ok(UnbalancedServer {
            inner: server,
            ledger: ledger.map(|l| Arc::clone(&l.inner)),
        })
    }
}

#[pymethods]
impl UnbalancedServer {
    #[new]
    #[pyo3(signature = (items, labels=None, key=None, *, query_budget, fpr_bits=40, max_query_items=1_048_576, ledger=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        key: Option<&OprfKey>,
        query_budget: &Bound<'_, PyAny>,
        fpr_bits: u8,
        max_query_items: usize,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let config = server_config(query_budget, fpr_bits, max_query_items)?;
        Self::start(
            py,
            items::extract(items)?,
            labels,
            key,
            config,
            ledger.as_deref(),
            crate::seed::for_constructor(),
        )
    }

    /// Builds the server under an existing key (as JavaScript's
    /// `UnbalancedServer.withKey`); the same as passing `key=`.
    #[staticmethod]
    #[pyo3(signature = (key, items, labels=None, *, query_budget, fpr_bits=40, max_query_items=1_048_576, ledger=None))]
    #[allow(clippy::too_many_arguments)]
    fn with_key(
        py: Python<'_>,
        key: &OprfKey,
        items: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        query_budget: &Bound<'_, PyAny>,
        fpr_bits: u8,
        max_query_items: usize,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        Self::new(
            py,
            items,
            labels,
            Some(key),
            query_budget,
            fpr_bits,
            max_query_items,
            ledger,
        )
    }

    /// The set digest of this epoch: publish it to every client.
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.digest())
    }

    /// The epoch id (16 bytes), a fingerprint of the key.
    #[getter]
    fn epoch<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.epoch())
    }

    /// The server's OPRF key (export it with to_secret_bytes() before a restart).
    #[getter]
    fn key(&self) -> OprfKey {
        OprfKey::from_core(self.inner.key().clone())
    }

    /// Evaluates a client's query, charged to client_id's budget (in the
    /// ledger when there is one, committed before the answer is returned);
    /// ``consume(query, sender=client_id)`` does the same.
    #[pyo3(signature = (query, client_id="default"))]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        query: &[u8],
        client_id: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sent = self.step_from(py, (query, Some(client_id)), None, "")?;
        crate::shell::reply(py, &sent, "answer")
    }

    /// Elements client_id may still have evaluated this epoch (None when unlimited).
    fn remaining_budget(&self, py: Python<'_>, client_id: &str) -> PyResult<Option<u64>> {
        match &self.ledger {
            Some(l) => self.inner.remaining_budget_with(client_id, &**l),
            None => self.inner.remaining_budget(client_id),
        }
        .py_err(py)
    }

    fn __repr__(&self) -> String {
        let hex: String = self
            .inner
            .epoch()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "UnbalancedServer(epoch {hex}…, digest {} bytes)",
            self.inner.digest().len()
        )
    }
}

/// The server answers every client for ever: a query from `sender`
/// ("default" when none is named, as for `answer()`), charged to its
/// budget, and the answer back; it never finishes.
impl Machine for UnbalancedServer {
    fn step_from(
        &self,
        py: Python<'_>,
        (query, sender): (&[u8], Option<&str>),
        _kind: Option<MessageType>,
        _wrong: &'static str,
    ) -> PyResult<Vec<Vec<u8>>> {
        let client = sender.unwrap_or("default");
        py.detach(|| {
            let served = match &self.ledger {
                Some(ledger) => Served::with_budgets(&self.inner, &**ledger),
                None => Served::from(&self.inner),
            };
            match served.consume_from(client, query) {
                Ok(step) => Ok(step.send),
                Err(refused) => Err(refused.error),
            }
        })
        .map_err(|e| errors::to_py(py, e))
    }

    fn expects(&self) -> Vec<&'static str> {
        vec![MessageType::UnbalancedQuery.name()]
    }
}

machine_methods!(UnbalancedServer);

/// A set digest decoded and validated once, for clients that finish many
/// queries against the same epoch: `UnbalancedClient.finish` then skips
/// decoding, so a client's work no longer grows with the server's set.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct SetDigest {
    inner: Arc<core::SetDigest>,
}

#[pymethods]
impl SetDigest {
    /// Decodes and validates a digest (bytes from `UnbalancedServer.digest()`).
    #[new]
    fn new(py: Python<'_>, digest: &[u8]) -> PyResult<Self> {
        let inner = py
            .detach(|| core::SetDigest::from_bytes(digest))
            .py_err(py)?;
        Ok(SetDigest {
            inner: Arc::new(inner),
        })
    }

    /// The epoch id (16 bytes) of the key that made the digest.
    #[getter]
    fn epoch<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.epoch())
    }

    /// The server's VOPRF public key (32 bytes): every answer's proof is
    /// checked against it before the client finishes.
    #[getter]
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.public_key())
    }

    /// The false-positive rate exponent: 2^-fpr_bits per client item.
    #[getter]
    fn fpr_bits(&self) -> u8 {
        self.inner.fpr_bits()
    }

    /// Whether the server attached a label to each item.
    #[getter]
    fn has_labels(&self) -> bool {
        self.inner.has_labels()
    }

    /// The number of items in the server's set.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        self.inner.to_string()
    }
}

/// The digest argument of `UnbalancedClient.finish`: bytes, decoded on each
/// call, or a `SetDigest` decoded once.
enum DigestArg<'a> {
    Bytes(&'a [u8]),
    Decoded(Arc<core::SetDigest>),
}

impl<'a> DigestArg<'a> {
    fn from_py(digest: &'a Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(d) = digest.cast::<SetDigest>() {
            return Ok(DigestArg::Decoded(Arc::clone(&d.get().inner)));
        }
        if let Ok(b) = digest.cast::<PyBytes>() {
            return Ok(DigestArg::Bytes(b.as_bytes()));
        }
        Err(PyTypeError::new_err(format!(
            "digest must be bytes or a SetDigest, not {}",
            digest.get_type().name()?
        )))
    }
}

/// A client of unbalanced PSI.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct UnbalancedClient {
    /// The query waits for its answer and the digest it is looked up in.
    phase: Shared<WatchlistQuery, UnbalancedMatches>,
    /// None for a client restored from a saved state.
    query: Option<Vec<u8>>,
    records: Option<Arc<RecordIndex>>,
    provenance: Provenance,
}

impl UnbalancedClient {
    /// Blinds the items; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        epoch: Option<[u8; 16]>,
        provenance: Provenance,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let mut config = ClientConfig::default().with_profile(items.profile());
        if let Some(e) = epoch {
            config = config.with_epoch(e);
        }
        let values = items.values;
        let (client, query) = py
            .detach(|| {
                crate::seed_or_os!(
                    seed,
                    core::Client,
                    with_config | new_with_rng(config, &values)
                )
            })
            .py_err(py)?;
        Ok(UnbalancedClient {
            phase: Shared::new(WatchlistQuery::from(client)),
            query: Some(query),
            records: items.records.map(|rs| Arc::new(rs.index())),
            provenance,
        })
    }

    /// Addresses the query to `digest` and takes the answer.
    fn conclude(&self, py: Python<'_>, answer: &[u8], digest: DigestArg<'_>) -> PyResult<()> {
        let wrong = "the client has finished";
        // A digest that does not decode ends the session, as a bad answer does.
        self.phase.step(py, Ok, wrong, |mut q: WatchlistQuery| {
            let decoded = match digest {
                DigestArg::Bytes(b) => Arc::new(core::SetDigest::from_bytes(b)?),
                DigestArg::Decoded(d) => d,
            };
            q.address(decoded);
            Ok((Phase::Live(q), ()))
        })?;
        self.step(py, answer, Some(MessageType::UnbalancedAnswer), wrong)?;
        Ok(())
    }
}

session_class!(
    UnbalancedClient,
    "UnbalancedClient",
    |_: &UnbalancedClient, m| m,
    provenance
);

#[pymethods]
impl UnbalancedClient {
    #[new]
    #[pyo3(signature = (items, epoch=None, *, case_ref=None, legal_basis=None, ledger=None))]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        epoch: Option<&[u8]>,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
        Self::start(
            py,
            items::extract(items)?,
            epoch_arg(epoch)?,
            provenance,
            crate::seed::for_constructor(),
        )
    }

    /// The query message for the server.
    fn query<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.query
            .as_deref()
            .map(|q| PyBytes::new(py, q))
            .ok_or_else(|| {
                errors::state(
                    py,
                    "a restored client has no query: it was sent before the session was saved",
                )
            })
    }

    /// Finalizes the server's answer and looks the items up in the digest
    /// (bytes, or a SetDigest decoded once for many queries).
    fn finish(&self, py: Python<'_>, answer: &[u8], digest: &Bound<'_, PyAny>) -> PyResult<()> {
        self.conclude(py, answer, DigestArg::from_py(digest)?)
    }

    /// finish() with a digest decoded once (a SetDigest), as JavaScript's
    /// `finishWith`; finish() accepts a SetDigest too.
    fn finish_with(&self, py: Python<'_>, answer: &[u8], digest: &SetDigest) -> PyResult<()> {
        self.conclude(py, answer, DigestArg::Decoded(Arc::clone(&digest.inner)))
    }

    /// Sorted indices into items that are in the server's set.
    #[getter]
    fn matches(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
        self.phase.with_done(py, |m| Ok(m.indices().to_vec()))
    }

    /// {index: label} for matched items, when the server has labels.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<BTreeMap<usize, Bound<'py, PyBytes>>> {
        self.phase.with_done(py, |m| {
            Ok(m.labels()
                .iter()
                .map(|(i, l)| (*i, PyBytes::new(py, l)))
                .collect())
        })
    }

    /// [(record_id, [kinds that matched])] when items was a RecordSet.
    #[getter]
    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        self.phase.with_done(py, |m| {
            crate::records::record_matches(py, self.records.as_ref(), m.indices())
        })
    }
}

/// The saved form of a waiting query: its client (the digest is public).
fn waiting_client(query: &WatchlistQuery) -> Option<WaitingRef<'_>> {
    Some(WaitingRef::Client(&query.client))
}

saved_methods!(
    UnbalancedClient,
    "UnbalancedClient",
    "save() only while the query waits for its answer",
    waiting_client,
    |w| match w {
        Waiting::Client(s) => Ok(s),
        other => Err(other.name()),
    },
    |client, records, provenance| UnbalancedClient {
        phase: Shared::new(WatchlistQuery::from(client)),
        // It sent its query before it was saved.
        query: None,
        records,
        provenance,
    }
);
receipt_methods!(UnbalancedClient, |s, py| s
    .phase
    .with_done(py, |d| Ok(d.record().clone())));
