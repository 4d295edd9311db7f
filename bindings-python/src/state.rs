//! Saving a waiting party to bytes and restoring it (mirrors
//! `blindmatch::state`): `save(passphrase=None)` on the three classes that
//! wait for a peer's message, and their `restore` constructors.

use std::sync::Arc;

use blindmatch::records::RecordIndex;
use blindmatch::state::{self as core, SavedSession, Waiting, WaitingRef};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use zeroize::Zeroizing;

use crate::audit::{Ledger, Provenance};
use crate::errors::{self, IntoPy};

/// A passphrase given as str (UTF-8) or bytes.
pub(crate) fn passphrase(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Zeroizing<Vec<u8>>>> {
    let Some(v) = value else { return Ok(None) };
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(Zeroizing::new(s.to_cow()?.as_bytes().to_vec())));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Some(Zeroizing::new(b.as_bytes().to_vec())));
    }
    Err(PyTypeError::new_err(
        "passphrase must be str, bytes or None",
    ))
}

/// Saves a borrowed waiting state, sealed when a passphrase is given.
pub(crate) fn save<'py>(
    py: Python<'py>,
    waiting: WaitingRef<'_>,
    records: Option<&blindmatch::records::RecordIndex>,
    passphrase: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let pass = self::passphrase(passphrase)?;
    let plain = core::save(waiting, records);
    match pass {
        None => Ok(PyBytes::new(py, &plain)),
        Some(p) => {
            let sealed = py.detach(|| core::seal(&plain, &p)).py_err(py)?;
            Ok(PyBytes::new(py, &sealed))
        }
    }
}

/// What a `restore` constructor rebuilds its object from: the waiting
/// state `pick` accepts (`pick` returns the name of any other kind, and
/// that is a `BadStateError` naming it), its record index, and the provenance given again.
#[allow(clippy::too_many_arguments)]
pub(crate) fn restore_as<T>(
    py: Python<'_>,
    state: &[u8],
    passphrase: Option<&Bound<'_, PyAny>>,
    case_ref: Option<String>,
    legal_basis: Option<String>,
    ledger: Option<&Ledger>,
    class: &str,
    pick: impl FnOnce(Waiting) -> Result<T, &'static str>,
) -> PyResult<(T, Option<Arc<RecordIndex>>, Provenance)> {
    let provenance = Provenance::new(py, case_ref, legal_basis, ledger)?;
    let saved = restore(py, state, passphrase)?;
    let waiting = pick(saved.waiting).map_err(|found| {
        errors::error(
            py,
            blindmatch::ErrorCode::BadState.as_str(),
            format!("bad saved state: a {found} state, which {class}.restore cannot take"),
        )
    })?;
    Ok((waiting, saved.records.map(Arc::new), provenance))
}

/// Opens (unsealing with the passphrase when sealed) and restores a state.
fn restore(
    py: Python<'_>,
    state: &[u8],
    passphrase: Option<&Bound<'_, PyAny>>,
) -> PyResult<SavedSession> {
    let pass = self::passphrase(passphrase)?;
    match (core::is_sealed(state), pass) {
        (true, Some(p)) => {
            let plain = py.detach(|| core::unseal(state, &p)).py_err(py)?;
            SavedSession::from_bytes(&plain).py_err(py)
        }
        (true, None) => SavedSession::from_bytes(state).py_err(py),
        (false, _) => SavedSession::from_bytes(state).py_err(py),
    }
}
