//! `MultiPartySession`, `MultiPartyMember` and `MultiPartyHub`: more than
//! two agencies through a counting hub (mirrors `blindmatch::multiparty`).
//!
//! A member and a hub take many messages in turn, and a refused message
//! (another session's, a replay, the wrong hop) leaves them as they were.
//! Both are the one class shell around their core party
//! ([`crate::shell::session_class!`]): `consume(message)` (with the sender,
//! for the hub) or the named steps.

use std::sync::Arc;

use blindmatch::multiparty::{self as core, MultiOutcome};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::audit::{Ledger, Provenance, SigningKey};
use crate::errors::IntoPy;
use crate::items;
use crate::phase::Shared;
use crate::seed::Seed;
use crate::shell::{Machine, receipt_methods, session_class};
use blindmatch::records::RecordIndex;
use blindmatch::wire::MessageType;

/// The session bytes or object a member or hub is given.
fn session_of(py: Python<'_>, session: &Bound<'_, PyAny>) -> PyResult<core::Session> {
    if let Ok(s) = session.cast::<MultiPartySession>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(b) = session.extract::<&[u8]>() {
        return core::Session::from_bytes(b).py_err(py);
    }
    Err(PyTypeError::new_err(
        "session must be a MultiPartySession or its bytes (MultiPartySession.to_bytes())",
    ))
}

/// A multi-party session, as the hub opens it: its id, the agencies in
/// ring order, the threshold. Send ``to_bytes()`` to every agency.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct MultiPartySession {
    inner: core::Session,
}

impl MultiPartySession {
    pub(crate) fn open(
        py: Python<'_>,
        agencies: Vec<String>,
        threshold: Option<usize>,
        reveal_counts: bool,
        max_items: Option<usize>,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let threshold = threshold.unwrap_or(agencies.len());
        let session = crate::seed_or_os!(
            seed,
            core::Session,
            new | new_with_rng(&agencies, threshold)
        )
        .py_err(py)?
        .with_reveal_counts(reveal_counts);
        let session = match max_items {
            Some(max) => session.with_max_items(max).py_err(py)?,
            None => session,
        };
        Ok(MultiPartySession { inner: session })
    }
}

#[pymethods]
impl MultiPartySession {
    /// Opens a session of ``agencies`` (3 to 64 distinct names, in ring
    /// order) that reveals the items held by at least ``threshold`` of them
    /// (2 to k; default k, the plain intersection). ``reveal_counts`` adds,
    /// per qualifying item, how many agencies hold it; ``max_items`` bounds
    /// the distinct items of one agency (default 2**24).
    #[staticmethod]
    #[pyo3(signature = (agencies, threshold=None, *, reveal_counts=false, max_items=None))]
    fn new(
        py: Python<'_>,
        agencies: Vec<String>,
        threshold: Option<usize>,
        reveal_counts: bool,
        max_items: Option<usize>,
    ) -> PyResult<Self> {
        Self::open(
            py,
            agencies,
            threshold,
            reveal_counts,
            max_items,
            crate::seed::for_constructor(),
        )
    }

    /// Decodes a session the hub sent.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        Ok(MultiPartySession {
            inner: core::Session::from_bytes(data).py_err(py)?,
        })
    }

    /// The session as bytes (message type ``multi-session``).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// The session id (16 bytes).
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.id())
    }

    /// The agencies, in ring order.
    #[getter]
    fn agencies(&self) -> Vec<String> {
        self.inner.agencies().to_vec()
    }

    /// Agencies that must hold an item for it to be published.
    #[getter]
    fn threshold(&self) -> usize {
        self.inner.threshold()
    }

    /// Whether the result states each qualifying item's count.
    #[getter]
    fn reveal_counts(&self) -> bool {
        self.inner.reveal_counts()
    }

    /// The most distinct items one agency may bring.
    #[getter]
    fn max_items(&self) -> usize {
        self.inner.max_items()
    }

    /// The agency that must process a ``multi-hop`` message (the owner
    /// itself once its values went round: ``complete``).
    fn route(&self, py: Python<'_>, message: &[u8]) -> PyResult<String> {
        Ok(self.inner.route(message).py_err(py)?.to_owned())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<MultiPartySession>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        u64::from_le_bytes(self.inner.id()[..8].try_into().unwrap_or_default())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let agencies = pyo3::types::PyList::new(py, self.inner.agencies())?.repr()?;
        let counts = if self.inner.reveal_counts() {
            "True"
        } else {
            "False"
        };
        Ok(format!(
            "MultiPartySession(agencies={agencies}, threshold={}, reveal_counts={counts})",
            self.inner.threshold(),
        ))
    }
}

