//! Five agencies find the suspects known to at least three of them
//! ([`blindmatch::multiparty`]): each agency's list is a record set (e-mail
//! addresses and wallets, as officers typed them); every message crosses
//! as bytes, through files when asked; the hub counts tags and never sees
//! a list; each agency learns which of its own records qualify, and how
//! many agencies hold them.

use crate::timed;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use blindmatch::multiparty::{Hub, Member, Session};
use blindmatch::receipt::{self, Case, SigningKey};
use blindmatch::records::{Field, Kind, Options, RecordSet};

use super::{ExampleError, carry, read_csv};

/// Loads one agency's list (`suspect_id,email,wallet`) as a record set:
/// one key per e-mail address and per wallet.
///
/// # Errors
///
/// [`ExampleError::Data`] if the file is missing, malformed or lacks a
/// column, or a value is not an e-mail address or wallet.
pub fn load_agency(path: &Path) -> Result<RecordSet, ExampleError> {
    let bad = |msg: String| ExampleError::Data(path.to_owned(), msg);
    let mut reader = read_csv(path)?;
    if reader.headers().map_err(|e| bad(e.to_string()))? != vec!["suspect_id", "email", "wallet"] {
        return Err(bad(
            "expected the columns suspect_id,email,wallet".to_owned()
        ));
    }
    let mut rs = RecordSet::new(Options::default());
    for (line, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        let fields: Vec<Field<'_>> = [(Kind::Email, &row[1]), (Kind::CryptoAddress, &row[2])]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| Field::new(k, v))
            .collect();
        let before = rs.errors().len();
        rs.add(&row[0], &fields);
        if let Some(e) = rs.errors().get(before) {
            return Err(bad(format!("row {}: {}: {}", line + 2, e.field, e.error)));
        }
    }
    Ok(rs)
}

/// Loads the known answer: (agency, suspect id) to the number of agencies
/// that hold the record's e-mail address or wallet (3 or more).
///
/// # Errors
///
/// [`ExampleError::Data`].
pub fn load_expected(path: &Path) -> Result<BTreeMap<(String, String), u8>, ExampleError> {
    let bad = |msg: String| ExampleError::Data(path.to_owned(), msg);
    let mut out = BTreeMap::new();
    for row in read_csv(path)?.records() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        let held: u8 = row[2]
            .parse()
            .map_err(|_| bad(format!("held_by {:?}", &row[2])))?;
        out.insert((row[0].to_owned(), row[1].to_owned()), held);
    }
    Ok(out)
}

/// What one agency did and learned.
#[derive(Debug, Clone)]
pub struct MemberReport {
    /// The agency.
    pub name: String,
    /// Records in its list.
    pub records: usize,
    /// Its qualifying records: suspect id to how many agencies hold them.
    pub matched: BTreeMap<String, u8>,
    /// Bytes it sent: its values, the values it forwarded, its tags.
    pub bytes_sent: usize,
    /// Time spent in its own steps (start, forwards, complete, finish).
    pub busy: Duration,
    /// Whether its receipt, countersigned by the hub, verifies.
    pub receipt_verified: bool,
}

/// The session, seen from every agency and the hub.
#[derive(Debug, Clone)]
pub struct Report {
    /// One report per agency, in ring order.
    pub members: Vec<MemberReport>,
    /// Tags the hub published (held by at least the threshold).
    pub published: u64,
    /// Size of the result every agency received.
    pub result_bytes: usize,
    /// Time the hub spent taking the tags and counting.
    pub hub_busy: Duration,
}

