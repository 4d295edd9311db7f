//! Record matching: one table per identifier kind (variants that must match
//! each other, near-misses that must not, invalid values with the reason),
//! canonicalization idempotence, and two RecordSets through the protocol.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use blindmatch::psi::{Config, Initiator, Output, Responder, Reveal};
use blindmatch::records::{Field, Kind, Options, RecordSet, canonicalize};
use blindmatch::{Error, ErrorCode};
use proptest::prelude::*;
use serde_json::Value;
use std::str::FromStr;

/// A value of a table: `[text, region or null]`.
fn value(v: &Value) -> (&str, Option<&str>) {
    (v[0].as_str().unwrap(), v[1].as_str())
}

/// Runs the table of `kind` in `tests/vectors/canonical_tables.json`: every
/// spelling in a group canonicalizes alike, to a fixed point, and groups
/// differ (near-misses); every invalid value is refused with its reason,
/// which names the kind and never repeats the value.
fn run_table(kind: &str) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/canonical_tables.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = all["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("no table of {kind}"));
    let t_kind = Kind::from_str(kind).unwrap();
    let mut options = Options::default();
    if let Some(region) = table["options"]["default_region"].as_str() {
        options = options.with_default_region(region).unwrap();
    }
    if let Some(format) = table["options"]["date_format"].as_str() {
        options = options.with_date_format(format).unwrap();
    }
    let mut canon_of_group = Vec::new();
    for group in table["same"].as_array().unwrap() {
        let group: Vec<(&str, Option<&str>)> =
            group.as_array().unwrap().iter().map(value).collect();
        let forms: Vec<String> = group
            .iter()
            .map(|(v, r)| {
                canonicalize(t_kind, v, *r, &options)
                    .unwrap_or_else(|e| panic!("{}: {v:?} rejected: {e}", t_kind))
            })
            .collect();
        for (f, (v, _)) in forms.iter().zip(group.iter()) {
            assert_eq!(
                f, &forms[0],
                "{}: {v:?} should match {:?}",
                t_kind, group[0].0
            );
        }
        // The canonical form is a fixed point, with no per-value region.
        assert_eq!(
            canonicalize(t_kind, &forms[0], None, &options).as_ref(),
            Ok(&forms[0]),
            "{}",
            t_kind
        );
        assert!(
            !canon_of_group.contains(&forms[0]),
            "{}: near-miss {:?} matched another group",
            t_kind,
            group[0].0
        );
        canon_of_group.push(forms[0].clone());
    }
    for case in table["invalid"].as_array().unwrap() {
        let ((v, r), reason) = (value(&case[0]), case[1].as_str().unwrap());
        match canonicalize(t_kind, v, r, &options) {
            Ok(c) => panic!("{}: {v:?} accepted as {c:?}", t_kind),
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::InvalidValue);
                let msg = e.to_string();
                assert!(
                    msg.contains(reason),
                    "{}: {v:?}: {msg:?} lacks {reason:?}",
                    t_kind
                );
                assert!(msg.contains(t_kind.tag()), "{msg}");
                if v.len() > 3 {
                    assert!(
                        !msg.contains(v.trim()),
                        "error message leaks the value: {msg}"
                    );
                }
            }
        }
    }
}

#[test]
fn email_table() {
    run_table("email");
    let tags = Options::default().with_email_drop_plus_tag(true);
    assert_eq!(
        canonicalize(Kind::Email, "John+News@Example.com", None, &tags).unwrap(),
        canonicalize(Kind::Email, "john@example.com", None, &tags).unwrap()
    );
}

#[test]
fn phone_table() {
    run_table("phone");
    // Without a region, a national number cannot be read.
    let err = canonicalize(Kind::Phone, "020 7946 0958", None, &Options::default()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidValue);
}

#[test]
fn iban_table() {
    run_table("iban");
}

#[test]
fn name_table() {
    run_table("name");
}

#[test]
fn date_of_birth_table() {
    run_table("date_of_birth");
    // Month-first only when the caller says so.
    let us = Options::default().with_date_format("%m/%d/%Y").unwrap();
    assert_eq!(
        canonicalize(Kind::DateOfBirth, "03/04/1980", None, &us).unwrap(),
        "1980-03-04"
    );
}

#[test]
fn document_table() {
    run_table("document");
}

#[test]
fn ip_table() {
    run_table("ip");
}

#[test]
fn crypto_address_table() {
    run_table("crypto_address");
}

#[test]
fn text_table() {
    run_table("text");
}

/// Plausible and arbitrary values per kind, for the idempotence property.
fn value_for(kind: Kind) -> BoxedStrategy<String> {
    let arbitrary = "\\PC{0,24}".boxed();
    let specific = match kind {
        Kind::Email => {
            "[A-Za-zÀ-ÿ0-9._+-]{1,12}@[A-Za-zÀ-ÿ0-9-]{1,10}\\.(com|ORG|de|xn--p1ai)".boxed()
        }
        Kind::Phone => "(\\+44|0|\\+33|\\+1)[ ]?[0-9 ()-]{6,14}".boxed(),
        Kind::Iban => {
            "(DE89 3704 0044 0532 0130 00|gb82west12345698765432|FR14[0-9A-Z ]{10,25})".boxed()
        }
        Kind::Name => "[A-Za-zÀ-ÿßİıŒæ'’ ,.-]{1,30}".boxed(),
        Kind::DateOfBirth => "[0-3]?[0-9]/[01]?[0-9]/(19|20)[0-9]{2}".boxed(),
        Kind::Document => "[A-Za-z]{2}:[A-Za-z0-9 -]{1,12}".boxed(),
        Kind::Ip => "([0-9]{1,3}\\.){3}[0-9]{1,3}|[0-9a-fA-F:]{2,30}".boxed(),
        Kind::CryptoAddress => {
            "(0x[0-9a-fA-F]{40}|bc1[02-9ac-hj-np-z]{39}|1[1-9A-HJ-NP-Za-km-z]{33})".boxed()
        }
        _ => "\\PC{0,24}".boxed(),
    };
    prop_oneof![arbitrary, specific].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn canonicalization_is_idempotent(
        (kind, value) in prop::sample::select(Kind::ALL.to_vec()).prop_flat_map(|k| (Just(k), value_for(k)))
    ) {
        let options = Options::default().with_default_region("GB").unwrap().with_date_format("%d/%m/%Y").unwrap();
        if let Ok(c) = canonicalize(kind, &value, None, &options) {
            let again = canonicalize(kind, &c, None, &options);
            prop_assert_eq!(again.as_ref(), Ok(&c), "{} {:?} -> {:?}", kind, value, c);
        }
    }
}

