//! Unbalanced PSI: results and labels equal the naive answer, epochs and
//! budgets are enforced, the digest meets its size bound, and malformed
//! digests and answers are errors, never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

fn key(seed: u8) -> OprfKey {
    OprfKey::derive(&[seed; 32], b"unbalanced tests").unwrap()
}

fn client(items: &[String], seed: u64) -> (Client, Vec<u8>) {
    Client::new_with_rng(
        ClientConfig::default(),
        items,
        &mut ChaCha20Rng::seed_from_u64(seed),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn matches_and_labels_equal_the_naive_answer(
        pool in prop::collection::vec("\\PC{0,10}", 1..120),
        server_pick in prop::collection::vec(any::<prop::sample::Index>(), 0..200),
        client_pick in prop::collection::vec(any::<prop::sample::Index>(), 0..60),
        with_labels in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let server_items: Vec<String> = server_pick.iter().map(|i| i.get(&pool).clone()).collect();
        let client_items: Vec<String> = client_pick.iter().map(|i| i.get(&pool).clone()).collect();
        // The label of an item is its first occurrence's, as documented.
        let labels: Vec<Vec<u8>> = (0..server_items.len()).map(|i| format!("label {i}").into_bytes()).collect();
        let mut first_label: HashMap<&String, &Vec<u8>> = HashMap::new();
        for (item, label) in server_items.iter().zip(&labels) {
            first_label.entry(item).or_insert(label);
        }
        let server = Server::new(
            key(seed as u8),
            &server_items,
            if with_labels { Some(&labels[..]) } else { None },
            ServerConfig::new(Budget::Unlimited),
        ).unwrap();
        let (c, query) = client(&client_items, seed);
        let answer = server.answer(&query, "c").unwrap();
        let result = c.finish(&answer, server.digest()).unwrap();
        let expected: Vec<usize> = (0..client_items.len()).filter(|&i| first_label.contains_key(&client_items[i])).collect();
        prop_assert_eq!(result.indices(), &expected[..]);
        for &i in &expected {
            let want = if with_labels { Some(first_label[&client_items[i]].as_slice()) } else { None };
            prop_assert_eq!(result.label(i), want);
        }
        prop_assert_eq!(result.labels().len(), if with_labels { expected.len() } else { 0 });
    }
}

/// A list without labels.
fn unlabelled(key: OprfKey, list: &[String], config: ServerConfig) -> Result<Server, Error> {
    Server::new(key, list, None::<&[&[u8]]>, config)
}

fn items(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn answer_and_digest_from_different_keys_are_refused() {
    let list = items("x", 50);
    let s1 = unlabelled(key(1), &list, ServerConfig::new(Budget::Unlimited)).unwrap();
    let s2 = unlabelled(key(2), &list, ServerConfig::new(Budget::Unlimited)).unwrap();
    assert_ne!(s1.epoch(), s2.epoch());
    let (c, query) = client(&items("x", 5), 1);
    let answer = s2.answer(&query, "c").unwrap();
    assert_eq!(
        c.finish(&answer, s1.digest()).unwrap_err(),
        Error::EpochMismatch
    );

    // A query addressed to one epoch is refused under another key.
    let (_, query) = Client::new_with_rng(
        ClientConfig::default().with_epoch(s1.epoch()),
        &["x1"],
        &mut ChaCha20Rng::seed_from_u64(2),
    )
    .unwrap();
    assert_eq!(s2.answer(&query, "c").unwrap_err(), Error::EpochMismatch);
    assert!(s1.answer(&query, "c").is_ok());
}

#[test]
fn query_budget_is_enforced_per_client() {
    let list = items("x", 20);
    let config = ServerConfig::new(Budget::Limited(10));
    let server = unlabelled(key(3), &list, config).unwrap();
    let (_, q8) = client(&items("x", 8), 1);
    let (_, q3) = client(&items("y", 3), 2);
    server.answer(&q8, "agency-a").unwrap();
    assert_eq!(server.remaining_budget("agency-a").unwrap(), Some(2));
    assert_eq!(
        server.answer(&q3, "agency-a").unwrap_err(),
        Error::BudgetExceeded {
            requested: 3,
            remaining: 2
        }
    );
    // A refused or malformed query spends nothing.
    assert_eq!(server.remaining_budget("agency-a").unwrap(), Some(2));
    assert!(server.answer(&q3[..q3.len() - 1], "agency-a").is_err());
    assert_eq!(server.remaining_budget("agency-a").unwrap(), Some(2));
    server.answer(&q3, "agency-b").unwrap();
    assert_eq!(server.remaining_budget("agency-b").unwrap(), Some(7));
}

#[test]
fn query_size_is_checked_before_any_work() {
    let server = unlabelled(
        key(4),
        &items("x", 5),
        ServerConfig::new(Budget::Unlimited).with_max_query_items(4),
    )
    .unwrap();
    let (_, query) = client(&items("x", 5), 1);
    assert_eq!(
        server.answer(&query, "c").unwrap_err(),
        Error::PeerSetTooLarge { count: 5, max: 4 }
    );
}

#[test]
fn digest_size_is_within_ten_percent_of_the_bound() {
    for (n, bits) in [(20_000usize, 40u8), (5_000, 20)] {
        let server = unlabelled(
            key(5),
            &items("id", n),
            ServerConfig::new(Budget::Unlimited).with_fpr_bits(bits),
        )
        .unwrap();
        let bound = n as f64 * (bits as f64 + 1.5) / 8.0;
        let size = server.digest().len() as f64;
        assert!(
            (size - bound).abs() <= 0.1 * bound,
            "n {n}: {size} bytes vs bound {bound}"
        );
        assert_eq!(SetDigest::from_bytes(server.digest()).unwrap().len(), n);
    }
}

#[test]
fn restarted_server_keeps_its_epoch_and_digest() {
    let list = items("x", 30);
    let labels = items("label", 30);
    let s1 = Server::new(
        key(6),
        &list,
        Some(&labels[..]),
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    let secret = s1.key().to_secret_bytes();
    let s2 = Server::new(
        OprfKey::from_secret_bytes(&secret[..]).unwrap(),
        &list,
        Some(&labels[..]),
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    assert_eq!(s1.epoch(), s2.epoch());
    // A rebuild seals the labels under a fresh salt, so its digest differs;
    // the digest published before the restart stays valid with the new
    // process's answers.
    assert_ne!(s1.digest(), s2.digest());
    let (c, query) = client(&items("x", 3), 5);
    let answer = s2.answer(&query, "c").unwrap();
    let found = c.finish(&answer, s1.digest()).unwrap();
    assert_eq!(found.indices(), &[0, 1, 2]);
    assert_eq!(found.label(2), Some(&b"label2"[..]));
}

#[test]
fn labels_are_padded_to_one_length() {
    let list = items("x", 3);
    let digest_len = |labels: [&str; 3]| {
        let config = ServerConfig::new(Budget::Unlimited);
        let server = Server::new(key(7), &list, Some(&labels[..]), config).unwrap();
        server.digest().len()
    };
    let short = digest_len(["a", "b", "c"]);
    let mixed = digest_len(["a", "bbbbbbbbbb", ""]);
    let long = digest_len(["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]);
    assert_eq!(mixed, long);
    assert!(short < long);
}

#[test]
fn bad_server_arguments() {
    let list = items("x", 3);
    assert_eq!(
        Server::new(
            key(8),
            &list,
            Some(&["a"][..]),
            ServerConfig::new(Budget::Unlimited)
        )
        .unwrap_err()
        .code(),
        ErrorCode::InvalidConfig
    );
    assert_eq!(
        unlabelled(
            key(8),
            &list,
            ServerConfig::new(Budget::Unlimited).with_fpr_bits(0)
        )
        .unwrap_err()
        .code(),
        ErrorCode::InvalidConfig
    );
    let big = vec![vec![0u8; 5000]; 3];
    assert_eq!(
        Server::new(
            key(8),
            &list,
            Some(&big[..]),
            ServerConfig::new(Budget::Unlimited)
        )
        .unwrap_err()
        .code(),
        ErrorCode::InputTooLong
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn malformed_digests_and_answers_are_errors(
        target in 0..3usize,
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        x in 1..=255u8,
        op in 0..3usize,
    ) {
        let list = items("x", 40);
        let labels = items("l", 40);
        let server = Server::new(key(9), &list, Some(&labels[..]), ServerConfig::new(Budget::Unlimited)).unwrap();
        let digest = server.digest().to_vec();
        let (c, query) = client(&items("x", 6), 3);
        let answer = server.answer(&query, "c").unwrap();
        let base = match target { 0 => &digest, 1 => &answer, _ => &query };
        let mut bad = base.clone();
        match op {
            0 => bad.truncate(cut.index(base.len())),
            1 => bad.push(x),
            _ => { let i = flip.index(base.len()); bad[i] ^= x; }
        }
        let result = match target {
            0 => c.finish(&answer, &bad).map(|_| ()),
            1 => c.finish(&bad, &digest).map(|_| ()),
            _ => server.answer(&bad, "c").map(|_| ()),
        };
        // Truncation and trailing bytes must fail; a flipped payload byte
        // may still decode (e.g. another valid element), but never panics.
        if op < 2 {
            prop_assert!(result.is_err());
        }
    }
}

/// Where element `j` of an answer to `n` items starts: the elements end
/// just before the proof's length byte (0x40) and its 64 bytes.
fn answer_element(answer: &[u8], n: usize, j: usize) -> std::ops::Range<usize> {
    let end = answer.len() - 65;
    let at = end - (n - j) * 32;
    at..at + 32
}

/// A server that answers one client under another key than the digest's
/// (to tag it, or to make it match nothing) and dresses the answer up as
/// one of the digest's epoch: the client's proof check refuses it.
#[test]
fn deviating_server_answers_under_another_key() {
    let list = items("x", 50);
    let config = ServerConfig::new(Budget::Unlimited);
    let honest = unlabelled(key(1), &list, config.clone()).unwrap();
    let other = unlabelled(key(2), &list, config).unwrap();
    let mine = items("x", 5);
    let (c, query) = client(&mine, 7);
    let mut answer = other.answer(&query, "c").unwrap();
    // The epoch follows the 6-byte header and the 16-byte query id.
    answer[22..38].copy_from_slice(&honest.epoch());
    assert_eq!(
        c.finish(&answer, honest.digest()).unwrap_err(),
        Error::BadProof
    );

    // One element of an honest answer swapped for another key's.
    let (c, query) = client(&mine, 8);
    let mut answer = honest.answer(&query, "c").unwrap();
    let theirs = other.answer(&query, "c").unwrap();
    let at = answer_element(&answer, mine.len(), 3);
    answer[at.clone()].copy_from_slice(&theirs[at]);
    assert_eq!(
        c.finish(&answer, honest.digest()).unwrap_err(),
        Error::BadProof
    );

    // Two elements of an honest answer swapped with each other.
    let (c, query) = client(&mine, 9);
    let mut answer = honest.answer(&query, "c").unwrap();
    let (a, b) = (
        answer_element(&answer, mine.len(), 0),
        answer_element(&answer, mine.len(), 4),
    );
    let first = answer[a.clone()].to_vec();
    answer.copy_within(b.clone(), a.start);
    answer[b].copy_from_slice(&first);
    assert_eq!(
        c.finish(&answer, honest.digest()).unwrap_err(),
        Error::BadProof
    );

    // A proof of zeros, and the honest answer, which still finishes.
    let (c, query) = client(&mine, 10);
    let good = honest.answer(&query, "c").unwrap();
    let mut zeroed = good.clone();
    let n = zeroed.len();
    zeroed[n - 64..].fill(0);
    assert_eq!(
        c.finish(&zeroed, honest.digest()).unwrap_err(),
        Error::BadProof
    );
    let (c, _) = client(&mine, 10);
    assert_eq!(
        c.finish(&good, honest.digest()).unwrap().indices(),
        &[0, 1, 2, 3, 4]
    );
}

/// A digest whose public key is not a group element is refused when it is
/// read, before any client trusts it.
#[test]
fn deviating_server_publishes_a_digest_without_a_key() {
    let server = unlabelled(
        key(3),
        &items("x", 10),
        ServerConfig::new(Budget::Unlimited),
    )
    .unwrap();
    let digest = server.digest();
    let pk = SetDigest::from_bytes(digest).unwrap().public_key();
    assert_eq!(pk, server.key().public_key());
    let at = digest.windows(32).position(|w| w == pk).unwrap();
    let mut bad = digest.to_vec();
    bad[at..at + 32].fill(0);
    assert_eq!(
        SetDigest::from_bytes(&bad).unwrap_err(),
        Error::IdentityElement
    );
    bad[at..at + 32].fill(0xff);
    assert_eq!(
        SetDigest::from_bytes(&bad).unwrap_err(),
        Error::InvalidElement
    );
}

/// A store that holds the first charge until the test lets it go, and
/// says when the first hold was taken: a query stopped mid-answer.
struct Gate {
    inner: blindmatch::budget::MemoryBudgets,
    held: std::sync::mpsc::SyncSender<()>,
    release_first: std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl blindmatch::budget::BudgetStore for Gate {
    fn spent(
        &self,
        epoch: &blindmatch::unbalanced::EpochId,
        client: &str,
    ) -> blindmatch::Result<u64> {
        self.inner.spent(epoch, client)
    }
    fn reserve(&self, hold: &blindmatch::budget::Hold<'_>) -> blindmatch::Result<()> {
        self.inner.reserve(hold)?;
        let _ = self.held.try_send(());
        Ok(())
    }
    fn release(&self, hold: &blindmatch::budget::Hold<'_>) -> blindmatch::Result<()> {
        self.inner.release(hold)
    }
    fn charge(&self, charge: &blindmatch::budget::Charge<'_>) -> blindmatch::Result<u64> {
        let gate = self.release_first.lock().unwrap().take();
        if let Some(gate) = gate {
            gate.recv().unwrap();
        }
        self.inner.charge(charge)
    }
}

#[test]
fn deviating_client_sends_two_queries_at_once() {
    // Budget 10; two queries of 6 from one client, the second sent while
    // the first is being answered. Both used to pass the check of what was
    // spent (0) and both cost multiplications; now the second sees the
    // first's hold and is refused before any work.
    let list = items("x", 20);
    let server = unlabelled(key(3), &list, ServerConfig::new(Budget::Limited(10))).unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::sync_channel(1);
    let (go_tx, go_rx) = std::sync::mpsc::channel();
    let gate = Gate {
        inner: Default::default(),
        held: held_tx,
        release_first: std::sync::Mutex::new(Some(go_rx)),
    };
    let (_, first) = client(&items("x", 6), 1);
    let (_, second) = client(&items("y", 6), 2);
    std::thread::scope(|s| {
        let answering = s.spawn(|| server.answer_with(&first, "agency-a", &gate));
        held_rx.recv().unwrap(); // the first query holds its 6
        assert_eq!(
            server.answer_with(&second, "agency-a", &gate).unwrap_err(),
            Error::BudgetExceeded {
                requested: 6,
                remaining: 4
            }
        );
        // The same query again while it is in flight: a replay.
        assert_eq!(
            server
                .answer_with(&first, "agency-a", &gate)
                .unwrap_err()
                .code(),
            ErrorCode::Replay
        );
        go_tx.send(()).unwrap();
        assert!(answering.join().unwrap().is_ok());
    });
    assert_eq!(server.remaining_budget_with("agency-a", &gate), Ok(Some(4)));
    // A query that fails after its hold (a bad element) releases it.
    let (_, mut bad) = client(&items("z", 4), 3);
    let at = bad.len() - 32;
    bad[at..].fill(0);
    assert_eq!(
        server.answer_with(&bad, "agency-a", &gate).unwrap_err(),
        Error::IdentityElement
    );
    let (_, fits) = client(&items("z", 4), 4);
    server.answer_with(&fits, "agency-a", &gate).unwrap();
    assert_eq!(server.remaining_budget_with("agency-a", &gate), Ok(Some(0)));
}
