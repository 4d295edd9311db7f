//! Fixed parties shared by the fuzz targets and by `make_corpus`, which
//! writes the seed corpus: the same seeds give the same sessions, so a
//! committed valid response is valid for the target's own initiator and
//! mutations of it reach every check, down to the group operations.

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Output, Responder, ResponderAwaitingFinish, Reveal};
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

/// The initiator's items.
pub const ITEMS_A: &[&str] = &[
    "anna@example.org",
    "+442079460958",
    "DE89370400440532013000",
    "李雷",
];
/// The responder's items.
pub const ITEMS_B: &[&str] = &["+442079460958", "bob@example.net", "李雷"];

/// A seeded generator.
pub fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// The four modes, by index (`index % 4`).
pub fn config(index: u8) -> Config {
    let reveal = if index & 1 == 0 {
        Reveal::Intersection
    } else {
        Reveal::Cardinality
    };
    let output = if index & 2 == 0 {
        Output::Both
    } else {
        Output::Initiator
    };
    Config::new(reveal, output)
}

/// The fixed initiator and its request.
pub fn initiator(mode: u8) -> (Initiator, Vec<u8>) {
    match Initiator::new_with_rng(config(mode), ITEMS_A, &mut rng(1)) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed initiator: {e}"),
    }
}

/// The fixed responder.
pub fn responder(mode: u8) -> Responder {
    match Responder::new_with_rng(config(mode), ITEMS_B, &mut rng(2)) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed responder: {e}"),
    }
}

/// The fixed responder after answering the fixed request, and its response.
pub fn responded(mode: u8) -> (ResponderAwaitingFinish, Vec<u8>) {
    let (_, request) = initiator(mode);
    match responder(mode).respond(&request) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed session: {e}"),
    }
}

/// The fixed unbalanced server (with labels and a budget).
pub fn server() -> Server {
    let key = match OprfKey::derive(&[7; 32], b"fuzz") {
        Ok(k) => k,
        Err(e) => unreachable!("fixed key: {e}"),
    };
    let labels: Vec<String> = ITEMS_B.iter().map(|i| format!("label of {i}")).collect();
    let config = ServerConfig::new(Budget::Limited(1 << 20)).with_fpr_bits(20);
    match Server::new_with_rng(key, ITEMS_B, Some(&labels), config, &mut rng(4)) {
        Ok(s) => s,
        Err(e) => unreachable!("fixed server: {e}"),
    }
}

/// The fixed unbalanced client and its query.
pub fn client() -> (Client, Vec<u8>) {
    match Client::new_with_rng(ClientConfig::default(), ITEMS_A, &mut rng(3)) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed client: {e}"),
    }
}

/// Saved waiting states of the fixed parties, of every kind (the
/// saved_state target's seeds): (name, bytes).
pub fn saved_states(mode: u8) -> Vec<(&'static str, Vec<u8>)> {
    use blindmatch::state::{SavedSession, Waiting};
    let save = |w: Waiting| SavedSession::new(w, None).to_bytes().to_vec();
    let (init, _) = initiator(mode);
    let (waiting, _) = responded(mode);
    let (c, _) = client();
    vec![
        ("initiator", save(Waiting::Initiator(init))),
        ("responder", save(Waiting::Responder(waiting))),
        ("client", save(Waiting::Client(c))),
    ]
}

/// Intersection-sum: the value holder's columns for `ITEMS_B`.
pub fn sum_columns() -> Vec<blindmatch::sum::Column> {
    vec![
        blindmatch::sum::Column {
            name: "amount".into(),
            values: vec![1_000, 250, 65_535],
        },
        blindmatch::sum::Column {
            name: "count".into(),
            values: vec![1, 2, 3],
        },
    ]
}

/// The fixed intersection-sum initiator and its request (sums to both).
pub fn sum_initiator() -> (blindmatch::sum::Initiator, Vec<u8>) {
    let config = blindmatch::sum::SumConfig::new(blindmatch::sum::RevealSumTo::Both);
    match blindmatch::sum::Initiator::new_with_rng(config, ITEMS_A, &mut rng(5)) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed sum initiator: {e}"),
    }
}

/// The fixed value holder after answering the fixed request, and its response.
pub fn sum_responded() -> (blindmatch::sum::ResponderAwaitingFinish, Vec<u8>) {
    let config = blindmatch::sum::SumConfig::new(blindmatch::sum::RevealSumTo::Both);
    let (_, request) = sum_initiator();
    let responder = match blindmatch::sum::Responder::new_with_rng(
        config,
        ITEMS_B,
        &sum_columns(),
        &mut rng(6),
    ) {
        Ok(r) => r,
        Err(e) => unreachable!("fixed value holder: {e}"),
    };
    match responder.respond(&request) {
        Ok(x) => x,
        Err(e) => unreachable!("fixed sum session: {e}"),
    }
}

