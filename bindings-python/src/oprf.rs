//! `OprfKey`: the RFC 9497 OPRF key (mirrors `blindmatch::oprf`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPy;

/// A server's RFC 9497 OPRF key (mode 0x00, ristretto255-SHA512).
///
/// The key is zeroized when the object is freed and never shown by repr().
#[pyclass(module = "blindmatch._blindmatch", frozen)]
pub(crate) struct OprfKey(blindmatch::oprf::OprfKey);

impl OprfKey {
    pub(crate) fn inner(&self) -> &blindmatch::oprf::OprfKey {
        &self.0
    }

    pub(crate) fn from_core(key: blindmatch::oprf::OprfKey) -> Self {
        OprfKey(key)
    }
}

#[pymethods]
impl OprfKey {
    /// Derives a key from a 32-byte seed and an info string (RFC 9497 DeriveKeyPair).
    #[staticmethod]
    fn derive(py: Python<'_>, seed: &[u8], info: &[u8]) -> PyResult<Self> {
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| PyValueError::new_err("seed must be exactly 32 bytes"))?;
        Ok(OprfKey(
            blindmatch::oprf::OprfKey::derive(seed, info).py_err(py)?,
        ))
    }

    /// Generates a fresh random key from the operating system's RNG.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        Ok(OprfKey(blindmatch::oprf::OprfKey::generate().py_err(py)?))
    }

    /// Imports a key exported by to_secret_bytes().
    #[staticmethod]
    fn from_secret_bytes(py: Python<'_>, secret: &[u8]) -> PyResult<Self> {
        Ok(OprfKey(
            blindmatch::oprf::OprfKey::from_secret_bytes(secret).py_err(py)?,
        ))
    }

    /// Exports the secret key (32 bytes). Keep it as secret as the key itself.
    fn to_secret_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.to_secret_bytes()[..])
    }

    /// Returns the public key (32 bytes), which identifies the key.
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.public_key())
    }

    /// Evaluates the PRF on an input (RFC 9497 Evaluate); returns 64 bytes.
    fn evaluate<'py>(&self, py: Python<'py>, input: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.0.evaluate(input).py_err(py)?;
        Ok(PyBytes::new(py, &out))
    }

    fn __repr__(&self) -> &'static str {
        "OprfKey(<redacted>)"
    }
}
