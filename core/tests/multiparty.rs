//! More than two agencies: results against naive counting (3 to 8
//! agencies, random thresholds, duplicates, empty sets), the refusals of
//! members and hub (foreign session, wrong hop, wrong count, replay,
//! unknown agency, double send), receipts between a member and the hub,
//! and golden vectors that the Python and JavaScript tests replay byte for
//! byte (`tests/vectors/golden_multiparty.json`; regenerate after an
//! intended wire change with
//! `BLINDMATCH_BLESS=1 cargo test -p blindmatch --test multiparty`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use blindmatch::multiparty::{Hub, Member, MultiOutcome, Session};
use blindmatch::receipt::{self, Case, Role, SigningKey};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use serde_json::{Value, json};

/// Every message of one session, in the order they were made.
#[derive(Default)]
struct Messages {
    /// `hops[owner]`: the owner's start message, then each forward's output.
    hops: Vec<Vec<Vec<u8>>>,
    commitments: Vec<Vec<u8>>,
    roster: Vec<u8>,
    tags: Vec<Vec<u8>>,
    result: Vec<u8>,
}

fn members<T: AsRef<[u8]>>(session: &Session, lists: &[Vec<T>], seed: u64) -> Vec<Member> {
    session
        .agencies()
        .iter()
        .zip(lists)
        .enumerate()
        .map(|(i, (name, items))| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed.wrapping_add(i as u64 + 1));
            Member::new_with_rng(session, name, items, &mut rng).unwrap()
        })
        .collect()
}

/// Starts every member, commits them at a new hub and hands every member
/// the roster: the first hop of each owner, the hub, and the messages.
fn opened(members: &mut [Member], session: &Session) -> (Vec<Vec<u8>>, Hub, Messages) {
    let mut messages = Messages::default();
    let first: Vec<Vec<u8>> = members.iter_mut().map(|m| m.start().unwrap()).collect();
    let mut hub = Hub::new(session.clone());
    for m in members.iter() {
        let c = m.commitment().unwrap();
        hub.commit(m.name(), &c).unwrap();
        messages.commitments.push(c);
    }
    messages.roster = hub.roster().unwrap();
    for m in members.iter_mut() {
        m.accept_roster(&messages.roster).unwrap();
    }
    (first, hub, messages)
}

/// Runs a whole session: every owner's values round the ring, the tags to
/// the hub, the result to every member.
fn run(members: &mut [Member], session: &Session) -> (Vec<MultiOutcome>, Messages, Hub) {
    let k = members.len();
    // Starts and the roster first, then the hops in rounds: the order
    // agencies work in when each forwards what arrives.
    let (mut in_flight, mut hub, mut messages) = opened(members, session);
    messages.hops = in_flight.iter().map(|m| vec![m.clone()]).collect();
    for hop in 1..k {
        for (owner, msg) in in_flight.iter_mut().enumerate() {
            let at = (owner + hop) % k;
            assert_eq!(session.route(msg).unwrap(), members[at].name());
            *msg = members[at].forward(msg).unwrap();
            messages.hops[owner].push(msg.clone());
        }
    }
    for (owner, m) in members.iter_mut().enumerate() {
        assert_eq!(session.route(&in_flight[owner]).unwrap(), m.name());
        m.complete(&in_flight[owner]).unwrap();
        assert!(m.forwarded_all());
    }
    for m in members.iter() {
        let tags = m.tags().unwrap();
        hub.add(m.name(), &tags).unwrap();
        messages.tags.push(tags);
    }
    messages.result = hub.result().unwrap();
    let outcomes = members
        .iter_mut()
        .map(|m| m.finish(&messages.result).unwrap())
        .collect();
    (outcomes, messages, hub)
}

/// Members whose values went round the ring, before the hub.
fn completed(session: &Session, lists: &[Vec<String>], seed: u64) -> Vec<Member> {
    let mut ms = members(session, lists, seed);
    let k = ms.len();
    let (mut flight, _, _) = opened(&mut ms, session);
    for hop in 1..k {
        for (owner, msg) in flight.iter_mut().enumerate() {
            *msg = ms[(owner + hop) % k].forward(msg).unwrap();
        }
    }
    for (m, msg) in ms.iter_mut().zip(&flight) {
        m.complete(msg).unwrap();
    }
    ms
}

