//! The responder decoding the initiator's finish message (first byte: the mode).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// The fixed request of each mode, made once.
fn requests() -> &'static [Vec<u8>; 4] {
    static R: OnceLock<[Vec<u8>; 4]> = OnceLock::new();
    R.get_or_init(|| std::array::from_fn(|m| blindmatch_fuzz::initiator(m as u8).1))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, finish)) = data.split_first() else {
        return;
    };
    let mode = mode % 4;
    let Ok((waiting, _)) = blindmatch_fuzz::responder(mode).respond(&requests()[usize::from(mode)])
    else {
        unreachable!("the fixed request is valid")
    };
    if let Ok(Some(matches)) = waiting.finish(Some(finish)) {
        let n = blindmatch_fuzz::ITEMS_B.len();
        assert!(matches.indices().iter().all(|&i| i < n));
        assert!(matches.cardinality() <= n);
    }
});
