//! `SigningKey`, `Receipt` and `Ledger` (mirror `blindmatch::receipt` and
//! the `blindmatch-ledger` crate), and the case and ledger a protocol
//! object carries for its receipts.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use blindmatch::receipt::{self, Case, PublicKey, ReceiptFields, SessionRecord};
use blindmatch_ledger as ledger;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::IntoPy;

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An Ed25519 key that signs receipts and ledger checkpoints. Its secret
/// never appears in repr(); store ``to_secret_bytes()`` like any private key.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct SigningKey {
    pub(crate) inner: receipt::SigningKey,
}

#[pymethods]
impl SigningKey {
    /// A fresh key from the operating system's RNG.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        Ok(SigningKey {
            inner: receipt::SigningKey::generate().py_err(py)?,
        })
    }

    /// Loads a key from its 32-byte secret.
    #[staticmethod]
    fn from_secret_bytes(py: Python<'_>, secret: &[u8]) -> PyResult<Self> {
        Ok(SigningKey {
            inner: receipt::SigningKey::from_secret_bytes(secret).py_err(py)?,
        })
    }

    /// The 32-byte secret.
    fn to_secret_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_secret_bytes()[..])
    }

    /// The 32-byte public key, which verifies this key's signatures.
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.public_key().to_bytes())
    }

    fn __repr__(&self) -> String {
        format!("SigningKey(public_key={})", self.inner.public_key())
    }
}

fn public_keys(py: Python<'_>, keys: Vec<Vec<u8>>) -> PyResult<Vec<PublicKey>> {
    keys.iter()
        .map(|k| PublicKey::from_bytes(k))
        .collect::<blindmatch::Result<_>>()
        .py_err(py)
}

/// A receipt's fields as a dict (the keys of its JSON rendering).
fn fields_dict<'py>(py: Python<'py>, f: &ReceiptFields) -> PyResult<Bound<'py, PyDict>> {
    // One rendering, in core: the dict is its JSON, parsed.
    let json = py.import("json")?;
    let d = json.call_method1("loads", (f.to_json(),))?;
    Ok(d.cast_into::<PyDict>()?)
}

/// Signed receipts of an exchange (static methods over receipt bytes).
///
/// A party's ``receipt(signer)`` signs one; the peer checks it against its
/// own record and countersigns it with ``Receipt.countersign(r, signer,
/// expect=party)``; anyone with both public keys verifies it with
/// ``Receipt.verify(r, [key_a, key_b])``. A receipt holds counts and
/// hashes, never an identifier.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Receipt;

#[pymethods]
impl Receipt {
    /// Countersigns the peer's receipt. With ``expect`` (this party's own
    /// Initiator, Responder or UnbalancedClient, finished), first checks that
    /// the receipt states the same exchange: transcript hash, session,
    /// roles, sizes, cardinality. Without it, you vouch for facts you did
    /// not check. ``expect_case_ref`` and ``expect_legal_basis`` (the case
    /// you were told this exchange is for) are checked against the
    /// receipt's when given (ReceiptMismatchError). When ``expect`` has a
    /// ledger, the countersigned receipt is recorded there, and the ledger
    /// refuses a second countersignature of the same exchange.
    #[staticmethod]
    #[pyo3(signature = (receipt, signer, expect=None, timestamp=None, *, expect_case_ref=None, expect_legal_basis=None))]
    fn countersign<'py>(
        py: Python<'py>,
        receipt: &[u8],
        signer: &SigningKey,
        expect: Option<&Bound<'py, PyAny>>,
        timestamp: Option<u64>,
        expect_case_ref: Option<&str>,
        expect_legal_basis: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let party = expect.map(|p| party_of(py, p)).transpose()?;
        let record = party.as_ref().map(|(_, r)| r);
        let signed = receipt::countersign_expecting(
            receipt,
            &signer.inner,
            record,
            receipt::ExpectCase {
                case_ref: expect_case_ref,
                legal_basis: expect_legal_basis,
            },
            timestamp.unwrap_or_else(now),
        )
        .py_err(py)?;
        if let Some((provenance, _)) = &party {
            provenance.record_receipt(py, &signed)?;
        }
        Ok(PyBytes::new(py, &signed))
    }

    /// Verifies a receipt: every key in ``keys`` (32-byte public keys)
    /// signed it and nobody else did. Returns its fields as a dict; raises
    /// BadSignatureError (or a decoding error) on any change.
    #[staticmethod]
    fn verify<'py>(
        py: Python<'py>,
        receipt: &[u8],
        keys: Vec<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let keys = public_keys(py, keys)?;
        let fields = receipt::verify(receipt, &keys).py_err(py)?;
        fields_dict(py, &fields)
    }

    /// Verifies a receipt as ``verify`` does and renders it as JSON for the record.
    #[staticmethod]
    fn to_json(py: Python<'_>, receipt: &[u8], keys: Vec<Vec<u8>>) -> PyResult<String> {
        let keys = public_keys(py, keys)?;
        Ok(receipt::verify(receipt, &keys).py_err(py)?.to_json())
    }
}

