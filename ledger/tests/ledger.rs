//! The ledger against restarts, crashes, concurrent processes and edits
//! made to its database file with SQL directly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use blindmatch::budget::{Budget, BudgetStore, Hold};
use blindmatch::oprf::OprfKey;
use blindmatch::receipt::{self, Case, SigningKey};
use blindmatch::unbalanced::{Client, Server, ServerConfig};
use blindmatch::{Error, ErrorCode};
use blindmatch_ledger::{KIND_CHARGE, Ledger};
use rusqlite::Connection;

const QUERY_ITEMS: usize = 8;

fn server(budget: u64) -> Server {
    let key = OprfKey::derive(&[0x42; 32], b"ledger tests").unwrap();
    let items: Vec<String> = (0..64).map(|i| format!("+4420794600{i:02}")).collect();
    Server::new(
        key,
        &items,
        None::<&[&str]>,
        ServerConfig::new(Budget::Limited(budget)),
    )
    .unwrap()
}

fn query(n: usize, salt: usize) -> (Client, Vec<u8>) {
    let items: Vec<String> = (0..n).map(|i| format!("+3314268{salt:04}{i:02}")).collect();
    Client::new(&items).unwrap()
}

/// Runs `f` on the ledger file with SQL, its append-only triggers dropped
/// (as an operator editing the file would).
fn tamper(path: &Path, sql: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;")
        .unwrap();
    c.execute_batch(sql).unwrap();
}

fn ledger_with_entries(dir: &Path, n: usize) -> std::path::PathBuf {
    let path = dir.join("l.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    let s = server(1_000_000);
    for i in 0..n {
        let (_, q) = query(2, i);
        s.answer_with(&q, &format!("client-{}", i % 3), &ledger)
            .unwrap();
    }
    path
}

fn tampered_at(path: &Path) -> (u64, &'static str) {
    match Ledger::open(path).unwrap().verify() {
        Err(Error::LedgerTampered { seq, reason }) => (seq, reason),
        other => panic!("tampering went unnoticed: {other:?}"),
    }
}

/// The refusal of a query of `requested` keys with `remaining` left.
fn over_budget(requested: u64, remaining: u64) -> Result<Vec<u8>, Error> {
    Err(Error::BudgetExceeded {
        requested,
        remaining,
    })
}

#[test]
fn an_untouched_ledger_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 6);
    let v = Ledger::open(&path).unwrap().verify().unwrap();
    assert_eq!(v.entries, 6);
}

#[test]
fn every_edit_with_sql_is_found() {
    let cases: [(&str, u64); 6] = [
        // an edited charge (count lowered)
        (
            "UPDATE entries SET data = replace(data, '\"count\":2', '\"count\":1') WHERE seq = 3",
            3,
        ),
        // an edited time
        ("UPDATE entries SET time = time + 1 WHERE seq = 4", 4),
        // a deleted entry
        ("DELETE FROM entries WHERE seq = 2", 2),
        // two entries swapped
        (
            "UPDATE entries SET seq = -1 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = -1",
            2,
        ),
        // an entry inserted at the end with a made-up hash
        (
            "INSERT INTO entries SELECT 7, time, kind, data, hash, hash FROM entries WHERE seq = 6",
            7,
        ),
        // renumbered after a deletion, so the sequence has no gap
        (
            "DELETE FROM entries WHERE seq = 2; UPDATE entries SET seq = seq - 1 WHERE seq > 2",
            2,
        ),
    ];
    for (sql, seq) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_with_entries(dir.path(), 6);
        tamper(&path, sql);
        let (found, reason) = tampered_at(&path);
        assert_eq!(found, seq, "{sql}: {reason}");
    }
}

#[test]
fn a_budget_total_reset_with_sql_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 6);
    tamper(&path, "UPDATE spent SET used = 0");
    assert_eq!(
        tampered_at(&path).1,
        "a budget total differs from the charges recorded"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 6);
    tamper(&path, "DELETE FROM spent");
    assert!(tampered_at(&path).1.contains("without a budget total"));
}

#[test]
fn the_append_only_triggers_stop_casual_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 2);
    let c = Connection::open(&path).unwrap();
    assert!(c.execute("DELETE FROM entries WHERE seq = 1", []).is_err());
    assert!(c.execute("UPDATE entries SET time = 0", []).is_err());
}