/// The naive answer for each agency: indices of its items held (as
/// distinct values) by at least `threshold` agencies, with their counts.
fn naive(lists: &[Vec<String>], threshold: usize) -> Vec<(Vec<usize>, Vec<u8>)> {
    let sets: Vec<BTreeSet<&String>> = lists.iter().map(|l| l.iter().collect()).collect();
    let holders = |x: &String| sets.iter().filter(|s| s.contains(x)).count();
    lists
        .iter()
        .map(|l| {
            let idx: Vec<usize> = (0..l.len())
                .filter(|&i| holders(&l[i]) >= threshold)
                .collect();
            let counts = idx.iter().map(|&i| holders(&l[i]) as u8).collect();
            (idx, counts)
        })
        .collect()
}

fn lists_strategy() -> impl Strategy<Value = (Vec<Vec<String>>, usize, bool)> {
    (3usize..=8)
        .prop_flat_map(|k| {
            (
                // Small universes so that items are shared; duplicates and
                // empty lists come up by themselves.
                prop::collection::vec(prop::collection::vec(0u8..24, 0..20), k),
                2..=k,
                any::<bool>(),
            )
        })
        .prop_map(|(lists, t, counts)| {
            let lists = lists
                .into_iter()
                .map(|l| l.into_iter().map(|x| format!("id-{x}")).collect())
                .collect();
            (lists, t, counts)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn results_equal_naive_counting((lists, threshold, counts) in lists_strategy(), seed in any::<u64>()) {
        let names: Vec<String> = (0..lists.len()).map(|i| format!("agency-{i}")).collect();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let session = Session::new_with_rng(&names, threshold, &mut rng)
            .unwrap()
            .with_reveal_counts(counts);
        let session = Session::from_bytes(&session.to_bytes()).unwrap();
        let mut ms = members(&session, &lists, seed);
        let (outcomes, messages, hub) = run(&mut ms, &session);
        let expected = naive(&lists, threshold);
        let published: BTreeSet<&String> = lists
            .iter()
            .zip(&expected)
            .flat_map(|(l, (idx, _))| idx.iter().map(move |&i| &l[i]))
            .collect();
        for (i, (o, (idx, c))) in outcomes.iter().zip(&expected).enumerate() {
            prop_assert_eq!(o.indices(), &idx[..]);
            prop_assert_eq!(o.counts(), counts.then_some(&c[..]));
            let distinct: BTreeSet<&String> = idx.iter().map(|&j| &lists[i][j]).collect();
            prop_assert_eq!(o.cardinality(), distinct.len() as u64);
            prop_assert_eq!(o.record.peer_count, published.len() as u64);
            let own: BTreeSet<&String> = lists[i].iter().collect();
            prop_assert_eq!(o.record.own_count, own.len() as u64);
            // The hub's record of its exchange with each agency is the
            // agency's own, seen from the other side.
            let hubs = hub.record_for(&names[i]).unwrap();
            prop_assert_eq!(hubs.transcript, o.record.transcript);
            prop_assert_eq!(hubs.cardinality, o.record.cardinality);
            prop_assert_eq!((hubs.own_count, hubs.peer_count), (o.record.peer_count, o.record.own_count));
        }
        // Every message is named, sized and canonical.
        for m in messages.hops.iter().flatten().chain(&messages.tags).chain(&messages.commitments).chain([&messages.result, &messages.roster]) {
            prop_assert!(blindmatch::registry::inspect(m).is_ok());
        }
    }
}

fn names(k: usize) -> Vec<String> {
    ["NL", "DE", "FR", "BE", "PL", "IT", "ES", "AT"][..k]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

fn lists4() -> Vec<Vec<String>> {
    [
        &["a", "b", "c", "d"][..],
        &["b", "c", "d", "e"],
        &["c", "d", "e", "f"],
        &["d", "x", "y"],
    ]
    .iter()
    .map(|l| l.iter().map(|s| (*s).to_owned()).collect())
    .collect()
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> ErrorCode {
    r.unwrap_err().code()
}

/// A hop message as the wire carries it (`multiparty::HopMsg`), so a test
/// can play a relay that rewrites one.
#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct Hop {
    session_id: [u8; 16],
    roster: [u8; 32],
    owner: u8,
    hop: u8,
    count: u32,
    #[serde(with = "serde_bytes")]
    inputs: Vec<u8>,
    #[serde(with = "serde_bytes")]
    elements: Vec<u8>,
    #[serde(with = "serde_bytes")]
    proof: Vec<u8>,
}

impl Hop {
    fn read(bytes: &[u8]) -> Hop {
        postcard::from_bytes(&bytes[6..]).unwrap()
    }

    fn write(&self, like: &[u8]) -> Vec<u8> {
        let mut out = like[..6].to_vec();
        out.extend(postcard::to_allocvec(self).unwrap());
        out
    }
}

#[test]
fn members_refuse_foreign_misrouted_miscounted_and_replayed_messages() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let session = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let other = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let lists = lists4();
    let mut ms = members(&session, &lists, 10);
    let mut foreign = members(&other, &lists, 20);
    // A hop before the roster; the roster before start.
    let mut early = members(&session, &lists, 11);
    let early_nl = early[0].start().unwrap();
    assert_eq!(code(early[1].forward(&early_nl)), ErrorCode::InvalidState);
    assert_eq!(code(early[1].commitment()), ErrorCode::InvalidState);

    let (first, _, messages) = opened(&mut ms, &session);
    let (ofirst, _, _) = opened(&mut foreign, &other);
    let nl = first[0].clone();
    // Another session's message, at the right agency and hop.
    let stray = ofirst[0].clone();
    assert_eq!(code(ms[1].forward(&stray)), ErrorCode::SessionMismatch);
    assert_eq!(code(session.route(&stray)), ErrorCode::SessionMismatch);
    // Another session's roster; the same roster again is no change.
    assert_eq!(
        code(early[1].accept_roster(&messages.roster)),
        ErrorCode::InvalidState
    );
    ms[1].accept_roster(&messages.roster).unwrap();
    // NL's hop 1 is DE's, not FR's; nor is it NL's to complete.
    assert_eq!(code(ms[2].forward(&nl)), ErrorCode::WrongHop);
    assert_eq!(code(ms[0].complete(&nl)), ErrorCode::WrongHop);
    assert_eq!(code(ms[0].forward(&nl)), ErrorCode::WrongHop);
    // A start twice.
    assert_eq!(code(ms[0].start()), ErrorCode::InvalidState);
    // A count that disagrees with the elements.
    let mut short = nl.clone();
    short.truncate(short.len() - 32);
    assert!(ms[1].forward(&short).is_err());
    assert!(!ms[1].forwarded_all());
    // DE forwards NL's values once; the same (or any other) values of NL again are a replay.
    let hop2 = ms[1].forward(&nl).unwrap();
    assert_eq!(code(ms[1].forward(&nl)), ErrorCode::Replay);
    let hop3 = ms[2].forward(&hop2).unwrap();
    assert_eq!(code(ms[2].forward(&hop2)), ErrorCode::Replay);
    // Hop 3 is BE's; DE cannot take it again.
    assert_eq!(code(ms[1].forward(&hop3)), ErrorCode::WrongHop);
    let back = ms[3].forward(&hop3).unwrap();
    // Tags before the values are back.
    assert_eq!(code(ms[0].tags()), ErrorCode::InvalidState);
    // Back at NL: another agency cannot take it; NL completes once.
    assert_eq!(code(ms[1].forward(&back)), ErrorCode::WrongHop);
    ms[0].complete(&back).unwrap();
    assert_eq!(code(ms[0].complete(&back)), ErrorCode::Replay);
    // An owner's values that come back with another count than sent.
    let de = first[1].clone();
    let de2 = ms[2].forward(&de).unwrap();
    let de3 = ms[3].forward(&de2).unwrap();
    let de4 = ms[0].forward(&de3).unwrap();
    // BE's three values relabelled as DE's, back at DE: DE sent four.
    let mut wrong = Hop::read(&first[3]);
    assert_eq!((wrong.owner, wrong.hop, wrong.count), (3, 1, 3));
    (wrong.owner, wrong.hop) = (1, 4);
    assert_eq!(
        code(ms[1].complete(&wrong.write(&first[3]))),
        ErrorCode::CountMismatch
    );
    // An owner index out of range.
    let mut unknown = Hop::read(&de4);
    unknown.owner = 9;
    assert_eq!(
        code(ms[1].complete(&unknown.write(&de4))),
        ErrorCode::UnknownAgency
    );
    ms[1].complete(&de4).unwrap();
    // A peer set over the session's limit is refused before any work.
    let small = Session::new_with_rng(&names(3), 2, &mut rng)
        .unwrap()
        .with_max_items(2)
        .unwrap();
    assert_eq!(
        code(Member::new_with_rng(
            &small,
            "FR",
            &["p", "q", "r"],
            &mut rng
        )),
        ErrorCode::TooManyItems
    );
    let mut sm: Vec<Member> = [("NL", &["p", "q"][..]), ("DE", &["p"]), ("FR", &["q"])]
        .iter()
        .map(|(n, l)| Member::new_with_rng(&small, n, l, &mut rng).unwrap())
        .collect();
    let (sfirst, _, _) = opened(&mut sm, &small);
    assert_eq!(
        edited(&mut sm[1], &sfirst[0], |h| {
            h.count = 3;
            h.elements.extend_from_slice(&h.elements.clone()[..32]);
        }),
        ErrorCode::PeerSetTooLarge
    );
    sm[1].forward(&sfirst[0]).unwrap();
    assert_eq!(
        code(Member::new_with_rng(&small, "SE", &["p"], &mut rng)),
        ErrorCode::UnknownAgency
    );
}

/// A session of four whose members have the roster, with the first two
/// hops of NL's values.
fn relayed() -> (Vec<Member>, Vec<Vec<u8>>, Vec<u8>) {
    let (mut ms, first) = ring4();
    let hop2 = ms[1].forward(&first[0]).unwrap();
    (ms, first, hop2)
}

/// The same session before any hop (the same seeds, so the same bytes).
fn ring4() -> (Vec<Member>, Vec<Vec<u8>>) {
    let mut rng = ChaCha20Rng::seed_from_u64(70);
    let session = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let mut ms = members(&session, &lists4(), 71);
    let (first, _, _) = opened(&mut ms, &session);
    (ms, first)
}

/// What `m` says to the hop message `hop` after a relay's `edit`.
fn edited(m: &mut Member, hop: &[u8], edit: impl FnOnce(&mut Hop)) -> ErrorCode {
    let mut h = Hop::read(hop);
    edit(&mut h);
    code(m.forward(&h.write(hop)))
}

/// A guessed identifier's value, as a relay would slip it into a batch.
fn guess() -> Vec<u8> {
    blindmatch::group::hash_to_group(b"+442079460958", b"relay guess")
        .unwrap()
        .compress()
        .to_bytes()
        .to_vec()
}

#[test]
fn deviating_relay_grows_a_batch() {
    let (mut ms, first, hop2) = relayed();
    let mut fresh = ring4().0;
    // At hop 1 (to DE): one guess more, the count raised to match.
    assert_eq!(
        edited(&mut fresh[1], &first[0], |h| {
            h.count += 1;
            h.elements.extend(guess());
        }),
        ErrorCode::CountMismatch
    );
    // The count left as it was: the elements disagree with it.
    assert_eq!(
        edited(&mut fresh[1], &first[0], |h| {
            h.elements.extend(guess());
        }),
        ErrorCode::CountMismatch
    );
    // At hop 2 (to FR), in the inputs and the outputs alike.
    assert_eq!(
        edited(&mut ms[2], &hop2, |h| {
            h.count += 1;
            h.inputs.extend(guess());
            h.elements.extend(guess());
        }),
        ErrorCode::CountMismatch
    );
    // Refusals leave the member usable: the honest hop still goes through.
    ms[2].forward(&hop2).unwrap();
}

#[test]
fn deviating_relay_shrinks_a_batch() {
    let (mut ms, first, hop2) = relayed();
    let mut fresh = ring4().0;
    assert_eq!(
        edited(&mut fresh[1], &first[0], |h| {
            h.count -= 1;
            h.elements.truncate(h.elements.len() - 32);
        }),
        ErrorCode::CountMismatch
    );
    assert_eq!(
        edited(&mut ms[2], &hop2, |h| {
            h.count -= 1;
            h.inputs.truncate(h.inputs.len() - 32);
            h.elements.truncate(h.elements.len() - 32);
        }),
        ErrorCode::CountMismatch
    );
    ms[2].forward(&hop2).unwrap();
}

#[test]
fn deviating_relay_swaps_a_value() {
    let (mut ms, first, hop2) = relayed();
    let mut fresh = ring4().0;
    // A guess in place of one of NL's values at hop 1: not NL's committed batch.
    assert_eq!(
        edited(&mut fresh[1], &first[0], |h| {
            h.elements[..32].copy_from_slice(&guess());
        }),
        ErrorCode::BadProof
    );
    // Two of NL's values exchanged: the same set, another batch.
    assert_eq!(
        edited(&mut fresh[1], &first[0], |h| {
            let (a, b) = h.elements.split_at_mut(32);
            a.swap_with_slice(&mut b[..32]);
        }),
        ErrorCode::BadProof
    );
    // At hop 2: a guess among DE's outputs, or in both inputs and outputs.
    assert_eq!(
        edited(&mut ms[2], &hop2, |h| {
            h.elements[32..64].copy_from_slice(&guess());
        }),
        ErrorCode::BadProof
    );
    assert_eq!(
        edited(&mut ms[2], &hop2, |h| {
            h.inputs[..32].copy_from_slice(&guess());
            h.elements[..32].copy_from_slice(&guess());
        }),
        ErrorCode::BadProof
    );
    // The proof of another hop, or none.
    assert_eq!(
        edited(&mut ms[2], &hop2, |h| {
            h.proof.clear();
        }),
        ErrorCode::BadProof
    );
    let hop3 = ms[2].forward(&hop2).unwrap();
    assert_eq!(
        edited(&mut ms[3], &hop3, |h| {
            h.proof = Hop::read(&hop2).proof;
        }),
        ErrorCode::BadProof
    );
    ms[3].forward(&hop3).unwrap();
}

#[test]
fn deviating_relay_carries_guesses_in_another_owners_batch() {
    // A relay that takes DE's raised values out of NL's batch and sends
    // them on as FR's batch (or under another hop) is refused: the proofs
    // bind the owner and the hop, the counts are the roster's.
    let (mut ms, _, hop2) = relayed();
    // As FR's values at hop 3, which DE processes (2 + 3 = 1 mod 4): FR
    // has as many items as NL, but the proof is DE's of NL's hop 1.
    assert_eq!(
        edited(&mut ms[1], &hop2, |h| {
            h.owner = 2;
            h.hop = 3;
        }),
        ErrorCode::BadProof
    );
    let mut as_be = Hop::read(&hop2);
    as_be.owner = 3; // BE's hop 3 is processed by FR (3 + 3 = 6 = 2 mod 4)
    as_be.hop = 3;
    let err = code(ms[2].forward(&as_be.write(&hop2)));
    assert!(
        matches!(err, ErrorCode::CountMismatch | ErrorCode::BadProof),
        "{err:?}"
    );
}

#[test]
fn deviating_hub_misstates_the_roster() {
    let mut rng = ChaCha20Rng::seed_from_u64(80);
    let session = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let mut ms = members(&session, &lists4(), 81);
    let first: Vec<Vec<u8>> = ms.iter_mut().map(|m| m.start().unwrap()).collect();
    let mut hub = Hub::new(session.clone());
    // Before every commitment, no roster; a second, different commitment is a replay.
    for m in &ms[..3] {
        hub.commit(m.name(), &m.commitment().unwrap()).unwrap();
    }
    assert_eq!(code(hub.roster()), ErrorCode::InvalidState);
    assert_eq!(hub.missing(), ["BE"]);
    assert_eq!(
        code(hub.commit("BE", &ms[2].commitment().unwrap())),
        ErrorCode::UnknownAgency
    );
    hub.commit("NL", &ms[0].commitment().unwrap()).unwrap();
    let mut other = members(&session, &lists4(), 82);
    other[0].start().unwrap();
    assert_eq!(
        code(hub.commit("NL", &other[0].commitment().unwrap())),
        ErrorCode::Replay
    );
    hub.commit("BE", &ms[3].commitment().unwrap()).unwrap();
    let roster = hub.roster().unwrap();
    // A roster that states another count for NL: NL refuses it.
    let mut forged = roster.clone();
    // The counts, then two 128-byte fields behind two-byte lengths.
    let counts_at = roster.len() - (16 + 2 + 128 + 2 + 128);
    assert_eq!(roster[counts_at - 1], 16, "the counts' length prefix");
    forged[counts_at] ^= 1;
    assert_eq!(
        code(ms[0].accept_roster(&forged)),
        ErrorCode::ConfigMismatch
    );
    ms[0].accept_roster(&roster).unwrap();
    assert_eq!(code(ms[0].accept_roster(&forged)), ErrorCode::Replay);
    // DE (whose entry is right in both) takes the forged roster: the ring
    // then disagrees, and the next agency refuses DE's hop.
    ms[1].accept_roster(&forged).unwrap();
    ms[2].accept_roster(&roster).unwrap();
    ms[3].accept_roster(&roster).unwrap();
    assert_eq!(code(ms[1].forward(&first[0])), ErrorCode::CountMismatch);
    let be_hop = ms[0].forward(&first[3]).unwrap();
    assert_eq!(code(ms[1].forward(&be_hop)), ErrorCode::ConfigMismatch);
    // The hub refuses tags of another number than committed.
    let (_, messages, _) = run(&mut members(&session, &lists4(), 83), &session);
    let mut hub = Hub::new(session.clone());
    for (m, c) in names(4).iter().zip(&messages.commitments) {
        hub.commit(m, c).unwrap();
    }
    assert_eq!(
        code(hub.add("NL", &messages.tags[0])),
        ErrorCode::InvalidState
    );
    hub.roster().unwrap();
    let mut fewer = messages.tags[0].clone();
    let len = session.tag_len();
    fewer.truncate(fewer.len() - len);
    assert!(hub.add("NL", &fewer).is_err());
    hub.add("NL", &messages.tags[0]).unwrap();
}

#[test]
fn the_hub_refuses_unknown_agencies_double_sends_and_foreign_tags() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let session = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let lists = lists4();
    let mut ms = members(&session, &lists, 30);
    let (_, messages, _) = run(&mut ms, &session);
    let mut hub = Hub::new(session.clone());
    assert_eq!(code(hub.result()), ErrorCode::InvalidState);
    for (name, c) in names(4).iter().zip(&messages.commitments) {
        hub.commit(name, c).unwrap();
    }
    assert_eq!(hub.roster().unwrap(), messages.roster);
    assert_eq!(
        code(hub.add("SE", &messages.tags[0])),
        ErrorCode::UnknownAgency
    );
    // NL's tags sent as DE's.
    assert_eq!(
        code(hub.add("DE", &messages.tags[0])),
        ErrorCode::UnknownAgency
    );
    hub.add("NL", &messages.tags[0]).unwrap();
    assert_eq!(code(hub.add("NL", &messages.tags[0])), ErrorCode::Replay);
    // Tags of another session.
    let other = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let mut oms = members(&other, &lists, 40);
    let (_, omessages, _) = run(&mut oms, &other);
    assert_eq!(
        code(hub.add("DE", &omessages.tags[1])),
        ErrorCode::SessionMismatch
    );
    // Unsorted (or duplicated) tags would count one agency twice.
    let len = session.tag_len();
    let mut dup = messages.tags[1].clone();
    let end = dup.len();
    let last = dup[end - len..].to_vec();
    dup[end - 2 * len..end - len].copy_from_slice(&last);
    assert_eq!(code(hub.add("DE", &dup)), ErrorCode::Malformed);
    assert_eq!(hub.missing(), ["DE", "FR", "BE"]);
    for (i, name) in ["DE", "FR", "BE"].iter().enumerate() {
        hub.add(name, &messages.tags[i + 1]).unwrap();
    }
    assert_eq!(hub.result().unwrap(), messages.result);
    assert_eq!(
        code(hub.add("NL", &messages.tags[0])),
        ErrorCode::InvalidState
    );
    // A member refuses another session's result, a second result, and a
    // result that states counts the session hides.
    let mut fresh = members(&session, &lists, 30);
    let (_, again, _) = run(&mut fresh, &session);
    assert_eq!(again.result, messages.result);
    let mut m = members(&session, &lists, 30).remove(0);
    assert_eq!(code(m.finish(&messages.result)), ErrorCode::InvalidState);
    let mut m = completed(&session, &lists, 30).remove(0);
    assert_eq!(
        code(m.finish(&omessages.result)),
        ErrorCode::SessionMismatch
    );
    m.finish(&messages.result).unwrap();
    assert_eq!(code(m.finish(&messages.result)), ErrorCode::Replay);
}

#[test]
fn a_tampered_result_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let session = Session::new_with_rng(&names(4), 2, &mut rng).unwrap();
    let counted = session.clone().with_reveal_counts(true);
    for s in [&session, &counted] {
        let mut ms = members(s, &lists4(), 50);
        let (_, messages, _) = run(&mut ms, s);
        let fresh = || completed(s, &lists4(), 50).remove(0);
        // Every truncation, and a trailing byte, is refused.
        let r = &messages.result;
        for cut in 0..r.len() {
            assert!(fresh().finish(&r[..cut]).is_err(), "truncated at {cut}");
        }
        let mut extra = r.clone();
        extra.push(0);
        assert_eq!(code(fresh().finish(&extra)), ErrorCode::TrailingBytes);
    }
    // Counts in a result of a session that hides them.
    let mut ms = members(&counted, &lists4(), 50);
    let (_, with_counts, _) = run(&mut ms, &counted);
    let forged = with_counts.result.clone();
    let mut plain = members(&session, &lists4(), 50);
    let (_, messages, _) = run(&mut plain, &session);
    assert_ne!(forged, messages.result);
    // Same session id: only the counts (and nothing else) differ.
    let mut m = completed(&session, &lists4(), 50).remove(0);
    assert_eq!(code(m.finish(&forged)), ErrorCode::ConfigMismatch);
}

