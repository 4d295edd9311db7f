//! Multi-party: a member forwarding another agency's values (checked
//! against the roster and the previous hop's proof), and taking its own
//! back; the roster, session and router decoders. Never a panic, and a
//! forwarded message keeps the count it came with.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static RUN: LazyLock<blindmatch_fuzz::MultiRun> = LazyLock::new(blindmatch_fuzz::multi_run);

fuzz_target!(|data: &[u8]| {
    let session = blindmatch_fuzz::multi_session();
    let _ = session.route(data);
    let _ = blindmatch::multiparty::Session::from_bytes(data);
    // A started member reading a roster: it accepts one only if the
    // roster states its own key and first batch (the other entries are
    // the other members' to check, and a roster that differs between
    // members is refused at the next hop).
    let mut fr = blindmatch_fuzz::multi_member(2);
    if fr.start().is_ok() && fr.accept_roster(data).is_ok() {
        let own = &RUN.commitments[2];
        let (key, first) = (&own[own.len() - 64..own.len() - 32], &own[own.len() - 32..]);
        let holds = |part: &[u8]| data.windows(part.len()).any(|w| w == part);
        assert!(
            holds(key) && holds(first),
            "a roster without this member's commitment"
        );
    }
    // DE, which forwards NL's values at hop 1 and FR's at hop 2.
    let mut de = blindmatch_fuzz::multi_ready(1, &RUN);
    if let Ok(out) = de.forward(data) {
        let info = blindmatch::registry::inspect(&out).expect("a forwarded message decodes");
        let count = info.counts.iter().find(|(n, _)| *n == "items").map(|c| c.1);
        assert_eq!(
            count,
            blindmatch::registry::inspect(data).ok().and_then(|i| i
                .counts
                .iter()
                .find(|(n, _)| *n == "items")
                .map(|c| c.1))
        );
        assert!(de.forward(data).is_err(), "a replay is refused");
    }
    // NL, started, taking its values back.
    let mut nl = blindmatch_fuzz::multi_ready(0, &RUN);
    if nl.complete(data).is_ok() {
        assert!(nl.tags().is_ok());
        assert!(
            nl.complete(&RUN.backs[0]).is_err(),
            "its values come back once"
        );
    }
});
