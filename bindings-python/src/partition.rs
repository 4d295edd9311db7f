//! Partitioned sessions (mirrors `blindmatch::partition`): the secret and
//! the part-level steps that `blindmatch.partition` and the engine
//! integrations build on. Every step releases the GIL.

use blindmatch::partition::{self as core, PartInfo, PartKind};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::errors::IntoPy;
use crate::items;
use crate::psi;

fn kind(name: &str) -> PyResult<PartKind> {
    PartKind::from_name(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "kind must be \"request\", \"elements\", \"reblinded\" or \"finish\", not {name:?}"
        ))
    })
}

/// A party's secret for a partitioned session: create it once on the
/// coordinator, hand ``to_bytes()`` to the party's own workers only (never
/// to the peer), and rebuild it there with ``PartySecret.from_bytes``. Its
/// key material never appears in repr().
#[pyclass(module = "blindmatch._blindmatch")]
pub(crate) struct PartySecret {
    inner: core::PartySecret,
}

impl PartySecret {
    fn made(py: Python<'_>, secret: blindmatch::Result<core::PartySecret>) -> PyResult<Self> {
        Ok(PartySecret {
            inner: secret.py_err(py)?,
        })
    }
}

#[pymethods]
impl PartySecret {
    /// The initiator's secret, for its items split into ``parts`` parts.
    #[staticmethod]
    #[pyo3(signature = (parts, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0))]
    fn initiator(
        py: Python<'_>,
        parts: u32,
        reveal: &str,
        output: &str,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
    ) -> PyResult<Self> {
        let mode = psi::config(reveal, output, max_peer_items, min_peer_items)?;
        Self::made(py, core::PartySecret::initiator(mode, parts))
    }

    /// The responder's secret, from the initiator's request manifest
    /// (checked against this party's mode and limits first).
    #[staticmethod]
    #[pyo3(signature = (request_manifest, parts, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0))]
    fn responder(
        py: Python<'_>,
        request_manifest: &[u8],
        parts: u32,
        reveal: &str,
        output: &str,
        max_peer_items: Option<usize>,
        min_peer_items: usize,
    ) -> PyResult<Self> {
        let config = psi::config(reveal, output, max_peer_items, min_peer_items)?;
        Self::made(
            py,
            core::PartySecret::responder(config, parts, request_manifest),
        )
    }

    /// Rebuilds a secret from ``to_bytes()`` (on a worker).
    #[staticmethod]
    fn from_bytes(py: Python<'_>, secret: &[u8]) -> PyResult<Self> {
        Ok(PartySecret {
            inner: core::PartySecret::from_secret_bytes(secret).py_err(py)?,
        })
    }

    /// The secret as bytes, for this party's own workers. Treat it as a private key.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_secret_bytes())
    }

    /// The part (0..parts) an item belongs to, by this party's keyed hash.
    fn part_of(&self, item: &Bound<'_, PyAny>) -> PyResult<u32> {
        let value = items::one(item)?;
        Ok(self.inner.part_of(&value))
    }

    /// The part of every item (a list of ints, for an engine's repartition).
    fn parts_of(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let values = items::extract(items)?.values;
        let inner = &self.inner;
        Ok(py.detach(|| values.iter().map(|v| inner.part_of(v)).collect()))
    }

    /// How many parts the step of ``kind`` has (known once the manifests
    /// it depends on are built or accepted): the number of per-part tasks.
    fn part_count(&self, py: Python<'_>, kind: &str) -> PyResult<u32> {
        self.inner.part_count(self::kind(kind)?).py_err(py)
    }

    /// Builds (and keeps) the manifest of one of this party's steps from
    /// all its parts, in any order: each a part's bytes or the tuple
    /// ``part_info`` returns for it.
    fn manifest<'py>(
        &mut self,
        py: Python<'py>,
        kind: &str,
        parts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let kind = self::kind(kind)?;
        let mut infos = Vec::new();
        for p in parts.try_iter()? {
            let p = p?;
            if let Ok(b) = p.cast::<PyBytes>() {
                infos.push(PartInfo::of(b.as_bytes()).py_err(py)?);
            } else if let Ok(t) = p.cast::<PyTuple>() {
                let (part_kind, index, count, hash, session_id): (
                    String,
                    u32,
                    u32,
                    Vec<u8>,
                    Vec<u8>,
                ) = t.extract()?;
                let hash: [u8; 32] = hash
                    .try_into()
                    .map_err(|_| PyValueError::new_err("a part hash is 32 bytes"))?;
                let session_id: [u8; 16] = session_id
                    .try_into()
                    .map_err(|_| PyValueError::new_err("a session id is 16 bytes"))?;
                let kind = self::kind(&part_kind)?;
                infos.push(PartInfo {
                    session_id,
                    kind,
                    index,
                    count,
                    hash,
                });
            } else {
                return Err(PyTypeError::new_err(
                    "parts must be bytes or (kind, index, count, hash, session_id) tuples from part_info",
                ));
            }
        }
        let m = self.inner.manifest(kind, &infos).py_err(py)?;
        Ok(PyBytes::new(py, &m))
    }

    /// Accepts the peer's manifest (initiator: elements, then reblinded;
    /// responder: finish). Later steps check every part against it.
    fn accept(&mut self, py: Python<'_>, manifest: &[u8]) -> PyResult<()> {
        self.inner.accept(manifest).py_err(py)
    }

    /// The 16-byte session id.
    #[getter]
    fn session_id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.session_id())
    }

    /// "initiator" or "responder".
    #[getter]
    fn role(&self) -> &'static str {
        match self.inner.role() {
            core::Role::Initiator => "initiator",
            core::Role::Responder => "responder",
        }
    }

    /// This party's number of parts.
    #[getter]
    fn parts(&self) -> u32 {
        self.inner.parts()
    }

    fn __repr__(&self) -> String {
        format!(
            "PartySecret(role={}, parts={})",
            self.role(),
            self.inner.parts()
        )
    }
}

