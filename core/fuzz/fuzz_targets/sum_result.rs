//! Intersection-sum: the initiator checking a result (proofs of
//! decryption); never a panic. The fixed finish is replayed first so the
//! initiator waits for exactly this session's result.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (initiator, _) = blindmatch_fuzz::sum_initiator();
    let (_, response) = blindmatch_fuzz::sum_responded();
    let Ok((waiting, _)) = initiator.finish(&response) else {
        unreachable!("the fixed response finishes");
    };
    if let Ok(outcome) = waiting.result(Some(data)) {
        assert!(outcome.proven || outcome.noisy || outcome.sums.is_none());
    }
});
