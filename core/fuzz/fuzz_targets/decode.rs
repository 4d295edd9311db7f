//! Every message decoder, without the protocol state a step needs (so at
//! full speed), checking canonical decoding: whatever decodes must encode
//! back to exactly the bytes it was read from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(again) = blindmatch::fuzzing::reencode(data) {
        assert_eq!(again, data, "decoded from bytes the encoder does not write");
    }
});
