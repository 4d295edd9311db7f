//! The protocols, each a set of roles that consume and produce messages:
//! balanced PSI ([`psi`], and [`partition`], its scale mode), unbalanced
//! PSI against a reusable digest ([`unbalanced`]), intersection-sum
//! ([`sum`]) and more than two agencies ([`multiparty`]). `compare` and
//! `distinct` are the helpers they share.

pub(crate) mod compare;
pub(crate) mod distinct;
pub mod multiparty;
pub mod partition;
pub mod psi;
pub mod sum;
pub mod unbalanced;
