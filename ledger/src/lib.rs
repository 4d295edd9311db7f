//! # blindmatch-ledger
//!
//! A durable, append-only, hash-chained audit ledger on SQLite, and the
//! query-budget store of blindmatch's unbalanced PSI (DESIGN §7.3).
//!
//! * **Budgets that hold.** [`Ledger`] implements
//!   [`blindmatch::budget::BudgetStore`]: every answer a server returns
//!   through [`blindmatch::unbalanced::Server::answer_with`] is charged and
//!   recorded in a committed transaction first. The totals live in the
//!   database, so they survive restarts, crashes and a rebuilt digest, and
//!   several processes on one file never exceed a budget together (SQLite
//!   serializes their write transactions).
//! * **A record that shows tampering.** Every entry (a charge, a finished
//!   session, a receipt, a checkpoint) carries the hash of the one before
//!   ([`blindmatch::audit`]); [`Ledger::verify`] finds an edited, deleted,
//!   inserted or reordered entry, and a budget total that disagrees with
//!   the charges recorded.
//! * **What it does not prove.** Whoever controls the machine can rewrite
//!   the whole chain consistently. Signed [`Ledger::checkpoint`]s handed to
//!   someone else (the peer agency, a supervisor) pin it: a rewrite of
//!   anything before a checkpoint fails [`Ledger::verify_with_checkpoints`].
//!
//! Entries hold no identifier: client ids, counts, epochs, query ids,
//! transcript hashes, case references and receipts.
//!
//! ```
//! use blindmatch::budget::Budget;
//! use blindmatch::oprf::OprfKey;
//! use blindmatch::unbalanced::{Client, Server, ServerConfig};
//! use blindmatch_ledger::Ledger;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ledger = Ledger::open(dir.path().join("watch-list.sqlite"))?;
//! let key = OprfKey::generate()?;
//! let config = ServerConfig::new(Budget::Limited(10_000));
//! let server = Server::new(key, &["+442079460958"], None::<&[&str]>, config)?;
//!
//! let (_client, query) = Client::new(&["+442079460958", "+33142685300"])?;
//! let answer = server.answer_with(&query, "agency-nl", &ledger)?;
//! assert_eq!(server.remaining_budget_with("agency-nl", &ledger)?, Some(9_998));
//! assert_eq!(ledger.verify()?.entries, 1);
//! # Ok::<(), blindmatch::Error>(())
//! ```
//!
//! The store sits behind the small [`blindmatch::budget::BudgetStore`]
//! trait and the chain logic in [`blindmatch::audit`], so a ledger in a
//! server database (PostgreSQL for several hosts) is another implementation
//! of the same two methods, with no change to the protocol code.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use blindmatch::audit::{ChainVerifier, Checkpoint, EntryHash, GENESIS, StoredEntry, entry_hash};
use blindmatch::budget::{Budget, BudgetStore, Charge, Hold};
use blindmatch::receipt::{self, Case, Protocol, PublicKey, SessionRecord, SigningKey};
use blindmatch::unbalanced::{EpochId, QueryId};
use blindmatch::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Kind of the entry that charges an unbalanced answer.
pub const KIND_CHARGE: &str = "charge";
/// Kind of the entry that records a finished session.
pub const KIND_SESSION: &str = "session";
/// Kind of the entry that records a receipt.
pub const KIND_RECEIPT: &str = "receipt";
/// Kind of the entry that records a checkpoint of the entries before it.
pub const KIND_CHECKPOINT: &str = "checkpoint";

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Seconds after which a hold that was neither charged nor released (its
/// server crashed mid-answer) stops counting against the client's budget.
const HOLD_EXPIRY_SECS: u64 = 15 * 60;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq  INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    prev BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS spent (
    epoch     BLOB NOT NULL,
    client_id TEXT NOT NULL,
    used      INTEGER NOT NULL,
    PRIMARY KEY (epoch, client_id)
);
-- Budget held by queries being answered (BudgetStore::reserve), so that
-- two queries of one client in flight cannot both pass the check; not part
-- of the chain (a hold is charged into it, or released).
CREATE TABLE IF NOT EXISTS held (
    epoch     BLOB NOT NULL,
    client_id TEXT NOT NULL,
    query_id  BLOB NOT NULL,
    count     INTEGER NOT NULL,
    since     INTEGER NOT NULL,
    PRIMARY KEY (epoch, client_id, query_id)
);
-- Append-only against mistakes (not against an operator, who can drop
-- these: the hash chain and checkpoints are what detect that).
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
";

/// A ledger file. Cheap to share between threads (`&Ledger` is `Sync`);
/// several processes may open the same file.
#[derive(Debug)]
pub struct Ledger {
    conn: Mutex<Connection>,
    id: [u8; 16],
    path: PathBuf,
}

/// What [`Ledger::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// Entries in the chain.
    pub entries: u64,
    /// Hash of the last entry ([`GENESIS`] for an empty ledger).
    pub head: EntryHash,
    /// Checkpoints checked against the chain.
    pub checkpoints: usize,
}