/// An append-only, hash-chained audit ledger in an SQLite file (created
/// 0600 if missing; a file others can read is refused). Budgets of an
/// UnbalancedServer built with ``ledger=`` live here and survive restarts
/// and crashes; several processes may share one file. Protocol objects
/// built with ``ledger=`` record their finished sessions and receipts.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Ledger {
    pub(crate) inner: Arc<ledger::Ledger>,
}

#[pymethods]
impl Ledger {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| ledger::Ledger::open(&path)).py_err(py)?;
        Ok(Ledger {
            inner: Arc::new(inner),
        })
    }

    /// Walks the chain: every entry's link and hash, and every budget total
    /// against its charges; with ``checkpoints`` (bytes from
    /// ``checkpoint()``), each must be signed (by one of ``keys`` when
    /// given) and match the chain. Returns {"entries", "head", "checkpoints"};
    /// raises LedgerTamperedError naming the first entry that fails.
    #[pyo3(signature = (checkpoints=None, keys=None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        checkpoints: Option<Vec<Vec<u8>>>,
        keys: Option<Vec<Vec<u8>>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let keys = keys.map(|k| public_keys(py, k)).transpose()?;
        let checkpoints = checkpoints.unwrap_or_default();
        let refs: Vec<&[u8]> = checkpoints.iter().map(Vec::as_slice).collect();
        let inner = &self.inner;
        let v = py
            .detach(|| inner.verify_with_checkpoints(&refs, keys.as_deref()))
            .py_err(py)?;
        let d = PyDict::new(py);
        d.set_item("entries", v.entries)?;
        d.set_item("head", PyBytes::new(py, &v.head))?;
        d.set_item("checkpoints", v.checkpoints)?;
        Ok(d)
    }

    /// Signs a checkpoint of the chain as it stands (bytes); hand it to
    /// someone who does not control this machine.
    fn checkpoint<'py>(
        &self,
        py: Python<'py>,
        signer: &SigningKey,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let cp = self.inner.checkpoint(&signer.inner).py_err(py)?;
        Ok(PyBytes::new(py, &cp))
    }

    /// Entries from ``from_seq`` on (at most ``limit``), as dicts with
    /// seq, time, kind and data (the entry's JSON, parsed).
    #[pyo3(signature = (from_seq=1, limit=1000))]
    fn entries<'py>(
        &self,
        py: Python<'py>,
        from_seq: u64,
        limit: usize,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let json = py.import("json")?;
        self.inner
            .entries(from_seq, limit)
            .py_err(py)?
            .into_iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("seq", e.seq)?;
                d.set_item("time", e.time)?;
                d.set_item("kind", &e.kind)?;
                let text = String::from_utf8_lossy(&e.data).into_owned();
                d.set_item("data", json.call_method1("loads", (text,))?)?;
                Ok(d)
            })
            .collect()
    }

    /// The ledger's random 16-byte id, which its checkpoints name.
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.id())
    }

    /// The file's path.
    #[getter]
    fn path(&self) -> std::path::PathBuf {
        self.inner.path().to_path_buf()
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.inner.len().py_err(py)? as usize)
    }

    fn __repr__(&self) -> String {
        format!("Ledger({:?})", self.inner.path())
    }
}

