//! Intersection-sum: sums and cardinalities against a naive computation
//! (random sets with duplicates, several columns, every value size), the
//! minimum, hostile messages, and golden vectors that the Python and
//! JavaScript tests replay byte for byte (`tests/vectors/golden_sum.json`;
//! regenerate after an intended wire change with
//! `BLINDMATCH_BLESS=1 cargo test -p blindmatch --test sum`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use blindmatch::Error;
use blindmatch::sum::{Column, Initiator, Noise, Responder, RevealSumTo, SumConfig, SumOutcome};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use serde_json::{Value, json};

fn run(
    config: &SumConfig,
    a: &[String],
    b: &[String],
    columns: &[Column],
    seed: u64,
) -> Result<(SumOutcome, SumOutcome), Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (i, request) = Initiator::new_with_rng(config.clone(), a, &mut rng)?;
    let r = Responder::new_with_rng(config.clone(), b, columns, &mut rng)?;
    let (r, response) = r.respond(&request)?;
    let (i, finish) = i.finish(&response)?;
    let (result, theirs) = r.finish(&finish)?;
    Ok((i.result(result.as_deref())?, theirs))
}

/// A value table of one column.
fn one_column(name: &str, values: Vec<u64>) -> [Column; 1] {
    [Column {
        name: name.to_owned(),
        values,
    }]
}

/// The naive answer: distinct shared identifiers, and per column the sum
/// of every value given for them.
fn naive(a: &[String], b: &[String], columns: &[Column]) -> (u64, Vec<(String, i128)>) {
    let a: BTreeSet<&String> = a.iter().collect();
    let shared: BTreeSet<&String> = b.iter().filter(|x| a.contains(x)).collect();
    let sums = columns
        .iter()
        .map(|c| {
            let total = b
                .iter()
                .zip(&c.values)
                .filter(|(x, _)| shared.contains(x))
                .map(|(_, &v)| i128::from(v))
                .sum();
            (c.name.clone(), total)
        })
        .collect();
    (shared.len() as u64, sums)
}

