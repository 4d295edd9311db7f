//! A partitioned session on one machine with memory bounded by the part
//! size, not the set size: every step streams parts through files, the
//! way a cluster's workers would (DESIGN §7.2).
//!
//! ```text
//! cargo run --release -p blindmatch-examples --bin partitioned -- [--log2 N] [--part-log2 K] [--dir DIR]
//! ```
//!
//! Generates 2^N items per side on the fly (half of them shared), splits
//! each side into 2^(N-K) parts by its own keyed hash, runs balanced PSI
//! (intersection, output to both) part by part, joins the comparison
//! values bucket by bucket from spill files, and checks that each side
//! found exactly the shared half. Prints the time of each step, the
//! throughput (items per side per second, as `limit_report` counts it),
//! bytes exchanged per item and the peak RSS.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use blindmatch::partition::{
    PartInfo, PartKind, PartySecret, bucket_of, elements_part, finish_part, matches_part,
    part_values, reblind_part, request_part,
};
use blindmatch::psi::Config;

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    blindmatch_examples::exit_code(run())
}

/// Item `i` of a side: a phone-number-like string. Side A holds 0..n,
/// side B n/2..n/2+n, so exactly n/2 are shared.
fn item(i: u64) -> Vec<u8> {
    format!("+3161{i:010}").into_bytes()
}

/// Appends length-prefixed records to a file.
fn put(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(&(bytes.len() as u32).to_le_bytes())?;
    w.write_all(bytes)
}

/// Reads every length-prefixed record of a file.
fn records(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut r = BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    let mut len = [0u8; 4];
    loop {
        match r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(out),
            Err(e) => return Err(e),
        }
        let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
        r.read_exact(&mut buf)?;
        out.push(buf);
    }
}

