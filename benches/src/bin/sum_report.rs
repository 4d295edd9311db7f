//! Intersection-sum next to plain balanced PSI on the same items: time per
//! session and bytes per item, with 1 and 4 value columns (32-bit values,
//! two 16-bit limbs each), both parties in this process, half the items
//! shared, sums revealed to both with proofs.
//!
//! ```text
//! cargo run --release -p blindmatch-benches --bin sum_report [-- LOG2_ITEMS...]   (default 12 16 20)
//! ```

use std::time::{Duration, Instant};

use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch::sum::{self, Column, RevealSumTo, SumConfig};
use blindmatch_benches::{items, rng, timed};
use rand::RngExt;

/// One plain PSI session (output to both): (time, total message bytes).
fn psi(a: &[String], b: &[String], seed: u64) -> blindmatch::Result<(Duration, usize)> {
    let mut r = rng(seed);
    let t = Instant::now();
    let (initiator, request) = Initiator::new_with_rng(Config::default(), a, &mut r)?;
    let (responder, response) =
        Responder::new_with_rng(Config::default(), b, &mut r)?.respond(&request)?;
    let (finish, _) = initiator.finish(&response)?;
    responder.finish(finish.as_deref())?;
    let bytes = request.len() + response.len() + finish.map_or(0, |f| f.len());
    Ok((t.elapsed(), bytes))
}

/// One intersection-sum session: (time, total message bytes, steps).
fn sum_session(
    a: &[String],
    b: &[String],
    columns: &[Column],
    seed: u64,
) -> blindmatch::Result<(Duration, usize, [Duration; 5])> {
    let mut r = rng(seed);
    let config = SumConfig::new(RevealSumTo::Both);
    let start = Instant::now();
    let ((initiator, request), t0) =
        timed(|| sum::Initiator::new_with_rng(config.clone(), a, &mut r))?;
    let ((responder, response), t1) =
        timed(|| sum::Responder::new_with_rng(config, b, columns, &mut r)?.respond(&request))?;
    let ((waiting, finish), t2) = timed(|| initiator.finish(&response))?;
    let ((result, _), t3) = timed(|| responder.finish(&finish))?;
    let (outcome, t4) = timed(|| waiting.result(result.as_deref()))?;
    if !outcome.proven {
        return Err(blindmatch::Error::BadProof);
    }
    let bytes = request.len() + response.len() + finish.len() + result.map_or(0, |r| r.len());
    Ok((start.elapsed(), bytes, [t0, t1, t2, t3, t4]))
}

fn main() {
    let sizes: Vec<u32> = {
        let args: Vec<u32> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![12, 16, 20]
        } else {
            args
        }
    };
    println!(
        "threads: {}; both parties in this process; half the items shared",
        rayon::current_num_threads()
    );
    println!(
        "| items per side | plain PSI | bytes/item | 1 column | ratio | bytes/item | 4 columns | ratio | bytes/item |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for log2 in sizes {
        let n = 1usize << log2;
        let a = items(n, 0);
        let b = items(n, n / 2);
        let mut values = rng(u64::from(log2));
        let column = |name: &str, values: &mut rand::rngs::ChaCha20Rng| Column {
            name: name.to_owned(),
            values: (0..n).map(|_| values.random_range(0..1u64 << 32)).collect(),
        };
        let one = vec![column("amount", &mut values)];
        let four: Vec<Column> = ["amount", "count", "fees", "balance"]
            .iter()
            .map(|c| column(c, &mut values))
            .collect();
        let reps = if log2 <= 16 { 3 } else { 1 };
        let median = |runs: &mut Vec<(Duration, usize)>| {
            runs.sort();
            runs[runs.len() / 2]
        };
        let fail = |e: blindmatch::Error| -> ! { unreachable!("benchmark session failed: {e}") };
        let (t_psi, bytes_psi) = median(
            &mut (0..reps)
                .map(|s| psi(&a, &b, s).unwrap_or_else(|e| fail(e)))
                .collect(),
        );
        let sums = |columns: &[Column]| {
            let mut steps = Vec::new();
            let mut runs: Vec<(Duration, usize)> = (0..reps)
                .map(|s| {
                    let (t, bytes, step) =
                        sum_session(&a, &b, columns, s).unwrap_or_else(|e| fail(e));
                    steps.push(step);
                    (t, bytes)
                })
                .collect();
            let (t, bytes) = median(&mut runs);
            let step = steps[0].map(|d| format!("{:.2}", d.as_secs_f64()));
            eprintln!(
                "2^{log2}, {} column(s): request {}, respond {}, finish {}, decrypt {}, check {} s (first run)",
                columns.len(),
                step[0],
                step[1],
                step[2],
                step[3],
                step[4]
            );
            (t, bytes)
        };
        let (t1, bytes1) = sums(&one);
        let (t4, bytes4) = sums(&four);
        let per = |bytes: usize| bytes as f64 / n as f64;
        println!(
            "| 2^{log2} | {:.2} s | {:.1} | {:.2} s | {:.2}x | {:.1} | {:.2} s | {:.2}x | {:.1} |",
            t_psi.as_secs_f64(),
            per(bytes_psi),
            t1.as_secs_f64(),
            t1.as_secs_f64() / t_psi.as_secs_f64(),
            per(bytes1),
            t4.as_secs_f64(),
            t4.as_secs_f64() / t_psi.as_secs_f64(),
            per(bytes4),
        );
    }
}