/// A part's (kind, index, count, hash, session_id) tuple.
type PartTuple<'py> = (
    &'static str,
    u32,
    u32,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
);

/// (kind, index, count, hash, session_id) of a part: what a manifest needs
/// of it, so an engine collects small tuples rather than whole parts.
#[pyfunction]
pub(crate) fn part_info<'py>(py: Python<'py>, part: &[u8]) -> PyResult<PartTuple<'py>> {
    let info = PartInfo::of(part).py_err(py)?;
    Ok((
        info.kind.name(),
        info.index,
        info.count,
        PyBytes::new(py, &info.hash),
        PyBytes::new(py, &info.session_id),
    ))
}

/// A part-level step over a part's items (`request_part`, `elements_part`).
type ItemsStep = fn(&core::PartySecret, u32, &[Vec<u8>]) -> blindmatch::Result<Vec<u8>>;

/// One part-level step over a part's items, without the GIL.
fn items_step<'py>(
    py: Python<'py>,
    secret: &PartySecret,
    index: u32,
    items: &Bound<'py, PyAny>,
    step: ItemsStep,
) -> PyResult<Bound<'py, PyBytes>> {
    let values = items::extract(items)?.values;
    let s = &secret.inner;
    let part = py.detach(|| step(s, index, &values)).py_err(py)?;
    Ok(PyBytes::new(py, &part))
}

/// One part-level step over a part received, without the GIL.
fn part_step<'py>(
    py: Python<'py>,
    secret: &PartySecret,
    index: u32,
    part: &[u8],
    step: fn(&core::PartySecret, u32, &[u8]) -> blindmatch::Result<Vec<u8>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = &secret.inner;
    let out = py.detach(|| step(s, index, part)).py_err(py)?;
    Ok(PyBytes::new(py, &out))
}

/// The four steps of one part (the party's own items, or the peer's part
/// of the same index), each a Python function that runs without the GIL.
macro_rules! part_functions {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $helper:ident($core:expr);)+) => {$(
        $(#[$doc])*
        #[pyfunction]
        pub(crate) fn $name<'py>(
            py: Python<'py>,
            secret: &PartySecret,
            index: u32,
            $arg: $ty,
        ) -> PyResult<Bound<'py, PyBytes>> {
            $helper(py, secret, index, $arg, $core)
        }
    )+};
}

