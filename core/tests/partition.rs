//! Partitioned sessions (DESIGN §7.2): the results equal the one-process
//! protocol's for every split, and parts out of place are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use blindmatch::partition::{
    self, PartInfo, PartKind, PartySecret, count_part, elements_part, finish_part, join,
    matches_part, mix_part, reblind_part, request_part,
};
use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;

/// One party's result: sorted matched indices into its items, and the count.
type Outcome = (Vec<usize>, u64);

/// Splits `items` by the secret's keyed hash: per part, the original
/// indices and the values.
fn split(secret: &PartySecret, items: &[Vec<u8>]) -> Vec<(Vec<usize>, Vec<Vec<u8>>)> {
    let mut parts = vec![(Vec::new(), Vec::new()); secret.parts() as usize];
    for (i, item) in items.iter().enumerate() {
        let p = secret.part_of(item) as usize;
        parts[p].0.push(i);
        parts[p].1.push(item.clone());
    }
    parts
}

/// `step` over every part, in order (the part's index and the part).
fn each<T>(parts: &[T], step: impl Fn(u32, &T) -> blindmatch::Result<Vec<u8>>) -> Vec<Vec<u8>> {
    (0u32..)
        .zip(parts)
        .map(|(i, part)| step(i, part).unwrap())
        .collect()
}

fn infos(parts: &[Vec<u8>]) -> Vec<PartInfo> {
    parts.iter().map(|p| PartInfo::of(p).unwrap()).collect()
}

/// Runs a whole partitioned session on one machine, the way two engines
/// would, every message as bytes; returns both parties' results (the
/// responder's `None` when it learns nothing).
fn run(
    config: &Config,
    a: &[Vec<u8>],
    b: &[Vec<u8>],
    p_i: u32,
    p_r: u32,
) -> (Outcome, Option<Outcome>) {
    let cardinality = config.reveal == Reveal::Cardinality;
    // Initiator: request parts and manifest.
    let mut si = PartySecret::initiator(config.clone(), p_i).unwrap();
    // Workers get the secret as bytes.
    let worker_i = PartySecret::from_secret_bytes(&si.to_secret_bytes()).unwrap();
    let a_parts = split(&worker_i, a);
    let request = each(&a_parts, |i, (_, items)| request_part(&worker_i, i, items));
    let request_manifest = si.manifest(PartKind::Request, &infos(&request)).unwrap();

    // Responder: its secret from the request manifest, its elements, the reblinded parts.
    let mut sr = PartySecret::responder(config.clone(), p_r, &request_manifest).unwrap();
    let b_parts = split(&sr, b);
    let elements = each(&b_parts, |j, (_, items)| elements_part(&sr, j, items));
    let elements_manifest = sr.manifest(PartKind::Elements, &infos(&elements)).unwrap();
    let worker_r = PartySecret::from_secret_bytes(&sr.to_secret_bytes()).unwrap();
    let aligned = each(&request, |i, part| reblind_part(&worker_r, i, part));
    // In cardinality mode the aligned parts are mixed into the peer's buckets.
    let mixed = |secret: &PartySecret, kind, aligned: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        if !cardinality {
            return aligned;
        }
        let refs: Vec<&[u8]> = aligned.iter().map(Vec::as_slice).collect();
        (0..p_i)
            .map(|k| mix_part(secret, kind, k, &refs).unwrap())
            .collect()
    };
    let reblinded = mixed(&worker_r, PartKind::Reblinded, aligned);
    let reblinded_manifest = sr
        .manifest(PartKind::Reblinded, &infos(&reblinded))
        .unwrap();

    // Initiator: accepts, finishes, joins.
    si.accept(&elements_manifest).unwrap();
    si.accept(&reblinded_manifest).unwrap();
    let aligned = each(&elements, |j, part| finish_part(&si, j, part));
    let finish = mixed(&si, PartKind::Finish, aligned);
    let finish_manifest = si.manifest(PartKind::Finish, &infos(&finish)).unwrap();

    let result = |secret: &PartySecret, own: &[(Vec<usize>, Vec<Vec<u8>>)]| -> Outcome {
        if cardinality {
            let n = (0..p_i)
                .map(|k| {
                    count_part(secret, k, &reblinded[k as usize], &finish[k as usize]).unwrap()
                })
                .sum();
            return (Vec::new(), n);
        }
        let flags = join(secret, 3, |kind, i| {
            Ok(match kind {
                PartKind::Reblinded => reblinded[i as usize].clone(),
                _ => finish[i as usize].clone(),
            })
        })
        .unwrap();
        let mut matched = Vec::new();
        let mut distinct = BTreeSet::new();
        for (i, (ids, items)) in own.iter().enumerate() {
            for at in matches_part(secret, i as u32, items, &flags[i]).unwrap() {
                matched.push(ids[at]);
                distinct.insert(items[at].clone());
            }
        }
        matched.sort_unstable();
        (matched, distinct.len() as u64)
    };
    let mine = result(&si, &a_parts);
    let theirs = match config.output {
        Output::Initiator => {
            assert_eq!(
                sr.accept(&finish_manifest).unwrap_err().code(),
                ErrorCode::UnexpectedFinish
            );
            None
        }
        Output::Both => {
            sr.accept(&finish_manifest).unwrap();
            Some(result(&sr, &b_parts))
        }
    };
    (mine, theirs)
}

