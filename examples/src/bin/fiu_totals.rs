//! Intersection-sum on the shipped data: a police agency holds 3,000
//! suspect accounts (as officers typed them), a financial-intelligence unit
//! 20,000 rows of account activity (amount in euro cents, number of
//! transfers; some accounts have two rows). Both learn how many suspect
//! accounts the FIU knows and the totals over them, proven by the FIU's
//! decryption proofs; neither learns which accounts they are. Below 10
//! shared accounts no total would be revealed.
//!
//! ```text
//! cargo run --release -p blindmatch-examples --bin fiu_totals
//! ```
//!
//! Exits non-zero if the result differs from `expected_sums.csv`.

use std::process::ExitCode;

use blindmatch_examples::data_dir;
use blindmatch_examples::totals::{load_expected, load_fiu, load_police, run};

fn main() -> ExitCode {
    blindmatch_examples::exit_code(go())
}

fn go() -> Result<bool, Box<dyn std::error::Error>> {
    let data = data_dir();
    let fiu = load_fiu(&data.join("fiu_accounts.csv"))?;
    let police = load_police(&data.join("police_accounts.csv"))?;
    let (cardinality, amount, transfers) = load_expected(&data.join("expected_sums.csv"))?;
    let report = run(&police, &fiu, 10)?;
    let sums = report.police.sums.clone().unwrap_or_default();
    println!(
        "police: {} suspect accounts; FIU: {} rows",
        police.len(),
        fiu.accounts.len()
    );
    println!("shared accounts: {}", report.police.cardinality);
    for (name, value) in &sums {
        println!("  total {name}: {value}");
    }
    println!(
        "proven by the FIU's decryption proofs: {}",
        report.police.proven
    );
    let t = report.times.map(|d| d.as_secs_f64());
    println!(
        "time: {:.2} s (police request {:.2}, FIU respond {:.2}, police finish {:.2}, FIU decrypt {:.3}, police check {:.3})",
        t.iter().sum::<f64>(),
        t[0],
        t[1],
        t[2],
        t[3],
        t[4]
    );
    println!(
        "bytes: request {}, response {}, finish {}, result {}",
        report.bytes[0], report.bytes[1], report.bytes[2], report.bytes[3]
    );
    let expected = vec![
        ("amount_eur_cents".to_owned(), amount),
        ("transfers".to_owned(), transfers),
    ];
    let ok = report.police.cardinality == cardinality
        && report.police.sums.as_ref() == Some(&expected)
        && report.fiu.sums.as_ref() == Some(&expected)
        && report.police.proven;
    println!(
        "{}",
        if ok {
            "matches expected_sums.csv"
        } else {
            "DIFFERS from expected_sums.csv"
        }
    );
    Ok(ok)
}
