//! `blindmatch._blindmatch._testing`: the protocol constructors with a fixed
//! RNG seed, for golden vectors and reproducible tests. **Insecure**: a
//! seeded session key or blind is known to whoever knows the seed. Reached
//! only through the pure-Python `blindmatch.testing`; the production classes
//! take no seed.

use blindmatch::psi::Config;
use pyo3::prelude::*;

use crate::audit::{Ledger, Provenance};
use crate::items;
use crate::oprf::OprfKey;
use crate::psi::{self, Initiator, Responder};
use crate::seed::Seed;
use crate::unbalanced::{self, UnbalancedClient, UnbalancedServer};

/// An Initiator whose session key, id and order come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, rng_seed, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0, case_ref=None, legal_basis=None, ledger=None, proofs="verify"))]
#[allow(clippy::too_many_arguments)]
fn initiator(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    reveal: &str,
    output: &str,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
    case_ref: Option<String>,
    legal_basis: Option<String>,
    ledger: Option<PyRef<'_, Ledger>>,
    proofs: &str,
) -> PyResult<Initiator> {
    let config: Config = psi::config(reveal, output, max_peer_items, min_peer_items)?
        .with_proofs(psi::proofs(proofs)?);
    let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
    let seed = Seed::from_py(rng_seed)?;
    Initiator::start(py, items::extract(items)?, config, provenance, Some(seed))
}

/// A Responder whose session key and order come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, rng_seed, reveal="intersection", output="both", max_peer_items=None, min_peer_items=0, case_ref=None, legal_basis=None, ledger=None, proofs="verify"))]
#[allow(clippy::too_many_arguments)]
fn responder(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    reveal: &str,
    output: &str,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
    case_ref: Option<String>,
    legal_basis: Option<String>,
    ledger: Option<PyRef<'_, Ledger>>,
    proofs: &str,
) -> PyResult<Responder> {
    let config = psi::config(reveal, output, max_peer_items, min_peer_items)?
        .with_proofs(psi::proofs(proofs)?);
    let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
    let seed = Seed::from_py(rng_seed)?;
    Responder::start(py, items::extract(items)?, config, provenance, Some(seed))
}

/// An UnbalancedClient whose blinds and query id come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, rng_seed, epoch=None, case_ref=None, legal_basis=None, ledger=None))]
fn unbalanced_client(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    epoch: Option<&[u8]>,
    case_ref: Option<String>,
    legal_basis: Option<String>,
    ledger: Option<PyRef<'_, Ledger>>,
) -> PyResult<UnbalancedClient> {
    let epoch = unbalanced::epoch_arg(epoch)?;
    let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
    let seed = Seed::from_py(rng_seed)?;
    UnbalancedClient::start(py, items::extract(items)?, epoch, provenance, Some(seed))
}

/// An UnbalancedServer whose label salt comes from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, rng_seed, query_budget, labels=None, key=None, fpr_bits=40, max_query_items=1_048_576, ledger=None))]
#[allow(clippy::too_many_arguments)]
fn unbalanced_server(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    query_budget: &Bound<'_, PyAny>,
    labels: Option<&Bound<'_, PyAny>>,
    key: Option<&OprfKey>,
    fpr_bits: u8,
    max_query_items: usize,
    ledger: Option<PyRef<'_, Ledger>>,
) -> PyResult<UnbalancedServer> {
    let config = unbalanced::server_config(query_budget, fpr_bits, max_query_items)?;
    let seed = Seed::from_py(rng_seed)?;
    let (items, ledger) = (items::extract(items)?, ledger.as_deref());
    UnbalancedServer::start(py, items, labels, key, config, ledger, Some(seed))
}

/// The `_testing` submodule.
/// A SumInitiator whose session key, id and order come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, rng_seed, reveal_sum_to="both", min_intersection=5, max_peer_items=None, min_peer_items=0, accept_noisy=false))]
#[allow(clippy::too_many_arguments)]
fn sum_initiator(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    reveal_sum_to: &str,
    min_intersection: u64,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
    accept_noisy: bool,
) -> PyResult<crate::sum::SumInitiator> {
    let config = crate::sum::config(
        reveal_sum_to,
        min_intersection,
        max_peer_items,
        min_peer_items,
        blindmatch::sum::DEFAULT_VALUE_BITS,
        None,
        None,
    )?
    .with_accept_noisy(accept_noisy);
    crate::sum::SumInitiator::start(py, items, config, Some(Seed::from_py(rng_seed)?))
}

/// A SumResponder whose keys, blinds and noise come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, values, rng_seed, reveal_sum_to="both", min_intersection=5, max_peer_items=None, min_peer_items=0, value_bits=32, noise_epsilon=None, noise_sensitivity=None))]
#[allow(clippy::too_many_arguments)]
fn sum_responder(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
    rng_seed: &[u8],
    reveal_sum_to: &str,
    min_intersection: u64,
    max_peer_items: Option<usize>,
    min_peer_items: usize,
    value_bits: u8,
    noise_epsilon: Option<f64>,
    noise_sensitivity: Option<u64>,
) -> PyResult<crate::sum::SumResponder> {
    let config = crate::sum::config(
        reveal_sum_to,
        min_intersection,
        max_peer_items,
        min_peer_items,
        value_bits,
        noise_epsilon,
        noise_sensitivity,
    )?;
    crate::sum::SumResponder::start(py, items, values, config, Some(Seed::from_py(rng_seed)?))
}

/// A MultiPartySession whose id comes from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (agencies, rng_seed, threshold=None, reveal_counts=false, max_items=None))]
fn multiparty_session(
    py: Python<'_>,
    agencies: Vec<String>,
    rng_seed: &[u8],
    threshold: Option<usize>,
    reveal_counts: bool,
    max_items: Option<usize>,
) -> PyResult<crate::multiparty::MultiPartySession> {
    let seed = Seed::from_py(rng_seed)?;
    crate::multiparty::MultiPartySession::open(
        py,
        agencies,
        threshold,
        reveal_counts,
        max_items,
        Some(seed),
    )
}

/// A MultiPartyMember whose secrets, blind and order come from `rng_seed`.
#[pyfunction]
#[pyo3(signature = (items, session, me, rng_seed, case_ref=None, legal_basis=None, ledger=None))]
#[allow(clippy::too_many_arguments)]
fn multiparty_member(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
    me: &str,
    rng_seed: &[u8],
    case_ref: Option<String>,
    legal_basis: Option<String>,
    ledger: Option<PyRef<'_, Ledger>>,
) -> PyResult<crate::multiparty::MultiPartyMember> {
    let provenance = Provenance::new(py, case_ref, legal_basis, ledger.as_deref())?;
    let seed = Seed::from_py(rng_seed)?;
    crate::multiparty::MultiPartyMember::join(py, items, session, me, provenance, Some(seed))
}

pub(crate) fn module<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyModule>> {
    let m = PyModule::new(py, "_testing")?;
    m.add_function(wrap_pyfunction!(initiator, &m)?)?;
    m.add_function(wrap_pyfunction!(multiparty_session, &m)?)?;
    m.add_function(wrap_pyfunction!(multiparty_member, &m)?)?;
    m.add_function(wrap_pyfunction!(responder, &m)?)?;
    m.add_function(wrap_pyfunction!(unbalanced_client, &m)?)?;
    m.add_function(wrap_pyfunction!(unbalanced_server, &m)?)?;
    m.add_function(wrap_pyfunction!(sum_initiator, &m)?)?;
    m.add_function(wrap_pyfunction!(sum_responder, &m)?)?;
    Ok(m)
}