fn set(options: Options, records: &[(&str, &[Field<'_>])]) -> RecordSet {
    let mut rs = RecordSet::new(options);
    rs.add_composite(&[Kind::Name, Kind::DateOfBirth]).unwrap();
    for (id, fields) in records {
        rs.add(id, fields);
    }
    rs
}

#[test]
fn two_record_sets_through_the_protocol() {
    use Kind::*;
    let ours = set(
        Options::default().with_default_region("GB").unwrap(),
        &[
            (
                "case-17",
                &[
                    Field::new(Email, "John.Doe@Example.COM "),
                    Field::new(Phone, "020 7946 0958"),
                    Field::new(Name, "John Doe"),
                    Field::new(DateOfBirth, "1980-04-03"),
                ],
            ),
            (
                "case-18",
                &[
                    Field::new(Iban, "GB82 WEST 1234 5698 7654 32"),
                    Field::new(Phone, "not a phone"),
                ],
            ),
            (
                "case-19",
                &[Field::new(
                    CryptoAddress,
                    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                )],
            ),
            (
                "case-20",
                &[
                    Field::new(Name, "Jane Roe"),
                    Field::new(DateOfBirth, "1975-12-01"),
                ],
            ),
            ("case-21", &[Field::new(DateOfBirth, "1975-12-01")]),
        ],
    );
    let theirs = set(
        Options::default().with_date_format("%d/%m/%Y").unwrap(),
        &[
            (
                "X-1",
                &[
                    Field::new(Phone, "+44 20 7946 0958"),
                    Field::new(Email, "j.doe@example.com"),
                ],
            ),
            (
                "X-2",
                &[
                    Field::new(Name, "DOE, John"),
                    Field::new(DateOfBirth, "03/04/1980"),
                ],
            ),
            ("X-3", &[Field::new(Iban, "gb82west12345698765432")]),
            (
                "X-4",
                &[Field::new(
                    CryptoAddress,
                    "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                )],
            ),
            // Same name, other birthday: no match (a name alone is no key by
            // default, and the composite differs).
            (
                "X-5",
                &[
                    Field::new(Name, "Roe, Jane"),
                    Field::new(DateOfBirth, "02/12/1975"),
                ],
            ),
            // A phone number on our side is an e-mail address on theirs: no match across kinds.
            ("X-6", &[Field::new(Text, "+442079460958")]),
        ],
    );
    let errors: Vec<(&str, &str)> = ours
        .errors()
        .iter()
        .map(|e| (e.record_id.as_str(), e.field.as_str()))
        .collect();
    assert_eq!(errors, [("case-18", "phone"), ("case-21", "*")]);
    assert!(theirs.errors().is_empty());

    assert_eq!(ours.profile(), theirs.profile());
    let config = Config::default().with_profile(ours.profile());
    let (initiator, request) = Initiator::new(config.clone(), ours.keys()).unwrap();
    let (responder, response) = Responder::new(config, theirs.keys())
        .unwrap()
        .respond(&request)
        .unwrap();
    let (finish, mine) = initiator.finish(&response).unwrap();
    let their_matches = responder.finish(finish.as_deref()).unwrap().unwrap();

    let got: Vec<(String, Vec<String>)> = ours
        .record_matches(&mine)
        .into_iter()
        .map(|m| (m.record_id, m.kinds))
        .collect();
    let want = |v: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
        v.iter()
            .map(|(id, k)| (id.to_string(), k.iter().map(|s| s.to_string()).collect()))
            .collect()
    };
    assert_eq!(
        got,
        want(&[
            ("case-17", &["name+date_of_birth", "phone"]),
            ("case-18", &["iban"]),
            ("case-19", &["crypto_address"]),
        ])
    );
    let got: Vec<(String, Vec<String>)> = theirs
        .record_matches(&their_matches)
        .into_iter()
        .map(|m| (m.record_id, m.kinds))
        .collect();
    assert_eq!(
        got,
        want(&[
            ("X-1", &["phone"]),
            ("X-2", &["name+date_of_birth"]),
            ("X-3", &["iban"]),
            ("X-4", &["crypto_address"]),
        ])
    );

    // Cardinality mode maps to no records.
    let config = Config::new(Reveal::Cardinality, Output::Initiator).with_profile(ours.profile());
    let (initiator, request) = Initiator::new(config.clone(), ours.keys()).unwrap();
    let (_, response) = Responder::new(config, theirs.keys())
        .unwrap()
        .respond(&request)
        .unwrap();
    let (_, mine) = initiator.finish(&response).unwrap();
    assert_eq!(mine.cardinality(), 4);
    assert!(ours.record_matches(&mine).is_empty());
}

#[test]
fn unknown_region_is_a_clear_error() {
    let err: Error = Options::default().with_default_region("XX").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidValue);
}
