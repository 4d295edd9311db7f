//! Writes the seed corpus: valid messages of every type, from the fixed
//! parties of the library, into `corpus/<target>/`.
//!
//! ```text
//! cargo run --manifest-path core/fuzz/Cargo.toml --example make_corpus
//! ```

use std::fs;
use std::path::Path;

use blindmatch_fuzz::{
    client, initiator, multi_run, multi_session, responded, server, sum_finish_and_result,
    sum_initiator, sum_responded,
};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    if let Err(e) = fs::create_dir_all(&dir).and_then(|()| fs::write(dir.join(name), bytes)) {
        eprintln!("cannot write {}: {e}", dir.display());
        std::process::exit(1);
    }
}

/// Receipts, ledger checkpoints, and the parts and manifests of a
/// partitioned session, for the `decode` target.
fn audit_and_parts() {
    use blindmatch::audit::Checkpoint;
    use blindmatch::partition::{PartInfo, PartKind, PartySecret, request_part};
    use blindmatch::psi::Config;
    use blindmatch::receipt::{self, Case, SigningKey};
    use rand::SeedableRng;

    let fixed = |what: &str, e: blindmatch::Error| -> ! { unreachable!("fixed {what}: {e}") };
    let (init, _) = initiator(0);
    let (_, response) = responded(0);
    let outcome = init
        .conclude(&response)
        .unwrap_or_else(|e| fixed("session", e));
    let key = SigningKey::from_secret_bytes(&[9; 32]).unwrap_or_else(|e| fixed("key", e));
    let case = Case::new("NL-2026-0142", "MLAT art. 18").unwrap_or_else(|e| fixed("case", e));
    let signed = receipt::sign(&outcome.record, &case, &key, 1_780_000_000)
        .unwrap_or_else(|e| fixed("receipt", e));
    write("decode", "receipt", &signed);
    write(
        "decode",
        "checkpoint",
        &Checkpoint::sign([1; 16], 3, [2; 32], 4, &key),
    );
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(5);
    let mut secret = PartySecret::new_with_rng(Config::default(), 2, None, &mut rng)
        .unwrap_or_else(|e| fixed("secret", e));
    let items = ["a", "b", "c", "d", "e"];
    let parts: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            let mine: Vec<&str> = items
                .iter()
                .copied()
                .filter(|x| secret.part_of(x.as_bytes()) == i)
                .collect();
            request_part(&secret, i, &mine).unwrap_or_else(|e| fixed("part", e))
        })
        .collect();
    let infos: Vec<PartInfo> = parts
        .iter()
        .map(|p| PartInfo::of(p).unwrap_or_else(|e| fixed("part", e)))
        .collect();
    let manifest = secret
        .manifest(PartKind::Request, &infos)
        .unwrap_or_else(|e| fixed("manifest", e));
    write("decode", "part", &parts[0]);
    write("decode", "manifest", &manifest);
    let bundled = blindmatch::partition::bundle(&[&manifest, &parts[0], &parts[1]])
        .unwrap_or_else(|e| fixed("bundle", e));
    write("decode", "bundle", &bundled);
}

fn main() {
    for mode in 0..4u8 {
        let (init, request) = initiator(mode);
        let (waiting, response) = responded(mode);
        let finish = match init.finish(&response) {
            Ok((f, _)) => f,
            Err(e) => unreachable!("fixed session: {e}"),
        };
        drop(waiting);
        for (name, state) in blindmatch_fuzz::saved_states(mode) {
            write("saved_state", &format!("{name}{mode}"), &state);
        }
        // The session target reads its mode from the first byte.
        let mut session = vec![mode];
        session.extend_from_slice(&request[..request.len().min(16)]);
        write(
            "psi_request",
            &format!("mode{mode}"),
            &[&[mode][..], &request].concat(),
        );
        write(
            "psi_response",
            &format!("mode{mode}"),
            &[&[mode][..], &response].concat(),
        );
        if let Some(f) = &finish {
            write(
                "psi_finish",
                &format!("mode{mode}"),
                &[&[mode][..], f].concat(),
            );
        }
        write("message_type", &format!("request{mode}"), &request);
        write("message_type", &format!("response{mode}"), &response);
        write("decode", &format!("request{mode}"), &request);
        write("decode", &format!("response{mode}"), &response);
        if let Some(f) = &finish {
            write("decode", &format!("finish{mode}"), f);
        }
        write("session", &format!("mode{mode}"), &session);
    }
    let s = server();
    let (_, query) = client();
    let answer = match s.answer(&query, "fuzz") {
        Ok(a) => a,
        Err(e) => unreachable!("fixed answer: {e}"),
    };
    write("set_digest", "digest", s.digest());
    write("unbalanced_query", "query", &query);
    write("unbalanced_answer", "answer", &answer);
    write("message_type", "digest", s.digest());
    write("decode", "digest", s.digest());
    write("decode", "query", &query);
    write("decode", "answer", &answer);
    write("message_type", "query", &query);
    write("message_type", "answer", &answer);
    audit_and_parts();
    let (_, sum_request) = sum_initiator();
    let (_, sum_response) = sum_responded();
    let (sum_finish, sum_result) = sum_finish_and_result();
    write("sum_response", "response", &sum_response);
    write("sum_finish", "finish", &sum_finish);
    write("sum_result", "result", &sum_result);
    for (name, bytes) in [
        ("sum_request", &sum_request),
        ("sum_response", &sum_response),
        ("sum_finish", &sum_finish),
        ("sum_result", &sum_result),
    ] {
        write("decode", name, bytes);
        write("message_type", name, bytes);
    }
    let multi = multi_run();
    let session = multi_session().to_bytes();
    write("multi_hop", "session", &session);
    for (i, start) in multi.starts.iter().enumerate() {
        write("multi_hop", &format!("start{i}"), start);
    }
    write("multi_hop", "back0", &multi.backs[0]);
    write("multi_hop", "roster", &multi.roster);
    for (i, hop) in multi.second.iter().enumerate() {
        write("multi_hop", &format!("second{i}"), hop);
    }
    write("multi_hub", "commit0", &multi.commitments[0]);
    write("multi_hub", "tags0", &multi.tags[0]);
    write("multi_hub", "result", &multi.result);
    for (name, bytes) in [
        ("multi_session", &session),
        ("multi_hop", &multi.starts[0]),
        ("multi_hop2", &multi.second[0]),
        ("multi_commit", &multi.commitments[0]),
        ("multi_roster", &multi.roster),
        ("multi_tags", &multi.tags[0]),
        ("multi_result", &multi.result),
    ] {
        write("decode", name, bytes);
        write("message_type", name, bytes);
    }
    for (i, v) in [
        "John.Doe@Example.COM",
        "020 7946 0958",
        "DE89 3704 0044 0532 0130 00",
        "DOE, John",
        "1980-02-01",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "::ffff:192.0.2.1",
        "GB:123456789",
    ]
    .iter()
    .enumerate()
    {
        write(
            "canonicalize",
            &format!("value{i}"),
            &[&[i as u8][..], v.as_bytes()].concat(),
        );
    }
    println!("corpus written");
}
