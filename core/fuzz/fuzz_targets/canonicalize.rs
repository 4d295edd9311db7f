//! Canonicalizing hostile identifier values (first byte: the kind); a
//! canonical form must be a fixed point.
#![no_main]

use std::sync::OnceLock;

use blindmatch::records::{Kind, Options, canonicalize};
use libfuzzer_sys::fuzz_target;

fn options() -> &'static Options {
    static O: OnceLock<Options> = OnceLock::new();
    O.get_or_init(|| {
        let options = Options::default()
            .with_default_region("GB")
            .and_then(|o| o.with_date_format("%d/%m/%Y"));
        match options {
            Ok(o) => o,
            Err(e) => unreachable!("GB and %d/%m/%Y are valid: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = Kind::ALL[usize::from(k) % Kind::ALL.len()];
    if let Ok(canonical) = canonicalize(kind, value, None, options()) {
        let again = canonicalize(kind, &canonical, None, options());
        assert_eq!(
            again.as_deref(),
            Ok(canonical.as_str()),
            "{kind}: not a fixed point"
        );
    }
});