fn case() -> impl Strategy<Value = (Vec<String>, Vec<String>, u8, usize, Vec<Vec<u64>>)> {
    (
        prop::collection::vec(0u16..60, 0..40),
        prop::collection::vec(0u16..60, 0..40),
        prop::sample::select(vec![16u8, 32, 48, 64]),
        1usize..4,
    )
        .prop_flat_map(|(a, b, bits, cols)| {
            let n = b.len();
            // Duplicates of an identifier add up: keep each value small
            // enough that a total (at most 40 of them) stays in range.
            let max = (1u128 << bits) / 64;
            let max = u64::try_from(max).unwrap_or(u64::MAX / 64);
            (
                Just(a.iter().map(|i| format!("id{i}")).collect::<Vec<_>>()),
                Just(b.iter().map(|i| format!("id{i}")).collect::<Vec<_>>()),
                Just(bits),
                Just(cols),
                prop::collection::vec(prop::collection::vec(0..=max, n), cols),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn sums_equal_the_naive_sums((a, b, bits, _, values) in case(), min in 0u64..4, seed in any::<u64>()) {
        let columns: Vec<Column> = values
            .into_iter()
            .enumerate()
            .map(|(c, values)| Column { name: format!("col{c}"), values })
            .collect();
        let (cardinality, sums) = naive(&a, &b, &columns);
        for reveal in [RevealSumTo::Both, RevealSumTo::Responder] {
            let config = SumConfig::new(reveal).with_value_bits(bits).with_min_intersection(min);
            let (mine, theirs) = run(&config, &a, &b, &columns, seed).unwrap();
            prop_assert_eq!(mine.cardinality, cardinality);
            prop_assert_eq!(theirs.cardinality, cardinality);
            let revealed = cardinality >= min && cardinality > 0;
            prop_assert_eq!(theirs.sums.clone(), revealed.then(|| sums.clone()));
            let mine_expected = (revealed && reveal == RevealSumTo::Both).then(|| sums.clone());
            prop_assert_eq!(mine.sums.clone(), mine_expected);
            prop_assert_eq!(mine.proven, revealed && reveal == RevealSumTo::Both);
            // One exchange, seen from either side: the records mirror.
            prop_assert_eq!(mine.record.transcript, theirs.record.transcript);
            prop_assert_eq!(
                (mine.record.own_count, mine.record.peer_count),
                (theirs.record.peer_count, theirs.record.own_count)
            );
            prop_assert_eq!(mine.record.cardinality, Some(cardinality));
        }
    }
}

fn ids(prefix: &str, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn empty_sets_and_no_overlap_reveal_a_zero_cardinality_and_no_sums() {
    let columns = |n| one_column("v", vec![1; n]);
    let config = SumConfig::new(RevealSumTo::Both);
    let (a, b) = run(&config, &[], &ids("x", 0..5), &columns(5), 1).unwrap();
    assert_eq!((a.cardinality, a.sums, b.sums), (0, None, None));
    let (a, _) = run(&config, &ids("y", 0..5), &ids("x", 0..5), &columns(5), 2).unwrap();
    assert_eq!((a.cardinality, a.sums), (0, None));
}

#[test]
fn the_default_minimum_hides_a_total_over_fewer_than_five_items() {
    let columns = one_column("v", vec![1_000; 10]);
    let config = SumConfig::new(RevealSumTo::Both);
    assert_eq!(
        config.min_intersection,
        blindmatch::sum::DEFAULT_MIN_INTERSECTION
    );
    let (a, b) = run(&config, &ids("x", 0..4), &ids("x", 0..10), &columns, 4).unwrap();
    assert_eq!((a.cardinality, a.sums, b.sums), (4, None, None));
    let (a, _) = run(&config, &ids("x", 0..5), &ids("x", 0..10), &columns, 5).unwrap();
    assert_eq!(a.sums, Some(vec![("v".to_owned(), 5_000)]));
}

#[test]
fn mismatched_settings_and_foreign_messages_are_refused() {
    let a = ids("x", 0..10);
    let column = |values: Vec<u64>| {
        vec![Column {
            name: "v".into(),
            values,
        }]
    };
    let columns = column(vec![3; 10]);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let both = SumConfig::new(RevealSumTo::Both);
    let (i, request) = Initiator::new_with_rng(both.clone(), &a, &mut rng).unwrap();
    // Another reveal setting, another minimum.
    for other in [
        SumConfig::new(RevealSumTo::Responder),
        both.clone().with_min_intersection(3),
    ] {
        let r = Responder::new_with_rng(other, &a, &columns, &mut rng).unwrap();
        assert!(matches!(r.respond(&request), Err(Error::ConfigMismatch(_))));
    }
    // A balanced PSI request is not an intersection-sum request.
    let (_, psi_request) =
        blindmatch::psi::Initiator::new_with_rng(blindmatch::psi::Config::default(), &a, &mut rng)
            .unwrap();
    let r = Responder::new_with_rng(both.clone(), &a, &columns, &mut rng).unwrap();
    assert!(matches!(
        r.respond(&psi_request),
        Err(Error::WrongMessageType { .. })
    ));
    // A response of another session.
    let (_, other_request) = Initiator::new_with_rng(both.clone(), &a, &mut rng).unwrap();
    let r = Responder::new_with_rng(both.clone(), &a, &columns, &mut rng).unwrap();
    let (_, other_response) = r.respond(&other_request).unwrap();
    assert_eq!(
        i.finish(&other_response).unwrap_err(),
        Error::SessionMismatch
    );
    // Values out of range, columns of the wrong length, no columns; noise
    // without sums for the initiator, values above the sensitivity.
    let narrow = SumConfig::new(RevealSumTo::Both).with_value_bits(16);
    let noise = |reveal, sensitivity| {
        SumConfig::new(reveal).with_noise(Noise {
            epsilon: 1.0,
            sensitivity,
        })
    };
    for (config, columns) in [
        (narrow.clone(), column(vec![1 << 16; 10])),
        (narrow.clone(), column(vec![1; 9])),
        (narrow, Vec::new()),
        (noise(RevealSumTo::Responder, 5), columns.clone()),
        (noise(RevealSumTo::Both, 2), columns.clone()),
    ] {
        let refused = Responder::new_with_rng(config, &a, &columns, &mut rng);
        assert!(matches!(refused, Err(Error::InvalidConfig(_))));
    }
}

#[test]
fn a_finish_claiming_too_many_matches_or_garbage_sums_is_refused() {
    let a = ids("x", 0..6);
    let columns = one_column("v", vec![3; 6]);
    let config = SumConfig::new(RevealSumTo::Both);
    let session = |seed| {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (i, request) = Initiator::new_with_rng(config.clone(), &a, &mut rng).unwrap();
        let (r, response) = Responder::new_with_rng(config.clone(), &a, &columns, &mut rng)
            .unwrap()
            .respond(&request)
            .unwrap();
        let (_, finish) = i.finish(&response).unwrap();
        (r, finish)
    };
    let (r, finish) = session(4);
    // Every truncation is refused, never a panic.
    for cut in 0..finish.len() {
        let (r, _) = session(4);
        assert!(r.finish(&finish[..cut]).is_err());
    }
    // A cardinality above both sets (the varint after the header and the
    // 16-byte session id).
    let mut more = finish.clone();
    assert_eq!(more[6 + 16], 6);
    more[6 + 16] = 100;
    let (r2, _) = session(4);
    assert!(matches!(r2.finish(&more), Err(Error::CountMismatch { .. })));
    // Flipping a byte of the sums: an invalid point, or a sum out of range.
    let mut bad = finish.clone();
    let at = bad.len() - 40;
    bad[at] ^= 0x01;
    assert!(r.finish(&bad).is_err());
}

// ---------------------------------------------------------------------------
// Golden vectors

const A_ITEMS: [&str; 7] = [
    "NL91ABNA0417164300",
    "DE89370400440532013000",
    "GB33BUKB20201555555555",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
    "BE68539007547034",
    "ES9121000418450200051332",
];
const B_ITEMS: [&str; 6] = [
    "DE89370400440532013000",
    "BE68539007547034",
    "IT60X0542811101000000123456",
    "GB33BUKB20201555555555",
    "DE89370400440532013000",
    "PL61109010140000071219812874",
];
const AMOUNTS: [u64; 6] = [125_000, 9_900, 1_000_000, 420_000, 75_000, 3];
const TRANSFERS: [u64; 6] = [3, 1, 12, 7, 2, 1];

fn golden_columns() -> Vec<Column> {
    vec![
        Column {
            name: "amount_eur".into(),
            values: AMOUNTS.to_vec(),
        },
        Column {
            name: "transfers".into(),
            values: TRANSFERS.to_vec(),
        },
    ]
}

fn outcome(o: &SumOutcome) -> Value {
    json!({
        "cardinality": o.cardinality,
        "sums": o.sums.as_ref().map(|s| s.iter().map(|(k, v)| (k.clone(), json!(v.to_string()))).collect::<BTreeMap<_, _>>()),
        "noisy": o.noisy,
        "proven": o.proven,
    })
}

fn generate() -> Value {
    let mut sessions = Vec::new();
    // Each states its minimum (the small sets sit below the default).
    let settings: [(&str, SumConfig); 4] = [
        (
            "both",
            SumConfig::new(RevealSumTo::Both).with_min_intersection(0),
        ),
        (
            "responder",
            SumConfig::new(RevealSumTo::Responder).with_min_intersection(0),
        ),
        (
            "below_minimum",
            SumConfig::new(RevealSumTo::Both).with_min_intersection(4),
        ),
        (
            "noisy",
            SumConfig::new(RevealSumTo::Both)
                .with_min_intersection(0)
                .with_noise(Noise {
                    epsilon: 0.5,
                    sensitivity: 1_000_000,
                }),
        ),
    ];
    for (n, (name, config)) in settings.into_iter().enumerate() {
        let seed_i = [0x30 + n as u8; 32];
        let seed_r = [0x40 + n as u8; 32];
        let (i, request) = Initiator::new_with_rng(
            config.clone(),
            &A_ITEMS,
            &mut ChaCha20Rng::from_seed(seed_i),
        )
        .unwrap();
        let r = Responder::new_with_rng(
            config.clone(),
            &B_ITEMS,
            &golden_columns(),
            &mut ChaCha20Rng::from_seed(seed_r),
        )
        .unwrap();
        let (r, response) = r.respond(&request).unwrap();
        let (i, finish) = i.finish(&response).unwrap();
        let (result, theirs) = r.finish(&finish).unwrap();
        let mine = i.result(result.as_deref()).unwrap();
        let (signed, countersigned) = common::golden_receipts(&mine.record, &theirs.record);
        let noise = config
            .noise
            .map(|n| json!({"epsilon": n.epsilon, "sensitivity": n.sensitivity}));
        sessions.push(json!({
            "name": name,
            "reveal_sum_to": match config.reveal_to { RevealSumTo::Both => "both", _ => "responder" },
            "min_intersection": config.min_intersection,
            "noise": noise,
            "initiator_rng_seed": hex::encode(seed_i),
            "responder_rng_seed": hex::encode(seed_r),
            "request": hex::encode(&request),
            "response": hex::encode(&response),
            "finish": hex::encode(&finish),
            "result": result.as_ref().map(hex::encode),
            "initiator": outcome(&mine),
            "responder": outcome(&theirs),
            "transcript_hash": hex::encode(mine.record.transcript),
            "initiator_receipt": hex::encode(&signed),
            "countersigned_receipt": hex::encode(&countersigned),
        }));
    }
    json!({
        "description": "blindmatch intersection-sum golden vectors: ChaCha20Rng::from_seed(seed) drives each party; items are UTF-8 strings; sums are decimal strings",
        "initiator_items": A_ITEMS,
        "responder_items": B_ITEMS,
        "columns": { "amount_eur": AMOUNTS, "transfers": TRANSFERS },
        "sessions": sessions,
        "receipts": common::receipts_block("each session's initiator signs a receipt with key a at signed_at; the value holder countersigns it with key b at countersigned_at after checking it against its own record"),
    })
}

#[test]
fn golden_vectors_are_reproduced() {
    let stored = common::golden("golden_sum.json", &generate());
    // The shared accounts: DE89… (twice on B's side: 125,000 + 75,000 and
    // 3 + 2 transfers), GB33… and BE68….
    let both = &stored["sessions"][0]["initiator"];
    assert_eq!(both["cardinality"], 3);
    assert_eq!(both["sums"]["amount_eur"], "629900");
    assert_eq!(both["sums"]["transfers"], "13");
}

/// The response as the wire carries it (`sum::ResponseMsg`), so a test can
/// play a value holder that rewrites it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Response {
    session_id: [u8; 16],
    initiator_count: u32,
    responder_count: u32,
    compare_len: u8,
    value_bits: u8,
    columns: Vec<String>,
    #[serde(with = "serde_bytes")]
    public_keys: Vec<u8>,
    #[serde(with = "serde_bytes")]
    reblinded: Vec<u8>,
    #[serde(with = "serde_bytes")]
    elements: Vec<u8>,
    #[serde(with = "serde_bytes")]
    ciphertexts: Vec<u8>,
}

/// A value holder that repeats its one matching element (with its
/// ciphertext) to reach the initiator's minimum with an intersection of
/// one: refused, as is an initiator's item it repeats among the reblinded
/// values; the honest response still finishes below the minimum.
#[test]
fn deviating_value_holder_repeats_an_element_to_pass_the_minimum() {
    let config = SumConfig::new(RevealSumTo::Both).with_min_intersection(4);
    let a = ids("x", 0..8);
    let b = vec!["x3".to_owned(), "y1".to_owned()];
    let columns = one_column("amount", vec![700, 5]);
    let mut rng = ChaCha20Rng::seed_from_u64(90);
    let (i, request) = Initiator::new_with_rng(config.clone(), &a, &mut rng).unwrap();
    let r = Responder::new_with_rng(config, &b, &columns, &mut rng).unwrap();
    let (_, response) = r.respond(&request).unwrap();
    let honest: Response = postcard::from_bytes(&response[6..]).unwrap();
    let encode = |m: &Response| {
        let mut out = response[..6].to_vec();
        out.extend(postcard::to_allocvec(m).unwrap());
        out
    };
    // Both elements four times over: eight "items", four of them matching.
    let mut repeated: Response = postcard::from_bytes(&response[6..]).unwrap();
    repeated.responder_count = 8;
    repeated.elements = honest.elements.repeat(4);
    repeated.ciphertexts = honest.ciphertexts.repeat(4);
    let forged = encode(&repeated);
    let err = |r: &[u8]| {
        let mut rng = ChaCha20Rng::seed_from_u64(90);
        let (i, _) = Initiator::new_with_rng(
            SumConfig::new(RevealSumTo::Both).with_min_intersection(4),
            &a,
            &mut rng,
        )
        .unwrap();
        i.finish(r).err()
    };
    assert_eq!(err(&forged), Some(Error::Malformed));
    // One of the initiator's reblinded values twice, in place of another.
    let mut twice: Response = postcard::from_bytes(&response[6..]).unwrap();
    let len = usize::from(twice.compare_len);
    let first = twice.reblinded[..len].to_vec();
    twice.reblinded[len..2 * len].copy_from_slice(&first);
    assert_eq!(err(&encode(&twice)), Some(Error::Malformed));
    // The honest response: one match, below the minimum, no sums sent.
    let (waiting, finish) = i.finish(&response).unwrap();
    assert_eq!(waiting.cardinality(), 1);
    assert!(finish.len() < 64);
}

/// A value holder that answers with noisy sums (no proof) when the
/// initiator asked for none: refused as a failed proof; an initiator that
/// accepts noisy sums takes them.
#[test]
fn deviating_value_holder_sends_unproven_sums() {
    let a = ids("x", 0..10);
    let columns = one_column("v", vec![5; 10]);
    let noisy = SumConfig::new(RevealSumTo::Both).with_noise(Noise {
        epsilon: 1.0,
        sensitivity: 5,
    });
    for (accept, expected) in [(false, Some(Error::BadProof)), (true, None)] {
        let mut rng = ChaCha20Rng::seed_from_u64(91);
        let plain = SumConfig::new(RevealSumTo::Both).with_accept_noisy(accept);
        let (i, request) = Initiator::new_with_rng(plain, &a, &mut rng).unwrap();
        let r = Responder::new_with_rng(noisy.clone(), &a, &columns, &mut rng).unwrap();
        let (r, response) = r.respond(&request).unwrap();
        let (i, finish) = i.finish(&response).unwrap();
        let (result, _) = r.finish(&finish).unwrap();
        let outcome = i.result(result.as_deref());
        assert_eq!(outcome.as_ref().err(), expected.as_ref());
        if let Ok(o) = outcome {
            assert!(o.noisy && !o.proven);
        }
    }
}
