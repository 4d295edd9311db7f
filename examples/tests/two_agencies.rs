//! Runs the main job on the shipped data and checks it against the known
//! answer, with the messages carried through files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::receipt::{Case, SigningKey};
use blindmatch_examples::{
    check_against_expected, co_signed_receipt, data_dir, load_agency, load_expected,
    load_expected_errors, match_agencies,
};

#[test]
fn two_agencies_find_exactly_the_known_overlap() {
    let data = data_dir();
    let a = load_agency(&data.join("agency_a.csv")).unwrap();
    let b = load_agency(&data.join("agency_b.csv")).unwrap();
    let expected = load_expected(&data.join("expected_overlap.csv")).unwrap();
    let expected_errors = load_expected_errors(&data.join("expected_errors.csv")).unwrap();
    assert_eq!(expected_errors.len(), 100);
    assert_eq!((a.len(), b.len(), expected.len()), (40_000, 25_000, 1_500));

    let dir = std::env::temp_dir().join(format!("blindmatch-two-agencies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = match_agencies(&a, &b, Some(&dir)).unwrap();
    let problems = check_against_expected(&report, &expected, &expected_errors);
    assert!(problems.is_empty(), "{problems:#?}");
    // Both agencies sign one receipt; it states the session as both saw it.
    let (ka, kb) = (
        SigningKey::generate().unwrap(),
        SigningKey::generate().unwrap(),
    );
    let case = Case::new("NL-2026-0142", "MLAT art. 18").unwrap();
    let (receipt, fields) = co_signed_receipt(&report, &case, (&ka, &kb), Some(&dir)).unwrap();
    assert_eq!(fields.record.transcript, report.records.1.transcript);
    assert_eq!(
        fields.record.cardinality,
        Some(report.shared_identifiers as u64)
    );
    assert_eq!(fields.countersigner, Some(kb.public_key()));
    assert_eq!(
        std::fs::read(dir.join("5-receipt-a-b.bmch")).unwrap(),
        receipt
    );
    // What crossed the wire is what the files hold.
    let on_disk: usize = ["1-request.bmch", "2-response.bmch", "3-finish.bmch"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len() as usize)
        .sum();
    assert_eq!(on_disk, report.traffic.total_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_column_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("blindmatch-bad-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "suspect_id,full_name,email\nA-1,X,x@example.org\n").unwrap();
    let err = load_agency(&path).unwrap_err().to_string();
    assert!(err.contains("no column \"date_of_birth\""), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
