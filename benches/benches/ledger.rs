//! Criterion benches of the ledger and receipts (issue 16's figures):
//! an unbalanced answer with its budget in memory and in the SQLite ledger
//! (the difference is the ledger's cost per answer: one committed,
//! fsync'd transaction), signing and verifying a receipt, and verifying a
//! ledger of 10^6 entries.
//!
//! `cargo bench -p blindmatch-benches --bench ledger`; with
//! `BLINDMATCH_BENCH_SMOKE=1`, tiny sizes.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use blindmatch::audit::{GENESIS, entry_hash};
use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch::receipt::{self, Case, SigningKey};
use blindmatch::registry::parties::PsiResponder;
use blindmatch::session::party::exchange;
use blindmatch::unbalanced::{Client, Server, ServerConfig};
use blindmatch_benches::items;
use blindmatch_ledger::Ledger;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn smoke() -> bool {
    std::env::var_os("BLINDMATCH_BENCH_SMOKE").is_some()
}

fn answer(c: &mut Criterion) {
    let n = if smoke() { 16 } else { 1024 };
    let key = OprfKey::derive(&[1; 32], b"ledger bench").unwrap();
    let server = Server::new(
        key,
        &items(1 << 12, 0),
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Limited(u64::MAX)),
    )
    .unwrap();
    let (_, query) = Client::new(&items(n, 1 << 11)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("bench.sqlite")).unwrap();
    let mut group = c.benchmark_group(format!("ledger/answer/{n}"));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("budget_in_memory", |b| {
        b.iter(|| server.answer(black_box(&query), "agency-nl").unwrap())
    });
    group.bench_function("budget_in_ledger", |b| {
        b.iter(|| {
            server
                .answer_with(black_box(&query), "agency-nl", &ledger)
                .unwrap()
        })
    });
    group.finish();
}

fn receipts(c: &mut Criterion) {
    let (i, request) = Initiator::new(Config::default(), &items(64, 0)).unwrap();
    let r = Responder::new(Config::default(), &items(64, 32)).unwrap();
    let (a, b) = exchange(i, request, PsiResponder::from(r)).unwrap();
    let (ka, kb) = (
        SigningKey::generate().unwrap(),
        SigningKey::generate().unwrap(),
    );
    let case = Case::new("NL-2026-0142", "MLAT art. 18").unwrap();
    let signed = receipt::sign(&a.record, &case, &ka, 1_780_000_000).unwrap();
    let both = receipt::countersign(&signed, &kb, Some(&b.record), 1_780_000_060).unwrap();
    let keys = [ka.public_key(), kb.public_key()];
    eprintln!(
        "receipt size: {} bytes signed, {} bytes countersigned (case text {} bytes)",
        signed.len(),
        both.len(),
        case.case_ref().len() + case.legal_basis().len()
    );
    let mut group = c.benchmark_group("receipt");
    group.bench_function("sign", |bench| {
        bench.iter(|| receipt::sign(&a.record, &case, &ka, 1).unwrap())
    });
    group.bench_function("countersign", |bench| {
        bench.iter(|| receipt::countersign(&signed, &kb, Some(&b.record), 1_780_000_060).unwrap())
    });
    group.bench_function("verify", |bench| {
        bench.iter(|| receipt::verify(black_box(&both), &keys).unwrap())
    });
    group.finish();
}

/// A ledger of `n` entries, written in one transaction (appending them one
/// committed transaction at a time would take hours of fsyncs).
fn big_ledger(path: &std::path::Path, n: u64) -> Ledger {
    drop(Ledger::open(path).unwrap());
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare("INSERT INTO entries (seq, time, kind, data, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        let mut prev = GENESIS;
        for seq in 1..=n {
            let data = format!(
                "{{\"note\":\"entry {seq} of a benchmark ledger, about as long as a session entry's JSON: {:0>160}\"}}",
                seq
            );
            let hash = entry_hash(&prev, seq, 1_780_000_000 + seq, "note", data.as_bytes());
            stmt.execute(rusqlite::params![
                seq as i64,
                (1_780_000_000 + seq) as i64,
                "note",
                data.as_bytes(),
                &prev[..],
                &hash[..]
            ])
            .unwrap();
            prev = hash;
        }
    }
    tx.commit().unwrap();
    Ledger::open(path).unwrap()
}

fn verify(c: &mut Criterion) {
    let n: u64 = if smoke() { 1_000 } else { 1_000_000 };
    let dir = tempfile::tempdir().unwrap();
    let ledger = big_ledger(&dir.path().join("big.sqlite"), n);
    let mut group = c.benchmark_group("ledger/verify");
    group.sample_size(10).throughput(Throughput::Elements(n));
    group.bench_function(format!("{n}_entries"), |b| {
        b.iter(|| assert_eq!(ledger.verify().unwrap().entries, n))
    });
    group.finish();
}

criterion_group!(benches, answer, receipts, verify);
criterion_main!(benches);
