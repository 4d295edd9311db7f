//! Hostile sizes: a message whose header claims 2^32 - 1 elements must be
//! refused with a typed error before anything of that size is allocated or
//! any group operation is spent, for every message type; so must a byte
//! string that claims 2^32 - 1 bytes it does not carry.
//!
//! This file is its own test binary with a single test, because the
//! allocator cap below is process-wide: while a hostile message is decoded,
//! allocating more than 1 MiB beyond what is live fails the allocation,
//! which aborts the process and so fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::System;

use blindmatch::ErrorCode;
use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Responder};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use cap::Cap;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

const HUGE: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0x0f]; // varint 2^32 - 1
const EMPTY: [u8; 1] = [0x00]; // a byte string of length 0

/// Runs `f` with at most 1 MiB of new allocations allowed.
fn capped<T>(f: impl FnOnce() -> T) -> T {
    ALLOC.set_limit(ALLOC.allocated() + (1 << 20)).unwrap();
    let out = f();
    ALLOC.set_limit(usize::MAX).unwrap();
    out
}

/// `real[..at]` (a valid header and fixed fields), then a count of
/// 2^32 - 1, then `tail`.
fn forged(real: &[u8], at: usize, tail: &[&[u8]]) -> Vec<u8> {
    let mut m = real[..at].to_vec();
    m.extend_from_slice(&HUGE);
    for t in tail {
        m.extend_from_slice(t);
    }
    m
}

#[test]
fn claimed_sizes_are_refused_before_allocation() {
    // Byte strings that claim 2^32 - 1 bytes (decoding must not trust the
    // length), then empty ones (the claimed count itself must be checked
    // against the limits first).
    for bytes in [&HUGE[..], &EMPTY[..]] {
        let codes = hostile_messages(bytes);
        if bytes == EMPTY {
            assert_eq!(codes[0], ErrorCode::PeerSetTooLarge); // request
            assert_eq!(codes[3], ErrorCode::PeerSetTooLarge); // digest
            assert_eq!(codes[4], ErrorCode::PeerSetTooLarge); // query
            // Response, finish, answer: the count must equal what we sent.
            assert_eq!(
                [codes[1], codes[2], codes[5]],
                [ErrorCode::CountMismatch; 3]
            );
        }
    }
}

/// Decodes a forged message of every type under the allocation cap; returns
/// the error codes (request, response, finish, digest, query, answer).
fn hostile_messages(bytes: &[u8]) -> Vec<ErrorCode> {
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let items = ["a", "b", "c"];
    let config = Config::default();
    let mut codes = Vec::new();
    let mut check = |e: blindmatch::Error| {
        assert!(e.is_protocol_error(), "{e}");
        codes.push(e.code());
    };

    // Header (6), suite, reveal, output (3), session id (16), profile (32),
    // proofs flag (1), public key (32), then the count.
    let (initiator, request) = Initiator::new_with_rng(config.clone(), &items, &mut rng).unwrap();
    let responder = Responder::new_with_rng(config.clone(), &items, &mut rng).unwrap();
    let hostile = forged(&request, 6 + 3 + 16 + 32 + 1 + 32, &[bytes]);
    check(capped(|| {
        responder.respond(&hostile).map(|_| ()).unwrap_err()
    }));

    // Response: header, session id, then the initiator's count, the
    // responder's, the comparison length, the public key, the re-blinded
    // values, their proof and the elements.
    let responder = Responder::new_with_rng(config.clone(), &items, &mut rng).unwrap();
    let (waiting, response) = responder.respond(&request).unwrap();
    let hostile = forged(
        &response,
        6 + 16,
        &[&HUGE, &[9], &[0x2a; 32], bytes, bytes, bytes],
    );
    check(capped(|| {
        initiator.finish(&hostile).map(|_| ()).unwrap_err()
    }));

    // Finish: header, session id, then the count, the values and the proof.
    let hostile = forged(&response, 6 + 16, &[bytes, bytes]);
    let mut finish = hostile.clone();
    finish[5] = blindmatch::wire::MessageType::PsiFinish.code();
    check(capped(|| {
        waiting.finish(Some(&finish)).map(|_| ()).unwrap_err()
    }));

    // Set digest: header, public key, profile, salt, then the count, fpr
    // bits, tags, label length, labels.
    let key = OprfKey::derive(&[1; 32], b"limits").unwrap();
    let server = Server::new(
        key,
        &items,
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    let hostile = forged(
        server.digest(),
        6 + 32 + 32 + 16,
        &[&[40], bytes, &[0], bytes],
    );
    check(capped(|| {
        SetDigest::from_bytes(&hostile).map(|_| ()).unwrap_err()
    }));

    // Query: header, query id, no epoch (one byte), profile, then the count.
    let (client, query) = Client::new_with_rng(ClientConfig::default(), &items, &mut rng).unwrap();
    let hostile = forged(&query, 6 + 16 + 1 + 32, &[bytes]);
    check(capped(|| {
        server.answer(&hostile, "hostile").map(|_| ()).unwrap_err()
    }));

    // Answer: header, query id, epoch, then the count, elements, proof.
    let answer = server.answer(&query, "honest").unwrap();
    let digest = SetDigest::from_bytes(server.digest()).unwrap();
    let hostile = forged(&answer, 6 + 16 + 16, &[bytes, bytes]);
    check(capped(|| {
        client
            .finish_with(&hostile, &digest)
            .map(|_| ())
            .unwrap_err()
    }));
    codes
}
