//! What the command's test files share: reading the CSV files it writes.

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