#[test]
fn sessions_are_checked_and_round_trip() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    for (agencies, t) in [(names(2), 2), (names(4), 1), (names(4), 5)] {
        assert_eq!(
            code(Session::new_with_rng(&agencies, t, &mut rng)),
            ErrorCode::InvalidConfig
        );
    }
    let many: Vec<String> = (0..65).map(|i| format!("a{i}")).collect();
    assert_eq!(
        code(Session::new_with_rng(&many, 3, &mut rng)),
        ErrorCode::InvalidConfig
    );
    assert_eq!(
        code(Session::new_with_rng(&["NL", "DE", "NL"], 2, &mut rng)),
        ErrorCode::InvalidConfig
    );
    assert_eq!(
        code(Session::new_with_rng(&["NL", "DE", "F\nR"], 2, &mut rng)),
        ErrorCode::InvalidConfig
    );
    let s = Session::new_with_rng(&many[..64], 64, &mut rng)
        .unwrap()
        .with_reveal_counts(true);
    let back = Session::from_bytes(&s.to_bytes()).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.agencies().len(), 64);
    // Tags long enough for 2^-40 over every item of the session.
    assert_eq!(s.tag_len(), 13);
    assert_eq!(s.clone().with_max_items(1 << 16).unwrap().tag_len(), 11);
}

