//! The `blindmatch` command, run as a user would (assert_cmd) on the data
//! the repository ships: full exchanges, refused files, state files that
//! are wrong or readable by others, receipts, budgets, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::prelude::*;
use tempfile::TempDir;

mod common;
use common::{bm, bm_words, column, ok_json, read_csv, succeeded, words};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

const FIELDS: &str = "--id suspect_id --field email=email --field phone=phone \
    --field full_name=name --field date_of_birth=date_of_birth --composite name,date_of_birth";

/// `blindmatch <step> --records <shipped file>` with the fields above.
fn on_data(dir: &Path, step: &str, file: &str) -> std::process::Command {
    let mut c = bm_words(dir, step);
    c.arg("--records").arg(data(file)).args(words(FIELDS));
    c
}

/// Agency B writes dates day first and phones without a country code.
const B_FORMAT: &str = "--region GB --date-format %d/%m/%Y";

/// Agency A's request and B's response on the shipped data; returns the
/// directory.
fn request_and_respond(extra_a: &[&str], extra_b: &[&str]) -> TempDir {
    let dir = TempDir::new().unwrap();
    on_data(dir.path(), "psi request", "agency_a.csv")
        .args(["--state", "a.state", "--out", "request.bm"])
        .args(extra_a)
        .assert()
        .success();
    on_data(dir.path(), "psi respond", "agency_b.csv")
        .args(words(B_FORMAT))
        .args(words(
            "--state b.state --request request.bm --out response.bm",
        ))
        .args(extra_b)
        .assert()
        .success();
    dir
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_balanced_exchange_finds_the_known_overlap_and_both_sign_a_receipt() {
    let dir = request_and_respond(&[], &[]);
    let d = dir.path();
    #[cfg(unix)]
    assert_eq!(
        (mode(&d.join("a.state")), mode(&d.join("b.state"))),
        (0o600, 0o600)
    );
    for name in ["a", "b"] {
        bm(d)
            .args(["keygen", "--out", &format!("{name}.key")])
            .assert()
            .success();
    }
    bm_words(
        d,
        "psi finish --state a.state --response response.bm --out finish.bm --matches \
        a-matches.csv --signing-key a.key --receipt a.receipt",
    )
    .args([
        "--case-ref",
        "NL-2026-0142",
        "--legal-basis",
        "MLAT art. 18",
        "--ledger",
        "a.sqlite",
    ])
    .assert()
    .success();
    bm_words(
        d,
        "psi result --state b.state --finish finish.bm --matches b-matches.csv \
        --signing-key b.key --countersign a.receipt --receipt both.receipt",
    )
    .assert()
    .success();
    // The states are used up and wiped.
    assert!(!d.join("a.state").exists() && !d.join("b.state").exists());

    let truth = read_csv(&data("expected_overlap.csv"));
    let a = read_csv(&d.join("a-matches.csv"));
    let b = read_csv(&d.join("b-matches.csv"));
    assert_eq!(column(&a, "record_id"), column(&truth, "a_id"));
    assert_eq!(column(&b, "record_id"), column(&truth, "b_id"));
    // Kinds that matched, as the truth lists them.
    let by_a: BTreeMap<&String, &String> = truth
        .iter()
        .map(|r| (&r["a_id"], &r["shared_via"]))
        .collect();
    for row in &a {
        assert_eq!(&row["kinds"], by_a[&row["record_id"]]);
    }
    // Record errors beside the state, naming records and fields, never values.
    let errors = read_csv(&d.join("a.errors.csv"));
    let expected: BTreeSet<(String, String)> = read_csv(&data("expected_errors.csv"))
        .into_iter()
        .filter(|r| r["agency"] == "A")
        .map(|r| (r["record_id"].clone(), r["field"].clone()))
        .collect();
    let found: BTreeSet<(String, String)> = errors
        .iter()
        .map(|r| (r["record_id"].clone(), r["field"].clone()))
        .collect();
    assert_eq!(found, expected);

    // The countersigned receipt verifies with both keys, and only with both.
    let out = bm_words(
        d,
        "--json receipt verify both.receipt --key a.pub --key b.pub",
    )
    .assert()
    .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["case_ref"], "NL-2026-0142");
    assert_eq!(v["cardinality"], 3890);
    bm_words(d, "receipt verify both.receipt --key a.key --key b.pub")
        .assert()
        .success();
    bm_words(d, "receipt verify both.receipt --key a.pub")
        .assert()
        .code(6);
    let mut receipt = fs::read(d.join("both.receipt")).unwrap();
    let at = receipt.len() / 2;
    receipt[at] ^= 1;
    fs::write(d.join("bad.receipt"), &receipt).unwrap();
    bm_words(d, "receipt verify bad.receipt --key a.pub --key b.pub")
        .assert()
        .code(6);
    bm_words(d, "ledger verify a.sqlite").assert().success();
}

