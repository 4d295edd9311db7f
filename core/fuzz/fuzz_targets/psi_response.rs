//! The initiator decoding a response and finishing (first byte: the mode).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, response)) = data.split_first() else {
        return;
    };
    let (initiator, _) = blindmatch_fuzz::initiator(mode % 4);
    if let Ok((_finish, matches)) = initiator.finish(response) {
        let n = blindmatch_fuzz::ITEMS_A.len();
        assert!(matches.indices().windows(2).all(|w| w[0] < w[1]));
        assert!(matches.indices().iter().all(|&i| i < n));
        assert!(matches.cardinality() <= n);
    }
});