#[test]
fn receipts_of_a_member_are_countersigned_by_the_hub() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let session = Session::new_with_rng(&names(4), 3, &mut rng).unwrap();
    let mut ms = members(&session, &lists4(), 60);
    let (outcomes, _, hub) = run(&mut ms, &session);
    let key_nl = SigningKey::from_secret_bytes(&[7; 32]).unwrap();
    let key_hub = SigningKey::from_secret_bytes(&[8; 32]).unwrap();
    let case = Case::new("EMPACT-2026-17", "Council Decision 2009/371/JHA").unwrap();
    let record = &outcomes[0].record;
    assert_eq!(record.role, Role::Member);
    let signed = receipt::sign(record, &case, &key_nl, 1_780_000_000).unwrap();
    let hub_nl = hub.record_for("NL").unwrap();
    let both = receipt::countersign(&signed, &key_hub, Some(&hub_nl), 1_780_000_060).unwrap();
    let fields = receipt::verify(&both, &[key_nl.public_key(), key_hub.public_key()]).unwrap();
    assert_eq!(fields.record, *record);
    // The hub finds the agency by the receipt's transcript.
    assert_eq!(
        hub.countersign(&signed, &key_hub, 1_780_000_060).unwrap(),
        both
    );
    let de = receipt::sign(&outcomes[1].record, &case, &key_nl, 1_780_000_000).unwrap();
    let fields = receipt::verify(
        &hub.countersign(&de, &key_hub, 1_780_000_060).unwrap(),
        &[key_nl.public_key(), key_hub.public_key()],
    )
    .unwrap();
    assert_eq!(fields.record, outcomes[1].record);
    assert_eq!(
        code(hub.countersign(&both, &key_hub, 1)),
        ErrorCode::InvalidConfig
    );
    let mut other = ms_other_record(&session);
    other.transcript[0] ^= 1;
    let stray = receipt::sign(&other, &case, &key_nl, 1).unwrap();
    assert_eq!(
        code(hub.countersign(&stray, &key_hub, 1)),
        ErrorCode::ReceiptMismatch
    );
    // The hub does not countersign NL's receipt against DE's record.
    let hub_de = hub.record_for("DE").unwrap();
    assert_eq!(
        code(receipt::countersign(
            &signed,
            &key_hub,
            Some(&hub_de),
            1_780_000_060
        )),
        ErrorCode::ReceiptMismatch
    );
}

