//! Multi-party: the hub taking an agency's tags, and a member reading a
//! result. Never a panic; an accepted result's matches are the member's
//! own items, each held by at least the threshold.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static RUN: LazyLock<blindmatch_fuzz::MultiRun> = LazyLock::new(blindmatch_fuzz::multi_run);

fuzz_target!(|data: &[u8]| {
    let mut hub = blindmatch::multiparty::Hub::new(blindmatch_fuzz::multi_session());
    if hub.add("NL", data).is_ok() {
        assert!(
            hub.add("NL", data).is_err(),
            "a second submission is refused"
        );
        let _ = hub.add("DE", &RUN.tags[1]);
        let _ = hub.add("FR", &RUN.tags[2]);
        let _ = hub.result();
    }
    let mut nl = blindmatch_fuzz::multi_member(0);
    let ready = nl.start().is_ok() && nl.complete(&RUN.backs[0]).is_ok();
    assert!(ready, "the fixed member completes");
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
