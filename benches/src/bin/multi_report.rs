//! More than two agencies (DESIGN §7.6) next to what they would do today:
//! k − 1 pairwise balanced PSI sessions per agency. For each number of
//! agencies and list size: work per agency (scalar multiplications and
//! seconds of its own steps), bytes each agency sends, the hub's time, and
//! the same for the pairwise sessions.
//!
//! Every agency runs in this process, one step after another, each step
//! on every core (rayon); an agency's seconds are the sum of its own steps.
//! Each agency holds `n` items: a quarter drawn from a pool shared by all,
//! the rest its own. The pairwise figure is one measured session of `n`
//! against `n` items (both learn the intersection), per party, times k − 1.
//!
//! ```text
//! cargo run --release -p blindmatch-benches --bin multi_report [-- AGENCIES... --log2 LOG2...]
//!     (default: 4 8 16 agencies, 2^14 and 2^16 items each)
//! ```

use std::time::{Duration, Instant};

use blindmatch::multiparty::{Hub, Member, Session};
use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch_benches::{rng, timed};
use rand::RngExt;

/// Per agency: its own steps' time and the bytes it sent; and the hub's time.
struct Multi {
    busy: Vec<Duration>,
    sent: Vec<usize>,
    hub: Duration,
    published: u64,
}

fn lists(k: usize, n: usize, seed: u64) -> Vec<Vec<String>> {
    let mut r = rng(seed);
    let pool = n;
    (0..k)
        .map(|a| {
            let shared = n / 4;
            let mut l: Vec<String> = (0..shared)
                .map(|_| format!("shared{:09}@example.org", r.random_range(0..pool)))
                .collect();
            l.extend((0..n - shared).map(|i| format!("agency{a:02}-{i:09}@example.org")));
            l
        })
        .collect()
}

fn multi(lists: &[Vec<String>], seed: u64) -> blindmatch::Result<Multi> {
    let k = lists.len();
    let names: Vec<String> = (0..k).map(|i| format!("agency-{i:02}")).collect();
    let mut r = rng(seed);
    let session = Session::new_with_rng(&names, 3.min(k), &mut r)?;
    let mut busy = vec![Duration::ZERO; k];
    let mut sent = vec![0usize; k];
    let mut members = Vec::with_capacity(k);
    let mut flight = Vec::with_capacity(k);
    for (i, l) in lists.iter().enumerate() {
        let t = Instant::now();
        let mut m = Member::new_with_rng(&session, &names[i], l, &mut r)?;
        let msg = m.start()?;
        busy[i] += t.elapsed();
        sent[i] += msg.len();
        members.push(m);
        flight.push(msg);
    }
    let mut hub = Hub::new(session);
    let mut hub_time = Duration::ZERO;
    for (i, m) in members.iter().enumerate() {
        let c = m.commitment()?;
        sent[i] += c.len();
        hub_time += timed(|| hub.commit(&names[i], &c))?.1;
    }
    let roster = hub.roster()?;
    for (i, m) in members.iter_mut().enumerate() {
        busy[i] += timed(|| m.accept_roster(&roster))?.1;
    }
    for hop in 1..k {
        for (owner, msg) in flight.iter_mut().enumerate() {
            let at = (owner + hop) % k;
            let (next, took) = timed(|| members[at].forward(msg))?;
            *msg = next;
            busy[at] += took;
            sent[at] += msg.len();
        }
    }
    for (i, (m, msg)) in members.iter_mut().zip(&flight).enumerate() {
        let (tags, took) = timed(|| {
            m.complete(msg)?;
            m.tags()
        })?;
        busy[i] += took;
        sent[i] += tags.len();
        hub_time += timed(|| hub.add(&names[i], &tags))?.1;
    }
    let (result, took) = timed(|| hub.result())?;
    hub_time += took;
    let mut published = 0;
    for (i, m) in members.iter_mut().enumerate() {
        let t = Instant::now();
        published = m.finish(&result)?.record.peer_count;
        busy[i] += t.elapsed();
    }
    Ok(Multi {
        busy,
        sent,
        hub: hub_time,
        published,
    })
}

