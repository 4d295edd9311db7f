//! The one session machine ([`blindmatch::session::party::Party`]): every
//! role of every protocol driven by the same loop gives what the type
//! states give, refuses a message it does not expect before reading it,
//! and saves where its protocol has a saved form.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use blindmatch::budget::{Budget, BudgetStore, MemoryBudgets};
use blindmatch::multiparty::{Hub, Member, Session};
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{self, Config, Initiator, Output, Responder, Reveal};
use blindmatch::registry::parties::{
    PsiResponder, Served, SumInitiator, SumResponder, WatchlistQuery,
};
use blindmatch::session::party::{Concluded, Party, exchange};
use blindmatch::state::{SavedSession, Waiting};
use blindmatch::sum::{self, Column, RevealSumTo, SumConfig};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch::wire::{MessageType, message_type};
use blindmatch::{Error, ErrorCode};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

fn ids(prefix: &str, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn balanced_psi_through_the_machine_equals_the_type_states() {
    let a = ids("x", 0..40);
    let b = ids("x", 25..70);
    for output in [Output::Initiator, Output::Both] {
        for reveal in [Reveal::Intersection, Reveal::Cardinality] {
            let config = Config::new(reveal, output);
            // The type states, by hand.
            let (i, request) = Initiator::new_with_rng(config.clone(), &a, &mut rng(1)).unwrap();
            let r = Responder::new_with_rng(config.clone(), &b, &mut rng(2)).unwrap();
            let (r, response) = r.respond(&request).unwrap();
            let by_hand = i.conclude(&response).unwrap();
            let theirs_by_hand = r.conclude(by_hand.finish.as_deref()).unwrap();

            // The same parties, from the same seeds, through the machine.
            let (i, request) = Initiator::new_with_rng(config.clone(), &a, &mut rng(1)).unwrap();
            let r = PsiResponder::from(
                Responder::new_with_rng(config.clone(), &b, &mut rng(2)).unwrap(),
            );
            assert_eq!(r.expects(), &[MessageType::PsiRequest]);
            let (mine, theirs) = exchange(i, request, r).unwrap();
            assert_eq!(mine.matches.indices(), by_hand.matches.indices());
            assert_eq!(mine.matches.cardinality(), 15);
            assert_eq!(
                theirs.matches.as_ref().map(psi::Matches::cardinality),
                theirs_by_hand
                    .matches
                    .as_ref()
                    .map(psi::Matches::cardinality),
            );
            assert_eq!(theirs.matches.is_some(), output == Output::Both);
            assert_eq!(mine.record(), Some(&by_hand.record));
            assert_eq!(theirs.record(), Some(&theirs_by_hand.record));
        }
    }
}

#[test]
fn a_message_of_another_kind_is_refused_before_it_is_read() {
    let (_, sum_request) = sum::Initiator::new_with_rng(
        SumConfig::new(RevealSumTo::Both),
        &ids("x", 0..3),
        &mut rng(3),
    )
    .unwrap();
    let r = PsiResponder::from(Responder::new(Config::default(), &ids("x", 0..3)).unwrap());
    let refused = r.consume(&sum_request).unwrap_err();
    assert_eq!(refused.error.code(), ErrorCode::WrongMessageType);
    // Refused before any step read it: the responder is there to go on.
    let r = refused.party.expect("kept");
    let (_, request) = Initiator::new(Config::default(), &ids("x", 0..3)).unwrap();
    assert!(r.consume(&request).unwrap().next.is_some());

    // A member that has not started expects nothing at all.
    let session = Session::new_with_rng(&["a", "b", "c"], 2, &mut rng(4)).unwrap();
    let member = Member::new(&session, "a", &ids("x", 0..3)).unwrap();
    assert!(member.expects().is_empty());
    let (_, request) = Initiator::new(Config::default(), &ids("x", 0..3)).unwrap();
    let refused = member.consume(&request).unwrap_err();
    assert_eq!(refused.error.code(), ErrorCode::InvalidState);
    assert!(refused.party.is_some());

    // A bad message of the expected kind ends a two-party session.
    let (i, request) = Initiator::new(Config::default(), &ids("x", 0..3)).unwrap();
    let (_, response) = Responder::new(Config::default(), &ids("x", 0..3))
        .unwrap()
        .respond(&request)
        .unwrap();
    let refused = i.consume(&response[..response.len() - 1]).unwrap_err();
    assert!(refused.party.is_none());
}

#[test]
fn a_responder_saved_between_two_messages_finishes_in_another_process() {
    let config = Config::new(Reveal::Intersection, Output::Both);
    let (i, request) =
        Initiator::new_with_rng(config.clone(), &ids("x", 0..10), &mut rng(5)).unwrap();
    let r =
        PsiResponder::from(Responder::new_with_rng(config, &ids("x", 5..20), &mut rng(6)).unwrap());
    assert_eq!(r.save().unwrap_err().code(), ErrorCode::InvalidState);
    let step = r.consume(&request).unwrap();
    let r = step.next.expect("waits for the finish");
    assert_eq!(r.expects(), &[MessageType::PsiFinish]);

    // The machine's bytes are the saved-state format every tool reads.
    let saved = r.save().unwrap();
    let saved_initiator = i.save().unwrap();
    let Waiting::Responder(restored) = SavedSession::from_bytes(&saved).unwrap().waiting else {
        panic!("a responder's state")
    };
    let Waiting::Initiator(i) = SavedSession::from_bytes(&saved_initiator).unwrap().waiting else {
        panic!("an initiator's state")
    };
    let finished = i.consume(&step.send[0]).unwrap();
    assert!(finished.next.is_none());
    let theirs = PsiResponder::Finish(Box::new(restored))
        .consume(&finished.send[0])
        .unwrap();
    let theirs = theirs.outcome.unwrap();
    assert_eq!(theirs.matches.unwrap().cardinality(), 5);
    assert_eq!(
        theirs.record.transcript,
        finished.outcome.unwrap().record.transcript
    );
}

#[test]
fn intersection_sums_through_the_machine_equal_the_type_states() {
    let a = ids("x", 0..30);
    let b = ids("x", 10..50);
    let columns = [Column {
        name: "amount".into(),
        values: (0..40).map(|v| v * 3 + 1).collect(),
    }];
    for reveal in [RevealSumTo::Both, RevealSumTo::Responder] {
        let config = SumConfig::new(reveal);
        let mut seeded = rng(7);
        let (i, request) = sum::Initiator::new_with_rng(config.clone(), &a, &mut seeded).unwrap();
        let r = sum::Responder::new_with_rng(config.clone(), &b, &columns, &mut seeded).unwrap();
        let (r, response) = r.respond(&request).unwrap();
        let (i, finish) = i.finish(&response).unwrap();
        let (result, theirs_by_hand) = r.finish(&finish).unwrap();
        let mine_by_hand = i.result(result.as_deref()).unwrap();

        let mut seeded = rng(7);
        let (i, request) = sum::Initiator::new_with_rng(config.clone(), &a, &mut seeded).unwrap();
        let r = sum::Responder::new_with_rng(config, &b, &columns, &mut seeded).unwrap();
        let (mine, theirs) =
            exchange(SumInitiator::from(i), request, SumResponder::from(r)).unwrap();
        assert_eq!(mine, mine_by_hand);
        assert_eq!(theirs, theirs_by_hand);
        assert_eq!(mine.cardinality, 20);
        assert_eq!(mine.sums.is_some(), reveal == RevealSumTo::Both);
        // The machine hands the record on, for a receipt and the ledger.
        assert_eq!(Concluded::record(&mine), Some(&mine.record));
        assert_eq!(mine.record.transcript, theirs.record.transcript);
    }
}

#[test]
fn the_watch_list_server_answers_only_a_named_client() {
    let key = OprfKey::derive(&[9; 32], b"party tests").unwrap();
    let server = Server::new(
        key,
        &ids("w", 0..50),
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    let (client, query) =
        Client::new_with_rng(ClientConfig::default(), &ids("w", 45..60), &mut rng(8)).unwrap();
    let served = Served::from(&server);
    assert_eq!(
        served.consume(&query).unwrap_err().error.code(),
        ErrorCode::InvalidState
    );
    // A query the server refuses leaves it serving.
    let refused = served
        .consume_from("agency-b", &query[..query.len() - 1])
        .unwrap_err();
    assert!(refused.party.is_some());
    let step = served.consume_from("agency-b", &query).unwrap();
    assert!(step.next.is_some(), "a server goes on answering");
    // With the budgets in a store of the caller's (a ledger, in the
    // command and the service), the store is charged, not the server.
    let limited = Server::new(
        OprfKey::derive(&[9; 32], b"party tests").unwrap(),
        &ids("w", 0..50),
        None::<&[&[u8]]>,
        ServerConfig::new(Budget::Limited(20)),
    )
    .unwrap();
    let store = MemoryBudgets::new();
    let from_store = Served::with_budgets(&limited, &store);
    let answered = from_store.consume_from("agency-b", &query).unwrap();
    assert_eq!(answered.send.len(), 1);
    assert_eq!(store.spent(&limited.epoch(), "agency-b").unwrap(), 15);
    assert_eq!(limited.remaining_budget("agency-b").unwrap(), Some(20));
    let refused = from_store.consume_from("agency-b", &query).unwrap_err();
    assert_eq!(refused.error.code(), ErrorCode::BudgetExceeded);
    let digest = SetDigest::from_bytes(server.digest()).unwrap();
    let query = WatchlistQuery::new(client, digest);
    let done = query.consume(&step.send[0]).unwrap();
    let matches = done.outcome.unwrap();
    assert_eq!(matches.indices(), &[0, 1, 2, 3, 4]);
    assert_eq!(
        Concluded::record(&matches).unwrap().session_id,
        matches.record().session_id
    );
}

/// Routes every message of a multi-party session through the machine: hop
/// messages to the agency [`Session::route`] names, commitments and tags to
/// the hub with their sender's name, roster and result to every member.
#[test]
fn a_multi_party_session_runs_on_one_loop() {
    let names = ["a", "b", "c", "d"];
    let session = Session::new_with_rng(&names, 3, &mut rng(10)).unwrap();
    let lists = [
        ids("x", 0..20),
        ids("x", 5..25),
        ids("x", 10..30),
        ids("x", 0..12),
    ];
    let mut members: Vec<Option<Member>> = Vec::new();
    let mut queue: VecDeque<(usize, Vec<u8>)> = VecDeque::new();
    for (i, (name, items)) in names.iter().zip(&lists).enumerate() {
        let mut m = Member::new_with_rng(&session, name, items, &mut rng(11 + i as u64)).unwrap();
        let hop = m.start().unwrap();
        queue.push_back((i, m.commitment().unwrap()));
        queue.push_back((i, hop));
        members.push(Some(m));
    }
    let mut hub = Some(Hub::new(session.clone()));
    let mut finished_hub = None;
    let mut outcomes: Vec<Option<_>> = names.iter().map(|_| None).collect();
    // A hop that arrives before the roster waits: expects() says so.
    let mut held: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut rounds = 0;
    while let Some((from, message)) = queue.pop_front() {
        rounds += 1;
        assert!(rounds < 1_000, "the session does not converge");
        let ty = message_type(&message).unwrap();
        let to: Vec<usize> = match ty {
            MessageType::MultiCommit | MessageType::MultiTags => {
                let step = hub
                    .take()
                    .unwrap()
                    .consume_from(names[from], &message)
                    .unwrap();
                hub = step.next;
                if step.outcome.is_some() {
                    finished_hub = step.outcome;
                }
                // The roster and the result go to every member.
                queue.extend(step.send.into_iter().map(|out| (usize::MAX, out)));
                continue;
            }
            MessageType::MultiHop => {
                let at = session.position(session.route(&message).unwrap()).unwrap();
                vec![at]
            }
            _ => (0..names.len()).collect(),
        };
        for at in to {
            let member = members[at].take().unwrap();
            if !member.expects().contains(&ty) {
                held.push((from, message.clone()));
                members[at] = Some(member);
                continue;
            }
            let step = member.consume(&message).unwrap();
            for out in step.send {
                queue.push_back((at, out));
            }
            members[at] = step.next;
            if let Some((finished, o)) = step.outcome {
                // The finished member still states what it sent the hub.
                assert!(finished.expects().is_empty() && finished.tags().is_ok());
                outcomes[at] = Some(o);
            }
            if ty == MessageType::MultiRoster {
                queue.extend(held.drain(..));
            }
        }
    }
    assert!(held.is_empty());
    let hub = finished_hub.expect("the hub published the result");
    assert!(hub.missing().is_empty());
    // Items held by at least three of the four agencies: x5..x20 (a, b, c
    // from 10, d below 12).
    let expected: Vec<usize> = (0..20)
        .filter(|&v| {
            let held = lists
                .iter()
                .filter(|l| l.contains(&format!("x{v}")))
                .count();
            held >= 3
        })
        .collect();
    let first = outcomes[0].as_ref().unwrap();
    assert_eq!(first.indices(), &expected[..]);
    for (at, o) in outcomes.iter().enumerate() {
        // The hub's record of each agency mirrors the agency's own.
        let mine = o.as_ref().unwrap().record().unwrap();
        let hubs = hub.record_for(names[at]).unwrap();
        assert_eq!(
            (mine.transcript, mine.own_count),
            (hubs.transcript, hubs.peer_count)
        );
    }
    // The hub takes no message without its sender's name.
    let hub = Hub::new(session);
    assert!(matches!(
        hub.consume(b"BM").unwrap_err().error,
        Error::InvalidState(_)
    ));
}

/// One agency's bad message never ends the session for the others: the
/// hub and the members keep going after a refusal.
#[test]
fn deviating_agency_cannot_end_the_hub_or_a_member() {
    let names = ["a", "b", "c"];
    let session = Session::new_with_rng(&names, 2, &mut rng(20)).unwrap();
    let mut members: Vec<Member> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Member::new_with_rng(&session, name, &ids("x", 0..5), &mut rng(21 + i as u64)).unwrap()
        })
        .collect();
    let hops: Vec<Vec<u8>> = members.iter_mut().map(|m| m.start().unwrap()).collect();
    let mut hub = Hub::new(session.clone());
    // "b" sends "a"'s commitment as its own, then "a" sends it twice.
    let a_commit = members[0].commitment().unwrap();
    let refused = hub.consume_from("b", &a_commit).unwrap_err();
    assert_eq!(refused.error.code(), ErrorCode::UnknownAgency);
    hub = refused.party.expect("the hub goes on");
    hub = hub.consume_from("a", &a_commit).unwrap().next.unwrap();
    hub = hub.consume_from("a", &a_commit).unwrap().next.unwrap();
    let mut roster = Vec::new();
    for (i, m) in members.iter().enumerate().skip(1) {
        let step = hub
            .consume_from(names[i], &m.commitment().unwrap())
            .unwrap();
        hub = step.next.unwrap();
        roster = step.send.into_iter().next().unwrap_or_default();
    }
    assert_eq!(message_type(&roster).unwrap(), MessageType::MultiRoster);
    assert_eq!(hub.expects(), &[MessageType::MultiTags]);
    // A member refuses a hop of another session, and takes the real one.
    let b = members.remove(1);
    let b = b.consume(&roster).unwrap().next.unwrap();
    let other = Session::new_with_rng(&names, 2, &mut rng(30)).unwrap();
    let mut stranger = Member::new_with_rng(&other, "a", &ids("x", 0..5), &mut rng(31)).unwrap();
    let refused = b.consume(&stranger.start().unwrap()).unwrap_err();
    assert_eq!(refused.error.code(), ErrorCode::SessionMismatch);
    let b = refused.party.expect("the member goes on");
    let step = b.consume(&hops[0]).unwrap();
    assert_eq!(step.send.len(), 1, "a's values, raised and forwarded");
}