/// One entry, as read back for display or export.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Sequence number (1, 2, ...).
    pub seq: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// [`KIND_CHARGE`], [`KIND_SESSION`], [`KIND_RECEIPT`], [`KIND_CHECKPOINT`] or a caller's kind.
    pub kind: String,
    /// The entry's data (JSON for the kinds above).
    pub data: Vec<u8>,
}

fn storage(e: rusqlite::Error) -> Error {
    Error::Storage(e.to_string())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

impl Ledger {
    /// Opens the ledger at `path`, creating it (readable and writable by
    /// its owner only) if it does not exist, in WAL mode with full
    /// synchronous commits: a committed entry survives a crash or a power
    /// cut.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the file cannot be created or opened, or is
    /// not a ledger.
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger> {
        let path = path.as_ref().to_path_buf();
        create_private(&path)?;
        let conn = Connection::open(&path).map_err(storage)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(storage)?;
        // Two processes creating one new ledger at once: the schema and
        // the id are written in one exclusive transaction.
        let mut conn = conn;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        tx.execute_batch(SCHEMA).map_err(storage)?;
        let existing: Option<Vec<u8>> = tx
            .query_row("SELECT value FROM meta WHERE key = 'ledger_id'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(storage)?;
        let id = match existing {
            Some(v) => v
                .try_into()
                .map_err(|_| Error::Storage("the ledger id is not 16 bytes".to_owned()))?,
            None => {
                let mut id = [0u8; 16];
                getrandom::fill(&mut id).map_err(|_| Error::Rng)?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('ledger_id', ?1)",
                    params![&id[..]],
                )
                .map_err(storage)?;
                id
            }
        };
        tx.commit().map_err(storage)?;
        Ok(Ledger {
            conn: Mutex::new(conn),
            id,
            path,
        })
    }

    /// Returns the ledger's random id, which its checkpoints name.
    pub fn id(&self) -> [u8; 16] {
        self.id
    }

    /// Returns the path the ledger was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::Storage("the ledger connection is poisoned by a panic".to_owned()))
    }

    /// Appends an entry of `kind` with `data` in its own transaction and
    /// returns its sequence number.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn append(&self, kind: &str, data: &[u8]) -> Result<u64> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let seq = append_in(&tx, kind, data)?;
        tx.commit().map_err(storage)?;
        Ok(seq)
    }

    /// Records a finished session (protocol, role, sizes, cardinality,
    /// transcript hash) under its case.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn record_session(&self, record: &SessionRecord, case: &Case) -> Result<u64> {
        let (protocol, reveal, output) = record.protocol.names();
        let mut data = serde_json::json!({
            "protocol": protocol,
            "reveal": reveal,
            "output": output,
            "role": record.role.name(),
            "session_id": hex::encode(record.session_id),
            "epoch": record.epoch.map(hex::encode),
            "own_count": record.own_count,
            "peer_count": record.peer_count,
            "cardinality": record.cardinality,
            "transcript_hash": hex::encode(record.transcript),
            "case_ref": case.case_ref(),
            "legal_basis": case.legal_basis(),
        });
        if let Protocol::MultiParty {
            agencies,
            threshold,
        } = record.protocol
        {
            data["agencies"] = agencies.into();
            data["threshold"] = threshold.into();
        }
        self.append(KIND_SESSION, &json_bytes(&data))
    }

    /// Records a receipt (signed or countersigned) after checking that its
    /// signatures are valid for the keys it names. One exchange is
    /// countersigned once: a countersigned receipt of a transcript this
    /// ledger holds another countersigned receipt of (under another case,
    /// say) is refused; the same receipt again is not recorded twice.
    ///
    /// # Errors
    ///
    /// Decoding errors and [`Error::BadSignature`] for a receipt that is
    /// not one; [`Error::Replay`] for a second, different countersigned
    /// receipt of one transcript; [`Error::Storage`].
    pub fn record_receipt(&self, receipt: &[u8]) -> Result<u64> {
        let fields = receipt::read(receipt)?;
        let transcript = hex::encode(fields.record.transcript);
        let encoded = hex::encode(receipt);
        let data = serde_json::json!({
            "transcript_hash": transcript,
            "signer": fields.signer.to_string(),
            "countersigner": fields.countersigner.map(|k| k.to_string()),
            "receipt": encoded,
        });
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        if fields.countersigner.is_some() {
            let mut stmt = tx
                .prepare("SELECT seq, CAST(data AS BLOB) FROM entries WHERE kind = ?1")
                .map_err(storage)?;
            let mut rows = stmt.query([KIND_RECEIPT]).map_err(storage)?;
            while let Some(row) = rows.next().map_err(storage)? {
                let seq: i64 = row.get(0).map_err(storage)?;
                let stored: Vec<u8> = row.get(1).map_err(storage)?;
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&stored) else {
                    continue;
                };
                if v["transcript_hash"].as_str() != Some(&transcript)
                    || v["countersigner"].is_null()
                {
                    continue;
                }
                if v["receipt"].as_str() == Some(&encoded) {
                    return Ok(seq as u64);
                }
                return Err(Error::Replay(
                    "this exchange is countersigned in the ledger already",
                ));
            }
        }
        let seq = append_in(&tx, KIND_RECEIPT, &json_bytes(&data))?;
        tx.commit().map_err(storage)?;
        Ok(seq)
    }

    /// Signs a checkpoint of the chain as it stands (its length and head
    /// hash), records that it was made, and returns it. Hand it to someone
    /// who does not control this machine; [`Ledger::verify_with_checkpoints`]
    /// then shows whether the chain up to it was changed.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn checkpoint(&self, key: &SigningKey) -> Result<Vec<u8>> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let (seq, head) = head_in(&tx)?;
        let cp = Checkpoint::sign(self.id, seq, head, now(), key);
        let data = serde_json::json!({
            "seq": seq,
            "head": hex::encode(head),
            "signer": key.public_key().to_string(),
            "checkpoint": hex::encode(&cp),
        });
        append_in(&tx, KIND_CHECKPOINT, &json_bytes(&data))?;
        tx.commit().map_err(storage)?;
        Ok(cp)
    }

    /// Walks the whole chain and checks every entry's link and hash, and
    /// that every client's budget total equals the sum of its charges.
    ///
    /// # Errors
    ///
    /// [`Error::LedgerTampered`] naming the first entry that fails (or
    /// `seq` 0 for a budget total that no charge explains);
    /// [`Error::Storage`].
    pub fn verify(&self) -> Result<Verified> {
        self.verify_with_checkpoints(&[], None)
    }

    /// [`Ledger::verify`], and checks each checkpoint: signed (by one of
    /// `keys` when given), of this ledger, and matching the chain at its
    /// sequence number. A chain cut short before a checkpoint, or rewritten
    /// up to it, fails.
    ///
    /// # Errors
    ///
    /// As [`Ledger::verify`]; decoding errors and [`Error::BadSignature`]
    /// for a checkpoint; [`Error::LedgerTampered`] for a checkpoint of
    /// another ledger or one the chain does not match.
    pub fn verify_with_checkpoints(
        &self,
        checkpoints: &[&[u8]],
        keys: Option<&[PublicKey]>,
    ) -> Result<Verified> {
        let mut pins = Vec::with_capacity(checkpoints.len());
        for cp in checkpoints {
            let cp = Checkpoint::verify(cp, keys)?;
            if cp.ledger_id != self.id {
                return Err(Error::LedgerTampered {
                    seq: cp.seq,
                    reason: "a checkpoint of another ledger",
                });
            }
            pins.push(cp);
        }
        pins.sort_by_key(|cp| cp.seq);
        let mut pins = pins.into_iter().peekable();
        let conn = self.conn()?;
        // One read transaction: a consistent snapshot while writers go on.
        let tx = conn.unchecked_transaction().map_err(storage)?;
        let mut chain = ChainVerifier::new();
        let mut totals: std::collections::HashMap<(Vec<u8>, String), u64> = Default::default();
        while pins.peek().is_some_and(|cp| cp.seq == 0) {
            if pins.next().is_some_and(|cp| cp.head != GENESIS) {
                return Err(Error::LedgerTampered {
                    seq: 0,
                    reason: "a checkpoint of an empty ledger has a head",
                });
            }
        }
        {
            let mut stmt = tx
                .prepare("SELECT seq, time, kind, CAST(data AS BLOB), CAST(prev AS BLOB), CAST(hash AS BLOB) FROM entries ORDER BY seq")
                .map_err(storage)?;
            let mut rows = stmt.query([]).map_err(storage)?;
            while let Some(row) = rows.next().map_err(storage)? {
                let seq: i64 = row.get(0).map_err(storage)?;
                let time: i64 = row.get(1).map_err(storage)?;
                let kind: String = row.get(2).map_err(storage)?;
                let data: Vec<u8> = row.get(3).map_err(storage)?;
                let prev: Vec<u8> = row.get(4).map_err(storage)?;
                let hash: Vec<u8> = row.get(5).map_err(storage)?;
                let seq = seq as u64;
                let head = chain.push(&StoredEntry {
                    seq,
                    time: time as u64,
                    kind: &kind,
                    data: &data,
                    prev: &prev,
                    hash: &hash,
                })?;
                while let Some(cp) = pins.next_if(|cp| cp.seq == seq) {
                    if cp.head != head {
                        return Err(Error::LedgerTampered {
                            seq,
                            reason: "the chain differs from a signed checkpoint",
                        });
                    }
                }
                if kind == KIND_CHARGE {
                    let (epoch, client, count) = charge_of(&data).ok_or(Error::LedgerTampered {
                        seq,
                        reason: "a charge entry that cannot be read",
                    })?;
                    *totals.entry((epoch, client)).or_insert(0) += count;
                }
            }
        }
        if let Some(cp) = pins.next() {
            return Err(Error::LedgerTampered {
                seq: cp.seq,
                reason: "entries a signed checkpoint covers are missing",
            });
        }
        let mut stmt = tx
            .prepare("SELECT epoch, client_id, used FROM spent")
            .map_err(storage)?;
        let mut rows = stmt.query([]).map_err(storage)?;
        let mut seen = 0usize;
        while let Some(row) = rows.next().map_err(storage)? {
            let epoch: Vec<u8> = row.get(0).map_err(storage)?;
            let client: String = row.get(1).map_err(storage)?;
            let used: i64 = row.get(2).map_err(storage)?;
            seen += 1;
            if totals.get(&(epoch, client)).copied() != Some(used as u64) {
                return Err(Error::LedgerTampered {
                    seq: 0,
                    reason: "a budget total differs from the charges recorded",
                });
            }
        }
        if seen != totals.len() {
            return Err(Error::LedgerTampered {
                seq: 0,
                reason: "charges recorded for a client without a budget total",
            });
        }
        Ok(Verified {
            entries: chain.len(),
            head: chain.head(),
            checkpoints: checkpoints.len(),
        })
    }

    /// Returns the number of entries.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn len(&self) -> Result<u64> {
        let conn = self.conn()?;
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .map_err(storage)?;
        Ok(n as u64)
    }

    /// Tells whether the ledger has no entry.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Returns the entries from `from_seq` on, at most `limit` of them.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn entries(&self, from_seq: u64, limit: usize) -> Result<Vec<Entry>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare("SELECT seq, time, kind, CAST(data AS BLOB) FROM entries WHERE seq >= ?1 ORDER BY seq LIMIT ?2")
            .map_err(storage)?;
        let rows = stmt
            .query_map(params![from_seq as i64, limit as i64], |r| {
                Ok(Entry {
                    seq: r.get::<_, i64>(0)? as u64,
                    time: r.get::<_, i64>(1)? as u64,
                    kind: r.get(2)?,
                    data: r.get(3)?,
                })
            })
            .map_err(storage)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(storage)
    }
}

