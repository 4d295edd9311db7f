//! Criterion benches: the group operations that bound the protocol, every
//! step of balanced PSI, the unbalanced protocol, and canonicalization.
//!
//! `cargo bench -p blindmatch-benches` runs the default groups (2^10 to
//! 2^16 items); `BLINDMATCH_BENCH_LARGE=1` adds 2^20 items per side, and
//! `BLINDMATCH_BENCH_SMOKE=1` keeps to tiny sizes (CI's smoke run).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::Duration;

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch::records::{Kind, Options, canonicalize};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch_benches::{GroupInputs, items, ops, rng};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// `BLINDMATCH_BENCH_SMOKE=1`: tiny sizes, for CI's smoke run
/// (`cargo bench -p blindmatch-benches -- --test` runs each bench once).
fn smoke() -> bool {
    std::env::var_os("BLINDMATCH_BENCH_SMOKE").is_some()
}

fn sizes() -> Vec<usize> {
    if smoke() {
        return vec![1 << 8];
    }
    let mut s = vec![1 << 10, 1 << 14, 1 << 16];
    if std::env::var_os("BLINDMATCH_BENCH_LARGE").is_some() {
        s.push(1 << 20);
    }
    s
}

fn group_ops(c: &mut Criterion) {
    let n = 1024;
    let g = GroupInputs::new(n);
    let mut group = c.benchmark_group("group_ops");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("hash_to_group", |b| b.iter(|| ops::hash_to_group_all(&g)));
    group.bench_function("scalar_mul", |b| b.iter(|| ops::scalar_mul_all(&g)));
    group.bench_function("decompress", |b| b.iter(|| ops::decompress_all(&g)));
    group.bench_function("compress", |b| b.iter(|| ops::compress_each(&g)));
    group.bench_function("compress_batch", |b| b.iter(|| ops::compress_batch(&g)));
    group.finish();
}

fn balanced_steps(c: &mut Criterion) {
    let config = Config::default();
    for n in sizes() {
        let a = items(n, 0);
        let b = items(n, n / 2);
        let mut group = c.benchmark_group(format!("balanced/{n}"));
        group.throughput(Throughput::Elements(n as u64));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(if n > 1 << 14 { 20 } else { 5 }));
        group.bench_function("1_request", |bch| {
            bch.iter(|| Initiator::new_with_rng(config.clone(), &a, &mut rng(1)).unwrap())
        });
        // The messages the later steps start from, made only when a step
        // that needs them runs (a filtered run skips the others' setup,
        // which takes minutes at 2^20).
        let request = OnceCell::new();
        let request = || {
            request.get_or_init(|| {
                Initiator::new_with_rng(config.clone(), &a, &mut rng(1))
                    .unwrap()
                    .1
            })
        };
        let response = OnceCell::new();
        let response = || {
            response.get_or_init(|| {
                Responder::new_with_rng(config.clone(), &b, &mut rng(2))
                    .unwrap()
                    .respond(request())
                    .unwrap()
                    .1
            })
        };
        let finish_msg = OnceCell::new();
        let finish_msg = || {
            finish_msg.get_or_init(|| {
                let (i, _) = Initiator::new_with_rng(config.clone(), &a, &mut rng(1)).unwrap();
                i.finish(response()).unwrap().0.unwrap()
            })
        };
        group.bench_function("2_respond", |bch| {
            let request = request();
            bch.iter_batched(
                || Responder::new_with_rng(config.clone(), &b, &mut rng(2)).unwrap(),
                |r| r.respond(request).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("3_finish_initiator", |bch| {
            let response = response();
            bch.iter_batched(
                || {
                    Initiator::new_with_rng(config.clone(), &a, &mut rng(1))
                        .unwrap()
                        .0
                },
                |i| i.finish(response).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function("4_finish_responder", |bch| {
            let (request, finish_msg) = (request(), finish_msg());
            bch.iter_batched(
                || {
                    Responder::new_with_rng(config.clone(), &b, &mut rng(2))
                        .unwrap()
                        .respond(request)
                        .unwrap()
                        .0
                },
                |r| r.finish(Some(finish_msg)).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_with_input(BenchmarkId::new("end_to_end", n), &n, |bch, _| {
            bch.iter(|| black_box(blindmatch_benches::balanced_session(&a, &b, 3)))
        });
        group.finish();
    }
}

fn unbalanced(c: &mut Criterion) {
    let mut server_sizes = vec![if smoke() { 1usize << 10 } else { 1 << 16 }];
    if std::env::var_os("BLINDMATCH_BENCH_LARGE").is_some() {
        server_sizes.push(1 << 20);
    }
    for n in server_sizes {
        let list = items(n, 0);
        let mut group = c.benchmark_group(format!("unbalanced/server_{n}"));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(20));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("digest_build", |bch| {
            bch.iter(|| {
                Server::new(
                    OprfKey::derive(&[1; 32], b"bench").unwrap(),
                    &list,
                    None::<&[&[u8]]>,
                    ServerConfig::new(Budget::Unlimited),
                )
                .unwrap()
            })
        });
        let server = Server::new(
            OprfKey::derive(&[1; 32], b"bench").unwrap(),
            &list,
            None::<&[&[u8]]>,
            ServerConfig::new(Budget::Unlimited),
        )
        .unwrap();
        let digest = SetDigest::from_bytes(server.digest()).unwrap();
        let mine = items(1 << 10, n - 512);
        group.throughput(Throughput::Elements(mine.len() as u64));
        group.bench_function("client_1024_online", |bch| {
            bch.iter(|| {
                let (client, query) =
                    Client::new_with_rng(ClientConfig::default(), &mine, &mut rng(4)).unwrap();
                let answer = server.answer(&query, "bench").unwrap();
                client.finish_with(&answer, &digest).unwrap()
            })
        });
        group.finish();
    }
}

fn canonicalization(c: &mut Criterion) {
    let options = Options::default()
        .with_default_region("GB")
        .unwrap()
        .with_date_format("%d/%m/%Y")
        .unwrap();
    let samples: [(Kind, &str); 9] = [
        (Kind::Email, " John.Doe@Example.COM "),
        (Kind::Phone, "+33 1 42 68 53 00"),
        (Kind::Iban, "DE89 3704 0044 0532 0130 00"),
        (Kind::Name, "MÜLLER-LÜDENSCHEIDT, Jürgen"),
        (Kind::DateOfBirth, "03/04/1980"),
        (Kind::Document, "DE:C01X-00T47"),
        (Kind::Ip, "::ffff:192.0.2.7"),
        (
            Kind::CryptoAddress,
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ),
        (Kind::Text, " ﬁle 7 "),
    ];
    let mut group = c.benchmark_group("canonicalize");
    group.throughput(Throughput::Elements(1));
    for (kind, value) in samples {
        group.bench_function(kind.tag(), |b| {
            b.iter(|| canonicalize(kind, black_box(value), None, &options).unwrap())
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    group_ops,
    balanced_steps,
    unbalanced,
    canonicalization
);
criterion_main!(benches);
