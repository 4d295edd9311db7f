//! The native module `blindmatch._blindmatch`: thin pyo3 wrappers over the
//! `blindmatch` core, mirroring its modules. Protocol logic stays in core;
//! this crate converts types and errors and releases the GIL around the
//! heavy work. Users import the pure-Python package `blindmatch`.

use pyo3::prelude::*;

/// A core party made by `$new(args)`, which draws from the OS RNG, or, with
/// a seed (only from the testing entry points), by `$seeded(args, rng)`.
macro_rules! seed_or_os {
    ($seed:expr, $ty:ty, $new:ident | $seeded:ident($($arg:expr),* $(,)?)) => {
        match $seed {
            Some(seed) => <$ty>::$seeded($($arg,)* &mut seed.rng()),
            None => <$ty>::$new($($arg),*),
        }
    };
}
pub(crate) use seed_or_os;

mod audit;
mod errors;
mod items;
mod multiparty;
mod oprf;
mod partition;
mod phase;
mod psi;
mod records;
mod seed;
mod shell;
mod state;
mod sum;
mod testing;
mod unbalanced;

/// Adds each named function of `module` to the module `m`.
macro_rules! add_functions {
    ($m:expr; $module:ident: $($f:ident),+ $(,)?) => {
        $($m.add_function(wrap_pyfunction!($module::$f, $m)?)?;)+
    };
}

/// The native module.
#[pymodule]
fn _blindmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<oprf::OprfKey>()?;
    m.add_class::<psi::Initiator>()?;
    m.add_class::<psi::Responder>()?;
    m.add_class::<records::RecordSet>()?;
    m.add_class::<unbalanced::UnbalancedServer>()?;
    m.add_class::<unbalanced::UnbalancedClient>()?;
    m.add_class::<unbalanced::SetDigest>()?;
    m.add_class::<audit::SigningKey>()?;
    m.add_class::<audit::Receipt>()?;
    m.add_class::<audit::Ledger>()?;
    m.add_class::<sum::SumInitiator>()?;
    m.add_class::<sum::SumResponder>()?;
    m.add_class::<multiparty::MultiPartySession>()?;
    m.add_class::<multiparty::MultiPartyMember>()?;
    m.add_class::<multiparty::MultiPartyHub>()?;
    m.add_function(wrap_pyfunction!(psi::message_type, m)?)?;
    m.add_class::<partition::PartySecret>()?;
    add_functions! { m; partition:
        part_info, request_part, elements_part, reblind_part, finish_part, mix_part,
        part_values, matches_part, count_part, join, bundle, unbundle, part_kind
    }
    m.add("ERROR_CODES", errors::all_codes())?;
    m.add("PROTOCOL_CODES", errors::protocol_codes())?;
    m.add("KINDS", records::kind_tags())?;
    // Seeded constructors, for `blindmatch.testing` only: an attribute,
    // kept out of `__all__` (which `add_submodule` would extend).
    m.setattr("_testing", testing::module(m.py())?)?;
    Ok(())
}