impl BudgetStore for Ledger {
    fn spent(&self, epoch: &EpochId, client_id: &str) -> Result<u64> {
        let conn = self.conn()?;
        spent_in(&conn, epoch, client_id)
    }

    fn reserve(&self, hold: &Hold<'_>) -> Result<()> {
        if hold.budget == Budget::Unlimited {
            return Ok(());
        }
        let mut conn = self.conn()?;
        // IMMEDIATE: no other process reads the totals between our check
        // and our insert.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        let stale = now().saturating_sub(HOLD_EXPIRY_SECS) as i64;
        tx.execute("DELETE FROM held WHERE since < ?1", params![stale])
            .map_err(storage)?;
        let (held, mine): (i64, i64) = tx
            .query_row(
                "SELECT COALESCE(SUM(count), 0), COALESCE(SUM(query_id = ?3), 0)
                 FROM held WHERE epoch = ?1 AND client_id = ?2",
                params![&hold.epoch[..], hold.client_id, &hold.query_id[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(storage)?;
        if mine > 0 {
            return Err(Error::Replay("this query is already being answered"));
        }
        let spent = spent_in(&tx, &hold.epoch, hold.client_id)?;
        hold.budget
            .check(spent.saturating_add(held as u64), hold.count)?;
        tx.execute(
            "INSERT INTO held (epoch, client_id, query_id, count, since) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                &hold.epoch[..],
                hold.client_id,
                &hold.query_id[..],
                hold.count as i64,
                now() as i64
            ],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)
    }

    fn release(&self, hold: &Hold<'_>) -> Result<()> {
        let conn = self.conn()?;
        drop_hold(&conn, &hold.epoch, hold.client_id, &hold.query_id)
    }

    fn charge(&self, charge: &Charge<'_>) -> Result<u64> {
        let mut conn = self.conn()?;
        // IMMEDIATE takes the write lock before reading the total, so two
        // processes cannot both read the same total and both charge.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(storage)?;
        drop_hold(&tx, &charge.epoch, charge.client_id, &charge.query_id)?;
        let spent = spent_in(&tx, &charge.epoch, charge.client_id)?;
        charge.budget.check(spent, charge.count)?;
        let total = spent + charge.count;
        let data = serde_json::json!({
            "epoch": hex::encode(charge.epoch),
            "client_id": charge.client_id,
            "count": charge.count,
            "budget": match charge.budget { Budget::Limited(b) => Some(b), Budget::Unlimited => None },
            "spent": total,
            "query_id": hex::encode(charge.query_id),
            "transcript_hash": hex::encode(charge.transcript),
        });
        append_in(&tx, KIND_CHARGE, &json_bytes(&data))?;
        tx.execute(
            "INSERT INTO spent (epoch, client_id, used) VALUES (?1, ?2, ?3)
             ON CONFLICT (epoch, client_id) DO UPDATE SET used = excluded.used",
            params![&charge.epoch[..], charge.client_id, total as i64],
        )
        .map_err(storage)?;
        // Returns only once the charge is durable (synchronous = FULL).
        tx.commit().map_err(storage)?;
        Ok(total)
    }
}

fn drop_hold(
    conn: &Connection,
    epoch: &EpochId,
    client_id: &str,
    query_id: &QueryId,
) -> Result<()> {
    conn.execute(
        "DELETE FROM held WHERE epoch = ?1 AND client_id = ?2 AND query_id = ?3",
        params![&epoch[..], client_id, &query_id[..]],
    )
    .map(|_| ())
    .map_err(storage)
}

fn spent_in(conn: &Connection, epoch: &EpochId, client_id: &str) -> Result<u64> {
    let used: Option<i64> = conn
        .query_row(
            "SELECT used FROM spent WHERE epoch = ?1 AND client_id = ?2",
            params![&epoch[..], client_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(storage)?;
    Ok(used.unwrap_or(0) as u64)
}

fn head_in(conn: &Connection) -> Result<(u64, EntryHash)> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(storage)?;
    match last {
        None => Ok((0, GENESIS)),
        Some((seq, hash)) => Ok((
            seq as u64,
            hash.try_into().map_err(|_| Error::LedgerTampered {
                seq: seq as u64,
                reason: "an entry hash is not 32 bytes",
            })?,
        )),
    }
}

/// Appends inside the caller's write transaction.
fn append_in(conn: &Connection, kind: &str, data: &[u8]) -> Result<u64> {
    let (last, prev) = head_in(conn)?;
    let seq = last + 1;
    // Never before the last entry, if the clock stepped back.
    let last_time: Option<i64> = conn
        .query_row(
            "SELECT time FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(storage)?;
    let time = now().max(last_time.map_or(0, |t| t as u64));
    let hash = entry_hash(&prev, seq, time, kind, data);
    conn.execute(
        "INSERT INTO entries (seq, time, kind, data, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq as i64, time as i64, kind, data, &prev[..], &hash[..]],
    )
    .map_err(storage)?;
    Ok(seq)
}

/// (epoch, client id, count) of a charge entry's JSON.
fn charge_of(data: &[u8]) -> Option<(Vec<u8>, String, u64)> {
    let v: serde_json::Value = serde_json::from_slice(data).ok()?;
    Some((
        hex::decode(v.get("epoch")?.as_str()?).ok()?,
        v.get("client_id")?.as_str()?.to_owned(),
        v.get("count")?.as_u64()?,
    ))
}

/// Creates the ledger file readable by its owner only (SQLite gives its
/// `-wal` and `-shm` files the same permissions), and refuses an existing
/// one that others can read or write.
fn create_private(path: &Path) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        options.mode(0o600);
        let file = options
            .open(path)
            .map_err(|e| Error::Storage(format!("cannot open the ledger file: {e}")))?;
        let mode = file
            .metadata()
            .map_err(|e| Error::Storage(format!("cannot read the ledger file's mode: {e}")))?
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::Storage(format!(
                "the ledger file is accessible to other users (mode {:o}); chmod 600 it",
                mode & 0o777
            )));
        }
    }
    #[cfg(not(unix))]
    {
        options
            .open(path)
            .map_err(|e| Error::Storage(format!("cannot open the ledger file: {e}")))?;
    }
    Ok(())
}
