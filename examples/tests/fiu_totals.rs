//! The intersection-sum example on the shipped account data, against the
//! generator's known totals, and the minimum that hides them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch_examples::data_dir;
use blindmatch_examples::totals::{load_expected, load_fiu, load_police, run};

#[test]
fn the_fiu_and_the_police_agency_learn_the_known_totals_and_no_more() {
    let data = data_dir();
    let fiu = load_fiu(&data.join("fiu_accounts.csv")).unwrap();
    let police = load_police(&data.join("police_accounts.csv")).unwrap();
    assert_eq!((fiu.accounts.len(), police.len()), (20_000, 3_000));
    let (cardinality, amount, transfers) = load_expected(&data.join("expected_sums.csv")).unwrap();
    let report = run(&police, &fiu, 10).unwrap();
    let expected = vec![
        ("amount_eur_cents".to_owned(), amount),
        ("transfers".to_owned(), transfers),
    ];
    assert_eq!(report.police.cardinality, cardinality);
    assert_eq!(report.police.sums, Some(expected.clone()));
    assert!(report.police.proven);
    assert_eq!(report.fiu.sums, Some(expected));
    assert_eq!(
        report.police.record.transcript,
        report.fiu.record.transcript
    );
    // With a minimum above the overlap, only the count is revealed.
    let hidden = run(&police, &fiu, cardinality + 1).unwrap();
    assert_eq!(hidden.police.cardinality, cardinality);
    assert_eq!((hidden.police.sums, hidden.fiu.sums), (None, None));
}