#[test]
fn the_peers_files_are_refused_when_tampered_foreign_or_of_another_type() {
    let dir = request_and_respond(&["--reveal", "cardinality"], &["--reveal", "cardinality"]);
    let d = dir.path();
    let finish = |response: &str| {
        bm_words(
            d,
            &format!("--json psi finish --state a.state --response {response} --keep-state"),
        )
        .args(["--out", "finish.bm"])
        .output()
        .unwrap()
    };
    // A flipped byte in an element, a truncated file, the wrong message
    // type: exit 4, and the state is kept for the right file.
    let response = fs::read(d.join("response.bm")).unwrap();
    // The last element's top bit set: never a canonical encoding (a byte
    // flipped elsewhere may still decode to some point, and then simply
    // matches nothing).
    let mut flipped = response.clone();
    let last = flipped.len() - 1;
    flipped[last] |= 0x80;
    fs::write(d.join("flipped.bm"), &flipped).unwrap();
    fs::write(d.join("short.bm"), &response[..response.len() / 2]).unwrap();
    for (file, code) in [
        ("flipped.bm", "invalid_element"),
        ("short.bm", "malformed"),
        ("request.bm", "wrong_message_type"),
    ] {
        let out = finish(file);
        assert_eq!(out.status.code(), Some(4), "{file}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["class"], "peer_message_refused");
        assert_eq!(v["code"], code, "{file}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(file));
    }
    // A response of another session (a second request answered by B).
    on_data(d, "psi request", "agency_a.csv")
        .args(words(
            "--reveal cardinality --state other.state --out other-request.bm",
        ))
        .assert()
        .success();
    on_data(d, "psi respond", "agency_b.csv")
        .args(words(B_FORMAT))
        .args(words(
            "--reveal cardinality --state other-b.state --request other-request.bm",
        ))
        .args(["--out", "other-response.bm"])
        .assert()
        .success();
    let out = finish("other-response.bm");
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "session_mismatch");
    // A request in another mode is refused by the responder.
    on_data(d, "psi respond", "agency_b.csv")
        .args(words("--state c.state --request request.bm --out x.bm"))
        .assert()
        .code(4);
    // The right file still finishes: cardinality only, no matches file.
    let out = finish("response.bm");
    let v = ok_json(&out);
    assert_eq!(v["cardinality"], 3890);
    assert!(v.get("matched_records").is_none());
}

#[test]
fn wrong_state_files_are_refused() {
    let dir = request_and_respond(&[], &[]);
    let d = dir.path();
    let finish = |state: &str| {
        bm_words(d, "psi finish --response response.bm --out f.bm")
            .args(["--state", state])
            .output()
            .unwrap()
    };
    // The responder's state given to the initiator's step.
    let out = finish("b.state");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("psi-responder"));
    // A message file, garbage, an empty file, an edited state: exit 3.
    let state = fs::read(d.join("a.state")).unwrap();
    let mut edited = state.clone();
    edited.truncate(state.len() - 3);
    for (name, bytes) in [
        ("message.state", fs::read(d.join("request.bm")).unwrap()),
        ("garbage.state", b"not a state at all".to_vec()),
        ("empty.state", Vec::new()),
        ("edited.state", edited),
    ] {
        let path = d.join(name);
        fs::write(&path, bytes).unwrap();
        #[cfg(unix)]
        chmod(&path, 0o600);
        let out = finish(name);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A missing state file.
    assert_eq!(finish("missing.state").status.code(), Some(3));
}

#[cfg(unix)]
#[test]
fn state_and_key_files_that_others_can_read_are_refused() {
    let dir = request_and_respond(&[], &[]);
    let d = dir.path();
    for m in [0o644, 0o640, 0o604] {
        chmod(&d.join("a.state"), m);
        let out = bm_words(
            d,
            "psi finish --state a.state --response response.bm --out f.bm",
        )
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(3));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("chmod 600"), "{err}");
    }
    chmod(&d.join("a.state"), 0o600);
    bm(d).args(["keygen", "--out", "wl.key"]).assert().success();
    assert_eq!(mode(&d.join("wl.key")), 0o600);
    chmod(&d.join("wl.key"), 0o644);
    on_data(d, "watchlist build", "agency_b.csv")
        .args(["--key", "wl.key", "--out", "digest.bm"])
        .assert()
        .code(3);
}

