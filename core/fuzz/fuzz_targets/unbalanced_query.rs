//! The server decoding and answering a client's query.
#![no_main]

use std::sync::{Mutex, OnceLock};

use blindmatch::unbalanced::Server;
use libfuzzer_sys::fuzz_target;

fn server() -> &'static Mutex<Server> {
    static S: OnceLock<Mutex<Server>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(blindmatch_fuzz::server()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(server) = server().lock() else {
        return;
    };
    if let Ok(answer) = server.answer(data, "fuzz") {
        assert!(blindmatch::wire::message_type(&answer).is_ok());
    }
});
