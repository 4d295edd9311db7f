//! End-to-end tests of balanced PSI: equivalence with the naive
//! intersection in every mode, mutated messages, and one test per error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use blindmatch::psi::{
    Config, Initiator, Matches, Output, Responder, ResponderAwaitingFinish, Reveal,
};
use blindmatch::wire::{self, MessageType};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

const MODES: [(Reveal, Output); 4] = [
    (Reveal::Intersection, Output::Both),
    (Reveal::Intersection, Output::Initiator),
    (Reveal::Cardinality, Output::Both),
    (Reveal::Cardinality, Output::Initiator),
];

/// Result of one full session: (initiator's, responder's) matches.
type Outcome = (Matches, Option<Matches>);

fn run(config: &Config, a: &[String], b: &[String], seed: u64) -> Result<Outcome, Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (initiator, request) = Initiator::new_with_rng(config.clone(), a, &mut rng)?;
    let (responder, response) =
        Responder::new_with_rng(config.clone(), b, &mut rng)?.respond(&request)?;
    let (finish, mine) = initiator.finish(&response)?;
    assert_eq!(finish.is_some(), config.output == Output::Both);
    let theirs = responder.finish(finish.as_deref())?;
    Ok((mine, theirs))
}

fn naive(mine: &[String], theirs: &[String]) -> (Vec<usize>, usize) {
    let t: HashSet<&String> = theirs.iter().collect();
    let idx: Vec<usize> = (0..mine.len()).filter(|&i| t.contains(&mine[i])).collect();
    let distinct: HashSet<&String> = idx.iter().map(|&i| &mine[i]).collect();
    (idx, distinct.len())
}

fn check(m: &Matches, reveal: Reveal, mine: &[String], theirs: &[String]) {
    let (idx, card) = naive(mine, theirs);
    assert_eq!(m.cardinality(), card);
    assert_eq!(m.reveal(), reveal);
    match reveal {
        Reveal::Intersection => assert_eq!(m.indices(), &idx[..]),
        Reveal::Cardinality => assert!(m.indices().is_empty()),
    }
}

