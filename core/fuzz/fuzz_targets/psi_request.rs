//! The responder decoding and answering a request (first byte: the mode).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, request)) = data.split_first() else {
        return;
    };
    if let Ok((_waiting, response)) = blindmatch_fuzz::responder(mode % 4).respond(request) {
        assert!(blindmatch::wire::message_type(&response).is_ok());
    }
});
