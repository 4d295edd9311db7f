//! Intersection-sum: the value holder decoding a finish message and
//! decrypting (a bounded discrete-log search); never a panic, and sums only
//! at or above the minimum with a cardinality within both sets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (waiting, _) = blindmatch_fuzz::sum_responded();
    if let Ok((_result, outcome)) = waiting.finish(data) {
        assert!(outcome.cardinality <= blindmatch_fuzz::ITEMS_B.len() as u64);
        assert_eq!(outcome.sums.is_some(), outcome.cardinality > 0);
    }
});
