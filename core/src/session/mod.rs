//! What a party is between two messages, whatever its protocol: the phase a
//! binding's object is in, and the sealed envelope a waiting state is saved
//! in. The states themselves are listed above the protocols, in
//! `registry::saved`.

pub mod party;
pub mod phase;
pub mod seal;
