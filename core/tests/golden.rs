//! Our own golden vectors: fixed seeds give exact messages. The file
//! `tests/vectors/golden_psi.json` is replayed by the Python and JavaScript
//! tests, so all three surfaces provably speak the same bytes.
//!
//! Regenerate (only after an intended wire change) with
//! `BLINDMATCH_BLESS=1 cargo test -p blindmatch --test golden`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use blindmatch::oprf::OprfKey;
use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
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

fn generate() -> Value {
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
        let (i, request) = Initiator::new_with_rng(
            config.clone(),
            &INITIATOR_ITEMS,
            &mut ChaCha20Rng::from_seed(seed_i),
        )
        .unwrap();
        let r = Responder::new_with_rng(
            config,
            &RESPONDER_ITEMS,
            &mut ChaCha20Rng::from_seed(seed_r),
        )
        .unwrap();
        let (r, response) = r.respond(&request).unwrap();
        let (finish, mine) = i.finish(&response).unwrap();
        let theirs = r.finish(finish.as_deref()).unwrap();
        sessions.push(json!({
            "name": name,
            "reveal": match reveal { Reveal::Intersection => "intersection", Reveal::Cardinality => "cardinality" },
            "output": match output { Output::Initiator => "initiator", Output::Both => "both" },
            "initiator_rng_seed": hex::encode(seed_i),
            "responder_rng_seed": hex::encode(seed_r),
            "request": hex::encode(&request),
            "response": hex::encode(&response),
            "finish": finish.as_ref().map(hex::encode),
            "initiator_matches": mine.indices(),
            "initiator_cardinality": mine.cardinality(),
            "responder_matches": theirs.as_ref().map(|m| m.indices().to_vec()),
            "responder_cardinality": theirs.as_ref().map(|m| m.cardinality()),
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
    let mut server = Server::new_with_rng(
        OprfKey::derive(&seed, info).unwrap(),
        &RESPONDER_ITEMS,
        Some(&labels[..]),
        ServerConfig::default().with_query_budget(100),
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
    })
}

#[test]
fn golden_vectors_are_reproduced() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/golden_psi.json");
    let fresh = generate();
    if std::env::var_os("BLINDMATCH_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        stored, fresh,
        "wire bytes changed; bless only for an intended format change"
    );
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