/// One agency of a multi-party session.
///
/// ``start()`` blinds its items for their trip round the ring (to
/// ``next_agency``) and makes its ``commitment()`` for the hub;
/// ``accept_roster(roster)`` takes the hub's roster of every commitment;
/// ``forward(msg)`` checks another agency's values against the roster and
/// the previous agency's proof, raises them and proves it (to
/// ``next_agency``); ``complete(msg)`` takes its own values back;
/// ``tags()`` is the message for the hub; ``finish(result)`` reads the
/// hub's result. A refused message (another session's, the wrong hop, a
/// replay, a batch a relay grew, shrank or changed) raises and leaves the
/// member as it was. Semi-honest, non-colluding hub: see SECURITY.md.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct MultiPartyMember {
    /// Live until the result; done with the finished member (its
    /// commitment and tags stay readable) and what it learned.
    phase: Shared<core::Member, (core::Member, MultiOutcome)>,
    name: String,
    next: String,
    records: Option<Arc<RecordIndex>>,
    provenance: Provenance,
}

impl MultiPartyMember {
    pub(crate) fn join(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
        me: &str,
        provenance: Provenance,
        seed: Option<Seed>,
    ) -> PyResult<Self> {
        let session = session_of(py, session)?;
        let items = items::extract(items)?;
        let values = items.values;
        let me_owned = me.to_owned();
        let member = py
            .detach(move || {
                crate::seed_or_os!(
                    seed,
                    core::Member,
                    new | new_with_rng(&session, &me_owned, &values)
                )
            })
            .py_err(py)?;
        Ok(MultiPartyMember {
            name: member.name().to_owned(),
            next: member.next_agency().to_owned(),
            phase: Shared::new(member),
            records: items.records.map(|rs| Arc::new(rs.index())),
            provenance,
        })
    }

    fn done<R>(&self, py: Python<'_>, f: impl FnOnce(&MultiOutcome) -> R) -> PyResult<R> {
        self.phase.with_done(py, |(_, o)| Ok(f(o)))
    }

    /// Reads the member, waiting or finished.
    fn member<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&core::Member) -> PyResult<R>,
    ) -> PyResult<R> {
        self.phase.with_party(py, |(m, _)| m, f)
    }
}

session_class!(@machine MultiPartyMember, |_: &MultiPartyMember, o| o, provenance);

#[pymethods]
impl MultiPartyMember {
    #[new]
    #[pyo3(signature = (items, session, me, *, case_ref=None, legal_basis=None, ledger=None))]
    fn new(
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
        me: &str,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
        Self::join(
            py,
            items,
            session,
            me,
            provenance,
            crate::seed::for_constructor(),
        )
    }

    /// This agency's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The agency every message of this member goes to (the next in the ring).
    #[getter]
    fn next_agency(&self) -> &str {
        &self.next
    }

    /// Whether every other agency's values went through this member.
    #[getter]
    fn forwarded_all(&self, py: Python<'_>) -> PyResult<bool> {
        self.member(py, |m| Ok(m.forwarded_all()))
    }