/// Runs a session of `agencies` (name and list, in ring order) that
/// reveals the records known to at least `threshold` of them, with counts.
/// With `exchange_dir`, every message goes through a file there.
///
/// # Errors
///
/// [`ExampleError`] for unreadable message files or a protocol failure.
pub fn run(
    agencies: &[(String, RecordSet)],
    threshold: usize,
    exchange_dir: Option<&Path>,
) -> Result<Report, ExampleError> {
    let names: Vec<&str> = agencies.iter().map(|(n, _)| n.as_str()).collect();
    let k = names.len();
    let session = Session::new(&names, threshold)?.with_reveal_counts(true);
    let session_bytes = carry(exchange_dir, "session.bm", session.to_bytes())?;
    let session = Session::from_bytes(&session_bytes)?;
    let mut busy = vec![Duration::ZERO; k];
    let mut sent = vec![0usize; k];
    let mut members = Vec::with_capacity(k);
    for (i, (name, rs)) in agencies.iter().enumerate() {
        let t = Instant::now();
        members.push(Member::new(&session, name, rs.keys())?);
        busy[i] += t.elapsed();
    }
    // Hop h of every owner, in rounds: each agency forwards what reached it.
    let mut flight = Vec::with_capacity(k);
    for (i, m) in members.iter_mut().enumerate() {
        let (msg, took) = timed(|| m.start())?;
        busy[i] += took;
        sent[i] += msg.len();
        flight.push(carry(exchange_dir, &format!("{}-hop1.bm", names[i]), msg)?);
    }
    // Each agency commits to its key, its count and its first batch; the
    // hub's roster lets every agency check each hop before it raises it.
    let mut hub = Hub::new(session.clone());
    let mut hub_busy = Duration::ZERO;
    for (i, m) in members.iter().enumerate() {
        let c = m.commitment()?;
        sent[i] += c.len();
        let c = carry(exchange_dir, &format!("{}-commit.bm", names[i]), c)?;
        hub_busy += timed(|| hub.commit(names[i], &c))?.1;
    }
    let roster = carry(exchange_dir, "roster.bm", hub.roster()?)?;
    for (i, m) in members.iter_mut().enumerate() {
        busy[i] += timed(|| m.accept_roster(&roster))?.1;
    }
    for hop in 1..k {
        for (owner, msg) in flight.iter_mut().enumerate() {
            let at = (owner + hop) % k;
            let (out, took) = timed(|| members[at].forward(msg))?;
            busy[at] += took;
            sent[at] += out.len();
            *msg = carry(
                exchange_dir,
                &format!("{}-hop{}.bm", names[owner], hop + 1),
                out,
            )?;
        }
    }
    for (i, (m, msg)) in members.iter_mut().zip(&flight).enumerate() {
        let (tags, took) = timed(|| {
            m.complete(msg)?;
            m.tags()
        })?;
        busy[i] += took;
        sent[i] += tags.len();
        let tags = carry(exchange_dir, &format!("{}-tags.bm", names[i]), tags)?;
        hub_busy += timed(|| hub.add(names[i], &tags))?.1;
    }
    let (result, took) = timed(|| carry(exchange_dir, "result.bm", hub.result()?))?;
    hub_busy += took;

    let hub_key = SigningKey::generate()?;
    let case = Case::new("EMPACT-2026-17", "Council Decision 2009/371/JHA, art. 12")?;
    let mut reports = Vec::with_capacity(k);
    let mut published = 0;
    for (i, (m, (name, rs))) in members.iter_mut().zip(agencies).enumerate() {
        let (outcome, took) = timed(|| m.finish(&result))?;
        busy[i] += took;
        published = outcome.record.peer_count;
        let index = rs.index();
        let counts = outcome.counts().unwrap_or_default();
        let mut matched: BTreeMap<String, u8> = BTreeMap::new();
        for (&key, &held) in outcome.indices().iter().zip(counts) {
            if let Some(record) = index.record_of(key) {
                let entry = matched.entry(record.to_owned()).or_insert(0);
                *entry = (*entry).max(held);
            }
        }
        // The agency signs a receipt of its part; the hub checks it against
        // its own record of that agency and countersigns it.
        let key = SigningKey::generate()?;
        let signed = receipt::sign(&outcome.record, &case, &key, 1_780_000_000)?;
        let both = hub.countersign(&signed, &hub_key, 1_780_000_060)?;
        let verified = receipt::verify(&both, &[key.public_key(), hub_key.public_key()])
            .is_ok_and(|f| f.record == outcome.record);
        reports.push(MemberReport {
            name: name.clone(),
            records: rs.len(),
            matched,
            bytes_sent: sent[i],
            busy: busy[i],
            receipt_verified: verified,
        });
    }
    Ok(Report {
        members: reports,
        published,
        result_bytes: result.len(),
        hub_busy,
    })
}

/// Compares each agency's qualifying records with the known answer;
/// returns the differences (empty when every agency learned exactly them).
pub fn check(report: &Report, expected: &BTreeMap<(String, String), u8>) -> Vec<String> {
    let mut problems = Vec::new();
    for m in &report.members {
        let want: BTreeMap<&str, u8> = expected
            .iter()
            .filter(|((a, _), _)| *a == m.name)
            .map(|((_, id), &held)| (id.as_str(), held))
            .collect();
        let got: BTreeMap<&str, u8> = m.matched.iter().map(|(id, &h)| (id.as_str(), h)).collect();
        for (id, held) in &want {
            match got.get(id) {
                None => problems.push(format!("{}: {id} (held by {held}) not found", m.name)),
                Some(h) if h != held => {
                    problems.push(format!("{}: {id} held by {h}, expected {held}", m.name));
                }
                Some(_) => {}
            }
        }
        for id in got.keys().filter(|id| !want.contains_key(*id)) {
            problems.push(format!("{}: {id} matched but below the threshold", m.name));
        }
        if !m.receipt_verified {
            problems.push(format!(
                "{}: the countersigned receipt does not verify",
                m.name
            ));
        }
    }
    problems
}
