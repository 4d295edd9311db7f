//! Our own golden vectors: fixed seeds give exact messages. The file
//! `tests/vectors/golden_psi.json` is replayed by the Python and JavaScript
//! tests, so all three surfaces provably speak the same bytes.
//!
//! Regenerate (only after an intended wire change) with
//! `BLINDMATCH_BLESS=1 cargo test -p blindmatch --test golden`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use blindmatch::budget::Budget;
use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
use blindmatch::receipt;
use blindmatch::unbalanced::{Client, ClientConfig, Server, ServerConfig};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use serde_json::{Value, json};

const INITIATOR_ITEMS: [&str; 6] = [
    "anna.berg@example.se",
    "+4420794609580",
    "DE89370400440532013000",
    "anna.berg@example.se",
    "李雷",
    "",
];
const RESPONDER_ITEMS: [&str; 5] = [
    "+33142685300",
    "李雷",
    "anna.berg@example.se",
    "bob@example.net",
    "+4420794609580",
];

/// Every golden session, with receipts under fixed Ed25519 keys and times
/// (`common::receipt_keys`: signatures are deterministic).
fn generate() -> Value {
    let (key_a, _, case) = common::receipt_keys();
    let mut sessions = Vec::new();
    for (n, (reveal, output, name)) in [
        (Reveal::Intersection, Output::Both, "intersection/both"),
        (
            Reveal::Intersection,
            Output::Initiator,
            "intersection/initiator",
        ),
        (Reveal::Cardinality, Output::Both, "cardinality/both"),
        (
            Reveal::Cardinality,
            Output::Initiator,
            "cardinality/initiator",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let config = Config::new(reveal, output);
        let seed_i = [0x10 + n as u8; 32];
        let seed_r = [0x20 + n as u8; 32];
        let mut rng_i = ChaCha20Rng::from_seed(seed_i);
        let mut rng_r = ChaCha20Rng::from_seed(seed_r);
        let (i, request) =
            Initiator::new_with_rng(config.clone(), &INITIATOR_ITEMS, &mut rng_i).unwrap();
        let r = Responder::new_with_rng(config, &RESPONDER_ITEMS, &mut rng_r).unwrap();
        let (r, response) = r.respond(&request).unwrap();
        let a = i.conclude(&response).unwrap();
        let b = r.conclude(a.finish.as_deref()).unwrap();
        assert_eq!(a.record.transcript, b.record.transcript);
        let (finish, mine, theirs) = (a.finish, a.matches, b.matches);
        let (signed, countersigned) = common::golden_receipts(&a.record, &b.record);
        sessions.push(json!({
            "name": name,
            "reveal": reveal.name(),
            "output": output.name(),
            "initiator_rng_seed": hex::encode(seed_i),
            "responder_rng_seed": hex::encode(seed_r),
            "request": hex::encode(&request),
            "response": hex::encode(&response),
            "finish": finish.as_ref().map(hex::encode),
            "initiator_matches": mine.indices(),
            "initiator_cardinality": mine.cardinality(),
            "responder_matches": theirs.as_ref().map(|m| m.indices().to_vec()),
            "responder_cardinality": theirs.as_ref().map(|m| m.cardinality()),
            "transcript_hash": hex::encode(a.record.transcript),
            "initiator_receipt": hex::encode(&signed),
            "countersigned_receipt": hex::encode(&countersigned),
        }));
    }
    let seed = [0x5a; 32];
    let info = b"blindmatch golden";
    let key = OprfKey::derive(&seed, info).unwrap();
    let inputs: Vec<&str> = vec!["", "+4420794609580", "anna.berg@example.se", "李雷"];
    let outputs: Vec<String> = inputs
        .iter()
        .map(|x| hex::encode(key.evaluate(x.as_bytes()).unwrap()))
        .collect();
    // Unbalanced PSI: the server's key from DeriveKeyPair, its label salt
    // and the client's blinds and query id from seeded RNGs.
    let server_seed = [0x30; 32];
    let client_seed = [0x40; 32];
    let labels: Vec<String> = (0..RESPONDER_ITEMS.len())
        .map(|i| format!("case {i}"))
        .collect();
    let server = Server::new_with_rng(
        OprfKey::derive(&seed, info).unwrap(),
        &RESPONDER_ITEMS,
        Some(&labels[..]),
        ServerConfig::new(Budget::Limited(100)),
        &mut ChaCha20Rng::from_seed(server_seed),
    )
    .unwrap();
    let (client, query) = Client::new_with_rng(
        ClientConfig::default(),
        &INITIATOR_ITEMS,
        &mut ChaCha20Rng::from_seed(client_seed),
    )
    .unwrap();
    let answer = server.answer(&query, "golden").unwrap();
    let found = client.finish(&answer, server.digest()).unwrap();
    let client_receipt = receipt::sign(found.record(), &case, &key_a, common::SIGNED_AT).unwrap();
    let unbalanced = json!({
        "key_seed": hex::encode(seed),
        "key_info": hex::encode(info),
        "server_rng_seed": hex::encode(server_seed),
        "client_rng_seed": hex::encode(client_seed),
        "server_items": RESPONDER_ITEMS,
        "labels": labels,
        "client_items": INITIATOR_ITEMS,
        "digest": hex::encode(server.digest()),
        "query": hex::encode(&query),
        "answer": hex::encode(&answer),
        "matches": found.indices(),
        "matched_labels": found.indices().iter().map(|&i| String::from_utf8(found.label(i).unwrap().to_vec()).unwrap()).collect::<Vec<_>>(),
        "transcript_hash": hex::encode(found.record().transcript),
        "client_receipt": hex::encode(&client_receipt),
    });
    json!({
        "description": "blindmatch golden vectors: ChaCha20Rng::from_seed(seed) drives each party; items are UTF-8 strings",
        "wire_format_version": blindmatch::wire::FORMAT_VERSION,
        "unbalanced": unbalanced,
        "rng": "rand 0.10 ChaCha20Rng::from_seed",
        "initiator_items": INITIATOR_ITEMS,
        "responder_items": RESPONDER_ITEMS,
        "psi": sessions,
        "oprf": { "seed": hex::encode(seed), "info": hex::encode(info), "inputs": inputs, "outputs": outputs },
        "receipts": common::receipts_block("each session's initiator signs a receipt with key a at signed_at; the responder countersigns it with key b at countersigned_at after checking it against its own record; the unbalanced client signs its own with key a"),
    })
}

#[test]
fn golden_vectors_are_reproduced() {
    let stored = common::golden("golden_psi.json", &generate());
    // The expected results are those of the naive intersection.
    let s = &stored["psi"][0];
    assert_eq!(s["initiator_matches"], json!([0, 1, 3, 4]));
    assert_eq!(s["responder_matches"], json!([1, 2, 4]));
    assert_eq!(s["initiator_cardinality"], json!(3));
    let u = &stored["unbalanced"];
    assert_eq!(u["matches"], json!([0, 1, 3, 4]));
    assert_eq!(
        u["matched_labels"],
        json!(["case 2", "case 4", "case 2", "case 1"])
    );
}
