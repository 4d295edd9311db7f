//! Prints balanced PSI's measured throughput as a percentage of the limit
//! the group operations imply, for one thread and for all threads.
//!
//! Per item and per party the protocol needs one hash-to-group, two
//! variable-base scalar multiplications, one decompression (with
//! validation) and two compressions; the limit counts compressions at their
//! batched cost. Both parties run in this one process, as in the benches.
//!
//! ```text
//! cargo run --release -p blindmatch-benches --bin limit_report [-- LOG2_ITEMS]
//! ```

use std::time::Duration;

use blindmatch_benches::{GroupInputs, balanced_session, items, median_time, ops};

fn per_item(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() / n as f64
}

fn main() {
    let log2: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(14);
    let n = 1usize << log2;
    let threads_all = rayon::current_num_threads();

    let g = GroupInputs::new(4096);
    let reps = 7;
    let h2g = per_item(median_time(reps, || ops::hash_to_group_all(&g)), 4096);
    let mul = per_item(median_time(reps, || ops::scalar_mul_all(&g)), 4096);
    let dec = per_item(median_time(reps, || ops::decompress_all(&g)), 4096);
    let cmp = per_item(median_time(reps, || ops::compress_each(&g)), 4096);
    let cmp_batch = per_item(median_time(reps, || ops::compress_batch(&g)), 4096);
    let per_party = h2g + 2.0 * mul + dec + 2.0 * cmp_batch;
    // Both parties in one process: each item of each side costs a party's work.
    let limit_1 = 1.0 / (2.0 * per_party);

    println!(
        "group operations, one thread, median of {reps} runs over 4096 elements (µs per element):"
    );
    println!(
        "  hash_to_group {:.2}, scalar_mul {:.2}, decompress {:.2}, compress {:.2}, compress batched {:.2}",
        h2g * 1e6,
        mul * 1e6,
        dec * 1e6,
        cmp * 1e6,
        cmp_batch * 1e6
    );
    println!(
        "  per item per party: {:.2} µs -> limit {:.0} items/s per side (both parties on one thread)",
        per_party * 1e6,
        limit_1
    );

    let a = items(n, 0);
    let b = items(n, n / 2);
    for threads in [1, threads_all] {
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("cannot build a pool of {threads} threads: {e}");
                std::process::exit(2);
            }
        };
        let t = pool.install(|| median_time(3, || assert_eq!(balanced_session(&a, &b, 7), n / 2)));
        let rate = n as f64 / t.as_secs_f64();
        let limit = limit_1 * threads as f64;
        println!(
            "balanced PSI, 2^{log2} items per side, {threads} thread(s): {:.0} items/s per side = {:.0} % of the {:.0} items/s limit",
            rate,
            100.0 * rate / limit,
            limit
        );
    }
}
