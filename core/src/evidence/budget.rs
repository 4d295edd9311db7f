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

use crate::crypto::transcript::TranscriptHash;
use crate::error::{Error, Result};
use crate::wire::ids::{EpochId, QueryId};

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

/// A query's claim on a budget while it is evaluated: who, how much, under
/// which budget, and which query holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hold<'a> {
    /// The server's key epoch.
    pub epoch: EpochId,
    /// The client the query is from.
    pub client_id: &'a str,
    /// Elements the query asks to have evaluated.
    pub count: u64,
    /// The budget the hold (with what is spent and held) must fit in.
    pub budget: Budget,
    /// The query's id: the hold's name until it is charged or released.
    pub query_id: QueryId,
}

impl<'a> Hold<'a> {
    /// A hold for one query.
    pub fn new(
        epoch: EpochId,
        client_id: &'a str,
        count: u64,
        budget: Budget,
        query_id: QueryId,
    ) -> Self {
        Hold {
            epoch,
            client_id,
            count,
            budget,
            query_id,
        }
    }
}

/// Where a server's budgets are kept.
///
/// [`crate::protocol::unbalanced::Server::answer_with`] **reserves** a query's
/// elements ([`BudgetStore::reserve`]) before its key touches any of them,
/// so that two queries of one client in flight at once cannot both pass a
/// check of what was spent and both cost multiplications: the second sees
/// the first's hold. After evaluation it charges the hold
/// ([`BudgetStore::charge`]) before it returns the answer (an answer whose
/// charge failed is never released); a query that fails in between
/// releases its hold ([`BudgetStore::release`]).
pub trait BudgetStore {
    /// Elements `client_id` has had evaluated under `epoch`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the store cannot be read.
    fn spent(&self, epoch: &EpochId, client_id: &str) -> Result<u64>;

    /// Atomically checks `hold` against its budget, what the client has
    /// spent and what its other queries hold, and records the hold. Two
    /// concurrent holds (threads or processes sharing the store) must never
    /// together exceed the budget. A store may drop holds that were neither
    /// charged nor released long after they were made (a crashed server).
    ///
    /// # Errors
    ///
    /// [`Error::BudgetExceeded`] (nothing recorded), [`Error::Replay`] when
    /// the same query already holds budget for the client, [`Error::Storage`].
    fn reserve(&self, hold: &Hold<'_>) -> Result<()>;

    /// Drops a hold of [`BudgetStore::reserve`] without charging it (the
    /// query failed before it was answered). Releasing a hold that is not
    /// there does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    fn release(&self, hold: &Hold<'_>) -> Result<()>;

    /// Atomically turns the hold of `charge.query_id` (if the store still
    /// has it) into spent budget, checking the total against the budget
    /// again, records the charge durably and returns the client's new total.
    /// Two concurrent charges must never together exceed the budget.
    ///
    /// # Errors
    ///
    /// [`Error::BudgetExceeded`] (nothing recorded; the server then
    /// releases the hold), [`Error::Storage`].
    fn charge(&self, charge: &Charge<'_>) -> Result<u64>;
}

/// Budgets in this process's memory, for one server object only: they are
/// lost when it is dropped or the process restarts, and another process
/// serving the same key keeps its own. Use a durable store (the ledger)
/// whenever a budget is meant to hold. With [`Budget::Unlimited`] it keeps
/// no entries at all.
#[derive(Debug, Default)]
pub struct MemoryBudgets {
    spent: Mutex<HashMap<(EpochId, String), Account>>,
}

/// One client's budget under one epoch: spent, and held by queries in flight.
#[derive(Debug, Default)]
struct Account {
    spent: u64,
    held: HashMap<QueryId, u64>,
}

impl Account {
    fn held(&self) -> u64 {
        self.held.values().fold(0u64, |a, &h| a.saturating_add(h))
    }
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
            .map_or(0, |a| a.spent))
    }

    fn reserve(&self, hold: &Hold<'_>) -> Result<()> {
        if hold.budget == Budget::Unlimited {
            return Ok(());
        }
        let mut map = self.spent.lock().map_err(|_| poisoned())?;
        let account = map
            .entry((hold.epoch, hold.client_id.to_owned()))
            .or_default();
        if account.held.contains_key(&hold.query_id) {
            return Err(Error::Replay("this query is already being answered"));
        }
        hold.budget
            .check(account.spent.saturating_add(account.held()), hold.count)?;
        account.held.insert(hold.query_id, hold.count);
        Ok(())
    }

    fn release(&self, hold: &Hold<'_>) -> Result<()> {
        let mut map = self.spent.lock().map_err(|_| poisoned())?;
        if let Some(account) = map.get_mut(&(hold.epoch, hold.client_id.to_owned())) {
            account.held.remove(&hold.query_id);
        }
        Ok(())
    }

    fn charge(&self, charge: &Charge<'_>) -> Result<u64> {
        if charge.budget == Budget::Unlimited {
            return Ok(0);
        }
        let mut map = self.spent.lock().map_err(|_| poisoned())?;
        let account = map
            .entry((charge.epoch, charge.client_id.to_owned()))
            .or_default();
        account.held.remove(&charge.query_id);
        charge.budget.check(account.spent, charge.count)?;
        account.spent += charge.count;
        Ok(account.spent)
    }
}

fn poisoned() -> Error {
    Error::Storage("the in-memory budget table is poisoned by a panic".to_owned())
}