/// The fixed session's finish and result messages.
pub fn sum_finish_and_result() -> (Vec<u8>, Vec<u8>) {
    let (init, _) = sum_initiator();
    let (waiting, response) = sum_responded();
    let fixed = |e: blindmatch::Error| -> ! { unreachable!("fixed sum session: {e}") };
    let (_, finish) = init.finish(&response).unwrap_or_else(|e| fixed(e));
    let (result, _) = waiting.finish(&finish).unwrap_or_else(|e| fixed(e));
    (finish, result.unwrap_or_default())
}

/// Multi-party: the agencies of the fixed session, in ring order.
pub const AGENCIES: &[&str] = &["NL", "DE", "FR"];

/// Multi-party: the fixed session (at least 2 of 3, with counts).
pub fn multi_session() -> blindmatch::multiparty::Session {
    match blindmatch::multiparty::Session::new_with_rng(AGENCIES, 2, &mut rng(7)) {
        Ok(s) => s.with_reveal_counts(true),
        Err(e) => unreachable!("fixed multi-party session: {e}"),
    }
}

/// Multi-party: the fixed member `i` (its items: `ITEMS_A`, `ITEMS_B`, `ITEMS_A`'s first two).
pub fn multi_member(i: usize) -> blindmatch::multiparty::Member {
    let items: &[&str] = match i {
        0 => ITEMS_A,
        1 => ITEMS_B,
        _ => &ITEMS_A[..2],
    };
    match blindmatch::multiparty::Member::new_with_rng(
        &multi_session(),
        AGENCIES[i],
        items,
        &mut rng(8 + i as u8),
    ) {
        Ok(m) => m,
        Err(e) => unreachable!("fixed member: {e}"),
    }
}

/// Multi-party: the fixed session run to its end: for each agency its
/// start message and its values back after the ring, its tags, and the
/// hub's result.
pub struct MultiRun {
    /// Each agency's commitment.
    pub commitments: Vec<Vec<u8>>,
    /// The hub's roster, which every member accepted.
    pub roster: Vec<u8>,
    /// Each agency's values at hop 2 (with the proof of hop 1).
    pub second: Vec<Vec<u8>>,
    /// Each agency's start message (hop 1).
    pub starts: Vec<Vec<u8>>,
    /// Each agency's values back from the ring (hop 3).
    pub backs: Vec<Vec<u8>>,
    /// Each agency's tags.
    pub tags: Vec<Vec<u8>>,
    /// The hub's result.
    pub result: Vec<u8>,
}

/// A fixed member, started, that accepted the fixed roster: ready to
/// forward and complete.
pub fn multi_ready(at: usize, run: &MultiRun) -> blindmatch::multiparty::Member {
    let mut m = multi_member(at);
    let ready = m.start().is_ok() && m.accept_roster(&run.roster).is_ok();
    assert!(ready, "the fixed member takes the fixed roster");
    m
}

/// Runs the fixed session.
pub fn multi_run() -> MultiRun {
    let fixed = |e: blindmatch::Error| -> ! { unreachable!("fixed multi-party session: {e}") };
    let mut ms: Vec<_> = (0..3).map(multi_member).collect();
    let starts: Vec<Vec<u8>> = ms
        .iter_mut()
        .map(|m| m.start().unwrap_or_else(|e| fixed(e)))
        .collect();
    let mut hub = blindmatch::multiparty::Hub::new(multi_session());
    let mut commitments = Vec::new();
    for m in &ms {
        let c = m.commitment().unwrap_or_else(|e| fixed(e));
        hub.commit(m.name(), &c).unwrap_or_else(|e| fixed(e));
        commitments.push(c);
    }
    let roster = hub.roster().unwrap_or_else(|e| fixed(e));
    for m in &mut ms {
        m.accept_roster(&roster).unwrap_or_else(|e| fixed(e));
    }
    let mut backs = starts.clone();
    let mut second = Vec::new();
    for hop in 1..3 {
        for (owner, msg) in backs.iter_mut().enumerate() {
            *msg = ms[(owner + hop) % 3]
                .forward(msg)
                .unwrap_or_else(|e| fixed(e));
            if hop == 1 {
                second.push(msg.clone());
            }
        }
    }
    let mut tags = Vec::new();
    for (m, back) in ms.iter_mut().zip(&backs) {
        m.complete(back).unwrap_or_else(|e| fixed(e));
        let t = m.tags().unwrap_or_else(|e| fixed(e));
        hub.add(m.name(), &t).unwrap_or_else(|e| fixed(e));
        tags.push(t);
    }
    let result = hub.result().unwrap_or_else(|e| fixed(e));
    MultiRun {
        commitments,
        roster,
        second,
        starts,
        backs,
        tags,
        result,
    }
}
