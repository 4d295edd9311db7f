//! Identifiers the messages of unbalanced PSI and the evidence that records
//! them share.

/// Identifier of a key epoch: a fingerprint of the server's public key, so
/// two servers (or two keys) never share one, and a restarted server that
/// reloads its key keeps its epoch.
pub type EpochId = [u8; 16];

/// A query identifier: 16 random bytes a client draws per query, echoed by
/// the server's answer.
pub type QueryId = [u8; 16];