    /// This agency's blinded items (hop 1), for ``next_agency``.
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.phase.mutate(py, core::Member::start)?;
        Ok(PyBytes::new(py, &out))
    }

    /// This agency's commitment for the hub (after ``start``): its public
    /// key, its count and the hash of its first batch.
    fn commitment<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.member(py, |m| m.commitment().py_err(py))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Takes the hub's roster, after checking that it states this agency's
    /// commitment; every hop is then checked against it.
    fn accept_roster(&self, py: Python<'_>, roster: &[u8]) -> PyResult<()> {
        self.phase.mutate(py, |m| m.accept_roster(roster))
    }

    /// Checks another agency's values that pass through this member
    /// against the roster and the previous agency's proof, raises them and
    /// proves it; returns the message for ``next_agency``.
    fn forward<'py>(&self, py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.phase.mutate(py, |m| m.forward(message))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Takes this agency's own values back after their trip round the ring.
    fn complete(&self, py: Python<'_>, message: &[u8]) -> PyResult<()> {
        self.phase.mutate(py, |m| m.complete(message))
    }

    /// The message for the hub: this agency's tags.
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.member(py, |m| m.tags().py_err(py))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Reads the hub's result: which of this agency's items are held by at
    /// least the threshold of agencies (``matches``, ``counts``).
    fn finish(&self, py: Python<'_>, result: &[u8]) -> PyResult<()> {
        let wrong = "the result comes after this agency's tags: complete() first";
        self.step(py, result, Some(MessageType::MultiResult), wrong)?;
        Ok(())
    }

    /// Sorted indices into items of the items held by at least the threshold.
    #[getter]
    fn matches(&self, py: Python<'_>) -> PyResult<Vec<usize>> {
        self.done(py, |o| o.indices().to_vec())
    }

    /// For each of ``matches``, how many agencies hold it (None unless the
    /// session reveals counts).
    #[getter]
    fn counts(&self, py: Python<'_>) -> PyResult<Option<Vec<u32>>> {
        // u32, not u8: pyo3 turns a Vec<u8> into bytes.
        self.done(py, |o| {
            o.counts()
                .map(|c| c.iter().map(|&n| u32::from(n)).collect())
        })
    }

    /// Number of distinct items of this agency that qualify.
    #[getter]
    fn cardinality(&self, py: Python<'_>) -> PyResult<u64> {
        self.done(py, MultiOutcome::cardinality)
    }

    /// With a RecordSet as items: (record id, [kinds]) of each record with
    /// a qualifying key.
    fn record_matches(&self, py: Python<'_>) -> PyResult<Vec<(String, Vec<String>)>> {
        let indices = self.done(py, |o| o.indices().to_vec())?;
        crate::records::record_matches(py, self.records.as_ref(), &indices)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = pyo3::types::PyString::new(py, &self.name).repr()?;
        Ok(format!("MultiPartyMember({name}, {})", self.phase.name()))
    }
}

// A member's receipt is for the hub to countersign
// (``MultiPartyHub.countersign``).
receipt_methods!(MultiPartyMember, |s, py| s.done(py, |o| o.record.clone()));

/// The counting hub of a multi-party session. It holds no secret:
/// ``commit(agency, commitment)`` takes each agency's commitment (the
/// roster follows the last), ``add(agency, tags)`` each agency's tags
/// (refusing an agency that is not in the session, tags naming another, and
/// a second submission); ``result()`` is the same bytes for every agency.
/// ``consume(message, sender=agency)`` takes either and returns the roster
/// or the result once it is due. The hub's record of each agency's
/// exchange goes to the ledger with the last tags.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct MultiPartyHub {
    /// Live while messages are due; done with the hub that published.
    phase: Shared<core::Hub, core::Hub>,
    provenance: Provenance,
}

session_class!(@machine MultiPartyHub, |_: &MultiPartyHub, hub| hub, provenance);