#[test]
fn a_sealed_state_needs_its_passphrase() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    fs::write(d.join("pass"), "correct horse battery\n").unwrap();
    fs::write(d.join("wrong"), "wrong horse\n").unwrap();
    #[cfg(unix)]
    for f in ["pass", "wrong"] {
        chmod(&d.join(f), 0o600);
    }
    let small = d.join("a.csv");
    fs::write(&small, "id,email\n1,x@example.com\n2,y@example.com\n").unwrap();
    bm_words(
        d,
        "psi request --records a.csv --id id --field email=email --state a.state --out \
        request.bm --passphrase-file pass",
    )
    .assert()
    .success();
    let sealed = fs::read(d.join("a.state")).unwrap();
    assert!(sealed.starts_with(b"BMSE"));
    fs::write(d.join("b.csv"), "id,email\nq,Y@example.com\n").unwrap();
    bm_words(
        d,
        "psi respond --records b.csv --id id --field email=email --state b.state --request \
        request.bm --out response.bm",
    )
    .assert()
    .success();
    let finish = |extra: &[&str]| {
        bm_words(
            d,
            "--json psi finish --state a.state --response response.bm --out finish.bm \
            --matches m.csv",
        )
        .args(extra)
        .output()
        .unwrap()
    };
    let out = finish(&[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sealed"));
    let out = finish(&["--passphrase-file", "wrong"]);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "wrong_passphrase");
    let out = finish(&["--passphrase-env", "BM_TEST_PASS"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unset variable is a usage error"
    );
    let out = bm(d)
        .env("BM_TEST_PASS", "correct horse battery")
        .args(words(
            "psi finish --state a.state --response response.bm --out finish.bm",
        ))
        .args(["--matches", "m.csv", "--passphrase-env", "BM_TEST_PASS"])
        .output()
        .unwrap();
    succeeded(&out);
    assert_eq!(
        column(&read_csv(&d.join("m.csv")), "record_id"),
        BTreeSet::from(["2".to_owned()])
    );
}

/// The first `n` records of a shipped file, as a new CSV in `dir`.
fn head(dir: &Path, source: &str, n: usize, name: &str) -> PathBuf {
    let text = fs::read_to_string(data(source)).unwrap();
    let lines: Vec<&str> = text.lines().take(n + 1).collect();
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn a_watchlist_answers_with_labels_within_a_budget_kept_in_the_ledger() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // B's suspects are the list; the label tells a querying agency whom to
    // call. The first build makes the key (wl.key does not exist yet).
    on_data(d, "watchlist build", "agency_b.csv")
        .args(words(B_FORMAT))
        .args(words("--label suspect_id --key wl.key --out digest.bm"))
        .assert()
        .success();
    // A queries with its first 400 records (about 1,200 keys).
    head(d, "agency_a.csv", 400, "mine.csv");
    let query = |state: &str, out: &str| {
        bm_words(d, "watchlist query --records mine.csv")
            .args(words(FIELDS))
            .args(["--digest", "digest.bm", "--state", state, "--out", out])
            .assert()
            .success();
    };
    #[cfg(unix)]
    assert_eq!(mode(&d.join("wl.key")), 0o600);
    query("c.state", "query.bm");
    let answer = |q: &str, out: &str, digest: &[&str]| {
        bm_words(d, "--json watchlist answer --key wl.key")
            .args(digest)
            .args(words("--ledger wl.sqlite --budget 2000 --client agency-nl"))
            .args(["--query", q, "--out", out])
            .output()
            .unwrap()
    };
    let out = answer("query.bm", "answer.bm", &["--digest", "digest.bm"]);
    let v = ok_json(&out);
    let evaluated = v["evaluated"].as_u64().unwrap();
    assert_eq!(v["remaining_budget"].as_u64().unwrap(), 2000 - evaluated);
    bm_words(
        d,
        "watchlist finish --state c.state --answer answer.bm --digest digest.bm --matches \
        matches.csv",
    )
    .assert()
    .success();
    // Matched records and their labels, against the truth.
    let ids: BTreeSet<String> = read_csv(&d.join("mine.csv"))
        .iter()
        .map(|r| r["suspect_id"].clone())
        .collect();
    let truth: BTreeMap<String, String> = read_csv(&data("expected_overlap.csv"))
        .into_iter()
        .filter(|r| ids.contains(&r["a_id"]))
        .map(|r| (r["a_id"].clone(), r["b_id"].clone()))
        .collect();
    assert!(!truth.is_empty());
    let found = read_csv(&d.join("matches.csv"));
    assert_eq!(column(&found, "record_id"), truth.keys().cloned().collect());
    for row in &found {
        assert_eq!(row["label"], truth[&row["record_id"]], "{row:?}");
    }
    // The second query would exceed the budget: exit 5, no answer written,
    // and the budget holds across processes (it lives in the ledger).
    query("c2.state", "query2.bm");
    // (Without --digest: the one `watchlist build` last built with wl.key.)
    let out = answer("query2.bm", "answer2.bm", &[]);
    assert_eq!(out.status.code(), Some(5));
    assert!(!d.join("answer2.bm").exists());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "budget_exceeded");
    bm_words(d, "ledger verify wl.sqlite").assert().success();
    // A budget without a ledger would not survive the run: refused.
    bm_words(
        d,
        "watchlist answer --key wl.key --budget 10 --client x --query query2.bm --out a3.bm",
    )
    .assert()
    .code(2);
    // An answer finished against another list's digest: the epochs differ.
    bm_words(d, "keygen --out other.key").assert().success();
    bm_words(d, "watchlist build --records mine.csv")
        .args(words(FIELDS))
        .args(["--key", "other.key", "--out", "other-digest.bm"])
        .assert()
        .success();
    bm_words(
        d,
        "watchlist finish --state c2.state --answer answer.bm --digest other-digest.bm \
        --matches m2.csv",
    )
    .assert()
    .code(4);
}