#[test]
fn checkpoints_catch_a_cut_tail_and_a_rewritten_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 5);
    let signer = SigningKey::from_secret_bytes(&[5; 32]).unwrap();
    let keys = [signer.public_key()];
    let cp = {
        let ledger = Ledger::open(&path).unwrap();
        let cp = ledger.checkpoint(&signer).unwrap();
        let v = ledger.verify_with_checkpoints(&[&cp], Some(&keys)).unwrap();
        assert_eq!((v.entries, v.checkpoints), (6, 1));
        cp
    };
    // Cutting the tail leaves a valid chain: only the checkpoint shows it.
    tamper(
        &path,
        "DELETE FROM entries WHERE seq >= 5; DELETE FROM spent",
    );
    let ledger = Ledger::open(&path).unwrap();
    assert!(matches!(
        ledger.verify_with_checkpoints(&[&cp], Some(&keys)),
        Err(Error::LedgerTampered { seq: 5, .. })
    ));
    // A checkpoint under a key that was not given, or of another ledger.
    let other = SigningKey::from_secret_bytes(&[6; 32]).unwrap();
    assert_eq!(
        ledger
            .verify_with_checkpoints(&[&cp], Some(&[other.public_key()]))
            .unwrap_err()
            .code(),
        ErrorCode::BadSignature
    );
    let dir2 = tempfile::tempdir().unwrap();
    let elsewhere = Ledger::open(dir2.path().join("x.sqlite")).unwrap();
    assert!(matches!(
        elsewhere.verify_with_checkpoints(&[&cp], None),
        Err(Error::LedgerTampered { .. })
    ));

    // A chain rewritten consistently from entry 1 (the operator recomputes
    // every hash) verifies alone, but not against the checkpoint.
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_entries(dir.path(), 3);
    let ledger = Ledger::open(&path).unwrap();
    let cp = ledger.checkpoint(&signer).unwrap();
    drop(ledger);
    let c = Connection::open(&path).unwrap();
    c.execute_batch("DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete; DELETE FROM entries; DELETE FROM spent;")
        .unwrap();
    drop(c);
    let ledger = Ledger::open(&path).unwrap();
    let s = server(100);
    for i in 0..3 {
        let (_, q) = query(1, i);
        s.answer_with(&q, "client-0", &ledger).unwrap();
    }
    ledger.append("note", b"rewritten").unwrap();
    assert_eq!(ledger.verify().unwrap().entries, 4);
    assert!(matches!(
        ledger.verify_with_checkpoints(&[&cp], Some(&keys)),
        Err(Error::LedgerTampered { seq: 3, .. })
    ));
}

#[test]
fn a_restart_keeps_every_clients_spent_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budgets.sqlite");
    {
        let ledger = Ledger::open(&path).unwrap();
        let s = server(20);
        let (_, q) = query(QUERY_ITEMS, 1);
        s.answer_with(&q, "agency-nl", &ledger).unwrap();
        let (_, q) = query(QUERY_ITEMS, 2);
        s.answer_with(&q, "agency-nl", &ledger).unwrap();
        let (_, q) = query(3, 3);
        s.answer_with(&q, "agency-de", &ledger).unwrap();
    }
    // A new server object and a new connection: same key, same file.
    let ledger = Ledger::open(&path).unwrap();
    let s = server(20);
    assert_eq!(s.remaining_budget_with("agency-nl", &ledger), Ok(Some(4)));
    assert_eq!(s.remaining_budget_with("agency-de", &ledger), Ok(Some(17)));
    let (_, q) = query(QUERY_ITEMS, 4);
    assert_eq!(s.answer_with(&q, "agency-nl", &ledger), over_budget(8, 4));
    // A server that keeps budgets in memory would have answered.
    assert!(s.answer(&q, "agency-nl").is_ok());
    ledger.verify().unwrap();
}

#[test]
fn a_receipt_and_a_session_are_recorded() {
    use blindmatch::psi::{Config, Initiator, Responder};
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("r.sqlite")).unwrap();
    let (i, request) = Initiator::new(Config::default(), &["a", "b"]).unwrap();
    let (r, response) = Responder::new(Config::default(), &["b"])
        .unwrap()
        .respond(&request)
        .unwrap();
    let a = i.conclude(&response).unwrap();
    let case = Case::new("NL-2026-0142", "MLAT art. 18").unwrap();
    ledger.record_session(&a.record, &case).unwrap();
    let key = SigningKey::from_secret_bytes(&[1; 32]).unwrap();
    let signed = receipt::sign(&a.record, &case, &key, 1000).unwrap();
    ledger.record_receipt(&signed).unwrap();
    let mut bad = signed.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(ledger.record_receipt(&bad).is_err());
    drop(r);
    let entries = ledger.entries(1, 10).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["session", "receipt"]
    );
    let session: serde_json::Value = serde_json::from_slice(&entries[0].data).unwrap();
    assert_eq!(session["transcript_hash"], hex::encode(a.record.transcript));
    assert_eq!(session["case_ref"], "NL-2026-0142");
    assert_eq!(ledger.verify().unwrap().entries, 2);
}

