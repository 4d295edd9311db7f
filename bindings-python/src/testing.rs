//! `blindmatch._blindmatch._testing`: the protocol constructors with a fixed
//! RNG seed, for golden vectors and reproducible tests. **Insecure**: a
//! seeded session key or blind is known to whoever knows the seed. Reached
//! only through the pure-Python `blindmatch.testing`; the production classes
//! take no seed.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::seed::{self, Seed};

/// `constructor(*args, **kwargs)` (a class, or `MultiPartySession.new`) with
/// `rng_seed` as the only source of the object's randomness: the same
/// arguments as the production constructor, so the two cannot drift apart.
#[pyfunction]
#[pyo3(signature = (rng_seed, constructor, *args, **kwargs))]
fn seeded<'py>(
    rng_seed: &[u8],
    constructor: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    seed::with_seed(Seed::from_py(rng_seed)?, || constructor.call(args, kwargs))
}

pub(crate) fn module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "_testing")?;
    m.add_function(wrap_pyfunction!(seeded, &m)?)?;
    Ok(m)
}