/// Splits side items `range` into the secret's parts, one item file per part.
fn split(secret: &PartySecret, dir: &Path, range: std::ops::Range<u64>) -> Result<(), Error> {
    let mut files = (0..secret.parts())
        .map(|p| {
            Ok(BufWriter::new(File::create(
                dir.join(format!("items-{p}")),
            )?))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    for i in range {
        let x = item(i);
        put(&mut files[secret.part_of(&x) as usize], &x)?;
    }
    for mut f in files {
        f.flush()?;
    }
    Ok(())
}

/// Runs `step` on every part file `from-i` and writes `to-i`; returns the infos.
fn each_part(
    dir: &Path,
    parts: u32,
    to: &str,
    mut step: impl FnMut(u32) -> Result<Vec<u8>, Error>,
) -> Result<(Vec<PartInfo>, u64), Error> {
    let mut infos = Vec::with_capacity(parts as usize);
    let mut bytes = 0u64;
    for i in 0..parts {
        let part = step(i)?;
        bytes += part.len() as u64;
        infos.push(PartInfo::of(&part)?);
        fs::write(dir.join(format!("{to}-{i}")), part)?;
    }
    Ok((infos, bytes))
}

fn read(dir: &Path, name: &str, i: u32) -> std::io::Result<Vec<u8>> {
    fs::read(dir.join(format!("{name}-{i}")))
}

/// One party's join, with spill files: the values of this party's items
/// (`probe`) and of the other side's (`build`) go to `groups` bucket files
/// in one pass each; each bucket is then joined alone. Returns the number
/// of this party's items that matched (all occurrences).
fn join(
    secret: &PartySecret,
    dir: &Path,
    side: &str,
    (probe, probe_name): (PartKind, &str),
    (build, build_name): (PartKind, &str),
    parts: (u32, u32),
    groups: u32,
) -> Result<u64, Error> {
    let spill = dir.join(format!("spill-{side}"));
    fs::create_dir_all(&spill)?;
    let mut p_files = (0..groups)
        .map(|g| Ok(BufWriter::new(File::create(spill.join(format!("p{g}")))?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let mut counts = Vec::with_capacity(parts.0 as usize);
    for i in 0..parts.0 {
        let values = part_values(secret, probe, i, &read(dir, probe_name, i)?)?;
        counts.push(values.len());
        for (pos, v) in values.into_iter().enumerate() {
            let w = &mut p_files[bucket_of(v, groups) as usize];
            w.write_all(&i.to_le_bytes())?;
            w.write_all(&(pos as u32).to_le_bytes())?;
            w.write_all(&v.to_le_bytes())?;
        }
    }
    drop(p_files);
    let mut b_files = (0..groups)
        .map(|g| Ok(BufWriter::new(File::create(spill.join(format!("b{g}")))?)))
        .collect::<Result<Vec<_>, Error>>()?;
    for j in 0..parts.1 {
        for v in part_values(secret, build, j, &read(dir, build_name, j)?)? {
            b_files[bucket_of(v, groups) as usize].write_all(&v.to_le_bytes())?;
        }
    }
    drop(b_files);
    // Hits per part, as (position) lists in one file per part.
    let mut hits = (0..parts.0)
        .map(|i| Ok(BufWriter::new(File::create(spill.join(format!("h{i}")))?)))
        .collect::<Result<Vec<_>, Error>>()?;
    for g in 0..groups {
        let b = fs::read(spill.join(format!("b{g}")))?;
        let set: std::collections::HashSet<u128> = b
            .chunks_exact(16)
            .map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0; 16])))
            .collect();
        drop(b);
        let p = fs::read(spill.join(format!("p{g}")))?;
        for rec in p.chunks_exact(24) {
            let v = u128::from_le_bytes(rec[8..24].try_into().unwrap_or([0; 16]));
            if set.contains(&v) {
                let i = u32::from_le_bytes(rec[..4].try_into().unwrap_or([0; 4]));
                hits[i as usize].write_all(&rec[4..8])?;
            }
        }
        fs::remove_file(spill.join(format!("p{g}")))?;
        fs::remove_file(spill.join(format!("b{g}")))?;
    }
    drop(hits);
    let mut matched = 0u64;
    for i in 0..parts.0 {
        let items = records(&dir.join(format!("{side}-items-{i}")))?;
        let mut flags = vec![false; counts[i as usize]];
        for pos in fs::read(spill.join(format!("h{i}")))?.chunks_exact(4) {
            flags[u32::from_le_bytes(pos.try_into().unwrap_or([0; 4])) as usize] = true;
        }
        matched += matches_part(secret, i, &items, &flags)?.len() as u64;
    }
    fs::remove_dir_all(&spill)?;
    Ok(matched)
}

fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn run() -> Result<bool, Error> {
    let (mut log2, mut part_log2, mut dir) = (20u32, 16u32, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--log2" => log2 = args.next().ok_or("--log2 needs a number")?.parse()?,
            "--part-log2" => {
                part_log2 = args.next().ok_or("--part-log2 needs a number")?.parse()?
            }
            "--dir" => dir = Some(PathBuf::from(args.next().ok_or("--dir needs a folder")?)),
            "-h" | "--help" => {
                println!("usage: partitioned [--log2 N (20)] [--part-log2 K (16)] [--dir DIR]");
                return Ok(true);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    if !(4..=30).contains(&log2) || part_log2 > log2 {
        return Err("need 4 <= --log2 <= 30 and --part-log2 <= --log2".into());
    }
    let n = 1u64 << log2;
    let parts = 1u32 << (log2 - part_log2);
    let temp = std::env::temp_dir().join(format!("blindmatch-partitioned-{}", std::process::id()));
    let dir = dir.unwrap_or(temp);
    let (a_dir, b_dir, x_dir) = (dir.join("a"), dir.join("b"), dir.join("exchange"));
    for d in [&a_dir, &b_dir, &x_dir] {
        fs::create_dir_all(d)?;
    }
    println!(
        "2^{log2} items per side in {parts} parts of about 2^{part_log2}; files in {}",
        dir.display()
    );
    let config = Config::default();
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let mut exchanged = 0u64;

    // Initiator: split, request parts, manifest.
    let t = Instant::now();
    let mut si = PartySecret::initiator(config.clone(), parts)?;
    split(&si, &a_dir, 0..n)?;
    times.push(("A split", t.elapsed()));
    let t = Instant::now();
    let (infos, bytes) = each_part(&x_dir, parts, "request", |i| {
        let items = records(&a_dir.join(format!("items-{i}")))?;
        Ok(request_part(&si, i, &items)?)
    })?;
    exchanged += bytes;
    let request_manifest = si.manifest(PartKind::Request, &infos)?;
    times.push(("A request", t.elapsed()));

    // Responder.
    let t = Instant::now();
    let mut sr = PartySecret::responder(config, parts, &request_manifest)?;
    split(&sr, &b_dir, n / 2..n / 2 + n)?;
    times.push(("B split", t.elapsed()));
    let t = Instant::now();
    let (infos, bytes) = each_part(&x_dir, parts, "elements", |j| {
        let items = records(&b_dir.join(format!("items-{j}")))?;
        Ok(elements_part(&sr, j, &items)?)
    })?;
    exchanged += bytes;
    let elements_manifest = sr.manifest(PartKind::Elements, &infos)?;
    let (infos, bytes) = each_part(&x_dir, parts, "reblinded", |i| {
        Ok(reblind_part(&sr, i, &read(&x_dir, "request", i)?)?)
    })?;
    exchanged += bytes;
    let reblinded_manifest = sr.manifest(PartKind::Reblinded, &infos)?;
    times.push(("B respond", t.elapsed()));

    // Initiator: finish parts, then its join.
    let t = Instant::now();
    si.accept(&elements_manifest)?;
    si.accept(&reblinded_manifest)?;
    let (infos, bytes) = each_part(&x_dir, parts, "finish", |j| {
        Ok(finish_part(&si, j, &read(&x_dir, "elements", j)?)?)
    })?;
    exchanged += bytes;
    let finish_manifest = si.manifest(PartKind::Finish, &infos)?;
    times.push(("A finish", t.elapsed()));
    exchanged += (request_manifest.len()
        + elements_manifest.len()
        + reblinded_manifest.len()
        + finish_manifest.len()) as u64;

    for (side, d) in [("a", &a_dir), ("b", &b_dir)] {
        for i in 0..parts {
            fs::rename(
                d.join(format!("items-{i}")),
                x_dir.join(format!("{side}-items-{i}")),
            )?;
        }
    }
    let t = Instant::now();
    let a_matched = join(
        &si,
        &x_dir,
        "a",
        (PartKind::Reblinded, "reblinded"),
        (PartKind::Finish, "finish"),
        (parts, parts),
        parts,
    )?;
    times.push(("A join", t.elapsed()));
    let t = Instant::now();
    sr.accept(&finish_manifest)?;
    let b_matched = join(
        &sr,
        &x_dir,
        "b",
        (PartKind::Finish, "finish"),
        (PartKind::Reblinded, "reblinded"),
        (parts, parts),
        parts,
    )?;
    times.push(("B join", t.elapsed()));

    let total: Duration = times.iter().map(|(_, d)| *d).sum();
    for (name, d) in &times {
        println!("  {name:<10} {:8.2} s", d.as_secs_f64());
    }
    println!(
        "total {:.1} s: {:.0} items per side per second; {:.1} bytes exchanged per item per side",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        exchanged as f64 / (2 * n) as f64
    );
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    fs::remove_dir_all(&dir)?;
    let ok = a_matched == n / 2 && b_matched == n / 2;
    println!(
        "{}: A matched {a_matched}, B matched {b_matched}, expected {} each",
        if ok { "OK" } else { "FAILED" },
        n / 2
    );
    Ok(ok)
}
