//! Query budgets of unbalanced PSI and where they are kept.
//!
//! A client that may query a server without limit can enumerate the
//! server's list: it queries every phone number of a country and keeps the
//! hits. A budget caps how many elements each client may have evaluated per
//! key epoch. It must outlive the server object: a budget kept in memory
//! resets with every restart, every rebuilt digest and every second server
//! process, which hands each client a fresh budget.
//!
//! [`BudgetStore`] is where budgets live. [`MemoryBudgets`] keeps them in
//! one process's memory, for one server object only; the `blindmatch-ledger`
//! crate keeps them in an SQLite ledger that survives restarts and crashes
//! and is shared by several processes. A store for another database
//! implements the same two methods.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::transcript::TranscriptHash;
use crate::unbalanced::{EpochId, QueryId};

/// How many elements each client may have evaluated per key epoch. There
/// is no default: a server states a number, or says plainly that it trusts
/// every client not to enumerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// At most this many elements per client and epoch.
    Limited(u64),
    /// No cap: only for clients trusted not to enumerate the server's list.
    Unlimited,
}

impl Budget {
    /// What a client that has spent `spent` may still have evaluated
    /// (`None` when unlimited).
    pub fn remaining(self, spent: u64) -> Option<u64> {
        match self {
            Budget::Limited(b) => Some(b.saturating_sub(spent)),
            Budget::Unlimited => None,
        }
    }

    /// Checks a query of `count` elements against a client that has spent
    /// `spent`.
    ///
    /// # Errors
    ///
    /// [`Error::BudgetExceeded`].
    pub fn check(self, spent: u64, count: u64) -> Result<()> {
        match self {
            Budget::Limited(b) if spent.saturating_add(count) > b => Err(Error::BudgetExceeded {
                requested: count,
                remaining: b.saturating_sub(spent),
            }),
            _ => Ok(()),
        }
    }
}

/// One answer to charge: who, how much, under which budget, and what was
/// answered (the query id and the transcript hash of digest, query and
/// answer; never an element).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Charge<'a> {
    /// The server's key epoch.
    pub epoch: EpochId,
    /// The client the answer is for.
    pub client_id: &'a str,
    /// Elements evaluated.
    pub count: u64,
    /// The budget the charge must fit in.
    pub budget: Budget,
    /// The query's id.
    pub query_id: QueryId,
    /// Transcript hash of the exchange (digest, query, answer): the same
    /// hash the client's receipt states.
    pub transcript: TranscriptHash,
}

/// Where a server's budgets are kept.
///
/// [`crate::unbalanced::Server::answer_with`] calls [`BudgetStore::spent`]
/// before it evaluates a query (so a query over budget costs no scalar
/// multiplication) and [`BudgetStore::charge`] after, before it returns the
/// answer: an answer whose charge failed is never released.
pub trait BudgetStore {
    /// Elements `client_id` has had evaluated under `epoch`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store cannot be read.
    fn spent(&self, epoch: &EpochId, client_id: &str) -> Result<u64>;

    /// Atomically checks `charge` against its budget and what the client
    /// has spent, records it durably and returns the client's new total.
    /// Two concurrent charges (threads or processes sharing the store) must
    /// never together exceed the budget.
    ///
    /// # Errors
    ///
    /// [`Error::BudgetExceeded`] (nothing recorded), [`Error::Storage`].
    fn charge(&self, charge: &Charge<'_>) -> Result<u64>;
}

/// Budgets in this process's memory, for one server object only: they are
/// lost when it is dropped or the process restarts, and another process
/// serving the same key keeps its own. Use a durable store (the ledger)
/// whenever a budget is meant to hold. With [`Budget::Unlimited`] it keeps
/// no entries at all.
#[derive(Debug, Default)]
pub struct MemoryBudgets {
    spent: Mutex<HashMap<(EpochId, String), u64>>,
}

impl MemoryBudgets {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells whether no client has been charged.
    pub fn is_empty(&self) -> bool {
        self.spent.lock().map(|m| m.is_empty()).unwrap_or(false)
    }
}

impl BudgetStore for MemoryBudgets {
    fn spent(&self, epoch: &EpochId, client_id: &str) -> Result<u64> {
        let map = self.spent.lock().map_err(|_| poisoned())?;
        Ok(map
            .get(&(*epoch, client_id.to_owned()))
            .copied()
            .unwrap_or(0))
    }

    fn charge(&self, charge: &Charge<'_>) -> Result<u64> {
        if charge.budget == Budget::Unlimited {
            return Ok(0);
        }
        let mut map = self.spent.lock().map_err(|_| poisoned())?;
        let spent = map
            .entry((charge.epoch, charge.client_id.to_owned()))
            .or_insert(0);
        charge.budget.check(*spent, charge.count)?;
        *spent += charge.count;
        Ok(*spent)
    }
}

fn poisoned() -> Error {
    Error::Storage("the in-memory budget table is poisoned by a panic".to_owned())
}
