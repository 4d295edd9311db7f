//! Reading the envelope of any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = blindmatch::wire::message_type(data) {
        assert!(!t.name().is_empty());
    }
});
