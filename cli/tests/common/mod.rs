//! What the command's test files share: running the command, reading the
//! CSV and JSON it writes. (Each test file uses a part of it.)
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every row of a CSV file with a header, as column -> value.
pub(crate) fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .map(str::to_owned)
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// The distinct values of one column.
pub(crate) fn column(rows: &[BTreeMap<String, String>], name: &str) -> BTreeSet<String> {
    rows.iter().map(|r| r[name].clone()).collect()
}

/// The command, run in `dir`.
pub(crate) fn bm(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_blindmatch"));
    c.current_dir(dir);
    c
}

/// The command in `dir` with the words of `line` as its arguments (split at
/// spaces, so a value with a space goes in a later `.arg`).
pub(crate) fn bm_words(dir: &Path, line: &str) -> std::process::Command {
    let mut c = bm(dir);
    c.args(line.split_whitespace());
    c
}

/// The words of `line`, as arguments.
pub(crate) fn words(line: &str) -> std::str::SplitWhitespace<'_> {
    line.split_whitespace()
}

/// Fails the test, showing what the command printed, unless it succeeded;
/// returns its standard output.
pub(crate) fn succeeded(out: &std::process::Output) -> &[u8] {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    &out.stdout
}

/// The JSON summary a successful run printed.
pub(crate) fn ok_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(succeeded(out)).unwrap()
}

/// `PATH` with this build's `blindmatch` first.
pub(crate) fn path_with_command() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_blindmatch"))
        .parent()
        .unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
