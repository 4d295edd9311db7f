//! What a session leaves behind for the legal record: signed and
//! countersigned receipts, the audit ledger's hash chain and checkpoints,
//! and the budget store a durable ledger implements. A receipt names its
//! protocol through [`receipt::Protocol`]; nothing here imports a protocol.

pub mod audit;
pub mod budget;
pub mod receipt;