/// One balanced session of `a` against `b` (both learn the intersection):
/// each party's time and bytes sent.
fn pairwise(a: &[String], b: &[String], seed: u64) -> blindmatch::Result<[(Duration, usize); 2]> {
    let mut r = rng(seed);
    let t = Instant::now();
    let (initiator, request) = Initiator::new_with_rng(Config::default(), a, &mut r)?;
    let mut ti = t.elapsed();
    let t = Instant::now();
    let (responder, response) =
        Responder::new_with_rng(Config::default(), b, &mut r)?.respond(&request)?;
    let mut tr = t.elapsed();
    let ((finish, _), took) = timed(|| initiator.finish(&response))?;
    ti += took;
    tr += timed(|| responder.finish(finish.as_deref()))?.1;
    let finish_len = finish.map_or(0, |f| f.len());
    Ok([(ti, request.len() + finish_len), (tr, response.len())])
}

fn mean_duration(d: &[Duration]) -> f64 {
    d.iter().map(Duration::as_secs_f64).sum::<f64>() / d.len() as f64
}

fn main() {
    let mut agencies: Vec<usize> = Vec::new();
    let mut log2: Vec<u32> = Vec::new();
    let mut in_log2 = false;
    for a in std::env::args().skip(1) {
        if a == "--log2" {
            in_log2 = true;
            continue;
        }
        let Ok(v) = a.parse::<u32>() else {
            eprintln!("usage: multi_report [AGENCIES...] [--log2 LOG2...]");
            std::process::exit(2);
        };
        if in_log2 {
            log2.push(v);
        } else {
            agencies.push(v as usize);
        }
    }
    if agencies.is_empty() {
        agencies = vec![4, 8, 16];
    }
    if log2.is_empty() {
        log2 = vec![14, 16];
    }
    println!(
        "threads: {} (rayon); threshold 3; a quarter of each list from a shared pool",
        rayon::current_num_threads()
    );
    println!(
        "| agencies | items each | multi-party: mults per agency | s per agency (min–max) | MB sent per agency | hub s | tags published | k−1 pairwise: mults per agency | s per agency | MB sent per agency | multi ÷ pairwise time |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n_log in &log2 {
        let n = 1usize << n_log;
        let pair = match pairwise(&lists(2, n, 7)[0], &lists(2, n, 7)[1], 8) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("pairwise session failed: {e}");
                std::process::exit(1);
            }
        };
        let pair_time = (pair[0].0 + pair[1].0).as_secs_f64() / 2.0;
        let pair_bytes = (pair[0].1 + pair[1].1) as f64 / 2.0;
        for &k in &agencies {
            let l = lists(k, n, 1);
            let m = match multi(&l, 2) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("multi-party session failed: {e}");
                    std::process::exit(1);
                }
            };
            let per = mean_duration(&m.busy);
            let min = m.busy.iter().min().map_or(0.0, Duration::as_secs_f64);
            let max = m.busy.iter().max().map_or(0.0, Duration::as_secs_f64);
            let bytes = m.sent.iter().sum::<usize>() as f64 / k as f64;
            // Per agency: its n values blinded and unblinded (2n), k − 1
            // owners' n values raised (the lists are all of size n): (k + 1)·n,
            // and n hashes to the group. Pairwise: 2n per session, k − 1 sessions.
            let mults = (k + 1) * n;
            let pair_mults = (k - 1) * 2 * n;
            let pairwise_time = pair_time * (k - 1) as f64;
            println!(
                "| {k} | 2^{n_log} | {mults} | {per:.2} ({min:.2}–{max:.2}) | {:.2} | {:.3} | {} | {pair_mults} | {pairwise_time:.2} | {:.2} | {:.2} |",
                bytes / 1e6,
                m.hub.as_secs_f64(),
                m.published,
                pair_bytes * (k - 1) as f64 / 1e6,
                per / pairwise_time,
            );
        }
    }
}
