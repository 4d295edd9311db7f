//! Secrets are zeroized: the key and blind types clear themselves on drop
//! (checked at compile time through the `ZeroizeOnDrop` marker), and what
//! `zeroize()` (the same code that runs on drop) leaves behind is inspected
//! through the key's own accessor. Reading freed memory would need unsafe
//! code, which this crate forbids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::oprf::{Blind, OprfKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

fn zeroized_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn secret_types_zeroize_on_drop() {
    zeroized_on_drop::<OprfKey>();
    zeroized_on_drop::<Blind>();
}

#[test]
fn zeroize_clears_the_secret_scalar() {
    let mut key = OprfKey::derive(&[7; 32], b"zeroize").unwrap();
    let secret = key.to_secret_bytes();
    assert_ne!(*secret, [0u8; 32]);
    key.zeroize();
    assert_eq!(*key.to_secret_bytes(), [0u8; 32]);
    // The copy handed out is itself a Zeroizing buffer.
    let mut copy = secret;
    copy.zeroize();
    assert_eq!(*copy, [0u8; 32]);
}

#[test]
fn debug_never_shows_the_secret() {
    let key = OprfKey::derive(&[7; 32], b"zeroize").unwrap();
    let hex: String = key
        .to_secret_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shown = format!("{key:?} {key:#?}");
    assert!(!shown.contains(&hex[..16]), "{shown}");
    let blind = Blind::from_bytes(&[1; 32]).unwrap();
    let shown = format!("{blind:?} {blind:#?}");
    assert!(
        !shown.contains("0101010101") && !shown.contains("1, 1, 1, 1"),
        "{shown}"
    );
}
