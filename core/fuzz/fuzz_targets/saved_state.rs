//! Restoring a saved waiting state (blindmatch::state): never a panic; a
//! state that restores saves to bytes that restore to the same bytes.
#![no_main]

use blindmatch::state::SavedSession;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(saved) = SavedSession::from_bytes(data) else {
        return;
    };
    let again = saved.to_bytes();
    let restored = match SavedSession::from_bytes(&again) {
        Ok(s) => s,
        Err(e) => panic!("a restored state saves to bytes that do not restore: {e}"),
    };
    assert_eq!(*restored.to_bytes(), *again);
});