#[test]
fn a_multi_party_session_and_its_countersigned_receipt_are_recorded() {
    use blindmatch::multiparty::{Hub, Member, Session};
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("m.sqlite")).unwrap();
    let session = Session::new(&["NL", "DE", "FR"], 2).unwrap();
    let lists: [&[&str]; 3] = [&["a", "b"], &["b", "c"], &["c", "b"]];
    let mut ms: Vec<Member> = session
        .agencies()
        .iter()
        .zip(lists)
        .map(|(n, l)| Member::new(&session, n, l).unwrap())
        .collect();
    let mut flight: Vec<Vec<u8>> = ms.iter_mut().map(|m| m.start().unwrap()).collect();
    let mut hub = Hub::new(session.clone());
    for m in &ms {
        hub.commit(m.name(), &m.commitment().unwrap()).unwrap();
    }
    let roster = hub.roster().unwrap();
    for m in &mut ms {
        m.accept_roster(&roster).unwrap();
    }
    for hop in 1..3 {
        for (owner, msg) in flight.iter_mut().enumerate() {
            *msg = ms[(owner + hop) % 3].forward(msg).unwrap();
        }
    }
    for (m, msg) in ms.iter_mut().zip(&flight) {
        m.complete(msg).unwrap();
        hub.add(m.name(), &m.tags().unwrap()).unwrap();
    }
    let result = hub.result().unwrap();
    let nl = ms[0].finish(&result).unwrap();
    assert_eq!(nl.indices(), [1]);
    let case = Case::new("EMPACT-2026-17", "Council Decision 2009/371/JHA").unwrap();
    ledger.record_session(&nl.record, &case).unwrap();
    let (key_nl, key_hub) = (
        SigningKey::from_secret_bytes(&[1; 32]).unwrap(),
        SigningKey::from_secret_bytes(&[2; 32]).unwrap(),
    );
    let signed = receipt::sign(&nl.record, &case, &key_nl, 1000).unwrap();
    let hub_record = hub.record_for("NL").unwrap();
    let both = receipt::countersign(&signed, &key_hub, Some(&hub_record), 1060).unwrap();
    ledger.record_receipt(&both).unwrap();
    let entries = ledger.entries(1, 10).unwrap();
    let recorded: serde_json::Value = serde_json::from_slice(&entries[0].data).unwrap();
    assert_eq!(recorded["protocol"], "multiparty");
    assert_eq!(recorded["role"], "member");
    assert_eq!(
        (
            recorded["agencies"].as_u64(),
            recorded["threshold"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(
        (
            recorded["own_count"].as_u64(),
            recorded["cardinality"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let receipt_entry: serde_json::Value = serde_json::from_slice(&entries[1].data).unwrap();
    assert_eq!(
        receipt_entry["countersigner"],
        key_hub.public_key().to_string()
    );
    assert_eq!(ledger.verify().unwrap().entries, 2);
}

#[cfg(unix)]
#[test]
fn a_ledger_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open.sqlite");
    drop(Ledger::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

// ---- several processes ---------------------------------------------------

/// Not a test of its own: the body of the child processes the tests below
/// start (`BLINDMATCH_LEDGER_CHILD` names the ledger). It answers queries
/// until its budget runs out and prints each answer it releases.
#[test]
#[ignore = "run by the tests below in child processes"]
fn child_answer_loop() {
    let Some(path) = std::env::var_os("BLINDMATCH_LEDGER_CHILD") else {
        return;
    };
    let budget: u64 = std::env::var("BLINDMATCH_LEDGER_BUDGET")
        .unwrap()
        .parse()
        .unwrap();
    let ledger = Ledger::open(&path).unwrap();
    let s = server(budget);
    for i in 0.. {
        let (client, q) = query(QUERY_ITEMS, i);
        match s.answer_with(&q, "agency-nl", &ledger) {
            Ok(_) => println!("released {}", hex::encode(client.query_id())),
            Err(Error::BudgetExceeded { .. }) => {
                println!("refused");
                return;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The query id in a line the child printed. libtest prints
/// `test child_answer_loop ... ` without a newline before the first one.
fn released_id(line: &str) -> Option<String> {
    line.split_once("released ").map(|(_, id)| id.to_owned())
}

fn spawn_child(path: &Path, budget: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_answer_loop",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BLINDMATCH_LEDGER_CHILD", path)
        .env("BLINDMATCH_LEDGER_BUDGET", budget.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// (query id of each charge entry, total of the spent table) of a ledger.
fn charges(path: &Path) -> (Vec<String>, u64) {
    let ledger = Ledger::open(path).unwrap();
    ledger.verify().unwrap();
    let ids = ledger
        .entries(1, usize::MAX >> 1)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == KIND_CHARGE)
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&e.data).unwrap();
            v["query_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let s = server(0);
    let spent = ledger.spent(&s.epoch(), "agency-nl").unwrap();
    (ids, spent)
}

#[test]
fn a_process_killed_mid_stream_loses_no_charge_and_released_nothing_uncharged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.sqlite");
    drop(Ledger::open(&path).unwrap());
    let mut child = spawn_child(&path, u64::MAX);
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut released = Vec::new();
    let mut lines = stdout.lines();
    while released.len() < 40 {
        let line = lines.next().expect("child ended early").unwrap();
        released.extend(released_id(&line));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Lines the child wrote before it died.
    for line in lines {
        released.extend(released_id(&line.unwrap()));
    }
    let (charged, spent) = charges(&path);
    for id in &released {
        assert!(charged.contains(id), "answer {id} was released uncharged");
    }
    // At most one charge committed whose answer the kill kept from release.
    assert!(
        charged.len() <= released.len() + 1,
        "{} vs {}",
        charged.len(),
        released.len()
    );
    assert_eq!(spent, charged.len() as u64 * QUERY_ITEMS as u64);
}

#[test]
fn two_processes_on_one_ledger_never_exceed_a_budget_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    drop(Ledger::open(&path).unwrap());
    let budget = 60 * QUERY_ITEMS as u64 + 5;
    let children = [spawn_child(&path, budget), spawn_child(&path, budget)];
    let mut released = Vec::new();
    let mut refused = 0;
    for mut child in children {
        let out = BufReader::new(child.stdout.take().unwrap());
        for line in out.lines() {
            let line = line.unwrap();
            if let Some(id) = released_id(&line) {
                released.push(id);
            } else if line.ends_with("refused") {
                refused += 1;
            }
        }
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(refused, 2);
    let (charged, spent) = charges(&path);
    // Together they used the budget up and not one element more.
    assert_eq!(released.len(), 60);
    assert_eq!(spent, 60 * QUERY_ITEMS as u64);
    released.sort();
    let mut charged = charged;
    charged.sort();
    assert_eq!(released, charged);
}

/// A party that countersigns one exchange twice, under two case
/// references: the ledger keeps the first and refuses the second; the
/// same countersigned receipt again is recorded once.
#[test]
fn deviating_countersigner_records_one_exchange_under_two_cases() {
    use blindmatch::psi::{Config, Initiator, Responder};
    use blindmatch::registry::parties::PsiResponder;
    use blindmatch::session::party::exchange;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    let (i, request) = Initiator::new(Config::default(), &["a", "b"]).unwrap();
    let r = Responder::new(Config::default(), &["b"]).unwrap();
    let (a, b) = exchange(i, request, PsiResponder::from(r)).unwrap();
    let (ka, kb) = (
        SigningKey::from_secret_bytes(&[1; 32]).unwrap(),
        SigningKey::from_secret_bytes(&[2; 32]).unwrap(),
    );
    let first = Case::new("NL-2026-0142", "MLAT art. 18").unwrap();
    let second = Case::new("NL-2026-0999", "MLAT art. 18").unwrap();
    let one = receipt::sign(&a.record, &first, &ka, 1000).unwrap();
    let other = receipt::sign(&a.record, &second, &ka, 1000).unwrap();
    let both_one = receipt::countersign(&one, &kb, Some(&b.record), 1060).unwrap();
    let both_other = receipt::countersign(&other, &kb, Some(&b.record), 1060).unwrap();
    let seq = ledger.record_receipt(&both_one).unwrap();
    assert_eq!(ledger.record_receipt(&both_one).unwrap(), seq);
    assert_eq!(
        ledger.record_receipt(&both_other).unwrap_err().code(),
        ErrorCode::Replay
    );
    // A signed (not countersigned) receipt of the same exchange is fine.
    ledger.record_receipt(&other).unwrap();
    assert_eq!(ledger.verify().unwrap().entries, 2);
}

#[test]
fn deviating_client_queries_through_two_servers_at_once() {
    // Two server processes share the ledger; a client's query holds its
    // budget in the file while one answers it, so the other refuses a
    // second query that would not fit, before it evaluates anything.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("holds.sqlite");
    let (one, two) = (Ledger::open(&path).unwrap(), Ledger::open(&path).unwrap());
    let s = server(10);
    let hold = Hold::new(s.epoch(), "agency-nl", 8, Budget::Limited(10), [1; 16]);
    one.reserve(&hold).unwrap();
    let (_, q) = query(QUERY_ITEMS, 5);
    assert_eq!(s.answer_with(&q, "agency-nl", &two), over_budget(8, 2));
    assert_eq!(two.reserve(&hold).unwrap_err().code(), ErrorCode::Replay);
    // Released (the first answer failed): the query fits again, and the
    // charge leaves no hold behind.
    one.release(&hold).unwrap();
    s.answer_with(&q, "agency-nl", &two).unwrap();
    assert_eq!(s.remaining_budget_with("agency-nl", &one), Ok(Some(2)));
    let (_, small) = query(2, 6);
    s.answer_with(&small, "agency-nl", &one).unwrap();
    one.verify().unwrap();
}
