//! Five agencies (NL, DE, FR, BE, PL) find the suspects known to at least
//! three of them, through a counting hub that never sees a list
//! (DESIGN §7.6). Each agency's list is in `data/multi/` (e-mail
//! addresses and wallets, as officers typed them); every message goes
//! through a file in a temporary folder; each agency's qualifying records
//! are checked against `expected_three_of_five.csv`, and each agency's
//! receipt is countersigned by the hub.
//!
//! ```text
//! cargo run --release -p blindmatch-examples --bin five_agencies
//! ```
//!
//! Exits non-zero if any agency's result differs from the known answer.

use std::process::ExitCode;

use blindmatch_examples::data_dir;
use blindmatch_examples::multi::{check, load_agency, load_expected, run};

const AGENCIES: [&str; 5] = ["NL", "DE", "FR", "BE", "PL"];

fn main() -> ExitCode {
    blindmatch_examples::exit_code(go())
}

fn go() -> Result<bool, Box<dyn std::error::Error>> {
    let data = data_dir().join("multi");
    let agencies = AGENCIES
        .iter()
        .map(|a| {
            Ok((
                (*a).to_owned(),
                load_agency(&data.join(format!("{a}.csv")))?,
            ))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let expected = load_expected(&data.join("expected_three_of_five.csv"))?;
    let dir = std::env::temp_dir().join(format!("blindmatch-five-agencies-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let report = run(&agencies, 3, Some(&dir));
    std::fs::remove_dir_all(&dir)?;
    let report = report?;
    println!(
        "five agencies, threshold 3; messages through files; the hub published {} tags ({} bytes to each agency), counting took {:.3} s",
        report.published,
        report.result_bytes,
        report.hub_busy.as_secs_f64()
    );
    println!("agency  records  known to >= 3  (3 / 4 / 5 agencies)  sent      own steps  receipt");
    for m in &report.members {
        let by = |n: u8| m.matched.values().filter(|&&h| h == n).count();
        println!(
            "{:<6}  {:>7}  {:>13}  ({:>3} / {:>3} / {:>3})          {:>5.1} MB  {:>6.2} s   {}",
            m.name,
            m.records,
            m.matched.len(),
            by(3),
            by(4),
            by(5),
            m.bytes_sent as f64 / 1e6,
            m.busy.as_secs_f64(),
            if m.receipt_verified {
                "countersigned by the hub"
            } else {
                "DOES NOT VERIFY"
            },
        );
    }
    let problems = check(&report, &expected);
    Ok(blindmatch_examples::verdict(
        &problems,
        &format!(
            "every agency found exactly its {} records known to at least three agencies \
            (expected_three_of_five.csv)",
            expected.len()
        ),
    ))
}