part_functions! {
    /// Initiator: the request part ``index`` from that part's items.
    request_part(items: &Bound<'py, PyAny>) => items_step(core::request_part::<Vec<u8>>);
    /// Responder: the elements part ``index`` from that part's items.
    elements_part(items: &Bound<'py, PyAny>) => items_step(core::elements_part::<Vec<u8>>);
    /// Responder: the reblinded part ``index`` from the initiator's request part ``index``.
    reblind_part(request_part: &[u8]) => part_step(core::reblind_part);
    /// Initiator: the finish part ``index`` from the responder's elements part ``index``.
    finish_part(elements_part: &[u8]) => part_step(core::finish_part);
}

/// Cardinality mode: mixed part ``bucket`` of ``kind`` from all aligned parts of that kind.
#[pyfunction]
pub(crate) fn mix_part<'py>(
    py: Python<'py>,
    secret: &PartySecret,
    kind: &str,
    bucket: u32,
    aligned: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let kind = self::kind(kind)?;
    let refs: Vec<&[u8]> = aligned.iter().map(Vec::as_slice).collect();
    let s = &secret.inner;
    let part = py
        .detach(|| core::mix_part(s, kind, bucket, &refs))
        .py_err(py)?;
    Ok(PyBytes::new(py, &part))
}

/// The comparison values of a reblinded or finish part, in its order
/// (checked against the manifest): the column an engine joins on.
#[pyfunction]
pub(crate) fn part_values<'py>(
    py: Python<'py>,
    secret: &PartySecret,
    kind: &str,
    index: u32,
    part: &[u8],
) -> PyResult<Bound<'py, PyList>> {
    let kind = self::kind(kind)?;
    let s = &secret.inner;
    let values = py
        .detach(|| core::part_values(s, kind, index, part))
        .py_err(py)?;
    PyList::new(
        py,
        values.iter().map(|v| PyBytes::new(py, &v.to_le_bytes())),
    )
}

/// Intersection mode: positions in ``items`` (the part's items, any order) that matched.
#[pyfunction]
pub(crate) fn matches_part(
    py: Python<'_>,
    secret: &PartySecret,
    index: u32,
    items: &Bound<'_, PyAny>,
    flags: Vec<bool>,
) -> PyResult<Vec<usize>> {
    let values = items::extract(items)?.values;
    let s = &secret.inner;
    py.detach(|| core::matches_part(s, index, &values, &flags))
        .py_err(py)
}

/// Cardinality mode: matches in one bucket, from its reblinded and finish parts.
#[pyfunction]
pub(crate) fn count_part(
    py: Python<'_>,
    secret: &PartySecret,
    bucket: u32,
    reblinded: &[u8],
    finish: &[u8],
) -> PyResult<u64> {
    let s = &secret.inner;
    py.detach(|| core::count_part(s, bucket, reblinded, finish))
        .py_err(py)
}

/// Intersection mode, reference join on one machine: ``load(kind, index)``
/// returns a part's bytes; returns per part of this party's own items a
/// list of flags for ``matches_part``. Memory: one of ``groups`` bucket groups.
#[pyfunction]
#[pyo3(signature = (secret, load, groups=1))]
pub(crate) fn join(
    py: Python<'_>,
    secret: &PartySecret,
    load: &Bound<'_, PyAny>,
    groups: u32,
) -> PyResult<Vec<Vec<bool>>> {
    let mut failure: Option<PyErr> = None;
    let result = core::join(&secret.inner, groups, |kind, index| {
        let got = load
            .call1((kind.name(), index))
            .and_then(|b| b.extract::<Vec<u8>>());
        got.map_err(|e| {
            failure = Some(e);
            blindmatch::Error::Storage("load() raised".to_owned())
        })
    });
    match (result, failure) {
        (_, Some(e)) => Err(e),
        (r, None) => r.py_err(py),
    }
}

/// Packs manifests and parts, in order, into one message (the browser
/// tool's one file per step).
#[pyfunction]
pub(crate) fn bundle<'py>(
    py: Python<'py>,
    messages: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    Ok(PyBytes::new(py, &core::bundle(&refs).py_err(py)?))
}

/// Unpacks a bundle: its manifests and parts, in order.
#[pyfunction]
pub(crate) fn unbundle<'py>(py: Python<'py>, bundle: &[u8]) -> PyResult<Bound<'py, PyList>> {
    let messages = core::unbundle(bundle).py_err(py)?;
    PyList::new(py, messages.iter().map(|m| PyBytes::new(py, m)))
}

/// The kind of a part or manifest ("request", "elements", "reblinded", "finish").
#[pyfunction]
pub(crate) fn part_kind(py: Python<'_>, message: &[u8]) -> PyResult<&'static str> {
    Ok(core::kind_of(message).py_err(py)?.name())
}
