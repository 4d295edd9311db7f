//! The main job: two agencies find the suspects they have in common.
//!
//! Agency A (40,000 suspects) and agency B (25,000 suspects) each hold a
//! list with names, dates of birth, e-mail addresses and phone numbers
//! (shipped in `examples/data/`, synthetic). B's list is messy: national
//! phone formats, "LAST, First" names, day-first dates, stray spaces and
//! capitals, some values that are no identifiers at all. Each agency
//! canonicalizes its records into keys (e-mail, phone, name + date of
//! birth), they run balanced PSI over the keys, and each learns which of
//! its own suspects the other also holds, through which kinds of
//! identifier, and nothing else. Both then sign one receipt of the
//! session for the legal record (A signs, B checks and countersigns), and
//! the receipt is verified and printed as JSON.
//!
//! ```text
//! cargo run --release -p blindmatch-examples --bin two_agencies [-- --exchange-dir DIR] [--data-dir DIR]
//! ```
//!
//! Exits non-zero if the result differs from `expected_overlap.csv`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use blindmatch::receipt::{Case, SigningKey};
use blindmatch_examples::{
    check_against_expected, co_signed_receipt, data_dir, load_agency, load_expected,
    load_expected_errors, match_agencies,
};

fn main() -> ExitCode {
    blindmatch_examples::exit_code(run())
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let mut data = data_dir();
    let mut exchange = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => data = PathBuf::from(args.next().ok_or("--data-dir needs a folder")?),
            "--exchange-dir" => {
                exchange = Some(PathBuf::from(
                    args.next().ok_or("--exchange-dir needs a folder")?,
                ))
            }
            "-h" | "--help" => {
                println!("usage: two_agencies [--data-dir DIR] [--exchange-dir DIR]");
                return Ok(true);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    if let Some(dir) = &exchange {
        std::fs::create_dir_all(dir)?;
    }
    let a = load_agency(&data.join("agency_a.csv"))?;
    let b = load_agency(&data.join("agency_b.csv"))?;
    let expected = load_expected(&data.join("expected_overlap.csv"))?;
    let expected_errors = load_expected_errors(&data.join("expected_errors.csv"))?;
    println!(
        "agency A: {} suspects; agency B: {} suspects",
        a.len(),
        b.len()
    );

    let report = match_agencies(&a, &b, exchange.as_deref())?;
    let t = &report.traffic;
    for (side, errors) in [("A", &report.errors.0), ("B", &report.errors.1)] {
        let mut per_field: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, field, _) in errors {
            *per_field.entry(field.as_str()).or_default() += 1;
        }
        println!(
            "agency {side}: {} values could not be used {per_field:?}",
            errors.len()
        );
        if let Some((id, field, reason)) = errors.first() {
            println!("  e.g. record {id}, field {field}: {reason}");
        }
    }
    println!(
        "keys (e-mail, phone, name + date of birth): A {}, B {}",
        report.items.0, report.items.1
    );
    println!(
        "canonicalization of both agencies' records: {:.2} s",
        report.canonicalize_time.as_secs_f64()
    );
    println!("shared keys: {}", report.shared_identifiers);
    println!(
        "suspects shared: A sees {}, B sees {}",
        report.a_matches.len(),
        report.b_matches.len()
    );
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for kinds in report.a_matches.values() {
        for k in kinds {
            *per_kind.entry(k.as_str()).or_default() += 1;
        }
    }
    println!("  matched suspects per kind of key: {per_kind:?}");
    println!("first shared suspects of agency A (record ids stay with A):");
    let names: HashMap<&str, &str> = a
        .iter()
        .map(|s| (s.id.as_str(), s.full_name.as_str()))
        .collect();
    for (id, kinds) in report.a_matches.iter().take(10) {
        println!(
            "  {id}  {:<28} via {}",
            names.get(id.as_str()).copied().unwrap_or("?"),
            kinds.join(", ")
        );
    }
    println!(
        "bytes exchanged: {} (request {}, response {}, finish {}), {:.1} bytes per item",
        t.total_bytes(),
        t.bytes[0],
        t.bytes[1],
        t.bytes[2],
        t.total_bytes() as f64 / (report.items.0 + report.items.1) as f64
    );
    println!(
        "time: {:.2} s (A request {:.2}, B respond {:.2}, A finish {:.2}, B finish {:.3})",
        t.total_time().as_secs_f64(),
        t.time[0].as_secs_f64(),
        t.time[1].as_secs_f64(),
        t.time[2].as_secs_f64(),
        t.time[3].as_secs_f64()
    );
    // Each agency's signing key would live in its own key store; here both
    // are fresh. A signs, B checks against its own record and countersigns.
    let (key_a, key_b) = (SigningKey::generate()?, SigningKey::generate()?);
    let case = Case::new("NL-2026-0142", "MLAT art. 18 (example)")?;
    let (receipt, fields) =
        co_signed_receipt(&report, &case, (&key_a, &key_b), exchange.as_deref())?;
    println!(
        "receipt ({} bytes), signed by A and countersigned by B, verified with both public keys:",
        receipt.len()
    );
    println!("{}", fields.to_json());
    if let Some(dir) = &exchange {
        println!("message files: {}", dir.display());
    }

    let problems = check_against_expected(&report, &expected, &expected_errors);
    Ok(blindmatch_examples::verdict(
        &problems,
        &format!(
            "the result equals the known overlap ({} suspect pairs)",
            expected.len()
        ),
    ))
}