/// The one-process protocol's results on the same items.
fn one_process(config: &Config, a: &[Vec<u8>], b: &[Vec<u8>]) -> (Outcome, Option<Outcome>) {
    let (i, request) = Initiator::new(config.clone(), a).unwrap();
    let (r, response) = Responder::new(config.clone(), b)
        .unwrap()
        .respond(&request)
        .unwrap();
    let (finish, mine) = i.finish(&response).unwrap();
    let theirs = r.finish(finish.as_deref()).unwrap();
    (
        (mine.indices().to_vec(), mine.cardinality() as u64),
        theirs.map(|m| (m.indices().to_vec(), m.cardinality() as u64)),
    )
}

fn configs() -> [Config; 4] {
    [
        Config::new(Reveal::Intersection, Output::Both),
        Config::new(Reveal::Intersection, Output::Initiator),
        Config::new(Reveal::Cardinality, Output::Both),
        Config::new(Reveal::Cardinality, Output::Initiator),
    ]
}

fn words(n: usize, offset: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("item {}", i + offset).into_bytes())
        .collect()
}

#[test]
fn partition_results_equal_one_process_for_every_split_and_mode() {
    // Duplicates on both sides, and (with 64 parts for 40 items) empty parts.
    let mut a = words(40, 0);
    a.extend(words(5, 10));
    let mut b = words(30, 25);
    b.extend(words(3, 30));
    for config in configs() {
        let expected = one_process(&config, &a, &b);
        for (p_i, p_r) in [(1, 1), (2, 3), (3, 7), (7, 2), (64, 64), (1, 64)] {
            assert_eq!(
                run(&config, &a, &b, p_i, p_r),
                expected,
                "{config:?} P = {p_i}, {p_r}"
            );
        }
    }
}

