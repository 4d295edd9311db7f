//! The multi-party example on the shipped data: five agencies, threshold
//! three, every message through a file; each agency's qualifying records
//! and counts against the generator's known answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch_examples::data_dir;
use blindmatch_examples::multi::{check, load_agency, load_expected, run};

#[test]
fn five_agencies_find_exactly_the_suspects_known_to_three() {
    let data = data_dir().join("multi");
    let agencies: Vec<(String, _)> = ["NL", "DE", "FR", "BE", "PL"]
        .iter()
        .map(|a| {
            (
                (*a).to_owned(),
                load_agency(&data.join(format!("{a}.csv"))).unwrap(),
            )
        })
        .collect();
    let expected = load_expected(&data.join("expected_three_of_five.csv")).unwrap();
    assert_eq!(expected.len(), 2_966);
    let dir = std::env::temp_dir().join(format!("blindmatch-five-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = run(&agencies, 3, Some(&dir)).unwrap();
    assert!(dir.join("PL-hop5.bm").exists() && dir.join("result.bm").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    let problems = check(&report, &expected);
    assert!(problems.is_empty(), "{problems:#?}");
    // Records filed twice under two ids both qualify; counts reach 5.
    assert!(
        report
            .members
            .iter()
            .all(|m| m.matched.values().any(|&h| h == 5))
    );
    // The hub published fewer tags than the agencies' matched records: a
    // record known to four agencies is one tag.
    let matched: usize = report.members.iter().map(|m| m.matched.len()).sum();
    assert!(report.published > 0 && (report.published as usize) < matched);
    // A threshold of five reveals only what all five know.
    let all = run(&agencies, 5, None).unwrap();
    for m in &all.members {
        assert!(m.matched.values().all(|&h| h == 5));
        assert_eq!(
            m.matched.len(),
            expected
                .iter()
                .filter(|((a, _), h)| *a == m.name && **h == 5)
                .count()
        );
    }
}