#[test]
fn usage_errors_and_inspect() {
    let dir = request_and_respond(&[], &[]);
    let d = dir.path();
    // A missing option, an unknown kind, an unknown column.
    bm_words(d, "psi request --records x.csv --field e=email")
        .assert()
        .code(2);
    bm_words(d, "psi request --records")
        .arg(data("agency_a.csv"))
        .args(words(
            "--id suspect_id --field email=passport --state s --out o",
        ))
        .assert()
        .code(2);
    let out = bm_words(d, "psi request --records")
        .arg(data("agency_a.csv"))
        .args(words(
            "--id suspect_id --field mail=email --state s --out o",
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column `mail`"));
    // An existing state is not overwritten by accident.
    on_data(d, "psi request", "agency_a.csv")
        .args(["--state", "a.state", "--out", "r2.bm"])
        .assert()
        .code(2);
    // The exit codes are in --help.
    let help = bm(d).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("5  query budget exceeded"));
    // inspect: type, counts and session, never an identifier.
    let out = bm_words(d, "--json inspect request.bm").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "psi-request");
    assert_eq!(v["initiator_items"], 119_960);
    let out = bm_words(d, "--json inspect a.state").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "state: psi-initiator");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        !shown.contains("A-000017") && !shown.contains('@'),
        "{shown}"
    );
}

#[test]
fn spreadsheet_exports_and_the_short_field_form() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // A byte order mark, CRLF line ends, quoted values, `--field email`.
    fs::write(
        d.join("a.csv"),
        "\u{feff}id;email;note\r\n1;x@example.com;\"a; b\"\r\n2;Y@example.com;\r\n",
    )
    .unwrap();
    fs::write(d.join("b.csv"), "id,email\nq,y@example.com\n").unwrap();
    bm_words(
        d,
        "psi request --records a.csv --delimiter ; --id id --field email --state a.state \
        --out request.bm",
    )
    .assert()
    .success();
    bm_words(
        d,
        "psi respond --records b.csv --id id --field email --state b.state --request \
        request.bm --out response.bm",
    )
    .assert()
    .success();
    bm_words(
        d,
        "psi finish --state a.state --response response.bm --out finish.bm --matches a.csv.out",
    )
    .assert()
    .success();
    assert_eq!(
        column(&read_csv(&d.join("a.csv.out")), "record_id"),
        BTreeSet::from(["2".to_owned()])
    );
    // B forgets the finish message: a usage error, and its state is kept.
    bm_words(d, "psi result --state b.state --matches b.out")
        .assert()
        .code(2);
    assert!(d.join("b.state").exists());
    bm_words(
        d,
        "psi result --state b.state --finish finish.bm --matches b.out",
    )
    .assert()
    .success();
    assert!(!d.join("b.state").exists());
}
