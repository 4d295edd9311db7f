//! Intersection-sum: the initiator decoding a response, matching and
//! summing (every ciphertext validated); never a panic, and a cardinality
//! within both sets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (initiator, _) = blindmatch_fuzz::sum_initiator();
    if let Ok((waiting, _finish)) = initiator.finish(data) {
        assert!(waiting.cardinality() <= blindmatch_fuzz::ITEMS_A.len() as u64);
    }
});
