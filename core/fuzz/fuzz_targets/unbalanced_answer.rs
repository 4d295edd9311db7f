//! The client decoding the server's answer against a valid digest.
#![no_main]

use std::sync::OnceLock;

use blindmatch::unbalanced::SetDigest;
use libfuzzer_sys::fuzz_target;

fn digest() -> &'static SetDigest {
    static D: OnceLock<SetDigest> = OnceLock::new();
    D.get_or_init(
        || match SetDigest::from_bytes(blindmatch_fuzz::server().digest()) {
            Ok(d) => d,
            Err(e) => unreachable!("fixed digest: {e}"),
        },
    )
}

fuzz_target!(|data: &[u8]| {
    let (client, _) = blindmatch_fuzz::client();
    if let Ok(m) = client.finish_with(data, digest()) {
        let n = blindmatch_fuzz::ITEMS_A.len();
        assert!(m.indices().iter().all(|&i| i < n));
    }
});
