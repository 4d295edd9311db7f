//! Errors: every core error becomes an instance of the Python class for
//! its stable code (defined in `blindmatch/_errors.py`), never by message.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Code of misuse errors raised by the bindings themselves (finishing twice,
/// reading results before the protocol ended, a state in use by another
/// thread).
pub(crate) const INVALID_STATE: &str = blindmatch::ErrorCode::InvalidState.as_str();

/// `value` as one of `T`'s names; a ValueError that names the argument
/// and the choices otherwise.
pub(crate) fn choice<T: blindmatch::wire::mode::Named>(what: &str, value: &str) -> PyResult<T> {
    T::from_name(value).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "{what} must be {}, not {value:?}",
            T::choices('\'')
        ))
    })
}

pub(crate) fn all_codes() -> Vec<&'static str> {
    // `invalid_state` is a core code too (multi-party steps out of order).
    blindmatch::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect()
}

pub(crate) fn protocol_codes() -> Vec<&'static str> {
    blindmatch::ErrorCode::ALL
        .iter()
        .filter(|c| c.is_protocol())
        .map(|c| c.as_str())
        .collect()
}

/// Builds the Python exception for `code` with `message`.
pub(crate) fn error(py: Python<'_>, code: &str, message: String) -> PyErr {
    let made = py
        .import("blindmatch._errors")
        .and_then(|m| m.getattr("error_for"))
        .and_then(|f| f.call1((code, message.clone())));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        // Only if the pure-Python package is broken; still a clear error.
        Err(e) => {
            PyRuntimeError::new_err(format!("blindmatch error [{code}] {message} (and: {e})"))
        }
    }
}

/// Converts a core error.
pub(crate) fn to_py(py: Python<'_>, e: blindmatch::Error) -> PyErr {
    error(py, e.code().as_str(), e.to_string())
}

/// A misuse error.
pub(crate) fn state(py: Python<'_>, message: &str) -> PyErr {
    error(py, INVALID_STATE, message.to_owned())
}

/// `?`-friendly conversion with the GIL token at hand.
pub(crate) trait IntoPy<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, blindmatch::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
