//! Decoding a set digest, then a valid answer looked up in it.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// A valid answer of the fixed server to the fixed client's query.
fn answer() -> &'static [u8] {
    static A: OnceLock<Vec<u8>> = OnceLock::new();
    A.get_or_init(|| {
        let (_, query) = blindmatch_fuzz::client();
        match blindmatch_fuzz::server().answer(&query, "fuzz") {
            Ok(a) => a,
            Err(e) => unreachable!("fixed answer: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(digest) = blindmatch::unbalanced::SetDigest::from_bytes(data) else {
        return;
    };
    let (client, _) = blindmatch_fuzz::client();
    if let Ok(m) = client.finish_with(answer(), &digest) {
        let n = blindmatch_fuzz::ITEMS_A.len();
        assert!(m.indices().iter().all(|&i| i < n));
        assert!(m.labels().keys().all(|i| m.indices().contains(i)));
    }
});