#[test]
fn partition_handles_empty_sets() {
    for config in configs() {
        for (a, b) in [
            (vec![], words(5, 0)),
            (words(5, 0), vec![]),
            (vec![], vec![]),
        ] {
            assert_eq!(run(&config, &a, &b, 3, 2), one_process(&config, &a, &b));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn partition_equals_one_process_on_random_sets(
        a in proptest::collection::vec(0u16..120, 0..60),
        b in proptest::collection::vec(0u16..120, 0..60),
        p_i in prop::sample::select(vec![1u32, 2, 3, 7, 64]),
        p_r in prop::sample::select(vec![1u32, 2, 3, 7, 64]),
        mode in 0usize..4,
    ) {
        let a: Vec<Vec<u8>> = a.iter().map(|x| x.to_be_bytes().to_vec()).collect();
        let b: Vec<Vec<u8>> = b.iter().map(|x| x.to_be_bytes().to_vec()).collect();
        let config = configs()[mode].clone();
        prop_assert_eq!(run(&config, &a, &b, p_i, p_r), one_process(&config, &a, &b));
    }
}

/// A session up to the responder's reblinding, for the tamper tests.
struct Started {
    si: PartySecret,
    sr: PartySecret,
    request: Vec<Vec<u8>>,
    elements: Vec<Vec<u8>>,
    /// The request and elements manifests.
    manifests: (Vec<u8>, Vec<u8>),
}

fn started(config: Config) -> Started {
    let a = words(50, 0);
    let b = words(50, 20);
    let mut si = PartySecret::initiator(config.clone(), 4).unwrap();
    let a_parts = split(&si, &a);
    let request = each(&a_parts, |i, (_, items)| request_part(&si, i, items));
    let m = si.manifest(PartKind::Request, &infos(&request)).unwrap();
    let mut sr = PartySecret::responder(config, 3, &m).unwrap();
    let elements: Vec<Vec<u8>> = split(&sr, &b)
        .iter()
        .enumerate()
        .map(|(j, (_, items))| elements_part(&sr, j as u32, items).unwrap())
        .collect();
    let em = sr.manifest(PartKind::Elements, &infos(&elements)).unwrap();
    si.accept(&em).unwrap();
    Started {
        si,
        sr,
        request,
        elements,
        manifests: (m, em),
    }
}

#[test]
fn partition_refuses_missing_duplicated_reordered_and_foreign_parts() {
    let s = started(Config::default());
    // Reordered: part 1's bytes given as part 2.
    assert_eq!(
        reblind_part(&s.sr, 2, &s.request[1]).unwrap_err(),
        Error::PartMismatch("a part out of its place")
    );
    // Foreign: a part of another session.
    let other = started(Config::default());
    assert_eq!(
        reblind_part(&s.sr, 1, &other.request[1]).unwrap_err(),
        Error::SessionMismatch
    );
    // A part of another kind.
    assert_eq!(
        finish_part(&s.si, 0, &s.request[0]).unwrap_err().code(),
        ErrorCode::PartMismatch
    );
    // A part altered after its manifest was made (a flipped element byte).
    let mut altered = s.request[0].clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert!(reblind_part(&s.sr, 0, &altered).is_err());
    // A manifest built from a list with a part missing or given twice.
    let mut si = PartySecret::initiator(Config::default(), 3).unwrap();
    let parts: Vec<Vec<u8>> = (0..3)
        .map(|i| request_part(&si, i, &[] as &[&[u8]]).unwrap())
        .collect();
    let mut list = infos(&parts);
    list.remove(1);
    assert_eq!(
        si.manifest(PartKind::Request, &list).unwrap_err(),
        Error::MissingPart { index: 1 }
    );
    let mut list = infos(&parts);
    list[2] = list[0];
    assert_eq!(
        si.manifest(PartKind::Request, &list).unwrap_err(),
        Error::DuplicatePart { index: 0 }
    );
    // An item the engine put in the wrong part.
    let item = b"x".to_vec();
    let wrong = (si.part_of(&item) + 1) % 3;
    assert_eq!(
        request_part(&si, wrong, &[item]).unwrap_err().code(),
        ErrorCode::PartMismatch
    );
}

#[test]
fn partition_checks_sizes_and_modes_before_any_group_operation() {
    let mut si = PartySecret::initiator(Config::new(Reveal::Cardinality, Output::Both), 2).unwrap();
    let parts: Vec<Vec<u8>> = (0..2u32)
        .map(|i| {
            let items: Vec<Vec<u8>> = words(30, 0)
                .into_iter()
                .filter(|x| si.part_of(x) == i)
                .collect();
            request_part(&si, i, &items).unwrap()
        })
        .collect();
    let m = si.manifest(PartKind::Request, &infos(&parts)).unwrap();
    assert_eq!(
        PartySecret::responder(Config::default(), 2, &m)
            .unwrap_err()
            .code(),
        ErrorCode::ConfigMismatch
    );
    let small = Config::new(Reveal::Cardinality, Output::Both).with_max_peer_items(10);
    assert_eq!(
        PartySecret::responder(small, 2, &m).unwrap_err(),
        Error::PeerSetTooLarge { count: 30, max: 10 }
    );
    // A manifest of another step is not a request.
    let s = started(Config::default());
    let mut sr = s.sr;
    let em = sr
        .manifest(PartKind::Elements, &infos(&s.elements))
        .unwrap();
    assert_eq!(
        PartySecret::responder(Config::default(), 2, &em).unwrap_err(),
        Error::PartMismatch("not a request manifest")
    );
    assert!(PartySecret::initiator(Config::default(), 0).is_err());
    assert!(PartySecret::initiator(Config::default(), partition::MAX_PARTS + 1).is_err());
}

#[test]
fn partition_secrets_round_trip_and_stay_redacted() {
    let s = started(Config::default());
    let bytes = s.sr.to_secret_bytes();
    let back = PartySecret::from_secret_bytes(&bytes).unwrap();
    assert_eq!(back.to_secret_bytes(), bytes);
    let debug = format!("{:?}", s.sr);
    assert!(
        debug.contains("Responder") && !debug.contains("half"),
        "{debug}"
    );
    assert!(PartySecret::from_secret_bytes(&bytes[..bytes.len() - 1]).is_err());
    // The same parts through a reloaded secret give the same bytes.
    let a = reblind_part(&s.sr, 0, &s.request[0]).unwrap();
    assert_eq!(reblind_part(&back, 0, &s.request[0]).unwrap(), a);
    assert_eq!(s.elements.len(), 3);
}

#[test]
fn partition_mixed_parts_do_not_follow_the_peers_parts() {
    // Cardinality: every mixed bucket holds values from many request parts,
    // sorted, so the initiator cannot count matches per part.
    let s = started(Config::new(Reveal::Cardinality, Output::Both));
    let mut sr = s.sr;
    let aligned: Vec<Vec<u8>> = s
        .request
        .iter()
        .enumerate()
        .map(|(i, p)| reblind_part(&sr, i as u32, p).unwrap())
        .collect();
    let refs: Vec<&[u8]> = aligned.iter().map(Vec::as_slice).collect();
    let mixed: Vec<Vec<u8>> = (0..4)
        .map(|k| mix_part(&sr, PartKind::Reblinded, k, &refs).unwrap())
        .collect();
    let total: u32 = infos(&mixed).iter().map(|i| i.count).sum();
    assert_eq!(total, 50);
    sr.manifest(PartKind::Reblinded, &infos(&mixed)).unwrap();
    // Mixing is refused in intersection mode.
    let s2 = started(Config::default());
    let aligned = reblind_part(&s2.sr, 0, &s2.request[0]).unwrap();
    assert_eq!(
        mix_part(&s2.sr, PartKind::Reblinded, 0, &[&aligned])
            .unwrap_err()
            .code(),
        ErrorCode::InvalidConfig
    );
}

#[test]
fn partition_bundles_carry_manifests_and_parts_only() {
    let s = started(Config::default());
    let messages: Vec<&[u8]> = s.request.iter().map(Vec::as_slice).collect();
    let packed = partition::bundle(&messages).unwrap();
    assert_eq!(
        blindmatch::wire::message_type(&packed).unwrap().name(),
        "bundle"
    );
    assert_eq!(partition::unbundle(&packed).unwrap(), messages);
    assert_eq!(
        partition::kind_of(&s.request[0]).unwrap(),
        PartKind::Request
    );
    assert_eq!(
        partition::kind_of(&s.elements[0]).unwrap(),
        PartKind::Elements
    );
    // A whole-session message is not a part.
    let (_, request) = Initiator::new(Config::default(), &["a"]).unwrap();
    assert_eq!(
        partition::bundle(&[&request]).unwrap_err().code(),
        ErrorCode::WrongMessageType
    );
    assert_eq!(
        partition::kind_of(&request).unwrap_err().code(),
        ErrorCode::WrongMessageType
    );
    let mut bad = packed.clone();
    bad.truncate(bad.len() - 1);
    assert!(partition::unbundle(&bad).is_err());
}

#[test]
fn partition_part_counts_follow_the_manifests() {
    for config in configs() {
        let s = started(config.clone());
        // The responder knows the request's count from its manifest, and
        // its own reblinded step has one part (or bucket) per request part.
        assert_eq!(s.sr.part_count(PartKind::Request).unwrap(), 4);
        assert_eq!(s.sr.part_count(PartKind::Elements).unwrap(), 3);
        assert_eq!(s.sr.part_count(PartKind::Reblinded).unwrap(), 4);
        // The initiator's finish step: one part per elements part, or one
        // bucket per request part in cardinality mode.
        let finish = if config.reveal == Reveal::Cardinality {
            4
        } else {
            3
        };
        assert_eq!(s.si.part_count(PartKind::Finish).unwrap(), finish);
        assert_eq!(s.si.part_count(PartKind::Elements).unwrap(), 3);
        // The reblinded manifest has not been accepted yet.
        let err = s.si.part_count(PartKind::Reblinded).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        // Before the peer's elements, the responder's finish count is unknown.
        let fresh = PartySecret::initiator(config, 2).unwrap();
        assert_eq!(fresh.part_count(PartKind::Request).unwrap(), 2);
        assert!(fresh.part_count(PartKind::Finish).is_err());
        assert!(fresh.part_count(PartKind::Elements).is_err());
    }
}

/// A responder that sends a second elements manifest (another list) after
/// the initiator accepted the first, to learn the initiator's matches
/// against it too: refused as a replay; the same bytes again (an engine's
/// retry) change nothing, and the saved secret keeps the rule.
#[test]
fn deviating_responder_re_finishes_against_another_list() {
    let config = Config::default();
    let Started {
        mut si,
        elements,
        manifests: (request_manifest, em),
        ..
    } = started(config.clone());
    // A second responder secret over the same request: another list.
    let mut other = PartySecret::responder(config, 3, &request_manifest).unwrap();
    let others: Vec<Vec<u8>> = split(&other, &words(50, 200))
        .iter()
        .enumerate()
        .map(|(j, (_, items))| elements_part(&other, j as u32, items).unwrap())
        .collect();
    let other_em = other.manifest(PartKind::Elements, &infos(&others)).unwrap();
    assert_ne!(other_em, em);
    assert_eq!(si.accept(&other_em).unwrap_err().code(), ErrorCode::Replay);
    // The retry of the same manifest is idempotent, and the parts of the
    // first list still finish.
    si.accept(&em).unwrap();
    finish_part(&si, 0, &elements[0]).unwrap();
    assert!(finish_part(&si, 0, &others[0]).is_err());
    // A worker's copy of the secret refuses the other manifest too.
    let mut copy = PartySecret::from_secret_bytes(&si.to_secret_bytes()).unwrap();
    assert_eq!(
        copy.accept(&other_em).unwrap_err().code(),
        ErrorCode::Replay
    );
}