/// Two item lists drawn (with duplicates) from one pool, so that overlap,
/// duplicates and empty lists all occur; items include non-ASCII text.
fn two_sets() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    prop::collection::vec("\\PC{0,12}", 1..160).prop_flat_map(|pool| {
        let n = pool.len();
        let pick = prop::collection::vec(0..n, 0..=300);
        (Just(pool), pick.clone(), pick).prop_map(|(pool, a, b)| {
            (
                a.iter().map(|&i| pool[i].clone()).collect(),
                b.iter().map(|&i| pool[i].clone()).collect(),
            )
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn psi_equals_naive_intersection_in_every_mode((a, b) in two_sets(), seed in any::<u64>()) {
        for (reveal, output) in MODES {
            let config = Config::new(reveal, output);
            let (mine, theirs) = run(&config, &a, &b, seed).unwrap();
            check(&mine, reveal, &a, &b);
            match output {
                Output::Both => check(theirs.as_ref().unwrap(), reveal, &b, &a),
                Output::Initiator => prop_assert!(theirs.is_none()),
            }
        }
    }
}

/// A valid session's three messages and the states that consume them.
struct Session {
    request: Vec<u8>,
    response: Vec<u8>,
    finish: Vec<u8>,
}

fn items(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@example.org")).collect()
}

/// Where a request's count varint starts: header (6), suite, reveal,
/// output (3), session id (16), profile (32), proofs flag (1), public key (32).
const COUNT_AT: usize = 6 + 3 + 16 + 32 + 1 + 32;

fn fresh_states(config: &Config, seed: u64) -> (Initiator, Vec<u8>, Responder) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (i, req) = Initiator::new_with_rng(config.clone(), &items("a", 12), &mut rng).unwrap();
    let mut shared = items("a", 5);
    shared.extend(items("b", 9));
    let r = Responder::new_with_rng(config.clone(), &shared, &mut rng).unwrap();
    (i, req, r)
}

fn session(config: &Config, seed: u64) -> Session {
    let (i, request, r) = fresh_states(config, seed);
    let (_, response) = r.respond(&request).unwrap();
    let (finish, _) = i.finish(&response).unwrap();
    Session {
        request,
        response,
        finish: finish.unwrap_or_default(),
    }
}

/// Responder after answering `session(config, seed).request`.
fn awaiting(config: &Config, seed: u64) -> ResponderAwaitingFinish {
    let (_, request, r) = fresh_states(config, seed);
    r.respond(&request).unwrap().0
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Extend(Vec<u8>),
    Flip(usize, u8),
    SwapType(u8),
    Version(u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(Mutation::Extend),
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<u8>().prop_map(Mutation::SwapType),
        any::<u8>().prop_map(Mutation::Version),
    ]
}

/// Applies `m`; returns the mutated bytes and whether the result must be
/// rejected (a flipped payload byte can yield another valid message).
fn apply(msg: &[u8], m: &Mutation) -> Option<(Vec<u8>, bool)> {
    let mut v = msg.to_vec();
    match m {
        Mutation::Truncate(i) => v.truncate(i % msg.len()),
        Mutation::Extend(extra) => v.extend_from_slice(extra),
        Mutation::Flip(i, x) => {
            let i = i % msg.len();
            v[i] ^= x;
            // Magic, version and type must fail; other bytes may not.
            return Some((v, i < wire::HEADER_LEN));
        }
        Mutation::SwapType(t) if *t == msg[5] => return None,
        Mutation::SwapType(t) => v[5] = *t,
        Mutation::Version(x) if *x == msg[4] => return None,
        Mutation::Version(x) => v[4] = *x,
    }
    Some((v, true))
}

fn assert_rejected<T: std::fmt::Debug>(result: Result<T, Error>, must_fail: bool) {
    if must_fail {
        let err = result.expect_err("a mutated message was accepted");
        assert!(
            err.is_protocol_error(),
            "{err:?} should be a protocol error"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_messages_are_rejected_never_panic(
        mode in 0..MODES.len(),
        target in 0..3usize,
        m in mutation(),
    ) {
        let (reveal, output) = MODES[mode];
        let config = Config::new(reveal, output);
        let seed = 77;
        let s = session(&config, seed);
        match target {
            0 => {
                let Some((bad, must)) = apply(&s.request, &m) else { return Ok(()) };
                let (_, _, r) = fresh_states(&config, seed);
                assert_rejected(r.respond(&bad), must);
            }
            1 => {
                let Some((bad, must)) = apply(&s.response, &m) else { return Ok(()) };
                let (i, _, _) = fresh_states(&config, seed);
                assert_rejected(i.finish(&bad), must);
            }
            _ => {
                if output == Output::Initiator { return Ok(()) }
                let Some((bad, must)) = apply(&s.finish, &m) else { return Ok(()) };
                assert_rejected(awaiting(&config, seed).finish(Some(&bad)), must);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), prefix in any::<bool>()) {
        let config = Config::default();
        let mut msg = if prefix { b"BMCH\x01".to_vec() } else { Vec::new() };
        msg.extend_from_slice(&bytes);
        let (i, _, r) = fresh_states(&config, 5);
        prop_assert!(r.respond(&msg).is_err());
        prop_assert!(i.finish(&msg).is_err());
        prop_assert!(awaiting(&config, 5).finish(Some(&msg)).is_err());
    }
}

#[test]
fn messages_round_trip_through_files() {
    let config = Config::default();
    let dir = std::env::temp_dir().join(format!("blindmatch-psi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (i, request, r) = fresh_states(&config, 3);
    std::fs::write(dir.join("request.bmch"), &request).unwrap();
    let request = std::fs::read(dir.join("request.bmch")).unwrap();
    assert_eq!(
        wire::message_type(&request).unwrap(),
        MessageType::PsiRequest
    );
    let (r, response) = r.respond(&request).unwrap();
    std::fs::write(dir.join("response.bmch"), &response).unwrap();
    let response = std::fs::read(dir.join("response.bmch")).unwrap();
    let (finish, mine) = i.finish(&response).unwrap();
    let theirs = r.finish(finish.as_deref()).unwrap().unwrap();
    assert_eq!(mine.indices(), &[0, 1, 2, 3, 4]);
    assert_eq!(theirs.cardinality(), 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- one named test per error -------------------------------------------

/// Offset of the first element in a request: the element list is the
/// last `count * 32` bytes.
fn first_element_offset(request: &[u8], count: usize) -> usize {
    request.len() - count * 32
}

#[test]
fn identity_point_is_rejected() {
    let config = Config::default();
    let (_, mut request, r) = fresh_states(&config, 1);
    let at = first_element_offset(&request, 12);
    request[at..at + 32].fill(0);
    assert_eq!(r.respond(&request).unwrap_err(), Error::IdentityElement);
}

#[test]
fn non_canonical_point_is_rejected() {
    let config = Config::default();
    let (i, request, r) = fresh_states(&config, 1);
    let mut bad = request.clone();
    let at = first_element_offset(&bad, 12);
    // RFC 9496 A.2: a non-canonical field encoding (2^255 - 1).
    bad[at..at + 32].copy_from_slice(&[0xff; 32]);
    bad[at + 31] = 0x7f;
    assert_eq!(r.respond(&bad).unwrap_err(), Error::InvalidElement);

    // The same in the responder's elements, seen by the initiator.
    let (_, _, r) = fresh_states(&config, 1);
    let (_, mut response) = r.respond(&request).unwrap();
    let n = response.len();
    response[n - 32..].copy_from_slice(&[0xff; 32]);
    assert_eq!(i.finish(&response).unwrap_err(), Error::InvalidElement);
}

#[test]
fn wrong_version_is_rejected() {
    let config = Config::default();
    let (_, mut request, r) = fresh_states(&config, 1);
    request[4] = 2; // the second format, before proofs
    assert_eq!(
        r.respond(&request).unwrap_err(),
        Error::UnsupportedVersion {
            found: 2,
            supported: 3
        }
    );
}

#[test]
fn wrong_message_type_is_rejected() {
    let config = Config::default();
    let s = session(&config, 1);
    let (i, _, r) = fresh_states(&config, 1);
    // Request 1, response 2, finish 3: each step names what it expected.
    let wrong = |expected, found| Error::WrongMessageType { expected, found };
    assert_eq!(i.finish(&s.request).unwrap_err(), wrong(2, 1));
    assert_eq!(r.respond(&s.finish).unwrap_err(), wrong(1, 3));
    let finish = awaiting(&config, 1).finish(Some(&s.response));
    assert_eq!(finish.unwrap_err(), wrong(3, 2));
}

#[test]
fn bad_magic_and_trailing_bytes_are_rejected() {
    let config = Config::default();
    let (_, request, _) = fresh_states(&config, 1);
    let mut bad = request.clone();
    bad[..4].copy_from_slice(b"PSI!");
    let (_, _, r) = fresh_states(&config, 1);
    assert_eq!(r.respond(&bad).unwrap_err(), Error::BadMagic);
    let mut long = request.clone();
    long.push(0);
    let (_, _, r) = fresh_states(&config, 1);
    assert_eq!(
        r.respond(&long).unwrap_err(),
        Error::TrailingBytes { count: 1 }
    );
}

#[test]
fn message_from_another_session_is_rejected() {
    let config = Config::default();
    let other = session(&config, 2);
    let (i, _, _) = fresh_states(&config, 1);
    assert_eq!(
        i.finish(&other.response).unwrap_err(),
        Error::SessionMismatch
    );
    assert_eq!(
        awaiting(&config, 1)
            .finish(Some(&other.finish))
            .unwrap_err(),
        Error::SessionMismatch
    );
}

#[test]
fn peer_set_above_max_peer_items_is_rejected() {
    let strict = Config::default().with_max_peer_items(11);
    let (_, request, _) = fresh_states(&Config::default(), 1);
    let (_, _, r) = fresh_states(&strict, 1);
    assert_eq!(
        r.respond(&request).unwrap_err(),
        Error::PeerSetTooLarge { count: 12, max: 11 }
    );

    // The initiator enforces its own limit on the responder's set (14 items).
    let (i, request, r) = fresh_states(&Config::default().with_max_peer_items(13), 1);
    let (_, response) = r.respond(&request).unwrap();
    assert_eq!(
        i.finish(&response).unwrap_err(),
        Error::PeerSetTooLarge { count: 14, max: 13 }
    );
}

#[test]
fn peer_set_below_min_peer_items_is_rejected() {
    let (_, request, _) = fresh_states(&Config::default(), 1);
    let (_, _, r) = fresh_states(&Config::default().with_min_peer_items(13), 1);
    assert_eq!(
        r.respond(&request).unwrap_err(),
        Error::PeerSetTooSmall { count: 12, min: 13 }
    );
    assert_eq!(
        Responder::new_with_rng(
            Config::default()
                .with_min_peer_items(2)
                .with_max_peer_items(1),
            &["x"],
            &mut ChaCha20Rng::seed_from_u64(0)
        )
        .unwrap_err()
        .code(),
        ErrorCode::InvalidConfig
    );
}

#[test]
fn huge_declared_count_is_rejected_before_any_work() {
    // A request claiming u32::MAX elements and carrying none: the limit
    // check answers before the payload is even looked at.
    let config = Config::default();
    let (_, request, r) = fresh_states(&config, 1);
    let at = COUNT_AT;
    assert_eq!(request[at], 12);
    let mut bad = request[..at].to_vec();
    bad.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // count = 2^32 - 1, empty list
    assert_eq!(
        r.respond(&bad).unwrap_err(),
        Error::PeerSetTooLarge {
            count: u32::MAX as usize,
            max: 1 << 24
        }
    );
}

#[test]
fn count_that_disagrees_with_payload_is_rejected() {
    let config = Config::default();
    let (_, mut request, r) = fresh_states(&config, 1);
    request[COUNT_AT] = 11; // declares 11, carries 12
    assert_eq!(
        r.respond(&request).unwrap_err(),
        Error::CountMismatch {
            declared: 11,
            actual: 12
        }
    );
}

#[test]
fn mode_mismatch_is_rejected() {
    let (_, request, _) = fresh_states(&Config::new(Reveal::Intersection, Output::Both), 1);
    for (reveal, output) in [
        (Reveal::Cardinality, Output::Both),
        (Reveal::Intersection, Output::Initiator),
    ] {
        let (_, _, r) = fresh_states(&Config::new(reveal, output), 1);
        assert_eq!(
            r.respond(&request).unwrap_err().code(),
            ErrorCode::ConfigMismatch
        );
    }
}

#[test]
fn finish_without_a_preceding_step_is_rejected() {
    // Out-of-order calls on one state do not compile (see the compile_fail
    // doctest in `psi`); what remains at run time is a missing or
    // unexpected finish message, or a message fed to the wrong step.
    let both = Config::default();
    assert_eq!(
        awaiting(&both, 1).finish(None).unwrap_err(),
        Error::UnexpectedFinish("missing")
    );
    let s = session(&both, 1);
    let (_, _, r) = fresh_states(&both, 1);
    assert_eq!(
        r.respond(&s.finish).unwrap_err().code(),
        ErrorCode::WrongMessageType
    );

    let initiator_only = Config::new(Reveal::Intersection, Output::Initiator);
    assert_eq!(
        awaiting(&initiator_only, 1)
            .finish(Some(&s.finish))
            .unwrap_err()
            .code(),
        ErrorCode::UnexpectedFinish
    );
}

#[test]
fn error_messages_name_no_items() {
    let config = Config::default().with_max_peer_items(3);
    let secret_items: Vec<String> = (0..4)
        .map(|i| format!("alice.secret{i}@example.org"))
        .collect();
    let err = run(&config, &secret_items, &items("b", 2), 1).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("alice"), "{shown}");
}

// ---- deviating peers (DESIGN §8.1) ------------------------------------

/// A session of three items a side, two shared: small enough that every
/// count and length is one varint byte, so the fields sit at fixed offsets.
fn small_session(config: &Config) -> (Initiator, Vec<u8>, ResponderAwaitingFinish, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(29);
    let (i, request) = Initiator::new_with_rng(config.clone(), &["a", "b", "c"], &mut rng).unwrap();
    let r = Responder::new_with_rng(config.clone(), &["b", "c", "d"], &mut rng).unwrap();
    let (r, response) = r.respond(&request).unwrap();
    (i, request, r, response)
}

/// In a response: header (6), session id (16), two counts and the
/// comparison length (3), then the responder's public key.
const RESPONSE_KEY_AT: usize = 6 + 16 + 3;
/// Then the re-blinded values' length (one byte: 96) and the values.
const RESPONSE_RAISED_AT: usize = RESPONSE_KEY_AT + 32 + 1;
/// In a finish: header (6), session id (16), count (1), length (1).
const FINISH_RAISED_AT: usize = 6 + 16 + 2;

/// Multiplies the element at `at` by 3: the value raised to `3·k` instead
/// of `k`, as a peer that keyed one item apart would send it.
fn rekey_element(msg: &mut [u8], at: usize) {
    use curve25519_dalek::ristretto::CompressedRistretto;
    use curve25519_dalek::scalar::Scalar;
    let point = CompressedRistretto::from_slice(&msg[at..at + 32])
        .unwrap()
        .decompress()
        .expect("a valid element at the offset");
    msg[at..at + 32].copy_from_slice((point * Scalar::from(3u64)).compress().as_bytes());
}

#[test]
fn deviating_responder_reblinds_one_value_with_another_key() {
    // A responder that raises one of the initiator's values to another key
    // would make the initiator miss exactly that item; the proof catches it.
    let (_, _, _, response) = small_session(&Config::default());
    assert_eq!(response[RESPONSE_RAISED_AT - 1], 3 * 32);
    for target in 0..3 {
        let (i, _, _, _) = small_session(&Config::default());
        let mut bad = response.clone();
        rekey_element(&mut bad, RESPONSE_RAISED_AT + 32 * target);
        assert_eq!(i.finish(&bad).unwrap_err(), Error::BadProof);
    }
    // The honest response still gives the right answer.
    let (i, _, _, _) = small_session(&Config::default());
    assert_eq!(i.finish(&response).unwrap().1.indices(), &[1, 2]);
}

#[test]
fn deviating_responder_states_another_key() {
    // Raising every value consistently with a key other than the stated
    // one is refused too: the proof is against the key in the response.
    let (i, _, _, mut bad) = small_session(&Config::default());
    rekey_element(&mut bad, RESPONSE_KEY_AT);
    assert_eq!(i.finish(&bad).unwrap_err(), Error::BadProof);
}

#[test]
fn deviating_initiator_finishes_one_value_with_another_key() {
    let (i, _, r, response) = small_session(&Config::default());
    let finish = i.finish(&response).unwrap().0.unwrap();
    assert_eq!(finish[FINISH_RAISED_AT - 1], 3 * 32);
    let mut bad = finish.clone();
    rekey_element(&mut bad, FINISH_RAISED_AT + 32);
    assert_eq!(r.finish(Some(&bad)).unwrap_err(), Error::BadProof);
    // A dropped proof is refused as well.
    let (i, _, r, response) = small_session(&Config::default());
    let finish = i.finish(&response).unwrap().0.unwrap();
    let cut = &finish[..finish.len() - 1];
    assert!(r.finish(Some(cut)).unwrap_err().is_protocol_error());
}

#[test]
fn trust_peer_sessions_interoperate_and_refuse_a_verifying_peer() {
    use blindmatch::psi::Proofs;
    let trusting = Config::default().with_proofs(Proofs::TrustPeer);
    let a = items("a", 12);
    let mut b = items("a", 5);
    b.extend(items("b", 9));
    let (mine, theirs) = run(&trusting, &a, &b, 8).unwrap();
    check(&mine, Reveal::Intersection, &a, &b);
    check(theirs.as_ref().unwrap(), Reveal::Intersection, &b, &a);
    // Unproven values travel as digests: the response is smaller.
    let proven = session(&Config::default(), 8);
    let trusted = session(&trusting, 8);
    assert!(trusted.response.len() < proven.response.len());

    // A party that verifies refuses one that does not, and the reverse.
    let (_, _, r) = fresh_states(&Config::default(), 8);
    assert_eq!(
        r.respond(&trusted.request).unwrap_err().code(),
        ErrorCode::ConfigMismatch
    );
    let (_, _, r) = fresh_states(&trusting, 8);
    assert_eq!(
        r.respond(&proven.request).unwrap_err().code(),
        ErrorCode::ConfigMismatch
    );
    assert_eq!(Proofs::from_name("trust_peer").unwrap(), Proofs::TrustPeer);
    assert_eq!(
        Proofs::from_name(Proofs::Verify.name()).unwrap(),
        Proofs::Verify
    );
    assert!(Proofs::from_name("off").is_err());
}
