//! Saved waiting states (DESIGN §7.4): a session saved between two steps
//! and restored (as another process would) gives the result of a session
//! that never left memory; a damaged, edited or foreign state is refused
//! with `BadState`, never a panic or a wrong result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::Error;
use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
use blindmatch::records::{Field, Kind, Options, RecordSet};
use blindmatch::state::{self, SavedSession, Waiting};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig};
use proptest::prelude::*;

fn round_trip(waiting: Waiting) -> Waiting {
    let bytes = SavedSession::new(waiting, None).to_bytes();
    SavedSession::from_bytes(&bytes).unwrap().waiting
}

fn balanced(
    reveal: Reveal,
    output: Output,
    a: &[String],
    b: &[String],
) -> (Vec<usize>, Option<Vec<usize>>, usize) {
    let config = Config::new(reveal, output);
    let (initiator, request) = Initiator::new(config.clone(), a).unwrap();
    let Waiting::Initiator(initiator) = round_trip(Waiting::Initiator(initiator)) else {
        panic!("kind changed")
    };
    let (responder, response) = Responder::new(config, b)
        .unwrap()
        .respond(&request)
        .unwrap();
    let Waiting::Responder(responder) = round_trip(Waiting::Responder(responder)) else {
        panic!("kind changed")
    };
    let (finish, mine) = initiator.finish(&response).unwrap();
    let theirs = responder.finish(finish.as_deref()).unwrap();
    (
        mine.indices().to_vec(),
        theirs.map(|m| m.indices().to_vec()),
        mine.cardinality(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_saved_balanced_session_gives_the_naive_result(
        a in proptest::collection::vec("[a-f]{1,2}", 0..24),
        b in proptest::collection::vec("[a-f]{1,2}", 0..24),
        mode in 0usize..4,
    ) {
        let reveal = [Reveal::Intersection, Reveal::Cardinality][mode % 2];
        let output = [Output::Both, Output::Initiator][mode / 2];
        let (mine, theirs, cardinality) = balanced(reveal, output, &a, &b);
        let shared: std::collections::BTreeSet<&String> = a.iter().filter(|x| b.contains(x)).collect();
        prop_assert_eq!(cardinality, shared.len());
        if reveal == Reveal::Intersection {
            let want: Vec<usize> = (0..a.len()).filter(|&i| b.contains(&a[i])).collect();
            prop_assert_eq!(mine, want);
            if let Some(theirs) = &theirs {
                let want: Vec<usize> = (0..b.len()).filter(|&i| a.contains(&b[i])).collect();
                prop_assert_eq!(theirs, &want);
            }
        }
        prop_assert_eq!(theirs.is_some(), output == Output::Both);
    }
}

#[test]
fn a_saved_client_finishes_with_labels() {
    let key = OprfKey::generate().unwrap();
    let items = ["a", "b", "c"];
    let labels = ["la", "lb", "lc"];
    let server = Server::new(
        key,
        &items,
        Some(&labels[..]),
        ServerConfig::new(Budget::Limited(10)),
    )
    .unwrap();
    let (client, query) = Client::new(&["x", "c", "a", "c"]).unwrap();
    let Waiting::Client(client) = round_trip(Waiting::Client(client)) else {
        panic!("kind changed")
    };
    let answer = server.answer(&query, "nl").unwrap();
    let found = client.finish(&answer, server.digest()).unwrap();
    assert_eq!(found.indices(), &[1, 2, 3]);
    assert_eq!(found.label(2), Some(&b"la"[..]));
}

#[test]
fn a_server_answers_from_its_key_and_digest_alone() {
    let key = OprfKey::generate().unwrap();
    let bytes = key.to_secret_bytes();
    let built = Server::new(
        key,
        &["a", "b"],
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    let again = Server::from_digest(
        OprfKey::from_secret_bytes(&*bytes).unwrap(),
        built.digest(),
        ServerConfig::new(Budget::Limited(4)),
    )
    .unwrap();
    let (client, query) = Client::with_config(
        ClientConfig::default().with_epoch(built.epoch()),
        &["b", "z"],
    )
    .unwrap();
    let answer = again.answer(&query, "nl").unwrap();
    assert_eq!(
        client.finish(&answer, built.digest()).unwrap().indices(),
        &[0]
    );
    // Another key's digest is refused; so is a budget overrun.
    let other = Server::new(
        OprfKey::generate().unwrap(),
        &["a"],
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    assert_eq!(
        Server::from_digest(
            OprfKey::from_secret_bytes(&*bytes).unwrap(),
            other.digest(),
            ServerConfig::new(Budget::Unlimited)
        )
        .unwrap_err(),
        Error::EpochMismatch
    );
    let (_, query) = Client::new(&["a", "b", "c"]).unwrap();
    assert!(matches!(
        again.answer(&query, "nl"),
        Err(Error::BudgetExceeded { .. })
    ));
}

#[test]
fn the_record_index_names_the_matched_records() {
    let mut a = RecordSet::new(Options::default());
    a.add("case-1", &[Field::new(Kind::Email, "x@example.com")]);
    a.add(
        "case-2",
        &[
            Field::new(Kind::Email, "y@example.com"),
            Field::new(Kind::Ip, "10.0.0.1"),
        ],
    );
    let mut b = RecordSet::new(Options::default());
    b.add("other", &[Field::new(Kind::Ip, "10.0.0.1")]);
    let config = Config::default().with_profile(a.profile());
    let (initiator, request) = Initiator::new(config.clone(), a.keys()).unwrap();
    let saved = SavedSession::new(Waiting::Initiator(initiator), Some(a.index())).to_bytes();
    drop(a);
    let (_, response) = Responder::new(config.with_profile(b.profile()), b.keys())
        .unwrap()
        .respond(&request)
        .unwrap();
    let restored = SavedSession::from_bytes(&saved).unwrap();
    let Waiting::Initiator(initiator) = restored.waiting else {
        panic!()
    };
    let (_, mine) = initiator.finish(&response).unwrap();
    let named = restored.records.unwrap().record_matches_at(mine.indices());
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].record_id, "case-2");
    assert_eq!(named[0].kinds, ["ip"]);
}

fn sample() -> Vec<u8> {
    let (initiator, _) = Initiator::new(Config::default(), &["a", "b", "a"]).unwrap();
    SavedSession::new(Waiting::Initiator(initiator), None)
        .to_bytes()
        .to_vec()
}

#[test]
fn damaged_states_are_refused_without_panicking() {
    let bytes = sample();
    for len in 0..bytes.len() {
        assert!(
            matches!(
                SavedSession::from_bytes(&bytes[..len]),
                Err(Error::BadState(_))
            ),
            "prefix {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        SavedSession::from_bytes(&longer).unwrap_err(),
        Error::BadState("trailing bytes")
    );
    let mut version = bytes.clone();
    version[4] = 2;
    assert!(matches!(
        SavedSession::from_bytes(&version),
        Err(Error::BadState(_))
    ));
    // Every single-byte change either is refused or yields a state (a
    // changed session id or transcript is caught by the protocol later);
    // none panics.
    for at in 0..bytes.len() {
        for bit in [1u8, 0x80] {
            let mut changed = bytes.clone();
            changed[at] ^= bit;
            let _ = SavedSession::from_bytes(&changed);
        }
    }
    // A message is not a state.
    let (_, request) = Initiator::new(Config::default(), &["a"]).unwrap();
    assert!(matches!(
        SavedSession::from_bytes(&request),
        Err(Error::BadState(_))
    ));
}

#[test]
fn a_state_shows_no_secret_in_debug() {
    let (initiator, _) = Initiator::new(Config::default(), &["secret-identifier"]).unwrap();
    let saved = SavedSession::new(Waiting::Initiator(initiator), None);
    let shown = format!("{saved:?}");
    assert!(
        shown.contains("psi-initiator") && !shown.contains("secret-identifier"),
        "{shown}"
    );
    let (client, _) = Client::new(&["secret-identifier"]).unwrap();
    let bytes = SavedSession::new(Waiting::Client(client), None).to_bytes();
    let shown = format!("{:?}", SavedSession::from_bytes(&bytes).unwrap());
    assert!(!shown.contains("secret-identifier"), "{shown}");
    // A sealed state does not show the items it holds.
    let sealed = state::seal(&bytes, b"pw").unwrap();
    assert!(!sealed.windows(17).any(|w| w == b"secret-identifier"));
}

#[test]
fn a_partitioned_coordinator_keeps_its_secret_items_and_parts() {
    use blindmatch::partition::{self, PartInfo, PartKind, PartySecret};
    let items: Vec<Vec<u8>> = vec![b"a".to_vec(), b"b".to_vec()];
    let mut a = PartySecret::initiator(Config::default(), 1).unwrap();
    let request = partition::request_part(&a, 0, &items).unwrap();
    let manifest = a
        .manifest(PartKind::Request, &[PartInfo::of(&request).unwrap()])
        .unwrap();
    let b = PartySecret::responder(Config::default(), 1, &manifest).unwrap();
    let kept = partition::elements_part(&b, 0, &items).unwrap();
    let secret = b.to_secret_bytes();
    let saved = SavedSession::new(
        Waiting::Partitioned(state::PartitionedParty::new(
            b,
            items.clone(),
            vec![kept.clone()],
        )),
        None,
    )
    .to_bytes();
    let Waiting::Partitioned(back) = SavedSession::from_bytes(&saved).unwrap().waiting else {
        panic!("kind changed")
    };
    assert_eq!(*back.secret.to_secret_bytes(), *secret);
    assert_eq!(
        (back.items.clone(), back.kept.clone()),
        (items.clone(), vec![kept])
    );
    // A kept part of another session is refused.
    let other = PartySecret::initiator(Config::default(), 1).unwrap();
    let foreign = partition::request_part(&other, 0, &items).unwrap();
    let a2 = PartySecret::initiator(Config::default(), 1).unwrap();
    let bytes = SavedSession::new(
        Waiting::Partitioned(state::PartitionedParty::new(a2, items, vec![foreign])),
        None,
    )
    .to_bytes();
    assert_eq!(
        SavedSession::from_bytes(&bytes).unwrap_err(),
        Error::BadState("a kept part belongs to another session")
    );
}
