//! Prints balanced PSI's measured throughput as a percentage of the limit
//! the group operations imply, for one thread and for all threads.
//!
//! Per item and per party the protocol needs one hash-to-group, two
//! variable-base scalar multiplications, one decompression (with
//! validation) and two compressions; the limit counts compressions at their
//! batched cost. Both parties run in this one process, as in the benches.
//!
//! The limit is meant as a true upper bound, so every operation is timed
//! the way the sessions run it: on as many threads at once as the session
//! uses (all cores busy run at a lower clock than one), several times
//! between the sessions, keeping each operation's fastest time.
//!
//! It also prints the peak heap of the sessions (both parties in this
//! process) per item per side, counted by a wrapping global allocator, and
//! the process's peak resident set from `/proc/self/status` where there is
//! one.
//!
//! ```text
//! cargo run --release -p blindmatch-benches --bin limit_report [-- LOG2_ITEMS [SESSIONS]]
//! ```

use std::alloc::System;
use std::time::Duration;

use blindmatch_benches::{GroupInputs, balanced_session, items, median_time, ops};
use cap::Cap;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// Peak resident set size in bytes (`VmHWM`), on Linux.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn per_item(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() / n as f64
}

/// Seconds per element of each group operation, on one thread.
struct Ops {
    h2g: f64,
    mul: f64,
    dec: f64,
    cmp: f64,
    cmp_batch: f64,
}

impl Ops {
    /// Times each operation on every thread of `pool` at once: seconds per
    /// element per thread.
    fn measure(g: &GroupInputs, pool: &rayon::ThreadPool) -> Self {
        let n = g.points.len();
        let time = |f: &(dyn Fn() + Sync)| {
            per_item(
                median_time(5, || {
                    pool.broadcast(|_| f());
                }),
                n,
            )
        };
        Ops {
            h2g: time(&|| ops::hash_to_group_all(g)),
            mul: time(&|| ops::scalar_mul_all(g)),
            dec: time(&|| ops::decompress_all(g)),
            cmp: time(&|| ops::compress_each(g)),
            cmp_batch: time(&|| ops::compress_batch(g)),
        }
    }

    fn fastest(&self, other: &Self) -> Self {
        Ops {
            h2g: self.h2g.min(other.h2g),
            mul: self.mul.min(other.mul),
            dec: self.dec.min(other.dec),
            cmp: self.cmp.min(other.cmp),
            cmp_batch: self.cmp_batch.min(other.cmp_batch),
        }
    }

    /// Per item and party: one hash-to-group, two multiplications, one
    /// decompression, two batched compressions.
    fn per_party(&self) -> f64 {
        self.h2g + 2.0 * self.mul + self.dec + 2.0 * self.cmp_batch
    }
}

fn main() {
    let arg = |i: usize| std::env::args().nth(i).and_then(|s| s.parse::<u32>().ok());
    let log2 = arg(1).unwrap_or(14);
    // Sessions per thread count (the median is reported).
    let sessions = arg(2).unwrap_or(3).max(1) as usize;
    if log2 > 24 {
        eprintln!("at most 2^24 items per side");
        std::process::exit(2);
    }
    let n = 1usize << log2;
    let threads_all = rayon::current_num_threads();

    let g = GroupInputs::new(4096);
    let a = items(n, 0);
    let b = items(n, n / 2);
    // Everything allocated from here on above this is the sessions' own.
    let inputs = HEAP.allocated();
    let mut rates = Vec::new();
    let mut limits = Vec::new();
    for threads in [1, threads_all] {
        if threads == 1 && !rates.is_empty() {
            break; // a one-thread machine: nothing more to measure
        }
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("cannot build a pool of {threads} threads: {e}");
                std::process::exit(2);
            }
        };
        // The operations are timed before, between and after the sessions
        // on this pool, and each one's fastest time kept: on a shared
        // machine a slow burst would otherwise lower the limit and flatter
        // the percentage.
        let mut ops = Ops::measure(&g, &pool);
        let mut times = Vec::with_capacity(sessions);
        for _ in 0..sessions {
            let t = std::time::Instant::now();
            pool.install(|| assert_eq!(balanced_session(&a, &b, 7), n / 2));
            times.push(t.elapsed());
            ops = ops.fastest(&Ops::measure(&g, &pool));
        }
        times.sort();
        let t = times[times.len() / 2];
        rates.push((threads, n as f64 / t.as_secs_f64()));
        limits.push(ops);
    }
    let peak = HEAP.max_allocated().saturating_sub(inputs);

    let ops = &limits[0];
    let per_party = ops.per_party();
    // Both parties in one process: each item of each side costs a party's work.
    let limit_1 = 1.0 / (2.0 * per_party);
    println!(
        "group operations, one thread, µs per element (median of 5 runs over 4096 elements, the fastest of before, between and after the sessions):"
    );
    println!(
        "  hash_to_group {:.2}, scalar_mul {:.2}, decompress {:.2}, compress {:.2}, compress batched {:.2}",
        ops.h2g * 1e6,
        ops.mul * 1e6,
        ops.dec * 1e6,
        ops.cmp * 1e6,
        ops.cmp_batch * 1e6
    );
    println!(
        "  per item per party: {:.2} µs -> limit {limit_1:.0} items/s per side (both parties on one thread)",
        per_party * 1e6,
    );
    let one_thread = rates[0].1;
    for (&(threads, rate), ops) in rates.iter().zip(&limits) {
        // Every thread at once, each at the speed measured with all busy.
        let limit = threads as f64 / (2.0 * ops.per_party());
        let scaling = if threads > 1 {
            format!(", {:.2}x one thread", rate / one_thread)
        } else {
            String::new()
        };
        println!(
            "balanced PSI, 2^{log2} items per side, {threads} thread(s), median of {sessions}: {rate:.0} items/s per side = {:.0} % of the {limit:.0} items/s limit{scaling}",
            100.0 * rate / limit,
        );
    }
    println!(
        "peak heap of a session above its inputs (both parties in this process): {:.1} MiB = {:.0} bytes per item per side",
        peak as f64 / (1 << 20) as f64,
        peak as f64 / n as f64
    );
    if let Some(rss) = peak_rss() {
        println!(
            "peak resident set of the process (inputs, {} threads' stacks and the binary included): {:.1} MiB",
            threads_all,
            rss as f64 / (1 << 20) as f64
        );
    }
}
