//! Multi-party: a member forwarding another agency's values, and taking
//! its own back; the session decoder and router. Never a panic, and a
//! forwarded message keeps the count it came with.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static BACK: LazyLock<Vec<u8>> = LazyLock::new(|| blindmatch_fuzz::multi_run().backs[0].clone());

fuzz_target!(|data: &[u8]| {
    let session = blindmatch_fuzz::multi_session();
    let _ = session.route(data);
    let _ = blindmatch::multiparty::Session::from_bytes(data);
    // DE, which forwards NL's values at hop 1 and FR's at hop 2.
    let mut de = blindmatch_fuzz::multi_member(1);
    if let Ok(out) = de.forward(data) {
        let info = blindmatch::wire::inspect(&out).expect("a forwarded message decodes");
        let count = info.counts.iter().find(|(n, _)| *n == "items").map(|c| c.1);
        assert_eq!(
            count,
            blindmatch::wire::inspect(data).ok().and_then(|i| i
                .counts
                .iter()
                .find(|(n, _)| *n == "items")
                .map(|c| c.1))
        );
        assert!(de.forward(data).is_err(), "a replay is refused");
    }
    // NL, started, taking its values back.
    let mut nl = blindmatch_fuzz::multi_member(0);
    if nl.start().is_ok() && nl.complete(data).is_ok() {
        assert!(nl.tags().is_ok());
        assert!(nl.complete(&BACK).is_err(), "its values come back once");
    }
});