/// A member record of another run of the same session layout.
fn ms_other_record(session: &Session) -> blindmatch::receipt::SessionRecord {
    let mut ms = members(session, &lists4(), 61);
    run(&mut ms, session).0.remove(0).record
}

// ---------------------------------------------------------------- golden

fn golden_lists() -> Vec<Vec<String>> {
    // Five agencies' suspects (e-mail, phone, IBAN, wallet); duplicates in DE and FR.
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    vec![
        s(&[
            "anna@example.org",
            "+442079460958",
            "NL91ABNA0417164300",
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
        ]),
        s(&[
            "+442079460958",
            "anna@example.org",
            "DE89370400440532013000",
            "+442079460958",
        ]),
        s(&[
            "NL91ABNA0417164300",
            "anna@example.org",
            "mario@example.it",
            "NL91ABNA0417164300",
            "+33142685300",
        ]),
        s(&[
            "+442079460958",
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
            "+33142685300",
        ]),
        s(&[]),
    ]
}

const GOLDEN_NAMES: [&str; 5] = ["NL", "DE", "FR", "BE", "PL"];

fn generate() -> Value {
    let lists = golden_lists();
    let mut sessions = Vec::new();
    for (name, k, threshold, counts, hub_seed) in [
        ("three_of_five", 5usize, 3usize, true, 0x40u8),
        ("all_of_three", 3, 3, false, 0x41),
    ] {
        let session = Session::new_with_rng(
            &GOLDEN_NAMES[..k],
            threshold,
            &mut ChaCha20Rng::from_seed([hub_seed; 32]),
        )
        .unwrap()
        .with_reveal_counts(counts);
        let seeds: Vec<u8> = (0..k as u8).map(|i| hub_seed + 0x10 + i).collect();
        let mut ms: Vec<Member> = GOLDEN_NAMES
            .iter()
            .zip(&lists)
            .zip(&seeds)
            .map(|((n, l), &seed)| {
                Member::new_with_rng(&session, n, l, &mut ChaCha20Rng::from_seed([seed; 32]))
                    .unwrap()
            })
            .collect();
        let (outcomes, messages, _) = run(&mut ms, &session);
        sessions.push(json!({
            "name": name,
            "agencies": &GOLDEN_NAMES[..k],
            "threshold": threshold,
            "reveal_counts": counts,
            "hub_rng_seed": hex::encode([hub_seed; 32]),
            "member_rng_seeds": seeds.iter().map(|&s| hex::encode([s; 32])).collect::<Vec<_>>(),
            "session": hex::encode(session.to_bytes()),
            "commitments": messages.commitments.iter().map(hex::encode).collect::<Vec<_>>(),
            "roster": hex::encode(&messages.roster),
            "hops": messages.hops.iter().map(|h| h.iter().map(hex::encode).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "tags": messages.tags.iter().map(hex::encode).collect::<Vec<_>>(),
            "result": hex::encode(&messages.result),
            "outcomes": outcomes.iter().map(|o| json!({
                "indices": o.indices(),
                "counts": o.counts(),
                "transcript": hex::encode(o.record.transcript),
            })).collect::<Vec<_>>(),
        }));
    }
    json!({
        "description": "blindmatch multi-party golden vectors: ChaCha20Rng::from_seed(seed) drives the hub's Session::new and each member's Member::new; each member starts, commitments[o] go to the hub, whose roster every member accepts; hops[o] are owner o's start message and each forward's output, in ring order; items are UTF-8 strings",
        "lists": lists,
        "sessions": sessions,
    })
}

#[test]
fn golden_vectors_are_reproduced() {
    let stored = common::golden("golden_multiparty.json", &generate());
    // The vectors state the naive answer.
    let lists = golden_lists();
    for s in stored["sessions"].as_array().unwrap() {
        let t = s["threshold"].as_u64().unwrap() as usize;
        let k = s["agencies"].as_array().unwrap().len();
        let expected = naive(&lists[..k], t);
        assert!(expected.iter().any(|(idx, _)| !idx.is_empty()));
        for (o, (idx, counts)) in s["outcomes"].as_array().unwrap().iter().zip(expected) {
            let got: Vec<usize> = serde_json::from_value(o["indices"].clone()).unwrap();
            assert_eq!(got, idx);
            if s["reveal_counts"].as_bool().unwrap() {
                let c: Vec<u8> = serde_json::from_value(o["counts"].clone()).unwrap();
                assert_eq!(c, counts);
            }
        }
    }
}
