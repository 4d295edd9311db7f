//! Multi-party: the hub taking an agency's tags, and a member reading a
//! result. Never a panic; an accepted result's matches are the member's
//! own items, each held by at least the threshold.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static RUN: LazyLock<blindmatch_fuzz::MultiRun> = LazyLock::new(blindmatch_fuzz::multi_run);

fuzz_target!(|data: &[u8]| {
    // A commitment as NL's; then the true ones and the roster.
    let mut hub = blindmatch::multiparty::Hub::new(blindmatch_fuzz::multi_session());
    let _ = hub.commit("NL", data);
    let mut hub = blindmatch::multiparty::Hub::new(blindmatch_fuzz::multi_session());
    for (name, c) in ["NL", "DE", "FR"].iter().zip(&RUN.commitments) {
        assert!(hub.commit(name, c).is_ok(), "the fixed commitments");
    }
    assert!(hub.roster().is_ok_and(|r| r == RUN.roster));
    if hub.add("NL", data).is_ok() {
        assert!(
            hub.add("NL", data).is_err(),
            "a second submission is refused"
        );
        let _ = hub.add("DE", &RUN.tags[1]);
        let _ = hub.add("FR", &RUN.tags[2]);
        let _ = hub.result();
    }
    let mut nl = blindmatch_fuzz::multi_ready(0, &RUN);
    assert!(
        nl.complete(&RUN.backs[0]).is_ok(),
        "the fixed member completes"
    );
    if let Ok(outcome) = nl.finish(data) {
        assert!(
            outcome
                .indices()
                .iter()
                .all(|&i| i < blindmatch_fuzz::ITEMS_A.len())
        );
        let counts = outcome.counts().expect("the fixed session reveals counts");
        assert!(counts.iter().all(|&c| (2..=3).contains(&c)));
    }
});
