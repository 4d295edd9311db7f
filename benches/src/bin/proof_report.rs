//! What the proofs of DESIGN §8.1 cost: balanced PSI with proofs
//! (`Proofs::Verify`, the default) against the same session without
//! (`Proofs::TrustPeer`), step by step, with the bytes each message takes;
//! and the watch-list's proof (the server's batched proof, the client's
//! check) as a share of one 1,024-key query's online time.
//!
//! Both parties run in this process, one step after another, each step on
//! every core (rayon). Each side holds `n` items, half of them shared.
//! Times are medians of `--reps` runs (default 3; one run at 2^20).
//!
//! ```text
//! cargo run --release -p blindmatch-benches --bin proof_report [-- LOG2... --reps R]
//!     (default: 2^12 and 2^16 items per side)
//! ```

use std::time::Duration;

use blindmatch::budget::Budget;
use blindmatch::oprf::{self, Blind, Mode, OprfKey};
use blindmatch::psi::{Config, Initiator, Proofs, Responder};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch_benches::{items, median_time, rng, timed};

/// One balanced session's step times and message sizes.
#[derive(Default, Clone, Copy)]
struct Steps {
    request: Duration,
    respond: Duration,
    finish_initiator: Duration,
    finish_responder: Duration,
    bytes: [usize; 3],
}

impl Steps {
    fn total(&self) -> Duration {
        self.request + self.respond + self.finish_initiator + self.finish_responder
    }
}

fn balanced(n: usize, proofs: Proofs, seed: u64) -> blindmatch::Result<Steps> {
    let a = items(n, 0);
    let b = items(n, n / 2);
    let config = Config::default().with_proofs(proofs);
    let mut r = rng(seed);
    let ((initiator, request), request_time) =
        timed(|| Initiator::new_with_rng(config.clone(), &a, &mut r))?;
    let responder = Responder::new_with_rng(config, &b, &mut r)?;
    let ((responder, response), respond) = timed(|| responder.respond(&request))?;
    let ((finish, mine), finish_initiator) = timed(|| initiator.finish(&response))?;
    let (theirs, finish_responder) = timed(|| responder.finish(finish.as_deref()))?;
    assert_eq!(mine.cardinality(), n / 2);
    assert_eq!(theirs.map(|m| m.cardinality()), Some(n / 2));
    Ok(Steps {
        request: request_time,
        respond,
        finish_initiator,
        finish_responder,
        bytes: [request.len(), response.len(), finish.map_or(0, |f| f.len())],
    })
}

/// The run with the median total of `reps` runs.
fn median_run(n: usize, proofs: Proofs, reps: usize) -> blindmatch::Result<Steps> {
    let mut runs = (0..reps.max(1))
        .map(|i| balanced(n, proofs, 7 + i as u64))
        .collect::<blindmatch::Result<Vec<_>>>()?;
    runs.sort_by_key(Steps::total);
    Ok(runs[runs.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn pct(with: Duration, without: Duration) -> f64 {
    100.0 * (with.as_secs_f64() / without.as_secs_f64() - 1.0)
}

fn report_balanced(log2: u32, reps: usize) -> blindmatch::Result<()> {
    let n = 1usize << log2;
    let reps = if log2 >= 20 { 1 } else { reps };
    let on = median_run(n, Proofs::Verify, reps)?;
    let off = median_run(n, Proofs::TrustPeer, reps)?;
    println!("balanced PSI, 2^{log2} items per side (median of {reps}):");
    println!("  step                 verify ms   trust_peer ms   proofs cost");
    for (name, a, b) in [
        ("request", on.request, off.request),
        ("respond", on.respond, off.respond),
        (
            "finish (initiator)",
            on.finish_initiator,
            off.finish_initiator,
        ),
        (
            "finish (responder)",
            on.finish_responder,
            off.finish_responder,
        ),
        ("session", on.total(), off.total()),
    ] {
        println!(
            "  {name:<19} {:>10.1} {:>15.1} {:>+12.1} %",
            ms(a),
            ms(b),
            pct(a, b)
        );
    }
    for (i, name) in ["request", "response", "finish"].iter().enumerate() {
        println!(
            "  {name:<19} {:>10} B {:>13} B   {:.2} vs {:.2} B/item",
            on.bytes[i],
            off.bytes[i],
            on.bytes[i] as f64 / n as f64,
            off.bytes[i] as f64 / n as f64
        );
    }
    Ok(())
}

/// The watch-list at 1,024 query keys against a 2^16 list: the online
/// query end to end, and the proof's two parts measured on their own.
fn report_watchlist(reps: usize) -> blindmatch::Result<()> {
    let list = items(1 << 16, 0);
    let key = OprfKey::derive_in(Mode::Voprf, &[1; 32], b"proof report")?;
    let server = Server::new(
        key,
        &list,
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Unlimited),
    )?;
    let digest = SetDigest::from_bytes(server.digest())?;
    let mine = items(1 << 10, (1 << 16) - 512);
    let online = median_time(reps, || {
        let run = || -> blindmatch::Result<usize> {
            let (client, query) =
                Client::new_with_rng(ClientConfig::default(), &mine, &mut rng(4))?;
            let answer = server.answer(&query, "report")?;
            Ok(client.finish_with(&answer, &digest)?.indices().len())
        };
        assert_eq!(run().ok(), Some(512));
    });

    // The same evaluation with and without the proof, and its check.
    let key = OprfKey::derive_in(Mode::Voprf, &[1; 32], b"proof report")?;
    let mut r = rng(5);
    let blinded: Vec<_> = mine
        .iter()
        .map(|m| Blind::random_with_rng(&mut r).blind_in(Mode::Voprf, m.as_bytes()))
        .collect::<blindmatch::Result<_>>()?;
    let plain = median_time(reps, || {
        std::hint::black_box(key.blind_evaluate_batch(&blinded));
    });
    let proven = median_time(reps, || {
        std::hint::black_box(key.blind_evaluate_proven(&blinded).ok());
    });
    let (evaluated, proof) = key.blind_evaluate_proven(&blinded)?;
    let public = key.public_key();
    let verify = median_time(reps, || {
        assert!(oprf::verify_proof(&public, &blinded, &evaluated, &proof).is_ok());
    });
    let prove = proven.saturating_sub(plain);
    println!("watch-list, 1,024 query keys against 2^16 (median of {reps}):");
    println!(
        "  online query (blind, answer with proof, verify, finalize): {:.1} ms",
        ms(online)
    );
    println!(
        "  server: evaluate {:.1} ms, + proof {:.1} ms; client: verify {:.1} ms",
        ms(plain),
        ms(prove),
        ms(verify)
    );
    println!(
        "  proofs: {:.1} % of the online query; {} B of proof per answer",
        100.0 * (prove + verify).as_secs_f64() / online.as_secs_f64(),
        proof.len()
    );
    Ok(())
}

fn main() -> blindmatch::Result<()> {
    let mut log2s = Vec::new();
    let mut reps = 3;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--reps" {
            reps = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
        } else if let Ok(l) = a.parse::<u32>() {
            log2s.push(l.clamp(1, 24));
        } else {
            eprintln!("usage: proof_report [LOG2...] [--reps R]");
            std::process::exit(2);
        }
    }
    if log2s.is_empty() {
        log2s = vec![12, 16];
    }
    for log2 in log2s {
        report_balanced(log2, reps)?;
    }
    report_watchlist(reps)?;
    Ok(())
}