impl MultiPartyHub {
    /// Reads the hub, waiting or done.
    fn hub<R>(&self, py: Python<'_>, f: impl FnOnce(&core::Hub) -> PyResult<R>) -> PyResult<R> {
        self.phase.with_party(py, |hub| hub, f)
    }

    /// One agency's message of `kind` (a misuse saying `wrong` when the
    /// hub does not take that kind now).
    fn take(
        &self,
        py: Python<'_>,
        agency: &str,
        message: &[u8],
        (kind, wrong): (MessageType, &'static str),
    ) -> PyResult<()> {
        self.step_from(py, (message, Some(agency)), Some(kind), wrong)?;
        Ok(())
    }
}

#[pymethods]
impl MultiPartyHub {
    #[new]
    #[pyo3(signature = (session, *, case_ref=None, legal_basis=None, ledger=None))]
    fn new(
        py: Python<'_>,
        session: &Bound<'_, PyAny>,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<PyRef<'_, Ledger>>,
    ) -> PyResult<Self> {
        let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
        Ok(MultiPartyHub {
            phase: Shared::new(core::Hub::new(session_of(py, session)?)),
            provenance,
        })
    }

    /// The session.
    #[getter]
    fn session(&self, py: Python<'_>) -> PyResult<MultiPartySession> {
        self.hub(py, |h| {
            Ok(MultiPartySession {
                inner: h.session().clone(),
            })
        })
    }

    /// Agencies whose commitments (before the roster) or tags (after it)
    /// have not arrived yet.
    #[getter]
    fn missing(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.hub(py, |h| {
            Ok(h.missing().into_iter().map(str::to_owned).collect())
        })
    }

    /// Takes the commitment ``agency`` sent (the name of the channel it came through).
    fn commit(&self, py: Python<'_>, agency: &str, commitment: &[u8]) -> PyResult<()> {
        let wrong = "every commitment arrived: the roster is out";
        self.take(py, agency, commitment, (MessageType::MultiCommit, wrong))
    }

    /// The roster of every agency's commitment (the same bytes for all),
    /// once every commitment arrived.
    fn roster<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let sent = self.hub(py, |h| Ok(h.sent_roster().map(<[u8]>::to_vec)))?;
        let out = match sent {
            Some(roster) => roster,
            // Not due yet: the core says what is missing.
            None => self.phase.mutate(py, core::Hub::roster)?,
        };
        Ok(PyBytes::new(py, &out))
    }

    /// Takes the tags ``agency`` sent (the name of the channel they came through).
    fn add(&self, py: Python<'_>, agency: &str, tags: &[u8]) -> PyResult<()> {
        let wrong = "tags come after the roster: every commitment first";
        self.take(py, agency, tags, (MessageType::MultiTags, wrong))
    }

    /// The result for every agency: the tags held by at least the threshold.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let published = self.hub(py, |h| Ok(h.sent_result().map(<[u8]>::to_vec)))?;
        let out = match published {
            Some(result) => result,
            // Not due yet: the core says what is missing.
            None => self.phase.mutate(py, core::Hub::result)?,
        };
        Ok(PyBytes::new(py, &out))
    }

    /// Countersigns an agency's receipt after checking it against the hub's
    /// record of that agency; recorded in the ledger when there is one.
    #[pyo3(signature = (receipt, signer, timestamp=None))]
    fn countersign<'py>(
        &self,
        py: Python<'py>,
        receipt: &[u8],
        signer: &SigningKey,
        timestamp: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let ts = timestamp.unwrap_or_else(crate::audit::now);
        let signed = self.hub(py, |h| h.countersign(receipt, &signer.inner, ts).py_err(py))?;
        self.provenance.record_receipt(py, &signed)?;
        Ok(PyBytes::new(py, &signed))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match self.hub(py, |h| Ok(h.missing().len())) {
            Ok(missing) => format!("MultiPartyHub(missing={missing})"),
            Err(_) => format!("MultiPartyHub({})", self.phase.name()),
        }
    }
}
