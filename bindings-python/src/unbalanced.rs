//! `UnbalancedServer` and `UnbalancedClient`: reusable OPRF-based PSI
//! (mirrors `blindmatch::unbalanced`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use blindmatch::oprf::OprfKey as CoreKey;
use blindmatch::phase::Phase;
use blindmatch::records::RecordSet;
use blindmatch::unbalanced::{self as core, ClientConfig, ServerConfig, UnbalancedMatches};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{self, IntoPy};
use crate::items::{self, Items};
use crate::oprf::OprfKey;
use crate::phase::Shared;
use crate::testing::Seed;

/// The server's policy from the constructor's arguments.
pub(crate) fn server_config(
    fpr_bits: u8,
    query_budget: Option<u64>,
    max_query_items: usize,
) -> ServerConfig {
    let config = ServerConfig::default()
        .with_fpr_bits(fpr_bits)
        .with_max_query_items(max_query_items);
    match query_budget {
        Some(b) => config.with_query_budget(b),
        None => config,
    }
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
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct UnbalancedServer {
    inner: Mutex<core::Server>,
    digest: Vec<u8>,
    epoch: [u8; 16],
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
            .detach(|| match seed {
                Some(seed) => core::Server::new_with_rng(
                    key,
                    &values,
                    labels.as_deref(),
                    config,
                    &mut seed.rng(),
                ),
                None => core::Server::new(key, &values, labels.as_deref(), config),
            })
            .py_err(py)?;
        Ok(UnbalancedServer {
            digest: server.digest().to_vec(),
            epoch: server.epoch(),
            inner: Mutex::new(server),
        })
    }
}

#[pymethods]
impl UnbalancedServer {
    #[new]
    #[pyo3(signature = (items, labels=None, key=None, fpr_bits=40, query_budget=None, max_query_items=1_048_576))]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        key: Option<&OprfKey>,
        fpr_bits: u8,
        query_budget: Option<u64>,
        max_query_items: usize,
    ) -> PyResult<Self> {
        let config = server_config(fpr_bits, query_budget, max_query_items);
        Self::start(py, items::extract(items)?, labels, key, config, None)
    }

    /// Builds the server under an existing key (as JavaScript's
    /// `UnbalancedServer.withKey`); the same as passing `key=`.
    #[staticmethod]
    #[pyo3(signature = (key, items, labels=None, fpr_bits=40, query_budget=None, max_query_items=1_048_576))]
    fn with_key(
        py: Python<'_>,
        key: &OprfKey,
        items: &Bound<'_, PyAny>,
        labels: Option<&Bound<'_, PyAny>>,
        fpr_bits: u8,
        query_budget: Option<u64>,
        max_query_items: usize,
    ) -> PyResult<Self> {
        let config = server_config(fpr_bits, query_budget, max_query_items);
        Self::start(py, items::extract(items)?, labels, Some(key), config, None)
    }

    /// The set digest of this epoch: publish it to every client.
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.digest)
    }

    /// The epoch id (16 bytes), a fingerprint of the key.
    #[getter]
    fn epoch<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.epoch)
    }

    /// The server's OPRF key (export it with to_secret_bytes() before a restart).
    #[getter]
    fn key(&self, py: Python<'_>) -> PyResult<OprfKey> {
        let g = self
            .inner
            .lock()
            .map_err(|_| errors::state(py, "state poisoned"))?;
        Ok(OprfKey::from_core(g.key().clone()))
    }

    /// Evaluates a client's query, counted against client_id's budget.
    #[pyo3(signature = (query, client_id="default"))]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        query: &[u8],
        client_id: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let answer = py
            .detach(|| match self.inner.lock() {
                Ok(mut s) => Ok(s.answer(query, client_id)),
                Err(_) => Err(()),
            })
            .map_err(|_| errors::state(py, "state poisoned"))?
            .py_err(py)?;
        Ok(PyBytes::new(py, &answer))
    }

    /// Elements client_id may still have evaluated this epoch (None without a budget).
    fn remaining_budget(&self, py: Python<'_>, client_id: &str) -> PyResult<Option<u64>> {
        let g = self
            .inner
            .lock()
            .map_err(|_| errors::state(py, "state poisoned"))?;
        Ok(g.remaining_budget(client_id))
    }

    fn __repr__(&self) -> String {
        let hex: String = self
            .epoch
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!(
            "UnbalancedServer(epoch {hex}…, digest {} bytes)",
            self.digest.len()
        )
    }
}

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
    phase: Shared<core::Client, UnbalancedMatches>,
    query: Vec<u8>,
    records: Option<Arc<RecordSet>>,
}

impl UnbalancedClient {
    /// Blinds the items; `seed` only from `blindmatch.testing`.
    pub(crate) fn start(
        py: Python<'_>,
        items: Items,
        epoch: Option<[u8; 16]>,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let mut config = ClientConfig::default().with_profile(items.profile());
        if let Some(e) = epoch {
            config = config.with_epoch(e);
        }
        let values = items.values;
        let (client, query) = py
            .detach(|| match seed {
                Some(seed) => core::Client::new_with_rng(config, &values, &mut seed.rng()),
                None => core::Client::with_config(config, &values),
            })
            .py_err(py)?;
        Ok(UnbalancedClient {
            phase: Shared::new(client),
            query,
            records: items.records,
        })
    }
}

#[pymethods]
impl UnbalancedClient {
    #[new]
    #[pyo3(signature = (items, epoch=None))]
    fn new(py: Python<'_>, items: &Bound<'_, PyAny>, epoch: Option<&[u8]>) -> PyResult<Self> {
        Self::start(py, items::extract(items)?, epoch_arg(epoch)?, None)
    }

    /// The query message for the server.
    fn query<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.query)
    }

    /// Finalizes the server's answer and looks the items up in the digest
    /// (bytes, or a SetDigest decoded once for many queries).
    fn finish(&self, py: Python<'_>, answer: &[u8], digest: &Bound<'_, PyAny>) -> PyResult<()> {
        let digest = DigestArg::from_py(digest)?;
        self.phase.step(py, Ok, "", |client| {
            let found = match &digest {
                DigestArg::Bytes(b) => client.finish(answer, b),
                DigestArg::Decoded(d) => client.finish_with(answer, d),
            }?;
            Ok((Phase::Done(found), ()))
        })
    }

    /// finish() with a digest decoded once (a SetDigest), as JavaScript's
    /// `finishWith`; finish() accepts a SetDigest too.
    fn finish_with(&self, py: Python<'_>, answer: &[u8], digest: &SetDigest) -> PyResult<()> {
        let digest = Arc::clone(&digest.inner);
        self.phase.step(py, Ok, "", |client| {
            Ok((Phase::Done(client.finish_with(answer, &digest)?), ()))
        })
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
        let rs = self
            .records
            .as_ref()
            .ok_or_else(|| errors::state(py, "record_matches needs a RecordSet as items"))?;
        self.phase.with_done(py, |m| {
            Ok(rs
                .record_matches_at(m.indices())
                .into_iter()
                .map(|r| (r.record_id, r.kinds))
                .collect())
        })
    }

    fn __repr__(&self) -> String {
        format!("UnbalancedClient({})", self.phase.name())
    }
}