/// The case and ledger of a protocol object: what its receipts state and
/// where its finished session and receipts are recorded.
#[derive(Clone, Default)]
pub(crate) struct Provenance {
    case: Case,
    ledger: Option<Arc<ledger::Ledger>>,
}

impl Provenance {
    /// From the constructor's `case_ref`, `legal_basis` and `ledger` arguments.
    pub(crate) fn new(
        py: Python<'_>,
        case_ref: Option<String>,
        legal_basis: Option<String>,
        ledger: Option<&Ledger>,
    ) -> PyResult<Self> {
        Ok(Provenance {
            case: Case::new(
                case_ref.unwrap_or_default(),
                legal_basis.unwrap_or_default(),
            )
            .py_err(py)?,
            ledger: ledger.map(|l| Arc::clone(&l.inner)),
        })
    }

    /// Records a finished session in the ledger, if any.
    pub(crate) fn record_session(&self, py: Python<'_>, record: &SessionRecord) -> PyResult<()> {
        if let Some(l) = &self.ledger {
            l.record_session(record, &self.case).py_err(py)?;
        }
        Ok(())
    }

    pub(crate) fn record_receipt(&self, py: Python<'_>, receipt: &[u8]) -> PyResult<()> {
        if let Some(l) = &self.ledger {
            l.record_receipt(receipt).py_err(py)?;
        }
        Ok(())
    }

    /// Signs a receipt of `record` (and records it in the ledger, if any).
    pub(crate) fn receipt<'py>(
        &self,
        py: Python<'py>,
        record: &SessionRecord,
        signer: &SigningKey,
        timestamp: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let signed = receipt::sign(
            record,
            &self.case,
            &signer.inner,
            timestamp.unwrap_or_else(now),
        )
        .py_err(py)?;
        self.record_receipt(py, &signed)?;
        Ok(PyBytes::new(py, &signed))
    }
}

/// A protocol object that signs receipts: the case and ledger it was built
/// with, and its record once the exchange is over. Each party class
/// implements the two accessors; receipts and transcript hashes come from here.
pub(crate) trait Party {
    /// The case and ledger given to the constructor.
    fn provenance(&self) -> &Provenance;

    /// The record of the finished exchange (a `StateError` before).
    fn record(&self, py: Python<'_>) -> PyResult<SessionRecord>;

    /// Signs a receipt of the finished exchange (and records it in the ledger, if any).
    fn sign_receipt<'py>(
        &self,
        py: Python<'py>,
        signer: &SigningKey,
        timestamp: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.provenance()
            .receipt(py, &self.record(py)?, signer, timestamp)
    }

    /// What `countersign(expect=)` checks a receipt against (a
    /// `StateError` before the exchange is over).
    fn finished(&self, py: Python<'_>) -> PyResult<Finished> {
        Ok(Finished {
            provenance: self.provenance().clone(),
            record: self.record(py)?,
        })
    }

    /// The exchange's transcript hash (64 bytes).
    fn transcript_hash_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.record(py)?.transcript))
    }
}

/// A finished party's provenance and record, handed to `countersign(expect=)`
/// through the party's hidden `_finished()` method. The party classes sit
/// above this module; asking the object, not casting to each class, keeps
/// the arrows pointing one way.
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct Finished {
    provenance: Provenance,
    record: SessionRecord,
}

/// A finished protocol object's provenance and record, for `expect=`.
fn party_of(py: Python<'_>, party: &Bound<'_, PyAny>) -> PyResult<(Provenance, SessionRecord)> {
    let not_a_party = || -> PyResult<PyErr> {
        Ok(PyTypeError::new_err(format!(
            "expect must be a finished Initiator, Responder or UnbalancedClient, not {}",
            party.get_type().name()?
        )))
    };
    let Ok(method) = party.getattr(pyo3::intern!(py, "_finished")) else {
        return Err(not_a_party()?);
    };
    let finished = method.call0()?;
    let Ok(finished) = finished.cast::<Finished>() else {
        return Err(not_a_party()?);
    };
    let f = finished.get();
    Ok((f.provenance.clone(), f.record.clone()))
}
