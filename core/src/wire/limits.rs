//! Limits that more than one layer checks: a protocol when it runs, a
//! receipt when it is verified.

/// Fewest agencies of a session (two agencies use two-party balanced PSI).
pub const MIN_AGENCIES: usize = 3;
/// Most agencies of a session.
pub const MAX_AGENCIES: usize = 64;
